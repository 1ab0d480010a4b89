"""The catalog: the only module that touches TinyDB.

TinyDB's own JSONStorage rewrites the file in place, so a crash mid-write leaves half a
catalog, and it escapes every Cyrillic and Hangul letter. `AtomicJSONStorage` writes a
temporary file in the same folder, fsyncs it and renames it over the old one, so readers
always see either the previous or the next committed state, never a torn file. Writes can
be deferred so a batch of records costs one rewrite instead of one per record.

Writers hold an exclusive lock (`filelock`, an OS-level lock that dies with its process,
so a lock left by a killed run is taken over safely); readers take no lock.

The JSON codec is orjson: faster than the json module both ways, with the same compact
UTF-8 output (names unescaped). As it writes, the
storage notes where each record lies in the file, and `Catalog.commit` hands that and the
changed records to the search index (`search_index.after_commit`), which is derived data
kept beside the catalog.

Record sidecars: a catalog opened with a `sidecar_dir` (every writer; by default the
`records/` folder beside the catalog, `archive/records/` in the default layout) writes each
committed record's JSON (the record contract) to `records/ab/<id>.json`, atomically,
before the catalog itself. So the archive on disk holds every record twice over, and
`archive-ingest catalog rebuild` (`rebuild.py`) can regenerate the catalog from it.

Backups: a run's writer (purpose `archive-ingest run`) first checks that the catalog parses
and keeps a copy of it as `catalog.json.bak`, shifting older copies to `.bak.1` and `.bak.2`
(three in all: enough to step back over the last runs, small enough to need no setting);
a catalog that does not parse is refused, never read as empty and overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import MemoryStorage, Storage
from tinydb.table import Document

from .errors import CatalogError, CatalogLocked, RecordNotFound
from .record import Record

TABLE = "records"


#: orjson would write datetimes and dataclasses; the catalog holds only plain JSON values,
#: so they are refused (TypeError), as the json module refuses them.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_ORJSON_OPTIONS)


@dataclass(frozen=True)
class WrittenFile:
    """What the last write of an `AtomicJSONStorage` produced, for the search index."""

    read_tag: str | None
    """The catalog file the writer had read before (see `search_index.file_tag`), or None."""
    tag: str
    """The catalog file written."""
    spans: dict[int, tuple[int, int]]
    """Document id -> (byte offset, length) of each record's JSON in the file."""


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file (temp file, fsync, rename)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._deferring = False
        self._dirty = False
        self._pending: dict[str, Any] | None = None
        self.read_tag: str | None = None
        """The file the last read parsed (None: no file), see `search_index.file_tag`."""
        self.last_write: WrittenFile | None = None

    def read(self) -> dict[str, Any] | None:
        if self._pending is not None:
            return self._pending
        try:
            with open(self.path, "rb") as catalog:
                stat = os.fstat(catalog.fileno())
                raw = catalog.read()
        except FileNotFoundError:
            self.read_tag = None
            return None
        except OSError as exc:
            raise CatalogError(f"{self.path}: cannot read the catalog: {exc}") from exc
        self.read_tag = _file_tag(stat)
        data = parse_catalog_bytes(self.path, raw)
        if self._deferring:
            self._pending = data  # parsed once per batch: TinyDB reads before every operation
        return data

    def write(self, data: dict[str, Any]) -> None:
        if self._deferring:
            self._pending = data
            self._dirty = True
            return
        self._write_file(data)

    def _write_file(self, data: dict[str, Any]) -> None:
        read_tag = self.read_tag
        payload, spans = _encode(data)
        self._replace_file([payload])
        self.last_write = WrittenFile(read_tag, self.read_tag or "", spans)

    def _replace_file(self, pieces: list[bytes | tuple[int, int]], source: int | None = None) -> None:
        """Write `pieces` (bytes, or (offset, length) stretches of the file `source`) to a
        temp file, fsync it and rename it over the catalog."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as temp:
                for piece in pieces:
                    if isinstance(piece, bytes):
                        temp.write(piece)
                    else:
                        assert source is not None
                        temp.flush()
                        _copy_range(source, temp.fileno(), *piece)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        self.read_tag = _file_tag(self.path.stat())

    def splice(
        self, tag: str, spans: dict[int, tuple[int, int]], bodies: dict[int, bytes], ids: dict[int, str]
    ) -> bool:
        """Rewrite the file with the records of `bodies` (document id -> JSON) replaced where
        `spans` puts them, or appended when new, without parsing the rest.

        `spans` must describe the file whose tag is `tag` (the search index's). Returns
        False, writing nothing, when the file is not that one or a replaced record is not
        where it should be (its id checked against `ids`).
        """
        try:
            with open(self.path, "rb") as catalog:
                if _file_tag(os.fstat(catalog.fileno())) != tag:
                    return False
                pieces = self._splice_plan(catalog.fileno(), spans, bodies, ids)
                if pieces is None:
                    return False
                # Unchanged stretches are copied by the kernel (copy_file_range), not read.
                self._replace_file([piece for piece, _ in pieces], source=catalog.fileno())
        except OSError:
            return False
        self.last_write = WrittenFile(tag, self.read_tag or "", {d: span for _, new in pieces for d, span in new})
        return True

    def _splice_plan(
        self, fd: int, spans: dict[int, tuple[int, int]], bodies: dict[int, bytes], ids: dict[int, str]
    ) -> list[tuple[bytes | tuple[int, int], list[tuple[int, tuple[int, int]]]]] | None:
        """The new file as pieces (new bytes, or a (offset, length) stretch of the old file),
        each with the new spans of the records it holds; None if the layout does not hold."""
        order = sorted(spans.items(), key=lambda item: item[1][0])
        if not order:
            return None
        end = order[-1][1][0] + order[-1][1][1]
        if os.pread(fd, 1, end) != b"}":
            return None
        for doc_id in bodies.keys() & spans.keys():
            start, length = spans[doc_id]
            try:
                old = orjson.loads(os.pread(fd, length, start))
            except orjson.JSONDecodeError:
                return None
            if not isinstance(old, dict) or old.get("id") != ids[doc_id]:
                return None
        pieces: list[tuple[bytes | tuple[int, int], list[tuple[int, tuple[int, int]]]]] = []
        moved: list[tuple[int, tuple[int, int]]] = []
        cursor = shift = 0
        for doc_id, (start, length) in order:
            body = bodies.get(doc_id)
            if body is None:
                moved.append((doc_id, (start + shift, length)))
                continue
            pieces.append(((cursor, start - cursor), moved))
            pieces.append((body, [(doc_id, (start + shift, len(body)))]))
            moved = []
            cursor = start + length
            shift += len(body) - length
        pieces.append(((cursor, end - cursor), moved))
        position = end + shift
        for doc_id in sorted(bodies.keys() - spans.keys()):
            key = b"," + _dumps(str(doc_id)) + b":"
            pieces.append((key + bodies[doc_id], [(doc_id, (position + len(key), len(bodies[doc_id])))]))
            position += len(key) + len(bodies[doc_id])
        pieces.append(((end, os.fstat(fd).st_size - end), []))
        return pieces

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Collect writes and flush them as one atomic rewrite at the end (none on error)."""
        self._deferring = True
        self._dirty = False
        try:
            yield
            if self._pending is not None and self._dirty:
                self._write_file(self._pending)
        finally:
            self._deferring = False
            self._dirty = False
            self._pending = None

    def close(self) -> None:
        pass


def way_out(catalog_path: Path) -> str:
    """What to do about a catalog that cannot be read (said by every such error)."""
    way = "it was left untouched; rebuild it from the record sidecars with `archive-ingest catalog rebuild`"
    backup = backup_path(catalog_path)
    return f"{way}, or restore {backup.name}" if backup.exists() else way


def parse_catalog_bytes(catalog_path: Path, raw: bytes) -> dict[str, Any]:
    """The catalog file's content as TinyDB data.

    Raises:
        CatalogError: the file is empty (truncated), not JSON, or not a JSON object; the
            message names the file and the way out.
    """
    if not raw.strip():
        raise CatalogError(f"{catalog_path}: the catalog is empty (truncated?); {way_out(catalog_path)}")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"{catalog_path}: the catalog is not valid JSON: {exc}; {way_out(catalog_path)}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{catalog_path}: the catalog is not a JSON object; {way_out(catalog_path)}")
    return data


def _encode(data: dict[str, Any]) -> tuple[bytes, dict[int, tuple[int, int]]]:
    """Compact UTF-8 JSON of the whole database (as `json.dumps(data, ensure_ascii=False,
    separators=(",", ":"))` would write it), and where each record of the records table lies.

    Raises:
        TypeError: a value that is not plain JSON (a datetime, a dataclass, ...).
    """
    parts = [b"{"]
    position = 1
    spans: dict[int, tuple[int, int]] = {}
    try:
        for table_index, (name, table) in enumerate(data.items()):
            head = (b"," if table_index else b"") + _dumps(name) + b":{"
            parts.append(head)
            position += len(head)
            for doc_index, (doc_id, doc) in enumerate(table.items()):
                key = (b"," if doc_index else b"") + _dumps(str(doc_id)) + b":"
                body = _dumps(doc)
                parts += (key, body)
                position += len(key)
                if name == TABLE and str(doc_id).isdigit():
                    spans[int(doc_id)] = (position, len(body))
                position += len(body)
            parts.append(b"}")
            position += 1
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"the catalog holds a value JSON cannot: {exc}") from exc
    parts.append(b"}")
    return b"".join(parts), spans


def _copy_range(source: int, target: int, offset: int, length: int) -> None:
    """Append `length` bytes of `source` from `offset` to `target` (at its current end)."""
    while length > 0:
        try:
            copied = os.copy_file_range(source, target, length, offset)
        except OSError:  # not supported here (another file system, an old kernel): copy it ourselves
            copied = os.write(target, os.pread(source, min(length, 1 << 24), offset))
        if copied <= 0:
            raise OSError(f"the catalog ended before offset {offset + length}")
        offset += copied
        length -= copied


def _file_tag(stat: os.stat_result) -> str:
    # The same form as search_index.file_tag (not imported: `show` should not load search).
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the folder that holds the renamed entry."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Catalog:
    """Records by id, on a TinyDB file (or in memory when `path` is None, for tests)."""

    def __init__(self, path: Path | None, sidecar_dir: Path | None = None) -> None:
        """`sidecar_dir`: where each committed record's JSON is written first
        (`<sidecar_dir>/ab/<id>.json`); None writes none (only the catalog file)."""
        self.path = path
        self.sidecar_dir = sidecar_dir if path is not None else None
        if path is None:
            self._db = TinyDB(storage=MemoryStorage)
        else:
            self._db = TinyDB(path, storage=AtomicJSONStorage)
        self._table = self._db.table(TABLE, cache_size=0)
        self._doc_ids: dict[str, int] | None = None

    # -- reading -------------------------------------------------------------------
    def _index(self) -> dict[str, int]:
        if self._doc_ids is None:
            self._doc_ids = {doc["id"]: doc.doc_id for doc in self._table.all()}
        return self._doc_ids

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, str) and record_id in self._index()

    def __len__(self) -> int:
        return len(self._index())

    def get(self, record_id: str) -> Record | None:
        doc_id = self._index().get(record_id)
        if doc_id is None:
            return None
        doc = self._table.get(doc_id=doc_id)
        return Record.from_json(dict(doc)) if doc is not None else None

    def require(self, record_id: str) -> Record:
        """The record with `record_id`, or a unique id prefix of it.

        Raises:
            RecordNotFound: no record, or the prefix is ambiguous.
        """
        record = self.get(record_id)
        if record is not None:
            return record
        matches = [rid for rid in self._index() if rid.startswith(record_id)] if record_id else []
        if len(matches) == 1:
            found = self.get(matches[0])
            assert found is not None
            return found
        where = self.path or "the catalog"
        if len(matches) > 1:
            raise RecordNotFound(f"{record_id}: ambiguous id prefix ({len(matches)} records) in {where}")
        raise RecordNotFound(f"{record_id}: no such record in {where}")

    def all(self) -> list[Record]:
        """Every record, in ingestion order."""
        return [Record.from_json(dict(doc)) for doc in self._table.all()]

    # -- writing -------------------------------------------------------------------
    def commit(self, records: Iterable[Record]) -> None:
        """Insert new records and replace existing ones (matched by id) in one write."""
        records = list(records)
        if not records:
            return
        if self.sidecar_dir is not None:
            write_sidecars(self.sidecar_dir, records)
        storage = self._db.storage
        file_storage = storage if isinstance(storage, AtomicJSONStorage) else None
        if file_storage is not None and self._commit_spliced(file_storage, records):
            return
        changed: list[tuple[int, Record]] = []
        with file_storage.deferred() if file_storage is not None else _no_defer():
            index = self._index()  # inside the batch: the file is parsed once for both
            new_docs = []
            new_records = []
            for record in records:
                data = record.to_json()
                doc_id = index.get(record.id)
                if doc_id is None:
                    new_docs.append(data)
                    new_records.append(record)
                else:
                    self._table.remove(doc_ids=[doc_id])
                    self._table.insert(Document(data, doc_id=doc_id))
                    changed.append((doc_id, record))
            if new_docs:
                for record, doc_id in zip(new_records, self._table.insert_multiple(new_docs), strict=True):
                    index[record.id] = doc_id
                    changed.append((doc_id, record))
            if file_storage is not None:
                file_storage.last_write = None
        if file_storage is not None and file_storage.last_write is not None and self.path is not None:
            from . import search_index  # only writers and searches pay for it

            written = file_storage.last_write
            search_index.after_commit(self.path, written.read_tag, written.tag, written.spans, changed)

    def _commit_spliced(self, storage: AtomicJSONStorage, records: list[Record]) -> bool:
        """Commit without parsing the catalog, when the search index knows where every
        record lies in the current file: the changed records' JSON is spliced in and the
        new ones appended, giving the bytes TinyDB would write (records keep their place).
        False (nothing written) when the index is missing or stale: then TinyDB commits.
        """
        from . import search_index

        assert self.path is not None
        layout = search_index.fresh_layout(self.path)
        if layout is None:
            return False
        next_id = max(layout.doc_ids.values(), default=0) + 1
        by_doc: dict[int, Record] = {}
        for record in records:
            doc_id = layout.doc_ids.get(record.id)
            if doc_id is None:
                doc_id = layout.doc_ids[record.id] = next_id
                next_id += 1
            by_doc[doc_id] = record
        bodies = {doc_id: _dumps(record.to_json()) for doc_id, record in by_doc.items()}
        if not storage.splice(layout.tag, layout.spans, bodies, {d: r.id for d, r in by_doc.items()}):
            return False
        self._doc_ids = layout.doc_ids
        self._table._next_id = None  # TinyDB caches the next id; the file has new ones
        written = storage.last_write
        assert written is not None
        search_index.after_commit(self.path, written.read_tag, written.tag, written.spans, list(by_doc.items()))
        return True

    def close(self) -> None:
        self._db.close()


@contextmanager
def _no_defer() -> Iterator[None]:
    yield


def lock_path(catalog_path: Path) -> Path:
    return catalog_path.with_name(catalog_path.name + ".lock")


def _holder_path(catalog_path: Path) -> Path:
    return catalog_path.with_name(catalog_path.name + ".lock.holder")


#: How many backups a run keeps: `catalog.json.bak` (the newest), `.bak.1`, `.bak.2`.
BACKUP_COUNT = 3


def sidecar_dir_for(catalog_path: Path) -> Path:
    """Where the record sidecars of `catalog_path` live: `records/` beside it."""
    return catalog_path.parent / "records"


def sidecar_path(sidecar_dir: Path, record_id: str) -> Path:
    """`<sidecar_dir>/ab/<id>.json`."""
    return sidecar_dir / record_id[:2] / f"{record_id}.json"


def sidecar_bytes(record: Record) -> bytes:
    """A record's sidecar: its JSON (the record contract), indented, UTF-8, unescaped."""
    return json.dumps(record.to_json(), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def write_sidecars(sidecar_dir: Path, records: Iterable[Record]) -> None:
    """Write each record's sidecar atomically (temp file, fsync, rename; then the folders).

    Raises:
        OSError: a sidecar could not be written (no partial file is left; the commit stops).
    """
    folders: set[Path] = set()
    for record in records:
        target = sidecar_path(sidecar_dir, record.id)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, [sidecar_bytes(record)], sync_dir=False)
        folders.add(target.parent)
    for folder in folders:
        _fsync_dir(folder)


def atomic_write(target: Path, pieces: Iterable[bytes], sync_dir: bool = True) -> None:
    """Write `pieces` to a temp file beside `target`, fsync it and rename it over `target`."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            for piece in pieces:
                temp.write(piece)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    if sync_dir:
        _fsync_dir(target.parent)


def backup_path(catalog_path: Path, number: int = 0) -> Path:
    """`catalog.json.bak` (number 0, the newest), `catalog.json.bak.1`, ..."""
    suffix = ".bak" if number == 0 else f".bak.{number}"
    return catalog_path.with_name(catalog_path.name + suffix)


def is_catalog_companion(catalog_path: Path, path: Path) -> bool:
    """True for the catalog and the files kept beside it: its lock and holder, backups,
    the search index (`.search.sqlite*`) and the temp files of a write in progress."""
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
    parse_catalog_bytes(catalog_path, raw)
    newest = backup_path(catalog_path)
    try:
        if newest.read_bytes() == raw:
            return newest
    except OSError:
        pass
    handle, temp_name = tempfile.mkstemp(prefix=f".{newest.name}.", suffix=".tmp", dir=catalog_path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(raw)
            temp.flush()
            os.fsync(temp.fileno())
        for number in range(count - 1, 0, -1):
            older = backup_path(catalog_path, number - 1)
            if older.exists():
                os.replace(older, backup_path(catalog_path, number))
        os.replace(temp_name, newest)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(catalog_path.parent)
    return newest


@contextmanager
def writer(
    catalog_path: Path,
    purpose: str,
    now: datetime,
    *,
    sidecar_dir: Path | None = None,
    backups: int = 0,
) -> Iterator[Catalog]:
    """Open the catalog for writing, holding its lock until the block ends.

    Args:
        sidecar_dir: where record sidecars go (default `sidecar_dir_for(catalog_path)`).
        backups: how many backups to keep, taken once the lock is held (0, the default:
            none). A run asks for `BACKUP_COUNT`; review actions ask for none, so a review
            session does not push the runs' backups out.

    Raises:
        CatalogLocked: another process holds the lock; the message names its pid,
            command and start time.
        CatalogError: backups were asked for and the catalog does not parse.
    """
    if sidecar_dir is None:
        sidecar_dir = sidecar_dir_for(catalog_path)
    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(catalog_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise CatalogLocked(f"{catalog_path}: the catalog is locked by {_describe_holder(catalog_path)}") from None
    try:
        holder = {"pid": os.getpid(), "purpose": purpose, "started": now.isoformat(timespec="seconds")}
        _holder_path(catalog_path).write_text(json.dumps(holder), encoding="utf-8")
        if backups:
            try:
                back_up(catalog_path, backups)
            except BaseException:
                _holder_path(catalog_path).unlink(missing_ok=True)
                raise
        catalog = Catalog(catalog_path, sidecar_dir=sidecar_dir)
        try:
            yield catalog
        finally:
            catalog.close()
            _holder_path(catalog_path).unlink(missing_ok=True)
    finally:
        lock.release()


def _describe_holder(catalog_path: Path) -> str:
    try:
        holder = json.loads(_holder_path(catalog_path).read_text(encoding="utf-8"))
        return f"pid {holder['pid']} ({holder['purpose']}, started {holder['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (no holder details recorded)"


def reader(catalog_path: Path) -> Catalog:
    """Open the catalog read-only, without a lock; a missing file is an empty catalog."""
    return Catalog(catalog_path)
