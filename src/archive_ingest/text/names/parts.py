"""The structure of a name: its script, its parts, and whether it names anybody.

This module owns `NameParts` and `split_name` (surname, given name and patronymic of a
name in any script and either order), `is_unknown` (an unknown soldier rather than a
named one), `latin_form` (a name's `name_latin`, for a name a reviewer writes in), the
word tests the readers share (script, patronymic, given name, Korean surname), and
`latin_key`, the reduced phonetic key Latin words are compared by.

Decisions a user should know:

- Cyrillic is read surname first, as carved; Latin given name first, as captions write
  it, unless the first word is a Korean surname. A patronymic in the middle, or a known
  given name beside an unknown word, tells the surname in either script; this is how an
  English caption's name is turned round for `Person.name_latin`.
- `latin_key` reduces a Latin word to compare it: case, accents, ё/е, y/i, kh/h, sh/s,
  x/ks, doubled letters, `i` before a vowel (Yuryevich = Yurevich, Aleksey = Alexey,
  Nikolayev = Nikolaev, Zaytsev = Zaitsev, Fyodor = Fedor). Latin words are looked up in
  the given-name and Korean-surname vocabularies by it, and `merge_persons` pairs by it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ...record import Person
from ..translit import to_latin
from .vocabulary import (
    DIMINUTIVES,
    FEMALE_NAMES,
    GIVEN_NAMES,
    KOREAN,
    KOREAN_SURNAMES,
    KOREAN_SURNAMES_LATIN,
    MALE_NAMES,
    PATRONYMIC_ENDINGS,
    PATRONYMICS,
    UNKNOWN_NOUNS,
    UNKNOWN_WORDS,
    fold,
)


@dataclass(frozen=True)
class NameParts:
    """A name split into its parts, each as written (or None when absent)."""

    surname: str | None = None
    given: str | None = None
    """The given name; for a Korean name all syllables after the surname (`СОН ДЕ`)."""
    patronymic: str | None = None
    hangul: str | None = None
    """The Hangul line carved with the name (inscriptions only)."""
    hanja: str | None = None
    """The hanja line carved with the name, without `之墓` (inscriptions only)."""


#: A letter of the script (the Hangul range is the syllables; Han is the CJK ideographs).
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_PATRONYMIC = re.compile(r"(?:ovich|evich|ich|ovna|evna|ichna)$", re.IGNORECASE)


def latin_key(word: str) -> str:
    """A reduced phonetic key of one Latin word (see the module docstring)."""
    w = "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if "a" <= ch <= "z")
    for old, new in (("x", "ks"), ("yo", "e"), ("kh", "h"), ("sh", "s"), ("y", "i")):
        w = w.replace(old, new)
    w = re.sub(r"(.)\1+", r"\1", w)
    w = re.sub(r"i(?=[aeiou])", "", w)
    return re.sub(r"(.)\1+", r"\1", w)


_GIVEN_KEYS = frozenset(latin_key(to_latin(n)) for n in (*MALE_NAMES, *FEMALE_NAMES, *DIMINUTIVES))
_KOREAN_KEYS = frozenset(
    {latin_key(to_latin(n)) for n in KOREAN_SURNAMES} | {latin_key(n) for n in KOREAN_SURNAMES_LATIN}
)


def script_of(text: str) -> str:
    """The first script found in `text`: cyrillic, hangul, han, latin (in that order) or none."""
    for name, pattern in (("cyrillic", CYRILLIC), ("hangul", HANGUL), ("han", HAN), ("latin", _LATIN)):
        if pattern.search(text):
            return name
    return "none"


def is_patronymic(word: str) -> bool:
    """Whether a word is a patronymic (a known one, or a 5+ letter word with its ending)."""
    if script_of(word) == "latin":
        return len(word) >= 5 and bool(_LATIN_PATRONYMIC.search(word))
    folded = fold(word)
    return folded in PATRONYMICS or (len(folded) >= 5 and folded.endswith(PATRONYMIC_ENDINGS))


def is_given(word: str) -> bool:
    """Whether a word is a known given name or diminutive (Latin compared by `latin_key`)."""
    if script_of(word) == "latin":
        return latin_key(word) in _GIVEN_KEYS
    return fold(word) in GIVEN_NAMES


def is_korean_surname(word: str) -> bool:
    """Whether a word is a Korean surname, in Cyrillic or romanised."""
    if script_of(word) == "latin":
        return latin_key(word) in _KOREAN_KEYS
    return fold(word) in KOREAN


def split_name(name: str) -> NameParts:
    """Surname, given name and patronymic of a name in any script and either order.

    Cyrillic is read surname first (as carved): `КОМАРОВ ГЕННАДИЙ ЛЕОНИДОВИЧ`, `ЮН ЗОЯ`,
    `ЮН СОН ДЕ` (given `СОН ДЕ`), `ПЁТР` (a lone known given name). Latin follows captions:
    given name first (`Gennady Leonidovich Komarov`), except when the first word is a Korean
    surname (`Yun Zoya`). A patronymic fixes the order in either script. Hangul: the
    first syllable is the surname.
    """
    words = name.split()
    if not words:
        return NameParts()
    if len(words) == 1 and script_of(name) == "hangul":
        return NameParts(surname=name[:1], given=name[1:] or None)
    latin = script_of(name) == "latin"
    candidates = [i for i in range(1, len(words)) if is_patronymic(words[i])]
    p = next((i for i in candidates if is_given(words[i - 1])), candidates[-1] if candidates else None)
    if p is not None:
        before, after = words[: p - 1], words[p + 1 :]
        surname = " ".join(after) if after and not before else " ".join(before + after)
        return NameParts(surname or None, words[p - 1], words[p])
    if len(words) == 1:
        return NameParts(given=words[0]) if is_given(words[0]) else NameParts(surname=words[0])
    if is_korean_surname(words[0]):
        return NameParts(words[0], " ".join(words[1:]))
    if len(words) == 2:
        first, second = is_given(words[0]), is_given(words[1])
        if (first or latin) and not second:
            return NameParts(words[1], words[0])
        return NameParts(words[0], words[1])
    if latin:
        return NameParts(words[-1], " ".join(words[:-1]))
    return NameParts(words[0], " ".join(words[1:]))


def surname_first(name: str) -> str:
    """The name reordered surname, given name, patronymic (as `split_name` reads it)."""
    parts = split_name(name)
    return " ".join(p for p in (parts.surname, parts.given, parts.patronymic) if p) or name


def latin_form(name: str) -> str:
    """`Person.name_latin` for a name as written, as the readers give it: surname first,
    romanised by `to_latin` (`ТЁН ИВАН` -> `Tyon Ivan`, `Ivan Tyon` -> `Tyon Ivan`); an
    unknown soldier's English name (`НЕИЗВЕСТНЫЙ СОЛДАТ` -> `Unknown Soldier`)."""
    if is_unknown(name):
        words = name.split()
        noun = UNKNOWN_NOUNS.get(fold(words[1]), "Soldier") if len(words) > 1 else ""
        return f"Unknown {noun}".strip()
    return to_latin(surname_first(name))


def is_unknown(person: Person | str) -> bool:
    """Whether a person (or a name) is an unknown soldier, sailor, ... rather than a named one."""
    name = person.name if isinstance(person, Person) else person
    return fold(name).split(" ")[0] in UNKNOWN_WORDS
