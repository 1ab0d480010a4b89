"""Pairing the people a caption names with those read from the stone.

This module owns `merge_persons`.

Decisions a user should know:

- Merging pairs people by their Latin names, order-insensitively, through the reduced
  phonetic key of `parts.latin_key` (Yuryevich = Yurevich, Aleksey = Alexey, Nikolayev =
  Nikolaev, Zaytsev = Zaitsev, Fyodor = Fedor) and, for words of 4+ letters, a 0.8
  similarity ratio. A name that is a part of the other (`Pyotr` and `Khan Pyotr`) pairs
  too, after full matches. Any two unknown soldiers pair. Names that share only some
  words (two of them, or one with the same birth and death years: the caption's `Khan
  Pyotr` and a misread `УАН ПЁТР`) pair as a conflict on the name, whatever their scripts,
  so a misread stone is reviewed rather than listed as a second person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ...record import Person
from ..translit import to_latin
from .parts import is_unknown, latin_key, script_of
from .vocabulary import fold


def _keys(person: Person) -> list[str]:
    latin = person.name_latin or to_latin(person.name)
    return [k for k in (latin_key(w) for w in re.split(r"[\s-]+", latin)) if k]


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) >= 2 and abs(len(a) - len(b)) <= 1 and (a.startswith(b) or b.startswith(a)):
        return True
    return min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= 0.8


#: Endings a carved (nominative) name word may end in, and endings the same word may take
#: in a caption's other cases (`Могила Петрова Сергея`: genitive).
NOMINATIVE_TAILS = frozenset({"", "Й", "Ь", "А", "Я", "ИЙ", "ЫЙ", "ОЙ"})
CASE_TAILS = frozenset(
    {"", "А", "Я", "У", "Ю", "Е", "Ы", "И", "ОМ", "ЕМ", "ОЙ", "ЕЙ", "ОЮ", "ЕЮ", "ОГО", "ЕГО", "ОМУ", "ЕМУ", "ЫМ", "ИМ"}
    | {"УЮ", "ЮЮ", "АЯ", "ЯЯ", "ИЙ", "ЫЙ", "Ь", "Й"}
)


def _shared_prefix(a: str, b: str) -> int:
    """How many leading letters two words share."""
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def _same_declined(caption_word: str, carved: str) -> bool:
    """The caption's word is the carved word in another grammatical case.

    A caption says `Могила Петрова Сергея Николаевича` (genitive) of the stone's `ПЕТРОВ
    СЕРГЕЙ НИКОЛАЕВИЧ`. Stones are carved in the nominative, so the carved word may end
    only in a nominative ending after the shared stem, the caption's word in any case
    ending; an OCR slip inside the word (`ЕВГЕНИИ` for `ЕВГЕНИЙ` on the stone) is no case
    ending and stays a conflict for a reviewer.
    """
    if caption_word == carved:
        return True
    stem = _shared_prefix(caption_word, carved)
    if stem < 3:
        return False
    return carved[stem:] in NOMINATIVE_TAILS and caption_word[stem:] in CASE_TAILS


def _stone_part_of_caption(caption: Person, stone: Person) -> bool:
    """Every carved word is one of the caption's (in any case): the stone says nothing else.

    A stone read only in part (`ТЁН` where the caption has `Тён Иван`: the given name worn
    away) agrees with the caption; a carved word the caption lacks is a disagreement.
    """
    caption_words = fold(caption.name).split()
    return all(any(_same_declined(word, carved) for word in caption_words) for carved in fold(stone.name).split())


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
    differs = script_of(caption.name) == script_of(stone.name) and not _stone_part_of_caption(caption, stone)
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
        # The stone's name as carved, unless only part of it could be read.
        name = c.name if len(fold(s.name).split()) < len(fold(c.name).split()) else s.name
        merged.append(
            Person(
                name=name,
                name_latin=(s.name_latin or c.name_latin) if name == s.name else (c.name_latin or s.name_latin),
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
