"""OCR of the inscription with tesseract, through pytesseract (the only module that imports it).

Owns: checking at start-up that tesseract and the configured language data are installed
(before any file moves), turning the image upright by its EXIF orientation, scaling it to
`ocr.max_long_edge`, the tesseract engine handed to `archive_ingest.reading` (which decides
how to read: survey, rotation sweep, crop, candidates, score), filling `record.ocr`, the
`ocr_wrong_script` flag, and turning tesseract's failures into our terms: a crash or
timeout is a failure event and the `ocr_failed` flag, never an empty text.

The engine writes each page as uncompressed PGM into a private temporary folder and reads
several pages in one tesseract call through a list file: pytesseract given a PIL image
would encode a PNG per call, and every call pays about 0.2 s to load the language models.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image

from ..config import OcrSettings
from ..context import RunContext
from ..errors import ConfigError, MissingDependency
from ..reading import Reading, ReadOptions, Word, read
from ..reading.images import Gray
from ..record import EventType, FlagCode, OcrResult, OcrWord, Outcome, Record

log = logging.getLogger(__name__)

ENGINE = "tesseract"

#: How to turn stored pixels upright for each EXIF orientation (1 = already upright).
ORIENTATION_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def open_stage(ctx: RunContext) -> None:
    """Check tesseract and its languages; record its version for event agents.

    Raises:
        MissingDependency: tesseract is not installed.
        ConfigError: a language in `ocr.languages` has no data installed.
    """
    # One OpenMP thread per tesseract process: unset, tesseract is 2-4x slower on this
    # class of machine (threads fight over two cores). Respect a value the user set.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        version = pytesseract.get_tesseract_version()
        installed = set(pytesseract.get_languages(config=""))
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingDependency(
            "tesseract is not installed or not on PATH: install it with "
            "'apt-get install tesseract-ocr tesseract-ocr-rus tesseract-ocr-kor'"
        ) from exc
    settings = ctx.settings.ocr
    for key, wanted in (("ocr.languages", settings.languages), ("ocr.survey_language", [settings.survey_language])):
        missing = [lang for lang in wanted if lang not in installed]
        if missing:
            packages = " ".join(f"tesseract-ocr-{lang.replace('_', '-')}" for lang in missing)
            raise ConfigError(
                f"pipeline.yaml: {key}: tesseract has no data for {', '.join(missing)} "
                f"(installed: {', '.join(sorted(installed))}); install {packages}"
            )
    ctx.engines[ENGINE] = f"tesseract {version}"


def prepare_image(image: Image.Image, orientation: int | None, max_long_edge: int) -> Image.Image:
    """Grayscale, upright and no larger than `max_long_edge` (OCR time grows with pixels)."""
    if image.format == "JPEG":
        # Let libjpeg decode at reduced size: several times faster on big scans.
        image.draft("L", (max_long_edge, max_long_edge))
    upright = image.convert("L")
    for transpose in ORIENTATION_TRANSPOSE.get(orientation or 1, ()):
        upright = upright.transpose(transpose)
    if max(upright.size) > max_long_edge:
        upright.thumbnail((max_long_edge, max_long_edge), Image.Resampling.LANCZOS)
    return upright


class TesseractEngine:
    """The `reading.Engine` over pytesseract: pages in, words per page out.

    Raises (from a call):
        pytesseract.TesseractError: tesseract failed on a page.
        RuntimeError: tesseract ran past `timeout` seconds (pytesseract's signal for it).
    """

    def __init__(self, folder: Path, timeout: float) -> None:
        self.folder = folder
        self.timeout = timeout
        self.calls = 0

    def __call__(
        self, pages: Sequence[Gray], languages: Sequence[str], psm: int, options: Mapping[str, str]
    ) -> list[list[Word]]:
        self.calls += 1
        paths = []
        for index, page in enumerate(pages):
            path = self.folder / f"call{self.calls}-page{index}.pgm"
            Image.fromarray(np.ascontiguousarray(page)).save(path, format="PPM")
            paths.append(path)
        source = paths[0]
        if len(paths) > 1:
            # A list file: tesseract reads every page with one load of the models and
            # numbers them in the TSV's page_num column.
            source = self.folder / f"call{self.calls}.txt"
            source.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
        config = " ".join([f"--psm {psm}", *(f"-c {key}={value}" for key, value in options.items())])
        data = pytesseract.image_to_data(
            str(source),
            lang="+".join(languages),
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=self.timeout,
        )
        words: list[list[Word]] = [[] for _ in pages]
        for index, text in enumerate(data["text"]):
            text = text.strip()
            confidence = float(data["conf"][index])
            if not text or confidence < 0:
                continue
            number = int(data["page_num"][index]) - 1
            if not 0 <= number < len(words):
                continue
            box = (
                int(data["left"][index]),
                int(data["top"][index]),
                int(data["width"][index]),
                int(data["height"][index]),
            )
            line = (int(data["block_num"][index]), int(data["par_num"][index]), int(data["line_num"][index]))
            words[number].append(Word(text, confidence, box, line))
        return words


def read_options(settings: OcrSettings) -> ReadOptions:
    """The reading plan's options from the `ocr:` settings."""
    return ReadOptions(
        languages=tuple(settings.languages),
        survey_language=settings.survey_language,
        survey_long_edge=settings.survey_long_edge,
        psms=(settings.psm, *settings.extra_psms),
        letter_px=settings.letter_px,
        min_word_confidence=settings.min_word_confidence,
        time_budget_seconds=settings.time_budget_seconds,
        sweep=settings.sweep,
    )


def read_inscription(path: Path, orientation: int | None, settings: OcrSettings) -> Reading:
    """Read the inscription in the image at `path` whose EXIF orientation is `orientation`.

    The library entry point of this stage (the benchmark calls it directly).

    Raises:
        pytesseract.TesseractError: tesseract failed.
        RuntimeError: a tesseract call ran past `settings.timeout_seconds`.
        OSError: the image cannot be opened or decoded (PIL's UnidentifiedImageError too).
    """
    with Image.open(path) as image:
        prepared = prepare_image(image, orientation, settings.max_long_edge)
    upright = np.asarray(prepared, dtype=np.uint8)
    with tempfile.TemporaryDirectory(prefix="archive-ingest-ocr-") as folder:
        engine = TesseractEngine(Path(folder), settings.timeout_seconds)
        return read(
            upright,
            rotation_from_exif=(orientation or 1) in ORIENTATION_TRANSPOSE,
            engine=engine,
            options=read_options(settings),
        )


def run(record: Record, ctx: RunContext) -> Record:
    settings = ctx.settings.ocr
    record.ocr = OcrResult(languages=list(settings.languages), engine=ctx.engines.get(ENGINE))
    agent = ctx.agent(ENGINE)
    try:
        reading = read_inscription(ctx.inbox / record.source.filename, record.exif.orientation, settings)
    except pytesseract.TesseractError as exc:
        return _failed(record, ctx, agent, f"tesseract failed: {exc.message.strip() or exc.status}")
    except RuntimeError as exc:
        # pytesseract signals its timeout with a bare RuntimeError.
        return _failed(record, ctx, agent, f"tesseract stopped after {settings.timeout_seconds:g} s: {exc}")
    except OSError as exc:
        return _failed(record, ctx, agent, f"cannot prepare the image for OCR: {exc}")
    record.ocr.text = reading.text
    record.ocr.confidence = reading.confidence
    record.ocr.words = [OcrWord(w.text, w.confidence, w.box) for w in reading.words]
    record.ocr.psm = reading.psm
    record.ocr.rotation = reading.rotation
    record.ocr.rotation_method = reading.rotation_method
    record.ocr.preprocess = list(reading.preprocess)
    in_text = sum(1 for w in reading.words if w.confidence >= settings.min_word_confidence)
    if in_text:
        detail = f"{in_text} words, mean confidence {reading.confidence}"
    else:
        detail = "no text found"
    detail += (
        f"; rotation {reading.rotation} ({reading.rotation_method}), psm {reading.psm}, "
        f"{'+'.join(reading.preprocess)}; best of {reading.candidates} candidates in {reading.engine_calls} "
        f"tesseract calls"
    )
    if reading.notes:
        detail += "; " + "; ".join(reading.notes)
    outcome = Outcome.SUCCESS
    if reading.wrong_script:
        record.add_flag(FlagCode.OCR_WRONG_SCRIPT, reading.wrong_script)
        outcome = Outcome.WARNING
    record.add_event(EventType.OCR, ctx.timestamp(), agent, outcome, detail)
    return record


def _failed(record: Record, ctx: RunContext, agent: str, reason: str) -> Record:
    log.warning("%s: %s", record.source.filename, reason)
    record.add_flag(FlagCode.OCR_FAILED, reason)
    record.add_event(EventType.OCR, ctx.timestamp(), agent, Outcome.FAILURE, reason)
    return record

