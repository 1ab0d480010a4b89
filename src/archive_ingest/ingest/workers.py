"""The per-file stages, run in this process or in worker processes (`run --workers N`).

A run splits its stages in two (`split_stages`, by `stages/registry.py`):
- per-file stages (fixity, identify, exif, ocr, extract, provenance, ...) read one file and
  fill its record, and nothing else: they write nothing to the archive and look at no other
  record, so they can run in any process, in any order across files;
- ordered stages (`similar`, `flags`, `file`) compare a record with the catalog and the
  records before it in the run, or write to the archive; the pipeline runs them in the
  main process, one file after the other in the order the files were found.

So `--workers 4` gives the same records as `--workers 1`: the per-file work is the same
wherever it runs, and everything that depends on order happens in the same order.

Worker processes are started with `spawn` (no inherited catalog lock, threads or loaded
OCR models; each worker loads its own engine once and keeps it for the run), ignore
Ctrl-C (the main process decides what an interrupt means) and exit when the main process
is gone. At most `2 x workers` files are in flight, so memory stays flat however many
files the inbox holds.

`run --executor dask` sends the same per-file stages to a Dask cluster instead
(`dask_executor`, imported only then): the same jobs, in the same order, from workers on
other machines. Either way a lost worker pool ends the run with `WorkersLost`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Container, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial

from ..files.crash_points import CRASH_ENV, CrashHook
from ..record import EventType, Outcome, Record
from .context import RunContext
from .drops import Drop
from .stages import discover
from .stages.discover import one_line
from .stages.registry import STAGES

log = logging.getLogger(__name__)


class WorkersLost(Exception):
    """The workers cannot go on (a worker process died, the Dask scheduler was lost): the
    run stops at this file, what is done is committed and the rest waits in the inbox."""


class FileKilledWorkers(Exception):
    """Every worker that read this file died doing it (Dask gave up on it): the file stays
    in the inbox, reported, and the run goes on."""


def split_stages(stages: Iterable[str]) -> tuple[list[str], list[str]]:
    """(per-file stages, ordered stages), each in the configured order."""
    stages = list(stages)
    return [s for s in stages if STAGES[s].per_file], [s for s in stages if not STAGES[s].per_file]


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Prepared:
    """A record after its per-file stages."""

    record: Record
    stages: list[str]
    """The stages that ran, in order."""
    known: bool = False
    """Stopped after fixity: these bytes are already in the catalog (or earlier in the run)."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent in each stage."""
    ocr_passes: list[tuple[str, float]] = field(default_factory=list)
    """(what tesseract read, seconds) of each OCR call."""


def prepare(drop: Drop, ctx: RunContext, known: Container[str]) -> Prepared:
    """Run the per-file stages on `drop`.

    Raises:
        OSError: the file cannot be read; and whatever a stage raises unexpectedly.
    """
    record = discover.new_record(drop, ctx)
    done: list[str] = []
    seconds: dict[str, float] = {}
    for name in split_stages(ctx.settings.stages)[0]:
        if record.quarantined and STAGES[name].reads_content:
            continue
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            record = STAGES[name].run(record, ctx)
        note_warnings(record, ctx, name, caught)
        seconds[name] = time.perf_counter() - started
        done.append(name)
        if name == "fixity" and record.id in known:
            # Already archived: the pipeline records the drop; reading it again is waste.
            record.file.content = None
            return Prepared(record, done, known=True, seconds=seconds)
    record.file.content = None  # decoded by every stage that needed it; never sent back
    return Prepared(record, done, seconds=seconds, ocr_passes=record.ocr.passes)


def note_warnings(record: Record, ctx: RunContext, stage: str, caught: list[warnings.WarningMessage]) -> None:
    """Pillow's warnings about this file's bytes become an event on its record.

    (e.g. "Tag data larger than file" for a forged EXIF length): data about the file,
    not noise on the terminal. Other warnings are passed on unchanged.
    """
    details: list[str] = []
    for warning in caught:
        if f"{os.sep}PIL{os.sep}" in warning.filename:
            text = one_line(f"{warning.category.__name__}: {warning.message}")
            if text not in details:
                details.append(text)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if details:
        detail = f"Pillow, reading the file in the {stage} stage: " + "; ".join(details[:5])
        record.add_event(EventType.VALIDATION, ctx.timestamp(), ctx.agent(), Outcome.WARNING, detail)


#: A drop and how to get its prepared record (which raises what the stages raised).
Job = tuple[Drop, Callable[[], Prepared]]
#: Says whether a drop is still being written (and reports it); such a drop is skipped.
StillWritten = Callable[[Drop, str], bool]


def prepare_in_order(
    drops: Iterable[Drop], ctx: RunContext, known: Container[str], still_written: StillWritten
) -> Generator[Job, None, None]:
    """One file after the other, in this process, each prepared only when asked for.

    `known` is read when each file is prepared, so it may grow as the run goes.
    """
    for drop in drops:
        if not still_written(drop, "before it was read"):
            yield drop, partial(prepare, drop, ctx, known)


def prepare_in_workers(
    drops: Iterable[Drop], ctx: RunContext, known: frozenset[str], still_written: StillWritten, workers: int
) -> Generator[Job, None, None]:
    """The same jobs as `prepare_in_order`, in order, prepared by `workers` processes ahead.

    `known` is the catalog's ids when the run started: a file whose bytes arrive twice in
    one run is read twice, and the pipeline still records the second as a duplicate.
    """
    worker_ctx = replace(ctx, similarity=None)  # the ordered stages' state stays here
    executor = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(worker_ctx, known, os.getpid()),
    )
    window: deque[tuple[Drop, Future[Prepared]]] = deque()
    pending = iter(drops)
    finished = False

    def fill() -> None:
        while len(window) < 2 * workers:
            drop = next(pending, None)
            if drop is None:
                return
            if still_written(drop, "before it was read"):
                continue
            try:
                future = executor.submit(_prepare_here, drop)
            except BrokenProcessPool as exc:
                # A worker died: the pipeline stops when it meets this file's result.
                future = Future()
                future.set_exception(exc)
            window.append((drop, future))

    try:
        with sigint_to_this_thread_only():
            fill()  # starts the executor's threads, which inherit the mask
        while window:
            drop, future = window.popleft()
            fill()  # keep the workers busy while this one is handled
            yield drop, partial(_result, future)
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:
            # Interrupted or stopped: files in flight are dropped (they stay in the inbox;
            # workers write nothing), and a worker deep in a long OCR call is not waited for.
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()


def _result(future: Future[Prepared]) -> Prepared:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise WorkersLost(f"a worker process died ({exc})") from exc


@contextmanager
def sigint_to_this_thread_only() -> Iterator[None]:
    """Block SIGINT while the executor starts its helper threads, so they never take a Ctrl-C.

    The kernel may hand a process-wide signal to any thread that does not block it (after
    a stop, the first to wake); CPython then only notes it, and the main thread may not
    look before the run is over. Threads started here inherit the blocked mask.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# -- inside a worker process ---------------------------------------------------------------------

_worker_ctx: RunContext | None = None
_worker_known: frozenset[str] = frozenset()
#: Test-only: `ARCHIVE_INGEST_CRASH_AT=in_worker:n` kills a worker at its n-th file.
_worker_hook = CrashHook(None)


def _start_worker(ctx: RunContext, known: frozenset[str], parent: int) -> None:
    global _worker_ctx, _worker_known, _worker_hook
    _worker_ctx, _worker_known = ctx, known
    _worker_hook = CrashHook(os.environ.get(CRASH_ENV))
    # Ctrl-C reaches the whole process group; only the main process decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose run was killed must not linger (reading files nobody will file)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _prepare_here(drop: Drop) -> Prepared:
    assert _worker_ctx is not None, "worker not started"
    _worker_hook.reached("in_worker")
    return prepare(drop, _worker_ctx, _worker_known)
