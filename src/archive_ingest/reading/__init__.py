"""Reading headstone inscriptions: preprocessing, candidates, scoring, script detection.

The OCR stage (`stages/ocr.py`) owns tesseract and hands this package an engine; the
package owns every decision about how to read a stone:

- `reader`: the plan (survey, orientation sweep, region, candidates, time budget, choice);
- `images`: pixel operations on grayscale arrays (crop, scale, invert, flatten, deskew);
- `layout`: words, lines, where the inscription is and how big its letters are;
- `scoring`: the documented score that ranks candidate readings;
- `scripts`: the alphabet of a reading, and the wrong-script test.
"""

from __future__ import annotations

from .layout import Word
from .reader import Engine, Reading, ReadOptions, read
from .scripts import wrong_script

__all__ = ["Engine", "ReadOptions", "Reading", "Word", "read", "wrong_script"]
