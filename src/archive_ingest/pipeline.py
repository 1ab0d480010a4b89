"""Run the stages over the inbox: order, isolation of one bad file, batched commit.

The order of stages comes from `pipeline.yaml` (`stages:`); `fixity` is always first and
`file` last. For each image found in the inbox the pipeline builds a record, runs the
stages, and adds the record to a batch. A batch is committed to the catalog in one
atomic write; only then are the batch's files removed from the inbox. So at any moment a
dropped file is in the inbox, or filed with a committed record, or both (an interrupted
run; the next run adopts it) — never nowhere.

Bytes already in the archive are not stored again: the drop is recorded on the existing
record (an event, the `duplicate` flag, its caption kept if new).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from . import catalog as catalog_module
from .catalog import Catalog
from .config import Settings
from .context import RunContext, utc_now
from .errors import ConfigError
from .record import EventType, FlagCode, Outcome, Record, ReviewStatus
from .stages import discover, exif, extract, file, fixity, flags, identify, ocr, provenance, similar
from .stages.discover import Drop
from .text.places import Gazetteer

log = logging.getLogger(__name__)

Stage = Callable[[Record, RunContext], Record]

STAGES: dict[str, Stage] = {
    "fixity": fixity.run,
    "identify": identify.run,
    "similar": similar.run,
    "exif": exif.run,
    "ocr": ocr.run,
    "extract": extract.run,
    "provenance": provenance.run,
    "flags": flags.run,
    "file": file.run,
}

#: Stages that need set-up before the first file (and may stop the run, e.g. tesseract
#: missing), keyed by stage name.
OPENERS: dict[str, Callable[[RunContext], None]] = {"ocr": ocr.open_stage}

#: Stages that read the picture's content: skipped for a file that was quarantined.
CONTENT_STAGES = frozenset({"exif", "ocr", "extract"})

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
    """Ids of records filed under `quarantine/`."""
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
    interrupted: bool = False


def run(settings: Settings, *, now: Callable[[], datetime] = utc_now, progress: Progress | None = None) -> RunSummary:
    """Process everything in the inbox.

    Raises:
        ConfigError: the inbox is missing or the archive is not writable.
        CatalogLocked: another process is writing the catalog.
        MissingDependency: tesseract (or a configured language) is missing.
    """
    started = time.monotonic()
    ctx = RunContext(settings=settings, now=now, gazetteer=Gazetteer.load(settings.places.gazetteer))
    _check_paths(ctx)
    summary = RunSummary()
    with catalog_module.writer(settings.paths.catalog, "archive-ingest run", now()) as catalog:
        if "similar" in settings.stages:
            # New photos are compared with the catalog's: index its hashes once per run.
            ctx = replace(ctx, similarity=similar.SimilarityIndex.from_records(catalog.all()))
        for name in settings.stages:
            if name in OPENERS:
                OPENERS[name](ctx)
        found = discover.find_drops(ctx)
        summary.problems.extend(found.problems)
        ctx.captions.update({drop.image: drop.caption for drop in found.drops if drop.caption})
        batch = _Batch(ctx, catalog, summary, found.drops)
        try:
            for index, drop in enumerate(found.drops):
                if progress:
                    progress(drop.image, index, len(found.drops))
                batch.process(drop)
                if len(batch) >= settings.catalog.batch_size:
                    batch.commit()
            batch.commit()
        except KeyboardInterrupt:
            # Files already filed and verified are committed; the file in hand stays in
            # the inbox (its archived copy, if any, is adopted by the next run).
            batch.commit()
            summary.interrupted = True
        if not summary.interrupted:
            _settle_manifests(ctx, found.manifests, summary)
        if progress:
            progress("", len(found.drops), len(found.drops))
        summary.pending_review = sum(1 for r in catalog.all() if r.review.status == ReviewStatus.PENDING)
    summary.elapsed_seconds = time.monotonic() - started
    return summary


def _check_paths(ctx: RunContext) -> None:
    if not ctx.inbox.is_dir():
        raise ConfigError(f"paths.inbox: {ctx.inbox} is not a folder (create it, or pass --inbox)")
    try:
        ctx.archive.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=ctx.archive):
            pass
    except OSError as exc:
        raise ConfigError(f"paths.archive: {ctx.archive} is not writable: {exc.strerror or exc}") from exc


def _settle_manifests(ctx: RunContext, manifests: dict[str, list[str]], summary: RunSummary) -> None:
    """File a caption manifest and clear it from the inbox once none of its images is left there.

    Kept while any image it names still waits in the inbox, so the next run can pair it.
    """
    for manifest, images in manifests.items():
        if any((ctx.inbox / image).exists() for image in images):
            continue
        path = ctx.inbox / manifest
        try:
            sha256, _ = fixity.sha256_of_file(path)
            filed = file.file_caption(discover.Caption("", manifest, "", sha256, is_sidecar=False), ctx)
            path.unlink()
        except OSError as exc:
            summary.problems.append(f"{manifest}: could not be filed and cleared from the inbox: {exc}")
            continue
        summary.notes.append(f"{manifest}: every image it names is archived; filed as {filed}")


class _Batch:
    """Records waiting to be committed, and the inbox files to remove once they are."""

    def __init__(self, ctx: RunContext, catalog: Catalog, summary: RunSummary, drops: list[Drop]) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.summary = summary
        self.records: dict[str, Record] = {}
        self.to_remove: list[Path] = []
        # A sidecar caption may serve two images (a.jpg and a.png); remove it from the
        # inbox only when the last of them is committed.
        self.caption_users = Counter(d.caption.file for d in drops if d.caption and d.caption.is_sidecar)

    def __len__(self) -> int:
        return len(self.records)

    def process(self, drop: Drop) -> None:
        ctx = self.ctx
        record = discover.new_record(drop, ctx)
        try:
            for name in ctx.settings.stages:
                if record.quarantined and name in CONTENT_STAGES:
                    continue
                record = STAGES[name](record, ctx)
                if name == "fixity" and self._is_known(record, drop):
                    return
        except file.FilingError as exc:
            self.summary.failed.append(f"{drop.image}: {exc}; left in the inbox")
            return
        except OSError as exc:
            self.summary.failed.append(f"{drop.image}: cannot read: {exc.strerror or exc}; left in the inbox")
            return
        except Exception as exc:
            log.exception("internal error on %s", drop.image)
            self.summary.failed.append(f"{drop.image}: internal error ({exc!r}); left in the inbox")
            return
        self.records[record.id] = record
        self._schedule_removal(drop)
        (self.summary.quarantined if record.quarantined else self.summary.ingested).append(record.id)
        self.summary.flags.update(flag.code.value for flag in record.flags)

    def _is_known(self, record: Record, drop: Drop) -> bool:
        """Handle bytes that are already archived (or earlier in this batch)."""
        existing = self.records.get(record.id) or self.catalog.get(record.id)
        if existing is None:
            return False
        ctx = self.ctx
        same_drop = existing.source.filename == record.source.filename and (
            existing.caption == record.caption or record.caption is None
        )
        if same_drop and existing.file.path and (ctx.archive / existing.file.path).exists():
            # Left in the inbox by a run stopped between commit and clean-up.
            self.summary.already_archived.append(drop.image)
            self._schedule_removal(drop)
            return True
        name = record.source.filename
        detail = f"the same bytes were dropped again as '{name}'"
        if drop.caption is not None:
            caption = drop.caption
            caption_path = file.file_caption(caption, ctx)
            detail += f", with caption {caption.file} (filed as {caption_path})"
            if not existing.caption:
                existing.caption = caption.text
                existing.source.caption_file = caption.file
                existing.source.caption_sha256 = caption.sha256
                existing.source.caption_path = caption_path
                detail += "; its caption is now the record's caption"
            elif caption.text != existing.caption:
                detail += f"; its caption differs and is kept here: {caption.text!r}"
        existing.add_event(EventType.DUPLICATE_DROP, ctx.timestamp(), ctx.agent(), Outcome.WARNING, detail)
        existing.add_flag(FlagCode.DUPLICATE, f"same bytes as '{existing.source.filename}' dropped again as '{name}'")
        if existing.review.status == ReviewStatus.NOT_NEEDED:
            existing.review.status = ReviewStatus.PENDING
        self.records[existing.id] = existing
        self._schedule_removal(drop)
        self.summary.duplicates.append(drop.image)
        self.summary.flags[FlagCode.DUPLICATE.value] += 1
        return True

    def _schedule_removal(self, drop: Drop) -> None:
        self.to_remove.append(self.ctx.inbox / drop.image)
        caption = drop.caption
        if caption is not None and caption.is_sidecar:
            self.caption_users[caption.file] -= 1
            if self.caption_users[caption.file] <= 0:
                self.to_remove.append(self.ctx.inbox / caption.file)

    def commit(self) -> None:
        """Write the batch in one atomic catalog write, then clear its files from the inbox."""
        if self.records:
            self.catalog.commit(self.records.values())
        for path in self.to_remove:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                self.summary.problems.append(
                    f"{path.relative_to(self.ctx.inbox)}: archived, but could not be removed from the inbox: {exc}"
                )
        self.records.clear()
        self.to_remove.clear()
