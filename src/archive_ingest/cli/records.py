"""`archive-ingest show` and `search`: one record, and the records a query finds."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from .common import archive_options, errors, output_options, print_json

if TYPE_CHECKING:
    # Each command imports what it needs when it runs (the settings with PyYAML, the
    # catalog, rich, the pipeline with pytesseract and numpy): `--version`, `--help` and
    # `show` should not pay for what `run` needs (issue 13, item 14; `benchmarks/search.py`).
    from ..config import Settings
    from ..record import Record


@click.command()
@click.argument("record_id")
@click.option("--history", is_flag=True, help="List every event, and what people changed of what was read.")
@output_options
@archive_options()
def show(
    record_id: str,
    history: bool,
    as_json: bool,
    settings: Settings,
) -> None:
    """Show one record (an id or a unique prefix of one).

    Example:

    \b
        archive-ingest show 3f2a9c0d --history
        archive-ingest show 3f2a9c0d --json
    """
    from .. import catalog as catalog_module
    from .common import print_record

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


@click.command(cls=QueryCommand)
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
@archive_options()
def search(
    query: tuple[str, ...],
    limit: int | None,
    sort: str,
    as_csv: bool,
    bom: bool,
    count_only: bool,
    as_json: bool,
    settings: Settings,
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
