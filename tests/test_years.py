"""Life spans in inscriptions and captions (text/years.py): every form, validity, OCR noise."""

from __future__ import annotations

import pytest

from archive_ingest.text.years import LifeSpan, find_life_spans, find_year_like, implausible, parse_year


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
        ("1946 1946", 1946, 1946),  # the dash lost between two equal years
        ("1921 — 19471:", 1921, 1947),  # a digit and a mark glued to the last year
        ("1921-19471.|", 1921, 1947),
        ("1921 Г. - 19471:", 1921, 1947),
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


def test_a_glued_digit_is_read_only_at_the_end_of_a_line() -> None:
    text = "ОРЛОВ ИВАН\n1921 — 19471:\nВЕЧНАЯ ПАМЯТЬ"
    assert find_life_spans(text, allow_shorthand=False) == [LifeSpan(1921, 1947, None, None, 11, 24, corrected=True)]


@pytest.mark.parametrize(
    "text",
    [
        "1910 Г. — 19451",  # no mark after the fifth digit: it may be the year's own
        "1921 — 19471: ОРЛОВ",  # not the end of the line
        "1921 — 194712:",  # two digits too many
        "1921 — 19.471:",
    ],
)
def test_glued_digits_that_are_not_read(text: str) -> None:
    assert find_life_spans(text, allow_shorthand=False) == []


@pytest.mark.parametrize(
    ("birth", "death", "birth_date", "death_date", "reason"),
    [
        pytest.param(1923, 1945, None, None, None, id="ordinary"),
        pytest.param(1946, 1946, None, None, None, id="born-and-died-in-one-year"),
        pytest.param(None, None, None, None, None, id="nothing-known"),
        pytest.param(None, 1953, None, None, None, id="death-year-only"),
        pytest.param(1946, 1945, None, None, "born in 1946, after dying in 1945", id="birth-after-death"),
        pytest.param(1840, 1904, None, None, None, id="earliest-birth"),
        pytest.param(1839, 1904, None, None, "born in 1839, before 1840", id="birth-too-early"),
        pytest.param(1990, 1990, None, None, None, id="latest-birth"),
        pytest.param(1991, 1995, None, None, "born in 1991, after 1990", id="birth-too-late"),
        pytest.param(1850, 1890, None, None, None, id="earliest-death"),
        pytest.param(1850, 1889, None, None, "died in 1889, before 1890", id="death-too-early"),
        pytest.param(None, 1889, None, None, "died in 1889, before 1890", id="lone-death-year-too-early"),
        pytest.param(1925, 2030, None, None, None, id="latest-death"),
        pytest.param(1925, 2031, None, None, "died in 2031, after 2030", id="death-too-late"),
        pytest.param(1845, 1955, None, None, None, id="aged-110"),
        pytest.param(1845, 1956, None, None, "111 years old at death, over 110", id="aged-111"),
        pytest.param(1923, 1945, "1923-03-08", "1945-08-15", None, id="dates"),
        pytest.param(1924, 1945, "1924-02-29", None, None, id="leap-day"),
        pytest.param(1923, 1945, "1923-02-29", None, "birth date 1923-02-29 is no calendar date", id="no-leap-day"),
        pytest.param(1923, 1945, None, "1945-13-01", "death date 1945-13-01 is no calendar date", id="no-13th-month"),
        pytest.param(1923, 1945, "8.3.1923", None, "birth date 8.3.1923 is no calendar date", id="not-iso"),
        pytest.param(
            1923, 1945, "1924-03-08", None, "birth date 1924-03-08 is not in the birth year 1923", id="date-off-year"
        ),
        pytest.param(None, 1945, None, "1945-08-15", None, id="death-date-with-its-year"),
        pytest.param(
            1945, 1945, "1945-05-09", "1945-05-01", "born on 1945-05-09, after dying on 1945-05-01", id="dates-reversed"
        ),
    ],
)
def test_implausible(
    birth: int | None, death: int | None, birth_date: str | None, death_date: str | None, reason: str | None
) -> None:
    assert implausible(birth, death, birth_date, death_date) == reason
