"""People named on a stone or in a caption: names, ranks, years, and merging the two.

This module owns the `persons` of a record: `persons_in_inscription` reads them from an
inscription as OCR gave it, `persons_in_caption` from a caption, and `merge_persons` pairs
the two readings. `split_name` splits any name into surname, given name and patronymic.
The closed vocabularies it leans on (ranks, Russian given names and their diminutives,
patronymics, Korean surnames in Cyrillic, epitaph words) are the small tables below.

Decisions a user should know:

- `Person.name` is the name as written: on a stone, as carved (upper case, surname first,
  the name's lines joined by single spaces: `СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ`), with the OCR
  corrections below applied; in a caption, as the caption writes it
  (`Pavel Viktorovich Smirnov`). A stone or caption with only a Hangul (or hanja) name
  gives that name. Russian case endings are not undone (`Могила Смирнова` keeps `Смирнова`).
- `Person.name_latin` is always surname first (`Smirnov Pavel Viktorovich`, `Kim Lyuba`),
  romanised by `text/translit.py`; an English caption's given-name-first order is turned
  round when `split_name` can tell the surname (a patronymic in the middle, or a known given
  name beside an unknown word). Compare names order-insensitively (`merge_persons` does).
- `Person.rank` is the Russian rank in lower case (`рядовой`, `гвардии сержант`); English
  caption ranks are mapped (`private` -> `рядовой`, `red navy sailor` -> `краснофлотец`).
- An unknown soldier is a Person named as carved (`НЕИЗВЕСТНЫЙ СОЛДАТ`, `НЕИЗВЕСТНЫЙ
  МАТРОС`; a caption's `unknown soldier` / `неизвестного солдата` gives the same Russian
  nominative) with the English `Unknown Soldier` (`Unknown Sailor`, ...; just `Unknown`
  when no noun was read) as `name_latin`; a lone year after it is its death year.
  `is_unknown` tells such a person from a named one.
- What is a name on a stone: consecutive lines of Cyrillic words (no epitaph word from
  `EPITAPH_WORDS`, at most five words) that hold a patronymic, a known given name, a
  Korean surname followed by more words, or initials; or any such lines followed by a life
  span (a lone word then needs a surname ending such as -ОВ, -ИН, -СКИЙ, -ЕНКО, -УК).
  A new person starts at a rank line, after a life span, or when a complete name is
  followed by a line that begins with a surname. A span goes to the name it follows.
  Lone lower-case scraps of one or two letters (`в.`, `й`) are OCR debris and dropped;
  Latin-only lines (`REST IN PEACE`, `SOVIET ARMY`) are never names.
- Hangul and hanja lines (`신영수`, `申順玉之墓`; `之墓` "grave of" is dropped) belong to the
  person whose name they follow; they come back in `InscriptionReading.names`, since the
  record's Person has no field for them.
- OCR corrections (all listed in `InscriptionReading.corrections`): Latin letters that look
  like Cyrillic ones (`ВЛАДИМИP` with a Latin P) are always turned Cyrillic, in a word that
  mixes the scripts or a word of look-alikes on a Cyrillic line; a word in a given-name,
  patronymic, rank or `НЕИЗВЕСТНЫЙ` position is corrected to the vocabulary word one edit
  away, only when it has 5+ letters and exactly one such word exists (`СЕРГЕИ` -> `СЕРГЕЙ`).
  Surnames are never corrected (ЕГОРОВА is one letter from ЕГОРОВНА). Years corrected by
  `text/years.py` are listed too.
- `InscriptionReading.unparsed_years` lists year-like text that gave no valid life span or
  that belongs to no name (`1926 - 19`, `1950-1940`, a span after an epitaph), so the
  caller can flag the record. A lone clean year on a stone with nobody named on it (a
  monument's `1945`) is not listed.
- Merging (`merge_persons`) pairs people by their Latin names, order-insensitively,
  through a reduced phonetic key (case, accents, ё/е, y/i, kh/h, sh/s, x/ks, doubled
  letters, `i` before a vowel: Yuryevich = Yurevich, Aleksey = Alexey, Nikolayev =
  Nikolaev, Zaytsev = Zaitsev, Fyodor = Fedor) and, for words of 4+ letters, a 0.8
  similarity ratio. A name that is a part of the other (`Pyotr` and `Khan Pyotr`) pairs
  too, after full matches. Any two unknown soldiers pair. Names that share only some
  words (two of them, or one with the same birth and death years: the caption's `Khan
  Pyotr` and a misread `УАН ПЁТР`) pair as a conflict on the name, whatever their scripts,
  so a misread stone is reviewed rather than listed as a second person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from ..record import Person
from .translit import to_latin
from .years import LifeSpan, find_life_spans, find_year_like, parse_year

# ---------------------------------------------------------------------------------------
# Vocabularies (nominative, as carved; compared after `fold`: upper case, Ё as Е)

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
_HANGUL_STOP = frozenset({"영원한", "영광", "조쏘친선", "해방", "기념비", "추모", "영생"})
_HAN_STOP = frozenset({"追慕", "之墓", "永眠", "烈士", "紀念碑", "永遠"})

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


_MALE = frozenset(fold(n) for n in MALE_NAMES)
_FEMALE_GIVEN = frozenset(fold(n) for n in FEMALE_NAMES) | {fold(n) for n in DIMINUTIVES}
_MALE_GIVEN = _MALE | {fold(n) for n in DIMINUTIVES}
GIVEN_NAMES = frozenset(fold(n) for n in (*MALE_NAMES, *FEMALE_NAMES, *DIMINUTIVES))
PATRONYMICS = frozenset(p for name in _MALE for p in _patronymics(name))
_KOREAN = frozenset(fold(n) for n in KOREAN_SURNAMES)
_RANKS = {fold(r): r for r in RANKS}
_RANK_WORDS = frozenset(w for r in _RANKS for w in r.split()) | {fold(RANK_PREFIX)}
_DISPLAY = {fold(n): n.upper() for n in (*MALE_NAMES, *FEMALE_NAMES, *DIMINUTIVES)}

# ---------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class NameParts:
    """A name split into its parts, each as written (or None when absent)."""

    surname: str | None = None
    given: str | None = None
    """The given name; for a Korean name all syllables after the surname (`ЁН СУ`)."""
    patronymic: str | None = None
    hangul: str | None = None
    """The Hangul line carved with the name (inscriptions only)."""
    hanja: str | None = None
    """The hanja line carved with the name, without `之墓` (inscriptions only)."""


@dataclass
class InscriptionReading:
    """What `persons_in_inscription` read: people, and what a reviewer should know."""

    persons: list[Person] = field(default_factory=list)
    names: list[NameParts] = field(default_factory=list)
    """The parts of each person's name, in the order of `persons`."""
    corrections: list[str] = field(default_factory=list)
    """Each OCR correction made, `'ВЛАДИМИP' -> 'ВЛАДИМИР' (Latin look-alike letters)`."""
    unparsed_years: list[str] = field(default_factory=list)
    """Year-like text that gave no valid life span, or a span that belongs to no name."""


# ---------------------------------------------------------------------------------------
# Name structure

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_INITIALS = re.compile(r"(?:[А-ЯЁA-Z]\.){1,2}")
_CYR_WORD = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)*")
_LATIN_PATRONYMIC = re.compile(r"(?:ovich|evich|ich|ovna|evna|ichna)$", re.IGNORECASE)


def _script(text: str) -> str:
    for name, pattern in (("cyrillic", _CYRILLIC), ("hangul", _HANGUL), ("han", _HAN), ("latin", _LATIN)):
        if pattern.search(text):
            return name
    return "none"


def _is_patronymic(word: str) -> bool:
    if _script(word) == "latin":
        return len(word) >= 5 and bool(_LATIN_PATRONYMIC.search(word))
    folded = fold(word)
    return folded in PATRONYMICS or (len(folded) >= 5 and folded.endswith(PATRONYMIC_ENDINGS))


def _is_given(word: str) -> bool:
    if _script(word) == "latin":
        return _latin_key(word) in _GIVEN_KEYS
    return fold(word) in GIVEN_NAMES


def _is_korean_surname(word: str) -> bool:
    if _script(word) == "latin":
        return _latin_key(word) in _KOREAN_KEYS
    return fold(word) in _KOREAN


def split_name(name: str) -> NameParts:
    """Surname, given name and patronymic of a name in any script and either order.

    Cyrillic is read surname first (as carved): `СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ`, `КИМ ЛЮБА`,
    `ШИН ЁН СУ` (given `ЁН СУ`), `ПЁТР` (a lone known given name). Latin follows captions:
    given name first (`Pavel Viktorovich Smirnov`), except when the first word is a Korean
    surname (`Kim Lyuba`). A patronymic fixes the order in either script. Hangul: the
    first syllable is the surname.
    """
    words = name.split()
    if not words:
        return NameParts()
    if len(words) == 1 and _script(name) == "hangul":
        return NameParts(surname=name[:1], given=name[1:] or None)
    latin = _script(name) == "latin"
    candidates = [i for i in range(1, len(words)) if _is_patronymic(words[i])]
    p = next((i for i in candidates if _is_given(words[i - 1])), candidates[-1] if candidates else None)
    if p is not None:
        before, after = words[: p - 1], words[p + 1 :]
        surname = " ".join(after) if after and not before else " ".join(before + after)
        return NameParts(surname or None, words[p - 1], words[p])
    if len(words) == 1:
        return NameParts(given=words[0]) if _is_given(words[0]) else NameParts(surname=words[0])
    if _is_korean_surname(words[0]):
        return NameParts(words[0], " ".join(words[1:]))
    if len(words) == 2:
        first, second = _is_given(words[0]), _is_given(words[1])
        if (first or latin) and not second:
            return NameParts(words[1], words[0])
        return NameParts(words[0], words[1])
    if latin:
        return NameParts(words[-1], " ".join(words[:-1]))
    return NameParts(words[0], " ".join(words[1:]))


def _surname_first(name: str) -> str:
    parts = split_name(name)
    return " ".join(p for p in (parts.surname, parts.given, parts.patronymic) if p) or name


def is_unknown(person: Person | str) -> bool:
    """Whether a person (or a name) is an unknown soldier, sailor, ... rather than a named one."""
    name = person.name if isinstance(person, Person) else person
    return fold(name).split(" ")[0] in UNKNOWN_WORDS


# ---------------------------------------------------------------------------------------
# OCR corrections


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b are exactly one substitution, insertion or deletion apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def _near(word: str, vocabulary: Iterable[str]) -> str | None:
    """The one vocabulary word one edit from `word` (5+ letters), or None."""
    folded = fold(word)
    if len(folded) < 5:
        return None
    found = {v for v in vocabulary if _one_edit(folded, v)}
    return found.pop() if len(found) == 1 else None


def _fix_lookalikes(line: str, corrections: list[str]) -> str:
    """Turn Latin look-alike letters Cyrillic in words that mix scripts (or on Cyrillic lines)."""
    cyrillic_line = bool(_CYRILLIC.search(line))
    out: list[str] = []
    for token in re.split(r"(\s+)", line):
        letters = [ch for ch in token if ch.isalpha()]
        has_cyr = any(_CYRILLIC.match(ch) for ch in letters)
        all_lookalike = all(_CYRILLIC.match(ch) or ch in LOOKALIKES for ch in letters)
        if letters and all_lookalike and (has_cyr or cyrillic_line) and any(ch in LOOKALIKES for ch in letters):
            fixed = "".join(LOOKALIKES.get(ch, ch) for ch in token)
            corrections.append(f"'{token}' -> '{fixed}' (Latin look-alike letters)")
            token = fixed
        if len(letters) >= 2 and has_cyr and sum(ch.isdigit() for ch in token) == 1 and re.search(r"[03]", token):
            fixed = token.replace("0", "О").replace("3", "З")
            corrections.append(f"'{token}' -> '{fixed}' (digit for a letter)")
            token = fixed
        out.append(token)
    return "".join(out)


def _correct(word: str, vocabulary: Iterable[str], what: str, corrections: list[str]) -> str:
    """`word`, or the one `vocabulary` word one edit away (recorded in `corrections`)."""
    vocab = list(vocabulary)
    if fold(word) in vocab:
        return word
    near = _near(word, vocab)
    if near is None:
        return word
    fixed = _DISPLAY.get(near, near)
    corrections.append(f"'{word}' -> '{fixed}' ({what}, one letter)")
    return fixed


def _read_rank(words: list[str], corrections: list[str]) -> tuple[str | None, int]:
    """(the rank the first words form, how many words it takes); (None, 0) if none."""
    for count in (3, 2, 1):
        if len(words) < count:
            continue
        trial: list[str] = []
        for word in words[:count]:
            trial.append(fold(word) if fold(word) in _RANK_WORDS else fold(_correct(word, _RANK_WORDS, "rank", [])))
        prefix = trial[0] == fold(RANK_PREFIX)
        phrase = " ".join(trial[1:] if prefix else trial)
        if phrase in _RANKS:
            for word, fixed in zip(words[:count], trial, strict=True):
                if fold(word) != fixed:
                    corrections.append(f"'{word}' -> '{fixed}' (rank, one letter)")
            rank = _RANKS[phrase]
            return (f"{RANK_PREFIX} {rank}" if prefix else rank), count
    return None, 0


# ---------------------------------------------------------------------------------------
# Inscriptions


@dataclass
class _Draft:
    words: list[str] = field(default_factory=list)
    rank: str | None = None
    unknown: list[str] | None = None
    hangul: str | None = None
    hanja: str | None = None
    span: LifeSpan | None = None
    death_year: int | None = None


_LONE_YEAR = re.compile(r"^[\s(]*(?P<y>[0-9ОоOoЗзlI|б](?:\s?[0-9ОоOoЗзlI|б]){3})\s*(?:[гГ]{1,2}\.?)?[\s).]*$")
_YEAR_MARK = re.compile(r"(\d)\s*[гГ]{1,2}\.")
_PUNCT = "\"'«»“”„,;:!?()[]{}|_*^~#<>/\\"


class _StoneReader:
    """Reads an inscription line by line, gathering names, ranks and spans into people."""

    def __init__(self) -> None:
        self.done: list[_Draft] = []
        self.current: _Draft | None = None
        self.rank: str | None = None
        self.corrections: list[str] = []
        self.used: list[tuple[int, int]] = []

    # events -------------------------------------------------------------------------
    def name_line(self, words: list[str]) -> None:
        cur = self.current
        if cur is not None and cur.unknown is not None and len(cur.unknown) == 1 and len(words) == 1:
            noun = _correct(words[0], UNKNOWN_NOUNS, "noun", self.corrections)
            if fold(noun) in UNKNOWN_NOUNS:
                cur.unknown.append(noun)
                return
        if cur is not None and (cur.unknown is not None or (cur.words and _starts_new_person(cur.words, words))):
            self.close()
        if self.current is None:
            self.current = _Draft(rank=self.take_rank())
        self.current.words.extend(words)

    def rank_line(self, rank: str, words: list[str]) -> None:
        cur = self.current
        if cur is not None and cur.unknown is not None and len(cur.unknown) == 1 and fold(words[-1]) in UNKNOWN_NOUNS:
            cur.unknown.append(words[-1])
            return
        self.close()
        self.rank = rank

    def unknown(self, words: list[str]) -> None:
        self.close()
        self.current = _Draft(unknown=words, rank=self.take_rank())

    def script_line(self, kind: str, text: str) -> None:
        """A Hangul or hanja name line: it belongs to the name it follows."""
        target = self.current
        if target is None and self.done and self.done[-1].unknown is None:
            target = self.done[-1]
        if target is None or getattr(target, kind) is not None:
            self.close()
            target = self.current = _Draft(rank=self.take_rank())
        setattr(target, kind, text)

    def span(self, span: LifeSpan, offset: int) -> None:
        placed = replace(span, start=span.start + offset, end=span.end + offset)
        target = self.current
        if target is not None and target.span is None and target.death_year is None:
            target.span = placed
            self.close()
            if not self.done or self.done[-1] is not target:
                return  # the words before it were no name: the span belongs to nobody
        elif target is None and self.done and self.done[-1].span is None and self.done[-1].death_year is None:
            self.done[-1].span = placed
        else:
            self.close()
            return
        self.used.append((placed.start, placed.end))
        if span.corrected:
            self.corrections.append(f"years read as {_span_text(span)} (OCR digits corrected)")

    def lone_year(self, year: int, start: int, end: int, corrected: bool) -> None:
        target = self.current
        if target is None and self.done and self.done[-1].unknown is not None:
            target = self.done[-1]
        if target is not None and target.unknown is not None and target.span is None and target.death_year is None:
            target.death_year = year
            self.used.append((start, end))
            if corrected:
                self.corrections.append(f"year read as {year} (OCR digits corrected)")
        self.close()

    def other(self) -> None:
        self.close()

    # state --------------------------------------------------------------------------
    def take_rank(self) -> str | None:
        rank, self.rank = self.rank, None
        return rank

    def close(self) -> None:
        draft, self.current = self.current, None
        if draft is None:
            return
        fixes: list[str] = []
        if draft.words:
            draft.words = _correct_slots(draft.words, fixes)
        if _is_person(draft):
            self.done.append(draft)
            self.corrections.extend(fixes)


def _span_text(span: LifeSpan) -> str:
    return f"{span.birth_date or span.birth_year}-{span.death_date or span.death_year}"


def _starts_new_person(current: list[str], line: list[str]) -> bool:
    """Whether a name line starts another person rather than continuing `current`."""
    complete = (
        any(_is_patronymic(w) for w in current[1:])
        or any(_is_given(w) for w in current)
        or (len(current) >= 2 and _is_korean_surname(current[0]))
    )
    return complete and not _is_patronymic(line[0]) and not _is_given(line[0])


def _is_person(draft: _Draft) -> bool:
    if draft.unknown is not None:
        return True
    words = draft.words
    if not words:
        return draft.span is not None and bool(draft.hangul or draft.hanja)
    evidence = (
        any(_is_patronymic(w) for w in words[1:])
        or any(_is_given(w) for w in words)
        or (len(words) >= 2 and _is_korean_surname(words[0]))
        or any(_INITIALS.fullmatch(w) for w in words)
        or draft.hangul is not None
        or draft.hanja is not None
    )
    if evidence:
        return True
    surname_like = fold(words[0]).endswith(
        ("ОВ", "ЕВ", "ИН", "ЫН", "ОВА", "ЕВА", "ИНА", "ЫНА", "СКИЙ", "ЦКИЙ", "СКАЯ", "ЦКАЯ", "ЕНКО", "УК", "ЮК", "ИЧ")
    )
    return draft.span is not None and (len(words) >= 2 or surname_like)


def _correct_slots(words: list[str], corrections: list[str]) -> list[str]:
    """Vocabulary corrections in given-name and patronymic positions (never the surname)."""
    words = list(words)
    korean = _is_korean_surname(words[0]) and len(words) >= 2
    has_p = any(_is_patronymic(w) for w in words[1:])
    if len(words) >= 3 and not has_p and not korean:
        words[-1] = _correct(words[-1], PATRONYMICS, "patronymic", corrections)
        has_p = _is_patronymic(words[-1])
    if has_p:
        p = max(i for i in range(1, len(words)) if _is_patronymic(words[i]))
        if p >= 1 and not _is_given(words[p - 1]) and (p >= 2 or len(words) == 2):
            female = fold(words[p]).endswith("НА")  # the patronymic tells ЕВГЕНИЙ from ЕВГЕНИЯ
            names = _FEMALE_GIVEN if female else _MALE_GIVEN
            words[p - 1] = _correct(words[p - 1], names, "given name", corrections)
    elif len(words) == 2 and not _is_given(words[1]) and not korean:
        words[1] = _correct(words[1], GIVEN_NAMES, "given name", corrections)
    elif len(words) == 1 and not _is_given(words[0]):
        words[0] = _correct(words[0], GIVEN_NAMES, "given name", corrections)
    return words


def _classify(reader: _StoneReader, segment: str, start: int) -> None:
    """Feed one line (or the part of a line beside a span) to the reader."""
    text = segment.strip()
    if not text:
        return
    lone = _LONE_YEAR.match(text)
    if lone:
        token = lone.group("y")
        year = parse_year(token)
        if year is not None:
            at = start + segment.index(token)
            reader.lone_year(year, at, at + len(token), token != str(year))
            return
    script = _script(text)
    if script in ("hangul", "han") and not _CYRILLIC.search(text):
        if script == "hangul":
            compact = "".join(_HANGUL.findall(text))
            if 2 <= len(compact) <= 4 and len(text.split()) <= 3 and compact not in _HANGUL_STOP:
                reader.script_line("hangul", compact)
                return
        else:
            compact = "".join(_HAN.findall(text)).removesuffix("之墓").removesuffix("墓")
            if 2 <= len(compact) <= 4 and compact not in _HAN_STOP:
                reader.script_line("hanja", compact)
                return
        reader.other()
        return
    if script != "cyrillic":
        reader.other()
        return
    text = _YEAR_MARK.sub(r"\1", text)  # `1910 Г.` beside a year that gave no span
    words = [w.strip(_PUNCT) for w in text.split()]
    words = [w for w in words if any(ch.isalpha() for ch in w)]
    # OCR debris at the edge of a stone carved in capitals: `в.`, `й`, `ых`.
    words = [w for w in words if not (w.islower() and len(w.strip(".")) <= 2)]
    if not words:
        return
    head = _correct(words[0], UNKNOWN_WORDS, "unknown", reader.corrections)
    if fold(head) in UNKNOWN_WORDS:
        rest = [_correct(w, UNKNOWN_NOUNS, "noun", reader.corrections) for w in words[1:2]]
        reader.unknown([head, *rest])
        return
    if any(fold(w) in EPITAPH_WORDS for w in words):
        reader.other()
        return
    rank, taken = _read_rank(words, reader.corrections)
    if rank is not None:
        reader.rank_line(rank, words[:taken])
        words = words[taken:]
        if not words:
            return
    if 1 <= len(words) <= 5 and all(_CYR_WORD.fullmatch(w) or _INITIALS.fullmatch(w) for w in words):
        reader.name_line(words)
    else:
        reader.other()


def _unknown_person(words: list[str]) -> tuple[str, str]:
    """(name as carved, English name) of an unknown soldier's marker words."""
    if len(words) < 2:
        return words[0], "Unknown"
    return " ".join(words), f"Unknown {UNKNOWN_NOUNS.get(fold(words[1]), 'Soldier')}"


def _to_person(draft: _Draft, source: str) -> tuple[Person, NameParts]:
    span = draft.span
    person = Person("", rank=draft.rank, source=source, death_year=draft.death_year)
    if span is not None:
        person.birth_year, person.death_year = span.birth_year, span.death_year
        person.birth_date, person.death_date = span.birth_date, span.death_date
    if draft.unknown is not None:
        person.name, person.name_latin = _unknown_person(draft.unknown)
        return person, NameParts()
    if draft.words:
        name = " ".join(draft.words)
    else:
        name = draft.hangul or draft.hanja or ""
    person.name, person.name_latin = name, to_latin(_surname_first(name))
    return person, replace(split_name(name), hangul=draft.hangul, hanja=draft.hanja)


def persons_in_inscription(text: str) -> InscriptionReading:
    """The people an inscription (OCR text, one carved line per text line) names.

    See the module docstring for what is read, corrected and reported.
    """
    reader = _StoneReader()
    offset = 0
    text = unicodedata.normalize("NFC", text)
    for raw_line in text.split("\n"):
        line = _fix_lookalikes(raw_line, reader.corrections)
        position = 0
        for span in find_life_spans(line, allow_shorthand=False):
            _classify(reader, line[position : span.start], offset + position)
            reader.span(span, offset)
            position = span.end
        _classify(reader, line[position:], offset + position)
        offset += len(raw_line) + 1
    reader.close()
    reading = InscriptionReading(corrections=reader.corrections)
    for draft in reader.done:
        person, parts = _to_person(draft, "ocr")
        reading.persons.append(person)
        reading.names.append(parts)
    for start, end in find_year_like(text):
        if any(s < end and start < e for s, e in reader.used):
            continue
        token = text[start:end]
        if not reading.persons and parse_year(token) is not None and token.isdigit():
            continue  # a monument's year
        reading.unparsed_years.append(token)
    return reading


# ---------------------------------------------------------------------------------------
# Captions

_UNKNOWN_EN = re.compile(
    r"\bunknown\s+(?:soviet\s+|russian\s+|red\s+army\s+|red\s+navy\s+)?"
    r"(soldier|sailor|serviceman|warrior|airman|pilot|officer)\b(?!s)",
    re.IGNORECASE,
)
_UNKNOWN_RU = re.compile(
    r"\bнеизвестн(?:ый|ого|ому|ым|ом)\s+(?:советск\w+\s+)?"
    r"(солдат|матрос|воин|бо(?:ец|йц)|л[её]тчик|красноарме(?:ец|йц)|краснофлот(?:ец|ц)|моряк|офицер)",
    re.IGNORECASE,
)
_EN_NOUNS = {
    "soldier": "СОЛДАТ", "sailor": "МАТРОС", "serviceman": "ВОИН", "warrior": "ВОИН",
    "airman": "ЛЁТЧИК", "pilot": "ЛЁТЧИК", "officer": "ОФИЦЕР",
}  # fmt: skip
_RU_NOUNS = {
    "солдат": "СОЛДАТ", "матрос": "МАТРОС", "воин": "ВОИН", "боец": "БОЕЦ", "бойц": "БОЕЦ",
    "лётчик": "ЛЁТЧИК", "летчик": "ЛЁТЧИК", "красноармеец": "КРАСНОАРМЕЕЦ", "красноармейц": "КРАСНОАРМЕЕЦ",
    "краснофлотец": "КРАСНОФЛОТЕЦ", "краснофлотц": "КРАСНОФЛОТЕЦ", "моряк": "МОРЯК", "офицер": "ОФИЦЕР",
}  # fmt: skip
_LONE_CAPTION_YEAR = re.compile(r"\(\s*(\d{4})\s*(?:г\.?|гг\.?)?\s*\)")
_CLAUSE_BREAK = re.compile(r"(?<=[a-zа-яё\d)])\.\s|[,;:()]|\s[–—-]\s")
_LEAD_IN = re.compile(
    r"^(?:(?:the\s+)?(?:grave|tomb|headstone|burial|resting\s+place)s?\s+of\s+(?:the\s+)?|simply\s+|and\s+|и\s+|"
    r"(?:могила|надгробие|захоронение)\s+)",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"[A-Z][A-Za-z'’-]*|[А-ЯЁ][А-Яа-яЁё-]*|[\uac00-\ud7a3]+|(?:[A-ZА-ЯЁ]\.){1,2}")
_CAPTION_STOP = frozenset(
    """the grave simply soviet unknown russian korean embassy photo monument memorial cemetery obelisk
    liberation victory day могила советское советский кладбище памятник обелиск""".split()
)
_QUOTES = "'\"‘’“”«»"


def _russian_rank_forms() -> dict[str, str]:
    """Rank phrases in the nominative and genitive (`рядового`, `старшего лейтенанта`)."""

    def genitive(word: str) -> str:
        if word.endswith(("ой", "ый")):
            return word[:-2] + "ого"
        if word.endswith("ий"):
            return word[:-2] + "его"
        if word.endswith("а"):
            return word[:-1] + "ы"
        if word.endswith("ец"):
            return word[:-2] + ("йца" if word.endswith("еец") else "ца")
        return word + "а"

    forms: dict[str, str] = {}
    for rank in RANKS:
        forms[rank] = rank
        forms[" ".join("-".join(genitive(p) for p in w.split("-")) for w in rank.split())] = rank
    return forms


_CAPTION_RANKS = {**ENGLISH_RANKS, **_russian_rank_forms()}


def _caption_rank(clause: str) -> tuple[str | None, str]:
    """(rank, the rest of the clause) when the clause starts with a rank phrase."""
    lowered = clause.lower().replace("ё", "е")
    rank: str | None = None
    guards = False
    for prefix in ("guards ", "гвардии "):
        if lowered.startswith(prefix):
            guards, clause, lowered = True, clause[len(prefix) :], lowered[len(prefix) :]
    for phrase in sorted(_CAPTION_RANKS, key=len, reverse=True):
        folded = phrase.replace("ё", "е")
        if lowered.startswith(folded + " "):
            rank, clause = _CAPTION_RANKS[phrase], clause[len(phrase) + 1 :]
            break
    if guards and rank is not None:
        rank = f"{RANK_PREFIX} {rank}"
    return rank, clause


def _caption_name(before: str, need_anchor: bool) -> tuple[str, str | None] | None:
    """(name, rank) from the clause that ends where the years begin, or None."""
    clause = _CLAUSE_BREAK.split(before)[-1].strip().strip(_QUOTES).strip()
    anchored = False
    while (lead := _LEAD_IN.match(clause)) is not None:
        anchored, clause = True, clause[lead.end() :].strip().strip(_QUOTES).strip()
    rank, clause = _caption_rank(clause)
    words = [w.strip(_QUOTES) for w in clause.split()]
    words = [w for w in words if w]
    if not 1 <= len(words) <= 5 or not all(_NAME_WORD.fullmatch(w) for w in words):
        return None
    if any(w.lower() in _CAPTION_STOP for w in words):
        return None
    whole_hangul = len(words) == 1 and _script(words[0]) == "hangul" and 2 <= len(words[0]) <= 4
    anchored = anchored or rank is not None or (len(words) == 1 and (_is_given(words[0]) or whole_hangul))
    if (len(words) == 1 or need_anchor) and not anchored:
        return None
    return " ".join(words), rank


def _latin_form(name: str) -> str:
    return to_latin(_surname_first(name))


def persons_in_caption(text: str) -> list[Person]:
    """The people a caption names, in order, with `source="caption"`.

    A person is a name right before a life span in brackets, `The grave of [rank] NAME
    (1925-1945)`, `Simply 'Pyotr' (1926-1958)`, `Тихонов Евгений Фёдорович (1897-1954)`, or
    two joined by `and`; a single bracketed year after a name introduced by `grave of`
    is the death year; an unknown soldier (`unknown soldier`, `неизвестного солдата`) with
    the first bracketed year or span after it. Places and credit lines are not people: a
    name must follow a lead-in (`The grave of`, `Simply`, `and`, `Могила`, a rank) or begin
    its clause, and a one-word name needs a lead-in, a known given name, or to be a whole
    Hangul name (`신영수 (1900-1947)`).
    """
    text = unicodedata.normalize("NFC", text)
    people: list[tuple[int, Person]] = []
    spans = find_life_spans(text, allow_shorthand=True)
    years: list[tuple[int, int, int | None, int, LifeSpan | None]] = [
        (s.start, s.end, s.birth_year, s.death_year or 0, s) for s in spans
    ]
    for match in _LONE_CAPTION_YEAR.finditer(text):
        year = parse_year(match.group(1))
        if year is not None and not any(s.start <= match.start(1) < s.end for s in spans):
            years.append((match.start(1), match.end(1), None, year, None))
    years.sort(key=lambda item: item[0])
    used: set[int] = set()
    for pattern, nouns in ((_UNKNOWN_EN, _EN_NOUNS), (_UNKNOWN_RU, _RU_NOUNS)):
        for match in pattern.finditer(text):
            noun = nouns[match.group(1).lower()]
            after = [y for y in years if y[0] >= match.end() and y[0] not in used]
            person = Person(f"НЕИЗВЕСТНЫЙ {noun}", f"Unknown {UNKNOWN_NOUNS[fold(noun)]}", source="caption")
            if after:
                start, _, birth, death, span = after[0]
                used.add(start)
                person.birth_year, person.death_year = birth, death
                if span is not None:
                    person.birth_date, person.death_date = span.birth_date, span.death_date
            people.append((match.start(), person))
    for start, _, birth, death, span in years:
        if start in used:
            continue
        before = text[:start].rstrip()
        if not before.endswith("("):
            continue
        found = _caption_name(before[:-1], need_anchor=span is None)
        if found is None:
            continue
        name, rank = found
        person = Person(name, _latin_form(name), birth, death, rank=rank, source="caption")
        if span is not None:
            person.birth_date, person.death_date = span.birth_date, span.death_date
        people.append((start, person))
    return [person for _, person in sorted(people, key=lambda item: item[0])]


# ---------------------------------------------------------------------------------------
# Merging caption and stone


def _latin_key(word: str) -> str:
    """A reduced phonetic key of one Latin word (see the module docstring)."""
    w = "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if "a" <= ch <= "z")
    for old, new in (("x", "ks"), ("yo", "e"), ("kh", "h"), ("sh", "s"), ("y", "i")):
        w = w.replace(old, new)
    w = re.sub(r"(.)\1+", r"\1", w)
    w = re.sub(r"i(?=[aeiou])", "", w)
    return re.sub(r"(.)\1+", r"\1", w)


_GIVEN_KEYS = frozenset(_latin_key(to_latin(n)) for n in (*MALE_NAMES, *FEMALE_NAMES, *DIMINUTIVES))
_KOREAN_KEYS = frozenset(
    {_latin_key(to_latin(n)) for n in KOREAN_SURNAMES} | {_latin_key(n) for n in KOREAN_SURNAMES_LATIN}
)


def _keys(person: Person) -> list[str]:
    latin = person.name_latin or to_latin(person.name)
    return [k for k in (_latin_key(w) for w in re.split(r"[\s-]+", latin)) if k]


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) >= 2 and abs(len(a) - len(b)) <= 1 and (a.startswith(b) or b.startswith(a)):
        return True
    return min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= 0.8


@dataclass(frozen=True)
class _Match:
    score: float
    """Words matched over the words of the longer name (1.0 for two unknown soldiers)."""
    whole: bool
    """Every word of the shorter name found in the other (romanisation variants allowed)."""


def _name_match(a: Person, b: Person) -> _Match | None:
    """How two people's names agree, or None when they cannot be the same person.

    Pairs: every word of the shorter name matches; or two words match; or one word matches
    and both give the same birth and death years (the stone's other words misread).
    """
    if is_unknown(a) or is_unknown(b):
        return _Match(1.0, True) if is_unknown(a) and is_unknown(b) else None
    ka, kb = _keys(a), _keys(b)
    short, long_ = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    free = list(long_)
    matched = 0
    for key in short:
        hit = next((other for other in free if _same_word(key, other)), None)
        if hit is not None:
            free.remove(hit)
            matched += 1
    whole = bool(short) and matched == len(short)
    same_years = a.birth_year is not None and (a.birth_year, a.death_year) == (b.birth_year, b.death_year)
    if whole or matched >= 2 or (matched == 1 and same_years):
        return _Match(matched / len(long_), whole)
    return None


def _differences(caption: Person, stone: Person, match: _Match) -> list[str]:
    label = stone.name_latin or stone.name
    lines: list[str] = []
    for attr, what in (
        ("birth_year", "birth year"),
        ("death_year", "death year"),
        ("birth_date", "birth date"),
        ("death_date", "death date"),
    ):
        c, s = getattr(caption, attr), getattr(stone, attr)
        if c is not None and s is not None and c != s:
            lines.append(f"{what}: caption {c}, stone {s} ({label})")
    if is_unknown(caption) or is_unknown(stone):
        return lines
    stone_words = fold(stone.name).split()
    same_script = _script(caption.name) == _script(stone.name)
    differs = same_script and any(word not in stone_words for word in fold(caption.name).split())
    if differs or not match.whole:
        lines.append(f"name: caption {caption.name}, stone {stone.name}")
    return lines


def merge_persons(caption: list[Person], ocr: list[Person]) -> tuple[list[Person], list[str]]:
    """Pair the caption's people with the stone's; return (persons, conflict details).

    A pair that agrees becomes one entry with both sources (`caption+ocr`): the stone's
    name as carved, its rank, years and dates, each gap filled from the caption. A pair that
    disagrees on a year or date (or, in the same script, on the name) stays two entries,
    the caption's then the stone's, and each difference gives one detail line:
    `birth year: caption 1925, stone 1926 (Smirnov Pavel Viktorovich)`. People found in only
    one source are kept as they are. Output follows the caption's order; people only on
    the stone come last.
    """
    pairs: list[tuple[_Match, int, int]] = []
    for i, c in enumerate(caption):
        for j, s in enumerate(ocr):
            match = _name_match(c, s)
            if match is not None:
                pairs.append((match, i, j))
    pairs.sort(key=lambda item: (not item[0].whole, -item[0].score, item[1], item[2]))
    partner: dict[int, tuple[int, _Match]] = {}
    taken: set[int] = set()
    for match, i, j in pairs:
        if i not in partner and j not in taken:
            partner[i] = (j, match)
            taken.add(j)
    merged: list[Person] = []
    conflicts: list[str] = []
    for i, c in enumerate(caption):
        if i not in partner:
            merged.append(c)
            continue
        j, match = partner[i]
        s = ocr[j]
        differences = _differences(c, s, match)
        if differences:
            conflicts.extend(differences)
            merged.extend([c, s])
            continue
        merged.append(
            Person(
                name=s.name,
                name_latin=s.name_latin or c.name_latin,
                birth_year=s.birth_year if s.birth_year is not None else c.birth_year,
                death_year=s.death_year if s.death_year is not None else c.death_year,
                birth_date=s.birth_date or c.birth_date,
                death_date=s.death_date or c.death_date,
                rank=s.rank or c.rank,
                source=f"{c.source}+{s.source}",
            )
        )
    merged.extend(s for j, s in enumerate(ocr) if j not in taken)
    return merged, conflicts
