"""Lines of letters: read by tesseract one line per page, and names read by shape restored.

- `read_text`: every line that is not a line of years, scaled so its letters are about
  `letter_px` tall, flattened against uneven light and padded in white, read by tesseract
  (psm 7: one line) in the polarity the stone's lines vote for, all in one engine call; a
  line read empty or in another alphabet is read again (the other polarity, and without
  the Latin-script languages), and the reading with the best `scoring.score` is kept;
- `restore_shapes`: where tesseract kept nothing (or nothing in the right alphabet), the
  recogniser's Latin shape reading of a Cyrillic word is turned back into a lexicon word
  (`lookalikes.restore`); where tesseract did read, only a word both point at is replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from . import images, lookalikes
from .base import Engine, Passes, ReadOptions
from .images import Gray
from .layout import Word
from .line_read import LineRead, to_page, words_of_decoded
from .scoring import score
from .scripts import CYRILLIC_TWINS, expected_scripts, letter_scripts, word_is_suspicious

#: The detector's boxes hold the letters with a margin: letters are about this share of
#: a line's height.
LETTER_SHARE = 0.7
#: A line crop is padded by this share of its height before tesseract reads it.
LINE_PADDING = 0.25
#: A restored word replaces a tesseract word at most this many letters from it.
RESTORE_AGREEMENT = 2
#: The share of a stone's line area whose letters must be light (or dark) for its lines
#: to be read in that polarity only.
POLARITY_VOTE = 2 / 3


@dataclass(frozen=True)
class _Page:
    """A line crop prepared for tesseract, and how to map its words back."""

    position: int
    """The line's index among the lines tesseract reads."""
    read: LineRead
    pixels: Gray
    light: bool
    """The letters were light on dark and the page was inverted."""
    factor: float
    margin: int


def read_text(reads: list[LineRead], engine: Engine, options: ReadOptions, passes: Passes) -> None:
    """Tesseract reads the lines that are not years, one page per line (psm 7).

    Polarity: the letters of one stone are all light or all dark, so the stone's lines
    vote (Otsu's minority class, `images.letters_are_light`, weighted by line area); a clear
    vote (`POLARITY_VOTE`) reads each line once, else both ways. A line whose reading is
    empty or in the wrong alphabet (`scripts.word_is_suspicious`: the English model read
    Cyrillic by shape) is read again in one more call: the other polarity with the
    configured languages, and the kept polarity with the languages that write no Latin.
    The reading with the best `scoring.score` is kept.
    """
    if not reads:
        return
    light_votes = sum(read.line.area for read in reads if images.letters_are_light(read.crop, even_light=True))
    light_share = light_votes / max(1e-9, sum(read.line.area for read in reads))
    if light_share >= POLARITY_VOTE:
        polarities = [True]
    elif light_share <= 1 - POLARITY_VOTE:
        polarities = [False]
    else:
        polarities = [False, True]
    pages = [_page(position, read, light, options) for position, read in enumerate(reads) for light in polarities]
    found = passes.tesseract("lines psm 7", engine, [p.pixels for p in pages], options.languages, 7, {})
    best: dict[int, tuple[float, _Page, list[Word]]] = {}
    for page, words in zip(pages, found, strict=True):
        _keep(best, page, words, options.languages)
    retry = [index for index, (_, _, words) in best.items() if doubtful(words, options.languages)]
    if retry:
        non_latin = [lang for lang in options.languages if expected_scripts([lang]) != {"latin"}]
        others: list[tuple[_Page, Sequence[str]]] = []
        for index in retry:
            kept_page = best[index][1]
            if len(polarities) == 1:
                others.append((_page(index, reads[index], not kept_page.light, options), options.languages))
            if non_latin and non_latin != list(options.languages):
                others.append((kept_page, non_latin))
        for languages in {tuple(langs) for _, langs in others}:
            batch = [page for page, langs in others if tuple(langs) == languages]
            label = "lines psm 7, again" + (
                "" if list(languages) == list(options.languages) else f" ({'+'.join(languages)})"
            )
            for page, words in zip(
                batch, passes.tesseract(label, engine, [p.pixels for p in batch], languages, 7, {}), strict=True
            ):
                _keep(best, page, words, options.languages)
    for index, read in enumerate(reads):
        _, page, words = best[index]
        read.how = "tesseract"
        read.inverted = page.light
        read.words = [_tesseract_word(word, page) for word in words]


def _page(position: int, read: LineRead, light: bool, options: ReadOptions) -> _Page:
    """The line scaled to `letter_px` letters, dark on light, flattened, then padded in white."""
    factor = options.letter_px / max(1.0, LETTER_SHARE * read.crop.shape[0])
    scaled = images.scale(read.crop, factor)
    flat = images.flatten(images.invert(scaled) if light else scaled, options.letter_px)
    margin = round(LINE_PADDING * scaled.shape[0])
    return _Page(position, read, images.pad(flat, margin, ground=255), light, factor, margin)


def _keep(
    best: dict[int, tuple[float, _Page, list[Word]]], page: _Page, words: list[Word], languages: Sequence[str]
) -> None:
    found = score(words, languages)
    if page.position not in best or found > best[page.position][0]:
        best[page.position] = (found, page, words)


def doubtful(words: list[Word], languages: Sequence[str]) -> bool:
    """Nothing confident was read, or a word looks like another alphabet read by shape.

    Besides `scripts.word_is_suspicious`, a short Latin word of Cyrillic look-alike letters
    on a line with Cyrillic words is doubtful (`TEH ИВАН`: the English model won `ТЁН`).
    """
    letters = [word for word in words if word.alnum and word.confidence >= 40]
    if not letters or any(word_is_suspicious(word.text, languages) for word in letters):
        return True
    cyrillic = any(letter_scripts(word.text).get("cyrillic") for word in letters)
    return cyrillic and any(latin_lookalikes(word.text) for word in letters)


def latin_lookalikes(word: str) -> bool:
    letters = [char for char in word if char.isalpha()]
    return bool(letters) and all(char.upper() in CYRILLIC_TWINS for char in letters)


def restore_shapes(read: LineRead, languages: Sequence[str], notes: list[str]) -> None:
    """Words of the lexicon the recogniser read by shape (`lookalikes.restore`), where tesseract failed.

    A line on which tesseract kept nothing confident, or only words in the wrong alphabet
    (`_doubtful`), takes the restored words instead (each word's confidence is the
    recogniser's, lowered by the share of letters that had to change). On a line that
    tesseract did read, a restored word replaces only a tesseract word that is not in the
    lexicon and is at most `RESTORE_AGREEMENT` letters from it: both engines then point at
    the same word. Each change is noted.
    """
    restored = []
    evidence = [word.text for word in read.words]
    for token in words_of_decoded(read.free, read):
        sure = token.confidence >= 100 * lookalikes.MIN_CONFIDENCE
        found = lookalikes.restore(token.text, evidence) if sure else None
        if found is not None:
            share = found.distance / max(1, token.alnum)
            restored.append(
                (token, found, Word(found.word, round(token.confidence * (1 - share), 2), token.box, token.line))
            )
    if not restored:
        return
    if doubtful(read.words, languages):
        kept = ", ".join(f"'{token.text}' -> '{found.word}'" for token, found, _ in restored)
        notes.append(f"restored from the recogniser's shape reading: {kept}")
        read.words = [word for _, _, word in restored]
        read.how = "shapes"
        return
    for _, found, word in restored:
        for index, mine in enumerate(read.words):
            near = Levenshtein.distance(mine.text.upper().replace("Ё", "Е"), found.word.replace("Ё", "Е"))
            if 0 < near <= RESTORE_AGREEMENT and not lookalikes.in_lexicon(mine.text) and mine.alnum >= 3:
                notes.append(f"'{mine.text}' -> '{found.word}' (tesseract and the recogniser's shape reading)")
                read.words[index] = Word(found.word, max(mine.confidence, word.confidence), mine.box, mine.line)
                break


def _tesseract_word(word: Word, page: _Page) -> Word:
    left, top, width, height = word.box
    x0, x1 = (left - page.margin) / page.factor, (left + width - page.margin) / page.factor
    y0, y1 = (top - page.margin) / page.factor, (top + height - page.margin) / page.factor
    corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float32)
    read = page.read
    return Word(word.text, word.confidence, to_page(read.line, read.crop.shape, corners), (1, 1, read.row + 1))
