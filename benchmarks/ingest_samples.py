"""Ingest the sample drop end to end: time it against raw tesseract, score it against the ground truth.

Usage: .venv/bin/python benchmarks/ingest_samples.py [--samples ../shared/samples] [--limit N] [--repeat 1] [--keep]

Timing. The sample inbox (or, with --limit N, the first N image files by name and their
`.txt` captions) is copied into a fresh temporary archive home beside a copy of the repo's
`pipeline.yaml`, and the whole `archive-ingest run` process is timed there (wall clock, as a
subprocess). In the same run the baseline is timed: `tesseract IMAGE stdout -l rus+kor+eng`
(languages from `pipeline.yaml`; command line, default page segmentation, full resolution,
no EXIF rotation) once per readable image, i.e. skipping files the ground truth marks as
bad, corrupt or decompression bombs and exact duplicates (the pipeline does not OCR those
either). Both run with OMP_THREAD_LIMIT=1, as the pipeline sets it. The ratio printed is
pipeline total / raw total: the pipeline also hashes, reads EXIF, files, verifies and
commits, so slightly above 1 is expected. With --repeat N both are measured N times (a new
home each time) and the medians are printed.

Quality, read from the catalog (`archive-ingest export --format json` in the temp home) and
held against `ground_truth.json`; items are matched to records by SHA-256:
- years read: share of headstones whose inscription as read contains every birth and death
  year the ground truth gives for its persons, as 4-digit numbers; for the pipeline's
  `ocr.text` and for raw tesseract's output on the same images, per difficulty and overall;
- kind: ground-truth kind vs record kind (`bad` items must be `quarantined`);
- place: ground-truth place vs `place.name`, misses (no place) apart from wrong places;
- EXIF: `exif.date_taken` vs DateTimeOriginal (else DateTime, the contract's fallback),
  `exif.gps` within 1e-4 degrees, `exif.orientation`;
- issues the pipeline must catch: duplicate_of (a `duplicate` flag on the record holding
  the bytes), near_duplicate_of (`near_duplicate` on either record), corrupt and
  decompression_bomb (quarantined), caption_conflict and bad_encoding (those flags),
  orphan_caption (the caption left in the inbox), extension_mismatch (the real format
  identified); every one not met is listed by file name.

An exact duplicate whose original is in the same drop shares the original's record, so it
is scored once (under the original). Timing is printed, never asserted: the script exits 0
whatever the figures, 1 if the pipeline or the export fails, 2 if the samples are missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO.parent / "shared" / "samples"
GPS_TOLERANCE = 1e-4
DIFFICULTIES = ("easy", "medium", "hard")
DEFAULT_LANGUAGES = ["rus", "kor", "eng"]
DEFAULT_EXTENSIONS = [".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"]
#: Ground-truth issues checked against the records, in the order they are printed.
ISSUES = (
    "duplicate_of",
    "near_duplicate_of",
    "corrupt",
    "decompression_bomb",
    "caption_conflict",
    "bad_encoding",
    "orphan_caption",
    "extension_mismatch",
)

Record = dict[str, Any]
Truth = dict[str, Any]


@dataclass
class Measurement:
    """One repeat: a fresh archive home ingested by the pipeline, and the same images by raw tesseract."""

    home: Path
    pipeline_seconds: float
    pipeline_stderr: str
    raw_seconds: float
    raw_call_seconds: list[float]
    raw_texts: dict[str, str]
    raw_failures: list[str]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--samples", type=Path, default=DEFAULT_SAMPLES, help="folder with inbox/ and ground_truth.json"
    )
    parser.add_argument("--limit", type=int, default=None, help="copy only the first N image files (sorted by name)")
    parser.add_argument("--repeat", type=int, default=1, help="measure N times and print medians [default: 1]")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive home(s) and print where")
    args = parser.parse_args(argv)
    if args.repeat < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--repeat and --limit take a number of at least 1")

    samples: Path = args.samples.resolve()
    inbox, truth_file = samples / "inbox", samples / "ground_truth.json"
    if not inbox.is_dir() or not truth_file.is_file():
        print(
            f"ingest_samples: no sample drop at {samples} (need inbox/ and ground_truth.json; pass --samples)",
            file=sys.stderr,
        )
        return 2
    executable = Path(sys.executable).parent / "archive-ingest"
    tesseract = shutil.which("tesseract")
    if not executable.exists() or tesseract is None:
        missing = "tesseract" if tesseract is None else str(executable)
        print(f"ingest_samples: {missing} not found (install the project into .venv first)", file=sys.stderr)
        return 2

    items: dict[str, Truth] = json.loads(truth_file.read_text(encoding="utf-8"))["items"]
    config = yaml.safe_load((REPO / "pipeline.yaml").read_text(encoding="utf-8")) or {}
    languages = (config.get("ocr") or {}).get("languages") or DEFAULT_LANGUAGES
    extensions = {e.lower() for e in (config.get("discover") or {}).get("extensions") or DEFAULT_EXTENSIONS}

    files = select_files(inbox, extensions, args.limit)
    images = [name for name in files if Path(name).suffix.lower() in extensions]
    ocr_images = [name for name in images if is_ocr_candidate(name, items, set(images))]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    homes: list[Path] = []  # every temporary archive home made, removed at the end unless --keep
    try:
        runs: list[Measurement] = []
        for _ in range(args.repeat):
            home = make_home(inbox, files)
            homes.append(home)
            started = time.perf_counter()
            proc = subprocess.run([str(executable), "run"], cwd=home, env=env, capture_output=True, text=True)
            pipeline_seconds = time.perf_counter() - started
            if proc.returncode != 0:
                print(f"ingest_samples: archive-ingest run exited {proc.returncode}:\n{proc.stderr}", file=sys.stderr)
                return 1
            raw = raw_tesseract(tesseract, inbox, ocr_images, languages, env)
            runs.append(Measurement(home, pipeline_seconds, proc.stderr, *raw))

        last = runs[-1]
        export = subprocess.run(
            [str(executable), "export", "--format", "json"], cwd=last.home, env=env, capture_output=True, text=True
        )
        if export.returncode != 0:
            print(
                f"ingest_samples: archive-ingest export exited {export.returncode}:\n{export.stderr}", file=sys.stderr
            )
            return 1
        records: list[Record] = json.loads(export.stdout)

        print(f"samples: {samples}  ({len(images)} image files, {len(files) - len(images)} other files copied)")
        print(f"archive home: {last.home}" + ("  (kept)" if args.keep else "  (removed at the end; --keep keeps it)"))
        print()
        print_timing(runs, len(images), len(ocr_images), "+".join(languages))
        print_pipeline_summary(last, records)
        scored = scored_items(items, images)
        by_sha = {record["file"]["sha256"]: record for record in records}
        print_years(scored, items, by_sha, last.raw_texts)
        print_records(scored, items, by_sha)
        print_kinds(scored, items, by_sha)
        print_places(scored, items, by_sha)
        print_exif(scored, items, by_sha)
        print_issues(items, files, images, by_sha, last.home / "inbox")
        return 0
    finally:
        if args.keep:
            print("kept: " + ", ".join(map(str, homes)), file=sys.stderr)
        else:
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)


# -- the drop and the runs ----------------------------------------------------------------------


def select_files(inbox: Path, extensions: set[str], limit: int | None) -> list[str]:
    """Inbox-relative names to copy: everything, or the first `limit` images and their captions."""
    everything = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file())
    if limit is None:
        return everything
    images = [name for name in everything if Path(name).suffix.lower() in extensions][:limit]
    captions = [str(Path(name).with_suffix(".txt")) for name in images]
    return sorted(set(images) | {name for name in captions if name in everything})


def make_home(inbox: Path, files: list[str]) -> Path:
    """A fresh archive home: a copy of the repo's pipeline.yaml and an inbox holding `files`."""
    home = Path(tempfile.mkdtemp(prefix="ingest-samples-"))
    shutil.copyfile(REPO / "pipeline.yaml", home / "pipeline.yaml")
    for name in files:
        target = home / "inbox" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(inbox / name, target)  # contents only: the samples are read-only
    return home


def is_ocr_candidate(name: str, items: dict[str, Truth], images: set[str]) -> bool:
    """Whether the pipeline OCRs this file: readable, and not a copy of bytes in the same drop."""
    truth = items.get(name)
    if truth is None:
        return True
    issues = truth.get("issues") or {}
    if truth.get("kind") == "bad" or issues.get("corrupt") or issues.get("decompression_bomb"):
        return False
    return issues.get("duplicate_of") not in images


def raw_tesseract(
    tesseract: str, inbox: Path, names: list[str], languages: list[str], env: dict[str, str]
) -> tuple[float, list[float], dict[str, str], list[str]]:
    """The baseline: one `tesseract IMAGE stdout -l LANGS` call per image on the sample files."""
    calls: list[float] = []
    texts: dict[str, str] = {}
    failures: list[str] = []
    for name in names:
        started = time.perf_counter()
        proc = subprocess.run(
            [tesseract, str(inbox / name), "stdout", "-l", "+".join(languages)], env=env, capture_output=True
        )
        calls.append(time.perf_counter() - started)
        texts[name] = proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else ""
        if proc.returncode != 0:
            failures.append(f"{name}: exit {proc.returncode}")
    return sum(calls), calls, texts, failures


def scored_items(items: dict[str, Truth], images: list[str]) -> list[str]:
    """Image items in this drop, each record once: a duplicate whose original is here is left out."""
    here = set(images)
    return [name for name in images if name in items and (items[name]["issues"] or {}).get("duplicate_of") not in here]


# -- printing -----------------------------------------------------------------------------------


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> None:
    """Plain aligned columns: the first left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        parts = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print(indent + "  ".join(parts).rstrip())


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} {100 * hits / total:5.1f}%" if total else "-"


def listing(title: str, lines: list[str]) -> None:
    if lines:
        print(f"  {title}:")
        for line in lines:
            print(f"    {line}")


def print_timing(runs: list[Measurement], n_images: int, n_ocr: int, languages: str) -> None:
    pipeline = statistics.median(run.pipeline_seconds for run in runs)
    raw = statistics.median(run.raw_seconds for run in runs)
    raw_call = statistics.median(t for run in runs for t in run.raw_call_seconds) if n_ocr else 0.0
    how = f"median of {len(runs)} runs" if len(runs) > 1 else "one run"
    print(f"TIMING (wall clock, {how}; OMP_THREAD_LIMIT=1; {os.cpu_count()} CPUs)")
    print_table(
        ["", "images", "total s", "s/image", "median s/call"],
        [
            [
                "archive-ingest run (whole process)",
                n_images,
                f"{pipeline:.1f}",
                f"{pipeline / max(n_images, 1):.2f}",
                "-",
            ],
            [f"raw tesseract -l {languages}", n_ocr, f"{raw:.1f}", f"{raw / max(n_ocr, 1):.2f}", f"{raw_call:.2f}"],
        ],
    )
    print(f"  ratio pipeline/raw (totals): {pipeline / raw:.2f}" if raw else "  ratio pipeline/raw: -")
    if len(runs) > 1:
        print("  each run: " + ", ".join(f"{r.pipeline_seconds:.1f}/{r.raw_seconds:.1f} s" for r in runs))
    for run in runs[-1:]:
        listing("raw tesseract failed on", run.raw_failures)
    print()


def print_pipeline_summary(run: Measurement, records: list[Record]) -> None:
    print("PIPELINE SUMMARY (its own stderr, then the catalog)")
    for line in run.pipeline_stderr.strip().splitlines()[-20:]:
        print(f"  | {line}")
    flags = Counter(flag["code"] for record in records for flag in record["flags"])
    kinds = Counter(record["kind"] for record in records)
    print(f"  records: {len(records)}; kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print("  flags: " + (", ".join(f"{code} {n}" for code, n in sorted(flags.items())) or "none"))
    left = sorted(p.relative_to(run.home / "inbox").as_posix() for p in (run.home / "inbox").rglob("*") if p.is_file())
    print(f"  left in the inbox: {', '.join(left) or 'nothing'}")
    print()


def expected_years(truth: Truth) -> list[int]:
    years = [p.get(key) for p in truth.get("persons") or [] for key in ("birth_year", "death_year")]
    return [year for year in years if year is not None]


def has_years(text: str, years: list[int]) -> bool:
    return all(re.search(rf"(?<!\d){year}(?!\d)", text) for year in years)


def print_years(scored: list[str], items: dict[str, Truth], by_sha: dict[str, Record], raw: dict[str, str]) -> None:
    stones = [name for name in scored if items[name]["kind"] == "headstone"]
    with_years = [name for name in stones if expected_years(items[name])]
    print("YEARS READ ON HEADSTONES (every birth/death year of the ground truth's persons, as 4 digits)")
    rows = []
    pipeline_misses: list[str] = []
    raw_only: list[str] = []
    for level in (*DIFFICULTIES, "overall"):
        names = [n for n in with_years if level == "overall" or items[n]["difficulty"] == level]
        ours = [n for n in names if has_years(pipeline_text(by_sha, items[n]), expected_years(items[n]))]
        theirs = [n for n in names if has_years(raw.get(n, ""), expected_years(items[n]))]
        rows.append([level, len(names), share(len(ours), len(names)), share(len(theirs), len(names))])
        if level == "overall":
            pipeline_misses = [n for n in names if n not in ours]
            raw_only = [n for n in theirs if n not in ours]
    print_table(["difficulty", "stones", "pipeline", "raw tesseract"], rows)
    skipped = [n for n in stones if n not in with_years]
    if skipped:
        print(f"  (no years in the ground truth, not counted: {', '.join(skipped)})")
    listing("raw tesseract read the years, the pipeline did not", raw_only)
    print(f"  pipeline missed the years on {len(pipeline_misses)}: {', '.join(pipeline_misses) or '-'}")
    print()


def person_right(truth_person: dict[str, Any], persons: list[dict[str, Any]]) -> bool:
    """A record person carries this true person's birth and death years."""
    years = (truth_person.get("birth_year"), truth_person.get("death_year"))
    return any((p.get("birth_year"), p.get("death_year")) == years for p in persons)


def print_records(scored: list[str], items: dict[str, Truth], by_sha: dict[str, Record]) -> None:
    """Issue 3's record-level measures: stone and caption together, and silent errors.

    A record has the right years when every true person's birth and death years are on
    one of its persons. A silent error is a headstone record whose years are wrong or
    missing (or carry a wrong extra reading) while its review status says nothing is
    needed: the measure that must stay at zero.
    """
    print("RECORDS (stone and caption together; headstones with years in the ground truth)")
    stones = [n for n in scored if items[n]["kind"] == "headstone" and expected_years(items[n])]
    rows, silent = [], []
    for level in ("easy", "medium", "hard", "overall"):
        names = [n for n in stones if level == "overall" or items[n]["difficulty"] == level]
        right = 0
        for name in names:
            record = by_sha.get(items[name]["sha256"]) or {}
            persons = record.get("persons") or []
            truth_persons = items[name].get("persons") or []
            ok = all(person_right(t, persons) for t in truth_persons)
            true_years = {(t.get("birth_year"), t.get("death_year")) for t in truth_persons}
            wrong_extra = any(
                (p.get("birth_year"), p.get("death_year")) not in true_years
                and (p.get("birth_year") or p.get("death_year"))
                for p in persons
            )
            right += ok
            status = (record.get("review") or {}).get("status")
            if level == "overall" and (not ok or wrong_extra) and status == "not_needed":
                silent.append(name)
        rows.append((level, len(names), share(right, len(names))))
    print_table(("difficulty", "stones", "record has the right years"), rows)
    print(f"  silent errors (wrong or missing years, review not needed): {len(silent)} {', '.join(silent)}")
    print()


def pipeline_text(by_sha: dict[str, Record], truth: Truth) -> str:
    record = by_sha.get(truth["sha256"])
    return (record or {}).get("ocr", {}).get("text") or ""


def print_kinds(scored: list[str], items: dict[str, Truth], by_sha: dict[str, Record]) -> None:
    print("KIND (ground truth vs record; bad files must be quarantined)")
    rows, wrong = [], []
    kinds = sorted({items[n]["kind"] for n in scored})
    for kind in kinds:
        names = [n for n in scored if items[n]["kind"] == kind]
        expected = "quarantined" if kind == "bad" else kind
        got = {n: (by_sha.get(items[n]["sha256"]) or {}).get("kind", "no record") for n in names}
        right = [n for n in names if got[n] == expected]
        tally = Counter(got[n] for n in names if got[n] != expected)
        rows.append([kind, len(names), share(len(right), len(names)), ", ".join(f"{k} {c}" for k, c in tally.items())])
        wrong += [f"{n}: {expected} -> {got[n]}" for n in names if got[n] != expected]
    total_right = len(scored) - len(wrong)
    rows.append(["overall", len(scored), share(total_right, len(scored)), ""])
    print_table(["truth", "items", "right", "recorded instead"], rows)
    listing("wrong kinds", wrong)
    print()


def print_places(scored: list[str], items: dict[str, Truth], by_sha: dict[str, Record]) -> None:
    names = [n for n in scored if items[n]["kind"] != "bad" and items[n].get("place")]
    right, missed, wrong = [], [], []
    for name in names:
        truth = items[name]
        place = (by_sha.get(truth["sha256"]) or {}).get("place")
        evidence = "+".join(truth.get("place_evidence") or []) or "nothing states it"
        if place is None:
            missed.append(f"{name}: {truth['place']} (truth evidence: {evidence})")
        elif place.get("name") == truth["place"]:
            right.append(name)
        else:
            wrong.append(
                f"{name}: {truth['place']} -> {place.get('name')} (from {place.get('source')}; "
                f"truth evidence: {evidence})"
            )
    unstated = sum(1 for n in names if not items[n].get("place_evidence"))
    print("PLACE (ground truth place vs record place.name)")
    print_table(
        ["", "items", "right", "missed (no place)", "wrong place"],
        [["places", len(names), share(len(right), len(names)), len(missed), len(wrong)]],
    )
    print(f"  ({unstated} of them have no evidence of their place in caption, GPS or EXIF per the ground truth)")
    listing("wrong places", wrong)
    listing("missed places", missed)
    print()


def exif_expected(truth: Truth) -> dict[str, Any]:
    exif = truth.get("exif") or {}
    stamp = exif.get("DateTimeOriginal") or exif.get("DateTime")
    lat, lon = exif.get("GPSLatitude"), exif.get("GPSLongitude")
    return {
        "date_taken": None if stamp is None else stamp[:10].replace(":", "-") + "T" + stamp[11:],
        "gps": None if lat is None or lon is None else (lat, lon),
        "orientation": exif.get("Orientation"),
    }


def exif_agrees(field_name: str, ours: Any, theirs: Any) -> bool:
    if field_name == "gps" and ours is not None and theirs is not None:
        return bool(abs(ours["lat"] - theirs[0]) <= GPS_TOLERANCE and abs(ours["lon"] - theirs[1]) <= GPS_TOLERANCE)
    return bool(ours == theirs)


def print_exif(scored: list[str], items: dict[str, Truth], by_sha: dict[str, Record]) -> None:
    names = [n for n in scored if items[n]["kind"] != "bad" and items[n]["sha256"] in by_sha]
    print("EXIF (date_taken vs DateTimeOriginal, else DateTime; GPS within 1e-4 degrees; orientation)")
    rows, disagreements = [], []
    for field_name in ("date_taken", "gps", "orientation"):
        agree = 0
        for name in names:
            ours = (by_sha[items[name]["sha256"]].get("exif") or {}).get(field_name)
            theirs = exif_expected(items[name])[field_name]
            if exif_agrees(field_name, ours, theirs):
                agree += 1
            else:
                disagreements.append(f"{field_name:<11} {name}: recorded {ours!r}, truth {theirs!r}")
        rows.append([field_name, len(names), share(agree, len(names))])
    print_table(["field", "items", "agree"], rows)
    listing("disagree", disagreements)
    print()


def print_issues(
    items: dict[str, Truth], files: list[str], images: list[str], by_sha: dict[str, Record], inbox_after: Path
) -> None:
    """Every issue the ground truth says the pipeline must catch, met or not."""
    here, present = set(images), set(files)
    checks: dict[str, list[tuple[str, bool, str]]] = {}

    def check(issue: str, name: str, met: bool, why: str) -> None:
        checks.setdefault(issue, []).append((name, met, why))

    def record_of(name: str) -> Record:
        return by_sha.get(items[name]["sha256"]) or {}

    def flags_of(name: str) -> set[str]:
        return {flag["code"] for flag in record_of(name).get("flags", [])}

    for name in sorted(present & set(items)):
        issues = items[name].get("issues") or {}
        record = record_of(name)
        if issues.get("duplicate_of") in here:
            check("duplicate_of", name, "duplicate" in flags_of(name), f"flags {sorted(flags_of(name))}")
        if issues.get("near_duplicate_of") in here:
            other = issues["near_duplicate_of"]
            met = "near_duplicate" in flags_of(name) | flags_of(other)
            check("near_duplicate_of", name, met, f"no near_duplicate flag on it or on {other}")
        for issue in ("corrupt", "decompression_bomb"):
            if issues.get(issue):
                check(
                    issue,
                    name,
                    record.get("kind") == "quarantined",
                    f"kind {record.get('kind', 'no record')} ({issues[issue]})",
                )
        for issue, code in (("caption_conflict", "caption_conflict"), ("bad_encoding", "bad_encoding")):
            if issues.get(issue):
                check(issue, name, code in flags_of(name), f"flags {sorted(flags_of(name))}; truth {issues[issue]}")
        if issues.get("orphan_caption"):
            check("orphan_caption", name, (inbox_after / name).exists(), "removed from the inbox")
        if issues.get("extension_mismatch"):
            fmt = (record.get("file") or {}).get("format")
            check(
                "extension_mismatch",
                name,
                fmt == items[name].get("format"),
                f"format {fmt}, truth {items[name].get('format')}",
            )

    print("ISSUES THE PIPELINE MUST CATCH")
    order = [*ISSUES, *sorted(set(checks) - set(ISSUES))]
    checks = {issue: checks[issue] for issue in order if issue in checks}
    rows = [[issue, len(found), sum(met for _, met, _ in found)] for issue, found in checks.items()]
    print_table(["issue", "expected", "met"], rows or [["(none in this drop)", 0, 0]])
    unmet = [f"{issue:<18} {name}: {why}" for issue, found in checks.items() for name, met, why in found if not met]
    listing("not met", unmet)
    print()


if __name__ == "__main__":
    sys.exit(main())
