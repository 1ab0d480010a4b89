"""The query language: what a search query says, read into terms.

This module owns the text a user types: `parse` turns it into `Term`s, checking every
field's value (a bad query raises `QueryError`, exit 2), and `year_range` reads a year
field's value. What the terms match is `search/matching.py`'s job; ranking and explaining the
hits is `search/__init__.py`'s.

The query language (also in `archive-ingest search --help` and the README):

- Free words: all must match, each in the caption, the inscription, a person's name, the
  place or the file name. A word matches from the start of a word and may end inside one
  (`Пхеньян` finds `в Пхеньяне`, `Ivan` finds `Ivanov`; `ван` does not find `Иван`).
- `"quoted phrase"`: the words one after another. A bare word with punctuation inside
  (`1884-1949`, `DSC_0003.JPG`) is a phrase too.
- `-word`, `-"phrase"`, `-field:value`: records matching it are left out.
- Fields: `place:` (the record's place, through the gazetteer in any script or alias; an
  unknown name matches the place's names and province by word), `person:` (every word in a
  person's name, as free words do), `born:`, `died:`, `year:` (any year on the record:
  life spans, the photo's date, the EXIF date, years written in the caption or the
  inscription), `taken:` (the EXIF date); a year `1949`, a range `1945..1950`, `..1945`,
  `1950..` (and for `taken:` also `1978-05` or `1978-05-09`); `kind:`, `status:`, `flag:`
  (exact, checked against their vocabularies); `credit:` (words of the credit line);
  `has:` (gps, caption, inscription, person, place, date, taken, flags).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from ..catalog.index_entries import HAS_BITS
from ..errors import IngestError
from ..record import FlagCode, Kind, ReviewStatus
from ..text.fold import has_letters, is_hangul, words

FIELDS = ("place", "person", "born", "died", "year", "taken", "kind", "flag", "status", "credit", "has")
_FIELD_LIST = " ".join(f"{name}:" for name in FIELDS)

_YEAR_RANGE = re.compile(r"^(\d{4})?\.\.(\d{4})?$")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_FIELD_WORD = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)


class QueryError(IngestError):
    """A query that cannot be read: one line saying what is wrong, and the fields."""

    exit_code = 2

    def __init__(self, problem: str) -> None:
        super().__init__(f"bad query: {problem} (fields: {_FIELD_LIST})")


# -- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One term of a query as written."""

    field: str | None
    """A field name from `FIELDS`, or None for free text."""
    value: str
    negated: bool = False
    quoted: bool = False


def parse(query: str) -> list[Term]:
    """The terms of `query` (see the module docstring), values checked.

    Raises:
        QueryError: an unclosed quote, an unknown field, a field without a value, a bad
            year or range, or a value outside a field's vocabulary.
    """
    terms: list[Term] = []
    position = 0
    length = len(query)
    while position < length:
        if query[position].isspace():
            position += 1
            continue
        negated = query[position] == "-" and position + 1 < length and not query[position + 1].isspace()
        if negated:
            position += 1
        if query[position] == '"':
            value, position = _quoted(query, position)
            terms.append(Term(None, value, negated, quoted=True))
            continue
        end = position
        while end < length and not query[end].isspace():
            end += 1
        word = query[position:end]
        position = end
        match = _FIELD_WORD.match(word)
        if match is None or not has_letters(match.group(1)):
            terms.append(Term(None, word, negated))
            continue
        name, value = match.group(1).lower(), match.group(2)
        if name not in FIELDS:
            raise QueryError(f'unknown field "{name}:" in "{word}"')
        quoted = False
        if value.startswith('"'):
            value, position = _quoted(query, position - len(value))
            quoted = True
        if not value.strip():
            raise QueryError(f'"{name}:" needs a value, e.g. {_EXAMPLES[name]}')
        terms.append(Term(name, value, negated, quoted))
    for term in terms:
        _check(term)
    # A free term of punctuation only ("-", "–", "...") has nothing to match: ignored.
    kept = [term for term in terms if term.field is not None or words(term.value)]
    if not kept:
        # Not "every record": a query that says nothing is a mistake (a stray quote or dash).
        what = "an empty query" if not query.strip() else f"nothing to search for in {query.strip()!r}"
        raise QueryError(f"{what}: give words or fields, e.g. Tyon or place:Chongjin")
    return _join_split_hangul(kept)


_EXAMPLES = {
    "place": "place:Chongjin",
    "person": 'person:"Han Yang Hui"',
    "born": "born:1898",
    "died": "died:1945..1950",
    "year": "year:1945",
    "taken": "taken:1978",
    "kind": "kind:headstone",
    "flag": "flag:ocr_low_confidence",
    "status": "status:pending",
    "credit": "credit:embassy",
    "has": "has:gps",
}


def _quoted(query: str, start: int) -> tuple[str, int]:
    close = query.find('"', start + 1)
    if close < 0:
        raise QueryError(f"unclosed quote in {query[start:]!r}")
    return query[start + 1 : close], close + 1


def _vocabulary(name: str) -> tuple[str, ...]:
    if name == "kind":
        return tuple(kind.value for kind in Kind)
    if name == "status":
        return tuple(status.value for status in ReviewStatus)
    if name == "flag":
        return tuple(code.value for code in FlagCode)
    return tuple(HAS_BITS)


def _check(term: Term) -> None:
    name = term.field
    if name in ("kind", "status", "flag", "has"):
        allowed = _vocabulary(name)
        if term.value.lower() not in allowed:
            raise QueryError(f"{name}:{term.value}: not a {name} (one of: {', '.join(allowed)})")
    elif name in ("born", "died", "year", "taken"):
        year_range(term)
    elif name in ("place", "person", "credit") and not words(term.value):
        raise QueryError(f"{name}:{term.value}: no letters or digits to match, e.g. {_EXAMPLES[name]}")


def year_range(term: Term) -> tuple[int, int] | str:
    """A field term's years as (first, last) inclusive, or a date prefix for `taken:`."""
    value = term.value.strip()
    if value.isdigit() and len(value) == 4:
        return int(value), int(value)
    if term.field == "taken" and _DATE_PREFIX.match(value):
        _check_date(term, value)
        return value
    match = _YEAR_RANGE.match(value)
    if match is None or not (match.group(1) or match.group(2)):
        shapes = "a year (1949) or a range (1945..1950, ..1945, 1950..)"
        if term.field == "taken":
            shapes += " or a date (1978-05, 1978-05-09)"
        raise QueryError(f"{term.field}:{term.value}: expected {shapes}")
    first = int(match.group(1)) if match.group(1) else 0
    last = int(match.group(2)) if match.group(2) else 9999
    if first > last:
        raise QueryError(f"{term.field}:{term.value}: the range runs backwards (write {last}..{first})")
    return first, last


def _check_date(term: Term, value: str) -> None:
    """A `taken:` date that no calendar has (`1978-13`, `1978-02-30`) is an error, not 0 hits."""
    year, month, *day = (int(part) for part in value.split("-"))
    if not 1 <= month <= 12:
        raise QueryError(f"{term.field}:{term.value}: there is no month {month:02d} (months run 01..12)")
    if day:
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day[0] <= days:
            raise QueryError(f"{term.field}:{term.value}: {year:04d}-{month:02d} has no day {day[0]:02d} (01..{days})")


def _join_split_hangul(terms: list[Term]) -> list[Term]:
    """Free one-syllable Hangul words in a row (`쏘 련 군`, as OCR splits them) are one word."""
    out: list[Term] = []
    for term in terms:
        single = term.field is None and not term.negated and not term.quoted and _one_syllable(term.value)
        if single and out and out[-1].field is None and not out[-1].negated and not out[-1].quoted:
            previous = out[-1]
            if all(_one_syllable(ch) for ch in previous.value):
                out[-1] = Term(None, previous.value + term.value)
                continue
        out.append(term)
    return out


def _one_syllable(text: str) -> bool:
    return len(text) == 1 and is_hangul(text)
