"""The `archive-ingest` command: parse arguments, call the library, print.

JSON goes to stdout; progress, messages and summaries go to stderr. Exit codes follow
DESIGN.md: 0 done (flags and quarantined files are normal outcomes), 2 bad usage or a bad
`pipeline.yaml`, 3 the catalog is locked, 1 an internal error, 130 interrupted.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from .common import config_options, errors, inbox_option, output_options, print_json, settings_from
from .review import review
from .site import site

if TYPE_CHECKING:
    # Each command imports what it needs when it runs (the settings with PyYAML, the
    # catalog, rich, the pipeline with pytesseract and numpy): `--version`, `--help` and
    # `show` should not pay for what `run` needs (issue 13, item 14; `benchmarks/search.py`).
    from rich.console import Console

    from ..ingest import pipeline
    from ..record import Record

#: The console `run`'s progress bar draws on (stderr); made on first use (rich costs 50 ms
#: to import), or set here by a test that wants to see the bar.
err_console: Console | None = None


def _stderr_console() -> Console:
    global err_console
    if err_console is None:
        from rich.console import Console

        err_console = Console(stderr=True, highlight=False)
    return err_console


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive-ingest")
@click.option("-v", "--verbose", is_flag=True, help="Log what each stage does.")
def cli(verbose: bool) -> None:
    """Turn a folder of scanned photos into a preserved, searchable archive.

    An archive is a folder holding a pipeline.yaml (archive-ingest init makes one).
    Every command works on the archive of the folder it runs in, or of the nearest
    folder above it that holds one (or on --config FILE), and refuses (exit 2)
    where there is none. Drop scans (JPEG, PNG, TIFF, WebP) and captions (name.txt
    beside name.jpg, or a captions.csv manifest) into its inbox, then:

    \b
        archive-ingest init ~/graves
        archive-ingest run
        archive-ingest search Тён
        archive-ingest show 3f2a9c0d1e4b5a67
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="archive-ingest: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )


@cli.command()
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes reading files in parallel (OCR, one tesseract thread each). [default: the number of cores]",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary as JSON to this file: counts, ids, seconds per stage and per OCR pass.",
)
@inbox_option
@config_options
def run(
    workers: int | None, report: Path | None, config_path: Path | None, archive_dir: Path | None, inbox_dir: Path | None
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

    Example:

    \b
        archive-ingest run
        archive-ingest run --inbox ~/scans/2026-11 --workers 1
        archive-ingest run --config /srv/graves/pipeline.yaml
    """
    from ..ingest import pipeline
    from ..ingest.workers import default_workers

    settings = settings_from(config_path, archive_dir, inbox_dir=inbox_dir)
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


@cli.command()
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


@cli.command()
@click.argument("record_id")
@click.option("--history", is_flag=True, help="List every event, and what people changed of what was read.")
@output_options
@config_options
def show(
    record_id: str,
    history: bool,
    as_json: bool,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Show one record (an id or a unique prefix of one).

    Example:

    \b
        archive-ingest show 3f2a9c0d --history
        archive-ingest show 3f2a9c0d --json
    """
    from .. import catalog as catalog_module
    from .common import print_record

    settings = settings_from(config_path, archive_dir)
    with errors():
        record = catalog_module.reader(settings.paths.catalog).require(record_id)
    if as_json:
        print_json(record.to_json())
        return
    print_record(record, settings, history)


class QueryCommand(click.Command):
    """A command whose arguments are the words of a query, any of which may start with `-`.

    Click reads every `-x` as an option, so `search -Тён` and `search -flag:duplicate`
    failed. Here an argument is an option only when it is one of the command's own
    (`--json`, `--limit 5`, `--limit=5`, `-h`); `--` ends the options; an unknown
    `--word` stays click's error ("No such option", with a suggestion: most likely a
    mistyped option, and no query word starts with two dashes). Every other argument,
    `-Тён` and `-"a phrase"` included, is a word of the query.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not param.is_flag and not param.count
        options: list[str] = []
        words: list[str] = []
        pending = iter(args)
        for arg in pending:
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if arg == "--":
                words.extend(pending)
            elif name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg:
                    value = next(pending, None)
                    if value is None:  # `--limit` last: click says it needs a value
                        return super().parse_args(ctx, options)
                    options.append(value)
            elif arg.startswith("--") and len(arg) > 2:
                options.append(arg)  # an unknown option: click names it and suggests the nearest
            else:
                words.append(arg)
        return super().parse_args(ctx, [*options, "--", *words])


@cli.command(cls=QueryCommand)
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most N records (the best).")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date", "name"]),
    default="relevance",
    show_default=True,
    help="Order: best match first; photo date, oldest first; first person's Latin name.",
)
@click.option("--csv", "as_csv", is_flag=True, help="Print a CSV table (one row per record) instead.")
@click.option("--bom", is_flag=True, help="With --csv: start with a UTF-8 byte order mark (for Excel).")
@click.option("--count", "count_only", is_flag=True, help="Print only how many records match.")
@output_options
@config_options
def search(
    query: tuple[str, ...],
    limit: int | None,
    sort: str,
    as_csv: bool,
    bom: bool,
    count_only: bool,
    as_json: bool,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Find records: free words, "phrases", -exclusions and fields, in any script.

    \b
    Every free word must match, from a word's start, in a caption, an
    inscription, a person's name, the place or the file name, in any script:
    Tyon finds Тён, Nikolai finds Николай, Chongjin finds 청진 and
    Чхонджине, Rason finds Rajin, 렬사 finds 열사, and a long word
    finds the same word with one or two letters misread by OCR.
    "quoted words" must follow each other; -word leaves records out.

    \b
    The query is one argument or several (search Tyon Ivan), joined by
    spaces. A word may start with - (search -flag:duplicate kind:headstone):
    only this command's own options below (and -h) are read as options;
    after -- everything is the query.

    \b
    Fields (a year, or a range such as 1945..1950, ..1945, 1950..):
      place:Chongjin      person:"Han Yang Hui"   credit:embassy
      born:1898  died:1945..1950  year:1945 (any year)  taken:1978 (EXIF)
      kind:headstone  status:pending  flag:ocr_low_confidence
      has:gps|caption|inscription|person|place|date|taken|flags

    Hits come best first: records matched without OCR tolerance, then by
    where the words matched (place, name, caption, inscription, file name).
    The last column says why each matched; --json prints the records (the
    record contract) and --csv a table. A bad query exits 2: an unknown
    field, a bad year or date, a place the gazetteer does not know (with
    the nearest names), or a query with nothing to search for.

    Example:

    \b
        archive-ingest search Tyon died:1949
        archive-ingest search -flag:duplicate kind:headstone place:Pyongyang --sort date
        archive-ingest search 'person:"Kim Shura"' --json
        archive-ingest search лейтенант --csv --bom > lieutenants.csv
        archive-ingest search status:pending --count
    """
    if sum((as_json, as_csv, count_only)) > 1:
        raise click.UsageError("choose one of --json, --csv and --count")
    if bom and not as_csv:
        raise click.UsageError("--bom goes with --csv (a byte order mark for spreadsheets)")
    from ..search import search_catalog
    from ..text.places import Gazetteer

    settings = settings_from(config_path, archive_dir)
    with errors():
        gazetteer = Gazetteer.load(settings.places.gazetteer)
        result = search_catalog(  # listings show no events: only --json reads them
            settings.paths.catalog,
            " ".join(query),
            gazetteer,
            sort=sort,
            limit=limit,
            count_only=count_only,
            events=as_json,
        )
    if count_only:
        click.echo(str(result.total))
        return
    if as_json:
        print_json([hit.record.to_json() for hit in result.hits])
    elif as_csv:
        _print_csv(result.hits, bom=bom)
    else:
        _print_hits(result.hits)
    shown, total = len(result.hits), result.total
    noun = "record" if total == 1 else "records"
    click.echo(f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}", err=True)


def _print_hits(hits: list[Any]) -> None:
    import textwrap

    from rich.console import Console
    from rich.table import Table

    out = Console(highlight=False)
    if out.is_terminal:
        table = Table("id", "kind", "place", "file", "caption / inscription", "why", box=None)
        for hit in hits:
            record = hit.record
            table.add_row(
                record.id,
                record.kind,
                _place_name(record),
                record.source.filename,
                textwrap.shorten(_snippet(record), 60, placeholder=" …"),  # cut at a word
                ", ".join(hit.reasons),
            )
        out.print(table)
        return
    for hit in hits:
        record = hit.record
        fields = (record.id, record.kind, _place_name(record), record.source.filename, ", ".join(hit.reasons))
        click.echo("\t".join((*fields, _snippet(record))))


def _print_csv(hits: list[Any], *, bom: bool) -> None:
    import io

    from ..exports.csv_rows import SEARCH_COLUMNS, write_csv

    reasons = {hit.record.id: hit.reasons for hit in hits}
    # UTF-8 bytes whatever the locale, as `export --format csv` writes them.
    sys.stdout.flush()
    text = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8-sig" if bom else "utf-8", newline="", write_through=True)
    try:
        write_csv(text, [hit.record for hit in hits], SEARCH_COLUMNS, reasons=reasons)
    finally:
        text.flush()
        text.detach()  # leave stdout open: it is click's


def _place_name(record: Record) -> str:
    return record.place.name if record.place else ""


def _snippet(record: Record) -> str:
    return (record.caption or record.ocr.text or "").replace("\n", " / ").replace("\t", " ")


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "dc", "bagit"]),
    default="json",
    show_default=True,
    help="json: the record contract; csv: one row per record; dc: Dublin Core XML (oai_dc); bagit: a BagIt bag.",
)
@click.option("--query", help='Export only what this search finds (the search language: "place:Chongjin").')
@click.option(
    "--out", type=click.Path(path_type=Path), help="The file to write (default: stdout); for bagit, the bag's folder."
)
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 byte order mark (for Excel).")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="csv, dc: include quarantined and rejected records too (json and bagit always do).",
)
@config_options
def export(
    fmt: str,
    query: str | None,
    out: Path | None,
    bom: bool,
    everything: bool,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Export the catalog, or what a query finds: JSON, CSV, Dublin Core or a BagIt bag.

    \b
    json   the records (the record contract, with their events)
    csv    one row per record, documented columns; --bom for Excel
    dc     <records> of oai_dc:dc elements (Dublin Core, as OAI-PMH serves it)
    bagit  a BagIt bag in the folder --out: the originals bit for bit, caption
           files, OCR words and records/<id>.json, with SHA-256 manifests

    csv and dc are for publishing: they hold only what may be published, no
    quarantined and no rejected records (--all includes them). json and bagit are
    for backup and hand-over: every record the query selects, with its events
    (who reviewed it and their notes).

    CSV cells that a spreadsheet would run as a formula (=, +, -, @) start with
    '. The archive is only read (a read-only one too). A bad query exits 2, as in
    search, and so does an --out in a folder you cannot write.

    Example:

    \b
        archive-ingest export --format json --out catalog-export.json
        archive-ingest export --format csv --bom --query "place:Chongjin" --out chongjin.csv
        archive-ingest export --format dc --query "status:accepted" --out accepted.xml
        archive-ingest export --format bagit --query "kind:headstone" --out headstones-bag
    """
    from ..exports import PUBLISHING_FORMATS, published_only, select_records, withheld_note, write_file, write_stream

    if fmt == "bagit" and out is None:
        raise click.UsageError("--format bagit needs --out FOLDER (the bag is a folder)")
    settings = settings_from(config_path, archive_dir)
    withheld = 0
    with errors():
        if out is not None:
            from ..exports import check_out

            check_out(out, fmt)  # before the search: refuse at once
        if fmt == "bagit":
            from ..exports.bag import check_target, make_bag

            assert out is not None
            check_target(out)  # before the search: refuse at once
            records = select_records(settings, query)
            make_bag(records, out, settings, query=query)
        else:
            records = select_records(settings, query, events=fmt == "json")
            if fmt in PUBLISHING_FORMATS and not everything:
                records, withheld = published_only(records)
            if out is None:
                sys.stdout.flush()
                write_stream(fmt, records, sys.stdout.buffer, settings, bom=bom)
            else:
                write_file(fmt, records, out, settings, bom=bom)
    if withheld:
        click.echo(withheld_note(withheld), err=True)
    if out is None:
        return
    noun = "record" if len(records) == 1 else "records"
    click.echo(f"wrote {len(records)} {noun} to {out}", err=True)


@cli.command()
@click.option(
    "--fast",
    is_flag=True,
    help="Compare each file's size with its record's instead of re-hashing (captions, being small, are "
    "re-hashed): quick, catches truncation, not a flipped bit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--no-record",
    is_flag=True,
    help="Only read: record no fixity check events, create no lock (as on an archive you cannot write).",
)
@config_options
def verify(fast: bool, as_json: bool, no_record: bool, config_path: Path | None, archive_dir: Path | None) -> None:
    """Audit the archive: re-hash every file the catalog lists; report what is wrong.

    Checks each record's original (sha256 and size), caption file, OCR words file, access
    copy and thumbnail (size, and that they decode) and record sidecar, and finds files under
    the archive that no record references. With --fast, a file whose record was filed
    before sizes were recorded (access copies, thumbnails, OCR words) is only found, and a
    note says how many. Every
    problem is listed (one line each: the path and what is wrong), then a summary; each
    record gets a "fixity check" event, unless --no-record. An archive you cannot write
    (a backup, a read-only mount, another user's) is checked without recording, after
    one line saying so. Exits 0 when all is well, 1 when anything is missing, altered,
    of the wrong size or unexpected, 3 when another process is writing the catalog.

    Example:

    \b
        archive-ingest verify
        archive-ingest verify --fast --json
        archive-ingest verify --no-record --config /media/backup/graves/pipeline.yaml
    """
    from ..verify import VerificationFailed
    from ..verify import verify as verify_archive

    settings = settings_from(config_path, archive_dir)
    with errors():
        report = verify_archive(settings, fast=fast, record=not no_record)
        if report.not_recorded:
            click.echo(f"note: {report.not_recorded}", err=True)
        unsized = report.unsized_note()
        if unsized:
            click.echo(f"note: {unsized}", err=True)
        if as_json:
            print_json(report.to_json())
        else:
            for problem in report.problems:
                click.echo(problem.line())
        if not report.ok:
            raise VerificationFailed(report.summary())
    click.echo(report.summary(), err=True)


@cli.group()
def catalog() -> None:
    """Look after the catalog file.

    Example:

    \b
        archive-ingest catalog rebuild
    """


@catalog.command()
@click.option("--force", is_flag=True, help="Rebuild a healthy catalog too, without asking.")
@config_options
def rebuild(force: bool, config_path: Path | None, archive_dir: Path | None) -> None:
    """Rebuild the catalog from the record sidecars (records/ab/<id>.json).

    Use it when the catalog is lost, truncated or corrupt. Every valid sidecar becomes a
    record; a bad one is reported and skipped; records of a still-readable old catalog
    with no sidecar are kept. A healthy catalog (it parses, every record readable) is
    replaced only when you say so: on a terminal you are asked, else it needs --force
    (exit 2 without). The old catalog file is kept as catalog.json.bak.before-rebuild, or,
    when an earlier rebuild kept one, as catalog.json.bak.before-rebuild.1, .2, ...: none
    is overwritten.

    Example:

    \b
        archive-ingest catalog rebuild --archive /srv/archive
        archive-ingest catalog rebuild --force
    """
    from ..catalog.rebuild import healthy_line, healthy_records
    from ..catalog.rebuild import rebuild as rebuild_catalog

    settings = settings_from(config_path, archive_dir)
    with errors():
        if not force and _on_a_terminal():
            records = healthy_records(settings.paths.catalog)
            if records is not None:
                click.echo(healthy_line(settings.paths.catalog, records), err=True)
                if not click.confirm("Rebuild it anyway?", default=False, err=True):
                    click.echo("catalog rebuild: nothing changed", err=True)
                    return
                force = True
        report = rebuild_catalog(settings, force=force)
    for bad in report.bad:
        click.echo(f"warning: {bad.line()}", err=True)
    click.echo(report.summary(), err=True)


def _on_a_terminal() -> bool:
    """Whether a question can be asked: standard input and error are a terminal."""
    return sys.stdin.isatty() and sys.stderr.isatty()


cli.add_command(review)
cli.add_command(site)


def main() -> None:
    """Console-script entry point: our exit codes, and one line for an unexpected error."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("archive-ingest: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("archive-ingest: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        logging.getLogger(__name__).info("internal error", exc_info=True)
        click.echo(f"archive-ingest: internal error: {exc!r} (run with -v for details)", err=True)
        sys.exit(1)
