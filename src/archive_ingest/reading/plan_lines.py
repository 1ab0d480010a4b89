"""The line plan: a detector finds the lines, each line is read by the engine that reads it best.

Tesseract reads Cyrillic and Hangul but loses worn digits and often the lines themselves
on a busy photo; PP-OCR's detector finds text lines in any script and its recogniser
reads digits and Latin look-alikes well but knows no Cyrillic or Hangul. So:

1. Detect. The upright page, scaled to `detect_long_edge` and equalised (CLAHE), goes to
   the line engine's detector: text lines as quadrilaterals.
2. Orientation. EXIF orientation has already been applied. When EXIF named no rotation
   (and `sweep` is on), the lines say which way the page is turned: when most of the text
   area stands on end the page is a quarter turn out, else it is upright or upside down.
   The largest few lines are read both ways (90 vs 270, or 0 vs 180) by the recogniser
   and the way with the clearly higher confidence wins; upside down must beat upright by
   `HALF_TURN_MARGIN`, since most photos are upright.
3. Inscription. The lines are grouped by proximity and the main group is kept
   (`lines.inscription_lines`, at most `max_lines`); each line is cropped straight from
   the full-size upright page.
4. Recognise. Every line goes to the recogniser. A line in which it reads at least
   `YEAR_LINE_DIGITS` digits, and more digits than letters, is a line of years: it is
   decoded again restricted to digits and dashes (`ctc.best_path` with `YEAR_SYMBOLS`:
   a constrained re-read, so a worn `1` cannot become `[`). When the years so read make
   no plausible life span (`text.years.implausible`, or a digit run that is no year), the
   recogniser's own alternatives (`ctc.n_best`) are tried in order, and the first that
   makes a plausible span is kept if it is at most `MAX_ALTERNATIVE_COST` less probable
   than the best; the re-read is noted. Otherwise the reading stays as read (the extract
   stage flags it): the caption is never consulted here.
5. Other lines are read by tesseract with the configured languages, one line per page
   (psm 7), each scaled so its letters are about `letter_px` tall, padded, flattened
   against uneven light, in both polarities (all pages of a stone in one engine call);
   the better polarity of each line by `scoring.score` is kept.
6. Text. Words under `min_word_confidence` stay out of the text (as in the survey plan);
   lines are joined top to bottom, pieces of one row with a space.

A page on which the detector finds nothing is read by the survey plan instead
(`plan_survey.py`), so what tesseract alone found before is still found. The work per
image is fixed by the pixels and the settings: one detection, at most two orientation
reads of four lines, one recognition per line and one tesseract call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein

from ..text.years import find_life_spans, implausible
from . import images, lookalikes
from .base import Engine, LineEngine, Passes, Reading, ReadOptions
from .ctc import Decoded, Groups, LineProbabilities, Symbol, best_path, n_best
from .images import Gray
from .layout import Word, in_text, text_of
from .lines import Line, Quad, crop_line, inscription_lines, rows, turn_quads, vertical_share
from .scoring import score
from .scripts import CYRILLIC_TWINS, expected_scripts, letter_scripts, word_is_suspicious, wrong_script

#: A page whose lines hold no line of years is detected again this many times larger.
CLOSER = 1.5
#: A line with this many digits (and more digits than letters) is read as a line of years.
YEAR_LINE_DIGITS = 3
#: What a line of years may hold when it is re-read, and the recogniser's symbols for each:
#: digits, one dash for every dash it reads (`~` is how it reads a long dash), dots,
#: spaces, and the Russian year mark `Г` (`1920 Г.`), which it reads as the Latin letters
#: of its shape; without the mark a worn `Г` becomes a digit (`19197.` for `1919 Г.`).
YEAR_GROUPS = {
    **{digit: digit for digit in "0123456789"},
    "-": "-—–~‐‑‒―−=≥≤",
    ".": ".",
    " ": " ",
    "Г": "TtrF[Г",
}
#: An alternative reading of a line of years is taken only if it is at most this much less
#: probable (natural log: e^6.9 = 1000 times) than the best reading.
MAX_ALTERNATIVE_COST = 6.9
#: How many alternatives of a line of years are looked at.
ALTERNATIVES = 12
#: Orientation: the lines read to compare two ways up; a symbol read with this probability
#: is sure; upside down must give this many times as many sure symbols as upright, and
#: this many more, to win.
ORIENTATION_LINES = 4
SURE_SYMBOL = 0.9
HALF_TURN_FACTOR = 1.5
HALF_TURN_MARGIN = 4
#: The detector's boxes hold the letters with a margin: letters are about this share of
#: a line's height.
LETTER_SHARE = 0.7
#: Each line's box is widened by these shares of its height at both ends, and above and
#: below, before it is cropped (`lines.Line.widened`).
LINE_ENDS = 0.15
LINE_SIDES = 0.05
#: A line crop is padded by this share of its height before tesseract reads it.
LINE_PADDING = 0.25
#: A restored word replaces a tesseract word at most this many letters from it.
RESTORE_AGREEMENT = 2
#: The share of a stone's line area whose letters must be light (or dark) for its lines
#: to be read in that polarity only.
POLARITY_VOTE = 2 / 3

_DIGIT_RUN = re.compile(r"\d+")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")
_MARK_AFTER_YEAR = re.compile(r"(?<!\d)(\d{4})\s*Г\.?")
_STRAY_MARK = re.compile(r"(?<! )Г\.?|(?<=[^\d] )Г\.?|^Г\.?")
_DOT_BETWEEN_YEARS = re.compile(r"(?<![\d.])(\d{4}) ?\. ?(\d{4})(?![\d.])")
_DOT_BETWEEN_DATES = re.compile(r"(\d{1,2}\.\d{1,2}\.\d{4}) ?\. ?(\d{1,2}\.\d{1,2}\.\d{4})")
_DOT_BEFORE_DASH = re.compile(r"(?<!\d)(\d{4}) ?\.(?= ?-)")


@dataclass
class _LineRead:
    line: Line
    row: int
    crop: Gray
    seen: LineProbabilities
    free: Decoded
    words: list[Word]
    how: str
    """`years` (recogniser, digits only), `years re-read` (an alternative), `tesseract`,
    `shapes` (lexicon words restored from the recogniser's shape reading), or `none`."""
    inverted: bool = False
    """Tesseract read the line inverted (light letters on a dark stone)."""
    plausible: bool = False
    """A line of years whose years, as kept, are plausible (`plausible_years`)."""


def read_by_lines(
    upright: Gray,
    *,
    rotation_from_exif: bool,
    engine: Engine,
    line_engine: LineEngine,
    options: ReadOptions,
    passes: Passes,
) -> Reading | None:
    """Read the inscription on `upright` line by line, or None when no line is found.

    When two or more lines were found (an inscription's stack of lines) but no line of
    plausible years, and the page is larger than the detector's copy, the page is detected
    again at `CLOSER` times the size (small or faint digits the first copy blurred away),
    and that reading is kept if it has a line of plausible years. Pages with one line or
    none (ceremonies, monuments seen from afar) are not: on the tuning samples the closer
    look found nothing there, at 2 s a page.

    Raises whatever the engines raise (the stage turns their errors into flags).
    """
    first = _read_at(upright, options.detect_long_edge, rotation_from_exif, engine, line_engine, options, passes)
    if first is None:
        return None
    reading, plausible, lines = first
    closer = round(options.detect_long_edge * CLOSER)
    if plausible == 0 and lines >= 2 and max(upright.shape) > options.detect_long_edge * 1.2:
        second = _read_at(upright, closer, rotation_from_exif, engine, line_engine, options, passes)
        if second is not None and second[1] > 0:
            second[0].notes.insert(0, f"no plausible years at {options.detect_long_edge} px: read at {closer} px")
            return second[0]
    return reading


def _read_at(
    upright: Gray,
    detect_size: int,
    rotation_from_exif: bool,
    engine: Engine,
    line_engine: LineEngine,
    options: ReadOptions,
    passes: Passes,
) -> tuple[Reading, int, int] | None:
    """The reading with the detector on a copy `detect_size` px long, its lines of plausible years, its lines."""
    page, factor = images.fit(upright, detect_size)
    label = "" if detect_size == options.detect_long_edge else f" at {detect_size} px"
    quads: list[Quad] = passes.detect(f"detect lines{label}", line_engine, images.equalise(page))
    rotation, method = 0, ("exif" if rotation_from_exif else "none")
    sweep = not rotation_from_exif and options.sweep
    if quads and sweep:
        rotation = _orientation(page, quads, line_engine, passes)
        quads = turn_quads(quads, rotation, (page.shape[1], page.shape[0])) if rotation else quads
    elif sweep:
        # The detector finds no text standing on end: look on the page turned a quarter.
        rotation, quads = _quarter_turn(page, line_engine, passes)
    if not quads:
        return None
    if rotation:
        method = "sweep"
    work = images.rotate_quarter(upright, rotation)
    lines = inscription_lines([quad / np.float32(factor) for quad in quads], options.max_lines)
    if not lines:
        return None
    lines = [line.widened(LINE_ENDS, LINE_SIDES) for line in lines]
    notes: list[str] = []
    crops = [crop_line(work, line) for line in lines]
    seen = passes.recognise(f"recognise lines{label}", line_engine, crops)
    charset = line_engine.charset
    reads = [
        _LineRead(line, row, crop, probabilities, best_path(probabilities.probabilities, charset), [], "none")
        for line, row, crop, probabilities in zip(lines, rows(lines), crops, seen, strict=True)
    ]
    text_lines = []
    for read in reads:
        if _is_year_line(read.free.text):
            _read_years(read, charset, notes)
        else:
            text_lines.append(read)
    _read_text(text_lines, engine, options, passes)
    for read in text_lines:
        _restore_shapes(read, options.languages, notes)
    return _reading(reads, rotation, method, options, passes, notes), sum(read.plausible for read in reads), len(reads)


def _orientation(page: Gray, quads: list[Quad], line_engine: LineEngine, passes: Passes) -> int:
    """Degrees clockwise to turn the page upright, by how much the recogniser reads with confidence.

    The measure is the number of symbols read with a probability of at least
    `SURE_SYMBOL`: digits and Latin letters read the right way up are nearly all sure,
    upside down hardly any; Cyrillic and Hangul, which the recogniser does not know, give
    few either way, so upside down must win clearly (`HALF_TURN_FACTOR` and
    `HALF_TURN_MARGIN` more) to turn an upright-looking page.
    """
    size = (page.shape[1], page.shape[0])
    choices = (90, 270) if vertical_share(quads) > 0.5 else (0, 180)
    sure = {
        degrees: _sure_symbols(
            images.rotate_quarter(page, degrees), turn_quads(quads, degrees, size), line_engine, passes, degrees
        )
        for degrees in choices
    }
    if choices == (0, 180):
        upside_down = sure[180] >= HALF_TURN_FACTOR * sure[0] and sure[180] >= sure[0] + HALF_TURN_MARGIN
        return 180 if upside_down else 0
    return 90 if sure[90] >= sure[270] else 270


def _quarter_turn(page: Gray, line_engine: LineEngine, passes: Passes) -> tuple[int, list[Quad]]:
    """(90 or 270, the lines found on the page so turned), or (0, []) when neither shows text.

    When both do, the way the recogniser reads more surely wins (see `_orientation`).
    """
    found = {
        degrees: passes.detect(
            f"detect lines {degrees}", line_engine, images.equalise(images.rotate_quarter(page, degrees))
        )
        for degrees in (90, 270)
    }
    if not found[90] and not found[270]:
        return 0, []
    if not found[90] or not found[270]:
        degrees = 90 if found[90] else 270
        return degrees, found[degrees]
    sure = {
        degrees: _sure_symbols(images.rotate_quarter(page, degrees), quads, line_engine, passes, degrees)
        for degrees, quads in found.items()
    }
    degrees = 90 if sure[90] >= sure[270] else 270
    return degrees, found[degrees]


def _sure_symbols(page: Gray, quads: list[Quad], line_engine: LineEngine, passes: Passes, degrees: int) -> int:
    """How many symbols the recogniser reads surely (`SURE_SYMBOL`) on the largest lines of `page`."""
    lines = inscription_lines(quads, ORIENTATION_LINES)
    seen = passes.recognise(f"orientation {degrees}", line_engine, [crop_line(page, line) for line in lines])
    decoded = [best_path(s.probabilities, line_engine.charset) for s in seen]
    return sum(1 for d in decoded for symbol in d.symbols if symbol.probability >= SURE_SYMBOL)


def _is_year_line(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    return digits >= YEAR_LINE_DIGITS and digits > letters


def plausible_years(text: str) -> bool:
    """Whether a line of years reads as plausible years and nothing else that looks like digits.

    Every digit run must be a four-digit year or part of a day-first date; the life spans
    read from it (or, without one, each lone year as a year of death) must pass
    `text.years.implausible`.
    """
    undated = _DATE.sub(" ", text)
    runs = _DIGIT_RUN.findall(undated)
    dated = _DATE.findall(text)
    if not runs and not dated:
        return False
    if any(len(run) != 4 for run in runs):
        return False
    spans = find_life_spans(text, allow_shorthand=False)
    if spans:
        return all(
            implausible(span.birth_year, span.death_year, span.birth_date, span.death_date) is None for span in spans
        )
    return all(implausible(None, int(run)) is None for run in runs) and not dated


def tidy_years(text: str) -> str:
    """A line of years as the constrained re-read gave it, in the forms `text/years.py` reads.

    The year mark stays only right after a year (`1920Г.` -> `1920 Г.`); a dot between two
    bare years is the dash the recogniser saw as a dot (`1917.1952` -> `1917-1952`, dates
    such as `08.03.1923` are left alone, but a dot between two dates is their dash); a dot
    between a year and a dash is what is left of a worn mark and goes; spaces are collapsed.
    """
    text = _MARK_AFTER_YEAR.sub(r"\1 Г.", text)
    text = _STRAY_MARK.sub("", text)
    text = _DOT_BETWEEN_YEARS.sub(r"\1-\2", text)
    text = _DOT_BETWEEN_DATES.sub(r"\1-\2", text)
    text = _DOT_BEFORE_DASH.sub(r"\1", text)
    return " ".join(text.split())


def _read_years(read: _LineRead, charset: Sequence[str], notes: list[str]) -> None:
    groups = Groups.of(charset, YEAR_GROUPS)
    digits = best_path(read.seen.probabilities, charset, groups)
    read.how = "years"
    text = tidy_years(digits.text)
    if not plausible_years(text):
        alternatives = n_best(read.seen.probabilities, groups, beam=ALTERNATIVES, count=ALTERNATIVES)
        if alternatives:
            best_cost = alternatives[0][1]
            for alternative, log_probability in alternatives:
                if best_cost - log_probability > MAX_ALTERNATIVE_COST:
                    break
                alternative = tidy_years(alternative)
                if plausible_years(alternative):
                    notes.append(f"years re-read from the recogniser's alternatives: '{text}' -> '{alternative}'")
                    per_symbol = np.exp(log_probability / max(1, len(alternative)))
                    read.words = _words_of_text(alternative, read, float(100 * per_symbol))
                    read.how = "years re-read"
                    read.plausible = True
                    return
    read.plausible = plausible_years(text)
    if text != digits.text.strip():
        read.words = _words_of_text(text, read, 100 * digits.confidence)
    else:
        read.words = _words_of_decoded(digits, read)


def _words_of_decoded(decoded: Decoded, read: _LineRead) -> list[Word]:
    """Words split at spaces, each boxed by the frames its symbols were read in."""
    words: list[Word] = []
    current: list[Symbol] = []
    for symbol in [*decoded.symbols, None]:
        if symbol is None or symbol.text.isspace():
            if current:
                text = "".join(s.text for s in current)
                confidence = 100 * fmean(s.probability for s in current)
                left = current[0].frame * read.seen.pixels_per_frame
                right = (current[-1].frame + 1) * read.seen.pixels_per_frame
                words.append(Word(text, round(confidence, 2), _box_in_page(read, left, right), (1, 1, read.row + 1)))
            current = []
        else:
            current.append(symbol)
    return words


def _words_of_text(text: str, read: _LineRead, confidence: float) -> list[Word]:
    """Words of an alternative reading (no frames of its own): spread along the line."""
    tokens = text.split()
    width = read.crop.shape[1]
    total = max(1, len(text))
    words, offset = [], 0
    for token in tokens:
        start = text.index(token, offset)
        offset = start + len(token)
        box = _box_in_page(read, width * start / total, width * offset / total)
        words.append(Word(token, round(confidence, 2), box, (1, 1, read.row + 1)))
    return words


def _box_in_page(read: _LineRead, left: float, right: float) -> tuple[int, int, int, int]:
    """The box (left, top, width, height) in the upright page of a span of the line crop."""
    height = read.crop.shape[0]
    corners = np.array([[[left, 0], [right, 0], [right, height], [left, height]]], dtype=np.float32)
    return _to_page(read.line, read.crop.shape, corners)


def _to_page(line: Line, crop_shape: tuple[int, ...], corners: np.ndarray) -> tuple[int, int, int, int]:
    height, width = crop_shape[:2]
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    back = cv2.getPerspectiveTransform(target, line.quad)
    points = cv2.perspectiveTransform(corners, back)[0]
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return (round(float(x0)), round(float(y0)), round(float(x1 - x0)), round(float(y1 - y0)))


@dataclass(frozen=True)
class _Page:
    """A line crop prepared for tesseract, and how to map its words back."""

    position: int
    """The line's index among the lines tesseract reads."""
    read: _LineRead
    pixels: Gray
    light: bool
    """The letters were light on dark and the page was inverted."""
    factor: float
    margin: int


def _read_text(reads: list[_LineRead], engine: Engine, options: ReadOptions, passes: Passes) -> None:
    """Tesseract reads the lines that are not years, one page per line (psm 7).

    Polarity: the letters of one stone are all light or all dark, so the stone's lines
    vote (Otsu's minority class, `images.letters_are_light`, weighted by line area); a clear
    vote (`POLARITY_VOTE`) reads each line once, else both ways. A line whose reading is
    empty or in the wrong alphabet (`scripts.word_is_suspicious`: the English model read
    Cyrillic by shape) is read again in one more call: the other polarity with the
    configured languages, and the kept polarity with the languages that write no Latin.
    The reading with the best `scoring.score` is kept.
    """
    if not reads:
        return
    light_votes = sum(read.line.area for read in reads if images.letters_are_light(read.crop, even_light=True))
    light_share = light_votes / max(1e-9, sum(read.line.area for read in reads))
    if light_share >= POLARITY_VOTE:
        polarities = [True]
    elif light_share <= 1 - POLARITY_VOTE:
        polarities = [False]
    else:
        polarities = [False, True]
    pages = [_page(position, read, light, options) for position, read in enumerate(reads) for light in polarities]
    found = passes.tesseract("lines psm 7", engine, [p.pixels for p in pages], options.languages, 7, {})
    best: dict[int, tuple[float, _Page, list[Word]]] = {}
    for page, words in zip(pages, found, strict=True):
        _keep(best, page, words, options.languages)
    retry = [index for index, (_, _, words) in best.items() if _doubtful(words, options.languages)]
    if retry:
        non_latin = [lang for lang in options.languages if expected_scripts([lang]) != {"latin"}]
        others: list[tuple[_Page, Sequence[str]]] = []
        for index in retry:
            kept_page = best[index][1]
            if len(polarities) == 1:
                others.append((_page(index, reads[index], not kept_page.light, options), options.languages))
            if non_latin and non_latin != list(options.languages):
                others.append((kept_page, non_latin))
        for languages in {tuple(langs) for _, langs in others}:
            batch = [page for page, langs in others if tuple(langs) == languages]
            label = "lines psm 7, again" + (
                "" if list(languages) == list(options.languages) else f" ({'+'.join(languages)})"
            )
            for page, words in zip(
                batch, passes.tesseract(label, engine, [p.pixels for p in batch], languages, 7, {}), strict=True
            ):
                _keep(best, page, words, options.languages)
    for index, read in enumerate(reads):
        _, page, words = best[index]
        read.how = "tesseract"
        read.inverted = page.light
        read.words = [_tesseract_word(word, page) for word in words]


def _page(position: int, read: _LineRead, light: bool, options: ReadOptions) -> _Page:
    """The line scaled to `letter_px` letters, dark on light, flattened, then padded in white."""
    factor = options.letter_px / max(1.0, LETTER_SHARE * read.crop.shape[0])
    scaled = images.scale(read.crop, factor)
    flat = images.flatten(images.invert(scaled) if light else scaled, options.letter_px)
    margin = round(LINE_PADDING * scaled.shape[0])
    return _Page(position, read, images.pad(flat, margin, ground=255), light, factor, margin)


def _keep(
    best: dict[int, tuple[float, _Page, list[Word]]], page: _Page, words: list[Word], languages: Sequence[str]
) -> None:
    found = score(words, languages)
    if page.position not in best or found > best[page.position][0]:
        best[page.position] = (found, page, words)


def _doubtful(words: list[Word], languages: Sequence[str]) -> bool:
    """Nothing confident was read, or a word looks like another alphabet read by shape.

    Besides `scripts.word_is_suspicious`, a short Latin word of Cyrillic look-alike letters
    on a line with Cyrillic words is doubtful (`TEH ИВАН`: the English model won `ТЁН`).
    """
    letters = [word for word in words if word.alnum and word.confidence >= 40]
    if not letters or any(word_is_suspicious(word.text, languages) for word in letters):
        return True
    cyrillic = any(letter_scripts(word.text).get("cyrillic") for word in letters)
    return cyrillic and any(_latin_lookalikes(word.text) for word in letters)


def _latin_lookalikes(word: str) -> bool:
    letters = [char for char in word if char.isalpha()]
    return bool(letters) and all(char.upper() in CYRILLIC_TWINS for char in letters)


def _restore_shapes(read: _LineRead, languages: Sequence[str], notes: list[str]) -> None:
    """Words of the lexicon the recogniser read by shape (`lookalikes.restore`), where tesseract failed.

    A line on which tesseract kept nothing confident, or only words in the wrong alphabet
    (`_doubtful`), takes the restored words instead (each word's confidence is the
    recogniser's, lowered by the share of letters that had to change). On a line that
    tesseract did read, a restored word replaces only a tesseract word that is not in the
    lexicon and is at most `RESTORE_AGREEMENT` letters from it: both engines then point at
    the same word. Each change is noted.
    """
    restored = []
    evidence = [word.text for word in read.words]
    for token in _words_of_decoded(read.free, read):
        sure = token.confidence >= 100 * lookalikes.MIN_CONFIDENCE
        found = lookalikes.restore(token.text, evidence) if sure else None
        if found is not None:
            share = found.distance / max(1, token.alnum)
            restored.append(
                (token, found, Word(found.word, round(token.confidence * (1 - share), 2), token.box, token.line))
            )
    if not restored:
        return
    if _doubtful(read.words, languages):
        kept = ", ".join(f"'{token.text}' -> '{found.word}'" for token, found, _ in restored)
        notes.append(f"restored from the recogniser's shape reading: {kept}")
        read.words = [word for _, _, word in restored]
        read.how = "shapes"
        return
    for _, found, word in restored:
        for index, mine in enumerate(read.words):
            near = Levenshtein.distance(mine.text.upper().replace("Ё", "Е"), found.word.replace("Ё", "Е"))
            if 0 < near <= RESTORE_AGREEMENT and not lookalikes.in_lexicon(mine.text) and mine.alnum >= 3:
                notes.append(f"'{mine.text}' -> '{found.word}' (tesseract and the recogniser's shape reading)")
                read.words[index] = Word(found.word, max(mine.confidence, word.confidence), mine.box, mine.line)
                break


def _tesseract_word(word: Word, page: _Page) -> Word:
    left, top, width, height = word.box
    x0, x1 = (left - page.margin) / page.factor, (left + width - page.margin) / page.factor
    y0, y1 = (top - page.margin) / page.factor, (top + height - page.margin) / page.factor
    corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float32)
    read = page.read
    return Word(word.text, word.confidence, _to_page(read.line, read.crop.shape, corners), (1, 1, read.row + 1))


def _reading(
    reads: list[_LineRead], rotation: int, method: str, options: ReadOptions, passes: Passes, notes: list[str]
) -> Reading:
    words = [word for read in reads for word in read.words]
    kept = [word for word in words if in_text(word, options.min_word_confidence)]
    hows = [read.how for read in reads]
    steps = [f"detect:{len(reads)} lines", "crop"]
    for how in ("years", "years re-read", "tesseract", "shapes"):
        if hows.count(how):
            steps.append(f"{how}:{hows.count(how)}")
    if "tesseract" in hows:
        steps += ["invert", "flatten"] if any(read.inverted for read in reads) else ["flatten"]
    return Reading(
        text=text_of(kept),
        confidence=round(fmean(w.confidence for w in kept), 1) if kept else None,
        words=words,
        rotation=rotation,
        rotation_method=method,
        preprocess=steps,
        psm=7 if "tesseract" in hows else None,
        wrong_script=wrong_script([w.text for w in kept], list(options.languages)),
        candidates=2 * hows.count("tesseract") + hows.count("years") + hows.count("years re-read"),
        engine_calls=passes.calls,
        notes=notes,
        passes=passes.timed,
    )
