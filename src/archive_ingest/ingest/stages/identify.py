"""Identify and validate the image: format, size, decodability, perceptual hash.

A file that is not a readable image (empty, truncated, text named `.jpg`) or that
declares more pixels than `identify.max_image_pixels` (a decompression bomb: checked
from the header, before any pixel is decoded) becomes a `quarantined` record with the
`corrupt` flag naming the reason. Nothing here writes a file. (Every empty file has the
same SHA-256, so the first makes the record; the pipeline quarantines each later one on
it, by name: see `pipeline`.)

Formats (issue 16): JPEG, PNG, TIFF, WebP, AVIF (Pillow) and HEIC/HEIF (pillow-heif,
registered in `images.py`). A camera RAW file (`RAW_EXTENSIONS`) is quarantined by its
name before Pillow sees it (Pillow would open most as TIFF and read their small preview);
a JPEG XL file is quarantined when no installed Pillow plugin opens it. Both reasons name
what would read the file; discovery picks these extensions up by default so that they
are quarantined, never skipped.

Multi-page files (a TIFF of hundreds of pages): the original is filed bit for bit like
any other, but only the first page is decoded and read (EXIF, OCR, pHash); the pages are
counted from their headers alone, up to `MAX_PAGES_COUNTED`, and the count is recorded
as a warning event. Later pages are never decoded, so a bomb hidden in page 300 is not
a danger, and a page chain that loops or runs long costs at most that many header reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

import imagehash
from PIL import Image, UnidentifiedImageError

from ...images import DECODE_ERRORS
from ...record import EventType, FlagCode, Kind, Outcome, Record
from ..context import RunContext
from .fixity import source_of

#: Extensions a format is expected under; a mismatch is recorded, not fatal.
EXTENSIONS = {
    "JPEG": (".jpg", ".jpeg"),
    "PNG": (".png",),
    "TIFF": (".tif", ".tiff"),
    "WEBP": (".webp",),
    "HEIF": (".heic", ".heif"),
    "AVIF": (".avif",),
}

#: What archive-ingest reads, for the reasons below.
READS = "archive-ingest reads JPEG, PNG, TIFF, WebP, HEIC/HEIF and AVIF"

#: Camera RAW files (discovered so that they are quarantined with this reason, not skipped).
#: Most are TIFF-based and Pillow would open them as TIFF: the small embedded preview, not
#: the photograph; so they are quarantined by name before Pillow sees them.
RAW_EXTENSIONS = frozenset(
    {".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".orf", ".rw2", ".raf", ".pef", ".srw"}
)

#: The two ways a JPEG XL file starts: a bare codestream, or the ISO BMFF container.
_JXL_SIGNATURES = (b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")


def raw_reason(suffix: str) -> str:
    """Why a camera RAW file is quarantined, naming what would read it."""
    return (
        f"camera RAW ({suffix}): not read here; convert it to TIFF first (darktable, RawTherapee "
        f"or dcraw read it) and drop the TIFF; {READS}"
    )


def jpeg_xl_reason(suffix: str, head: bytes) -> str | None:
    """Why a JPEG XL file Pillow could not open is quarantined; None if it is not JPEG XL."""
    if suffix == ".jxl" or head.startswith(_JXL_SIGNATURES):
        return (
            f"JPEG XL ({suffix or 'no extension'}): no JPEG XL decoder is installed; convert it to PNG "
            f"or JPEG with libjxl's djxl first; {READS}"
        )
    return None


#: The reason a file of 0 bytes is quarantined.
EMPTY_FILE = "empty file (0 bytes): nothing to read"

#: Pages counted (headers only) in a multi-page file; more are reported as "over N".
MAX_PAGES_COUNTED = 1000


def _count_pages(image: Image.Image) -> str | None:
    """`"312 pages"` for a multi-page image, from the page headers alone; None for one page."""
    if not getattr(image, "is_animated", False):
        return None
    count = 1
    try:
        while count <= MAX_PAGES_COUNTED:
            image.seek(count)
            count += 1
    except EOFError:
        pass
    finally:
        image.seek(0)
    return f"over {MAX_PAGES_COUNTED:,} pages" if count > MAX_PAGES_COUNTED else f"{count:,} pages"


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


def _head(record: Record, ctx: RunContext) -> bytes:
    """The file's first bytes (a signature), or b"" if it cannot be read now."""
    if record.file.content is not None:
        return record.file.content[:16]
    try:
        with (ctx.inbox / record.source.filename).open("rb") as handle:
            return handle.read(16)
    except OSError:
        return b""


def quarantine(record: Record, ctx: RunContext, reason: str) -> Record:
    record.kind = Kind.QUARANTINED
    record.add_flag(FlagCode.CORRUPT, reason)
    record.add_event(EventType.VALIDATION, ctx.timestamp(), ctx.agent(), Outcome.FAILURE, reason)
    return record


def run(record: Record, ctx: RunContext) -> Record:
    source = source_of(record, ctx)
    limit = ctx.settings.identify.max_image_pixels
    if record.file.bytes == 0:
        return quarantine(record, ctx, EMPTY_FILE)
    suffix = PurePosixPath(record.source.filename).suffix.lower()
    if suffix in RAW_EXTENSIONS:
        return quarantine(record, ctx, raw_reason(suffix))
    with _header_size_check_is_ours():
        try:
            with Image.open(source) as image:
                fmt, (width, height) = image.format, image.size
                record.file.format, record.file.width, record.file.height = fmt, width, height
                if width * height > limit:
                    return quarantine(
                        record,
                        ctx,
                        f"decompression bomb: the header declares {width}x{height} pixels "
                        f"({width * height / 1e6:,.0f} MP), over the limit of {limit / 1e6:,.0f} MP; not decoded",
                    )
                pages = _count_pages(image)
                if pages is not None:
                    record.add_event(
                        EventType.VALIDATION,
                        ctx.timestamp(),
                        ctx.agent(),
                        Outcome.WARNING,
                        f"{pages}; only the first is read",
                    )
                image.load()  # decode every pixel: a truncated file fails here
                record.file.phash = str(imagehash.phash(image))
        except UnidentifiedImageError:
            unsupported = jpeg_xl_reason(suffix, _head(record, ctx))
            if unsupported is not None:
                return quarantine(record, ctx, unsupported)
            return quarantine(record, ctx, "not an image Pillow can identify (wrong extension or damaged header)")
        except DECODE_ERRORS as exc:
            return quarantine(record, ctx, f"cannot decode the image: {exc}")
    detail = f"{fmt} {width}x{height}"
    outcome = Outcome.SUCCESS
    if fmt in EXTENSIONS and suffix not in EXTENSIONS[fmt]:
        outcome = Outcome.WARNING
        detail += f"; the file is named {suffix} but holds {fmt}"
    record.add_event(EventType.FORMAT_IDENTIFICATION, ctx.timestamp(), ctx.agent(), outcome, detail)
    return record
