"""Exports: the catalog, or the records a query selects, in a form to hand out.

`archive-ingest export` is a thin wrapper over this package; each format is a module:

- `json`: the record contract, exactly as the catalog holds it (events included);
- `csv` (`csv_rows.py`): one row per record, flattened, documented columns, cells that
  could run as spreadsheet formulas neutralised;
- `dc` (`dublin_core.py`): one `oai_dc:dc` element per record, valid against the OAI-PMH
  `oai_dc` XML Schema, for harvesters and library catalogues;
- `bagit` (`bag.py`): a BagIt bag holding the originals bit for bit with their records,
  for handing the photos themselves to another archive;
- `iiif` (`iiif/`): a static IIIF publication (a Presentation 3 Collection, a Manifest per
  record, each picture as level-0 Image API 3 tiles) for archive viewers and portals,
  written into a folder and brought up to date by the next export.

An export only reads the archive: originals are copied out, never touched. A selection
comes from the search language (`select_records`), so anything `search` finds can be
exported, in the order `search` lists it; with no query, every record in catalog order.

What may be published (`published_only`, also used by `archive-ingest site`): not a
quarantined record (an unreadable or unsafe file, no photo to show) and not one a reviewer
rejected. `csv` and `dc` are for handing out and publish only those unless `--all`
(`iiif` publishes only those, always); `json` and `bagit` are the backup and hand-over
formats and keep every record the query selects, with its events (who reviewed, their
notes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..config import Settings
from ..errors import ConfigError
from ..files.atomic import atomic_file
from ..files.writable import unwritable
from ..record import Record, ReviewStatus

#: The formats written to one file or stdout (`bagit`, the other of `export --format`, writes a folder).
STREAM_FORMATS = ("json", "csv", "dc")
#: The formats that publish: only what may be published, unless `--all`.
PUBLISHING_FORMATS = ("csv", "dc")


def may_publish(record: Record) -> bool:
    """Whether `record` may be published: not quarantined, not rejected by a reviewer."""
    return not record.quarantined and record.review.status != ReviewStatus.REJECTED


def published_only(records: Sequence[Record]) -> tuple[list[Record], int]:
    """The records that may be published, in their order, and how many were left out."""
    kept = [record for record in records if may_publish(record)]
    return kept, len(records) - len(kept)


def withheld_note(count: int) -> str:
    """The line that tells a user records were left out, and how to include them."""
    noun = "record" if count == 1 else "records"
    return f"left out {count} {noun} not for publication (quarantined or rejected); --all includes them"


def select_records(settings: Settings, query: str | None, *, events: bool = True) -> list[Record]:
    """The records to export: all of them in catalog order, or every hit of `query`, best first.

    Without `events` the records come without their event history (a search then reads
    less: events are most of a record's size); the catalog path always has them.

    Raises:
        QueryError: the query cannot be read (exit 2, like `search`).
        CatalogError: the catalog cannot be read.
    """
    if query is None:
        from .. import catalog

        return catalog.reader(settings.paths.catalog).all()
    from ..search import search_catalog
    from ..text.places import Gazetteer

    gazetteer = Gazetteer.load(settings.places.gazetteer)
    result = search_catalog(settings.paths.catalog, query, gazetteer, limit=None, events=events)
    return [hit.record for hit in result.hits]


def write_stream(fmt: str, records: Sequence[Record], out: IO[bytes], settings: Settings, *, bom: bool = False) -> None:
    """Write `records` as `fmt` (one of `STREAM_FORMATS`) to the binary stream `out`.

    `bom` puts a UTF-8 byte order mark before a CSV, so spreadsheets that guess the
    encoding (Excel) read Cyrillic and Hangul right; it is refused for the other formats,
    where a BOM only gets in the way of parsers.
    """
    if bom and fmt != "csv":
        raise ConfigError(f"--bom is for --format csv only, not {fmt}")
    if fmt == "json":
        payload = json.dumps([record.to_json() for record in records], ensure_ascii=False, indent=2)
        out.write(payload.encode("utf-8") + b"\n")
    elif fmt == "csv":
        from .csv_rows import write_csv_bytes

        write_csv_bytes(out, records, bom=bom)
    elif fmt == "dc":
        from .dublin_core import write_dublin_core

        write_dublin_core(out, records, settings.provenance)
    else:
        raise ConfigError(f"unknown export format {fmt!r} (one of: {', '.join(STREAM_FORMATS)})")


def write_file(fmt: str, records: Sequence[Record], path: Path, settings: Settings, *, bom: bool = False) -> None:
    """Write the export to `path` through a temporary file renamed over it (`files/atomic.py`:
    `.<name>.<random>.partial`, with the user's umask: mkstemp's 0600 is for secrets, not
    for a file to hand out), so a failed export never leaves a half-written file where a
    finished one is expected.

    Raises:
        ConfigError: `path` is a folder, its folder does not exist or cannot be written.
    """
    check_out(path, fmt)
    with atomic_file(path, suffix=".partial") as out:
        write_stream(fmt, records, out, settings, bom=bom)


def check_out(path: Path, fmt: str) -> None:
    """Refuse at once an `--out` this process cannot write (before the catalog is read):
    a file format's `path` must not be a folder, and the folder `path` goes in (where the
    file, or the bag, is made under a temporary name and renamed) must exist and be
    writable.

    Raises:
        ConfigError: exit 2, one line naming the path and why.
    """
    if fmt != "bagit" and path.is_dir():
        raise ConfigError(f"{path}: is a folder; --out names the file to write for --format {fmt}")
    parent = Path(os.path.abspath(path)).parent
    if not parent.is_dir():
        raise ConfigError(f"{parent}: no such folder for --out")
    reason = unwritable(parent)
    if reason is not None:
        raise ConfigError(f"--out {path}: cannot write it: {reason}")
