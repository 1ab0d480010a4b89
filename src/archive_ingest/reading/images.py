"""Pixel operations on grayscale inscriptions (numpy arrays, uint8, dark = 0).

Each function takes an image and returns a new one; the original is never changed.
OpenCV does the filtering.

- `scale`, `rotate_quarter`, `crop`, `invert`: geometry and polarity;
- `letters_are_light`: whether the letters are lighter than the stone (Otsu's minority);
- `flatten`: divide by the background (a morphological closing larger than the letters),
  which evens out light falling across the stone and stretches what is left to 0-255;
- `binarise`: Otsu's threshold after a light blur (for the binary candidate);
- `skew_angle` / `deskew`: the small rotation (a few degrees) that makes the text lines
  level, found by the sharpest horizontal projection profile of the dark pixels.

- `equalise`: local contrast (CLAHE), only for the line detector's copy of the page.

CLAHE is never used on what a recogniser reads: on the tuning set's stones (../shared/samples), true text crops, it
lost two of nine easy stones' years that plain grayscale read, while dividing by the
background lost none (measured). For finding lines it helps: on the tuning samples the
detector found the lines of 5 of 16 hard stones on an equalised page against 4 plain.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

Gray = NDArray[np.uint8]


def scale(image: Gray, factor: float) -> Gray:
    """`image` resized by `factor` (area averaging down, cubic up)."""
    if abs(factor - 1.0) < 1e-3:
        return image
    height, width = image.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def fit(image: Gray, long_edge: int) -> tuple[Gray, float]:
    """`image` scaled down so its longer side is at most `long_edge`, and the factor used."""
    factor = min(1.0, long_edge / max(image.shape))
    return scale(image, factor), factor


def rotate_quarter(image: Gray, degrees_cw: int) -> Gray:
    """`image` turned clockwise by 0, 90, 180 or 270 degrees."""
    turns = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    code = turns[degrees_cw % 360]
    return image if code is None else np.asarray(cv2.rotate(image, code), dtype=np.uint8)


def crop(image: Gray, box: tuple[int, int, int, int]) -> Gray:
    """The part of `image` inside `box` = (left, top, right, bottom), clipped to the image."""
    left, top, right, bottom = box
    height, width = image.shape
    return image[max(0, top) : min(height, bottom), max(0, left) : min(width, right)].copy()


def invert(image: Gray) -> Gray:
    return np.asarray(255 - image, dtype=np.uint8)


def letters_are_light(image: Gray, even_light: bool = False) -> bool:
    """True when Otsu's brighter class is the smaller one (letters are the minority).

    `even_light`: divide by a blur about as wide as the image is high first, so light
    falling across a line (one end in shade) does not decide the classes.
    """
    if even_light:
        # A copy at most 64 px high is enough to judge, and keeps the blur small.
        image = scale(image, min(1.0, 64 / max(1, image.shape[0])))
        sigma = max(2.0, image.shape[0] / 2)
        ground = cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigma) + 1.0
        ratio = image.astype(np.float32) / ground
        image = np.asarray(cv2.normalize(ratio, None, 0, 255, cv2.NORM_MINMAX), dtype=np.uint8)
    blurred = cv2.GaussianBlur(image, (5, 5), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return bool(np.count_nonzero(binary) < binary.size / 2)


def equalise(image: Gray) -> Gray:
    """Contrast-limited adaptive histogram equalisation (8x8 tiles, clip 3): faint text stands out."""
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    return np.asarray(clahe.apply(image), dtype=np.uint8)


def pad(image: Gray, pixels: int, ground: int | None = None) -> Gray:
    """`image` with a border of `pixels` in grey `ground` (default: its median), for tesseract,
    which misses text touching the edge.

    Not the edge repeated: a letter cut by the edge would be smeared into streaks.
    """
    if pixels <= 0:
        return image
    if ground is None:
        ground = int(np.median(image))
    bordered = cv2.copyMakeBorder(image, pixels, pixels, pixels, pixels, cv2.BORDER_CONSTANT, value=ground)
    return np.asarray(bordered, dtype=np.uint8)


def flatten(image: Gray, letter_px: float) -> Gray:
    """Dark letters on an even light ground: `image` divided by its background.

    The background is a grey closing with a disc about 1.5 letters across, which removes
    dark strokes narrower than that and keeps light falling across the stone.
    """
    size = max(9, int(letter_px * 1.5) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    background = cv2.morphologyEx(image, cv2.MORPH_CLOSE, kernel)
    divided = np.asarray(cv2.divide(image, background, scale=255), dtype=np.float32)
    low, high = float(divided.min()), float(divided.max())
    if high - low < 1:
        return np.full_like(image, 255)
    return np.asarray((divided - low) * (255 / (high - low)), dtype=np.uint8)


def binarise(image: Gray, letter_px: float) -> Gray:
    """Black letters on white by Otsu's threshold after a blur of about a stroke's width."""
    sigma = max(0.8, letter_px / 30)
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(binary, dtype=np.uint8)


def skew_angle(image: Gray, max_degrees: float = 6.0, step: float = 0.5) -> tuple[float, float]:
    """(degrees, gain): the rotation (counter-clockwise positive) that levels dark-on-light lines.

    Tries every angle in [-max_degrees, max_degrees] and keeps the one whose row sums of
    dark pixels vary most: level lines give sharp peaks and empty gaps between them.
    `gain` is that spread over the spread unrotated (1.0: no better than leaving it). An
    angle at the edge of the range means the profile kept improving past it, which text
    a few degrees off level does not do: then (0.0, 1.0).
    """
    binary = binarise(image, letter_px=30)
    ink = np.asarray(255 - binary, dtype=np.float32)
    height, width = ink.shape
    if not ink.any():
        return 0.0, 1.0
    # A small copy is enough to measure the angle and keeps the search fast.
    factor = min(1.0, 400 / max(height, width))
    small = cv2.resize(ink, (max(1, int(width * factor)), max(1, int(height * factor))), interpolation=cv2.INTER_AREA)
    centre = (small.shape[1] / 2, small.shape[0] / 2)
    spreads = {}
    for angle in np.arange(-max_degrees, max_degrees + step / 2, step):
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        turned = cv2.warpAffine(small, matrix, (small.shape[1], small.shape[0]), flags=cv2.INTER_LINEAR)
        spreads[round(float(angle), 2)] = float(np.var(turned.sum(axis=1)))
    best = max(spreads, key=lambda a: spreads[a])
    level = spreads.get(0.0, 0.0)
    if abs(best) >= max_degrees - 1e-6 or level <= 0:
        return 0.0, 1.0
    return best, spreads[best] / level


def deskew(image: Gray, angle: float) -> Gray:
    """`image` rotated by `angle` degrees (counter-clockwise positive), edges repeated."""
    if abs(angle) < 0.25:
        return image
    height, width = image.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    turned = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(turned, dtype=np.uint8)
