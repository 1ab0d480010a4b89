"""`archive-ingest run --watch`: real processes, files dropped while they run, stopped and killed.

Each test starts the real command on a temp archive (`watch.settle_seconds: 0.3`, no OCR)
and waits for what it expects with a deadline, never a fixed sleep: the catalog's records,
or a line on the command's stderr (written to a file, read as it grows).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archive_ingest import catalog as catalog_module
from archive_ingest.ingest.drops import Caption, Drop
from archive_ingest.ingest.watch import Settling, taker
from conftest import ArchiveHome, new_home
from scanmaker import make_scan
from test_crash import SCRIPT, STAGES_NO_OCR, Dropped, check_archive, make_home, run_to_completion, sha256

SETTLE = 0.3
DEADLINE = 20.0


def watch_yaml(poll: bool = False) -> str:
    return f"watch:\n  settle_seconds: {SETTLE}\n  poll: {'true' if poll else 'false'}\n"


class Watching:
    """`archive-ingest run --watch` running on `home`, its stderr going to a file."""

    def __init__(self, home: ArchiveHome, crash_at: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "ARCHIVE_INGEST_CRASH_AT"}
        if crash_at:
            env["ARCHIVE_INGEST_CRASH_AT"] = crash_at
        self.log = home.root / "watch.log"
        self._file = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [str(SCRIPT), "run", "--watch", "--workers", "1", "--config", str(home.config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._file,
        )

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_for(self, what: str, ok: Callable[[], bool]) -> None:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if ok():
                return
            assert self.process.poll() is None, f"the watch ended (exit {self.process.returncode}): {self.stderr()}"
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {DEADLINE} s: {self.stderr()}")

    def wait_for_line(self, text: str) -> None:
        self.wait_for(repr(text), lambda: text in self.stderr())

    def stop(self, signum: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=DEADLINE)
        finally:
            self._file.close()


def records(home: ArchiveHome) -> list[dict[str, Any]]:
    return catalog_module.reader(home.catalog).documents() if home.catalog.exists() else []


def write_in_two_halves(path: Path, data: bytes, pause: float) -> None:
    """As a slow copy does: half the bytes, a pause shorter than the settle time, the rest."""
    with path.open("wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
        time.sleep(pause)
        out.write(data[len(data) // 2 :])


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_files_are_taken_once_settled_and_a_stop_between_batches_exits_0(tmp_path: Path, poll: bool) -> None:
    home = new_home(tmp_path / "home", f"stages: [{', '.join(STAGES_NO_OCR)}]\n" + watch_yaml(poll))
    stage = tmp_path / "stage"
    stage.mkdir()
    scan_a = make_scan(stage / "a.jpg", ["ПЕТРОВ", "1920-1945"], font_px=24).read_bytes()
    scan_b = make_scan(stage / "b.jpg", ["КИМ", "1921-1950"], font_px=24).read_bytes()
    watching = Watching(home)
    try:
        watching.wait_for_line("watching ")
        # A caption before its image: it waits in the inbox, said once.
        (home.inbox / "b.txt").write_text("Могила Кима, Чхонджин", encoding="utf-8")
        watching.wait_for_line("b.txt: caption with no image; left in the inbox")
        assert records(home) == []
        # Its image comes slowly, in two halves: never taken half-written.
        write_in_two_halves(home.inbox / "b.jpg", scan_b, pause=SETTLE / 3)
        (home.inbox / "sub").mkdir()
        (home.inbox / "sub" / "a.jpg").write_bytes(scan_a)
        watching.wait_for("both records and an empty inbox", lambda: len(records(home)) == 2 and not home.inbox_files())
    finally:
        code = watching.stop(signal.SIGTERM if poll else signal.SIGINT)  # a service manager's stop, or Ctrl-C
    stderr = watching.stderr()
    assert code == 0, stderr  # stopped between batches: nothing was cut short
    by_name = {r["source"]["filename"]: r for r in records(home)}
    assert set(by_name) == {"b.jpg", "sub/a.jpg"}
    assert by_name["b.jpg"]["file"]["sha256"] == sha256(scan_b)
    assert by_name["b.jpg"]["caption"] == "Могила Кима, Чхонджин"
    assert by_name["sub/a.jpg"]["file"]["sha256"] == sha256(scan_a)
    assert stderr.count("b.txt: caption with no image") == 1
    assert "still being written" not in stderr
    batch_lines = [line for line in stderr.splitlines() if " batch " in line]
    assert batch_lines and all("failed 0" in line for line in batch_lines)
    assert sum(int(line.split("ingested ")[1].split(",")[0]) for line in batch_lines) == 2
    assert stderr.rstrip().endswith(f"stopped watching: {len(batch_lines)} batches, ingested 2")


def test_sigkill_mid_batch_then_a_run_completes_everything(tmp_path: Path) -> None:
    dropped = make_home(tmp_path / "home", STAGES_NO_OCR, batch_size=2)
    with dropped.home.config.open("a", encoding="utf-8") as config:
        config.write(watch_yaml())
    watching = Watching(dropped.home, crash_at="after_file:3")  # the hook SIGKILLs it at the third file filed
    code = watching.process.wait(timeout=DEADLINE)
    watching.stop()
    assert code == -signal.SIGKILL, watching.stderr()
    check_archive(dropped, complete=False)
    assert len(records(dropped.home)) == 2  # the first batch of two was committed
    run_to_completion(dropped)


@pytest.mark.parametrize("signame", ["INT", "TERM"])
def test_a_stop_during_a_batch_commits_what_is_done_and_exits_130(tmp_path: Path, signame: str) -> None:
    dropped: Dropped = make_home(tmp_path / "home", STAGES_NO_OCR, batch_size=25)
    with dropped.home.config.open("a", encoding="utf-8") as config:
        config.write(watch_yaml())
    # The signal comes from inside, at the third file filed (scan1.jpg, in hand, not committed).
    watching = Watching(dropped.home, crash_at=f"after_file:3:{signame}")
    code = watching.process.wait(timeout=DEADLINE)
    watching.stop()
    stderr = watching.stderr()
    assert code == 130, stderr
    assert "batch 1: interrupted: ingested 1, duplicates 0, quarantined 1, failed 0" in stderr
    found = check_archive(dropped, complete=False)
    assert sorted(r["source"]["filename"] for r in found) == ["broken.jpg", "scan0.jpg"]
    assert not list(dropped.home.archive.rglob("*.tmp"))
    run_to_completion(dropped)


# -- the settling rules, in this process ----------------------------------------------------------


def test_a_file_settles_after_its_stat_stays_the_same_and_starts_one_batch() -> None:
    settling = Settling(1.0, "captions.csv")
    settling.look({"a.jpg": (10, 1)}, now=0.0)
    assert not settling.due(0.5) and settling.seconds_to_next(0.5) == 0.5
    settling.look({"a.jpg": (20, 2)}, now=0.9)  # still growing: the clock starts again
    assert settling.settled(1.5) == {} and not settling.due(1.5)
    assert settling.settled(2.0) == {"a.jpg": (20, 2)} and settling.due(2.0)
    # Offered to a batch and left in the inbox as it was (a caption waiting): no new batch.
    settling.offered(settling.settled(2.0), {"a.jpg": (20, 2)})
    settling.look({"a.jpg": (20, 2)}, now=3.0)
    assert not settling.due(3.0) and settling.seconds_to_next(3.0) is None
    # Another file comes: a batch again, once it settles.
    settling.look({"a.jpg": (20, 2), "a.txt": (5, 3)}, now=3.0)
    assert not settling.due(3.5) and settling.due(4.0)


def test_no_batch_while_a_manifest_is_changing() -> None:
    settling = Settling(1.0, "captions.csv")
    settling.look({"a.jpg": (10, 1), "captions.csv": (5, 1)}, now=0.0)
    settling.look({"a.jpg": (10, 1), "captions.csv": (9, 2)}, now=1.5)
    assert not settling.due(1.5) and settling.due(2.5)


def test_a_drop_is_taken_only_when_it_and_its_captions_have_settled() -> None:
    caption = Caption(text="x", file="a.txt", encoding="utf-8", sha256="", kind="sidecar")
    drop = Drop("a.jpg", caption=caption, size=10, mtime_ns=1)
    assert taker({"a.jpg": (10, 1), "a.txt": (1, 1)})(drop)
    assert not taker({"a.jpg": (10, 1)})(drop)  # its caption is still changing
    assert not taker({"a.jpg": (11, 1), "a.txt": (1, 1)})(drop)  # changed since it settled
    assert taker({"b.jpg": (3, 3)})(Drop("b.jpg", size=3, mtime_ns=3))


def test_polling_is_used_when_file_events_cannot_be_had(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import watchdog.observers
    from watchdog.observers.polling import PollingObserver

    from archive_ingest.config import WatchSettings
    from archive_ingest.ingest import watch

    class NoEvents(PollingObserver):
        def start(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", NoEvents)
    notes: list[str] = []
    wake = threading.Event()
    observer = watch._start_observer(tmp_path, WatchSettings(settle_seconds=0.1), wake, notes.append)
    try:
        assert type(observer) is PollingObserver
        assert notes == [
            f"no file events for {tmp_path} (inotify watch limit reached); looking at it every moment instead"
        ]
        (tmp_path / "a.jpg").write_bytes(b"x")
        assert wake.wait(5.0)  # the polling observer saw it
    finally:
        observer.stop()
        observer.join()
