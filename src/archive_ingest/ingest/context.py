"""RunContext: what every stage may read during a run (settings, paths, clock, agent).

Stages read settings from here, never from module globals, so tests can pin the clock
and the version and two runs in one process cannot leak state into each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..config import Settings
from ..record import iso_utc, utc_now
from ..text.places import Gazetteer

if TYPE_CHECKING:
    from .drops import Caption
    from .similarity import SimilarityIndex


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    now: Callable[[], datetime] = utc_now
    software: str = f"archive-ingest {__version__}"
    #: Filled by stages that wrap an outside engine (e.g. "tesseract 5.3.0") when they open.
    engines: dict[str, str] = field(default_factory=dict)
    #: The sites places are matched against; loaded once per run.
    gazetteer: Gazetteer = field(default_factory=Gazetteer.load)
    #: This run's captions by the image's inbox path (set by the pipeline after
    #: discovery), so stages can read manifest cells (place, date, credit).
    captions: dict[str, Caption] = field(default_factory=dict)
    #: The perceptual hashes of the catalog's photos and this run's, for the `similar`
    #: stage; built by the pipeline once the catalog is open (None when that stage is off).
    similarity: SimilarityIndex | None = None

    @property
    def inbox(self) -> Path:
        return self.settings.paths.inbox

    @property
    def archive(self) -> Path:
        return self.settings.paths.archive

    def timestamp(self) -> str:
        return iso_utc(self.now())

    def agent(self, engine: str | None = None) -> str:
        """`archive-ingest 0.1.0` or, for an engine's work, `archive-ingest 0.1.0; tesseract 5.3.0`."""
        if engine and engine in self.engines:
            return f"{self.software}; {self.engines[engine]}"
        return self.software
