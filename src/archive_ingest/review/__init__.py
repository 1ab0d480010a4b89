"""Review: the queue of flagged records, and decisions and edits with a full audit trail.

Every action appends an event naming who acted (`--by`, default the login name) with the
old and new value, so what the pipeline read is never lost: `show ID --history` shows it
beside what a person changed. Each action takes the catalog's writer lock only for its own
short read-modify-commit, so a reviewer working through the queue does not block a run
for longer than one commit, and a run in progress makes the action exit 3.

Links between records never contradict each other: a pair is marked distinct once, a
record is merged into one record only, a merge into a record that is itself merged goes
on to the record at the end of its `merged_into` links (so a group of the same photo has
one record standing for it, and the reviewer need not look it up), and a merge of a pair
marked distinct, one that would go round in a circle, or one involving a quarantined
record (no photo to compare) is refused.

Two reviewers at once (two browsers of the review desk, or the desk and the CLI): each
action takes an optional `expected_version`, the `record_version` of the record as the
reviewer saw it. It is checked under the writer lock, and a record that changed since is
refused (`RecordChanged`, saying which events came since), so nobody silently overwrites
another person's decision. The CLI passes none: it acts on the record as it is.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import orjson

from .. import catalog as catalog_module
from ..catalog import Catalog
from ..config import Settings
from ..errors import IngestError
from ..ingest.context import RunContext
from ..ingest.stages import flags
from ..record import EventType, FlagCode, Link, LinkType, Outcome, Record, ReviewStatus, part_to_json, utc_now
from ..text.places import Gazetteer
from .edit import EDITABLE, PERSON_FIELDS, Change, InvalidEdit, apply_edit

__all__ = [
    "EDITABLE",
    "FLAG_HELP",
    "PERSON_FIELDS",
    "Change",
    "EditResult",
    "InvalidEdit",
    "LinkRefused",
    "LinkResult",
    "RecordChanged",
    "Reviewer",
    "login_name",
    "queue",
    "record_version",
]

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
    FlagCode.CREDIT_CONFLICT: "the credit or copyright written in the file names another owner than the "
    "record's credit: check who owns the photo (both are kept, the configured credit is used)",
}

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


class LinkRefused(InvalidEdit):
    """A merge or distinct that would contradict the links already made; nothing was changed."""


class RecordChanged(IngestError):
    """The record changed since the reviewer loaded it (another reviewer, or a run acted on
    it); nothing was changed. Exit code 1, as for any error a command does not expect: the
    CLI never raises it (it passes no `expected_version`); the review desk shows the message
    and reloads the record."""

    exit_code = 1


def record_version(record: Record) -> str:
    """The version of a record as stored: `<number of events>.<sha256 of its JSON>` (16 hex).

    Any change to what is stored changes it. Events are only ever appended, so the number
    in front says which events came after the version a reviewer saw (`RecordChanged`).
    """
    digest = hashlib.sha256(orjson.dumps(record.to_json(), option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"{len(record.events)}.{digest[:16]}"


def check_version(record: Record, expected_version: str | None) -> None:
    """Nothing when `expected_version` is None or the record's version.

    Raises:
        RecordChanged: the record changed since `expected_version`; the message names the
            events recorded since (who did what, when), or says it changed without one.
    """
    if expected_version is None or expected_version == record_version(record):
        return
    seen, _, _ = expected_version.partition(".")
    since = record.events[int(seen) :] if seen.isdigit() and int(seen) <= len(record.events) else []
    if since:
        what = "; ".join(f"{event.at} {event.type} by {event.agent}: {event.detail}" for event in since)
    else:
        what = "its stored data differs from the version you saw (no event was recorded)"
    raise RecordChanged(
        f"{record.id} changed since you loaded it, so nothing was changed: {what}. "
        "Look at the record again and decide on it as it is now"
    )


@dataclass
class LinkResult:
    """What `Reviewer.link` did."""

    record: Record
    other: Record
    """The record linked to: for a merge, the end of the given record's `merged_into` links."""
    changed: bool
    """False when the link was already there: nothing was written."""
    named: str | None = None
    """For a merge, the id the reviewer gave (differs from `other.id` when it was followed)."""


@dataclass
class EditResult:
    """What `Reviewer.edit` did."""

    record: Record
    changes: list[Change]
    """Each change recorded, in order; empty when nothing changed (nothing was written)."""
    unchanged: list[str]
    """`place: already Wonsan`, for each assignment that changed nothing."""


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "unknown"


def queue(records: list[Record], flag: FlagCode | None = None) -> list[Record]:
    """Records waiting for review, oldest first; only those with `flag` when given."""
    waiting = [r for r in records if r.review.status == ReviewStatus.PENDING and (flag is None or r.has_flag(flag))]
    return sorted(waiting, key=lambda r: (r.source.ingested_at or "", r.id))


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
        record.add_event(
            EventType.REVIEW,
            self.ctx.timestamp(),
            self.by,
            Outcome.SUCCESS,
            detail,
            field="review",
            old=old,
            new=part_to_json(review),
        )

    def accept(self, record_id: str, note: str | None = None, expected_version: str | None = None) -> Record:
        """Accept the record; `expected_version` (see `record_version`): refuse if it changed since.

        Raises:
            RecordChanged: the record is no longer at `expected_version`.
        """
        with self._writing() as catalog:
            record = catalog.require(record_id)
            check_version(record, expected_version)
            self._decide(record, ReviewStatus.ACCEPTED, note)
            catalog.commit([record])
        return record

    def reject(self, record_id: str, note: str, expected_version: str | None = None) -> Record:
        """Reject the record with `note` (why); `expected_version` as for `accept`."""
        if not note.strip():
            raise InvalidEdit("reject needs --note saying why")
        with self._writing() as catalog:
            record = catalog.require(record_id)
            check_version(record, expected_version)
            self._decide(record, ReviewStatus.REJECTED, note)
            catalog.commit([record])
        return record

    def edit(
        self,
        record_id: str,
        assignments: list[str],
        removals: list[str] | None = None,
        expected_version: str | None = None,
    ) -> EditResult:
        """Apply `FIELD=VALUE` assignments and remove persons (`person.N`), all or none.

        Each change is an edit event with the old and new value, and re-runs the checks that
        depend on its field. Assignments that change nothing are not recorded; when nothing
        changes at all, nothing is written (`EditResult.changes` is empty).

        Raises:
            InvalidEdit: an unknown field or a value that does not validate (see `review_edit`).
            RecordChanged: the record is no longer at `expected_version` (when given).
        """
        with self._writing() as catalog:
            record = catalog.require(record_id)
            check_version(record, expected_version)
            done = apply_edit(record, assignments, removals or [], self.ctx.gazetteer)
            if not done.changes:
                return EditResult(record, [], done.unchanged)
            # The checks see the record as the whole edit leaves it; a flag they clear or
            # raise is put down to the last change its check depends on.
            for change in reversed(done.changes):
                dependent = DEPENDENT_FLAGS.get(change.field.split(".")[0], ())
                before = {flag.code for flag in record.flags}
                change.cleared = flags.evaluate(record, self.ctx, dependent)
                change.raised = [flag.code for flag in record.flags if flag.code not in before]
            for change in done.changes:
                record.add_event(
                    EventType.EDIT,
                    self.ctx.timestamp(),
                    self.by,
                    Outcome.SUCCESS,
                    change.describe(),
                    field=change.field,
                    old=change.old,
                    new=change.new,
                )
            if record.flags and record.review.status == ReviewStatus.NOT_NEEDED:
                record.review.status = ReviewStatus.PENDING  # a flag the edit raised waits for review
            catalog.commit([record])
        return EditResult(record, done.changes, done.unchanged)

    def link(
        self,
        record_id: str,
        other_id: str,
        merge: bool,
        note: str | None = None,
        expected_version: str | None = None,
        other_version: str | None = None,
    ) -> LinkResult:
        """`merge`: the same photo, ID is merged into OTHER; else: two different photos.

        A merge into a record that is itself merged into another goes on to that one (the
        end of its `merged_into` links), so every group of merged records has one record
        standing for the photo. A link already made is not made twice (`changed` is False).

        Raises:
            LinkRefused: the link contradicts those already made (a pair marked distinct,
                merged, a circle of merges) or involves a quarantined record.
            RecordChanged: ID is no longer at `expected_version`, or OTHER at `other_version`
                (each checked when given).
        """
        with self._writing() as catalog:
            record, named = catalog.require(record_id), catalog.require(other_id)
            check_version(record, expected_version)
            check_version(named, other_version)
            if record.id == named.id:
                raise LinkRefused(f"{record.id}: a record cannot be linked to itself")
            if merge:
                result = self._merge(catalog, record, named, note)
            else:
                result = self._distinct(catalog, record, named, note)
            if result.changed:
                touched = {one.id: one for one in (named, result.other, record)}  # the last object of each id wins
                catalog.commit(touched.values())
        return result

    def _merge(self, catalog: Catalog, record: Record, named: Record, note: str | None) -> LinkResult:
        target = _merge_root(catalog, named)
        for one in (record, named, target):
            if one.quarantined:
                raise LinkRefused(
                    f"{one.id}: quarantined (the file could not be read safely); a quarantined record is never merged"
                )
        if target.id == record.id:
            raise LinkRefused(
                f"{named.id} is merged into {record.id}: merging {record.id} into {named.id} would make a circle"
            )
        already = record.linked(LinkType.MERGED_INTO)
        if already and _merge_root(catalog, record).id == target.id:
            return LinkResult(record, target, changed=False, named=named.id)
        if already:
            raise LinkRefused(f"{record.id} is already merged into {already[0]}: it cannot be merged into another")
        # The same photo as the other group's: every record of both groups becomes one photo.
        ours, theirs = _group(catalog, record), [*_group(catalog, target), named]
        for one in ours:
            for two in theirs:
                if _distinct_pair(one, two):
                    raise LinkRefused(
                        f"{one.id} and {two.id} are marked distinct (different photos): merging {record.id} "
                        f"into {target.id} would make them the same photo"
                    )
        for one in {named.id: named, target.id: target}.values():
            _drop_near_duplicate(record, one)
        record.links.append(Link(LinkType.MERGED_INTO, target.id))
        target.links.append(Link(LinkType.MERGED_FROM, record.id))
        now = self.ctx.timestamp()
        target.add_event(EventType.REVIEW, now, self.by, Outcome.SUCCESS, f"{record.id} merged into this record")
        via = f" (given {named.id}, which is merged into it)" if named.id != target.id else ""
        merged = f"merged into {target.id}{via}" + (f": {note}" if note else "")
        self._decide(record, ReviewStatus.ACCEPTED, note or f"merged into {target.id}", merged)
        return LinkResult(record, target, changed=True, named=named.id)

    def _distinct(self, catalog: Catalog, record: Record, other: Record, note: str | None) -> LinkResult:
        if _merge_root(catalog, record).id == _merge_root(catalog, other).id:
            raise LinkRefused(f"{record.id} and {other.id} are merged (the same photo): they cannot also be distinct")
        missing = [
            (one, two)
            for one, two in ((record, other), (other, record))
            if two.id not in one.linked(LinkType.DISTINCT_FROM)
        ]
        if not missing:
            return LinkResult(record, other, changed=False)
        _drop_near_duplicate(record, other)
        now = self.ctx.timestamp()
        for one, two in missing:
            one.links.append(Link(LinkType.DISTINCT_FROM, two.id))
            one.add_event(
                EventType.REVIEW,
                now,
                self.by,
                Outcome.SUCCESS,
                f"distinct from {two.id}: similar, but another photo" + (f" ({note})" if note else ""),
            )
        return LinkResult(record, other, changed=True)


def _merge_root(catalog: Catalog, record: Record) -> Record:
    """The record at the end of `record`'s `merged_into` links (`record` itself when it has none).

    Raises:
        LinkRefused: the links go round in a circle (a catalog from before merges were checked).
    """
    path = [record.id]
    while True:
        into = record.linked(LinkType.MERGED_INTO)
        if not into:
            return record
        following = catalog.get(into[0])
        if following is None:  # a link to a record no longer in the catalog: stop here
            return record
        if following.id in path:
            circle = " -> ".join([*path[path.index(following.id) :], following.id])
            raise LinkRefused(f"the merges go round in a circle ({circle}), made before merges were checked")
        path.append(following.id)
        record = following


def _group(catalog: Catalog, root: Record) -> list[Record]:
    """`root` and every record merged into it, directly or through others."""
    group, waiting, seen = [], [root], {root.id}
    while waiting:
        record = waiting.pop()
        group.append(record)
        for record_id in record.linked(LinkType.MERGED_FROM):
            member = catalog.get(record_id)
            if member is not None and member.id not in seen:
                seen.add(member.id)
                waiting.append(member)
    return group


def _distinct_pair(one: Record, two: Record) -> bool:
    return two.id in one.linked(LinkType.DISTINCT_FROM) or one.id in two.linked(LinkType.DISTINCT_FROM)


def _drop_near_duplicate(one: Record, two: Record) -> None:
    """A reviewer decided on the pair: the pipeline's `near_duplicate_of` question is answered."""
    for first, second in ((one, two), (two, one)):
        first.links = [lk for lk in first.links if not (lk.type == LinkType.NEAR_DUPLICATE_OF and lk.id == second.id)]
        if not first.linked(LinkType.NEAR_DUPLICATE_OF):
            first.remove_flag(FlagCode.NEAR_DUPLICATE)
