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


def simple_search(records: Iterable[Record], text: str) -> list[tuple[Record, list[str]]]:
    """Records whose file name, caption, inscription or place contain `text` from a word start.

    Matching is case-insensitive and folds ё/е and whitespace. The text must begin where
    a word begins (after a space, punctuation or `_`), so `Тён` finds `Тён Иван` but not
    `лейтенант`; it may end inside a word, so `Пхеньян` finds `в Пхеньяне`. Results
    keep catalog order, with the fields that matched.
    """
    pattern = re.compile(r"(?<![^\W_])" + re.escape(normalise(text)))
    hits: list[tuple[Record, list[str]]] = []
    for record in records:
        matched = [name for name, value in searchable_fields(record).items() if pattern.search(normalise(value))]
        if matched:
            hits.append((record, matched))
    return hits
