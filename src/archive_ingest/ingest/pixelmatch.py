"""Is this the same photo? A pixel comparison that tolerates resizing, small crops and re-encoding.

The second, independent step of near-duplicate detection (`ingest/stages/similar.py` finds the
candidates by perceptual hash): both photos as grayscale copies `SIGNATURE_SIDE` pixels
long; the new photo's centre is searched for in the other over a range of scales and
shifts (normalised cross-correlation, coarse to fine), and once aligned the two are
compared tile by tile. The *pixel match* is the agreement of the worst tile (1 =
identical, 0 = nothing in common): the same photo agrees everywhere whatever its size,
crop or JPEG quality (0.94 or more measured), while two stones drawn alike differ at least
where their names and years are, and one tile is enough (0.17-0.66 measured). Numbers
behind every constant: `benchmarks/near_duplicates.py`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

from ..images import register_formats

register_formats()  # HEIC originals are compared too

Array = npt.NDArray[np.float64]

#: Long side, in pixels, of the grayscale copy two photos are compared on. At 384 px a
#: 56 px inscription line on a 1200 px photo is still 18 px high. Tried while choosing:
#: 512 px told one changed digit on such a photo apart a little better (0.91 against 0.96)
#: but doubled the time; 128-256 px could not tell two names apart on a plain stone.
SIGNATURE_SIDE = 384

#: The alignment search, coarse to fine: (long side in px, half-range of scales around the
#: previous level's best as a log ratio, or None for the whole `MAX_CROP` range, number of
#: scales tried). The coarse level correlates gradient magnitudes (robust to contrast and
#: exposure); the finer ones lightly blurred gray levels (robust to JPEG blocking).
LEVELS: tuple[tuple[int, float | None, int], ...] = ((128, None, 15), (256, 0.04, 9), (SIGNATURE_SIDE, 0.01, 5))

#: Photos whose edges correlate less than this at the coarse level are different: stop
#: there (a quarter of a full comparison). Measured: copies cropped 5%, halved and saved
#: at JPEG quality 60 correlate 0.96 or more; unrelated headstone scans sharing one
#: background texture at most 0.67 (`benchmarks/near_duplicates.py` holds the rest).
COARSE_MIN_CORRELATION = 0.8

#: The largest crop found, as a share of the picture's long side: scales between
#: 1 - MAX_CROP and 1 / (1 - MAX_CROP) are searched.
MAX_CROP = 0.12

#: Share of the new photo cut off each side before it is searched for in the other, so
#: that its remaining centre lies inside the other photo when either was cropped this much.
MARGIN = 0.12

#: Tiles of the aligned photos compared one by one (px at SIGNATURE_SIDE), and the shift
#: (px) each tile may move to absorb the last sub-pixel misalignment and resampling.
TILE = 32
TILE_SHIFT = 2

#: A tile with little detail is judged against this share of the detail in the busiest
#: quarter of tiles, so a tile holding only the edge of a letter or JPEG noise does not
#: decide the match on its own.
TILE_FLOOR = 0.75

#: Pillow errors that mean "this file cannot be read as an image"; anything else is a bug.
READ_ERRORS: tuple[type[Exception], ...] = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def load_signature(path: Path) -> npt.NDArray[np.uint8]:
    """The grayscale copy of the image at `path` that photos are compared on.

    The stored pixels (no EXIF rotation, as the pHash), `SIGNATURE_SIDE` px on the long
    side. A JPEG is decoded at a reduced scale (`draft`), which is 5-10x faster.

    Raises:
        OSError: the file is missing or not a readable image (PIL.UnidentifiedImageError).
        SyntaxError, ValueError, PIL.Image.DecompressionBombError: Pillow could not decode it.
    """
    with warnings.catch_warnings():
        # `identify` already let this image through its own (configurable) pixel limit.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            width, height = image.size
            scale = SIGNATURE_SIDE / max(width, height)
            if image.format == "JPEG" and scale < 1:
                image.draft("L", (int(width * scale) + 1, int(height * scale) + 1))
            gray = image.convert("L")
    return _to_side(gray, SIGNATURE_SIDE)


def _to_side(gray: Image.Image, side: int) -> npt.NDArray[np.uint8]:
    width, height = gray.size
    scale = side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    return np.asarray(gray.resize(size, resample), dtype=np.uint8)


def _level(signature: npt.NDArray[np.uint8], side: int, blur: bool) -> Array:
    """The signature at `side` px, lightly blurred when gray levels (not edges) are compared."""
    image = Image.fromarray(signature)
    if side != SIGNATURE_SIDE:
        image = Image.fromarray(_to_side(image, side))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(1.0))
    return np.asarray(image, dtype=np.float64)


def _gradient(pixels: Array) -> Array:
    """Gradient magnitude, smoothed over 3x3: where the edges are, whatever the exposure."""
    dy, dx = np.gradient(pixels)
    magnitude = np.hypot(dx, dy)
    padded = np.pad(magnitude, 1, mode="edge")
    rows, cols = magnitude.shape
    smoothed: Array = np.zeros(magnitude.shape, dtype=np.float64)
    for i in range(3):
        for j in range(3):
            smoothed += padded[i : i + rows, j : j + cols]
    smoothed /= 9
    return smoothed


class _Searched:
    """An image a template is searched in, with what every search in it reuses."""

    def __init__(self, image: Array) -> None:
        self.shape = image.shape
        self.spectrum = np.fft.rfft2(image)
        self.sums = np.pad(image.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        self.squares = np.pad((image * image).cumsum(0).cumsum(1), ((1, 0), (1, 0)))

    def ncc_map(self, template: Array) -> Array:
        """Normalised cross-correlation of `template` at every position fully inside the image.

        The numerator is one FFT product, the local norms come from integral images (the
        classic fast template matching, as OpenCV's TM_CCOEFF_NORMED).
        """
        rows, cols = self.shape
        h, w = template.shape
        centred = template - template.mean()
        template_norm = float(np.sqrt((centred * centred).sum()))
        product = self.spectrum * np.conj(np.fft.rfft2(centred, s=(rows, cols)))
        numerator = np.fft.irfft2(product, s=(rows, cols))[: rows - h + 1, : cols - w + 1]

        def window(table: Array) -> Array:
            return table[h:, w:] - table[:-h, w:] - table[h:, :-w] + table[:-h, :-w]

        total = window(self.sums)
        variance = np.maximum(window(self.squares) - total * total / (h * w), 0.0)
        result: Array = numerator / (np.sqrt(variance) * template_norm + 1e-6)
        return result


def _best_alignment(
    new: Array, other: Array, scales: Iterable[float], feature: Callable[[Array], Array]
) -> tuple[float, float, tuple[int, int]] | None:
    """(correlation, scale, offset of the scaled new photo's origin in `other`) at the best scale.

    `new` is pixels, scaled and then turned into `feature`; `other` is that feature already.
    """
    searched = _Searched(other)
    source = Image.fromarray(new.astype(np.float32))
    height, width = new.shape
    best: tuple[float, float, tuple[int, int]] | None = None
    for scale in scales:
        w2, h2 = round(width * scale), round(height * scale)
        scaled = feature(np.asarray(source.resize((w2, h2), Image.Resampling.BILINEAR), dtype=np.float64))
        my, mx = round(h2 * MARGIN), round(w2 * MARGIN)
        template = scaled[my : h2 - my, mx : w2 - mx]
        if template.shape[0] < 8 or template.shape[1] < 8:
            continue
        if template.shape[0] > other.shape[0] or template.shape[1] > other.shape[1]:
            continue
        scores = searched.ncc_map(template)
        y, x = np.unravel_index(int(np.argmax(scores)), scores.shape)
        if best is None or scores[y, x] > best[0]:
            best = (float(scores[y, x]), float(scale), (int(y) - my, int(x) - mx))
    return best


def pixel_match(new: npt.NDArray[np.uint8], other: npt.NDArray[np.uint8]) -> float:
    """How surely two signatures show the same photo: the worst tile's agreement, 0 to 1.

    0 when they cannot be aligned as a crop of at most `MAX_CROP` of either one's width or
    height (a portrait and a landscape, say).
    """
    scale, offset = 1.0, (0, 0)
    for side, span, steps in LEVELS:
        coarse = span is None
        a, b = _level(new, side, blur=not coarse), _level(other, side, blur=not coarse)
        if span is None:
            ratios = np.exp(np.linspace(np.log(1 - MAX_CROP), -np.log(1 - MAX_CROP), steps))
        else:
            ratios = scale * np.exp(np.linspace(-span, span, steps))
        feature = _gradient if coarse else _identity
        found = _best_alignment(a, feature(b), (float(r) for r in ratios), feature)
        if found is None or (coarse and found[0] < COARSE_MIN_CORRELATION):
            return 0.0
        _, scale, offset = found
    source = Image.fromarray(a.astype(np.float32))
    scaled = np.asarray(
        source.resize((round(a.shape[1] * scale), round(a.shape[0] * scale)), Image.Resampling.BILINEAR),
        dtype=np.float64,
    )
    if not _overlap_covers_both(scaled.shape, b.shape, offset):
        return 0.0
    return _worst_tile(scaled, b, offset)


def _overlap_covers_both(new: tuple[int, ...], other: tuple[int, ...], offset: tuple[int, int]) -> bool:
    """Whether the aligned pictures share all but `MAX_CROP` of each one's width and height.

    A near duplicate is cropped a little: the centre of a portrait matching a strip of a
    landscape (both mostly plain background, say) is not one.
    """
    for axis in (0, 1):
        start = max(0, offset[axis])
        end = min(other[axis], offset[axis] + new[axis])
        shared = end - start
        if shared < (1 - MAX_CROP) * new[axis] or shared < (1 - MAX_CROP) * other[axis]:
            return False
    return True


def _identity(pixels: Array) -> Array:
    return pixels


def _worst_tile(new: Array, other: Array, offset: tuple[int, int]) -> float:
    """Agreement of the worst tile of the aligned overlap: 1 - (squared difference / detail)."""
    h2, w2 = new.shape
    rows, cols = other.shape
    oy, ox = offset
    s = TILE_SHIFT
    y0, x0 = max(0, -oy) + s, max(0, -ox) + s
    y1, x1 = min(h2, rows - oy) - s, min(w2, cols - ox) - s
    ny, nx = (y1 - y0) // TILE, (x1 - x0) // TILE
    if ny < 1 or nx < 1:
        return 0.0
    y0 += ((y1 - y0) - ny * TILE) // 2  # centre the grid in the overlap
    x0 += ((x1 - x0) - nx * TILE) // 2
    y1, x1 = y0 + ny * TILE, x0 + nx * TILE
    a = new[y0:y1, x0:x1]
    b = other[y0 + oy - s : y1 + oy + s, x0 + ox - s : x1 + ox + s]
    # Compare shapes, not exposure: each side standardised over the compared area.
    a = (a - a.mean()) / (a.std() + 1e-6)
    inner = b[s:-s, s:-s]
    b = (b - inner.mean()) / (inner.std() + 1e-6)

    def tiles(pixels: Array) -> Array:
        return pixels.reshape(ny, TILE, nx, TILE).transpose(0, 2, 1, 3).reshape(ny * nx, TILE * TILE)

    ta = tiles(a)
    ta = ta - ta.mean(axis=1, keepdims=True)
    energy_a = (ta * ta).mean(axis=1)
    best = np.full(ny * nx, np.inf)
    energy = np.zeros(ny * nx)
    for dy in range(-s, s + 1):
        for dx in range(-s, s + 1):
            tb = tiles(b[s + dy : s + dy + ny * TILE, s + dx : s + dx + nx * TILE])
            tb = tb - tb.mean(axis=1, keepdims=True)
            difference = ((ta - tb) ** 2).mean(axis=1)
            better = difference < best
            best = np.where(better, difference, best)
            energy = np.where(better, energy_a + (tb * tb).mean(axis=1), energy)
    busiest = np.sort(energy)[-max(1, energy.size // 4) :]
    floor = TILE_FLOOR * float(busiest.mean())
    agreement = 1.0 - best / np.maximum(energy, max(floor, 1e-9))
    return float(np.clip(agreement.min(), 0.0, 1.0))
