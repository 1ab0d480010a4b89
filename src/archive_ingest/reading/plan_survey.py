"""The survey plan: tesseract alone finds the inscription, its rotation and reads it.

Used when no line engine is configured (`ocr.line_engine: none`), and by the line plan
(`plan_lines.py`) for a page on which the detector found no text. The engine is passed
in, so this package never imports pytesseract; every engine call reads several pages at
once, because each call pays for loading the language models.

1. Survey. A copy scaled to `survey_long_edge`, and its inverse (for light letters on dark
   stone), read in one call with one fast language (`survey_language`), sparse text
   (psm 11) and tesseract's adaptive (tiled Otsu) threshold, which finds letters on a
   stone that the default global threshold loses in the sky and grass around it.
2. Orientation. EXIF orientation has already been applied. When EXIF named no rotation
   and the survey found no text, the same survey runs on the copy turned 90, 180 and 270
   degrees (one call) and the rotation with the best score wins if it clearly beats
   upright (`rotation_method` "sweep"). OSD (`--psm 0`) is not used: on a few short
   lines it reports "too few characters" or a confidence far under its own threshold.
3. Region. The confident survey words give the inscription's box (`layout.inscription_box`)
   and the letter size.
4. Candidates. The region is cropped from the full-size upright image, scaled so letters
   are about `letter_px` tall, flattened (divided by its background: uneven light) as it
   is and inverted (light letters on dark stone), and deskewed. Both polarities are read
   with the configured languages in the first of `psms`; the better one, and a binarised
   copy of it, are read in each further mode. Without a region (no confident survey
   word) the whole image and its inverse are read (psm 11, Sauvola threshold) instead.
5. Choice. The candidate with the best `scoring.score` is kept; its words under
   `min_word_confidence` are left out of the text (they stay in the word list for
   review), and `scripts.wrong_script` judges the text's alphabet.

Every step runs whenever its condition holds, whatever the time it takes: the work per
image is fixed by the pixels and the settings (at most 2 survey calls and 1 + len(psms)
region calls), so a busy machine reads exactly what an idle one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import images
from .base import Engine, Passes, Reading, ReadOptions, reading_of
from .images import Gray
from .layout import Word, inscription_box, is_confident, letter_height
from .scoring import score

#: Survey score (see `scoring`) from which a page counts as showing text.
FOUND_TEXT = 4.0
#: A rotation found by the sweep must beat upright by this factor.
SWEEP_MARGIN = 1.5
#: Scale factors applied to the region are kept within these bounds.
MIN_SCALE, MAX_SCALE = 0.5, 3.0
#: Deskew only when the levelled projection profile is this much sharper than as found.
MIN_SKEW_GAIN = 1.25

ADAPTIVE_THRESHOLD = {"thresholding_method": "1"}  # tesseract 5: tiled (adaptive) Otsu
SAUVOLA_THRESHOLD = {"thresholding_method": "2"}


@dataclass
class _Candidate:
    steps: list[str]
    psm: int
    words: list[Word]
    origin: tuple[int, int] = (0, 0)
    factor: float = 1.0
    score: float = 0.0


def read_by_survey(
    upright: Gray,
    *,
    rotation_from_exif: bool,
    engine: Engine,
    options: ReadOptions,
    passes: Passes | None = None,
    after_detector: bool = False,
) -> Reading:
    """Read the inscription on `upright` (grayscale, EXIF orientation applied).

    `after_detector`: a line detector already looked at the page, in every quarter turn,
    and found nothing; then neither the rotation sweep nor the whole-page read runs (they
    cost about 2 s and found nothing on the tuning samples' stones the detector missed),
    only the survey and, if it finds text, the region's candidates.

    Raises whatever `engine` raises (the stage turns tesseract's errors into flags).
    """
    passes = passes or Passes()
    notes: list[str] = []
    survey, factor = images.fit(upright, options.survey_long_edge)
    rotation, method = 0, ("exif" if rotation_from_exif else "none")
    best = _survey(passes, engine, survey, [0], options)[0]
    if not rotation_from_exif and options.sweep and best[0] < FOUND_TEXT and not after_detector:
        turned = _survey(passes, engine, survey, [90, 180, 270], options, both_polarities=False)
        winner = max(turned, key=lambda s: s[0])
        if winner[0] >= FOUND_TEXT and winner[0] > SWEEP_MARGIN * best[0]:
            best, rotation, method = winner, winner[3], "sweep"
    work = images.rotate_quarter(upright, rotation)
    survey_score, _, survey_words, _ = best
    page = images.rotate_quarter(survey, rotation)
    box = inscription_box(survey_words, (page.shape[1], page.shape[0])) if survey_score > 0 else None
    if box is not None:
        region_box = tuple(round(v / factor) for v in box)
        letter = (letter_height(survey_words) or options.letter_px * factor) / factor
        candidates = _read_region(passes, engine, work, region_box, letter, options, notes)  # type: ignore[arg-type]
    elif after_detector:
        candidates = [_Candidate(["grayscale"], 11, [])]
    else:
        candidates = _read_whole(passes, engine, work, options)
    for candidate in candidates:
        candidate.score = score(candidate.words, options.languages)
    kept = max(candidates, key=lambda c: c.score)
    return _reading(kept, rotation, method, options, len(candidates), passes, notes)


def _survey(
    passes: Passes,
    engine: Engine,
    survey: Gray,
    rotations: Sequence[int],
    options: ReadOptions,
    both_polarities: bool = True,
) -> list[tuple[float, bool, list[Word], int]]:
    """(score, letters light, words, rotation) of the better polarity for each rotation.

    The sweep reads the plain copy only: three pages instead of six keep it cheap, and
    tesseract's adaptive threshold finds many light-on-dark lines anyway.
    """
    pages: list[Gray] = []
    for rotation in rotations:
        turned = images.rotate_quarter(survey, rotation)
        pages += [turned, images.invert(turned)] if both_polarities else [turned]
    label = "survey" if list(rotations) == [0] else "rotation sweep"
    read = passes.tesseract(label, engine, pages, [options.survey_language], 11, ADAPTIVE_THRESHOLD)
    per_rotation = 2 if both_polarities else 1
    results = []
    for index, rotation in enumerate(rotations):
        for offset in range(per_rotation):
            words = read[per_rotation * index + offset]
            found = score([w for w in words if is_confident(w)], [options.survey_language])
            results.append((found, offset == 1, words, rotation))
    best: dict[int, tuple[float, bool, list[Word], int]] = {}
    for result in results:
        if result[3] not in best or result[0] > best[result[3]][0]:
            best[result[3]] = result
    return [best[rotation] for rotation in rotations]


def _read_region(
    passes: Passes,
    engine: Engine,
    work: Gray,
    box: tuple[int, int, int, int],
    letter: float,
    options: ReadOptions,
    notes: list[str],
) -> list[_Candidate]:
    """Candidates on the inscription's region: both polarities first, then more modes."""
    region = images.crop(work, box)
    steps = ["grayscale", "crop"]
    factor = min(MAX_SCALE, max(MIN_SCALE, options.letter_px / max(letter, 1.0)))
    region = images.scale(region, factor)
    if abs(factor - 1) >= 1e-3:
        steps.append(f"scale:{factor:.2f}")
    letter_now = letter * factor
    dark = images.flatten(region, letter_now)
    light = images.flatten(images.invert(region), letter_now)
    # Level the lines by whichever polarity shows them more sharply.
    angle, gain = max(images.skew_angle(dark), images.skew_angle(light), key=lambda a: a[1])
    if abs(angle) >= 0.25 and gain >= MIN_SKEW_GAIN:
        dark, light = images.deskew(dark, angle), images.deskew(light, angle)
        steps.append(f"deskew:{angle:+.1f}")
    origin = (box[0], box[1])
    first, *others = options.psms
    pages = passes.tesseract(
        f"region psm {first}, both polarities", engine, [dark, light], options.languages, first, {}
    )
    candidates = [
        _Candidate([*steps, "flatten"], first, pages[0], origin, factor),
        _Candidate([*steps, "invert", "flatten"], first, pages[1], origin, factor),
    ]
    polarity = max(candidates, key=lambda c: score(c.words, options.languages))
    best = dark if polarity is candidates[0] else light
    for psm in others:
        binary = images.binarise(best, letter_now)
        flat_words, binary_words = passes.tesseract(
            f"region psm {psm}, plain and binarised", engine, [best, binary], options.languages, psm, {}
        )
        candidates.append(_Candidate(list(polarity.steps), psm, flat_words, origin, factor))
        candidates.append(_Candidate([*polarity.steps, "binarise"], psm, binary_words, origin, factor))
    return candidates


def _read_whole(passes: Passes, engine: Engine, work: Gray, options: ReadOptions) -> list[_Candidate]:
    pages = passes.tesseract(
        "whole image psm 11 (no text found by the survey)",
        engine,
        [work, images.invert(work)],
        options.languages,
        11,
        SAUVOLA_THRESHOLD,
    )
    return [
        _Candidate(["grayscale", "sauvola"], 11, pages[0]),
        _Candidate(["grayscale", "invert", "sauvola"], 11, pages[1]),
    ]


def _reading(
    kept: _Candidate, rotation: int, method: str, options: ReadOptions, count: int, passes: Passes, notes: list[str]
) -> Reading:
    return reading_of(
        [_to_upright(word, kept) for word in kept.words],
        options,
        rotation=rotation,
        rotation_method=method,
        preprocess=kept.steps,
        psm=kept.psm,
        candidates=count,
        passes=passes,
        notes=notes,
    )


def _to_upright(word: Word, candidate: _Candidate) -> Word:
    """The word with its box in the (turned) upright image's pixels (deskew ignored)."""
    left, top, width, height = word.box
    f = candidate.factor
    box = (
        round(candidate.origin[0] + left / f),
        round(candidate.origin[1] + top / f),
        round(width / f),
        round(height / f),
    )
    return Word(word.text, word.confidence, box, word.line)
