"""Decoding a line recogniser's output: per-frame probabilities into text and its alternatives.

PP-OCR's recogniser (like tesseract's LSTM) is trained with CTC: for each frame (a thin
vertical slice of the line) it gives a probability for every symbol and for "blank"
(index 0). Reading the line is choosing a path through those frames; this module owns
the three ways the reader does it:

- `best_path`: the most probable symbol in each frame, repeats merged and blanks dropped
  (what rapidocr itself returns), with each symbol's probability and frame;
- the same over groups of symbols (`Groups`, e.g. the digits, one dash that stands for
  `-`, `—`, `–` and `~`, and the year mark `Г` for the Latin letters it is read as): a
  constrained re-read of the same pixels, in which a worn `1` can no longer become `[`,
  and the probability of every symbol of a group counts for the group;
- `n_best`: the most probable texts over the allowed symbols (CTC prefix beam search),
  best first, with their log-probabilities: the engine's own alternatives, which the
  reader may fall back on when the best reading is not a plausible life span.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BLANK = 0


@dataclass(frozen=True)
class LineProbabilities:
    """What a recogniser saw in one line crop."""

    probabilities: NDArray[np.float32]
    """Frames x symbols; each row sums to 1; column 0 is the CTC blank."""
    pixels_per_frame: float
    """How many pixels of the line crop (along the line) one frame covers."""


@dataclass(frozen=True)
class Symbol:
    text: str
    probability: float
    frame: int


@dataclass(frozen=True)
class Decoded:
    symbols: tuple[Symbol, ...]

    @property
    def text(self) -> str:
        return "".join(symbol.text for symbol in self.symbols)

    @property
    def confidence(self) -> float:
        """Mean symbol probability (0-1), 0 when nothing was read."""
        return float(np.mean([s.probability for s in self.symbols])) if self.symbols else 0.0


@dataclass(frozen=True)
class Groups:
    """Output symbols, each standing for a group of the recogniser's symbols (blank first)."""

    names: tuple[str, ...]
    """The text each group is written as; names[0] is the blank."""
    members: tuple[tuple[int, ...], ...]
    """The recogniser's symbol indices in each group; members[0] is (0,), the blank."""

    @classmethod
    def of(cls, charset: Sequence[str], groups: Mapping[str, str]) -> Groups:
        """`groups` maps an output symbol to the recogniser's symbols it stands for.

        >>> Groups.of(["blank", "1", "-", "~"], {"1": "1", "-": "-~"}).members
        ((0,), (1,), (2, 3))
        """
        index = {symbol: i for i, symbol in enumerate(charset) if i != BLANK}
        names = ["", *groups]
        members: list[tuple[int, ...]] = [(BLANK,)]
        for symbols in groups.values():
            members.append(tuple(index[symbol] for symbol in symbols if symbol in index))
        return cls(tuple(names), tuple(members))

    def reduce(self, probabilities: NDArray[np.float32]) -> NDArray[np.float64]:
        """Frames x groups: each group's summed probability, renormalised over the groups."""
        columns = np.stack(
            [probabilities[:, list(m)].sum(axis=1) if m else np.zeros(len(probabilities)) for m in self.members],
            axis=1,
        ).astype(np.float64)
        mass = columns.sum(axis=1, keepdims=True)
        reduced: NDArray[np.float64] = np.divide(columns, mass, out=np.zeros_like(columns), where=mass > 0)
        return reduced


def best_path(probabilities: NDArray[np.float32], charset: Sequence[str], groups: Groups | None = None) -> Decoded:
    """The most probable symbol (or group) per frame, repeats merged, blanks dropped.

    A symbol's probability is its highest in the run of frames it spans; over groups, it is
    a share of the groups' mass in that frame (so a digit read where the model saw a letter
    outside every group is not reported as certain).
    """
    if groups is None:
        columns = probabilities.astype(np.float64)
        names: Sequence[str] = charset
    else:
        columns = groups.reduce(probabilities)
        names = groups.names
    picks = columns.argmax(axis=1)
    symbols: list[Symbol] = []
    previous = -1
    for frame, pick in enumerate(picks):
        symbol = int(pick)
        share = float(columns[frame, pick])
        if symbol != BLANK and symbol != previous:
            symbols.append(Symbol(names[symbol], share, frame))
        elif symbol != BLANK and symbols:  # the same symbol over several frames: keep its best
            last = symbols[-1]
            if share > last.probability:
                symbols[-1] = Symbol(last.text, share, last.frame)
        previous = symbol
    return Decoded(tuple(symbols))


def n_best(
    probabilities: NDArray[np.float32],
    groups: Groups,
    *,
    beam: int = 12,
    count: int = 8,
) -> list[tuple[str, float]]:
    """The `count` most probable texts over `groups`, best first, with log-probabilities.

    A CTC prefix beam search (Hannun et al., 2014, without a language model): each prefix
    keeps the probability of the paths ending in blank and ending in its last symbol, so
    `11` (two ones, a blank between) and `1` (one long one) stay apart. Grouping the
    symbols first (all dashes as one) keeps the beam for alternatives that differ in
    what they say, not in which dash.
    """
    columns = groups.reduce(probabilities)
    symbols = list(range(len(groups.names)))
    # prefix (tuple of symbol indices) -> (p ending in blank, p ending in its last symbol)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}
    log_scale = 0.0
    for frame in columns:
        following: dict[tuple[int, ...], list[float]] = {}
        for prefix, (p_blank, p_symbol) in beams.items():
            total = p_blank + p_symbol
            _add(following, prefix, total * frame[0], 0.0)
            last = prefix[-1] if prefix else None
            for column, symbol in enumerate(symbols[1:], start=1):
                p = frame[column]
                if p < 1e-6:
                    continue
                if symbol == last:
                    _add(following, prefix, 0.0, p_symbol * p)  # the same symbol continues
                    _add(following, (*prefix, symbol), 0.0, p_blank * p)  # a blank between: a second one
                else:
                    _add(following, (*prefix, symbol), 0.0, total * p)
        ranked = sorted(following.items(), key=lambda item: (-(item[1][0] + item[1][1]), item[0]))[:beam]
        # Rescale each frame so long lines do not underflow; the ranking is unchanged.
        top = ranked[0][1][0] + ranked[0][1][1] if ranked else 1.0
        top = top if top > 0 else 1.0
        log_scale += math.log(top)
        beams = {prefix: (entry[0] / top, entry[1] / top) for prefix, entry in ranked}
    results = sorted(beams.items(), key=lambda item: (-(item[1][0] + item[1][1]), item[0]))[:count]
    out = []
    for prefix, (p_blank, p_symbol) in results:
        total = p_blank + p_symbol
        if total <= 0:
            continue
        out.append(("".join(groups.names[i] for i in prefix), math.log(total) + log_scale))
    return out


def _add(beams: dict[tuple[int, ...], list[float]], prefix: tuple[int, ...], blank: float, symbol: float) -> None:
    entry = beams.setdefault(prefix, [0.0, 0.0])
    entry[0] += blank
    entry[1] += symbol
