"""The line engine behind `reading.LineEngine`: PaddleOCR's PP-OCR models, run by rapidocr.

rapidocr (`pip install rapidocr onnxruntime`) ships PP-OCRv6's small text detector and
recogniser inside its wheel and runs them with ONNX Runtime, so nothing is downloaded at
run time. The detector finds text lines in any script, as quadrilaterals; the recogniser
knows Latin letters, digits and Chinese but no Cyrillic or Hangul, and reads digits far
better than tesseract does on worn stones. The reading plan (`reading/reader.py`) uses it
for what it is good at: where the lines are, and the digits in them; tesseract reads the
Cyrillic and Hangul of the same lines.

This module is the only one that imports rapidocr or onnxruntime, and only when the line
engine is asked for (`ocr.line_engine`). It hands the reader:
- `detect(page)`: the text lines of a grayscale page, as 4x2 float arrays of corner
  points (clockwise from top left) in the page's pixels, in rapidocr's reading order;
- `recognise(lines)`: for each grayscale line crop, the recogniser's per-frame
  probabilities (frames x symbols) over `charset` (index 0 is CTC's blank), so the reader
  can decode them freely, restricted to digits, or into several alternatives.

Determinism: each model runs on one ONNX Runtime thread (as tesseract runs with one
OpenMP thread per worker) and every line is recognised on its own, never padded into a
batch with others, so a line's probabilities depend only on its pixels, not on the other
lines of the run or on the number of workers.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ...reading.ctc import LineProbabilities
from ...reading.images import Gray
from ...reading.lines import Quad

log = logging.getLogger(__name__)

RAPIDOCR = "rapidocr"

#: The models inside the rapidocr wheel (rapidocr 3.x: PP-OCRv6 small).
DETECTOR_MODEL = "PP-OCRv6_det_small.onnx"
RECOGNISER_MODEL = "PP-OCRv6_rec_small.onnx"

#: How far the detector grows each found text region into a line box (rapidocr's default
#: 1.6 crops lines closely spaced on a stone into each other; on the tuning samples 1.3
#: read more surnames, 15 -> 16 of 33, and a lower CER, 0.47 -> 0.42; the reader widens
#: the ends of each line itself).
UNCLIP_RATIO = 1.3

#: The detector reads the page at the size the reader chose (no resizing of its own,
#: beyond rounding to a multiple of 32 that the network needs).
_NO_RESIZE = 100_000


class LineEngineUnavailable(Exception):
    """The line engine cannot be used here (not installed, or its bundled models are missing)."""


class LineEngineError(Exception):
    """The line engine failed on a page (ONNX Runtime's error, in our terms)."""


class RapidocrLines:
    """rapidocr's PP-OCR detector and recogniser, loaded once per process.

    Raises:
        LineEngineUnavailable: rapidocr or onnxruntime is not installed, or the wheel's
            models are not where rapidocr 3.x keeps them.
    """

    name = RAPIDOCR

    def __init__(self, *, box_threshold: float = 0.5) -> None:
        detector, recogniser = _bundled_models()
        try:
            import rapidocr
        except ImportError as exc:
            raise LineEngineUnavailable(
                f"rapidocr cannot be imported ({exc}); install it with 'pip install rapidocr onnxruntime'"
            ) from exc
        one_thread = {"intra_op_num_threads": 1, "inter_op_num_threads": 1}
        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.use_vertical_padding": False,
            "Global.min_side_len": 1,
            "Global.max_side_len": _NO_RESIZE,
            "Det.model_path": str(detector),
            "Det.limit_type": "max",
            "Det.limit_side_len": _NO_RESIZE,
            "Det.box_thresh": box_threshold,
            "Det.unclip_ratio": UNCLIP_RATIO,
            "Rec.model_path": str(recogniser),
            **{f"EngineConfig.onnxruntime.{key}": value for key, value in one_thread.items()},
        }
        try:
            engine = rapidocr.RapidOCR(params=params)
            # The detector and recogniser are used directly: the reader decides how each
            # line is read and needs the recogniser's probabilities, not only its text.
            self._detector = engine._load_det_model()  # type: ignore[no-untyped-call]
            self._recogniser = engine._load_rec_model()  # type: ignore[no-untyped-call]
        except ImportError as exc:  # onnxruntime missing
            raise LineEngineUnavailable(
                f"rapidocr cannot run ({exc}); install it with 'pip install onnxruntime'"
            ) from exc
        self.charset: list[str] = list(self._recogniser.postprocess_op.character)
        self.version = rapidocr_version()

    def detect(self, page: Gray) -> list[Quad]:
        """Text lines of `page`, as corner points in its pixels.

        Raises:
            LineEngineError: ONNX Runtime failed on the page.
        """
        colour = np.ascontiguousarray(np.repeat(page[:, :, None], 3, axis=2))
        try:
            found = self._detector(colour)
        except Exception as exc:  # rapidocr wraps every ONNX Runtime failure in its own Exception
            raise LineEngineError(f"text detection failed: {exc}") from exc
        if found.boxes is None:
            return []
        return [np.asarray(box, dtype=np.float32) for box in found.boxes]

    def recognise(self, lines: Sequence[Gray]) -> list[LineProbabilities]:
        """Per-frame symbol probabilities of each line crop (frames x len(charset)).

        Raises:
            LineEngineError: ONNX Runtime failed on a line.
        """
        _, height, width = self._recogniser.rec_image_shape
        results = []
        for line in lines:
            colour = np.ascontiguousarray(np.repeat(line[:, :, None], 3, axis=2))
            ratio = max(width / height, line.shape[1] / max(1, line.shape[0]))
            batch = self._recogniser.resize_norm_img(colour, ratio)[None].astype(np.float32)
            try:
                output = self._recogniser.session(batch)
            except Exception as exc:  # see detect
                raise LineEngineError(f"line recognition failed: {exc}") from exc
            probabilities = np.asarray(output[0], dtype=np.float32)
            # The crop was scaled to `height` pixels and padded to `batch`'s width; the
            # frames cover that width evenly.
            per_frame = batch.shape[3] / max(1, probabilities.shape[0]) * line.shape[0] / height
            results.append(LineProbabilities(probabilities, per_frame))
        return results


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _bundled_models() -> tuple[Path, Path]:
    """The detector's and recogniser's model files inside the installed rapidocr, found without importing it.

    Raises:
        LineEngineUnavailable: rapidocr or onnxruntime is not installed, or a model is missing.
    """
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise LineEngineUnavailable("rapidocr is not installed; install it with 'pip install rapidocr onnxruntime'")
    if importlib.util.find_spec("onnxruntime") is None:
        raise LineEngineUnavailable("onnxruntime is not installed; install it with 'pip install onnxruntime'")
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    detector, recogniser = models / DETECTOR_MODEL, models / RECOGNISER_MODEL
    missing = [path.name for path in (detector, recogniser) if not path.is_file()]
    if missing:
        # Never let rapidocr fetch a model: the archive reads with what was installed.
        raise LineEngineUnavailable(
            f"rapidocr {_version('rapidocr')} has no {', '.join(missing)} in {models}; "
            "archive-ingest reads with the models bundled in rapidocr 3.x"
        )
    return detector, recogniser


def rapidocr_version() -> str:
    """`rapidocr 3.10.0 (PP-OCRv6 small; onnxruntime 1.32.0)`, checked without loading the models.

    The main process of a run names the engine in its records and events but never reads
    with it (the workers do, loading the models when their first image needs them): so a
    run of files already archived pays for no model.

    Raises:
        LineEngineUnavailable: see `_bundled_models`.
    """
    _bundled_models()
    return f"rapidocr {_version('rapidocr')} (PP-OCRv6 small; onnxruntime {_version('onnxruntime')})"


#: This process's line engine: the models stay loaded for the whole run (each worker
#: process loads its own).
_loaded: dict[tuple[int, float], RapidocrLines] = {}


def rapidocr_lines(box_threshold: float = 0.5) -> RapidocrLines:
    """This process's rapidocr line engine (loaded on first use).

    Raises:
        LineEngineUnavailable: see `RapidocrLines`.
    """
    key = (os.getpid(), box_threshold)
    engine = _loaded.get(key)
    if engine is None:
        engine = _loaded[key] = RapidocrLines(box_threshold=box_threshold)
    return engine
