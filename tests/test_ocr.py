"""OCR with real tesseract on drawn inscriptions: orientation, stone conditions, scripts, failures.

Every test that reads runs with each engine (`ocr.engine`): pytesseract, and tesserocr
when it is installed (`pip install archive-ingest[fast]`; skipped otherwise).

Each reading test draws a stone with `scanmaker`, states the text carved on it, and
compares after `search.normalise` (tesseract reads Ё as Е). Images are small so the
whole file stays well under a minute.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archive_ingest.config import OcrSettings
from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.stages import ocr, ocr_engines, ocr_lines
from archive_ingest.reading import Reading, wrong_script
from archive_ingest.reading import scripts as script_rules
from archive_ingest.reading.layout import Word, inscription_box
from archive_ingest.reading.scoring import score
from archive_ingest.record import FileInfo, FlagCode, Kind, Record, Source
from archive_ingest.search import normalise
from conftest import ArchiveHome
from scanmaker import ExifSpec, draw_inscription, make_scan, store_for_orientation

LANGUAGES = ["rus", "kor", "eng"]

HAS_TESSEROCR = importlib.util.find_spec("tesserocr") is not None
ENGINES = [
    pytest.param("pytesseract"),
    pytest.param(
        "tesserocr",
        marks=pytest.mark.skipif(
            not HAS_TESSEROCR, reason="tesserocr is not installed (pip install archive-ingest[fast])"
        ),
    ),
]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The `ocr.engine` a test reads with: each engine in turn."""
    name: str = request.param
    return name


def context_with(archive_home: ArchiveHome, engine: str, extra: str = "") -> RunContext:
    archive_home.config.write_text(f"ocr:\n  engine: {engine}\n{extra}", encoding="utf-8")
    context = RunContext(settings=archive_home.settings())
    ocr.open_stage(context)
    return context


@pytest.fixture
def ctx(archive_home: ArchiveHome, engine: str) -> RunContext:
    return context_with(archive_home, engine)


def record_for(name: str, orientation: int | None = None) -> Record:
    record = Record(id="t", kind=Kind.PHOTO, source=Source(filename=name), file=FileInfo(sha256="0" * 64, bytes=1))
    record.exif.orientation = orientation
    return record


def test_open_records_the_engine_version(ctx: RunContext, engine: str) -> None:
    expected = "tesseract 5." if engine == "pytesseract" else "tesserocr "
    assert ctx.engines["tesseract"].startswith(expected)
    if engine == "tesserocr":
        assert " (tesseract 5." in ctx.engines["tesseract"]


def test_auto_prefers_tesserocr_when_installed(archive_home: ArchiveHome) -> None:
    context = context_with(archive_home, "auto")
    expected = "tesserocr " if HAS_TESSEROCR else "tesseract 5."
    assert context.engines["tesseract"].startswith(expected)


def test_reads_cyrillic_and_years(ctx: RunContext) -> None:
    make_scan(ctx.inbox / "a.png", ["ТЁН ИВАН", "1884-1949"])
    record = ocr.run(record_for("a.png"), ctx)
    assert normalise(record.ocr.text) == normalise("ТЕН ИВАН\n1884-1949")
    assert record.ocr.confidence is not None and record.ocr.confidence > 80
    assert record.events[-1].detail.startswith("3 words, mean confidence ")


def test_reads_hangul(ctx: RunContext) -> None:
    make_scan(ctx.inbox / "k.png", ["소련군 렬사묘"], font_px=80)
    # With rus+kor+eng tesseract splits some Hangul words into syllables ("렬 사 묘"), and
    # sparse-text mode may put each on its own line; the letters come back exactly.
    assert "".join(ocr.run(record_for("k.png"), ctx).ocr.text.split()) == "소련군렬사묘"


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_applies_exif_orientation(ctx: RunContext, orientation: int) -> None:
    make_scan(ctx.inbox / "r.jpg", ["ПЕТРОВ СЕРГЕЙ", "1921-1945"], exif=ExifSpec(orientation=orientation))
    record = ocr.run(record_for("r.jpg", orientation), ctx)
    assert normalise(record.ocr.text) == normalise("ПЕТРОВ СЕРГЕЙ\n1921-1945")


def test_large_scans_are_read_from_a_scaled_copy(ctx: RunContext) -> None:
    image = draw_inscription(["ВЕЧНАЯ СЛАВА"], font_px=200)
    prepared = ocr.prepare_image(store_for_orientation(image, 6), 6, max_long_edge=800)
    assert max(prepared.size) == 800
    assert prepared.width > prepared.height  # turned upright: the line is wide again
    assert prepared.mode == "L"


def test_blank_image_reads_nothing(ctx: RunContext) -> None:
    Image.new("RGB", (400, 300), (230, 230, 230)).save(ctx.inbox / "blank.png")
    record = ocr.run(record_for("blank.png"), ctx)
    assert (record.ocr.text, record.ocr.confidence) == ("", None)
    assert record.events[-1].detail.startswith("no text found; rotation 0 (none), psm 11")
    assert record.flags == []


def test_timeout_is_a_failure_not_an_empty_text(archive_home: ArchiveHome, engine: str) -> None:
    context = context_with(archive_home, engine, "  timeout_seconds: 0.01\n")
    make_scan(context.inbox / "slow.png", ["ТЕСТ"] * 8)
    record = ocr.run(record_for("slow.png"), context)
    assert [f.code for f in record.flags] == ["ocr_failed"]
    assert record.flags[0].detail.startswith("tesseract stopped after 0.01 s")
    assert record.events[-1].outcome == "failure"


def test_unreadable_image_is_a_failure(ctx: RunContext) -> None:
    Path(ctx.inbox / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    record = ocr.run(record_for("bad.png"), ctx)
    assert [f.code for f in record.flags] == ["ocr_failed"]
    assert record.flags[0].detail.startswith("cannot prepare the image for OCR: ")


# -- orientation: the sweep when EXIF says nothing ----------------------------------------------

SIDEWAYS = ["ПЕТРОВ СЕРГЕЙ", "1921-1945"]


@pytest.mark.parametrize("turned_cw", [90, 180, 270])
def test_sweep_finds_upright_without_exif(ctx: RunContext, turned_cw: int) -> None:
    # A scan fed sideways or upside down, with no EXIF to say so.
    upright = draw_inscription(SIDEWAYS)
    upright.rotate(-turned_cw, expand=True).save(ctx.inbox / "side.png")
    record = ocr.run(record_for("side.png"), ctx)
    assert normalise(record.ocr.text) == normalise("ПЕТРОВ СЕРГЕЙ\n1921-1945")
    assert record.ocr.rotation == (360 - turned_cw) % 360
    assert record.ocr.rotation_method == "sweep"


def test_upright_scan_without_exif_is_not_turned(ctx: RunContext) -> None:
    make_scan(ctx.inbox / "u.png", SIDEWAYS)
    record = ocr.run(record_for("u.png"), ctx)
    assert (record.ocr.rotation, record.ocr.rotation_method) == (0, "none")


def test_exif_rotation_is_recorded(ctx: RunContext) -> None:
    make_scan(ctx.inbox / "e.jpg", SIDEWAYS, exif=ExifSpec(orientation=6))
    record = ocr.run(record_for("e.jpg", 6), ctx)
    assert (record.ocr.rotation, record.ocr.rotation_method) == (0, "exif")
    assert normalise(record.ocr.text) == normalise("ПЕТРОВ СЕРГЕЙ\n1921-1945")


# -- stone conditions -----------------------------------------------------------------------------


def test_light_letters_on_dark_stone(ctx: RunContext) -> None:
    # Black granite with painted letters: lighter than the stone.
    draw_inscription(["СМИРНОВ ПАВЕЛ", "1926-1945"], background=35, ink=215).save(ctx.inbox / "dark.png")
    record = ocr.run(record_for("dark.png"), ctx)
    assert normalise(record.ocr.text) == normalise("СМИРНОВ ПАВЕЛ\n1926-1945")
    assert "invert" in record.ocr.preprocess


def test_skewed_stone(ctx: RunContext) -> None:
    image = draw_inscription(["ОРЛОВ АЛЕКСАНДР", "1919-1945"], background=235)
    image.rotate(4, expand=True, fillcolor=(235, 235, 235), resample=Image.Resampling.BICUBIC).save(
        ctx.inbox / "skew.png"
    )
    record = ocr.run(record_for("skew.png"), ctx)
    assert normalise(record.ocr.text) == normalise("ОРЛОВ АЛЕКСАНДР\n1919-1945")


def test_low_contrast_with_uneven_light(ctx: RunContext) -> None:
    # Grey letters on a grey stone (contrast 45 of 255), lit from the left: the right
    # half of the stone is darker than the letters on the left half.
    image = draw_inscription(["ЛЕБЕДЕВ ВЛАДИМИР", "1918-1959"], background=170, ink=125).convert("L")
    pixels = np.asarray(image, dtype=np.float32)
    light = np.linspace(1.15, 0.55, pixels.shape[1], dtype=np.float32)
    Image.fromarray(np.clip(pixels * light, 0, 255).astype(np.uint8)).save(ctx.inbox / "dim.png")
    record = ocr.run(record_for("dim.png"), ctx)
    assert normalise(record.ocr.text) == normalise("ЛЕБЕДЕВ ВЛАДИМИР\n1918-1959")


def test_small_letters_in_a_big_image(ctx: RunContext) -> None:
    # Letters 26 px high in a 2400 x 1800 photo: the detector finds the two lines, each is
    # cropped and enlarged for tesseract.
    draw_inscription(["ЗАЙЦЕВ БОРИС", "1886-1965"], size=(2400, 1800), font_px=26).save(ctx.inbox / "far.png")
    record = ocr.run(record_for("far.png"), ctx)
    assert normalise(record.ocr.text) == normalise("ЗАЙЦЕВ БОРИС\n1886-1965")
    assert record.ocr.preprocess[:2] == ["detect:2 lines", "crop"]
    # Word boxes are in the pixels of the upright copy that was read (2400 px scaled to
    # ocr.max_long_edge = 2000): the first line starts left of centre, 861 * 2000/2400 = 718
    # px down (draw_inscription centres the two 39 px lines in 1800 px).
    box = record.ocr.words[0].box
    assert 850 < box[0] < 1000 and 705 < box[1] < 730


def test_words_and_decisions_are_recorded(ctx: RunContext) -> None:
    make_scan(ctx.inbox / "w.png", ["ТЁН ИВАН", "1884-1949"])
    record = ocr.run(record_for("w.png"), ctx)
    # The names line is read by tesseract, the years line by the line engine's recogniser.
    assert [normalise(w.text) for w in record.ocr.words] == ["тен", "иван", "1884-1949"]
    assert all(w.confidence > 80 for w in record.ocr.words)
    assert record.ocr.psm == 7
    assert record.ocr.preprocess[:4] == ["detect:2 lines", "crop", "years:1", "tesseract:1"]
    assert record.ocr.preprocess[-1] == "flatten"
    assert "; rapidocr " in (record.ocr.engine or "")
    assert "tesseract calls" in record.events[-1].detail
    # Each word's box lies on its line of the drawn stone: the years below the names.
    names, years = record.ocr.words[0].box, record.ocr.words[2].box
    assert names[1] + names[3] <= years[1] + 2


def test_survey_plan_reads_without_a_line_engine(archive_home: ArchiveHome, engine: str) -> None:
    context = context_with(archive_home, engine, "  line_engine: none\n")
    make_scan(context.inbox / "s.png", ["ТЁН ИВАН", "1884-1949"])
    record = ocr.run(record_for("s.png"), context)
    assert normalise(record.ocr.text) == normalise("ТЕН ИВАН\n1884-1949")
    assert record.ocr.preprocess[0] == "grayscale" and record.ocr.psm in (6, 11)
    assert "rapidocr" not in (record.ocr.engine or "")


def test_the_survey_plan_reads_what_the_detector_misses(ctx: RunContext, monkeypatch: pytest.MonkeyPatch) -> None:
    # A detector that finds nothing (as on some worn stones): tesseract's survey reads the page.
    lines = ocr.line_engine(ctx.settings.ocr)
    assert lines is not None
    monkeypatch.setattr(lines, "detect", lambda page: [])
    make_scan(ctx.inbox / "f.png", ["ТЁН ИВАН", "1884-1949"])
    record = ocr.run(record_for("f.png"), ctx)
    assert normalise(record.ocr.text) == normalise("ТЕН ИВАН\n1884-1949")
    assert "the line detector found no text: read by tesseract's survey" in record.events[-1].detail


def busy(seconds: float) -> None:
    """Keep one core fully busy for `seconds` (a process, so it competes with tesseract for real)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_same_pixels_give_the_same_record_on_a_busy_machine(
    archive_home: ArchiveHome, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 12: a wall-clock budget once let a busy machine try fewer candidates, so the same
    # drop gave different records. Read a batch, then read it again with every engine call
    # made slow and both cores taken by other work: every record must come out the same.
    context = context_with(archive_home, engine)
    make_scan(context.inbox / "plain.png", ["ТЁН ИВАН", "1884-1949"])
    draw_inscription(["СМИРНОВ ПАВЕЛ", "1926-1945"], background=35, ink=215).save(context.inbox / "dark.png")
    draw_inscription(["ПЕТРОВ СЕРГЕЙ", "1921-1945"]).rotate(-90, expand=True).save(context.inbox / "side.png")
    make_scan(context.inbox / "blank.png", [])
    names = ["plain.png", "dark.png", "side.png", "blank.png"]

    def read_all() -> list[dict[str, object]]:
        records = [ocr.run(record_for(name), context).to_json() for name in names]
        for record in records:
            for event in record["events"]:  # type: ignore[attr-defined]
                event.pop("at")
        return records

    calm = read_all()

    def slowed(call: Callable[..., object]) -> Callable[..., object]:
        def slow_call(*args: object, **kwargs: object) -> object:
            time.sleep(0.25)
            return call(*args, **kwargs)

        return slow_call

    for owner, method in (
        (ocr_engines.PytesseractEngine, "__call__"),
        (ocr_engines.TesserocrEngine, "__call__"),
        (ocr_lines.RapidocrLines, "detect"),
        (ocr_lines.RapidocrLines, "recognise"),
    ):
        monkeypatch.setattr(owner, method, slowed(getattr(owner, method)))
    with multiprocessing.get_context("spawn").Pool(2) as hogs:
        load = hogs.map_async(busy, [20.0, 20.0])
        hurried = read_all()
        hogs.terminate()
        del load
    assert hurried == calm
    assert normalise(str(calm[0]["ocr"]["text"])) == normalise("ТЕН ИВАН\n1884-1949")  # type: ignore[index]


def test_an_old_time_budget_setting_is_accepted_and_changes_nothing(archive_home: ArchiveHome, engine: str) -> None:
    # pipeline.yaml files written before reading became independent of the clock still load.
    context = context_with(archive_home, engine, "  time_budget_seconds: 0.01\n")
    make_scan(context.inbox / "b.png", ["ТЁН ИВАН", "1884-1949"])
    record = ocr.run(record_for("b.png"), context)
    assert normalise(record.ocr.text) == normalise("ТЕН ИВАН\n1884-1949")
    assert "skipped" not in record.events[-1].detail


# -- wrong script ---------------------------------------------------------------------------------


def test_english_model_reading_cyrillic_is_wrong_script(tmp_path: Path, engine: str) -> None:
    # The failure the check exists for, produced by real tesseract: the English model
    # reads Cyrillic by shape, confidently.
    draw_inscription(["СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ", "1926-1945"]).convert("L").save(tmp_path / "c.png")
    reader: ocr.Engine
    if engine == "pytesseract":
        reader = ocr_engines.PytesseractEngine(tmp_path, timeout=60)
    else:
        reader = ocr_engines.tesserocr_engine(timeout=60)
    page = np.asarray(Image.open(tmp_path / "c.png"))
    words = [w.text for w in reader([page], ["eng"], 6, {})[0]]
    assert not any(script_rules.script_of(c) == "cyrillic" for c in "".join(words))
    detail = wrong_script(words, LANGUAGES)
    assert detail is not None and detail.startswith("3 of 3 words look like Cyrillic read as Latin")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["ТЁН", "ИВАН", "1884-1949"], None),
        (["REST", "IN", "PEACE"], None),  # real English on a Russian stone
        (["СЕРГЕЙ", "1903", "-", "1963", "REST", "IN", "PEACE"], None),
        (["소련군", "렬사묘"], None),
        (["HEU3BECTHbIN", "COJIDAT"], "2 of 2 words look like Cyrillic read as Latin or mix alphabets (e.g. "),
        (["CMUPHOB", "BAKTOPOBUY", "1926"], "2 of 2 words look like Cyrillic read as Latin or mix alphabets (e.g. "),
        (["CMИPHOB", "ПAВEЛ"], "2 of 2 words look like Cyrillic read as Latin or mix alphabets (e.g. "),
        (["PEACE", "ИВАН", "ПЕТРОВ"], None),  # one look-alike word is not enough
    ],
)
def test_wrong_script_rules(words: list[str], expected: str | None) -> None:
    detail = wrong_script(words, LANGUAGES)
    if expected is None:
        assert detail is None
    else:
        assert detail is not None and detail.startswith(expected)


def test_letters_no_configured_language_writes() -> None:
    cyrillic = "100% of the letters read are cyrillic, which none of eng writes"
    assert wrong_script(["ИВАН", "ПЕТРОВ"], ["eng"]) == cyrillic
    assert wrong_script(["IVAN", "PETROV"], ["rus"]) == "100% of the letters read are latin, which none of rus writes"


def test_wrong_script_reading_is_flagged(ctx: RunContext, monkeypatch: pytest.MonkeyPatch) -> None:
    # The stage's part: a reading judged wrong-script becomes a flag and a warning event.
    def gibberish(path: Path, orientation: int | None, settings: OcrSettings) -> Reading:
        words = [Word("CMUPHOB", 91.0, (10, 10, 200, 40)), Word("NABEJI", 88.0, (220, 10, 160, 40))]
        detail = wrong_script([w.text for w in words], settings.languages)
        return Reading("CMUPHOB NABEJI", 89.5, words, 0, "none", ["grayscale"], 6, detail, 2, 2)

    monkeypatch.setattr(ocr, "read_inscription", gibberish)
    make_scan(ctx.inbox / "g.png", ["СМИРНОВ ПАВЕЛ"])
    record = ocr.run(record_for("g.png"), ctx)
    assert [(f.code, f.detail) for f in record.flags] == [
        (
            FlagCode.OCR_WRONG_SCRIPT,
            "2 of 2 words look like Cyrillic read as Latin or mix alphabets (e.g. 'CMUPHOB', 'NABEJI')",
        )
    ]
    assert record.events[-1].outcome == "warning"


# -- score and layout -------------------------------------------------------------------------------


def test_score_prefers_more_real_text_and_years() -> None:
    one_word = [Word("ИВАН", 96, (0, 0, 10, 10))]
    full = [Word("ТЕН", 90, (0, 0, 10, 10)), Word("ИВАН", 92, (0, 0, 10, 10)), Word("1884-1949", 95, (0, 0, 10, 10))]
    grain = [*full, *(Word("|", 20, (0, 0, 2, 10)) for _ in range(30))]
    assert score(full, LANGUAGES) > score(one_word, LANGUAGES)
    assert score(full, LANGUAGES) > score(grain, LANGUAGES)
    gibberish = [Word("CMUPHOB", 92, (0, 0, 10, 10)), Word("NABEJI", 92, (0, 0, 10, 10))]
    real = [Word("СМИРНОВ", 80, (0, 0, 10, 10)), Word("ПАВЕЛ", 80, (0, 0, 10, 10))]
    assert score(real, LANGUAGES) > score(gibberish, LANGUAGES)


def test_inscription_box_is_the_main_group_with_margins() -> None:
    lines = [
        Word("ГУСЕВ", 90, (400, 300, 100, 20)),
        Word("СЕРГЕЙ", 85, (390, 330, 120, 20)),
        Word("1922-1952", 92, (380, 360, 140, 20)),
        Word("ТРАВА", 70, (50, 900, 60, 20)),  # a confident word far away, alone
    ]
    # 3 letter heights above, 5 below: years and epitaphs sit under the names.
    assert inscription_box(lines, (1000, 1000)) == (310, 240, 590, 480)
    assert inscription_box([Word("ш", 99, (0, 0, 5, 5))], (100, 100)) is None
