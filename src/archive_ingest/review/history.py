"""What people changed of a record, in words: for edit events, review output and `show --history`.

This module owns how a recorded value reads to a person (`in_words`: a place by its name,
a date by its value, a person by name and years; never a JSON object), the one-line
description of an edit (`describe_edit`), and the summary of a record's edits as "value
as the pipeline read it -> now" (`changes_by_people`). It imports only the record types,
so `show` pays for nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..record import Event, EventType

#: `person.2`: an edit of a whole person (a removal: the old value is the person, the new null).
WHOLE_PERSON = re.compile(r"^person\.(\d+)$")
_PERSON_FIELD = re.compile(r"^person\.(\d+)\.(\w+)$")


def in_words(value: Any) -> str:
    """A recorded value (as an edit event keeps it) as a person reads it.

    >>> in_words({"name": "Wonsan", "name_ko": "원산", "source": "review"})
    'Wonsan'
    >>> in_words({"name": "БЕЛОВА АННА", "birth_year": None, "death_year": 1947})
    'БЕЛОВА АННА ?-1947'
    """
    if value is None or value == "":
        return "(none)"
    if isinstance(value, dict):
        if "death_year" in value or "birth_year" in value:  # a person
            birth, death = value.get("birth_year"), value.get("death_year")
            years = f" {birth or '?'}-{death or '?'}" if birth or death else ""
            return f"{value.get('name') or '(no name)'}{years}"
        for key in ("name", "value", "status"):
            if value.get(key):
                return in_words(value[key])
        return ", ".join(in_words(item) for item in value.values() if item not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        return ", ".join(in_words(item) for item in value)
    return " / ".join(str(value).splitlines()) if isinstance(value, str) else str(value)


def describe_edit(field: str, old: Any, new: Any) -> str:
    """`place: Pyongyang -> Wonsan`; `person.2: removed БЕЛОВА АННА ?-1947` for a removal."""
    if WHOLE_PERSON.match(field) and new is None:
        return f"{field}: removed {in_words(old)}"
    return f"{field}: {in_words(old)} -> {in_words(new)}"


@dataclass(frozen=True)
class FieldChange:
    """One field people changed, as `show --history` summarises it."""

    field: str
    """`place`, `person.1.death_year` (numbered as the record's persons are now), or
    `person.2` for a person removed (numbered as it was when removed)."""
    read: Any
    """The value before the first edit: as the pipeline read it (null: it read none)."""
    now: Any
    """The value the last edit left (null for a removed person)."""

    def describe(self) -> str:
        return describe_edit(self.field, self.read, self.now)


def changes_by_people(events: Iterable[Event]) -> list[FieldChange]:
    """Each field people edited, from the value the pipeline read to the value now.

    Edit events name a person by their number at the time; a removal renumbers those
    after it, so the fields here follow the people to their numbers now. The fields of a
    person later removed are left out: the removal says who it was.
    """
    changed: dict[str, list[Any]] = {}
    removed: list[FieldChange] = []
    for event in events:
        if event.type != EventType.EDIT or event.field is None:
            continue
        whole = WHOLE_PERSON.match(event.field)
        if whole is not None and event.new is None:
            changed = _renumbered(changed, int(whole.group(1)))
            removed.append(FieldChange(event.field, event.old, None))
            continue
        changed.setdefault(event.field, [event.old, event.new])[1] = event.new
    return [FieldChange(field, read, now) for field, (read, now) in changed.items()] + removed


def _renumbered(changed: dict[str, list[Any]], gone: int) -> dict[str, list[Any]]:
    """`changed` after person number `gone` was removed: theirs dropped, those after moved up one."""
    kept: dict[str, list[Any]] = {}
    for field, values in changed.items():
        match = _PERSON_FIELD.match(field)
        number = int(match.group(1)) if match else 0
        if match is None or number < gone:
            kept[field] = values
        elif number > gone:
            kept[f"person.{number - 1}.{match.group(2)}"] = values
    return kept
