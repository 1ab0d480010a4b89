"""Static IIIF Image API 3.0 level 0: the tiles and `info.json` of one image, made with Pillow.

A level-0 image service is a folder of ready-made JPEGs at the URLs a viewer asks for, so
any static web server serves it. The URLs are the Image API's canonical form, and a viewer
asks for exactly those: for each scale factor `s` (1, 2, 4, ... until the whole image fits
in one tile) the image scaled to `ceil(width / s)` x `ceil(height / s)` is cut in tiles of
`TILE_SIZE` pixels, each at `{x},{y},{w},{h}/{sw},{sh}/0/default.jpg` (region in full-size
pixels, size in scaled pixels; `full` for a region that is the whole image, `max` for a
size that is the full size). A level smaller than one tile is one file,
`full/{sw},{sh}/0/default.jpg`. `sizes` in `info.json` lists the scaled whole images (each
at `full/{w},{h}/0/default.jpg`), which viewers use for thumbnails and overviews, and
`full/max/0/default.jpg` is the whole image at full size (the manifest's image).

Why not the `iiif` package's static generator (`iiif.static`, last released in 2021): asked
for Image API 3.0 it still writes the 2.x size form (`512,/0/default.jpg` where a 3.0
viewer, OpenSeadragon in Mirador and Universal Viewer, asks for `512,384`), links the `w,h`
sizes to the `w,` folders with symlinks (which a copy to object storage or a zip loses),
writes in place (a killed run leaves half a pyramid) and brings python-magic (libmagic),
Flask and ConfigArgParse. The cutting below follows OpenSeadragon's `IIIFTileSource`
request arithmetic, which is the Image API's canonical form (`tests/test_iiif_tiles.py`).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

#: Tile edge in pixels: 512 makes a 1600 px access copy 19 files; viewers accept any size.
TILE_SIZE = 512
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"


@dataclass(frozen=True)
class Piece:
    """One file of the pyramid: `box` (left, top, right, bottom) of the level scaled by 1/`scale`."""

    path: str
    """Relative to the image's folder: `0,0,1024,1024/512,512/0/default.jpg`."""
    scale: int
    box: tuple[int, int, int, int]


def scale_factors(width: int, height: int, tile: int = TILE_SIZE) -> list[int]:
    """1, 2, 4, ... up to the first factor at which the whole image fits in one tile."""
    factors = [1]
    while math.ceil(width / factors[-1]) > tile or math.ceil(height / factors[-1]) > tile:
        factors.append(factors[-1] * 2)
    return factors


def level_size(width: int, height: int, scale: int) -> tuple[int, int]:
    return math.ceil(width / scale), math.ceil(height / scale)


def sizes(width: int, height: int, tile: int = TILE_SIZE) -> list[tuple[int, int]]:
    """The scaled whole images listed in `info.json` (every level but the full size), smallest first."""
    return [level_size(width, height, s) for s in reversed(scale_factors(width, height, tile)) if s > 1]


def pieces(width: int, height: int, tile: int = TILE_SIZE) -> list[Piece]:
    """Every file a viewer may ask for, each once: the tiles of every level, the `sizes`, `full/max`."""
    found: dict[str, Piece] = {}

    def add(region: str, size_w: int, size_h: int, scale: int, box: tuple[int, int, int, int]) -> None:
        size = "max" if (size_w, size_h) == (width, height) else f"{size_w},{size_h}"
        path = f"{region}/{size}/0/default.jpg"
        found.setdefault(path, Piece(path, scale, box))

    for scale in scale_factors(width, height, tile):
        level_w, level_h = level_size(width, height, scale)
        if level_w < tile and level_h < tile:
            add("full", level_w, level_h, scale, (0, 0, level_w, level_h))
            continue
        span = tile * scale  # a tile's edge in full-size pixels
        for row in range(math.ceil(level_h / tile)):
            for column in range(math.ceil(level_w / tile)):
                x, y = column * span, row * span
                region_w, region_h = min(span, width - x), min(span, height - y)
                whole = (x, y, region_w, region_h) == (0, 0, width, height)
                region = "full" if whole else f"{x},{y},{region_w},{region_h}"
                size_w, size_h = min(tile, level_w - column * tile), min(tile, level_h - row * tile)
                left, top = column * tile, row * tile
                add(region, size_w, size_h, scale, (left, top, left + size_w, top + size_h))
    for scale in scale_factors(width, height, tile)[1:]:  # the `sizes`
        size_w, size_h = level_size(width, height, scale)
        add("full", size_w, size_h, scale, (0, 0, size_w, size_h))
    add("full", width, height, 1, (0, 0, width, height))
    return list(found.values())


def info_json(service_id: str, width: int, height: int, tile: int = TILE_SIZE) -> dict[str, Any]:
    """The image's `info.json` (Image API 3.0, level 0) for the service at `service_id`."""
    info: dict[str, Any] = {
        "@context": IMAGE_CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level0",
        "width": width,
        "height": height,
    }
    listed = sizes(width, height, tile)
    if listed:
        info["sizes"] = [{"width": w, "height": h} for w, h in listed]
    info["tiles"] = [{"width": tile, "height": tile, "scaleFactors": scale_factors(width, height, tile)}]
    return info


def write_pyramid(
    picture: Image.Image, folder: Path, *, quality: int, full_jpeg: bytes | None = None, tile: int = TILE_SIZE
) -> int:
    """Write every piece of the upright RGB `picture` under `folder` (which exists); returns
    the number of files. `full_jpeg`, when given, is written as it is for `full/max` (the
    access copy's bytes, with its embedded credit) instead of a new encoding.

    Raises:
        OSError: a file could not be written.
    """
    width, height = picture.size
    levels: dict[int, Image.Image] = {1: picture}
    written = 0
    for piece in pieces(width, height, tile):
        if piece.scale not in levels:
            levels[piece.scale] = picture.resize(level_size(width, height, piece.scale), Image.Resampling.LANCZOS)
        target = folder / piece.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if full_jpeg is not None and piece.path == "full/max/0/default.jpg":
            target.write_bytes(full_jpeg)
        else:
            target.write_bytes(_jpeg(levels[piece.scale].crop(piece.box), quality))
        written += 1
    return written


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
