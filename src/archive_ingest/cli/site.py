"""`archive-ingest site OUT_DIR`: write the catalog as a static website.

Thin over `site/builder.py`, which owns the pages and how OUT_DIR is written; this module
parses the arguments and prints the summary (to stderr, like every message).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import archive_options, errors

if TYPE_CHECKING:
    from ..config import Settings


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default=None, help="The site's title (shown on every page).")
@click.option("--query", help='Only what this search finds (the search language: "place:Chongjin").')
@click.option("--all", "everything", is_flag=True, help="Include quarantined and rejected records too.")
@archive_options()
def site(
    out_dir: Path,
    title: str | None,
    query: str | None,
    everything: bool,
    settings: Settings,
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

    Only what may be published: no quarantined record and no record a reviewer
    rejected (--all includes them), and never a reviewer's login or note (the
    history says "a reviewer" and what changed, in words). --query makes the
    site of what a search finds (a bad query exits 2, as in search).

    OUT_DIR must be empty or new, or hold a site made by this command, which is
    then replaced; a folder you cannot write is refused at once (exit 2). Access
    copies are copied from the archive, or made from the originals for records
    that have none; the archive is never changed (a read-only one works too).

    Example:

    \b
        archive-ingest site ~/archive-site
        archive-ingest site /media/usb/site --title "Soviet graves in the DPRK"
        archive-ingest site chongjin-site --query "place:Chongjin status:accepted"
    """
    from ..exports import withheld_note
    from ..site.builder import DEFAULT_TITLE, build_site

    with errors():
        _check_writable(out_dir)
        report = build_site(settings, out_dir, title=title or DEFAULT_TITLE, query=query, everything=everything)
    for line in [*report.skipped, *report.images.warnings]:
        click.echo(f"warning: {line}", err=True)
    if report.withheld:
        click.echo(withheld_note(report.withheld), err=True)
    click.echo(report.summary(), err=True)


def _check_writable(out_dir: Path) -> None:
    """Refuse at once an OUT_DIR this process cannot write in (or, while it does not exist,
    whose nearest existing folder it cannot create it in), before the catalog is read.

    Raises:
        ConfigError: exit 2, one line naming the folder and why.
    """
    from ..errors import ConfigError
    from ..files.writable import unwritable

    reason = unwritable(out_dir)
    if reason is not None:
        raise ConfigError(f"{out_dir}: cannot write the site there: {reason}")
