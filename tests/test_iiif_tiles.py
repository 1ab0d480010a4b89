"""Static Image API 3 level-0 tiles (`exports/iiif/tiles.py`), checked against what a viewer asks for.

`viewer_requests` is OpenSeadragon's `IIIFTileSource` (5.0.1, the one inside the vendored
Mirador 4.0.0: `configure`, `getNumTiles` and `getTileUrl`) transcribed for an Image API
3 `info.json` with `tiles`: every URL it can request at every level. The export must have
a file for each of them, and no viewer request may fall between files. The same function
checks the exported folders in `test_iiif.py`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from archive_ingest.exports.iiif import tiles


def viewer_requests(info: dict[str, Any]) -> set[str]:
    """Every `{region}/{size}/0/default.jpg` a viewer may ask of the service `info` describes:
    OpenSeadragon's tiles at every level, and the listed `sizes` (thumbnails, overviews)."""
    width, height = info["width"], info["height"]
    tile = info["tiles"][0]
    tile_w, tile_h = tile["width"], tile.get("height", tile["width"])
    max_level = round(math.log2(max(tile["scaleFactors"])))
    sizes = sorted(info.get("sizes", []), key=lambda size: size["width"])
    level_sizes = None
    if sizes and len(sizes) in (max_level, max_level + 1):
        level_sizes = sizes + ([{"width": width, "height": height}] if len(sizes) == max_level else [])
    wanted = {f"full/{size['width']},{size['height']}/0/default.jpg" for size in sizes}
    for level in range(max_level + 1):
        scale = 0.5 ** (max_level - level)
        if level_sizes:
            level_w, level_h = level_sizes[level]["width"], level_sizes[level]["height"]
            columns, rows = math.ceil(level_w / tile_w), math.ceil(level_h / tile_h)
        else:
            level_w, level_h = math.ceil(width * scale), math.ceil(height * scale)
            columns, rows = math.ceil(scale * width / tile_w), math.ceil(scale * height / tile_h)
        region_w, region_h = round(tile_w / scale), round(tile_h / scale)
        for x in range(columns):
            for y in range(rows):
                if level_w < tile_w and level_h < tile_h:
                    region, size_w, size_h = "full", level_w, level_h
                else:
                    left, top = x * region_w, y * region_h
                    w, h = min(region_w, width - left), min(region_h, height - top)
                    whole = x == 0 and y == 0 and (w, h) == (width, height)
                    region = "full" if whole else f"{left},{top},{w},{h}"
                    size_w, size_h = min(tile_w, level_w - x * tile_w), min(tile_h, level_h - y * tile_h)
                size = "max" if (size_w, size_h) == (width, height) else f"{size_w},{size_h}"
                wanted.add(f"{region}/{size}/0/default.jpg")
    return wanted


def pixel_size(path: str, info: dict[str, Any]) -> tuple[int, int]:
    """The pixel size a request's path asks for."""
    region, size = path.split("/")[:2]
    if size != "max":
        width, height = size.split(",")
        return int(width), int(height)
    if region == "full":
        return info["width"], info["height"]
    _, _, width, height = region.split(",")
    return int(width), int(height)


SIZES = [(1600, 1200), (1200, 1600), (600, 800), (780, 540), (512, 512), (511, 300), (513, 100), (1024, 1024),
         (1025, 1023), (100, 3000), (1, 1), (2049, 7)]  # fmt: skip


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_files_are_exactly_what_the_viewer_asks_for(width: int, height: int) -> None:
    info = tiles.info_json("http://127.0.0.1:8000/images/0123456789abcdef", width, height)
    made = {piece.path for piece in tiles.pieces(width, height)}
    assert made == viewer_requests(info) | {"full/max/0/default.jpg"}


def test_info_json_is_image_api_3_level_0() -> None:
    assert tiles.info_json("http://x.org/iiif/images/ab", 1600, 1200) == {
        "@context": "http://iiif.io/api/image/3/context.json",
        "id": "http://x.org/iiif/images/ab",
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level0",
        "width": 1600,
        "height": 1200,
        "sizes": [{"width": 400, "height": 300}, {"width": 800, "height": 600}],
        "tiles": [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4]}],
    }
    small = tiles.info_json("http://x.org/iiif/images/ab", 300, 200)
    assert "sizes" not in small and small["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1]}]


def _gradient(width: int, height: int) -> Image.Image:
    """A picture whose every tile differs from its neighbours (so a misplaced tile shows)."""
    red = Image.linear_gradient("L").resize((width, height))
    green = red.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    blue = Image.radial_gradient("L").resize((width, height))
    return Image.merge("RGB", (red, green, blue))


def test_the_tiles_of_each_level_put_together_are_the_picture(tmp_path: Path) -> None:
    width, height = 1300, 700
    picture = _gradient(width, height)
    assert tiles.write_pyramid(picture, tmp_path, quality=90) == len(tiles.pieces(width, height))
    info = tiles.info_json("http://x.org/images/ab", width, height)
    for path in viewer_requests(info) | {"full/max/0/default.jpg"}:
        with Image.open(tmp_path / path) as image:
            assert (image.format, image.size) == ("JPEG", pixel_size(path, info)), path
    for scale in info["tiles"][0]["scaleFactors"]:
        level = picture.resize(tiles.level_size(width, height, scale), Image.Resampling.LANCZOS)
        assembled = Image.new("RGB", level.size)
        for piece in tiles.pieces(width, height):
            if piece.scale == scale and not piece.path.startswith("full/"):
                with Image.open(tmp_path / piece.path) as part:
                    region = [int(n) for n in piece.path.split("/")[0].split(",")]
                    assembled.paste(part, (region[0] // scale, region[1] // scale))
        if scale < max(info["tiles"][0]["scaleFactors"]):
            difference = ImageStat.Stat(ImageChops.difference(assembled, level)).mean
            assert max(difference) < 3, (scale, difference)  # JPEG noise only


def test_full_max_can_be_the_access_copy_as_it_is(tmp_path: Path) -> None:
    tiles.write_pyramid(_gradient(300, 200), tmp_path, quality=85, full_jpeg=b"the access copy's bytes")
    assert (tmp_path / "full" / "max" / "0" / "default.jpg").read_bytes() == b"the access copy's bytes"
