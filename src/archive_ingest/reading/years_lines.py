"""Lines of years: which lines they are, how they are re-read, when their years are plausible.

The line recogniser reads digits well; a line in which it reads mostly digits is decoded
again over the symbols a line of years holds (`YEAR_GROUPS`: a constrained re-read), tidied
into the forms `text/years.py` reads (`tidy_years`), and judged (`plausible_years`, by
`text.years.implausible`). A line whose years are not plausible is re-read from the
recogniser's own alternatives (`ctc.n_best`): the first plausible one within
`MAX_ALTERNATIVE_COST` is kept and noted, else the line stays as read and the extract
stage flags it. The caption is never consulted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..text.years import find_life_spans, implausible
from .ctc import Groups, best_path, n_best
from .line_read import LineRead, words_of_decoded, words_of_text

#: A line with this many digits (and more digits than letters) is read as a line of years.
YEAR_LINE_DIGITS = 3
#: What a line of years may hold when it is re-read, and the recogniser's symbols for each:
#: digits, one dash for every dash it reads (`~` is how it reads a long dash), dots,
#: spaces, and the Russian year mark `Г` (`1920 Г.`), which it reads as the Latin letters
#: of its shape; without the mark a worn `Г` becomes a digit (`19197.` for `1919 Г.`).
YEAR_GROUPS = {
    **{digit: digit for digit in "0123456789"},
    "-": "-—–~‐‑‒―−=≥≤",
    ".": ".",
    " ": " ",
    "Г": "TtrF[Г",
}
#: An alternative reading of a line of years is taken only if it is at most this much less
#: probable (natural log: e^6.9 = 1000 times) than the best reading.
MAX_ALTERNATIVE_COST = 6.9
#: How many alternatives of a line of years are looked at.
ALTERNATIVES = 12

_DIGIT_RUN = re.compile(r"\d+")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")
_MARK_AFTER_YEAR = re.compile(r"(?<!\d)(\d{4})\s*Г\.?")
_STRAY_MARK = re.compile(r"(?<! )Г\.?|(?<=[^\d] )Г\.?|^Г\.?")
_DOT_BETWEEN_YEARS = re.compile(r"(?<![\d.])(\d{4}) ?\. ?(\d{4})(?![\d.])")
_DOT_BETWEEN_DATES = re.compile(r"(\d{1,2}\.\d{1,2}\.\d{4}) ?\. ?(\d{1,2}\.\d{1,2}\.\d{4})")
_DOT_BEFORE_DASH = re.compile(r"(?<!\d)(\d{4}) ?\.(?= ?-)")


def is_year_line(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    return digits >= YEAR_LINE_DIGITS and digits > letters


def plausible_years(text: str) -> bool:
    """Whether a line of years reads as plausible years and nothing else that looks like digits.

    Every digit run must be a four-digit year or part of a day-first date; the life spans
    read from it (or, without one, each lone year as a year of death) must pass
    `text.years.implausible`.
    """
    undated = _DATE.sub(" ", text)
    runs = _DIGIT_RUN.findall(undated)
    dated = _DATE.findall(text)
    if not runs and not dated:
        return False
    if any(len(run) != 4 for run in runs):
        return False
    spans = find_life_spans(text, allow_shorthand=False)
    if spans:
        return all(
            implausible(span.birth_year, span.death_year, span.birth_date, span.death_date) is None for span in spans
        )
    return all(implausible(None, int(run)) is None for run in runs) and not dated


def tidy_years(text: str) -> str:
    """A line of years as the constrained re-read gave it, in the forms `text/years.py` reads.

    The year mark stays only right after a year (`1920Г.` -> `1920 Г.`); a dot between two
    bare years is the dash the recogniser saw as a dot (`1917.1952` -> `1917-1952`, dates
    such as `08.03.1923` are left alone, but a dot between two dates is their dash); a dot
    between a year and a dash is what is left of a worn mark and goes; spaces are collapsed.
    """
    text = _MARK_AFTER_YEAR.sub(r"\1 Г.", text)
    text = _STRAY_MARK.sub("", text)
    text = _DOT_BETWEEN_YEARS.sub(r"\1-\2", text)
    text = _DOT_BETWEEN_DATES.sub(r"\1-\2", text)
    text = _DOT_BEFORE_DASH.sub(r"\1", text)
    return " ".join(text.split())


def read_years(read: LineRead, charset: Sequence[str], notes: list[str]) -> None:
    groups = Groups.of(charset, YEAR_GROUPS)
    digits = best_path(read.seen.probabilities, charset, groups)
    read.how = "years"
    text = tidy_years(digits.text)
    if not plausible_years(text):
        alternatives = n_best(read.seen.probabilities, groups, beam=ALTERNATIVES, count=ALTERNATIVES)
        if alternatives:
            best_cost = alternatives[0][1]
            for alternative, log_probability in alternatives:
                if best_cost - log_probability > MAX_ALTERNATIVE_COST:
                    break
                alternative = tidy_years(alternative)
                if plausible_years(alternative):
                    notes.append(f"years re-read from the recogniser's alternatives: '{text}' -> '{alternative}'")
                    per_symbol = np.exp(log_probability / max(1, len(alternative)))
                    read.words = words_of_text(alternative, read, float(100 * per_symbol))
                    read.how = "years re-read"
                    read.plausible = True
                    return
    read.plausible = plausible_years(text)
    if text != digits.text.strip():
        read.words = words_of_text(text, read, 100 * digits.confidence)
    else:
        read.words = words_of_decoded(digits, read)
