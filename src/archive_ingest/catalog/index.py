"""The search index file: a compact SQLite file beside the catalog, derived from it.

This module owns the index file (`catalog.json.search.sqlite`): where it lives, when it is
fresh, how it is rebuilt and updated, and where each record lies in the catalog file.
`search/__init__.py` opens it (`open_index`) and asks it questions through `catalog/index_reader.py`; what
it holds per record is `catalog/index_entries.py`'s; `catalog/__init__.py` calls `after_commit` after each write.

Decisions a user (or a maintainer) should know:

- TinyDB's JSON file stays the catalog of record. The index holds, per record
  (`catalog/index_entries.py`), the folded
  words of each searchable field and their transliteration keys (an FTS5 full-text table,
  see `text/fold.py`), the exact fields (kind, review status, flags, years, has-bits,
  place), sort keys, and where the record's JSON lies in the catalog file (byte offset
  and length), so a search reads only the hits' records, never the whole catalog. The
  index is about an eighth of the catalog's size (events and technical metadata stay out).
- It may be deleted at any time. It records the catalog file it was built from (size,
  mtime in ns, inode); when they differ from the catalog's, or it is missing, unreadable or
  of another version, the next search rebuilds it from the catalog (`open_index`).
- A search never needs to write beside the catalog. Where this process cannot (a backup,
  a read-only mount, another user's archive; a copy has new inodes, so its index is
  stale), the index is rebuilt in the user's cache folder instead
  (`$XDG_CACHE_HOME/archive-ingest/search-index/<hash of the catalog's absolute path>.sqlite`,
  `~/.cache` by default; `cache_index_path`), where later searches find it fresh, and
  where that cannot be written either, in memory for the one search (the catalog is then
  parsed on every search: slower, the same hits). A fresh index beside the catalog is
  always used first; the cached one is a fallback, judged fresh by the same file tag.
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
  are then read by parsing the whole catalog (`catalog/index_reader.py`), until the next commit
  rewrites it.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import sqlite3
from array import array
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import CatalogError
from ..files.atomic import atomic_path
from ..record import Record
from .index_entries import SCHEMA, SCHEMA_VERSION, delete_entries, entry_for, insert_entries
from .index_reader import TABLE, SearchIndex
from .journal import file_tag, open_catalog
from .storage import parse_catalog_bytes

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".search.sqlite"


def index_path(catalog_path: Path) -> Path:
    """Where the index of `catalog_path` lives: beside it."""
    return catalog_path.with_name(catalog_path.name + INDEX_SUFFIX)


def cache_index_path(catalog_path: Path) -> Path | None:
    """Where this user's cache keeps the index of `catalog_path` when its own folder cannot
    be written: `$XDG_CACHE_HOME/archive-ingest/search-index/<key>.sqlite`, the key a hash of
    the catalog's absolute path (links resolved); None when the user has no home folder.

    XDG_CACHE_HOME defaults to `~/.cache`; a relative value is ignored, as the XDG Base
    Directory specification says.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    key = hashlib.sha256(os.fsencode(os.path.realpath(catalog_path))).hexdigest()[:32]
    return Path(base, "archive-ingest", "search-index", f"{key}.sqlite")


def _index_places(catalog_path: Path) -> list[Path]:
    """Where an index of `catalog_path` may be, in the order they are tried."""
    cached = cache_index_path(catalog_path)
    return [index_path(catalog_path)] + ([cached] if cached is not None else [])


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


# -- opening, building and rebuilding ---------------------------------------------------


def open_index(catalog_path: Path) -> SearchIndex:
    """The index of `catalog_path`, rebuilt first if it is missing or stale: beside the
    catalog, or where this process cannot write there, in the user's cache folder, or
    where it cannot write that either, in memory (see the module docstring).

    Raises:
        CatalogError: the catalog cannot be read, or is not a TinyDB catalog.
    """
    places = _index_places(catalog_path)
    built = places[0]
    for _ in range(3):
        try:
            tag = file_tag(catalog_path.stat())
        except FileNotFoundError:
            return SearchIndex.from_records([])
        except OSError as exc:
            raise CatalogError(f"{catalog_path}: cannot read the catalog: {exc}") from exc
        for path in places:
            opened = _open_fresh(path, tag, catalog_path)
            if opened is not None:
                return opened
        for path in places:
            try:
                if path == places[0]:
                    rebuild(catalog_path)
                else:
                    rebuild(catalog_path, into=path)
            except (OSError, sqlite3.Error) as exc:
                # Derived data: a folder we may not write (or a full disk) only moves it on.
                log.info("search index not written to %s: %s", path, exc)
                continue
            built = path
            break
        else:
            return _in_memory(catalog_path)
    # A writer kept changing the catalog while we rebuilt: use what is there, read whole.
    conn = _connect_readonly(built)
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


def rebuild(catalog_path: Path, into: Path | None = None) -> None:
    """Build the index of `catalog_path` from the catalog file and put it in place: at
    `into`, by default beside the catalog (`index_path`).

    Raises:
        CatalogError: the catalog cannot be read, or is not a TinyDB catalog.
        OSError, sqlite3.Error: the index cannot be written there (tried before the
            catalog is read, so a folder this process may not write costs nothing).
    """
    target = index_path(catalog_path) if into is None else into
    with _replacing(target, private=into is not None) as conn:
        count = _fill(conn, catalog_path)
    log.info("rebuilt the search index of %s in %s (%d records)", catalog_path, target, count)


def _fill(conn: sqlite3.Connection, catalog_path: Path) -> int:
    """Index every record of the catalog file into `conn` (which has the schema); returns
    how many.

    Raises:
        CatalogError: the catalog cannot be read, or is not a TinyDB catalog.
    """
    try:
        with open_catalog(catalog_path) as catalog:
            tag = catalog.tag
            raw = catalog.read()
    except OSError as exc:
        raise CatalogError(f"{catalog_path}: cannot read the catalog: {exc}") from exc
    # An empty or torn catalog is refused here as everywhere: never indexed as empty.
    data = parse_catalog_bytes(catalog_path, raw)
    table = data.get(TABLE) or {}
    spans = canonical_spans(raw, data)
    del raw
    entries = []
    for doc_id, doc in table.items():
        # Events are not searched: skip building them (most of a record's size).
        light = {key: value for key, value in doc.items() if key != "events"}
        entries.append(entry_for(int(doc_id), Record.from_json(light)))
    del data, table
    insert_entries(conn, entries)
    _set_meta(conn, tag, spans)
    return len(entries)


def _in_memory(catalog_path: Path) -> SearchIndex:
    """An index of `catalog_path` built in memory, for one search where no index file
    can be written.

    Raises:
        CatalogError: the catalog cannot be read, or is not a TinyDB catalog.
    """
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(SCHEMA)
        _fill(conn, catalog_path)
        blob = conn.execute("SELECT value FROM meta WHERE key = 'spans'").fetchone()[0]
    except BaseException:
        conn.close()
        raise
    log.info("searched %s with an index in memory (no folder to keep one in could be written)", catalog_path)
    return SearchIndex(conn, catalog_path=catalog_path, spans=_unpack_spans(blob))


def _set_meta(conn: sqlite3.Connection, tag: str, spans: Spans | None) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [("schema", SCHEMA_VERSION), ("tag", tag), ("spans", _pack_spans(spans))],
    )


@contextmanager
def _replacing(path: Path, copy: bool = False, private: bool = False) -> Iterator[sqlite3.Connection]:
    """A new index file written beside `path` and renamed over it when the block succeeds
    (`files/atomic.py`'s `atomic_path`: SQLite fills the temp file by its path; it is
    fsynced, renamed, the folder fsynced): empty with the schema, or with `copy=True` a
    copy of the current one (to update it).
    With `private=True` (the user's cache) each missing folder is made for the user alone
    (0700, as the XDG Base Directory specification asks) and the file too (0600): the index
    holds the catalog's text. Beside the catalog it is made as every file of the archive,
    with the user's umask (`files/temp.py`), so those who share the archive share it."""
    if private:
        missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, private=private) as temp, _held(temp):
        if copy:
            shutil.copyfile(path, temp)  # into the file made above: its mode stays
        # Else SQLite takes the empty file as an empty database (one it creates itself gets
        # 0644 less the umask: never writable by the group that shares the archive).
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = OFF")  # a private temp file: a crash just leaves it
            conn.execute("PRAGMA synchronous = OFF")  # atomic_path fsyncs it once, whole, before the rename
            if not copy:
                conn.executescript(SCHEMA)
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        finally:
            with suppress(sqlite3.Error):
                conn.close()  # before the rename: atomic_path wants every handle closed


@contextmanager
def _held(temp: Path) -> Iterator[None]:
    """An exclusive flock on the index's temp file while it is written: searches write the
    index without the catalog's lock, so this is how `recovery.clean_leftovers` tells a
    temp file a killed writer left (no lock: removed) from one being written now."""
    fd = os.open(temp, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with suppress(OSError):  # a file system without locks: then nothing removes it
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def abandoned_temp(path: Path) -> bool:
    """Whether `path`, an index temp file, was left by a writer that died (nobody holds it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # being written now (or no locks here: left alone)
    finally:
        os.close(fd)
    return True


# -- the commit hook ----------------------------------------------------------------------


@dataclass
class Layout:
    """Where every record lies in the current catalog file, from a fresh index."""

    tag: str
    spans: Spans
    doc_ids: dict[str, int]
    """Record id -> TinyDB document id."""


def fresh_layout(catalog_path: Path) -> Layout | None:
    """The catalog's layout if its index (beside it, else in the user's cache) is fresh and
    knows the offsets, else None (`Catalog.commit` then writes through TinyDB; a reader
    parses the whole catalog)."""
    try:
        tag = file_tag(catalog_path.stat())
    except OSError:
        return None
    for path in _index_places(catalog_path):
        layout = _layout(path, tag)
        if layout is not None:
            return layout
    return None


def _layout(path: Path, tag: str) -> Layout | None:
    try:
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


def count_status(catalog_path: Path, status: str) -> int | None:
    """How many records have review status `status`, if an index (beside the catalog, else
    in the user's cache) is fresh (else None)."""
    try:
        tag = file_tag(catalog_path.stat())
    except OSError:
        return None
    for path in _index_places(catalog_path):
        try:
            with closing(_connect_readonly(path)) as conn:
                meta = dict(conn.execute("SELECT key, value FROM meta WHERE key != 'spans'").fetchall())
                if meta.get("schema") != SCHEMA_VERSION or meta.get("tag") != tag:
                    continue
                return int(conn.execute("SELECT count(*) FROM docs WHERE status = ?", (status,)).fetchone()[0])
        except (sqlite3.Error, OSError):
            continue
    return None


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
            delete_entries(conn, [rowid for rowid, _ in changed])
            insert_entries(conn, [entry_for(rowid, record) for rowid, record in changed])
            _set_meta(conn, written_tag, spans)
    except (sqlite3.Error, OSError) as exc:
        log.warning("search index %s not updated (the next search rebuilds it): %s", path, exc)
        with suppress(OSError):
            path.unlink()
