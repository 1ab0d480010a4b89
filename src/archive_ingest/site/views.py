"""What the site's pages show of a record: labels worked out once, for every template.

Templates stay free of logic: a `RecordView` holds each record's title, life spans, place,
facets (place, kind, decades, review status) and pictures as plain strings. Nothing here
escapes anything; the templates are rendered with autoescape on, so every value from a
record (captions and inscriptions come from outside) is HTML-escaped where it is written.

Decisions a user should know:

- A record's title: its people's names as written, with their years; else the caption's
  first line; else the file name.
- Decades (`decades/1940s.html`): the decades of the people's death years and of the
  photo's date (`record.date`, which falls back to the EXIF date). Birth years are left
  out: `1880s` would list the graves of those who died in 1945.
- Graves: records of kind `headstone` (or `grave`); monuments: kind `monument`.
- The history (`history_entry`) is written for readers, not auditors: when, what, by "the
  pipeline" or "a reviewer" (never a login), and for a reviewer's edit the old and the new
  value in words (a place by its name, a date by its value; never a JSON object). A
  review note is the reviewer's own words to colleagues and is left out, as is the note
  on the review status; `show ID --history` and the JSON export keep both.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..record import Event, EventType, Person, Place, Record
from .images import Pictures

#: Kinds counted as graves and as monuments on a place's page.
GRAVE_KINDS = frozenset({"headstone", "grave"})
MONUMENT_KINDS = frozenset({"monument"})
UNKNOWN_PLACE_SLUG = "unknown"
SNIPPET_CHARS = 90

_ID = re.compile(r"^[0-9a-f]{8,64}$")
#: Where a reviewer's own words start in a review event's detail (`accepted: NOTE`,
#: `distinct from ID: similar, but another photo (NOTE)`): everything from here is left out.
_NOTE_STARTS = re.compile(r": | \(")
REVIEWER_EVENTS = frozenset({EventType.REVIEW, EventType.EDIT})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def safe_id(record_id: str) -> bool:
    """Whether an id can name a file (the catalog's are hex; anything else is skipped)."""
    return _ID.fullmatch(record_id) is not None


def slug(name: str) -> str:
    """A file-name-safe form of a place name (`Ch'ŏngjin` -> `chongjin`)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    found = _NOT_SLUG.sub("-", ascii_name.replace("'", "")).strip("-")
    return found or "place-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]


def decade_of(year: int) -> str:
    return f"{year // 10 * 10}s"


@dataclass
class PersonView:
    name: str
    name_latin: str
    rank: str
    years: str
    dates: str
    source: str


@dataclass
class EventView:
    """One line of a record's history, in words."""

    at: str
    """When, UTC: `2026-05-01 12:00:00`."""
    what: str
    """The kind of event (`ingestion`, `OCR`, `edit`, `review`)."""
    by: str
    """`the pipeline` or `a reviewer`."""
    outcome: str
    detail: str
    """What happened, with no login, no note and no JSON."""


@dataclass
class RecordView:
    """One record as every page shows it."""

    id: str
    url: str
    title: str
    kind: str
    status: str
    place_name: str
    place_slug: str
    years: str
    date_label: str
    caption: str
    caption_snippet: str
    inscription: str
    decades: list[str]
    pictures: Pictures
    quarantined: bool
    credit: str
    rights: str
    source: str
    commentary: str
    web_page: tuple[str, str] | None = None
    """(title, address) of the saved web page that showed the photo; the address only if http(s)."""
    persons: list[PersonView] = field(default_factory=list)
    place: dict[str, Any] | None = None
    gps: tuple[float, float] | None = None
    date: str = ""
    flags: list[tuple[str, str]] = field(default_factory=list)
    review: dict[str, str] = field(default_factory=dict)
    events: list[EventView] = field(default_factory=list)
    links: list[tuple[str, str, bool]] = field(default_factory=list)
    file: dict[str, str] = field(default_factory=dict)
    exif: list[tuple[str, str]] = field(default_factory=list)


def _web_page(record: Record) -> tuple[str, str] | None:
    """The page's title and address, for a link: an address that is not http(s) (a saved
    page is outside input: `javascript:` and the like) is not linked."""
    page = record.source.page
    if page is None or not (page.title or page.url):
        return None
    url = page.url if page.url and urlsplit(page.url).scheme in ("http", "https") else ""
    return (page.title or page.url or "", url)


def record_view(record: Record, pictures: Pictures, default_provenance: Any, known_ids: set[str]) -> RecordView:
    """The view of `record`; `default_provenance` (settings) credits a record that has none."""
    persons = [_person_view(person) for person in record.persons]
    place = record.place
    provenance = record.provenance or default_provenance
    caption = record.caption or ""
    return RecordView(
        id=record.id,
        url=f"records/{record.id}.html",
        title=_title(record),
        kind=str(record.kind),
        status=str(record.review.status),
        place_name=place.name if place else "",
        place_slug=slug(place.name) if place else UNKNOWN_PLACE_SLUG,
        years=", ".join(p.years for p in persons if p.years),
        date_label=record.date.value if record.date else "",
        caption=caption,
        caption_snippet=_snippet(caption),
        inscription=record.ocr.text,
        decades=_decades(record),
        pictures=pictures,
        quarantined=record.quarantined,
        credit=provenance.credit,
        rights=provenance.rights,
        source=provenance.source,
        commentary=provenance.commentary or "",
        web_page=_web_page(record),
        persons=persons,
        place=_place_fields(place) if place else None,
        gps=(record.exif.gps["lat"], record.exif.gps["lon"]) if record.exif.gps else None,
        date=f"{record.date.value} ({record.date.precision}, from {record.date.source})" if record.date else "",
        flags=[(str(flag.code), flag.detail) for flag in record.flags],
        review={
            "status": str(record.review.status),
            "by": "a reviewer" if record.review.by else "",  # logins are not published
            "at": _when(record.review.at or ""),
        },
        events=[history_entry(event) for event in record.events],
        links=[(str(link.type), link.id, link.id in known_ids) for link in record.links],
        file={
            "filename": record.source.filename,
            "format": record.file.format or "",
            "size": f"{record.file.width or '?'} × {record.file.height or '?'} px, {record.file.bytes:,} bytes",
            "sha256": record.file.sha256,
            "ingested": record.source.ingested_at or "",
        },
        exif=_exif_rows(record),
    )


def _person_view(person: Person) -> PersonView:
    described = person.sources.describe()
    return PersonView(
        name=person.name,
        name_latin=person.name_latin or "",
        rank=person.rank or "",
        years=person.life_span("–"),
        dates=" – ".join(filter(None, (person.birth_date, person.death_date))),
        source=f"{person.source} ({described})" if described else person.source,
    )


def _decades(record: Record) -> list[str]:
    """The decades the browse page files the record under: its people's deaths, the photo's date."""
    decades = {decade_of(person.death_year) for person in record.persons if person.death_year is not None}
    if record.date and record.date.value[:3].isdigit():
        decades.add(f"{record.date.value[:3]}0s")
    return sorted(decades)


def _snippet(caption: str) -> str:
    one_line = " ".join(caption.split())
    return one_line if len(one_line) <= SNIPPET_CHARS else one_line[: SNIPPET_CHARS - 1] + "…"


def _place_fields(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "name_ko": place.name_ko or "",
        "name_ru": place.name_ru or "",
        "province": place.province or "",
        "lat": place.lat,
        "lon": place.lon,
        "source": place.source,
    }


def _exif_rows(record: Record) -> list[tuple[str, str]]:
    exif = record.exif
    rows = (
        ("date taken", exif.date_taken or ""),
        ("camera", " ".join(filter(None, (exif.make, exif.model)))),
        ("artist", exif.artist or ""),
        ("copyright", exif.copyright or ""),
        ("description", exif.description or ""),
    )
    return [(label, value) for label, value in rows if value]


def _title(record: Record) -> str:
    if record.persons:
        parts = []
        for person in record.persons:
            span = person.life_span("–")
            parts.append(f"{person.name} ({span})" if span else person.name)
        return "; ".join(parts)
    if record.caption and record.caption.strip():
        first = record.caption.strip().splitlines()[0]
        return first if len(first) <= SNIPPET_CHARS else first[: SNIPPET_CHARS - 1] + "…"
    return record.source.filename


def history_entry(event: Event) -> EventView:
    """An event as the site's history shows it."""
    by_reviewer = event.type in REVIEWER_EVENTS
    return EventView(
        at=_when(event.at),
        what="OCR" if event.type == EventType.OCR else str(event.type),
        by="a reviewer" if by_reviewer else "the pipeline",
        outcome=str(event.outcome),
        detail=_reviewer_detail(event) if by_reviewer else event.detail,
    )


def _reviewer_detail(event: Event) -> str:
    if event.type == EventType.EDIT and event.field:
        return f"{_field_label(event.field)}: {in_words(event.old)} → {in_words(event.new)}"
    said = _NOTE_STARTS.split(event.detail, maxsplit=1)[0]
    if event.field == "review" and isinstance(event.old, dict) and isinstance(event.new, dict):
        old, new = (in_words(value.get("status")).replace("_", " ") for value in (event.old, event.new))
        status = f"review status: {old} → {new}"
        return status if said == event.new.get("status") else f"{said}; {status}"
    return said


def _field_label(name: str) -> str:
    """`person.1.death_year` -> `person 1, death year`."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "person":
        return f"person {parts[1]}, {parts[2].replace('_', ' ')}"
    return name.replace("_", " ").replace(".", " ")


def in_words(value: Any) -> str:
    """A recorded value as a reader reads it: a place by its name, a date by its value."""
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        for key in ("name", "value", "status", "filename"):
            if value.get(key):
                return in_words(value[key])
        return ", ".join(in_words(item) for item in value.values() if item not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        return ", ".join(in_words(item) for item in value)
    return str(value)


def _when(at: str) -> str:
    """`2026-05-01T12:00:00Z` -> `2026-05-01 12:00:00` (the column says UTC)."""
    return at.replace("T", " ").removesuffix("Z")
