"""Records and their originals as a BagIt bag (RFC 8493), made by the Library of Congress's `bagit`.

A bag is how the photos themselves go to another archive: a folder whose SHA-256
manifests let the receiver check every byte arrived. Payload (`data/`), each path as in
the archive, so a record's `file.path`, `source.caption_path` and `ocr.words_path` name
its files under `data/`:

- `data/originals/ab/<id>.jpg`: each selected original, bit for bit (a quarantined
  record's file is under `data/quarantine/`, as in the archive);
- `data/captions/ab/<sha256>.txt|.csv`: the caption files (sidecars, manifests) as dropped;
- `data/derivatives/ab/<id>.words.json`: the words OCR read, with confidence and box;
- `data/records/<id>.json`: each record in the record contract, events included.

Every original and caption is hashed as it is copied and must match the SHA-256 the
record holds: a bag must not certify bytes the archive itself would report as altered
(`archive-ingest verify` says which). `bag-info.txt` names the source organisation (the
provenance settings' credit), describes the export, and carries the query that selected
it. The bag is built in a hidden folder beside the target and renamed into place, so an
export that fails leaves no half-made bag; the archive is only read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path, PurePosixPath

import bagit  # type: ignore[import-untyped]

from .. import __version__
from ..config import Settings
from ..errors import ConfigError, IngestError
from ..record import Record
from . import current_umask


class BagSourceError(IngestError):
    """An archived file the bag needs is missing or no longer matches its record's SHA-256."""

    exit_code = 1


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty folder.

    Raises:
        ConfigError: exit 2, one line.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "a folder that is not empty" if target.is_dir() else "a file"
        raise ConfigError(f"{target}: is {what}; --format bagit writes a new bag into a new or empty folder")


def make_bag(
    records: Sequence[Record],
    target: Path,
    settings: Settings,
    *,
    query: str | None = None,
    bagging_date: date | None = None,
) -> bagit.Bag:
    """Make a bag of `records` at `target` (a new or empty folder); returns the bag.

    Raises:
        ConfigError: `target` is a file or a folder that is not empty, or its parent is missing.
        BagSourceError: an original or caption is missing from the archive or altered.
    """
    check_target(target)
    parent = target.absolute().parent
    if not parent.is_dir():
        raise ConfigError(f"{parent}: no such folder for --out")
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    try:
        payload_bytes = _fill_payload(records, settings.paths.archive, building)
        info = bag_info(records, settings, query=query, payload_bytes=payload_bytes, bagging_date=bagging_date)
        bagit.make_bag(str(building), bag_info=info, processes=1, checksums=["sha256"])
        os.chmod(building, 0o777 & ~current_umask())  # mkdtemp's 0700 is for secrets, not for a bag to hand out
        if target.exists():
            target.rmdir()  # empty, checked above
        os.rename(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return bagit.Bag(str(target))


def bag_info(
    records: Sequence[Record],
    settings: Settings,
    *,
    query: str | None,
    payload_bytes: int,
    bagging_date: date | None = None,
) -> dict[str, str]:
    """The `bag-info.txt` fields (bagit adds `Payload-Oxum`)."""
    provenance = settings.provenance
    noun = "record" if len(records) == 1 else "records"
    description = (
        f"{len(records)} {noun} of an archive-ingest catalog: the original scans bit for bit, the caption files "
        f"as dropped, the OCR words, and each record as JSON (the record contract, with its events). "
        f"{provenance.source}. {provenance.rights}"
    )
    if provenance.commentary:
        description += f" Commentary: {provenance.commentary}."
    info = {
        "Source-Organization": provenance.credit,
        "External-Description": description,
        "Bagging-Date": (bagging_date or date.today()).isoformat(),
        "Bag-Count": "1 of 1",
        "Bag-Size": _human_size(payload_bytes),
        "Bag-Software-Agent": f"archive-ingest {__version__} (bagit.py {bagit.VERSION})",
        "Internal-Sender-Description": (
            f"Selected by the query: {query}" if query is not None else "Every record of the catalog."
        ),
    }
    return info


def _fill_payload(records: Sequence[Record], archive: Path, root: Path) -> int:
    """Copy each record's files and write its JSON under `root` (bagit moves them into data/)."""
    total = 0
    copied: set[str] = set()
    (root / "records").mkdir()
    for record in records:
        wanted = [(record.file.path, record.file.sha256), (record.source.caption_path, record.source.caption_sha256)]
        wanted.append((record.ocr.words_path, None))
        for relative, sha256 in wanted:
            if relative is None or relative in copied:
                continue
            total += _copy(archive, relative, root, sha256)
            copied.add(relative)
        data = json.dumps(record.to_json(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        (root / "records" / f"{record.id}.json").write_bytes(data)
        total += len(data)
    return total


def _copy(archive: Path, relative: str, root: Path, sha256: str | None) -> int:
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise BagSourceError(f"{relative}: not a path inside the archive")
    source, target = archive.joinpath(*parts), root.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as src, target.open("xb") as dst:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
    except FileNotFoundError as exc:
        raise BagSourceError(f"{source}: missing from the archive (run archive-ingest verify)") from exc
    if sha256 is not None and digest.hexdigest() != sha256:
        raise BagSourceError(
            f"{source}: its sha256 {digest.hexdigest()} differs from the record's {sha256} (run archive-ingest verify)"
        )
    return size


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
