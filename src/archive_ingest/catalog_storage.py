"""The catalog file's storage: how TinyDB's data is parsed, encoded and written to disk.

The catalog's modules are the only ones that touch TinyDB: `catalog.py` (the `Catalog`
on top of TinyDB) and this one (the `Storage` under it).

TinyDB's own JSONStorage rewrites the file in place, so a crash mid-write leaves half a
catalog, and it escapes every Cyrillic and Hangul letter. `AtomicJSONStorage` writes a
temporary file in the same folder (with the user's umask, as `temp_files.py` makes every
file), fsyncs it and renames it over the old one, so readers always see either the
previous or the next committed state, never a torn file. Writes can
be deferred so a batch of records costs one rewrite instead of one per record.

The JSON codec is orjson: faster than the json module both ways, with the same compact
UTF-8 output (names unescaped). As it writes, the storage notes where each record lies in
the file (`WrittenFile`), for `Catalog.commit` to hand to the search index;
`AtomicJSONStorage.splice` rewrites the file from those spans without parsing it.

A catalog file that is empty, not JSON or not a JSON object is refused
(`parse_catalog_bytes`), never read as empty, and the error says the way out (`way_out`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from .errors import CatalogError
from .temp_files import create_temp

TABLE = "records"


#: orjson would write datetimes and dataclasses; the catalog holds only plain JSON values,
#: so they are refused (TypeError), as the json module refuses them.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_ORJSON_OPTIONS)


@dataclass(frozen=True)
class WrittenFile:
    """What the last write of an `AtomicJSONStorage` produced, for the search index."""

    read_tag: str | None
    """The catalog file the writer had read before (see `search_index.file_tag`), or None."""
    tag: str
    """The catalog file written."""
    spans: dict[int, tuple[int, int]]
    """Document id -> (byte offset, length) of each record's JSON in the file."""


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file (temp file, fsync, rename)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._deferring = False
        self._dirty = False
        self._pending: dict[str, Any] | None = None
        self.read_tag: str | None = None
        """The file the last read parsed (None: no file), see `search_index.file_tag`."""
        self.last_write: WrittenFile | None = None

    def read(self) -> dict[str, Any] | None:
        if self._pending is not None:
            return self._pending
        try:
            with open(self.path, "rb") as catalog:
                stat = os.fstat(catalog.fileno())
                raw = catalog.read()
        except FileNotFoundError:
            self.read_tag = None
            return None
        except OSError as exc:
            raise CatalogError(f"{self.path}: cannot read the catalog: {exc}") from exc
        self.read_tag = file_tag(stat)
        data = parse_catalog_bytes(self.path, raw)
        if self._deferring:
            self._pending = data  # parsed once per batch: TinyDB reads before every operation
        return data

    def write(self, data: dict[str, Any]) -> None:
        if self._deferring:
            self._pending = data
            self._dirty = True
            return
        self._write_file(data)

    def _write_file(self, data: dict[str, Any]) -> None:
        read_tag = self.read_tag
        payload, spans = _encode(data)
        self._replace_file([payload])
        self.last_write = WrittenFile(read_tag, self.read_tag or "", spans)

    def _replace_file(self, pieces: list[bytes | tuple[int, int]], source: int | None = None) -> None:
        """Write `pieces` (bytes, or (offset, length) stretches of the file `source`) to a
        temp file, fsync it and rename it over the catalog."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = create_temp(self.path.parent, f".{self.path.name}.", ".tmp")
        try:
            with os.fdopen(handle, "wb") as temp:
                for piece in pieces:
                    if isinstance(piece, bytes):
                        temp.write(piece)
                    else:
                        assert source is not None
                        temp.flush()
                        _copy_range(source, temp.fileno(), *piece)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        self.read_tag = file_tag(self.path.stat())

    def splice(
        self, tag: str, spans: dict[int, tuple[int, int]], bodies: dict[int, bytes], ids: dict[int, str]
    ) -> bool:
        """Rewrite the file with the records of `bodies` (document id -> JSON) replaced where
        `spans` puts them, or appended when new, without parsing the rest.

        `spans` must describe the file whose tag is `tag` (the search index's). Returns
        False, writing nothing, when the file is not that one or a replaced record is not
        where it should be (its id checked against `ids`).
        """
        try:
            with open(self.path, "rb") as catalog:
                if file_tag(os.fstat(catalog.fileno())) != tag:
                    return False
                pieces = self._splice_plan(catalog.fileno(), spans, bodies, ids)
                if pieces is None:
                    return False
                # Unchanged stretches are copied by the kernel (copy_file_range), not read.
                self._replace_file([piece for piece, _ in pieces], source=catalog.fileno())
        except OSError:
            return False
        self.last_write = WrittenFile(tag, self.read_tag or "", {d: span for _, new in pieces for d, span in new})
        return True

    def _splice_plan(
        self, fd: int, spans: dict[int, tuple[int, int]], bodies: dict[int, bytes], ids: dict[int, str]
    ) -> list[tuple[bytes | tuple[int, int], list[tuple[int, tuple[int, int]]]]] | None:
        """The new file as pieces (new bytes, or a (offset, length) stretch of the old file),
        each with the new spans of the records it holds; None if the layout does not hold."""
        order = sorted(spans.items(), key=lambda item: item[1][0])
        if not order:
            return None
        end = order[-1][1][0] + order[-1][1][1]
        if os.pread(fd, 1, end) != b"}":
            return None
        for doc_id in bodies.keys() & spans.keys():
            start, length = spans[doc_id]
            try:
                old = orjson.loads(os.pread(fd, length, start))
            except orjson.JSONDecodeError:
                return None
            if not isinstance(old, dict) or old.get("id") != ids[doc_id]:
                return None
        pieces: list[tuple[bytes | tuple[int, int], list[tuple[int, tuple[int, int]]]]] = []
        moved: list[tuple[int, tuple[int, int]]] = []
        cursor = shift = 0
        for doc_id, (start, length) in order:
            body = bodies.get(doc_id)
            if body is None:
                moved.append((doc_id, (start + shift, length)))
                continue
            pieces.append(((cursor, start - cursor), moved))
            pieces.append((body, [(doc_id, (start + shift, len(body)))]))
            moved = []
            cursor = start + length
            shift += len(body) - length
        pieces.append(((cursor, end - cursor), moved))
        position = end + shift
        for doc_id in sorted(bodies.keys() - spans.keys()):
            key = b"," + _dumps(str(doc_id)) + b":"
            pieces.append((key + bodies[doc_id], [(doc_id, (position + len(key), len(bodies[doc_id])))]))
            position += len(key) + len(bodies[doc_id])
        pieces.append(((end, os.fstat(fd).st_size - end), []))
        return pieces

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Collect writes and flush them as one atomic rewrite at the end (none on error)."""
        self._deferring = True
        self._dirty = False
        try:
            yield
            if self._pending is not None and self._dirty:
                self._write_file(self._pending)
        finally:
            self._deferring = False
            self._dirty = False
            self._pending = None

    def close(self) -> None:
        pass


def way_out(catalog_path: Path) -> str:
    """What to do about a catalog that cannot be read (said by every such error)."""
    way = "it was left untouched; rebuild it from the record sidecars with `archive-ingest catalog rebuild`"
    # Imported here: catalog_files imports this module (to parse and fsync), and only an
    # unreadable catalog needs the backups' names.
    from .catalog_files import backup_path

    backup = backup_path(catalog_path)
    return f"{way}, or restore {backup.name}" if backup.exists() else way


def parse_catalog_bytes(catalog_path: Path, raw: bytes) -> dict[str, Any]:
    """The catalog file's content as TinyDB data.

    Raises:
        CatalogError: the file is empty (truncated), not JSON, or not a JSON object; the
            message names the file and the way out.
    """
    if not raw.strip():
        raise CatalogError(f"{catalog_path}: the catalog is empty (truncated?); {way_out(catalog_path)}")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"{catalog_path}: the catalog is not valid JSON: {exc}; {way_out(catalog_path)}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{catalog_path}: the catalog is not a JSON object; {way_out(catalog_path)}")
    return data


def _encode(data: dict[str, Any]) -> tuple[bytes, dict[int, tuple[int, int]]]:
    """Compact UTF-8 JSON of the whole database (as `json.dumps(data, ensure_ascii=False,
    separators=(",", ":"))` would write it), and where each record of the records table lies.

    Raises:
        TypeError: a value that is not plain JSON (a datetime, a dataclass, ...).
    """
    parts = [b"{"]
    position = 1
    spans: dict[int, tuple[int, int]] = {}
    try:
        for table_index, (name, table) in enumerate(data.items()):
            head = (b"," if table_index else b"") + _dumps(name) + b":{"
            parts.append(head)
            position += len(head)
            for doc_index, (doc_id, doc) in enumerate(table.items()):
                key = (b"," if doc_index else b"") + _dumps(str(doc_id)) + b":"
                body = _dumps(doc)
                parts += (key, body)
                position += len(key)
                if name == TABLE and str(doc_id).isdigit():
                    spans[int(doc_id)] = (position, len(body))
                position += len(body)
            parts.append(b"}")
            position += 1
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"the catalog holds a value JSON cannot: {exc}") from exc
    parts.append(b"}")
    return b"".join(parts), spans


def _copy_range(source: int, target: int, offset: int, length: int) -> None:
    """Append `length` bytes of `source` from `offset` to `target` (at its current end)."""
    while length > 0:
        try:
            copied = os.copy_file_range(source, target, length, offset)
        except OSError:  # not supported here (another file system, an old kernel): copy it ourselves
            copied = os.write(target, os.pread(source, min(length, 1 << 24), offset))
        if copied <= 0:
            raise OSError(f"the catalog ended before offset {offset + length}")
        offset += copied
        length -= copied


def file_tag(stat: os.stat_result) -> str:
    # The same form as search_index.file_tag (not imported: `show` should not load search).
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the folder that holds the renamed entry."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
