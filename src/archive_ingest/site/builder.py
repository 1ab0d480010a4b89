"""`archive-ingest site OUT_DIR`: the catalog as a static website that opens from file://.

This module owns the site's layout and how OUT_DIR is written. Pages (Jinja2 templates in
`templates/`, autoescape on: captions and inscriptions come from outside and are escaped
wherever they are written):

    index.html                 every record as a thumbnail, filter links, the search box
    records/<id>.html          one record: access copy, caption beside inscription, people,
                               place with coordinates, date, credit and rights, flags,
                               review status and the event history
    places/<slug>.html         a place's records, with its count of graves and monuments
    kinds/<kind>.html, decades/<1940s>.html, status/<status>.html
                               the static filters (browsing works with JavaScript off)
    images/ab/<id>.{access,thumb}.jpg, static/site.{js,css}, search-index.js

Every link is relative and no page names a path of the machine that made it, so the folder
can be copied anywhere, zipped, or served as it is. A Content-Security-Policy meta tag
allows only the site's own script, style and image files: no inline script runs, whatever
a caption holds.

Writing OUT_DIR (decisions a user should know):

- A missing or empty OUT_DIR is used as it is. A non-empty one is refused unless it holds
  a site made by this command (the marker file `.archive-ingest-site`); then the entries
  that site made are replaced and anything else in the folder (a `.git`, a `CNAME`) is
  left alone.
- The new site is built inside OUT_DIR (in a hidden `.site-building-<pid>` folder) and
  moved into place entry by entry only when complete: a failed build leaves the old site.
  Nothing is written outside OUT_DIR, and OUT_DIR may not be, contain or lie inside the
  archive or the inbox.
- The catalog is read without a lock (`catalog.reader`), like `search`.

What is published (`--all` and `--query` change the first two):

- Only the records that may be published (`exports.may_publish`): no quarantined record,
  no record a reviewer rejected; `--all` includes them. `--query` builds the site of what
  that search finds (the search language), in the order `search` lists it.
- No reviewer's login and no review note, whatever the options: the review status says
  "by a reviewer", and the history says what happened in words (`views.history_entry`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import __version__
from ..config import Settings
from ..errors import IngestError
from ..exports import published_only, select_records
from ..record import Kind, Record, ReviewStatus
from ..text.places import Gazetteer
from .images import ImageTally, write_pictures
from .search_keys import index_data, index_script
from .views import GRAVE_KINDS, MONUMENT_KINDS, UNKNOWN_PLACE_SLUG, RecordView, record_view, safe_id, slug

MARKER = ".archive-ingest-site"
#: What a site consists of at OUT_DIR's top level (replaced on a rebuild, with the marker).
ENTRIES = ("index.html", "records", "places", "kinds", "decades", "status", "images", "static", "search-index.js")
STATIC_FILES = ("site.js", "site.css")
DEFAULT_TITLE = "Soviet graves and Liberation monuments in the DPRK: photo archive"


class SiteError(IngestError):
    """OUT_DIR cannot take the site (not empty and not a site, or overlapping the archive)."""

    exit_code = 2


@dataclass
class SiteReport:
    out_dir: Path
    records: int = 0
    pages: int = 0
    images: ImageTally = field(default_factory=ImageTally)
    skipped: list[str] = field(default_factory=list)
    withheld: int = 0
    """Records left out as not for publication (quarantined or rejected)."""

    def summary(self) -> str:
        tally = self.images
        return (
            f"wrote {self.pages} pages for {self.records} records to {self.out_dir} "
            f"(pictures: {tally.copied} copied, {tally.made} made from originals, {tally.missing} missing); "
            f"open {self.out_dir / 'index.html'}"
        )


@dataclass
class Facet:
    """One static filter page: a place, a kind, a decade or a review status."""

    key: str
    label: str
    url: str
    cards: list[RecordView] = field(default_factory=list)


def build_site(
    settings: Settings,
    out_dir: Path,
    *,
    title: str = DEFAULT_TITLE,
    query: str | None = None,
    everything: bool = False,
) -> SiteReport:
    """Write the site of the catalog at `settings.paths.catalog` into `out_dir`.

    `query` (the search language) selects the records; without `everything` only those
    that may be published are written.

    Raises:
        SiteError: `out_dir` is not empty and holds no earlier site, is a file, or
            overlaps the archive or the inbox.
        QueryError: `query` cannot be read.
        ConfigError: the gazetteer cannot be read.
    """
    out_dir = Path(os.path.abspath(out_dir))
    previous = check_out_dir(out_dir, settings)
    gazetteer = Gazetteer.load(settings.places.gazetteer)
    records = select_records(settings, query)
    report = SiteReport(out_dir)
    if not everything:
        records, report.withheld = published_only(records)
    usable = []
    for record in records:
        if safe_id(record.id):
            usable.append(record)
        else:
            report.skipped.append(f"{record.id!r}: not a record id that can name a file; left out")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".site-building-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        _write(staging, usable, settings, gazetteer, title, report)
        _swap(staging, out_dir, previous)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    report.records = len(usable)
    return report


def check_out_dir(out_dir: Path, settings: Settings) -> list[str]:
    """Refuse an OUT_DIR the site may not use; return the entries of an earlier site there."""
    if out_dir.exists() and not out_dir.is_dir():
        raise SiteError(f"{out_dir}: not a folder")
    resolved = out_dir.resolve()
    for label, path in (("archive", settings.paths.archive), ("inbox", settings.paths.inbox)):
        other = path.resolve()
        if resolved == other or resolved.is_relative_to(other) or other.is_relative_to(resolved):
            raise SiteError(f"{out_dir}: the site must be written apart from the {label} ({path})")
    if not out_dir.exists():
        return []
    present = [entry.name for entry in out_dir.iterdir() if not entry.name.startswith(".site-building-")]
    if not present:
        return []
    marker = out_dir / MARKER
    if not marker.is_file():
        raise SiteError(
            f"{out_dir}: not empty and not a site made by archive-ingest (no {MARKER} in it); "
            "give an empty or a new folder"
        )
    try:
        entries = json.loads(marker.read_text(encoding="utf-8")).get("entries", [])
    except (OSError, ValueError, AttributeError):
        entries = []
    names = {name for name in entries if isinstance(name, str) and "/" not in name and name not in ("", ".", "..")}
    return sorted(names | set(ENTRIES))


def _swap(staging: Path, out_dir: Path, previous: list[str]) -> None:
    """Replace the earlier site's entries with the new ones; the marker goes last."""
    for name in [*previous, MARKER]:
        _remove(out_dir / name)
    for entry in sorted(staging.iterdir()):
        if entry.name != MARKER:
            os.replace(entry, out_dir / entry.name)
    os.replace(staging / MARKER, out_dir / MARKER)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("archive_ingest.site", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _write(
    root: Path, records: list[Record], settings: Settings, gazetteer: Gazetteer, title: str, report: SiteReport
) -> None:
    env = _environment()
    known = {record.id for record in records}
    views = []
    for record in records:
        pictures = write_pictures(record, settings, root, report.images)
        views.append(record_view(record, pictures, settings.provenance, known))

    places = _place_facets(views, gazetteer)
    kinds = _facets(views, "kinds", lambda v: [v.kind], [str(kind) for kind in Kind])
    decades = _facets(views, "decades", lambda v: v.decades, [])
    statuses = _facets(views, "status", lambda v: [v.status], [str(status) for status in ReviewStatus])
    common = {
        "site_title": title,
        "rights": settings.provenance.rights,
        "credit": settings.provenance.credit,
        "commentary": settings.provenance.commentary or "",
        "generated": f"archive-ingest {__version__}, {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC",
        "total": len(views),
        "nav": {"places": places, "kinds": kinds, "decades": decades, "status": statuses},
    }

    def page(path: str, template: str, **values: Any) -> None:
        depth = path.count("/")
        html = env.get_template(template).render(**common, **values, root="../" * depth)
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        report.pages += 1

    page("index.html", "index.html", cards=views)
    for view in views:
        page(view.url, "record.html", r=view)
    for facet in places:
        graves = sum(1 for card in facet.cards if card.kind in GRAVE_KINDS)
        monuments = sum(1 for card in facet.cards if card.kind in MONUMENT_KINDS)
        site = gazetteer.get(facet.label) if facet.key != UNKNOWN_PLACE_SLUG else None
        page(facet.url, "place.html", facet=facet, site=site, graves=graves, monuments=monuments)
    for heading, group in (("Kind", kinds), ("Decade", decades), ("Review status", statuses)):
        for facet in group:
            page(facet.url, "facet.html", facet=facet, heading=heading)

    static = root / "static"
    static.mkdir()
    for name in STATIC_FILES:
        data = (resources.files("archive_ingest.site") / "static" / name).read_bytes()
        (static / name).write_bytes(data)
    (root / "search-index.js").write_text(index_script(index_data(records, gazetteer)), encoding="utf-8")
    marker = {"generator": "archive-ingest site", "version": __version__, "records": len(views), "entries": ENTRIES}
    (root / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _place_facets(views: list[RecordView], gazetteer: Gazetteer) -> list[Facet]:
    """One facet per place with records, in gazetteer order, then others, then no place."""
    by_slug: dict[str, Facet] = {}
    for view in views:
        key = view.place_slug
        label = view.place_name or "Place unknown"
        by_slug.setdefault(key, Facet(key, label, f"places/{key}.html")).cards.append(view)
    order = {slug(site.name): index for index, site in enumerate(gazetteer.sites)}
    return sorted(
        by_slug.values(),
        key=lambda f: (f.key == UNKNOWN_PLACE_SLUG, order.get(f.key, len(order)), f.label),
    )


def _facets(views: list[RecordView], folder: str, keys_of: Any, order: list[str]) -> list[Facet]:
    facets: dict[str, Facet] = {}
    for view in views:
        for key in keys_of(view):
            facets.setdefault(key, Facet(key, key.replace("_", " "), f"{folder}/{key}.html")).cards.append(view)
    rank = {key: index for index, key in enumerate(order)}
    return sorted(facets.values(), key=lambda f: (rank.get(f.key, len(rank)), f.key))


__all__ = ["DEFAULT_TITLE", "MARKER", "SiteError", "SiteReport", "build_site", "check_out_dir"]
