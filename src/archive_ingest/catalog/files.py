"""The files kept beside the catalog: record sidecars and backups.

Record sidecars: a catalog opened with a `sidecar_dir` (every writer; by default the
`records/` folder beside the catalog, `archive/records/` in the default layout) writes each
committed record's JSON (the record contract) to `records/ab/<id>.json`, atomically,
before the catalog itself. So the archive on disk holds every record twice over, and
`archive-ingest catalog rebuild` (`catalog/rebuild.py`) can regenerate the catalog from it.

Backups: a run's writer (purpose `archive-ingest run`) first checks that the catalog parses
and keeps a copy of it as `catalog.json.bak`, shifting older copies to `.bak.1` and `.bak.2`
(three in all: enough to step back over the last runs, small enough to need no setting);
a catalog that does not parse is refused, never read as empty and overwritten.

Both are written by `files/atomic.py`'s one atomic write (temp file, fsync, rename, folder
fsync; created with the user's umask, like every file of the archive). The backups' names
(`backup_path`) are `catalog/storage.py`'s, whose errors point to the newest.

Also here: `is_catalog_companion` (which files beside the catalog belong to it). No TinyDB here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import CatalogError
from ..files.atomic import atomic_file, fsync_dir, make_folders, write_atomic
from ..files.layout import RECORDS
from ..record import Record
from .storage import backup_path, parse_catalog_bytes

#: How many backups a run keeps: `catalog.json.bak` (the newest), `.bak.1`, `.bak.2`.
BACKUP_COUNT = 3


def sidecar_dir_for(catalog_path: Path) -> Path:
    """Where the record sidecars of `catalog_path` live: `records/` beside it."""
    return catalog_path.parent / RECORDS


def sidecar_path(sidecar_dir: Path, record_id: str) -> Path:
    """`<sidecar_dir>/ab/<id>.json`."""
    return sidecar_dir / record_id[:2] / f"{record_id}.json"


def sidecar_bytes(record: Record) -> bytes:
    """A record's sidecar: its JSON (the record contract), indented, UTF-8, unescaped."""
    return json.dumps(record.to_json(), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def write_sidecars(sidecar_dir: Path, records: Iterable[Record]) -> None:
    """Write each record's sidecar atomically (temp file, fsync, rename; then each folder
    once).

    Raises:
        OSError: a sidecar could not be written (no partial file is left; the commit stops).
    """
    folders: set[Path] = set()
    for record in records:
        target = sidecar_path(sidecar_dir, record.id)
        if target.parent not in folders:
            make_folders(target.parent)
        write_atomic(target, sidecar_bytes(record), sync_dir=False)
        folders.add(target.parent)
    for folder in folders:
        fsync_dir(folder)


def is_catalog_companion(catalog_path: Path, path: Path) -> bool:
    """True for the catalog and the files kept beside it: its lock and holder, backups,
    the search index (`.search.sqlite*`), the undo journal of an in-place write (`.undo`)
    and the temp files of a write in progress."""
    name, base = path.name, catalog_path.name
    if path.parent != catalog_path.parent:
        return False
    return name == base or name.startswith(f"{base}.") or (name.startswith(f".{base}.") and name.endswith(".tmp"))


def back_up(catalog_path: Path, count: int = BACKUP_COUNT) -> Path | None:
    """Keep the catalog's current bytes as `catalog.json.bak`, shifting older backups up.

    Nothing is done when there is no catalog, or when the newest backup already holds the
    same bytes (a run that changed nothing does not push older backups out).

    Raises:
        CatalogError: the catalog is empty, not JSON or unreadable: it is refused, and the
            backups are left as they are (they may be the way out).
    """
    try:
        raw = catalog_path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CatalogError(f"{catalog_path}: cannot read the catalog: {exc}") from exc
    newest = backup_path(catalog_path)
    try:
        if newest.read_bytes() == raw:
            return newest  # it parsed when it was backed up (a run that changed nothing)
    except OSError:
        pass
    parse_catalog_bytes(catalog_path, raw)

    def shift_older() -> None:  # once the new copy is whole on disk: a failed write pushes none out
        for number in range(count - 1, 0, -1):
            older = backup_path(catalog_path, number - 1)
            if older.exists():
                os.replace(older, backup_path(catalog_path, number))

    # The shifts and the rename are made durable together by the folder's fsync.
    with atomic_file(newest, before_replace=shift_older) as temp:
        temp.write(raw)
    return newest
