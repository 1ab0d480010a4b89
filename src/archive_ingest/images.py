"""What every stage that decodes an image shares: the formats Pillow reads, the errors it
raises on a damaged file, and how to turn stored pixels upright for an EXIF orientation.

`identify`, `exif`, `ocr`, `access` and `verify` decode images; each catches
`DECODE_ERRORS` (never a bare `Exception`, so a programming error fails loudly instead of
becoming a warning on every record) and turns pixels upright with `upright`.

Formats (issue 16): Pillow reads JPEG, PNG, TIFF, WebP and, from Pillow 11.2 on, AVIF
(its wheels bundle libavif). HEIC/HEIF comes from `pillow-heif`, whose opener is
registered when this module is imported: every module that decodes images imports it, in
the main process and in each worker process alike. pillow-heif decodes a HEIF as it is
meant to be shown (libheif applies the container's `irot`/`imir` turns) and resets the
EXIF orientation it hands Pillow to 1; the HEIF specification says the EXIF orientation
is informative only. `turn_for` therefore turns a HEIF by nothing, whatever its EXIF says
(an iPhone's says 6 over pixels libheif has already turned). AVIF follows the same rule,
the other way round: Pillow keeps the pixels as stored and states the container's
`irot`/`imir` as the EXIF orientation of `image.getexif()` (Pillow writes an AVIF's
orientation there, not in its EXIF block), so an AVIF is turned by that.
"""

from __future__ import annotations

import struct
import zlib

import pillow_heif
from PIL import Image

#: Pillow's format name for what pillow-heif opens (.heic, .heif).
HEIF = "HEIF"


def register_formats() -> None:
    """Let Pillow open HEIC/HEIF (pillow-heif). Idempotent; done when this module is imported."""
    pillow_heif.register_heif_opener(thumbnails=False)


register_formats()

#: What Pillow raises on a damaged, truncated or hostile image: OSError (truncated data,
#: UnidentifiedImageError), SyntaxError and ValueError (malformed headers and chunks),
#: EOFError (a frame past the end), DecompressionBombError (a pixel count past the limit),
#: and struct.error and zlib.error, which some plugins let through from their parsing.
DECODE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    Image.DecompressionBombError,
    struct.error,
    zlib.error,
)

_ORIENTATION_TAG = 0x0112

#: How to turn stored pixels upright for each EXIF orientation (1 = already upright).
ORIENTATION_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def upright(image: Image.Image, orientation: int | None) -> Image.Image:
    """`image` turned as EXIF `orientation` (1-8; None or 1: as stored) says it was taken."""
    for transpose in ORIENTATION_TRANSPOSE.get(orientation or 1, ()):
        image = image.transpose(transpose)
    return image


def turn_for(image: Image.Image, orientation: int | None) -> int | None:
    """The orientation to turn the just-opened `image` by, given its EXIF `orientation`.

    JPEG, PNG, TIFF, WebP: `orientation`. HEIF: none, AVIF: its container's (see above).
    """
    if image.format == HEIF:
        return None
    if image.format == "AVIF":
        turn = image.getexif().get(_ORIENTATION_TAG)
        return turn if isinstance(turn, int) and turn in ORIENTATION_TRANSPOSE else None
    return orientation
