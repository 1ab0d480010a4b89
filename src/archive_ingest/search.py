"""Finding records: the query language, matching across scripts and OCR errors, ranking.

This module owns what a query means. `parse` turns the text into terms (a bad query raises
`QueryError`, exit 2), `search` evaluates them against the search index (`search_index.py`,
which stores the keys `text/fold.py` makes) and ranks the hits, and `normalise` is the
plain folding tests compare OCR text by.

The query language (also in `archive-ingest search --help` and the README):

- Free words: all must match, each in the caption, the inscription, a person's name, the
  place or the file name. A word matches from the start of a word and may end inside one
  (`Пхеньян` finds `в Пхеньяне`, `Ivan` finds `Ivanov`; `ван` does not find `Иван`).
- `"quoted phrase"`: the words one after another. A bare word with punctuation inside
  (`1884-1949`, `DSC_0003.JPG`) is a phrase too.
- `-word`, `-"phrase"`, `-field:value`: records matching it are left out.
- Fields: `place:` (the record's place, through the gazetteer in any script or alias; an
  unknown name matches the place's names and province by word), `person:` (every word in a
  person's name, as free words do), `born:`, `died:`, `year:` (any year on the record:
  life spans, the photo's date, the EXIF date, years written in the caption or the
  inscription), `taken:` (the EXIF date); a year `1949`, a range `1945..1950`, `..1945`,
  `1950..` (and for `taken:` also `1978-05` or `1978-05-09`); `kind:`, `status:`, `flag:`
  (exact, checked against their vocabularies); `credit:` (words of the credit line);
  `has:` (gps, caption, inscription, person, place, date, taken, flags).

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
- Ranking (`--sort relevance`): records whose words all matched without OCR tolerance
  first; then by where each word matched (the best field per word, summed): the place
  (an exact field match) before a person's name, before the caption, before the
  inscription, before the file name; then exact spellings before transliterations; then
  catalog order. `--sort date` orders by the photo's date (else the EXIF date), oldest
  first; `--sort name` by the first person's Latin name (else last); both then by catalog
  order. A query with no words (only fields) lists records in catalog order.
- Each hit says why it matched: the fields each word matched in, marked `(translit: …)`
  or `(fuzzy: …)` with the word found when it was not an exact spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError
from .record import FlagCode, Kind, Record, ReviewStatus
from .search_index import FUZZY_FIELDS, HAS_BITS, TRANSLIT_FIELDS, SearchIndex, open_index
from .text.fold import fold, has_letters, is_hangul, translit_key, translit_keys, words, words_with_originals
from .text.places import Gazetteer

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text folded for comparing OCR output in tests: NFKC, case folded, ё as е, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).strip()


FIELDS = ("place", "person", "born", "died", "year", "taken", "kind", "flag", "status", "credit", "has")
SORTS = ("relevance", "date", "name")
_FIELD_LIST = " ".join(f"{name}:" for name in FIELDS)

#: Where a free word may match, best first, with the weight of a match there. A word's
#: best field counts; a record's score is the sum over its words.
FIELD_WEIGHTS = {"place": 10_000, "names": 1_000, "caption": 100, "inscription": 10, "filename": 1}
FREE_FIELDS = tuple(FIELD_WEIGHTS)
FIELD_LABELS = {"place": "place", "names": "name", "caption": "caption", "inscription": "inscription",
                "filename": "file", "credit": "credit"}  # fmt: skip
EXACT, TRANSLIT, FUZZY = 0, 1, 2
#: Shortest word (in letters) allowed one OCR error, and two.
FUZZY_ONE, FUZZY_TWO = 5, 8

_YEAR_RANGE = re.compile(r"^(\d{4})?\.\.(\d{4})?$")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_FIELD_WORD = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)


class QueryError(IngestError):
    """A query that cannot be read: one line saying what is wrong, and the fields."""

    exit_code = 2

    def __init__(self, problem: str) -> None:
        super().__init__(f"bad query: {problem} (fields: {_FIELD_LIST})")


# -- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One term of a query as written."""

    field: str | None
    """A field name from `FIELDS`, or None for free text."""
    value: str
    negated: bool = False
    quoted: bool = False


def parse(query: str) -> list[Term]:
    """The terms of `query` (see the module docstring), values checked.

    Raises:
        QueryError: an unclosed quote, an unknown field, a field without a value, a bad
            year or range, or a value outside a field's vocabulary.
    """
    terms: list[Term] = []
    position = 0
    length = len(query)
    while position < length:
        if query[position].isspace():
            position += 1
            continue
        negated = query[position] == "-" and position + 1 < length and not query[position + 1].isspace()
        if negated:
            position += 1
        if query[position] == '"':
            value, position = _quoted(query, position)
            terms.append(Term(None, value, negated, quoted=True))
            continue
        end = position
        while end < length and not query[end].isspace():
            end += 1
        word = query[position:end]
        position = end
        match = _FIELD_WORD.match(word)
        if match is None or not has_letters(match.group(1)):
            terms.append(Term(None, word, negated))
            continue
        name, value = match.group(1).lower(), match.group(2)
        if name not in FIELDS:
            raise QueryError(f'unknown field "{name}:" in "{word}"')
        quoted = False
        if value.startswith('"'):
            value, position = _quoted(query, position - len(value))
            quoted = True
        if not value.strip():
            raise QueryError(f'"{name}:" needs a value, e.g. {_EXAMPLES[name]}')
        terms.append(Term(name, value, negated, quoted))
    for term in terms:
        _check(term)
    # A free term of punctuation only ("-", "–", "...") has nothing to match: ignored.
    return _join_split_hangul([term for term in terms if term.field is not None or words(term.value)])


_EXAMPLES = {
    "place": "place:Chongjin",
    "person": 'person:"Han Yang Hui"',
    "born": "born:1898",
    "died": "died:1945..1950",
    "year": "year:1945",
    "taken": "taken:1978",
    "kind": "kind:headstone",
    "flag": "flag:ocr_low_confidence",
    "status": "status:pending",
    "credit": "credit:embassy",
    "has": "has:gps",
}


def _quoted(query: str, start: int) -> tuple[str, int]:
    close = query.find('"', start + 1)
    if close < 0:
        raise QueryError(f"unclosed quote in {query[start:]!r}")
    return query[start + 1 : close], close + 1


def _vocabulary(name: str) -> tuple[str, ...]:
    if name == "kind":
        return tuple(kind.value for kind in Kind)
    if name == "status":
        return tuple(status.value for status in ReviewStatus)
    if name == "flag":
        return tuple(code.value for code in FlagCode)
    return tuple(HAS_BITS)


def _check(term: Term) -> None:
    name = term.field
    if name in ("kind", "status", "flag", "has"):
        allowed = _vocabulary(name)
        if term.value.lower() not in allowed:
            raise QueryError(f"{name}:{term.value}: not a {name} (one of: {', '.join(allowed)})")
    elif name in ("born", "died", "year", "taken"):
        _year_range(term)
    elif name in ("place", "person", "credit") and not words(term.value):
        raise QueryError(f"{name}:{term.value}: no letters or digits to match, e.g. {_EXAMPLES[name]}")


def _year_range(term: Term) -> tuple[int, int] | str:
    """A field term's years as (first, last) inclusive, or a date prefix for `taken:`."""
    value = term.value.strip()
    if value.isdigit() and len(value) == 4:
        return int(value), int(value)
    if term.field == "taken" and _DATE_PREFIX.match(value):
        return value
    match = _YEAR_RANGE.match(value)
    if match is None or not (match.group(1) or match.group(2)):
        shapes = "a year (1949) or a range (1945..1950, ..1945, 1950..)"
        if term.field == "taken":
            shapes += " or a date (1978-05, 1978-05-09)"
        raise QueryError(f"{term.field}:{term.value}: expected {shapes}")
    first = int(match.group(1)) if match.group(1) else 0
    last = int(match.group(2)) if match.group(2) else 9999
    if first > last:
        raise QueryError(f"{term.field}:{term.value}: the range runs backwards (write {last}..{first})")
    return first, last


def _join_split_hangul(terms: list[Term]) -> list[Term]:
    """Free one-syllable Hangul words in a row (`쏘 련 군`, as OCR splits them) are one word."""
    out: list[Term] = []
    for term in terms:
        single = term.field is None and not term.negated and not term.quoted and _one_syllable(term.value)
        if single and out and out[-1].field is None and not out[-1].negated and not out[-1].quoted:
            previous = out[-1]
            if all(_one_syllable(ch) for ch in previous.value):
                out[-1] = Term(None, previous.value + term.value)
                continue
        out.append(term)
    return out


def _one_syllable(text: str) -> bool:
    return len(text) == 1 and is_hangul(text)


# -- evaluating ----------------------------------------------------------------------------


@dataclass
class _TextMatches:
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


@dataclass
class Hit:
    """A record that matched, and why."""

    record: Record
    reasons: list[str]


@dataclass
class SearchResult:
    total: int
    """How many records matched (before `limit`)."""
    hits: list[Hit]
    """The records shown, best first (at most `limit`)."""


def search_catalog(
    catalog_path: Path,
    query: str,
    gazetteer: Gazetteer,
    *,
    sort: str = "relevance",
    limit: int | None = None,
    count_only: bool = False,
    events: bool = True,
) -> SearchResult:
    """Search the catalog file at `catalog_path` through its index (built or rebuilt first
    if missing or stale). With `events=False` the hits' records come without their events
    (for listings: most of a record's size).

    Raises:
        QueryError: the query cannot be read (before the index is touched).
        CatalogError: the catalog cannot be read.
    """
    terms = parse(query)
    with open_index(catalog_path) as index:
        return run(index, terms, gazetteer, sort=sort, limit=limit, count_only=count_only, events=events)


def search(
    index: SearchIndex,
    query: str,
    gazetteer: Gazetteer,
    *,
    sort: str = "relevance",
    limit: int | None = None,
    count_only: bool = False,
) -> SearchResult:
    """Search an open index (see `search_catalog`).

    Raises:
        QueryError: the query cannot be read.
    """
    return run(index, parse(query), gazetteer, sort=sort, limit=limit, count_only=count_only)


def run(
    index: SearchIndex,
    terms: list[Term],
    gazetteer: Gazetteer,
    *,
    sort: str = "relevance",
    limit: int | None = None,
    count_only: bool = False,
    events: bool = True,
) -> SearchResult:
    """Evaluate parsed `terms`; hits best first by `sort` (one of `SORTS`)."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
    matcher = _Matcher(index, gazetteer)
    text_matches: list[_TextMatches] = []
    hits: set[int] | None = None
    excluded: set[int] = set()
    for term in sorted(terms, key=lambda t: t.field is None):  # exact fields first: cheap, selective
        if hits is not None and not hits:
            break  # nothing left to match
        if term.field in (None, "person"):
            matches = matcher.text(term, tolerant=not term.negated)
            rows = matches.rows(tolerant=not term.negated)
            if not term.negated:
                text_matches.append(matches)
        else:
            rows = matcher.field(term)
        if term.negated:
            excluded |= rows
        else:
            hits = rows if hits is None else hits & rows
    found = (index.all_rowids() if hits is None else hits) - excluded
    if count_only:
        return SearchResult(len(found), [])
    ordered = _order(index, found, text_matches, sort)
    shown = ordered[:limit] if limit else ordered
    records = index.records(shown, events=events)
    explain = [_reasons(record, rowid, terms, text_matches) for rowid, record in zip(shown, records, strict=True)]
    return SearchResult(len(found), [Hit(record, why) for record, why in zip(records, explain, strict=True)])


class _Matcher:
    def __init__(self, index: SearchIndex, gazetteer: Gazetteer) -> None:
        self.index = index
        self.gazetteer = gazetteer

    def text(self, term: Term, *, tolerant: bool) -> _TextMatches:
        """Where a free-text or `person:` term matches (see the module docstring)."""
        matches = _TextMatches(term)
        fields = ("names",) if term.field == "person" else FREE_FIELDS
        if term.field == "person" and not term.quoted:
            # Every word of the name, each anywhere in the names (any order, any spelling).
            parts = [_TextMatches(Term(None, word)) for word in words(term.value)]
            for part in parts:
                self._words(part, [part.term.value], fields, tolerant, use_gazetteer=False)
            common = set.intersection(*(part.rows() for part in parts)) if parts else set()
            for part in parts:
                for key, rows in part.found.items():
                    matches.found.setdefault(key, set()).update(rows & common)
                matches.translit += part.translit
                matches.fuzzy |= part.fuzzy
            return matches
        self._words(matches, words(term.value), fields, tolerant, use_gazetteer=term.field is None)
        return matches

    def _words(
        self, matches: _TextMatches, folded: list[str], fields: tuple[str, ...], tolerant: bool, use_gazetteer: bool
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

    def _fuzzy(self, matches: _TextMatches, word: str, key: str, fields: tuple[str, ...]) -> None:
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
            years = _year_range(term)
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


# -- ranking and explaining ----------------------------------------------------------------


def _order(index: SearchIndex, found: set[int], text_matches: list[_TextMatches], sort: str) -> list[int]:
    if sort == "relevance":
        if not text_matches:
            return sorted(found)
        scores = {rowid: _score(rowid, text_matches) for rowid in found}
        return sorted(found, key=lambda rowid: (*scores[rowid], rowid))
    keys = index.sort_keys()
    position = 0 if sort == "date" else 1
    return sorted(found, key=lambda rowid: (not keys[rowid][position], keys[rowid][position], rowid))


def _score(rowid: int, text_matches: list[_TextMatches]) -> tuple[int, int, int]:
    """(words matched only with OCR tolerance, -field score, words matched only by sound)."""
    fuzzy_words = translit_words = score = 0
    for matches in text_matches:
        best_quality, best_weight = FUZZY + 1, 0
        for (name, quality), rows in matches.found.items():
            if rowid in rows:
                weight = FIELD_WEIGHTS.get(name, 0)
                if (quality, -weight) < (best_quality, -best_weight):
                    best_quality, best_weight = quality, weight
        fuzzy_words += best_quality == FUZZY
        translit_words += best_quality == TRANSLIT
        score += best_weight
    return fuzzy_words, -score, translit_words


def _reasons(record: Record, rowid: int, terms: list[Term], text_matches: list[_TextMatches]) -> list[str]:
    """Why `record` matched: each field a word matched in, best first, and each field term."""
    found: dict[str, tuple[int, str]] = {}
    for matches in text_matches:
        for (name, quality), rows in matches.found.items():
            if rowid not in rows:
                continue
            shown = found.get(name)
            if shown is not None and shown[0] <= quality:
                continue
            found[name] = (quality, _how(record, name, quality, matches))
    ordered = sorted(found.items(), key=lambda item: (-FIELD_WEIGHTS.get(item[0], 0), item[1][0]))
    reasons = [FIELD_LABELS[name] + how for name, (_, how) in ordered]
    for term in terms:
        if term.field not in (None, "person") and not term.negated:
            reasons.append(_field_reason(record, term))
    return list(dict.fromkeys(reasons))


def _how(record: Record, name: str, quality: int, matches: _TextMatches) -> str:
    if name == "place" and matches.site_name and quality == EXACT:
        typed = matches.term.value
        return "" if fold(typed) == fold(matches.site_name) else f" (alias: {typed})"
    if quality == EXACT:
        return ""
    text = _field_text(record, name)
    if quality == TRANSLIT:
        wanted = matches.translit
        word = _first_word(text, lambda w: any(key.startswith(wanted[0]) for key in translit_keys(w)))
        return f" (translit: {word})" if word else " (translit)"
    word = _first_word(text, lambda w: w in matches.fuzzy or any(key in matches.fuzzy for key in translit_keys(w)))
    return f" (fuzzy: {word})" if word else " (fuzzy)"


def _first_word(text: str, wanted: Callable[[str], bool]) -> str | None:
    for folded, original in words_with_originals(text):
        if wanted(folded):
            return original
    return None


def _field_text(record: Record, name: str) -> str:
    if name == "names":
        return " ".join(part for p in record.persons for part in (p.name, p.name_latin or "") if part)
    if name == "caption":
        return record.caption or ""
    if name == "inscription":
        return record.ocr.text
    if name == "filename":
        return record.source.filename
    return ""


def _field_reason(record: Record, term: Term) -> str:
    name = term.field
    assert name is not None
    if name in ("born", "died", "year", "taken"):
        years = _year_range(term)
        if isinstance(years, str):
            return f"taken {record.exif.date_taken}"
        if name == "taken":
            return f"taken {record.exif.date_taken}"
        values: list[int] = []
        for person in record.persons:
            for year in (person.birth_year,) if name == "born" else (person.death_year,) if name == "died" else ():
                if year is not None and years[0] <= year <= years[1]:
                    values.append(year)
        return f"{name} {', '.join(str(v) for v in dict.fromkeys(values))}".strip() if values else name
    if name == "place":
        return f"place {record.place.name}" if record.place else "place"
    return f"{name}:{term.value.lower() if name in ('kind', 'status', 'flag', 'has') else term.value}"
