"""The static site's search index: what each record can be found by, worked out here.

The site has no server, so the browser cannot ask the CLI's SQLite index. Instead every
record's keys are computed here, with the very functions the CLI's index uses
(`catalog.index_entries.entry_for`, `text/fold.py`, the gazetteer), and shipped in one script file
(`search-index.js`: `fetch()` of a file:// URL is blocked, a `<script src>` is not). The
browser (`static/site.js`) only folds the query, with a port of `fold.words` and
`fold.translit_keys`. The tables that port needs and that live in Python packages (iuliia's
Wikipedia scheme for Russian, the OCR look-alike letters) are exported from those packages
into the same file, so the two sides cannot drift apart; `tests/test_site.py` runs the port
in the browser against the Python functions.

Per record (decisions a user should know):

- `w`, the exact keys: the folded words of the place (every name and alias of its gazetteer
  site, in every script, and of each site named in the caption or the inscription), the
  people's names as written and in Latin, the caption, the inscription and the file name.
- `k`, the transliteration keys of the names, caption and inscription words (Wikipedia
  romanisation of Russian, Revised Romanization of Korean, reduced: `Тён` and `Tyon` are
  both `ten`; a Hangul word also has a key per syllable).

In the browser every query word must match from the start of a word: its folded form a
`w` word, or its transliteration key a `k` key. A query that is, as a whole, a name of a
gazetteer site (`sites`) matches by names only, not by sound, as in the CLI. What the site
leaves to the CLI: OCR-tolerant (fuzzy) matching, phrases, `-word` and `field:` terms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import iuliia

from ..catalog.index_entries import entry_for
from ..record import Record
from ..text.fold import words
from ..text.names.vocabulary import LOOKALIKES
from ..text.places import Gazetteer, Site

#: Bump when the shape of the index file changes (site.js checks it).
INDEX_VERSION = 1

#: Where the exact words of a record come from (fields of `catalog.index_entries.Entry.text`).
EXACT_FIELDS = ("place", "names", "caption", "inscription", "filename")
TRANSLIT_FIELDS = ("names_tr", "caption_tr", "inscription_tr")


def site_words(site: Site) -> list[str]:
    """The folded words of every name of a site, and of its province."""
    return [word for name in (*site.names, site.province) for word in words(name)]


def record_keys(record: Record, gazetteer: Gazetteer) -> tuple[list[str], list[str]]:
    """(exact words, transliteration keys) of one record, each list without repeats."""
    entry = entry_for(0, record)
    exact = [word for name in EXACT_FIELDS for word in entry.text[name]]
    sites: list[Site] = []
    if record.place is not None:
        site = gazetteer.get(record.place.name)
        if site is not None:
            sites.append(site)
    sites += gazetteer.find_all(" ".join(filter(None, (record.caption, record.ocr.text))))
    for site in sites:
        exact += site_words(site)
    keys = [key for name in TRANSLIT_FIELDS for key in entry.text[name]]
    return list(dict.fromkeys(exact)), list(dict.fromkeys(keys))


def site_names(gazetteer: Gazetteer) -> list[str]:
    """Every name of every site as the query's words joined by a space would fold it."""
    return sorted({" ".join(words(name)) for site in gazetteer.sites for name in site.names} - {""})


def russian_scheme() -> dict[str, dict[str, str]]:
    """iuliia's Wikipedia schema (its lower-case rules: the browser folds before it romanises)."""
    path = Path(getattr(iuliia.WIKIPEDIA, "path", ""))
    definition: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: dict(definition.get(key) or {})
        for name, key in (("map", "mapping"), ("prev", "prev_mapping"), ("next", "next_mapping"),
                          ("ending", "ending_mapping"))
    }  # fmt: skip


def index_data(records: list[Record], gazetteer: Gazetteer) -> dict[str, Any]:
    """The whole search index, as `search-index.js` defines it."""
    rows = []
    for record in records:
        exact, keys = record_keys(record, gazetteer)
        rows.append([record.id, " ".join(exact), " ".join(keys)])
    return {
        "version": INDEX_VERSION,
        "russian": russian_scheme(),
        "lookalikes": {latin.lower(): cyrillic.lower() for latin, cyrillic in LOOKALIKES.items()},
        "sites": site_names(gazetteer),
        "records": rows,
    }


def index_script(data: dict[str, Any]) -> str:
    """`data` as a script defining `ARCHIVE_SEARCH_INDEX` (JSON is valid JavaScript; U+2028
    and U+2029 are escaped for older engines that end a string at them)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")
    header = "// The site's search index: made by `archive-ingest site`; read by static/site.js.\n"
    return f"{header}var ARCHIVE_SEARCH_INDEX = {payload};\n"
