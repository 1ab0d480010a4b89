"""Shared pieces of the command line: where the archive is, output options, errors, printing.

Used by `cli.py` and `cli_review.py`; nothing here decides anything about records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from .config import Settings, load_settings
from .errors import IngestError
from .record import EventType, Record

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
    """`--config`, `--archive`: which archive, for every command (`run` adds `inbox_option`)."""
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


def inbox_option(func: F) -> F:
    """`--inbox`: only `run` reads the inbox."""
    return click.option(
        "--inbox",
        "inbox_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Inbox folder to ingest (overrides paths.inbox).",
    )(func)


def output_options(func: F) -> F:
    """`--json` for every command that lists records."""
    return click.option("--json", "as_json", is_flag=True, help="Print records as JSON (the record contract).")(func)


def settings_from(config_path: Path | None, archive_dir: Path | None, *, inbox_dir: Path | None = None) -> Settings:
    """The archive's settings: `--config`, else the pipeline.yaml found from here up (or exit 2)."""
    with errors():
        return load_settings(config_path, inbox=inbox_dir, archive=archive_dir)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def print_record(record: Record, settings: Settings, history: bool = False) -> None:
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
        ("inscription", (record.ocr.text or "-").replace("\n", " / ")),
        ("ocr confidence", f"{record.ocr.confidence}" if record.ocr.confidence is not None else "-"),
        ("place", f"{record.place.name} ({record.place.source})" if record.place else "-"),
        ("date", f"{record.date.value} ({record.date.source})" if record.date else "-"),
        ("date taken (EXIF)", record.exif.date_taken or "-"),
        ("camera", " ".join(filter(None, (record.exif.make, record.exif.model))) or "-"),
        ("gps", f"{record.exif.gps['lat']:.5f}, {record.exif.gps['lon']:.5f}" if record.exif.gps else "-"),
        ("credit", record.provenance.credit if record.provenance else "-"),
        ("review", record.review.status),
    ]
    for label, value in rows:
        out.print(f"  {label:<18} {value}", markup=False)
    for flag in record.flags:
        out.print(f"  flag {flag.code}: {flag.detail}", markup=False)
    for link in record.links:
        out.print(f"  link {link.type}: {link.id}", markup=False)
    if not history:
        out.print(f"  {len(record.events)} events (--history lists them)", markup=False)
        return
    out.print("  history:")
    for event in record.events:
        out.print(f"    {event.at} {event.type} by {event.agent} [{event.outcome}] {event.detail}", markup=False)
    first_values: dict[str, Any] = {}
    for event in record.events:
        if event.type == EventType.EDIT and event.field is not None:
            first_values.setdefault(event.field, event.old)
    if first_values:
        out.print("  changed by people (value as the pipeline read it -> now):")
        for name, original in first_values.items():
            out.print(f"    {name}: {json.dumps(original, ensure_ascii=False)}", markup=False)
