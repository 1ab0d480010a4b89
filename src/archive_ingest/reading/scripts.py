"""Which alphabet a reading is in, and whether it came out in the wrong one.

Tesseract picks, word by word, the model of one of the configured languages. On a worn
Russian stone the English model sometimes wins and reads the Cyrillic letters by shape:
`МАРКОВ` comes back as `MAPKOB`, `СОЛДАТ` as `COJIDAT`, often with a high confidence,
so confidence alone does not catch it. This module owns the script test of a reading:

- `script_of(char)`: the script of one character (`cyrillic`, `latin`, `hangul`, `han`,
  `digit`, or None for punctuation and the rest);
- `expected_scripts(languages)`: the scripts the configured tesseract languages write;
- `word_is_suspicious(word, languages)`: a word mixing alphabets, or a Latin word that
  looks like Cyrillic read by shape (see `looks_like_cyrillic_read_as_latin`);
- `wrong_script(words, languages)`: None when the reading looks right, else one sentence
  saying what was seen, for the `ocr_wrong_script` flag.

The test for "Cyrillic read as Latin" is a heuristic, measured on tesseract's English
model reading drawn Cyrillic: a Latin word (3+ letters) is suspicious when it carries a
shape-transliteration marker (`JI` for Л, `bI`/`bl` for Ы, `IO` for Ю, a digit or symbol
between letters as in `HEU3BECTHbIN` or `E®PENMTOP`, a lowercase `b` in an uppercase
word for Ь), or when it is 4+ uppercase letters of which at least 80% are letters that
have a Cyrillic twin (A B C E H K M O P T X Y). English text has about 55% of such
letters overall, so a single `PEACE` does not trip it: the reading is called wrong only
when at least two such words make up half or more of its Latin words.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

#: Scripts written by the tesseract language codes this archive uses (others count as Latin).
LANGUAGE_SCRIPTS = {
    "rus": "cyrillic",
    "ukr": "cyrillic",
    "bel": "cyrillic",
    "kor": "hangul",
    "kor_vert": "hangul",
    "chi_tra": "han",
    "chi_sim": "han",
    "jpn": "han",
}

#: Latin capitals with a Cyrillic letter of the same shape.
CYRILLIC_TWINS = frozenset("ABCEHKMOPTXY")

_MARKERS = (
    re.compile(r"JI|bI|bl|IO"),  # Л, Ы, Ю drawn with two Latin letters
    re.compile(r"[A-Za-z][^A-Za-z\s.,;:!?'\"()\-]+[A-Za-z]"),  # З as 3, Ф as ®: a digit or symbol inside
    re.compile(r"^[A-Z]{2,}b[A-Z]*$|^[A-Z]+b$"),  # Ь as a lowercase b in an uppercase word
)


def script_of(char: str) -> str | None:
    """The script of one character, or None for punctuation, symbols and spaces."""
    if char.isdigit():
        return "digit"
    if not char.isalpha():
        return None
    code = ord(char)
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if "LATIN" in unicodedata.name(char, ""):
        return "latin"
    return "other"


def expected_scripts(languages: Iterable[str]) -> set[str]:
    """Scripts the configured languages write (a language not listed writes Latin)."""
    return {LANGUAGE_SCRIPTS.get(language, "latin") for language in languages}


def letter_scripts(text: str) -> Counter[str]:
    """How many letters of each script `text` has (digits and punctuation not counted)."""
    return Counter(s for s in map(script_of, text) if s is not None and s != "digit")


def looks_like_cyrillic_read_as_latin(word: str) -> bool:
    """A Latin word that is probably Cyrillic read by shape (see the module docstring)."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 3 or any(script_of(c) != "latin" for c in letters):
        return False
    if any(marker.search(word) for marker in _MARKERS):
        return True
    upper = [c for c in letters if c.isupper()]
    return (
        len(upper) >= 4 and len(upper) == len(letters) and sum(c in CYRILLIC_TWINS for c in upper) >= 0.8 * len(upper)
    )


def word_is_suspicious(word: str, languages: Sequence[str]) -> bool:
    """Letters of two alphabets in one word, or (when Cyrillic is expected) Cyrillic read as Latin."""
    scripts = letter_scripts(word)
    if len(scripts) > 1:
        return True
    return "cyrillic" in expected_scripts(languages) and looks_like_cyrillic_read_as_latin(word)


def wrong_script(words: Sequence[str], languages: Sequence[str]) -> str | None:
    """None when `words` look like text in the configured languages, else what was seen.

    Two signs, either enough: most letters are in a script none of `languages` writes; or
    at least two words, half or more of the words with 3+ letters, are suspicious
    (`word_is_suspicious`).
    """
    counts = letter_scripts("".join(words))
    total = sum(counts.values())
    if total == 0:
        return None
    expected = expected_scripts(languages)
    foreign = {script: n for script, n in counts.items() if script not in expected}
    if sum(foreign.values()) > total / 2:
        main = max(foreign, key=lambda script: foreign[script])
        return (
            f"{round(100 * sum(foreign.values()) / total)}% of the letters read are {main}, "
            f"which none of {'+'.join(languages)} writes"
        )
    long_words = [w for w in words if sum(c.isalpha() for c in w) >= 3]
    suspicious = [w for w in long_words if word_is_suspicious(w, languages)]
    if len(suspicious) >= 2 and len(suspicious) >= len(long_words) / 2:
        examples = ", ".join(repr(w) for w in suspicious[:3])
        return (
            f"{len(suspicious)} of {len(long_words)} words look like Cyrillic read as Latin "
            f"or mix alphabets (e.g. {examples})"
        )
    return None
