"""When was the photo taken? Dates in manifest cells and caption text.

Caption dates are looked for in tiers, the first tier that matches wins (earliest match
within it):
1. a full date (`9 мая 2019`, `9 May 2019`, `May 9, 2019`, `15.08.1985`, `2019-05-09`);
2. a commemoration day the embassy marks plus a year (`Victory Day 2021`,
   `День России, 2016` -> the day);
3. a month and a year (`April 2023`, `в мае 1978 года`, `май 1978`) -> month precision;
4. a decade (`1970s`, `the late 1970's`, `1970-х`) -> `197x`;
5. a bare year (`Pyongyang, 1976.`) -> year precision, but never a year inside
   parentheses or a range: on this archive `(1953)`, `(1958-9)` and `1884-1949` are
   death, construction and life-span years, not when the photo was taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..record import PhotoDate

_MONTH_FORMS = {
    # English, then Russian nominative, genitive (as in dates) and prepositional (в мае).
    1: ("january", "январь", "января", "январе"),
    2: ("february", "февраль", "февраля", "феврале"),
    3: ("march", "март", "марта", "марте"),
    4: ("april", "апрель", "апреля", "апреле"),
    5: ("may", "май", "мая", "мае"),
    6: ("june", "июнь", "июня", "июне"),
    7: ("july", "июль", "июля", "июле"),
    8: ("august", "август", "августа", "августе"),
    9: ("september", "сентябрь", "сентября", "сентябре"),
    10: ("october", "октябрь", "октября", "октябре"),
    11: ("november", "ноябрь", "ноября", "ноябре"),
    12: ("december", "декабрь", "декабря", "декабре"),
}
MONTHS = {form: month for month, forms in _MONTH_FORMS.items() for form in forms}

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
# Not after a day number: "31 февраля 2019" is a bad date, not February 2019.
_MONTH_YEAR = re.compile(rf"(?<!\d\s)\b({_MONTH_NAMES})\s+{_YEAR}\b", re.IGNORECASE)
_DECADE = re.compile(r"\b(1[89]\d|20\d)0(?:'?s|-х|-е|-ые|-ых)(?!\w)", re.IGNORECASE)
_BARE_YEAR = re.compile(rf"(?<![\d.\-–—/(])\b{_YEAR}\b(?![\-–—/]\s*\d)(?!\d)")
_RANGE_AFTER = re.compile(r"\s*(?:г\.?\s*)?[-–—]\s*\d")
_RANGE_BEFORE = re.compile(r"\d\s*(?:г\.?\s*)?[-–—]\s*$")
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
    """The photo date a caption states, or None (see the module docstring for the tiers)."""
    days: list[tuple[int, PhotoDate]] = []

    def day(m: re.Match[str], year: str, month: int, day_of_month: int) -> None:
        # "12.03.1921 – 05.08.1945" is a life span, not when the photo was taken.
        in_range = _RANGE_AFTER.match(text, m.end()) or _RANGE_BEFORE.search(text, 0, m.start())
        if _valid(int(year), month, day_of_month) and not in_range:
            days.append((m.start(), PhotoDate(f"{year}-{month:02d}-{day_of_month:02d}", "day", source)))

    for m in _DAY_MONTH_YEAR.finditer(text):
        day(m, m.group(3), MONTHS[m.group(2).lower()], int(m.group(1)))
    for m in _MONTH_DAY_YEAR.finditer(text):
        day(m, m.group(3), MONTHS[m.group(1).lower()], int(m.group(2)))
    for m in _NUMERIC.finditer(text):
        day(m, m.group(3), int(m.group(2)), int(m.group(1)))
    for m in _ISO.finditer(text):
        day(m, m.group(1), int(m.group(2)), int(m.group(3)))
    if days:
        return min(days, key=lambda item: item[0])[1]
    for m in _COMMEMORATION.finditer(text):
        month, day_of_month = COMMEMORATIONS[m.group(1).lower()]
        day(m, m.group(2), month, day_of_month)
    if days:
        return min(days, key=lambda item: item[0])[1]
    if month_year := _MONTH_YEAR.search(text):
        return PhotoDate(f"{month_year.group(2)}-{MONTHS[month_year.group(1).lower()]:02d}", "month", source)
    if decade := _DECADE.search(text):
        return PhotoDate(f"{decade.group(1)}x", "decade", source)
    outside_parentheses = re.sub(r"\([^)]*\)", lambda found: " " * len(found.group(0)), text)
    if year := _BARE_YEAR.search(outside_parentheses):
        return PhotoDate(year.group(1), "year", source)
    return None
