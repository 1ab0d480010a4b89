"""When was the photo taken? Dates in manifest cells and caption text.

Only clear date expressions count: a full date (`9 мая 2019`, `9 May 2019`,
`15.08.1985`, `2019-05-09`), a commemoration day the embassy marks plus a year
(`Victory Day 2019`, `День Победы 2019 года` -> 2019-05-09), or a decade (`1970s`,
`1970-х`). A bare year in a caption is usually a birth, death or construction year
(`(1958-9)`), so it is never taken as the photo's date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..record import PhotoDate

MONTHS = {
    # Russian genitive forms as used in dates, then English.
    "января": 1,
    "февраля": 2,
    "марта": 3,
    "апреля": 4,
    "мая": 5,
    "июня": 6,
    "июля": 7,
    "августа": 8,
    "сентября": 9,
    "октября": 10,
    "ноября": 11,
    "декабря": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}

#: Days on which embassy staff lay wreaths (DESIGN.md domain notes): name -> (month, day).
COMMEMORATIONS = {
    "defender of the fatherland day": (2, 23),
    "день защитника отечества": (2, 23),
    "victory day": (5, 9),
    "день победы": (5, 9),
    "russia day": (6, 12),
    "день россии": (6, 12),
    "diplomats' day": (2, 10),
    "diplomats day": (2, 10),
    "день дипломатического работника": (2, 10),
    "liberation day": (8, 15),
    "день освобождения кореи": (8, 15),
    "день освобождения": (8, 15),
}

_YEAR = r"(1[89]\d\d|20\d\d)"
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_NAMES})\s+{_YEAR}\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_NAMES})\s+(\d{{1,2}}),?\s+{_YEAR}\b", re.IGNORECASE)
_NUMERIC = re.compile(rf"\b(\d{{1,2}})\.(\d{{1,2}})\.{_YEAR}\b")
_ISO = re.compile(rf"\b{_YEAR}-(\d{{2}})-(\d{{2}})\b")
_COMMEMORATION = re.compile(
    rf"({'|'.join(re.escape(name) for name in sorted(COMMEMORATIONS, key=len, reverse=True))})\D{{0,12}}{_YEAR}",
    re.IGNORECASE,
)
_DECADE = re.compile(r"\b(1[89]\d|20\d)0(?:s|-х|-e|-ые|-ых)\b", re.IGNORECASE)
#: Manifest cells: 1978, 1978-05, 1978-05-09, 197x.
_CELL = re.compile(r"^(?:(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?|(\d{3})x)$")


@dataclass(frozen=True)
class DateParseError(ValueError):
    value: str

    def __str__(self) -> str:
        return f"'{self.value}' is not a date (use YYYY, YYYY-MM, YYYY-MM-DD or 197x)"


def _valid(year: int, month: int, day: int | None = None) -> bool:
    from calendar import monthrange

    if not 1 <= month <= 12:
        return False
    return day is None or 1 <= day <= monthrange(year, month)[1]


def parse_date_cell(value: str, source: str) -> PhotoDate:
    """A manifest `date` cell or a review edit as a PhotoDate.

    Raises:
        DateParseError: not one of the accepted forms, or not a real calendar date.
    """
    match = _CELL.match(value.strip())
    if not match:
        raise DateParseError(value)
    year, month, day, decade = match.groups()
    if decade:
        return PhotoDate(f"{decade}x", "decade", source)
    if day:
        if not _valid(int(year), int(month), int(day)):
            raise DateParseError(value)
        return PhotoDate(f"{year}-{month}-{day}", "day", source)
    if month:
        if not _valid(int(year), int(month)):
            raise DateParseError(value)
        return PhotoDate(f"{year}-{month}", "month", source)
    return PhotoDate(year, "year", source)


def date_in_text(text: str, source: str = "caption") -> PhotoDate | None:
    """The first clear photo date stated in free text, or None."""
    candidates: list[tuple[int, PhotoDate]] = []

    def day(position: int, year: str, month: int, day_of_month: int) -> None:
        if _valid(int(year), month, day_of_month):
            candidates.append((position, PhotoDate(f"{year}-{month:02d}-{day_of_month:02d}", "day", source)))

    for m in _DAY_MONTH_YEAR.finditer(text):
        day(m.start(), m.group(3), MONTHS[m.group(2).lower()], int(m.group(1)))
    for m in _MONTH_DAY_YEAR.finditer(text):
        day(m.start(), m.group(3), MONTHS[m.group(1).lower()], int(m.group(2)))
    for m in _NUMERIC.finditer(text):
        day(m.start(), m.group(3), int(m.group(2)), int(m.group(1)))
    for m in _ISO.finditer(text):
        day(m.start(), m.group(1), int(m.group(2)), int(m.group(3)))
    if not candidates:
        for m in _COMMEMORATION.finditer(text):
            month, day_of_month = COMMEMORATIONS[m.group(1).lower()]
            day(m.start(), m.group(2), month, day_of_month)
    if not candidates:
        for m in _DECADE.finditer(text):
            candidates.append((m.start(), PhotoDate(f"{m.group(1)}x", "decade", source)))
    return min(candidates, key=lambda item: item[0])[1] if candidates else None
