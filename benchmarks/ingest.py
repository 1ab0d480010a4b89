"""Issue 7's benchmark: how fast `archive-ingest run` goes through a big drop, against raw tesseract.

Usage: .venv/bin/python benchmarks/ingest.py [--files N (200)] [--workers W (cores)] [--scans DIR]
       [--samples ../shared/samples] [--samples-limit N] [--no-quality] [--memory] [--keep]
       [--executor dask]

Scans. N synthetic headstone photos are drawn deterministically (per-file generators seeded
from SEED and the file number) with samples/make_samples.py's textures (mottled stone,
grass, light falloff, grain): JPEGs 2000-3500 px on the long edge, portrait or landscape,
a light stone with dark letters or a dark stone with light ones, brightness varied, with
an inscription of an optional rank, "SURNAME NAME", a Hangul line on about one stone in
six (Soviet Koreans), and "YYYY-YYYY"; a caption `scan_NNNN.txt` beside each ("Могила
Петрова Ивана, Чхонджин"); about one in five stored turned with EXIF orientation 6, 8 or 3,
and most with an EXIF date. They are cached in --scans DIR (default: a folder under the
system temp dir named by N and VERSION), so a second run reuses them; drawing them is
never timed.

Measured in one run, on the same files, W = --workers:
1. Floor: one raw `tesseract FILE - -l rus+kor+eng` process per file (no EXIF rotation,
   default page segmentation, full resolution), W at a time (a ThreadPoolExecutor of W
   threads each running subprocess), OMP_THREAD_LIMIT=1. One untimed call warms the page
   cache first. It runs in a small child of this script so that its RUSAGE_CHILDREN holds
   the tesseract processes only. Printed: wall seconds, files/min, CPU utilisation =
   (user+sys CPU seconds of the tesseract processes) / (wall x W), peak RSS of the largest
   tesseract process.
2. Pipeline: `archive-ingest run --workers W --report R.json` in a fresh archive home (the
   repo's pipeline.yaml with `ocr.engine` set to pytesseract; a second home with tesserocr
   when `import tesserocr` works in this venv), its inbox a copy of the scans and captions.
   The environment is this one minus OMP_THREAD_LIMIT (the pipeline sets it itself). The
   process is started by a small parent (like search/__init__.py's peak_rss_mb probe) that times it
   and reads its own RUSAGE_CHILDREN afterwards: user+sys CPU of every descendant (main
   process, workers, tesseract processes) and ru_maxrss, the peak RSS of the largest one.
   Printed: wall seconds, files/min, ratio to the floor's wall, CPU utilisation (as above),
   peak RSS; from the report: the share of each stage in the summed stage seconds
   (`stage_seconds`, summed over files and workers), the time outside OCR (the share of
   summed stage seconds not in the `ocr` stage), and each OCR pass's seconds and share
   (`ocr_pass_seconds`; "ocr stage outside the passes" is the ocr stage minus their sum:
   decoding, cropping, scoring).
3. Re-runs in the same home: (3) nothing new (empty inbox) and (3b) the same scans and
   captions dropped again (all already archived): wall seconds of each whole process.
Targets, printed beside the figures: tesserocr run <= 1.5x the floor; pytesseract run <=
3x the floor; CPU utilisation > 90%; time outside OCR < 10%; (3) < 1 s.

Quality (unless --no-quality or the samples folder is missing): for each engine,
`archive-ingest run --workers W` on a copy of the samples' inbox (the repo's pipeline.yaml,
that engine) and `archive-ingest export --format json`, scored against ground_truth.json
with benchmarks/ingest_samples.py's functions: the share of headstones (with years in
the ground truth) whose record's `ocr.text` holds every birth and death year, and the
share of records (stone and caption together) with the right years, per difficulty and
overall.

--memory: peak RSS of `archive-ingest run --workers W` on 100 and on 1000 small scans
(1200 px, drawn fast, cached like the others), the main process and the largest worker
apart (the run is started in-process by a small wrapper that reads RUSAGE_SELF and
RUSAGE_CHILDREN at exit), and the ratio 1000/100 (target <= 1.5x). To keep it to a few
minutes these runs leave out OCR: `stages: [fixity, identify, similar, exif, extract,
provenance, flags, access, file]`.

--executor dask (issue 17) measures only this, on the same N scans: `archive-ingest run
--workers W` (the local executor), then `run --executor dask` on a Dask cluster started
here on 127.0.0.1 (`dask scheduler`, and `dask worker --nthreads 1 --no-nanny` processes)
with one worker and with two, each run in a fresh home (the repo's pipeline.yaml, default
engine). The workers are started, and have connected, before the timed run; loading the
OCR engine on them (the run's worker check) is timed, as the local workers' start is.
Printed: wall, files/min, the ratio to the local executor's files/min, CPU seconds of
every process (main, scheduler, workers: psutil, which distributed depends on) and their
utilisation of the machine's cores, and from the report the bytes shipped per file (the
file's bytes to a worker, the prepared record back). Target: two single-threaded Dask
workers within 10% of the local executor's files/min (on 2 cores the point is overhead).

Timing is printed, never asserted: exit 0 whatever the figures; 1 if a run or export
fails (its stderr is printed); 2 if the console script or tesseract is missing (or,
with --executor dask, the dask extra).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(0, str(REPO / "samples"))
import ingest_samples as gt  # noqa: E402  (ground-truth scoring helpers)
import make_samples as art  # noqa: E402  (textures; it puts tests/ on the path for scanmaker)

from scanmaker import ExifSpec, font_for, save_scan  # noqa: E402

VERSION = 1  # bump when the drawing changes: the scans are cached in folders named by it
SEED = 7007
SCRIPT = Path(sys.executable).with_name("archive-ingest")
DEFAULT_SAMPLES = REPO.parent / "shared" / "samples"
MEMORY_STAGES = ["fixity", "identify", "similar", "exif", "extract", "provenance", "flags", "access", "file"]
MEMORY_SIZES = (100, 1000)
PASSES = (
    "survey",
    "rotation sweep",
    "region psm 6, both polarities",
    "region psm 11, plain and binarised",
)
TARGET_RATIO = {"tesserocr": 1.5, "pytesseract": 3.0}
TARGET_CPU = 0.90
TARGET_OUTSIDE_OCR = 0.10
TARGET_RERUN = 1.0
TARGET_MEMORY = 1.5
TARGET_DASK = 0.90  # Dask with two single-threaded workers: files/min at least this share of the local executor's
DASK = Path(sys.executable).with_name("dask")

# -- what the stones say ------------------------------------------------------------------------

SURNAMES = (
    "Иванов Петров Смирнов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов Волков Алексеев Николаев "
    "Зайцев Павлов Семёнов Голубев Виноградов Богданов Фёдоров Михайлов Беляев Тарасов Белов Комаров Орлов "
    "Макаров Андреев Ильин Гусев Титов Баранов"
).split()  # genitive: + "а"
GIVEN = {
    "Иван": "Ивана", "Пётр": "Петра", "Николай": "Николая", "Сергей": "Сергея", "Алексей": "Алексея",
    "Михаил": "Михаила", "Василий": "Василия", "Андрей": "Андрея", "Павел": "Павла", "Дмитрий": "Дмитрия",
    "Фёдор": "Фёдора", "Григорий": "Григория", "Юрий": "Юрия", "Виктор": "Виктора",
}  # fmt: skip
KOREANS = (  # Soviet Koreans: Cyrillic surname and name (not declined in the caption), and a Hangul line
    ("Ким", "Шура", "김슈라"),
    ("Пак", "Ен Су", "박영수"),
    ("Ли", "Валерий", "리 왈레리"),
    ("Хан", "Пётр", "한 표트르"),
    ("Тён", "Иван", "전 이반"),
    ("Цой", "Николай", "최 니꼴라이"),
)
RANKS = ("РЯДОВОЙ", "СЕРЖАНТ", "ЛЕЙТЕНАНТ", "СТАРШИНА", "КРАСНОФЛОТЕЦ")
PLACES = ("Пхеньян", "Чхонджин", "Вонсан", "Хамхын", "Синыйджу", "Нампхо", "Хэджу", "Раджин")
CAMERAS = (("Canon", "Canon EOS 80D"), ("SONY", "ILCE-7M3"), ("NIKON CORPORATION", "NIKON D750"))


@dataclass
class Stone:
    lines: list[str]
    caption: str
    exif: ExifSpec | None


def describe(rng: random.Random) -> Stone:
    """The inscription, caption and EXIF of one scan."""
    born, died = rng.randint(1880, 1930), rng.randint(1945, 1959)
    place = rng.choice(PLACES)
    lines = [rng.choice(RANKS)] if rng.random() < 0.3 else []
    if rng.random() < 1 / 6:
        surname, given, hangul = rng.choice(KOREANS)
        lines += [f"{surname} {given}".upper(), hangul, f"{born}-{died}"]
        caption = rng.choice((f"Могила {surname} {given}, {place}", f"{surname} {given} ({born}-{died}), {place}."))
    else:
        surname, given = rng.choice(SURNAMES), rng.choice(list(GIVEN))
        lines += [f"{surname} {given}".upper(), f"{born}-{died}"]
        whose = f"{surname}а {GIVEN[given]}"
        caption = rng.choice(
            (f"Могила {whose}, {place}", f"Могила {whose} ({born}-{died}), {place}.", f"{place}. Могила {whose}")
        )
    exif = None
    roll = rng.random()
    if roll < 0.8:
        make, model = rng.choice(CAMERAS)
        stamp = (
            f"{rng.randint(2005, 2023)}:{rng.randint(1, 12):02d}:{rng.randint(1, 28):02d} 1{rng.randint(0, 6)}:21:37"
        )
        orientation = rng.choice((6, 8, 3)) if roll < 0.2 else None
        exif = ExifSpec(date_original=stamp, date_time=stamp, make=make, model=model, orientation=orientation)
    return Stone(lines, caption, exif)


def fit_font(lines: list[str], width: int, height: int) -> tuple[int, int | None]:
    """Letter sizes (Cyrillic, Hangul or None) that fit the lines in 82% of the width, 80% of the height."""
    hangul = [art.is_hangul(line) for line in lines]
    scale = [1.3 if h else 1.0 for h in hangul]
    widths = [font_for(line, 100).getlength(line) * s / 100 for line, s in zip(lines, scale, strict=True)]
    px = min(0.82 * width / max(widths), 0.8 * height / (1.5 * sum(scale)), 260)
    return int(px), (int(px * 1.3) if any(hangul) else None)


def draw_headstone(
    rng: random.Random, lines: list[str], canvas: tuple[int, int], stone: tuple[int, int]
) -> Image.Image:
    """A grave in daylight as make_samples.headstone_photo draws it, light or dark stone, any size."""
    cw, ch = canvas
    sw, sh = stone
    shape = rng.choice(("rect", "arch"))
    text_h = sh - sw // 3 if shape == "arch" else sh
    font_px, hangul_px = fit_font(lines, sw, text_h)
    dark = rng.random() < 0.25
    base = rng.randint(45, 70) if dark else rng.randint(185, 215)
    face = art.mottle(rng, stone, base - 14, base + 14, cell=40)
    face = ImageChops.subtract(face, art.mottle(rng, stone, 0, 10, cell=12))  # pitting
    cut = Image.new("L", stone, 255)
    cut.paste(art.inscription(lines, (sw, text_h), font_px, hangul_px), (0, sh - text_h))
    if dark:  # black granite, letters cut light (gilt or bare stone)
        face = ImageChops.lighter(face, art._span(ImageOps.invert(cut), 0, rng.randint(150, 210)))
    else:
        face = ImageChops.multiply(face, cut)
    ground = art.mottle(rng, canvas, 70, 125, cell=36)
    x = (cw - sw) // 2 + rng.randint(-(cw - sw) // 4, (cw - sw) // 4)
    y = (ch - sh) // 2 + rng.randint(0, (ch - sh) // 4)
    mask = art.stone_mask(stone, shape)
    shadow = Image.new("L", canvas, 0)
    shadow.paste(mask, (x + 14, y + 10))
    ground = ImageChops.subtract(ground, art._span(shadow.filter(ImageFilter.GaussianBlur(10)), 0, 45))
    ground.paste(face, (x, y), mask)
    photo = ImageChops.subtract(ground, art.light_falloff(canvas, rng.randint(15, 45), rng.choice((20, 70, 160, 200))))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.1)))
    photo = art.grain(rng, photo, rng.randint(3, 9))
    brightness = rng.uniform(0.75, 1.15)
    photo = photo.point([min(255, int(v * brightness)) for v in range(256)])
    return Image.merge("RGB", (photo.point(lambda v: min(255, v + 6)), photo, photo.point(lambda v: max(0, v - 7))))


def draw_small(rng: random.Random, lines: list[str]) -> Image.Image:
    """A quick 1200 px scan for the memory runs: random shapes (distinct pHashes), a stone, letters."""
    canvas = (900, 1200) if rng.random() < 0.6 else (1200, 900)
    image = Image.new("L", canvas, rng.randint(60, 140))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randint(-200, canvas[0]), rng.randint(-200, canvas[1])
        box = (x, y, x + rng.randint(150, 600), y + rng.randint(150, 600))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=rng.randint(30, 230))
    sw, sh = int(canvas[0] * rng.uniform(0.5, 0.7)), int(canvas[1] * rng.uniform(0.3, 0.45))
    x, y = rng.randint(0, canvas[0] - sw), rng.randint(0, canvas[1] - sh)
    draw.rectangle((x, y, x + sw, y + sh), fill=rng.randint(180, 220))
    px, _ = fit_font([line for line in lines if not art.is_hangul(line)], sw, sh)
    top = y + (sh - int(1.5 * px * len(lines))) // 2
    for k, line in enumerate(lines):
        font = font_for(line, px)
        draw.text((x + sw // 2, top + int(1.5 * px * k)), line, font=font, fill=30, anchor="mt")
    noise = Image.effect_noise(canvas, 40)
    return Image.blend(image, noise, 0.08)


def draw_scan(job: tuple[Path, str, int, bool]) -> None:
    """Write one scan and its caption (atomically: a half-written file is never taken for a scan)."""
    folder, prefix, number, small = job
    rng = random.Random(f"{SEED}:{prefix}:{number}")
    stone = describe(rng)
    if small:
        image = draw_small(rng, stone.lines)
    else:
        long_edge = rng.randint(2000, 3500)
        canvas = (long_edge * 3 // 4, long_edge) if rng.random() < 0.6 else (long_edge, long_edge * 3 // 4)
        sw = int(canvas[0] * rng.uniform(0.5, 0.75))
        sh = min(int(canvas[1] * 0.72), int(sw * rng.uniform(0.6, 1.3)))
        image = draw_headstone(rng, stone.lines, canvas, (sw, sh))
    name = f"{prefix}_{number:04d}"
    part = folder / f".{name}.part"
    save_scan(part, image, exif=stone.exif, fmt="JPEG", quality=rng.randint(80, 92))
    os.replace(part, folder / f"{name}.jpg")
    (folder / f".{name}.txt.part").write_text(stone.caption + "\n", encoding="utf-8")
    os.replace(folder / f".{name}.txt.part", folder / f"{name}.txt")


def ensure_scans(folder: Path, count: int, prefix: str, small: bool, workers: int) -> list[Path]:
    """The cached scans (drawing the missing ones): the images, captions beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"{prefix}_{n:04d}" for n in range(1, count + 1)]
    missing = [
        (folder, prefix, n, small)
        for n, name in enumerate(names, start=1)
        if not ((folder / f"{name}.jpg").is_file() and (folder / f"{name}.txt").is_file())
    ]
    if missing:
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(draw_scan, missing, chunksize=4))
        took = time.perf_counter() - started
        note(f"drew {len(missing)} scans into {folder} in {took:.0f} s (not measured)")
    else:
        note(f"reusing {count} scans in {folder}")
    return [folder / f"{name}.jpg" for name in names]


def default_scans(count: int, small: bool = False) -> Path:
    kind = "small" if small else "scans"
    return Path(tempfile.gettempdir()) / f"archive-ingest-bench-v{VERSION}-{kind}-{count}"


# -- measuring ----------------------------------------------------------------------------------

PROBE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
process = subprocess.run(sys.argv[1:], capture_output=True)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": process.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "maxrss_kb": usage.ru_maxrss, "stderr": process.stderr.decode("utf-8", "replace")}))
"""

# Runs archive-ingest's console entry point in this very process; at exit (after the workers
# are joined; registered first, so it runs last) writes this process's and its children's usage.
SPLIT_PROBE = """
import atexit, json, resource, sys
out = sys.argv[1]
def report():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        json.dump({"main_kb": me.ru_maxrss, "children_kb": kids.ru_maxrss,
                   "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}, f)
atexit.register(report)
sys.argv = ["archive-ingest", *sys.argv[2:]]
from archive_ingest.cli import main
main()
"""


class RunFailed(Exception):
    pass


@dataclass
class Probed:
    wall: float
    cpu: float
    maxrss_mb: float
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)


def pipeline_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OMP_THREAD_LIMIT", None)  # the pipeline sets it itself
    return env


def probe(command: Sequence[str], cwd: Path) -> Probed:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, command)], cwd=cwd, env=pipeline_env(), capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RunFailed(f"probe of {' '.join(map(str, command))} exited {proc.returncode}:\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    if data["rc"] != 0:
        raise RunFailed(f"{' '.join(map(str, command))} (in {cwd}) exited {data['rc']}:\n{data['stderr']}")
    return Probed(data["wall"], data["cpu"], data["maxrss_kb"] / 1024, data["stderr"])


def run_pipeline(home: Path, workers: int) -> Probed:
    """One whole `archive-ingest run` in `home`, with its report; a failed file is a failed run."""
    report = home / "report.json"
    result = probe([SCRIPT, "run", "--workers", workers, "--report", report], home)
    result.report = json.loads(report.read_text(encoding="utf-8"))
    if result.report.get("failed"):
        raise RunFailed(f"archive-ingest run in {home}: files failed:\n" + "\n".join(result.report["failed"]))
    return result


@dataclass
class Floor:
    wall: float
    cpu: float
    maxrss_mb: float
    failures: list[str]


def floor_child(list_file: Path, workers: int, languages: str) -> int:
    """The floor, run in a child of the benchmark: prints its figures as JSON."""
    files = list_file.read_text(encoding="utf-8").splitlines()
    tesseract = shutil.which("tesseract") or "tesseract"
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(path: str) -> str | None:
        proc = subprocess.run([tesseract, path, "-", "-l", languages], env=env, capture_output=True)
        return None if proc.returncode == 0 else f"{path}: exit {proc.returncode}"

    one(files[0])  # warm the page cache and the language data; not timed
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        failures = [f for f in pool.map(one, files) if f]
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"wall": wall, "cpu": cpu, "maxrss_kb": after.ru_maxrss, "failures": failures}))
    return 0


def run_floor(files: list[Path], workers: int, languages: str, root: Path) -> Floor:
    list_file = root / "floor-files.txt"
    list_file.write_text("\n".join(map(str, files)) + "\n", encoding="utf-8")
    command = [sys.executable, __file__, "--floor-child", str(list_file), "--workers", str(workers)]
    proc = subprocess.run([*command, "--languages", languages], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RunFailed(f"the floor (raw tesseract) exited {proc.returncode}:\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return Floor(data["wall"], data["cpu"], data["maxrss_kb"] / 1024, data["failures"])


def pipeline_config(engine: str | None = None, stages: list[str] | None = None) -> str:
    """The repo's pipeline.yaml with the engine and/or the stages replaced (comments are not kept)."""
    config = yaml.safe_load((REPO / "pipeline.yaml").read_text(encoding="utf-8")) or {}
    if engine is not None:
        config.setdefault("ocr", {})["engine"] = engine
    if stages is not None:
        config["stages"] = stages
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def make_home(root: Path, name: str, config: str, files: list[Path]) -> Path:
    """A fresh archive home: pipeline.yaml and an inbox holding copies of `files` (and their captions)."""
    home = root / name
    (home / "inbox").mkdir(parents=True)
    (home / "pipeline.yaml").write_text(config, encoding="utf-8")
    fill_inbox(home, files)
    return home


def fill_inbox(home: Path, files: list[Path]) -> None:
    for path in files:
        for one in (path, path.with_suffix(".txt")):
            if one.is_file():
                shutil.copyfile(one, home / "inbox" / one.name)


@dataclass
class EngineRun:
    engine: str
    run: Probed
    rerun_empty: Probed
    rerun_same: Probed


def measure_engine(engine: str, scans: list[Path], workers: int, root: Path) -> EngineRun:
    note(f"archive-ingest run --workers {workers} with {engine} on {len(scans)} scans ...")
    home = make_home(root, f"home-{engine}", pipeline_config(engine=engine), scans)
    first = run_pipeline(home, workers)
    ingested = first.report.get("ingested") or []
    if len(ingested) != len(scans):
        note(f"warning: {engine}: {len(ingested)} of {len(scans)} scans ingested")
    empty = run_pipeline(home, workers)
    fill_inbox(home, scans)
    same = run_pipeline(home, workers)
    return EngineRun(engine, first, empty, same)


def tesserocr_available() -> bool:
    proc = subprocess.run([sys.executable, "-c", "import tesserocr"], capture_output=True)
    return proc.returncode == 0


# -- quality ------------------------------------------------------------------------------------


@dataclass
class Quality:
    wall: float
    rows: dict[str, tuple[int, int, int]]  # level -> (stones, years read, records with the right years)


def measure_quality(engine: str, samples: Path, workers: int, root: Path, limit: int | None) -> Quality:
    note(f"quality: archive-ingest run --workers {workers} with {engine} on {samples / 'inbox'} ...")
    inbox = samples / "inbox"
    items: dict[str, Any] = json.loads((samples / "ground_truth.json").read_text(encoding="utf-8"))["items"]
    config = yaml.safe_load((REPO / "pipeline.yaml").read_text(encoding="utf-8")) or {}
    extensions = {e.lower() for e in (config.get("discover") or {}).get("extensions") or gt.DEFAULT_EXTENSIONS}
    files = gt.select_files(inbox, extensions, limit)
    images = [name for name in files if Path(name).suffix.lower() in extensions]
    home = root / f"quality-{engine}"
    (home / "inbox").mkdir(parents=True)
    (home / "pipeline.yaml").write_text(pipeline_config(engine=engine), encoding="utf-8")
    for name in files:
        target = home / "inbox" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(inbox / name, target)
    result = probe([SCRIPT, "run", "--workers", workers], home)
    export = subprocess.run(
        [str(SCRIPT), "export", "--format", "json"], cwd=home, env=pipeline_env(), capture_output=True, text=True
    )
    if export.returncode != 0:
        raise RunFailed(f"archive-ingest export in {home} exited {export.returncode}:\n{export.stderr}")
    by_sha = {record["file"]["sha256"]: record for record in json.loads(export.stdout)}
    scored = gt.scored_items(items, images)
    stones = [n for n in scored if items[n]["kind"] == "headstone" and gt.expected_years(items[n])]
    rows = {}
    for level in (*gt.DIFFICULTIES, "overall"):
        names = [n for n in stones if level == "overall" or items[n]["difficulty"] == level]
        read = sum(gt.has_years(gt.pipeline_text(by_sha, items[n]), gt.expected_years(items[n])) for n in names)
        right = sum(
            all(
                gt.person_right(t, (by_sha.get(items[n]["sha256"]) or {}).get("persons") or [])
                for t in items[n].get("persons") or []
            )
            for n in names
        )
        rows[level] = (len(names), read, right)
    return Quality(result.wall, rows)


# -- memory -------------------------------------------------------------------------------------


@dataclass
class MemoryRun:
    files: int
    wall: float
    main_mb: float
    worker_mb: float
    report: dict[str, Any]


def measure_memory(count: int, scans: list[Path], workers: int, root: Path) -> MemoryRun:
    note(f"memory: archive-ingest run --workers {workers} on {count} small scans, no OCR ...")
    home = make_home(root, f"memory-{count}", pipeline_config(stages=MEMORY_STAGES), scans)
    out = home / "usage.json"
    report = home / "report.json"
    command = [sys.executable, "-c", SPLIT_PROBE, str(out), "run", "--workers", str(workers), "--report", str(report)]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=home, env=pipeline_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RunFailed(f"archive-ingest run (memory, {count} files) exited {proc.returncode}:\n{proc.stderr}")
    usage = json.loads(out.read_text(encoding="utf-8"))
    summary = json.loads(report.read_text(encoding="utf-8"))
    if summary.get("failed"):
        raise RunFailed(f"archive-ingest run in {home}: files failed:\n" + "\n".join(summary["failed"]))
    return MemoryRun(count, wall, usage["main_kb"] / 1024, usage["children_kb"] / 1024, summary)


# -- the Dask executor (issue 17) ---------------------------------------------------------------


#: Dask's own housekeeping made rarer (event-loop tick, memory and system monitors, the task
#: profiler): an idle worker here costs 3.4% of a core with Dask's defaults, 0.3% with these.
QUIET_DASK = {
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
}


class DaskCluster:
    """A scheduler and single-threaded workers on 127.0.0.1, each a process of its own."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        folder.mkdir(parents=True)
        info = folder / "scheduler.json"
        command = [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", info]
        self.processes = [self._spawn(command, "scheduler")]
        deadline = time.monotonic() + 60
        while not info.is_file() or not info.read_text(encoding="utf-8").strip():
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                raise RunFailed(f"dask scheduler did not start:\n{(folder / 'scheduler.log').read_text()}")
            time.sleep(0.05)
        self.address = json.loads(info.read_text(encoding="utf-8"))["address"]

    def add_worker(self) -> None:
        name = f"worker{len(self.processes)}"
        command = [DASK, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                   "--no-dashboard", "--name", name, "--local-directory", self.folder / name]  # fmt: skip
        self.processes.append(self._spawn(command, name))
        from distributed import Client

        with Client(self.address, set_as_default=False, timeout=30) as client:
            client.wait_for_workers(len(self.processes) - 1, timeout=60)

    def cpu_seconds(self) -> float:
        import psutil

        total = 0.0
        for process in self.processes:
            times = psutil.Process(process.pid).cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        return total

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()

    def _spawn(self, command: list[Any], name: str) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("wb") as log:
            env = pipeline_env() | self.env
            return subprocess.Popen(list(map(str, command)), env=env, stdout=log, stderr=subprocess.STDOUT)


@dataclass
class Executor:
    label: str
    workers: int
    """Dask workers (0: the local executor)."""
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Probed] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    """CPU seconds of every process of each run: main, and the scheduler and workers."""
    main_cpus: list[float] = field(default_factory=list)

    def median(self, values: list[float]) -> float:
        return sorted(values)[len(values) // 2]


EXECUTORS = (
    ("dask, 1 worker x 1 thread", 1, {}),
    ("dask, 2 workers x 1 thread", 2, {}),
    ("dask, 2 workers, quiet housekeeping", 2, QUIET_DASK),
)


def measure_executors(scans: list[Path], workers: int, root: Path, repeat: int) -> list[Executor]:
    """The local executor and the Dask clusters of `EXECUTORS`, taking turns `repeat` times on the same scans."""
    config = pipeline_config()
    executors = [Executor(f"local, --workers {workers}", 0), *(Executor(*spec) for spec in EXECUTORS)]
    for round_ in range(1, repeat + 1):
        for number, executor in enumerate(executors):
            note(f"round {round_}/{repeat}: {executor.label} on {len(scans)} scans ...")
            home = make_home(root, f"home-{round_}-{number}", config, scans)
            if not executor.workers:
                local = run_pipeline(home, workers)
                executor.runs.append(local)
                executor.cpus.append(local.cpu)
                continue
            # A new cluster each time: its workers load the OCR models in the run, as local ones do.
            cluster = DaskCluster(root / f"dask-{round_}-{number}", executor.env)
            try:
                for _ in range(executor.workers):
                    cluster.add_worker()
                before = cluster.cpu_seconds()
                report = home / "report.json"
                command = [SCRIPT, "run", "--executor", "dask", "--scheduler", cluster.address, "--report", report]
                result = probe(command, home)
                result.report = json.loads(report.read_text(encoding="utf-8"))
                if result.report.get("failed"):
                    failed = "\n".join(result.report["failed"])
                    raise RunFailed(f"archive-ingest run in {home}: files failed:\n{failed}")
                executor.runs.append(result)
                executor.cpus.append(result.cpu + cluster.cpu_seconds() - before)
                executor.main_cpus.append(result.cpu)
            finally:
                cluster.stop()
    return executors


def print_executors(n: int, executors: list[Executor], cores: int) -> None:
    repeat = len(executors[0].runs)
    print(f"EXECUTORS ({n} scans; whole processes, wall clock; medians of {repeat}; Dask on 127.0.0.1)")
    local = executors[0].median([r.wall for r in executors[0].runs])
    rows = []
    for e in executors:
        wall, cpu = e.median([r.wall for r in e.runs]), e.median(e.cpus)
        shipped = e.runs[0].report.get("shipped_bytes") or {}
        files = shipped.get("files") or 0
        to_kb, from_kb = (shipped.get(key, 0) / max(files, 1) / 1e3 for key in ("to_workers", "from_workers"))
        main = f"{1000 * e.median(e.main_cpus) / n:.0f}" if e.main_cpus else "-"
        rows.append([e.label, f"{wall:.1f}", " ".join(f"{r.wall:.1f}" for r in e.runs), per_minute(n, wall),
                     f"{local / wall:.2f}", f"{cpu:.0f}", pct(cpu, wall * cores), main,
                     f"{to_kb:,.0f} / {from_kb:,.0f}" if files else "-"])  # fmt: skip
    headers = ["", "wall s", "each run s", "files/min", "x local", "CPU s (all)", "CPU use", "main CPU ms/file",
               "kB/file to / from workers"]  # fmt: skip
    gt.print_table(headers, rows)
    for e in executors[2:]:
        share = local / e.median([r.wall for r in e.runs])
        met = verdict(share >= TARGET_DASK)
        print(f"  target: {e.label} >= {TARGET_DASK:.0%} of the local files/min: {share:.0%} {met}")
    print("  (CPU s (all): user+sys of the main process and, for Dask, of the scheduler and workers during the run;")
    print(f"  CPU use: of the {cores} cores; main CPU: the main process alone (reading, hashing, sending, the")
    print("  ordered stages, filing, commits); kB per file: the report's shipped_bytes, the file's bytes to a worker")
    print("  and the prepared record back, pickled: access copy, thumbnail and OCR words included; quiet")
    print(f"  housekeeping: {' '.join(f'{k}={v}' for k, v in QUIET_DASK.items())})")
    print()


def top_stages(report: dict[str, Any], count: int = 2) -> str:
    stages = report.get("stage_seconds") or {}
    total = sum(stages.values())
    ranked = sorted(stages.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{name} {seconds:.1f} s ({pct(seconds, total)})" for name, seconds in ranked)


# -- printing -----------------------------------------------------------------------------------


def note(line: str) -> None:
    sys.stdout.flush()  # keep the tables and the progress lines in order when both go to one file
    print(f"[ingest.py] {line}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def per_minute(files: int, seconds: float) -> str:
    return f"{60 * files / seconds:,.0f}" if seconds else "-"


def tesseract_version() -> str:
    try:
        out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout
    except OSError:
        return "not found"
    return out.splitlines()[0] if out else "?"


def tesserocr_version() -> str | None:
    code = "import tesserocr; print(tesserocr.tesseract_version().splitlines()[0])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def print_header(args: argparse.Namespace, cores: int, scans_dir: Path) -> None:
    bundled = tesserocr_version()
    print(f"archive-ingest ingest benchmark (benchmarks/ingest.py, scans v{VERSION})")
    print(f"  date:       {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"  machine:    {platform.node()}, {cores} cores usable (sched_getaffinity), {cpu_model()}")
    print(f"  load:       {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min, before the runs)")
    print(f"  tesseract:  {tesseract_version()} (CLI)" + (f"; tesserocr bundles {bundled}" if bundled else ""))
    print(f"  python:     {platform.python_version()} ({sys.executable})")
    print(f"  workers:    {args.workers}; scans: {args.files} in {scans_dir}")
    print()


def print_throughput(n: int, workers: int, floor: Floor, runs: list[EngineRun], skipped: str | None) -> None:
    print(f"THROUGHPUT ({n} scans, {workers} workers; whole processes, wall clock)")
    headers = ["", "floor: raw tesseract", *(f"archive-ingest run, {r.engine}" for r in runs)]
    rows: list[list[object]] = [
        ["wall s", f"{floor.wall:.1f}", *(f"{r.run.wall:.1f}" for r in runs)],
        ["files/min", per_minute(n, floor.wall), *(per_minute(n, r.run.wall) for r in runs)],
        ["ratio to the floor", "1.00", *(f"{r.run.wall / floor.wall:.2f}x" for r in runs)],
        [
            "CPU utilisation",
            pct(floor.cpu, floor.wall * workers),
            *(pct(r.run.cpu, r.run.wall * workers) for r in runs),
        ],
        ["CPU s (user+sys)", f"{floor.cpu:.1f}", *(f"{r.run.cpu:.1f}" for r in runs)],
        ["peak RSS MB (largest process)", f"{floor.maxrss_mb:.0f}", *(f"{r.run.maxrss_mb:.0f}" for r in runs)],
        ["time outside OCR", "-", *(pct(*outside_ocr(r.run.report)) for r in runs)],
        ["(3) re-run, empty inbox s", "-", *(f"{r.rerun_empty.wall:.2f}" for r in runs)],
        ["(3b) re-run, same scans again s", "-", *(f"{r.rerun_same.wall:.2f}" for r in runs)],
    ]
    gt.print_table(headers, rows)
    for r in runs:
        rep = r.run.report
        counts = ", ".join(f"{key} {len(rep.get(key) or [])}" for key in ("ingested", "duplicates", "quarantined"))
        again = r.rerun_same.report
        print(
            f"  {r.engine}: {counts}; report elapsed {rep.get('elapsed_seconds', 0):.1f} s, workers "
            f"{rep.get('workers')}; dropped again: duplicates {len(again.get('duplicates') or [])}, "
            f"already archived {len(again.get('already_archived') or [])}, ingested {len(again.get('ingested') or [])}"
        )
    if floor.failures:
        gt.listing("raw tesseract failed on", floor.failures)
    if skipped:
        print(f"  note: {skipped}")
    print()


def outside_ocr(report: dict[str, Any]) -> tuple[float, float]:
    stages = report.get("stage_seconds") or {}
    total = sum(stages.values())
    return total - stages.get("ocr", 0.0), total


def print_stages(runs: list[EngineRun]) -> None:
    if not runs:
        return
    print("STAGES (report's stage_seconds: seconds summed over files and workers, share of their sum)")
    names: list[str] = []
    for r in runs:
        names += [s for s in r.run.report.get("stage_seconds") or {} if s not in names]
    rows = []
    for stage in names:
        cells = []
        for r in runs:
            stages = r.run.report.get("stage_seconds") or {}
            seconds = stages.get(stage)
            cells.append("-" if seconds is None else f"{seconds:.1f} ({pct(seconds, sum(stages.values()))})")
        rows.append([stage, *cells])
    rows.append(["sum", *(f"{sum((r.run.report.get('stage_seconds') or {}).values()):.1f}" for r in runs)])
    gt.print_table(["stage", *(r.engine for r in runs)], rows)
    print()
    print("OCR PASSES (report's ocr_pass_seconds, summed; share of the ocr stage)")
    passes: list[str] = list(PASSES)
    for r in runs:
        passes += [p for p in r.run.report.get("ocr_pass_seconds") or {} if p not in passes]
    rows = []
    for label in [*passes, "ocr stage outside the passes"]:
        cells = []
        for r in runs:
            ocr_stage = (r.run.report.get("stage_seconds") or {}).get("ocr", 0.0)
            timed = r.run.report.get("ocr_pass_seconds") or {}
            seconds = ocr_stage - sum(timed.values()) if label == "ocr stage outside the passes" else timed.get(label)
            cells.append("-" if seconds is None else f"{seconds:.1f} ({pct(seconds, ocr_stage)})")
        rows.append([label, *cells])
    gt.print_table(["pass", *(r.engine for r in runs)], rows)
    print()


def print_targets(n: int, floor: Floor, runs: list[EngineRun], workers: int) -> None:
    print("TARGETS (issue 7)")
    rows = []
    for r in runs:
        ratio = r.run.wall / floor.wall
        limit = TARGET_RATIO.get(r.engine)
        if limit is not None:
            rows.append([f"{r.engine} run <= {limit}x the floor", f"{ratio:.2f}x", verdict(ratio <= limit)])
    for r in runs:
        use = r.run.cpu / (r.run.wall * workers)
        rows.append([f"{r.engine}: CPU > {TARGET_CPU:.0%} of {workers} cores", f"{use:.1%}", verdict(use > TARGET_CPU)])
    for r in runs:
        outside, total = outside_ocr(r.run.report)
        share = outside / total if total else 0.0
        rows.append([f"{r.engine}: time outside OCR < {TARGET_OUTSIDE_OCR:.0%}", f"{share:.1%}",
                     verdict(share < TARGET_OUTSIDE_OCR)])  # fmt: skip
    for r in runs:
        wall = r.rerun_empty.wall
        rows.append([f"{r.engine}: (3) re-run, nothing new ({n} archived) < {TARGET_RERUN:.0f} s", f"{wall:.2f} s",
                     verdict(wall < TARGET_RERUN)])  # fmt: skip
    gt.print_table(["target", "measured", ""], rows)
    print()


def print_quality(qualities: dict[str, Quality], samples: Path, limit: int | None) -> None:
    what = f"the first {limit} images of {samples}" if limit else str(samples)
    print(f"READING QUALITY ({what}; headstones with years in ground_truth.json)")
    engines = list(qualities)
    headers = ["difficulty", "stones", *(f"years read, {e}" for e in engines), *(f"record right, {e}" for e in engines)]
    rows = []
    for level in (*gt.DIFFICULTIES, "overall"):
        stones = next(iter(qualities.values())).rows[level][0]
        rows.append([level, stones, *(gt.share(q.rows[level][1], stones) for q in qualities.values()),
                     *(gt.share(q.rows[level][2], stones) for q in qualities.values())])  # fmt: skip
    gt.print_table(headers, rows)
    print("  years read: the record's ocr.text holds every birth and death year; record right: a person of the")
    print("  record (stone and caption together) carries each true person's years")
    print("  run wall s: " + ", ".join(f"{e} {q.wall:.1f}" for e, q in qualities.items()))
    print()


def print_memory(runs: list[MemoryRun], workers: int) -> None:
    print(f"MEMORY (archive-ingest run --workers {workers}; small 1200 px scans; stages without ocr:")
    print(f"  [{', '.join(MEMORY_STAGES)}])")
    rows = [
        [f"{m.files} files", f"{m.wall:.1f}", per_minute(m.files, m.wall), f"{m.main_mb:.0f}", f"{m.worker_mb:.0f}",
         (m.report.get("flags") or {}).get("near_duplicate", 0), top_stages(m.report)]
        for m in runs
    ]  # fmt: skip
    if len(runs) >= 2:
        small, big = runs[0], runs[-1]
        main_ratio, worker_ratio = big.main_mb / small.main_mb, big.worker_mb / small.worker_mb
        rows.append([f"ratio {big.files}/{small.files}", f"{big.wall / small.wall:.2f}x", "",
                     f"{main_ratio:.2f}x", f"{worker_ratio:.2f}x", "", ""])  # fmt: skip
    headers = ["", "wall s", "files/min", "main peak RSS MB", "largest worker peak RSS MB", "near dup.", "top stages"]
    gt.print_table(headers, rows)
    if len(runs) >= 2:
        worst = max(main_ratio, worker_ratio)
        print(f"  target: peak RSS {runs[-1].files} files <= {TARGET_MEMORY}x {runs[0].files} files: "
              f"{worst:.2f}x {verdict(worst <= TARGET_MEMORY)}")  # fmt: skip
    print("  (largest worker: the largest child of the main process, ru_maxrss of RUSAGE_CHILDREN; near dup.:")
    print("  near_duplicate flags raised; top stages: the report's stage_seconds, summed over files and workers)")
    print()


# -- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    cores = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="scans to generate and ingest [default: 200]")
    parser.add_argument("--workers", type=int, default=cores, help=f"workers [default: the cores, {cores}]")
    parser.add_argument("--scans", type=Path, default=None, help="folder for the generated scans (kept, reused)")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="sample drop for the quality part")
    parser.add_argument("--samples-limit", type=int, default=None, help="quality on the first N sample images only")
    parser.add_argument("--no-quality", action="store_true", help="skip the reading quality on the samples")
    parser.add_argument("--memory", action="store_true", help="also peak RSS for 100 vs 1000 small scans (no OCR)")
    parser.add_argument("--memory-sizes", default=",".join(map(str, MEMORY_SIZES)), help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive homes")
    parser.add_argument(
        "--executor", choices=["dask"], default=None, help="only compare the local executor with a Dask cluster"
    )
    parser.add_argument("--repeat", type=int, default=3, help="--executor dask: rounds of runs [default: 3]")
    parser.add_argument("--floor-child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--languages", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config = yaml.safe_load((REPO / "pipeline.yaml").read_text(encoding="utf-8")) or {}
    languages = args.languages or "+".join((config.get("ocr") or {}).get("languages") or gt.DEFAULT_LANGUAGES)
    if args.floor_child is not None:
        return floor_child(args.floor_child, args.workers, languages)
    if args.files < 1 or args.workers < 1:
        parser.error("--files and --workers take a number of at least 1")
    if not SCRIPT.exists() or shutil.which("tesseract") is None:
        missing = "tesseract" if shutil.which("tesseract") is None else str(SCRIPT)
        print(f"ingest.py: {missing} not found (install the project into .venv first)", file=sys.stderr)
        return 2

    no_dask = not DASK.exists() or subprocess.run([sys.executable, "-c", "import distributed"]).returncode != 0
    if args.executor == "dask" and no_dask:
        print("ingest.py: --executor dask needs the dask extra: pip install -e '.[dask]'", file=sys.stderr)
        return 2

    scans_dir = (args.scans or default_scans(args.files)).resolve()
    print_header(args, cores, scans_dir)
    scans = ensure_scans(scans_dir, args.files, "scan", small=False, workers=args.workers)
    root = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    try:
        if args.executor == "dask":
            print_executors(len(scans), measure_executors(scans, args.workers, root, args.repeat), cores)
        else:
            measure_engines(args, scans, languages, root)
    except RunFailed as exc:
        print(f"ingest.py: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            note(f"archive homes kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def measure_engines(args: argparse.Namespace, scans: list[Path], languages: str, root: Path) -> None:
    """The local executor with each OCR engine against the raw tesseract floor; reading
    quality and memory when asked."""
    engines = ["pytesseract"]
    skipped = None
    if tesserocr_available():
        engines.append("tesserocr")
    else:
        skipped = "tesserocr is not importable in this venv: its run is skipped (pip install archive-ingest[fast])"
    note(f"floor: raw tesseract -l {languages} on {len(scans)} scans, {args.workers} at a time ...")
    floor = run_floor(scans, args.workers, languages, root)
    runs = [measure_engine(engine, scans, args.workers, root) for engine in engines]
    print_throughput(len(scans), args.workers, floor, runs, skipped)
    print_stages(runs)
    print_targets(len(scans), floor, runs, args.workers)

    samples = args.samples.resolve()
    if args.no_quality:
        print("READING QUALITY: skipped (--no-quality)\n")
    elif not (samples / "inbox").is_dir() or not (samples / "ground_truth.json").is_file():
        print(f"READING QUALITY: skipped (no inbox/ and ground_truth.json in {samples})\n")
    else:
        qualities = {e: measure_quality(e, samples, args.workers, root, args.samples_limit) for e in engines}
        print_quality(qualities, samples, args.samples_limit)

    if args.memory:
        memory = []
        for count in (int(size) for size in args.memory_sizes.split(",")):
            folder = (
                args.scans.resolve().with_name(f"{args.scans.resolve().name}-small-{count}")
                if args.scans
                else default_scans(count, small=True)
            )
            small = ensure_scans(folder, count, "small", small=True, workers=args.workers)
            memory.append(measure_memory(count, small, args.workers, root))
        print_memory(memory, args.workers)


if __name__ == "__main__":
    sys.exit(main())
