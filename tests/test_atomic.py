"""The one atomic write (`files/atomic.py`): temp file, fsync, optional hash check, rename,
folder fsync; a writer killed at any moment leaves the target whole (old or new) and at
most a temp file with the caller's prefix."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive_ingest.files.atomic import (
    HashMismatch,
    atomic_file,
    atomic_path,
    copy_atomic,
    make_folders,
    write_atomic,
)
from archive_ingest.ingest.stages import file

#: A child that writes 16 MiB to `argv[1]` through the helper and, at `argv[2]`
#: (`mid_write`: half written; `before_rename`: whole and fsynced, not yet renamed),
#: says "ready" on stdout and blocks reading stdin until the test kills it.
_WRITER = """
import sys
from pathlib import Path

from archive_ingest.files.atomic import atomic_file

target, stage = Path(sys.argv[1]), sys.argv[2]


def pause():
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    sys.stdin.read()  # never answered: the test kills this process here


with atomic_file(target, prefix=".killed.", before_replace=pause if stage == "before_rename" else None) as out:
    for n in range(16):
        out.write(bytes([65 + n]) * (1 << 20))
        if n == 7 and stage == "mid_write":
            out.flush()
            pause()
"""

_LEFTOVER = re.compile(r"^\.killed\.[a-z0-9_]{8}\.tmp$")


@pytest.mark.parametrize("stage", ["mid_write", "before_rename"])
@pytest.mark.parametrize("old", [None, b"the old content\n"], ids=["no-target", "old-target"])
def test_a_writer_killed_mid_write_never_leaves_a_partial_target(tmp_path: Path, stage: str, old: bytes | None) -> None:
    target = tmp_path / "big.bin"
    if old is not None:
        target.write_bytes(old)
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target), stage],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n", child.stderr
        child.send_signal(signal.SIGKILL)  # the child is blocked in the middle of its write
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()

    if old is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == old
    leftovers = [path for path in tmp_path.iterdir() if path != target]
    assert [bool(_LEFTOVER.match(path.name)) for path in leftovers] == [True]
    # What the child had written when it was killed: half, or all of it (fsynced, not renamed).
    assert leftovers[0].stat().st_size == (8 if stage == "mid_write" else 16) << 20


# -- the hash check --------------------------------------------------------------------


def test_a_sha256_mismatch_raises_and_leaves_the_old_target(tmp_path: Path) -> None:
    target = tmp_path / "copy.jpg"
    target.write_bytes(b"old")
    source = tmp_path / "in.jpg"
    source.write_bytes(b"new bytes")
    wrong = hashlib.sha256(b"other bytes").hexdigest()

    with pytest.raises(HashMismatch) as raised:
        copy_atomic(source, target, prefix=".filing.", sha256=wrong)
    assert raised.value.expected == wrong
    assert raised.value.actual == hashlib.sha256(b"new bytes").hexdigest()
    assert target.read_bytes() == b"old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["copy.jpg", "in.jpg"]  # no temp file left

    copy_atomic(source, target, prefix=".filing.", sha256=hashlib.sha256(b"new bytes").hexdigest())
    assert target.read_bytes() == b"new bytes"


def test_an_error_in_the_block_leaves_the_target_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "catalog.json"
    target.write_bytes(b"{}")
    with pytest.raises(RuntimeError), atomic_file(target) as out:
        out.write(b'{"half')
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"{}"
    assert [path.name for path in tmp_path.iterdir()] == ["catalog.json"]


def test_the_file_stage_reports_a_mismatch_as_a_filing_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(b"scan")
    target = tmp_path / "originals" / "ab" / "abc.jpg"
    with pytest.raises(file.FilingError, match=r"the copy's sha256 [0-9a-f]{64} differs from the original's 0+$"):
        file.copy_verified(source, target, "0" * 64)
    assert list(target.parent.iterdir()) == []


# -- modes -----------------------------------------------------------------------------


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_the_mode_follows_the_umask_unless_private(tmp_path: Path, mask: int) -> None:
    with _umask(mask):
        write_atomic(tmp_path / "shared.json", b"{}")
        with atomic_file(tmp_path / "private.sqlite", private=True) as out:
            out.write(b"index")
        with atomic_path(tmp_path / "shared.sqlite") as temp:
            temp.write_bytes(b"index")
        write_atomic(tmp_path / "kept.csv", b"a,b\n", mode=0o640)
    assert _mode(tmp_path / "shared.json") == 0o666 & ~mask
    assert _mode(tmp_path / "shared.sqlite") == 0o666 & ~mask
    assert _mode(tmp_path / "private.sqlite") == 0o600
    assert _mode(tmp_path / "kept.csv") == 0o640


# -- fsyncs ------------------------------------------------------------------------------
# An fsync cannot be observed from its effects short of cutting the power, so these tests
# spy on the os.fsync system call itself (monkeypatch), recording what each one synced.


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[os.stat_result]:
    """Every fsync from now on, as the fstat of what it synced (spied on: see above)."""
    synced: list[os.stat_result] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.fstat(fd))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return synced


def _folder_synced(synced: list[os.stat_result], folder: Path) -> list[bool]:
    """For each fsync: whether it synced `folder`."""
    inode = folder.stat().st_ino
    return [stat.S_ISDIR(s.st_mode) and s.st_ino == inode for s in synced]


def _write_bytes(target: Path) -> None:
    write_atomic(target, b"new")


def _fill_with_sqlite(target: Path) -> None:
    with atomic_path(target) as temp:
        conn = sqlite3.connect(temp)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()


@pytest.mark.parametrize("write", [_write_bytes, _fill_with_sqlite], ids=["write_atomic", "atomic_path"])
def test_the_file_then_its_folder_are_fsynced(
    tmp_path: Path, fsyncs: list[os.stat_result], write: Callable[[Path], None]
) -> None:
    target = tmp_path / "sub" / "target.bin"
    target.parent.mkdir()
    target.write_bytes(b"old")
    write(target)
    # The temp file first (a regular file, before the rename), then the folder.
    assert [stat.S_ISREG(s.st_mode) for s in fsyncs] == [True, False]
    assert _folder_synced(fsyncs, target.parent) == [False, True]
    assert fsyncs[0].st_ino == target.stat().st_ino  # the temp file is what became the target


def test_many_files_in_one_folder_fsync_it_once(tmp_path: Path, fsyncs: list[os.stat_result]) -> None:
    for name in ("a", "b", "c"):
        write_atomic(tmp_path / name, b"x", sync_dir=False)
    assert not any(_folder_synced(fsyncs, tmp_path))
    assert len(fsyncs) == 3


def test_new_folders_are_made_durable(tmp_path: Path, fsyncs: list[os.stat_result]) -> None:
    make_folders(tmp_path / "originals" / "ab")
    assert (tmp_path / "originals" / "ab").is_dir()
    assert [s.st_ino for s in fsyncs] == [tmp_path.stat().st_ino, (tmp_path / "originals").stat().st_ino]
    fsyncs.clear()
    make_folders(tmp_path / "originals" / "ab")  # already there: nothing to sync
    assert fsyncs == []


def test_filing_an_original_fsyncs_its_folder_before_the_inbox_copy_may_go(
    tmp_path: Path, fsyncs: list[os.stat_result]
) -> None:
    # The case: a copy filed under originals/ab/ was renamed without its folder
    # fsynced, and the inbox copy removed after the commit.
    source = tmp_path / "inbox" / "scan.jpg"
    source.parent.mkdir()
    source.write_bytes(b"scan")
    target = tmp_path / "archive" / "originals" / "ab" / "abc.jpg"
    assert file.copy_verified(source, target, hashlib.sha256(b"scan").hexdigest())
    assert target.read_bytes() == b"scan"
    assert _folder_synced(fsyncs, target.parent)[-1]
    assert any(_folder_synced(fsyncs, target.parent.parent))  # ab/ was made: its parent too
    fsyncs.clear()
    # Adopted from an interrupted run: its folder is fsynced again (the run may have died before).
    assert not file.copy_verified(source, target, hashlib.sha256(b"scan").hexdigest())
    assert _folder_synced(fsyncs, target.parent) == [True]
