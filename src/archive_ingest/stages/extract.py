"""Structured fields from caption, inscription and EXIF: kind, place and photo date.

Owns the decisions of what the photo shows (`kind`), where it was taken (`place`, from
the gazetteer) and when (`date`). Each value records what stated it (`source`), in this
order of trust: manifest cell, caption, inscription (OCR), EXIF/GPS. People and their
years are read in a later stage of the project (issue 3); `persons` stays empty here.
"""

from __future__ import annotations

import re

from ..context import RunContext
from ..record import EventType, Kind, Outcome, PhotoDate, Record
from ..text.dates import DateParseError, date_in_text, parse_date_cell

#: Words that say what a caption describes. Checked in this order: a wreath-laying *at*
#: a monument is a ceremony, a monument *over* graves is a monument.
KIND_WORDS: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    (
        Kind.CEREMONY,
        (
            "венк",
            "возложен",
            "церемони",
            "митинг",
            "делегаци",
            "посещ",
            "сотрудник",
            "wreath",
            "ceremony",
            "laying",
            "delegation",
            "visit",
            "staff",
            "헌화",
            "화환",
        ),
    ),
    (
        Kind.MONUMENT,
        ("памятник", "монумент", "обелиск", "мемориал", "monument", "obelisk", "memorial", "기념비", "기념탑"),
    ),
    (
        Kind.HEADSTONE,
        ("могил", "надгроб", "захоронен", "неизвестн", "grave", "headstone", "tomb", "unknown soldier", "묘", "무덤"),
    ),
)

#: A life span as carved or captioned: 1884-1949, 1884 — 1949, (1903-63).
LIFE_SPAN = re.compile(r"\b1[89]\d\d\s*[-–—]\s*(?:1[89]\d\d|\d{1,2})\b")
UNKNOWN_SOLDIER = re.compile(r"неизвестн", re.IGNORECASE)
#: "Photo: Russian Embassy in Pyongyang." names the photographer, not the place.
CREDIT_LINE = re.compile(r"(?:photo|фото|снимок|source|источник)\s*[:©]\s*[^.\n]*", re.IGNORECASE)


def kind_of(caption: str | None, inscription: str) -> tuple[Kind, str]:
    """(kind, the reason) from caption words, else a life span in caption or inscription."""
    lowered = (caption or "").lower()
    for kind, words in KIND_WORDS:
        for word in words:
            if word in lowered:
                return kind, f"caption says '{word}'"
    if LIFE_SPAN.search(lowered):
        return Kind.HEADSTONE, "caption gives a life span"
    if LIFE_SPAN.search(inscription) or UNKNOWN_SOLDIER.search(inscription):
        return Kind.HEADSTONE, "inscription carries a life span"
    return Kind.PHOTO, "nothing says what the photo shows"


def place_text(caption: str, credit: str) -> str:
    """The caption without credit lines, which name the photographer's city, not the site's."""
    return CREDIT_LINE.sub(" ", caption.replace(credit, " "))


def run(record: Record, ctx: RunContext) -> Record:
    notes: list[str] = []
    outcome = Outcome.SUCCESS
    kind, why = kind_of(record.caption, record.ocr.text)
    record.kind = kind
    notes.append(f"kind {kind} ({why})")

    gazetteer = ctx.gazetteer
    manifest_place = _manifest_value(ctx, record, "place")
    manifest_date = _manifest_value(ctx, record, "date")
    site = None
    if manifest_place:
        site = gazetteer.get(manifest_place) or gazetteer.find(manifest_place)
        if site is not None:
            record.place = site.to_place("manifest")
        else:
            outcome = Outcome.WARNING
            notes.append(f"manifest place '{manifest_place}' is not in the gazetteer")
    caption_for_place = place_text(record.caption or "", ctx.settings.provenance.credit)
    if record.place is None and (site := gazetteer.find(caption_for_place)):
        record.place = site.to_place("caption")
    if record.place is None and record.ocr.text and (site := gazetteer.find(record.ocr.text)):
        record.place = site.to_place("ocr")
    if record.place is None and record.exif.gps:
        nearest = gazetteer.nearest(record.exif.gps["lat"], record.exif.gps["lon"], ctx.settings.places.gps_max_km)
        if nearest is not None:
            record.place = nearest[0].to_place("gps")
    if record.place is not None:
        notes.append(f"place {record.place.name} (from {record.place.source})")

    if manifest_date:
        try:
            record.date = parse_date_cell(manifest_date, "manifest")
        except DateParseError as exc:
            outcome = Outcome.WARNING
            notes.append(f"manifest date: {exc}")
    if record.date is None and record.caption:
        record.date = date_in_text(record.caption, "caption")
    if record.date is None and record.exif.date_taken:
        record.date = _exif_date(record.exif.date_taken)
    if record.date is not None:
        notes.append(f"date {record.date.value} (from {record.date.source})")

    record.add_event(EventType.METADATA_EXTRACTION, ctx.timestamp(), ctx.agent(), outcome, "; ".join(notes))
    return record


def _exif_date(date_taken: str) -> PhotoDate:
    """EXIF's `YYYY-MM-DDTHH:MM:SS` as a day: the camera clock is trusted to the day."""
    return PhotoDate(date_taken[:10], "day", "exif")


def _manifest_value(ctx: RunContext, record: Record, field: str) -> str | None:
    caption = ctx.captions.get(record.source.filename)
    return getattr(caption, field, None) if caption is not None else None
