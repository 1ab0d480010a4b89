"""The review desk: the review queue in a browser, served on the loopback address.

`archive-ingest desk` starts it (`cli/desk.py`). A thin face over `review/`: the queue,
each record with its photo, the OCR words drawn over it, caption beside inscription,
every value with its source, flags explained and history, and one key per decision, each
made through `review.Reviewer` as the CLI makes it. `app.py` holds the pages and the
safety around them (secret token, CSRF, files by record id only, CSP), `views.py` what
the pages show.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from .app import create_app

__all__ = ["create_app", "make_server", "stop"]


def make_server(app: Flask, host: str, port: int) -> Any:
    """A waitress server for `app` on `host`:`port` (0: a free port; `server.effective_port`).

    `server.run()` serves until Ctrl-C in the foreground, or `stop(server)` from another thread."""
    from waitress.server import create_server

    return create_server(app, host=host, port=port, threads=4, ident="archive-ingest desk")


def stop(server: Any) -> None:
    """Stop a server `make_server` made and `run()` serves in another thread: every connection
    closed (a browser's kept-alive ones too), then its worker threads."""
    while server._map:
        for channel in list(server._map.values()):
            channel.handle_close()
    server.maintenance(0)
    server.task_dispatcher.shutdown()
