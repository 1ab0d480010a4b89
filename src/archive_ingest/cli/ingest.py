"""`archive-ingest run` and `init`: ingest the inbox (with a progress bar on a terminal and
a summary), and make a new archive."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import archive_options, errors

if TYPE_CHECKING:
    # Each command imports what it needs when it runs (the settings with PyYAML, the
    # catalog, rich, the pipeline with pytesseract and numpy): `--version`, `--help` and
    # `show` should not pay for what `run` needs (issue 13, item 14; `benchmarks/search.py`).
    from rich.console import Console

    from ..config import Settings
    from ..ingest import pipeline


#: The console `run`'s progress bar draws on (stderr); made on first use (rich costs 50 ms
#: to import), or set here by a test that wants to see the bar.
err_console: Console | None = None


def _stderr_console() -> Console:
    global err_console
    if err_console is None:
        from rich.console import Console

        err_console = Console(stderr=True, highlight=False)
    return err_console


@click.command()
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes reading files in parallel (OCR, one tesseract thread each). [default: the number of cores]",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default=None,
    help="Where files are read: local worker processes, or the workers of a Dask cluster (with --scheduler). "
    "[default: executor.kind in pipeline.yaml, local]",
)
@click.option(
    "--scheduler",
    metavar="ADDR",
    default=None,
    help="The Dask scheduler for --executor dask, e.g. tcp://HOST:8786. [default: executor.scheduler]",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary as JSON to this file: counts, ids, seconds per stage and per OCR pass.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running: ingest files as they land (once unchanged for watch.settle_seconds), "
    "a line per batch, until Ctrl-C or SIGTERM.",
)
@archive_options(inbox=True)
def run(
    workers: int | None,
    executor: str | None,
    scheduler: str | None,
    report: Path | None,
    watch: bool,
    settings: Settings,
) -> None:
    """Ingest everything in the inbox into the archive and the catalog.

    Each image is hashed, checked, read (EXIF, OCR), described, filed bit for bit under
    the archive and recorded in the catalog; only then is it removed from the inbox.
    Broken files are quarantined with the reason (each empty file too, by name); the
    batch always goes on. A caption whose image has not come (a .txt, or a captions.csv
    row) waits in the inbox for it. Files are read by --workers processes in parallel;
    the records are the same with any number.

    Like every command it needs an archive (a pipeline.yaml here or in a folder above,
    or --config) and refuses without one, even beside an inbox/: an archive made
    without a pipeline.yaml could not be found by the other commands. --inbox reads
    another folder into this archive.

    With --watch it keeps running and ingests files as they land: each file once its
    size and modification time have not changed for watch.settle_seconds, in batches
    (the catalog is locked only while a batch commits, so review goes on meanwhile), a
    line per batch. Ctrl-C or SIGTERM stops it: between batches exit 0; during one, as
    an interrupted run (what is done is committed, the rest stays in the inbox), 130.

    With --executor dask the files are read by the workers of a running Dask cluster
    (pip install 'archive-ingest[dask]' here and on the workers), which get each file's
    bytes: no shared disk. The catalog and the filing stay here; the records are the
    same. A scheduler that cannot be reached, or a worker that lacks a language or runs
    another version, stops the run before anything moves (exit 2).

    Example:

    \b
        archive-ingest run
        archive-ingest run --inbox ~/scans/2026-11 --workers 1
        archive-ingest run --config /srv/graves/pipeline.yaml
        archive-ingest run --watch
        archive-ingest run --executor dask --scheduler tcp://10.0.0.5:8786
    """
    from ..ingest import pipeline
    from ..ingest.workers import default_workers

    settings = _with_executor(settings, executor, scheduler, workers)

    if watch:
        if report is not None:
            raise click.UsageError("--report is not available with --watch (each batch prints its line)")
        _watch(settings, workers or default_workers())
        return

    with errors(), _progress_bar() as progress:
        summary = pipeline.run(settings, progress=progress, workers=workers or default_workers())
    _print_summary(summary)
    if report is not None:
        _write_report(report, summary)
    if summary.stopped is not None:
        # A full disk: what was done is committed, the rest waits in the inbox.
        click.echo(f"error: {summary.stopped}", err=True)
        sys.exit(1)
    if summary.interrupted:
        sys.exit(130)


def _with_executor(settings: Settings, kind: str | None, scheduler: str | None, workers: int | None) -> Settings:
    """The settings with `--executor` and `--scheduler` in `executor:`.

    Raises:
        click.UsageError: the options do not go together.
    """
    import msgspec

    chosen = kind or settings.executor.kind
    if chosen != "dask":
        if scheduler is not None:
            raise click.UsageError("--scheduler goes with --executor dask")
        return msgspec.structs.replace(settings, executor=msgspec.structs.replace(settings.executor, kind=chosen))
    if workers is not None:
        raise click.UsageError("--workers is for the local executor; a Dask cluster reads with its own workers")
    address = scheduler or settings.executor.scheduler
    if not address:
        raise click.UsageError("--executor dask needs --scheduler ADDR (or executor.scheduler in pipeline.yaml)")
    return msgspec.structs.replace(
        settings, executor=msgspec.structs.replace(settings.executor, kind=chosen, scheduler=address)
    )


def _watch(settings: Settings, workers: int) -> None:
    """`run --watch`: the loop is `ingest/watch.py`'s; here its lines and the exit code."""
    import time

    from ..ingest.watch import watch

    said: set[str] = set()  # a caption waiting for its image is reported once, not every batch
    batches: list[pipeline.RunSummary] = []

    def say(line: str) -> None:
        if line not in said:
            said.add(line)
            click.echo(line, err=True)

    def on_batch(summary: pipeline.RunSummary) -> None:
        for prefix, lines in (("note", summary.notes), ("warning", summary.problems), ("error", summary.failed)):
            for line in lines:
                say(f"{prefix}: {line}")
        taken = (summary.ingested, summary.duplicates, summary.quarantined, summary.failed, summary.already_archived)
        if not any(taken) and not summary.interrupted and summary.stopped is None:
            return  # only files that stay (a caption waiting for its image, a file still changing): no batch
        batches.append(summary)
        click.echo(f"{time.strftime('%H:%M:%S')} batch {len(batches)}: {_counts(summary)}", err=True)

    click.echo(
        f"watching {settings.paths.inbox} (a file is taken once unchanged for {settings.watch.settle_seconds:g} s); "
        "Ctrl-C stops",
        err=True,
    )
    with errors():
        last = watch(settings, workers=workers, on_batch=on_batch, on_note=lambda line: say(f"note: {line}"))
    ingested = sum(len(summary.ingested) for summary in batches)
    click.echo(f"stopped watching: {len(batches)} batches, ingested {ingested}", err=True)
    if last is not None and last.stopped is not None:
        click.echo(f"error: {last.stopped}", err=True)
        sys.exit(1)
    if last is not None and last.interrupted:
        sys.exit(130)


def _counts(summary: pipeline.RunSummary) -> str:
    """`ingested 2, duplicates 0, ...; waiting for review 3 (1.2 s)`: a batch's one line."""
    parts = [
        f"ingested {len(summary.ingested)}",
        f"duplicates {len(summary.duplicates)}",
        f"quarantined {len(summary.quarantined)}",
        f"failed {len(summary.failed)}",
    ]
    if summary.already_archived:
        parts.append(f"already archived {len(summary.already_archived)}")
    text = ("interrupted: " if summary.interrupted else "") + ", ".join(parts)
    return f"{text}; waiting for review {summary.pending_review} ({summary.elapsed_seconds:.1f} s)"


def _write_report(path: Path, summary: pipeline.RunSummary) -> None:
    import dataclasses
    import json

    try:
        # Not dataclasses.asdict: it rebuilds the flags Counter from (key, value) pairs as keys.
        data = {field.name: getattr(summary, field.name) for field in dataclasses.fields(summary)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        click.echo(f"archive-ingest: error: --report {path}: {exc.strerror or exc}", err=True)
        sys.exit(1)


@contextmanager
def _progress_bar() -> Iterator[pipeline.Progress | None]:
    console = _stderr_console()
    if not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class _FilesPerMinuteColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed * 60:,.0f} files/min" if speed else "-- files/min", style="progress.data.speed")

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _FilesPerMinuteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingesting", total=None)

        def update(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=name[-40:] or "done")

        yield update


def _print_summary(summary: pipeline.RunSummary) -> None:
    for line in summary.notes:
        click.echo(f"note: {line}", err=True)
    for line in summary.problems:
        click.echo(f"warning: {line}", err=True)
    for line in summary.failed:
        click.echo(f"error: {line}", err=True)
    parts = [
        f"ingested {len(summary.ingested)}",
        f"duplicates {len(summary.duplicates)}",
        f"quarantined {len(summary.quarantined)}" + (f" ({len(summary.empty)} empty)" if summary.empty else ""),
        f"failed {len(summary.failed)}",
    ]
    if summary.already_archived:
        parts.append(f"already archived {len(summary.already_archived)}")
    click.echo(("interrupted: " if summary.interrupted else "") + ", ".join(parts), err=True)
    if summary.flags:
        flagged = ", ".join(f"{code} {count}" for code, count in sorted(summary.flags.items()))
        click.echo(f"flagged: {flagged}", err=True)
    click.echo(f"waiting for review: {summary.pending_review}; elapsed {summary.elapsed_seconds:.1f} s", err=True)


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path | None) -> None:
    """Make a new archive in FOLDER (default: this folder; made if missing).

    Writes FOLDER/pipeline.yaml (the settings, every key at its default and
    commented; paths in it are relative to FOLDER) and makes inbox/ (where scans
    and captions are dropped) and archive/ (where they are filed, with the
    catalog). The other commands then find the archive from FOLDER or any folder
    below it. Refused (exit 2, nothing changed) where a pipeline.yaml or a
    non-empty archive/ already is, or inside another archive's inbox or archive
    folder. An inbox/ already there (scans waiting) is kept.

    Example:

    \b
        archive-ingest init ~/graves
        archive-ingest init
    """
    from ..config import init_archive

    with errors():
        made = init_archive(folder if folder is not None else Path())
    click.echo(f"made a new archive in {made.folder}:", err=True)
    parts = (
        (made.config.name, made.config, "the settings, every key commented"),
        (made.inbox.name + "/", made.inbox, "drop scans and their captions here"),
        (made.archive.name + "/", made.archive, "originals, records and the catalog are filed here"),
    )
    for name, path, what in parts:
        kept = " (was there already; kept)" if path in made.kept else ""
        click.echo(f"  {name:<14} {what}{kept}", err=True)
    click.echo(
        f"next: drop scans into {made.inbox}, then run archive-ingest run in {made.folder} (or a folder in it)",
        err=True,
    )
