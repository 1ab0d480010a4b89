"""The archive's folder layout: where each kind of file lives, relative to `archive/`.

- `originals/ab/<id>.<ext>`: the original, named by record id (the first 16 hex digits of
  its SHA-256), under a two-character fan-out folder; the extension follows the format
  identified (a PNG dropped as `.jpg` is filed as `.png`; its name as dropped stays in
  `source.filename`);
- `quarantine/ab/<id>.<ext>`: files that could not be read safely;
- `derivatives/ab/<id>.words.json`: the words OCR read, with confidence and box;
- `derivatives/ab/<id>.access.jpg`, `<id>.thumb.jpg`: the credited access copy and thumbnail;
- `captions/ab/<sha256>.txt|.csv`: caption sidecars and manifests, bit for bit,
  content-addressed (the same caption file is stored once);
- `records/<id>.json` beside the catalog: each record's sidecar (`catalog/files.py`).

Every module that names an archive path asks here (filing, recovery, verify, the
near-duplicate index), so the layout is written down once.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..record import Record

ORIGINALS = "originals"
QUARANTINE = "quarantine"
DERIVATIVES = "derivatives"
CAPTIONS = "captions"
RECORDS = "records"

#: Folders of files named by record id: each file in them must belong to a record.
RECORD_FOLDERS = (ORIGINALS, QUARANTINE, DERIVATIVES)

#: The extension an original is filed with, by the format `identify` found.
#: HEIF: pillow-heif decodes HEVC-coded HEIF only, i.e. HEIC, whatever the file was named.
FORMAT_EXTENSIONS = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "TIFF": ".tif",
    "WEBP": ".webp",
    "HEIF": ".heic",
    "AVIF": ".avif",
}
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


def _fanned(folder: str, name: str) -> str:
    return f"{folder}/{name[:2]}/{name}"


def original_path(record: Record) -> str:
    """Where the original goes: `originals/` (or `quarantine/`), by record id and format."""
    ext = FORMAT_EXTENSIONS.get(record.file.format or "")
    if ext is None:
        suffix = PurePosixPath(record.source.filename).suffix.lower()
        ext = suffix if _SAFE_SUFFIX.match(suffix) else ".bin"
    return _fanned(QUARANTINE if record.quarantined else ORIGINALS, f"{record.id}{ext}")


#: The suffix a filed caption file keeps, by what it is (`drops.CaptionKind`).
CAPTION_SUFFIXES = {"sidecar": ".txt", "manifest": ".csv", "page": ".html"}


def caption_path(sha256: str, kind: str) -> str:
    """Where a caption file goes: content-addressed, `.txt` for a sidecar, `.csv` for a
    manifest, `.html` for a saved web page."""
    return _fanned(CAPTIONS, f"{sha256}{CAPTION_SUFFIXES[kind]}")


def words_path(record_id: str) -> str:
    """Where the OCR words of a record go."""
    return _fanned(DERIVATIVES, f"{record_id}.words.json")


def access_paths(record_id: str) -> tuple[str, str]:
    """Where the access copy and the thumbnail of a record go."""
    return _fanned(DERIVATIVES, f"{record_id}.access.jpg"), _fanned(DERIVATIVES, f"{record_id}.thumb.jpg")
