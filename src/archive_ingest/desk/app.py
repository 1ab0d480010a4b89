"""The review desk's Flask app: pages, decisions, files, and the safety around them.

Every decision goes through `review.Reviewer` (the same validation, events and per-commit
lock as the CLI), with the record's version as the page showed it (`record_version`), so
a record that changed since is refused with what changed (`RecordChanged`). A catalog
busy with a run is retried for `DESK_BUSY_SECONDS`, then answered 503 with the form as
typed. Safety, per request:

- a secret token (printed in the address) is required on every request: given once as
  `?token=`, it is then kept in an HttpOnly, SameSite=Strict cookie (and dropped from the
  address by a redirect); anything else is 403;
- every POST carries the session's CSRF token, compared with `hmac.compare_digest` (403);
- files are served by record id and kind only (`views.file_for`), never by a path;
- every response carries a Content-Security-Policy without inline script, nosniff, and
  no referrer; the templates autoescape everything.
"""

from __future__ import annotations

import hmac
import io
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, abort, flash, redirect, render_template, request, send_file, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers.response import Response

from .. import catalog as catalog_module
from ..config import Settings
from ..errors import CatalogLocked, IngestError, RecordNotFound
from ..record import FlagCode, Kind, Record
from ..review import EDITABLE, RecordChanged, Reviewer, record_version
from .views import FILE_KINDS, Filters, QueueCache, file_for, neighbours, record_view

T = TypeVar("T")

TOKEN_COOKIE = "desk_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
BUSY = "the catalog is busy, try again"


def create_app(settings: Settings, by: str, secret: str, busy_seconds: float = 2.0) -> Flask:
    """The desk for the archive of `settings`; decisions are recorded as made by `by`.

    `secret`: the token every request must carry (`?token=` once, then the cookie).
    `busy_seconds`: how long a decision waits for a catalog another process is writing.
    """
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(32)  # sessions (the CSRF token) live as long as the server
    app.config.update(
        SESSION_COOKIE_NAME="desk_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=256 * 1024,
        DESK_BUSY_SECONDS=busy_seconds,
    )
    reviewer = Reviewer(settings, by)
    reader = catalog_module.reader(settings.paths.catalog)
    reading = threading.Lock()  # the reader keeps what it parsed: one request uses it at a time
    queue_cache = QueueCache(settings.paths.catalog)
    archive = settings.paths.archive
    long_edge = settings.ocr.max_long_edge
    place_names = sorted({name for site in reviewer.ctx.gazetteer.sites for name in site.names})

    @app.before_request
    def require_secret() -> Response | None:
        given = request.args.get("token")
        if given is not None and hmac.compare_digest(given.encode(), secret.encode()):
            if request.method == "GET":  # keep the secret out of the address bar and history
                kept = {key: value for key, value in request.args.items() if key != "token"}
                target = request.path + (f"?{urlencode(kept)}" if kept else "")
                response = redirect(target)
                response.set_cookie(TOKEN_COOKIE, secret, httponly=True, samesite="Strict")
                return response
            return None
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(cookie.encode(), secret.encode()):
            return Response(
                "forbidden: open the address the desk printed (it carries the secret token)\n",
                403,
                mimetype="text/plain",
            )
        if request.method == "POST":
            expected = session.get("csrf", "")
            given_csrf = request.form.get("csrf", "")
            if not expected or not hmac.compare_digest(given_csrf.encode(), str(expected).encode()):
                return Response(
                    "forbidden: a missing or wrong CSRF token; reload the page\n", 403, mimetype="text/plain"
                )
        return None

    @app.after_request
    def safety_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def common() -> dict[str, Any]:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return {"csrf": session["csrf"], "by": by}

    def filters() -> Filters:
        source = request.form if request.method == "POST" else request.args
        return Filters(source.get("flag", ""), source.get("kind", ""), source.get("place", ""))

    def waiting(wanted: Filters) -> list[Any]:
        return [entry for entry in queue_cache.entries() if wanted.matches(entry)]

    def record_url(record_id: str | None, wanted: Filters) -> str:
        if record_id is None:
            return url_for("queue_page", **wanted.query())
        return url_for("record_page", record_id=record_id, **wanted.query())

    def get_record(record_id: str) -> Record:
        try:
            with reading:
                return reader.require(record_id)
        except RecordNotFound:
            abort(404)

    def render_record(
        record: Record, status: int = 200, error: str | None = None, typed: dict[str, str] | None = None
    ) -> ResponseReturnValue:
        wanted = filters()
        entries = waiting(wanted)
        previous, following, position = neighbours(entries, record.id)
        view = record_view(record, archive, long_edge)
        others = []
        for other_id in view["near"]:
            with reading:
                other = reader.get(other_id)
            if other is not None:
                others.append((other, record_version(other)))
        html = render_template(
            "record.html",
            record=record,
            version=record_version(record),
            view=view,
            others=others,
            filters=wanted,
            previous_url=record_url(previous, wanted) if previous else None,
            next_url=record_url(following, wanted),
            position=position,
            left=len(entries),
            error=error,
            typed=typed or {},
            editable=EDITABLE,
            place_names=place_names,
        )
        return html, status

    def decide(action: Callable[[], T]) -> T:
        """`action`, retried while another process holds the catalog's lock, for up to DESK_BUSY_SECONDS."""
        deadline = time.monotonic() + float(app.config["DESK_BUSY_SECONDS"])
        while True:
            try:
                return action()
            except CatalogLocked:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def failed(record_id: str, exc: IngestError, typed: dict[str, str]) -> ResponseReturnValue:
        """The record page again, as it is now, with the error and what was typed."""
        if isinstance(exc, CatalogLocked):
            message, status = f"{BUSY} ({exc})", 503
        elif isinstance(exc, RecordChanged):
            message, status = str(exc), 409
        elif isinstance(exc, RecordNotFound):
            abort(404)
        else:
            message, status = str(exc), 400
        return render_record(get_record(record_id), status, message, typed)

    @app.get("/")
    def queue_page() -> str:
        wanted = filters()
        all_entries = queue_cache.entries()
        return render_template(
            "queue.html",
            entries=[entry for entry in all_entries if wanted.matches(entry)],
            total=len(all_entries),
            filters=wanted,
            flag_codes=[code.value for code in FlagCode],
            kinds=[kind.value for kind in Kind],
            places=sorted({entry.place for entry in all_entries if entry.place}),
            record_url=record_url,
        )

    @app.get("/record/<record_id>")
    def record_page(record_id: str) -> ResponseReturnValue:
        return render_record(get_record(record_id))

    def decided(record_id: str, typed: dict[str, str], action: Callable[[str | None], Record]) -> ResponseReturnValue:
        """Accept or reject (`action`, given the page's record version), then the next record."""
        wanted = filters()
        _, following, _ = neighbours(waiting(wanted), record_id)
        try:
            done = decide(lambda: action(request.form.get("version") or None))
        except IngestError as exc:
            return failed(record_id, exc, typed)
        queue_cache.note([done])
        why = f": {done.review.note}" if done.review.status == "rejected" else ""
        flash(f"{done.id}: {done.review.status} by {done.review.by}{why}")
        return redirect(record_url(following, wanted), 303)

    @app.post("/record/<record_id>/accept")
    def accept(record_id: str) -> ResponseReturnValue:
        typed = {"note": request.form.get("note", "")}
        return decided(record_id, typed, lambda version: reviewer.accept(record_id, typed["note"] or None, version))

    @app.post("/record/<record_id>/reject")
    def reject(record_id: str) -> ResponseReturnValue:
        typed = {"note": request.form.get("note", "")}
        return decided(record_id, typed, lambda version: reviewer.reject(record_id, typed["note"], version))

    @app.post("/record/<record_id>/edit")
    def edit(record_id: str) -> ResponseReturnValue:
        wanted = filters()
        typed = {"changes": request.form.get("changes", ""), "place": request.form.get("place_value", "")}
        assignments, removals = [], []
        for line in typed["changes"].splitlines():
            line = line.strip()
            if line.startswith("remove "):
                removals.append(line.removeprefix("remove ").strip())
            elif line:
                assignments.append(line)
        if typed["place"].strip():
            assignments.append(f"place={typed['place'].strip()}")
        try:
            done = decide(lambda: reviewer.edit(record_id, assignments, removals, request.form.get("version") or None))
        except IngestError as exc:
            return failed(record_id, exc, typed)
        queue_cache.note([done.record])
        for change in done.changes:
            flash(f"{done.record.id}: {change.describe()}")
        for unchanged in done.unchanged:
            flash(f"{done.record.id}: {unchanged}; nothing changed")
        return redirect(record_url(done.record.id, wanted), 303)

    @app.post("/record/<record_id>/link/<other_id>")
    def link(record_id: str, other_id: str) -> ResponseReturnValue:
        wanted = filters()
        merge = request.form.get("how") == "merge"
        _, following, _ = neighbours(waiting(wanted), record_id)
        try:
            done = decide(
                lambda: reviewer.link(
                    record_id,
                    other_id,
                    merge=merge,
                    expected_version=request.form.get("version") or None,
                    other_version=request.form.get("other_version") or None,
                )
            )
        except IngestError as exc:
            return failed(record_id, exc, {})
        queue_cache.note([done.record, done.other])
        if not done.changed:
            flash(f"{done.record.id}: already {'merged into' if merge else 'distinct from'} {done.other.id}")
        else:
            flash(f"{done.record.id}: {'merged into' if merge else 'distinct from'} {done.other.id}")
        return redirect(record_url(following if merge else done.record.id, wanted), 303)

    @app.get("/file/<record_id>/<kind>")
    def record_file(record_id: str, kind: str) -> Response:
        if kind not in FILE_KINDS:
            abort(404)
        record = get_record(record_id)
        try:
            path = file_for(record, kind, archive)
        except RecordNotFound:
            abort(404)
        return send_file(path, max_age=0)

    @app.get("/diff/<record_id>/<other_id>")
    def difference(record_id: str, other_id: str) -> Response:
        """The pixel differences of two records' access copies (the second scaled to the first)."""
        from PIL import Image, ImageChops, ImageOps

        paths = []
        for one in (get_record(record_id), get_record(other_id)):
            try:
                paths.append(file_for(one, "access", archive))
            except RecordNotFound:
                abort(404)
        with Image.open(paths[0]) as first, Image.open(paths[1]) as second:
            left = first.convert("L")
            right = second.convert("L").resize(left.size)
            shown = ImageOps.autocontrast(ImageChops.difference(left, right))
        buffer = io.BytesIO()
        shown.save(buffer, "PNG")
        buffer.seek(0)
        return send_file(buffer, mimetype="image/png", max_age=0)

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return render_template("message.html", title="not found", message="No such record or file."), 404

    return app
