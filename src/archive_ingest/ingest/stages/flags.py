"""Quality flags: what a reviewer must look at, and whether the record enters review.

Flags raised by earlier stages for what they saw happen (`corrupt`, `bad_encoding`,
`ocr_failed`, `duplicate`) stay. The flags here judge the finished record, each by one
check that can run again: after a reviewer edits a field, `evaluate()` re-runs the
checks that depend on it and clears the flags that no longer hold. Thresholds come from
`pipeline.yaml` (`flags.*`, `places.*`). A record with any flag enters review as
`pending`; one without is `not_needed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...record import FieldSource, FlagCode, Kind, Person, Record, ReviewStatus
from ...text.names import merge_persons, persons_in_inscription, same_person
from ...text.places import haversine_km
from ...text.years import find_life_spans, implausible
from ..context import RunContext

Check = Callable[[Record, RunContext], str | None]


def _no_caption(record: Record, ctx: RunContext) -> str | None:
    return None if record.caption else "no caption sidecar or manifest row for this file"


def _ocr_ran(record: Record, ctx: RunContext) -> bool:
    return (
        record.ocr.engine is not None
        and not record.has_flag(FlagCode.OCR_FAILED)
        and record.kind in ctx.settings.flags.ocr_kinds
    )


def _ocr_empty(record: Record, ctx: RunContext) -> str | None:
    if _ocr_ran(record, ctx) and not record.ocr.text:
        return f"tesseract read no text on this {record.kind}"
    return None


def _ocr_low_confidence(record: Record, ctx: RunContext) -> str | None:
    threshold = ctx.settings.flags.ocr_low_confidence_below
    confidence = record.ocr.confidence
    if _ocr_ran(record, ctx) and record.ocr.text and confidence is not None and confidence < threshold:
        return f"mean word confidence {confidence:g} is below {threshold:g}"
    return None


def _no_date(record: Record, ctx: RunContext) -> str | None:
    return None if record.date else "no date in the manifest, the caption or EXIF"


def _unknown_place(record: Record, ctx: RunContext) -> str | None:
    if record.place is not None:
        return None
    looked = "manifest, caption, inscription" + (" and GPS" if record.exif.gps else "; no GPS")
    return f"no gazetteer place found ({looked})"


def _place_conflict(record: Record, ctx: RunContext) -> str | None:
    """The photo's GPS far from the place named for it (by caption, manifest or a reviewer)."""
    place, gps = record.place, record.exif.gps
    if place is None or gps is None or place.lat is None or place.lon is None or place.source == "gps":
        return None
    distance = haversine_km(gps["lat"], gps["lon"], place.lat, place.lon)
    limit = ctx.settings.places.gps_conflict_km
    if distance <= limit:
        return None
    nearest = ctx.gazetteer.nearest(gps["lat"], gps["lon"], limit)
    near = f"; it is {nearest[1]:.0f} km from {nearest[0].name}" if nearest else ""
    return (
        f"the {place.source} says {place.name}, but the GPS fix {gps['lat']:.4f}, {gps['lon']:.4f} "
        f"is {distance:.0f} km away{near}"
    )


def _caption_conflict(record: Record, ctx: RunContext) -> str | None:
    """The caption's and the stone's readings of a person disagree (on a year, or a name in one script)."""
    from_caption = [p for p in record.persons if "caption" in p.source and "ocr" not in p.source]
    from_stone = [p for p in record.persons if "ocr" in p.source and "caption" not in p.source]
    _, conflicts = merge_persons(from_caption, from_stone)
    return "; ".join(conflicts) or None


#: Per-field sources of years that were read on the stone (or by a reviewer on the photo).
STONE_YEARS = frozenset({FieldSource.STONE, FieldSource.BOTH, FieldSource.REVIEW})
_YEAR_FIELDS = (
    ("birth_year", "birth year"),
    ("death_year", "death year"),
    ("birth_date", "birth date"),
    ("death_date", "death date"),
)


def _inscription_unread(record: Record, ctx: RunContext) -> str | None:
    """A headstone with no name and year from the stone (as read, or as a reviewer read it).

    Such a record must not look finished: its people rest on the caption alone, or on
    nothing, and the caption may be wrong. A year counts as the stone's by its per-field
    source (`stone`, `both` or `review`), never by the entry's `caption+ocr`: a stone that
    gave only a name does not confirm the years the caption put beside it. Years `caption`
    beside one the stone did give (an unknown soldier's lone death year, the birth year
    from the caption) count too: the stone gave a name with a year, and `years_unconfirmed`
    says which year it did not give.
    """
    if record.kind != Kind.HEADSTONE:
        return None
    if any(p.has_years and p.sources.years in STONE_YEARS for p in record.persons):
        return None
    partly = [p for p in record.persons if p.sources.years == FieldSource.CAPTION and "ocr" in p.source.split("+")]
    if partly:
        stone_values = _stone_values(record)
        if any(len(_unread_on_stone(p, stone_values)) < len(_year_values(p)) for p in partly):
            return None
    on_caption = sum(1 for p in record.persons if "caption" in p.source)
    rests = f"the {on_caption} person(s) named rest on the caption alone" if on_caption else "no one is named"
    return f"no name with a year was read on the stone; {rests}"


def _stone_values(record: Record) -> set[tuple[str, int | str]]:
    """(field, value) of every year and date the stone's text gives, as extract read it."""
    if not record.ocr.text:
        return set()
    reading = persons_in_inscription(record.ocr.text)
    people = [(p.birth_year, p.death_year, p.birth_date, p.death_date) for p in reading.persons]
    for nameless in reading.nameless_spans:
        span = nameless.span
        people.append((span.birth_year, span.death_year, span.birth_date, span.death_date))
    return {
        (attr, value)
        for values in people
        for (attr, _), value in zip(_YEAR_FIELDS, values, strict=True)
        if value is not None
    }


def _year_values(person: Person) -> list[tuple[str, int | str]]:
    """(what, value) of each year and date the person has: `("birth year", 1911)`."""
    return [(what, value) for attr, what in _YEAR_FIELDS if (value := getattr(person, attr)) is not None]


def _unread_on_stone(person: Person, stone_values: set[tuple[str, int | str]]) -> list[tuple[str, int | str]]:
    """The person's years and dates that the stone's text does not give in that place."""
    return [
        (what, value)
        for attr, what in _YEAR_FIELDS
        if (value := getattr(person, attr)) is not None and (attr, value) not in stone_values
    ]


def _listed(values: list[tuple[str, int | str]]) -> str:
    return " and ".join(f"{what} {value}" for what, value in values)


def _years_unconfirmed(record: Record, ctx: RunContext) -> str | None:
    """A headstone's person whose years rest on the caption alone (`sources.years` `caption`).

    The stone gave no years for this person, or only some (a name and no span; a lone
    death year): what the caption says was never checked against the stone. The detail
    names the person and the years the stone's text does not show (all of them, "not
    recorded as read", when the text shows each but not as this person's). A person whose
    stone reading is a separate entry (a `caption_conflict` pair) is left to that flag.
    """
    if record.kind != Kind.HEADSTONE:
        return None
    stone_values: set[tuple[str, int | str]] | None = None
    details: list[str] = []
    for person in record.persons:
        if person.sources.years != FieldSource.CAPTION:
            continue
        if any(
            other is not person and other.sources.years in STONE_YEARS and same_person(person, other)
            for other in record.persons
        ):
            continue
        if stone_values is None:
            stone_values = _stone_values(record)
        unread = _unread_on_stone(person, stone_values)
        if unread:
            verb = "rests" if len(unread) == 1 else "rest"
            details.append(f"{person.name}: {_listed(unread)} {verb} on the caption alone")
        else:
            # The text shows each value, but not as this person's (another person's span, or
            # a record stored before per-field sources, whose years are taken as the caption's).
            details.append(f"{person.name}: {_listed(_year_values(person))} are not recorded as read on the stone")
    return "; ".join(details) or None


def _read_as(record: Record, person: Person) -> str:
    """The person's years as the stone's text shows them (`1835 - 1945`), else as parsed."""
    text = record.ocr.text
    for span in find_life_spans(text, allow_shorthand=False):
        if (span.birth_year, span.death_year) == (person.birth_year, person.death_year):
            return text[span.start : span.end]
    return person.life_span()


def _implausible_years(record: Record, ctx: RunContext) -> str | None:
    """A life span read on the stone that cannot be true here (`text/years.implausible`).

    `merge_persons` keeps such a reading as its own entry rather than trusting it or
    replacing it with the caption's years; a reviewer reads the stone and sets the years
    (their source becomes `review`, which clears this flag).
    """
    details: list[str] = []
    for person in record.persons:
        if person.sources.years not in (FieldSource.STONE, FieldSource.BOTH):
            continue
        reason = implausible(person.birth_year, person.death_year, person.birth_date, person.death_date)
        if reason is not None:
            details.append(f"the stone reads '{_read_as(record, person)}' for {person.name}: {reason}")
    return "; ".join(details) or None


def _owner_words(text: str) -> str:
    """`text` casefolded, without the words of a copyright notice and punctuation, for comparing owners."""
    words = "".join(ch if ch.isalnum() else " " for ch in text.casefold()).split()
    noise = {"c", "copyright", "photo", "photos", "all", "rights", "reserved", "by", "the", "of"}
    return " ".join(word for word in words if word not in noise and not word.isdigit())


def _same_owner(stated: str, *known: str) -> bool:
    """The file's credit or notice names one of the `known` owners (one contains the other)."""
    stated_words = _owner_words(stated)
    return any(
        stated_words and (words := _owner_words(owner)) and (stated_words in words or words in stated_words)
        for owner in known
    )


def _credit_conflict(record: Record, ctx: RunContext) -> str | None:
    """The credit or copyright notice written in the file names another owner than the record's credit.

    Both stay on the record (`provenance.embedded_credit`/`embedded_rights` beside
    `provenance.credit`/`rights`); the file's never replaces the configured one.
    """
    provenance = record.provenance
    if provenance is None:
        return None
    details: list[str] = []
    if provenance.embedded_credit and not _same_owner(provenance.embedded_credit, provenance.credit):
        details.append(f"the file credits '{provenance.embedded_credit}', the record '{provenance.credit}'")
    if provenance.embedded_rights and not _same_owner(provenance.embedded_rights, provenance.credit, provenance.rights):
        notice = provenance.embedded_rights
        details.append(f"the file's copyright notice is '{notice}', the record credits '{provenance.credit}'")
    return "; ".join(details) or None


#: Every re-runnable check, by the flag it raises.
CHECKS: dict[FlagCode, Check] = {
    FlagCode.NO_CAPTION: _no_caption,
    FlagCode.OCR_EMPTY: _ocr_empty,
    FlagCode.OCR_LOW_CONFIDENCE: _ocr_low_confidence,
    FlagCode.NO_DATE: _no_date,
    FlagCode.UNKNOWN_PLACE: _unknown_place,
    FlagCode.PLACE_CONFLICT: _place_conflict,
    FlagCode.CAPTION_CONFLICT: _caption_conflict,
    FlagCode.INSCRIPTION_UNREAD: _inscription_unread,
    FlagCode.YEARS_UNCONFIRMED: _years_unconfirmed,
    FlagCode.IMPLAUSIBLE_YEARS: _implausible_years,
    FlagCode.CREDIT_CONFLICT: _credit_conflict,
}


def evaluate(record: Record, ctx: RunContext, codes: Iterable[FlagCode] | None = None) -> list[FlagCode]:
    """Re-run the checks for `codes` (all by default); returns the flags that were cleared.

    A quarantined record is judged by nothing here: its `corrupt` flag says it all.
    """
    cleared: list[FlagCode] = []
    for code in CHECKS if codes is None else codes:
        detail = None if record.quarantined else CHECKS[code](record, ctx)
        previous = record.remove_flag(code)
        if detail is not None:
            record.add_flag(code, detail)
        elif previous is not None:
            cleared.append(code)
    return cleared


def run(record: Record, ctx: RunContext) -> Record:
    evaluate(record, ctx)
    if record.flags and record.review.status == ReviewStatus.NOT_NEEDED:
        record.review.status = ReviewStatus.PENDING
    return record
