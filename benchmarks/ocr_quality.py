"""Issue 12's benchmark ("Read the stones, part two"): how well the whole pipeline reads the stones.

Usage: .venv/bin/python benchmarks/ocr_quality.py [--samples ../shared/samples_more] [--limit N]
       [--engine tesserocr,pytesseract,tesseract-only] [--workers W (cores)] [--no-raw] [--show] [--keep]

The set. The default drop is `../shared/samples_more`, held out: reading is tuned on
`../shared/samples`. The header says which: "held out (not used for tuning)",
"IN-SAMPLE (tuning set)", or "unknown drop" for any other --samples. It also names the
commit measured (and whether src/ or pipeline.yaml differ from it) and the load average.

Runs. For each engine configuration (--engine, comma-separated; default: every one whose
engine is installed):
- tesserocr: `ocr.engine: tesserocr`, `ocr.line_engine: auto` (the default install);
- pytesseract: `ocr.engine: pytesseract`, `ocr.line_engine: auto`;
- tesseract-only: `ocr.engine: tesserocr`, `ocr.line_engine: none` (the previous reading,
  tesseract alone, for comparison);
the real pipeline runs once, as ingest.py runs it: the drop's `inbox/` (or, with --limit N,
its first N image files by name and their captions) copied into a fresh temporary home
beside the repo's `pipeline.yaml` with those two keys set, `archive-ingest run --workers W
--report R.json` (W: --workers, default the cores), then `archive-ingest export --format
json`. Records are matched to ground-truth items by SHA-256 (ingest_samples.py's
`scored_items`: an exact duplicate whose original is in the drop shares its record and is
scored once).

Baseline (unless --no-raw), in the same run: raw `tesseract FILE - -l rus+kor+eng` (the
command line; languages from pipeline.yaml; default page segmentation, full resolution, no
EXIF rotation) on the same headstone images, W processes at a time, OMP_THREAD_LIMIT=1
(ingest.py's floor), its text kept.

Measured per difficulty (easy, medium, hard, all; an item without a difficulty counts in
"all" only), one column per engine and raw tesseract where it applies; a target is printed
met/MISSED on the row it applies to:
- years read from the stone: headstones with years in the ground truth whose `ocr.text`
  holds every birth and death year as 4 digits (easy >= 98%, medium >= 85%, hard >= 40%);
- records with the right years: a person of the record (stone and caption together)
  carries each true person's birth and death years (ingest_samples.person_right; >= 95%);
- surname from the stone: headstones whose every `persons[].surname` is in the folded
  `ocr.text` (`search.normalise`: case, ё->е, spaces; >= 60%);
- CER: Levenshtein distance between the folded text read and the folded inscription (lines
  joined by spaces) over the inscription's length, the mean over headstones (<= 0.40); text
  read around the inscription counts as errors, so a CER above 1 is possible;
- caption-stone conflicts: of the items whose ground truth has `issues.caption_conflict`,
  the records flagged `caption_conflict` (target: all), and those at least sent to review
  for their years (`caption_conflict` or one of `years_unconfirmed`, `inscription_unread`,
  `implausible_years`, `unparsed_years`); misses listed;
- false conflicts: records flagged `caption_conflict` whose ground truth has none, over the
  records that have a caption (<= 1%); listed with the flag's detail;
- silent errors: headstones with years in the ground truth whose record's years are wrong or
  missing, or carry a wrong extra span (as ingest_samples.print_records), and none of the
  flags `caption_conflict`, `years_unconfirmed`, `inscription_unread`, `implausible_years`,
  `unparsed_years`, `ocr_empty`, `ocr_low_confidence` (target: zero); listed with the
  record's persons and the truth's years. Beside it the looser count ingest_samples.py
  prints: wrong years on a record whose review status is `not_needed`.
- time per stone: the report's `stage_seconds["ocr"]` (summed over workers) over the files
  the OCR stage read (records with an `ocr` event), the whole run's wall over its image
  files, and the floor's wall over its stones; the ratio to raw is wall per file over the
  floor's wall per stone (the issue's "no slower" target: at most 2.5x for the default
  install). Beside them, as ingest.py measures it, the user+sys CPU seconds per file of
  every process (RUSAGE_CHILDREN) and their ratio, and the 1-minute load average when each
  started: another load on the machine stretches the wall times, hardly the CPU.

The script prints, never asserts: exit 0 whatever the figures, 1 if a run or an export
fails (its stderr is printed), 2 if the samples, the console script or tesseract are missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz.distance import Levenshtein

from archive_ingest.search import normalise

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))
import ingest as bench  # noqa: E402  (runs the pipeline in a temp home: probe, report, versions)
import ingest_samples as gt  # noqa: E402  (ground-truth scoring helpers)

SHARED = REPO.parent / "shared"
HELD_OUT = SHARED / "samples_more"
TUNING = SHARED / "samples"
LEVELS = (*gt.DIFFICULTIES, "all")
#: Engine configurations: the `ocr:` keys each one sets in the copied pipeline.yaml.
CONFIGS: dict[str, dict[str, str]] = {
    "tesserocr": {"engine": "tesserocr", "line_engine": "auto"},
    "pytesseract": {"engine": "pytesseract", "line_engine": "auto"},
    "tesseract-only": {"engine": "tesserocr", "line_engine": "none"},
}
DEFAULT_INSTALL = "tesserocr"
#: Flags that send a record's years to review.
REVIEW_YEARS = ("years_unconfirmed", "inscription_unread", "implausible_years", "unparsed_years")
#: Flags that keep a wrong reading from being silent.
WARNED = ("caption_conflict", *REVIEW_YEARS, "ocr_empty", "ocr_low_confidence")
RAW = "raw tesseract"

Record = dict[str, Any]
Truth = dict[str, Any]
Scorer = Callable[[str], Any]  # item name -> its measure (a bool, a CER)
Cell = Callable[[list[str], str], str]  # (item names of one row, its difficulty) -> the cell
CellMaker = Callable[[Scorer, "Target | None"], Cell]


@dataclass(frozen=True)
class Target:
    """A goal on some rows: at least (or, `most`, at most) a value."""

    levels: Mapping[str, float]
    most: bool = False
    percent: bool = True

    def verdict(self, level: str, value: float) -> str:
        goal = self.levels.get(level)
        if goal is None:
            return ""
        return " " + bench.verdict(value <= goal if self.most else value >= goal)

    def describe(self) -> str:
        sign = "<=" if self.most else ">="
        form = ".0%" if self.percent else "g"
        return ", ".join(f"{level} {sign} {goal:{form}}" for level, goal in self.levels.items())


YEARS_TARGET = Target({"easy": 0.98, "medium": 0.85, "hard": 0.40})
RECORDS_TARGET = Target({"all": 0.95})
SURNAME_TARGET = Target({"all": 0.60})
CER_TARGET = Target({"all": 0.40}, most=True, percent=False)
CONFLICT_TARGET = Target({"all": 1.0})
FALSE_CONFLICT_TARGET = Target({"all": 0.01}, most=True)
SILENT_TARGET = Target({"all": 0}, most=True, percent=False)
RATIO_TARGET = 2.5


@dataclass
class Drop:
    """The sample drop as copied into each home, and the items scored."""

    samples: Path
    items: dict[str, Truth]
    files: list[str]  # inbox-relative names copied (images and captions)
    images: list[str]
    scored: list[str]  # image items, one per record
    stones: list[str]  # the scored headstones

    def level(self, names: list[str], level: str) -> list[str]:
        return [n for n in names if level == "all" or self.items[n].get("difficulty") == level]


@dataclass
class EngineRun:
    label: str
    probed: bench.Probed  # wall, CPU of every process of the run, the report
    records: dict[str, Record]  # by sha256
    load: float  # the 1-minute load average when it started

    def record(self, truth: Truth) -> Record:
        return self.records.get(truth["sha256"]) or {}

    def ocr_files(self) -> int:
        return sum(any(e["type"] == "ocr" for e in r.get("events") or []) for r in self.records.values())


@dataclass
class Floor:
    wall: float
    cpu: float  # user+sys of the tesseract processes
    calls: list[float]
    texts: dict[str, str]
    failures: list[str]
    load: float


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    samples: Path = args.samples.resolve()
    if not (samples / "inbox").is_dir() or not (samples / "ground_truth.json").is_file():
        print(f"ocr_quality: no sample drop at {samples} (need inbox/ and ground_truth.json)", file=sys.stderr)
        return 2
    tesseract = shutil.which("tesseract")
    if tesseract is None or not bench.SCRIPT.exists():
        missing = "tesseract" if tesseract is None else str(bench.SCRIPT)
        print(f"ocr_quality: {missing} not found (install the project into .venv first)", file=sys.stderr)
        return 2
    labels, skipped = engine_labels(args.engine)
    drop = load_drop(samples, args.limit)
    print_header(drop, args, labels, skipped)

    homes: list[Path] = []
    try:
        floor = None if args.no_raw else run_floor(tesseract, drop, args.workers)
        runs = [run_config(label, drop, args.workers, homes) for label in labels]
    except bench.RunFailed as exc:
        print(f"ocr_quality: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            note("archive homes kept: " + ", ".join(map(str, homes)))
        else:
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)

    texts = {run.label: {n: pipeline_text(run, drop.items[n]) for n in drop.stones} for run in runs}
    if floor is not None:
        texts[RAW] = {n: floor.texts.get(n, "") for n in drop.stones}
    print_time(drop, runs, floor, args.workers)
    print_stone_tables(drop, texts)
    print_record_tables(drop, runs)
    print_lists(drop, runs)
    if args.show:
        print_readings(drop, runs, floor)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=Path, default=HELD_OUT, help="drop with inbox/ and ground_truth.json")
    parser.add_argument("--limit", type=int, default=None, help="only the first N image files (by name)")
    parser.add_argument(
        "--engine", default=None, help=f"configurations, comma-separated: {', '.join(CONFIGS)} [default: installed]"
    )
    parser.add_argument("--workers", type=int, default=cores, help=f"workers of each run [default: cores, {cores}]")
    parser.add_argument("--no-raw", action="store_true", help="skip raw tesseract (no baseline, no ratios)")
    parser.add_argument("--show", action="store_true", help="print each headstone's truth and reading")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive homes")
    args = parser.parse_args(argv)
    if args.workers < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--workers and --limit take a number of at least 1")
    unknown = [label for label in (args.engine or "").split(",") if label and label not in CONFIGS]
    if unknown or (args.engine is not None and not args.engine.strip(",")):
        parser.error(f"--engine: unknown {', '.join(unknown) or 'none given'} (choose from {', '.join(CONFIGS)})")
    return args


def engine_labels(wanted: str | None) -> tuple[list[str], str | None]:
    """The configurations to run, and why some were left out (tesserocr not importable)."""
    if wanted:
        return list(dict.fromkeys(label for label in wanted.split(",") if label)), None
    if tesserocr_ready():
        return list(CONFIGS), None
    return ["pytesseract"], "tesserocr is not importable: tesserocr and tesseract-only are skipped"


def tesserocr_ready() -> bool:
    return module_version("tesserocr") is not None


def module_version(module: str) -> str | None:
    """The module's installed version in this venv (a child process: nothing loaded here), or None."""
    code = f"import importlib.metadata as m, {module}; print(m.version({module!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def load_drop(samples: Path, limit: int | None) -> Drop:
    items: dict[str, Truth] = json.loads((samples / "ground_truth.json").read_text(encoding="utf-8"))["items"]
    config = repo_config()
    extensions = {e.lower() for e in (config.get("discover") or {}).get("extensions") or gt.DEFAULT_EXTENSIONS}
    files = gt.select_files(samples / "inbox", extensions, limit)
    images = [name for name in files if Path(name).suffix.lower() in extensions]
    scored = gt.scored_items(items, images)
    stones = [n for n in scored if items[n]["kind"] == "headstone" and gt.is_ocr_candidate(n, items, set(images))]
    return Drop(samples, items, files, images, scored, stones)


def code_version() -> str:
    """The checkout's commit, and whether src/ or pipeline.yaml differ from it (read-only git queries)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "src", "pipeline.yaml"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return head.stdout.strip() + (" with uncommitted changes in src/ or pipeline.yaml" if changed else "")


def repo_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO / "pipeline.yaml").read_text(encoding="utf-8")) or {}
    return config


def set_label(samples: Path) -> str:
    if samples == HELD_OUT.resolve():
        return "held out (not used for tuning)"
    if samples == TUNING.resolve():
        return "IN-SAMPLE (tuning set)"
    return "unknown drop"


def print_header(drop: Drop, args: argparse.Namespace, labels: list[str], skipped: str | None) -> None:
    what = f"the first {args.limit} image files" if args.limit else "the whole inbox"
    stones = ", ".join(f"{level} {len(drop.level(drop.stones, level))}" for level in gt.DIFFICULTIES)
    bundled = bench.tesserocr_version()
    lines = module_version("rapidocr") or "not importable: line_engine auto reads with tesseract alone"
    print("archive-ingest OCR quality (benchmarks/ocr_quality.py, issue 12)")
    print(f"  samples:    {drop.samples}: {set_label(drop.samples)}")
    print(f"  drop:       {what}: {len(drop.images)} image files, {len(drop.files) - len(drop.images)} other files;")
    print(f"              {len(drop.scored)} items scored, {len(drop.stones)} headstones ({stones})")
    print(f"  date:       {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"  code:       {code_version()}")
    print(f"  machine:    {platform.node()}, {len(os.sched_getaffinity(0))} cores usable, {bench.cpu_model()}")
    print(f"  load:       {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min, before the runs)")
    print(f"  tesseract:  {bench.tesseract_version()} (CLI)" + (f"; tesserocr bundles {bundled}" if bundled else ""))
    print(f"  rapidocr:   {lines}")
    print(f"  workers:    {args.workers}")
    for label in labels:
        keys = ", ".join(f"ocr.{key}: {value}" for key, value in CONFIGS[label].items())
        print(f"  engine:     {label} ({keys})")
    if skipped:
        print(f"  note:       {skipped}")
    print()


# -- the runs -----------------------------------------------------------------------------------


def note(line: str) -> None:
    sys.stdout.flush()  # keep the tables and the progress lines in order when both go to one file
    print(f"[ocr_quality.py] {line}", file=sys.stderr, flush=True)


def pipeline_yaml(label: str) -> str:
    """The repo's pipeline.yaml with the configuration's `ocr:` keys set (comments are not kept)."""
    config = repo_config()
    config.setdefault("ocr", {}).update(CONFIGS[label])
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def run_config(label: str, drop: Drop, workers: int, homes: list[Path]) -> EngineRun:
    """One whole `archive-ingest run` of the drop in a fresh home, and its catalog exported."""
    home = gt.make_home(drop.samples / "inbox", drop.files)
    homes.append(home)
    (home / "pipeline.yaml").write_text(pipeline_yaml(label), encoding="utf-8")
    note(f"{label}: archive-ingest run --workers {workers} on {len(drop.images)} image files in {home} ...")
    load = os.getloadavg()[0]
    probed = bench.run_pipeline(home, workers)
    note(f"{label}: {probed.wall:.1f} s")
    return EngineRun(label, probed, export_records(home), load)


def export_records(home: Path) -> dict[str, Record]:
    proc = subprocess.run(
        [str(bench.SCRIPT), "export", "--format", "json"], cwd=home, env=bench.pipeline_env(), capture_output=True,
        text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise bench.RunFailed(f"archive-ingest export in {home} exited {proc.returncode}:\n{proc.stderr}")
    return {record["file"]["sha256"]: record for record in json.loads(proc.stdout)}


def run_floor(tesseract: str, drop: Drop, workers: int) -> Floor:
    """Raw tesseract on the headstone images, `workers` processes at a time, each text kept."""
    languages = "+".join(ocr_languages())
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    note(f"floor: raw tesseract -l {languages} on {len(drop.stones)} headstones, {workers} at a time ...")

    def one(name: str) -> tuple[str, float, str, str | None]:
        started = time.perf_counter()
        path = drop.samples / "inbox" / name
        proc = subprocess.run([tesseract, str(path), "-", "-l", languages], env=env, capture_output=True)
        seconds = time.perf_counter() - started
        failure = None if proc.returncode == 0 else f"{name}: exit {proc.returncode}"
        return name, seconds, proc.stdout.decode("utf-8", "replace"), failure

    if drop.stones:
        one(drop.stones[0])  # warm the page cache and the language data; not timed
    load, before = os.getloadavg()[0], resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, drop.stones))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    texts = {name: text for name, _, text, failure in results if failure is None}
    failures = [failure for *_, failure in results if failure]
    return Floor(wall, cpu, [seconds for _, seconds, _, _ in results], texts, failures, load)


def ocr_languages() -> list[str]:
    config = repo_config()
    return list((config.get("ocr") or {}).get("languages") or gt.DEFAULT_LANGUAGES)


# -- scoring ------------------------------------------------------------------------------------


def pipeline_text(run: EngineRun, truth: Truth) -> str:
    return (run.record(truth).get("ocr") or {}).get("text") or ""


def inscription(truth: Truth) -> str:
    return normalise(" ".join(truth.get("inscription_lines") or []))


def cer(text: str, truth: Truth) -> float:
    """Levenshtein distance / length of the inscription, both folded by `search.normalise`."""
    expected = inscription(truth)
    return Levenshtein.distance(normalise(text), expected) / max(len(expected), 1)


def surnames(truth: Truth) -> list[str]:
    return [p["surname"] for p in truth.get("persons") or [] if p.get("surname")]


def surname_read(text: str, truth: Truth) -> bool:
    folded = normalise(text)
    return all(normalise(surname) in folded for surname in surnames(truth))


def years_read(text: str, truth: Truth) -> bool:
    return gt.has_years(text, gt.expected_years(truth))


def years_right(record: Record, truth: Truth) -> bool:
    persons = record.get("persons") or []
    return all(gt.person_right(t, persons) for t in truth.get("persons") or [])


def years_wrong(record: Record, truth: Truth) -> bool:
    """A true person's years missing, or a person with years no true person has (as print_records)."""
    true_years = {(t.get("birth_year"), t.get("death_year")) for t in truth.get("persons") or []}
    extra = any(
        (p.get("birth_year"), p.get("death_year")) not in true_years and (p.get("birth_year") or p.get("death_year"))
        for p in record.get("persons") or []
    )
    return extra or not years_right(record, truth)


def flags(record: Record) -> set[str]:
    return {flag["code"] for flag in record.get("flags") or []}


def silent(record: Record, truth: Truth) -> bool:
    return years_wrong(record, truth) and not flags(record) & set(WARNED)


def loosely_silent(record: Record, truth: Truth) -> bool:
    """ingest_samples.py's count: wrong years while review says nothing is needed."""
    return years_wrong(record, truth) and (record.get("review") or {}).get("status") == "not_needed"


def sent_to_review(record: Record) -> bool:
    return bool(flags(record) & {"caption_conflict", *REVIEW_YEARS})


def conflicted(truth: Truth) -> bool:
    return bool((truth.get("issues") or {}).get("caption_conflict"))


def false_conflict(record: Record, truth: Truth) -> bool:
    return "caption_conflict" in flags(record) and not conflicted(truth)


def has_conflict_flag(record: Record, _truth: Truth) -> bool:
    return "caption_conflict" in flags(record)


def to_review(record: Record, _truth: Truth) -> bool:
    return sent_to_review(record)


#: A record measure: (column heading after the engine, what it finds, how the cell shows it, target).
Part = tuple[str, Callable[[Record, Truth], Any], CellMaker, "Target | None"]


# -- tables -------------------------------------------------------------------------------------


def on_items(measure: Callable[[Any, Truth], Any], values: Mapping[str, Any], items: dict[str, Truth]) -> Scorer:
    """The measure of one reader's value for an item (its text, or its record) against the item's truth."""
    return lambda name: measure(values[name], items[name])


def share_cell(hit: Scorer, target: Target | None) -> Cell:
    """`hits/n percent` of the row's items, with the target's verdict on the rows it applies to."""

    def cell(names: list[str], level: str) -> str:
        hits = sum(bool(hit(name)) for name in names)
        verdict = target.verdict(level, hits / len(names)) if target and names else ""
        return gt.share(hits, len(names)) + verdict

    return cell


def count_cell(hit: Scorer, target: Target | None) -> Cell:
    def cell(names: list[str], level: str) -> str:
        hits = sum(bool(hit(name)) for name in names)
        return str(hits) + (target.verdict(level, hits) if target else "")

    return cell


def mean_cell(value: Scorer, target: Target | None) -> Cell:
    def cell(names: list[str], level: str) -> str:
        if not names:
            return "-"
        mean = sum(float(value(name)) for name in names) / len(names)
        return f"{mean:.2f}" + (target.verdict(level, mean) if target else "")

    return cell


def print_levels(title: str, drop: Drop, names: list[str], unit: str, columns: dict[str, Cell]) -> None:
    """A table: a row per difficulty (and all), a column per reader."""
    print(title)
    rows = []
    for level in LEVELS:
        group = drop.level(names, level)
        rows.append([level, len(group), *(cell(group, level) for cell in columns.values())])
    gt.print_table(["difficulty", unit, *columns], rows)
    print()


def text_columns(
    drop: Drop, texts: dict[str, dict[str, str]], measure: Callable[[str, Truth], Any], cell: CellMaker, target: Target
) -> dict[str, Cell]:
    """A measure of each reader's text: each engine's `ocr.text` (with the target), then raw tesseract's."""
    return {
        reader: cell(on_items(measure, got, drop.items), None if reader == RAW else target)
        for reader, got in texts.items()
    }


def record_columns(drop: Drop, runs: list[EngineRun], *parts: Part) -> dict[str, Cell]:
    """Record measures of each engine's run, the parts side by side under each engine."""
    columns: dict[str, Cell] = {}
    for run in runs:
        records = {name: run.record(drop.items[name]) for name in drop.scored}
        for heading, measure, cell, target in parts:
            columns[f"{run.label}: {heading}" if heading else run.label] = cell(
                on_items(measure, records, drop.items), target
            )
    return columns


def print_stone_tables(drop: Drop, texts: dict[str, dict[str, str]]) -> None:
    items = drop.items
    print_levels(
        f"YEARS READ FROM THE STONE (ocr.text holds every true birth and death year; target {YEARS_TARGET.describe()})",
        drop, [n for n in drop.stones if gt.expected_years(items[n])], "stones",
        text_columns(drop, texts, years_read, share_cell, YEARS_TARGET),
    )  # fmt: skip
    print_levels(
        f"SURNAME FROM THE STONE (every true surname in the folded ocr.text; target {SURNAME_TARGET.describe()})",
        drop, [n for n in drop.stones if surnames(items[n])], "stones",
        text_columns(drop, texts, surname_read, share_cell, SURNAME_TARGET),
    )  # fmt: skip
    print_levels(
        f"CER OF THE INSCRIPTION (mean over headstones; target {CER_TARGET.describe()})",
        drop, [n for n in drop.stones if inscription(items[n])], "stones",
        text_columns(drop, texts, cer, mean_cell, CER_TARGET),
    )  # fmt: skip


def print_record_tables(drop: Drop, runs: list[EngineRun]) -> None:
    items = drop.items
    with_years = [n for n in drop.stones if gt.expected_years(items[n])]
    captioned = [n for n in drop.scored if runs and runs[0].record(items[n]).get("caption")]
    print_levels(
        f"RECORDS WITH THE RIGHT YEARS (stone and caption together; target {RECORDS_TARGET.describe()})",
        drop, with_years, "stones", record_columns(drop, runs, ("", years_right, share_cell, RECORDS_TARGET)),
    )  # fmt: skip
    print_levels(
        "CAPTION-STONE CONFLICTS (items whose truth has caption_conflict; flagged: caption_conflict, target all;\n"
        f"  to review: caption_conflict or one of {', '.join(REVIEW_YEARS)})",
        drop, [n for n in drop.scored if conflicted(items[n])], "items",
        record_columns(drop, runs, ("flagged", has_conflict_flag, share_cell, CONFLICT_TARGET),
                       ("to review", to_review, share_cell, None)),
    )  # fmt: skip
    print_levels(
        "FALSE CONFLICTS (records flagged caption_conflict whose truth has none, over the records with a caption;\n"
        f"  target {FALSE_CONFLICT_TARGET.describe()})",
        drop, captioned, "captioned",
        record_columns(drop, runs, ("", false_conflict, share_cell, FALSE_CONFLICT_TARGET)),
    )  # fmt: skip
    print_levels(
        "SILENT ERRORS (headstones: wrong or missing years and none of the flags\n"
        f"  {', '.join(WARNED)}; target zero.\n"
        "  not_needed: wrong or missing years on a record whose review status is not_needed, as ingest_samples.py)",
        drop, with_years, "stones",
        record_columns(drop, runs, ("silent", silent, count_cell, SILENT_TARGET),
                       ("not_needed", loosely_silent, count_cell, None)),
    )  # fmt: skip


# -- time ---------------------------------------------------------------------------------------

TIME_ROWS = (
    "files",
    "files the OCR stage read",
    "1-min load average at the start",
    "wall s",
    "wall s per file",
    "OCR s per file read",
    "CPU s per file (user+sys)",
    "ratio to raw, wall per file",
    "ratio to raw, CPU per file",
)


def print_time(drop: Drop, runs: list[EngineRun], floor: Floor | None, workers: int) -> None:
    print(f"TIME PER STONE ({workers} workers, whole processes; target: {DEFAULT_INSTALL} <= {RATIO_TARGET}x raw's "
          "wall per stone)")  # fmt: skip
    stones = len(drop.stones)
    per_stone = (floor.wall / stones, floor.cpu / stones) if floor and stones else None
    columns = {RAW: floor_column(floor, stones)} if floor else {}
    columns.update({run.label: run_column(run, len(drop.images), per_stone) for run in runs})
    rows = [[row, *(column[i] for column in columns.values())] for i, row in enumerate(TIME_ROWS)]
    gt.print_table(["", *columns], rows)
    print("  (raw: one tesseract process per headstone, W at a time; its OCR s is the mean call. A run's files are")
    print("  every image of the drop, other kinds and broken files too; its OCR s is the report's")
    print("  stage_seconds['ocr'], summed over workers, over the files with an ocr event; its CPU, every process's.")
    print("  Another load on the machine stretches the wall times: read the load average beside them)")
    if floor and floor.failures:
        gt.listing("raw tesseract failed on", floor.failures)
    print()


def floor_column(floor: Floor, stones: int) -> list[str]:
    n = max(stones, 1)
    return [f"{stones} stones", str(stones), f"{floor.load:.2f}", f"{floor.wall:.1f}", f"{floor.wall / n:.2f}",
            f"{sum(floor.calls) / n:.2f}", f"{floor.cpu / n:.2f}", "1.00x", "1.00x"]  # fmt: skip


def run_column(run: EngineRun, files: int, per_stone: tuple[float, float] | None) -> list[str]:
    """The run's figures; per_stone: raw's wall and CPU seconds per stone, for the ratios."""
    ocr_seconds = (run.probed.report.get("stage_seconds") or {}).get("ocr", 0.0)
    read = run.ocr_files()
    wall, cpu = run.probed.wall / max(files, 1), run.probed.cpu / max(files, 1)
    wall_ratio = cpu_ratio = "-"
    if per_stone:
        verdict = f" {bench.verdict(wall / per_stone[0] <= RATIO_TARGET)}" if run.label == DEFAULT_INSTALL else ""
        wall_ratio, cpu_ratio = f"{wall / per_stone[0]:.2f}x{verdict}", f"{cpu / per_stone[1]:.2f}x"
    ocr_per = f"{ocr_seconds / read:.2f}" if read else "-"
    return [str(files), str(read), f"{run.load:.2f}", f"{run.probed.wall:.1f}", f"{wall:.2f}", ocr_per,
            f"{cpu:.2f}", wall_ratio, cpu_ratio]  # fmt: skip


# -- lists --------------------------------------------------------------------------------------


def describe_persons(record: Record) -> str:
    people = []
    for p in record.get("persons") or []:
        span = f"{p.get('birth_year') or '?'}-{p.get('death_year') or '?'}"
        sources = ",".join(f"{k}={v}" for k, v in (p.get("sources") or {}).items())
        people.append(f"{p.get('name')} {span} (source {p.get('source')}; sources {sources})")
    return "; ".join(people) or "no persons"


def truth_years(truth: Truth) -> str:
    spans = [f"{p.get('birth_year') or '?'}-{p.get('death_year') or '?'}" for p in truth.get("persons") or []]
    return ", ".join(spans) or "none"


def flag_codes(record: Record) -> str:
    return ", ".join(sorted(flags(record))) or "no flags"


def print_lists(drop: Drop, runs: list[EngineRun]) -> None:
    items = drop.items
    misses, falses, silents = [], [], []
    for run in runs:
        for name in drop.scored:
            truth, record = items[name], run.record(items[name])
            where = f"{run.label}: {name} ({truth.get('difficulty') or '-'}; kind {record.get('kind')})"
            if conflicted(truth) and "caption_conflict" not in flags(record):
                review = "sent to review" if sent_to_review(record) else "NOT sent to review"
                misses.append(f"{where}: {review}; flags: {flag_codes(record)}; record: {describe_persons(record)}; "
                              f"truth: {truth['issues']['caption_conflict']}")  # fmt: skip
            if false_conflict(record, truth):
                details = [f["detail"] for f in record.get("flags") or [] if f["code"] == "caption_conflict"]
                falses.append(f"{where}: {'; '.join(map(str, details))}")
            if name in drop.stones and gt.expected_years(truth) and silent(record, truth):
                silents.append(f"{where}: record: {describe_persons(record)}; truth years: {truth_years(truth)}; "
                               f"flags: {flag_codes(record)}")  # fmt: skip
    print("LISTS")
    for title, lines in (
        ("conflict misses (truth caption_conflict, no caption_conflict flag)", misses),
        ("false conflicts (caption_conflict flag, none in the truth)", falses),
        ("silent errors", silents),
    ):
        print(f"  {title}: {len(lines) or 'none'}")
        for line in lines:
            print(f"    {line}")
    print()


def print_readings(drop: Drop, runs: list[EngineRun], floor: Floor | None) -> None:
    """--show: each headstone's truth and what each reader read."""
    print("READINGS (--show: each headstone's truth, then each reader's folded text)")
    for name in drop.stones:
        truth = drop.items[name]
        print(f"  {name} ({truth.get('difficulty')}): truth {inscription(truth)!r}; years {truth_years(truth)}")
        for run in runs:
            record = run.record(truth)
            print(f"    {run.label:>15}: {normalise(pipeline_text(run, truth))!r}")
            print(f"    {'':>15}  persons: {describe_persons(record)}; flags: {flag_codes(record)}")
        if floor is not None:
            print(f"    {RAW:>15}: {normalise(floor.texts.get(name, ''))!r}")
    print()


if __name__ == "__main__":
    sys.exit(main())
