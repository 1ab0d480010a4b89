"""The search index: a compact SQLite file beside the catalog, derived from it.

This module owns the index file (`catalog.json.search.sqlite`): what it holds per record,
when it is fresh, how it is rebuilt and updated, and fetching the records that a search
hits. `search.py` asks it questions; `catalog.py` calls `after_commit` after each write.

Decisions a user (or a maintainer) should know:

- TinyDB's JSON file stays the catalog of record. The index holds, per record, the folded
  words of each searchable field and their transliteration keys (an FTS5 full-text table,
  see `text/fold.py`), the exact fields (kind, review status, flags, years, has-bits,
  place), sort keys, and where the record's JSON lies in the catalog file (byte offset
  and length), so a search reads only the hits' records, never the whole catalog. The
  index is about an eighth of the catalog's size (events and technical metadata stay out).
- It may be deleted at any time. It records the catalog file it was built from (size,
  mtime in ns, inode); when they differ from the catalog's, or it is missing, unreadable or
  of another version, the next search rebuilds it from the catalog (`open_index`).
- `Catalog.commit` updates it under the catalog's writer lock (`after_commit`): the
  changed records' rows and every record's offsets. It does so only when the index was
  fresh for the file the commit read; otherwise it is left stale and the next search
  rebuilds it. A failure to update it never fails a commit: it is derived data.
- Every write of the index (a commit's update, a reader's rebuild) writes a new file in
  the same folder and renames it over the old one, so a reader holding no lock never sees
  a half-written index and never writes into one another process reads. Readers open the
  file read-only and immutable.
- Offsets are exact only for a catalog written by `AtomicJSONStorage` (which records them
  as it writes). A catalog written by another tool is still searched correctly: the hits
  are then read by parsing the whole catalog, until the next commit rewrites it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .errors import CatalogError
from .record import Record
from .text.fold import fold, has_letters, is_hangul, translit_keys, words

log = logging.getLogger(__name__)

#: Bump when what the index holds, or how words are folded, changes: older files are rebuilt.
SCHEMA_VERSION = "1"
TABLE = "records"
INDEX_SUFFIX = ".search.sqlite"

#: Text columns of the full-text table: the exact words, and their transliteration keys.
TEXT_FIELDS = ("place", "names", "caption", "inscription", "filename", "credit")
TRANSLIT_FIELDS = ("names", "caption", "inscription")
FTS_COLUMNS = (*TEXT_FIELDS, *(f"{name}_tr" for name in TRANSLIT_FIELDS))
#: Fields whose words are candidates for OCR-tolerant (fuzzy) matching.
FUZZY_FIELDS = ("names", "caption", "inscription")
#: Shortest word kept in the fuzzy vocabulary (a 5-letter query allows one edit).
VOCAB_MIN_LEN = 4

HAS_BITS = {
    "gps": 1,
    "caption": 2,
    "inscription": 4,
    "person": 8,
    "place": 16,
    "date": 32,
    "taken": 64,
    "flags": 128,
}

_YEAR = re.compile(r"(?<!\d)(1[7-9]\d\d|20\d\d)(?!\d)")

_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value);
CREATE TABLE docs(
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT, status TEXT, place TEXT,
    has INTEGER NOT NULL, date_key TEXT NOT NULL, name_key TEXT NOT NULL, taken TEXT);
CREATE INDEX docs_kind ON docs(kind);
CREATE INDEX docs_status ON docs(status);
CREATE INDEX docs_place ON docs(place);
CREATE TABLE years(doc INTEGER NOT NULL, field TEXT NOT NULL, year INTEGER NOT NULL);
CREATE INDEX years_field ON years(field, year);
CREATE INDEX years_doc ON years(doc);
CREATE TABLE flags(doc INTEGER NOT NULL, code TEXT NOT NULL);
CREATE INDEX flags_code ON flags(code);
CREATE INDEX flags_doc ON flags(doc);
CREATE TABLE vocab(layer INTEGER, len INTEGER, word TEXT, PRIMARY KEY(layer, len, word)) WITHOUT ROWID;
CREATE VIRTUAL TABLE fts USING fts5({", ".join(FTS_COLUMNS)}, tokenize="unicode61 remove_diacritics 0");
"""


def index_path(catalog_path: Path) -> Path:
    """Where the index of `catalog_path` lives: beside it."""
    return catalog_path.with_name(catalog_path.name + INDEX_SUFFIX)


def file_tag(stat: os.stat_result) -> str:
    """What identifies one state of the catalog file: size, mtime in ns, inode."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


# -- what the index holds for one record ----------------------------------------------


@dataclass
class Entry:
    """The index rows of one record."""

    rowid: int
    id: str
    kind: str
    status: str
    place: str | None
    has: int
    date_key: str
    name_key: str
    taken: str | None
    years: list[tuple[str, int]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)


def entry_for(rowid: int, record: Record) -> Entry:
    """The index rows of `record` (stored under `rowid`, its TinyDB document id)."""
    names_text = " ".join(part for person in record.persons for part in (person.name, person.name_latin or "") if part)
    place = record.place
    text = {
        "place": words(" ".join(filter(None, (place.name, place.name_ko, place.name_ru, place.province))))
        if place
        else [],
        "names": words(names_text),
        "caption": words(record.caption or ""),
        "inscription": words(record.ocr.text),
        "filename": words(record.source.filename),
        "credit": words(record.provenance.credit) if record.provenance else [],
    }
    for name in TRANSLIT_FIELDS:
        text[f"{name}_tr"] = list(dict.fromkeys(key for word in text[name] for key in translit_keys(word)))
    years: list[tuple[str, int]] = []
    for person in record.persons:
        if person.birth_year is not None:
            years.append(("born", person.birth_year))
        if person.death_year is not None:
            years.append(("died", person.death_year))
    taken = record.exif.date_taken
    if taken and taken[:4].isdigit():
        years.append(("taken", int(taken[:4])))
    every = {year for _, year in years}
    if record.date and record.date.value[:4].isdigit():
        every.add(int(record.date.value[:4]))
    for source in (record.caption or "", record.ocr.text):
        every.update(int(found) for found in _YEAR.findall(source))
    years += [("year", year) for year in sorted(every)]
    has = 0
    for name, present in (
        ("gps", record.exif.gps is not None),
        ("caption", bool(record.caption and record.caption.strip())),
        ("inscription", bool(record.ocr.text.strip())),
        ("person", bool(record.persons)),
        ("place", place is not None),
        ("date", record.date is not None),
        ("taken", bool(taken)),
        ("flags", bool(record.flags)),
    ):
        if present:
            has |= HAS_BITS[name]
    first = record.persons[0] if record.persons else None
    return Entry(
        rowid=rowid,
        id=record.id,
        kind=str(record.kind),
        status=str(record.review.status),
        place=fold(place.name) if place else None,
        has=has,
        date_key=record.date.value if record.date else (taken[:10] if taken else ""),
        name_key=fold(first.name_latin or first.name) if first else "",
        taken=taken,
        years=years,
        flags=sorted({str(flag.code) for flag in record.flags}),
        text=text,
    )


def _vocabulary(entry: Entry) -> Iterator[tuple[int, int, str]]:
    for name in FUZZY_FIELDS:
        for word in entry.text[name]:
            if len(word) >= VOCAB_MIN_LEN and has_letters(word) and not is_hangul(word):
                yield (0, len(word), word)
        for key in entry.text[f"{name}_tr"]:
            if len(key) >= VOCAB_MIN_LEN:
                yield (1, len(key), key)


def _insert(conn: sqlite3.Connection, entries: list[Entry]) -> None:
    conn.executemany(
        "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?)",
        [(e.rowid, e.id, e.kind, e.status, e.place, e.has, e.date_key, e.name_key, e.taken) for e in entries],
    )
    conn.executemany(
        "INSERT INTO years VALUES (?,?,?)", [(e.rowid, name, year) for e in entries for name, year in e.years]
    )
    conn.executemany("INSERT INTO flags VALUES (?,?)", [(e.rowid, code) for e in entries for code in e.flags])
    conn.executemany(
        f"INSERT INTO fts(rowid, {', '.join(FTS_COLUMNS)}) VALUES ({', '.join('?' * (len(FTS_COLUMNS) + 1))})",
        [(e.rowid, *(" ".join(e.text[name]) for name in FTS_COLUMNS)) for e in entries],
    )
    conn.executemany("INSERT OR IGNORE INTO vocab VALUES (?,?,?)", {row for e in entries for row in _vocabulary(e)})


def _delete(conn: sqlite3.Connection, rowids: list[int]) -> None:
    params = [(rowid,) for rowid in rowids]
    for statement in (
        "DELETE FROM docs WHERE rowid = ?",
        "DELETE FROM years WHERE doc = ?",
        "DELETE FROM flags WHERE doc = ?",
        "DELETE FROM fts WHERE rowid = ?",
    ):
        conn.executemany(statement, params)


# -- offsets of records in the catalog file ----------------------------------------------

Spans = dict[int, tuple[int, int]]


def _pack_spans(spans: Spans | None) -> bytes | None:
    if spans is None:
        return None
    size = max(spans, default=0) + 1
    packed = array("q", [-1]) * (2 * size)
    for rowid, (start, length) in spans.items():
        packed[2 * rowid] = start
        packed[2 * rowid + 1] = length
    return packed.tobytes()


def _unpack_spans(blob: bytes | None) -> array[int] | None:
    if blob is None:
        return None
    packed = array("q")
    packed.frombytes(blob)
    return packed


def canonical_spans(raw: bytes, data: dict[str, Any]) -> Spans | None:
    """Byte offsets of each record in `raw`, if it is laid out as `AtomicJSONStorage`
    writes it (compact JSON, one document after another); else None."""
    table = data.get(TABLE)
    if not isinstance(table, dict) or not raw.startswith(b"{"):
        return None
    start = raw.find(orjson.dumps(TABLE) + b":{")
    if start < 0:
        return None
    position = start + len(TABLE) + 4
    spans: Spans = {}
    for index, (doc_id, doc) in enumerate(table.items()):
        key = (b"," if index else b"") + orjson.dumps(doc_id) + b":"
        if raw[position : position + len(key)] != key:
            return None
        position += len(key)
        encoded = orjson.dumps(doc)
        if raw[position : position + len(encoded)] != encoded or not doc_id.isdigit():
            return None
        spans[int(doc_id)] = (position, len(encoded))
        position += len(encoded)
    return spans if raw[position : position + 1] == b"}" else None


# -- reading ------------------------------------------------------------------------------


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
        conn.executescript(_SCHEMA)
        _insert(conn, [entry_for(rowid, record) for rowid, record in by_rowid.items()])
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
            with open(self._catalog_path, "rb") as catalog:
                found = self._read_spans(catalog, rowids, ids) if self._spans is not None else None
                if found is None:  # no offsets, or the catalog changed since: read it whole
                    catalog.seek(0)
                    table = _parse(catalog.read(), self._catalog_path).get(TABLE) or {}
                    found = [table[str(rowid)] for rowid in rowids if str(rowid) in table]
        except OSError as exc:
            raise CatalogError(f"{self._catalog_path}: cannot read the catalog: {exc}") from exc
        if not events:
            found = [{key: value for key, value in doc.items() if key != "events"} for doc in found]
        return [Record.from_json(doc) for doc in found]

    def _read_spans(self, catalog: Any, rowids: list[int], ids: dict[int, str]) -> list[dict[str, Any]] | None:
        spans = self._spans
        assert spans is not None
        found = []
        for rowid in rowids:
            if 2 * rowid + 1 >= len(spans) or spans[2 * rowid] < 0:
                return None
            catalog.seek(spans[2 * rowid])
            try:
                doc = orjson.loads(catalog.read(spans[2 * rowid + 1]))
            except orjson.JSONDecodeError:
                return None
            if not isinstance(doc, dict) or doc.get("id") != ids.get(rowid):
                return None
            found.append(doc)
        return found


def open_index(catalog_path: Path) -> SearchIndex:
    """The index of `catalog_path`, rebuilt first if it is missing or stale.

    Raises:
        CatalogError: the catalog cannot be read, or is not a TinyDB catalog.
    """
    path = index_path(catalog_path)
    for _ in range(3):
        try:
            tag = file_tag(catalog_path.stat())
        except FileNotFoundError:
            return SearchIndex.from_records([])
        except OSError as exc:
            raise CatalogError(f"{catalog_path}: cannot read the catalog: {exc}") from exc
        opened = _open_fresh(path, tag, catalog_path)
        if opened is not None:
            return opened
        rebuild(catalog_path)
    # A writer kept changing the catalog while we rebuilt: use what is there, read whole.
    conn = _connect_readonly(path)
    return SearchIndex(conn, catalog_path=catalog_path, spans=None)


def _open_fresh(path: Path, tag: str, catalog_path: Path) -> SearchIndex | None:
    try:
        conn = _connect_readonly(path)
    except sqlite3.Error:
        return None
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        conn.close()
        return None
    if meta.get("schema") != SCHEMA_VERSION or meta.get("tag") != tag:
        conn.close()
        return None
    return SearchIndex(conn, catalog_path=catalog_path, spans=_unpack_spans(meta.get("spans")))


def _connect_readonly(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise sqlite3.OperationalError("no index")
    # immutable: the file is never written in place (see the module docstring), so no locks.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def rebuild(catalog_path: Path) -> None:
    """Build the index of `catalog_path` from the catalog file and put it in place.

    Raises:
        CatalogError: the catalog cannot be read, or is not a TinyDB catalog.
    """
    try:
        with open(catalog_path, "rb") as catalog:
            tag = file_tag(os.fstat(catalog.fileno()))
            raw = catalog.read()
    except OSError as exc:
        raise CatalogError(f"{catalog_path}: cannot read the catalog: {exc}") from exc
    data = _parse(raw, catalog_path) if raw.strip() else {}
    table = data.get(TABLE) or {}
    spans = canonical_spans(raw, data)
    del raw
    entries = []
    for doc_id, doc in table.items():
        # Events are not searched: skip building them (most of a record's size).
        light = {key: value for key, value in doc.items() if key != "events"}
        entries.append(entry_for(int(doc_id), Record.from_json(light)))
    del data, table
    with _replacing(index_path(catalog_path)) as conn:
        _insert(conn, entries)
        _set_meta(conn, tag, spans)
    log.info("rebuilt the search index of %s (%d records)", catalog_path, len(entries))


def _parse(raw: bytes, catalog_path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"{catalog_path}: the catalog is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{catalog_path}: the catalog is not a JSON object")
    return data


def _set_meta(conn: sqlite3.Connection, tag: str, spans: Spans | None) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [("schema", SCHEMA_VERSION), ("tag", tag), ("spans", _pack_spans(spans))],
    )


class _replacing:
    """A new index file written beside `path` and renamed over it when the block succeeds:
    empty with the schema, or with `copy=True` a copy of the current one (to update it)."""

    def __init__(self, path: Path, copy: bool = False) -> None:
        self.path = path
        self.copy = copy
        self.temp: Path | None = None
        self.conn: sqlite3.Connection | None = None

    def __enter__(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        os.close(handle)
        self.temp = Path(name)
        if self.copy:
            shutil.copyfile(self.path, self.temp)
        else:
            self.temp.unlink()
        self.conn = sqlite3.connect(self.temp, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = OFF")  # a private temp file: a crash just leaves it
        self.conn.execute("PRAGMA synchronous = OFF")
        if not self.copy:
            self.conn.executescript(_SCHEMA)
        self.conn.execute("BEGIN")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self.conn is not None and self.temp is not None
        try:
            if exc_type is None:
                self.conn.execute("COMMIT")
                self.conn.close()
                os.replace(self.temp, self.path)
                return
        finally:
            with suppress(sqlite3.Error):
                self.conn.close()
            self.temp.unlink(missing_ok=True)


# -- the commit hook ----------------------------------------------------------------------


@dataclass
class Layout:
    """Where every record lies in the current catalog file, from a fresh index."""

    tag: str
    spans: Spans
    doc_ids: dict[str, int]
    """Record id -> TinyDB document id."""


def fresh_layout(catalog_path: Path) -> Layout | None:
    """The catalog's layout if its index is fresh and knows the offsets, else None
    (`Catalog.commit` then writes through TinyDB)."""
    path = index_path(catalog_path)
    try:
        tag = file_tag(catalog_path.stat())
        with closing(_connect_readonly(path)) as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("schema") != SCHEMA_VERSION or meta.get("tag") != tag or meta.get("spans") is None:
                return None
            doc_ids = dict(conn.execute("SELECT id, rowid FROM docs").fetchall())
    except (sqlite3.Error, OSError):
        return None
    packed = _unpack_spans(meta["spans"])
    assert packed is not None
    spans: Spans = {}
    for rowid in doc_ids.values():
        if 2 * rowid + 1 >= len(packed) or packed[2 * rowid] < 0:
            return None
        spans[rowid] = (packed[2 * rowid], packed[2 * rowid + 1])
    return Layout(tag, spans, doc_ids)


def after_commit(
    catalog_path: Path,
    read_tag: str | None,
    written_tag: str,
    spans: Spans | None,
    changed: list[tuple[int, Record]],
) -> None:
    """Bring the index up to date after `Catalog.commit` wrote `changed` (doc id, record).

    `read_tag` is the catalog file the commit read (None: there was none), `written_tag`
    the file it wrote, `spans` every record's offsets in it. Called under the writer lock.
    An index that was not fresh for `read_tag` is left stale (the next search rebuilds it);
    a missing index is left missing (the first search builds it); a failure is logged,
    never raised: the index is derived data.
    """
    path = index_path(catalog_path)
    try:
        if not path.exists():
            return  # never searched yet: the first search builds it whole
        with closing(_connect_readonly(path)) as current:
            meta = dict(current.execute("SELECT key, value FROM meta WHERE key != 'spans'").fetchall())
        if meta.get("schema") != SCHEMA_VERSION or meta.get("tag") != read_tag:
            return
        with _replacing(path, copy=True) as conn:
            _delete(conn, [rowid for rowid, _ in changed])
            _insert(conn, [entry_for(rowid, record) for rowid, record in changed])
            _set_meta(conn, written_tag, spans)
    except (sqlite3.Error, OSError) as exc:
        log.warning("search index %s not updated (the next search rebuilds it): %s", path, exc)
        with suppress(OSError):
            path.unlink()
