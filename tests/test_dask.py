"""`run --executor dask`: a real Dask cluster (scheduler and workers as processes on 127.0.0.1).

The records a cluster makes are compared with one process's in `test_workers.py`; here,
what goes wrong: a worker killed mid-task, a file that kills every worker that reads it,
a worker that refuses the run (a missing language, another version, several threads),
a scheduler that cannot be reached or is lost mid-run, Ctrl-C while the cluster reads,
the extra not installed; and what is never shipped (files already archived).

`distributed` is imported here unguarded: without the extra these tests fail, not skip
(`scripts/setup.sh --test` installs it).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import distributed  # noqa: F401  (the extra must be installed: fail here, never skip)
import msgspec
import pytest

from archive_ingest import catalog as catalog_module
from archive_ingest import config
from archive_ingest.ingest import pipeline
from conftest import ArchiveHome, new_home
from dask_cluster import LocalCluster
from scanmaker import make_scan
from test_crash import STAGES_NO_OCR, STAGES_OCR, Dropped, check_archive, interrupt_main_thread, make_home

SCRIPT = Path(sys.executable).with_name("archive-ingest")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A scheduler and two single-threaded workers; a test that adds a worker removes it."""
    started = LocalCluster(tmp_path_factory.mktemp("dask")).start(workers=2)
    yield started
    started.stop()


def on_cluster(dropped: Dropped, address: str, timeout: float = 10) -> None:
    """Point the home's pipeline.yaml at the cluster."""
    with dropped.home.config.open("a", encoding="utf-8") as out:
        out.write(f"executor:\n  kind: dask\n  scheduler: {address}\n  connect_timeout_seconds: {timeout:g}\n")


def nothing_moved(dropped: Dropped) -> None:
    """The inbox as dropped, and no record or filed file in the archive."""
    home = dropped.home
    inbox = {p.name: p.read_bytes() for p in home.inbox.iterdir() if p.is_file()}
    assert inbox == {**dropped.images, **dropped.captions}
    assert not home.catalog.exists() or catalog_module.reader(home.catalog).documents() == []
    assert [p for p in home.archive.rglob("*") if p.is_file() and not p.name.startswith("catalog.json")] == []


def finish_here(dropped: Dropped) -> None:
    """A run with local workers completes what a stopped run left."""
    result = dropped.home.invoke("run", "--executor", "local")
    assert result.exit_code == 0, result.output
    check_archive(dropped, complete=True)


# -- a worker dies ---------------------------------------------------------------------------------


def test_a_worker_killed_mid_task_has_its_files_read_by_another(cluster: LocalCluster, tmp_path: Path) -> None:
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, images=8)
    # A third worker that SIGKILLs itself as it starts its first file (an out-of-memory kill).
    killer = cluster.add_worker(env={"ARCHIVE_INGEST_CRASH_AT": "in_worker:1"})
    cluster.wait_for_workers(3)

    result = dropped.home.invoke("run", "--executor", "dask", "--scheduler", cluster.address)

    assert killer.wait(timeout=30) == -signal.SIGKILL  # it did take a file, and died with it
    assert result.exit_code == 0, result.output
    records = check_archive(dropped, complete=True)  # every file once: none lost, none twice
    assert len(records) == 7  # 8 images, two of them the same bytes
    assert "ingested 6, duplicates 1, quarantined 1, failed 0" in result.output
    cluster.wait_for_workers(2)


def test_a_file_that_kills_every_worker_reading_it_is_left_in_the_inbox(tmp_path: Path) -> None:
    # A scheduler that gives up on a task after one dead worker (the default is 3).
    small = LocalCluster(tmp_path / "cluster")
    small.scheduler_env = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    try:
        small.start(workers=1)
        small.add_worker(env={"ARCHIVE_INGEST_CRASH_AT": "in_worker:1"})  # idle at the start: it gets a file
        small.wait_for_workers(2)
        dropped = make_home(tmp_path / "home", STAGES_NO_OCR)
        on_cluster(dropped, small.address)

        result = dropped.home.invoke("run")
    finally:
        small.stop()

    assert result.exit_code == 0, result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    # The file the killer was reading, and perhaps the one it had been given next.
    assert 1 <= len(failed) <= 2, result.stderr
    for line in failed:
        assert re.fullmatch(
            r"error: .+\.jpg: each of the 1 Dask workers that read it died doing it \(the last tcp://127\.0\.0\.1:"
            r"\d+; the scheduler's allowed-failures is 0\); left in the inbox",
            line,
        ), line
    check_archive(dropped, complete=False)
    assert sorted(name for name in dropped.home.inbox_files() if name.endswith(".jpg")) == sorted(
        line.removeprefix("error: ").split(": each of")[0] for line in failed
    )
    finish_here(dropped)


# -- a worker refuses ------------------------------------------------------------------------------


def site_customised(folder: Path, code: str) -> Path:
    """A folder whose `sitecustomize.py` (run at start-up by a Python given it on PYTHONPATH) is `code`."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(code, encoding="utf-8")
    return folder


OLDER_VERSION = "import archive_ingest\narchive_ingest.__version__ = '0.0.1'\n"
NOT_INSTALLED = """import sys
class Hidden:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "archive_ingest":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hidden())
"""
REFUSES = r"archive-ingest: error: Dask worker tcp://127\.0\.0\.1:\d+ refuses this run: "


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "languages",
            REFUSES
            + re.escape(
                "pipeline.yaml: ocr.languages: tesseract has no data for rus, kor (installed: eng, osd); "
                "install tesseract-ocr-rus tesseract-ocr-kor"
            ),
        ),
        (
            "version",
            REFUSES
            + re.escape(
                "it has archive-ingest 0.0.1 and this run is 0.1.0; pip install 'archive-ingest[dask]==0.1.0' there"
            ),
        ),
        (
            "threads",
            REFUSES
            + re.escape(
                "it runs 2 threads and reads one file per process (the OCR engines are not thread-safe); "
                "start it with --nthreads 1 (and --nworkers N for N processes)"
            ),
        ),
        (
            "not installed",
            r"archive-ingest: error: executor\.scheduler: a Dask worker of tcp://127\.0\.0\.1:\d+ cannot load "
            + re.escape("""archive-ingest (ModuleNotFoundError("No module named 'archive_ingest'")); """)
            + re.escape("pip install 'archive-ingest[dask]==0.1.0' on every worker"),
        ),
    ],
)
def test_a_worker_that_cannot_read_for_the_run_refuses_it_before_anything_moves(
    cluster: LocalCluster, tmp_path: Path, case: str, expected: str
) -> None:
    if case == "languages":
        tessdata = tmp_path / "tessdata"  # English only
        tessdata.mkdir()
        for name in ("eng.traineddata", "osd.traineddata"):
            (tessdata / name).symlink_to(Path("/usr/share/tesseract-ocr/5/tessdata") / name)
        bad = cluster.add_worker(env={"TESSDATA_PREFIX": str(tessdata)})
    elif case == "threads":
        bad = cluster.add_worker("--nthreads", "2")
    else:
        code = OLDER_VERSION if case == "version" else NOT_INSTALLED
        bad = cluster.add_worker(env={"PYTHONPATH": str(site_customised(tmp_path / "site", code))})
    try:
        cluster.wait_for_workers(3)
        stages = ["fixity", "identify", "ocr", "file"]
        dropped = make_home(tmp_path / "home", stages, images=4)
        on_cluster(dropped, cluster.address)

        result = dropped.home.invoke("run")
    finally:
        bad.send_signal(signal.SIGKILL)
        bad.wait(timeout=30)
        cluster.wait_for_workers(2)

    assert result.exit_code == 2, result.output
    assert re.fullmatch(expected, result.stderr.strip()), result.stderr
    nothing_moved(dropped)


# -- the scheduler ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_scheduler_that_cannot_be_reached_is_exit_2_before_anything_moves(tmp_path: Path) -> None:
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, images=4)
    address = f"tcp://127.0.0.1:{free_port()}"
    on_cluster(dropped, address, timeout=1)

    started = time.monotonic()
    result = dropped.home.invoke("run")

    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"archive-ingest: error: executor.scheduler: cannot reach the Dask scheduler at {address}: "
        f"Timed out trying to connect to {address} after 1 s\n"
    )
    assert time.monotonic() - started < 10
    nothing_moved(dropped)


@pytest.fixture
def one_worker(tmp_path: Path) -> Iterator[LocalCluster]:
    """A cluster of its own (its scheduler is killed): one single-threaded worker."""
    small = LocalCluster(tmp_path / "cluster").start(workers=1)
    yield small
    small.stop()


@pytest.mark.parametrize("fault", ["scheduler lost", "ctrl-c"])
def test_a_run_stopped_while_the_cluster_reads_commits_what_is_done(
    one_worker: LocalCluster, tmp_path: Path, fault: str
) -> None:
    # With OCR each scan takes the worker about a second: the run is stopped after its
    # first commit (broken.jpg, quarantined), with the scans still being read.
    dropped = make_home(tmp_path / "home", STAGES_OCR, batch_size=1)
    on_cluster(dropped, one_worker.address)
    run = subprocess.Popen(
        [str(SCRIPT), "run", "--config", str(dropped.home.config)], stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not committed(dropped.home) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert run.poll() is None, "the run ended before it could be stopped"
        if fault == "scheduler lost":
            assert one_worker.scheduler is not None
            one_worker.scheduler.send_signal(signal.SIGKILL)
        else:
            interrupt_main_thread(run.pid)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()

    if fault == "scheduler lost":
        assert run.returncode == 1, stderr
        lost = (
            rf"error: \S+: the Dask scheduler at {re.escape(one_worker.address)} was lost \(scheduler-connection-lost\)"
        )
        assert re.search(lost + "; the run stops here", stderr), stderr
    else:
        assert run.returncode == 130, stderr
        assert "interrupted: ingested" in stderr
    assert 1 <= len(committed(dropped.home)) < len(dropped.images) - 1
    check_archive(dropped, complete=False)
    assert dropped.home.inbox_files(), "the files not yet read wait in the inbox"
    finish_here(dropped)


def committed(home: ArchiveHome) -> list[object]:
    return catalog_module.reader(home.catalog).documents() if home.catalog.exists() else []


# -- what is shipped, and what is not --------------------------------------------------------------


def test_files_already_archived_are_hashed_here_and_never_shipped(cluster: LocalCluster, tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", f"stages: [{', '.join(STAGES_NO_OCR)}]\n")
    scans = [make_scan(home.inbox / f"scan{i}.jpg", [f"СКАН {i}"], font_px=24) for i in range(2)]
    kept = {scan.name: scan.read_bytes() for scan in scans}
    settings = home.settings()
    settings = msgspec.structs.replace(
        settings, executor=config.ExecutorSettings(kind="dask", scheduler=cluster.address)
    )
    first = pipeline.run(settings)
    assert (first.executor, first.workers, len(first.ingested)) == ("dask", 2, 2)
    assert first.shipped_bytes == {
        "files": 2,
        "to_workers": sum(map(len, kept.values())),
        "from_workers": first.shipped_bytes["from_workers"],
    }

    for name, data in kept.items():  # dropped again, with one new scan
        (home.inbox / name).write_bytes(data)
    new = make_scan(home.inbox / "scan9.jpg", ["СКАН 9"], font_px=24).stat().st_size
    again = pipeline.run(settings)

    assert sorted(again.already_archived) == ["scan0.jpg", "scan1.jpg"] and len(again.ingested) == 1
    assert (again.shipped_bytes["files"], again.shipped_bytes["to_workers"]) == (1, new)
    assert home.inbox_files() == []


# -- the options and the extra ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler goes with --executor dask"),
        (["--executor", "dask"], "--executor dask needs --scheduler ADDR (or executor.scheduler in pipeline.yaml)"),
        (
            ["--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"],
            "--workers is for the local executor; a Dask cluster reads with its own workers",
        ),
    ],
)
def test_executor_options_that_do_not_go_together(archive_home: ArchiveHome, options: list[str], message: str) -> None:
    result = archive_home.invoke("run", *options)
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith(f"Error: {message}")


def test_without_the_extra_the_dask_executor_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "archive_ingest.ingest.dask_executor", raising=False)
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, images=4)

    result = dropped.home.invoke("run", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786")

    assert result.exit_code == 2
    assert re.fullmatch(
        r"archive-ingest: error: executor.kind dask needs Dask's distributed \(.+\): "
        r"pip install 'archive-ingest\[dask\]'\n",
        result.stderr,
    ), result.stderr
    nothing_moved(dropped)
    # The local executor never imports it.
    assert dropped.home.invoke("run").exit_code == 0
    check_archive(dropped, complete=True)


def test_the_shipped_pipeline_yaml_documents_the_executor_at_its_defaults(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    shipped = config.load_settings(repo / "pipeline.yaml").executor
    assert shipped == config.ExecutorSettings() == config.load_settings(new_home(tmp_path).config).executor
    (tmp_path / "bad").mkdir()
    bad = new_home(tmp_path / "bad", "executor:\n  kind: dask\n")
    with pytest.raises(config.ConfigError) as error:
        config.load_settings(bad.config)
    assert str(error.value) == (
        f"{bad.config}: executor.scheduler: needed with kind dask: the scheduler's address, e.g. tcp://HOST:8786"
    )
