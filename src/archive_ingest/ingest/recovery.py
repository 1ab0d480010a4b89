"""Recovery from a run that was killed or interrupted.

What a run killed at any moment can leave behind, and how the next run (holding the
catalog lock) puts it right:
- temp files of a copy, an OCR words file, an access copy or thumbnail (`.access.*.tmp`),
  a record sidecar or a catalog write cut short: removed first (`clean_leftovers`);
- an original (or its OCR words, access copy or thumbnail) filed under its record id whose
  record was never committed:
  adopted when its inbox file is processed again (`stages.file.copy_verified` finds the
  same bytes in place), or, at the end of a full run, removed if its bytes were seen in
  the inbox and not filed, and reported and kept if they were not seen (it may be the
  only copy) (`settle_orphans`).

`sigint_held` keeps Ctrl-C from cutting a catalog commit in half.

The crash points the tests kill a run at are `files/crash_points.py`'s.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..catalog import Catalog, sidecar_dir_for
from ..catalog.index import INDEX_SUFFIX, abandoned_temp
from ..files.layout import CAPTIONS, RECORD_FOLDERS, RECORDS
from .context import RunContext

log = logging.getLogger(__name__)


@contextmanager
def sigint_held() -> Iterator[None]:
    """Hold SIGINT while a commit runs, then raise KeyboardInterrupt if one came."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield  # signals go to the main thread only, or someone else handles SIGINT
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


#: Archive folders written only by a writer holding the catalog lock (and the record
#: sidecars' folder beside the catalog): a temp file in them is a leftover of a killed run.
#: (The catalog's own folder is not among them: searches, which take no lock, write their
#: index there.)
_LOCKED_FOLDERS = (*RECORD_FOLDERS, CAPTIONS)


def clean_leftovers(ctx: RunContext, catalog: Catalog) -> dict[str, list[Path]]:
    """Remove temp files left by a killed run; return filed files with no record, by id.

    Runs under the catalog lock, so no other run is writing in these folders.
    """
    orphans: dict[str, list[Path]] = {}
    # The catalog's (and its backup's, and its undo journal's) temp file, from a writer
    # killed mid-write. (A whole undo journal was rolled back by `writer`.) The search
    # index's temp files (`.catalog.json.search.sqlite...`) are written by searches too,
    # without the catalog's lock: only one nobody holds locked is a dead writer's.
    catalog_path = ctx.settings.paths.catalog
    catalog_temp = re.compile(rf"^\.{re.escape(catalog_path.name)}(?:\.bak(?:\.\d+)?|\.undo)?\.[a-z0-9_]{{8}}\.tmp$")
    index_temp = re.compile(rf"^\.{re.escape(catalog_path.name + INDEX_SUFFIX)}\.[a-z0-9_]{{8}}\.tmp$")
    if catalog_path.parent.is_dir():
        for path in catalog_path.parent.iterdir():
            if catalog_temp.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                log.info("removed %s, left by an interrupted catalog write", path)
            elif index_temp.match(path.name) and abandoned_temp(path):
                path.unlink(missing_ok=True)
                log.info("removed %s, left by an interrupted search index write", path)
    roots = [(folder, ctx.archive / folder) for folder in _LOCKED_FOLDERS]
    roots.append((RECORDS, sidecar_dir_for(catalog_path)))
    for folder, root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                log.info("removed %s, left by an interrupted run", path)
                continue
            record_id = path.name.split(".", 1)[0]
            if folder in RECORD_FOLDERS and record_id not in catalog:
                orphans.setdefault(record_id, []).append(path)
    return orphans


def settle_orphans(
    ctx: RunContext, catalog: Catalog, orphans: dict[str, list[Path]], seen: set[str]
) -> tuple[list[str], list[str]]:
    """After a full run: drop filed copies that still have no record but whose bytes are in the inbox.

    An orphan is a copy made by a run killed before its commit. If this run adopted it,
    it now has a record. If its bytes were seen in the inbox this run but not filed (a
    failure, a file still being written), the inbox copy is the one that counts and the
    orphan is removed. An orphan whose bytes were not seen in the inbox is the only copy
    left: it stays, and is reported.

    Returns:
        (notes, problems): one line each, for the run's summary.
    """
    notes: list[str] = []
    problems: list[str] = []
    for record_id, paths in orphans.items():
        if record_id in catalog:
            continue
        for path in paths:
            if not path.exists():
                continue
            relative = path.relative_to(ctx.archive).as_posix()
            if record_id in seen:
                path.unlink(missing_ok=True)
                notes.append(f"{relative}: copy left by an interrupted run removed (the inbox still has it)")
            else:
                problems.append(
                    f"{relative}: filed by an interrupted run, but no record and no inbox copy; left in place"
                )
    return notes, problems
