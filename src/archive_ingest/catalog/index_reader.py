"""Reading an open search index: the questions a search asks it, and the records it hits.

This module owns `SearchIndex`, an open, fresh index and the catalog it indexes: which
documents match a full-text expression or an SQL query, the fuzzy vocabulary, the sort
keys, and fetching the hits' records from the catalog file. `catalog/index.py` opens one
(rebuilding the file first when it is stale, beside the catalog or in the user's cache, or
building it in memory where no file can be written); `SearchIndex.from_records` builds one
in memory from records.

Offsets are exact only for a catalog written by `AtomicJSONStorage` (which records them
as it writes). A catalog written by another tool is still searched correctly: the hits
are then read by parsing the whole catalog (`catalog.storage.parse_catalog_bytes`), until the next commit
rewrites it.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from ..errors import CatalogError
from ..record import Record
from .index_entries import SCHEMA, entry_for, insert_entries
from .journal import CatalogFile, open_catalog
from .storage import parse_catalog_bytes

#: The catalog's TinyDB table of records.
TABLE = "records"


class SearchIndex:
    """An open, fresh index and the catalog it indexes (see the module docstring)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        catalog_path: Path | None = None,
        spans: array[int] | None = None,
        records: dict[int, Record] | None = None,
    ) -> None:
        self.conn = conn
        self._catalog_path = catalog_path
        self._spans = spans
        self._records = records

    @classmethod
    def from_records(cls, records: Iterable[tuple[int, Record]]) -> SearchIndex:
        """An index in memory, for records that are not in a catalog file (tests, memory catalogs)."""
        by_rowid = dict(records)
        conn = sqlite3.connect(":memory:")
        conn.executescript(SCHEMA)
        insert_entries(conn, [entry_for(rowid, record) for rowid, record in by_rowid.items()])
        return cls(conn, records=by_rowid)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rowids(self, sql: str, params: Iterable[Any] = ()) -> set[int]:
        """The first column of a query, as a set of document ids."""
        return {row[0] for row in self.conn.execute(sql, tuple(params))}

    def match(self, column: str, expression: str) -> set[int]:
        """Documents whose `column` matches an FTS5 `expression`."""
        return self.rowids("SELECT rowid FROM fts WHERE fts MATCH ?", (f"{column} : ({expression})",))

    def all_rowids(self) -> set[int]:
        return self.rowids("SELECT rowid FROM docs")

    def vocabulary(self, layer: int, min_len: int, max_len: int) -> list[str]:
        """Distinct words (layer 0) or transliteration keys (layer 1) of a length range."""
        rows = self.conn.execute(
            "SELECT word FROM vocab WHERE layer = ? AND len BETWEEN ? AND ?", (layer, min_len, max_len)
        )
        return [row[0] for row in rows]

    def sort_keys(self) -> dict[int, tuple[str, str]]:
        """Document id -> (date key, name key), for every record."""
        return {row[0]: (row[1], row[2]) for row in self.conn.execute("SELECT rowid, date_key, name_key FROM docs")}

    def records(self, rowids: list[int], *, events: bool = True) -> list[Record]:
        """The records of `rowids`, in that order, read from the catalog; with
        `events=False` without their events (most of a record, and not shown in listings).

        Raises:
            CatalogError: the catalog cannot be read.
        """
        if self._records is not None:
            return [self._records[rowid] for rowid in rowids]  # in memory: nothing to save
        if not rowids:
            return []
        assert self._catalog_path is not None
        ids = dict(
            self.conn.execute(
                f"SELECT rowid, id FROM docs WHERE rowid IN ({','.join('?' * len(rowids))})", rowids
            ).fetchall()
        )
        try:
            with open_catalog(self._catalog_path) as catalog:
                found = self._read_spans(catalog, rowids, ids) if self._spans is not None else None
                if found is None:  # no offsets, or the catalog changed since: read it whole
                    table = parse_catalog_bytes(self._catalog_path, catalog.read()).get(TABLE) or {}
                    found = [table[str(rowid)] for rowid in rowids if str(rowid) in table]
        except OSError as exc:
            raise CatalogError(f"{self._catalog_path}: cannot read the catalog: {exc}") from exc
        if not events:
            found = [{key: value for key, value in doc.items() if key != "events"} for doc in found]
        return [Record.from_json(doc) for doc in found]

    def _read_spans(self, catalog: CatalogFile, rowids: list[int], ids: dict[int, str]) -> list[dict[str, Any]] | None:
        spans = self._spans
        assert spans is not None
        found = []
        for rowid in rowids:
            if 2 * rowid + 1 >= len(spans) or spans[2 * rowid] < 0:
                return None
            try:
                doc = orjson.loads(catalog.pread(spans[2 * rowid + 1], spans[2 * rowid]))
            except orjson.JSONDecodeError:
                return None
            if not isinstance(doc, dict) or doc.get("id") != ids.get(rowid):
                return None
            found.append(doc)
        return found
