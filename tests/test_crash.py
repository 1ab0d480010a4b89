"""Crash, interrupt and concurrency: real `archive-ingest run` processes, really killed.

Each cycle drops a small batch of generated scans (one with a caption, one truncated, one
duplicate) into a fresh home, starts `archive-ingest run` as a subprocess, kills it, checks
what a killed run may leave, runs again to completion and checks the archive is whole:

- the catalog parses, no record is duplicated, no record points at a missing file and
  every filed file's SHA-256 matches its record;
- every dropped file (compared by SHA-256) is in exactly one place: still in the inbox
  with its bytes untouched, or archived with a record (after a kill it may be in both,
  never in neither; after the completing run the inbox is empty);
- after the completing run no file under `archive/originals|quarantine|derivatives`
  lacks a record, and no `.tmp` copy is left.

Kills come from the test-only hook `ARCHIVE_INGEST_CRASH_AT="<point>:<n>[:<signal>]"`
(see `archive_ingest.ingest.recovery`): SIGKILL at the n-th `after_<stage>`, `after_commit` or
`between_removals`, or inside an in-place catalog write (`catalog_undo_written`,
`catalog_partly_written`, `catalog_written`: the catalog file may be left torn, and must
read as it was before that commit); and from SIGKILL after a random delay.

How to run:
- the default suite (and `.ci/run`, through `scripts/test.sh`) runs the short form: every
  hook point once, 3 random kills and one cycle with OCR;
- the long form (every hook point at several counts, 25 random kills, kills in a row):
  `ARCHIVE_INGEST_SLOW=1 scripts/test.sh`, or `.venv/bin/pytest -m slow tests/test_crash.py`.
  Set `ARCHIVE_INGEST_CRASH_SEED` to replay a random sequence (the seed is in the output).
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive_ingest import catalog as catalog_module
from conftest import ArchiveHome, new_home
from scanmaker import make_scan, truncate

SCRIPT = Path(sys.executable).with_name("archive-ingest")
STAGES_NO_OCR = ["fixity", "identify", "similar", "exif", "extract", "provenance", "flags", "access", "file"]
STAGES_OCR = ["fixity", "identify", "exif", "ocr", "extract", "provenance", "flags", "file"]
#: Inside a commit written in place (the pipeline's commits once the search index is built,
#: from a run's second commit on): reached once or twice a cycle.
CATALOG_POINTS = ["catalog_undo_written", "catalog_partly_written", "catalog_written"]
HOOK_POINTS = [f"after_{stage}" for stage in STAGES_NO_OCR] + ["after_commit", "between_removals", *CATALOG_POINTS]
SLOW = os.environ.get("ARCHIVE_INGEST_SLOW") == "1"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the batch and the checks ---------------------------------------------------------------------


@dataclass
class Dropped:
    home: ArchiveHome
    images: dict[str, bytes]
    """Image name -> bytes as dropped."""
    captions: dict[str, bytes]


def make_home(root: Path, stages: list[str], batch_size: int = 2, images: int = 6) -> Dropped:
    """A home whose inbox holds `images` small scans, a caption, a truncated scan and a duplicate."""
    # OCR, when on, reads each scan once (no rotation sweep, no extra modes): the kill is the point.
    ocr = "ocr:\n  sweep: false\n  extra_psms: []\n" if "ocr" in stages else ""
    home = new_home(root, f"stages: [{', '.join(stages)}]\ncatalog:\n  batch_size: {batch_size}\n{ocr}")
    names = ["ПЕТРОВ", "ИВАНОВ", "СИДОРОВ", "КИМ", "ПАК", "ЛИ", "ХАН", "НАМ"]
    for index in range(images - 2):
        make_scan(home.inbox / f"scan{index}.jpg", [names[index % len(names)], f"19{20 + index}-1945"], font_px=24)
    (home.inbox / "scan0.txt").write_text("Могила Петрова, Чхонджин", encoding="utf-8")
    truncate(make_scan(home.inbox / "broken.jpg", ["ОБРЕЗАН"], font_px=24))
    shutil.copyfile(home.inbox / "scan1.jpg", home.inbox / "scan1 (1).jpg")
    dropped = {p.name: p.read_bytes() for p in home.inbox.iterdir()}
    return Dropped(
        home,
        {n: b for n, b in dropped.items() if n.endswith(".jpg")},
        {n: b for n, b in dropped.items() if n.endswith(".txt")},
    )


def check_archive(dropped: Dropped, *, complete: bool) -> list[dict[str, Any]]:
    """Assert what must hold after any kill (`complete=False`) or after a full run."""
    home = dropped.home
    records: list[dict[str, Any]] = []
    if home.catalog.exists():
        # As every reader reads it: a commit killed mid-write (its undo journal left) reads as before it.
        records = catalog_module.reader(home.catalog).documents()
        if complete:  # the next writer rolled any such commit back first: the file itself is whole
            assert not catalog_module.undo_path(home.catalog).exists()
            assert list(json.loads(home.catalog.read_text(encoding="utf-8"))["records"].values()) == records
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "a record is duplicated"
    shas = [r["file"]["sha256"] for r in records]
    assert len(shas) == len(set(shas)), "the same bytes have two records"
    referenced = set()
    for record in records:
        path = home.archive / record["file"]["path"]
        assert path.is_file(), f"record {record['id']} points at missing {path}"
        assert sha256(path.read_bytes()) == record["file"]["sha256"]
        assert record["file"]["path"].startswith("quarantine/" if record["kind"] == "quarantined" else "originals/")
        referenced.add(record["file"]["path"])
        derivatives = record.get("derivatives") or {}
        for extra in (
            record["ocr"].get("words_path"),
            record["source"].get("caption_path"),
            derivatives.get("access_path"),
            derivatives.get("thumbnail_path"),
        ):
            if extra:
                assert (home.archive / extra).is_file(), f"record {record['id']} points at missing {extra}"
                referenced.add(extra)
    by_sha = set(shas)
    inbox = {p.name: p.read_bytes() for p in home.inbox.iterdir() if p.is_file()}
    for name, data in dropped.images.items():
        in_inbox = name in inbox
        if in_inbox:
            assert inbox[name] == data, f"{name} was altered in the inbox"
        archived = sha256(data) in by_sha
        assert in_inbox or archived, f"{name} is lost: neither in the inbox nor archived"
        if complete:
            assert archived and not in_inbox, f"{name}: archived {archived}, in the inbox {in_inbox}"
    caption_shas = {r["source"].get("caption_sha256") for r in records}
    for name, data in dropped.captions.items():
        in_inbox = name in inbox and inbox[name] == data
        filed = sha256(data) in caption_shas and any((home.archive / "captions").rglob(f"{sha256(data)}.txt"))
        assert in_inbox or filed, f"caption {name} is lost"
        if complete:
            assert filed and not in_inbox, f"caption {name}: filed {filed}, in the inbox {in_inbox}"
    if complete:
        assert set(inbox) == set(), f"left in the inbox: {sorted(inbox)}"
        for folder in ("originals", "quarantine", "derivatives"):
            for path in (home.archive / folder).rglob("*"):
                if path.is_file():
                    relative = path.relative_to(home.archive).as_posix()
                    assert relative in referenced, f"{relative} has no record"
        leftovers = [p for p in home.archive.rglob("*.tmp") if p.is_file()]
        assert leftovers == []
        assert len(records) == len({sha256(d) for d in dropped.images.values()})
    return records


# -- running the real command ---------------------------------------------------------------------


def start_run(home: ArchiveHome, crash_at: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVE_INGEST_CRASH_AT"}
    if crash_at:
        env["ARCHIVE_INGEST_CRASH_AT"] = crash_at
    return subprocess.Popen(
        [str(SCRIPT), "run", "--config", str(home.config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr


def run_to_completion(dropped: Dropped) -> str:
    code, stderr = finish(start_run(dropped.home))
    assert code == 0, stderr
    check_archive(dropped, complete=True)
    return stderr


def crash_cycle(
    root: Path, crash_at: str | None, delay: float | None = None, stages: list[str] = STAGES_NO_OCR, images: int = 6
) -> str:
    """Kill a run (at a hook point, or after `delay` seconds), check, finish, check."""
    dropped = make_home(root, stages, images=images)
    process = start_run(dropped.home, crash_at)
    if delay is not None:
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    code, stderr = finish(process)
    if crash_at is not None:
        assert code == -signal.SIGKILL, f"{crash_at} was never reached (exit {code}): {stderr}"
    check_archive(dropped, complete=False)
    run_to_completion(dropped)
    return f"{crash_at or f'{delay:.2f} s'}: exit {code}"


def run_cycles(tmp_path: Path, cycles: list[tuple[str | None, float | None]]) -> list[str]:
    """Run crash cycles two at a time (this machine has two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(crash_cycle, tmp_path / f"cycle{index}", crash_at, delay)
            for index, (crash_at, delay) in enumerate(cycles)
        ]
        return [future.result() for future in futures]


def seeded() -> random.Random:
    seed = int(os.environ.get("ARCHIVE_INGEST_CRASH_SEED", time.time_ns() % 1_000_000))
    print(f"ARCHIVE_INGEST_CRASH_SEED={seed}")
    return random.Random(seed)


@pytest.fixture
def long_form(request: pytest.FixtureRequest) -> None:
    """Run the long crash loops only when asked: ARCHIVE_INGEST_SLOW=1, or `-m slow`."""
    if not (SLOW or "slow" in str(request.config.getoption("markexpr") or "")):
        pytest.skip("the long crash loop: set ARCHIVE_INGEST_SLOW=1 (or run pytest -m slow)")


@pytest.fixture(scope="module")
def full_run_seconds(tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long one uninterrupted run of the batch takes here: random kills fall inside it."""
    dropped = make_home(tmp_path_factory.mktemp("timing") / "home", STAGES_NO_OCR)
    started = time.monotonic()
    run_to_completion(dropped)
    return time.monotonic() - started


# -- crash at any point ---------------------------------------------------------------------------


def kill_chain(root: Path, kills: list[str | float], stages: list[str] = STAGES_NO_OCR) -> list[str]:
    """Kill runs one after another on the same archive (each cleaning up after the last), then finish.

    A kill is a hook point (`"after_file:1"`) or a delay in seconds.
    """
    dropped = make_home(root, stages)
    outcomes = []
    for kill in kills:
        process = start_run(dropped.home, kill if isinstance(kill, str) else None)
        if isinstance(kill, float):
            try:
                process.wait(timeout=kill)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        code, stderr = finish(process)
        if isinstance(kill, str):
            assert code == -signal.SIGKILL, f"{kill} was never reached (exit {code}): {stderr}"
        check_archive(dropped, complete=False)
        outcomes.append(f"{kill}: exit {code}")
    run_to_completion(dropped)
    return outcomes


def test_killed_at_every_hook_point_and_at_random_moments(tmp_path: Path, full_run_seconds: float) -> None:
    """The short form: every hook point once and 3 random kills, in two chains of kills run side by side."""
    rng = seeded()
    half = len(HOOK_POINTS) // 2
    chains: list[list[str | float]] = [
        [*(f"{point}:1" for point in HOOK_POINTS[:half]), rng.uniform(0.1, full_run_seconds)],
        [*(f"{point}:1" for point in HOOK_POINTS[half:]), *(rng.uniform(0.1, full_run_seconds) for _ in range(2))],
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(kill_chain, tmp_path / f"chain{i}", chain) for i, chain in enumerate(chains)]
        outcomes = [line for future in futures for line in future.result()]
    assert len(outcomes) == len(HOOK_POINTS) + 3


def test_killed_during_ocr(tmp_path: Path) -> None:
    # crash_cycle checks the archive after the kill and after the run that completes it.
    assert crash_cycle(tmp_path / "ocr", "after_ocr:2", stages=STAGES_OCR, images=4) == (
        f"after_ocr:2: exit {-signal.SIGKILL}"
    )


@pytest.mark.slow
def test_long_crash_loop(tmp_path: Path, full_run_seconds: float, long_form: None) -> None:
    rng = seeded()
    cycles: list[tuple[str | None, float | None]] = [
        (f"{point}:{n}", None)
        for point in HOOK_POINTS
        for n in (1, 4)
        if not (n == 4 and point in ("after_commit", *CATALOG_POINTS))
    ]
    cycles += [(None, rng.uniform(0.0, full_run_seconds * 1.1)) for _ in range(25)]
    outcomes = run_cycles(tmp_path, cycles)
    print("\n".join(outcomes))
    assert len(outcomes) == len(cycles)  # each cycle checked its archive twice (see crash_cycle)


@pytest.mark.slow
def test_killed_again_and_again_before_completing(tmp_path: Path, full_run_seconds: float, long_form: None) -> None:
    """Five kills in a row on the same archive, each run cleaning up after the last, then one to finish."""
    rng = seeded()
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, batch_size=1, images=8)
    for point in ("after_file:2", "after_commit:1", "between_removals:1", "after_similar:1"):
        code, stderr = finish(start_run(dropped.home, point))
        assert code == -signal.SIGKILL, stderr
        check_archive(dropped, complete=False)
    for _ in range(5):
        process = start_run(dropped.home)
        try:
            process.wait(timeout=rng.uniform(0.2, full_run_seconds))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        finish(process)
        check_archive(dropped, complete=False)
    run_to_completion(dropped)


# -- interrupt ----------------------------------------------------------------------------------------


def wait_stopped(process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Wait until the process has stopped itself (SIGSTOP from the hook)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{process.pid}/stat", encoding="ascii") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        assert process.poll() is None, finish(process)[1]
        time.sleep(0.02)
    raise AssertionError("the run never reached its hook point")


#: tgkill(2) by machine: a signal to one thread of another process.
TGKILL = {"x86_64": 234, "aarch64": 131}


def interrupt_main_thread(pid: int) -> None:
    """SIGINT to the run's main thread, as a terminal's Ctrl-C reaches a running process.

    Sent to the whole stopped process instead, it goes to whichever thread wakes first on
    SIGCONT (the worker pool's threads, numpy's), and CPython may not act on it in time.
    """
    number = TGKILL.get(os.uname().machine)
    if number is None or ctypes.CDLL(None, use_errno=True).syscall(number, pid, pid, signal.SIGINT) != 0:
        os.kill(pid, signal.SIGINT)


@contextmanager
def paused_run(home: ArchiveHome, point: str) -> Iterator[subprocess.Popen[str]]:
    process = start_run(home, f"{point}:STOP")
    try:
        wait_stopped(process)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)


def test_sigint_rolls_back_the_file_in_hand_commits_the_rest_and_exits_130(tmp_path: Path) -> None:
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, batch_size=25)
    home = dropped.home
    # Files go in name order: broken.jpg (quarantined), scan0.jpg, scan1.jpg, ...
    with paused_run(home, "after_file:3") as process:  # scan1.jpg is filed, nothing committed yet
        filed = {p.name.split(".")[0] for p in home.archive.rglob("*.jpg")}
        assert len(filed) == 3 and not home.catalog.exists()
        interrupt_main_thread(process.pid)  # Ctrl-C arrives while it works on scan1.jpg
    code, stderr = finish(process)

    assert code == 130, stderr
    assert "interrupted: ingested 1, duplicates 0, quarantined 1, failed 0" in stderr.splitlines()
    records = check_archive(dropped, complete=False)
    assert sorted(r["source"]["filename"] for r in records) == ["broken.jpg", "scan0.jpg"]
    # The file in hand was rolled back: its copy is gone and it waits in the inbox.
    in_hand = sha256(dropped.images["scan1.jpg"])[:16]
    assert in_hand in filed
    assert {p.name.split(".")[0] for p in home.archive.rglob("*.jpg")} == filed - {in_hand}
    assert sorted(p.name for p in home.inbox.iterdir()) == ["scan1 (1).jpg", "scan1.jpg", "scan2.jpg", "scan3.jpg"]
    run_to_completion(dropped)


# -- concurrency ----------------------------------------------------------------------------------


def test_second_run_exits_3_naming_the_holder_and_readers_see_the_last_commit(tmp_path: Path) -> None:
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, batch_size=1)
    home = dropped.home
    with paused_run(home, "after_commit:2") as first:
        holder = json.loads((home.archive / "catalog.json.lock.holder").read_text(encoding="utf-8"))
        assert holder["pid"] == first.pid

        code, stderr = finish(start_run(home))
        assert code == 3
        assert stderr.strip().endswith(
            f"the catalog is locked by pid {first.pid} (archive-ingest run, started {holder['started']})"
        )

        # Readers take no lock and see the two records committed so far.
        exported = subprocess.run(
            [str(SCRIPT), "export", "--config", str(home.config)], capture_output=True, text=True, check=True
        )
        records = json.loads(exported.stdout)
        assert sorted(r["source"]["filename"] for r in records) == ["broken.jpg", "scan0.jpg"]
        scan0 = next(r for r in records if r["source"]["filename"] == "scan0.jpg")
        shown = subprocess.run(
            [str(SCRIPT), "show", scan0["id"], "--json", "--config", str(home.config)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(shown.stdout)["caption"] == "Могила Петрова, Чхонджин"
        found = subprocess.run(
            [str(SCRIPT), "search", "Петрова", "--json", "--config", str(home.config)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert [r["id"] for r in json.loads(found.stdout)] == [scan0["id"]]
    code, stderr = finish(first)
    assert code == 0, stderr
    check_archive(dropped, complete=True)


def test_stale_lock_of_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, batch_size=1)
    home = dropped.home
    code, _ = finish(start_run(home, "after_commit:1"))
    assert code == -signal.SIGKILL
    assert (home.archive / "catalog.json.lock.holder").exists()  # the dead run's note is still there
    stderr = run_to_completion(dropped)
    assert "locked" not in stderr


# -- what the next run finds (in-process, planted by hand) -----------------------------------------


def test_next_run_removes_temp_files_and_adopts_or_reports_orphans(tmp_path: Path) -> None:
    from archive_ingest.ingest import pipeline

    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, images=4)
    home = dropped.home
    data = dropped.images["scan0.jpg"]
    record_id = sha256(data)[:16]
    # A copy filed by a run killed before its commit, while scan0.jpg is still in the inbox:
    adopted = home.archive / "originals" / record_id[:2] / f"{record_id}.jpg"
    adopted.parent.mkdir(parents=True)
    adopted.write_bytes(data)
    # A copy whose bytes are nowhere else (someone emptied the inbox by hand): kept, reported.
    lonely = home.archive / "originals" / "ff" / "ffffffffffffffff.jpg"
    lonely.parent.mkdir(parents=True)
    lonely.write_bytes(b"the only copy")
    # Temp files of writes cut short, a search index's among them (nobody holds its lock);
    # the index temp file a search is writing now (its flock held) stays.
    temps = [
        adopted.parent / ".filing.k2j4h5g6.tmp",
        home.archive / "captions" / "ab" / ".filing.a1b2c3d4.tmp",
        home.archive / "records" / "ab" / f".{record_id}.json.a1b2c3d4.tmp",
        home.archive / ".catalog.json.a1b2c3d4.tmp",
        home.archive / ".catalog.json.search.sqlite.e5f6g7h8.tmp",
    ]
    index_temp = home.archive / ".catalog.json.search.sqlite.a1b2c3d4.tmp"
    for temp in [*temps, index_temp]:
        temp.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(b"half a file")
    being_written = os.open(index_temp, os.O_RDONLY)
    fcntl.flock(being_written, fcntl.LOCK_EX)

    try:
        summary = pipeline.run(home.settings())
    finally:
        os.close(being_written)

    assert [t for t in temps if t.exists()] == [] and index_temp.exists()
    record = next(r for r in home.catalog_records() if r["id"] == record_id)
    assert any(
        e["detail"].endswith("already present from an interrupted run; adopted; sha256 of the archived copy matches")
        for e in record["events"]
    )
    assert lonely.read_bytes() == b"the only copy"
    assert summary.problems == [
        "originals/ff/ffffffffffffffff.jpg: filed by an interrupted run, but no record and no inbox copy; left in place"
    ]


def test_a_worker_killed_stops_the_run_and_nothing_is_lost(tmp_path: Path) -> None:
    """An out-of-memory kill of one worker process: the run commits what is done and stops with exit 1."""
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, batch_size=1, images=8)
    process = start_run(dropped.home, "in_worker:2")  # a worker dies as it starts its second file
    code, stderr = finish(process)

    assert code == 1, stderr
    assert "a worker process died" in stderr and "the run stops here" in stderr
    check_archive(dropped, complete=False)
    assert dropped.home.inbox_files(), "the files not yet read wait in the inbox"
    run_to_completion(dropped)


@pytest.mark.parametrize("point", ["after_commit:1", "after_manifests:1"])
def test_killed_while_manifest_rows_are_taken_out(tmp_path: Path, point: str) -> None:
    """Killed after a commit, before or after the manifest lost that commit's rows: the
    next run finds the image it knows, takes its row out, and no row is lost or used twice."""
    home = new_home(
        tmp_path / "home", "stages: [fixity, identify, exif, provenance, flags, file]\ncatalog:\n  batch_size: 1\n"
    )
    for name in ("a.jpg", "b.jpg"):
        make_scan(home.inbox / name, [name[0].upper()], font_px=20, margin=10)
    (home.inbox / "captions.csv").write_text(
        "file,caption\na.jpg,Камень А\nb.jpg,Камень Б\nlater.jpg,Камень позже\n", encoding="utf-8"
    )
    code, stderr = finish(start_run(home, point))
    assert code == -signal.SIGKILL, stderr
    code, stderr = finish(start_run(home))
    assert code == 0, stderr
    assert home.inbox_files() == ["captions.csv"]
    assert (home.inbox / "captions.csv").read_text(encoding="utf-8") == "file,caption\nlater.jpg,Камень позже\n"
    records = home.catalog_records()
    assert {r["source"]["filename"]: r["caption"] for r in records} == {"a.jpg": "Камень А", "b.jpg": "Камень Б"}
    assert not [e for r in records for e in r["events"] if e["type"] == "duplicate drop"]
    assert [p.name for p in home.inbox.iterdir()] == ["captions.csv"]  # no temp file left either
