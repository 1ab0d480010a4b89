"""One detected line as the line plan reads it, and the words it gives, boxed in the page.

- `LineRead`: a line, its straightened crop, the recogniser's view of it, and the words
  kept from it (by whichever engine read it);
- `words_of_decoded`: the recogniser's symbols split into words at spaces, each boxed by
  the frames its symbols were read in;
- `words_of_text`: words of a text that has no frames of its own (an alternative
  reading), spread along the line;
- `to_page`: a box in the line crop mapped back into the upright page (the inverse of the
  crop's perspective transform), so the words filed for review sit on the photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

import cv2
import numpy as np

from .ctc import Decoded, LineProbabilities, Symbol
from .images import Gray
from .layout import Word
from .lines import Line


@dataclass
class LineRead:
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


def words_of_decoded(decoded: Decoded, read: LineRead) -> list[Word]:
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
                words.append(Word(text, round(confidence, 2), box_in_page(read, left, right), (1, 1, read.row + 1)))
            current = []
        else:
            current.append(symbol)
    return words


def words_of_text(text: str, read: LineRead, confidence: float) -> list[Word]:
    """Words of an alternative reading (no frames of its own): spread along the line."""
    tokens = text.split()
    width = read.crop.shape[1]
    total = max(1, len(text))
    words, offset = [], 0
    for token in tokens:
        start = text.index(token, offset)
        offset = start + len(token)
        box = box_in_page(read, width * start / total, width * offset / total)
        words.append(Word(token, round(confidence, 2), box, (1, 1, read.row + 1)))
    return words


def box_in_page(read: LineRead, left: float, right: float) -> tuple[int, int, int, int]:
    """The box (left, top, width, height) in the upright page of a span of the line crop."""
    height = read.crop.shape[0]
    corners = np.array([[[left, 0], [right, 0], [right, height], [left, height]]], dtype=np.float32)
    return to_page(read.line, read.crop.shape, corners)


def to_page(line: Line, crop_shape: tuple[int, ...], corners: np.ndarray) -> tuple[int, int, int, int]:
    height, width = crop_shape[:2]
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    back = cv2.getPerspectiveTransform(target, line.quad)
    points = cv2.perspectiveTransform(corners, back)[0]
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return (round(float(x0)), round(float(y0)), round(float(x1 - x0)), round(float(y1 - y0)))
