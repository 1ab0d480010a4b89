"""Filing: copy the original, bit for bit, into `archive/` and verify the copy.

Where each file goes is `files/layout.py`'s (originals, quarantine, derivatives, captions).

Every file is written by `files/atomic.py`'s one atomic write. A copy goes to a temporary
file in the target folder (`.filing.<random>.tmp`), is fsynced, then read back and hashed:
only a copy whose SHA-256 matches the original's is renamed into place (a mismatch
leaves no file and the target as it was). After the rename the folder is fsynced (and so
is each folder made for it, `originals/ab/`), so the filed copy is on disk before the
pipeline removes the inbox file, which it does only after the record is committed. Every
file is created with the user's umask (`files/temp.py`: 0644 or, for a group sharing the
archive, 0664). A target that already exists with the right hash (left by an interrupted
run) is adopted, not copied again, its folder fsynced as for a new copy.

A full disk (`ENOSPC`, or a quota: `EDQUOT`) raises `DiskFull`, which the pipeline treats
as the end of the run rather than a problem with one file: every later copy would fail too.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

from ...files.atomic import HashMismatch, copy_atomic, fsync_dir, make_folders, write_atomic
from ...files.layout import access_paths, caption_path, original_path, words_path
from ...record import EventType, Outcome, Record
from ..context import RunContext
from ..drops import Caption
from .fixity import sha256_of_file

#: Prefixes of the temporary files a copy is written to before its rename; one left by a
#: killed run is removed by the next run (see `pipeline`).
TEMP_PREFIX = ".filing."
WORDS_TEMP_PREFIX = ".words."
ACCESS_TEMP_PREFIX = ".access."


class FilingError(OSError):
    """The archived copy could not be written or did not verify; the inbox file stays."""


class DiskFull(FilingError):
    """The archive's disk (or quota) is full: no partial copy is left, and the run stops."""


#: errno values that mean "no room left": the next file would fail the same way.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def _write_failed(target: Path, what: str, exc: OSError) -> FilingError:
    if exc.errno in _NO_SPACE:
        return DiskFull(f"{target.parent}: no space left on the archive's disk while writing {what}")
    return FilingError(f"{target}: cannot write {what}: {exc}")


def file_caption(caption: Caption, ctx: RunContext) -> str:
    """File the caption's file (sidecar or manifest) bit for bit; returns its archive path.

    Captions are content-addressed, so a manifest serving many images, or the same
    caption dropped twice, is stored once.

    Raises:
        FilingError: the copy failed or does not verify.
    """
    relative = caption_path(caption.sha256, caption.kind)
    copy_verified(ctx.inbox / caption.file, ctx.archive / relative, caption.sha256)
    return relative


def companion_note(caption: Caption, ctx: RunContext) -> str | None:
    """File the other files a caption rests on: the manifest whose row gave a sidecar's
    place, date and credit, and the saved page showing the image when another file gave
    the caption; returns a line saying so for the record's events (None: there are none).

    The record must name each filed file: it is part of what the record rests on, and
    `verify` finds a filed caption file through the record that names it.

    Raises:
        FilingError: the copy failed or does not verify.
    """
    notes = []
    row = caption.manifest_row
    if row is not None:
        path = file_caption(row, ctx)
        notes.append(
            f"{row.file} also has a row for this file; its place, date and credit cells are used (filed as {path})"
        )
    if caption.page is not None and caption.kind != "page":
        page = caption.page
        path = file_caption(Caption("", page.file, "utf-8", page.sha256, "page"), ctx)
        notes.append(f"{page.file}, a saved web page, shows this file (filed as {path})")
    return "; ".join(notes) or None


def copy_verified(source: Path, target: Path, sha256: str) -> bool:
    """Copy `source` to `target` atomically and check the copy's SHA-256.

    Returns True when a copy was made, False when `target` already held these bytes.

    Raises:
        DiskFull: no space left (no partial file is left).
        FilingError: the copy failed or its hash differs (no partial file is left).
    """
    if target.exists():
        try:
            present = sha256_of_file(target)[0]
        except OSError as exc:
            raise FilingError(f"{target}: exists but cannot be read: {exc}") from exc
        if present == sha256:
            try:
                fsync_dir(target.parent)  # the run that filed it may have been killed before its folder's fsync
            except OSError as exc:
                raise _write_failed(target, "the archived copy", exc) from exc
            return False
    try:
        make_folders(target.parent)
        copy_atomic(source, target, prefix=TEMP_PREFIX, sha256=sha256)
    except HashMismatch as exc:
        raise FilingError(f"{target}: the copy's sha256 {exc.actual} differs from the original's {sha256}") from exc
    except OSError as exc:
        raise _write_failed(target, "the archived copy", exc) from exc
    return True


def file_words(record: Record, ctx: RunContext) -> tuple[str, int]:
    """Write the OCR words beside the record (`derivatives/ab/<id>.words.json`); returns its
    path and size in bytes.

    Raises:
        FilingError: the file could not be written.
    """
    relative = words_path(record.id)
    words = [{"text": w.text, "confidence": w.confidence, "box": list(w.box)} for w in record.ocr.words]
    payload = json.dumps({"id": record.id, "words": words}, ensure_ascii=False, indent=1).encode("utf-8")
    _write_atomic(ctx.archive / relative, payload, WORDS_TEMP_PREFIX, "the OCR words")
    return relative, len(payload)


def file_access_copies(record: Record, ctx: RunContext) -> list[tuple[str, int]]:
    """Write the access copy and thumbnail the `access` stage rendered; returns the path and
    size in bytes of each, the access copy first.

    Raises:
        FilingError: a file could not be written.
    """
    access, thumbnail = access_paths(record.id)
    filed: list[tuple[str, int]] = []
    for relative, payload, what in (
        (access, record.derivatives.access_jpeg, "the access copy"),
        (thumbnail, record.derivatives.thumbnail_jpeg, "the thumbnail"),
    ):
        if payload is None:
            raise FilingError(f"{ctx.archive / relative}: {what} was not rendered")
        _write_atomic(ctx.archive / relative, payload, ACCESS_TEMP_PREFIX, what)
        filed.append((relative, len(payload)))
    return filed


def _write_atomic(target: Path, payload: bytes, prefix: str, what: str) -> None:
    """Write `payload` over `target` atomically (`files/atomic.py`), making its folder.

    Raises:
        DiskFull: no space left (no partial file is left).
        FilingError: the file could not be written (no partial file is left).
    """
    try:
        make_folders(target.parent)
        write_atomic(target, payload, prefix=prefix)
    except OSError as exc:
        raise _write_failed(target, what, exc) from exc


def run(record: Record, ctx: RunContext) -> Record:
    relative = original_path(record)
    made = copy_verified(ctx.inbox / record.source.filename, ctx.archive / relative, record.file.sha256)
    record.file.path = relative
    how = "copied" if made else "already present from an interrupted run; adopted"
    record.add_event(
        EventType.FIXITY_CHECK,
        ctx.timestamp(),
        ctx.agent(),
        Outcome.SUCCESS,
        f"{relative} {how}; sha256 of the archived copy matches",
    )
    caption = ctx.captions.get(record.source.filename)
    if caption is not None:
        record.source.caption_path = file_caption(caption, ctx)
        if record.source.page is not None and caption.page is not None:
            record.source.page.path = caption_path(caption.page.sha256, "page")
        note = companion_note(caption, ctx)
        if note is not None:
            record.add_event(EventType.CAPTION, ctx.timestamp(), ctx.agent(), Outcome.SUCCESS, note)
    derivatives = record.derivatives
    # Each file's size goes on the record, so `verify --fast` can tell a truncated copy.
    if record.ocr.words:
        record.ocr.words_path, derivatives.words_bytes = file_words(record, ctx)
    if derivatives.access_jpeg is not None and derivatives.thumbnail_jpeg is not None:
        access, thumbnail = file_access_copies(record, ctx)
        derivatives.access_path, derivatives.access_bytes = access
        derivatives.thumbnail_path, derivatives.thumbnail_bytes = thumbnail
    # Filed: the record no longer carries them (it waits for its batch's commit).
    record.ocr.words, derivatives.access_jpeg, derivatives.thumbnail_jpeg = [], None, None
    record.add_event(
        EventType.QUARANTINE if record.quarantined else EventType.INGESTION,
        ctx.timestamp(),
        ctx.agent(),
        Outcome.SUCCESS,
        f"filed as {relative}",
    )
    return record
