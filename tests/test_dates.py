"""Photo dates from manifest cells and caption text."""

from __future__ import annotations

import pytest

from archive_ingest.record import PhotoDate
from archive_ingest.text.dates import DateParseError, date_in_text, parse_date_cell


@pytest.mark.parametrize(
    ("cell", "value", "precision"),
    [
        ("1978", "1978", "year"),
        ("1978-05", "1978-05", "month"),
        ("2019-05-09", "2019-05-09", "day"),
        ("197x", "197x", "decade"),
    ],
)
def test_date_cells(cell: str, value: str, precision: str) -> None:
    assert parse_date_cell(cell, "manifest") == PhotoDate(value, precision, "manifest")


@pytest.mark.parametrize("cell", ["May 1978", "1978-13", "2019-02-30", "78", ""])
def test_bad_date_cells(cell: str) -> None:
    with pytest.raises(DateParseError, match="is not a date"):
        parse_date_cell(cell, "manifest")


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("Возложение венков к памятнику Освобождения в Пхеньяне, 9 мая 2019 года.", "2019-05-09", "day"),
        ("Wreath-laying at the Pyongyang cemetery on 23 February 2020", "2020-02-23", "day"),
        ("Wreaths were laid on May 9, 2018.", "2018-05-09", "day"),
        ("Фото: 15.08.1985, Хэджу", "1985-08-15", "day"),
        ("Embassy staff at the monument on Victory Day 2021", "2021-05-09", "day"),
        ("День России, 2016 год, Вонсан", "2016-06-12", "day"),
        ("Кладбище в Чхонджине, фото 1970-х", "197x", "decade"),
        ("The cemetery in the 1970s", "197x", "decade"),
        ("The monument in the late 1970's", "197x", "decade"),
        ("Embassy staff at the memorial in Nampo, April 2023.", "2023-04", "month"),
        ("Возложение венков в мае 1978 года, Хамхын", "1978-05", "month"),
        ("Wreaths at the monument, August 1945", "1945-08", "month"),
        ("Soviet cemetery in Wonsan, 1976.", "1976", "year"),
        ("31 февраля 2019", "2019", "year"),  # no such day; the year stands
        ("Могила Ким Шуры (1938-1947), снимок 1981 года", "1981", "year"),
    ],
)
def test_dates_in_captions(text: str, value: str, precision: str) -> None:
    assert date_in_text(text) == PhotoDate(value, precision, "caption")


@pytest.mark.parametrize(
    "text",
    [
        "Памятник Освобождения в Синыйджу (1958-9)",
        "Тён Иван 1884-1949",
        "Grave of Khan Pyotr, Rajin",
        "'Unknown soldier', Pyongyang (1953).",
        "The grave of private Aleksey Ilich Yudin (1902-45).",
        "12.03.1921 – 05.08.1945",
    ],
)
def test_years_that_are_not_photo_dates(text: str) -> None:
    assert date_in_text(text) is None
