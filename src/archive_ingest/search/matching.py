"""Matching: which records each term of a parsed query finds in the search index.

This module owns how a word meets the index: folded (`text/fold.py`), through the
gazetteer, through transliteration keys, with OCR tolerance. `Matcher` answers one term at
a time against a `SearchIndex` and records, in `TextMatches`, where and how well each free
word matched, which `search/__init__.py` then ranks and explains. `FIELD_WEIGHTS` says which fields
a free word is looked for in, best first.

Matching (decisions a user should know):

- Words are compared folded (`text/fold.py`): case, accents, apostrophes and ё/е ignored;
  North and South Korean spellings meet (`렬사`/`열사`, `리`/`이`, `쏘련`/`소련`), and
  Hangul that OCR split into syllables (`쏘 련 군`) is one word, in the query too.
- A word that names a gazetteer site (in any script or alias: `Rason`, `Najin`, `라선`,
  `Ch'ŏngjin`) matches records at that place and any name of the site in the text:
  `Chongjin` finds `청진`, `Чхонджин` and `в Чхонджине`.
- Otherwise a word also matches through its transliteration key (Wikipedia romanisation
  of Russian, Revised Romanization of Korean, then a reduced phonetic key; see
  `text/fold.py`): `Tyon` finds `Тён`, `Nikolai` finds `Николай`, `Kim Shura` finds
  `Ким Шура` and `김 슈라`, `Han Yang Hui` finds `한양희` and `Хан Ян Хи`.
- OCR errors: a word of 5 to 7 letters also matches words one letter off, of 8 or more
  letters two letters off (substituted, missing or extra, compared over the query's
  length so case endings still count), in names, captions and inscriptions, by its
  letters and by its transliteration key. Shorter words, numbers, Hangul and phrases stay
  exact. Such hits rank below every record matched without them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from ..catalog.index_entries import FUZZY_FIELDS, HAS_BITS, TRANSLIT_FIELDS
from ..catalog.index_reader import SearchIndex
from ..text.fold import fold, is_hangul, translit_key, words
from ..text.places import Gazetteer, Site
from .query import QueryError, Term, year_range

#: Where a free word may match, best first, with the weight of a match there. A word's
#: best field counts; a record's score is the sum over its words.
FIELD_WEIGHTS = {"place": 10_000, "names": 1_000, "caption": 100, "inscription": 10, "filename": 1}
FREE_FIELDS = tuple(FIELD_WEIGHTS)
EXACT, TRANSLIT, FUZZY = 0, 1, 2
#: Shortest word (in letters) allowed one OCR error, and two.
FUZZY_ONE, FUZZY_TWO = 5, 8


@dataclass
class TextMatches:
    """Where one text term matched: (field, quality) -> document ids."""

    term: Term
    found: dict[tuple[str, int], set[int]] = field(default_factory=dict)
    site_name: str | None = None
    translit: tuple[str, ...] = ()
    fuzzy: set[str] = field(default_factory=set)

    def rows(self, *, tolerant: bool = True) -> set[int]:
        out: set[int] = set()
        for (_, quality), rows in self.found.items():
            if tolerant or quality != FUZZY:
                out |= rows
        return out


class Matcher:
    def __init__(self, index: SearchIndex, gazetteer: Gazetteer) -> None:
        self.index = index
        self.gazetteer = gazetteer

    def text(self, term: Term, *, tolerant: bool) -> TextMatches:
        """Where a free-text or `person:` term matches (see the module docstring)."""
        matches = TextMatches(term)
        fields = ("names",) if term.field == "person" else FREE_FIELDS
        if term.field == "person":
            # Every word of the name, each anywhere in the names (any order, any spelling),
            # quoted or not: `person:"Pyotr Han"` finds ХАН ПЁТР as `person:Han` finds him.
            parts = [TextMatches(Term(None, word)) for word in words(term.value)]
            for part in parts:
                self._words(part, [part.term.value], fields, tolerant, use_gazetteer=False)
            common = set.intersection(*(part.rows() for part in parts)) if parts else set()
            for row in common:
                # A name matches as well as its least well matched word: `Han Yang Hui` on
                # `Han Yanghui` is a transliteration when `Hui` is one.
                quality = max(min(q for (_, q), rows in part.found.items() if row in rows) for part in parts)
                matches.found.setdefault(("names", quality), set()).add(row)
            for part in parts:
                matches.translit += part.translit
                matches.fuzzy |= part.fuzzy
            return matches
        self._words(matches, words(term.value), fields, tolerant, use_gazetteer=term.field is None)
        return matches

    def _words(
        self, matches: TextMatches, folded: list[str], fields: tuple[str, ...], tolerant: bool, use_gazetteer: bool
    ) -> None:
        if not folded:
            return
        phrases = [folded]
        site = self.gazetteer.get(" ".join(folded)) if use_gazetteer else None
        if site is not None:
            matches.site_name = site.name
            phrases += [words(name) for name in site.names]
            place_rows = self.index.rowids("SELECT rowid FROM docs WHERE place = ?", (fold(site.name),))
            matches.found[("place", EXACT)] = place_rows
        expression = " OR ".join(dict.fromkeys(_phrase(phrase) for phrase in phrases if phrase))
        for name in fields:
            rows = self.index.match(name, expression)
            matches.found.setdefault((name, EXACT), set()).update(rows)
        if site is not None:
            return  # a place is matched by its names, not by sound or by OCR tolerance
        keys = tuple(translit_key(word) for word in folded)
        if all(keys):
            matches.translit = keys
            for name in fields:
                if name in TRANSLIT_FIELDS:
                    matches.found[(name, TRANSLIT)] = self.index.match(f"{name}_tr", _phrase(list(keys)))
        if tolerant and len(folded) == 1:
            self._fuzzy(matches, folded[0], keys[0], fields)

    def _fuzzy(self, matches: TextMatches, word: str, key: str, fields: tuple[str, ...]) -> None:
        by_layer = {0: _near(self.index, 0, word) if _fuzzy_eligible(word) else [], 1: _near(self.index, 1, key)}
        matches.fuzzy = set(by_layer[0]) | set(by_layer[1])
        for name in fields:
            if name not in FUZZY_FIELDS:
                continue
            rows: set[int] = set()
            if by_layer[0]:
                rows |= self.index.match(name, " OR ".join(f'"{w}"' for w in by_layer[0]))
            if by_layer[1]:
                rows |= self.index.match(f"{name}_tr", " OR ".join(f'"{w}"' for w in by_layer[1]))
            if rows:
                matches.found[(name, FUZZY)] = rows

    def field(self, term: Term) -> set[int]:
        """Documents matching an exact field term."""
        name, value = term.field, term.value.strip()
        index = self.index
        if name in ("kind", "status"):
            return index.rowids(f"SELECT rowid FROM docs WHERE {name} = ?", (value.lower(),))
        if name == "flag":
            return index.rowids("SELECT doc FROM flags WHERE code = ?", (value.lower(),))
        if name == "has":
            return index.rowids("SELECT rowid FROM docs WHERE has & ? != 0", (HAS_BITS[value.lower()],))
        if name in ("born", "died", "year", "taken"):
            years = year_range(term)
            if isinstance(years, str):
                return index.rowids("SELECT rowid FROM docs WHERE substr(taken, 1, ?) = ?", (len(years), years))
            return index.rowids(
                "SELECT doc FROM years WHERE field = ? AND year BETWEEN ? AND ?", (name, years[0], years[1])
            )
        if name == "credit":
            return index.match("credit", " AND ".join(f'"{word}"*' for word in words(value)))
        assert name == "place"
        site = self.gazetteer.get(value)
        if site is not None:
            return index.rowids("SELECT rowid FROM docs WHERE place = ?", (fold(site.name),))
        return index.match("place", _phrase(words(value)))


def check_places(terms: list[Term], gazetteer: Gazetteer) -> None:
    """Refuse a `place:` value that names no place of the gazetteer: no site's name or
    alias, and no words of a site's names or province (`place:"North Hamgyong"`). Such
    a value could only find nothing, which reads as "no graves there"; the error says
    what is wrong and suggests the nearest names (a typo: `place:Chongjn`).

    Raises:
        QueryError: the first such value, with near names or else the gazetteer's places.
    """
    for term in terms:
        if term.field != "place" or gazetteer.get(term.value) is not None:
            continue
        wanted = words(term.value)
        if any(_starts_phrase(_place_words(site), wanted) for site in gazetteer.sites):
            continue
        written = f'place:"{term.value}"' if term.quoted else f"place:{term.value}"
        raise QueryError(f"{written}: not a place in the gazetteer ({_near_places(term.value, gazetteer)})")


def _place_words(site: Site) -> list[str]:
    """The words a record's place is indexed by (`catalog/index_entries.py`: names and province)."""
    return words(" ".join((site.name, site.name_ko, site.name_ru, site.province)))


def _starts_phrase(text: list[str], wanted: list[str]) -> bool:
    """Whether `wanted` are words of `text` one after another, each from a word's start (as `_phrase`)."""
    span = len(wanted)
    return any(
        all(text[start + offset].startswith(word) for offset, word in enumerate(wanted))
        for start in range(len(text) - span + 1)
    )


#: How alike (rapidfuzz's ratio, 0-100) a name must be to be suggested for a `place:`
#: value not in the gazetteer: `Chongjn` and `Pjongjang` are; `Atlantis` is near nothing.
NEAR_PLACE_SCORE = 60
NEAR_PLACES_SHOWN = 3
ALL_PLACES_SHOWN = 12


def _near_places(value: str, gazetteer: Gazetteer) -> str:
    """`did you mean Chongjin?`, or the gazetteer's places when no name is near."""
    from rapidfuzz import fuzz, process  # only a query that is already wrong pays for the import

    # (spelling, what to suggest): a site by its usual name, a province as itself.
    spellings = [(spelling, site.name) for site in gazetteer.sites for spelling in site.names]
    spellings += [(site.province, site.province) for site in gazetteer.sites]
    found = process.extract(
        _letters(value), [_letters(spelling) for spelling, _ in spellings], scorer=fuzz.ratio,
        score_cutoff=NEAR_PLACE_SCORE, limit=None,
    )  # fmt: skip
    near: dict[str, str] = {}
    for _, _, position in sorted(found, key=lambda hit: (-hit[1], hit[2])):
        spelling, name = spellings[position]
        near.setdefault(name, name if fold(spelling) == fold(name) else f"{name} ({spelling})")
    if near:
        return "did you mean " + ", ".join(list(near.values())[:NEAR_PLACES_SHOWN]) + "?"
    names = [site.name for site in gazetteer.sites]
    more = f", and {len(names) - ALL_PLACES_SHOWN} more" if len(names) > ALL_PLACES_SHOWN else ""
    return "its places: " + ", ".join(names[:ALL_PLACES_SHOWN]) + more


def _letters(name: str) -> str:
    """A name folded, Hangul split into its letters (jamo), so `평얀` is one letter off `평양`."""
    return unicodedata.normalize("NFD", fold(name))


def _phrase(folded: list[str]) -> str:
    """An FTS5 phrase: the words one after another, each matched from its start."""
    return " + ".join(f'"{word}"*' for word in folded)


def _fuzzy_eligible(word: str) -> bool:
    return len(word) >= FUZZY_ONE and word.isalpha() and not is_hangul(word)


def _allowed_errors(word: str) -> int:
    return 2 if len(word) >= FUZZY_TWO else 1


def _near(index: SearchIndex, layer: int, word: str) -> list[str]:
    """Indexed words (layer 0) or keys (layer 1) within OCR distance of `word`'s start."""
    if len(word) < FUZZY_ONE:
        return []
    from rapidfuzz import process  # only a query with a long word pays for the import
    from rapidfuzz.distance import Levenshtein

    allowed = _allowed_errors(word)
    vocabulary = index.vocabulary(layer, len(word) - allowed, 1_000)
    # Over the query's length (an error in a declined name: ВИНОГРАЛОВА), and whole (a
    # letter missing or extra shifts the rest: Vinogrdov).
    starts = [candidate[: len(word)] for candidate in vocabulary]
    near: set[int] = set()
    for choices in (starts, vocabulary):
        found = process.extract(word, choices, scorer=Levenshtein.distance, score_cutoff=allowed, limit=None)
        near.update(position for _, _, position in found)
    # A word that starts with the query is an exact match, found already.
    return [vocabulary[position] for position in sorted(near) if not vocabulary[position].startswith(word)]
