"""The catalog: the only module that touches TinyDB.

TinyDB's own JSONStorage rewrites the file in place, so a crash mid-write leaves half a
catalog, and it escapes every Cyrillic and Hangul letter. `AtomicJSONStorage` writes a
temporary file in the same folder, fsyncs it and renames it over the old one, so readers
always see either the previous or the next committed state, never a torn file. Writes can
be deferred so a batch of records costs one rewrite instead of one per record.

Writers hold an exclusive lock (`filelock`, an OS-level lock that dies with its process,
so a lock left by a killed run is taken over safely); readers take no lock.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import MemoryStorage, Storage
from tinydb.table import Document

from .errors import CatalogError, CatalogLocked, RecordNotFound
from .record import Record

TABLE = "records"


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file (temp file, fsync, rename)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._deferring = False
        self._pending: dict[str, Any] | None = None

    def read(self) -> dict[str, Any] | None:
        if self._pending is not None:
            return self._pending
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"{self.path}: cannot read the catalog: {exc}") from exc
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{self.path}: the catalog is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise CatalogError(f"{self.path}: the catalog is not a JSON object")
        return data

    def write(self, data: dict[str, Any]) -> None:
        if self._deferring:
            self._pending = data
            return
        self._write_file(data)

    def _write_file(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # ensure_ascii=False keeps names readable in the file and ~1/3 smaller.
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        handle, temp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(payload)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Collect writes and flush them as one atomic rewrite at the end (none on error)."""
        self._deferring = True
        try:
            yield
            if self._pending is not None:
                self._write_file(self._pending)
        finally:
            self._deferring = False
            self._pending = None

    def close(self) -> None:
        pass


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the folder that holds the renamed entry."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Catalog:
    """Records by id, on a TinyDB file (or in memory when `path` is None, for tests)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
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
        index = self._index()
        storage = self._db.storage
        with storage.deferred() if isinstance(storage, AtomicJSONStorage) else _no_defer():
            new_docs = []
            for record in records:
                data = record.to_json()
                doc_id = index.get(record.id)
                if doc_id is None:
                    new_docs.append(data)
                else:
                    self._table.remove(doc_ids=[doc_id])
                    self._table.insert(Document(data, doc_id=doc_id))
            if new_docs:
                for record_data, doc_id in zip(new_docs, self._table.insert_multiple(new_docs), strict=True):
                    index[record_data["id"]] = doc_id

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
def writer(catalog_path: Path, purpose: str, now: datetime) -> Iterator[Catalog]:
    """Open the catalog for writing, holding its lock until the block ends.

    Raises:
        CatalogLocked: another process holds the lock; the message names its pid,
            command and start time.
    """
    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(catalog_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise CatalogLocked(f"{catalog_path}: the catalog is locked by {_describe_holder(catalog_path)}") from None
    try:
        holder = {"pid": os.getpid(), "purpose": purpose, "started": now.isoformat(timespec="seconds")}
        _holder_path(catalog_path).write_text(json.dumps(holder), encoding="utf-8")
        catalog = Catalog(catalog_path)
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
