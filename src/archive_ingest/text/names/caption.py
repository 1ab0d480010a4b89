"""The people a caption names: the name before each life span, its rank, unknown soldiers.

This module owns `persons_in_caption` (its docstring says what a caption person is). The
name is kept as the caption writes it (`Gennady Leonidovich Komarov`); `name_latin` is put
surname first by `split_name`. English rank words are mapped to the Russian rank through
`ENGLISH_RANKS` (`private` -> `рядовой`, `red navy sailor` -> `краснофлотец`); Russian
ranks are read in the nominative or the genitive (`рядового`, `старшего лейтенанта`). An
unknown soldier (`unknown soldier`, `неизвестного солдата`) is named with the Russian
nominative, as a stone would carve it (`НЕИЗВЕСТНЫЙ СОЛДАТ`).
"""

from __future__ import annotations

import re
import unicodedata

from ...record import FieldSource, Person, PersonSources
from ..translit import to_latin
from ..years import LifeSpan, find_life_spans, parse_year
from .parts import is_given, script_of, surname_first
from .vocabulary import ENGLISH_RANKS, RANK_PREFIX, RANKS, UNKNOWN_NOUNS, fold

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
    whole_hangul = len(words) == 1 and script_of(words[0]) == "hangul" and 2 <= len(words[0]) <= 4
    anchored = anchored or rank is not None or (len(words) == 1 and (is_given(words[0]) or whole_hangul))
    if (len(words) == 1 or need_anchor) and not anchored:
        return None
    return " ".join(words), rank


def _latin_form(name: str) -> str:
    return to_latin(surname_first(name))


def persons_in_caption(text: str) -> list[Person]:
    """The people a caption names, in order, with `source="caption"` (every per-field source `caption`).

    A person is a name right before a life span in brackets, `The grave of [rank] NAME
    (1925-1945)`, `Simply 'Pyotr' (1926-1958)`, `Ефимов Геннадий Степанович (1899-1952)`, or
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
    persons = [person for _, person in sorted(people, key=lambda item: item[0])]
    for person in persons:
        person.sources = PersonSources.all_from(FieldSource.CAPTION, person)
    return persons
