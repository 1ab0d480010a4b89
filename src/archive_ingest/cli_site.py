"""`archive-ingest site OUT_DIR`: write the catalog as a static website.

Thin over `site/builder.py`, which owns the pages and how OUT_DIR is written; this module
parses the arguments and prints the summary (to stderr, like every message).
"""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import config_options, errors, settings_from


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default=None, help="The site's title (shown on every page).")
@config_options
def site(
    out_dir: Path, title: str | None, config_path: Path | None, inbox_dir: Path | None, archive_dir: Path | None
) -> None:
    """Write the catalog as a static website into OUT_DIR: open OUT_DIR/index.html.

    \b
    No server is needed: the pages open from disk (file://), offline. A grid of
    thumbnails with kind, place and years; filter pages by place, kind, decade
    and review status (browsing works with JavaScript off); a search box that
    finds words in any script as `search` does (Tyon finds Тён, Chongjin finds
    청진), without OCR tolerance or fields; a page per record (photo with its
    credit and rights, caption beside inscription, people, place, flags,
    history) and per place (its graves and monuments).

    OUT_DIR must be empty or new, or hold a site made by this command, which is
    then replaced. Access copies are copied from the archive, or made from the
    originals for records that have none; the archive is never changed.

    Example:

    \b
        archive-ingest site ~/archive-site
        archive-ingest site /media/usb/site --title "Soviet graves in the DPRK"
    """
    from .site.builder import DEFAULT_TITLE, build_site

    settings = settings_from(config_path, inbox_dir, archive_dir)
    with errors():
        report = build_site(settings, out_dir, title=title or DEFAULT_TITLE)
    for line in [*report.skipped, *report.images.warnings]:
        click.echo(f"warning: {line}", err=True)
    click.echo(report.summary(), err=True)
