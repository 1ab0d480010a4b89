"""`run --workers N` and `run --executor dask`: the same records as one process, and work never done twice."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from archive_ingest.cli import ingest as cli_ingest
from archive_ingest.ingest import pipeline, workers
from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.stages import discover, ocr
from archive_ingest.ingest.stages.registry import STAGES
from archive_ingest.record import Record
from conftest import ArchiveHome, draw_batch, new_home
from dask_cluster import LocalCluster
from scanmaker import ExifSpec, make_scan


def without_times(value: Any) -> Any:
    """The record with event times removed (two runs happen at different moments)."""
    if isinstance(value, dict):
        return {key: without_times(item) for key, item in value.items() if key not in {"at", "ingested_at"}}
    if isinstance(value, list):
        return [without_times(item) for item in value]
    return value


def archived_files(home: ArchiveHome) -> list[str]:
    skip = {"catalog.json", "catalog.json.lock", "catalog.json.search.sqlite"}
    return sorted(
        p.relative_to(home.archive).as_posix()
        for p in home.archive.rglob("*")
        if p.is_file() and p.name not in skip and ".bak" not in p.name
    )


@dataclass
class BatchRun:
    home: ArchiveHome
    output: str
    report: dict[str, Any]

    def records(self) -> dict[str, Any]:
        return {r["id"]: without_times(r) for r in self.home.catalog_records()}


def run_batch(root: Path, *options: str) -> BatchRun:
    """`draw_batch` dropped into a new home, then `archive-ingest run OPTIONS --report ...`."""
    home = new_home(root)
    draw_batch(home.inbox)
    result = home.invoke("run", *options, "--report", str(root / "report.json"))
    assert result.exit_code == 0, result.output
    return BatchRun(home, result.output, json.loads((root / "report.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> BatchRun:
    """The batch read in this process: what every other executor must match."""
    return run_batch(tmp_path_factory.mktemp("workers1") / "home", "--workers", "1")


def assert_same_as_one_process(run: BatchRun, one: BatchRun) -> None:
    records = run.records()
    assert len(records) == 9  # 5 readable scans, 4 quarantined; the duplicate joins its original
    assert records == one.records()
    # The same files filed (originals, quarantine, captions, derivatives, sidecars), the same left.
    assert archived_files(run.home) == archived_files(one.home)
    assert run.home.inbox_files() == one.home.inbox_files() == ["lonely.txt"]
    summary_line = [line for line in one.output.splitlines() if line.startswith("ingested")]
    assert summary_line and summary_line[0] in run.output.splitlines()
    assert set(run.report["stage_seconds"]) == set(one.report["stage_seconds"])


def test_two_workers_give_the_same_records_as_one(one_process: BatchRun, tmp_path: Path) -> None:
    two = run_batch(tmp_path / "workers2", "--workers", "2")
    assert_same_as_one_process(two, one_process)
    records_two = two.records()

    # --report: what was done, where the time went (per stage, per kind of OCR pass).
    report = two.report
    assert report["workers"] == 2 and report["executor"] == "local" and report["shipped_bytes"] == {}
    assert sorted(report["ingested"]) == sorted(r["id"] for r in records_two.values() if r["kind"] != "quarantined")
    assert set(report["stage_seconds"]) == {
        "fixity",
        "identify",
        "similar",
        "exif",
        "ocr",
        "extract",
        "provenance",
        "flags",
        "access",
        "file",
    }
    assert {"detect lines", "recognise lines", "lines psm 7"} <= set(report["ocr_pass_seconds"])


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A scheduler and two single-threaded workers, each its own process, on 127.0.0.1."""
    cluster = LocalCluster(tmp_path_factory.mktemp("dask")).start(workers=2)
    yield cluster
    cluster.stop()


def test_a_dask_cluster_gives_the_same_records_as_one_process(
    one_process: BatchRun, dask_cluster: LocalCluster, tmp_path: Path
) -> None:
    run = run_batch(tmp_path / "dask", "--executor", "dask", "--scheduler", dask_cluster.address)
    assert_same_as_one_process(run, one_process)

    report = run.report
    assert report["executor"] == "dask" and report["workers"] == 2
    # Every image went to the cluster once, as its bytes (the duplicate too: it was in
    # flight with its original); the records came back (access copies and words included).
    images = [p for p in draw_batch(tmp_path / "again").values() if p.suffix.lower() != ".txt"]
    shipped = report["shipped_bytes"]
    assert shipped["files"] == len(images) == 10
    assert shipped["to_workers"] == sum(p.stat().st_size for p in images)
    assert shipped["from_workers"] > 0


def test_files_dropped_again_are_recognised_without_being_read_again(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home")
    scans = [
        make_scan(home.inbox / f"scan{i}.jpg", [name, "1921-1945"], font_px=28)
        for i, name in enumerate(["ПЕТРОВ", "ИВАНОВ", "СИДОРОВ"])
    ]
    kept = tmp_path / "kept"
    kept.mkdir()
    for scan in scans:
        shutil.copy2(scan, kept / scan.name)
    first = pipeline.run(home.settings(), workers=2)
    assert first.workers == 2 and len(first.ingested) == 3
    assert first.stage_seconds["ocr"] > 0

    for scan in scans:  # the user drops the same scans again
        shutil.copy2(kept / scan.name, home.inbox / scan.name)
    again = pipeline.run(home.settings(), workers=2)

    assert sorted(again.already_archived) == ["scan0.jpg", "scan1.jpg", "scan2.jpg"]
    assert again.ingested == [] and home.inbox_files() == []
    # Only the hash was computed: no decoding, no EXIF, no OCR; and nothing was new, so
    # no worker process was started (nor an OCR model loaded for one).
    assert set(again.stage_seconds) == {"fixity"}
    assert again.workers == 1


def test_one_new_file_among_known_ones_is_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers are started for two or more new files; one new file among known ones is read
    # in this process, and the OCR stage is set up once for it.
    home = new_home(tmp_path / "home")
    first = make_scan(home.inbox / "a.jpg", ["ПЕТРОВ", "1921-1945"], font_px=28)
    kept = first.read_bytes()
    assert len(pipeline.run(home.settings(), workers=2).ingested) == 1
    opened: list[str] = []
    monkeypatch.setitem(
        STAGES, "ocr", replace(STAGES["ocr"], open=lambda ctx: opened.append("ocr") or ocr.open_stage(ctx))
    )
    (home.inbox / "a.jpg").write_bytes(kept)
    make_scan(home.inbox / "b.jpg", ["ИВАНОВ", "1922-1945"], font_px=28)
    summary = pipeline.run(home.settings(), workers=2)
    assert summary.workers == 1 and summary.already_archived == ["a.jpg"] and len(summary.ingested) == 1
    assert opened == ["ocr"]


def test_each_file_is_read_from_disk_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixity reads the bytes; identify, EXIF, OCR and the access copies decode them from memory."""
    home = new_home(tmp_path / "home")
    make_scan(home.inbox / "stone.jpg", ["ПЕТРОВ", "1921-1945"], exif=ExifSpec(make="Canon", orientation=1))
    settings = home.settings()
    ctx = RunContext(settings=settings)
    ocr.open_stage(ctx)
    drop = discover.find_drops(ctx).drops[0]
    real_fixity = STAGES["fixity"]

    def fixity_then_hide_the_file(record: Record, ctx: RunContext) -> Record:
        record = real_fixity.run(record, ctx)
        (ctx.inbox / record.source.filename).rename(tmp_path / "hidden.jpg")  # nobody can open it now
        return record

    monkeypatch.setitem(STAGES, "fixity", replace(real_fixity, run=fixity_then_hide_the_file))
    prepared = workers.prepare(drop, ctx, known=set())

    record = prepared.record
    assert prepared.stages == ["fixity", "identify", "exif", "ocr", "extract", "provenance", "access"]
    assert (record.file.format, record.exif.make) == ("JPEG", "Canon")
    assert "1921" in record.ocr.text
    assert record.derivatives.access_jpeg and record.derivatives.thumbnail_jpeg
    assert record.file.content is None  # not carried back to the main process


def test_the_progress_bar_shows_files_per_minute_and_time_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = new_home(tmp_path / "home", "stages: [fixity, identify, exif, file]\n")
    for index in range(3):
        make_scan(home.inbox / f"scan{index}.jpg", [f"СКАН {index}"], font_px=24)
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=160, highlight=False)
    monkeypatch.setattr(cli_ingest, "err_console", terminal)

    result = home.invoke("run", "--workers", "1")

    assert result.exit_code == 0, result.output
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", screen.getvalue())
    assert re.search(r"\d/3 +[\d,]+ files/min +\d:\d\d:\d\d left \d:\d\d:\d\d", shown), shown[-400:]
