"""The catalog: records in and out, atomic writes, one write per batch, the writer lock,
in-place commits behind an undo journal."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive_ingest import catalog as catalog_module
from archive_ingest.catalog import AtomicJSONStorage, Catalog, open_catalog, undo_path
from archive_ingest.catalog import index as search_index
from archive_ingest.catalog.journal import file_tag
from archive_ingest.errors import CatalogError, CatalogLocked, RecordNotFound
from archive_ingest.record import FileInfo, Kind, Record, Source, record_id_for
from test_readonly import AS_NOBODY, NOBODY

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def make_record(n: int, caption: str = "Тён Иван, 전, Chongjin") -> Record:
    sha = f"{n:016x}" + "0" * 48
    return Record(
        id=record_id_for(sha),
        kind=Kind.HEADSTONE,
        source=Source(filename=f"scan {n}.jpg"),
        file=FileInfo(sha256=sha, bytes=n),
        caption=caption,
    )


@pytest.fixture(params=["memory", "json"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    # Memory storage accepts values the JSON file cannot hold; test both (TinyDB's own habit).
    cat = Catalog(None if request.param == "memory" else tmp_path / "catalog.json")
    yield cat
    cat.close()


def test_commit_and_read_back(catalog: Catalog) -> None:
    records = [make_record(n) for n in range(1, 4)]
    catalog.commit(records)
    assert len(catalog) == 3
    assert catalog.get(records[1].id) == records[1]
    assert [r.id for r in catalog.all()] == [r.id for r in records]
    assert records[0].id in catalog
    assert catalog.get("0" * 16) is None


def test_commit_replaces_a_record_by_id(catalog: Catalog) -> None:
    record = make_record(7)
    catalog.commit([record])
    record.caption = "Ким Шура"
    catalog.commit([record])
    assert len(catalog) == 1
    got = catalog.get(record.id)
    assert got is not None and got.caption == "Ким Шура"


def test_require_accepts_a_unique_prefix(catalog: Catalog) -> None:
    catalog.commit([make_record(0x1234), make_record(0x1235), make_record(0xABCD)])
    assert catalog.require("000000000000abc").id == "000000000000abcd"
    assert catalog.require("0000000000001234").id == "0000000000001234"
    assert catalog.require("000000000000ABCD").id == "000000000000abcd"  # any case
    with pytest.raises(RecordNotFound, match=r"^zzz: not a record id "):
        catalog.require("zzz")
    with pytest.raises(RecordNotFound, match=r"^fff: no such record in "):
        catalog.require("fff")
    with pytest.raises(RecordNotFound, match=r"ambiguous, 2 records: 0000000000001234 .*, 0000000000001235 "):
        catalog.require("000000000000123")
    with pytest.raises(RecordNotFound, match=r"^an empty record id"):
        catalog.require(" ")


def test_file_is_readable_utf8_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    catalog = Catalog(path)
    catalog.commit([make_record(1)])
    text = path.read_text(encoding="utf-8")
    assert "Тён Иван, 전" in text  # not \u-escaped
    assert list(json.loads(text)) == ["records"]
    assert Catalog(path).get(make_record(1).id) == make_record(1)


def test_a_batch_is_one_atomic_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.json"
    writes: list[int] = []
    original = AtomicJSONStorage._write_file

    def counting(self: AtomicJSONStorage, data: dict[str, object]) -> None:
        writes.append(len(data.get("records", {})))  # type: ignore[arg-type]
        original(self, data)

    monkeypatch.setattr(AtomicJSONStorage, "_write_file", counting)
    catalog = Catalog(path)
    catalog.commit([make_record(1)])
    catalog.commit([make_record(1, "changed"), *(make_record(n) for n in range(2, 30))])
    assert writes == [1, 29]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json"]  # no temp files left


def test_failed_write_leaves_the_previous_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.json"
    Catalog(path).commit([make_record(1)])
    before = path.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        Catalog(path).commit([make_record(2)])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json"]


def test_unreadable_catalog_raises_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text('{"records": {"1": ', encoding="utf-8")
    with pytest.raises(CatalogError, match=rf"^{path}: the catalog is not valid JSON: "):
        Catalog(path).all()


def test_missing_catalog_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    assert catalog_module.reader(path).all() == []
    assert not path.exists()


def test_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    with catalog_module.writer(path, "archive-ingest run", NOW):
        with pytest.raises(CatalogLocked) as caught:
            with catalog_module.writer(path, "archive-ingest run", NOW):
                pass
    assert str(caught.value) == (
        f"{path}: the catalog is locked by pid {os.getpid()} (archive-ingest run, started 2026-11-26T12:00:00+00:00)"
    )
    assert caught.value.exit_code == 3
    with catalog_module.writer(path, "again", NOW) as catalog:  # released after the block
        assert len(catalog) == 0


def test_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from datetime import datetime, UTC; from pathlib import Path;"
            "from archive_ingest import catalog as c;"
            "cm = c.writer(Path(sys.argv[1]), 'run', datetime.now(UTC)); cm.__enter__();"
            "print('locked', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(CatalogLocked, match=rf"locked by pid {holder.pid} \(run, started "):
            with catalog_module.writer(path, "second", NOW):
                pass
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 5
    while True:
        try:
            with catalog_module.writer(path, "after the kill", NOW) as catalog:
                catalog.commit([make_record(1)])
            break
        except CatalogLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    assert len(Catalog(path)) == 1


# -- in-place commits ----------------------------------------------------------------------------


def tinydb_bytes(records: list[Record]) -> bytes:
    """The catalog TinyDB writes for `records` (doc ids 1, 2, ...), as `AtomicJSONStorage` encodes it."""
    docs = {str(n): record.to_json() for n, record in enumerate(records, start=1)}
    return json.dumps({"records": docs}, ensure_ascii=False, separators=(",", ":")).encode()


def indexed_catalog(path: Path, count: int) -> list[Record]:
    """A catalog of `count` records with a fresh search index, so that commits splice."""
    records = [make_record(n) for n in range(1, count + 1)]
    catalog = Catalog(path)
    catalog.commit(records)
    catalog.refresh_search_index()
    assert search_index.fresh_layout(path) is not None
    return records


def test_a_commit_rewrites_the_file_in_place_only_from_its_first_change(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    records = indexed_catalog(path, 40)
    inode = path.stat().st_ino
    before = path.read_bytes()

    added = [make_record(n) for n in range(41, 44)]
    catalog = Catalog(path)
    catalog.commit(added)  # new records go before the closing `}}`: the rest stays as it was
    after = path.read_bytes()
    assert path.stat().st_ino == inode
    assert after[: len(before) - 2] == before[:-2]
    assert after == tinydb_bytes(records + added)

    changed = make_record(38, "Ким Шура, a caption long enough to move the records after it")
    start, _ = search_index.fresh_layout(path).spans[38]  # type: ignore[union-attr]
    catalog.commit([changed])  # a changed record: rewritten from its offset on
    assert path.stat().st_ino == inode
    assert path.read_bytes()[:start] == after[:start]
    assert path.read_bytes() == tinydb_bytes([*records[:37], changed, *records[38:], *added])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json", "catalog.json.search.sqlite"]
    # The index followed every write: fresh, and its offsets read the right records.
    layout = search_index.fresh_layout(path)
    assert layout is not None and layout.tag == file_tag(path.stat())
    assert Catalog(path).get(changed.id) == changed and Catalog(path).get(added[2].id) == added[2]

    catalog.commit([make_record(2, "changed near the start")])  # more than half the file: a new file
    assert path.stat().st_ino != inode
    assert Catalog(path).get(record_id_for(f"{2:016x}" + "0" * 48)).caption == "changed near the start"  # type: ignore[union-attr]


def test_a_same_size_write_in_place_changes_the_file_tag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.json"
    indexed_catalog(path, 10)
    catalog = Catalog(path)
    catalog.commit([make_record(10, "Ким А")])
    before = path.stat()
    # The clock stands still (and behind the file's mtime): the tag must change all the same.
    monkeypatch.setattr(time, "time_ns", lambda: before.st_mtime_ns - 1_000_000_000)
    catalog.commit([make_record(10, "Ким Б")])  # as many bytes: only the mtime can tell
    after = path.stat()
    assert (after.st_size, after.st_ino) == (before.st_size, before.st_ino)
    assert after.st_mtime_ns == before.st_mtime_ns + 1
    assert file_tag(after) != file_tag(before)
    layout = search_index.fresh_layout(path)
    assert layout is not None and layout.tag == file_tag(after)
    assert Catalog(path).get(make_record(10).id).caption == "Ким Б"  # type: ignore[union-attr]
    with search_index.open_index(path) as index:
        assert index.rowids("SELECT rowid FROM fts WHERE fts MATCH ?", ["Б"]) == {10}


#: Commits the records given as JSON to the catalog given, in a process of its own (killed
#: at the hook point set in its environment).
COMMIT = (
    "import json, sys; from pathlib import Path; from archive_ingest.catalog import Catalog; "
    "from archive_ingest.record import Record; "
    "Catalog(Path(sys.argv[1])).commit([Record.from_json(d) for d in json.loads(sys.argv[2])])"
)
#: What a reader sees of a catalog: its records' ids, and the ids a search index built now reads.
READ = (
    "import json, sys; from pathlib import Path; from archive_ingest import catalog; "
    "from archive_ingest.catalog import index as search_index; "
    "path = Path(sys.argv[1]); index = search_index.open_index(path); "
    "print(json.dumps([[d['id'] for d in catalog.reader(path).documents()], "
    "[r.id for r in index.records(sorted(index.all_rowids()))]]))"
)


@pytest.mark.parametrize("point", ["catalog_undo_written", "catalog_partly_written", "catalog_written"])
def test_a_commit_killed_in_place_is_read_as_before_and_rolled_back_by_the_next_writer(
    tmp_path: Path, point: str
) -> None:
    path = tmp_path / "archive" / "catalog.json"
    path.parent.mkdir()
    records = indexed_catalog(path, 20)
    before = path.read_bytes()
    added = [make_record(n) for n in range(21, 24)]
    env = {**os.environ, "ARCHIVE_INGEST_CRASH_AT": f"{point}:1"}
    killed = subprocess.run(
        [sys.executable, "-c", COMMIT, str(path), json.dumps([r.to_json() for r in added])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert undo_path(path).exists()
    if point == "catalog_partly_written":
        with pytest.raises(json.JSONDecodeError):
            json.loads(path.read_bytes())  # torn: only a reader that applies the journal reads it
    torn_tag = file_tag(path.stat())
    ids = [r.id for r in records]

    # Readers see the catalog as it was, here and as a user who cannot write the archive.
    with open_catalog(path) as catalog:
        assert catalog.read() == before
    assert [d["id"] for d in catalog_module.reader(path).documents()] == ids
    if os.geteuid() == 0 and shutil.which("setpriv"):
        nobody_home = tmp_path / "nobody"
        nobody_home.mkdir()
        os.chown(nobody_home, NOBODY, NOBODY)
        as_nobody = subprocess.run(
            [*AS_NOBODY, sys.executable, "-c", READ, str(path)],
            env={**os.environ, "HOME": str(nobody_home), "XDG_CACHE_HOME": str(nobody_home / ".cache")},
            capture_output=True,
            text=True,
        )
        assert as_nobody.returncode == 0, as_nobody.stderr
        assert json.loads(as_nobody.stdout) == [ids, ids]
        assert undo_path(path).exists() and file_tag(path.stat()) == torn_tag  # it wrote nothing

    # The next writer puts the old bytes back, with a new tag, before anything else.
    with catalog_module.writer(path, "next", NOW) as catalog:
        assert path.read_bytes() == before and not undo_path(path).exists()
        assert file_tag(path.stat()) != torn_tag
        catalog.commit(added)
    assert path.read_bytes() == tinydb_bytes(records + added)


def test_an_undo_journal_of_another_file_is_never_applied(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    records = indexed_catalog(path, 5)
    before = path.read_bytes()
    undo_path(path).write_bytes(b'{"undo":1,"inode":1,"offset":3,"size":5,"anchor_crc":0,"crc":0}\nXY')
    assert Catalog(path).documents() == [r.to_json() for r in records]
    with catalog_module.writer(path, "next", NOW):
        assert not undo_path(path).exists()
    assert path.read_bytes() == before


def test_a_reader_waits_for_an_in_place_write_and_reads_the_new_catalog_whole(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    records = indexed_catalog(path, 20)
    added = [make_record(n) for n in range(21, 24)]
    env = {**os.environ, "ARCHIVE_INGEST_CRASH_AT": "catalog_partly_written:1:STOP"}
    writer = subprocess.Popen(
        [sys.executable, "-c", COMMIT, str(path), json.dumps([r.to_json() for r in added])], env=env
    )
    try:
        deadline = time.monotonic() + 30
        while Path(f"/proc/{writer.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
            assert writer.poll() is None and time.monotonic() < deadline, "the writer never stopped mid-write"
            time.sleep(0.02)
        with pytest.raises(json.JSONDecodeError):
            json.loads(path.read_bytes())  # half written: a reader without the lock would see this
        with ThreadPoolExecutor(max_workers=1) as pool:
            read = pool.submit(lambda: [d["id"] for d in catalog_module.reader(path).documents()])
            time.sleep(0.3)
            assert not read.done()  # held off by the writer's lock
            writer.send_signal(signal.SIGCONT)
            assert read.result(timeout=30) == [r.id for r in records + added]
    finally:
        if writer.poll() is None:
            writer.send_signal(signal.SIGCONT)
        assert writer.wait(timeout=30) == 0
