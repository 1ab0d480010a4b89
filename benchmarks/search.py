"""Search speed: whole-process `archive-ingest search` on synthetic catalogs of 1k-100k records.

For each size it writes a synthetic TinyDB catalog directly (records shaped like the
pipeline's: Cyrillic, Soviet-Korean and Hangul names, captions in Russian, English and
Korean, inscriptions with OCR misreads, about 30 events each), then times, in one run:

- the baseline: a whole `python -c "json.load(open(catalog))"` process (what any search
  that reads the catalog pays first);
- the first search, which builds the index (once per catalog);
- whole-process `archive-ingest search` for a free-text query, a field query and a fuzzy
  name query (median of --repeat runs, output piped like a script's; the number of hits);
- a commit: `Catalog.commit` of a 100-record batch under the writer lock (a new writer,
  and a second batch in the same writer), with the index update; then, where this process
  may (root), a third batch with a new writer after emptying the kernel's page cache, as
  on a freshly booted machine (the catalog and its index read from disk).

Run from the repository root:

    .venv/bin/python benchmarks/search.py                      # 1k, 10k, 100k
    .venv/bin/python benchmarks/search.py --sizes 1000,10000 --repeat 5
    .venv/bin/python benchmarks/search.py --events 8           # leaner records

Timing is printed, never asserted; exit 0 unless something could not be measured.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from archive_ingest import catalog as catalog_module
from archive_ingest.record import Record
from archive_ingest.text.places import Gazetteer
from archive_ingest.text.translit import to_latin

ROOT = Path(__file__).resolve().parent.parent
#: The processes run as an installed package runs: with bytecode caching (a shell with
#: PYTHONDONTWRITEBYTECODE=1 would time recompiling every changed module instead).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
SCRIPT = Path(sys.executable).with_name("archive-ingest")

QUERIES = {
    "free text": "Tyon Chongjin",
    "fields": "place:Rason died:1945..1950 kind:headstone -flag:duplicate",
    "fuzzy name": "Виноградав",
}
#: Whole-process seconds a search may take (issue 13, item 14), and a `show`.
TARGETS = {1_000: 0.25, 10_000: 0.4, 100_000: 1.0}
SHOW_TARGETS = {1_000: 0.25, 10_000: 0.4}
#: `--version` and `--help`: nothing but the commands' definitions is imported.
STARTUP_TARGET = 0.15
COMMIT_TARGET = 2.0

SURNAMES = (
    "Иванов Петров Смирнов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов Волков Алексеев "
    "Николаев Зайцев Павлов Семёнов Голубев Виноградов Богданов Воробьёв Фёдоров Михайлов Беляев "
    "Тарасов Белов Комаров Орлов Киселёв Макаров Андреев Ковалёв Ильин Гусев Титов Кудрявцев Баранов"
).split()
GIVEN = "Иван Пётр Николай Сергей Алексей Михаил Василий Андрей Павел Дмитрий Фёдор Григорий Юрий Виктор".split()
PATRONYMICS = "Иванович Петрович Николаевич Сергеевич Алексеевич Михайлович Васильевич Андреевич".split()
KOREAN_SURNAMES = "Ким Пак Хан Ли Тён Нам Цой Шин Пя Кан".split()
KOREAN_GIVEN = "Шура Валерий Наташа Шурик Ен Су Чан Ир Гым Мен Хо".split()
HANGUL_NAMES = "김일성 리학림 신영수 한양희 박정호 최명수 전영철 남궁민 김슈라 리순자 박영남 조명희".split()
RANKS = ("рядовой", "сержант", "лейтенант", "старшина", "краснофлотец", "")
# OCR misreads of carved Cyrillic (a letter read as its look-alike).
MISREADS = {"В": "Б", "Д": "Л", "И": "Н", "О": "0", "Е": "Б", "Ш": "Щ", "Н": "И", "Р": "Р", "С": "С"}
PHOTO_SOURCES = ("embassy series", "Koryo Tours archive", "consulate-general in Chongjin")


@dataclass
class Catalog:
    home: Path
    path: Path
    records: int
    megabytes: float
    first_id: str


def make_person(rnd: random.Random) -> tuple[str, str, int, int]:
    born, died = rnd.randint(1880, 1930), rnd.randint(1945, 1959)
    roll = rnd.random()
    if roll < 0.55:
        name = f"{rnd.choice(SURNAMES)} {rnd.choice(GIVEN)} {rnd.choice(PATRONYMICS)}"
    elif roll < 0.85:
        name = f"{rnd.choice(KOREAN_SURNAMES)} {rnd.choice(KOREAN_GIVEN)}"
    else:
        name = rnd.choice(HANGUL_NAMES)
    return name, _latin(name), born, died


_LATIN: dict[str, str] = {}


def _latin(name: str) -> str:
    if name not in _LATIN:
        _LATIN[name] = to_latin(name)
    return _LATIN[name]


def misread(text: str, rnd: random.Random) -> str:
    letters = [i for i, ch in enumerate(text) if ch in MISREADS]
    if not letters:
        return text
    i = rnd.choice(letters)
    return text[:i] + MISREADS[text[i]] + text[i + 1 :]


def make_record(n: int, rnd: random.Random, sites: list[Any], events: list[list[dict[str, Any]]]) -> dict[str, Any]:
    sha = f"{rnd.getrandbits(64):016x}{n:048x}"
    rid = sha[:16]
    kind = rnd.choice(("headstone",) * 7 + ("monument", "ceremony", "photo"))
    site = rnd.choice(sites) if rnd.random() < 0.85 else None
    persons = []
    caption: str | None
    inscription = ""
    if kind == "headstone":
        name, latin, born, died = make_person(rnd)
        rank = rnd.choice(RANKS)
        persons.append(
            {"name": name.upper(), "name_latin": latin, "birth_year": born, "death_year": died, "birth_date": None,
             "death_date": None, "rank": rank or None, "source": rnd.choice(("caption", "ocr", "caption+ocr"))}
        )  # fmt: skip
        carved = f"{rank.upper()}\n{name.upper()}\n{born}-{died}".strip()
        inscription = misread(carved, rnd) if rnd.random() < 0.35 else carved
        where = f" в {site.name_ru}е" if site else ""
        caption = rnd.choice(
            (
                f"Могила {name} ({born}-{died}) на советском воинском кладбище{where}.",
                f"Grave of {latin} ({born}-{died}), Soviet military cemetery{', ' + site.name if site else ''}.",
                f"{site.name_ko if site else ''} 쏘련군 렬사묘, {name}",
            )
        )
    elif kind == "monument":
        caption = f"Памятник Освобождения{' в ' + site.name_ru + 'е' if site else ''}. Вечная слава героям!"
        inscription = "ВЕЧНАЯ СЛАВА ГЕРОЯМ\n1945"
    elif kind == "ceremony":
        year = rnd.randint(1995, 2024)
        caption = f"Возложение венков к памятнику в {site.name_ru + 'е' if site else 'Пхеньяне'}, 9 мая {year} года."
    else:
        caption = None if rnd.random() < 0.5 else "Вид на кладбище. Фото 1970-х."
    taken = f"{rnd.randint(1975, 2020)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T11:50:11"
    gps = {"lat": site.lat, "lon": site.lon} if site and rnd.random() < 0.6 else None
    flags = []
    if inscription and rnd.random() < 0.3:
        flags.append({"code": "ocr_low_confidence", "detail": "mean word confidence 41.0 is below 60"})
    if rnd.random() < 0.02:
        flags.append({"code": "duplicate", "detail": "same bytes dropped again as 'copy.jpg'"})
    return {
        "id": rid,
        "kind": kind,
        "source": {"filename": f"DSC_{n:06d}.jpg", "caption_file": f"DSC_{n:06d}.txt" if caption else None,
                   "ingested_at": "2026-11-26T17:00:32Z", "caption_path": f"captions/{rid[:2]}/{rid}.txt",
                   "caption_sha256": sha},
        "file": {"sha256": sha, "bytes": rnd.randint(200_000, 6_000_000), "path": f"originals/{rid[:2]}/{rid}.jpg",
                 "format": "JPEG", "width": 3000, "height": 4000, "phash": f"{rnd.getrandbits(64):016x}"},
        "caption": caption,
        "exif": {"date_taken": taken, "make": "Canon", "model": "Canon EOS 80D", "artist": None, "copyright": None,
                 "description": None, "orientation": 1, "gps": gps},
        "ocr": {"text": inscription, "confidence": round(rnd.uniform(30, 96), 1), "languages": ["rus", "kor", "eng"],
                "engine": "tesseract 5.3.0", "rotation": 0, "rotation_method": "sweep", "preprocess": ["grayscale"],
                "psm": 6, "words_path": f"derivatives/{rid[:2]}/{rid}.words.json"},
        "persons": persons,
        "place": {"name": site.name, "name_ko": site.name_ko, "name_ru": site.name_ru, "province": site.province,
                  "lat": site.lat, "lon": site.lon, "source": "caption"} if site else None,
        "date": {"value": taken[:10], "precision": "day", "source": "exif"},
        "provenance": {"credit": "Russian Embassy in Pyongyang",
                       "rights": "All photos are the property of the Russian Embassy in Pyongyang.",
                       "source": rnd.choice(PHOTO_SOURCES), "commentary": "Koryo Tours"},
        "flags": flags,
        "review": {"status": "pending" if flags else "not_needed", "by": None, "at": None, "note": None},
        "events": rnd.choice(events),
        "links": [],
    }  # fmt: skip


def make_events(rnd: random.Random, count: int) -> list[dict[str, Any]]:
    agent = "archive-ingest 0.1.0"
    kinds = ("ocr", "metadata extraction", "validation", "fixity check", "format identification")
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        detail = (
            f"pass {i}: rotation {90 * (i % 4)}, psm {rnd.choice((4, 6, 11))}, "
            f"{rnd.randint(2, 9)} words, mean confidence {rnd.uniform(20, 96):.1f}"
        )
        agent_named = f"{agent}; tesseract 5.3.0" if kind == "ocr" else agent
        out.append(
            {"type": kind, "at": "2026-11-26T17:00:32Z", "agent": agent_named, "outcome": "success",
             "detail": detail, "field": None, "old": None, "new": None}
        )  # fmt: skip
    return out


def build_catalog(root: Path, size: int, events_per_record: int, seed: int = 7) -> Catalog:
    rnd = random.Random(seed)
    sites = list(Gazetteer.load().sites)
    events = [make_events(rnd, events_per_record) for _ in range(64)]
    home = root / f"home-{size}"
    (home / "archive").mkdir(parents=True)
    (home / "inbox").mkdir()
    (home / "pipeline.yaml").write_text(
        "paths:\n  inbox: inbox\n  archive: archive\n  catalog: archive/catalog.json\n", encoding="utf-8"
    )
    records = {str(n): make_record(n, rnd, sites, events) for n in range(1, size + 1)}
    # The planted targets of the fuzzy query: a name misread by OCR on a few stones.
    for n in range(1, size + 1, max(1, size // 7)):
        doc = records[str(n)]
        if doc["persons"]:
            doc["ocr"]["text"] = "РЯДОВОЙ\nВИНОГРАЛОВ ИВАН ПЕТРОВИЧ\n1921-1945"
    path = home / "archive" / "catalog.json"
    path.write_bytes(orjson.dumps({"records": records}))
    return Catalog(home, path, size, path.stat().st_size / 1e6, records["1"]["id"])


def timed_process(command: list[str], cwd: Path) -> tuple[float, str]:
    """Wall seconds and stdout of one whole process."""
    started = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, capture_output=True, env=ENV)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {process.returncode}: {process.stderr.decode(errors='replace')}"
        )
    return elapsed, process.stdout.decode()


def peak_rss_mb(command: list[str], cwd: Path) -> float:
    """Peak RSS of one process, measured by a small parent (a fork of this big one would
    count this process's pages)."""
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    _, out = timed_process([sys.executable, "-c", probe, *command], cwd)
    return int(out.strip()) / 1024


def median_seconds(command: list[str], cwd: Path, repeat: int) -> tuple[float, str]:
    times = []
    out = ""
    for _ in range(repeat):
        elapsed, out = timed_process(command, cwd)
        times.append(elapsed)
    return statistics.median(times), out


def drop_page_cache() -> bool:
    """Write back and drop the kernel's page cache, as on a freshly booted machine; False
    where this process may not (it needs root)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n", encoding="ascii")
    except OSError:
        return False
    return True


def commit_batch(catalog: Catalog, events_per_record: int) -> tuple[float, float, float | None]:
    """Seconds to commit 100 new records with a fresh writer, a second 100 in the same one,
    and a third 100 with a fresh writer on an empty page cache (None: it cannot be emptied)."""
    rnd = random.Random(99)
    sites = list(Gazetteer.load().sites)
    events = [make_events(rnd, events_per_record) for _ in range(8)]
    batches = [
        [Record.from_json(make_record(catalog.records + 1000 + b * 100 + i, rnd, sites, events)) for i in range(100)]
        for b in range(3)
    ]
    now = datetime.now(UTC)
    started = time.perf_counter()
    with catalog_module.writer(catalog.path, "benchmark", now) as writer:
        writer.commit(batches[0])
        first = time.perf_counter() - started
        started = time.perf_counter()
        writer.commit(batches[1])
        second = time.perf_counter() - started
    if not drop_page_cache():
        return first, second, None
    started = time.perf_counter()
    with catalog_module.writer(catalog.path, "benchmark", now) as writer:
        writer.commit(batches[2])
    return first, second, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="catalog sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (median)")
    parser.add_argument("--events", type=int, default=30, help="events per record")
    parser.add_argument("--keep", action="store_true", help="keep the temporary catalogs")
    args = parser.parse_args()
    if not SCRIPT.exists():
        print(f"search benchmark: {SCRIPT} is missing: install the package into the virtualenv first", file=sys.stderr)
        return 2
    sizes = [int(size) for size in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="search-bench-"))
    rows = []
    bare, _ = median_seconds([sys.executable, "-c", "pass"], ROOT, args.repeat)
    startup = {flag: median_seconds([str(SCRIPT), flag], ROOT, args.repeat)[0] for flag in ("--version", "--help")}
    try:
        for size in sizes:
            started = time.perf_counter()
            catalog = build_catalog(root, size, args.events)
            seconds = time.perf_counter() - started
            print(f"{size} records: catalog {catalog.megabytes:.0f} MB written in {seconds:.1f} s", file=sys.stderr)
            load = [sys.executable, "-c", "import json,sys; json.load(open(sys.argv[1], encoding='utf-8'))"]
            baseline, _ = median_seconds([*load, str(catalog.path)], catalog.home, args.repeat)
            search = [str(SCRIPT), "search"]
            first, _ = median_seconds([*search, "kind:headstone", "--count"], catalog.home, 1)
            index_mb = catalog.path.with_name(catalog.path.name + ".search.sqlite").stat().st_size / 1e6
            timings = {}
            for label, query in QUERIES.items():
                seconds, out = median_seconds([*search, query], catalog.home, args.repeat)
                timings[label] = (seconds, len(out.splitlines()))
            show, _ = median_seconds([str(SCRIPT), "show", catalog.first_id], catalog.home, args.repeat)
            timings["show"] = (show, 1)
            rss = peak_rss_mb([*search, QUERIES["free text"]], catalog.home)
            rss_load = peak_rss_mb([*load, str(catalog.path)], catalog.home)
            commit_first, commit_second, commit_cold = commit_batch(catalog, args.events)
            after_commit, _ = median_seconds([*search, QUERIES["free text"]], catalog.home, 1)
            rows.append((catalog, baseline, first, index_mb, timings, rss, rss_load, commit_first, commit_second,
                         commit_cold, after_commit))  # fmt: skip
    finally:
        if args.keep:
            print(f"catalogs kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    print_table(rows, args)
    print("\n| start-up | python -c pass s | --version s | --help s | target s |\n|---|---|---|---|---|")
    worst = max(startup.values())
    print(f"| whole process | {bare:.3f} | {startup['--version']:.3f} | {startup['--help']:.3f} "
          f"| < {STARTUP_TARGET} {'met' if worst < STARTUP_TARGET else 'MISSED'} |")  # fmt: skip
    return 0


def print_table(rows: list[Any], args: argparse.Namespace) -> None:
    print(f"\nsearch benchmark: {os.cpu_count()} cores, {args.events} events per record, median of {args.repeat}")
    print("whole-process seconds; hits in brackets; ratio = search / json.load of the catalog\n")
    header = ["records", "catalog MB", "json.load s", "index build s", "index MB"]
    header += [f"{label} s" for label in QUERIES] + ["show s", "target s", "RSS MB search/load"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for catalog, baseline, first, index_mb, timings, rss, rss_load, *_ in rows:
        cells = [f"{catalog.records:,}", f"{catalog.megabytes:.0f}", f"{baseline:.2f}", f"{first:.1f}",
                 f"{index_mb:.0f}"]  # fmt: skip
        for seconds, hits in timings.values():
            cells.append(f"{seconds:.2f} ({hits}) ×{seconds / baseline:.2f}")
        target = TARGETS.get(catalog.records)
        worst = max(seconds for label, (seconds, _) in timings.items() if label != "show")
        show_target = SHOW_TARGETS.get(catalog.records)
        met = worst < target if target else True
        met = met and (timings["show"][0] < show_target if show_target else True)
        shown = f"< {target}{f', show < {show_target}' if show_target else ''} {'met' if met else 'MISSED'}"
        cells.append(shown if target else "-")
        cells.append(f"{rss:.0f} / {rss_load:.0f}")
        print("| " + " | ".join(cells) + " |")
    print("\nqueries: " + "; ".join(f"{label}: {query!r}" for label, query in QUERIES.items()))
    print("\n| records | commit 100 (new writer) s | commit 100 (same writer) s | commit 100 (empty page cache) s "
          "| target s | search after commit s |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for catalog, *_, commit_first, commit_second, commit_cold, after_commit in rows:
        worst = max(commit_first, commit_cold or 0.0)
        met = "met" if worst < COMMIT_TARGET else "MISSED"
        cold = "-" if commit_cold is None else f"{commit_cold:.2f}"
        print(f"| {catalog.records:,} | {commit_first:.2f} | {commit_second:.2f} | {cold} | < {COMMIT_TARGET} {met} "
              f"| {after_commit:.2f} |")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
