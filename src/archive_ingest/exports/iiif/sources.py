"""Which picture of a record the IIIF export publishes, and its pixels, read from the archive.

The access copy (`derivatives.access_path`: upright, at most `access.long_edge` pixels,
credit and rights embedded) is what the archive hands out, so it is what is tiled, and its
bytes are published as they are at `full/max` (so the credit travels with the file). A
record without one (a catalog older than the access stage, the stage left out) gets the
same size made from its original here: read only, turned upright by the EXIF orientation
the record holds, scaled to `access.long_edge`, never enlarged; the original's bytes must
still hash to the record's `file.sha256`, or the record is not published (a warning says
to run `verify`). The original is never published at full size: the access size is the
archive's decision of what leaves it.

Nothing here writes: the archive is only read.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from ...config import Settings
from ...images import DECODE_ERRORS, turn_for, upright
from ...record import Record

_ORIENTATION_TAG = 0x0112


class SourceError(Exception):
    """The record's picture cannot be published (missing, altered, undecodable); the message says why."""


@dataclass(frozen=True)
class Source:
    """A record's picture in the archive."""

    path: Path
    key: str
    """What the tiles depend on: the access copy's SHA-256, or the original's and the size
    made from it. The same key means the same tiles."""
    access: bool
    """True for an access copy, False for the original."""
    seen: dict[str, Any] = field(default_factory=dict)
    """For an access copy: `{"path", "size", "mtime_ns", "sha256"}` as hashed, kept in the
    export's state so that the next export hashes the file again only when it changed."""


def source_of(record: Record, settings: Settings, seen: Mapping[str, Any] | None = None) -> Source:
    """The access copy when it is filed, else the original.

    An access copy is identified by its SHA-256; `seen` (a `Source.seen` of an earlier
    export) spares reading the file when its path, size and modification time are the same.

    Raises:
        SourceError: neither is in the archive, or the access copy cannot be read.
    """
    archive = settings.paths.archive
    access = _inside(archive, record.derivatives.access_path)
    if access is not None and access.is_file():
        stat = access.stat()
        now = {"path": record.derivatives.access_path, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if seen and {key: seen.get(key) for key in now} == now and isinstance(seen.get("sha256"), str):
            sha256 = str(seen["sha256"])
        else:
            try:
                sha256 = _sha256(access.read_bytes())
            except OSError as exc:
                raise SourceError(f"{record.id}: cannot read {access}: {exc.strerror}: not published") from exc
        return Source(access, f"access:{sha256}", True, {**now, "sha256": sha256})
    original = _inside(archive, record.file.path)
    if original is None or not original.is_file():
        raise SourceError(f"{record.id}: original {record.file.path} missing from the archive: not published")
    options = settings.access
    return Source(original, f"original:{record.file.sha256}:{options.long_edge}:{options.quality}", False)


def read_picture(record: Record, source: Source, settings: Settings) -> tuple[Image.Image, bytes | None]:
    """The upright RGB pixels to tile, and the access copy's bytes to publish as they are
    (None when the picture was made from the original, or the copy needed turning).

    Raises:
        SourceError: the file cannot be read or decoded, or the original's bytes differ from its record.
    """
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{record.id}: cannot read {source.path}: {exc.strerror}: not published") from exc
    if not source.access and hashlib.sha256(data).hexdigest() != record.file.sha256:
        raise SourceError(
            f"{record.id}: original {record.file.path} differs from its record's sha256: not published "
            "(archive-ingest verify tells more)"
        )
    try:
        with warnings.catch_warnings():
            # The identify stage checked the pixel count against its own limit at ingest.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if source.access:
                    # The access stage tags its copies Orientation 1; a copy tagged otherwise is
                    # turned here, and then its bytes are not the upright picture.
                    turned = image.getexif().get(_ORIENTATION_TAG, 1) not in (None, 1)
                    picture = (ImageOps.exif_transpose(image) if turned else image).convert("RGB")
                    return picture, None if turned else data
                orientation = turn_for(image, record.exif.orientation)
                long_edge = settings.access.long_edge
                if image.format == "JPEG":
                    image.draft("RGB", (long_edge, long_edge))
                picture = _flatten(image)
                picture.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
                return upright(picture, orientation), None
    except DECODE_ERRORS as exc:
        raise SourceError(f"{record.id}: cannot decode {source.path.name}: {exc}: not published") from exc


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels of `image` (the first frame); transparency over white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _inside(archive: Path, relative: str | None) -> Path | None:
    """`archive/relative`, or None when there is no path or it would leave the archive."""
    if not relative:
        return None
    path = (archive / relative).resolve()
    return path if path.is_relative_to(archive.resolve()) else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
