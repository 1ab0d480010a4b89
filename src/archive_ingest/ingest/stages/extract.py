"""Structured fields from caption, inscription and EXIF: people, kind, place and photo date.

Owns the decisions of who is named (`persons`: the caption's and the stone's readings
merged, or kept apart with `caption_conflict` when they disagree), what the photo shows
(`kind`), where it was taken (`place`, from the gazetteer) and when (`date`). Each value
records what stated it (`source`), in this order of trust: manifest cell, caption,
the file's own XMP/IPTC date or location (`embedded`), inscription (OCR), EXIF/GPS.

A stone whose only life span stands beside no name gives that span to the caption's one
person (`attach_nameless_span`). Each person's `sources` says which of its values were
read on the stone, taken from the caption, or both (`text/names/merge.py`); a stone span
that cannot be true here (`text/years.implausible`) is never merged into the caption's
person nor corrected toward it.

Year-like text on the stone that forms no valid life span is flagged `unparsed_years`;
the flags that judge the people (`caption_conflict`, `inscription_unread`,
`years_unconfirmed`, `implausible_years`) are checks in `flags.py`, so a reviewer's edit
can clear them.
"""

from __future__ import annotations

import re

from ...record import EventType, FlagCode, Kind, Outcome, Person, PhotoDate, Record
from ...text.dates import DateParseError, date_in_text, parse_date_cell
from ...text.names import (
    InscriptionReading,
    attach_nameless_span,
    merge_persons,
    persons_in_caption,
    persons_in_inscription,
)
from ...text.years import find_life_spans, implausible
from ..context import RunContext

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

#: "Photo: Russian Embassy in Pyongyang." names the photographer, not the place.
CREDIT_LINE = re.compile(r"(?:photo|фото|снимок|source|источник)\s*[:©]\s*[^.\n]*", re.IGNORECASE)


def kind_of(caption: str | None, stone: InscriptionReading) -> tuple[Kind, str]:
    """(kind, the reason) from caption words, else a life span in the caption, else the stone.

    A stone that names someone, or shows a life span (even one read wrong, `2929-1959`),
    is a headstone: a grave whose inscription could not be read must not pass for a photo
    of nothing in particular, where no check of its years would apply.
    """
    lowered = (caption or "").lower()
    for kind, words in KIND_WORDS:
        for word in words:
            if word in lowered:
                return kind, f"caption says '{word}'"
    if find_life_spans(lowered):
        return Kind.HEADSTONE, "caption gives a life span"
    if stone.persons:
        return Kind.HEADSTONE, f"the stone names {stone.persons[0].name}"
    if stone.nameless_spans or stone.unparsed_years:
        shown = [str(n.span.birth_year) + "-" + str(n.span.death_year) for n in stone.nameless_spans]
        return Kind.HEADSTONE, f"the stone shows years ({', '.join(shown + list(stone.unparsed_years))})"
    return Kind.PHOTO, "nothing says what the photo shows"


def place_text(caption: str, credit: str) -> str:
    """The caption without credit lines, which name the photographer's city, not the site's."""
    return CREDIT_LINE.sub(" ", caption.replace(credit, " "))


def read_persons(record: Record) -> tuple[InscriptionReading, list[str]]:
    """Set `record.persons` from caption and stone; returns the stone's reading and the conflicts.

    The reading returned is the one merged: a nameless span given to the caption's one
    person is among its persons and no longer among its `unparsed_years`.
    """
    stone = persons_in_inscription(record.ocr.text) if record.ocr.text else InscriptionReading()
    from_caption = persons_in_caption(record.caption) if record.caption else []
    stone = attach_nameless_span(from_caption, stone)
    record.persons, conflicts = merge_persons(from_caption, stone.persons)
    return stone, conflicts


def _describe(person: Person) -> str:
    """`name [source; name both, years caption]` for the extraction event."""
    return f"{person.name} [{person.source}; {person.sources.describe()}]"


def run(record: Record, ctx: RunContext) -> Record:
    """Describe the record from what was read: its people, kind, place and date.

    One metadata-extraction event says what was found and from where; it is a warning
    when a manifest cell could not be used (a place not in the gazetteer, a bad date).
    """
    notes = _describe_people_and_kind(record)
    place_ok = _find_place(record, ctx, notes)
    date_ok = _find_date(record, ctx, notes)
    outcome = Outcome.SUCCESS if place_ok and date_ok else Outcome.WARNING
    record.add_event(EventType.METADATA_EXTRACTION, ctx.timestamp(), ctx.agent(), outcome, "; ".join(notes))
    return record


def _describe_people_and_kind(record: Record) -> list[str]:
    """Set the record's persons (stone and caption merged) and kind; the notes for its event."""
    notes: list[str] = []
    stone, conflicts = read_persons(record)
    kind, why = kind_of(record.caption, stone)
    record.kind = kind
    notes.append(f"kind {kind} ({why})")
    if record.persons:
        notes.append("persons " + "; ".join(_describe(p) for p in record.persons))
    if stone.corrections:
        notes.append("stone reading corrected: " + "; ".join(stone.corrections))
    if conflicts:
        notes.append("caption and stone disagree: " + "; ".join(conflicts))
    unlikely = [
        f"{p.name} {p.life_span()} ({reason})"
        for p in stone.persons
        if (reason := implausible(p.birth_year, p.death_year, p.birth_date, p.death_date)) is not None
    ]
    if unlikely:
        # Kept as read, apart from the caption's reading; flags.py raises implausible_years.
        notes.append("stone years that cannot be true here, kept as read: " + "; ".join(unlikely))
    if stone.unparsed_years and record.kind == Kind.HEADSTONE:
        # Only the OCR text shows these, so this flag is raised here, not re-checked in flags.py.
        unparsed = ", ".join(f"'{year}'" for year in stone.unparsed_years)
        record.add_flag(FlagCode.UNPARSED_YEARS, f"year-like text on the stone forms no valid life span: {unparsed}")
    return notes


def _find_place(record: Record, ctx: RunContext, notes: list[str]) -> bool:
    """The place, from the first that names one: the manifest, the caption, the file's own
    XMP/IPTC location, the stone, the GPS position (within `places.gps_max_km`). False: the
    manifest's place is unknown."""
    gazetteer = ctx.gazetteer
    manifest_ok = True
    manifest_place = _manifest_value(ctx, record, "place")
    if manifest_place:
        site = gazetteer.get(manifest_place) or gazetteer.find(manifest_place)
        if site is not None:
            record.place = site.to_place("manifest")
        else:
            manifest_ok = False
            notes.append(f"manifest place '{manifest_place}' is not in the gazetteer")
    caption_for_place = place_text(record.caption or "", ctx.settings.provenance.credit)
    if record.place is None and (site := gazetteer.find(caption_for_place)):
        record.place = site.to_place("caption")
    if record.place is None and record.embedded.place and (site := gazetteer.find(record.embedded.place)):
        record.place = site.to_place("embedded")
    if record.place is None and record.ocr.text and (site := gazetteer.find(record.ocr.text)):
        record.place = site.to_place("ocr")
    if record.place is None and record.exif.gps:
        nearest = gazetteer.nearest(record.exif.gps["lat"], record.exif.gps["lon"], ctx.settings.places.gps_max_km)
        if nearest is not None:
            record.place = nearest[0].to_place("gps")
    if record.place is not None:
        notes.append(f"place {record.place.name} (from {record.place.source})")
    return manifest_ok


def _find_date(record: Record, ctx: RunContext, notes: list[str]) -> bool:
    """The photo's date, from the first that gives one: the manifest, the caption (sidecar,
    manifest row or the file's own), the file's XMP/IPTC date created, EXIF.
    False: the manifest's date does not parse."""
    manifest_ok = True
    manifest_date = _manifest_value(ctx, record, "date")
    if manifest_date:
        try:
            record.date = parse_date_cell(manifest_date, "manifest")
        except DateParseError as exc:
            manifest_ok = False
            notes.append(f"manifest date: {exc}")
    if record.date is None and record.caption:
        record.date = date_in_text(record.caption, "caption")
    if record.date is None and record.embedded.date:
        # XMP/IPTC date created: written by a person or the scanning software, so after the
        # caption's words and before the camera clock (EXIF).
        record.date = parse_date_cell(record.embedded.date, "embedded")
    if record.date is None and record.exif.date_taken:
        record.date = _exif_date(record.exif.date_taken)
    if record.date is not None:
        notes.append(f"date {record.date.value} (from {record.date.source})")
    return manifest_ok


def _exif_date(date_taken: str) -> PhotoDate:
    """EXIF's `YYYY-MM-DDTHH:MM:SS` as a day: the camera clock is trusted to the day."""
    return PhotoDate(date_taken[:10], "day", "exif")


def _manifest_value(ctx: RunContext, record: Record, field: str) -> str | None:
    caption = ctx.captions.get(record.source.filename)
    return getattr(caption, field, None) if caption is not None else None
