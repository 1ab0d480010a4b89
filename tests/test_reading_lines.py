"""The line plan's parts: CTC decoding, line geometry, years re-read from the recogniser's alternatives.

Decoding is tested on probability matrices written by hand (a recogniser's output is just
that); the geometry on quadrilaterals; the re-read of implausible years with the real
detector and tesseract and a recogniser that misreads on purpose, since a real misreading
cannot be produced on demand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from archive_ingest.config import load_settings
from archive_ingest.ingest.stages import ocr
from archive_ingest.reading import Passes, Word, lookalikes, read
from archive_ingest.reading.ctc import Groups, LineProbabilities, best_path, n_best
from archive_ingest.reading.images import Gray
from archive_ingest.reading.lines import Line, crop_line, inscription_lines, rows, turn_quads, vertical_share
from archive_ingest.reading.years_lines import YEAR_GROUPS, plausible_years, tidy_years
from archive_ingest.search import normalise
from conftest import ArchiveHome
from scanmaker import draw_inscription

CHARSET = ["blank", "0", "1", "2", "4", "5", "9", "-", "~", "T", "A", " "]


def frames(*rows_of: dict[str, float]) -> np.ndarray:
    """A frames x CHARSET matrix: each row's named symbols get their probability, blank the rest."""
    matrix = np.zeros((len(rows_of), len(CHARSET)), dtype=np.float32)
    for index, row in enumerate(rows_of):
        for symbol, probability in row.items():
            matrix[index, CHARSET.index(symbol)] = probability
        matrix[index, 0] += 1.0 - sum(row.values())
    return matrix


def sure(symbol: str) -> dict[str, float]:
    return {symbol: 0.98}


BLANK: dict[str, float] = {}


# -- decoding -------------------------------------------------------------------------------------


def test_best_path_merges_repeats_and_drops_blanks() -> None:
    matrix = frames(sure("1"), sure("1"), BLANK, sure("1"), sure("9"), BLANK, sure("-"), sure("4"))
    decoded = best_path(matrix, CHARSET)
    assert decoded.text == "119-4"
    assert [s.frame for s in decoded.symbols] == [0, 3, 4, 6, 7]
    assert decoded.confidence == pytest.approx(0.98)


def test_groups_read_a_dash_as_one_symbol_and_a_letter_as_the_year_mark() -> None:
    groups = Groups.of(CHARSET, {"1": "1", "9": "9", "-": "-~", "Г": "T"})
    # The recogniser splits a long dash between "-" and "~" (neither alone beats blank)
    # and sees the letter T where the stone has the year mark.
    matrix = frames(sure("1"), sure("9"), {"-": 0.3, "~": 0.3}, sure("T"))
    assert best_path(matrix, CHARSET).text == "19T"
    assert best_path(matrix, CHARSET, groups).text == "19-Г"


def test_a_constrained_read_cannot_take_a_letter_for_a_digit() -> None:
    # A worn 1 looks most like A to the recogniser; among digits it is a 1, less sure.
    matrix = frames({"A": 0.6, "1": 0.3}, sure("9"))
    assert best_path(matrix, CHARSET).text == "A9"
    digits = best_path(matrix, CHARSET, Groups.of(CHARSET, {d: d for d in "012459"}))
    assert digits.text == "19"
    # Its probability is its share of what the allowed groups (blank among them) hold.
    assert digits.symbols[0].probability == pytest.approx(0.3 / (0.3 + 0.1))


def test_n_best_lists_the_recognisers_alternatives_best_first() -> None:
    groups = Groups.of(CHARSET, {d: d for d in "012459"})
    # "1245" where the second digit is a 2, or perhaps a 9.
    matrix = frames(sure("1"), {"2": 0.7, "9": 0.28}, sure("4"), sure("5"))
    found = n_best(matrix, groups, beam=8, count=3)
    assert [text for text, _ in found[:2]] == ["1245", "1945"]
    assert found[0][1] > found[1][1]
    assert found[1][1] - found[0][1] == pytest.approx(math.log(0.28 / 0.7), abs=0.05)


def test_n_best_keeps_a_doubled_digit_apart_from_a_long_one() -> None:
    groups = Groups.of(CHARSET, {"1": "1", "9": "9"})
    doubled = frames(sure("1"), BLANK, sure("1"), sure("9"))
    assert n_best(doubled, groups, count=1)[0][0] == "119"
    long_one = frames(sure("1"), sure("1"), sure("9"))
    assert n_best(long_one, groups, count=1)[0][0] == "19"


# -- years ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "tidy"),
    [
        ("1920Г.-1951Г.", "1920 Г.-1951 Г."),
        ("1917.1952", "1917-1952"),  # the dash seen as a dot
        ("08.03.1923.09.03.1948", "08.03.1923-09.03.1948"),
        ("17.12.1900-10.12.1945", "17.12.1900-10.12.1945"),
        ("1886.-1965Г.", "1886-1965 Г."),  # what is left of a worn mark
        ("Г1945", "1945"),  # a mark before any year is no mark
        ("1930  Г. -- 1965", "1930 Г. -- 1965"),
    ],
)
def test_tidy_years(read: str, tidy: str) -> None:
    assert tidy_years(read) == tidy


@pytest.mark.parametrize(
    ("text", "plausible"),
    [
        ("1920 Г.-1951 Г.", True),
        ("08.03.1923-09.03.1948", True),
        ("1953", True),  # an unknown soldier's year of death
        ("1903-1245", False),  # died before being born
        ("1506-1957", False),  # born before anyone buried here
        ("929-1955", False),  # a year cut short
        ("19222196", False),  # years run together
        ("1850-1965", False),  # 115 years old
        ("31.02.1923-09.03.1948", False),  # no such day
        ("", False),
    ],
)
def test_plausible_years(text: str, plausible: bool) -> None:
    assert plausible_years(text) is plausible


def test_year_groups_cover_the_marks_the_recogniser_reads() -> None:
    charset = ["blank", *"0123456789", "-", "—", "~", ".", " ", "T", "r", "["]
    groups = Groups.of(charset, YEAR_GROUPS)
    assert groups.names[groups.names.index("Г")] == "Г"
    assert {charset[i] for i in groups.members[groups.names.index("Г")]} == {"T", "r", "["}
    assert {charset[i] for i in groups.members[groups.names.index("-")]} == {"-", "—", "~"}


# -- geometry -------------------------------------------------------------------------------------


def quad(left: float, top: float, width: float, height: float) -> np.ndarray:
    return np.array(
        [[left, top], [left + width, top], [left + width, top + height], [left, top + height]], dtype=np.float32
    )


def test_the_inscription_is_the_main_group_in_reading_order() -> None:
    stone = [quad(400, 360, 160, 30), quad(380, 300, 200, 30), quad(420, 420, 120, 30)]
    grass = [quad(40, 900, 60, 20)]  # a blade of grass read as text, far below
    lines = inscription_lines([*grass, *stone], max_lines=12)
    assert [round(line.top) for line in lines] == [300, 360, 420]
    # At most two: the two largest, still in reading order.
    assert [round(line.top) for line in inscription_lines([*stone, *grass], max_lines=2)] == [300, 360]


def test_pieces_of_one_row_share_a_row_number() -> None:
    lines = [Line.of(quad(100, 100, 80, 30)), Line.of(quad(200, 104, 80, 30)), Line.of(quad(100, 150, 180, 30))]
    assert rows(lines) == [0, 0, 1]


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_turned_quads_land_on_the_turned_pixels(degrees: int) -> None:
    # A page 300 wide, 200 high with one bright block; its quad must cover the block
    # wherever the turn takes it.
    page = np.zeros((200, 300), dtype=np.uint8)
    page[20:50, 200:280] = 255
    turned = np.rot90(page, k=-degrees // 90)  # numpy turns counter-clockwise
    (moved,) = turn_quads([quad(200, 20, 80, 30)], degrees, (300, 200))
    line = Line.of(moved)
    inside = turned[round(line.top) : round(line.bottom), round(line.left) : round(line.right)]
    assert inside.size == 80 * 30 and inside.min() == 255
    assert tuple(moved[0]) == (line.left, line.top)  # still starts at its top left


def test_text_on_end_is_a_quarter_turn() -> None:
    assert vertical_share([quad(0, 0, 30, 200), quad(50, 0, 30, 150)]) == 1.0
    assert vertical_share([quad(0, 0, 200, 30)]) == 0.0


def test_a_line_is_cropped_straight_and_widened_at_its_ends() -> None:
    page = np.full((100, 200), 200, dtype=np.uint8)
    page[40:60, 50:150] = 0
    line = Line.of(quad(50, 40, 100, 20))
    assert crop_line(page, line).shape == (20, 100)
    assert crop_line(page, line).max() == 0
    wider = line.widened(0.5, 0.25)
    assert (round(wider.left), round(wider.right), round(wider.top), round(wider.bottom)) == (40, 160, 35, 65)


# -- the plan, with a recogniser that misreads ------------------------------------------------------


class Misreading:
    """The real line engine, except that a years line is read as `misread` with the true text second.

    Each digit that differs gets the true digit as its runner-up at `second` probability,
    as a recogniser that is unsure between a worn 9 and a 2 would give it.
    """

    def __init__(self, real: ocr.RapidocrLines, misread: str, truth: str, second: float) -> None:
        self.real, self.misread, self.truth, self.second = real, misread, truth, second

    @property
    def charset(self) -> Sequence[str]:
        return self.real.charset

    def detect(self, page: Gray) -> list[np.ndarray]:
        return self.real.detect(page)

    def recognise(self, lines: Sequence[Gray]) -> list[LineProbabilities]:
        seen = self.real.recognise(lines)
        decoded = [best_path(s.probabilities, self.charset).text for s in seen]
        return [self._misread(s) if text == self.truth else s for s, text in zip(seen, decoded, strict=True)]

    def _misread(self, seen: LineProbabilities) -> LineProbabilities:
        index = {symbol: i for i, symbol in enumerate(self.charset)}
        matrix = np.zeros((2 * len(self.misread) + 1, len(self.charset)), dtype=np.float32)
        matrix[:, 0] = 1.0
        for position, (shown, true) in enumerate(zip(self.misread, self.truth, strict=True)):
            row = matrix[2 * position + 1]
            row[0] = 0.0
            if shown == true:
                row[index[shown]] = 1.0
            else:
                row[index[shown]] = 1.0 - self.second
                row[index[true]] = self.second
        return LineProbabilities(matrix, seen.pixels_per_frame * len(seen.probabilities) / len(matrix))


def read_with(archive_home: ArchiveHome, recogniser: Misreading) -> tuple[str, list[str]]:
    archive_home.config.write_text("ocr:\n  engine: pytesseract\n", encoding="utf-8")
    settings = load_settings(archive_home.config).ocr
    page = np.asarray(draw_inscription(["СЕМЁНОВ ИВАН", "1903-1945"]).convert("L"), dtype=np.uint8)
    with ocr.engine_session(settings) as engine:
        reading = read(
            page,
            rotation_from_exif=True,
            engine=engine,
            line_engine=recogniser,
            options=ocr.read_options(settings),
            passes=Passes(),
        )
    return reading.text, reading.notes


def test_implausible_years_are_re_read_from_the_recognisers_alternatives(archive_home: ArchiveHome) -> None:
    real = ocr.rapidocr_lines()
    text, notes = read_with(archive_home, Misreading(real, "1903-1245", "1903-1945", second=0.2))
    assert normalise(text) == normalise("СЕМЕНОВ ИВАН\n1903-1945")
    assert notes == ["years re-read from the recogniser's alternatives: '1903-1245' -> '1903-1945'"]


def test_years_no_likely_alternative_makes_plausible_stay_as_read(archive_home: ArchiveHome) -> None:
    # The true digit is a far outsider (e^-6.9 = 1/1000 is the most an alternative may lose).
    real = ocr.rapidocr_lines()
    text, notes = read_with(archive_home, Misreading(real, "1903-1245", "1903-1945", second=0.0005))
    assert normalise(text) == normalise("СЕМЕНОВ ИВАН\n1903-1245")
    assert notes == []


# -- names read by shape --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "word"),
    [
        ("CMHPHOB", "СМИРНОВ"),  # И read as H
        ("MOPO3OB", "МОРОЗОВ"),  # З as 3
        ("IYCEB", "ГУСЕВ"),  # Г as a stroke
        ("LIBETKOB", "ЦВЕТКОВ"),  # Ц as LI
        ("EFOPOBHA", "ЕГОРОВНА"),  # a patronymic
        ("CEPKAIT", "СЕРЖАНТ"),  # a rank, Ж as K, Н lost
        ("COAT", None),  # grass: four letters, none of them near a lexicon word
        ("ABC", None),  # too short to tell
        ("XQZWXQZW", None),
    ],
)
def test_a_shape_reading_is_restored_only_to_a_near_lexicon_word(reading: str, word: str | None) -> None:
    found = lookalikes.restore(reading)
    assert (found.word if found else None) == word


def test_a_restored_word_is_never_one_of_two_equally_near() -> None:
    # ГУСЕВ and ГУСЕВА are both one edit from a reading that lost the last letter of the other.
    assert lookalikes.restore("IYCEBA") is not None
    spelling = lookalikes.latin_spelling("ГУСЕВ")
    assert spelling == "TYCEB"


def test_a_line_tesseract_cannot_read_takes_the_restored_name(archive_home: ArchiveHome) -> None:
    # A worn line tesseract reads nothing of (its engine returns no words here, as on the
    # hard sample stones); the recogniser's shape reading of the surname is restored.
    def worn(pages: Sequence[Gray], languages: Sequence[str], psm: int, options: object) -> list[list[Word]]:
        return [[] for _ in pages]

    settings = load_settings(archive_home.config).ocr
    # The recogniser reads the names line as `MOPO3OB CEPE`: the surname is restored, the
    # cut-short given name is not (too short to tell).
    page = np.asarray(draw_inscription(["МОРОЗОВ СЕРГЕЙ", "1921-1945"]).convert("L"), dtype=np.uint8)
    reading = read(
        page,
        rotation_from_exif=True,
        engine=worn,
        line_engine=ocr.rapidocr_lines(),
        options=ocr.read_options(settings),
        passes=Passes(),
    )
    assert normalise(reading.text) == normalise("МОРОЗОВ\n1921-1945")
    assert reading.notes == ["restored from the recogniser's shape reading: 'MOPO3OB' -> 'МОРОЗОВ'"]


def test_a_page_without_plausible_years_is_detected_again_closer(
    archive_home: ArchiveHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Digits too faint for the detector's 960 px copy: the detector is made to find only
    # the names there (as on a worn stone), and finds the years at 1.5x the size.
    real = ocr.rapidocr_lines()
    detect = real.detect
    monkeypatch.setattr(real, "detect", lambda page: detect(page)[:2] if max(page.shape) <= 960 else detect(page))
    settings = load_settings(archive_home.config).ocr
    lines = ["ЗАЙЦЕВ БОРИС", "ВИКТОРОВИЧ", "1886-1965"]
    page = np.asarray(draw_inscription(lines, size=(2000, 1500), font_px=28).convert("L"), dtype=np.uint8)
    with ocr.engine_session(settings) as engine:
        passes = Passes()
        options = ocr.read_options(settings)
        reading = read(page, rotation_from_exif=True, engine=engine, line_engine=real, options=options, passes=passes)
    assert normalise(reading.text) == normalise("ЗАЙЦЕВ БОРИС\nВИКТОРОВИЧ\n1886-1965")
    assert reading.notes[0] == "no plausible years at 960 px: read at 1440 px"
    assert [label for label, _ in passes.timed][:3] == ["detect lines", "recognise lines", "lines psm 7"]
    assert "detect lines at 1440 px" in [label for label, _ in passes.timed]
