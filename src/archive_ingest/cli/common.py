"""Shared pieces of the command line: where the archive is, output options, errors, printing.

Used by `cli/__init__.py` and `cli/review.py`; nothing here decides anything about records.
"""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import IngestError

if TYPE_CHECKING:
    # Imported where they are used (the settings, with PyYAML and msgspec, cost 20 ms):
    # `--version` and `--help` import nothing but click and the commands' definitions.
    from rich.console import Console

    from ..config import Settings
    from ..record import Person, Record

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """A ClickException with our exit code (plain ClickException exits 1, our internal-error code)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it as a class default

    def show(self, file: Any = None) -> None:
        click.echo(f"archive-ingest: error: {self.format_message()}", err=True)


@contextmanager
def errors() -> Iterator[None]:
    try:
        yield
    except IngestError as exc:
        raise CommandError(str(exc), exc.exit_code) from exc


def config_options(func: F) -> F:
    """`--config`, `--archive`: which archive, as the parameters `config_path` and `archive_dir`.

    Only the `review` group takes them so (it loads the settings only when no subcommand
    follows, which has its own); every command takes `archive_options`."""
    func = click.option(
        "--archive",
        "archive_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Archive folder (overrides paths.archive; the catalog moves with it).",
    )(func)
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The archive's pipeline.yaml [default: the one in this folder or the nearest folder above].",
    )(func)
    return func


def archive_options(*, inbox: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--config`, `--archive` (and `--inbox`, for `run` only) for a command that works on an
    archive: the command is called with `settings`, the archive's settings they point at,
    loaded when it runs (a folder with no archive is one line and exit 2)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def with_settings(
            *args: Any, config_path: Path | None, archive_dir: Path | None, inbox_dir: Path | None = None, **kwargs: Any
        ) -> Any:
            return func(*args, settings=settings_from(config_path, archive_dir, inbox_dir=inbox_dir), **kwargs)

        command: Callable[..., Any] = with_settings
        if inbox:
            command = click.option(
                "--inbox",
                "inbox_dir",
                type=click.Path(file_okay=False, path_type=Path),
                help="Inbox folder to ingest (overrides paths.inbox).",
            )(command)
        return config_options(command)

    return decorate


def output_options(func: F) -> F:
    """`--json` for every command that lists records."""
    return click.option("--json", "as_json", is_flag=True, help="Print records as JSON (the record contract).")(func)


def settings_from(config_path: Path | None, archive_dir: Path | None, *, inbox_dir: Path | None = None) -> Settings:
    """The archive's settings: `--config`, else the pipeline.yaml found from here up (or exit 2)."""
    from ..config import load_settings

    with errors():
        return load_settings(config_path, inbox=inbox_dir, archive=archive_dir)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


#: Where `print_record`'s values start: two spaces, an 18-character label, a space.
_VALUE_COLUMN = 21


def print_record(record: Record, settings: Settings, history: bool = False) -> None:
    """`show`: the record's fields, people, flags and links; with `history`, every event and
    what people changed of what the pipeline read (`old -> new`, in words)."""
    from rich.console import Console

    from ..review.history import changes_by_people

    out = Console(highlight=False, soft_wrap=True)
    out.print(f"[bold]{record.id}[/bold]  {record.kind}  {record.source.filename}")
    rows = [
        ("file", str(settings.paths.archive / record.file.path) if record.file.path else "-"),
        (
            "format",
            f"{record.file.format or '?'} {record.file.width or '?'}x{record.file.height or '?'}, "
            f"{record.file.bytes:,} bytes",
        ),
        ("sha256", record.file.sha256),
        ("caption", record.caption or "-"),
        ("inscription", record.ocr.text or "-"),
        ("ocr confidence", f"{record.ocr.confidence}" if record.ocr.confidence is not None else "-"),
        ("place", f"{record.place.name} ({record.place.source})" if record.place else "-"),
        ("date", f"{record.date.value} ({record.date.source})" if record.date else "-"),
        ("date taken (EXIF)", record.exif.date_taken or "-"),
        ("camera", " ".join(filter(None, (record.exif.make, record.exif.model))) or "-"),
        ("gps", f"{record.exif.gps['lat']:.5f}, {record.exif.gps['lon']:.5f}" if record.exif.gps else "-"),
        ("credit", record.provenance.credit if record.provenance else "-"),
        *_page_rows(record),
        ("review", record.review.status),
    ]
    wrap_at = out.width if out.is_terminal else None
    for label, value in rows:
        for line in aligned(label, value, wrap_at):
            out.print(line, markup=False)
    print_people(out, record)
    for flag in record.flags:
        out.print(f"  flag {flag.code}: {flag.detail}", markup=False)
    print_links(out, record)
    if not history:
        out.print(f"  {len(record.events)} events (--history lists them)", markup=False)
        return
    out.print("  history:")
    for event in record.events:
        detail = " / ".join(event.detail.splitlines())
        out.print(f"    {event.at} {event.type} by {event.agent} [{event.outcome}] {detail}", markup=False)
    changed = changes_by_people(record.events)
    if changed:
        out.print("  changed by people (value as the pipeline read it -> now):")
        for change in changed:
            out.print(f"    {change.describe()}", markup=False)


def _page_rows(record: Record) -> list[tuple[str, str]]:
    """The saved web page the picture came with: where, and whose words its caption holds."""
    page = record.source.page
    if page is None:
        return []
    where = " ".join(filter(None, (page.title, f"<{page.url}>" if page.url else None, page.published)))
    rows = [("web page", f"{page.file}: {where}" if where else page.file)]
    if page.quote:
        rows.append(("  quoting", f"{page.quote} ({page.quote_by})" if page.quote_by else page.quote))
    if page.commentary:
        by = f" ({page.commentary_by})" if page.commentary_by else ""
        rows.append(("  commentary", page.commentary + by))
    return rows


def aligned(label: str, value: str, wrap_at: int | None = None) -> list[str]:
    """`  label              value`, each further line of the value indented under the value.

    `wrap_at` (a terminal's width) also wraps long lines at spaces; piped output is not
    wrapped, so a line holds a whole line of the value for grep.
    """
    lines = value.splitlines() or [""]
    if wrap_at is not None and wrap_at - _VALUE_COLUMN >= 20:
        width = wrap_at - _VALUE_COLUMN
        lines = [part for line in lines for part in textwrap.wrap(line, width, break_long_words=False) or [""]]
    first = f"  {label:<{_VALUE_COLUMN - 3}} {lines[0]}"
    return [first, *(" " * _VALUE_COLUMN + line for line in lines[1:])]


def person_line(number: int, person: Person) -> str:
    """`person.1: ТЁН ИВАН (Tyon Ivan) 1884-1949, лейтенант [caption+ocr; name both, years both]`:
    the name as written, its Latin form, life span or dates, rank, and where each came from
    (the entry's `source`, then the per-field `sources`)."""
    text = f"person.{number}: {person.name}"
    if person.name_latin and person.name_latin != person.name:
        text += f" ({person.name_latin})"
    if person.birth_date or person.death_date:
        born, died = person.birth_date or person.birth_year or "?", person.death_date or person.death_year or "?"
        text += f" {born} – {died}"
    elif person.has_years:
        text += f" {person.life_span()}"
    if person.rank:
        text += f", {person.rank}"
    sources = person.sources.describe()
    return f"{text} [{person.source}{'; ' + sources if sources else ''}]"


def print_people(out: Console, record: Record) -> None:
    """The record's people, one `person_line` each (the numbers `review edit` takes): the
    same lines in `show` and `review show`."""
    for number, person in enumerate(record.persons, start=1):
        out.print(f"  {person_line(number, person)}", markup=False)
    if not record.persons:
        out.print("  persons: none named", markup=False)


def print_links(out: Console, record: Record) -> None:
    """`  link merged_into: ID`, one line per link, in `show` and `review show`."""
    for link in record.links:
        out.print(f"  link {link.type}: {link.id}", markup=False)
