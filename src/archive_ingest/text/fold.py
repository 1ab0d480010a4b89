"""Search keys: how the words of a caption, an inscription or a name are folded so that
the spellings of one word meet, whatever the script.

This module owns the two keys search compares words by; `catalog/index_entries.py` stores them and
the query's words are folded the same way.

- `words(text)` splits text into folded words (the *exact* key). Folding: Unicode NFKC,
  then `places.fold` (case folded, Latin accents and breves dropped, apostrophes removed,
  Cyrillic ё read as е), so `Ch'ŏngjin` is `chongjin`. A word is a run of letters and
  digits: spaces, punctuation, `_` and `-` separate words (`DSC_0003.JPG` is `dsc 0003
  jpg`, `1884-1949` is two words).
  * A word mixing Cyrillic and Latin letters has its Latin look-alikes read as Cyrillic
    (OCR reads a carved `А` as Latin `A`): `ТAPACOB` is `тарасов`.
  * Hangul is folded on its jamo so North and South Korean spellings meet: tense initials
    are read plain (`쏘련` = `소련`: ㄲㄸㅃㅆㅉ as ㄱㄷㅂㅅㅈ); in a word's first syllable an
    initial ㄹ is read ㄴ, and an initial ㄴ before ㅣ or a y-vowel (ㅑㅒㅕㅖㅛㅠ) is read ㅇ (the
    South's initial-sound rule, 두음법칙: `렬사` = `열사`, `리` = `이`, `로동` = `노동`, `라진` =
    `나진`); inside a word `렬` and `률` after a vowel or ㄴ are read `열` and `율` (the same
    rule's second half: `선렬` = `선열`).
  * Hangul split into single syllables by OCR (`쏘 련 군`) is joined back into one word
    (`소연군`): a run of two or more one-syllable Hangul words becomes one word.
- `translit_keys(word)` gives the *transliteration key*: the word in Latin letters, then
  reduced so that romanisations of one name meet. Cyrillic is romanised by the Wikipedia
  scheme of the `iuliia` package, Hangul by the Revised Romanization of Korean (2000)
  through `korean-romanizer` (the same standards as `name_latin`, see `translit.py`), Latin
  is kept. The reduction: the Revised Romanization's `eo`/`eu` as McCune-Reischauer's
  `o`/`u`; then `latin_key` of `text/names/parts.py` (y as i, kh as h, sh as s, x as ks, yo
  as e, doubled letters once, no i before a vowel); then `ng` as `n` and `ui` as `i` (Russian
  writes Korean `Yang Hui` as `Ян Хи`) and voiced stops as voiceless (g as k, d as t, b as p: RR `Gim`, MR and
  Russian `Kim`). So `Tyon` and `Тён` are both `ten`, `Nikolai` and `Николай` both
  `nikolai`, `Shura`, `Шура` and `슈라` all `sura`. A Hangul word also gets the key of each
  syllable (`한양희` gives `hananhi`, `han`, `an`, `hi`), so a Korean given name written in
  one word or in syllables meets either way. Digits and Han characters have no key.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import iuliia
from korean_romanizer.romanizer import Romanizer

from .names.parts import latin_key
from .names.vocabulary import LOOKALIKES
from .places import fold as _fold_place

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
_HANGUL_SYLLABLES = re.compile(r"[\uac00-\ud7a3]")
_LOOKALIKES = {latin.lower(): cyrillic.lower() for latin, cyrillic in LOOKALIKES.items()}

_HANGUL_BASE = 0xAC00
_HANGUL_COUNT = 11172
#: Initial consonant indexes (ㄱ0 ㄲ1 ㄴ2 ㄷ3 ㄸ4 ㄹ5 ... ㅇ11 ...): tense to plain.
_PLAIN_INITIAL = {1: 0, 4: 3, 8: 7, 10: 9, 13: 12}
_RIEUL, _NIEUN, _IEUNG = 5, 2, 11
#: Medial vowels before which an initial ㄴ falls silent: ㅑㅒㅕㅖㅛㅠㅣ.
_Y_VOWELS = frozenset({2, 3, 6, 7, 12, 17, 20})
#: 렬 and 률 (ㅕ, ㅠ with a final ㄹ) after no final (a vowel) or a final ㄴ read 열, 율.
_YEO_YU = frozenset({6, 17})
_FINAL_RIEUL = 8
_OPEN = frozenset({0, 4})


def fold(text: str) -> str:
    """`text` folded (NFKC, case, accents, apostrophes, ё/е), words kept apart by spaces."""
    return _fold_place(unicodedata.normalize("NFKC", text))


def words(text: str) -> list[str]:
    """The folded words of `text` (the exact key; see the module docstring)."""
    return [_fold_word(word) for word in _join_split_hangul(_WORD.findall(fold(text)))]


def words_with_originals(text: str) -> list[tuple[str, str]]:
    """Each folded word of `text` with the text it came from (to show what matched)."""
    spans: list[tuple[str, int, int]] = []
    for match in _WORD.finditer(text):
        for folded in _WORD.findall(fold(match.group())):
            spans.append((folded, match.start(), match.end()))
    out: list[tuple[str, str]] = []
    index = 0
    while index < len(spans):
        end = index
        while end + 1 < len(spans) and _one_syllable(spans[end][0]) and _one_syllable(spans[end + 1][0]):
            end += 1
        if end > index:
            joined = "".join(word for word, _, _ in spans[index : end + 1])
            out.append((_fold_word(joined), text[spans[index][1] : spans[end][2]]))
        else:
            out.append((_fold_word(spans[index][0]), text[spans[index][1] : spans[index][2]]))
        index = end + 1
    return out


@functools.lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    if _CYRILLIC.search(word) and _LATIN.search(word):
        word = "".join(_LOOKALIKES.get(ch, ch) for ch in word)
    if _HANGUL_SYLLABLES.search(word):
        word = _fold_hangul(word)
    return word


def _fold_hangul(word: str) -> str:
    out = []
    previous_final: int | None = None  # None: not after a Hangul syllable
    for ch in word:
        code = ord(ch) - _HANGUL_BASE
        if not 0 <= code < _HANGUL_COUNT:
            out.append(ch)
            previous_final = None
            continue
        initial, rest = divmod(code, 588)
        medial, final = divmod(rest, 28)
        initial = _PLAIN_INITIAL.get(initial, initial)
        if previous_final is None:
            if initial == _RIEUL:
                initial = _NIEUN
            if initial == _NIEUN and medial in _Y_VOWELS:
                initial = _IEUNG
        elif initial == _RIEUL and medial in _YEO_YU and final == _FINAL_RIEUL and previous_final in _OPEN:
            initial = _IEUNG
        out.append(chr(_HANGUL_BASE + initial * 588 + medial * 28 + final))
        previous_final = final
    return "".join(out)


def _one_syllable(word: str) -> bool:
    return len(word) == 1 and _HANGUL_SYLLABLES.match(word) is not None


def _join_split_hangul(folded: list[str]) -> list[str]:
    """Join runs of two or more one-syllable Hangul words (OCR's `쏘 련 군`) into one."""
    if not any(_one_syllable(word) for word in folded):
        return folded
    out: list[str] = []
    run: list[str] = []
    for word in [*folded, ""]:
        if _one_syllable(word):
            run.append(word)
            continue
        if len(run) > 1:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if word:
            out.append(word)
    return out


def is_hangul(word: str) -> bool:
    return _HANGUL_SYLLABLES.search(word) is not None


def has_letters(word: str) -> bool:
    return any(ch.isalpha() for ch in word)


@functools.lru_cache(maxsize=65536)
def translit_keys(word: str) -> tuple[str, ...]:
    """The transliteration keys of one folded word (see the module docstring); () if none."""
    if not has_letters(word):
        return ()
    if _HANGUL_SYLLABLES.search(word):
        keys = [_reduce(_romanise_hangul(word))]
        if len(word) > 1:
            keys += [_reduce(_romanise_hangul(ch)) for ch in word]
        return tuple(dict.fromkeys(key for key in keys if key))
    if _CYRILLIC.search(word):
        latin = _romanise_cyrillic(word)
    elif word.isascii():
        latin = word
    else:
        latin = "".join(ch for ch in unicodedata.normalize("NFKD", word) if ch.isascii())
    key = _reduce(latin)
    return (key,) if key else ()


def translit_key(word: str) -> str:
    """The main transliteration key of a folded word, or ""."""
    keys = translit_keys(word)
    return keys[0] if keys else ""


def _reduce(latin: str) -> str:
    latin = latin.lower().replace("eo", "o").replace("eu", "u")
    key = latin_key(latin)
    key = key.replace("ng", "n").replace("ui", "i").replace("g", "k").replace("d", "t").replace("b", "p")
    return re.sub(r"(.)\1+", r"\1", key)


def _romanise_cyrillic(word: str) -> str:
    return str(iuliia.WIKIPEDIA.translate(word))


def _romanise_hangul(word: str) -> str:
    return str(Romanizer(word).romanize())
