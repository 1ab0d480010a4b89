"""Every stage of a run, in its default order, and what the pipeline needs to know of each.

The one list of stages: `workers` runs the per-file ones, the pipeline the ordered ones
and each stage's set-up. `config.KNOWN_STAGES` holds the same names in the same order (the
settings are read without importing the stages); importing this module checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...config import KNOWN_STAGES
from ...record import Record
from ..context import RunContext
from . import access, exif, extract, file, fixity, flags, identify, ocr, provenance, similar

Stage = Callable[[Record, RunContext], Record]


@dataclass(frozen=True)
class StageInfo:
    run: Stage
    per_file: bool
    """Reads one file and fills its record, nothing else: it may run in a worker process, in
    any order across files. Else the stage compares the record with the catalog and the
    run so far, or writes the archive: the main process runs it, in discovery order."""
    reads_content: bool = False
    """Reads the picture's content: skipped for a file that was quarantined."""
    open: Callable[[RunContext], None] | None = None
    """Set-up before the first file (and may stop the run, e.g. tesseract missing)."""


STAGES: dict[str, StageInfo] = {
    "fixity": StageInfo(fixity.run, per_file=True),
    "identify": StageInfo(identify.run, per_file=True),
    "similar": StageInfo(similar.run, per_file=False),
    "exif": StageInfo(exif.run, per_file=True, reads_content=True),
    "ocr": StageInfo(ocr.run, per_file=True, reads_content=True, open=ocr.open_stage),
    "extract": StageInfo(extract.run, per_file=True, reads_content=True),
    "provenance": StageInfo(provenance.run, per_file=True),
    "flags": StageInfo(flags.run, per_file=False),
    "access": StageInfo(access.run, per_file=True, reads_content=True),
    "file": StageInfo(file.run, per_file=False),
}
if tuple(STAGES) != KNOWN_STAGES:  # not assert: kept under python -O
    raise RuntimeError(f"config.KNOWN_STAGES {KNOWN_STAGES} differs from the registry {tuple(STAGES)}")
