"""Life spans in inscription and caption text: who was born and died when.

This module owns reading birth and death years (and full dates) out of free text, as
carved on a stone or written in a caption. `find_life_spans` returns every valid span
with its position in the text; `parse_year` reads one year token; `find_year_like` lists
the digit runs that look like years, so a caller can tell which of them formed no span.

Forms read (dashes may be `-`, `‐`, `‑`, `‒`, `–`, `—`, `―` or `−`, with or without spaces):

- `1884-1949`, `1884 — 1949`, `1884 – 1949`;
- with the Russian year mark: `1920 Г. — 1951 Г.`, `1920 г.-1951 г.`, `1920-1951 гг.`;
- full dates, day first: `12.03.1921 – 05.08.1945`, `17.12.1900—10.12.1945` (either side
  may also be a bare year: `1921 – 05.08.1945`);
- caption shorthand, where the death year gives only its last one or two digits:
  `(1958-9)` is 1958 to 1959, `(1950-7)` 1950 to 1957, `(1902-45)` 1902 to 1945. It is only
  read when `allow_shorthand` is true (captions); on a stone, `1926-19` is far more likely a
  year cut short by wear or OCR than a shorthand, so inscriptions call with it false;
- two clean four-digit years with nothing but spaces between them (`1926 1945`): tesseract
  often drops a thin dash. Such spans are marked `corrected`;
- a clean death year with one more digit and punctuation glued to it at the end of a
  line (`1921 — 19471:`): tesseract reads a speck or the stone's edge after the last year
  as a digit and a mark. The year is read as its first four digits (1947) and the span is
  marked `corrected`. Without the punctuation (`1910 — 19471`) the fifth digit may be the
  year's own, so no span is read.

Validity (a span failing any rule is not returned; `find_year_like` still lists its
digits so the caller can flag them): years 1800-2030; birth <= death; at most 115 years
between them; dates must be real calendar dates, the birth date not after the death date.
A shorthand is never rolled over into the next century: `(1995-02)` is rejected.

OCR corrections. Tesseract's real misreadings of carved years are tolerated, but only
inside a token that otherwise looks like a year in a life-span position (two years joined
by a dash, or a date): a space inside the year (`19 45`), `О`/`о`/`O`/`o` for 0, `З`/`з`
for 3, `l`/`I`/`|` for 1 and `б` for 6. A year token must still hold at least two real
digits. Spans read through any such correction have `corrected=True`, so the caller can
record that the reading was corrected. A lone year (the death year on an unknown
soldier's stone, `НЕИЗВЕСТНЫЙ СОЛДАТ / 1953`) is no span: `text/names/` reads it with
`parse_year`.

Validity is what can be read as a span at all. `implausible` says, further, whether a
span can be true of someone buried in this archive (rules in its docstring): the caller
keeps such a reading and shows it to a reviewer, rather than dropping it or trusting it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

MIN_YEAR = 1800
MAX_YEAR = 2030
MAX_LIFE_YEARS = 115

#: Plausible life spans for this archive (see `implausible`). The burials are mostly of
#: 1945-1948, some to 1959, with Russo-Japanese war graves of 1904 and graves kept and
#: added to since: a man who died in 1904 at 60 was born about 1844, and a child born by
#: 1990 may be buried here; deaths from 1890 (before the war graves) to MAX_YEAR.
EARLIEST_BIRTH = 1840
LATEST_BIRTH = 1990
EARLIEST_DEATH = 1890
LATEST_DEATH = MAX_YEAR
#: The oldest age at death believed without a second look (the oldest verified people
#: lived to about 115-122; a carved 110+ is far likelier a misread digit).
MAX_AGE = 110

#: Letters and marks tesseract reads in place of digits in a carved year.
OCR_DIGITS = {
    "О": "0",  # Cyrillic
    "о": "0",
    "O": "0",  # Latin
    "o": "0",
    "З": "3",  # Cyrillic Ze
    "з": "3",
    "l": "1",
    "I": "1",
    "|": "1",
    "б": "6",
}

_N = "[0-9" + re.escape("".join(OCR_DIGITS)) + "]"
#: A four-character year, one space allowed between any two of its characters.
_YEAR = rf"{_N}(?:\s?{_N}){{3}}"
_DAY = rf"{_N}{{1,2}}"
_DASH = r"[-‐‑‒–—―−]{1,2}"
#: The Russian year mark after a year: `1920 Г.`, `1920г`, `гг.` after a range.
_MARK = r"(?:\s*[гГ]{1,2}(?:\.|(?![^\W\d_])))?"


def _side(p: str) -> str:
    """One end of a span: a day-first date or a year; groups are named with prefix `p`."""
    return rf"(?:(?P<{p}d>{_DAY})\.\s?(?P<{p}m>{_DAY})\.\s?(?P<{p}y>{_YEAR})|(?P<{p}year>{_YEAR}))"


_SPAN = re.compile(
    r"(?<![^\W_])"
    + _side("b")
    + _MARK
    + rf"\s*{_DASH}\s*"
    + r"(?:"
    + _side("e")
    + r"|(?P<short>\d{1,2})(?![\d.]))"
    + _MARK
    + r"(?![^\W_])"
)
#: A clean span whose death year has a digit and punctuation glued on at the line's end: `1921 — 19471:`.
_GLUED = re.compile(
    r"(?<![^\W_])(?P<byear>\d{4})" + _MARK + rf"\s*{_DASH}\s*(?P<eyear>\d{{4}})\d[^\w\s]+(?=[ \t]*(?:\n|$))"
)
#: Two clean years with the dash lost: `1926 1945`.
_DASHLESS = re.compile(r"(?<![^\W_])(?P<byear>\d{4})[ \t]+(?P<eyear>\d{4})(?![^\W_])")
_YEAR_LIKE = re.compile(r"(?<![^\W_])\d(?:[\d\s.\-‐‑‒–—―−" + re.escape("".join(OCR_DIGITS)) + r"]*\d)?")


@dataclass(frozen=True)
class LifeSpan:
    """One birth-to-death span found in a text."""

    birth_year: int | None
    """The birth year; null only if the text gave none (a span always has both today)."""
    death_year: int | None
    """The death year."""
    birth_date: str | None
    """`YYYY-MM-DD` when the text gave the full date, else null."""
    death_date: str | None
    """`YYYY-MM-DD` when the text gave the full date, else null."""
    start: int
    """Where the span starts in the text (a `str` index)."""
    end: int
    """Where it ends (exclusive): `text[start:end]` is the span as written."""
    corrected: bool = False
    """True when an OCR correction was needed to read it (letters for digits, a space
    inside a year, a lost dash)."""


def parse_year(token: str) -> int | None:
    """One year as carved or read (`1945`, `19 45`, `l9O5`), or None if it is no valid year.

    OCR corrections (module docstring) apply; the token must keep at least two real
    digits and fall within 1800-2030.
    """
    value, _ = _read_digits(token)
    if value is None or not MIN_YEAR <= value <= MAX_YEAR:
        return None
    return value


def find_life_spans(text: str, *, allow_shorthand: bool = True) -> list[LifeSpan]:
    """Every valid life span in `text`, in order of position.

    Args:
        text: free text (an inscription as read, or a caption).
        allow_shorthand: read `(1958-9)`-style shorthand death years (captions); pass
            False for inscriptions.
    """
    spans: list[LifeSpan] = []
    for match in _SPAN.finditer(text):
        if match.group("short") is not None and not allow_shorthand:
            continue
        span = _span_from_match(match)
        if span is not None:
            spans.append(span)
    for pattern in (_GLUED, _DASHLESS):
        taken = [(span.start, span.end) for span in spans]
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            span = _valid_span(
                int(match.group("byear")), int(match.group("eyear")), None, None, match.start(), match.end(), True
            )
            if span is not None:
                spans.append(span)
    return sorted(spans, key=lambda span: span.start)


def implausible(
    birth_year: int | None,
    death_year: int | None,
    birth_date: str | None = None,
    death_date: str | None = None,
) -> str | None:
    """Why a life span cannot be true of someone buried here, or None if it can be.

    Pure, for choosing among readings of a stone and for flagging one. Only the values
    given are judged (None is unknown, not wrong). The rules, each with its reason:

    - birth no later than death (by year, and by date when both are given): nobody dies
      before being born, so one of the two was misread;
    - births EARLIEST_BIRTH-LATEST_BIRTH and deaths EARLIEST_DEATH-LATEST_DEATH: who is
      buried in these cemeteries (module constants say why these bounds); outside them a
      digit was misread (`1845` for `1945`);
    - at most MAX_AGE years between birth and death;
    - a date (`YYYY-MM-DD`) must be a real calendar date in its side's year: `1923-02-30`
      or a birth date of 1924 beside a birth year of 1923 is a misreading.

    >>> implausible(1923, 1945)
    >>> implausible(1835, 1945)
    'born in 1835, before 1840'
    """
    for what, year, first, last in (
        ("born", birth_year, EARLIEST_BIRTH, LATEST_BIRTH),
        ("died", death_year, EARLIEST_DEATH, LATEST_DEATH),
    ):
        if year is not None and year < first:
            return f"{what} in {year}, before {first}"
        if year is not None and year > last:
            return f"{what} in {year}, after {last}"
    if birth_year is not None and death_year is not None:
        if birth_year > death_year:
            return f"born in {birth_year}, after dying in {death_year}"
        if death_year - birth_year > MAX_AGE:
            return f"{death_year - birth_year} years old at death, over {MAX_AGE}"
    for what, date, year in (("birth", birth_date, birth_year), ("death", death_date, death_year)):
        if date is None:
            continue
        if not _is_calendar_date(date):
            return f"{what} date {date} is no calendar date"
        if year is None or int(date[:4]) != year:
            return f"{what} date {date} is not in the {what} year {year if year is not None else '(none)'}"
    if birth_date is not None and death_date is not None and birth_date > death_date:
        return f"born on {birth_date}, after dying on {death_date}"
    return None


def _is_calendar_date(value: str) -> bool:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if match is None:
        return False
    year, month, day = (int(part) for part in match.groups())
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def find_year_like(text: str) -> list[tuple[int, int]]:
    """Positions `(start, end)` of digit runs that may be (parts of) years or dates.

    A run starts and ends with a digit, may hold spaces, dots, dashes and the OCR
    look-alikes in between, and has at least three digits (`1926 - 19`, `19?5` is two runs
    of which neither counts). Used to report years that formed no valid span.
    """
    found: list[tuple[int, int]] = []
    for match in _YEAR_LIKE.finditer(text):
        run = match.group(0)
        if sum(ch.isdigit() for ch in run) >= 3:
            found.append((match.start(), match.end()))
    return found


def _read_digits(token: str) -> tuple[int | None, bool]:
    """(the number a noisy digit token stands for, whether it needed correcting)."""
    compact = "".join(token.split())
    corrected = compact != token
    digits: list[str] = []
    real = 0
    for ch in compact:
        if ch.isdigit() and ch.isascii():
            digits.append(ch)
            real += 1
        elif ch in OCR_DIGITS:
            digits.append(OCR_DIGITS[ch])
            corrected = True
        else:
            return None, corrected
    if not digits or (len(digits) >= 4 and real < 2):
        return None, corrected
    return int("".join(digits)), corrected


def _span_from_match(match: re.Match[str]) -> LifeSpan | None:
    corrected = False
    sides: list[tuple[int, str | None]] = []
    for p in ("b", "e"):
        if match.group(f"{p}year") is not None:
            year, fixed = _read_digits(match.group(f"{p}year"))
            if year is None:
                return None
            corrected |= fixed
            sides.append((year, None))
        elif match.group(f"{p}y") is not None:
            year, fixed_y = _read_digits(match.group(f"{p}y"))
            day, fixed_d = _read_digits(match.group(f"{p}d"))
            month, fixed_m = _read_digits(match.group(f"{p}m"))
            if year is None or day is None or month is None:
                return None
            corrected |= fixed_y or fixed_d or fixed_m
            if not (1 <= month <= 12 and MIN_YEAR <= year <= MAX_YEAR):
                return None
            if not 1 <= day <= calendar.monthrange(year, month)[1]:
                return None
            sides.append((year, f"{year:04d}-{month:02d}-{day:02d}"))
    birth, birth_date = sides[0]
    if len(sides) == 2:
        death, death_date = sides[1]
    else:
        short = match.group("short")
        modulus = 10 ** len(short)
        death = birth - birth % modulus + int(short)
        death_date = None
        if death < birth:
            return None
    return _valid_span(birth, death, birth_date, death_date, match.start(), match.end(), corrected)


def _valid_span(
    birth: int,
    death: int,
    birth_date: str | None,
    death_date: str | None,
    start: int,
    end: int,
    corrected: bool,
) -> LifeSpan | None:
    if not (MIN_YEAR <= birth <= MAX_YEAR and MIN_YEAR <= death <= MAX_YEAR):
        return None
    if birth > death or death - birth > MAX_LIFE_YEARS:
        return None
    if birth_date and death_date and birth_date > death_date:
        return None
    return LifeSpan(birth, death, birth_date, death_date, start, end, corrected)
