"""Rebuilding the catalog from the record sidecars (`archive-ingest catalog rebuild`).

Every commit writes each record's JSON to `records/ab/<id>.json` before the catalog (see
`catalog/files.py`), so the archive on disk is the source of truth and the catalog can be
regenerated from it: after a lost, truncated or corrupt catalog, or one restored from an
old backup.

Decisions:
- Each sidecar is validated (it parses as a Record, and its id is the one its name and
  folder say); a bad one is reported with its path and skipped, never fatal.
- Records are written oldest first (`source.ingested_at`, then id): a sidecar does not
  know its place in the old file.
- When the old catalog still parses, its records that have no valid sidecar are kept (and
  their sidecars written), so a rebuild never loses a record the catalog had. A catalog
  that does not parse is ignored.
- A healthy catalog (the file parses and every record in it reads as a record) is not
  what a rebuild is for: replacing it needs `force` (the CLI asks on a terminal, else
  wants `--force`); without it `CatalogHealthy` (exit 2) and nothing changes. A sidecar
  edited by hand, or restored from an old copy, would otherwise quietly replace a good
  record.
- The old catalog file, readable or not, is kept as `catalog.json.bak.before-rebuild`
  (not in the runs' rotating `.bak` set, which may hold the good copy a user wants back).
  A copy an earlier rebuild kept is never overwritten or renamed: the next one is
  `.bak.before-rebuild.1`, then `.2`, ... (the highest number is the newest). They are
  few (a rebuild is rare) and each may be the one good copy, so none is ever removed.
- The writer lock is held throughout (`CatalogLocked`, exit 3, when a run holds it). The
  search index is left to notice the new file and rebuild itself on the next search.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import catalog as catalog_module
from ..config import Settings
from ..errors import CatalogError, IngestError
from ..files.atomic import write_atomic
from ..record import Record, utc_now
from . import AtomicJSONStorage

PURPOSE = "archive-ingest catalog rebuild"

#: Where the catalog as it was before the last rebuild is kept, beside it.
BEFORE_REBUILD_SUFFIX = ".bak.before-rebuild"


class CatalogHealthy(IngestError):
    """A rebuild of a healthy catalog was asked for without `force`: nothing is changed."""

    exit_code = 2


@dataclass
class BadSidecar:
    """A sidecar that could not be used, and why."""

    path: Path
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.reason}; skipped"


@dataclass
class RebuildReport:
    catalog: Path
    from_sidecars: int = 0
    """Records read from valid sidecars."""
    kept_from_old: int = 0
    """Records of the old catalog that had no valid sidecar, kept (their sidecars written)."""
    bad: list[BadSidecar] = field(default_factory=list)
    old_catalog: str = "none"
    """`none`, `readable` or `unreadable: <why>`."""
    backup: Path | None = None
    """Where the old catalog file was kept, if there was one."""
    earlier_backups: int = 0
    """How many copies earlier rebuilds kept (left as they were)."""

    @property
    def records(self) -> int:
        return self.from_sidecars + self.kept_from_old

    def summary(self) -> str:
        parts = [f"rebuilt {self.catalog}: {self.records} records ({self.from_sidecars} from sidecars"]
        parts[0] += f", {self.kept_from_old} kept from the old catalog)" if self.kept_from_old else ")"
        if self.bad:
            parts.append(f"{len(self.bad)} bad sidecar{'s' if len(self.bad) != 1 else ''} skipped")
        if self.backup is not None:
            kept = f"the old catalog ({self.old_catalog}) is kept as {self.backup.name}"
            if self.earlier_backups:
                stay = "copy kept by an earlier rebuild stays as it was"
                if self.earlier_backups > 1:
                    stay = "copies kept by earlier rebuilds stay as they were"
                kept += f" ({self.earlier_backups} {stay})"
            parts.append(kept)
        return "; ".join(parts)


def before_rebuild_path(catalog_path: Path, number: int = 0) -> Path:
    """`catalog.json.bak.before-rebuild` (number 0, the first kept), `....before-rebuild.1`, ..."""
    suffix = BEFORE_REBUILD_SUFFIX if number == 0 else f"{BEFORE_REBUILD_SUFFIX}.{number}"
    return catalog_path.with_name(catalog_path.name + suffix)


def healthy_records(catalog_path: Path) -> int | None:
    """How many records the catalog holds when it is healthy (the file parses and every
    record in it reads as a record); None when it is missing or damaged, what a rebuild
    is for. Reads without the lock: for asking the user before rebuilding."""
    _, status, records, unreadable = _read_old(catalog_path)
    return len(records) if status == "readable" and not unreadable else None


def healthy_line(catalog_path: Path, records: int) -> str:
    """Why a rebuild of a healthy catalog is asked about: one line, naming the file."""
    noun = "record" if records == 1 else "records"
    return (
        f"{catalog_path}: the catalog is healthy ({records} {noun}, every one readable); "
        "a rebuild replaces it with one made from the record sidecars"
    )


def rebuild(settings: Settings, *, force: bool = False, now: Callable[[], datetime] = utc_now) -> RebuildReport:
    """Write a new catalog from the record sidecars; a healthy catalog only with `force`.

    Raises:
        CatalogHealthy: the catalog is healthy and `force` is False (nothing is changed).
        CatalogLocked: another process is writing the catalog (nothing is changed).
        OSError: the new catalog or its backup could not be written (the old one stays).
    """
    catalog_path = settings.paths.catalog
    sidecar_dir = catalog_module.sidecar_dir_for(catalog_path)
    report = RebuildReport(catalog_path)
    with catalog_module.writer(catalog_path, PURPOSE, now()):
        old_raw, report.old_catalog, old_records, unreadable = _read_old(catalog_path)
        if not force and report.old_catalog == "readable" and not unreadable:
            raise CatalogHealthy(f"{healthy_line(catalog_path, len(old_records))}; pass --force to rebuild it anyway")
        records, report.bad = read_sidecars(sidecar_dir)
        report.from_sidecars = len(records)
        kept = [record for record in old_records if record.id not in records]
        for record in kept:
            records[record.id] = record
        report.kept_from_old = len(kept)
        if old_raw is not None:
            report.backup, report.earlier_backups = _keep_before_rebuild(catalog_path, old_raw)
        if kept:
            catalog_module.write_sidecars(sidecar_dir, kept)
        ordered = sorted(records.values(), key=lambda r: (r.source.ingested_at or "", r.id))
        data = {catalog_module.TABLE: {str(n): r.to_json() for n, r in enumerate(ordered, start=1)}}
        AtomicJSONStorage(catalog_path).write(data)
    return report


def read_sidecars(sidecar_dir: Path) -> tuple[dict[str, Record], list[BadSidecar]]:
    """Every valid record under `sidecar_dir` by id, and the sidecars that are not."""
    records: dict[str, Record] = {}
    bad: list[BadSidecar] = []
    if not sidecar_dir.is_dir():
        return records, bad
    paths = sorted(p for p in sidecar_dir.rglob("*.json") if not p.name.startswith("."))
    for path in paths:
        try:
            record = _read_sidecar(path)
        except ValueError as exc:
            bad.append(BadSidecar(path, str(exc)))
            continue
        if catalog_module.sidecar_path(sidecar_dir, record.id) != path:
            bad.append(BadSidecar(path, f"holds record {record.id}, which belongs in another file"))
            continue
        records[record.id] = record
    return records, bad


def _read_sidecar(path: Path) -> Record:
    """Raises: ValueError saying what is wrong (unreadable, not JSON, not a record)."""
    try:
        data: Any = json.loads(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    return _parse_record(data)


def _parse_record(data: Any) -> Record:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    try:
        return Record.from_json(data)
    except KeyError as exc:
        raise ValueError(f"not a record: the field {exc} is missing") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a record: {exc}") from exc


def _keep_before_rebuild(catalog_path: Path, raw: bytes) -> tuple[Path, int]:
    """Keep the old catalog's bytes beside it, never over a copy an earlier rebuild kept;
    returns where they are and how many copies earlier rebuilds had kept."""
    number = 0
    while (path := before_rebuild_path(catalog_path, number)).exists():
        number += 1
    write_atomic(path, raw)
    return path, number


def _read_old(catalog_path: Path) -> tuple[bytes | None, str, list[Record], int]:
    """The old catalog's bytes (None: no file), whether it parsed, its valid records and
    how many of its documents are not records."""
    try:
        with catalog_module.open_catalog(catalog_path) as catalog:
            raw = catalog.read()
    except FileNotFoundError:
        return None, "none", [], 0
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}", [], 0
    try:
        data = catalog_module.parse_catalog_bytes(catalog_path, raw)
    except CatalogError as exc:
        why = str(exc).removeprefix(f"{catalog_path}: ").split(";")[0]
        return raw, f"unreadable: {why}", [], 0
    records: list[Record] = []
    unreadable = 0
    table = data.get(catalog_module.TABLE)
    for doc in table.values() if isinstance(table, dict) else ():
        try:
            records.append(_parse_record(doc))
        except ValueError:
            unreadable += 1
    return raw, "readable", records, unreadable
