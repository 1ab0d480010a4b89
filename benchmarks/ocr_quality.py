"""How well the OCR stage reads headstones, against raw tesseract on the same images.

Usage: .venv/bin/python benchmarks/ocr_quality.py [--samples ../shared/samples] [--limit N]
       [--only-headstones] [--config pipeline.yaml] [--engine NAME[,NAME]] [--no-raw] [--show]

For every item of `ground_truth.json` that carries an inscription (headstones, and
monuments unless --only-headstones) and is not a duplicate or a broken file, two readers
run on the same image in the same process, one after the other:
- pipeline: `archive_ingest.stages.ocr.read_inscription` (the OCR stage's library function,
  not the whole pipeline), with the EXIF orientation read by `stages.exif.read_exif` as the
  pipeline would, and the `ocr:` settings of `--config` (default: the repo's pipeline.yaml);
  once per engine named by `--engine` (`pytesseract`, `tesserocr`, `auto`, or several
  joined by commas, e.g. `--engine pytesseract,tesserocr`: each reads every image, one
  after the other, and each gets its rows; default: the config's `ocr.engine`). The
  tesserocr engine loads its models once, before the first image (not timed);
- raw: `pytesseract.image_to_string(Image.open(path), lang="rus+kor+eng")`, no
  preprocessing, no rotation, default page segmentation.

Printed per difficulty (easy, medium, hard, all; monuments in their own row), for each:
- CER: character error rate of the inscription, Levenshtein distance between the text
  read and the true text (inscription lines joined by spaces), divided by the length of
  the true text, both folded as search folds them (`search.normalise`: case, ё->е,
  whitespace); the mean over items. Text read around the inscription counts as errors,
  so a CER above 1 is possible;
- years: share of headstones whose birth and death years (4-digit strings from the ground
  truth's persons) all appear in the stone's text;
- surname: share of headstones whose surnames (persons[].surname) all appear;
- s/img: mean wall-clock seconds per image; and pipeline/raw ratios.

Record-level figures (the years and places of the whole record, stone and caption
together, and silent errors) need the whole pipeline: `benchmarks/ingest_samples.py`
prints them.
The script prints, never asserts: it exits 0 whatever the figures, 2 if the samples are
missing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytesseract
from PIL import Image

from archive_ingest.config import OcrSettings, load_settings
from archive_ingest.search import normalise
from archive_ingest.stages import ocr, ocr_engines
from archive_ingest.stages.exif import read_exif

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO.parent / "shared" / "samples"
DIFFICULTIES = ("easy", "medium", "hard")
RAW_LANG = "rus+kor+eng"


@dataclass
class Item:
    name: str
    path: Path
    kind: str
    difficulty: str
    truth: str
    years: list[str]
    surnames: list[str]


@dataclass
class Score:
    """One reader's results on the items of one row."""

    cer: list[float] = field(default_factory=list)
    years: list[bool] = field(default_factory=list)
    surname: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=Path, default=DEFAULT_SAMPLES, help="folder with ground_truth.json and inbox/"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N items (by file name)")
    parser.add_argument("--only-headstones", action="store_true", help="leave monuments out")
    parser.add_argument("--config", type=Path, default=REPO / "pipeline.yaml", help="pipeline.yaml for ocr settings")
    parser.add_argument(
        "--engine",
        default=None,
        help="OCR engine(s) of the pipeline reader: pytesseract, tesserocr, auto, or several joined by commas",
    )
    parser.add_argument("--no-raw", action="store_true", help="skip raw tesseract (no baseline, no ratios)")
    parser.add_argument("--only", action="append", default=[], help="only this file name (repeatable)")
    parser.add_argument("--show", action="store_true", help="print each item's reading")
    args = parser.parse_args(argv)

    samples: Path = args.samples.resolve()
    truth_file = samples / "ground_truth.json"
    if not truth_file.exists():
        print(f"no ground truth at {truth_file}", file=sys.stderr)
        return 2
    items = load_items(samples, args.only_headstones)
    if args.only:
        items = [item for item in items if item.name in set(args.only)]
    if args.limit is not None:
        items = items[: args.limit]
    # The pipeline sets this in the OCR stage's open_stage; raw tesseract gets the same.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    base = load_settings(args.config).ocr
    names = args.engine.split(",") if args.engine else [base.engine]
    engines: dict[str, OcrSettings] = {}
    for name in names:
        if name not in ("auto", *ocr_engines.ENGINES):
            parser.error(f"--engine: unknown engine {name!r} (pytesseract, tesserocr, auto)")
        settings = base.model_copy(update={"engine": name})
        resolved = ocr.engine_name(settings)  # loads tesserocr's models now, outside the timings
        engines[resolved] = settings
        print(f"engine {name}: {resolved}", file=sys.stderr)

    engine_rows: dict[str, dict[str, Score]] = {label: {} for label in engines}
    raw_rows: dict[str, Score] = {}
    print(f"{len(items)} items from {samples} (ocr settings from {args.config})", file=sys.stderr)
    for index, item in enumerate(items, 1):
        notes = []
        for label, settings in engines.items():
            text, seconds = timed(lambda item=item, settings=settings: read_with_pipeline(item.path, settings))  # type: ignore[misc]
            score_into(engine_rows[label], item, text, seconds)
            notes.append(f"{label} {seconds:.1f}s cer {cer(text, item.truth):.2f}")
        raw_note = ""
        if not args.no_raw:
            raw_text, raw_seconds = timed(lambda item=item: read_raw(item.path))  # type: ignore[misc]
            score_into(raw_rows, item, raw_text, raw_seconds)
            raw_note = f" raw {raw_seconds:.1f}s cer {cer(raw_text, item.truth):.2f}"
        print(
            f"[{index}/{len(items)}] {item.difficulty:6} {item.name}: {'; '.join(notes)}{raw_note}",
            file=sys.stderr,
        )
        if args.show:
            print(f"    truth: {item.truth}\n    read:  {normalise(text)}", file=sys.stderr)

    print_table(engine_rows, raw_rows if not args.no_raw else None)
    return 0


# -- items --------------------------------------------------------------------------------------


def load_items(samples: Path, only_headstones: bool) -> list[Item]:
    """Items with an inscription whose file the pipeline would read (not bad, not a copy)."""
    data: dict[str, Any] = json.loads((samples / "ground_truth.json").read_text(encoding="utf-8"))
    kinds = {"headstone"} if only_headstones else {"headstone", "monument"}
    items = []
    for name, entry in sorted(data["items"].items()):
        issues = entry.get("issues") or {}
        if entry.get("kind") not in kinds or not entry.get("inscription_lines"):
            continue
        if issues.get("duplicate_of") or issues.get("corrupt") or issues.get("decompression_bomb"):
            continue
        persons = entry.get("persons") or []
        years = [str(p[key]) for p in persons for key in ("birth_year", "death_year") if p.get(key)]
        surnames = [p["surname"] for p in persons if p.get("surname")]
        items.append(
            Item(
                name=name,
                path=samples / "inbox" / name,
                kind=entry["kind"],
                difficulty=entry.get("difficulty") or "easy",
                truth=normalise(" ".join(entry["inscription_lines"])),
                years=years,
                surnames=surnames,
            )
        )
    return items


# -- readers ------------------------------------------------------------------------------------


def read_with_pipeline(path: Path, settings: OcrSettings) -> str:
    orientation = read_exif(path).info.orientation
    return ocr.read_inscription(path, orientation, settings).text


def read_raw(path: Path) -> str:
    with Image.open(path) as image:
        text: str = pytesseract.image_to_string(image, lang=RAW_LANG)
    return text


def timed(read: Callable[[], str]) -> tuple[str, float]:
    start = time.perf_counter()
    text = read()
    return text, time.perf_counter() - start


# -- scoring ------------------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def cer(read: str, truth: str) -> float:
    """Levenshtein distance / length of the truth, both folded by `search.normalise`."""
    return levenshtein(normalise(read), truth) / max(len(truth), 1)


def score_into(rows: dict[str, Score], item: Item, text: str, seconds: float) -> None:
    folded = normalise(text)
    row_names = ["monument"] if item.kind == "monument" else [item.difficulty, "all"]
    for row_name in row_names:
        row = rows.setdefault(row_name, Score())
        row.cer.append(cer(text, item.truth))
        row.seconds.append(seconds)
        if item.kind == "headstone":
            if item.years:
                row.years.append(all(year in folded for year in item.years))
            if item.surnames:
                row.surname.append(all(normalise(surname) in folded for surname in item.surnames))


def share(values: Iterable[bool]) -> str:
    values = list(values)
    return f"{100 * sum(values) / len(values):.0f}% ({sum(values)}/{len(values)})" if values else "-"


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def print_table(engines: dict[str, dict[str, Score]], raw: dict[str, Score] | None) -> None:
    """One row per reader (the pipeline with each engine, then raw); ratios are pipeline/raw."""
    header = f"{'row':9} {'n':>3} {'reader':15} {'CER':>5} {'years':>13} {'surname':>13} {'s/img':>6}"
    print(header)
    print("-" * len(header))
    for row_name in (*DIFFICULTIES, "all", "monument"):
        ours = {label: rows[row_name] for label, rows in engines.items() if row_name in rows}
        if not ours:
            continue
        readers = list(ours.items()) + ([("raw", raw[row_name])] if raw and row_name in raw else [])
        for reader, score in readers:
            print(
                f"{row_name:9} {len(score.cer):>3} {reader:15} {mean(score.cer):5.2f} {share(score.years):>13} "
                f"{share(score.surname):>13} {mean(score.seconds):6.2f}"
            )
        if raw and row_name in raw:
            theirs = raw[row_name]
            for label, score in ours.items():
                print(
                    f"{'':9} {'':>3} {label + '/raw':15} {mean(score.cer) / mean(theirs.cer):5.2f} {'':>13} "
                    f"{'':>13} {mean(score.seconds) / mean(theirs.seconds):6.2f}"
                )


if __name__ == "__main__":
    raise SystemExit(main())
