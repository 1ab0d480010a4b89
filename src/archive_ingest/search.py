"""Finding records: text normalisation and the simple text search of the foundation.

`normalise()` is the one folding every comparison uses (tests too): Unicode NFKC, case
folded, ё as е (stones and OCR use both), whitespace collapsed. The full query language
with fields and cross-script matching builds on this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .record import Record

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).strip()


def searchable_fields(record: Record) -> dict[str, str]:
    """The text a simple search looks in, by field name (in ranking order)."""
    return {
        "filename": record.source.filename,
        "caption": record.caption or "",
        "inscription": record.ocr.text,
        "place": " ".join(filter(None, (record.place.name, record.place.name_ru, record.place.name_ko)))
        if record.place
        else "",
    }


#: `status:accepted`, `flag:no_date`, `kind:headstone`: exact filters on record fields.
_FILTER = re.compile(r"(?<!\S)(status|flag|kind):(\S+)")


def _passes(record: Record, filters: list[tuple[str, str]]) -> bool:
    for name, value in filters:
        if name == "status" and record.review.status != value:
            return False
        if name == "kind" and record.kind != value:
            return False
        if name == "flag" and not any(flag.code == value for flag in record.flags):
            return False
    return True


def simple_search(records: Iterable[Record], text: str) -> list[tuple[Record, list[str]]]:
    """Records whose file name, caption, inscription or place contain `text` from a word start.

    Matching is case-insensitive and folds ё/е and whitespace. The text must begin where
    a word begins (after a space, punctuation or `_`), so `Тён` finds `Тён Иван` but not
    `лейтенант`; it may end inside a word, so `Пхеньян` finds `в Пхеньяне`. Words
    `status:X`, `flag:X` and `kind:X` filter on those fields exactly. Results keep
    catalog order, with the fields that matched.
    """
    filters = [(m.group(1), m.group(2).lower()) for m in _FILTER.finditer(text)]
    rest = normalise(_FILTER.sub(" ", text))
    pattern = re.compile(r"(?<![^\W_])" + re.escape(rest))
    hits: list[tuple[Record, list[str]]] = []
    for record in records:
        if not _passes(record, filters):
            continue
        fields = searchable_fields(record)
        matched = [name for name, value in fields.items() if pattern.search(normalise(value))] if rest else []
        if matched or not rest:
            hits.append((record, matched or [name for name, _ in filters]))
    return hits
