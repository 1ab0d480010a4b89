"""The `archive-ingest` command: parse arguments, call the library, print.

One module per group of commands (`ingest`: run, init; `records`: show, search;
`publish`: export; `site`; `review`; `maintain`: verify, catalog rebuild), the options
and printing they share in `common`; this module makes the group and the entry point.

JSON goes to stdout; progress, messages and summaries go to stderr. Exit codes follow
DESIGN.md: 0 done (flags and quarantined files are normal outcomes), 2 bad usage or a bad
`pipeline.yaml`, 3 the catalog is locked, 1 an internal error, 130 interrupted.
"""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from .desk import desk
from .ingest import init, run
from .maintain import catalog, verify
from .publish import export
from .records import search, show
from .review import review
from .site import site


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


for _command in (run, init, show, search, export, review, desk, site, verify, catalog):
    cli.add_command(_command)


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
