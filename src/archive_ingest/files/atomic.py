"""The one atomic write: every file the tool replaces whole is written here.

The sequence, the same for every writer (originals and captions filed, OCR words, access
copies, record sidecars, catalog backups, the catalog itself and its undo journal, the
search index, rewritten caption manifests, exports):

1. a temp file is created beside the target (`files/temp.py`'s `create_temp`: the user's
   umask, or 0600 when `private`), named `<prefix><8 random characters><suffix>` so the
   next run recognises one left by a killed writer (`ingest/recovery.py`,
   `discover.MANIFEST_TEMP`, `verify`);
2. the caller writes or copies into it (`atomic_file`, the core, yields the open binary
   file; `atomic_path` yields its path, for a writer such as SQLite that opens files
   itself; `write_atomic` and `copy_atomic` are the common cases);
3. the file gets its `mode` if one is given, and is fsynced;
4. with `sha256=`, the temp file is read back and hashed: a mismatch raises
   `HashMismatch`, nothing is replaced;
5. `os.replace` puts it over the target, and the target's folder is fsynced, so the
   rename itself is on disk before the caller goes on (say, removes the inbox copy).

On any error (Ctrl-C too) the temp file is removed and the target is left as it was. A
process killed mid-write leaves the target as it was and the temp file (see above).

`make_folders` creates missing folders durably (each new folder's parent fsynced), and
`fsync_dir` is the folder fsync, for writers that rename more than one entry (a bag's
folder) or remove one (the catalog's undo journal).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .temp import create_temp

#: How much is read or copied at a time.
_CHUNK = 1 << 20


class HashMismatch(OSError):
    """What was written does not hash to the SHA-256 expected; the target was not replaced."""

    def __init__(self, target: Path, expected: str, actual: str) -> None:
        super().__init__(f"{target}: the written copy's sha256 {actual} differs from the expected {expected}")
        self.target = target
        self.expected = expected
        self.actual = actual


@contextmanager
def atomic_file(
    target: Path,
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    private: bool = False,
    mode: int | None = None,
    sha256: str | None = None,
    sync_dir: bool = True,
    before_replace: Callable[[], None] | None = None,
) -> Iterator[BinaryIO]:
    """Replace `target` with what the block writes to the yielded file, atomically.

    The temp file is `<prefix><random><suffix>` in `target`'s folder (which must exist;
    `prefix` is `.<target name>.` unless given). After the block: `mode` (else the umask's,
    see `files/temp.py`), fsync, the `sha256` check, `before_replace()` (the temp file is
    then whole and durable), the rename, then the folder's fsync unless `sync_dir` is
    False (a caller writing many files in one folder fsyncs it once, with `fsync_dir`).

    Raises:
        HashMismatch: with `sha256`, the written bytes differ (the target is untouched).
        OSError: the temp file could not be created, written or renamed (the target is
            untouched, no temp file is left), or the folder's fsync failed (after the rename).
    """
    handle, temp_name = _create_beside(target, prefix, suffix, private)
    try:
        with os.fdopen(handle, "wb") as temp:
            yield temp
            temp.flush()
            if mode is not None:
                os.fchmod(temp.fileno(), mode)
            os.fsync(temp.fileno())
            if sha256 is not None:
                actual = _sha256_of_fd(temp.fileno())
                if actual != sha256:
                    raise HashMismatch(target, sha256, actual)
        if before_replace is not None:
            before_replace()
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(target.parent)


@contextmanager
def atomic_path(
    target: Path, *, prefix: str | None = None, suffix: str = ".tmp", private: bool = False
) -> Iterator[Path]:
    """`atomic_file` for a writer that opens the file by its path (SQLite): the block gets
    the path of the empty temp file, fills it and closes every handle on it; the file is
    then fsynced, renamed over `target` and the folder fsynced.

    Raises:
        OSError: as `atomic_file` (the target is untouched, no temp file is left).
    """
    handle, temp_name = _create_beside(target, prefix, suffix, private)
    os.close(handle)
    try:
        yield Path(temp_name)
        fd = os.open(temp_name, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def write_atomic(
    target: Path,
    data: bytes,
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    mode: int | None = None,
    sync_dir: bool = True,
) -> None:
    """Replace `target` with `data` (see `atomic_file`).

    Raises:
        OSError: nothing was replaced (or, after the rename, the folder's fsync failed).
    """
    with atomic_file(target, prefix=prefix, suffix=suffix, mode=mode, sync_dir=sync_dir) as temp:
        temp.write(data)


def copy_atomic(source: Path, target: Path, *, prefix: str | None = None, sha256: str | None = None) -> None:
    """Replace `target` with a copy of `source`; with `sha256`, the copy written must hash
    to it (see `atomic_file`).

    Raises:
        HashMismatch: the copy's bytes differ from `sha256` (the target is untouched).
        OSError: `source` could not be read or the copy written (the target is untouched).
    """
    with source.open("rb") as original, atomic_file(target, prefix=prefix, sha256=sha256) as temp:
        shutil.copyfileobj(original, temp, _CHUNK)


def fsync_dir(folder: Path) -> None:
    """Make a rename (or a creation, or a removal) in `folder` durable: fsync the folder."""
    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_folders(folder: Path) -> None:
    """Create `folder` and any missing folder above it (mode 0777 less the umask), each
    made durable (its parent fsynced), so a file renamed into it survives a power loss.

    Raises:
        OSError: a folder could not be created.
    """
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)  # another process may make it meanwhile
        fsync_dir(new.parent)


def _create_beside(target: Path, prefix: str | None, suffix: str, private: bool) -> tuple[int, str]:
    """The temp file of a write of `target`: `<prefix><random><suffix>` in its folder,
    `prefix` being `.<target name>.` unless given."""
    return create_temp(target.parent, f".{target.name}." if prefix is None else prefix, suffix, private=private)


def _sha256_of_fd(fd: int) -> str:
    """SHA-256 of the whole file open as `fd` (read from its start, its offset left alone)."""
    digest = hashlib.sha256()
    offset = 0
    while chunk := os.pread(fd, _CHUNK, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()
