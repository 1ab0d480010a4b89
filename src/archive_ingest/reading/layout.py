"""Words as the engine returns them, and what their boxes say about the inscription.

- `Word`: one word read (text, confidence, box, and the line tesseract put it in);
- `is_confident`: a word that is evidence of real text (confident, two letters or digits);
- `in_text`: whether a word is confident enough to enter the text;
- `text_of`: the words joined into lines, in reading order;
- `inscription_box`: where the inscription is, from the confident words of a first,
  fast reading: the largest group of such words lying close together, widened by margins
  (tesseract misses faint words next to the ones it is sure of), or None;
- `letter_height`: the median height of the confident words (how big the letters are).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: A word at least this confident (0-100) counts as evidence that there is text there.
CONFIDENT = 60.0
#: Short words and punctuation need this confidence to enter the text.
SHORT_WORD_CONFIDENCE = 70.0


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    """Tesseract's word confidence, 0-100."""
    box: tuple[int, int, int, int]
    """left, top, width, height in pixels of the page that was read."""
    line: tuple[int, int, int] = (0, 0, 0)
    """(block, paragraph, line) numbers: words sharing them are on one line."""

    @property
    def alnum(self) -> int:
        """How many letters and digits the word has."""
        return sum(1 for char in self.text if char.isalnum())


def is_confident(word: Word, threshold: float = CONFIDENT) -> bool:
    return word.confidence >= threshold and word.alnum >= 2


def in_text(word: Word, min_confidence: float) -> bool:
    """Whether a word of the kept reading goes into the text.

    Words of one or two characters, and punctuation (a dash between years), are what stone
    grain reads most often, so they need a confidence of at least 70 (or the minimum,
    if higher); longer words need `min_confidence`.
    """
    if word.alnum >= 3:
        return word.confidence >= min_confidence
    return word.confidence >= max(min_confidence, SHORT_WORD_CONFIDENCE)


def text_of(words: Sequence[Word]) -> str:
    """Words joined by spaces within a line and by newlines between lines."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word.text)
    return "\n".join(" ".join(line) for line in lines.values())


def letter_height(words: Sequence[Word]) -> float | None:
    """Median box height of the confident words, in page pixels, or None.

    Words of three or more letters count when there are any: two-letter words are more
    often stone grain, and their boxes vary more.
    """
    confident = [word for word in words if is_confident(word)]
    longer = [word for word in confident if word.alnum >= 3] or confident
    return float(statistics.median(word.box[3] for word in longer)) if longer else None


def inscription_box(words: Sequence[Word], page_size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) around the main group of confident words, or None.

    Words join a group when they are within three letter heights of each other; the
    group with the most letters wins. The box is widened by three letter heights above
    and below (about two lines the first reading may have missed) and by half its width
    (at least three letter heights) on each side, then clipped to the page of
    `page_size` = (width, height).
    """
    confident = [word for word in words if is_confident(word)]
    if not confident:
        return None
    height = letter_height(confident) or 1.0
    reach = 3 * height
    ordered = sorted(confident, key=lambda w: (w.box[1], w.box[0]))
    groups = groups_of(ordered, lambda a, b: _gap(a.box, b.box) <= reach)
    best = max(groups, key=lambda g: sum(w.alnum for w in g))
    left = min(w.box[0] for w in best)
    top = min(w.box[1] for w in best)
    right = max(w.box[0] + w.box[2] for w in best)
    bottom = max(w.box[1] + w.box[3] for w in best)
    side = max(3 * height, (right - left) / 2)
    # More room below than above: the survey (Russian only) often misses what sits under
    # the names (a bigger Hangul line, the years); measured on the tuning set (../shared/samples: in-sample), 5 letter
    # heights below took medium stones' years from 4/12 to 5/12 and kept easy ones at 9/9.
    width, page_height = page_size
    return (
        max(0, int(left - side)),
        max(0, int(top - 3 * height)),
        min(width, int(right + side)),
        min(page_height, int(bottom + 5 * height)),
    )


def groups_of(items: Sequence[T], near: Callable[[T, T], bool]) -> list[list[T]]:
    """`items` gathered into groups: an item joins every group it is `near` to one member of.

    An item near two groups merges them (single linkage), so a line of words, or a stack of
    lines, ends in one group whatever order it is met in. Groups keep the items' order.
    """
    groups: list[list[T]] = []
    for item in items:
        home: list[T] | None = None
        for group in groups:
            if any(near(item, other) for other in group):
                if home is None:
                    group.append(item)
                    home = group
                else:  # the item bridges two groups: merge them
                    home.extend(group)
                    group.clear()
        groups = [group for group in groups if group]
        if home is None:
            groups.append([item])
    return groups


def _gap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """The distance between two boxes (0 when they touch or overlap)."""
    dx = max(0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3]))
    return float(max(dx, dy))
