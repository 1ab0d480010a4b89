"""The near-duplicate index of a run: the catalog's perceptual hashes and this run's.

`SimilarityIndex` is built once per run from the catalog (`RunContext.similarity`) and
grown by the `similar` stage (`ingest/stages/similar.py`, which says how near duplicates
are found) as each record passes it. It lives apart from the stage so the run context can
name its type without importing a stage.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..files.layout import original_path
from ..record import Kind, LinkType, Record
from .pixelmatch import load_signature

#: Grayscale copies kept per run (about 110 KB each; one takes 4-8 ms to make again).
#: Measured with 1000 files: 256 kept the main process growing (126 MB at 600 files
#: against 84 at 100), 32 keeps it within 1.4x.
CACHE_SIZE = 32


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

    def location(self, archive: Path, inbox: Path) -> Path:
        filed = archive / self.archive_path
        if self.inbox_name is None or filed.exists():
            return filed
        return inbox / self.inbox_name


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
        if comparable(record) and record.file.path:
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
        if comparable(record) and record.id not in self._positions:
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


def comparable(record: Record) -> bool:
    """Quarantined, unhashed and merged-away records are never candidates."""
    return not record.quarantined and record.file.phash is not None and not record.linked(LinkType.MERGED_INTO)


# -- the stage --------------------------------------------------------------------------------
