"""Draw test scans with Pillow: an inscription in a real font, optional EXIF, any format.

Tests (and `samples/make_samples.py`, which makes the bundled sample scans) use this one
helper so that what the samples look like is what the tests check. Fonts come from
Debian's fonts-dejavu-core (Cyrillic, Latin) and fonts-nanum (Hangul), which `.ci/run`
and the Quick start install; a missing font is an error, never a silent fallback to
Pillow's bitmap font that tesseract cannot read.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")

# EXIF tag numbers (EXIF 2.32); Pillow's Image.Exif takes them directly.
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_DATETIME = 0x0132
TAG_ARTIST = 0x013B
TAG_COPYRIGHT = 0x8298
TAG_DESCRIPTION = 0x010E
IFD_EXIF = 0x8769
IFD_GPS = 0x8825
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME_DIGITIZED = 0x9004


@dataclass(frozen=True)
class ExifSpec:
    """EXIF to write; None leaves a tag out."""

    date_original: str | None = None  # "2013:01:09 11:50:11"
    date_digitized: str | None = None
    date_time: str | None = None
    make: str | None = None
    model: str | None = None
    artist: str | None = None
    copyright: str | None = None
    description: str | None = None
    orientation: int | None = None
    gps: tuple[float, float] | None = None  # signed decimal degrees (lat, lon)


def font_for(text: str, size: int) -> ImageFont.FreeTypeFont:
    """NanumGothic for Hangul or CJK, DejaVu Sans otherwise."""
    hangul = any("\uac00" <= ch <= "\ud7a3" or "\u4e00" <= ch <= "\u9fff" for ch in text)
    path = NANUM if hangul else DEJAVU_BOLD
    if not path.exists():
        raise FileNotFoundError(f"font {path} missing: install fonts-dejavu-core and fonts-nanum")
    return ImageFont.truetype(str(path), size)


def draw_inscription(
    lines: Sequence[str],
    *,
    size: tuple[int, int] | None = None,
    font_px: int = 56,
    background: int = 235,
    ink: int = 25,
    margin: int = 60,
) -> Image.Image:
    """An RGB image with `lines` centred, dark on light, the way a clean stone reads."""
    fonts = [font_for(line, font_px) for line in lines]
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    boxes = [probe.textbbox((0, 0), line, font=font) for line, font in zip(lines, fonts, strict=True)]
    line_h = int(font_px * 1.5)
    text_w = max((box[2] - box[0] for box in boxes), default=0)
    width, height = size or (text_w + 2 * margin, line_h * max(len(lines), 1) + 2 * margin)
    image = Image.new("RGB", (width, height), (background,) * 3)
    draw = ImageDraw.Draw(image)
    top = (height - line_h * len(lines)) // 2
    for index, (line, font, box) in enumerate(zip(lines, fonts, boxes, strict=True)):
        x = (width - (box[2] - box[0])) // 2 - box[0]
        draw.text((x, top + index * line_h), line, font=font, fill=(ink,) * 3)
    return image


def _gps_ifd(lat: float, lon: float) -> dict[int, object]:
    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes_full = (value - degrees) * 60
        minutes = int(minutes_full)
        seconds = round((minutes_full - minutes) * 60, 4)
        return (float(degrees), float(minutes), seconds)

    return {
        0: b"\x02\x03\x00\x00",  # GPSVersionID 2.3
        1: "N" if lat >= 0 else "S",
        2: dms(lat),
        3: "E" if lon >= 0 else "W",
        4: dms(lon),
    }


def build_exif(spec: ExifSpec) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in (
        (TAG_MAKE, spec.make),
        (TAG_MODEL, spec.model),
        (TAG_DATETIME, spec.date_time),
        (TAG_ARTIST, spec.artist),
        (TAG_COPYRIGHT, spec.copyright),
        (TAG_DESCRIPTION, spec.description),
        (TAG_ORIENTATION, spec.orientation),
    ):
        if value is not None:
            exif[tag] = value
    sub = {}
    if spec.date_original:
        sub[TAG_DATETIME_ORIGINAL] = spec.date_original
    if spec.date_digitized:
        sub[TAG_DATETIME_DIGITIZED] = spec.date_digitized
    if sub:
        exif.get_ifd(IFD_EXIF).update(sub)
    if spec.gps is not None:
        exif.get_ifd(IFD_GPS).update(_gps_ifd(*spec.gps))
    return exif


def store_for_orientation(image: Image.Image, orientation: int | None) -> Image.Image:
    """Rotate upright pixels the way a camera stores them for `orientation`.

    With orientation 6 a camera stores the picture turned 90 degrees counter-clockwise
    and tells viewers to turn it 90 degrees clockwise; this returns those stored pixels.
    """
    if orientation == 6:
        return image.transpose(Image.Transpose.ROTATE_90)
    if orientation == 8:
        return image.transpose(Image.Transpose.ROTATE_270)
    if orientation == 3:
        return image.transpose(Image.Transpose.ROTATE_180)
    return image


def make_scan(
    path: Path,
    lines: Sequence[str],
    *,
    exif: ExifSpec | None = None,
    fmt: str | None = None,
    caption: str | None = None,
    caption_encoding: str = "utf-8",
    **draw_options: object,
) -> Path:
    """Write a scan of `lines` to `path` (format from the suffix unless `fmt`), return it.

    The inscription is drawn upright, then stored rotated to match `exif.orientation`, so
    a reader that honours EXIF orientation sees it upright. A caption, when given, goes
    beside it as `<stem>.txt` in `caption_encoding` ("utf-8-sig" writes a BOM).
    """
    save_scan(path, draw_inscription(lines, **draw_options), exif=exif, fmt=fmt)  # type: ignore[arg-type]
    if caption is not None:
        path.with_suffix(".txt").write_bytes(caption.encode(caption_encoding))
    return path


def save_scan(
    path: Path,
    image: Image.Image,
    *,
    exif: ExifSpec | None = None,
    fmt: str | None = None,
    quality: int = 90,
    **options: object,
) -> Path:
    """Save upright pixels as a camera would: stored rotated for `exif.orientation`, EXIF attached.

    The format follows the suffix unless `fmt` is given; JPEGs are saved at `quality`.
    """
    image = store_for_orientation(image, exif.orientation if exif else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_options: dict[str, object] = dict(options)
    if exif is not None:
        save_options["exif"] = build_exif(exif)
    target_format = fmt or {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}.get(
        path.suffix.lower(), path.suffix.lstrip(".").upper()
    )
    if target_format == "JPEG":
        save_options.setdefault("quality", quality)
    image.save(path, format=target_format, **save_options)
    return path


def make_bomb_png(path: Path, side: int = 30_000) -> Path:
    """A tiny PNG whose header declares a `side` x `side` image (a decompression bomb).

    Only the header matters: a safe reader refuses it before decoding. The chunks are
    built by hand (valid CRCs, a short compressed stream) so the file is made in
    microseconds instead of compressing `side`*`side` real pixels.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    pixels = zlib.compress(b"\x00" * 4096)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


def truncate(path: Path, keep_fraction: float = 0.5) -> Path:
    """Cut a file to `keep_fraction` of its bytes (a transfer that stopped half-way)."""
    data = path.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep_fraction))])
    return path
