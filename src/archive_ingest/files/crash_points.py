"""Test-only crash points: kill (or pause) this process the n-th time it reaches a named point.

`ARCHIVE_INGEST_CRASH_AT="<point>:<n>[:<SIGNAL>]"`, read once when a run starts (and by
each worker and each in-place catalog write), sends the process SIGKILL (or the named
signal: STOP, INT) the n-th time it reaches `<point>`: `after_<stage>` (after each stage,
e.g. `after_file` once a copy is filed), `after_commit` (after each catalog commit, before
inbox removals), `after_manifests` (after the committed images' rows left the inbox's
caption manifests, before the images do) and `between_removals` (after each inbox file
removed); and, inside an in-place catalog write (`catalog/storage.py`),
`catalog_undo_written` (its undo journal is in place, the catalog untouched),
`catalog_partly_written` (part of the new bytes written) and `catalog_written` (all
written and fsynced, the journal not yet removed). `tests/test_crash.py` uses it to kill
and pause real runs; unset, it does nothing.

It lives below every writer (the pipeline, the workers, the catalog) so each can name its
points without importing the others.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

from ..errors import ConfigError

#: Environment variable of the test-only crash hook (see the module docstring).
CRASH_ENV = "ARCHIVE_INGEST_CRASH_AT"


class CrashHook:
    """Test-only: signal this process the n-th time a named point is reached."""

    def __init__(self, spec: str | None) -> None:
        self.point: str | None = None
        self.remaining = 0
        self.signal = signal.SIGKILL
        if not spec:
            return
        parts = spec.split(":")
        try:
            self.point, self.remaining = parts[0], int(parts[1])
            if len(parts) > 2:
                self.signal = signal.Signals["SIG" + parts[2].upper().removeprefix("SIG")]
        except (IndexError, ValueError, KeyError):
            raise ConfigError(f"{CRASH_ENV}={spec!r}: expected <point>:<n>[:<signal>]") from None

    def reached(self, point: str) -> None:
        if point != self.point:
            return
        self.remaining -= 1
        if self.remaining == 0:
            signal.raise_signal(self.signal)  # to this thread: the one that reached the point


def crash_point() -> Callable[[str], None]:
    """`CrashHook(...).reached` for the environment's spec, or a no-op when it is unset."""
    spec = os.environ.get(CRASH_ENV)
    return CrashHook(spec).reached if spec else lambda point: None
