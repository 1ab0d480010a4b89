"""`archive-ingest run --watch`: ingest files as they land in the inbox, until stopped.

Owns: deciding when a dropped file may be taken, and turning a stream of drops into runs
of the pipeline. Everything else (reading, filing, committing, captions waiting for their
images, crash safety) is the pipeline's, unchanged: each batch is one `pipeline.run`.

When a file is taken: once its size and mtime have stayed the same for
`watch.settle_seconds`, as seen by this process (`Settling`); a scan in two halves with a
pause shorter than that is not taken half-written. A drop whose caption (a sidecar or its
manifest) is still changing waits with it, and no batch starts while a caption manifest
is changing. The pipeline's own check (size and mtime again before reading and after
filing) still catches a file that starts changing after it settled.

When a batch runs: when a settled file is in the inbox that no batch has been offered as
it is now. A file a batch leaves in the inbox (a caption waiting for its image, a file
that failed) starts no further batch until it changes or another file comes; then the
whole inbox is looked at again, as by `run`, so a waiting caption meets its image.

The catalog's writer lock is held per batch, not for the watch: `pipeline.run` takes it
and lets it go, so a reviewer's command or the review desk commits between batches (and
a batch that finds the lock taken waits and tries again). Crash safety is each batch's:
a watch killed at any moment is a run killed at that moment, and the next run (or watch)
completes it.

What wakes the loop: file events from `watchdog`'s native observer (inotify on Linux);
with `watch.poll`, or when the observer cannot start (no inotify, its limits reached),
`watchdog`'s `PollingObserver`, which looks at the inbox every moment (network shares send
no events). Either way the inbox is also looked at again when a changing file is due to
settle, and every `_RESCAN_SECONDS` in case an event was lost.

Stopping: Ctrl-C (SIGINT) and SIGTERM alike. Between batches the watch just ends; during
a batch, the pipeline's interrupt applies (the file in hand is rolled back and stays in
the inbox, what is done is committed; a commit is never cut in half).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..config import Settings, WatchSettings
from ..errors import CatalogLocked, ConfigError
from . import pipeline
from .drops import Drop

if TYPE_CHECKING:
    from types import FrameType

    from watchdog.events import FileSystemEvent
    from watchdog.observers.api import BaseObserver

#: (size in bytes, mtime in nanoseconds) of an inbox file.
Stat = tuple[int, int]

#: The inbox is looked at again this often even when no event came (a lost event).
_RESCAN_SECONDS = 30.0


class Settling:
    """Since when each inbox file has been as it is, and which files a batch has been offered."""

    def __init__(self, settle_seconds: float, manifest_name: str) -> None:
        self.settle_seconds = settle_seconds
        self.manifest_name = manifest_name
        self._since: dict[str, tuple[Stat, float]] = {}
        """Inbox path -> (its stat, when it was first seen so)."""
        self._offered: dict[str, Stat] = {}
        """Files a batch was offered and left in the inbox as they were."""

    def look(self, files: dict[str, Stat], now: float) -> None:
        """Note the inbox as it is `now`."""
        since: dict[str, tuple[Stat, float]] = {}
        for rel, stat in files.items():
            old = self._since.get(rel)
            since[rel] = old if old is not None and old[0] == stat else (stat, now)
        self._since = since
        self._offered = {rel: stat for rel, stat in self._offered.items() if files.get(rel) == stat}

    def settled(self, now: float) -> dict[str, Stat]:
        """The files unchanged for `settle_seconds`, with their stat."""
        return {rel: stat for rel, (stat, since) in self._since.items() if now - since >= self.settle_seconds}

    def due(self, now: float) -> bool:
        """Whether a batch should run: a settled file not offered yet, and no manifest changing."""
        settled = self.settled(now)
        if any(PurePosixPath(rel).name == self.manifest_name for rel in self._since.keys() - settled.keys()):
            return False
        return any(self._offered.get(rel) != stat for rel, stat in settled.items())

    def seconds_to_next(self, now: float) -> float | None:
        """How long until the next changing file would settle (None: none is changing)."""
        waits = [since + self.settle_seconds - now for _, since in self._since.values()]
        waits = [wait for wait in waits if wait > 0]
        return min(waits) if waits else None

    def offered(self, settled: dict[str, Stat], files_after: dict[str, Stat]) -> None:
        """A batch was offered `settled`: those still in the inbox as they were start no other batch."""
        self._offered.update({rel: stat for rel, stat in settled.items() if files_after.get(rel) == stat})


def inbox_files(inbox: Path) -> dict[str, Stat]:
    """Every file under `inbox` that discovery would look at, by relative POSIX path.

    Hidden files (`.DS_Store`, editors' and our own temp files) are left out, as discovery
    leaves them; symlinks are not followed. A file gone during the walk is left out.
    """
    files: dict[str, Stat] = {}
    for dirpath, dirnames, filenames in os.walk(inbox, followlinks=False):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            try:
                status = path.stat(follow_symlinks=False)
            except OSError:
                continue
            files[path.relative_to(inbox).as_posix()] = (status.st_size, status.st_mtime_ns)
    return files


def taker(settled: dict[str, Stat]) -> Callable[[Drop], bool]:
    """`pipeline.run`'s `take`: a drop whose image (as discovered) and captions have settled."""

    def take(drop: Drop) -> bool:
        if settled.get(drop.image) != (drop.size, drop.mtime_ns):
            return False
        caption = drop.caption
        files = [] if caption is None else [caption.file]
        if caption is not None and caption.manifest_row is not None:
            files.append(caption.manifest_row.file)
        return all(file in settled for file in files)

    return take


def watch(
    settings: Settings,
    *,
    workers: int,
    on_batch: Callable[[pipeline.RunSummary], None],
    on_note: Callable[[str], None],
) -> pipeline.RunSummary | None:
    """Ingest the inbox's files as they settle, one `pipeline.run` per batch, until stopped.

    Returns None when stopped between batches (Ctrl-C or SIGTERM), else the summary of the
    batch the watch ended in: interrupted by the stop, or stopped (a full disk).

    Raises:
        ConfigError: the inbox is not a folder.
        MissingDependency, CatalogError...: what `pipeline.run` raises, but CatalogLocked
            (the batch waits for the lock).
    """
    inbox = settings.paths.inbox
    if not inbox.is_dir():
        raise ConfigError(f"paths.inbox: {inbox} is not a folder (create it, or pass --inbox)")
    wake = threading.Event()
    settling = Settling(settings.watch.settle_seconds, settings.discover.manifest)
    with _stop_on_sigterm():
        try:
            observer = _start_observer(inbox, settings.watch, wake, on_note)
        except KeyboardInterrupt:
            return None
        locked = False
        try:
            while True:
                wake.clear()  # before looking: an event from now on wakes the next wait
                now = time.monotonic()
                settling.look(inbox_files(inbox), now)
                if not settling.due(now):
                    wake.wait(settling.seconds_to_next(now) or _RESCAN_SECONDS)
                    continue
                settled = settling.settled(now)
                try:
                    summary = pipeline.run(settings, workers=workers, take=taker(settled))
                except CatalogLocked as exc:
                    if not locked:
                        on_note(f"{exc}; waiting for it")
                    locked = True
                    wake.wait(max(1.0, settings.watch.settle_seconds))
                    continue
                except KeyboardInterrupt:
                    # Stopped while the batch was setting up: nothing was filed or removed.
                    return pipeline.RunSummary(interrupted=True)
                locked = False
                settling.offered(settled, inbox_files(inbox))
                on_batch(summary)
                if summary.interrupted or summary.stopped is not None:
                    return summary
        except KeyboardInterrupt:
            return None
        finally:
            observer.stop()
            observer.join()


def _start_observer(
    inbox: Path, settings: WatchSettings, wake: threading.Event, on_note: Callable[[str], None]
) -> BaseObserver:
    """A started observer that sets `wake` on every event under `inbox`: native, else polling."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    class Wake(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            wake.set()

    if not settings.poll:
        native = Observer()
        try:
            native.schedule(Wake(), str(inbox), recursive=True)
            native.start()
            return native
        except OSError as exc:
            on_note(f"no file events for {inbox} ({exc.strerror or exc}); looking at it every moment instead")
    interval = min(max(settings.settle_seconds / 2, 0.1), 5.0)
    polling = PollingObserver(timeout=interval)
    polling.schedule(Wake(), str(inbox), recursive=True)
    polling.start()
    return polling


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM does what Ctrl-C does at that moment: KeyboardInterrupt, or held during a commit.

    A watch started in the background by a shell has SIGINT ignored; Python's own handler is
    put back for the watch, since the pipeline holds a commit's interrupt only under it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def as_sigint(signum: int, frame: FrameType | None) -> None:
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)

    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, as_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if previous_int == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
