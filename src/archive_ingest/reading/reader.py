"""Read one inscription: the line plan when a line engine is given, else the survey plan.

`plan_lines.read_by_lines` (a detector finds the lines; digits are read by the line
engine's recogniser, letters by tesseract) reads the page; a page on which the detector
finds no line falls back to `plan_survey.read_by_survey` (tesseract alone), noted in the
reading. Without a line engine (`ocr.line_engine: none`) only the survey plan runs.
"""

from __future__ import annotations

from .base import Engine, LineEngine, Passes, Reading, ReadOptions
from .images import Gray
from .plan_lines import read_by_lines
from .plan_survey import read_by_survey


def read(
    upright: Gray,
    *,
    rotation_from_exif: bool,
    engine: Engine,
    options: ReadOptions,
    line_engine: LineEngine | None = None,
    passes: Passes | None = None,
) -> Reading:
    """Read the inscription on `upright` (grayscale, EXIF orientation applied).

    Raises whatever the engines raise (the stage turns their errors into flags).
    """
    passes = passes or Passes()
    if line_engine is not None:
        reading = read_by_lines(
            upright,
            rotation_from_exif=rotation_from_exif,
            engine=engine,
            line_engine=line_engine,
            options=options,
            passes=passes,
        )
        if reading is not None:
            return reading
    reading = read_by_survey(
        upright,
        rotation_from_exif=rotation_from_exif,
        engine=engine,
        options=options,
        passes=passes,
        after_detector=line_engine is not None,
    )
    if line_engine is not None:
        reading.notes.insert(0, "the line detector found no text: read by tesseract's survey")
    return reading
