"""The score that picks the best of several readings of one inscription.

    score = sum over words of  letters_and_digits(word) x (confidence / 100)^2 x plausibility(word)
            + 3 for each distinct year-like token read with confidence >= 60
            - 0.25 for each junk word (no letter or digit, or confidence under 30)

- Counting letters rewards a candidate that reads more of the stone: mean confidence
  alone prefers a candidate that reads one word well and drops the rest.
- Squaring the confidence makes stone grain read as confident-looking letters (typically
  20-50) count for little against real words (85-96).
- plausibility is 1, or 0.3 for a word that mixes alphabets or looks like Cyrillic read as
  Latin (`scripts.word_is_suspicious`): the wrong-script readings are confident, so
  confidence alone would keep them.
- Headstones carry years: a year-like token (1800-2029 as four digits, alone or in a
  range such as 1884-1949) is strong evidence the digits were read right.
- Junk words (punctuation read from grain, very low confidence) cost a quarter point
  each, so a reading of the whole stone does not win on volume; a full point made an
  empty reading beat a faint but real one on the tuning set (../shared/samples).

The same score ranks the rotations of the orientation sweep (on its survey readings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .layout import Word
from .scripts import word_is_suspicious

YEAR = re.compile(r"(?<!\d)(18\d\d|19\d\d|20[0-2]\d)(?!\d)")
YEAR_BONUS = 3.0
JUNK_BELOW = 30.0
JUNK_COST = 0.25
SUSPICIOUS_WEIGHT = 0.3


def is_junk(word: Word) -> bool:
    return word.alnum == 0 or word.confidence < JUNK_BELOW


def score(words: Sequence[Word], languages: Sequence[str]) -> float:
    """The documented score of one reading (higher is better; see the module docstring)."""
    total = 0.0
    years: set[str] = set()
    for word in words:
        if is_junk(word):
            total -= JUNK_COST
            continue
        weight = SUSPICIOUS_WEIGHT if word_is_suspicious(word.text, languages) else 1.0
        total += word.alnum * (word.confidence / 100) ** 2 * weight
        if word.confidence >= 60:
            years.update(YEAR.findall(word.text))
    return total + YEAR_BONUS * len(years)
