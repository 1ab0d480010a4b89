"""The per-file stages on a Dask `distributed` cluster: `run --executor dask --scheduler ADDR`.

Imported only when a run asks for it (`pipeline._connect_cluster`): `distributed` is the
optional extra `archive-ingest[dask]`.

What runs where. This process finds the files, reads each one and sends its bytes (with
its `Drop`: name and caption) to the cluster; a worker writes them into a private
temporary folder under the same inbox path, runs `workers.prepare` on that folder as a
local worker process runs it on the inbox, removes the folder and sends the prepared
record back (the temporary folder, should a message name it, is renamed to the inbox).
The ordered stages, the catalog and the filing stay here, in discovery order, as with
local workers, so the records are the same. No disk is shared, and no task writes to the
archive: a task run twice (its worker died and Dask ran it again elsewhere) costs time,
never a duplicate.

Bounded in flight: at most 2 x the cluster's threads files are read and sent ahead of the
one the pipeline is filing (the window of local workers; recounted as workers come and
go), so memory here, on the scheduler and on the workers stays flat however many files
the inbox holds. A file whose bytes the catalog (or this run) already holds is only
hashed here, never sent: the pipeline records the drop. A file too big to be read into
memory (`fixity.IN_MEMORY_MAX_BYTES`) or one this process cannot read is prepared here, in
its turn.

Each worker checks itself once per run, when the run registers its `WorkerCheck` (a Dask
worker plugin; a worker joining later runs it too): the same archive-ingest version as
this process, one thread (the OCR engines are loaded once per process and are not
thread-safe), tesseract with every configured language (the stages' own set-up,
`ocr.open_stage`) and the same OCR engine versions as here (every record names them).
The OCR models are loaded then and stay loaded for the worker's life. A worker that fails
a check refuses: at registration the run stops before anything moves (exit 2); a worker
that joins later and refuses fails its first task, which stops the run as a lost worker.

Faults. A worker killed mid-task: Dask runs its tasks again on other workers, up to the
scheduler's `distributed.scheduler.allowed-failures` (3 by default); a file that killed
more is reported and left in the inbox (`FileKilledWorkers`), the run goes on. The
scheduler lost, or no worker left for `NO_WORKERS_SECONDS`: `WorkersLost`, the pipeline
commits what is done and stops (exit 1), the rest waits in the inbox. Ctrl-C: this
process stops as with local workers; the tasks in flight are cancelled (a task already
running finishes on its worker, unused).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Container, Generator, Iterable
from dataclasses import FrozenInstanceError, dataclass, field, fields, is_dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import cloudpickle
import dask
import msgspec
from distributed import Client, Future, KilledWorker, WorkerPlugin, get_worker
from distributed.client import FutureCancelledError, FuturesCancelledError

from .. import __version__
from ..config import ExecutorSettings
from ..errors import ConfigError, IngestError
from ..files.crash_points import CRASH_ENV, CrashHook
from ..record import record_id_for
from .context import RunContext
from .drops import Drop
from .stages import fixity
from .stages.registry import STAGES
from .workers import (
    FileKilledWorkers,
    Job,
    Prepared,
    StillWritten,
    WorkersLost,
    prepare,
    sigint_to_this_thread_only,
    split_stages,
)

log = logging.getLogger(__name__)

#: With no worker in the cluster for this long, the run stops (`WorkersLost`) instead of
#: waiting for one forever; a worker restarted by its nanny is back within seconds.
NO_WORKERS_SECONDS = 60.0
#: How often a wait for a result looks whether the cluster still has workers.
POLL_SECONDS = 5.0
#: How often the window (2 x the cluster's threads) is recounted.
RECOUNT_SECONDS = 10.0
#: How long closing the connection may take (the scheduler may be gone).
CLOSE_SECONDS = 5.0


class WorkerRefused(ConfigError):
    """A Dask worker cannot read for this run (another version, a missing language...)."""


@dataclass
class Cluster:
    """A connection to a Dask scheduler whose workers passed this run's check."""

    client: Client
    address: str
    threads: int
    """The cluster's worker threads when last counted: the window is twice this."""
    check: str
    """The name this run's `WorkerCheck` is registered under on the workers."""
    sent_bytes: int = 0
    """Bytes of the files sent to the workers."""
    received_bytes: int = 0
    """Bytes of the prepared records sent back (pickled: access copies and OCR words included)."""
    shipped_files: int = 0
    counted_at: float = field(default_factory=time.monotonic)
    in_flight: set[Future[tuple[Prepared, int]]] = field(default_factory=set)

    @classmethod
    def connect(cls, ctx: RunContext, settings: ExecutorSettings) -> Cluster:
        """Connect to `settings.scheduler`, wait for a worker and check every worker for `ctx`.

        Raises:
            ConfigError: the scheduler cannot be reached or has no worker in
                `settings.connect_timeout_seconds`; a worker refuses (`WorkerRefused`) or
                cannot load archive-ingest.
        """
        address = settings.scheduler or ""
        timeout = settings.connect_timeout_seconds
        if logging.getLogger().getEffectiveLevel() > logging.INFO:
            # distributed logs its connection chatter (a closed comm, a failed reconnect) at
            # INFO to ERROR; the run says what matters in its own words. With -v it speaks.
            for name in ["distributed", *logging.root.manager.loggerDict]:
                if name.split(".")[0] == "distributed":  # its config sets some children's levels
                    logging.getLogger(name).setLevel(logging.CRITICAL)
        # A task carries its file's bytes (so the scheduler can run it again elsewhere if its
        # worker dies): a big scan is a "large graph" to distributed, and that is the design.
        dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GiB"})
        with sigint_to_this_thread_only():  # the client's threads never take a Ctrl-C
            try:
                client = Client(address, timeout=timeout, set_as_default=False, name="archive-ingest")
            except (OSError, ValueError) as exc:
                raise ConfigError(f"executor.scheduler: cannot reach the Dask scheduler at {address}: {exc}") from exc
        cluster = cls(client, address, 1, check=f"archive-ingest-{uuid.uuid4().hex[:12]}")
        try:
            try:
                client.wait_for_workers(1, timeout=timeout)
            except TimeoutError as exc:
                raise ConfigError(
                    f"executor.scheduler: the Dask scheduler at {address} has no worker (waited {timeout:g} s); "
                    f"start one on a host with tesseract: dask worker {address} --nthreads 1"
                ) from exc
            try:
                client.register_plugin(WorkerCheck(ctx), name=cluster.check)
            except WorkerRefused:
                raise
            except Exception as exc:
                # A worker that cannot even load the check (no archive-ingest, another one's
                # modules) sends its error back as a bare Exception naming it: there is no
                # narrower type to catch. The run must not start on that worker either way.
                raise ConfigError(
                    f"executor.scheduler: a Dask worker of {address} cannot load archive-ingest ({exc}); "
                    f"pip install 'archive-ingest[dask]=={__version__}' on every worker"
                ) from exc
            cluster.threads = max(1, sum(client.nthreads().values()))
        except BaseException:
            cluster.close()  # the check comes off the workers that passed it
            raise
        log.info("Dask scheduler %s: %d worker threads", address, cluster.threads)
        return cluster

    def prepare(
        self, drops: Iterable[Drop], ctx: RunContext, known: Container[str], still_written: StillWritten
    ) -> Generator[Job, None, None]:
        """The jobs of `workers.prepare_in_workers`, in order, prepared by the cluster ahead.

        `known` is read as each file is read here (it may grow as the run goes): a known
        file is prepared here, which stops after its hash. The connection is closed when
        the generator ends or is closed.
        """
        window: deque[Job] = deque()
        pending = iter(drops)

        def fill() -> None:
            while len(window) < 2 * self._recount():
                drop = next(pending, None)
                if drop is None:
                    return
                if still_written(drop, "before it was read"):
                    continue
                window.append((drop, self._job(drop, ctx, known)))

        try:
            fill()
            while window:
                job = window.popleft()
                fill()  # keep the workers busy while this one is handled
                yield job
        finally:
            self.close()

    def close(self) -> None:
        """Cancel the tasks in flight, take this run's check off the workers, disconnect."""
        scheduler = self.client.scheduler
        if self.client.status == "running" and scheduler is not None:  # else it is gone: nothing to tell it
            with contextlib.suppress(OSError, TimeoutError, RuntimeError, ValueError):
                if self.in_flight:
                    self.client.cancel(list(self.in_flight), reason="the archive-ingest run stopped")
                # The scheduler forgets the check at once, then tells the workers; one that
                # does not answer (stopped, busy in a long call) is not waited for.
                self.client.sync(scheduler.unregister_worker_plugin, name=self.check, callback_timeout=CLOSE_SECONDS)
        self.in_flight.clear()
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self.client.close(timeout=CLOSE_SECONDS)

    @property
    def shipped(self) -> dict[str, int]:
        """What went over the network, for the run's summary."""
        return {"files": self.shipped_files, "to_workers": self.sent_bytes, "from_workers": self.received_bytes}

    def _job(self, drop: Drop, ctx: RunContext, known: Container[str]) -> Callable[[], Prepared]:
        here = partial(prepare, drop, ctx, known)
        try:
            with (ctx.inbox / drop.image).open("rb") as handle:
                if os.fstat(handle.fileno()).st_size > fixity.IN_MEMORY_MAX_BYTES:
                    return here
                content = handle.read()
        except OSError:
            return here  # fixity reports it, in its turn, as a local run would
        if record_id_for(hashlib.sha256(content).hexdigest()) in known:
            return here  # already archived: only its hash is needed, and this process has it
        if self.client.status != "running":
            return partial(_raise, WorkersLost(f"the Dask scheduler at {self.address} was lost"))
        try:
            # Oldest first (a higher priority runs first): the pipeline waits for them in order.
            future: Future[tuple[Prepared, int]] = self.client.submit(
                prepare_shipped, self.check, drop, content, pure=False, priority=-self.shipped_files
            )
        except (OSError, RuntimeError) as exc:  # the client has lost the scheduler
            return partial(_raise, WorkersLost(f"the Dask scheduler at {self.address} was lost ({exc})"))
        self.in_flight.add(future)
        self.shipped_files += 1
        self.sent_bytes += len(content)
        return partial(self._result, future)

    def _result(self, future: Future[tuple[Prepared, int]]) -> Prepared:
        """The prepared record of `future` (waiting for it).

        Raises:
            WorkersLost: the scheduler was lost, the cluster had no worker for
                `NO_WORKERS_SECONDS`, or a worker refused this run.
            FileKilledWorkers: every worker that read the file died.
        """
        alone_since: float | None = None
        try:
            while True:
                try:
                    # Waits without raising the task's own error: a TimeoutError here is the wait's.
                    future.exception(timeout=POLL_SECONDS)
                    break
                except TimeoutError:
                    if self._recount(force=True) > 0:
                        alone_since = None
                        continue
                    alone_since = alone_since or time.monotonic()
                    if time.monotonic() - alone_since > NO_WORKERS_SECONDS:
                        raise WorkersLost(
                            f"the Dask cluster at {self.address} has had no worker for {NO_WORKERS_SECONDS:g} s"
                        ) from None
            prepared, size = future.result()
        except (FutureCancelledError, FuturesCancelledError) as exc:
            raise WorkersLost(f"the Dask scheduler at {self.address} was lost ({_reason(exc)})") from exc
        except KilledWorker as exc:
            raise FileKilledWorkers(
                f"each of the {exc.allowed_failures + 1} Dask workers that read it died doing it "
                f"(the last {exc.last_worker.address}; the scheduler's allowed-failures is {exc.allowed_failures})"
            ) from exc
        except WorkerRefused as exc:
            raise WorkersLost(str(exc)) from exc
        finally:
            self.in_flight.discard(future)
        self.received_bytes += size
        return prepared

    def _recount(self, force: bool = False) -> int:
        """The cluster's worker threads, counted again every `RECOUNT_SECONDS` (0: none now)."""
        now = time.monotonic()
        if self.client.status != "running":
            return self.threads  # lost: the futures say so
        if force or now - self.counted_at > RECOUNT_SECONDS:
            self.counted_at = now
            try:
                threads = int(sum(self.client.nthreads().values()))
            except (OSError, RuntimeError, TimeoutError):
                return self.threads  # lost: the futures say so
            if force:
                return threads
            self.threads = max(1, threads)
        return self.threads


def _raise(exc: Exception) -> Prepared:
    raise exc


def _reason(exc: FutureCancelledError | FuturesCancelledError) -> str:
    if isinstance(exc, FutureCancelledError):
        return exc.reason
    return ", ".join(group.reason for group in exc.error_groups)


# -- on a Dask worker ------------------------------------------------------------------------------


class WorkerCheck(WorkerPlugin):
    """This run's check of a Dask worker, and what its tasks need (see the module docstring).

    The run's context travels pickled inside it and is unpickled on the worker only once
    the versions are known to match: another version's settings might not load at all.
    """

    def __init__(self, ctx: RunContext) -> None:
        self.version = __version__
        worker_ctx = replace(ctx, similarity=None, captions={})  # the ordered stages' state stays here
        self.ctx_pickle: bytes = cloudpickle.dumps(worker_ctx)  # a clock pinned by a test may be a lambda
        self.ctx: RunContext | None = None
        self.refusal: str | None = None
        self.hook = CrashHook(None)

    def setup(self, worker: Any) -> None:
        """Check this worker and load its engines (Dask calls it once per worker).

        Raises:
            WorkerRefused: see `_refusal`.
        """
        self.refusal = self._refusal(worker)
        if self.refusal is not None:
            self.refusal = f"Dask worker {worker.address} refuses this run: {self.refusal}"
            raise WorkerRefused(self.refusal)

    def _refusal(self, worker: Any) -> str | None:
        """Why this worker cannot read for the run, or None (the run's context is then set)."""
        if __version__ != self.version:
            return (
                f"it has archive-ingest {__version__} and this run is {self.version}; "
                f"pip install 'archive-ingest[dask]=={self.version}' there"
            )
        threads = worker.state.nthreads
        if threads != 1:
            return (
                f"it runs {threads} threads and reads one file per process (the OCR engines are not thread-safe); "
                "start it with --nthreads 1 (and --nworkers N for N processes)"
            )
        ctx: RunContext = pickle.loads(self.ctx_pickle)
        here = replace(ctx, engines={})
        try:
            self.hook = CrashHook(os.environ.get(CRASH_ENV))
            for name in split_stages(ctx.settings.stages)[0]:
                opener = STAGES[name].open
                if opener is not None:
                    opener(here)  # checks tesseract and the languages; loads tesserocr's models
        except IngestError as exc:
            return str(exc)
        if here.engines != ctx.engines:
            theirs = "; ".join(here.engines.values()) or "none"
            ours = "; ".join(ctx.engines.values()) or "none"
            return f"it reads with {theirs} and this run with {ours} (every record names its engine); install the same"
        self.ctx = ctx
        return None


def prepare_shipped(check: str, drop: Drop, content: bytes) -> tuple[Prepared, int]:
    """Run on a Dask worker: the per-file stages on `content`, the bytes of `drop` as dropped.

    Returns the prepared record (in the terms of the inbox it came from) and its size
    pickled, for the run's count of bytes shipped.

    Raises:
        WorkerRefused: this worker failed (or never ran) the run's check.
    """
    plugin = get_worker().plugins.get(check)
    if not isinstance(plugin, WorkerCheck) or plugin.ctx is None:
        refusal = plugin.refusal if isinstance(plugin, WorkerCheck) else None
        raise WorkerRefused(refusal or f"Dask worker {get_worker().address} did not run this run's check (see its log)")
    plugin.hook.reached("in_worker")
    ctx = plugin.ctx
    with tempfile.TemporaryDirectory(prefix="archive-ingest-") as folder:
        inbox = Path(folder)
        path = inbox / drop.image
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        settings = msgspec.structs.replace(ctx.settings, paths=msgspec.structs.replace(ctx.settings.paths, inbox=inbox))
        captions = {drop.image: drop.caption} if drop.caption is not None else {}
        prepared = prepare(drop, replace(ctx, settings=settings, captions=captions), known=())
    prepared = _renamed(prepared, folder, str(ctx.inbox))
    return prepared, len(pickle.dumps(prepared, protocol=5))


def _renamed(value: Any, old: str, new: str) -> Any:
    """`value` with `old` (the worker's temporary inbox) written as `new` in every string it holds."""
    if isinstance(value, str):
        return value.replace(old, new) if old in value else value
    if type(value) is list:
        return [_renamed(item, old, new) for item in value]
    if type(value) is tuple:
        return tuple(_renamed(item, old, new) for item in value)
    if type(value) is dict:
        return {key: _renamed(item, old, new) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        with contextlib.suppress(FrozenInstanceError):  # none in a record; left as it is
            for info in fields(value):
                setattr(value, info.name, _renamed(getattr(value, info.name), old, new))
    return value
