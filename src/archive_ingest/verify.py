"""The fixity audit (`archive-ingest verify`): is every archived file still there, unaltered?

Like `bagit.py --validate`, every problem is collected first and reported after, each as a
typed object (`Missing`, `Altered`, `SizeMismatch`, `Invalid`, `Unexpected`) naming the
file and what is wrong. What is checked, per catalog record:

- the original (`file.path`): its SHA-256 and size against `file.sha256` / `file.bytes`;
- the caption file (`source.caption_path`) against `source.caption_sha256`, and any other
  caption file an event says was filed for the record (a duplicate drop's caption); caption
  files are content-addressed (`captions/ab/<sha256>.txt`), so their name is their hash;
- the OCR words (`ocr.words_path`): its size against `derivatives.words_bytes`, and it
  parses as a words list;
- the access copy and thumbnail (`derivatives.access_path`, `thumbnail_path`): each its size
  against `derivatives.access_bytes` / `thumbnail_bytes`, and it decodes as a JPEG
  (derivatives, re-made at will, so no hash is recorded for them);
- the record sidecar (`records/ab/<id>.json`, see `catalog/files.py`): it exists and holds the
  same record as the catalog.

Then every file under `archive/` that nothing references is `Unexpected`, except the
catalog and its companions (lock, holder, backups, search index, temp files of a write)
and `README.md`. Each record checked gets a `fixity check` event (success, or failure
naming its problems), committed under the writer lock, which is held for the whole audit
so the catalog cannot change under it.

`fast=True` reads no large file: every file's size is compared with what the record says
(`file.bytes`; the derivatives' sizes; a sidecar's, the length of the record's JSON as
`catalog.files.sidecar_bytes` writes it, and only when that differs is the sidecar read,
since one written by an older version holds the same record in other bytes). Captions,
whose record holds their SHA-256 and no size, are re-hashed: they are a few hundred bytes.
A derivative filed before its size was recorded can only be found to exist; the report
counts those (`VerifyReport.unsized`), and a full `verify` checks them whole.

Without recording (`record=False`, `verify --no-record`) the audit only reads: no event,
no sidecar rewritten, no lock file created; it holds the writers' lock shared when it can
read the lock file (`catalog.shared_lock`), so no run files anything under it. An archive
this process cannot write (a backup, a read-only mount, another user's archive) is audited
that way too: the report says why nothing was recorded (`VerifyReport.not_recorded`).
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from PIL import Image

from . import catalog as catalog_module
from .catalog.files import sidecar_bytes
from .config import Settings
from .errors import IngestError
from .files.layout import ORIGINALS
from .images import DECODE_ERRORS
from .ingest.context import RunContext
from .ingest.stages.fixity import sha256_of_file
from .record import EventType, Outcome, Record, iso_utc, utc_now

PURPOSE = "archive-ingest verify"

#: Captions filed for a record but not its own caption (a duplicate drop's) are named by
#: the event that filed them: "... (filed as captions/ab/<sha256>.txt)".
_FILED_CAPTION = re.compile(r"filed as (captions/[0-9a-f]{2}/[0-9a-f]{64}\.(?:txt|csv|html))")
_CONTENT_ADDRESSED = re.compile(r"^[0-9a-f]{64}$")

#: Record keys added to the contract after archives were first written, with the value a
#: record read without them has: a sidecar that lacks one still holds the same record.
ADDED_LATER: dict[str, object] = {
    "derivatives": {
        "access_path": None,
        "thumbnail_path": None,
        "access_bytes": None,
        "thumbnail_bytes": None,
        "words_bytes": None,
    }
}
#: Keys added later inside a part of the record that existed before them: a sidecar whose
#: part lacks one (null in the catalog's record) still holds the same record.
ADDED_LATER_INSIDE: dict[str, tuple[str, ...]] = {"derivatives": ("access_bytes", "thumbnail_bytes", "words_bytes")}

#: Files made from the original whose size a record filed before sizes were recorded lacks.
DERIVATIVES = ("OCR words", "access copy", "thumbnail")


class VerificationFailed(IngestError):
    """The audit found problems (bagit's convention: exit 1); the message is the summary."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file; `path` is relative to `archive/` when inside it."""

    path: str
    records: tuple[str, ...]
    """Ids of the records that reference the file (none for an unexpected file)."""

    kind = "problem"

    def describe(self) -> str:
        raise NotImplementedError

    def line(self) -> str:
        """`path: what is wrong (records ...)`: one report line."""
        owners = f" (record {', '.join(self.records)})" if self.records else ""
        return f"{self.path}: {self.describe()}{owners}"

    def to_json(self) -> dict[str, object]:
        return {"type": self.kind, "path": self.path, "records": list(self.records), "problem": self.describe()}


@dataclass(frozen=True)
class Missing(Problem):
    """A referenced file is not there."""

    what: str = "file"
    kind = "missing"

    def describe(self) -> str:
        return f"missing ({self.what})"


@dataclass(frozen=True)
class Altered(Problem):
    """The file's SHA-256 is not the one recorded."""

    expected: str = ""
    found: str = ""
    kind = "altered"

    def describe(self) -> str:
        return f"altered: sha256 {self.found}, expected {self.expected}"

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "expected": self.expected, "found": self.found}


@dataclass(frozen=True)
class SizeMismatch(Problem):
    """The file's size is not the one recorded."""

    expected: int = 0
    found: int = 0
    kind = "size mismatch"

    def describe(self) -> str:
        return f"size {self.found} bytes, expected {self.expected}"

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "expected": self.expected, "found": self.found}


@dataclass(frozen=True)
class Invalid(Problem):
    """The file is there but is not what it should be (unreadable, not JSON, another record)."""

    reason: str = ""
    kind = "invalid"

    def describe(self) -> str:
        return f"invalid: {self.reason}"


@dataclass(frozen=True)
class Unexpected(Problem):
    """A file under `archive/` that no record references."""

    kind = "unexpected"

    def describe(self) -> str:
        return "unexpected: no record references it"


_KIND_ORDER = (Missing.kind, Altered.kind, SizeMismatch.kind, Invalid.kind, Unexpected.kind)


@dataclass
class VerifyReport:
    """What the audit checked and found."""

    records: int = 0
    """Records checked (each got a fixity check event when `recorded`)."""
    files: int = 0
    """Referenced files checked."""
    fast: bool = False
    problems: list[Problem] = field(default_factory=list)
    """Every problem found, by path."""
    recorded: bool = True
    """Whether each record got its fixity check event (and its sidecar was written again)."""
    not_recorded: str | None = None
    """Why nothing was recorded although recording was asked for: the catalog cannot be
    written (one line naming it); None when recording was done or not asked for."""
    unsized: list[tuple[str, str]] = field(default_factory=list)
    """With `fast`: (path, what) of each derivative found whose record holds no size (filed
    before sizes were recorded), so only found to exist; empty without `fast`."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def unsized_note(self) -> str | None:
        """What `--fast` could not check, in one line (None: it checked every size)."""
        if not self.unsized:
            return None
        counts: dict[str, int] = {}
        for _, what in self.unsized:
            counts[what] = counts.get(what, 0) + 1
        listed = ", ".join(f"{count} {_plural(what, count)}" for what, count in counts.items())
        return (
            f"--fast found {listed} but could not check their size: their records were filed before sizes "
            "were recorded; verify without --fast checks them whole"
        )

    def summary(self) -> str:
        how = "checked by size" if self.fast else "re-hashed"
        head = f"verify: {self.records} records, {self.files} files {how}"
        if self.ok:
            return f"{head}: all well"
        counts = {kind: sum(1 for p in self.problems if p.kind == kind) for kind in _KIND_ORDER}
        listed = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count)
        noun = "problem" if len(self.problems) == 1 else "problems"
        return f"{head}: {len(self.problems)} {noun} ({listed})"

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "fast": self.fast,
            "recorded": self.recorded,
            "records": self.records,
            "files": self.files,
            "problems": [problem.to_json() for problem in self.problems],
            "unsized": [{"path": path, "what": what} for path, what in self.unsized],
        }


_NOUNS = {
    "OCR words": ("OCR words file", "OCR words files"),
    "access copy": ("access copy", "access copies"),
    "thumbnail": ("thumbnail", "thumbnails"),
}


def _plural(what: str, count: int) -> str:
    one, many = _NOUNS.get(what, (what, f"{what}s"))
    return one if count == 1 else many


@dataclass
class _Reference:
    """A file some records reference, and what it should be."""

    what: str
    sha256: str | None = None
    size: int | None = None
    records: list[str] = field(default_factory=list)
    check: Callable[[bytes], str | None] | None = None
    """For JSON files: given the bytes, what is wrong with them (None: nothing)."""
    size_settles: bool = True
    """Whether a size other than `size` is a problem in itself; False for a sidecar, whose
    expected size is that of the record's JSON as written now: `check` then decides."""


def verify(
    settings: Settings, *, fast: bool = False, record: bool = True, now: Callable[[], datetime] = utc_now
) -> VerifyReport:
    """Audit the archive of `settings`; with `record`, append a fixity check event to every
    record. An archive this process cannot write is audited without recording, and the
    report's `not_recorded` says why.

    Raises:
        CatalogLocked: another process is writing the catalog (nothing is checked).
        CatalogError: the catalog cannot be read.
    """
    catalog_path = settings.paths.catalog
    not_recorded = None
    if record:
        with ExitStack() as held:
            try:
                catalog = held.enter_context(catalog_module.writer(catalog_path, PURPOSE, now()))
            except catalog_module.CatalogReadOnly as exc:
                not_recorded = f"{exc}; checked without recording fixity check events (as with --no-record)"
            else:
                records = catalog.all()
                report, references = _audit(records, settings, fast, rewrites_sidecars=True)
                _add_events(records, report, references, RunContext(settings=settings, now=now).software, now())
                catalog.commit(records)
                return report
    # Only reading: no lock file created, but none taken by a run while the files are checked.
    with catalog_module.shared_lock(catalog_path):
        report, _ = _audit(catalog_module.reader(catalog_path).all(), settings, fast, rewrites_sidecars=False)
    report.recorded = False
    report.not_recorded = not_recorded
    return report


def _audit(
    records: list[Record], settings: Settings, fast: bool, *, rewrites_sidecars: bool
) -> tuple[VerifyReport, dict[Path, _Reference]]:
    """Check every file `records` reference, and find the files none does."""
    catalog_path = settings.paths.catalog
    archive = settings.paths.archive
    sidecar_dir = catalog_module.sidecar_dir_for(catalog_path)
    references = _references(records, archive, sidecar_dir, fast, rewrites_sidecars)
    report = VerifyReport(records=len(records), files=len(references), fast=fast)
    for path, reference in references.items():
        problem = _check(path, reference, archive, fast)
        if problem is not None:
            report.problems.append(problem)
        elif fast and reference.what in DERIVATIVES and _fast_way(reference) == "found":
            report.unsized.append((_shown(path, archive), reference.what))
    report.problems.extend(_unexpected(archive, catalog_path, references))
    report.problems.sort(key=lambda problem: problem.path)
    return report, references


def _add_events(
    records: list[Record], report: VerifyReport, references: dict[Path, _Reference], agent: str, now: datetime
) -> None:
    """Append to each record its fixity check event: success, or failure naming its problems."""
    by_record: dict[str, list[Problem]] = {}
    for problem in report.problems:
        for record_id in problem.records:
            by_record.setdefault(record_id, []).append(problem)
    fast = report.fast
    # How many files of each record were checked, by how they were checked (with --fast:
    # by size, captions by sha256, derivatives without a recorded size only found).
    checked: dict[str, dict[str, int]] = {}
    for reference in references.values():
        way = _fast_way(reference) if fast else "sha256"
        for record_id in reference.records:
            ways = checked.setdefault(record_id, {})
            ways[way] = ways.get(way, 0) + 1
    at = iso_utc(now)
    for record in records:
        found = by_record.get(record.id)
        if found:
            detail = f"verify{' --fast' if fast else ''}: " + "; ".join(p.line() for p in found)
            record.add_event(EventType.FIXITY_CHECK, at, agent, Outcome.FAILURE, detail)
            continue
        ways = checked.get(record.id, {})
        if not fast:
            detail = f"verify: sha256 of {ways.get('sha256', 0)} files match"
        else:
            detail = f"verify --fast: sizes of {ways.get('size', 0)} files match"
            if ways.get("sha256"):
                detail += f"; sha256 of {ways['sha256']} caption {_plural('file', ways['sha256'])} match"
            if ways.get("found"):
                detail += f"; {ways['found']} found, their size not recorded"
        record.add_event(EventType.FIXITY_CHECK, at, agent, Outcome.SUCCESS, detail)


def _shown(path: Path, archive: Path) -> str:
    return path.relative_to(archive).as_posix() if path.is_relative_to(archive) else str(path)


def _references(
    records: list[Record], archive: Path, sidecar_dir: Path, fast: bool, rewrites_sidecars: bool
) -> dict[Path, _Reference]:
    references: dict[Path, _Reference] = {}

    def add(path: Path, record_id: str, reference: _Reference) -> None:
        existing = references.setdefault(path, reference)
        if record_id not in existing.records:
            existing.records.append(record_id)

    for record in records:
        if record.file.path:
            add(archive / record.file.path, record.id, _Reference("original", record.file.sha256, record.file.bytes))
        else:
            add(archive / ORIGINALS / f"{record.id}.?", record.id, _Reference("the record names no filed original"))
        captions = {record.source.caption_path} if record.source.caption_path else set()
        for event in record.events:
            captions.update(_FILED_CAPTION.findall(event.detail))
        for caption in sorted(captions):
            stem = PurePosixPath(caption).stem
            expected = stem if _CONTENT_ADDRESSED.match(stem) else None
            if caption == record.source.caption_path and record.source.caption_sha256:
                expected = record.source.caption_sha256
            add(archive / caption, record.id, _Reference("caption", expected))
        derivatives = record.derivatives
        if record.ocr.words_path:
            words = _Reference("OCR words", size=derivatives.words_bytes, check=_words_problem)
            add(archive / record.ocr.words_path, record.id, words)
        for path, size, what in (
            (derivatives.access_path, derivatives.access_bytes, "access copy"),
            (derivatives.thumbnail_path, derivatives.thumbnail_bytes, "thumbnail"),
        ):
            if path:
                add(archive / path, record.id, _Reference(what, size=size, check=_jpeg_problem))
        sidecar = catalog_module.sidecar_path(sidecar_dir, record.id)
        what = "record sidecar; written again from the catalog by this check" if rewrites_sidecars else "record sidecar"
        # Its expected size is only needed by --fast (the full check reads it anyway).
        size = len(sidecar_bytes(record)) if fast else None
        check = _sidecar_check(record, rewrites_sidecars)
        add(sidecar, record.id, _Reference(what, size=size, check=check, size_settles=False))
    return references


def _check(path: Path, reference: _Reference, archive: Path, fast: bool) -> Problem | None:
    shown = _shown(path, archive)
    owners = tuple(reference.records)
    if reference.what.startswith("the record"):
        return Missing(shown, owners, reference.what)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Missing(shown, owners, reference.what)
    except OSError as exc:
        return Invalid(shown, owners, f"cannot be read: {exc.strerror or exc}")
    size_differs = reference.size is not None and size != reference.size
    if size_differs and reference.size_settles:
        assert reference.size is not None
        return SizeMismatch(shown, owners, reference.size, size)
    if fast and _fast_way(reference) != "sha256" and not size_differs:
        return None  # its size is as recorded (or, unrecorded, it exists): nothing is read
    try:
        if reference.check is not None:
            reason = reference.check(path.read_bytes())
            return Invalid(shown, owners, reason) if reason else None
        if reference.sha256 is not None:
            found, _ = sha256_of_file(path)
            if found != reference.sha256:
                return Altered(shown, owners, reference.sha256, found)
    except OSError as exc:
        return Invalid(shown, owners, f"cannot be read: {exc.strerror or exc}")
    return None


def _fast_way(reference: _Reference) -> str:
    """How `--fast` checks a file: `size` against the record; `sha256` for a caption (its
    record holds its hash and no size; it is small); `found` when no size is recorded."""
    if reference.size is not None:
        return "size"
    return "sha256" if reference.sha256 is not None else "found"


def _words_problem(data: bytes) -> str | None:
    try:
        words = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        return f"the OCR words are not JSON: {exc}"
    if not isinstance(words, dict) or not isinstance(words.get("words"), list):
        return "the OCR words file holds no words list"
    return None


def _jpeg_problem(data: bytes) -> str | None:
    """What is wrong with an access copy or thumbnail: not a JPEG, or not decodable to the end."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG":
                return f"not a JPEG but {image.format}"
            image.load()
    except DECODE_ERRORS as exc:
        return f"does not decode as a JPEG: {exc}"
    return None


def _sidecar_check(record: Record, rewritten: bool) -> Callable[[bytes], str | None]:
    def check(data: bytes) -> str | None:
        try:
            stored = json.loads(data)
        except (UnicodeDecodeError, ValueError) as exc:
            return f"the record sidecar is not JSON: {exc}"
        expected = record.to_json()
        if not isinstance(stored, dict):
            return "the record sidecar is not a JSON object"
        for key, empty in ADDED_LATER.items():
            if key not in stored and expected.get(key) == empty:
                stored[key] = empty  # written before the key existed: the same record
        for part, keys in ADDED_LATER_INSIDE.items():
            stored_part, expected_part = stored.get(part), expected.get(part)
            if isinstance(stored_part, dict) and isinstance(expected_part, dict):
                for key in keys:
                    if key not in stored_part and expected_part.get(key) is None:
                        stored_part[key] = None
        if stored == expected:
            return None
        differing = sorted(key for key in expected.keys() | stored.keys() if stored.get(key) != expected.get(key))
        how = " (rewritten now)" if rewritten else ""
        return f"the record sidecar differs from the catalog's record in {', '.join(differing)}{how}"

    return check


def _unexpected(archive: Path, catalog_path: Path, references: dict[Path, _Reference]) -> list[Unexpected]:
    """Files under `archive/` that no record references (sorted by path)."""
    found: list[Unexpected] = []
    if not archive.is_dir():
        return found
    for folder, dirs, files in os.walk(archive):
        base = Path(folder)
        dirs.sort()
        for name in dirs:
            if (base / name).is_symlink():  # not walked into: a link out of the archive is no file of it
                files.append(name)
        for name in sorted(files):
            path = base / name
            if path in references or catalog_module.is_catalog_companion(catalog_path, path):
                continue
            if name.startswith(".") and name.endswith(".tmp"):
                continue  # a write in progress (or left by a killed one): never a record's file
            if base == archive and name == "README.md":
                continue
            found.append(Unexpected(_shown(path, archive), ()))
    return sorted(found, key=lambda problem: problem.path)
