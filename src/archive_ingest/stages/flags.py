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

from ..context import RunContext
from ..record import FlagCode, Kind, Record, ReviewStatus
from ..text.names import merge_persons
from ..text.places import haversine_km

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


def _inscription_unread(record: Record, ctx: RunContext) -> str | None:
    """A headstone with no name and year from the stone (as read, or as a reviewer read it).

    Such a record must not look finished: its people rest on the caption alone, or on
    nothing, and the caption may be wrong.
    """
    if record.kind != Kind.HEADSTONE:
        return None
    if any((p.birth_year or p.death_year) and ("ocr" in p.source or "review" in p.source) for p in record.persons):
        return None
    on_caption = sum(1 for p in record.persons if "caption" in p.source)
    rests = f"the {on_caption} person(s) named rest on the caption alone" if on_caption else "no one is named"
    return f"no name with a year was read on the stone; {rests}"


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
