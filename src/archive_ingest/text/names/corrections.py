"""OCR corrections of the words carved on a stone: look-alike letters, one-letter misreadings.

This module owns the corrections `persons_in_inscription` makes. Each one made is
described in the `corrections` list it is given (`'ВЛАДИМИP' -> 'ВЛАДИМИР' (Latin
look-alike letters)`); the reading returns that list as `InscriptionReading.corrections`.

Decisions a user should know:

- Latin letters that look like Cyrillic ones (`ВЛАДИМИP` with a Latin P) are always turned
  Cyrillic, in a word that mixes the scripts or a word of look-alikes on a Cyrillic line.
- A word in a given-name, patronymic, rank or `НЕИЗВЕСТНЫЙ` position is corrected to the
  vocabulary word one edit away, only when it has 5+ letters and exactly one such word
  exists (`СЕРГЕИ` -> `СЕРГЕЙ`). Surnames are never corrected (ЕГОРОВА is one letter from
  ЕГОРОВНА).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .parts import CYRILLIC, is_given, is_korean_surname, is_patronymic
from .vocabulary import (
    DISPLAY,
    FEMALE_GIVEN,
    GIVEN_NAMES,
    LOOKALIKES,
    MALE_GIVEN,
    PATRONYMICS,
    RANK_PHRASES,
    RANK_PREFIX,
    RANK_WORDS,
    fold,
)


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b are exactly one substitution, insertion or deletion apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def _near(word: str, vocabulary: Iterable[str]) -> str | None:
    """The one vocabulary word one edit from `word` (5+ letters), or None."""
    folded = fold(word)
    if len(folded) < 5:
        return None
    found = {v for v in vocabulary if _one_edit(folded, v)}
    return found.pop() if len(found) == 1 else None


def fix_lookalikes(line: str, corrections: list[str]) -> str:
    """Turn Latin look-alike letters Cyrillic in words that mix scripts (or on Cyrillic lines)."""
    cyrillic_line = bool(CYRILLIC.search(line))
    out: list[str] = []
    for token in re.split(r"(\s+)", line):
        letters = [ch for ch in token if ch.isalpha()]
        has_cyr = any(CYRILLIC.match(ch) for ch in letters)
        all_lookalike = all(CYRILLIC.match(ch) or ch in LOOKALIKES for ch in letters)
        # A whole word of look-alike capitals on a Latin-only line is Cyrillic only when the
        # result is a name this archive knows (`TEH` -> ТЕН, a Soviet Korean surname).
        known = (
            letters
            and not has_cyr
            and all_lookalike
            and _is_known_name("".join(LOOKALIKES.get(ch, ch) for ch in token))
        )
        if (
            letters
            and all_lookalike
            and (has_cyr or cyrillic_line or known)
            and any(ch in LOOKALIKES for ch in letters)
        ):
            fixed = "".join(LOOKALIKES.get(ch, ch) for ch in token)
            corrections.append(f"'{token}' -> '{fixed}' (Latin look-alike letters)")
            token = fixed
        if len(letters) >= 2 and has_cyr and sum(ch.isdigit() for ch in token) == 1 and re.search(r"[03]", token):
            fixed = token.replace("0", "О").replace("3", "З")
            corrections.append(f"'{token}' -> '{fixed}' (digit for a letter)")
            token = fixed
        out.append(token)
    return "".join(out)


def _is_known_name(word: str) -> bool:
    return is_korean_surname(word) or is_given(word)


def correct(word: str, vocabulary: Iterable[str], what: str, corrections: list[str]) -> str:
    """`word`, or the one `vocabulary` word one edit away (recorded in `corrections`)."""
    vocab = list(vocabulary)
    if fold(word) in vocab:
        return word
    near = _near(word, vocab)
    if near is None:
        return word
    fixed = DISPLAY.get(near, near)
    corrections.append(f"'{word}' -> '{fixed}' ({what}, one letter)")
    return fixed


def read_rank(words: list[str], corrections: list[str]) -> tuple[str | None, int]:
    """(the rank the first words form, how many words it takes); (None, 0) if none."""
    for count in (3, 2, 1):
        if len(words) < count:
            continue
        trial: list[str] = []
        for word in words[:count]:
            trial.append(fold(word) if fold(word) in RANK_WORDS else fold(correct(word, RANK_WORDS, "rank", [])))
        prefix = trial[0] == fold(RANK_PREFIX)
        phrase = " ".join(trial[1:] if prefix else trial)
        if phrase in RANK_PHRASES:
            for word, fixed in zip(words[:count], trial, strict=True):
                if fold(word) != fixed:
                    corrections.append(f"'{word}' -> '{fixed}' (rank, one letter)")
            rank = RANK_PHRASES[phrase]
            return (f"{RANK_PREFIX} {rank}" if prefix else rank), count
    return None, 0


def correct_slots(words: list[str], corrections: list[str]) -> list[str]:
    """Vocabulary corrections in given-name and patronymic positions (never the surname)."""
    words = list(words)
    korean = is_korean_surname(words[0]) and len(words) >= 2
    has_p = any(is_patronymic(w) for w in words[1:])
    if len(words) >= 3 and not has_p and not korean:
        words[-1] = correct(words[-1], PATRONYMICS, "patronymic", corrections)
        has_p = is_patronymic(words[-1])
    if has_p:
        p = max(i for i in range(1, len(words)) if is_patronymic(words[i]))
        if p >= 1 and not is_given(words[p - 1]) and (p >= 2 or len(words) == 2):
            female = fold(words[p]).endswith("НА")  # the patronymic tells ЕВГЕНИЙ from ЕВГЕНИЯ
            names = FEMALE_GIVEN if female else MALE_GIVEN
            words[p - 1] = correct(words[p - 1], names, "given name", corrections)
    elif len(words) == 2 and not is_given(words[1]) and not korean:
        words[1] = correct(words[1], GIVEN_NAMES, "given name", corrections)
    elif len(words) == 1 and not is_given(words[0]):
        words[0] = correct(words[0], GIVEN_NAMES, "given name", corrections)
    return words
