"""The site's pictures: each record's access copy and thumbnail, copied or made.

The pipeline's `access` stage files an access copy and a thumbnail per record under
`archive/derivatives/` (upright, credit and rights embedded) and notes them in
`record.derivatives`; the site copies those. A record without them (a catalog older than
the stage, the stage left out of `stages:`, a file gone missing) gets them made here from
its original, by `ingest/stages/access.render` when that module is installed, else by a plain
Pillow resize (upright, no embedded credit: the page around it states the credit). The
archive is never written to. A quarantined record, or an original that cannot be read,
gets no picture: its pages show a placeholder.
"""

from __future__ import annotations

import importlib
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from ..config import Settings
from ..images import register_formats
from ..record import Record

register_formats()  # HEIC originals get pictures too

#: Sizes used when the settings have no `access` section (the access stage's defaults).
DEFAULT_LONG_EDGE, DEFAULT_THUMBNAIL_EDGE, DEFAULT_QUALITY = 1600, 320, 85


@dataclass
class Pictures:
    """Where a record's pictures are in the site (paths relative to the site's root)."""

    access: str | None = None
    thumbnail: str | None = None


@dataclass
class ImageTally:
    copied: int = 0
    made: int = 0
    missing: int = 0
    warnings: list[str] = field(default_factory=list)


def site_paths(record_id: str) -> tuple[str, str]:
    """The site-relative paths of a record's access copy and thumbnail (sharded like the archive)."""
    return f"images/{record_id[:2]}/{record_id}.access.jpg", f"images/{record_id[:2]}/{record_id}.thumb.jpg"


def write_pictures(record: Record, settings: Settings, out_dir: Path, tally: ImageTally) -> Pictures:
    """Put `record`'s access copy and thumbnail under `out_dir/images/`; say where they are."""
    if record.quarantined or not record.file.path:
        return Pictures()
    access_rel, thumb_rel = site_paths(record.id)
    access_out, thumb_out = out_dir / access_rel, out_dir / thumb_rel
    access_out.parent.mkdir(parents=True, exist_ok=True)
    archive = settings.paths.archive
    filed = _filed_derivatives(record, archive)
    if filed is not None:
        shutil.copyfile(filed[0], access_out)
        shutil.copyfile(filed[1], thumb_out)
        tally.copied += 1
        return Pictures(access_rel, thumb_rel)
    original = _inside(archive, record.file.path)
    if original is None or not original.is_file():
        tally.missing += 1
        tally.warnings.append(f"{record.id}: original {record.file.path} missing: no picture")
        return Pictures()
    try:
        access, thumbnail = _render(record, original, settings)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        tally.missing += 1
        tally.warnings.append(f"{record.id}: cannot make an access copy of {record.file.path}: {exc}")
        return Pictures()
    access_out.write_bytes(access)
    thumb_out.write_bytes(thumbnail)
    tally.made += 1
    return Pictures(access_rel, thumb_rel)


def _inside(archive: Path, relative: str | None) -> Path | None:
    """`archive/relative`, or None when the path would leave the archive."""
    if not relative:
        return None
    path = (archive / relative).resolve()
    return path if path.is_relative_to(archive.resolve()) else None


def _filed_derivatives(record: Record, archive: Path) -> tuple[Path, Path] | None:
    # `record.derivatives` arrives with the access stage; older code and catalogs lack it.
    derivatives = getattr(record, "derivatives", None)
    access = _inside(archive, getattr(derivatives, "access_path", None))
    thumbnail = _inside(archive, getattr(derivatives, "thumbnail_path", None))
    if access is None or thumbnail is None or not access.is_file() or not thumbnail.is_file():
        return None
    return access, thumbnail


def _access_module() -> Any:
    try:
        return importlib.import_module("archive_ingest.ingest.stages.access")
    except ModuleNotFoundError:
        return None


def _render(record: Record, original: Path, settings: Settings) -> tuple[bytes, bytes]:
    module = _access_module()
    options = getattr(settings, "access", None)
    provenance = record.provenance
    credit = provenance.credit if provenance else settings.provenance.credit
    rights = provenance.rights if provenance else settings.provenance.rights
    if module is not None and options is not None and hasattr(module, "render"):
        copies = module.render(
            original,
            orientation=record.exif.orientation,
            credit=credit,
            rights=rights,
            title=record.caption,
            settings=options,
        )
        return bytes(copies.access), bytes(copies.thumbnail)
    long_edge = int(getattr(options, "long_edge", DEFAULT_LONG_EDGE))
    thumbnail_edge = int(getattr(options, "thumbnail_edge", DEFAULT_THUMBNAIL_EDGE))
    quality = int(getattr(options, "quality", DEFAULT_QUALITY))
    with Image.open(original) as opened:
        upright = ImageOps.exif_transpose(opened).convert("RGB")
    return _jpeg(upright, long_edge, quality), _jpeg(upright, thumbnail_edge, quality)


def _jpeg(image: Image.Image, long_edge: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()
