"""OCR of the inscription with tesseract, through pytesseract or tesserocr (`ocr_engines`).

Owns: checking at start-up that tesseract and the configured language data are installed
(before any file moves), turning the image upright by its EXIF orientation, scaling it to
`ocr.max_long_edge`, the tesseract engine handed to `archive_ingest.reading` (which decides
how to read: survey, rotation sweep, crop, candidates, score), filling `record.ocr`, the
`ocr_wrong_script` flag, and turning tesseract's failures into our terms: a crash or
timeout is a failure event and the `ocr_failed` flag, never an empty text.

The engines live in `ocr_engines` (`ocr.engine`: auto, pytesseract, tesserocr), the only
module that calls tesseract (this one imports pytesseract for its error types, never
tesserocr). pytesseract writes each page as uncompressed PGM into a private temporary
folder and reads several pages in one tesseract call through a list file (every call pays
about 0.2 s to load the language models); tesserocr keeps the models loaded for the whole
run and reads the pixels directly. The engine and its version (`tesseract 5.3.0`, or
`tesserocr 2.13.0 (tesseract 5.5.4)`) go into `record.ocr.engine` and the event agents.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytesseract
from PIL import Image

from ...config import OcrSettings
from ...errors import ConfigError, MissingDependency
from ...images import ORIENTATION_TRANSPOSE, turn_for, upright
from ...reading import Engine, Reading, ReadOptions, read
from ...record import EventType, FlagCode, OcrResult, OcrWord, Outcome, Record
from ..context import RunContext
from .fixity import source_of
from .ocr_engines import (
    PYTESSERACT,
    TESSEROCR,
    EngineError,
    EngineUnavailable,
    PytesseractEngine,
    pytesseract_languages,
    pytesseract_version,
    tesserocr_engine,
    tesserocr_ready,
)
from .ocr_lines import RAPIDOCR, LineEngineError, LineEngineUnavailable, RapidocrLines, rapidocr_lines, rapidocr_version

log = logging.getLogger(__name__)

ENGINE = "tesseract"


def open_stage(ctx: RunContext) -> None:
    """Check the OCR engine and its languages; record its version for event agents.

    `ocr.engine` auto uses tesserocr when it is installed and loads the languages, else
    pytesseract (which needs the tesseract command).

    Raises:
        MissingDependency: tesseract (or an asked-for tesserocr) is not installed.
        ConfigError: a language in `ocr.languages` has no data installed.
    """
    # One OpenMP thread per tesseract process: unset, tesseract is 2-4x slower on this
    # class of machine (threads fight over two cores). Respect a value the user set.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    settings = ctx.settings.ocr
    if settings.engine != TESSEROCR:
        try:
            version = pytesseract_version()
            installed = pytesseract_languages()
        except pytesseract.TesseractNotFoundError as exc:
            raise MissingDependency(
                "tesseract is not installed or not on PATH: install it with "
                "'apt-get install tesseract-ocr tesseract-ocr-rus tesseract-ocr-kor'"
            ) from exc
        for key, wanted in (("ocr.languages", settings.languages), ("ocr.survey_language", [settings.survey_language])):
            missing = [lang for lang in wanted if lang not in installed]
            if missing:
                packages = " ".join(f"tesseract-ocr-{lang.replace('_', '-')}" for lang in missing)
                raise ConfigError(
                    f"pipeline.yaml: {key}: tesseract has no data for {', '.join(missing)} "
                    f"(installed: {', '.join(sorted(installed))}); install {packages}"
                )
    if engine_name(settings) == TESSEROCR:
        version = tesserocr_engine(settings.timeout_seconds).version
    lines = line_engine_version(settings)
    if lines is not None:
        version = f"{version}; {lines}"
    ctx.engines[ENGINE] = version


def prepare_image(image: Image.Image, orientation: int | None, max_long_edge: int) -> Image.Image:
    """Grayscale, upright and no larger than `max_long_edge` (OCR time grows with pixels)."""
    if image.format == "JPEG":
        # Let libjpeg decode at reduced size: several times faster on big scans.
        image.draft("L", (max_long_edge, max_long_edge))
    gray = upright(image.convert("L"), orientation)
    if max(gray.size) > max_long_edge:
        gray.thumbnail((max_long_edge, max_long_edge), Image.Resampling.LANCZOS)
    return gray


#: The engine `auto` (or a name) resolved to, per process and OCR settings.
_resolved: dict[tuple[int, str, tuple[str, ...], str], str] = {}


def engine_name(settings: OcrSettings) -> str:
    """The engine `settings.engine` means here: `auto` is tesserocr when it loads the languages.

    Raises:
        MissingDependency: `tesserocr` was asked for and is not installed.
        ConfigError: `tesserocr` was asked for and cannot load the configured languages.
    """
    key = (os.getpid(), settings.engine, tuple(settings.languages), settings.survey_language)
    name = _resolved.get(key)
    if name is not None:
        return name
    if settings.engine == PYTESSERACT:
        name = PYTESSERACT
    else:
        try:
            tesserocr_ready([settings.languages, [settings.survey_language]], settings.timeout_seconds)
            name = TESSEROCR
        except EngineUnavailable as exc:
            if settings.engine == TESSEROCR:
                if "not installed" in str(exc):
                    raise MissingDependency(f"pipeline.yaml: ocr.engine: {exc}") from exc
                raise ConfigError(f"pipeline.yaml: ocr.engine: {exc}") from exc
            log.info("ocr.engine auto: using pytesseract (%s)", exc)
            name = PYTESSERACT
    _resolved[key] = name
    return name


@contextmanager
def engine_session(settings: OcrSettings) -> Iterator[Engine]:
    """The engine to read one image with: pytesseract with a private folder, or this process's tesserocr."""
    if engine_name(settings) == TESSEROCR:
        yield tesserocr_engine(settings.timeout_seconds)
        return
    with tempfile.TemporaryDirectory(prefix="archive-ingest-ocr-") as folder:
        yield PytesseractEngine(Path(folder), settings.timeout_seconds)


def read_options(settings: OcrSettings) -> ReadOptions:
    """The reading plans' options from the `ocr:` settings."""
    return ReadOptions(
        languages=tuple(settings.languages),
        survey_language=settings.survey_language,
        survey_long_edge=settings.survey_long_edge,
        psms=(settings.psm, *settings.extra_psms),
        letter_px=settings.letter_px,
        min_word_confidence=settings.min_word_confidence,
        sweep=settings.sweep,
        detect_long_edge=settings.detect_long_edge,
        max_lines=settings.max_lines,
    )


#: The line engine `auto` (or a name) resolved to, per process: rapidocr's, or None.
_line_engines: dict[tuple[int, str], RapidocrLines | None] = {}


def line_engine(settings: OcrSettings) -> RapidocrLines | None:
    """The line engine `settings.line_engine` means here (loaded once per process), or None.

    Raises:
        MissingDependency: `rapidocr` was asked for and cannot be loaded.
    """
    key = (os.getpid(), settings.line_engine)
    if key in _line_engines:
        return _line_engines[key]
    engine: RapidocrLines | None = None
    if settings.line_engine != "none":
        try:
            engine = rapidocr_lines()
        except LineEngineUnavailable as exc:
            if settings.line_engine == RAPIDOCR:
                raise MissingDependency(f"pipeline.yaml: ocr.line_engine: {exc}") from exc
            log.warning("ocr.line_engine auto: reading with tesseract alone (%s)", exc)
    _line_engines[key] = engine
    return engine


def line_engine_version(settings: OcrSettings) -> str | None:
    """The line engine's version as `line_engine` will load it, checked without loading it, or None.

    Raises:
        MissingDependency: `rapidocr` was asked for and is not installed whole.
    """
    if settings.line_engine == "none":
        return None
    try:
        return rapidocr_version()
    except LineEngineUnavailable as exc:
        if settings.line_engine == RAPIDOCR:
            raise MissingDependency(f"pipeline.yaml: ocr.line_engine: {exc}") from exc
        log.warning("ocr.line_engine auto: reading with tesseract alone (%s)", exc)
        return None


def read_inscription(path: Path | BinaryIO, orientation: int | None, settings: OcrSettings) -> Reading:
    """Read the inscription in the image at `path` (or in that file's bytes) whose EXIF orientation is `orientation`.

    The library entry point of this stage (the benchmark calls it directly).

    Raises:
        pytesseract.TesseractError, EngineError: tesseract failed (pytesseract, tesserocr).
        LineEngineError: the line engine failed.
        RuntimeError: a tesseract call ran past `settings.timeout_seconds` (EngineTimeout
            with tesserocr).
        OSError: the image cannot be opened or decoded (PIL's UnidentifiedImageError too).
    """
    with Image.open(path) as image:
        orientation = turn_for(image, orientation)  # a HEIF comes decoded upright
        prepared = prepare_image(image, orientation, settings.max_long_edge)
    upright = np.asarray(prepared, dtype=np.uint8)
    lines = line_engine(settings)
    with engine_session(settings) as engine:
        return read(
            upright,
            rotation_from_exif=(orientation or 1) in ORIENTATION_TRANSPOSE,
            engine=engine,
            line_engine=lines,
            options=read_options(settings),
        )


def run(record: Record, ctx: RunContext) -> Record:
    settings = ctx.settings.ocr
    record.ocr = OcrResult(languages=list(settings.languages), engine=ctx.engines.get(ENGINE))
    agent = ctx.agent(ENGINE)
    try:
        reading = read_inscription(source_of(record, ctx), record.exif.orientation, settings)
    except pytesseract.TesseractError as exc:
        return _failed(record, ctx, agent, f"tesseract failed: {exc.message.strip() or exc.status}")
    except EngineError as exc:
        return _failed(record, ctx, agent, f"tesseract failed: {exc}")
    except LineEngineError as exc:
        return _failed(record, ctx, agent, f"the line engine failed: {exc}")
    except RuntimeError as exc:
        # pytesseract signals its timeout with a bare RuntimeError; tesserocr's EngineTimeout is one.
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
    record.ocr.passes = list(reading.passes)
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
