"""Near duplicates: the same photo resized, cropped a little or re-encoded, under other bytes.

Exact duplicates (same SHA-256) never get here: the pipeline records them at `fixity`.
This stage compares each new photo with every photo already in the catalog and with the
ones earlier in this run, in two independent steps:

1. **Candidates** from the perceptual hash `identify` stored (`file.phash`, imagehash's
   pHash of the stored pixels): a Hamming distance of at most `similar.phash_max_distance`
   bits. A pHash only sees the picture's coarse layout (the lowest 8x8 frequencies of a
   32x32 copy), so a copy cropped by 3-5% can be as far from its original as two different
   stones photographed alike are from each other (both measured at 14-20 bits on
   `samples/`; see `benchmarks/near_duplicates.py`). The threshold is set to catch crops,
   and the second step sorts out the rest.
2. **Confirmation** on the pixels (`ingest/pixelmatch.py`), which sees what the pHash throws
   away (the strokes of a name, the texture of a stone): the photos are aligned over a
   range of scales and shifts and compared tile by tile; the *pixel match* is the
   agreement of the worst tile. A pair is confirmed at `similar.confirm_min_score` or
   above. Known miss: one changed digit of a small inscription on a mostly blank frame
   can still score 0.96, and is flagged for a reviewer to mark `distinct`.

A confirmed pair raises `near_duplicate` on the new record, with a `near_duplicate_of` link
to the other and a `validation` event; a rejected candidate is only named in that event.
Pairs a reviewer marked `distinct_from` are never compared again, and a record merged into
another is no candidate. Quarantined records are neither checked nor candidates.

The hashes live in a `SimilarityIndex` the pipeline builds once per run from the catalog
(`RunContext.similarity`); each record checked here is added to it, so photos later in
the same run are compared with it too. Grayscale copies are cached per run.

Both steps read the stored pixels, as `identify` hashes them (EXIF orientation not
applied): a copy re-saved upright from a photo stored rotated has an unrelated pHash and
is not found.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ...files.layout import original_path
from ...record import EventType, FlagCode, Kind, Link, LinkType, Outcome, Record, ReviewStatus
from ..context import RunContext
from ..pixelmatch import READ_ERRORS, load_signature, pixel_match

#: Grayscale copies kept per run (about 110 KB each; one takes 4-8 ms to make again).
#: Measured with 1000 files: 256 kept the main process growing (126 MB at 600 files
#: against 84 at 100), 32 keeps it within 1.4x.
CACHE_SIZE = 32

# -- the index --------------------------------------------------------------------------------


@dataclass
class _Entry:
    """One photo that new photos are compared with."""

    id: str
    phash: int
    filename: str
    """As dropped (`source.filename`), for messages."""
    archive_path: str
    """Where the original is (or, for this run's photos, will be) filed, relative to `archive/`."""
    inbox_name: str | None = None
    """This run's photos: the file in the inbox, read until it is filed. (Only names are
    kept, not the record: a run of thousands of photos must not hold them all.)"""

    def location(self, ctx: RunContext) -> Path:
        filed = ctx.archive / self.archive_path
        if self.inbox_name is None or filed.exists():
            return filed
        return ctx.inbox / self.inbox_name


class SimilarityIndex:
    """The perceptual hashes of the catalog's photos and this run's, and the pairs kept apart.

    Built once per run (`from_records`, on the catalog), then grown by `add` as each new
    record passes the stage. Finding candidates is one vectorised XOR-popcount over all
    hashes; no record is read from the catalog per image.
    """

    def __init__(self, catalog: Callable[[], Iterable[dict[str, Any]]] | None = None) -> None:
        """`catalog`: gives the catalog's records as stored (JSON), read at the first
        question, so a run whose files are all known already never reads them."""
        self._entries: list[_Entry] = []
        self._positions: dict[str, int] = {}
        self._hashes = np.zeros(64, dtype=np.uint64)
        self._distinct: set[frozenset[str]] = set()
        self._signatures: OrderedDict[str, npt.NDArray[np.uint8]] = OrderedDict()
        self._catalog = catalog

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> SimilarityIndex:
        index = cls()
        for record in records:
            index._load(record)
        return index

    def _load(self, record: Record) -> None:
        self._remember_links(record)
        if _comparable(record) and record.file.path:
            assert record.file.phash is not None
            self._append(_Entry(record.id, int(record.file.phash, 16), record.source.filename, record.file.path))

    def _loaded(self) -> SimilarityIndex:
        if self._catalog is not None:
            documents, self._catalog = self._catalog(), None
            for doc in documents:
                self._load_document(doc)
        return self

    def _load_document(self, doc: dict[str, Any]) -> None:
        """`_load` for a record as stored, without building the Record (10k of them cost ~1 s)."""
        record_id = doc["id"]
        links = doc.get("links") or []
        for link in links:
            if link.get("type") == LinkType.DISTINCT_FROM.value:
                self._distinct.add(frozenset((record_id, link["id"])))
        merged = any(link.get("type") == LinkType.MERGED_INTO.value for link in links)
        file = doc.get("file") or {}
        if doc.get("kind") != Kind.QUARANTINED.value and file.get("phash") and file.get("path") and not merged:
            filename = (doc.get("source") or {}).get("filename", "")
            self._append(_Entry(record_id, int(file["phash"], 16), filename, file["path"]))

    def __len__(self) -> int:
        return len(self._loaded()._entries)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._loaded()._positions

    def add(self, record: Record) -> None:
        """Make this run's `record` a candidate for the photos after it."""
        self._loaded()._remember_links(record)
        if _comparable(record) and record.id not in self._positions:
            assert record.file.phash is not None
            filename = record.source.filename
            self._append(_Entry(record.id, int(record.file.phash, 16), filename, original_path(record), filename))

    def distinct(self, one: str, other: str) -> bool:
        """A reviewer said these two are different photos (`review distinct`)."""
        return frozenset((one, other)) in self._loaded()._distinct

    def candidates(self, phash: str, max_distance: int, exclude: str = "") -> list[tuple[_Entry, int]]:
        """Entries within `max_distance` bits of `phash`, nearest first (then by id)."""
        if not self._loaded()._entries:
            return []
        hashes = self._hashes[: len(self._entries)]
        distances = np.bitwise_count(hashes ^ np.uint64(int(phash, 16)))
        found = [
            (self._entries[i], int(distances[i]))
            for i in np.flatnonzero(distances <= max_distance)
            if self._entries[i].id != exclude
        ]
        return sorted(found, key=lambda pair: (pair[1], pair[0].id))

    def signature(self, record_id: str, path: Path) -> npt.NDArray[np.uint8]:
        """The grayscale copy of `record_id`'s image at `path`, cached (least recently used out).

        Raises:
            The errors of `load_signature`.
        """
        cached = self._signatures.get(record_id)
        if cached is not None:
            self._signatures.move_to_end(record_id)
            return cached
        signature = load_signature(path)
        self._signatures[record_id] = signature
        if len(self._signatures) > CACHE_SIZE:
            self._signatures.popitem(last=False)
        return signature

    def _append(self, entry: _Entry) -> None:
        if len(self._entries) == len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.zeros(len(self._hashes), dtype=np.uint64)])
        self._hashes[len(self._entries)] = np.uint64(entry.phash)
        self._positions[entry.id] = len(self._entries)
        self._entries.append(entry)

    def _remember_links(self, record: Record) -> None:
        for other in record.linked(LinkType.DISTINCT_FROM):
            self._distinct.add(frozenset((record.id, other)))


def _comparable(record: Record) -> bool:
    """Quarantined, unhashed and merged-away records are never candidates."""
    return not record.quarantined and record.file.phash is not None and not record.linked(LinkType.MERGED_INTO)


# -- the stage --------------------------------------------------------------------------------


def run(record: Record, ctx: RunContext) -> Record:
    """Flag `record` as a near duplicate of any earlier photo its pixels confirm.

    Raises:
        RuntimeError: `ctx` has no similarity index (the pipeline builds one per run).
    """
    index = ctx.similarity
    if index is None:
        raise RuntimeError("the similar stage needs RunContext.similarity (built by pipeline.run)")
    if not _comparable(record):
        return record
    assert record.file.phash is not None
    settings = ctx.settings.similar
    found = index.candidates(record.file.phash, settings.phash_max_distance, exclude=record.id)
    notes: list[str] = []
    confirmed: list[str] = []
    compared = 0
    new_signature: npt.NDArray[np.uint8] | None = None
    for entry, distance in found:
        who = f"{entry.id} ('{entry.filename}'): pHash distance {distance}"
        if index.distinct(record.id, entry.id) or entry.id in record.linked(LinkType.DISTINCT_FROM):
            notes.append(f"{who}, marked distinct by review; not compared")
            continue
        if compared == settings.max_candidates:
            notes.append(f"{who}; not compared (similar.max_candidates = {settings.max_candidates})")
            continue
        compared += 1
        try:
            if new_signature is None:
                new_signature = index.signature(record.id, ctx.inbox / record.source.filename)
            other = index.signature(entry.id, entry.location(ctx))
        except READ_ERRORS as exc:
            notes.append(f"{who}; could not be compared: {exc}")
            continue
        score = pixel_match(new_signature, other)
        if score >= settings.confirm_min_score:
            confirmed.append(entry.id)
            record.add_flag(FlagCode.NEAR_DUPLICATE, f"looks like record {who}, pixel match {score:.2f}")
            if entry.id not in record.linked(LinkType.NEAR_DUPLICATE_OF):
                record.links.append(Link(LinkType.NEAR_DUPLICATE_OF, entry.id))
            notes.append(f"near duplicate of {who}, pixel match {score:.2f}")
        else:
            notes.append(f"{who}, pixel match {score:.2f} (below {settings.confirm_min_score:.2f}): another photo")
    index.add(record)
    if notes:
        outcome = Outcome.WARNING if confirmed else Outcome.SUCCESS
        detail = "near duplicates: " + "; ".join(notes)
        record.add_event(EventType.VALIDATION, ctx.timestamp(), ctx.agent(), outcome, detail)
    if confirmed and record.review.status == ReviewStatus.NOT_NEEDED:
        record.review.status = ReviewStatus.PENDING
    return record
