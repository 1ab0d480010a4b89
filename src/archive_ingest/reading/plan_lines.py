"""The line plan: a detector finds the lines, each line is read by the engine that reads it best.

Tesseract reads Cyrillic and Hangul but loses worn digits and often the lines themselves
on a busy photo; PP-OCR's detector finds text lines in any script and its recogniser
reads digits and Latin look-alikes well but knows no Cyrillic or Hangul. So:

1. Detect. The upright page, scaled to `detect_long_edge` and equalised (CLAHE), goes to
   the line engine's detector: text lines as quadrilaterals.
2. Orientation. EXIF orientation has already been applied. When EXIF named no rotation
   (and `sweep` is on): if lines were found, their largest few are read both ways (0 vs
   180, or 90 vs 270 when most of the text stands on end) and the way the recogniser
   reads more symbols surely wins, upside down only clearly (`HALF_TURN_FACTOR`,
   `HALF_TURN_MARGIN`: Cyrillic and Hangul, which it does not know, read unsure either
   way); if none were found, the page is detected turned 90 and 270 degrees (the detector
   finds no text standing on end).
3. Inscription. The lines are grouped by proximity and the main group is kept
   (`lines.inscription_lines`, at most `max_lines`), widened at the ends
   (`LINE_ENDS`, `LINE_SIDES`) and cropped straight from the full-size upright page.
4. Recognise. Every line goes to the recogniser. Lines of years (`years_lines.py`) are
   re-read constrained to what years hold, and from the recogniser's alternatives when
   their years are not plausible; the other lines are read by tesseract and, where it
   failed, restored from the recogniser's shape reading (`text_lines.py`).
5. Closer. A page with a stack of lines (two or more) but no line of plausible years is
   detected again at `CLOSER` times the size; that reading is kept if it has plausible
   years (worn or small digits the first copy blurred away).
6. Text. Words under `min_word_confidence` stay out of the text (`base.reading_of`);
   lines are joined top to bottom, pieces of one row with a space.

A page on which the detector finds nothing is read by the survey plan instead
(`plan_survey.py`). The work per image is fixed by the pixels and the settings: at most
two detections (three on a page without EXIF and without lines), two orientation reads
of four lines, one recognition per line, two tesseract calls, never a step chosen by
the clock.
"""

from __future__ import annotations

import numpy as np

from . import images
from .base import Engine, LineEngine, Passes, Reading, ReadOptions, reading_of
from .ctc import best_path
from .images import Gray
from .line_read import LineRead
from .lines import Quad, crop_line, inscription_lines, rows, turn_quads, vertical_share
from .text_lines import read_text, restore_shapes
from .years_lines import is_year_line, read_years

#: A page whose lines hold no line of years is detected again this many times larger.
CLOSER = 1.5
#: Orientation: the lines read to compare two ways up; a symbol read with this probability
#: is sure; upside down must give this many times as many sure symbols as upright, and
#: this many more, to win.
ORIENTATION_LINES = 4
SURE_SYMBOL = 0.9
HALF_TURN_FACTOR = 1.5
HALF_TURN_MARGIN = 4
#: Each line's box is widened by these shares of its height at both ends, and above and
#: below, before it is cropped (`lines.Line.widened`).
LINE_ENDS = 0.15
LINE_SIDES = 0.05


def read_by_lines(
    upright: Gray,
    *,
    rotation_from_exif: bool,
    engine: Engine,
    line_engine: LineEngine,
    options: ReadOptions,
    passes: Passes,
) -> Reading | None:
    """Read the inscription on `upright` line by line, or None when no line is found.

    When two or more lines were found (an inscription's stack of lines) but no line of
    plausible years, and the page is larger than the detector's copy, the page is detected
    again at `CLOSER` times the size (small or faint digits the first copy blurred away),
    and that reading is kept if it has a line of plausible years. Pages with one line or
    none (ceremonies, monuments seen from afar) are not: on the tuning samples the closer
    look found nothing there, at 2 s a page.

    Raises whatever the engines raise (the stage turns their errors into flags).
    """
    first = _read_at(upright, options.detect_long_edge, rotation_from_exif, engine, line_engine, options, passes)
    if first is None:
        return None
    reading, plausible, lines = first
    closer = round(options.detect_long_edge * CLOSER)
    if plausible == 0 and lines >= 2 and max(upright.shape) > options.detect_long_edge * 1.2:
        second = _read_at(upright, closer, rotation_from_exif, engine, line_engine, options, passes)
        if second is not None and second[1] > 0:
            second[0].notes.insert(0, f"no plausible years at {options.detect_long_edge} px: read at {closer} px")
            return second[0]
    return reading


def _read_at(
    upright: Gray,
    detect_size: int,
    rotation_from_exif: bool,
    engine: Engine,
    line_engine: LineEngine,
    options: ReadOptions,
    passes: Passes,
) -> tuple[Reading, int, int] | None:
    """The reading with the detector on a copy `detect_size` px long, its lines of plausible years, its lines."""
    page, factor = images.fit(upright, detect_size)
    label = "" if detect_size == options.detect_long_edge else f" at {detect_size} px"
    quads: list[Quad] = passes.detect(f"detect lines{label}", line_engine, images.equalise(page))
    rotation, method = 0, ("exif" if rotation_from_exif else "none")
    sweep = not rotation_from_exif and options.sweep
    if quads and sweep:
        rotation = _orientation(page, quads, line_engine, passes)
        quads = turn_quads(quads, rotation, (page.shape[1], page.shape[0])) if rotation else quads
    elif sweep:
        # The detector finds no text standing on end: look on the page turned a quarter.
        rotation, quads = _quarter_turn(page, line_engine, passes)
    if not quads:
        return None
    if rotation:
        method = "sweep"
    work = images.rotate_quarter(upright, rotation)
    lines = inscription_lines([quad / np.float32(factor) for quad in quads], options.max_lines)
    if not lines:
        return None
    lines = [line.widened(LINE_ENDS, LINE_SIDES) for line in lines]
    notes: list[str] = []
    crops = [crop_line(work, line) for line in lines]
    seen = passes.recognise(f"recognise lines{label}", line_engine, crops)
    charset = line_engine.charset
    reads = [
        LineRead(line, row, crop, probabilities, best_path(probabilities.probabilities, charset), [], "none")
        for line, row, crop, probabilities in zip(lines, rows(lines), crops, seen, strict=True)
    ]
    text_lines = []
    for read in reads:
        if is_year_line(read.free.text):
            read_years(read, charset, notes)
        else:
            text_lines.append(read)
    read_text(text_lines, engine, options, passes)
    for read in text_lines:
        restore_shapes(read, options.languages, notes)
    return _reading(reads, rotation, method, options, passes, notes), sum(read.plausible for read in reads), len(reads)


def _orientation(page: Gray, quads: list[Quad], line_engine: LineEngine, passes: Passes) -> int:
    """Degrees clockwise to turn the page upright, by how much the recogniser reads with confidence.

    The measure is the number of symbols read with a probability of at least
    `SURE_SYMBOL`: digits and Latin letters read the right way up are nearly all sure,
    upside down hardly any; Cyrillic and Hangul, which the recogniser does not know, give
    few either way, so upside down must win clearly (`HALF_TURN_FACTOR` and
    `HALF_TURN_MARGIN` more) to turn an upright-looking page.
    """
    size = (page.shape[1], page.shape[0])
    choices = (90, 270) if vertical_share(quads) > 0.5 else (0, 180)
    sure = {
        degrees: _sure_symbols(
            images.rotate_quarter(page, degrees), turn_quads(quads, degrees, size), line_engine, passes, degrees
        )
        for degrees in choices
    }
    if choices == (0, 180):
        upside_down = sure[180] >= HALF_TURN_FACTOR * sure[0] and sure[180] >= sure[0] + HALF_TURN_MARGIN
        return 180 if upside_down else 0
    return 90 if sure[90] >= sure[270] else 270


def _quarter_turn(page: Gray, line_engine: LineEngine, passes: Passes) -> tuple[int, list[Quad]]:
    """(90 or 270, the lines found on the page so turned), or (0, []) when neither shows text.

    When both do, the way the recogniser reads more surely wins (see `_orientation`).
    """
    found = {
        degrees: passes.detect(
            f"detect lines {degrees}", line_engine, images.equalise(images.rotate_quarter(page, degrees))
        )
        for degrees in (90, 270)
    }
    if not found[90] and not found[270]:
        return 0, []
    if not found[90] or not found[270]:
        degrees = 90 if found[90] else 270
        return degrees, found[degrees]
    sure = {
        degrees: _sure_symbols(images.rotate_quarter(page, degrees), quads, line_engine, passes, degrees)
        for degrees, quads in found.items()
    }
    degrees = 90 if sure[90] >= sure[270] else 270
    return degrees, found[degrees]


def _sure_symbols(page: Gray, quads: list[Quad], line_engine: LineEngine, passes: Passes, degrees: int) -> int:
    """How many symbols the recogniser reads surely (`SURE_SYMBOL`) on the largest lines of `page`."""
    lines = inscription_lines(quads, ORIENTATION_LINES)
    seen = passes.recognise(f"orientation {degrees}", line_engine, [crop_line(page, line) for line in lines])
    decoded = [best_path(s.probabilities, line_engine.charset) for s in seen]
    return sum(1 for d in decoded for symbol in d.symbols if symbol.probability >= SURE_SYMBOL)


def _reading(
    reads: list[LineRead], rotation: int, method: str, options: ReadOptions, passes: Passes, notes: list[str]
) -> Reading:
    hows = [read.how for read in reads]
    steps = [f"detect:{len(reads)} lines", "crop"]
    for how in ("years", "years re-read", "tesseract", "shapes"):
        if hows.count(how):
            steps.append(f"{how}:{hows.count(how)}")
    if "tesseract" in hows:
        steps += ["invert", "flatten"] if any(read.inverted for read in reads) else ["flatten"]
    return reading_of(
        [word for read in reads for word in read.words],
        options,
        rotation=rotation,
        rotation_method=method,
        preprocess=steps,
        psm=7 if "tesseract" in hows else None,
        candidates=2 * hows.count("tesseract") + hows.count("years") + hows.count("years re-read"),
        passes=passes,
        notes=notes,
    )
