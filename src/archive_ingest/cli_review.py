"""`archive-ingest review`: the queue of flagged records and the actions on it.

Thin over `review.py`: each command parses its arguments, calls one Reviewer method and
prints the result. Decisions and edits print one line to stderr; `--json` prints records.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from . import catalog as catalog_module
from .cli_common import config_options, errors, output_options, print_json, settings_from
from .config import Settings
from .errors import IngestError
from .record import FlagCode, Record
from .review import EDITABLE, FLAG_HELP, Reviewer, login_name, queue

F = TypeVar("F", bound=Callable[..., Any])

FLAG_CHOICE = click.Choice([code.value for code in FlagCode])


def by_option(func: F) -> F:
    return click.option(
        "--by", default=login_name, show_default="your login name", help="Who is acting (recorded in the events)."
    )(func)


def _reviewer(settings: Settings, by: str) -> Reviewer:
    return Reviewer(settings, by)


def _queue_line(record: Record) -> str:
    reasons = "; ".join(f"{flag.code}: {flag.detail}" for flag in record.flags)
    return "\t".join((record.id, record.source.ingested_at or "", record.kind, record.source.filename, reasons))


@click.group(invoke_without_command=True)
@click.option("--flag", "flag_code", type=FLAG_CHOICE, help="Only records with this flag.")
@output_options
@config_options
@click.pass_context
def review(
    context: click.Context,
    flag_code: str | None,
    as_json: bool,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """List the records waiting for review, oldest first, with the reasons on each line.

    One line per record: id, ingested at, kind, file, and each flag with what was found.
    Then act on them with the subcommands below.

    Example:

    \b
        archive-ingest review --flag caption_conflict
        archive-ingest review show 6ee92d55
        archive-ingest review accept 6ee92d55 --note "checked against the photo"
    """
    if context.invoked_subcommand is not None:
        return
    settings = settings_from(config_path, archive_dir)
    with errors():
        waiting = queue(catalog_module.reader(settings.paths.catalog).all(), FlagCode(flag_code) if flag_code else None)
    if as_json:
        print_json([record.to_json() for record in waiting])
        return
    for record in waiting:
        click.echo(_queue_line(record))
    click.echo(f"{len(waiting)} waiting for review", err=True)


@review.command("show")
@click.argument("record_id")
@config_options
def review_show(record_id: str, config_path: Path | None, archive_dir: Path | None) -> None:
    """Show a record for review: flags explained, caption beside inscription, image path.

    Example:

    \b
        archive-ingest review show 6ee92d55
    """
    settings = settings_from(config_path, archive_dir)
    with errors():
        record = catalog_module.reader(settings.paths.catalog).require(record_id)
    _print_for_review(record, settings)


def _print_for_review(record: Record, settings: Settings) -> None:
    out = Console(highlight=False, soft_wrap=True)
    image = settings.paths.archive / record.file.path if record.file.path else None
    out.print(f"{record.id}  {record.kind}  {record.source.filename}  [{record.review.status}]", markup=False)
    out.print(f"  open: {image or '(not filed)'}", markup=False)
    for flag in record.flags:
        out.print(f"  flag {flag.code}: {flag.detail}", markup=False)
        out.print(f"      {FLAG_HELP.get(flag.code, '')}", markup=False)
    side_by_side = Table("caption", "inscription as read", box=None, show_lines=False)
    side_by_side.add_row(record.caption or "(none)", record.ocr.text or "(nothing read)")
    out.print(side_by_side)
    for number, person in enumerate(record.persons, start=1):
        years = person.life_span() or "?-?"
        sources = f"{person.source}; {person.sources.describe()}"
        out.print(f"  person.{number}: {person.name} ({person.name_latin or '-'}) {years} [{sources}]", markup=False)
    out.print(
        f"  place: {record.place.name if record.place else '-'}; date: {record.date.value if record.date else '-'}"
    )


def _decision(record: Record, as_json: bool) -> None:
    if as_json:
        print_json(record.to_json())
    click.echo(f"{record.id}: {record.review.status} by {record.review.by}", err=True)


@review.command()
@click.argument("record_id")
@click.option("--note", default=None, help="Why (kept in the record's review and events).")
@by_option
@output_options
@config_options
def accept(
    record_id: str,
    note: str | None,
    by: str,
    as_json: bool,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Accept a record: its reading is right, or right enough.

    Example:

    \b
        archive-ingest review accept 6ee92d55 --note "years checked on the photo"
    """
    settings = settings_from(config_path, archive_dir)
    with errors():
        record = _reviewer(settings, by).accept(record_id, note)
    _decision(record, as_json)


@review.command()
@click.argument("record_id")
@click.option("--note", required=True, help="Why the record is rejected.")
@by_option
@output_options
@config_options
def reject(
    record_id: str,
    note: str,
    by: str,
    as_json: bool,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Reject a record (it stays in the archive, marked rejected, with the reason).

    Example:

    \b
        archive-ingest review reject 6ee92d55 --note "not a Soviet grave"
    """
    settings = settings_from(config_path, archive_dir)
    with errors():
        record = _reviewer(settings, by).reject(record_id, note)
    _decision(record, as_json)


@review.command()
@click.argument("record_id")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="A field to correct; repeatable.")
@by_option
@output_options
@config_options
def edit(
    record_id: str,
    assignments: tuple[str, ...],
    by: str,
    as_json: bool,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Correct fields of a record; the checks that depend on them run again.

    Fields: caption, credit, kind, place (a gazetteer name in any script), date (YYYY,
    YYYY-MM, YYYY-MM-DD, 197x), person.N.name / name_latin / birth_year / death_year /
    birth_date / death_date / rank (N from 1; person.FIELD means person 1; N one past
    the last adds a person). All changes apply, or none.

    Example:

    \b
        archive-ingest review edit 6ee92d55 --set place=Wonsan --set person.1.death_year=1949
    """
    settings = settings_from(config_path, archive_dir)
    with errors():
        record, changes = _reviewer(settings, by).edit(record_id, list(assignments))
    if as_json:
        print_json(record.to_json())
    for change in changes:
        click.echo(f"{record.id}: {change.describe()}", err=True)


@review.command()
@click.argument("record_id")
@click.argument("other_id")
@click.option("--note", default=None, help="Why (kept in the events).")
@by_option
@config_options
def merge(
    record_id: str,
    other_id: str,
    note: str | None,
    by: str,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Record that RECORD_ID is the same photo as OTHER_ID (both files are kept).

    RECORD_ID is linked to OTHER_ID as merged into it, accepted, and leaves the
    queue. When OTHER_ID is itself merged into a third record, RECORD_ID is merged
    into that one. Refused (exit 2, nothing changed): a pair marked distinct, a
    RECORD_ID already merged into another record, a merge that would go round in a
    circle, a quarantined record. Merging again is a no-op.

    Example:

    \b
        archive-ingest review merge 0b1c2d3e 6ee92d55
    """
    settings = settings_from(config_path, archive_dir)
    with errors():
        done = _reviewer(settings, by).link(record_id, other_id, merge=True, note=note)
    record, other = done.record, done.other
    if not done.changed:
        click.echo(f"{record.id}: already merged into {other.id}; nothing changed", err=True)
    elif done.named != other.id:
        click.echo(f"{record.id}: merged into {other.id} ({done.named} is merged into {other.id})", err=True)
    else:
        click.echo(f"{record.id}: merged into {other.id}", err=True)


@review.command()
@click.argument("record_id")
@click.argument("other_id")
@click.option("--note", default=None, help="Why (kept in the events).")
@by_option
@config_options
def distinct(
    record_id: str,
    other_id: str,
    note: str | None,
    by: str,
    config_path: Path | None,
    archive_dir: Path | None,
) -> None:
    """Record that two similar photos are different; later runs will not pair them again.

    Refused for two records merged together (exit 2); marking a pair again is a no-op.

    Example:

    \b
        archive-ingest review distinct 0b1c2d3e 6ee92d55
    """
    settings = settings_from(config_path, archive_dir)
    with errors():
        done = _reviewer(settings, by).link(record_id, other_id, merge=False, note=note)
    record, other = done.record, done.other
    if not done.changed:
        click.echo(f"{record.id}: already marked distinct from {other.id}; nothing changed", err=True)
    else:
        click.echo(f"{record.id}: distinct from {other.id}", err=True)


@review.command("next")
@click.option("--flag", "flag_code", type=FLAG_CHOICE, help="Only records with this flag.")
@by_option
@config_options
def review_next(
    flag_code: str | None, by: str, config_path: Path | None, archive_dir: Path | None
) -> None:
    """Work through the queue one record at a time: accept, reject, edit, skip or quit.

    Reads answers from the terminal (or standard input). Each decision is committed
    at once, so quitting loses nothing.

    Example:

    \b
        archive-ingest review next --flag ocr_low_confidence
    """
    settings = settings_from(config_path, archive_dir)
    reviewer = _reviewer(settings, by)
    with errors():
        waiting = queue(catalog_module.reader(settings.paths.catalog).all(), FlagCode(flag_code) if flag_code else None)
    done = 0
    for position, record in enumerate(waiting, start=1):
        click.echo(f"-- {position} of {len(waiting)}")
        _print_for_review(record, settings)
        while True:
            answer = click.prompt(
                "[a]ccept, [r]eject, [e]dit, [s]kip, [q]uit", type=click.Choice(["a", "r", "e", "s", "q"])
            )
            try:
                if answer == "a":
                    note = click.prompt("note (optional)", default="", show_default=False)
                    _decision(reviewer.accept(record.id, note or None), as_json=False)
                elif answer == "r":
                    _decision(reviewer.reject(record.id, click.prompt("why rejected")), as_json=False)
                elif answer == "e":
                    assignment = click.prompt(f"FIELD=VALUE ({', '.join(EDITABLE)})")
                    record, changes = reviewer.edit(record.id, [assignment])
                    for change in changes:
                        click.echo(f"{record.id}: {change.describe()}", err=True)
                    continue  # more edits, then a decision
            except IngestError as exc:
                click.echo(f"archive-ingest: error: {exc}", err=True)
                continue
            break
        if answer == "q":
            break
        if answer in "ar":
            done += 1
    click.echo(f"decided {done}; {len(waiting) - done} left in this queue", err=True)
