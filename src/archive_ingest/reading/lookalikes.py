"""Cyrillic words read by shape in Latin letters, turned back into the words of a lexicon.

The line recogniser (PP-OCR) knows no Cyrillic: it reads `СЕРОВ` as `CEPOB`,
`КОРНЕЕВ` as `KOPHEEB`, `ГРОМОВ` as `IPOMOB`. On worn stones tesseract often reads nothing
of such a line, while these shape readings are close. This module owns turning them back:

- each lexicon word (`LEXICON`: common surnames, given names and their diminutives,
  patronymics, ranks, the words of epitaphs and of `НЕИЗВЕСТНЫЙ СОЛДАТ`) is written as
  the Latin letters a Latin recogniser sees in it (`EXPECTED`: Г as T, И as H, Л as I,
  Б as 6, Ч as 4, Ц as II, Ы as bI ...);
- both that spelling and the recogniser's reading are folded so that shapes it confuses
  are one symbol (`I`, `L`, `J`, `1`, `|`: one stroke; `N` and `H`; `O` and `0`; `T`, `F`,
  `r`; `G` and `6`);
- `restore(token)`: the one lexicon word whose folded spelling is nearest the folded
  reading, if it is near enough (`max_distance`: one edit for words of 4-5 letters, about
  one in four letters for longer ones) and no other word is as near; else None.

Only common words can be restored, and only from a close reading: a rare surname stays
unread rather than becoming a common one. The reader (`plan_lines.py`) decides when a
restoration replaces or fills in what tesseract read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from ..text.names.surnames import SURNAMES
from ..text.names.vocabulary import (
    DIMINUTIVES,
    EPITAPH_WORDS,
    FEMALE_NAMES,
    MALE_NAMES,
    PATRONYMICS,
    RANK_WORDS,
    UNKNOWN_NOUNS,
    UNKNOWN_WORDS,
)

#: The Latin letters a Latin recogniser reads for each Cyrillic capital (its likeliest shape).
EXPECTED = {
    "А": "A", "Б": "6", "В": "B", "Г": "T", "Д": "A", "Е": "E", "Ё": "E", "Ж": "K", "З": "3",
    "И": "H", "Й": "H", "К": "K", "Л": "I", "М": "M", "Н": "H", "О": "O", "П": "H", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Ф": "O", "Х": "X", "Ц": "II", "Ч": "4", "Ш": "W", "Щ": "W",
    "Ъ": "b", "Ы": "bI", "Ь": "b", "Э": "3", "Ю": "IO", "Я": "R",
}  # fmt: skip

#: Symbols the recogniser gives for one shape, folded into one (after upper-casing; `b`, the
#: soft sign's shape, is kept apart from `B`).
_FOLD = str.maketrans({
    "L": "I", "J": "I", "1": "I", "|": "I", "!": "I", "[": "I", "]": "I",
    "N": "H", "0": "O", "Q": "O", "Ø": "O", "F": "T", "Γ": "T", "G": "6", "8": "B", "D": "A",
    "U": "Y", "V": "Y", "Ê": "E", "É": "E", "È": "E", "Ë": "E", "Φ": "O",
})  # fmt: skip

#: Shortest reading (letters) worth restoring, and the least mean symbol probability.
MIN_LETTERS = 4
MIN_CONFIDENCE = 0.6
#: The most another reading's distance adds to a candidate's cost (a reading far from
#: every candidate says nothing about which is meant).
EVIDENCE_CAP = 3


@dataclass(frozen=True)
class Restoration:
    word: str
    """The lexicon word, upper case as carved (Ё kept)."""
    distance: int
    """Edits between the folded reading and the word's folded Latin spelling."""


def fold_latin(text: str) -> str:
    """The recogniser's reading with confusable shapes folded into one symbol."""
    upper = "".join(char if char == "b" else char.upper() for char in text)
    return upper.translate(_FOLD)


def latin_spelling(word: str) -> str:
    """How a Latin recogniser would read `word` (Cyrillic), folded."""
    return fold_latin("".join(EXPECTED.get(char, char) for char in word.upper()))


def max_distance(letters: int) -> int:
    return 1 if letters <= 5 else round(letters / 4)


@cache
def _lexicon() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words as carved, their folded Latin spellings), built once."""
    words = sorted(
        {
            *SURNAMES,
            *(name.upper() for name in (*MALE_NAMES, *FEMALE_NAMES, *DIMINUTIVES)),
            *PATRONYMICS,
            *RANK_WORDS,
            *EPITAPH_WORDS,
            *UNKNOWN_WORDS,
            *UNKNOWN_NOUNS,
        }
    )
    words = [word for word in words if sum(char.isalpha() for char in word) >= MIN_LETTERS]
    return tuple(words), tuple(latin_spelling(word) for word in words)


def in_lexicon(word: str) -> bool:
    """Whether `word` (Cyrillic, any case, Ё or Е) is a lexicon word."""
    return word.upper().replace("Ё", "Е") in _folded_words()


@cache
def _folded_words() -> frozenset[str]:
    return frozenset(word.replace("Ё", "Е") for word in _lexicon()[0])


def restore(token: str, evidence: Sequence[str] = ()) -> Restoration | None:
    """The lexicon word `token` (a Latin shape reading) most likely is, or None (see the module docstring).

    `evidence`: other readings of the same line (tesseract's words, however unsure). When
    given, each candidate's distance to the nearest of them (at most `EVIDENCE_CAP`) is
    added to its shape distance, so a word both readings point at wins over one only the
    shape reading is near (a shape reading one edit from one surname and two from another
    is the second when tesseract's reading of the line is one edit from that one).
    """
    letters = sum(char.isalnum() for char in token)
    if letters < MIN_LETTERS:
        return None
    folded = fold_latin("".join(char for char in token if char.isalnum()))
    words, spellings = _lexicon()
    limit = max_distance(letters)
    found = extract(folded, spellings, scorer=Levenshtein.distance, score_cutoff=limit, limit=None)
    if not found:
        return None
    others = [word.upper().replace("Ё", "Е") for word in evidence if sum(char.isalpha() for char in word) >= 3]

    def cost(distance: float, index: int) -> float:
        if not others:
            return distance
        word = words[index].replace("Ё", "Е")
        return distance + min(EVIDENCE_CAP, min(Levenshtein.distance(word, other) for other in others))

    scored = sorted((cost(distance, index), int(distance), words[index]) for _, distance, index in found)
    best = scored[0][0]
    winners = {word for total, _, word in scored if total == best}
    if len(winners) != 1:
        return None
    return Restoration(winners.pop(), scored[0][1])
