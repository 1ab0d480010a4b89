"""What the search index holds for one record: its tables, and the keys a record puts in them.

This module owns the index's schema (`SCHEMA`, and `SCHEMA_VERSION`, bumped when it or
the keys change) and the per-record key extraction: `entry_for` turns a `Record` into an
`Entry`, the rows it adds to each table (the folded words of each searchable field and
their transliteration keys from `text/fold.py`, the exact fields, years, has-bits and sort
keys), and `insert_entries`/`delete_entries` write and remove those rows in an open
connection. Where the index file lives, and when it is built or updated, is
`catalog/index.py`'s job; asking it questions is `catalog/index_reader.py`'s.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..record import Record
from ..text.fold import fold, has_letters, is_hangul, translit_keys, words

#: Bump when what the index holds, or how words are folded, changes: older files are rebuilt.
SCHEMA_VERSION = "1"

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

SCHEMA = f"""
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


def insert_entries(conn: sqlite3.Connection, entries: list[Entry]) -> None:
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


def delete_entries(conn: sqlite3.Connection, rowids: list[int]) -> None:
    params = [(rowid,) for rowid in rowids]
    for statement in (
        "DELETE FROM docs WHERE rowid = ?",
        "DELETE FROM years WHERE doc = ?",
        "DELETE FROM flags WHERE doc = ?",
        "DELETE FROM fts WHERE rowid = ?",
    ):
        conn.executemany(statement, params)
