"""Latin forms of names carved or written in Cyrillic, Hangul or Latin.

This module owns `to_latin`, the one romanisation the catalog uses for `name_latin`.

Standards (decisions a user should know):

- Cyrillic: the Wikipedia transliteration of Russian ("Wikipedia-style romanization",
  a simplified BGN/PCGN that English-language sources such as the embassy captions use),
  through the `iuliia` package's `WIKIPEDIA` schema: Тён -> Tyon, Пётр -> Pyotr,
  Юрьевич -> Yuryevich, Николай -> Nikolay, Евгений -> Yevgeny, Цой -> Tsoy. The schema
  has word-ending rules (-ий -> -y, -ый -> -y), so words are transliterated whole.
  Korean names written in Cyrillic (ЮН СОН ДЕ) are transliterated as Russian (Shin Yon
  Su): they are how Russians heard the name, and nothing in the letters says which
  Korean syllable was meant.
- Hangul: the Revised Romanization of Korean (South Korea, 2000) through the
  `korean-romanizer` package, which applies the standard's sound-change rules within a
  word. A one-word Hangul name of two to four syllables is read as surname + given name
  (신영수 -> Sin Yeongsu, 리학림 -> Ri Hakrim); the surname is the first syllable, or the first
  two for the double surnames in `DOUBLE_SURNAMES` (남궁민 -> Namgung Min). Other Hangul
  is romanised word by word.
- Latin is kept as written.
- Each word is then title-cased (inscriptions are carved in capitals): the first letter of
  each word, and of each part of a hyphenated word, upper case, the rest lower case. A
  Latin word in mixed case (`McLeod`) is left as written.
- Characters of other scripts (hanja, digits, punctuation) pass through unchanged.

`to_ascii` is the same romanisation for running text that must be ASCII (EXIF text tags):
case kept, typographic punctuation folded (`—` -> `-`, `«»` -> `"`, `№` -> `No.`),
accents dropped, and any other character (hanja, emoji) left out.
"""

from __future__ import annotations

import re
import unicodedata

import iuliia
from korean_romanizer.romanizer import Romanizer

#: Two-syllable Korean surnames (the common ones); every other surname is one syllable.
DOUBLE_SURNAMES = frozenset({"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방"})

_WORD = re.compile(r"\S+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def to_latin(name: str) -> str:
    """The romanised, title-cased form of a name (standards in the module docstring).

    >>> to_latin("ТЁН ИВАН")
    'Tyon Ivan'
    """
    text = unicodedata.normalize("NFC", name).strip()
    hangul_words = _WORD.findall(text)
    if len(hangul_words) == 1 and _is_hangul_word(text) and 2 <= len(text) <= 4:
        return " ".join(_title(part) for part in _korean_name(text))
    return " ".join(_title(_romanise_word(word)) for word in _WORD.findall(text))


#: Typographic punctuation and symbols with an ASCII spelling (the rest of non-ASCII is dropped).
_ASCII_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ab": '"',
        "\u00bb": '"',
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2116": "No.",
        "\u00a9": "(c)",
        "\u2026": "...",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"\s+")


def to_ascii(text: str) -> str:
    """Running text romanised to printable ASCII, case kept (standards in the module docstring).

    For fields that cannot hold anything else (EXIF ASCII tags); "" when nothing is left.

    >>> to_ascii("Все фото — собственность Посольства России в КНДР")
    'Vse foto - sobstvennost Posolstva Rossii v KNDR'
    """
    words = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text)):
        if _CYRILLIC.search(word):
            # iuliia keeps the case of each letter, so an all-capital ТЁН would be TYoN.
            shout = word.isupper() and sum(ch.isalpha() for ch in word) > 1
            word = str(iuliia.WIKIPEDIA.translate(word.lower() if shout else word))
            word = word.upper() if shout else word
        elif _HANGUL.search(word):
            word = _romanise_hangul(word)
        words.append(word.translate(_ASCII_PUNCTUATION))
    folded = unicodedata.normalize("NFKD", " ".join(words)).encode("ascii", "ignore").decode("ascii")
    printable = "".join(ch if ch.isprintable() else " " for ch in folded)
    return _SPACES.sub(" ", printable).strip()


def _is_hangul_word(word: str) -> bool:
    return all(_HANGUL.fullmatch(ch) for ch in word)


def _korean_name(name: str) -> list[str]:
    """[surname, given] romanised separately, as Korean names are written in Latin."""
    cut = 2 if name[:2] in DOUBLE_SURNAMES and len(name) > 2 else 1
    return [_romanise_hangul(name[:cut]), _romanise_hangul(name[cut:])]


def _romanise_word(word: str) -> str:
    if _CYRILLIC.search(word):
        return str(iuliia.WIKIPEDIA.translate(word.lower()))
    if _HANGUL.search(word):
        return _romanise_hangul(word)
    return word


def _romanise_hangul(text: str) -> str:
    return str(Romanizer(text).romanize())


def _title(word: str) -> str:
    """Title-case a word part by part (`general-mayor` -> `General-Mayor`)."""
    letters = [ch for ch in word if ch.isalpha()]
    if letters and not (all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters)):
        return word
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
