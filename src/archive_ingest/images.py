"""What every stage that decodes an image shares: the errors Pillow raises on a damaged
file, and how to turn stored pixels upright for an EXIF orientation.

`identify`, `ocr`, `access` and `verify` decode images; each catches `DECODE_ERRORS`
(never a bare `Exception`, so a programming error fails loudly instead of becoming a
warning on every record) and turns pixels upright with `upright`.
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image

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
