"""Review: the queue of flagged records, and decisions and edits with a full audit trail.

Every action appends an event naming who acted (`--by`, default the login name) with the
old and new value, so what the pipeline read is never lost: `show ID --history` shows it
beside what a person changed. Each action takes the catalog's writer lock only for its own
short read-modify-commit, so a reviewer working through the queue does not block a run
for longer than one commit, and a run in progress makes the action exit 3.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

from . import catalog as catalog_module
from .catalog import Catalog
from .config import Settings
from .context import RunContext, utc_now
from .errors import IngestError
from .record import (
    EventType,
    FlagCode,
    Kind,
    Link,
    LinkType,
    Outcome,
    Person,
    Record,
    ReviewStatus,
    part_to_json,
)
from .stages import flags
from .text.dates import DateParseError, parse_date_cell
from .text.places import Gazetteer

#: What each flag means for a reviewer, and what to do about it.
FLAG_HELP: dict[FlagCode, str] = {
    FlagCode.DUPLICATE: "the same bytes were dropped again; the copy was not stored twice",
    FlagCode.NEAR_DUPLICATE: "looks like the same photo as another record (resized, cropped or re-encoded): "
    "'review merge' or 'review distinct'",
    FlagCode.CORRUPT: "the file could not be read safely and is in quarantine/; reject it or replace the scan",
    FlagCode.NO_CAPTION: "no caption came with the scan: set one with 'review edit ID --set caption=...'",
    FlagCode.CAPTION_CONFLICT: "the caption and the stone disagree: check the photo and correct the person",
    FlagCode.OCR_EMPTY: "no text was read on a stone that should carry some: check the photo",
    FlagCode.OCR_LOW_CONFIDENCE: "the inscription was read with low confidence: compare it with the photo",
    FlagCode.OCR_FAILED: "tesseract failed on this image: the inscription was not read",
    FlagCode.OCR_WRONG_SCRIPT: "the text came out in the wrong alphabet: the reading is probably gibberish",
    FlagCode.NO_DATE: "nothing says when the photo was taken: set 'date' if known",
    FlagCode.UNKNOWN_PLACE: "no site from the gazetteer was found: set 'place'",
    FlagCode.PLACE_CONFLICT: "the GPS fix and the named place disagree: check which is right",
    FlagCode.BAD_ENCODING: "the caption was not UTF-8 and was decoded as cp1251: check the text",
    FlagCode.INSCRIPTION_UNREAD: "no name with a year was read on the stone: read it from the photo and "
    "set person.N.name / birth_year / death_year",
    FlagCode.UNPARSED_YEARS: "the stone shows year-like text that is not a valid life span: check the years",
    FlagCode.YEARS_UNCONFIRMED: "these years come from the caption; the stone did not show them: read them "
    "on the photo and set person.N.birth_year / death_year (even to the same value) to confirm them",
    FlagCode.IMPLAUSIBLE_YEARS: "the years read on the stone cannot be true here (a misread digit?): read them "
    "on the photo and set person.N.birth_year / death_year",
}

PERSON_FIELDS = ("name", "name_latin", "birth_year", "death_year", "birth_date", "death_date", "rank")
EDITABLE = ("caption", "credit", "kind", "place", "date", *(f"person.{name}" for name in PERSON_FIELDS))

#: Flags whose checks depend on each editable field; an edit re-runs them.
DEPENDENT_FLAGS: dict[str, tuple[FlagCode, ...]] = {
    "caption": (FlagCode.NO_CAPTION,),
    "kind": (FlagCode.OCR_EMPTY, FlagCode.OCR_LOW_CONFIDENCE, FlagCode.INSCRIPTION_UNREAD, FlagCode.YEARS_UNCONFIRMED),
    "place": (FlagCode.UNKNOWN_PLACE, FlagCode.PLACE_CONFLICT),
    "date": (FlagCode.NO_DATE,),
    "person": (
        FlagCode.CAPTION_CONFLICT,
        FlagCode.INSCRIPTION_UNREAD,
        FlagCode.YEARS_UNCONFIRMED,
        FlagCode.IMPLAUSIBLE_YEARS,
    ),
}

_PERSON_KEY = re.compile(r"^person(?:\.(\d+))?\.(\w+)$")


class InvalidEdit(IngestError):
    """An edit the archive cannot take (unknown field, bad value); nothing was changed."""

    exit_code = 2


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "unknown"


def queue(records: list[Record], flag: FlagCode | None = None) -> list[Record]:
    """Records waiting for review, oldest first; only those with `flag` when given."""
    waiting = [r for r in records if r.review.status == ReviewStatus.PENDING and (flag is None or r.has_flag(flag))]
    return sorted(waiting, key=lambda r: (r.source.ingested_at or "", r.id))


@dataclass
class Change:
    """One field changed by an edit, for the event and the command's output."""

    field: str
    old: Any
    new: Any
    cleared: list[FlagCode] = dataclass_field(default_factory=list)

    def describe(self) -> str:
        text = f"{self.field}: {_short(self.old)} -> {_short(self.new)}"
        if self.cleared:
            text += f" (cleared {', '.join(self.cleared)})"
        return text


class Reviewer:
    """Review actions on the catalog of `settings`, made by `by`."""

    def __init__(self, settings: Settings, by: str, now: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.by = by
        self.ctx = RunContext(settings=settings, now=now, gazetteer=Gazetteer.load(settings.places.gazetteer))

    @contextmanager
    def _writing(self) -> Iterator[Catalog]:
        with catalog_module.writer(
            self.settings.paths.catalog, f"archive-ingest review ({self.by})", self.ctx.now()
        ) as catalog:
            yield catalog

    def _decide(self, record: Record, status: ReviewStatus, note: str | None, detail: str | None = None) -> None:
        old = part_to_json(record.review)
        review = record.review
        review.status, review.by, review.at, review.note = status, self.by, self.ctx.timestamp(), note
        detail = detail or f"{status}" + (f": {note}" if note else "")
        record.add_event(EventType.REVIEW, self.ctx.timestamp(), self.by, Outcome.SUCCESS, detail)
        event = record.events[-1]
        event.field, event.old, event.new = "review", old, part_to_json(review)

    def accept(self, record_id: str, note: str | None = None) -> Record:
        with self._writing() as catalog:
            record = catalog.require(record_id)
            self._decide(record, ReviewStatus.ACCEPTED, note)
            catalog.commit([record])
        return record

    def reject(self, record_id: str, note: str) -> Record:
        if not note.strip():
            raise InvalidEdit("reject needs --note saying why")
        with self._writing() as catalog:
            record = catalog.require(record_id)
            self._decide(record, ReviewStatus.REJECTED, note)
            catalog.commit([record])
        return record

    def edit(self, record_id: str, assignments: list[str]) -> tuple[Record, list[Change]]:
        """Apply `FIELD=VALUE` assignments, all or none.

        Raises:
            InvalidEdit: an unknown field or a value that does not validate.
        """
        if not assignments:
            raise InvalidEdit(f"nothing to change: give --set FIELD=VALUE (fields: {', '.join(EDITABLE)})")
        with self._writing() as catalog:
            record = catalog.require(record_id)
            changes = [self._apply(record, assignment) for assignment in assignments]
            _check_person_years(record)
            for change in changes:
                dependent = DEPENDENT_FLAGS.get(change.field.split(".")[0], ())
                change.cleared = flags.evaluate(record, self.ctx, dependent)
                record.add_event(EventType.EDIT, self.ctx.timestamp(), self.by, Outcome.SUCCESS, change.describe())
                event = record.events[-1]
                event.field, event.old, event.new = change.field, change.old, change.new
            catalog.commit([record])
        return record, changes

    def _apply(self, record: Record, assignment: str) -> Change:
        key, sep, value = assignment.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise InvalidEdit(f"'{assignment}': write FIELD=VALUE (fields: {', '.join(EDITABLE)})")
        if key == "caption":
            old: Any = record.caption
            record.caption = value or None
            return Change(key, old, record.caption)
        if key == "credit":
            if record.provenance is None:
                raise InvalidEdit("credit: this record has no provenance to change")
            old, record.provenance.credit = record.provenance.credit, value
            return Change(key, old, value)
        if key == "kind":
            choices = [k.value for k in Kind if k != Kind.QUARANTINED]
            if value not in choices:
                raise InvalidEdit(f"kind: '{value}' is not one of {', '.join(choices)}")
            old, record.kind = record.kind.value, Kind(value)
            return Change(key, old, value)
        if key == "place":
            site = self.ctx.gazetteer.get(value)
            if site is None:
                known = ", ".join(s.name for s in self.ctx.gazetteer.sites)
                raise InvalidEdit(f"place: '{value}' is not in the gazetteer (known: {known})")
            old = part_to_json(record.place)
            record.place = site.to_place("review")
            return Change(key, old, part_to_json(record.place))
        if key == "date":
            try:
                date = parse_date_cell(value, "review")
            except DateParseError as exc:
                raise InvalidEdit(f"date: {exc}") from exc
            old = part_to_json(record.date)
            record.date = date
            return Change(key, old, part_to_json(date))
        match = _PERSON_KEY.match(key)
        if match is None or match.group(2) not in PERSON_FIELDS:
            raise InvalidEdit(f"{key}: not a field a reviewer can set (fields: {', '.join(EDITABLE)})")
        return self._apply_person(record, int(match.group(1) or 1), match.group(2), value, key)

    def _apply_person(self, record: Record, number: int, name: str, value: str, key: str) -> Change:
        if not 1 <= number <= len(record.persons) + 1:
            raise InvalidEdit(
                f"{key}: the record has {len(record.persons)} person(s); use 1 to {len(record.persons) + 1}"
            )
        if number == len(record.persons) + 1:
            record.persons.append(Person(name="", source="review"))
        person = record.persons[number - 1]
        old = getattr(person, name)
        new: Any = value or None
        if name in ("birth_year", "death_year") and new is not None:
            if not re.fullmatch(r"\d{4}", value) or not 1800 <= int(value) <= 2030:
                raise InvalidEdit(f"{key}: '{value}' is not a year between 1800 and 2030")
            new = int(value)
        if name in ("birth_date", "death_date") and new is not None:
            try:
                parsed = parse_date_cell(value, "review")
            except DateParseError as exc:
                raise InvalidEdit(f"{key}: {exc}") from exc
            if parsed.precision != "day":
                raise InvalidEdit(f"{key}: '{value}' is not a full date (YYYY-MM-DD)")
        if name == "name" and not new:
            raise InvalidEdit(f"{key}: a person needs a name")
        setattr(person, name, new)
        if "review" not in person.source.split("+"):
            person.source = f"{person.source}+review" if person.source else "review"
        person.mark_reviewed(name)  # the reviewer read it on the photo: it rests on them now
        return Change(f"person.{number}.{name}", old, new)

    def link(self, record_id: str, other_id: str, merge: bool, note: str | None = None) -> tuple[Record, Record]:
        """`merge`: the same photo, ID is merged into OTHER; else: two different photos."""
        with self._writing() as catalog:
            record, other = catalog.require(record_id), catalog.require(other_id)
            if record.id == other.id:
                raise InvalidEdit(f"{record.id}: a record cannot be linked to itself")
            for one, two in ((record, other), (other, record)):
                one.links = [lk for lk in one.links if not (lk.type == LinkType.NEAR_DUPLICATE_OF and lk.id == two.id)]
                if not one.linked(LinkType.NEAR_DUPLICATE_OF):
                    one.remove_flag(FlagCode.NEAR_DUPLICATE)
            now = self.ctx.timestamp()
            if merge:
                record.links.append(Link(LinkType.MERGED_INTO, other.id))
                other.links.append(Link(LinkType.MERGED_FROM, record.id))
                other.add_event(EventType.REVIEW, now, self.by, Outcome.SUCCESS, f"{record.id} merged into this record")
                merged = f"merged into {other.id}" + (f": {note}" if note else "")
                self._decide(record, ReviewStatus.ACCEPTED, note or f"merged into {other.id}", merged)
            else:
                for one, two in ((record, other), (other, record)):
                    one.links.append(Link(LinkType.DISTINCT_FROM, two.id))
                    one.add_event(
                        EventType.REVIEW,
                        now,
                        self.by,
                        Outcome.SUCCESS,
                        f"distinct from {two.id}: similar, but another photo" + (f" ({note})" if note else ""),
                    )
            catalog.commit([record, other])
        return record, other


def _check_person_years(record: Record) -> None:
    for number, person in enumerate(record.persons, start=1):
        if person.birth_year and person.death_year and person.death_year < person.birth_year:
            raise InvalidEdit(
                f"person.{number}: death year {person.death_year} is before birth year {person.birth_year}"
            )
        if person.birth_date and person.death_date and person.death_date < person.birth_date:
            raise InvalidEdit(
                f"person.{number}: death date {person.death_date} is before birth date {person.birth_date}"
            )


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("value") or value.get("status") or value)
    return "(none)" if value is None else str(value)
