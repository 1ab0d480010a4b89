"""People named on a stone or in a caption: names, ranks, years, and merging the two.

This package owns the `persons` of a record: `persons_in_inscription` reads them from an
inscription as OCR gave it, `persons_in_caption` from a caption, and `merge_persons` pairs
the two readings. `split_name` splits any name into surname, given name and patronymic.
One job per module, each with its own decisions in its docstring:

- `vocabulary`: the closed vocabularies (ranks, Russian given names and their diminutives,
  patronymics, Korean surnames in Cyrillic, epitaph words) and `fold`.
- `parts`: the structure of a name (`NameParts`, `split_name`, `is_unknown`, scripts).
- `corrections`: OCR corrections of carved words (look-alike letters, one-letter misreads).
- `inscription`: `persons_in_inscription` and `InscriptionReading`, the stone reader.
- `caption`: `persons_in_caption`.
- `merge`: `merge_persons`, `attach_nameless_span`, `same_person`.

Decisions a user should know, whichever reading gave the person:

- `Person.name` is the name as written: on a stone, as carved (upper case, surname first,
  the name's lines joined by single spaces: `КОМАРОВ ГЕННАДИЙ ЛЕОНИДОВИЧ`), with the OCR
  corrections applied; in a caption, as the caption writes it
  (`Gennady Leonidovich Komarov`). A stone or caption with only a Hangul (or hanja) name
  gives that name. Russian case endings are not undone (`Могила Попова` keeps `Попова`).
- `Person.name_latin` is always surname first (`Komarov Gennady Leonidovich`, `Yun Zoya`),
  romanised by `text/translit.py`; an English caption's given-name-first order is turned
  round when `split_name` can tell the surname (a patronymic in the middle, or a known given
  name beside an unknown word). Compare names order-insensitively (`merge_persons` does).
- `Person.rank` is the Russian rank in lower case (`рядовой`, `гвардии сержант`); English
  caption ranks are mapped (`private` -> `рядовой`, `red navy sailor` -> `краснофлотец`).
- An unknown soldier is a Person named as carved (`НЕИЗВЕСТНЫЙ СОЛДАТ`, `НЕИЗВЕСТНЫЙ
  МАТРОС`; a caption's `unknown soldier` / `неизвестного солдата` gives the same Russian
  nominative) with the English `Unknown Soldier` (`Unknown Sailor`, ...; just `Unknown`
  when no noun was read) as `name_latin`; a lone year after it is its death year.
  `is_unknown` tells such a person from a named one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .caption import persons_in_caption
    from .inscription import InscriptionReading, NamelessSpan, persons_in_inscription
    from .merge import attach_nameless_span, merge_persons, same_person
    from .parts import NameParts, is_unknown, latin_form, split_name
    from .vocabulary import (
        DIMINUTIVES,
        ENGLISH_RANKS,
        EPITAPH_WORDS,
        FEMALE_NAMES,
        GIVEN_NAMES,
        KOREAN_SURNAMES,
        KOREAN_SURNAMES_LATIN,
        LOOKALIKES,
        MALE_NAMES,
        PATRONYMIC_ENDINGS,
        PATRONYMICS,
        RANK_PREFIX,
        RANKS,
        UNKNOWN_NOUNS,
        UNKNOWN_WORDS,
        fold,
    )

#: Where each public name lives. Loaded on first use (PEP 562): the search index needs only
#: `parts` and `vocabulary`, and importing the readers with it cost every search 25 ms.
_HOMES = {
    "persons_in_caption": "caption",
    **dict.fromkeys(("InscriptionReading", "NamelessSpan", "persons_in_inscription"), "inscription"),
    **dict.fromkeys(("attach_nameless_span", "merge_persons", "same_person"), "merge"),
    **dict.fromkeys(("NameParts", "is_unknown", "latin_form", "split_name"), "parts"),
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES.get(name, 'vocabulary')}", __name__), name)


__all__ = [
    "DIMINUTIVES",
    "ENGLISH_RANKS",
    "EPITAPH_WORDS",
    "FEMALE_NAMES",
    "GIVEN_NAMES",
    "KOREAN_SURNAMES",
    "KOREAN_SURNAMES_LATIN",
    "LOOKALIKES",
    "MALE_NAMES",
    "PATRONYMICS",
    "PATRONYMIC_ENDINGS",
    "RANKS",
    "RANK_PREFIX",
    "UNKNOWN_NOUNS",
    "UNKNOWN_WORDS",
    "InscriptionReading",
    "NameParts",
    "NamelessSpan",
    "attach_nameless_span",
    "fold",
    "is_unknown",
    "latin_form",
    "merge_persons",
    "persons_in_caption",
    "persons_in_inscription",
    "same_person",
    "split_name",
]
