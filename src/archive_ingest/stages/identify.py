"""Identify and validate the image: format, size, decodability, perceptual hash.

A file that is not a readable image (zero bytes, truncated, text named `.jpg`) or that
declares more pixels than `identify.max_image_pixels` (a decompression bomb: checked
from the header, before any pixel is decoded) becomes a `quarantined` record with the
`corrupt` flag naming the reason. Nothing here writes a file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

import imagehash
from PIL import Image, UnidentifiedImageError

from ..context import RunContext
from ..record import EventType, FlagCode, Kind, Outcome, Record

#: Extensions a format is expected under; a mismatch is recorded, not fatal.
EXTENSIONS = {
    "JPEG": (".jpg", ".jpeg"),
    "PNG": (".png",),
    "TIFF": (".tif", ".tiff"),
    "WEBP": (".webp",),
}


@contextmanager
def _header_size_check_is_ours() -> Iterator[None]:
    """Let Image.open read any header: the limit is applied here, with the sizes in the reason.

    Pillow refuses (or warns about) big images inside `Image.open`, before the size can
    be reported; its limit is restored on leaving, so later decodes stay protected.
    """
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def quarantine(record: Record, ctx: RunContext, reason: str) -> Record:
    record.kind = Kind.QUARANTINED
    record.add_flag(FlagCode.CORRUPT, reason)
    record.add_event(EventType.VALIDATION, ctx.timestamp(), ctx.agent(), Outcome.FAILURE, reason)
    return record


def run(record: Record, ctx: RunContext) -> Record:
    path = ctx.inbox / record.source.filename
    limit = ctx.settings.identify.max_image_pixels
    if record.file.bytes == 0:
        return quarantine(record, ctx, "zero-byte file: nothing to read")
    with _header_size_check_is_ours():
        try:
            with Image.open(path) as image:
                fmt, (width, height) = image.format, image.size
                record.file.format, record.file.width, record.file.height = fmt, width, height
                if width * height > limit:
                    return quarantine(
                        record,
                        ctx,
                        f"decompression bomb: the header declares {width}x{height} pixels "
                        f"({width * height / 1e6:,.0f} MP), over the limit of {limit / 1e6:,.0f} MP; not decoded",
                    )
                frames: int = getattr(image, "n_frames", 1)
                if frames > 1:
                    record.add_event(
                        EventType.VALIDATION,
                        ctx.timestamp(),
                        ctx.agent(),
                        Outcome.WARNING,
                        f"{frames} frames; only the first is read",
                    )
                image.load()  # decode every pixel: a truncated file fails here
                record.file.phash = str(imagehash.phash(image))
        except UnidentifiedImageError:
            return quarantine(record, ctx, "not an image Pillow can identify (wrong extension or damaged header)")
        except (OSError, SyntaxError, ValueError) as exc:
            # Pillow raises OSError for truncated data, SyntaxError/ValueError for some
            # malformed headers.
            return quarantine(record, ctx, f"cannot decode the image: {exc}")
    detail = f"{fmt} {width}x{height}"
    outcome = Outcome.SUCCESS
    suffix = PurePosixPath(record.source.filename).suffix.lower()
    if fmt in EXTENSIONS and suffix not in EXTENSIONS[fmt]:
        outcome = Outcome.WARNING
        detail += f"; the file is named {suffix} but holds {fmt}"
    record.add_event(EventType.FORMAT_IDENTIFICATION, ctx.timestamp(), ctx.agent(), outcome, detail)
    return record
