"""People on stones and in captions (text/names/): names, ranks, years, corrections, merging.

Every input is stated here; the expected values are exact. Pure text, no OCR.
"""

from __future__ import annotations

import pytest

from archive_ingest.record import FieldSource, Person, PersonSources
from archive_ingest.text.names import (
    NameParts,
    attach_nameless_span,
    is_unknown,
    merge_persons,
    persons_in_caption,
    persons_in_inscription,
    same_person,
    split_name,
)

#: (name, name_latin, birth_year, death_year, birth_date, death_date, rank)
Row = tuple[str, str | None, int | None, int | None, str | None, str | None, str | None]


def rows(persons: list[Person]) -> list[Row]:
    return [(p.name, p.name_latin, p.birth_year, p.death_year, p.birth_date, p.death_date, p.rank) for p in persons]


# -- inscriptions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "ЕФРЕЙТОР\nСМИРНОВ\nПАВЕЛ ВИКТОРОВИЧ\n1926 - 1945\nПОМНИМ И СКОРБИМ",
            [("СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ", "Smirnov Pavel Viktorovich", 1926, 1945, None, None, "ефрейтор")],
            id="rank-surname-line-given-line-epitaph",
        ),
        pytest.param(
            "ЛЕЙТЕНАНТ\nСМИРНОВ ТИМОФЕЙ ЮРЬЕВИЧ\n1927 — 1945\nОТ ТОВАРИЩЕЙ ПО СЛУЖБЕ",
            [("СМИРНОВ ТИМОФЕЙ ЮРЬЕВИЧ", "Smirnov Timofey Yuryevich", 1927, 1945, None, None, "лейтенант")],
            id="name-on-one-line",
        ),
        pytest.param(
            "МАЙОР\nЦВЕТКОВ\nГЕОРГИЙ\nАЛЕКСАНДРОВИЧ\n1929 Г. — 1950 Г.",
            [("ЦВЕТКОВ ГЕОРГИЙ АЛЕКСАНДРОВИЧ", "Tsvetkov Georgy Aleksandrovich", 1929, 1950, None, None, "майор")],
            id="name-over-three-lines",
        ),
        pytest.param(
            "РЯДОВОЙ\nМОРОЗОВ\nАНАТОЛИЙ\nИВАНОВИЧ\n17.12.1900—10.12.1945",
            [
                (
                    "МОРОЗОВ АНАТОЛИЙ ИВАНОВИЧ",
                    "Morozov Anatoly Ivanovich",
                    1900,
                    1945,
                    "1900-12-17",
                    "1945-12-10",
                    "рядовой",
                )
            ],
            id="full-dates",
        ),
        pytest.param(
            "СТАРШИЙ ЛЕЙТЕНАНТ\nОРЛОВ\nИВАН ПЕТРОВИЧ\n1910-1944",
            [("ОРЛОВ ИВАН ПЕТРОВИЧ", "Orlov Ivan Petrovich", 1910, 1944, None, None, "старший лейтенант")],
            id="two-word-rank",
        ),
        pytest.param(
            "ГВАРДИИ СЕРЖАНТ\nОРЛОВ АЛЕКСАНДР СЕРГЕЕВИЧ\n1919 Г. — 1945 Г.\nВЕЧНАЯ СЛАВА ГЕРОЮ",
            [("ОРЛОВ АЛЕКСАНДР СЕРГЕЕВИЧ", "Orlov Aleksandr Sergeevich", 1919, 1945, None, None, "гвардии сержант")],
            id="guards-rank",
        ),
        pytest.param(
            "КАПИТАН ОРЛОВ ИВАН ПЕТРОВИЧ\n1910-1944",
            [("ОРЛОВ ИВАН ПЕТРОВИЧ", "Orlov Ivan Petrovich", 1910, 1944, None, None, "капитан")],
            id="rank-on-the-name-line",
        ),
        pytest.param(
            "КРАСНОФЛОТЕЦ\nСОКОЛОВ\nДМИТРИЙ\nПЕТРОВИЧ\n1905 Г. — 1945 Г.",
            [("СОКОЛОВ ДМИТРИЙ ПЕТРОВИЧ", "Sokolov Dmitry Petrovich", 1905, 1945, None, None, "краснофлотец")],
            id="navy-rank",
        ),
        pytest.param(
            "ЗАВАДСКАЯ\nКЛАВДИЯ ДМИТРИЕВНА\n1913-1956",
            [("ЗАВАДСКАЯ КЛАВДИЯ ДМИТРИЕВНА", "Zavadskaya Klavdiya Dmitriyevna", 1913, 1956, None, None, None)],
            id="woman",
        ),
        pytest.param(
            "ТЁН ИВАН 1884-1949",
            [("ТЁН ИВАН", "Tyon Ivan", 1884, 1949, None, None, None)],
            id="name-and-years-on-one-line",
        ),
        pytest.param(
            "ШИН ЁН СУ\n신영수\n1900-1947",
            [("ШИН ЁН СУ", "Shin Yon Su", 1900, 1947, None, None, None)],
            id="korean-with-hangul",
        ),
        pytest.param(
            "ХАН ПЁТР\n1927 — 1951",
            [("ХАН ПЁТР", "Khan Pyotr", 1927, 1951, None, None, None)],
            id="korean-surname-russian-given",
        ),
        pytest.param(
            "КИМ ЛЮБА\n1947 Г. — 1950 Г.",
            [("КИМ ЛЮБА", "Kim Lyuba", 1947, 1950, None, None, None)],
            id="diminutive-luba",
        ),
        pytest.param(
            "ЦОЙ КОЛЯ\n1946-1946\nПОМНИМ И ЛЮБИМ",
            [("ЦОЙ КОЛЯ", "Tsoy Kolya", 1946, 1946, None, None, None)],
            id="diminutive-kolya",
        ),
        pytest.param(
            "ТЕН ШУРИК\n1945 - 1947",
            [("ТЕН ШУРИК", "Ten Shurik", 1945, 1947, None, None, None)],
            id="diminutive-shurik",
        ),
        pytest.param(
            "ПЁТР\n1926 — 1958",
            [("ПЁТР", "Pyotr", 1926, 1958, None, None, None)],
            id="given-name-only",
        ),
        pytest.param(
            "СЕРГЕЙ\n1903 - 1963\nREST IN PEACE",
            [("СЕРГЕЙ", "Sergey", 1903, 1963, None, None, None)],
            id="given-name-only-latin-epitaph",
        ),
        pytest.param(
            "신영수\n1900-1947",
            [("신영수", "Sin Yeongsu", 1900, 1947, None, None, None)],
            id="hangul-name-only",
        ),
        pytest.param(
            "ГУСЕВ\nСЕРГЕЙ\nКОНСТАНТИНОВИЧ\n1922 — 1952\nГУСЕВА НАТАЛЬЯ ВИКТОРОВНА\n1902 — 1947",
            [
                ("ГУСЕВ СЕРГЕЙ КОНСТАНТИНОВИЧ", "Gusev Sergey Konstantinovich", 1922, 1952, None, None, None),
                ("ГУСЕВА НАТАЛЬЯ ВИКТОРОВНА", "Guseva Natalya Viktorovna", 1902, 1947, None, None, None),
            ],
            id="couple",
        ),
        pytest.param(
            "БОРИСОВ\nАЛЕКСЕЙ НИКОЛАЕВИЧ\n1906-1957\nБОРИСОВ\nАНАТОЛИЙ ПАВЛОВИЧ\n1947-1949",
            [
                ("БОРИСОВ АЛЕКСЕЙ НИКОЛАЕВИЧ", "Borisov Aleksey Nikolayevich", 1906, 1957, None, None, None),
                ("БОРИСОВ АНАТОЛИЙ ПАВЛОВИЧ", "Borisov Anatoly Pavlovich", 1947, 1949, None, None, None),
            ],
            id="parent-and-child",
        ),
        pytest.param(
            "КИМ ЛЮБА\nКИМ КОЛЯ\n1947-1950",
            [
                ("КИМ ЛЮБА", "Kim Lyuba", None, None, None, None, None),
                ("КИМ КОЛЯ", "Kim Kolya", 1947, 1950, None, None, None),
            ],
            id="two-names-one-span",
        ),
        pytest.param(
            "НЕИЗВЕСТНЫЙ СОЛДАТ\n1953",
            [("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", None, 1953, None, None, None)],
            id="unknown-soldier-with-year",
        ),
        pytest.param(
            "НЕИЗВЕСТНЫЙ\nСОЛДАТ\n1953\nSOVIET ARMY",
            [("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", None, 1953, None, None, None)],
            id="unknown-soldier-split-over-lines",
        ),
        pytest.param(
            "НЕИЗВЕСТНЫЙ\nСОЛДАТ\nВЕЧНАЯ СЛАВА ГЕРОЮ",
            [("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", None, None, None, None, None)],
            id="unknown-soldier-without-year",
        ),
        pytest.param(
            "НЕИЗВЕСТНЫЙ МАТРОС",
            [("НЕИЗВЕСТНЫЙ МАТРОС", "Unknown Sailor", None, None, None, None, None)],
            id="unknown-sailor",
        ),
        pytest.param(
            "НЕИЗВЕСТНЫЙ\nКРАСНОФЛОТЕЦ\n1945",
            [("НЕИЗВЕСТНЫЙ КРАСНОФЛОТЕЦ", "Unknown Red Navy Sailor", None, 1945, None, None, None)],
            id="unknown-red-navy-sailor",
        ),
    ],
)
def test_persons_in_inscription(text: str, expected: list[Row]) -> None:
    reading = persons_in_inscription(text)
    assert rows(reading.persons) == expected
    assert all(p.source == "ocr" for p in reading.persons)
    assert reading.corrections == []
    assert reading.unparsed_years == []


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("СМИРНОВ\nПАВЕЛ ВИКТОРОВИЧ\n1926 - 1945", NameParts("СМИРНОВ", "ПАВЕЛ", "ВИКТОРОВИЧ")),
        ("ШИН ЁН СУ\n신영수\n1900-1947", NameParts("ШИН", "ЁН СУ", None, "신영수")),
        (
            "ШИН СУН ОК\n신순옥\n申順玉之墓\n1889-1953\nВЕЧНАЯ СЛАВА ГЕРОЮ",
            NameParts("ШИН", "СУН ОК", None, "신순옥", "申順玉"),
        ),
        ("ХВАН ДОН СУ\n黃東洙之墓\n1930 Г. — 1965 Г.\nСПИ СПОКОЙНО", NameParts("ХВАН", "ДОН СУ", None, None, "黃東洙")),
        ("ЛИ ХАК РИМ\n리학림\n1917 — 1963", NameParts("ЛИ", "ХАК РИМ", None, "리학림")),
        ("КИМ ЛЮБА\n1947-1950", NameParts("КИМ", "ЛЮБА")),
        ("ПЁТР\n1926 — 1958", NameParts(None, "ПЁТР")),
    ],
)
def test_name_parts_with_hangul_and_hanja(text: str, parts: NameParts) -> None:
    assert persons_in_inscription(text).names == [parts]


@pytest.mark.parametrize(
    "text",
    [
        "ВЕЧНАЯ СЛАВА ГЕРОЯМ\n1945",
        "СЛАВА СОВЕТСКОЙ АРМИИ\nОСВОБОДИТЕЛЬНИЦЕ",
        "ВЕЧНАЯ СЛАВА\nВОИНАМ СОВЕТСКОЙ АРМИИ",
        "ВЕЧНАЯ СЛАВА ГЕРОЯМ\n영원한 영광",
        "조쏘친선",
        "追慕",
        "ПОМНИМ И СКОРБИМ",
        "ОТ ЖЕНЫ И ДЕТЕЙ",
        "СПИ СПОКОЙНО",
        "REST IN PEACE\nSOVIET ARMY",
        "",
    ],
)
def test_epitaphs_and_monuments_name_nobody(text: str) -> None:
    reading = persons_in_inscription(text)
    assert (reading.persons, reading.unparsed_years) == ([], [])


@pytest.mark.parametrize(
    ("text", "name", "corrections"),
    [
        pytest.param(
            "ЛЕБЕДЕВ\nВЛАДИМИP ЮРЬЕВИЧ\n1918 - 1959",
            "ЛЕБЕДЕВ ВЛАДИМИР ЮРЬЕВИЧ",
            ["'ВЛАДИМИP' -> 'ВЛАДИМИР' (Latin look-alike letters)"],
            id="latin-P-in-cyrillic-word",
        ),
        pytest.param(
            "BOPOHOB ПАВЕЛ\n1920-1945",
            "ВОРОНОВ ПАВЕЛ",
            ["'BOPOHOB' -> 'ВОРОНОВ' (Latin look-alike letters)"],
            id="all-latin-look-alike-word-on-cyrillic-line",
        ),
        pytest.param(
            "ТИХОНОВ\nЕВГЕНИИ ФЕДОРОВИЧ\n1897-1954",
            "ТИХОНОВ ЕВГЕНИЙ ФЕДОРОВИЧ",
            ["'ЕВГЕНИИ' -> 'ЕВГЕНИЙ' (given name, one letter)"],
            id="given-name-gender-from-patronymic",
        ),
        pytest.param(
            "СЕРГЕИ\n1903 - 1963",
            "СЕРГЕЙ",
            ["'СЕРГЕИ' -> 'СЕРГЕЙ' (given name, one letter)"],
            id="lone-given-name",
        ),
        pytest.param(
            "ИВАНОВ\nИВАН ПЕТРОВИЯ\n1900-1950",
            "ИВАНОВ ИВАН ПЕТРОВИЧ",
            ["'ПЕТРОВИЯ' -> 'ПЕТРОВИЧ' (patronymic, one letter)"],
            id="patronymic",
        ),
        pytest.param(
            "ЕГОРОВА\nЛЮБОВЬ ИВАНОВНА\n1900-1950",
            "ЕГОРОВА ЛЮБОВЬ ИВАНОВНА",
            [],
            id="surname-never-corrected",
        ),
        pytest.param("КИМ ЛЮДВ\n1947-1948", "КИМ ЛЮДВ", [], id="short-words-not-corrected"),
        pytest.param(
            "НЕИЗВЕСТНЫИ СОЛДАТ\n1953",
            "НЕИЗВЕСТНЫЙ СОЛДАТ",
            ["'НЕИЗВЕСТНЫИ' -> 'НЕИЗВЕСТНЫЙ' (unknown, one letter)"],
            id="unknown-marker",
        ),
        pytest.param(
            "ГУСЕВ\nВАЛЕРИЙ ФЁДОРОВИЧ\n1923 1951",
            "ГУСЕВ ВАЛЕРИЙ ФЁДОРОВИЧ",
            ["years read as 1923-1951 (OCR digits corrected)"],
            id="years-dash-lost",
        ),
        pytest.param(
            "НЕИЗВЕСТНЫЙ СОЛДАТ\nl953",
            "НЕИЗВЕСТНЫЙ СОЛДАТ",
            ["year read as 1953 (OCR digits corrected)"],
            id="lone-year-digits",
        ),
        pytest.param(
            "ЛИ ЛЮДА|\n1947-1948 ||",
            "ЛИ ЛЮДА",
            [],
            id="ocr-debris-stripped",
        ),
    ],
)
def test_corrections(text: str, name: str, corrections: list[str]) -> None:
    reading = persons_in_inscription(text)
    assert [p.name for p in reading.persons] == [name]
    assert reading.corrections == corrections


def test_rank_correction() -> None:
    reading = persons_in_inscription("ЕФРЕИТОР\nСМИРНОВ ПАВЕЛ ВИКТОРОВИЧ\n1926-1945")
    assert [p.rank for p in reading.persons] == ["ефрейтор"]
    assert reading.corrections == ["'ЕФРЕИТОР' -> 'ЕФРЕЙТОР' (rank, one letter)"]


def test_corrected_years_are_read() -> None:
    reading = persons_in_inscription("СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ\nl9O5 - 19 45")
    assert [(p.birth_year, p.death_year) for p in reading.persons] == [(1905, 1945)]
    assert reading.corrections == ["years read as 1905-1945 (OCR digits corrected)"]


@pytest.mark.parametrize(
    ("text", "names", "years", "unparsed"),
    [
        pytest.param(
            "СМИРНОВ\nПАВЕЛ ВИКТОРОВИЧ\n1926 - 19",
            ["СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ"],
            [(None, None)],
            ["1926 - 19"],
            id="year-cut-short",
        ),
        pytest.param(
            "ОРЛОВ\nАЛЕКСАНДР СЕРГЕЕВИЧ\n1910 Г. — 19451",
            ["ОРЛОВ АЛЕКСАНДР СЕРГЕЕВИЧ"],
            [(None, None)],
            ["1910", "19451"],
            id="five-digit-year",
        ),
        pytest.param(
            "ИВАНОВ ИВАН ИВАНОВИЧ\n1950-1940",
            ["ИВАНОВ ИВАН ИВАНОВИЧ"],
            [(None, None)],
            ["1950-1940"],
            id="birth-after-death",
        ),
        pytest.param("ВЕЧНАЯ ПАМЯТЬ\n1920-1945", [], [], ["1920-1945"], id="span-of-nobody"),
        pytest.param("ПЁТР\n1958", ["ПЁТР"], [(None, None)], ["1958"], id="lone-year-of-a-named-person"),
    ],
)
def test_unparsed_years_are_reported(
    text: str, names: list[str], years: list[tuple[int | None, int | None]], unparsed: list[str]
) -> None:
    reading = persons_in_inscription(text)
    assert [p.name for p in reading.persons] == names
    assert [(p.birth_year, p.death_year) for p in reading.persons] == years
    assert reading.unparsed_years == unparsed


# -- captions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "The grave of Pavel Viktorovich Smirnov (1925-1945). Photo: Russian Embassy in Pyongyang.",
            [("Pavel Viktorovich Smirnov", "Smirnov Pavel Viktorovich", 1925, 1945, None, None, None)],
            id="english",
        ),
        pytest.param(
            "The grave of private Aleksey Ilich Yudin (1902-45). Photo: Russian Embassy in Pyongyang.",
            [("Aleksey Ilich Yudin", "Yudin Aleksey Ilich", 1902, 1945, None, None, "рядовой")],
            id="private-and-shorthand",
        ),
        pytest.param(
            "The grave of red navy sailor Dmitry Petrovich Sokolov (1905-1945).",
            [("Dmitry Petrovich Sokolov", "Sokolov Dmitry Petrovich", 1905, 1945, None, None, "краснофлотец")],
            id="red-navy-sailor",
        ),
        pytest.param(
            "The grave of lieutenant colonel Ivan Petrov (1900-1950).",
            [("Ivan Petrov", "Petrov Ivan", 1900, 1950, None, None, "подполковник")],
            id="lieutenant-colonel",
        ),
        pytest.param(
            "The grave of guards sergeant Ivan Ivanovich Ivanov (1920-1945).",
            [("Ivan Ivanovich Ivanov", "Ivanov Ivan Ivanovich", 1920, 1945, None, None, "гвардии сержант")],
            id="guards-sergeant",
        ),
        pytest.param(
            "Simply 'Pyotr' (1926-1958).",
            [("Pyotr", "Pyotr", 1926, 1958, None, None, None)],
            id="simply-quoted",
        ),
        pytest.param(
            "Simply 'Sergey' (1958-9).",
            [("Sergey", "Sergey", 1958, 1959, None, None, None)],
            id="one-digit-shorthand",
        ),
        pytest.param(
            "The grave of Kim Lyuba (1947-1950), an infant likely born to Soviet Korean parents in Pyongyang.",
            [("Kim Lyuba", "Kim Lyuba", 1947, 1950, None, None, None)],
            id="korean-surname-first",
        ),
        pytest.param(
            "The grave of Sergey Konstantinovich Gusev (1922-1952) and Natalya Viktorovna Guseva (1902-1947) in Uiju.",
            [
                ("Sergey Konstantinovich Gusev", "Gusev Sergey Konstantinovich", 1922, 1952, None, None, None),
                ("Natalya Viktorovna Guseva", "Guseva Natalya Viktorovna", 1902, 1947, None, None, None),
            ],
            id="two-people-and",
        ),
        pytest.param(
            "Тихонов Евгений Фёдорович (1897-1954).",
            [("Тихонов Евгений Фёдорович", "Tikhonov Yevgeny Fyodorovich", 1897, 1954, None, None, None)],
            id="russian",
        ),
        pytest.param(
            "Шин Чжон Сук (1892-1962). Советское воинское кладбище в Пхеньяне.",
            [("Шин Чжон Сук", "Shin Chzhon Suk", 1892, 1962, None, None, None)],
            id="russian-korean-name-and-place",
        ),
        pytest.param(
            "Рядовой Юдин Алексей Ильич (1902-1945).",
            [("Юдин Алексей Ильич", "Yudin Aleksey Ilyich", 1902, 1945, None, None, "рядовой")],
            id="russian-rank",
        ),
        pytest.param(
            "Могила старшего лейтенанта Смирнова (1920-1944).",
            [("Смирнова", "Smirnova", 1920, 1944, None, None, "старший лейтенант")],
            id="russian-genitive-rank-name-kept-as-written",
        ),
        pytest.param(
            "Могила неизвестного солдата (1953).",
            [("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", None, 1953, None, None, None)],
            id="russian-unknown-soldier",
        ),
        pytest.param(
            "'Unknown soldier', Pyongyang (1953).",
            [("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", None, 1953, None, None, None)],
            id="english-unknown-soldier-place-not-a-name",
        ),
        pytest.param(
            "The grave of an unknown Soviet soldier.",
            [("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", None, None, None, None, None)],
            id="unknown-soldier-without-year",
        ),
        pytest.param(
            "The grave of Ivan Kim (1945).",
            [("Ivan Kim", "Kim Ivan", None, 1945, None, None, None)],
            id="lone-year-is-death-year",
        ),
        pytest.param(
            "신영수 (1900-1947)",
            [("신영수", "Sin Yeongsu", 1900, 1947, None, None, None)],
            id="hangul",
        ),
    ],
)
def test_persons_in_caption(text: str, expected: list[Row]) -> None:
    persons = persons_in_caption(text)
    assert rows(persons) == expected
    assert all(p.source == "caption" for p in persons)


@pytest.mark.parametrize(
    "text",
    [
        "Wreath-laying at the Soviet military cemetery in Pyongyang.",
        "Возложение венков на советском воинском кладбище в Пхеньяне.",
        "'Monument to the Soviet liberators of Korea', Hamhung.",
        "Monument to Soviet soldiers in Pyongyang (1945-1948).",
        "Embassy staff at the memorial in Nampo, April 2023.",
        "A delegation of veterans visits the Soviet graves in Rajin.",
        "Obelisk, Wonsan (1946).",
        "Photo: Russian Embassy in Pyongyang.",
        "The graves of unknown soldiers in Wonsan.",
        "",
    ],
)
def test_captions_without_people(text: str) -> None:
    assert persons_in_caption(text) == []


# -- split_name and is_unknown -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ", NameParts("СМИРНОВ", "ПАВЕЛ", "ВИКТОРОВИЧ")),
        ("Pavel Viktorovich Smirnov", NameParts("Smirnov", "Pavel", "Viktorovich")),
        ("Aleksey Ilich Yudin", NameParts("Yudin", "Aleksey", "Ilich")),
        ("ИВАН ПЕТРОВИЧ СИДОРОВ", NameParts("СИДОРОВ", "ИВАН", "ПЕТРОВИЧ")),
        ("БАБИЧ ИВАН ПЕТРОВИЧ", NameParts("БАБИЧ", "ИВАН", "ПЕТРОВИЧ")),
        ("ИВАН ПЕТРОВИЧ", NameParts(None, "ИВАН", "ПЕТРОВИЧ")),
        ("ШИН ЁН СУ", NameParts("ШИН", "ЁН СУ")),
        ("КИМ ЛЮБА", NameParts("КИМ", "ЛЮБА")),
        ("Kim Lyuba", NameParts("Kim", "Lyuba")),
        ("Sin Sun Ok", NameParts("Sin", "Sun Ok")),
        ("Ivan Petrov", NameParts("Petrov", "Ivan")),
        ("ИВАН СМИРНОВ", NameParts("СМИРНОВ", "ИВАН")),
        ("СМИРНОВ ИВАН", NameParts("СМИРНОВ", "ИВАН")),
        ("ПЁТР", NameParts(None, "ПЁТР")),
        ("ГУСЕВ", NameParts("ГУСЕВ")),
        ("신영수", NameParts("신", "영수")),
        ("", NameParts()),
    ],
)
def test_split_name(name: str, parts: NameParts) -> None:
    assert split_name(name) == parts


@pytest.mark.parametrize(
    ("name", "unknown"),
    [("НЕИЗВЕСТНЫЙ СОЛДАТ", True), ("Неизвестный матрос", True), ("СМИРНОВ ПАВЕЛ", False), ("", False)],
)
def test_is_unknown(name: str, unknown: bool) -> None:
    assert is_unknown(name) is unknown
    assert is_unknown(Person(name)) is unknown


# -- merging -------------------------------------------------------------------------------


def stone(text: str) -> list[Person]:
    return persons_in_inscription(text).persons


def test_merge_agreeing_person() -> None:
    merged, conflicts = merge_persons(
        persons_in_caption("The grave of Pavel Viktorovich Smirnov (1926-1945)."),
        stone("ЕФРЕЙТОР\nСМИРНОВ\nПАВЕЛ ВИКТОРОВИЧ\n1926 - 1945"),
    )
    assert merged == [
        Person(
            "СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ",
            "Smirnov Pavel Viktorovich",
            1926,
            1945,
            rank="ефрейтор",
            source="caption+ocr",
            sources=PersonSources(FieldSource.BOTH, FieldSource.BOTH, FieldSource.STONE),
        )
    ]
    assert conflicts == []


def test_merge_fills_gaps_from_the_caption() -> None:
    merged, conflicts = merge_persons(
        persons_in_caption("The grave of private Aleksey Ilich Yudin (1902-45)."),
        stone("ЮДИН АЛЕКСЕЙ ИЛЬИЧ\n1902 - 19"),
    )
    assert rows(merged) == [("ЮДИН АЛЕКСЕЙ ИЛЬИЧ", "Yudin Aleksey Ilyich", 1902, 1945, None, None, "рядовой")]
    assert [p.source for p in merged] == ["caption+ocr"]
    assert conflicts == []


def test_merge_keeps_stone_dates() -> None:
    merged, _ = merge_persons(
        persons_in_caption("The grave of Viktor Sergeyevich Gusev (1923-1948)."),
        stone("ГУСЕВ ВИКТОР СЕРГЕЕВИЧ\n08.03.1923—09.03.1948"),
    )
    assert rows(merged) == [
        ("ГУСЕВ ВИКТОР СЕРГЕЕВИЧ", "Gusev Viktor Sergeevich", 1923, 1948, "1923-03-08", "1948-03-09", None)
    ]


@pytest.mark.parametrize(
    ("caption", "inscription", "conflicts"),
    [
        pytest.param(
            "The grave of Pavel Viktorovich Smirnov (1925-1945).",
            "ЕФРЕЙТОР\nСМИРНОВ\nПАВЕЛ ВИКТОРОВИЧ\n1926 - 1945",
            ["birth year: caption 1925, stone 1926 (Smirnov Pavel Viktorovich)"],
            id="birth-year",
        ),
        pytest.param(
            "The grave of Anatoly Ivanovich Morozov (1900-1946).",
            "МОРОЗОВ АНАТОЛИЙ ИВАНОВИЧ\n1900 - 1945",
            ["death year: caption 1946, stone 1945 (Morozov Anatoly Ivanovich)"],
            id="death-year",
        ),
        pytest.param(
            "Морозов Анатолий Иванович (17.12.1901 – 10.12.1945).",
            "МОРОЗОВ АНАТОЛИЙ ИВАНОВИЧ\n17.12.1900—10.12.1945",
            [
                "birth year: caption 1901, stone 1900 (Morozov Anatoly Ivanovich)",
                "birth date: caption 1901-12-17, stone 1900-12-17 (Morozov Anatoly Ivanovich)",
            ],
            id="birth-date",
        ),
    ],
)
def test_merge_conflicts_keep_both_readings(caption: str, inscription: str, conflicts: list[str]) -> None:
    ocr = stone(inscription)
    from_caption = persons_in_caption(caption)
    merged, found = merge_persons(from_caption, ocr)
    assert found == conflicts
    assert merged == [*from_caption, *ocr]
    assert [p.source for p in merged] == ["caption", "ocr"]


@pytest.mark.parametrize(
    ("caption", "ocr", "conflicts"),
    [
        pytest.param(
            Person("Тихонов Евгений Фёдорович", "Tikhonov Yevgeny Fyodorovich", 1897, 1954),
            Person("ТИХОНОВ ЕВГЕНИИ ФИЛИППОВИЧ", "Tikhonov Yevgenii Filippovich", 1897, 1954, source="ocr"),
            ["name: caption Тихонов Евгений Фёдорович, stone ТИХОНОВ ЕВГЕНИИ ФИЛИППОВИЧ"],
            id="a-slip-and-another-patronymic",
        ),
        pytest.param(
            Person("Тихонов Евгений Фёдорович", "Tikhonov Yevgeny Fyodorovich", 1897, 1954),
            Person("ТИХОНОВ ЕВГЕНИЙ ФИЛИППОВИЧ", "Tikhonov Yevgeny Filippovich", 1897, 1954, source="ocr"),
            ["name: caption Тихонов Евгений Фёдорович, stone ТИХОНОВ ЕВГЕНИЙ ФИЛИППОВИЧ"],
            id="same-script-other-patronymic",
        ),
        pytest.param(
            Person("Pavel Viktorovich Smirnov", "Smirnov Pavel Viktorovich", 1925, 1945),
            Person("СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ", "Smirnov Pavel Viktorovich", 1926, 1946, source="ocr"),
            [
                "birth year: caption 1925, stone 1926 (Smirnov Pavel Viktorovich)",
                "death year: caption 1945, stone 1946 (Smirnov Pavel Viktorovich)",
            ],
            id="both-years",
        ),
    ],
)
def test_merge_name_conflicts(caption: Person, ocr: Person, conflicts: list[str]) -> None:
    assert merge_persons([caption], [ocr]) == ([caption, ocr], conflicts)


def test_merge_one_shared_word_with_other_years_is_two_people() -> None:
    caption = Person("Khan Pyotr", "Khan Pyotr", 1927, 1951)
    ocr = Person("ЛИ ПЁТР", "Li Pyotr", 1930, 1951, source="ocr")
    assert merge_persons([caption], [ocr]) == ([caption, ocr], [])


@pytest.mark.parametrize(
    ("caption", "ocr"),
    [
        pytest.param(
            Person("Тихонов Евгений Фёдорович", "Tikhonov Yevgeny Fyodorovich", 1897, 1954),
            Person("ТИХОНОВ ЕВГЕНИИ ФЕДОРОВИЧ", "Tikhonov Yevgenii Fedorovich", 1897, 1954, source="ocr"),
            id="same-script-one-letter",
        ),
        pytest.param(
            Person("Khan Pyotr", "Khan Pyotr", 1927, 1951),
            Person("УАН ПЁТР", "Uan Pyotr", 1927, 1951, source="ocr"),
            id="misread-surname-across-scripts",
        ),
        pytest.param(
            Person("Островский Олег Петрович", "Ostrovsky Oleg Petrovich", 1901, 1945),
            Person("ЮСТРОВСКИЙ ОЛЕГ", "Yustrovsky Oleg", 1901, 1945, source="ocr"),
            id="first-letter-worn-given-name-right",
        ),
        pytest.param(
            Person("Островский Олег Петрович", "Ostrovsky Oleg Petrovich", 1901, 1945),
            Person("ЮТРОВСКИЙ ОЛЕГ", "Yutrovsky Oleg", 1901, 1945, source="ocr"),
            id="first-two-letters-worn-into-one",
        ),
    ],
)
def test_a_name_read_with_one_slipped_letter_agrees(caption: Person, ocr: Person) -> None:
    # One letter read otherwise, beside words read right: an OCR misreading of the same
    # name, not a disagreement for a reviewer. The entry keeps the caption's spelling.
    merged, conflicts = merge_persons([caption], [ocr])
    assert conflicts == []
    assert [(p.name, p.sources.name, p.sources.years) for p in merged] == [(caption.name, "both", "both")]


def test_a_slipped_letter_is_not_enough_when_the_years_differ() -> None:
    caption = Person("Khan Pyotr", "Khan Pyotr", 1927, 1951)
    ocr = Person("УАН ПЁТР", "Uan Pyotr", 1930, 1951, source="ocr")
    assert merge_persons([caption], [ocr]) == ([caption, ocr], ["birth year: caption 1927, stone 1930 (Uan Pyotr)"])


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Vladimir Yurevich Lebedev", "ЛЕБЕДЕВ\nВЛАДИМИР ЮРЬЕВИЧ"),
        ("Alexey Ilyich Yudin", "ЮДИН АЛЕКСЕЙ ИЛЬИЧ"),
        ("Boris Fedorovich Nikolaev", "НИКОЛАЕВ БОРИС ФЁДОРОВИЧ"),
        ("Boris Viktorovich Zaitsev", "ЗАЙЦЕВ\nБОРИС ВИКТОРОВИЧ"),
        ("Grigory Georgievich Alekseyev", "АЛЕКСЕЕВ\nГРИГОРИЙ ГЕОРГИЕВИЧ"),
        ("Nikolai Borisovich Borisov", "БОРИСОВ\nНИКОЛАЙ БОРИСОВИЧ"),
        ("Yevgeny Fyodorovich Tikhonov", "ТИХОНОВ\nЕВГЕНИЙ ФЕДОРОВИЧ"),
        ("Tsoi Kolya", "ЦОЙ КОЛЯ"),
        ("Sin Sun Ok", "ШИН СУН ОК"),
        ("Khan Pyotr", "ХАН ПЁТР"),
        ("Ten Ivan", "ТЁН ИВАН"),
    ],
)
def test_merge_tolerates_romanisation_variants(latin: str, cyrillic: str) -> None:
    merged, conflicts = merge_persons(
        persons_in_caption(f"The grave of {latin} (1900-1950)."), stone(f"{cyrillic}\n1900-1950")
    )
    assert [(p.name, p.source) for p in merged] == [(cyrillic.replace("\n", " "), "caption+ocr")]
    assert conflicts == []


def test_merge_same_name_cyrillic_yo_folded() -> None:
    merged, conflicts = merge_persons(
        persons_in_caption("Тихонов Евгений Фёдорович (1897-1954)."), stone("ТИХОНОВ ЕВГЕНИЙ ФЕДОРОВИЧ\n1897-1954")
    )
    assert [(p.name, p.source) for p in merged] == [("ТИХОНОВ ЕВГЕНИЙ ФЕДОРОВИЧ", "caption+ocr")]
    assert conflicts == []


def test_merge_couple_in_caption_order() -> None:
    merged, conflicts = merge_persons(
        persons_in_caption(
            "The grave of Sergey Konstantinovich Gusev (1922-1952) and Natalya Viktorovna Guseva (1902-1947)."
        ),
        stone("ГУСЕВА НАТАЛЬЯ ВИКТОРОВНА\n1902 — 1947\nГУСЕВ СЕРГЕЙ КОНСТАНТИНОВИЧ\n1922 — 1952"),
    )
    assert [(p.name, p.source) for p in merged] == [
        ("ГУСЕВ СЕРГЕЙ КОНСТАНТИНОВИЧ", "caption+ocr"),
        ("ГУСЕВА НАТАЛЬЯ ВИКТОРОВНА", "caption+ocr"),
    ]
    assert conflicts == []


def test_merge_one_sided_people_keep_their_source() -> None:
    merged, conflicts = merge_persons(
        persons_in_caption("The grave of Sergey Konstantinovich Gusev (1922-1952)."),
        stone("ГУСЕВА НАТАЛЬЯ ВИКТОРОВНА\n1902 — 1947"),
    )
    assert [(p.name, p.source) for p in merged] == [
        ("Sergey Konstantinovich Gusev", "caption"),
        ("ГУСЕВА НАТАЛЬЯ ВИКТОРОВНА", "ocr"),
    ]
    assert conflicts == []


def test_merge_with_an_empty_side() -> None:
    only_caption = persons_in_caption("Simply 'Pyotr' (1926-1958).")
    only_stone = stone("ПЁТР\n1926 — 1958")
    assert merge_persons(only_caption, []) == (only_caption, [])
    assert merge_persons([], only_stone) == (only_stone, [])


def test_merge_unknown_soldiers() -> None:
    merged, conflicts = merge_persons(
        persons_in_caption("'Unknown soldier', Pyongyang (1953)."), stone("НЕИЗВЕСТНЫЙ\nСОЛДАТ\n1953\nSOVIET ARMY")
    )
    assert rows(merged) == [("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", None, 1953, None, None, None)]
    assert [p.source for p in merged] == ["caption+ocr"]
    assert conflicts == []


def test_merge_unknown_soldier_never_pairs_with_a_name() -> None:
    merged, _ = merge_persons(
        persons_in_caption("The grave of an unknown Soviet soldier."), stone("СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ\n1926-1945")
    )
    assert [p.source for p in merged] == ["caption", "ocr"]


def test_a_genitive_caption_agrees_with_the_nominative_stone() -> None:
    caption = persons_in_caption("Могила лейтенанта Петрова Сергея Николаевича (1921-1945). Пхеньян.")
    stone = persons_in_inscription("ЛЕЙТЕНАНТ\nПЕТРОВ СЕРГЕЙ НИКОЛАЕВИЧ\n1921-1945").persons
    merged, conflicts = merge_persons(caption, stone)
    assert conflicts == []
    assert [(p.name, p.source, p.birth_year, p.death_year) for p in merged] == [
        ("ПЕТРОВ СЕРГЕЙ НИКОЛАЕВИЧ", "caption+ocr", 1921, 1945)
    ]


def test_a_wife_is_not_her_husband_declined() -> None:
    caption = persons_in_caption("Могила Петровой Натальи Ивановны (1921-1945).")
    stone = persons_in_inscription("ПЕТРОВ СЕРГЕЙ НИКОЛАЕВИЧ\n1921-1945").persons
    _, conflicts = merge_persons(caption, stone)
    assert conflicts and conflicts[0].startswith("name: caption ")


def test_a_lone_korean_surname_over_a_life_span_is_a_person() -> None:
    reading = persons_in_inscription("TEH\n1884-1949 |")
    assert [(p.name, p.birth_year, p.death_year) for p in reading.persons] == [("ТЕН", 1884, 1949)]
    assert reading.unparsed_years == []


def test_a_stone_read_in_part_agrees_with_the_fuller_caption() -> None:
    caption = persons_in_caption("Тён Иван (1884-1949). Советское гражданское кладбище, Пхеньян.")
    stone = persons_in_inscription("ТЁН\n1884-1949").persons
    merged, conflicts = merge_persons(caption, stone)
    assert conflicts == []
    assert [(p.name, p.name_latin, p.source) for p in merged] == [("Тён Иван", "Tyon Ivan", "caption+ocr")]


# -- per-field sources ---------------------------------------------------------------------

B, C, S = FieldSource.BOTH, FieldSource.CAPTION, FieldSource.STONE


def sourced(persons: list[Person]) -> list[tuple[str, str, PersonSources]]:
    return [(p.name, p.source, p.sources) for p in persons]


@pytest.mark.parametrize(
    ("caption", "inscription", "expected"),
    [
        pytest.param(
            "The grave of sergeant Oleg Petrovich Lapin (1921-1945).",
            "СЕРЖАНТ\nЛАПИН ОЛЕГ ПЕТРОВИЧ\n1921-1945",
            [("ЛАПИН ОЛЕГ ПЕТРОВИЧ", "caption+ocr", PersonSources(B, B, B))],
            id="agree",
        ),
        pytest.param(
            "Лапин Олег Петрович (1921-1945).",
            "ЛАПИН\n1921-1945",
            [("Лапин Олег Петрович", "caption+ocr", PersonSources(B, B, None))],
            id="stone-read-in-part",
        ),
        pytest.param(
            "The grave of Oleg Petrovich Lapin (1921-1945).",
            "ЛАПИН ОЛЕГ ПЕТРОВИЧ",
            [("ЛАПИН ОЛЕГ ПЕТРОВИЧ", "caption+ocr", PersonSources(B, C, None))],
            id="stone-without-years",
        ),
        pytest.param(
            "The grave of Oleg Petrovich Lapin (1921-1945).",
            "ЛАПИН ОЛЕГ ПЕТРОВИЧ\n1921 - 19",
            [("ЛАПИН ОЛЕГ ПЕТРОВИЧ", "caption+ocr", PersonSources(B, C, None))],
            id="stone-years-unreadable",
        ),
        pytest.param(
            "Могила лейтенанта Лапина (1921-1945).",
            "РЯДОВОЙ\nЛАПИН ОЛЕГ ПЕТРОВИЧ\n1921-1945",
            [
                ("Лапина", "caption", PersonSources(C, C, C)),
                ("ЛАПИН ОЛЕГ ПЕТРОВИЧ", "ocr", PersonSources(S, S, S)),
            ],
            id="conflict-keeps-each-reading-its-sources",
        ),
        pytest.param(
            "Wreath-laying at the cemetery.",
            "РЯДОВОЙ\nЛАПИН ОЛЕГ ПЕТРОВИЧ\n1921-1945",
            [("ЛАПИН ОЛЕГ ПЕТРОВИЧ", "ocr", PersonSources(S, S, S))],
            id="stone-only",
        ),
        pytest.param(
            "The grave of private Oleg Lapin (1921-1945).",
            "",
            [("Oleg Lapin", "caption", PersonSources(C, C, C))],
            id="caption-only",
        ),
        pytest.param(
            "The grave of Oleg Petrovich Lapin (1921-1945).",
            "ЛАПИН ОЛЕГ ПЕТРОВИЧ\n08.03.1921—09.05.1945",
            [("ЛАПИН ОЛЕГ ПЕТРОВИЧ", "caption+ocr", PersonSources(B, S, None))],
            id="stone-dates-beside-caption-years",
        ),
        pytest.param(
            "The grave of Oleg Lapin (1945).",
            "ЛАПИН ОЛЕГ\n1921-1945",
            [("ЛАПИН ОЛЕГ", "caption+ocr", PersonSources(B, S, None))],
            id="caption-gives-only-the-death-year",
        ),
        pytest.param(
            "'Unknown soldier', Wonsan (1926-1950).",
            "НЕИЗВЕСТНЫЙ СОЛДАТ\n1950",
            [("НЕИЗВЕСТНЫЙ СОЛДАТ", "caption+ocr", PersonSources(B, C, None))],
            id="stone-gives-only-the-death-year",
        ),
        pytest.param(
            "The grave of private Oleg Lapin (1921-1945).",
            "ЛАПИН ОЛЕГ\n1921-1945",
            [("ЛАПИН ОЛЕГ", "caption+ocr", PersonSources(B, B, C))],
            id="rank-from-the-caption",
        ),
        pytest.param(
            "The grave of private Oleg Lapin (1921-1945).",
            "СЕРЖАНТ\nЛАПИН ОЛЕГ\n1921-1945",
            [("ЛАПИН ОЛЕГ", "caption+ocr", PersonSources(B, B, S))],
            id="ranks-differ-the-stone-kept",
        ),
    ],
)
def test_per_field_sources_of_each_merge(caption: str, inscription: str, expected: list[object]) -> None:
    merged, _ = merge_persons(persons_in_caption(caption), persons_in_inscription(inscription).persons)
    assert sourced(merged) == expected


def test_readers_give_their_own_per_field_sources() -> None:
    assert [p.sources for p in persons_in_caption("The grave of Oleg Lapin (1921-1945).")] == [
        PersonSources(C, C, None)
    ]
    assert [p.sources for p in persons_in_inscription("ЛАПИН ОЛЕГ").persons] == [PersonSources(S, None, None)]


def test_a_stone_with_only_a_name_never_confirms_the_captions_years() -> None:
    # The stone's given name is all OCR read; the caption's years are filled in beside it.
    caption = persons_in_caption("The grave of Semyon Markovich Belov (1911-1946).")
    merged, conflicts = merge_persons(caption, persons_in_inscription("СЕМЁН").persons)
    assert conflicts == []
    assert rows(merged) == [("Semyon Markovich Belov", "Belov Semyon Markovich", 1911, 1946, None, None, None)]
    [person] = merged
    assert person.source == "caption+ocr"  # the entry as a whole: both readings went into it
    assert person.sources == PersonSources(FieldSource.BOTH, FieldSource.CAPTION, None)


# -- names across scripts and partial reads ------------------------------------------------------


@pytest.mark.parametrize(
    ("caption", "inscription", "name", "sources"),
    [
        pytest.param(
            "The grave of Nam Yong Hui (1920-1945).",
            "НАМ ЁН ХИ\n1920-1945",
            "НАМ ЁН ХИ",
            PersonSources(B, B, None),
            id="latin-caption-cyrillic-stone",
        ),
        pytest.param(
            "The grave of Nam Yong Hui (1920-1945).",
            "남영희\n1920-1945",
            "남영희",
            PersonSources(B, B, None),
            id="latin-caption-hangul-stone",
        ),
        pytest.param(
            "The grave of Nam Yonghui (1920-1945).",
            "남영희\n1920-1945",
            "남영희",
            PersonSources(B, B, None),
            id="given-name-in-one-word",
        ),
        pytest.param(
            "Нам Михаил (1920-1945).",
            "남 미하일\n1920-1945",
            "남미하일",
            PersonSources(B, B, None),
            id="russian-given-name-in-hangul",
        ),
        pytest.param(
            "Хан Анна (1930-1947).",
            "한 안나\n1930-1947",
            "한안나",
            PersonSources(B, B, None),
            id="doubled-letter-in-hangul",
        ),
        pytest.param(
            "The grave of Ri Hak Su (1917-1963).",
            "리학수\n1917-1963",
            "리학수",
            PersonSources(B, B, None),
            id="initial-sound-rule",
        ),
        pytest.param(
            "Морозов Игорь Петрович (1920-1945).",
            "ОРОЗОВ ИГОРЬ ПЕТРОВИЧ\n1920-1945",
            "Морозов Игорь Петрович",
            PersonSources(B, B, None),
            id="first-letter-lost",
        ),
        pytest.param(
            "Морозов Игорь Петрович (1920-1945).",
            "МОРОЗО ИГОРЬ ПЕТРОВИЧ\n1920-1945",
            "Морозов Игорь Петрович",
            PersonSources(B, B, None),
            id="last-letter-lost",
        ),
        pytest.param(
            "Лаптев Олег Васильевич (1920-1945).",
            "ОЛЕГ ВАСИЛЬЕВ\n1920-1945",
            "Лаптев Олег Васильевич",
            PersonSources(B, B, None),
            id="surname-lost-patronymic-cut-short",
        ),
        pytest.param(
            "The grave of Oleg Vasilyevich Laptev (1920-1945).",
            "АПТЕВ ОЛЕГ ВАСИЛЬЕВ\n1920-1945",
            "Oleg Vasilyevich Laptev",
            PersonSources(B, B, None),
            id="partial-read-across-scripts",
        ),
        pytest.param(
            "The grave of Alexander Orlov (1919-1945).",
            "ОРЛОВ АЛЕКСАНДР\n1919-1945",
            "ОРЛОВ АЛЕКСАНДР",
            PersonSources(B, B, None),
            id="romanisation-variant",
        ),
    ],
)
def test_names_agree_across_scripts_and_partial_reads(
    caption: str, inscription: str, name: str, sources: PersonSources
) -> None:
    merged, conflicts = merge_persons(persons_in_caption(caption), persons_in_inscription(inscription).persons)
    assert conflicts == []
    assert sourced(merged) == [(name, "caption+ocr", sources)]


@pytest.mark.parametrize(
    ("caption", "inscription", "conflicts"),
    [
        pytest.param(
            "Петров Игорь (1920-1945).",
            "ИВАНОВ ИГОРЬ\n1920-1945",
            ["name: caption Петров Игорь, stone ИВАНОВ ИГОРЬ"],
            id="another-surname",
        ),
        pytest.param(
            "The grave of Nam Yong Hui (1921-1945).",
            "НАМ ЁН ХИ\n1920-1945",
            ["birth year: caption 1921, stone 1920 (Nam Yon Khi)"],
            id="another-birth-year-across-scripts",
        ),
        pytest.param(
            "Морозов Игорь Петрович (1920-1945).",
            "ОРОЗОВ ИГОРЬ ПЕТРОВИЧ\n1920-1946",
            ["death year: caption 1945, stone 1946 (Orozov Igor Petrovich)"],
            id="partial-name-another-death-year",
        ),
    ],
)
def test_real_disagreements_still_conflict(caption: str, inscription: str, conflicts: list[str]) -> None:
    from_caption = persons_in_caption(caption)
    from_stone = persons_in_inscription(inscription).persons
    merged, found = merge_persons(from_caption, from_stone)
    assert found == conflicts
    assert merged == [*from_caption, *from_stone]


def test_same_person() -> None:
    caption = Person("Морозов Игорь Петрович", birth_year=1920, death_year=1945)
    assert same_person(caption, Person("ОРОЗОВ ИГОРЬ ПЕТРОВИЧ", birth_year=1920, death_year=1946, source="ocr"))
    assert not same_person(caption, Person("ЛАПИН ОЛЕГ", birth_year=1920, death_year=1945, source="ocr"))


# -- a stone's years without a name ------------------------------------------------------------


@pytest.mark.parametrize(
    ("inscription", "span", "unparsed"),
    [
        ("1908 - 1947", "1908 - 1947", ["1908 - 1947"]),
        ("НЕИЗВЕСТН.. \n 1922- 1950", "1922- 1950", ["1922- 1950"]),
        ("ВЕЧНАЯ ПАМЯТЬ\n1920-1945", "1920-1945", ["1920-1945"]),
    ],
)
def test_a_span_that_belongs_to_no_name_is_reported(inscription: str, span: str, unparsed: list[str]) -> None:
    reading = persons_in_inscription(inscription)
    assert reading.persons == []
    assert [(n.text, n.unparsed) for n in reading.nameless_spans] == [(span, tuple(unparsed))]
    assert reading.unparsed_years == unparsed


@pytest.mark.parametrize(
    ("inscription", "expected", "conflicts"),
    [
        pytest.param(
            "1908 - 1947",
            [("Oleg Lapin", "caption+ocr", PersonSources(C, B, None), 1908, 1947)],
            [],
            id="same-years",
        ),
        pytest.param(
            "НЕИЗВЕСТН.. \n 1908- 1947",
            [("Oleg Lapin", "caption+ocr", PersonSources(C, B, None), 1908, 1947)],
            [],
            id="beside-an-unread-word",
        ),
        pytest.param(
            "1918 - 1947",
            [
                ("Oleg Lapin", "caption", PersonSources(C, C, None), 1908, 1947),
                ("Oleg Lapin", "ocr", PersonSources(C, S, None), 1918, 1947),
            ],
            ["birth year: caption 1908, stone 1918 (Lapin Oleg)"],
            id="other-years",
        ),
        pytest.param(
            "1918 — 19471:",
            [
                ("Oleg Lapin", "caption", PersonSources(C, C, None), 1908, 1947),
                ("Oleg Lapin", "ocr", PersonSources(C, S, None), 1918, 1947),
            ],
            ["birth year: caption 1908, stone 1918 (Lapin Oleg)"],
            id="glued-digit",
        ),
    ],
)
def test_a_nameless_span_goes_to_the_captions_one_person(
    inscription: str, expected: list[object], conflicts: list[str]
) -> None:
    caption = persons_in_caption("The grave of Oleg Lapin (1908-1947).")
    reading = attach_nameless_span(caption, persons_in_inscription(inscription))
    assert (reading.unparsed_years, reading.nameless_spans) == ([], [])
    merged, found = merge_persons(caption, reading.persons)
    assert [(*row, p.birth_year, p.death_year) for row, p in zip(sourced(merged), merged, strict=True)] == expected
    assert found == conflicts


def test_the_glued_digit_is_a_recorded_correction() -> None:
    caption = persons_in_caption("The grave of Oleg Lapin (1908-1947).")
    reading = attach_nameless_span(caption, persons_in_inscription("1918 — 19471:"))
    assert reading.corrections == ["years read as 1918-1947 (OCR digits corrected)"]


@pytest.mark.parametrize(
    ("caption", "inscription"),
    [
        pytest.param(
            "The grave of Oleg Lapin (1908-1947) and Anna Lapina (1910-1950).", "1908 - 1947", id="two-in-the-caption"
        ),
        pytest.param("The grave of Oleg Lapin (1908-1947).", "1908 - 1947\n1910 - 1950", id="two-spans-on-the-stone"),
        pytest.param(
            "The grave of Oleg Lapin (1908-1947).",
            "ЛАПИН ОЛЕГ 1910-1950\nВЕЧНАЯ ПАМЯТЬ\n1908-1947",
            id="a-name-elsewhere",
        ),
        pytest.param("Wreath-laying at the cemetery.", "1908 - 1947", id="nobody-in-the-caption"),
    ],
)
def test_a_nameless_span_stays_unparsed_otherwise(caption: str, inscription: str) -> None:
    reading = persons_in_inscription(inscription)
    assert attach_nameless_span(persons_in_caption(caption), reading) is reading
    assert reading.unparsed_years != []


# -- implausible stone spans -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("caption", "expected", "conflicts"),
    [
        pytest.param(
            "The grave of Oleg Lapin (1938-1945).",
            [("Oleg Lapin", "caption", 1938, 1945), ("ЛАПИН ОЛЕГ", "ocr", 1838, 1945)],
            ["birth year: caption 1938, stone 1838 (Lapin Oleg)"],
            id="caption-disagrees",
        ),
        pytest.param(
            "The grave of Oleg Lapin (1945).",
            [("Oleg Lapin", "caption", None, 1945), ("ЛАПИН ОЛЕГ", "ocr", 1838, 1945)],
            [],
            id="caption-agrees-in-part",
        ),
        pytest.param(
            "The grave of Oleg Lapin (1838-1945).",
            [("ЛАПИН ОЛЕГ", "caption+ocr", 1838, 1945)],
            [],
            id="caption-gives-the-same",
        ),
    ],
)
def test_an_implausible_stone_span_is_never_merged_or_corrected(
    caption: str, expected: list[object], conflicts: list[str]
) -> None:
    stone = persons_in_inscription("ЛАПИН ОЛЕГ\n1838-1945").persons
    merged, found = merge_persons(persons_in_caption(caption), stone)
    assert [(p.name, p.source, p.birth_year, p.death_year) for p in merged] == expected
    assert found == conflicts


def test_an_implausible_stone_span_kept_beside_a_caption_person_without_years() -> None:
    caption = [Person("Oleg Lapin", "Lapin Oleg", sources=PersonSources(C, None, None))]
    stone = persons_in_inscription("ЛАПИН ОЛЕГ\n1838-1945").persons
    assert merge_persons(caption, stone) == ([*caption, *stone], [])


@pytest.mark.parametrize(
    ("caption", "inscription"),
    [
        # 정: Jong, and Тён as Soviet Koreans wrote it
        ("The grave of Jong Mi Son (1920-1947).", "ТЁН МИ СОН\n1920-1947"),
        ("The grave of Jang Su Il (1917-1963).", "ТЯН СУ ИЛЬ\n1917-1963"),  # 장: Jang, Тян
        ("The grave of Choe Dong Ho (1911-1950).", "ЦОЙ ДОН ХО\n1911-1950"),  # 최: Choe, Цой
    ],
)
def test_the_spellings_of_one_korean_surname_agree(caption: str, inscription: str) -> None:
    merged, conflicts = merge_persons(persons_in_caption(caption), stone(inscription))
    assert conflicts == []
    assert [(p.source, p.sources.name) for p in merged] == [("caption+ocr", "both")]
