"""Records and their originals as a BagIt 1.0 bag (RFC 8493), made by the Library of Congress's `bagit`.

A bag is how the photos themselves go to another archive: a folder whose SHA-256
manifests let the receiver check every byte arrived. Payload (`data/`), each path as in
the archive, so a record's `file.path`, `source.caption_path` and `ocr.words_path` name
its files under `data/`:

- `data/originals/ab/<id>.jpg`: each selected original, bit for bit (a quarantined
  record's file is under `data/quarantine/`, as in the archive);
- `data/captions/ab/<sha256>.txt|.csv`: the caption files (sidecars, manifests) as dropped,
  except that in a `--query` bag a manifest holding rows of records the bag leaves out is
  cut to the rows of the records it holds, in its own encoding and line endings, and
  `bag-info.txt` says so;
- `data/derivatives/ab/<id>.words.json`: the words OCR read, with confidence and box;
- `data/records/<id>.json`: each record in the record contract, events included.

Every original and caption is hashed as it is copied and must match the SHA-256 the
record holds: a bag must not certify bytes the archive itself would report as altered
(`archive-ingest verify` says which). `bag-info.txt` names the source organisation (the
provenance settings' credit), describes the export, and carries the query that selected
it. The bag is built in a hidden folder beside the target and renamed into place, so an
export that fails leaves no half-made bag; the archive is only read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from datetime import date
from pathlib import Path, PurePosixPath

import bagit  # type: ignore[import-untyped]

from .. import __version__
from ..config import Settings
from ..errors import ConfigError, IngestError
from ..files.atomic import fsync_dir
from ..files.temp import create_temp_dir
from ..ingest.stages.discover import CaptionDecodeError, parse_manifest
from ..record import Record


class BagSourceError(IngestError):
    """An archived file the bag needs is missing or no longer matches its record's SHA-256."""

    exit_code = 1


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty folder.

    Raises:
        ConfigError: exit 2, one line.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "a folder that is not empty" if target.is_dir() else "a file"
        raise ConfigError(f"{target}: is {what}; --format bagit writes a new bag into a new or empty folder")


def make_bag(
    records: Sequence[Record],
    target: Path,
    settings: Settings,
    *,
    query: str | None = None,
    bagging_date: date | None = None,
) -> bagit.Bag:
    """Make a bag of `records` at `target` (a new or empty folder); returns the bag.

    Raises:
        ConfigError: no records; `target` is a file or a folder that is not empty, or its parent is missing.
        BagSourceError: an original or caption is missing from the archive or altered.
    """
    check_target(target)
    if not records:
        # bagit.py would write a bag with no payload manifest, which no validator accepts.
        raise ConfigError(f"{query!r} selects no records: no bag written" if query else "no records: no bag written")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise ConfigError(f"{parent}: no such folder for --out")
    # With the user's umask (files/temp.py): bagit gives `data/` the mode of this folder.
    building = create_temp_dir(parent, f".{target.name}.", ".partial")
    try:
        payload_bytes, cut = _fill_payload(records, settings, building, cut_manifests=query is not None)
        info = bag_info(records, settings, query=query, payload_bytes=payload_bytes, bagging_date=bagging_date)
        if cut:
            info["Internal-Sender-Description"] += (
                f". Caption manifests cut to the rows of the records in this bag ({', '.join(cut)}); "
                "the archive keeps each whole."
            )
        bagit.make_bag(str(building), bag_info=info, processes=1, checksums=["sha256"])
        _declare_bagit_1_0(building)
        if target.exists():
            target.rmdir()  # empty, checked above
        os.rename(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    # A folder, not a file: `files/atomic.py`'s write does not apply, but its rename is
    # made durable as that write's are.
    fsync_dir(parent)
    return bagit.Bag(str(target))


def bag_info(
    records: Sequence[Record],
    settings: Settings,
    *,
    query: str | None,
    payload_bytes: int,
    bagging_date: date | None = None,
) -> dict[str, str]:
    """The `bag-info.txt` fields (bagit adds `Payload-Oxum`)."""
    provenance = settings.provenance
    noun = "record" if len(records) == 1 else "records"
    description = (
        f"{len(records)} {noun} of an archive-ingest catalog: the original scans bit for bit, the caption files "
        f"as dropped, the OCR words, and each record as JSON (the record contract, with its events). "
        f"{provenance.source}. {provenance.rights}"
    )
    if provenance.commentary:
        description += f" Commentary: {provenance.commentary}."
    info = {
        "Source-Organization": provenance.credit,
        "External-Description": description,
        "Bagging-Date": (bagging_date or date.today()).isoformat(),
        "Bag-Count": "1 of 1",
        "Bag-Size": _human_size(payload_bytes),
        "Bag-Software-Agent": f"archive-ingest {__version__} (bagit.py {bagit.VERSION})",
        "Internal-Sender-Description": (
            f"Selected by the query: {query}" if query is not None else "Every record of the catalog."
        ),
    }
    return info


def _fill_payload(
    records: Sequence[Record], settings: Settings, root: Path, *, cut_manifests: bool
) -> tuple[int, list[str]]:
    """Copy each record's files and write its JSON under `root` (bagit moves them into data/).

    Returns the payload's bytes and the archive paths of the caption manifests cut to the
    bag's rows: with `cut_manifests` (a `--query` bag) a bag of some records carries their
    captions, not the rows of records it leaves out; a bag of the whole catalog carries each
    manifest bit for bit, the rows of images still waiting in the inbox included.
    """
    archive = settings.paths.archive
    total = 0
    copied: set[str] = set()
    cut: list[str] = []
    (root / "records").mkdir()
    for record in records:
        caption = record.source.caption_path
        if cut_manifests and caption is not None and caption.endswith(".csv") and caption not in copied:
            rows = _manifest_rows(records, caption, archive, record, settings.discover.max_caption_bytes)
            if rows is not None:
                total += _write_payload(root, caption, rows)
                copied.add(caption)
                cut.append(caption)
        wanted = [(record.file.path, record.file.sha256), (caption, record.source.caption_sha256)]
        wanted.append((record.ocr.words_path, None))
        for relative, sha256 in wanted:
            if relative is None or relative in copied:
                continue
            total += _copy(archive, relative, root, sha256)
            copied.add(relative)
        data = json.dumps(record.to_json(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        (root / "records" / f"{record.id}.json").write_bytes(data)
        total += len(data)
    return total, cut


def _manifest_rows(
    records: Sequence[Record], caption: str, archive: Path, first: Record, max_bytes: int
) -> bytes | None:
    """The archived manifest `caption` with only the rows of `records` (header, encoding and
    line endings kept); None when every row it holds belongs to the bag (copied bit for bit)."""
    source = _inside(archive, caption)
    try:
        data = source.read_bytes()
    except FileNotFoundError as exc:
        raise BagSourceError(f"{source}: missing from the archive (run archive-ingest verify)") from exc
    if first.source.caption_sha256 and hashlib.sha256(data).hexdigest() != first.source.caption_sha256:
        return None  # _copy reports the altered file
    try:
        _, manifest, _ = parse_manifest(data, first.source.caption_file or "captions.csv", max_bytes)
    except CaptionDecodeError:
        return None  # as archived, bit for bit: it was read once, it is kept as it came
    if manifest is None:
        return None
    images = {r.source.filename for r in records if r.source.caption_path == caption}
    rows = [(image, cells) for image, cells in manifest.rows if image in images]
    if len(rows) == len(manifest.rows):
        return None
    try:
        return manifest.to_bytes(rows)
    except UnicodeEncodeError:
        return None


def _write_payload(root: Path, relative: str, data: bytes) -> int:
    target = _inside(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return len(data)


def _declare_bagit_1_0(bag: Path) -> None:
    """Make the bag a BagIt 1.0 bag (RFC 8493): bagit.py writes `0.97` in `bagit.txt`.

    What bagit.py writes is already 1.0 in every other way (UTF-8 tag files, SHA-256
    manifests, CR, LF and % in file names percent-encoded); only the declaration and the
    tag manifest that covers `bagit.txt` change.
    """
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8")
    bagit.Bag(str(bag)).save(processes=1)  # rewrites the tag manifests, not the payload's


def _inside(folder: Path, relative: str) -> Path:
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise BagSourceError(f"{relative}: not a path inside the archive")
    return folder.joinpath(*parts)


def _copy(archive: Path, relative: str, root: Path, sha256: str | None) -> int:
    source, target = _inside(archive, relative), _inside(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as src, target.open("xb") as dst:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
    except FileNotFoundError as exc:
        raise BagSourceError(f"{source}: missing from the archive (run archive-ingest verify)") from exc
    if sha256 is not None and digest.hexdigest() != sha256:
        raise BagSourceError(
            f"{source}: its sha256 {digest.hexdigest()} differs from the record's {sha256} (run archive-ingest verify)"
        )
    return size


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
