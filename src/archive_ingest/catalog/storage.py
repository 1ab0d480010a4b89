"""The catalog file's storage: how TinyDB's data is parsed, encoded, written and read.

The catalog's modules are the only ones that touch TinyDB: `catalog/__init__.py` (the `Catalog`
on top of TinyDB) and this one (the `Storage` under it). This module owns every write
of the catalog file and how it is read.

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
  which `catalog.writer` runs first). The old bytes are written twice (journal, then
  their replacement), so the in-place write is used only while they are at most half
  the file; a changed record nearer the start makes a whole new file.

Every read (`open_catalog`) holds a shared `flock` on the file, which a file opened
read-only allows, so no reader sees an in-place write half done. A tool reading the file
without a lock sees a whole catalog except during the milliseconds of such a write.

Each write changes the file's tag (size, mtime in ns, inode: `file_tag`), by which the
search index and `Catalog` tell one state of the file from another. An in-place write
keeps the inode and may keep the size, so it sets a later mtime itself (`_set_later_mtime`),
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

import errno
import fcntl
import logging
import os
import time
import zlib
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

log = logging.getLogger(__name__)

TABLE = "records"

#: The undo journal of an in-place write: `catalog.json.undo` beside the catalog.
UNDO_SUFFIX = ".undo"
#: The journal also checks this many bytes before its offset (never rewritten by the
#: write), so it is never applied to a file put in the catalog's place since.
_ANCHOR = 4096


#: orjson would write datetimes and dataclasses; the catalog holds only plain JSON values,
#: so they are refused (TypeError), as the json module refuses them.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_ORJSON_OPTIONS)


@dataclass(frozen=True)
class WrittenFile:
    """What the last write of an `AtomicJSONStorage` produced, for the search index."""

    read_tag: str | None
    """The catalog file the writer had read before (see `catalog.index.file_tag`), or None."""
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
        """The file the last read parsed (None: no file), see `catalog.index.file_tag`."""
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
            if not _lock(fd, fcntl.LOCK_EX):
                return False
            before = os.fstat(fd)
            old = _pread(fd, before.st_size - offset, offset)
            header = _undo_header(fd, before, offset, old)
            _replace(journal, [header, old])
            self._reached("catalog_undo_written")
            try:
                position = offset
                for number, piece in enumerate(pieces):
                    data = piece if isinstance(piece, bytes) else memoryview(old)[piece[0] - offset :][: piece[1]]
                    _pwrite(fd, data, position)
                    position += len(data)
                    if number == 0:
                        self._reached("catalog_partly_written")
                os.ftruncate(fd, position)
                _set_later_mtime(fd, before)
                os.fsync(fd)
                self._reached("catalog_written")
            except BaseException:
                with suppress(OSError):  # else the journal stays: readers and the next writer apply it
                    _put_back(fd, offset, old)
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


# -- reading ---------------------------------------------------------------------


class CatalogFile:
    """The catalog file as a reader sees it (`open_catalog`): held still, with the undo
    journal of a writer killed mid-write applied."""

    def __init__(self, fd: int, stat: os.stat_result, undo: _Undo | None) -> None:
        self._fd = fd
        self._undo = undo
        self.tag = file_tag(stat)
        """The file's tag (`file_tag`): what an index built from these bytes records."""
        self.size = stat.st_size if undo is None else undo.offset + len(undo.tail)

    def pread(self, length: int, offset: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer at the end)."""
        undo = self._undo
        if undo is None or offset + length <= undo.offset:
            return _pread(self._fd, length, offset)
        head = _pread(self._fd, undo.offset - offset, offset) if offset < undo.offset else b""
        start = max(offset, undo.offset) - undo.offset
        return head + bytes(undo.tail[start : start + length - len(head)])

    def read(self) -> bytes:
        """The whole catalog."""
        return self.pread(self.size, 0)


@contextmanager
def open_catalog(path: Path) -> Iterator[CatalogFile]:
    """The catalog file for reading, held still (a shared lock) while the block runs.

    Every reader of the catalog's bytes reads them here. It writes nothing, so it works
    on an archive this process cannot write; where the file system has no locks it reads
    unguarded (a whole file but during an in-place write's milliseconds).

    Raises:
        FileNotFoundError: there is no catalog.
        OSError: it cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _lock(fd, fcntl.LOCK_SH)
        yield CatalogFile(fd, os.fstat(fd), _read_undo(path, fd))
    finally:
        os.close(fd)  # releases the lock


# -- the undo journal of an in-place write ------------------------------------------


def undo_path(catalog_path: Path) -> Path:
    """The undo journal of an in-place write of `catalog_path`: `catalog.json.undo`."""
    return catalog_path.with_name(catalog_path.name + UNDO_SUFFIX)


@dataclass(frozen=True)
class _Undo:
    """An undo journal as read and checked: the catalog's old bytes from `offset` to its old end."""

    offset: int
    tail: memoryview


def _undo_header(fd: int, stat: os.stat_result, offset: int, old: bytes) -> bytes:
    """The journal's first line: what it belongs to and checksums (CRC-32) of its bytes
    and of the `_ANCHOR` bytes before `offset`."""
    anchor = max(0, offset - _ANCHOR)
    header = {
        "undo": 1,
        "inode": stat.st_ino,
        "offset": offset,
        "size": stat.st_size,
        "anchor_crc": zlib.crc32(_pread(fd, offset - anchor, anchor)),
        "crc": zlib.crc32(old),
    }
    return orjson.dumps(header) + b"\n"


def _read_undo(catalog_path: Path, fd: int) -> _Undo | None:
    """The undo journal of the catalog open as `fd`, if there is one, it is whole and it
    belongs to this file (inode and the bytes before its offset); else None.

    Raises:
        OSError: the journal is there but cannot be read (the file may be torn).
    """
    journal = undo_path(catalog_path)
    try:
        raw = journal.read_bytes()
    except FileNotFoundError:
        return None
    line_end = raw.find(b"\n")
    tail = memoryview(raw)[line_end + 1 :]
    try:
        header = orjson.loads(raw[:line_end]) if line_end > 0 else None
        if isinstance(header, dict) and header.get("inode") != os.fstat(fd).st_ino:
            return None  # another file's: this one was replaced (renamed over) since
        offset = header["offset"] if isinstance(header, dict) else -1
        anchor = max(0, offset - _ANCHOR)
        whole = (
            isinstance(header, dict)
            and header["undo"] == 1
            and len(tail) == header["size"] - offset
            and zlib.crc32(tail) == header["crc"]
            and zlib.crc32(_pread(fd, offset - anchor, anchor)) == header["anchor_crc"]
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        whole = False
    if not whole:
        # Not one our writer left for this file (a temp file is renamed into place whole):
        # damaged, or left over from a file since replaced. Applying it could only harm.
        log.warning("%s: a damaged undo journal, or not %s's; ignored", journal, catalog_path)
        return None
    return _Undo(offset, tail)


def roll_back(catalog_path: Path) -> bool:
    """Put back the old bytes of an in-place write cut short (a writer killed mid-commit)
    from its undo journal, and remove the journal; True if the file was rolled back.

    For writers: they hold the writers' lock, so the journal's writer is dead. (Readers
    apply a journal in memory instead: `open_catalog`.) A journal that does not belong to
    the file is removed.

    Raises:
        OSError: the catalog or the journal could not be written.
    """
    journal = undo_path(catalog_path)
    if not journal.exists():
        return False
    rolled_back = False
    try:
        fd = os.open(catalog_path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        fd = -1
    try:
        if fd >= 0:
            _lock(fd, fcntl.LOCK_EX)  # readers finish what they read first
            undo = _read_undo(catalog_path, fd)
            if undo is not None:
                _put_back(fd, undo.offset, undo.tail)
                rolled_back = True
        journal.unlink(missing_ok=True)
    finally:
        if fd >= 0:
            os.close(fd)
    fsync_dir(catalog_path.parent)
    if rolled_back:
        log.warning("%s: a commit cut short was rolled back from %s", catalog_path, journal.name)
    else:
        log.warning("%s: removed %s, which did not belong to the catalog as it is", catalog_path, journal.name)
    return rolled_back


def _put_back(fd: int, offset: int, old: bytes | memoryview) -> None:
    """Write `old` at `offset`, end the file there, give it a new tag and fsync it."""
    before = os.fstat(fd)
    _pwrite(fd, old, offset)
    os.ftruncate(fd, offset + len(old))
    _set_later_mtime(fd, before)
    os.fsync(fd)


def _set_later_mtime(fd: int, before: os.stat_result) -> None:
    """Give the file a later mtime than it had `before`, so its tag changes even when its
    size and inode stay and the clock has not ticked (or went back) since; larger steps
    where the file system keeps coarser times."""
    now = time.time_ns()
    for step in (1, 1_000, 1_000_000, 1_000_000_000, 2_000_000_000):
        os.utime(fd, ns=(before.st_atime_ns, max(now, before.st_mtime_ns + step)))
        if os.fstat(fd).st_mtime_ns > before.st_mtime_ns:
            return


# -- file helpers ----------------------------------------------------------------------


def _lock(fd: int, operation: int) -> bool:
    """flock `fd` (waiting for it); False where the file system has no locks."""
    try:
        fcntl.flock(fd, operation)
    except OSError as exc:
        if exc.errno in (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP):
            return False
        raise
    return True


def _pread(fd: int, length: int, offset: int) -> bytes:
    """`length` bytes from `offset`, or fewer at the end of the file."""
    parts = []
    while length > 0:
        part = os.pread(fd, min(length, 1 << 30), offset)
        if not part:
            break
        parts.append(part)
        offset += len(part)
        length -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _pwrite(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


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


def file_tag(stat: os.stat_result) -> str:
    # The same form as search_index.file_tag (not imported: `show` should not load search).
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"
