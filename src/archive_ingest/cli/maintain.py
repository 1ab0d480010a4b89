"""`archive-ingest verify` and `catalog rebuild`: the fixity audit, and a catalog made
again from the record sidecars."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from .common import archive_options, errors, print_json

if TYPE_CHECKING:
    # Each command imports what it needs when it runs (the settings with PyYAML, the
    # catalog, rich, the pipeline with pytesseract and numpy): `--version`, `--help` and
    # `show` should not pay for what `run` needs (issue 13, item 14; `benchmarks/search.py`).
    from ..config import Settings

    pass


@click.command()
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
@archive_options()
def verify(fast: bool, as_json: bool, no_record: bool, settings: Settings) -> None:
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


@click.group()
def catalog() -> None:
    """Look after the catalog file.

    Example:

    \b
        archive-ingest catalog rebuild
    """


@catalog.command()
@click.option("--force", is_flag=True, help="Rebuild a healthy catalog too, without asking.")
@archive_options()
def rebuild(force: bool, settings: Settings) -> None:
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
