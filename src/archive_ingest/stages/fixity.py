"""Fixity: the SHA-256 of the bytes as dropped, computed before anything else reads them.

The hash fixes the record's stable id, so the same bytes dropped twice are recognised
(the pipeline then records the drop on the existing record instead of storing it again).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..context import RunContext
from ..record import EventType, Outcome, Record, record_id_for

CHUNK = 1 << 20


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


def run(record: Record, ctx: RunContext) -> Record:
    sha256, size = sha256_of_file(ctx.inbox / record.source.filename)
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
