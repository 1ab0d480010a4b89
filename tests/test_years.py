"""Life spans in inscriptions and captions (text/years.py): every form, validity, OCR noise."""

from __future__ import annotations

import pytest

from archive_ingest.text.years import LifeSpan, find_life_spans, find_year_like, parse_year


@pytest.mark.parametrize(
    ("text", "birth", "death", "birth_date", "death_date"),
    [
        ("1884-1949", 1884, 1949, None, None),
        ("1884 — 1949", 1884, 1949, None, None),
        ("1884 – 1949", 1884, 1949, None, None),
        ("1884 - 1949", 1884, 1949, None, None),
        ("1884−1949", 1884, 1949, None, None),
        ("1920 Г. — 1951 Г.", 1920, 1951, None, None),
        ("1920 г.-1951 г.", 1920, 1951, None, None),
        ("1920г. - 1951г.", 1920, 1951, None, None),
        ("1920-1951 гг.", 1920, 1951, None, None),
        ("12.03.1921 – 05.08.1945", 1921, 1945, "1921-03-12", "1945-08-05"),
        ("17.12.1900—10.12.1945", 1900, 1945, "1900-12-17", "1945-12-10"),
        ("8.3.1923-9.3.1948", 1923, 1948, "1923-03-08", "1948-03-09"),
        ("1921 – 05.08.1945", 1921, 1945, None, "1945-08-05"),
        ("1946-1946", 1946, 1946, None, None),
        ("29.02.1944 – 01.03.1945", 1944, 1945, "1944-02-29", "1945-03-01"),
    ],
)
def test_carved_forms(text: str, birth: int, death: int, birth_date: str | None, death_date: str | None) -> None:
    assert find_life_spans(text) == [LifeSpan(birth, death, birth_date, death_date, 0, len(text))]


@pytest.mark.parametrize(
    ("text", "birth", "death"),
    [
        ("(1958-9)", 1958, 1959),
        ("(1950-7)", 1950, 1957),
        ("(1902-45)", 1902, 1945),
        ("(1903-63)", 1903, 1963),
        ("(1947-8)", 1947, 1948),
        ("(1917-52)", 1917, 1952),
    ],
)
def test_caption_shorthand(text: str, birth: int, death: int) -> None:
    assert find_life_spans(text) == [LifeSpan(birth, death, None, None, 1, len(text) - 1)]
    # On a stone, `1926-19` is a worn year, not shorthand.
    assert find_life_spans(text, allow_shorthand=False) == []


@pytest.mark.parametrize(
    "text",
    [
        "1950-1940",  # birth after death
        "1790-1850",  # before 1800
        "1990-2031",  # after 2030
        "1800-1920",  # 120 years
        "31.02.1920 – 05.08.1945",  # no 31 February
        "12.13.1921 – 05.08.1945",  # no 13th month
        "05.08.1945 – 12.03.1945",  # birth date after death date
        "(1958-7)",  # shorthand before the birth year
        "(1995-02)",  # shorthand never rolls into the next century
        "lOOl-1945",  # a year needs two real digits
        "1884",
        "1884-",
        "в 1945 году",
    ],
)
def test_invalid_or_absent_spans_are_rejected(text: str) -> None:
    assert find_life_spans(text) == []


@pytest.mark.parametrize(
    ("text", "birth", "death"),
    [
        ("19 19 - 1945", 1919, 1945),
        ("1919 - 19 45", 1919, 1945),
        ("l9O5 - 1945", 1905, 1945),  # Latin l and O
        ("1905 - 194О", 1905, 1940),  # Cyrillic О
        ("19ЗО — 19б5", 1930, 1965),  # Cyrillic З and б
        ("|919-1945", 1919, 1945),
        ("I9I9-1945", 1919, 1945),
        ("1923 1951", 1923, 1951),  # the dash lost
    ],
)
def test_ocr_noise_is_corrected_and_marked(text: str, birth: int, death: int) -> None:
    assert find_life_spans(text) == [LifeSpan(birth, death, None, None, 0, len(text), corrected=True)]


def test_clean_span_is_not_marked_corrected() -> None:
    assert find_life_spans("1884-1949")[0].corrected is False


def test_positions_and_several_spans() -> None:
    text = "ТЁН ИВАН 1884-1949\nТЁН МАРИЯ 1890 — 1950"
    spans = find_life_spans(text)
    assert [(s.birth_year, s.death_year, text[s.start : s.end]) for s in spans] == [
        (1884, 1949, "1884-1949"),
        (1890, 1950, "1890 — 1950"),
    ]


def test_year_mark_does_not_swallow_a_following_word() -> None:
    text = "1920-1951 ГУСЕВ"
    assert [text[s.start : s.end] for s in find_life_spans(text)] == ["1920-1951"]


@pytest.mark.parametrize(
    ("token", "year"),
    [
        ("1945", 1945),
        ("19 45", 1945),
        ("l9O5", 1905),
        ("19З0", 1930),
        ("lOOO", None),
        ("1799", None),
        ("2031", None),
        ("19x5", None),
        ("", None),
    ],
)
def test_parse_year(token: str, year: int | None) -> None:
    assert parse_year(token) == year


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("1926 - 19", ["1926 - 19"]),
        ("1910 Г. — 19451", ["1910", "19451"]),
        ("ПАМЯТЬ 1945", ["1945"]),
        ("19?5", []),
        ("ДОМ 12", []),
    ],
)
def test_find_year_like(text: str, found: list[str]) -> None:
    assert [text[start:end] for start, end in find_year_like(text)] == found
