"""Finding records: the public search API, ranking the hits and saying why each matched.

This module owns a search from query text to ranked, explained hits. `search_catalog`
and `search` parse the query (`search/query.py`: a bad query raises `QueryError`, exit 2),
match its terms against the search index (`search/matching.py`, over `catalog/index.py`, which
stores the keys `text/fold.py` makes), then rank the hits and explain them; `normalise` is
the plain folding tests compare OCR text by.

Ranking and explaining (decisions a user should know):

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
from dataclasses import dataclass
from pathlib import Path

from ..catalog.index import open_index
from ..catalog.index_reader import SearchIndex
from ..record import Record
from ..text.fold import fold, translit_keys, words_with_originals
from ..text.places import Gazetteer
from .matching import EXACT, FIELD_WEIGHTS, FUZZY, TRANSLIT, Matcher, TextMatches, check_places
from .query import QueryError, Term, parse, year_range

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text folded for comparing OCR output in tests: NFKC, case folded, ё as е, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).strip()


SORTS = ("relevance", "date", "name")
FIELD_LABELS = {"place": "place", "names": "name", "caption": "caption", "inscription": "inscription",
                "filename": "file", "credit": "credit"}  # fmt: skip


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
    terms = parse_checked(query, gazetteer)
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
    return run(index, parse_checked(query, gazetteer), gazetteer, sort=sort, limit=limit, count_only=count_only)


def parse_checked(query: str, gazetteer: Gazetteer) -> list[Term]:
    """The terms of `query`, each field's value checked, `place:` against the gazetteer.

    Raises:
        QueryError: the query cannot be read, or says nothing, or names no known place.
    """
    terms = parse(query)
    check_places(terms, gazetteer)
    return terms


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
    matcher = Matcher(index, gazetteer)
    text_matches: list[TextMatches] = []
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


# -- ranking and explaining ----------------------------------------------------------------


def _order(index: SearchIndex, found: set[int], text_matches: list[TextMatches], sort: str) -> list[int]:
    if sort == "relevance":
        if not text_matches:
            return sorted(found)
        scores = {rowid: _score(rowid, text_matches) for rowid in found}
        return sorted(found, key=lambda rowid: (*scores[rowid], rowid))
    keys = index.sort_keys()
    position = 0 if sort == "date" else 1
    return sorted(found, key=lambda rowid: (not keys[rowid][position], keys[rowid][position], rowid))


def _score(rowid: int, text_matches: list[TextMatches]) -> tuple[int, int, int]:
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


def _reasons(record: Record, rowid: int, terms: list[Term], text_matches: list[TextMatches]) -> list[str]:
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


def _how(record: Record, name: str, quality: int, matches: TextMatches) -> str:
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
        years = year_range(term)
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
