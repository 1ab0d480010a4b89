"""The gazetteer of sites, and finding the site that a caption or an inscription names.

`Gazetteer.load()` reads `data/places.yaml` (or an archivist's own copy) into `Site`s and
compiles one regular expression for the whole gazetteer, once per run. Then `find` and
`find_all` scan free text in any script, `get` looks up one name exactly, and `nearest`
matches GPS coordinates to a site.

Matching decisions (what a user of `find` and `get` should know):

- Text and names are folded before they are compared: NFC, then case-folded; accents and
  breves are stripped from Latin letters (ŏ -> o, ŭ -> u); apostrophes (ʼ ' ’ ‘ ` ʻ ´) are
  removed, so "P'yŏngyang", "Pyongyang" and "PYONGYANG" are one name; Cyrillic ё becomes
  е (tesseract reads ё as е anyway); combining marks such as a Russian stress accent are
  dropped. Cyrillic й stays: it is a letter, not an accented и.
- Names match whole words. A word is a run of letters, so digits, punctuation, `_` and
  `-` end a word: "Pyongyang_1978" and "Chongjin-si" match, but "Uiju" does not match
  inside "Sinuiju", nor Ыйджу inside Синыйджу, nor 의주 inside 신의주.
- What may follow a name depends on its script (`_SCRIPT_AFFIXES`):
  * Latin: an English possessive ("Pyongyang's", an `s` once apostrophes are folded).
  * Cyrillic: at most one Russian case ending from `RUSSIAN_ENDINGS`, noun or `-ский`
    adjective ("в Пхеньяне", "под Вонсаном", "Хамхына", "Пхеньянского"). It is a closed
    list rather than "any few letters", so that a short stem does not swallow another
    word ("Хамхынбург" is no place). Indeclinable names ("Нампхо") match as they are.
  * Hangul: anything, so particles and suffixes match ("평양의", "청진시", "원산에서",
    "해주시에"); only the start of the word is required. The few Korean words that begin
    with a site's name but mean something else (원산지 "place of origin", 청진기
    "stethoscope", 해주세요 "please do") are listed in `HANGUL_FALSE_FRIENDS`.
  * Han characters (丹東): anywhere, since Chinese does not separate words with spaces.
- When two matches overlap, the longer one wins; `find_all` lists each site once, in the
  order of its first mention, and `find` returns the first site mentioned.
- `get` is an exact lookup after folding: it does not strip case endings or particles
  (`get("Пхеньяне")` is None).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from ..config import load_yaml
from ..errors import ConfigError
from ..record import Place

GAZETTEER_FILENAME = "places.yaml"
_PACKAGE = "archive_ingest"

#: Mean Earth radius (IUGG), for haversine distances.
EARTH_RADIUS_KM = 6371.0088

_APOSTROPHES = frozenset("ʼ'’‘`ʻ´")

#: Endings a Russian place name may take (nouns in a consonant, and adjectives in -ский),
#: matched after the nominative written in the gazetteer.
RUSSIAN_ENDINGS: tuple[str, ...] = (
    # nouns: в Пхеньяне, Пхеньяна, Пхеньяну, под Вонсаном; plural and soft forms for safety
    "а", "у", "е", "ом", "ой", "ем", "ы", "и", "ов", "ам", "ами", "ах",
    # adjectives: пхеньянский, Пхеньянского, под Вонсанской, ...
    "ский", "ского", "скому", "ским", "ском", "ская", "ской", "скую", "ское", "ские", "ских", "скими",
)  # fmt: skip

#: Korean words that begin with a site's Hangul name but do not name it. Keys are
#: gazetteer names; values are what follows the name in such a word.
HANGUL_FALSE_FRIENDS: dict[str, tuple[str, ...]] = {
    "원산": ("지",),  # 원산지: place of origin
    "청진": ("기",),  # 청진기: stethoscope
    "함흥": ("차사",),  # 함흥차사: an idiom, "a messenger who never comes back"
    # 해주다, "to do for someone": 해주세요, 해주었다, 해주시기, ... (but 해주시에 is Haeju)
    "해주": ("세요", "어", "었", "셔", "셨", "십시", "시기", "시고", "시면", "시겠", "시길", "고", "기", "면",
             "지만", "게", "며", "려"),
}  # fmt: skip

Script = Literal["latin", "cyrillic", "hangul", "han"]

_LETTER = r"[^\W\d_]"
_WORD_START = rf"(?<!{_LETTER})"
_WORD_END = rf"(?!{_LETTER})"

#: What must come before and may come after a name, per script (see the module docstring).
_SCRIPT_AFFIXES: dict[Script, tuple[str, str]] = {
    "latin": (_WORD_START, rf"s?{_WORD_END}"),
    "cyrillic": (_WORD_START, rf"(?:{'|'.join(RUSSIAN_ENDINGS)})?{_WORD_END}"),
    "hangul": (_WORD_START, ""),
    "han": ("", ""),
}

_FIELDS = ("name", "name_ko", "name_ru", "province", "lat", "lon", "aliases")
_TEXT_FIELDS = ("name", "name_ko", "name_ru", "province")


@dataclass(frozen=True)
class Site:
    """One site of the gazetteer."""

    name: str
    """The usual Latin form, as records show it."""
    name_ko: str
    """Hangul, North Korean spelling."""
    name_ru: str
    """Russian, nominative."""
    province: str
    lat: float
    """WGS84 decimal degrees, north positive."""
    lon: float
    """WGS84 decimal degrees, east positive."""
    aliases: tuple[str, ...] = ()
    """Other names as the gazetteer writes them (romanisations, older names, variants)."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every name of the site: name, name_ko, name_ru, then the aliases."""
        return (self.name, self.name_ko, self.name_ru, *self.aliases)

    def to_place(self, source: str) -> Place:
        """The record's `place`; `source` says what named it (`caption`, `ocr`, `gps`, ...)."""
        return Place(
            name=self.name,
            name_ko=self.name_ko,
            name_ru=self.name_ru,
            province=self.province,
            lat=self.lat,
            lon=self.lon,
            source=source,
        )


def fold(text: str) -> str:
    """`text` folded for matching: case, Latin accents, apostrophes and ё/е ignored."""
    return "".join(_fold_char(ch) for ch in unicodedata.normalize("NFC", text).casefold())


@functools.cache
def _fold_char(ch: str) -> str:
    if ch in _APOSTROPHES or unicodedata.combining(ch):
        return ""
    if ch == "ё":
        return "е"
    if ch.isascii() or not unicodedata.name(ch, "").startswith("LATIN"):
        return ch
    return "".join(part for part in unicodedata.normalize("NFD", ch) if not unicodedata.combining(part))


def _key(name: str) -> str:
    """The folded form a name is indexed under (whitespace runs become one space)."""
    return " ".join(fold(name).split())


def _script(key: str) -> Script:
    for ch in key:
        char_name = unicodedata.name(ch, "")
        if char_name.startswith("HANGUL"):
            return "hangul"
        if char_name.startswith("CJK"):
            return "han"
        if char_name.startswith("CYRILLIC"):
            return "cyrillic"
    return "latin"


def _pattern(key: str) -> str:
    """The regex for one folded name and what may follow it (its script's `before` is
    added once per script by `_compile`)."""
    body = r"\s+".join(re.escape(part) for part in key.split(" "))
    after = _SCRIPT_AFFIXES[_script(key)][1]
    false_friends = HANGUL_FALSE_FRIENDS.get(key, ())
    if false_friends:
        after += "(?!" + "|".join(re.escape(tail) for tail in false_friends) + ")"
    return body + after


def _compile(keys: list[str]) -> re.Pattern[str]:
    """One regex for all `keys` (folded names, longest first); group `n<i>` is keys[i].

    Every name sits in its own capturing group inside a lookahead, so every start position
    is tried and overlapping matches are all seen (`Gazetteer._mentions` keeps the longer).
    Names are grouped by what must precede them, and each group first checks the possible
    first letters: inside a word, or at a letter no name starts with, a position fails
    after one test instead of one per name (7x faster on a 1,200-character text).
    """
    by_before: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        by_before.setdefault(_SCRIPT_AFFIXES[_script(key)][0], []).append(index)
    parts = []
    for before, indexes in by_before.items():
        first_letters = "".join(sorted({re.escape(keys[index][0]) for index in indexes}))
        names = "|".join(f"(?P<n{index}>{_pattern(keys[index])})" for index in indexes)
        parts.append(f"{before}(?=[{first_letters}])(?:{names})")
    return re.compile("(?=(?:" + "|".join(parts) + "))")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Gazetteer:
    """The sites, indexed by every folded name, with one compiled regex for free text."""

    def __init__(self, sites: Iterable[Site], *, source: str = GAZETTEER_FILENAME) -> None:
        """Index `sites`.

        Raises:
            ConfigError: a name is empty after folding, or two sites share a name
                (the message names `source` and both entries).
        """
        self._sites = tuple(sites)
        self._by_key: dict[str, Site] = {}
        owner: dict[str, int] = {}
        for index, site in enumerate(self._sites):
            where = f"{source}: entry {index + 1} ({site.name})"
            fields = [("name", site.name), ("name_ko", site.name_ko), ("name_ru", site.name_ru)]
            fields += [("aliases", alias) for alias in site.aliases]
            for field_name, value in fields:
                key = _key(value)
                if not key:
                    raise ConfigError(f"{where}: {field_name}: {value!r} has no letters to match")
                other = owner.setdefault(key, index)
                if other != index:
                    raise ConfigError(
                        f"{where}: {field_name}: {value!r} is already a name of "
                        f"entry {other + 1} ({self._sites[other].name})"
                    )
                self._by_key[key] = site
        # Longest names first, so at any one position the longest name is tried first.
        keys = sorted(self._by_key, key=lambda key: (-len(key), key))
        self._key_sites = [self._by_key[key] for key in keys]
        self._regex = _compile(keys)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read a gazetteer file; None reads the packaged `data/places.yaml`.

        Raises:
            ConfigError: the file is unreadable, not YAML, or an entry is bad; one line
                naming the file, the entry and the field.
        """
        if path is None:
            filename = GAZETTEER_FILENAME
            resource = resources.files(_PACKAGE) / "data" / GAZETTEER_FILENAME
            try:
                text = resource.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{resource}: cannot read the packaged gazetteer: {exc}") from exc
        else:
            filename = path.name
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: cannot read: {exc}") from exc
        return cls(_parse(text, filename), source=filename)

    @property
    def sites(self) -> tuple[Site, ...]:
        return self._sites

    def get(self, name: str) -> Site | None:
        """The site with this exact name or alias (after folding), or None."""
        return self._by_key.get(_key(name))

    def find(self, text: str) -> Site | None:
        """The first site named in `text` (any script), or None."""
        found = self.find_all(text)
        return found[0] if found else None

    def find_all(self, text: str) -> list[Site]:
        """Every site named in `text`, in order of first mention, each once."""
        found: list[Site] = []
        for site in self._mentions(text):
            if site not in found:
                found.append(site)
        return found

    def nearest(self, lat: float, lon: float, max_km: float) -> tuple[Site, float] | None:
        """The site nearest to (lat, lon) and its distance in km, if within `max_km`."""
        best: tuple[Site, float] | None = None
        for site in self._sites:
            distance = haversine_km(lat, lon, site.lat, site.lon)
            if best is None or distance < best[1]:
                best = (site, distance)
        if best is None or best[1] > max_km:
            return None
        return best

    def _mentions(self, text: str) -> list[Site]:
        """Sites named in `text` in text order, overlaps resolved in favour of the longer."""
        candidates: list[tuple[int, int, Site]] = []
        for match in self._regex.finditer(fold(text)):
            group = match.lastgroup  # "n<i>": the i-th key matched
            if group is not None:
                site = self._key_sites[int(group[1:])]
                candidates.append((match.start(group), match.end(group), site))
        chosen: list[tuple[int, int, Site]] = []
        for start, end, site in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
            if all(end <= taken_start or start >= taken_end for taken_start, taken_end, _ in chosen):
                chosen.append((start, end, site))
        return [site for _, _, site in sorted(chosen, key=lambda c: c[0])]


# -- reading places.yaml ------------------------------------------------------------


def _parse(text: str, filename: str) -> list[Site]:
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{filename}:{where} not valid YAML: {problem}") from exc
    if not isinstance(raw, list) or not raw:
        got = "an empty file" if raw is None else type(raw).__name__
        raise ConfigError(f"{filename}: expected a list of sites, got {got}")
    return [_site(entry, number, filename) for number, entry in enumerate(raw, start=1)]


def _site(entry: Any, number: int, filename: str) -> Site:
    if not isinstance(entry, dict):
        raise ConfigError(f"{filename}: entry {number}: expected a mapping of fields, got {type(entry).__name__}")
    name = entry.get("name")
    label = f" ({name.strip()})" if isinstance(name, str) and name.strip() else ""
    where = f"{filename}: entry {number}{label}"
    for field_name in entry:
        if field_name not in _FIELDS:
            raise ConfigError(f"{where}: {field_name}: unknown field (fields: {', '.join(_FIELDS)})")
    for field_name in _FIELDS[:-1]:
        if field_name not in entry:
            raise ConfigError(f"{where}: {field_name}: missing")
    texts = {field_name: _text(entry[field_name], f"{where}: {field_name}") for field_name in _TEXT_FIELDS}
    return Site(
        name=texts["name"],
        name_ko=texts["name_ko"],
        name_ru=texts["name_ru"],
        province=texts["province"],
        lat=_degrees(entry["lat"], f"{where}: lat", 90),
        lon=_degrees(entry["lon"], f"{where}: lon", 180),
        aliases=_aliases(entry.get("aliases"), f"{where}: aliases"),
    )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: must be a non-empty string")
    return value.strip()


def _degrees(value: Any, where: str, limit: int) -> float:
    # bool is an int to Python, and YAML reads `yes` as True: not a coordinate.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: must be a number")
    if not -limit <= value <= limit:  # also rejects .nan
        raise ConfigError(f"{where}: must be between -{limit} and {limit}")
    return float(value)


def _aliases(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: must be a list of names")
    return tuple(_text(alias, f"{where}: item {number}") for number, alias in enumerate(value, start=1))
