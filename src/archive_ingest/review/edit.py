"""A reviewer's edit of one record: `--set FIELD=VALUE` and `--remove person.N`, validated and applied.

This module owns what a reviewer may change and how: `apply_edit` checks every assignment
and removal, applies them to the record in memory and says what changed; `review/__init__.py` wraps
it in the catalog's lock, re-runs the checks, records the events and commits, all or none.

Decisions a user should know:

- An empty value clears the field (`--set date=`, `--set place=`, `--set caption=`,
  `--set person.1.death_year=`, `--set person.1.rank=`). Fields every record or person must
  have are refused empty, saying what to do instead: `kind`, `credit`, and a person's
  `name` (remove the person with `--remove person.N`).
- A value equal to the one recorded changes nothing and is not recorded ("nothing
  changed"): a place by its gazetteer site (`Wonsan` = `원산`), a date by its value. One
  exception: a person's name, years or rank that do not yet rest on the review are
  confirmed by setting them to the same value (their source becomes `review`), which is
  how a reviewer who read the stone clears `years_unconfirmed` (`1911 confirmed`).
- Person numbers are those `review show` prints. `person.FIELD` means person 1; one past
  the last adds a person, who must be given a name. `--remove person.N` removes one
  (recorded with the whole person as the old value); a person cannot be both removed and
  edited in one command. Removals are applied after the assignments, so every number in
  one command means the same person.
- A name a reviewer writes gets its `name_latin` as the pipeline makes one
  (`text/names.latin_form`: surname first, romanised), unless the reviewer sets
  `name_latin` too or the recorded `name_latin` is not the one the old name gives (a form
  someone chose is kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from ..errors import IngestError
from ..record import FieldSource, FlagCode, Kind, Person, Record, part_to_json
from ..text.dates import DateParseError, parse_date_cell
from ..text.places import Gazetteer
from .history import describe_edit, in_words

PERSON_FIELDS = ("name", "name_latin", "birth_year", "death_year", "birth_date", "death_date", "rank")
EDITABLE = ("caption", "credit", "kind", "place", "date", *(f"person.{name}" for name in PERSON_FIELDS))

#: Which per-field source (`PersonSources`) a person's field rests on; `name_latin` rests on none.
_SOURCE_PART = {
    "name": "name",
    "birth_year": "years",
    "death_year": "years",
    "birth_date": "years",
    "death_date": "years",
    "rank": "rank",
}

_PERSON_KEY = re.compile(r"^person(?:\.(\d+))?\.(\w+)$")
_REMOVABLE = re.compile(r"^person\.(\d+)$")


class InvalidEdit(IngestError):
    """An edit the archive cannot take (unknown field, bad value); nothing was changed."""

    exit_code = 2


@dataclass
class Change:
    """One field changed by an edit, for the event and the command's output."""

    field: str
    old: Any
    new: Any
    cleared: list[FlagCode] = dataclass_field(default_factory=list)
    """Flags the re-run checks no longer raise."""
    raised: list[FlagCode] = dataclass_field(default_factory=list)
    """Flags the re-run checks raise now (a cleared place is an unknown place)."""

    def describe(self) -> str:
        if self.old == self.new:  # a person's value confirmed: only its source changed
            text = f"{self.field}: {in_words(self.new)} confirmed"
        else:
            text = describe_edit(self.field, self.old, self.new)
        notes = [f"cleared {', '.join(self.cleared)}"] if self.cleared else []
        notes += [f"raised {', '.join(self.raised)}"] if self.raised else []
        return text + (f" ({'; '.join(notes)})" if notes else "")


@dataclass
class EditOutcome:
    """What `apply_edit` did to the record."""

    changes: list[Change]
    unchanged: list[str]
    """`place: already Wonsan`, for each assignment that changed nothing."""


def apply_edit(record: Record, assignments: list[str], removals: list[str], gazetteer: Gazetteer) -> EditOutcome:
    """Apply `FIELD=VALUE` assignments, then remove the persons named `person.N`.

    The record is changed in place; on an error it is half changed, so the caller must
    drop it (`Reviewer.edit` does: it commits nothing).

    Raises:
        InvalidEdit: an unknown field, a value that does not validate, a person removed
            and edited, a person without a name, a death before a birth.
    """
    if not assignments and not removals:
        raise InvalidEdit(
            f"nothing to change: give --set FIELD=VALUE (fields: {', '.join(EDITABLE)}) or --remove person.N"
        )
    removed = _removed_numbers(removals, len(record.persons))
    outcome = EditOutcome([], [])
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise InvalidEdit(f"'{assignment}': write FIELD=VALUE (fields: {', '.join(EDITABLE)})")
        match = _PERSON_KEY.match(key)
        if match is not None and match.group(2) in PERSON_FIELDS:
            number = int(match.group(1) or 1)
            if number in removed:
                raise InvalidEdit(f"{key}: person.{number} is removed by this edit; set no field of it")
            changes = _set_person(record, number, match.group(2), value, key)
        else:
            changes = _set_field(record, key, value, gazetteer)
        if changes:
            outcome.changes += changes
        else:
            recorded = _recorded(record, key, match)
            outcome.unchanged.append(f"{key}: already {in_words(recorded)}" if recorded else f"{key}: already empty")
    for number in sorted(removed, reverse=True):  # from the last, so the other numbers stay put
        person = record.persons.pop(number - 1)
        outcome.changes.append(Change(f"person.{number}", part_to_json(person), None))
    _check_persons(record)
    return outcome


def _recorded(record: Record, key: str, person_key: re.Match[str] | None) -> Any:
    """The value `key` holds (after an assignment that changed nothing)."""
    if person_key is not None:
        return getattr(record.persons[int(person_key.group(1) or 1) - 1], person_key.group(2))
    if key == "credit":
        return record.provenance.credit if record.provenance else None
    parts = {"caption": record.caption, "kind": str(record.kind), "place": record.place, "date": record.date}
    return part_to_json(parts[key]) if key in ("place", "date") else parts[key]


def _removed_numbers(removals: list[str], count: int) -> set[int]:
    numbers: set[int] = set()
    for removal in removals:
        match = _REMOVABLE.match(removal.strip())
        if match is None:
            raise InvalidEdit(
                f"--remove {removal}: only a person can be removed (person.N); to clear a field, --set FIELD="
            )
        number = int(match.group(1))
        if not 1 <= number <= count:
            raise InvalidEdit(f"--remove {removal}: the record has {count} person(s)")
        numbers.add(number)
    return numbers


def _set_field(record: Record, key: str, value: str, gazetteer: Gazetteer) -> list[Change]:
    """The record-level fields; [] when the value is the one recorded."""
    old: Any
    if key == "caption":
        old, new = record.caption, value or None
        if new == old:
            return []
        record.caption = new
        return [Change(key, old, new)]
    if key == "credit":
        if record.provenance is None:
            raise InvalidEdit("credit: this record has no provenance to change")
        if not value:
            raise InvalidEdit("credit: every record is credited; give the credit line")
        if value == record.provenance.credit:
            return []
        old, record.provenance.credit = record.provenance.credit, value
        return [Change(key, old, value)]
    if key == "kind":
        choices = [k.value for k in Kind if k != Kind.QUARANTINED]
        if value not in choices:
            said = f"'{value}' is not" if value else "every record has a kind:"
            raise InvalidEdit(f"kind: {said} one of {', '.join(choices)}")
        if value == record.kind:
            return []
        old, record.kind = record.kind.value, Kind(value)
        return [Change(key, old, value)]
    if key == "place":
        return _set_place(record, value, gazetteer)
    if key == "date":
        return _set_date(record, value)
    raise InvalidEdit(f"{key}: not a field a reviewer can set (fields: {', '.join(EDITABLE)})")


def _set_place(record: Record, value: str, gazetteer: Gazetteer) -> list[Change]:
    old = part_to_json(record.place)
    if not value:
        if record.place is None:
            return []
        record.place = None
        return [Change("place", old, None)]
    site = gazetteer.get(value)
    if site is None:
        known = ", ".join(s.name for s in gazetteer.sites)
        raise InvalidEdit(f"place: '{value}' is not in the gazetteer (known: {known})")
    if record.place is not None and record.place.name == site.name:  # the same site, in any of its names
        return []
    record.place = site.to_place("review")
    return [Change("place", old, part_to_json(record.place))]


def _set_date(record: Record, value: str) -> list[Change]:
    old = part_to_json(record.date)
    if not value:
        if record.date is None:
            return []
        record.date = None
        return [Change("date", old, None)]
    try:
        date = parse_date_cell(value, "review")
    except DateParseError as exc:
        raise InvalidEdit(f"date: {exc}") from exc
    if record.date is not None and (record.date.value, record.date.precision) == (date.value, date.precision):
        return []
    record.date = date
    return [Change("date", old, part_to_json(date))]


def _set_person(record: Record, number: int, name: str, value: str, key: str) -> list[Change]:
    """One field of person `number` (one past the last adds a person); [] when nothing changes."""
    if not 1 <= number <= len(record.persons) + 1:
        raise InvalidEdit(f"{key}: the record has {len(record.persons)} person(s); use 1 to {len(record.persons) + 1}")
    new = _person_value(name, value, key)
    if number == len(record.persons) + 1:
        record.persons.append(Person(name="", source="review"))
    person = record.persons[number - 1]
    old = getattr(person, name)
    part = _SOURCE_PART.get(name)
    if new == old and (part is None or new is None or getattr(person.sources, part) == FieldSource.REVIEW):
        return []
    setattr(person, name, new)
    if "review" not in person.source.split("+"):
        person.source = f"{person.source}+review" if person.source else "review"
    person.mark_reviewed(name)  # the reviewer read it on the photo: it rests on them now
    changes = [Change(f"person.{number}.{name}", old, new)]
    if name == "name" and new != old:
        changes += _follow_latin_form(person, number, old)
    return changes


def _person_value(name: str, value: str, key: str) -> Any:
    """`value` as the field holds it (None for an empty value), or InvalidEdit."""
    if not value:
        if name == "name":
            raise InvalidEdit(f"{key}: a person needs a name (to remove the person: --remove person.N)")
        return None
    if name in ("birth_year", "death_year"):
        if not re.fullmatch(r"\d{4}", value) or not 1800 <= int(value) <= 2030:
            raise InvalidEdit(f"{key}: '{value}' is not a year between 1800 and 2030")
        return int(value)
    if name in ("birth_date", "death_date"):
        try:
            parsed = parse_date_cell(value, "review")
        except DateParseError as exc:
            raise InvalidEdit(f"{key}: {exc}") from exc
        if parsed.precision != "day":
            raise InvalidEdit(f"{key}: '{value}' is not a full date (YYYY-MM-DD)")
    return value


def _follow_latin_form(person: Person, number: int, old_name: str) -> list[Change]:
    """A Latin form made from the old name (or none) follows the new name, as the pipeline makes it."""
    from ..text.names import latin_form  # the name vocabularies load only when a name is edited

    if person.name_latin is not None and (not old_name or person.name_latin != latin_form(old_name)):
        return []  # set by hand (now or earlier): kept
    latin = latin_form(person.name)
    if latin == person.name_latin:
        return []
    old_latin, person.name_latin = person.name_latin, latin
    return [Change(f"person.{number}.name_latin", old_latin, latin)]


def _check_persons(record: Record) -> None:
    for number, person in enumerate(record.persons, start=1):
        if not person.name:
            raise InvalidEdit(f"person.{number}: a person needs a name (--set person.{number}.name=...)")
        if person.birth_year and person.death_year and person.death_year < person.birth_year:
            raise InvalidEdit(
                f"person.{number}: death year {person.death_year} is before birth year {person.birth_year}"
            )
        if person.birth_date and person.death_date and person.death_date < person.birth_date:
            raise InvalidEdit(
                f"person.{number}: death date {person.death_date} is before birth date {person.birth_date}"
            )
