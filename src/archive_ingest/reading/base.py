"""What the reading plans share: the engines they are handed, their options, their result.

- `Engine`: tesseract (pages in, words per page out), supplied by `ingest/stages/ocr_engines.py`;
- `LineEngine`: a text-line detector and recogniser (PP-OCR through rapidocr, supplied
  by `ingest/stages/ocr_lines.py`), or None when only tesseract reads;
- `ReadOptions`: the `ocr:` settings the plans use;
- `Reading`: the kept reading of one image and how it was obtained;
- `Passes`: the engine calls of one reading, counted (a plan's work is bounded by counts,
  never by the clock, so the same pixels always give the same reading) and timed (for the
  run report only).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Protocol

from .ctc import LineProbabilities
from .images import Gray
from .layout import Word, in_text, text_of
from .lines import Quad
from .scripts import wrong_script


class Engine(Protocol):
    """Reads pages (grayscale arrays) with `languages` in mode `psm`; words per page."""

    def __call__(
        self, pages: Sequence[Gray], languages: Sequence[str], psm: int, options: Mapping[str, str]
    ) -> list[list[Word]]: ...


class LineEngine(Protocol):
    """Finds text lines on a page and gives a recogniser's view of each line crop."""

    @property
    def charset(self) -> Sequence[str]:
        """The recogniser's symbols by index; index 0 is the CTC blank."""

    def detect(self, page: Gray) -> list[Quad]: ...

    def recognise(self, lines: Sequence[Gray]) -> list[LineProbabilities]: ...


@dataclass(frozen=True)
class ReadOptions:
    languages: tuple[str, ...]
    survey_language: str = "rus"
    survey_long_edge: int = 1000
    psms: tuple[int, ...] = (6, 11)
    letter_px: int = 40
    min_word_confidence: float = 40.0
    sweep: bool = True
    detect_long_edge: int = 960
    """The line engine's detector reads a copy of the page this big (long edge, pixels)."""
    max_lines: int = 12
    """At most this many detected lines of the inscription are read (the largest)."""


@dataclass
class Reading:
    """The kept reading of one image, and how it was obtained."""

    text: str
    confidence: float | None
    """Mean confidence of the words in `text`; None when no word was kept."""
    words: list[Word]
    """Words of the kept reading (those left out of `text` too), boxes in the upright image."""
    rotation: int
    """Degrees clockwise the upright (EXIF-applied) image was turned before reading."""
    rotation_method: str
    """`exif`, `sweep` or `none` (see `OcrResult.rotation_method`)."""
    preprocess: list[str]
    psm: int | None
    wrong_script: str | None
    """What `scripts.wrong_script` saw, or None when the alphabet looks right."""
    candidates: int = 0
    """How many candidate readings were scored."""
    engine_calls: int = 0
    notes: list[str] = field(default_factory=list)
    """Decisions worth telling a reviewer (a fallback taken, years re-read), for the event detail."""
    passes: list[tuple[str, float]] = field(default_factory=list)
    """(what was read, seconds) of each engine call, in order: where the time went."""


def reading_of(
    words: list[Word],
    options: ReadOptions,
    *,
    rotation: int,
    rotation_method: str,
    preprocess: list[str],
    psm: int | None,
    candidates: int,
    passes: Passes,
    notes: list[str],
) -> Reading:
    """The reading whose words are `words`: those `layout.in_text` keeps make its text,
    their mean confidence its confidence, and `scripts.wrong_script` judges their alphabet."""
    kept = [word for word in words if in_text(word, options.min_word_confidence)]
    return Reading(
        text=text_of(kept),
        confidence=round(fmean(word.confidence for word in kept), 1) if kept else None,
        words=words,
        rotation=rotation,
        rotation_method=rotation_method,
        preprocess=preprocess,
        psm=psm,
        wrong_script=wrong_script([word.text for word in kept], list(options.languages)),
        candidates=candidates,
        engine_calls=passes.calls,
        notes=notes,
        passes=passes.timed,
    )


class Passes:
    """Counts and times each engine call of one reading (the time is reported, never used)."""

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self.now = now
        self.calls = 0
        self.timed: list[tuple[str, float]] = []

    def tesseract(
        self,
        label: str,
        engine: Engine,
        pages: Sequence[Gray],
        languages: Sequence[str],
        psm: int,
        options: Mapping[str, str],
    ) -> list[list[Word]]:
        began = self.now()
        result = engine(pages, languages, psm, options)
        self.calls += 1
        self.timed.append((label, self.now() - began))
        return result

    def detect(self, label: str, engine: LineEngine, page: Gray) -> list[Quad]:
        began = self.now()
        result = engine.detect(page)
        self.calls += 1
        self.timed.append((label, self.now() - began))
        return result

    def recognise(self, label: str, engine: LineEngine, lines: Sequence[Gray]) -> list[LineProbabilities]:
        if not lines:
            return []
        began = self.now()
        result = engine.recognise(lines)
        self.calls += 1
        self.timed.append((label, self.now() - began))
        return result
