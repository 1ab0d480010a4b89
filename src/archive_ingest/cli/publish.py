"""`archive-ingest export`: the catalog as JSON, CSV, Dublin Core, a BagIt bag or a IIIF publication."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import archive_options, errors

if TYPE_CHECKING:
    # Each command imports what it needs when it runs (the settings with PyYAML, the
    # catalog, rich, the pipeline with pytesseract and numpy): `--version`, `--help` and
    # `show` should not pay for what `run` needs (issue 13, item 14; `benchmarks/search.py`).
    from ..config import Settings

    pass


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "dc", "bagit", "iiif"]),
    default="json",
    show_default=True,
    help="json: the record contract; csv: one row per record; dc: Dublin Core XML (oai_dc); bagit: a BagIt bag; "
    "iiif: IIIF manifests and image tiles.",
)
@click.option("--query", help='Export only what this search finds (the search language: "place:Chongjin").')
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="The file to write (default: stdout); for bagit, the bag's folder; for iiif, the publication's folder.",
)
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 byte order mark (for Excel).")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="csv, dc: include quarantined and rejected records too (json and bagit always do).",
)
@click.option("--base-url", help="iiif: the URL the folder --out is served at (the manifests' ids start with it).")
@click.option("--site-url", help="iiif: the URL the static site (archive-ingest site) is served at, to link to.")
@archive_options()
def export(
    fmt: str,
    query: str | None,
    out: Path | None,
    bom: bool,
    everything: bool,
    base_url: str | None,
    site_url: str | None,
    settings: Settings,
) -> None:
    """Export the catalog, or what a query finds: JSON, CSV, Dublin Core, a BagIt bag or IIIF.

    \b
    json   the records (the record contract, with their events)
    csv    one row per record, documented columns; --bom for Excel
    dc     <records> of oai_dc:dc elements (Dublin Core, as OAI-PMH serves it)
    bagit  a BagIt bag in the folder --out: the originals bit for bit, caption
           files, OCR words and records/<id>.json, with SHA-256 manifests
    iiif   a static IIIF publication in the folder --out, to be served at
           --base-url: collection.json, a Presentation 3 manifest per record
           (label, metadata, credit line, link to the site's page with
           --site-url) and its picture as level-0 Image API 3 tiles, for
           Mirador, Universal Viewer or Omeka S. Run it again to update the
           folder: only what changed is written

    csv, dc and iiif are for publishing: they hold only what may be published, no
    quarantined and no rejected records (--all includes them for csv and dc). json and bagit are
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
        archive-ingest export --format iiif --out iiif --base-url https://example.org/iiif
    """
    from ..exports import PUBLISHING_FORMATS, published_only, select_records, withheld_note, write_file, write_stream

    if fmt == "bagit" and out is None:
        raise click.UsageError("--format bagit needs --out FOLDER (the bag is a folder)")
    if fmt == "iiif":
        _iiif(query, out, bom, everything, base_url, site_url, settings)
        return
    if base_url is not None or site_url is not None:
        raise click.UsageError(f"--{'base' if base_url is not None else 'site'}-url is for --format iiif only")
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


def _iiif(
    query: str | None,
    out: Path | None,
    bom: bool,
    everything: bool,
    base_url: str | None,
    site_url: str | None,
    settings: Settings,
) -> None:
    """`export --format iiif`: checks first (usage, then --out, before the catalog is read),
    then the published records' IIIF publication, then the summary."""
    if out is None or base_url is None:
        raise click.UsageError("--format iiif needs --out FOLDER and --base-url URL (where FOLDER will be served)")
    if bom or everything:
        option = "--bom" if bom else "--all"
        raise click.UsageError(f"{option} is not for --format iiif (it publishes only what may be published)")
    from ..exports import published_only, select_records
    from ..exports.iiif import check_base_url, check_target, export_iiif

    with errors():
        check_base_url(base_url)
        if site_url is not None:
            check_base_url(site_url, "--site-url")
        check_target(out, settings)
        records, withheld = published_only(select_records(settings, query, events=False))
        report = export_iiif(records, out, settings, base_url=base_url, site_url=site_url)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    if withheld:
        noun = "record" if withheld == 1 else "records"
        click.echo(f"left out {withheld} {noun} not for publication (quarantined or rejected)", err=True)
    click.echo(report.summary(out), err=True)
