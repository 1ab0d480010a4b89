"""The catalog file's storage: how TinyDB's data is parsed, encoded, written and read.

The catalog's modules are the only ones that touch TinyDB: `catalog/__init__.py` (the `Catalog`
on top of TinyDB) and this one (the `Storage` under it). This module owns every write
of the catalog file; `journal.py` how it is read and the undo journal of an in-place write.

TinyDB's own JSONStorage rewrites the file in place with no way back, so a crash
mid-write leaves half a catalog, and it escapes every Cyrillic and Hangul letter.
`AtomicJSONStorage` writes in one of two ways, and a crash at any moment leaves a whole
catalog, the one before the write or the one after:

- A whole new file (TinyDB's `write`: a commit without a fresh search index, the first
  one, a rebuild; or a change far back in the file): `files/atomic.py`'s atomic write, a
  temp file in the same folder (with the user's umask, as `files/temp.py` makes every
  file), fsynced, renamed over the old one, the folder fsynced.
- In place (`splice`, when the search index says where every record lies): only the
  bytes from the first change on are written. New records go just before the closing
  `}}`, so a batch of new records costs its own size, not the archive's. First the old
  bytes from that offset to the end go to an undo journal beside the catalog
  (`catalog.json.undo`: a header line with the offset, the old size, the file's inode and
  checksums, then the bytes; written by the same atomic write); then the new bytes
  are written, the file fsynced and the journal removed, all under an exclusive `flock`
  on the catalog. A writer killed in between leaves the journal: readers apply it in
  memory (the file up to the offset, then the journal's bytes: the old catalog, even on
  an archive they cannot write), and the next writer puts those bytes back (`roll_back`,
  which `catalog.writer` runs first; both in `journal.py`). The old bytes are written twice (journal, then
  their replacement), so the in-place write is used only while they are at most half
  the file; a changed record nearer the start makes a whole new file.

Every read (`open_catalog`) holds a shared `flock` on the file, which a file opened
read-only allows, so no reader sees an in-place write half done. A tool reading the file
without a lock sees a whole catalog except during the milliseconds of such a write.

Each write changes the file's tag (size, mtime in ns, inode: `file_tag`), by which the
search index and `Catalog` tell one state of the file from another. An in-place write
keeps the inode and may keep the size, so it sets a later mtime itself (`journal.set_later_mtime`),
even when the clock has not ticked since the last one.

The JSON codec is orjson: faster than the json module both ways, with the same compact
UTF-8 output (names unescaped). As it writes, the storage notes where each record lies in
the file (`WrittenFile`), for `Catalog.commit` to hand to the search index;
`AtomicJSONStorage.splice` rewrites the file from those spans without parsing it. Writes
can be deferred so a batch of records costs one write instead of one per record.

A catalog file that is empty, not JSON or not a JSON object is refused
(`parse_catalog_bytes`), never read as empty, and the error says the way out (`way_out`).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from ..errors import CatalogError
from ..files.atomic import atomic_file, fsync_dir, make_folders
from ..files.crash_points import crash_point
from .journal import (
    file_tag,
    lock,
    open_catalog,
    pread,
    put_back,
    pwrite,
    roll_back,
    set_later_mtime,
    undo_header,
    undo_path,
)

log = logging.getLogger(__name__)

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
    """The catalog file the writer had read before (see `catalog.journal.file_tag`), or None."""
    tag: str
    """The catalog file written."""
    spans: dict[int, tuple[int, int]]
    """Document id -> (byte offset, length) of each record's JSON in the file."""


class AtomicJSONStorage(Storage):
    """TinyDB storage that a crash never leaves half-written: a whole new file renamed into
    place, or an in-place write behind an undo journal (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._deferring = False
        self._dirty = False
        self._pending: dict[str, Any] | None = None
        self.read_tag: str | None = None
        """The file the last read parsed (None: no file), see `catalog.journal.file_tag`."""
        self.last_write: WrittenFile | None = None
        self._reached = crash_point()

    def read(self) -> dict[str, Any] | None:
        if self._pending is not None:
            return self._pending
        try:
            with open_catalog(self.path) as catalog:
                tag = catalog.tag
                raw = catalog.read()
        except FileNotFoundError:
            self.read_tag = None
            return None
        except OSError as exc:
            raise CatalogError(f"{self.path}: cannot read the catalog: {exc}") from exc
        self.read_tag = tag
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
        roll_back(self.path)  # `data` was read through any journal: the file must not keep it
        self._replace_file([payload])
        self.last_write = WrittenFile(read_tag, self.read_tag or "", spans)

    def _replace_file(self, pieces: list[bytes | tuple[int, int]], source: int | None = None) -> None:
        """Write `pieces` (bytes, or (offset, length) stretches of the file `source`) to a
        temp file, fsync it and rename it over the catalog."""
        make_folders(self.path.parent)
        _replace(self.path, pieces, source)
        self.read_tag = file_tag(self.path.stat())

    def splice(
        self, tag: str, spans: dict[int, tuple[int, int]], bodies: dict[int, bytes], ids: dict[int, str]
    ) -> bool:
        """Write the records of `bodies` (document id -> JSON) into the file, replacing them
        where `spans` puts them or appending them when new, without parsing the rest: in
        place from the first change on, or as a whole new file (see the module docstring).

        `spans` must describe the file whose tag is `tag` (the search index's). Returns
        False, writing nothing, when the file is not that one or a replaced record is not
        where it should be (its id checked against `ids`).

        Raises:
            OSError: the write failed (the catalog is as it was).
        """
        roll_back(self.path)
        try:
            catalog = open(self.path, "rb")
        except OSError:
            return False
        with catalog:
            try:
                stat = os.fstat(catalog.fileno())
                plan = self._splice_plan(catalog.fileno(), spans, bodies, ids) if file_tag(stat) == tag else None
            except OSError:
                plan = None
            if plan is None:
                return False
            pieces = [piece for piece, _ in plan]
            # The plan starts with the file's unchanged head, (0, offset of the first change).
            head = pieces[0]
            assert isinstance(head, tuple) and head[0] == 0
            offset = head[1]
            # In place only while the bytes from the first change on are at most half the
            # file: they are written twice (journal, then in place), a whole new file once.
            if not (2 * (stat.st_size - offset) <= stat.st_size and self._write_in_place(pieces[1:], offset)):
                # Unchanged stretches are copied by the kernel (copy_file_range), not read.
                self._replace_file(pieces, source=catalog.fileno())
        self.last_write = WrittenFile(tag, self.read_tag or "", {d: span for _, new in plan for d, span in new})
        return True

    def _write_in_place(self, pieces: list[bytes | tuple[int, int]], offset: int) -> bool:
        """Write `pieces` (bytes, or (offset, length) stretches of the old file at or past
        `offset`) over the catalog from `offset` on, behind an undo journal (see the module
        docstring). False, writing nothing, where that cannot be done safely: the catalog
        cannot be opened for writing, or its file system has no locks.

        Raises:
            OSError: the write failed; the old bytes were put back (or, failing that, the
                journal stays, for readers and the next writer).
        """
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        except PermissionError:
            return False
        journal = undo_path(self.path)
        try:
            # Taken before the journal exists and held until it is gone: a reader (who
            # holds the lock shared) never sees the journal of a writer still at work.
            if not lock(fd, fcntl.LOCK_EX):
                return False
            before = os.fstat(fd)
            old = pread(fd, before.st_size - offset, offset)
            header = undo_header(fd, before, offset, old)
            _replace(journal, [header, old])
            self._reached("catalog_undo_written")
            try:
                position = offset
                for number, piece in enumerate(pieces):
                    data = piece if isinstance(piece, bytes) else memoryview(old)[piece[0] - offset :][: piece[1]]
                    pwrite(fd, data, position)
                    position += len(data)
                    if number == 0:
                        self._reached("catalog_partly_written")
                os.ftruncate(fd, position)
                set_later_mtime(fd, before)
                os.fsync(fd)
                self._reached("catalog_written")
            except BaseException:
                with suppress(OSError):  # else the journal stays: readers and the next writer apply it
                    put_back(fd, offset, old)
                    journal.unlink()
                raise
            journal.unlink()
            self.read_tag = file_tag(os.fstat(fd))
        finally:
            os.close(fd)  # releases the lock
        fsync_dir(self.path.parent)  # the journal's removal is durable before the commit returns
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


def _replace(target: Path, pieces: list[bytes | tuple[int, int]], source: int | None = None) -> None:
    """Write `pieces` (bytes, or (offset, length) stretches of the file `source`) over
    `target` by `files/atomic.py`'s atomic write (temp file, fsync, rename, folder fsync)."""
    with atomic_file(target) as temp:
        for piece in pieces:
            if isinstance(piece, bytes):
                temp.write(piece)
            else:
                assert source is not None
                temp.flush()
                _copy_range(source, temp.fileno(), *piece)


def backup_path(catalog_path: Path, number: int = 0) -> Path:
    """`catalog.json.bak` (number 0, the newest), `catalog.json.bak.1`, ... (written by
    `catalog/files.py`'s `back_up`; named here, where `way_out` points to the newest)."""
    suffix = ".bak" if number == 0 else f".bak.{number}"
    return catalog_path.with_name(catalog_path.name + suffix)


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
