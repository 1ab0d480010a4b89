"""`archive-ingest desk`: the review desk, a local web page to work through the review queue.

Thin: loads the settings, makes the app (`desk/`), serves it with waitress on the loopback
address at a free port, prints the address with its secret token, and stops on Ctrl-C.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import click

from .common import CommandError, archive_options, errors
from .review import by_option

if TYPE_CHECKING:
    from ..config import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only by default).")
@click.option("--port", default=0, type=click.IntRange(0, 65535), show_default=True, help="Port (0: a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the desk in the default browser.")
@by_option
@archive_options()
def desk(host: str, port: int, open_browser: bool, by: str, settings: Settings) -> None:
    """Review the queue in a browser: the photo, the words read on it, one key per decision.

    Serves on 127.0.0.1 at a free port and prints the address, which carries a
    secret token every request needs (keep it to yourself). Keys on a record:
    a accept, r reject (asks why), e edit, n next, p previous, s skip, m merge /
    d distinct for a near duplicate. Each decision is made as 'review accept |
    reject | edit | merge | distinct' makes it, by --by, holding the catalog's
    lock only for its commit. Ctrl-C stops the desk.

    Example:

    \b
        archive-ingest desk --open
    """
    with errors():
        from ..desk import create_app, make_server

        secret = secrets.token_urlsafe(24)
        app = create_app(settings, by, secret)
    try:
        server = make_server(app, host, port)
    except OSError as exc:  # a port in use, an address not of this machine
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 2) from exc
    if host not in ("127.0.0.1", "::1", "localhost"):
        click.echo(
            f"warning: listening on {host}: other machines can reach the desk (the token still guards it)", err=True
        )
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{server.effective_port}/?token={secret}"
    click.echo(f"review desk for {settings.paths.archive}, as {by}: {url}", err=True)
    click.echo("Ctrl-C stops it", err=True)
    click.echo(url)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("review desk stopped", err=True)
