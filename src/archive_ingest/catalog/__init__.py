"""The catalog: records by id (`Catalog`), the writers' lock, `writer()` and `reader()`.

The catalog's modules are the only ones that touch TinyDB: this one (the `Catalog` on top
of TinyDB) and `catalog/storage.py` (the `Storage` under it: atomic writes, batching, the
orjson codec, parsing). The files kept beside the catalog, record sidecars and backups,
are `catalog/files.py`'s. The names other modules use from those two are re-exported here,
so `catalog` stays the one module to import.

Writers hold an exclusive lock (`filelock`, an OS-level lock that dies with its process,
so a lock left by a killed run is taken over safely), and the first thing a writer does
is roll back a commit a killed writer left half done (`roll_back`). Readers take no
writers' lock and write nothing, so every read works on an archive this user cannot
write: each read of the catalog file only holds it still for its length (a shared lock
on the file itself, see `catalog.journal.open_catalog`). A writer on such an archive is
refused at once (`CatalogReadOnly`, exit 2, one line). A reader that needs the
archive to stand still for a while (`verify` without recording) may hold the writers' lock
shared (`shared_lock`), which needs only to read its file and never creates it.

`Catalog.commit` writes each record's sidecar first, then the catalog, then hands the
storage's note of where each record lies in the file, and the changed records, to the
search index (`catalog.index.after_commit`), which is derived data kept beside the catalog.
A run's `writer()` keeps a backup of the catalog first (`back_up`), refusing one that
does not parse.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Document

from ..errors import CatalogLocked, ConfigError, RecordNotFound
from ..files.writable import refused, unwritable
from ..record import Record
from .files import (
    BACKUP_COUNT,
    back_up,
    is_catalog_companion,
    sidecar_dir_for,
    sidecar_path,
    write_sidecars,
)
from .journal import file_tag, open_catalog, roll_back, undo_path
from .storage import (
    TABLE,
    AtomicJSONStorage,
    _dumps,
    backup_path,
    parse_catalog_bytes,
)

if TYPE_CHECKING:
    from .index import Layout

__all__ = [
    "BACKUP_COUNT",
    "TABLE",
    "AtomicJSONStorage",
    "Catalog",
    "CatalogReadOnly",
    "back_up",
    "backup_path",
    "is_catalog_companion",
    "lock_path",
    "open_catalog",
    "parse_catalog_bytes",
    "reader",
    "roll_back",
    "sidecar_dir_for",
    "sidecar_path",
    "undo_path",
    "write_sidecars",
    "writer",
]

#: How many candidates an ambiguous id prefix lists (a one-digit prefix of a large archive
#: matches thousands: the first few say enough).
AMBIGUOUS_SHOWN = 5


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
        self._parsed: tuple[str | None, dict[str, dict[str, Any]]] | None = None
        self._layout: tuple[str, Layout | None] | None = None

    # -- reading -------------------------------------------------------------------
    # A run asks for many records one at a time (is this file already archived?), and
    # TinyDB parses the whole file on every read. So the parsed table is kept while the
    # file stays the same (the same size, mtime and inode: `catalog.journal.file_tag`), and the
    # ids come from a fresh search index when there is one, without parsing at all.
    def _docs(self) -> dict[str, dict[str, Any]]:
        """The records table as parsed (document id as text -> document), kept per file version."""
        storage = self._db.storage
        if not isinstance(storage, AtomicJSONStorage):
            return {str(doc.doc_id): doc for doc in self._table.all()}
        tag = self._file_tag()
        if self._parsed is None or self._parsed[0] != tag or tag is None:
            data = storage.read() or {}
            self._parsed = (storage.read_tag, data.get(TABLE, {}))
        return self._parsed[1]

    def _file_tag(self) -> str | None:
        assert self.path is not None
        try:
            return file_tag(self.path.stat())
        except FileNotFoundError:
            return None

    def _fresh_layout(self) -> Layout | None:
        """Where every record lies in the current file, from a fresh search index; None when
        there is no fresh index (or no file). Read once per file version."""
        if self.path is None or not isinstance(self._db.storage, AtomicJSONStorage):
            return None
        tag = self._file_tag()
        if tag is None:
            return None
        if self._layout is None or self._layout[0] != tag:
            from .index import fresh_layout

            layout = fresh_layout(self.path)
            self._layout = (tag, layout if layout is not None and layout.tag == tag else None)
        return self._layout[1]

    def refresh_search_index(self) -> None:
        """Rebuild the search index if it is missing or stale (a fresh one costs one SQLite read).

        Raises:
            CatalogError: the catalog cannot be read.
        """
        if self.path is None or self._file_tag() is None or self._fresh_layout() is not None:
            return
        from .index import rebuild

        rebuild(self.path)
        self._layout = None

    def _index(self) -> dict[str, int]:
        if self._doc_ids is None:
            layout = self._fresh_layout() if self._parsed is None else None
            if layout is not None:
                self._doc_ids = dict(layout.doc_ids)
            else:
                self._doc_ids = {doc["id"]: int(doc_id) for doc_id, doc in self._docs().items()}
        return self._doc_ids

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, str) and record_id in self._index()

    def ids(self) -> list[str]:
        """Every record's id (without building the records)."""
        return list(self._index())

    def __len__(self) -> int:
        return len(self._index())

    def get(self, record_id: str) -> Record | None:
        doc_id = self._index().get(record_id)
        if doc_id is None:
            return None
        doc = self._read_one(doc_id)
        if doc is None:
            doc = self._docs().get(str(doc_id))
        return Record.from_json(dict(doc)) if doc is not None else None

    def _read_one(self, doc_id: int) -> dict[str, Any] | None:
        """One record read from where a fresh search index says it lies, or None (then the
        whole file is parsed). Not when the parsed file is at hand and current."""
        layout = self._fresh_layout()
        if layout is None or doc_id not in layout.spans:
            return None
        if self._parsed is not None and self._parsed[0] == layout.tag:
            return None
        assert self.path is not None
        offset, length = layout.spans[doc_id]
        try:
            with open_catalog(self.path) as catalog:
                if catalog.tag != layout.tag:
                    return None
                doc = orjson.loads(catalog.pread(length, offset))
        except (OSError, orjson.JSONDecodeError):
            return None
        return doc if isinstance(doc, dict) else None

    def require(self, record_id: str) -> Record:
        """The record a user named: its id, or a unique prefix of it, in any case.

        Every command that takes an id (`show`, `review show|accept|reject|edit|merge|
        distinct`) resolves it here, so they all accept and refuse the same ids.

        Raises:
            RecordNotFound: an empty id; no record; a prefix of several records (the
                message lists them, as git does, so the user can pick one).
        """
        wanted = record_id.strip().lower()  # ids are lower-case hex; `6EE92D` is a fine prefix
        if not wanted:
            raise RecordNotFound(f"an empty record id ({record_id!r}): give a record's id or its first digits")
        for exact in dict.fromkeys((wanted, record_id)):
            record = self.get(exact)
            if record is not None:
                return record
        matches = sorted(rid for rid in self._index() if rid.lower().startswith(wanted))
        if len(matches) == 1:
            found = self.get(matches[0])
            assert found is not None
            return found
        if len(matches) > 1:
            shown = ", ".join(self._describe(rid) for rid in matches[:AMBIGUOUS_SHOWN])
            more = f", and {len(matches) - AMBIGUOUS_SHOWN} more" if len(matches) > AMBIGUOUS_SHOWN else ""
            raise RecordNotFound(
                f"short id {record_id} is ambiguous, {len(matches)} records: {shown}{more}; give more of the id"
            )
        if not all(ch in "0123456789abcdef" for ch in wanted):
            raise RecordNotFound(
                f"{record_id}: not a record id (an id is 16 hex digits, 0-9 and a-f, or its first few)"
            )
        raise RecordNotFound(f"{record_id}: no such record in {self.path or 'the catalog'}")

    def _describe(self, record_id: str) -> str:
        """`id kind filename`: enough to tell records apart in a list of candidates."""
        record = self.get(record_id)
        return f"{record_id} {record.kind} {record.source.filename}" if record is not None else record_id

    def all(self) -> list[Record]:
        """Every record, in ingestion order."""
        return [Record.from_json(dict(doc)) for doc in self.documents()]

    def documents(self) -> list[dict[str, Any]]:
        """Every record as stored (JSON), in ingestion order; do not change them."""
        docs = self._docs()
        return [docs[key] for key in sorted(docs, key=int)]

    def count_review(self, status: str) -> int:
        """How many records have review status `status`, without building every Record."""
        if self.path is not None and self._parsed is None:
            from .index import count_status

            counted = count_status(self.path, status)
            if counted is not None:
                return counted
        return sum(1 for doc in self._docs().values() if (doc.get("review") or {}).get("status") == status)

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
            from . import index as search_index  # only writers and searches pay for it

            written = file_storage.last_write
            search_index.after_commit(self.path, written.read_tag, written.tag, written.spans, changed)

    def _commit_spliced(self, storage: AtomicJSONStorage, records: list[Record]) -> bool:
        """Commit without parsing the catalog, when the search index knows where every
        record lies in the current file: the changed records' JSON is spliced in and the
        new ones appended, giving the bytes TinyDB would write (records keep their place),
        written in place from the first change on (`AtomicJSONStorage.splice`). False
        (nothing written) when the index is missing or stale: then TinyDB commits.
        """
        from . import index as search_index

        assert self.path is not None
        layout = self._fresh_layout()
        if layout is None:
            return False
        doc_ids = dict(layout.doc_ids)  # the cached layout stays as the file is until the write
        next_id = max(doc_ids.values(), default=0) + 1
        by_doc: dict[int, Record] = {}
        for record in records:
            doc_id = doc_ids.get(record.id)
            if doc_id is None:
                doc_id = doc_ids[record.id] = next_id
                next_id += 1
            by_doc[doc_id] = record
        bodies = {doc_id: _dumps(record.to_json()) for doc_id, record in by_doc.items()}
        if not storage.splice(layout.tag, layout.spans, bodies, {d: r.id for d, r in by_doc.items()}):
            return False
        self._doc_ids = doc_ids
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
        CatalogReadOnly: this process cannot write the catalog's folder or the sidecars'
            (nothing is created).
    """
    if sidecar_dir is None:
        sidecar_dir = sidecar_dir_for(catalog_path)
    for folder in (catalog_path.parent, sidecar_dir):
        reason = unwritable(folder)
        if reason is not None:
            raise CatalogReadOnly(f"{catalog_path}: cannot write the catalog: {reason}")
    lock = FileLock(lock_path(catalog_path), timeout=0)
    try:
        catalog_path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise CatalogLocked(f"{catalog_path}: the catalog is locked by {_describe_holder(catalog_path)}") from None
    except OSError as exc:
        if not refused(exc):
            raise
        # Asked above, but a network file system may say yes and refuse the write.
        where = exc.filename or lock_path(catalog_path)
        raise CatalogReadOnly(f"{catalog_path}: cannot write the catalog: {where}: {exc.strerror}") from exc
    try:
        holder = {"pid": os.getpid(), "purpose": purpose, "started": now.isoformat(timespec="seconds")}
        _holder_path(catalog_path).write_text(json.dumps(holder), encoding="utf-8")
        try:
            roll_back(catalog_path)  # a commit a killed writer left half done, before anything reads it
            if backups:
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


@contextmanager
def shared_lock(catalog_path: Path) -> Iterator[None]:
    """Keep writers out while the block runs, writing nothing: the writers' lock file is
    locked shared (a writer starting meanwhile exits 3), opened for reading only.

    For a reader that needs the archive to stand still (`verify` without recording), on
    an archive it may not be able to write. Without a lock file no writer has run here, or
    one is creating it now; without read access to it, or where the file system has no
    locks, the block runs unguarded: the catalog is still read whole (see
    `catalog.journal.open_catalog`), but a run going on meanwhile may file what the block
    did not expect.

    Raises:
        CatalogLocked: a writer holds the lock.
    """
    try:
        descriptor = os.open(lock_path(catalog_path), os.O_RDONLY)
    except OSError:
        descriptor = -1
    if descriptor < 0:
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):  # some file systems say EACCES
                raise CatalogLocked(
                    f"{catalog_path}: the catalog is locked by {_describe_holder(catalog_path)}"
                ) from None
            # No locks on this file system (ENOLCK, ENOSYS): unguarded, as documented.
        yield
    finally:
        os.close(descriptor)  # releases the lock


class CatalogReadOnly(ConfigError):
    """A writer was asked for on a catalog this process cannot write (a read-only mount,
    a backup, another user's archive): exit 2, like `run` on an archive it cannot write."""


def _describe_holder(catalog_path: Path) -> str:
    try:
        holder = json.loads(_holder_path(catalog_path).read_text(encoding="utf-8"))
        return f"pid {holder['pid']} ({holder['purpose']}, started {holder['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (no holder details recorded)"


def reader(catalog_path: Path) -> Catalog:
    """Open the catalog read-only, without the writers' lock; a missing file is an empty catalog."""
    return Catalog(catalog_path)
