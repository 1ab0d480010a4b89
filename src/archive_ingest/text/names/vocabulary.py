"""The closed vocabularies that names are read with, and `fold`, the form they are compared in.

This module owns the small tables the readers lean on: Soviet ranks (`RANKS`, and the
English caption words for them in `ENGLISH_RANKS`), Russian given names and their
diminutives, patronymics, Korean surnames in Cyrillic and in Latin, epitaph words, what
may follow НЕИЗВЕСТНЫЙ, and the Latin letters OCR returns for Cyrillic ones (`LOOKALIKES`).
Entries are nominative, as carved; they are compared after `fold` (upper case, Ё as Е),
and the derived sets at the end (`GIVEN_NAMES`, `PATRONYMICS`, ...) hold folded forms.
"""

from __future__ import annotations

import unicodedata

#: Soviet ranks as carved, lower case. `гвардии` ("of the Guards") may precede any.
RANKS: tuple[str, ...] = (
    "рядовой", "красноармеец", "ефрейтор", "младший сержант", "сержант", "старший сержант",
    "старшина", "главный старшина", "краснофлотец", "матрос", "старший матрос", "мичман",
    "младший лейтенант", "лейтенант", "старший лейтенант", "капитан-лейтенант", "капитан",
    "майор", "подполковник", "полковник", "генерал-майор", "генерал-лейтенант",
    "генерал-полковник", "генерал армии", "политрук", "старший политрук", "военврач",
)  # fmt: skip
RANK_PREFIX = "гвардии"

#: English rank words in captions -> the Russian rank (longest phrase wins).
ENGLISH_RANKS: dict[str, str] = {
    "private": "рядовой", "red army man": "красноармеец", "red army soldier": "красноармеец",
    "red armyman": "красноармеец", "corporal": "ефрейтор", "lance corporal": "ефрейтор",
    "junior sergeant": "младший сержант", "sergeant": "сержант", "senior sergeant": "старший сержант",
    "sergeant major": "старшина", "petty officer": "старшина", "red navy sailor": "краснофлотец",
    "red navyman": "краснофлотец", "red navy man": "краснофлотец", "sailor": "матрос",
    "seaman": "матрос", "senior sailor": "старший матрос", "senior seaman": "старший матрос",
    "midshipman": "мичман", "junior lieutenant": "младший лейтенант", "lieutenant": "лейтенант",
    "senior lieutenant": "старший лейтенант", "captain lieutenant": "капитан-лейтенант",
    "captain": "капитан", "major": "майор", "lieutenant colonel": "подполковник",
    "colonel": "полковник", "major general": "генерал-майор", "lieutenant general": "генерал-лейтенант",
    "colonel general": "генерал-полковник", "general of the army": "генерал армии",
    "guards": RANK_PREFIX,
}  # fmt: skip

MALE_NAMES: tuple[str, ...] = tuple(
    """Александр Алексей Анатолий Андрей Антон Аркадий Арсений Афанасий Богдан Борис Вадим
    Валентин Валерий Василий Вениамин Виктор Виталий Владимир Владислав Всеволод Вячеслав
    Гавриил Геннадий Георгий Герасим Герман Глеб Григорий Давид Даниил Данила Демьян Денис
    Дмитрий Евгений Егор Емельян Ефим Захар Зиновий Иван Игнат Игорь Илларион Илья Иннокентий
    Иосиф Кирилл Климент Кондрат Константин Кузьма Лаврентий Лев Леонид Лука Макар Максим Марк
    Матвей Михаил Мирон Назар Никита Никифор Николай Олег Осип Остап Павел Пантелей Пётр Платон
    Прохор Роман Ростислав Савва Савелий Семён Сергей Спиридон Станислав Степан Тарас Тимофей
    Тихон Трофим Фёдор Филипп Фома Харитон Эдуард Юрий Яков Ярослав""".split()
)
FEMALE_NAMES: tuple[str, ...] = tuple(
    """Агафья Аграфена Александра Алевтина Алла Анастасия Анна Антонина Валентина Валерия
    Варвара Василиса Вера Вероника Галина Дарья Евгения Евдокия Екатерина Елена Елизавета
    Ефросинья Зинаида Зоя Инна Ирина Капитолина Клавдия Ксения Лариса Лидия Любовь Людмила Майя
    Маргарита Марина Мария Марфа Матрёна Надежда Наталья Наталия Нина Нинель Ольга Пелагея
    Полина Прасковья Раиса Римма Светлана Серафима Софья Таисия Тамара Татьяна Ульяна Фаина
    Юлия""".split()
)
#: Diminutives carved on the stones of children and of Soviet Koreans with Russian names.
DIMINUTIVES: tuple[str, ...] = tuple(
    """Шура Шурик Саша Наташа Люба Люда Коля Толя Валера Витя Володя Вова Ваня Петя Федя Миша
    Серёжа Алёша Лёша Дима Митя Женя Юра Гена Боря Костя Слава Стёпа Гриша Паша Лёня Вася Галя
    Валя Зина Катя Лена Лида Маша Надя Оля Таня Аня Клава Нюра Рая Света Соня Тоня Лиза Даша
    Маруся Дуся""".split()
)
#: Endings of patronymics (male -ович/-евич/-ич, female -овна/-евна/-ична/-инична).
PATRONYMIC_ENDINGS: tuple[str, ...] = ("ОВИЧ", "ЕВИЧ", "ИЧ", "ОВНА", "ЕВНА", "ИЧНА", "ИНИЧНА")
#: Patronymics that the regular rules in `_patronymics` do not give.
_IRREGULAR_PATRONYMICS: dict[str, tuple[str, ...]] = {
    "ПАВЕЛ": ("ПАВЛОВИЧ", "ПАВЛОВНА"), "ЛЕВ": ("ЛЬВОВИЧ", "ЛЬВОВНА"),
    "ЯКОВ": ("ЯКОВЛЕВИЧ", "ЯКОВЛЕВНА"), "МИХАИЛ": ("МИХАЙЛОВИЧ", "МИХАЙЛОВНА"),
    "ГАВРИИЛ": ("ГАВРИЛОВИЧ", "ГАВРИЛОВНА"), "ПЕТР": ("ПЕТРОВИЧ", "ПЕТРОВНА"),
    "ИЛЬЯ": ("ИЛЬИЧ", "ИЛЬИНИЧНА"), "КУЗЬМА": ("КУЗЬМИЧ", "КУЗЬМИНИЧНА"), "ЛУКА": ("ЛУКИЧ", "ЛУКИНИЧНА"),
    "ФОМА": ("ФОМИЧ", "ФОМИНИЧНА"), "НИКИТА": ("НИКИТИЧ", "НИКИТИЧНА"), "САВВА": ("САВВИЧ", "САВВИЧНА"),
    "ДАНИЛА": ("ДАНИЛОВИЧ", "ДАНИЛОВНА"),
}  # fmt: skip
#: Korean surnames as Soviet Koreans wrote them in Cyrillic (Тён/Тен is 전 in Pyongan speech).
KOREAN_SURNAMES: tuple[str, ...] = tuple(
    """Ким Пак Ли Хан Нам Цой Тён Тен Шин Син Хван Югай Когай Огай Дегай Тягай Шегай Магай Ан
    Ен Ём Кан Ко Мун Ни Пэ Пе Сон Со Тян Тхай Чо Чон Чен Чжон Ю Юн Ян Хе Хо Хон Лим Им Мин Ха
    Пай Тё Пён Чжан Чхве Чхон""".split()
)
#: Romanised forms of Korean surnames seen in English captions.
KOREAN_SURNAMES_LATIN: tuple[str, ...] = tuple(
    """Kim Pak Park Bak Li Lee Ri Yi Rhee Khan Han Nam Tsoi Tsoy Choi Choe Ten Tyon Jeon Chon Jon
    Shin Sin Khvan Hwang Hwan Yugai Kogai Ogai Degai An Ahn Kang Ko Moon Mun Yu Yoo Yun Yoon Yang
    Ho Hong Lim Im Min Ha Song Son Jang Chang Jung Jeong Chung Cho Jo""".split()
)
#: One Korean surname as it is written in Hangul, by Soviet Koreans in Cyrillic, and in the
#: Latin romanisations captions use (McCune-Reischauer, Revised, older English spellings).
#: Soviet Koreans wrote what they heard in the northern dialects, so one Cyrillic spelling
#: may stand for two Hangul names: Тён/Тен is 전 and 정 alike (Pyongan speech), Тян is 장.
#: Written down from the standard romanisations and common Koryo-saram spellings; not complete.
KOREAN_SURNAME_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("김", "Ким", "Kim", "Gim"),
    ("박", "Пак", "Pak", "Park", "Bak"),
    ("이", "리", "Ли", "Li", "Lee", "Ri", "Yi", "Rhee"),
    ("한", "Хан", "Han", "Khan"),
    ("남", "Нам", "Nam"),
    ("최", "Цой", "Чхве", "Tsoi", "Tsoy", "Choi", "Choe", "Chwe"),
    ("전", "정", "Тён", "Тен", "Чон", "Чен", "Чжон"),
    ("전", "정", "Tyon", "Ten", "Jeon", "Chon", "Jon", "Jeong", "Jong", "Chong", "Chung", "Jung"),
    ("신", "Шин", "Син", "Shin", "Sin"),
    ("황", "Хван", "Khvan", "Hwang", "Hwan"),
    ("강", "Кан", "Kang", "Kan", "Gang"),
    ("장", "Тян", "Чан", "Чжан", "Tyan", "Jang", "Chang"),
    ("조", "Чо", "Тё", "Cho", "Jo"),
    ("윤", "Юн", "Yun", "Yoon"),
    ("양", "Ян", "Yang"),
    ("송", "Сон", "Song"),
    ("안", "Ан", "An", "Ahn"),
    ("유", "Ю", "Yu", "Yoo"),
    ("임", "림", "Лим", "Им", "Lim", "Im", "Rim"),
    ("허", "Хе", "Хо", "Heo", "Hur", "Ho"),
    ("홍", "Хон", "Hong"),
    ("문", "Мун", "Mun", "Moon"),
    ("민", "Мин", "Min"),
    ("배", "Пэ", "Пе", "Bae", "Pae"),
    ("고", "Ко", "Ko", "Go"),
    ("편", "변", "Пён", "Pyon", "Pyeon", "Byeon"),
)  # fmt: skip

#: Words of epitaphs and monuments: a line holding one of these is no name.
EPITAPH_WORDS = frozenset(
    """ВЕЧНАЯ ВЕЧНЫЙ ВЕЧНО СЛАВА ПАМЯТЬ ПАМЯТИ ПОМНИМ СКОРБИМ ЛЮБИМ СКОРБЯТ ОТ И ЖЕНЫ ДЕТЕЙ
    СПИ СПОКОЙНО ГЕРОЮ ГЕРОЯМ ГЕРОЙ ГЕРОИ ТОВАРИЩЕЙ ТОВАРИЩУ ПО СЛУЖБЕ ДОРОГОМУ ДОРОГОЙ
    ДОРОГИМ МУЖУ ОТЦУ СЫНУ БРАТУ МАМЕ МАТЕРИ ЖЕНЕ ДОЧЕРИ ДОЧЕНЬКЕ СЫНОЧКУ ВНУКИ ДЕТИ РОДНЫЕ
    ПОГИБ ПОГИБЛА ПОГИБШИМ ПОГИБШЕМУ ВОИНАМ ВОИНУ СОВЕТСКОЙ СОВЕТСКИЙ СОВЕТСКОГО СОВЕТСКИМ
    АРМИИ ОСВОБОДИТЕЛЬНИЦЕ ОСВОБОДИТЕЛЯМ ЗДЕСЬ ПОКОИТСЯ ПОКОЯТСЯ ПОХОРОНЕН ПОХОРОНЕНА БРАТСКАЯ
    МОГИЛА В НА ЗА РОДИНУ ЧЕСТЬ СВОБОДУ КОРЕИ ЛЕТ ГОДА ГОДУ МИР ПРАХУ ТВОЕМУ НАШЕМУ НАШ НАША
    ЛЮБИМОМУ ЛЮБИМОЙ ВОЙНЫ ВОЙНЕ ОТЕЧЕСТВЕННОЙ ВЕЛИКОЙ БОЯХ СМЕРТЬЮ ХРАБРЫХ ПАВШИМ""".split()
)
#: What may follow НЕИЗВЕСТНЫЙ on a stone, and its English name for `name_latin`.
UNKNOWN_NOUNS: dict[str, str] = {
    "СОЛДАТ": "Soldier", "МАТРОС": "Sailor", "ВОИН": "Warrior", "БОЕЦ": "Soldier",
    "ЛЕТЧИК": "Airman", "КРАСНОАРМЕЕЦ": "Red Army Soldier", "КРАСНОФЛОТЕЦ": "Red Navy Sailor",
    "МОРЯК": "Sailor", "ОФИЦЕР": "Officer",
}  # fmt: skip
UNKNOWN_WORDS = ("НЕИЗВЕСТНЫЙ", "НЕИЗВЕСТНАЯ")

#: Latin letters tesseract returns for the Cyrillic letters they look like.
LOOKALIKES: dict[str, str] = dict(zip("ABCEHKMOPTXYaceopxyk", "АВСЕНКМОРТХУасеорхук", strict=True))


def fold(text: str) -> str:
    """The form names are compared in: NFC, upper case, Ё as Е, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).upper().replace("Ё", "Е").split())


def _patronymics(given: str) -> tuple[str, ...]:
    """Male and female patronymics from a male given name (folded)."""
    if given in _IRREGULAR_PATRONYMICS:
        return _IRREGULAR_PATRONYMICS[given]
    if given.endswith("ИЙ"):  # Юрий -> Юрьевич, Дмитрий -> Дмитриевич: keep both spellings
        stem = given[:-2]
        return (stem + "ЬЕВИЧ", stem + "ЬЕВНА", stem + "ИЕВИЧ", stem + "ИЕВНА")
    if given.endswith("Й"):  # Сергей -> Сергеевич, Николай -> Николаевич
        return (given[:-1] + "ЕВИЧ", given[:-1] + "ЕВНА")
    if given.endswith(("А", "Я")):
        return ()
    return (given + "ОВИЧ", given + "ОВНА")


# Derived sets, folded: what the readers compare a folded word against.
_MALE = frozenset(fold(n) for n in MALE_NAMES)
#: Female and male given names, diminutives in both: the patronymic after one tells which.
FEMALE_GIVEN = frozenset(fold(n) for n in FEMALE_NAMES) | {fold(n) for n in DIMINUTIVES}
MALE_GIVEN = _MALE | {fold(n) for n in DIMINUTIVES}
GIVEN_NAMES = frozenset(fold(n) for n in (*MALE_NAMES, *FEMALE_NAMES, *DIMINUTIVES))
PATRONYMICS = frozenset(p for name in _MALE for p in _patronymics(name))
#: KOREAN_SURNAMES folded.
KOREAN = frozenset(fold(n) for n in KOREAN_SURNAMES)
#: Each rank folded -> as carved; RANK_WORDS are the words these phrases are made of.
RANK_PHRASES = {fold(r): r for r in RANKS}
RANK_WORDS = frozenset(w for r in RANK_PHRASES for w in r.split()) | {fold(RANK_PREFIX)}
#: Each folded given name -> how it is carved (upper case, Ё kept), for corrections.
DISPLAY = {fold(n): n.upper() for n in (*MALE_NAMES, *FEMALE_NAMES, *DIMINUTIVES)}

#: Each folded spelling of a Korean surname -> its group: the group's first (Hangul) spelling.
KOREAN_SURNAME_GROUP = {fold(spelling): group[0] for group in KOREAN_SURNAME_SPELLINGS for spelling in group}
