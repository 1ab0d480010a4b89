"""A real Dask cluster for the tests: `dask scheduler` and `dask worker` processes on 127.0.0.1.

Used by `test_dask.py` and `test_workers.py` (one cluster per module, as a fixture there).
Each worker is its own process with one thread and no nanny, so a killed worker stays
dead, and may be given its own environment (the crash hook, another tessdata folder).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from distributed import Client

DASK = Path(sys.executable).with_name("dask")
SETPRIV = shutil.which("setpriv")  # util-linux
CRASH_ENV = "ARCHIVE_INGEST_CRASH_AT"


@dataclass
class LocalCluster:
    """A scheduler and its workers, each a subprocess; `stop()` ends them all."""

    folder: Path
    address: str = ""
    scheduler: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    scheduler_env: dict[str, str] = field(default_factory=dict)
    """Added to the scheduler's environment (Dask reads `DASK_...` settings from it)."""

    def start(self, workers: int = 2) -> LocalCluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = self.folder / "scheduler.json"
        command = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
        self.scheduler = self._spawn(
            [*command, "--scheduler-file", str(scheduler_file)], "scheduler", self.scheduler_env
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() or not scheduler_file.read_text(encoding="utf-8").strip():
            assert self.scheduler.poll() is None, self.log("scheduler")
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.05)
        self.address = json.loads(scheduler_file.read_text(encoding="utf-8"))["address"]
        for _ in range(workers):
            self.add_worker()
        self.wait_for_workers(workers)
        return self

    def add_worker(self, *options: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start one more worker (one thread, no nanny) with `env` added to this environment."""
        name = f"worker{len(self.workers)}"
        command = [str(DASK), "worker", self.address, "--host", "127.0.0.1", "--no-dashboard", "--no-nanny"]
        command += ["--name", name, "--local-directory", str(self.folder / name)]
        worker = self._spawn([*command, *(options or ("--nthreads", "1"))], name, env or {})
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int, timeout: float = 60) -> None:
        """Until the scheduler counts exactly `count` workers."""
        with Client(self.address, set_as_default=False, timeout=30) as client:
            deadline = time.monotonic() + timeout
            while len(client.nthreads()) != count:
                assert time.monotonic() < deadline, f"{len(client.nthreads())} workers, not {count}"
                time.sleep(0.1)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def _spawn(self, command: list[str], name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        environment = {k: v for k, v in os.environ.items() if k != CRASH_ENV} | env
        if SETPRIV is not None:  # dies with the test process, even one killed before its teardown
            command = [SETPRIV, "--pdeathsig", "KILL", "--", *command]
        with (self.folder / f"{name}.log").open("wb") as log:
            # Its own session: a Ctrl-C meant for a run under test never reaches the cluster.
            return subprocess.Popen(
                command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
