"""`archive-ingest review`: the queue of flagged records and the actions on it.

Thin over `review/__init__.py`: each command parses its arguments, calls one Reviewer method and
prints the result. Decisions and edits print one line to stderr; `--json` prints records.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import IngestError
from ..record import FlagCode
from .common import (
    archive_options,
    config_options,
    errors,
    output_options,
    print_json,
    print_links,
    print_people,
    settings_from,
)

if TYPE_CHECKING:
    # Imported when a command runs (the review module brings the catalog, the settings and
    # the gazetteer, 0.25 s): `review --help` should not wait for them.
    from ..config import Settings
    from ..record import Record
    from ..review import EditResult, Reviewer

F = TypeVar("F", bound=Callable[..., Any])

FLAG_CHOICE = click.Choice([code.value for code in FlagCode])


def by_option(func: F) -> F:
    return click.option(
        "--by", default=login_name, show_default="your login name", help="Who is acting (recorded in the events)."
    )(func)


def login_name() -> str:
    from ..review import login_name

    return login_name()


def _reviewer(settings: Settings, by: str) -> Reviewer:
    from ..review import Reviewer

    return Reviewer(settings, by)


def _print_queue(waiting: list[Record]) -> None:
    """A table on a terminal (as `search` prints); piped, one tab-separated line per record:
    id, ingested at, kind, file, and the flags as `code: detail` joined by `; `."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = Console(highlight=False)
    if out.is_terminal:
        table = Table(box=None)
        for name in ("id", "ingested", "kind"):
            table.add_column(name, no_wrap=True)
        table.add_column("file")
        table.add_column("flags")
        for record in waiting:
            reasons = "\n".join(f"{flag.code}: {flag.detail}" for flag in record.flags)
            cells = (record.id, record.source.ingested_at or "", record.kind, record.source.filename, reasons)
            table.add_row(*(Text(cell) for cell in cells))  # Text: a file name is never read as markup
        out.print(table)
        return
    for record in waiting:
        reasons = "; ".join(f"{flag.code}: {flag.detail}" for flag in record.flags)
        fields = (record.id, record.source.ingested_at or "", record.kind, record.source.filename, reasons)
        click.echo("\t".join(field.replace("\t", " ").replace("\n", " ") for field in fields))


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

    On a terminal a table; piped, one tab-separated line per record: id, ingested
    at, kind, file, and each flag with what was found (`code: detail`, joined by
    `; `). Then act on them with the subcommands below.

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
        from .. import catalog as catalog_module
        from ..review import queue

        waiting = queue(catalog_module.reader(settings.paths.catalog).all(), FlagCode(flag_code) if flag_code else None)
    if as_json:
        print_json([record.to_json() for record in waiting])
        return
    _print_queue(waiting)
    click.echo(f"{len(waiting)} waiting for review", err=True)


@review.command("show")
@click.argument("record_id")
@archive_options()
def review_show(record_id: str, settings: Settings) -> None:
    """Show a record for review: flags explained, caption beside inscription, image path.

    Example:

    \b
        archive-ingest review show 6ee92d55
    """
    with errors():
        from .. import catalog as catalog_module

        record = catalog_module.reader(settings.paths.catalog).require(record_id)
    _print_for_review(record, settings)


def _print_for_review(record: Record, settings: Settings) -> None:
    """`review show`: flags explained, caption beside inscription, the people and links as
    `show` prints them (`cli_common.print_people`, `print_links`), the image to open."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..review import FLAG_HELP

    out = Console(highlight=False, soft_wrap=True)
    image = settings.paths.archive / record.file.path if record.file.path else None
    out.print(f"{record.id}  {record.kind}  {record.source.filename}  [{record.review.status}]", markup=False)
    out.print(f"  open: {image or '(not filed)'}", markup=False)
    for flag in record.flags:
        out.print(f"  flag {flag.code}: {flag.detail}", markup=False)
        out.print(f"      {FLAG_HELP.get(flag.code, '')}", markup=False)
    side_by_side = Table("caption", "inscription as read", box=None, show_lines=False)
    side_by_side.add_row(Text(record.caption or "(none)"), Text(record.ocr.text or "(nothing read)"))
    out.print(side_by_side)
    print_people(out, record)
    place = f"{record.place.name} ({record.place.source})" if record.place else "-"
    date = f"{record.date.value} ({record.date.source})" if record.date else "-"
    out.print(f"  place: {place}; date: {date}", markup=False)
    print_links(out, record)


def _decision(record: Record, as_json: bool) -> None:
    if as_json:
        print_json(record.to_json())
    click.echo(f"{record.id}: {record.review.status} by {record.review.by}", err=True)


@review.command()
@click.argument("record_id")
@click.option("--note", default=None, help="Why (kept in the record's review and events).")
@by_option
@output_options
@archive_options()
def accept(
    record_id: str,
    note: str | None,
    by: str,
    as_json: bool,
    settings: Settings,
) -> None:
    """Accept a record: its reading is right, or right enough.

    Example:

    \b
        archive-ingest review accept 6ee92d55 --note "years checked on the photo"
    """
    with errors():
        record = _reviewer(settings, by).accept(record_id, note)
    _decision(record, as_json)


@review.command()
@click.argument("record_id")
@click.option("--note", required=True, help="Why the record is rejected.")
@by_option
@output_options
@archive_options()
def reject(
    record_id: str,
    note: str,
    by: str,
    as_json: bool,
    settings: Settings,
) -> None:
    """Reject a record (it stays in the archive, marked rejected, with the reason).

    Example:

    \b
        archive-ingest review reject 6ee92d55 --note "not a Soviet grave"
    """
    with errors():
        record = _reviewer(settings, by).reject(record_id, note)
    _decision(record, as_json)


@review.command()
@click.argument("record_id")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="A field to correct; repeatable.")
@click.option(
    "--remove", "removals", multiple=True, metavar="person.N", help="A person to remove (the whole entry); repeatable."
)
@by_option
@output_options
@archive_options()
def edit(
    record_id: str,
    assignments: tuple[str, ...],
    removals: tuple[str, ...],
    by: str,
    as_json: bool,
    settings: Settings,
) -> None:
    """Correct fields of a record; the checks that depend on them run again.

    Fields: caption, credit, kind, place (a gazetteer name in any script), date
    (YYYY, YYYY-MM, YYYY-MM-DD, 197x), person.N.name / name_latin / birth_year /
    death_year / birth_date / death_date / rank. N is the number 'review show'
    prints; person.FIELD means person 1; N one past the last adds a person, who
    needs a name. A name set here gets its Latin form (name_latin) as the
    pipeline makes one, unless name_latin is set too. --remove person.N removes
    a person (after the --set changes, so every N means the same person).

    An empty value clears a field (--set date=, --set place=, --set
    person.1.rank=); kind, credit and a person's name cannot be empty. A value
    equal to the one recorded changes nothing and is not recorded ("nothing
    changed"), except that a person's name, years or rank set to the same value
    are confirmed: they rest on the review then. All changes apply, or none.

    Example:

    \b
        archive-ingest review edit 6ee92d55 --set place=Wonsan --set person.1.death_year=1949
        archive-ingest review edit 6ee92d55 --set date= --remove person.2
    """
    with errors():
        done = _reviewer(settings, by).edit(record_id, list(assignments), list(removals))
    if as_json:
        print_json(done.record.to_json())
    _print_edit(done)


def _print_edit(done: EditResult) -> None:
    """One line per change (`ID: place: Pyongyang -> Wonsan`) and per assignment that changed nothing."""
    for change in done.changes:
        click.echo(f"{done.record.id}: {change.describe()}", err=True)
    for unchanged in done.unchanged:
        click.echo(f"{done.record.id}: {unchanged}; nothing changed", err=True)


@review.command()
@click.argument("record_id")
@click.argument("other_id")
@click.option("--note", default=None, help="Why (kept in the events).")
@by_option
@archive_options()
def merge(
    record_id: str,
    other_id: str,
    note: str | None,
    by: str,
    settings: Settings,
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
@archive_options()
def distinct(
    record_id: str,
    other_id: str,
    note: str | None,
    by: str,
    settings: Settings,
) -> None:
    """Record that two similar photos are different; later runs will not pair them again.

    Refused for two records merged together (exit 2); marking a pair again is a no-op.

    Example:

    \b
        archive-ingest review distinct 0b1c2d3e 6ee92d55
    """
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
@archive_options()
def review_next(flag_code: str | None, by: str, settings: Settings) -> None:
    """Work through the queue one record at a time: accept, reject, edit, skip or quit.

    Reads answers from the terminal (or standard input). Each decision and edit is
    committed at once, so quitting loses nothing. An edit is FIELD=VALUE (as
    'review edit --set' takes it) or 'remove person.N'. Ends with a line saying
    what was done, also at the end of the input (exit 0); Ctrl-C says it too,
    then exits 130.

    Example:

    \b
        archive-ingest review next --flag ocr_low_confidence
    """
    reviewer = _reviewer(settings, by)
    with errors():
        from .. import catalog as catalog_module
        from ..review import queue

        waiting = queue(catalog_module.reader(settings.paths.catalog).all(), FlagCode(flag_code) if flag_code else None)
    decided: list[str] = []
    edited: set[str] = set()
    try:
        _work_through(waiting, settings, reviewer, decided, edited)
    except click.Abort as exc:
        # click.prompt turns both the end of the input and Ctrl-C into Abort; the first is
        # a normal end (answers piped from a file), the second an interruption.
        if not isinstance(exc.__context__, EOFError):
            click.echo(_next_summary(waiting, decided, edited), err=True)
            raise
        click.echo("end of input", err=True)
    click.echo(_next_summary(waiting, decided, edited), err=True)


def _work_through(
    waiting: list[Record], settings: Settings, reviewer: Reviewer, decided: list[str], edited: set[str]
) -> None:
    """Prompt for each record of `waiting` until the last or `q`; ids go to `decided` and `edited`."""
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
                    from ..review.edit import EDITABLE

                    typed = click.prompt(f"FIELD=VALUE ({', '.join(EDITABLE)}), or remove person.N").strip()
                    removal = typed.removeprefix("remove").strip() if typed.startswith("remove ") else None
                    done = reviewer.edit(record.id, [] if removal else [typed], [removal] if removal else [])
                    _print_edit(done)
                    if done.changes:
                        edited.add(record.id)
                    continue  # more edits, then a decision
            except IngestError as exc:
                click.echo(f"archive-ingest: error: {exc}", err=True)
                continue
            break
        if answer == "q":
            return
        if answer in "ar":
            decided.append(record.id)


def _next_summary(waiting: list[Record], decided: list[str], edited: set[str]) -> str:
    return f"decided {len(decided)}, edited {len(edited)}; {len(waiting) - len(decided)} left in this queue"
