"""The people an inscription names, read line by line from the OCR text of a stone.

This module owns `persons_in_inscription` and its result, `InscriptionReading`: the people
on the stone, the parts of their names, the OCR corrections made and the year-like text
that gave no life span.

Decisions a user should know:

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
- All OCR corrections are listed in `InscriptionReading.corrections`: those of
  `corrections.py`, and years corrected by `text/years.py`.
- `InscriptionReading.unparsed_years` lists year-like text that gave no valid life span or
  that belongs to no name (`1926 - 19`, `1950-1940`, a span after an epitaph), so the
  caller can flag the record. A lone clean year on a stone with nobody named on it (a
  monument's `1945`) is not listed.
- A valid span that belongs to no name is also in `InscriptionReading.nameless_spans`, with
  the `unparsed_years` entries it gave: a stone whose name is worn away but whose years
  are clear (`1908 - 1947` alone) still tells the caption's one person's years
  (`merge.attach_nameless_span`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from ...record import FieldSource, Person, PersonSources
from ..translit import to_latin
from ..years import LifeSpan, find_life_spans, find_year_like, parse_year
from .corrections import correct, correct_slots, fix_lookalikes, read_rank
from .parts import (
    CYRILLIC,
    HAN,
    HANGUL,
    NameParts,
    is_given,
    is_korean_surname,
    is_patronymic,
    script_of,
    split_name,
    surname_first,
)
from .vocabulary import EPITAPH_WORDS, UNKNOWN_NOUNS, UNKNOWN_WORDS, fold


@dataclass(frozen=True)
class NamelessSpan:
    """A valid life span on the stone that belongs to no name read there."""

    span: LifeSpan
    """The span; `start`/`end` index the inscription as read (NFC)."""
    text: str
    """The span as read (`1922- 1950`)."""
    unparsed: tuple[str, ...]
    """The entries of `InscriptionReading.unparsed_years` it gave."""


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
    nameless_spans: list[NamelessSpan] = field(default_factory=list)
    """The valid spans that belong to no name (also listed in `unparsed_years`)."""


_INITIALS = re.compile(r"(?:[А-ЯЁA-Z]\.){1,2}")
_CYR_WORD = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)*")
_HANGUL_STOP = frozenset({"영원한", "영광", "조쏘친선", "해방", "기념비", "추모", "영생"})
_HAN_STOP = frozenset({"追慕", "之墓", "永眠", "烈士", "紀念碑", "永遠"})


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
        self.nameless: list[LifeSpan] = []

    # events -------------------------------------------------------------------------
    def name_line(self, words: list[str]) -> None:
        cur = self.current
        if cur is not None and cur.unknown is not None and len(cur.unknown) == 1 and len(words) == 1:
            noun = correct(words[0], UNKNOWN_NOUNS, "noun", self.corrections)
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
                self.nameless.append(placed)
                return  # the words before it were no name: the span belongs to nobody
        elif target is None and self.done and self.done[-1].span is None and self.done[-1].death_year is None:
            self.done[-1].span = placed
        else:
            self.close()
            self.nameless.append(placed)
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
            draft.words = correct_slots(draft.words, fixes)
        if _is_person(draft):
            self.done.append(draft)
            self.corrections.extend(fixes)


def _span_text(span: LifeSpan) -> str:
    return f"{span.birth_date or span.birth_year}-{span.death_date or span.death_year}"


def _starts_new_person(current: list[str], line: list[str]) -> bool:
    """Whether a name line starts another person rather than continuing `current`."""
    complete = (
        any(is_patronymic(w) for w in current[1:])
        or any(is_given(w) for w in current)
        or (len(current) >= 2 and is_korean_surname(current[0]))
    )
    return complete and not is_patronymic(line[0]) and not is_given(line[0])


def _is_person(draft: _Draft) -> bool:
    if draft.unknown is not None:
        return True
    words = draft.words
    if not words:
        return draft.span is not None and bool(draft.hangul or draft.hanja)
    evidence = (
        any(is_patronymic(w) for w in words[1:])
        or any(is_given(w) for w in words)
        or (len(words) >= 2 and is_korean_surname(words[0]))
        or any(_INITIALS.fullmatch(w) for w in words)
        or draft.hangul is not None
        or draft.hanja is not None
    )
    if evidence:
        return True
    surname_like = fold(words[0]).endswith(
        ("ОВ", "ЕВ", "ИН", "ЫН", "ОВА", "ЕВА", "ИНА", "ЫНА", "СКИЙ", "ЦКИЙ", "СКАЯ", "ЦКАЯ", "ЕНКО", "УК", "ЮК", "ИЧ")
    )
    # A lone Korean surname over a life span (`ТЕН / 1884-1949`): the given name is worn
    # away or misread, but the stone still names someone.
    lone_korean = len(words) == 1 and is_korean_surname(words[0])
    return draft.span is not None and (len(words) >= 2 or surname_like or lone_korean)


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
    script = script_of(text)
    if script in ("hangul", "han") and not CYRILLIC.search(text):
        if script == "hangul":
            compact = "".join(HANGUL.findall(text))
            if 2 <= len(compact) <= 4 and len(text.split()) <= 3 and compact not in _HANGUL_STOP:
                reader.script_line("hangul", compact)
                return
        else:
            compact = "".join(HAN.findall(text)).removesuffix("之墓").removesuffix("墓")
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
    head = correct(words[0], UNKNOWN_WORDS, "unknown", reader.corrections)
    if fold(head) in UNKNOWN_WORDS:
        rest = [correct(w, UNKNOWN_NOUNS, "noun", reader.corrections) for w in words[1:2]]
        reader.unknown([head, *rest])
        return
    if any(fold(w) in EPITAPH_WORDS for w in words):
        reader.other()
        return
    rank, taken = read_rank(words, reader.corrections)
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
    person.name, person.name_latin = name, to_latin(surname_first(name))
    return person, replace(split_name(name), hangul=draft.hangul, hanja=draft.hanja)


def _stone_person(draft: _Draft) -> tuple[Person, NameParts]:
    """The person a draft names, every value read on the stone."""
    person, parts = _to_person(draft, "ocr")
    person.sources = PersonSources.all_from(FieldSource.STONE, person)
    return person, parts


def persons_in_inscription(text: str) -> InscriptionReading:
    """The people an inscription (OCR text, one carved line per text line) names.

    See the module docstring for what is read, corrected and reported.
    """
    reader = _StoneReader()
    offset = 0
    text = unicodedata.normalize("NFC", text)
    for raw_line in text.split("\n"):
        if not any(ch.isalnum() for ch in raw_line):
            # A line of OCR specks (`|`, `—`) between a name and its years carries nothing.
            offset += len(raw_line) + 1
            continue
        line = fix_lookalikes(raw_line, reader.corrections)
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
        person, parts = _stone_person(draft)
        reading.persons.append(person)
        reading.names.append(parts)
    from_span: dict[LifeSpan, list[str]] = {span: [] for span in reader.nameless}
    for start, end in find_year_like(text):
        if any(s < end and start < e for s, e in reader.used):
            continue
        token = text[start:end]
        if not reading.persons and parse_year(token) is not None and token.isdigit():
            continue  # a monument's year
        reading.unparsed_years.append(token)
        for span, tokens in from_span.items():
            if span.start < end and start < span.end:
                tokens.append(token)
    reading.nameless_spans = [
        NamelessSpan(span, text[span.start : span.end], tuple(tokens)) for span, tokens in from_span.items()
    ]
    return reading
