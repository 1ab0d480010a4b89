"""Text lines found by a detector, and which of them are the inscription.

A detector (`reader.LineEngine`) returns each line it finds as a quadrilateral (4x2
corner points, clockwise from top left). This module owns the geometry that follows:

- `Line`: one detected line in the upright page, with its axis-aligned box and height;
- `inscription_lines`: the lines of the inscription, in reading order: the detector also
  finds grass, wreaths and the edges of other stones, so the lines are grouped by
  proximity and the group with the most text area wins (as `layout.inscription_box`
  does for tesseract's words); at most `max_lines` of them are kept, the largest;
- `vertical_share`: how much of the text stands on end (the page is turned a quarter);
- `turn_quads`: the same quadrilaterals after the page is turned a quarter or half;
- `crop_line`: the line's pixels, straightened by a perspective transform (rapidocr's
  `get_rotate_crop_image` does the same; this one stays grayscale and never turns a tall
  crop on its side, since the reader turns whole pages).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from .images import Gray
from .layout import groups_of

Quad = NDArray[np.float32]
"""4x2 corner points (x, y), clockwise from the top left, in page pixels."""

#: Lines join a group when they are this many line heights apart or closer, up or down...
GROUP_REACH_DOWN = 2.5
#: ... and this many line heights apart or closer side by side.
GROUP_REACH_ACROSS = 4.0
#: Lines lower than this (pixels, in the page the detector read) are specks, not text.
MIN_LINE_HEIGHT = 6.0


@dataclass(frozen=True, eq=False)
class Line:
    """One detected line of text in the upright page."""

    quad: Quad
    left: float
    top: float
    right: float
    bottom: float
    height: float
    """The quad's mean side length across the text direction (a line height, pixels)."""
    width: float
    """The quad's mean side length along the text direction."""

    @classmethod
    def of(cls, quad: Quad) -> Line:
        points = np.asarray(quad, dtype=np.float32).reshape(4, 2)
        top_edge = float(np.linalg.norm(points[1] - points[0]))
        bottom_edge = float(np.linalg.norm(points[2] - points[3]))
        left_edge = float(np.linalg.norm(points[3] - points[0]))
        right_edge = float(np.linalg.norm(points[2] - points[1]))
        return cls(
            quad=points,
            left=float(points[:, 0].min()),
            top=float(points[:, 1].min()),
            right=float(points[:, 0].max()),
            bottom=float(points[:, 1].max()),
            height=(left_edge + right_edge) / 2,
            width=(top_edge + bottom_edge) / 2,
        )

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def upright(self) -> bool:
        """The box is wider than tall: text along the page, not stood on end."""
        return (self.right - self.left) >= (self.bottom - self.top)

    def scaled(self, factor: float) -> Line:
        return Line.of(self.quad * np.float32(factor))

    def widened(self, along: float, across: float) -> Line:
        """The line with its quad moved out by `along` line heights at each end and `across` above and below.

        The detector's boxes hug the letters (rapidocr's unclip ratio is set low so that
        lines close together are not cropped into each other); the ends need room, since a
        letter half cut off is read as another letter.
        """
        tl, tr, br, bl = self.quad
        unit_along = (tr - tl) / max(1e-6, float(np.linalg.norm(tr - tl)))
        unit_across = (bl - tl) / max(1e-6, float(np.linalg.norm(bl - tl)))
        dx = unit_along * np.float32(along * self.height)
        dy = unit_across * np.float32(across * self.height)
        return Line.of(np.asarray([tl - dx - dy, tr + dx - dy, br + dx + dy, bl - dx + dy], dtype=np.float32))


def inscription_lines(quads: Sequence[Quad], max_lines: int) -> list[Line]:
    """The lines of the main group of text, top to bottom, at most `max_lines` of them.

    Two lines are in one group when the vertical gap between their boxes is at most
    `GROUP_REACH_DOWN` line heights and the horizontal gap at most `GROUP_REACH_ACROSS`
    (the larger of the two heights). The group with the largest text area wins; ties go to
    the group found first (the highest), so the choice depends only on the quads.
    """
    lines = [Line.of(quad) for quad in quads]
    lines = [line for line in lines if line.height >= MIN_LINE_HEIGHT and line.width >= line.height * 0.5]
    if not lines:
        return []
    lines.sort(key=lambda line: (line.top, line.left))
    groups = groups_of(lines, _near)
    best = max(groups, key=lambda group: sum(line.area for line in group))
    if len(best) > max_lines:
        best = sorted(best, key=lambda line: -line.area)[:max_lines]
    return sorted(best, key=lambda line: (round(line.top), line.left))


def _near(a: Line, b: Line) -> bool:
    reach = max(a.height, b.height)
    down = max(0.0, max(a.top, b.top) - min(a.bottom, b.bottom))
    across = max(0.0, max(a.left, b.left) - min(a.right, b.right))
    return down <= GROUP_REACH_DOWN * reach and across <= GROUP_REACH_ACROSS * reach


def rows(lines: Sequence[Line]) -> list[int]:
    """A row number for each line: lines whose boxes overlap by half their height share one.

    The detector sometimes splits one carved line in two (`1920 Г.` and `— 1951 Г.`); the
    text joins such pieces with a space rather than a line break.
    """
    numbers: list[int] = []
    row = -1
    previous: Line | None = None
    for line in lines:
        overlap = 0.0
        if previous is not None:
            overlap = min(line.bottom, previous.bottom) - max(line.top, previous.top)
        if previous is None or overlap < 0.5 * min(line.bottom - line.top, previous.bottom - previous.top):
            row += 1
        numbers.append(row)
        previous = line
    return numbers


def vertical_share(quads: Sequence[Quad]) -> float:
    """The share of detected text area (0-1) in boxes taller than wide."""
    lines = [Line.of(quad) for quad in quads]
    total = sum(line.area for line in lines)
    if total <= 0:
        return 0.0
    return sum(line.area for line in lines if not line.upright) / total


def turn_quads(quads: Sequence[Quad], degrees_cw: int, size: tuple[int, int]) -> list[Quad]:
    """`quads` of a page of `size` = (width, height) after the page is turned clockwise.

    The corners are renumbered so each quad still starts at its top left once turned.
    """
    width, height = size
    turned = []
    for quad in quads:
        points = np.asarray(quad, dtype=np.float32).reshape(4, 2)
        x, y = points[:, 0], points[:, 1]
        if degrees_cw % 360 == 90:
            moved = np.stack([height - y, x], axis=1)
        elif degrees_cw % 360 == 180:
            moved = np.stack([width - x, height - y], axis=1)
        elif degrees_cw % 360 == 270:
            moved = np.stack([y, width - x], axis=1)
        else:
            moved = points
        turned.append(_clockwise_from_top_left(moved))
    return turned


def _clockwise_from_top_left(points: NDArray[np.float32]) -> Quad:
    centre = points.mean(axis=0)
    angles = [math.atan2(float(p[1] - centre[1]), float(p[0] - centre[0])) for p in points]
    ordered = points[np.argsort(angles)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(ordered[:, 0] + ordered[:, 1]))
    return np.asarray(np.roll(ordered, -start, axis=0), dtype=np.float32)


def crop_line(page: Gray, line: Line) -> Gray:
    """The line's pixels, straightened: its quad mapped onto an upright rectangle."""
    width = max(1, round(line.width))
    height = max(1, round(line.height))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(line.quad, target)
    crop = cv2.warpPerspective(page, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(crop, dtype=np.uint8)
