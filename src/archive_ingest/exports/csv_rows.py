"""Records as CSV rows: one row per record, for spreadsheets and for `cut`/`csvkit`.

One writer serves `export --format csv` (every column below, in this order) and
`search --csv` (`SEARCH_COLUMNS`: a short selection plus `why`). UTF-8, a header row,
`\\n` line ends, cells quoted only when they must be (a comma, a quote, a line break: an
inscription keeps its line breaks inside its quoted cell). Several values in one cell are
joined by `; ` (persons, names) or a space (flags, links). An absent value is an empty cell.

Columns of `export --format csv`:

- `id`: the record id (the first 16 hex digits of the original's SHA-256).
- `sha256`: SHA-256 of the original as dropped, lowercase hex.
- `kind`: `headstone`, `monument`, `ceremony`, `photo` or `quarantined`.
- `status`: review status: `pending`, `accepted`, `rejected` or `not_needed`.
- `flags`: the flag codes raised (`no_date unknown_place`), space-separated.
- `file`: the file's name as dropped, relative to the inbox.
- `archive_path`: where the original is filed, relative to `archive/`.
- `format`: the image format identified (`JPEG`, `PNG`, `TIFF`, `WEBP`).
- `media_type`: its MIME type (`image/jpeg`, ...).
- `bytes`, `width`, `height`: the original's size in bytes and its stored pixel size.
- `caption`: the caption as decoded.
- `inscription`: the inscription as OCR read it (line breaks kept).
- `ocr_confidence`: OCR's mean word confidence, 0-100.
- `persons`: each person's Latin name (else the name as written) with life span:
  `Tyon Ivan (1884-1949); Kim Shura (1938-1947)`.
- `names_as_written`: the same persons' names as written (Cyrillic, Hangul), same order.
- `place`, `place_ko`, `place_ru`, `province`: the gazetteer site's names and province.
- `place_lat`, `place_lon`: the site's coordinates (decimal degrees, WGS 84).
- `date`, `date_precision`, `date_source`: the photo's date (`1945-08-15`, `1978-05`,
  `1978`, `197x`), its precision (`day`, `month`, `year`, `decade`) and what gave it
  (`manifest`, `exif`, `caption`, `review`).
- `date_taken`: the EXIF date taken (`2013-01-09T11:50:11`).
- `camera`: EXIF make and model.
- `gps_lat`, `gps_lon`: the photo's EXIF GPS position (decimal degrees).
- `credit`, `rights`, `source`, `commentary`: provenance: the credit line, the rights
  statement, the series the photo comes from, and who wrote the commentary.
- `web_page`: the address (else the title) of the saved web page that showed the photo.
- `ingested_at`: when the file was ingested (ISO 8601 UTC).
- `links`: relations to other records, `type:id`, space-separated
  (`near_duplicate_of:0b1c2d3e4f5a6b7c`).

`search --csv` adds `why`: the fields each word matched in (as in the search listing).

Formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with
`=`, `+`, `-` or `@` (and a tab or carriage return can hide one) as a formula, so a caption
such as `=HYPERLINK("http://x")` would become a live link or worse. Every text cell that
starts with one of those characters gets a leading `'`, which spreadsheets show as text.
Numbers we write ourselves (sizes, confidence, coordinates, which may be negative) are
not text and stay as they are. The JSON export keeps every text exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from ..record import Person, Record

Cell = str | int | float | None

#: What a spreadsheet may run as a formula at the start of a cell (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Media types of the formats `identify` recognises.
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff", "WEBP": "image/webp"}


def media_type(record: Record) -> str | None:
    return MEDIA_TYPES.get(record.file.format or "")


def life_span(person: Person) -> str:
    """`(1884-1949)`, `(?-1945)`, or "" when no year is known."""
    span = person.life_span()
    return f"({span})" if span else ""


def person_label(person: Person) -> str:
    """`Tyon Ivan (1884-1949)`: the Latin name (else as written) and the life span."""
    return " ".join(filter(None, (person.name_latin or person.name, life_span(person))))


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[Record], Cell]


def _camera(record: Record) -> str:
    return " ".join(filter(None, (record.exif.make, record.exif.model)))


def _gps(record: Record, key: str) -> float | None:
    return record.exif.gps.get(key) if record.exif.gps else None


COLUMNS: dict[str, Column] = {
    column.name: column
    for column in (
        Column("id", lambda r: r.id),
        Column("sha256", lambda r: r.file.sha256),
        Column("kind", lambda r: str(r.kind)),
        Column("status", lambda r: str(r.review.status)),
        Column("flags", lambda r: " ".join(flag.code for flag in r.flags)),
        Column("file", lambda r: r.source.filename),
        Column("archive_path", lambda r: r.file.path),
        Column("format", lambda r: r.file.format),
        Column("media_type", media_type),
        Column("bytes", lambda r: r.file.bytes),
        Column("width", lambda r: r.file.width),
        Column("height", lambda r: r.file.height),
        Column("caption", lambda r: r.caption),
        Column("inscription", lambda r: r.ocr.text),
        Column("ocr_confidence", lambda r: r.ocr.confidence),
        Column("persons", lambda r: "; ".join(person_label(p) for p in r.persons)),
        Column("names_as_written", lambda r: "; ".join(p.name for p in r.persons)),
        Column("place", lambda r: r.place.name if r.place else None),
        Column("place_ko", lambda r: r.place.name_ko if r.place else None),
        Column("place_ru", lambda r: r.place.name_ru if r.place else None),
        Column("province", lambda r: r.place.province if r.place else None),
        Column("place_lat", lambda r: r.place.lat if r.place else None),
        Column("place_lon", lambda r: r.place.lon if r.place else None),
        Column("date", lambda r: r.date.value if r.date else None),
        Column("date_precision", lambda r: r.date.precision if r.date else None),
        Column("date_source", lambda r: r.date.source if r.date else None),
        Column("date_taken", lambda r: r.exif.date_taken),
        Column("camera", _camera),
        Column("gps_lat", lambda r: _gps(r, "lat")),
        Column("gps_lon", lambda r: _gps(r, "lon")),
        Column("credit", lambda r: r.provenance.credit if r.provenance else None),
        Column("rights", lambda r: r.provenance.rights if r.provenance else None),
        Column("source", lambda r: r.provenance.source if r.provenance else None),
        Column("commentary", lambda r: r.provenance.commentary if r.provenance else None),
        Column("web_page", lambda r: (r.source.page.url or r.source.page.title) if r.source.page else None),
        Column("ingested_at", lambda r: r.source.ingested_at),
        Column("links", lambda r: " ".join(f"{link.type}:{link.id}" for link in r.links)),
    )
}

#: `export --format csv`: every column, in the documented order.
EXPORT_COLUMNS: tuple[str, ...] = tuple(COLUMNS)

#: `search --csv`: the listing's columns; `why` comes from the search, not the record.
WHY = "why"
SEARCH_COLUMNS = ("id", "kind", "place", "date", "file", "persons", "status", "flags", WHY, "caption", "inscription")


def neutralise(cell: Cell) -> str:
    """The cell as CSV text; text a spreadsheet would run as a formula gets a leading `'`."""
    if cell is None:
        return ""
    if not isinstance(cell, str):
        return str(cell)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def write_csv(
    out: IO[str],
    records: Iterable[Record],
    columns: Sequence[str] = EXPORT_COLUMNS,
    *,
    reasons: Mapping[str, Sequence[str]] | None = None,
) -> int:
    """Write a header and one row per record to the text stream `out` (opened with
    `newline=""`); returns the number of rows. `reasons` (record id -> why it matched)
    fills the `why` column of a search.

    Raises:
        KeyError: a column name that is neither in `COLUMNS` nor `why`.
    """
    for name in columns:
        if name != WHY and name not in COLUMNS:
            raise KeyError(f"unknown CSV column {name!r}")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        cells: list[Cell] = [
            ", ".join((reasons or {}).get(record.id, ())) if name == WHY else COLUMNS[name].value(record)
            for name in columns
        ]
        writer.writerow([neutralise(cell) for cell in cells])
        count += 1
    return count


def write_csv_bytes(out: IO[bytes], records: Iterable[Record], *, bom: bool = False) -> int:
    """`write_csv` with every export column to a binary stream, UTF-8 (with a BOM if `bom`)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig" if bom else "utf-8", newline="", write_through=True)
    try:
        return write_csv(text, records)
    finally:
        text.flush()
        text.detach()  # leave `out` open: it belongs to the caller
