"""Reading headstone inscriptions: where the lines are, which engine reads what, the choice.

The OCR stage (`ingest/stages/ocr.py`) owns the engines and hands this package tesseract (and,
when configured, a line engine); the package owns every decision about how to read a stone:

- `reader`: which plan reads the page;
- `plan_lines`: detected lines, orientation, the closer second look; with `years_lines`
  (lines of years: constrained re-read, alternatives, plausibility) and `text_lines`
  (lines of letters: tesseract, names restored from shape readings by `lookalikes`);
- `line_read`: one detected line as read, and its words boxed in the page;
- `plan_survey`: tesseract alone (survey, orientation sweep, region, candidates);
- `base`: the engine interfaces, options, the reading, and the count of engine calls;
- `lines`: detected lines' geometry, the inscription's lines, straight crops;
- `ctc`: decoding a recogniser's probabilities: best path, constrained, alternatives;
- `images`: pixel operations on grayscale arrays (crop, scale, invert, flatten, deskew);
- `layout`: tesseract's words, lines, where the inscription is and how big its letters are;
- `scoring`: the documented score that ranks candidate readings;
- `scripts`: the alphabet of a reading, and the wrong-script test.
"""

from __future__ import annotations

from .base import Engine, LineEngine, Passes, Reading, ReadOptions
from .layout import Word
from .reader import read
from .scripts import wrong_script

__all__ = ["Engine", "LineEngine", "Passes", "ReadOptions", "Reading", "Word", "read", "wrong_script"]
