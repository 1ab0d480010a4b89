"""The name and year parsers on stones and captions written for this test, not taken from samples.

Issue 14: the other parser tests grew from the sample drops' inscriptions and captions, so
they could not show the parsers work beyond them. Every case here was written from general
knowledge of Soviet headstones (common Russian and Ukrainian surnames, Soviet-Korean
surnames, ranks from the rank vocabulary, other years, other line layouts); none of these
names occurs in either sample drop (checked when they were written).
"""

from __future__ import annotations

import pytest

from archive_ingest.record import Person
from archive_ingest.text.names import persons_in_caption, persons_in_inscription
from archive_ingest.text.years import LifeSpan, find_life_spans

#: (name, name_latin, birth_year, death_year, birth_date, death_date, rank)
Row = tuple[str, str | None, int | None, int | None, str | None, str | None, str | None]
JUNIOR_LIEUTENANT = "младший лейтенант"


def rows(persons: list[Person]) -> list[Row]:
    return [(p.name, p.name_latin, p.birth_year, p.death_year, p.birth_date, p.death_date, p.rank) for p in persons]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "СТАРШИНА\nКОМАРОВ\nНИКОЛАЙ ПЕТРОВИЧ\n1918 - 1946",
            ("КОМАРОВ НИКОЛАЙ ПЕТРОВИЧ", "Komarov Nikolay Petrovich", 1918, 1946, None, None, "старшина"),
            id="rank-surname-then-given-and-patronymic",
        ),
        pytest.param(
            "ГВАРДИИ СЕРЖАНТ\nФРОЛОВ\nВАСИЛИЙ СТЕПАНОВИЧ\n1922 Г. — 1945 Г.\nВЕЧНАЯ ПАМЯТЬ",
            ("ФРОЛОВ ВАСИЛИЙ СТЕПАНОВИЧ", "Frolov Vasily Stepanovich", 1922, 1945, None, None, "гвардии сержант"),
            id="guards-rank-year-marks-epitaph",
        ),
        pytest.param(
            "ТАРАСОВ\nГРИГОРИЙ\nМАТВЕЕВИЧ\n03.05.1911 – 22.08.1945",
            ("ТАРАСОВ ГРИГОРИЙ МАТВЕЕВИЧ", "Tarasov Grigory Matveevich", 1911, 1945, "1911-05-03", "1945-08-22", None),
            id="no-rank-full-dates",
        ),
        pytest.param(
            "КАПИТАН\nБЕЛЯЕВ ОЛЕГ ФЁДОРОВИЧ\n1915-1947\nОТ ЖЕНЫ И ДЕТЕЙ",
            ("БЕЛЯЕВ ОЛЕГ ФЁДОРОВИЧ", "Belyayev Oleg Fyodorovich", 1915, 1947, None, None, "капитан"),
            id="whole-name-on-one-line-dedication",
        ),
        pytest.param(
            "ШЕВЧЕНКО\nМАРИЯ ИВАНОВНА\n1924 - 1949",
            ("ШЕВЧЕНКО МАРИЯ ИВАНОВНА", "Shevchenko Mariya Ivanovna", 1924, 1949, None, None, None),
            id="ukrainian-surname-woman",
        ),
        pytest.param(
            "КОГАЙ\nЕЛЕНА\n1931-1950",
            ("КОГАЙ ЕЛЕНА", "Kogay Yelena", 1931, 1950, None, None, None),
            id="soviet-korean-surname",
        ),
        pytest.param(
            "ЕФРЕЙТОР\nВОЛКОВ АЛЕКСАНДР\n1925—1945",
            ("ВОЛКОВ АЛЕКСАНДР", "Volkov Aleksandr", 1925, 1945, None, None, "ефрейтор"),
            id="no-patronymic-em-dash",
        ),
        pytest.param(
            "МЛАДШИЙ ЛЕЙТЕНАНТ\nКУДРЯВЦЕВ\nЮРИЙ ГЕОРГИЕВИЧ\n1923 - 1945\nСЛАВА ГЕРОЯМ",
            ("КУДРЯВЦЕВ ЮРИЙ ГЕОРГИЕВИЧ", "Kudryavtsev Yury Georgiyevich", 1923, 1945, None, None, JUNIOR_LIEUTENANT),
            id="two-word-rank",
        ),
        pytest.param(
            "ЕРШОВ\nПЁТР\nКОНСТАНТИНОВИЧ\n1890-1952",
            ("ЕРШОВ ПЁТР КОНСТАНТИНОВИЧ", "Yershov Pyotr Konstantinovich", 1890, 1952, None, None, None),
            id="civilian-born-in-the-1890s",
        ),
    ],
)
def test_inscriptions_written_for_this_test(text: str, expected: Row) -> None:
    assert rows(persons_in_inscription(text).persons) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "The grave of sergeant Vasily Stepanovich Frolov (1922-45) at the Soviet cemetery in Hamhung.",
            ("Vasily Stepanovich Frolov", "Frolov Vasily Stepanovich", 1922, 1945, None, None, "сержант"),
            id="english-given-name-first-shorthand",
        ),
        pytest.param(
            "Grave of Elena Kogai (1931-1950), Chongjin.",
            ("Elena Kogai", "Kogai Elena", 1931, 1950, None, None, None),
            id="english-no-rank",
        ),
        pytest.param(
            "The grave of junior lieutenant Yuri Georgievich Kudryavtsev (1923-1945).",
            ("Yuri Georgievich Kudryavtsev", "Kudryavtsev Yuri Georgievich", 1923, 1945, None, None, JUNIOR_LIEUTENANT),
            id="english-two-word-rank",
        ),
        pytest.param(
            # Russian case endings are kept as written (text/names/__init__.py says why).
            "Могила старшины Комарова Николая Петровича (1918-1946), советское воинское кладбище в Вонсане.",
            ("Комарова Николая Петровича", "Komarova Nikolaya Petrovicha", 1918, 1946, None, None, "старшина"),
            id="russian-genitive",
        ),
        pytest.param(
            "Могила рядового Волкова Александра (1925-1945). Фото 1970-х годов.",
            ("Волкова Александра", "Volkova Aleksandra", 1925, 1945, None, None, "рядовой"),
            id="russian-a-decade-is-no-life-span",
        ),
    ],
)
def test_captions_written_for_this_test(text: str, expected: Row) -> None:
    assert rows(persons_in_caption(text)) == [expected]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("1911 – 1945", (1911, 1945, None, None)),
        ("1911 г. - 1945 г.", (1911, 1945, None, None)),
        ("1923г.-1945г.", (1923, 1945, None, None)),
        ("03.05.1911 – 22.08.1945", (1911, 1945, "1911-05-03", "1945-08-22")),
    ],
)
def test_stone_years_written_for_this_test(text: str, span: tuple[int, int, str | None, str | None]) -> None:
    assert find_life_spans(text, allow_shorthand=False) == [LifeSpan(*span, 0, len(text))]


@pytest.mark.parametrize(("text", "birth", "death"), [("(1937-9)", 1937, 1939), ("(1899-1951)", 1899, 1951)])
def test_caption_years_written_for_this_test(text: str, birth: int, death: int) -> None:
    assert find_life_spans(text) == [LifeSpan(birth, death, None, None, 1, len(text) - 1)]
