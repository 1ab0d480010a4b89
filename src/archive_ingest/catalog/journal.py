"""Reading the catalog file, and the undo journal of a commit written in place.

A commit writes the catalog in place from its first changed byte (`storage.py`); before
it does, the old bytes from there to the end are kept in `catalog.json.undo` (header line:
inode, offset, old size, CRC-32 of the old bytes and of the 4 KB before the offset; then
the bytes), written whole by temp file and rename. Readers open the catalog here
(`open_catalog`: a shared flock, and a journal a killed writer left applied in memory, so
a read-only archive reads right); the next writer puts the old bytes back (`roll_back`).
A journal whose inode or anchor does not match (another file since put in the catalog's
place) is never applied.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..files.atomic import fsync_dir

log = logging.getLogger(__name__)

#: The undo journal of an in-place write: `catalog.json.undo` beside the catalog.
UNDO_SUFFIX = ".undo"

#: The journal also checks this many bytes before its offset (never rewritten by the
#: write), so it is never applied to a file put in the catalog's place since.
_ANCHOR = 4096


def file_tag(stat: os.stat_result) -> str:
    """What identifies one state of the catalog file: size, mtime in ns, inode (the search
    index records it; every write, in place or renamed, changes it)."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


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
            return pread(self._fd, length, offset)
        head = pread(self._fd, undo.offset - offset, offset) if offset < undo.offset else b""
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
        lock(fd, fcntl.LOCK_SH)
        yield CatalogFile(fd, os.fstat(fd), read_undo(path, fd))
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


def undo_header(fd: int, stat: os.stat_result, offset: int, old: bytes) -> bytes:
    """The journal's first line: what it belongs to and checksums (CRC-32) of its bytes
    and of the `_ANCHOR` bytes before `offset`."""
    anchor = max(0, offset - _ANCHOR)
    header = {
        "undo": 1,
        "inode": stat.st_ino,
        "offset": offset,
        "size": stat.st_size,
        "anchor_crc": zlib.crc32(pread(fd, offset - anchor, anchor)),
        "crc": zlib.crc32(old),
    }
    return orjson.dumps(header) + b"\n"


def read_undo(catalog_path: Path, fd: int) -> _Undo | None:
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
            and zlib.crc32(pread(fd, offset - anchor, anchor)) == header["anchor_crc"]
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
            lock(fd, fcntl.LOCK_EX)  # readers finish what they read first
            undo = read_undo(catalog_path, fd)
            if undo is not None:
                put_back(fd, undo.offset, undo.tail)
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


def put_back(fd: int, offset: int, old: bytes | memoryview) -> None:
    """Write `old` at `offset`, end the file there, give it a new tag and fsync it."""
    before = os.fstat(fd)
    pwrite(fd, old, offset)
    os.ftruncate(fd, offset + len(old))
    set_later_mtime(fd, before)
    os.fsync(fd)


def set_later_mtime(fd: int, before: os.stat_result) -> None:
    """Give the file a later mtime than it had `before`, so its tag changes even when its
    size and inode stay and the clock has not ticked (or went back) since; larger steps
    where the file system keeps coarser times."""
    now = time.time_ns()
    for step in (1, 1_000, 1_000_000, 1_000_000_000, 2_000_000_000):
        os.utime(fd, ns=(before.st_atime_ns, max(now, before.st_mtime_ns + step)))
        if os.fstat(fd).st_mtime_ns > before.st_mtime_ns:
            return


# -- file helpers ----------------------------------------------------------------------


def lock(fd: int, operation: int) -> bool:
    """flock `fd` (waiting for it); False where the file system has no locks."""
    try:
        fcntl.flock(fd, operation)
    except OSError as exc:
        if exc.errno in (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP):
            return False
        raise
    return True


def pread(fd: int, length: int, offset: int) -> bytes:
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


def pwrite(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written
