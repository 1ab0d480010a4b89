"""Run the stages over the inbox: order, isolation of one bad file, batched commit.

The order of stages comes from `pipeline.yaml` (`stages:`); `fixity` is always first and
`file` last. For each image found in the inbox the pipeline builds a record, runs the
stages, and adds the record to a batch. A batch is committed to the catalog in one
atomic write; only then are the batch's files removed from the inbox. So at any moment a
dropped file is in the inbox, or filed with a committed record, or both (an interrupted
run; the next run adopts it) — never nowhere.

The per-file stages (reading one file, writing nothing) may run in worker processes
(`workers`); the ordered stages (`similar`, `flags`, `file`), the commits and the inbox
clean-up always run here, in the order the files were found, so the records do not depend
on the number of workers. With `executor.kind: dask` (`run --executor dask`) the per-file
stages run on a Dask cluster's workers instead (`dask_executor`), with the same records.

Bytes already in the archive are not stored again: the drop is recorded on the existing
record (an event, the `duplicate` flag, its caption kept if new). Empty files are the
exception: every one has the same SHA-256, but two empty files are not the same photo, so
each is quarantined by name on the one record of the empty bytes (a `quarantine` event
naming it, its caption filed and quoted there), reported and counted as empty, never as
a duplicate.

Crash safety: a run killed at any moment leaves committed records (the catalog is written
atomically), inbox files not yet removed, and perhaps a filed copy with no record or a
temp file; the next run cleans or adopts them (`recovery`). A sidecar caption is removed
from the inbox before its image, so a kill between the two leaves an image the next run
recognises as already archived, never a caption without its image. A caption manifest's
rows leave it (`manifests`) at the same point: after the commit, before the images.

Interrupt (SIGINT, Ctrl-C): the file in hand is rolled back (a copy it just made is
removed; the file stays in the inbox), the batch so far is committed, the summary printed,
and the CLI exits 130. A catalog commit is never cut in half by SIGINT: a signal during a
commit is held until the commit is done.

Files still being written: the size and mtime noted at discovery are compared again
before the file is read and again after it is filed; a change means someone is still
writing it, so it is skipped (its copy, if any, removed) and left for the next run.

Warnings Pillow raises while a stage reads a file (a forged EXIF length, say) are kept
as a `validation` warning event on that file's record instead of being printed.

A full disk (`file.DiskFull`) ends the run: the file in hand is rolled back, what is done
is committed, and `RunSummary.stopped` says why (the CLI exits 1).

Test-only hook: `ARCHIVE_INGEST_CRASH_AT` kills or pauses a run at a named point
(`crash_points.CrashHook`); `tests/test_crash.py` uses it.
"""

from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import catalog as catalog_module
from ..catalog import Catalog
from ..config import Settings
from ..errors import CatalogError, ConfigError, MissingDependency
from ..files import layout
from ..files.crash_points import CRASH_ENV, CrashHook
from ..record import EventType, FlagCode, Outcome, Record, ReviewStatus, record_id_for, utc_now
from ..text.places import Gazetteer
from . import recovery
from .context import RunContext
from .drops import Drop
from .manifests import ManifestRows
from .similarity import SimilarityIndex
from .stages import discover, file, fixity
from .stages.discover import one_line
from .stages.registry import STAGES
from .workers import (
    FileKilledWorkers,
    Job,
    Prepared,
    WorkersLost,
    note_warnings,
    prepare_in_order,
    prepare_in_workers,
)

if TYPE_CHECKING:
    from ..config import ExecutorSettings
    from .dask_executor import Cluster

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class RunSummary:
    """What a run did, for the closing summary."""

    ingested: list[str] = field(default_factory=list)
    """Ids of new records filed under `originals/`."""
    duplicates: list[str] = field(default_factory=list)
    """Inbox files whose bytes were already archived (recorded on the existing record)."""
    already_archived: list[str] = field(default_factory=list)
    """Inbox files left over from an interrupted run, already filed with the same name."""
    quarantined: list[str] = field(default_factory=list)
    """Ids of the records files were quarantined on, one per file (every empty file is
    quarantined on the one record of the empty bytes, so its id may repeat)."""
    empty: list[str] = field(default_factory=list)
    """Inbox files that were empty (0 bytes), each quarantined (also in `quarantined`)."""
    failed: list[str] = field(default_factory=list)
    """One line per file that stays in the inbox because something went wrong."""
    problems: list[str] = field(default_factory=list)
    """One line per thing the user should fix or check (orphan captions, skipped files...)."""
    notes: list[str] = field(default_factory=list)
    """One line per thing done that is worth saying (a manifest filed)."""
    flags: Counter[str] = field(default_factory=Counter)
    """Flags raised on this run's new records, by code."""
    pending_review: int = 0
    """Records in the catalog waiting for review after the run."""
    elapsed_seconds: float = 0.0
    workers: int = 1
    """Processes that read the files (1: this one); with the Dask executor, the cluster's threads."""
    executor: str = "local"
    """Where the per-file stages ran: `local` (this machine) or `dask` (a cluster)."""
    shipped_bytes: dict[str, int] = field(default_factory=dict)
    """With the Dask executor: `files` sent to the workers, bytes sent `to_workers` (the
    files) and `from_workers` (the prepared records, access copies included)."""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Time spent in each stage, summed over files and workers."""
    ocr_pass_seconds: dict[str, float] = field(default_factory=dict)
    """Time spent in each kind of tesseract call (survey, sweep, region modes), summed."""
    interrupted: bool = False
    stopped: str | None = None
    """Why the run stopped before the end (a full disk), or None; what was done is committed."""

    def add_seconds(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds

    def escape_lines(self) -> None:
        """Make every message one line, whatever the file names hold (newlines, controls)."""
        for lines in (self.failed, self.problems, self.notes):
            lines[:] = [one_line(line) for line in lines]
        if self.stopped is not None:
            self.stopped = one_line(self.stopped)


class _RunStopped(Exception):
    """The run cannot go on (a full disk); carries the one-line reason."""


def run(
    settings: Settings,
    *,
    now: Callable[[], datetime] = utc_now,
    progress: Progress | None = None,
    workers: int = 1,
    take: Callable[[Drop], bool] | None = None,
) -> RunSummary:
    """Process everything in the inbox (with `take`, the drops it says yes to).

    `workers` > 1 runs the per-file stages (reading, OCR) in that many worker processes;
    the records are the same as with 1 (see `workers`). The workers are spawned, so a
    script calling this with `workers` > 1 needs the usual `if __name__ == "__main__":`
    guard (the CLI has it).

    `take` (`run --watch`, `watch.py`) leaves a drop it refuses in the inbox, untouched and
    unreported, for a later run: a file still being written. Orphan copies of a killed run
    are then settled by a later run that leaves nothing out.

    With `settings.executor.kind` dask the per-file stages run on that Dask cluster
    (`dask_executor`) instead of `workers` processes, with the same records.

    Raises:
        ConfigError: the inbox is missing or the archive is not writable; the Dask
            scheduler cannot be reached, or one of its workers refuses the run.
        CatalogLocked: another process is writing the catalog.
        MissingDependency: tesseract (or a configured language) is missing; or the dask
            extra, for the Dask executor.
    """
    started = time.monotonic()
    hook = CrashHook(os.environ.get(CRASH_ENV))
    ctx = RunContext(settings=settings, now=now, gazetteer=Gazetteer.load(settings.places.gazetteer))
    _check_paths(ctx)
    summary = RunSummary()
    with catalog_module.writer(
        settings.paths.catalog, "archive-ingest run", now(), backups=catalog_module.BACKUP_COUNT
    ) as catalog:
        orphans = recovery.clean_leftovers(ctx, catalog)
        found = discover.find_drops(ctx)
        summary.problems.extend(found.problems)
        drops = found.drops if take is None else [drop for drop in found.drops if take(drop)]
        left_out = len(found.drops) - len(drops)
        for temp in found.temp_files:
            (ctx.inbox / temp).unlink(missing_ok=True)  # a manifest's rewrite cut short by a kill
        _refresh_search_index(catalog)
        fresh = _fresh_drops(ctx, drops, catalog.ids(), enough=max(2, workers))
        if fresh:
            # Set-up that costs time (a tesseract check, the catalog's hashes, worker
            # processes) only when there is something new to read: an empty inbox, or
            # scans dropped again, are done in a moment.
            for name in settings.stages:
                opener = STAGES[name].open
                if opener is not None:
                    opener(ctx)
            if "similar" in settings.stages:
                # New photos are compared with the catalog's: its hashes are indexed once per
                # run, when the first new photo comes (a run of known files never reads them).
                ctx = replace(ctx, similarity=SimilarityIndex(catalog.documents))
        ctx.captions.update({drop.image: drop.caption for drop in drops if drop.caption})
        manifests = ManifestRows(ctx, found.manifests)
        batch = _Batch(ctx, catalog, summary, found.drops, hook, manifests)
        cluster = None
        if settings.executor.kind == "dask" and fresh:
            # The scheduler, its workers, their versions and languages: checked before anything moves.
            cluster = _connect_cluster(ctx, settings.executor)
            summary.executor, summary.workers = "dask", cluster.threads
            jobs = cluster.prepare(drops, ctx, batch, batch.still_written)
        else:
            summary.workers = _worker_count(workers, fresh, now)
            jobs = _jobs(drops, batch, summary.workers)
        try:
            for index, (drop, prepared) in enumerate(jobs):
                if progress:
                    progress(drop.image, index, len(drops))
                batch.process(drop, prepared)
                if len(batch) >= settings.catalog.batch_size:
                    batch.commit()
            batch.commit()
        except KeyboardInterrupt:
            # Files already filed and verified are committed; the file in hand was rolled
            # back and stays in the inbox. A second Ctrl-C must not cut this commit short.
            # The workers are stopped first (files in flight stay in the inbox).
            jobs.close()
            try:
                with recovery.sigint_held():
                    batch.commit()
            except KeyboardInterrupt:
                pass  # a second Ctrl-C during that commit: it is done, and we are stopping anyway
            summary.interrupted = True
        except _RunStopped as stop:
            jobs.close()
            batch.commit()
            summary.stopped = str(stop)
        finally:
            jobs.close()
            if cluster is not None:
                summary.shipped_bytes = cluster.shipped
        summary.notes.extend(manifests.notes())
        if not summary.interrupted and summary.stopped is None and not left_out:
            notes, problems = recovery.settle_orphans(ctx, catalog, orphans, batch.seen_ids)
            summary.notes.extend(notes)
            summary.problems.extend(problems)
        if progress:
            progress("", len(drops), len(drops))
        summary.pending_review = catalog.count_review(ReviewStatus.PENDING)
    summary.elapsed_seconds = time.monotonic() - started
    summary.escape_lines()
    return summary


def _refresh_search_index(catalog: Catalog) -> None:
    """Make the search index fresh before the run's first commit: each commit then splices
    the catalog file instead of rewriting it through TinyDB (and keeps the index fresh),
    the run's questions ("is this file known?", "how many wait for review?") need no parse
    of the catalog, and the next search starts at once. A stale or missing index is rebuilt
    (seconds at 10k records, once); a fresh one costs nothing. It is derived data: a
    failure is logged, never fatal.
    """
    try:
        catalog.refresh_search_index()
    except (CatalogError, OSError, sqlite3.Error) as exc:
        log.warning("search index of %s not rebuilt: %s", catalog.path, exc)


def _fresh_drops(ctx: RunContext, drops: list[Drop], ids: Iterable[str], enough: int) -> int:
    """How many drops hold bytes the catalog does not know, counted up to `enough`.

    Hashes the drops in this process, in order, and stops at `enough` new ones (a new
    drop's bytes are then hashed again where it is read: two files, a small price); a
    drop of files all archived before is hashed whole and starts no worker and loads no
    OCR model. A file that cannot be read counts as new: the stages report it.
    """
    known = set(ids)
    fresh = 0
    for drop in drops:
        try:
            sha256, _ = fixity.sha256_of_file(ctx.inbox / drop.image)
        except OSError:
            sha256 = ""
        if record_id_for(sha256) not in known or not sha256:
            fresh += 1
            if fresh >= enough:
                break
    return fresh


def _worker_count(asked: int, files: int, now: Callable[[], datetime]) -> int:
    """Worker processes for this run: none (1) when there is at most one new file to read."""
    if asked <= 1 or files <= 1:
        return 1
    try:
        pickle.dumps(now)  # a clock pinned by a test with a lambda cannot go to a worker
    except (pickle.PicklingError, AttributeError, TypeError):
        return 1
    return min(asked, files)


def _connect_cluster(ctx: RunContext, settings: ExecutorSettings) -> Cluster:
    """The Dask cluster at `settings.scheduler`, checked and ready (`dask_executor.Cluster.connect`).

    Raises:
        MissingDependency: the `dask` extra is not installed.
        ConfigError: see `Cluster.connect`.
    """
    try:
        from .dask_executor import Cluster  # distributed is imported only for such a run
    except ImportError as exc:
        if (exc.name or "").startswith("archive_ingest"):
            raise  # our own bug, not a missing extra
        raise MissingDependency(
            f"executor.kind dask needs Dask's distributed ({exc}): pip install 'archive-ingest[dask]'"
        ) from exc
    return Cluster.connect(ctx, settings)


def _jobs(drops: list[Drop], batch: _Batch, workers: int) -> Generator[Job, None, None]:
    if workers == 1:
        return prepare_in_order(drops, batch.ctx, batch, batch.still_written)
    known = frozenset(batch.catalog.ids())
    return prepare_in_workers(drops, batch.ctx, known, batch.still_written, workers)


def _check_paths(ctx: RunContext) -> None:
    if not ctx.inbox.is_dir():
        raise ConfigError(f"paths.inbox: {ctx.inbox} is not a folder (create it, or pass --inbox)")
    try:
        ctx.archive.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=ctx.archive):
            pass
    except OSError as exc:
        raise ConfigError(f"paths.archive: {ctx.archive} is not writable: {exc.strerror or exc}") from exc


class _Batch:
    """Records waiting to be committed, and the inbox files to remove once they are."""

    def __init__(
        self,
        ctx: RunContext,
        catalog: Catalog,
        summary: RunSummary,
        drops: list[Drop],
        hook: CrashHook,
        manifests: ManifestRows,
    ) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.summary = summary
        self.hook = hook
        self.manifests = manifests
        self.seen_ids: set[str] = set()
        """Ids of every file hashed this run (filed or not)."""
        self.records: dict[str, Record] = {}
        self.to_remove: list[Path] = []
        # A sidecar caption may serve two images (a.jpg and a.png), a saved page many:
        # remove it from the inbox only when the last of them is committed. Counted over
        # every drop found, so one left for a later run (`take`) keeps its caption there.
        self.caption_users = Counter(name for d in drops if d.caption for name in d.caption.inbox_files())
        self.ordered_stages = [name for name in ctx.settings.stages if not STAGES[name].per_file]
        self.index_checked = False

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, record_id: object) -> bool:
        """Whether these bytes are known: in the catalog or in this batch (asked as the run goes)."""
        return record_id in self.records or record_id in self.catalog

    def process(self, drop: Drop, get_prepared: Callable[[], Prepared]) -> None:
        """Finish `drop`: its per-file stages' result, then the ordered stages, in this process."""
        ctx = self.ctx
        record = discover.new_record(drop, ctx)
        try:
            prepared = get_prepared()
            record = prepared.record
            for name, seconds in prepared.seconds.items():
                self.summary.add_seconds(name, seconds)
            for label, seconds in prepared.ocr_passes:
                self.summary.ocr_pass_seconds[label] = self.summary.ocr_pass_seconds.get(label, 0.0) + seconds
            for name in prepared.stages:
                self.hook.reached(f"after_{name}")
            self.seen_ids.add(record.id)
            if self._is_known(record, drop):
                return
            if prepared.known:
                raise RuntimeError(f"{record.id} was known when read but is not in the catalog")
            for name in self.ordered_stages:
                started = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    record = STAGES[name].run(record, ctx)
                note_warnings(record, ctx, name, caught)
                self.summary.add_seconds(name, time.perf_counter() - started)
                self.hook.reached(f"after_{name}")
            if self.still_written(drop, "while it was filed"):
                self._roll_back(record)
                return
        except WorkersLost as exc:
            raise _RunStopped(f"{drop.image}: {exc}; the run stops here") from exc
        except FileKilledWorkers as exc:
            self.summary.failed.append(f"{drop.image}: {exc}; left in the inbox")
            return
        except file.DiskFull as exc:
            self._roll_back(record)
            raise _RunStopped(f"{drop.image}: {exc}; the run stops here, the file is left in the inbox") from exc
        except file.FilingError as exc:
            self._roll_back(record)
            if not self.still_written(drop, "while it was filed"):  # the copy differs because it grew
                self.summary.failed.append(f"{drop.image}: {exc}; left in the inbox")
            return
        except OSError as exc:
            self._roll_back(record)
            if not self.still_written(drop, "while it was read"):
                self.summary.failed.append(f"{drop.image}: cannot read: {exc.strerror or exc}; left in the inbox")
            return
        except KeyboardInterrupt:
            self._roll_back(record)
            raise
        except Exception as exc:
            log.error("internal error on %s", one_line(drop.image), exc_info=exc)
            self._roll_back(record)
            self.summary.failed.append(f"{drop.image}: internal error ({exc!r}); left in the inbox")
            return
        self.records[record.id] = record
        self._schedule_removal(drop)
        (self.summary.quarantined if record.quarantined else self.summary.ingested).append(record.id)
        self.summary.flags.update(flag.code.value for flag in record.flags)
        if record.file.bytes == 0:
            self._report_empty(drop, record.id)

    def still_written(self, drop: Drop, when: str) -> bool:
        """True (and a message) when the file's size or mtime changed since discovery."""
        if drop.size < 0:
            return False
        try:
            status = (self.ctx.inbox / drop.image).stat()
        except OSError:
            return False  # gone: fixity (or the copy) reports it
        if (status.st_size, status.st_mtime_ns) == (drop.size, drop.mtime_ns):
            return False
        change = f"size {drop.size:,} -> {status.st_size:,} bytes" if status.st_size != drop.size else "modified"
        self.summary.problems.append(
            f"{drop.image}: still being written ({change} {when}); skipped this run, left in the inbox"
        )
        return True

    def _roll_back(self, record: Record) -> None:
        """Remove what filing this record wrote, unless a committed or batched record owns it."""
        if not record.id or record.id in self.records or record.id in self.catalog:
            return
        paths = [self.ctx.archive / layout.original_path(record)]
        paths.append(self.ctx.archive / layout.words_path(record.id))
        paths.extend(self.ctx.archive / path for path in layout.access_paths(record.id))
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove %s: %s", path, exc)

    def _is_known(self, record: Record, drop: Drop) -> bool:
        """Handle bytes that are already archived (or earlier in this batch)."""
        existing = self.records.get(record.id) or self.catalog.get(record.id)
        if existing is None:
            return False
        ctx = self.ctx
        name = record.source.filename
        caption_sha256 = drop.caption.sha256 if drop.caption else None
        recorded_drops = {
            (event.new.get("filename"), event.new.get("caption_sha256"))
            for event in existing.events
            if event.type in {EventType.DUPLICATE_DROP, EventType.QUARANTINE} and isinstance(event.new, dict)
        }
        first_drop = existing.source.filename == name and (existing.caption == record.caption or not record.caption)
        same_drop = first_drop or (name, caption_sha256) in recorded_drops
        if same_drop and existing.file.path and (ctx.archive / existing.file.path).exists():
            # Left in the inbox by a run stopped between commit and clean-up.
            self.summary.already_archived.append(drop.image)
            self._schedule_removal(drop)
            return True
        if record.file.bytes == 0:
            self._quarantine_empty_again(existing, drop)
            return True
        detail = f"the same bytes were dropped again as '{name}'"
        if drop.caption is not None:
            caption = drop.caption
            caption_path = file.file_caption(caption, ctx)
            detail += f", with caption {caption.file} (filed as {caption_path})"
            row_note = file.companion_note(caption, ctx)
            if row_note is not None:
                detail += f" ({row_note})"
            if not existing.caption and caption.text:
                existing.caption = caption.text
                existing.source.caption_file = caption.file
                existing.source.caption_sha256 = caption.sha256
                existing.source.caption_path = caption_path
                existing.source.caption_from = caption.kind
                detail += "; its caption is now the record's caption"
            elif caption.text != existing.caption:
                detail += f"; its caption differs and is kept here: {caption.text!r}"
        # `new` says what was dropped, so the same drop left in (or put back into) the inbox
        # is recognised next time as already recorded, not as yet another duplicate.
        existing.add_event(
            EventType.DUPLICATE_DROP,
            ctx.timestamp(),
            ctx.agent(),
            Outcome.WARNING,
            detail,
            field="source.filename",
            new={"filename": name, "caption_sha256": caption_sha256},
        )
        existing.add_flag(FlagCode.DUPLICATE, f"same bytes as '{existing.source.filename}' dropped again as '{name}'")
        if existing.review.status == ReviewStatus.NOT_NEEDED:
            existing.review.status = ReviewStatus.PENDING
        self.records[existing.id] = existing
        self._schedule_removal(drop)
        self.summary.duplicates.append(drop.image)
        self.summary.flags[FlagCode.DUPLICATE.value] += 1
        return True

    def _quarantine_empty_again(self, existing: Record, drop: Drop) -> None:
        """Quarantine one more empty file on the record of the empty bytes, by name.

        Not a duplicate: empty files share their bytes (none) but not what they were
        meant to be. The record keeps its own caption; this file's caption is filed and
        quoted in the event, which also names the file.
        """
        ctx = self.ctx
        detail = f"empty file (0 bytes) dropped as '{drop.image}'"
        if drop.caption is not None:
            caption_path = file.file_caption(drop.caption, ctx)
            detail += f", with caption {drop.caption.file} (filed as {caption_path}): {drop.caption.text!r}"
            row_note = file.companion_note(drop.caption, ctx)
            if row_note is not None:
                detail += f" ({row_note})"
        # `new` says what was dropped, so the same drop left in (or put back into) the inbox
        # is recognised next time as already recorded.
        existing.add_event(
            EventType.QUARANTINE,
            ctx.timestamp(),
            ctx.agent(),
            Outcome.WARNING,
            detail + "; quarantined on this record",
            field="source.filename",
            new={"filename": drop.image, "caption_sha256": drop.caption.sha256 if drop.caption else None},
        )
        self.records[existing.id] = existing
        self._schedule_removal(drop)
        self.summary.quarantined.append(existing.id)
        self._report_empty(drop, existing.id)

    def _report_empty(self, drop: Drop, record_id: str) -> None:
        self.summary.empty.append(drop.image)
        self.summary.problems.append(
            f"{drop.image}: empty file (0 bytes); quarantined on record {record_id}, which every empty file shares"
        )

    def _schedule_removal(self, drop: Drop) -> None:
        self.manifests.use(drop.image)
        # The caption goes first: stopped between the two, the next run finds an image
        # it knows is archived, never a caption whose image is gone.
        for name in drop.caption.inbox_files() if drop.caption else []:
            self.caption_users[name] -= 1
            if self.caption_users[name] <= 0:
                self.to_remove.append(self.ctx.inbox / name)
        self.to_remove.append(self.ctx.inbox / drop.image)

    def commit(self) -> None:
        """Write the batch in one atomic catalog write, then clear its files from the inbox."""
        if self.records:
            with recovery.sigint_held():
                self.catalog.commit(self.records.values())
            if not self.index_checked:
                # A new catalog has no index yet: build it now, so later commits splice.
                _refresh_search_index(self.catalog)
                self.index_checked = True
            self.hook.reached("after_commit")
        # The manifests' rows of the committed images go before the images do (see
        # `manifests`): stopped between the two, the next run finds images it knows.
        # Ctrl-C waits for it, so a manifest's state here matches the file in the inbox.
        with recovery.sigint_held():
            self.summary.problems.extend(self.manifests.settle())
        self.hook.reached("after_manifests")
        for path in self.to_remove:
            try:
                path.unlink(missing_ok=True)
                self.hook.reached("between_removals")
            except OSError as exc:
                self.summary.problems.append(
                    f"{path.relative_to(self.ctx.inbox)}: archived, but could not be removed from the inbox: {exc}"
                )
        self.records.clear()
        self.to_remove.clear()
