"""OCR of the inscription with tesseract, through pytesseract (the only module that imports it).

Owns: checking at start-up that tesseract and the configured language data are installed
(before any file moves), turning the image upright by its EXIF orientation, scaling it to
`ocr.max_long_edge`, reading it, and turning tesseract's failures into our terms: a crash
or timeout is a failure event and the `ocr_failed` flag, never an empty text.
"""

from __future__ import annotations

import logging
import os
from statistics import fmean

import pytesseract
from PIL import Image

from ..context import RunContext
from ..errors import ConfigError, MissingDependency
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
    missing = [lang for lang in ctx.settings.ocr.languages if lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang.replace('_', '-')}" for lang in missing)
        raise ConfigError(
            f"pipeline.yaml: ocr.languages: tesseract has no data for {', '.join(missing)} "
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


def read_text(
    image: Image.Image, languages: list[str], psm: int, timeout: float
) -> tuple[str, float | None, list[OcrWord]]:
    """(text by lines, mean word confidence or None, the words) as tesseract reads `image`.

    Raises:
        pytesseract.TesseractError: tesseract failed on the image.
        RuntimeError: tesseract ran past `timeout` seconds (pytesseract's signal for it).
    """
    data = pytesseract.image_to_data(
        image,
        lang="+".join(languages),
        config=f"--psm {psm}",
        output_type=pytesseract.Output.DICT,
        timeout=timeout,
    )
    lines: dict[tuple[int, int, int], list[str]] = {}
    words: list[OcrWord] = []
    for index, word in enumerate(data["text"]):
        word = word.strip()
        confidence = float(data["conf"][index])
        if not word or confidence < 0:
            continue
        lines.setdefault((data["block_num"][index], data["par_num"][index], data["line_num"][index]), []).append(word)
        box = (data["left"][index], data["top"][index], data["width"][index], data["height"][index])
        words.append(OcrWord(word, confidence, box))
    text = "\n".join(" ".join(line) for line in lines.values())
    mean = round(fmean(w.confidence for w in words), 1) if words else None
    return text, mean, words


def run(record: Record, ctx: RunContext) -> Record:
    settings = ctx.settings.ocr
    record.ocr = OcrResult(languages=list(settings.languages), engine=ctx.engines.get(ENGINE))
    agent = ctx.agent(ENGINE)
    try:
        with Image.open(ctx.inbox / record.source.filename) as image:
            prepared = prepare_image(image, record.exif.orientation, settings.max_long_edge)
        text, confidence, words = read_text(prepared, settings.languages, settings.psm, settings.timeout_seconds)
    except pytesseract.TesseractError as exc:
        return _failed(record, ctx, agent, f"tesseract failed: {exc.message.strip() or exc.status}")
    except RuntimeError as exc:
        # pytesseract signals its timeout with a bare RuntimeError.
        return _failed(record, ctx, agent, f"tesseract stopped after {settings.timeout_seconds:g} s: {exc}")
    except OSError as exc:
        return _failed(record, ctx, agent, f"cannot prepare the image for OCR: {exc}")
    record.ocr.text = text
    record.ocr.confidence = confidence
    record.ocr.words = words
    record.ocr.psm = settings.psm
    record.ocr.rotation = 0
    record.ocr.rotation_method = "exif" if record.exif.orientation else "none"
    record.ocr.preprocess = ["grayscale"]
    detail = f"{len(words)} words, mean confidence {confidence}" if words else "no text found"
    record.add_event(EventType.OCR, ctx.timestamp(), agent, Outcome.SUCCESS, detail)
    return record


def _failed(record: Record, ctx: RunContext, agent: str, reason: str) -> Record:
    log.warning("%s: %s", record.source.filename, reason)
    record.add_flag(FlagCode.OCR_FAILED, reason)
    record.add_event(EventType.OCR, ctx.timestamp(), agent, Outcome.FAILURE, reason)
    return record
