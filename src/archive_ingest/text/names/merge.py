"""Pairing the people a caption names with those read from the stone.

This module owns `merge_persons` (one entry per person, or two when caption and stone
disagree), `attach_nameless_span` (a stone's clear years without a name) and
`same_person`, and the per-field sources (`Person.sources`) of what they produce.

Decisions a user should know:

- Names are compared word by word through the keys search uses (`text/fold.py`): folded
  words and their transliteration keys, so `Nam Yong Hui`, `НАМ ЁН ХИ` and `남영희` are one
  name. A Hangul word is compared syllable by syllable, by equal keys only (a syllable's
  key is too short to be compared loosely), with ㄹ read as r or l and without the
  initial-sound rule too, so `ЛИ` and `Ri` meet `리`; the spellings of one Korean
  surname meet (`Jong`, `ТЁН`, `정`: `vocabulary.KOREAN_SURNAME_SPELLINGS`); consecutive words that together spell
  one word of the other name are joined, doubled letters once, so a Korean given name in
  one word or in syllables meets either way (`Nam Yonghui`, `Нам Михаил` = `남미하일`).
- Two entries are the same person when every word of the shorter name matches one of
  the other's; or two words match; or one word matches and both give the same birth and
  death years (the stone's other words misread). A word matches when it agrees (below) or
  is close by its key (one letter more or less at the end, or a 0.8 similarity ratio for
  4+ letters). Any two unknown soldiers pair.
- A paired stone name agrees with the caption's, or the pair is a conflict on the name:
  - in another script, when every word of the shorter name agrees by key, by a close key
    (romanisations differ: `Alexander`, `АЛЕКСАНДР`) or as a partial read;
  - in the same script, when every carved word is a caption word: the same letters, the
    caption's word in another grammatical case (`Могила Петрова Сергея`: genitive), or a
    partial read of it. A carved word the caption lacks (another patronymic), or slips in
    two words, is a disagreement, for a reviewer.
  - a slip: one word with one letter read otherwise (`ГЕННАДИИ` for `Геннадий`, `УАН` for
    `Khan`), when another word of the name was read right: an OCR misreading, not another
    person (different years still conflict on their own); the entry keeps the caption's
    spelling;
  - a partial read: the caption's word with one letter lost at either end (`ОМАРОВ` for
    `КОМАРОВ`, 3+ letters left) or cut short to a prefix of 5+ letters (`ЛЕОНИД` for
    `ЛЕОНИДОВИЧ`), or with its first letter (or first two) worn into another on a word of 6+
    letters (`ЗЕЛОУСОВ` for `БЕЛОУСОВ`); words may be missing from the stone (`ГЕННАДИЙ
    ЛЕОНИД` for `Зимин Геннадий Леонидович`).
- The merged entry takes the stone's name as carved, unless the stone read only part of
  it (fewer words, or a word read in part): then the caption's fuller name.
- Per-field sources of a merged entry (`FieldSource`): `name` is `both` (or `caption`
  when the stone's entry took its name from the caption, see `attach_nameless_span`).
  `years` is `both` when every year and date on the entry was read on the stone and the
  caption gives the same; `stone` when every one was read on the stone but the caption
  lacks some (stone dates beside caption years); `caption` as soon as one of them was
  filled in from the caption (the stone gave only a name, or only a death year). `rank`
  is `both` when both give it alike, else the one that gave it (the stone's when they
  differ). An entry found on one side keeps its reader's sources.
- A stone span that `years.implausible` rejects is never merged into the caption's
  person and never replaced by the caption's years: the pair stays two entries (with
  conflict lines if the caption's years differ), unless the caption gives exactly the
  same years.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from ...record import FieldSource, Person, PersonSources

# The module, not its names: `text/fold.py` imports `names.parts`, so whichever of the two
# is imported first, its functions are looked up when a name is compared.
from .. import fold as search_keys
from ..years import implausible
from .inscription import InscriptionReading
from .parts import is_unknown, script_of
from .vocabulary import KOREAN_SURNAME_GROUP, fold

#: Endings a carved (nominative) name word may end in, and endings the same word may take
#: in a caption's other cases (`Могила Петрова Сергея`: genitive).
NOMINATIVE_TAILS = frozenset({"", "Й", "Ь", "А", "Я", "ИЙ", "ЫЙ", "ОЙ"})
CASE_TAILS = frozenset(
    {"", "А", "Я", "У", "Ю", "Е", "Ы", "И", "ОМ", "ЕМ", "ОЙ", "ЕЙ", "ОЮ", "ЕЮ", "ОГО", "ЕГО", "ОМУ", "ЕМУ", "ЫМ", "ИМ"}
    | {"УЮ", "ЮЮ", "АЯ", "ЯЯ", "ИЙ", "ЫЙ", "Ь", "Й"}
)
#: The shortest carved word that may be a caption word with a letter lost at an end, and
#: the shortest that may be one cut short: shorter ones match too many words by chance.
MIN_LOST_END = 3
MIN_CUT_SHORT = 5
#: The shortest carved word whose first letter may be read as another (`_part_of`).
MIN_WORN_START = 6
_YEAR_FIELDS = ("birth_year", "death_year", "birth_date", "death_date")
_DOUBLED = re.compile(r"(.)\1+")


@dataclass(frozen=True)
class _Unit:
    """One word of a name (one syllable of a Hangul word), as compared."""

    letters: str
    """The folded word (search's exact key), for same-script comparison."""
    keys: frozenset[str]
    """Its transliteration keys (alternatives), for comparison across scripts."""
    script: str


def _units(person: Person) -> list[_Unit]:
    """The words of a person's name as compared (module docstring)."""
    raw_hangul = iter([ch for ch in unicodedata.normalize("NFC", person.name) if search_keys.is_hangul(ch)])
    units: list[_Unit] = []
    for word in search_keys.words(person.name):
        if not search_keys.is_hangul(word):
            key = search_keys.translit_key(word)
            units.append(_Unit(fold(word), frozenset({key} if key else set()), script_of(word)))
            continue
        for syllable in word:
            raw = next(raw_hangul, syllable)
            keys = {k for k in (search_keys.translit_key(syllable), search_keys.translit_key(raw)) if k}
            # ㄹ is written r or l in Latin and Л or Р in Cyrillic: `리` is `ЛИ`.
            keys |= {k.replace("r", "l") for k in keys}
            units.append(_Unit(syllable, frozenset(keys), "hangul"))
    return units


def _part_of(carved: str, written: str) -> bool:
    """`carved` is `written` read in part: a letter lost at either end, cut short, or a worn start.

    A worn start: the first letter (or the first two, read as one) read as another, the
    rest of a long word right (`ЮЛОУСОВ` for `БЕЛОУСОВ`).
    """
    if len(carved) >= MIN_LOST_END and len(written) == len(carved) + 1 and carved in (written[1:], written[:-1]):
        return True
    if len(carved) >= MIN_WORN_START and any(carved[1:] == written[cut:] for cut in (1, 2)):
        return carved[0] != written[0]
    return len(carved) >= MIN_CUT_SHORT and len(written) > len(carved) and written.startswith(carved)


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
    ending; an OCR slip inside the word (`ГЕННАДИИ` for `ГЕННАДИЙ` on the stone) is no case
    ending and stays a conflict for a reviewer.
    """
    if caption_word == carved:
        return True
    stem = _shared_prefix(caption_word, carved)
    if stem < 3:
        return False
    return carved[stem:] in NOMINATIVE_TAILS and caption_word[stem:] in CASE_TAILS


def _similar(a: str, b: str) -> bool:
    """Keys close enough to be romanisations of one word (or one OCR slip apart)."""
    if a == b:
        return True
    if min(len(a), len(b)) >= 2 and abs(len(a) - len(b)) <= 1 and (a.startswith(b) or b.startswith(a)):
        return True
    return min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= 0.8


#: How a stone word relates to a caption word, best first.
_EXACT, _PARTIAL, _SLIP, _CLOSE = 0, 1, 2, 3


def _same_korean_surname(a: str, b: str) -> bool:
    """Two spellings of one Korean surname (`Jong`, `ТЁН`, `정`: `KOREAN_SURNAME_SPELLINGS`)."""
    group = KOREAN_SURNAME_GROUP.get(fold(a))
    return group is not None and group == KOREAN_SURNAME_GROUP.get(fold(b))


def _one_slip(a: str, b: str) -> bool:
    """Two words of 3+ letters that differ in exactly one letter (the same length)."""
    return len(a) == len(b) >= 3 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _relation(written: _Unit, carved: _Unit) -> int | None:
    """How a carved (stone) word relates to a written (caption) word, or None.

    In one script the letters decide (`_EXACT`, `_PARTIAL`); across scripts the keys do,
    and a Hangul syllable only by an equal key. `_CLOSE` (keys one slip apart) pairs
    people, and agrees on the name only across scripts, where romanisations differ
    (`Alexander`, `АЛЕКСАНДР`).
    """
    hangul = "hangul" in (written.script, carved.script)
    if written.script == carved.script:
        if written.letters == carved.letters:
            return _EXACT
        if carved.script == "cyrillic" and _same_declined(written.letters, carved.letters):
            return _EXACT
        if not hangul and _part_of(carved.letters, written.letters):
            return _PARTIAL
        if not hangul and _one_slip(carved.letters, written.letters):
            return _SLIP
    else:
        if written.keys & carved.keys or _same_korean_surname(written.letters, carved.letters):
            return _EXACT
        if not hangul and any(_part_of(c, w) for c in carved.keys for w in written.keys):
            return _PARTIAL
        if not hangul and any(_one_slip(c, w) for c in carved.keys for w in written.keys):
            return _SLIP
    if not hangul and any(_similar(c, w) for c in carved.keys for w in written.keys):
        return _CLOSE
    return None  # a Hangul syllable's key is too short to be read in part or nearly


def _agrees(written: _Unit, carved: _Unit, relation: int) -> bool:
    """Whether a matched word pair agrees on the name (a close key only across scripts).

    A slip (one letter read otherwise) agrees, within the limits `_name_match` sets.
    """
    return relation != _CLOSE or written.script != carved.script


def _chunked(units: list[_Unit], other: list[_Unit]) -> list[_Unit]:
    """`units` with runs of 2-4 that spell one word of `other` joined (`미 하 일` = `Михаил`)."""
    out: list[_Unit] = []
    index = 0
    while index < len(units):
        for size in (4, 3, 2):
            run = units[index : index + size]
            if len(run) < size:
                continue
            # Doubled letters once, as in the keys themselves (`안 나` spells `Анна`, key `ana`).
            spellings = itertools.product(*(sorted(u.keys) for u in run))
            joined = {_DOUBLED.sub(r"\1", "".join(parts)) for parts in spellings}
            hit = next((o for o in other if o.keys & joined), None)
            if hit is not None:
                out.append(_Unit("".join(u.letters for u in run), frozenset(joined & hit.keys), run[0].script))
                index += size
                break
        else:
            out.append(units[index])
            index += 1
    return out


@dataclass(frozen=True)
class _Match:
    """How the names of a caption's and a stone's person relate."""

    score: float
    """Words matched over the words of the longer name (1.0 for two unknown soldiers)."""
    whole: bool
    """Every word of the shorter name matched one of the other's."""
    agrees: bool
    """The stone's name agrees with the caption's (fully or as a partial read)."""
    partial: bool
    """The stone gave only part of the caption's name (fewer words, or a word in part)."""


def _name_match(caption: Person, stone: Person) -> _Match | None:
    """How a caption's and a stone's person's names relate, or None when they are not one person."""
    if is_unknown(caption) or is_unknown(stone):
        both = is_unknown(caption) and is_unknown(stone)
        return _Match(1.0, True, True, False) if both else None
    written, carved = _units(caption), _units(stone)
    written, carved = _chunked(written, carved), _chunked(carved, written)
    candidates = sorted(
        (relation, i, j)
        for i, w in enumerate(written)
        for j, c in enumerate(carved)
        if (relation := _relation(w, c)) is not None
    )
    used_w: set[int] = set()
    used_c: set[int] = set()
    pairs: list[tuple[int, int, int]] = []
    for relation, i, j in candidates:
        if i not in used_w and j not in used_c:
            used_w.add(i)
            used_c.add(j)
            pairs.append((relation, i, j))
    matched = len(pairs)
    shorter = min(len(written), len(carved))
    whole = shorter > 0 and matched == shorter
    same_years = caption.birth_year is not None and (caption.birth_year, caption.death_year) == (
        stone.birth_year,
        stone.death_year,
    )
    if not (whole or matched >= 2 or (matched == 1 and same_years)):
        return None
    agreeing = [(r, i, j) for r, i, j in pairs if _agrees(written[i], carved[j], r)]
    slips = [pair for pair in agreeing if pair[0] == _SLIP]
    if len(slips) > 1 or len(slips) == len(agreeing):
        # One slipped letter is a misreading only beside a word read right.
        agreeing = [pair for pair in agreeing if pair[0] != _SLIP]
    if script_of(caption.name) == script_of(stone.name):
        agrees = len(agreeing) == len(carved)  # every carved word is the caption's
    else:
        agrees = len(agreeing) == shorter
    partial = len(carved) < len(written) or any(r in (_PARTIAL, _SLIP) for r, _, _ in agreeing)
    return _Match(matched / max(len(written), len(carved)), whole, agrees, partial)


def same_person(caption: Person, stone: Person) -> bool:
    """Whether merging would pair these two (as one person, or as a conflict about one)."""
    return _name_match(caption, stone) is not None


def _years_of(person: Person) -> tuple[int | str | None, ...]:
    """Birth and death years and dates, to compare two readings whole."""
    return tuple(getattr(person, attr) for attr in _YEAR_FIELDS)


def _differences(caption: Person, stone: Person, match: _Match) -> list[str]:
    label = stone.name_latin or stone.name
    lines: list[str] = []
    for attr, what in zip(_YEAR_FIELDS, ("birth year", "death year", "birth date", "death date"), strict=True):
        c, s = getattr(caption, attr), getattr(stone, attr)
        if c is not None and s is not None and c != s:
            lines.append(f"{what}: caption {c}, stone {s} ({label})")
    if not match.agrees:
        lines.append(f"name: caption {caption.name}, stone {stone.name}")
    return lines


def _years_source(caption: Person, stone: Person) -> FieldSource | None:
    """The per-field source of the merged years (module docstring)."""
    stone_origin = stone.sources.years or FieldSource.STONE
    fields = [attr for attr in _YEAR_FIELDS if getattr(stone, attr) is not None or getattr(caption, attr) is not None]
    if not fields:
        return None
    if any(getattr(stone, attr) is None for attr in fields):
        return caption.sources.years or FieldSource.CAPTION
    if all(getattr(caption, attr) == getattr(stone, attr) for attr in fields) and stone_origin == FieldSource.STONE:
        return FieldSource.BOTH
    return stone_origin


def _rank_source(caption: Person, stone: Person) -> FieldSource | None:
    if stone.rank and caption.rank and fold(stone.rank) == fold(caption.rank):
        return FieldSource.BOTH
    if stone.rank:
        return stone.sources.rank or FieldSource.STONE
    if caption.rank:
        return caption.sources.rank or FieldSource.CAPTION
    return None


def _merged(caption: Person, stone: Person, match: _Match) -> Person:
    """One entry of a caption's and a stone's person who agree (module docstring)."""
    name = caption.name if match.partial else stone.name
    stone_named = stone.sources.name in (None, FieldSource.STONE)
    return Person(
        name=name,
        name_latin=(stone.name_latin or caption.name_latin)
        if name == stone.name
        else (caption.name_latin or stone.name_latin),
        birth_year=stone.birth_year if stone.birth_year is not None else caption.birth_year,
        death_year=stone.death_year if stone.death_year is not None else caption.death_year,
        birth_date=stone.birth_date or caption.birth_date,
        death_date=stone.death_date or caption.death_date,
        rank=stone.rank or caption.rank,
        source=f"{caption.source}+{stone.source}",
        sources=PersonSources(
            name=FieldSource.BOTH if stone_named else (caption.sources.name or FieldSource.CAPTION),
            years=_years_source(caption, stone),
            rank=_rank_source(caption, stone),
        ),
    )


def merge_persons(caption: list[Person], ocr: list[Person]) -> tuple[list[Person], list[str]]:
    """Pair the caption's people with the stone's; return (persons, conflict details).

    A pair that agrees becomes one entry with both sources (`caption+ocr`): the stone's
    name as carved (the caption's when the stone read only part of it), its rank, years
    and dates, each gap filled from the caption, with per-field sources saying which
    (module docstring). A pair that disagrees on a year or date, or on the name, stays
    two entries, the caption's then the stone's, and each difference gives one detail
    line: `birth year: caption 1925, stone 1926 (Komarov Gennady Leonidovich)`. So does a
    stone span that `implausible` rejects, unless the caption gives the same years.
    People found in only one source are kept as they are. Output follows the caption's
    order; people only on the stone come last.
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
        unlikely = implausible(s.birth_year, s.death_year, s.birth_date, s.death_date)
        if differences or (unlikely is not None and _years_of(c) != _years_of(s)):
            conflicts.extend(differences)
            merged.extend([c, s])
            continue
        merged.append(_merged(c, s, match))
    merged.extend(s for j, s in enumerate(ocr) if j not in taken)
    return merged, conflicts


def attach_nameless_span(caption: list[Person], reading: InscriptionReading) -> InscriptionReading:
    """The stone's reading, with a span that belongs to no name given to the caption's person.

    When the stone named nobody, has exactly one life span and the caption names exactly
    one person, the span is that person's years as read on the stone: a stone entry named
    as the caption names the person (`sources.name` `caption`: the stone gave no name),
    its years `stone`, so that `merge_persons` confirms the caption's years (`both`) or
    keeps both readings with a `caption_conflict`. The span leaves `unparsed_years`.
    Otherwise the reading is returned as it is.
    """
    if reading.persons or len(reading.nameless_spans) != 1 or len(caption) != 1:
        return reading
    nameless = reading.nameless_spans[0]
    span, person = nameless.span, caption[0]
    stone = Person(
        name=person.name,
        name_latin=person.name_latin,
        birth_year=span.birth_year,
        death_year=span.death_year,
        birth_date=span.birth_date,
        death_date=span.death_date,
        source="ocr",
    )
    stone.sources = PersonSources(name=FieldSource.CAPTION, years=FieldSource.STONE if stone.has_years else None)
    unparsed = list(reading.unparsed_years)
    for token in nameless.unparsed:
        if token in unparsed:
            unparsed.remove(token)
    corrections = list(reading.corrections)
    if span.corrected:
        corrections.append(f"years read as {_span_text(stone)} (OCR digits corrected)")
    return replace(reading, persons=[stone], unparsed_years=unparsed, nameless_spans=[], corrections=corrections)


def _span_text(person: Person) -> str:
    return f"{person.birth_date or person.birth_year}-{person.death_date or person.death_year}"
