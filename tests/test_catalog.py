"""The catalog: records in and out, atomic writes, one write per batch, the writer lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive_ingest import catalog as catalog_module
from archive_ingest.catalog import AtomicJSONStorage, Catalog
from archive_ingest.errors import CatalogError, CatalogLocked, RecordNotFound
from archive_ingest.record import FileInfo, Kind, Record, Source, record_id_for

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
