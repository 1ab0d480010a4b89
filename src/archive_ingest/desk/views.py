"""What the desk's pages show, worked out from a record: no rule of review lives here.

The queue is `review.queue`'s (kept per version of the catalog file, so a page of a
10k-record catalog does not rebuild every record); flags are explained by
`review.FLAG_HELP`, the history by `review.history`. This module only arranges them for
the templates: the OCR words as boxes in percent of the picture, each value with the
source it rests on, a record's files resolved through the record itself.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog import reader as catalog_reader
from ..errors import RecordNotFound
from ..files.layout import words_path
from ..record import LinkType, Record
from ..review import FLAG_HELP, queue
from ..review.history import changes_by_people

#: The files of a record the desk serves, by the name in its URL.
FILE_KINDS = ("original", "access", "thumb")

#: EXIF orientations that swap width and height when the picture is turned upright.
_SWAPPING = {5, 6, 7, 8}


@dataclass(frozen=True)
class QueueEntry:
    """One record waiting for review, as the queue page lists it."""

    id: str
    kind: str
    place: str
    filename: str
    ingested_at: str
    flags: tuple[tuple[str, str], ...]
    """(code, detail) per flag."""


@dataclass
class Filters:
    """The queue's filters, carried from page to page in the query string."""

    flag: str = ""
    kind: str = ""
    place: str = ""

    def matches(self, entry: QueueEntry) -> bool:
        return (
            (not self.flag or any(code == self.flag for code, _ in entry.flags))
            and (not self.kind or entry.kind == self.kind)
            and (not self.place or entry.place == self.place)
        )

    def query(self) -> dict[str, Any]:
        return {key: value for key, value in (("flag", self.flag), ("kind", self.kind), ("place", self.place)) if value}


class QueueCache:
    """The review queue of the catalog at `path`, kept per version of its file.

    The first page works it out (`review.queue` over every record: seconds at 10k records).
    When the file changes after that (a decision, a run, another reviewer), the queue as
    known is patched with the records this desk committed (`note`) and served at once,
    while a thread works it out again from the new file and swaps it in; so a page never
    waits for the whole catalog, and a queue misses another writer's changes only until
    that thread is done. Reading takes no lock (`catalog.reader`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tag: tuple[int, int, int] | None = None
        self._entries: list[QueueEntry] | None = None
        self._refreshing = False
        self._lock = threading.Lock()

    def _file_tag(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def _work_out(self) -> tuple[tuple[int, int, int] | None, list[QueueEntry]]:
        tag = self._file_tag()
        return tag, [_entry(record) for record in queue(catalog_reader(self.path).all())]

    def entries(self) -> list[QueueEntry]:
        tag = self._file_tag()
        with self._lock:
            if self._entries is None:
                self._tag, self._entries = self._work_out()
            elif tag != self._tag and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="desk queue", daemon=True).start()
            return self._entries

    def _refresh(self) -> None:
        try:
            tag, entries = self._work_out()
            with self._lock:
                self._tag, self._entries = tag, entries
        finally:
            self._refreshing = False

    def note(self, records: list[Record]) -> None:
        """Records this desk just committed: each leaves the queue, or takes its place again."""
        with self._lock:
            if self._entries is None:
                return
            ids = {record.id for record in records}
            kept = [entry for entry in self._entries if entry.id not in ids]
            kept += [_entry(record) for record in queue(records)]
            self._entries = sorted(kept, key=lambda entry: (entry.ingested_at, entry.id))


def _entry(record: Record) -> QueueEntry:
    return QueueEntry(
        id=record.id,
        kind=str(record.kind),
        place=record.place.name if record.place else "",
        filename=record.source.filename,
        ingested_at=record.source.ingested_at or "",
        flags=tuple((str(flag.code), flag.detail) for flag in record.flags),
    )


def neighbours(entries: list[QueueEntry], record_id: str) -> tuple[str | None, str | None, int | None]:
    """The previous and next record of the queue around `record_id`, and its position (1-based).

    A record no longer in the queue (decided) has no position; its next is the first."""
    ids = [entry.id for entry in entries]
    if record_id not in ids:
        return None, ids[0] if ids else None, None
    at = ids.index(record_id)
    previous = ids[at - 1] if at > 0 else None
    following = ids[at + 1] if at + 1 < len(ids) else None
    return previous, following, at + 1


@dataclass(frozen=True)
class WordBox:
    """An OCR word over the picture: position and size in percent of the upright picture."""

    text: str
    confidence: float
    left: float
    top: float
    width: float
    height: float


def word_boxes(record: Record, archive: Path, max_long_edge: int) -> list[WordBox]:
    """The record's OCR words (its words file) as boxes over the upright picture.

    The boxes were measured on the picture OCR read: turned upright by EXIF, scaled to
    `max_long_edge`, then turned `ocr.rotation` degrees clockwise; this turns them back.
    An unreadable or missing words file gives no boxes."""
    if not record.ocr.words_path or not record.file.width or not record.file.height:
        return []
    try:
        data = json.loads((archive / words_path(record.id)).read_text(encoding="utf-8"))
        words = data["words"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    width, height = record.file.width, record.file.height
    if (record.exif.orientation or 1) in _SWAPPING:
        width, height = height, width
    scale = min(1.0, max_long_edge / max(width, height))
    read_w, read_h = max(1, round(width * scale)), max(1, round(height * scale))
    rotation = (record.ocr.rotation or 0) % 360
    boxes = []
    for word in words:
        try:
            x, y, w, h = (float(v) for v in word["box"])
            text, confidence = str(word["text"]), float(word["confidence"])
        except (KeyError, TypeError, ValueError):
            continue
        if rotation == 90:  # the read picture was the upright one turned clockwise
            x, y, w, h = y, read_h - x - w, h, w
        elif rotation == 180:
            x, y = read_w - x - w, read_h - y - h
        elif rotation == 270:
            x, y, w, h = read_w - y - h, x, h, w
        boxes.append(
            WordBox(
                text,
                confidence,
                round(100 * x / read_w, 2),
                round(100 * y / read_h, 2),
                round(100 * w / read_w, 2),
                round(100 * h / read_h, 2),
            )
        )
    return boxes


def file_for(record: Record, kind: str, archive: Path) -> Path:
    """The file `kind` (original, access, thumb) of `record`, from the paths the record keeps.

    Raises:
        RecordNotFound: no such kind, the record has no such file, or its path would lie
            outside the archive (a catalog edited by hand): the desk answers 404.
    """
    relative = {
        "original": record.file.path,
        "access": record.derivatives.access_path,
        "thumb": record.derivatives.thumbnail_path,
    }.get(kind)
    if not relative:
        raise RecordNotFound(f"{record.id} has no {kind} file")
    root = archive.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise RecordNotFound(f"{record.id} has no {kind} file in the archive")
    return path


def record_view(record: Record, archive: Path, max_long_edge: int) -> dict[str, Any]:
    """Everything the record page shows beyond the record itself."""
    persons = []
    for number, person in enumerate(record.persons, start=1):
        persons.append(
            {
                "number": number,
                "person": person,
                "name_source": person.sources.name or person.source,
                "years_source": person.sources.years or (person.source if person.has_years else None),
                "rank_source": person.sources.rank or (person.source if person.rank else None),
            }
        )
    near = record.linked(LinkType.NEAR_DUPLICATE_OF)
    return {
        "boxes": word_boxes(record, archive, max_long_edge),
        "persons": persons,
        "flags": [(flag.code, flag.detail, FLAG_HELP.get(flag.code, "")) for flag in record.flags],
        "changed": changes_by_people(record.events),
        "near": near,
        "has_access": bool(record.derivatives.access_path),
        "has_original": bool(record.file.path) and not record.quarantined,
    }
