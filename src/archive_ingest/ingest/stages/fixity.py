"""Fixity: the SHA-256 of the bytes as dropped, computed before anything else reads them.

The hash fixes the record's stable id, so the same bytes dropped twice are recognised
(the pipeline then records the drop on the existing record instead of storing it again).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import BinaryIO

from ...record import EventType, Outcome, Record, record_id_for
from ..context import RunContext

CHUNK = 1 << 20
#: Files up to this size are read into memory once and decoded from there by the later
#: stages (identify, exif, ocr, access); larger ones are hashed in chunks and re-read.
IN_MEMORY_MAX_BYTES = 256 << 20


def sha256_of_file(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file, read in 1 MiB chunks.

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def source_of(record: Record, ctx: RunContext) -> Path | BinaryIO:
    """The dropped file for a stage to read: its bytes from memory when fixity kept them,
    else its path in the inbox."""
    if record.file.content is not None:
        return io.BytesIO(record.file.content)
    return ctx.inbox / record.source.filename


def run(record: Record, ctx: RunContext) -> Record:
    path = ctx.inbox / record.source.filename
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        content = handle.read() if size <= IN_MEMORY_MAX_BYTES else None
    if content is not None:
        sha256, size = hashlib.sha256(content).hexdigest(), len(content)
        record.file.content = content
    else:
        sha256, size = sha256_of_file(path)
    record.file.sha256 = sha256
    record.file.bytes = size
    record.id = record_id_for(sha256)
    record.add_event(
        EventType.MESSAGE_DIGEST_CALCULATION,
        ctx.timestamp(),
        ctx.agent(),
        Outcome.SUCCESS,
        f"sha256 {sha256} over {size:,} bytes",
    )
    return record
