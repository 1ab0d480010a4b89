"""Review desk speed: how long a record page takes to serve with a 10k-record catalog.

Writes the synthetic catalog of `benchmarks/search.py` (records shaped like the
pipeline's, about 30 events each; those with flags wait for review), starts the desk
(`archive_ingest.desk`, waitress on 127.0.0.1, in this process) and times, in one run:

- the baselines: reading the record through `catalog.reader(...).require(ID)` in this
  process (a fresh reader each time, as each CLI command makes one), and a whole
  `archive-ingest show ID` process;
- the desk: `GET /record/ID` over HTTP (the page with its queue position, flags
  explained, history, gazetteer names), median of --repeat, the first page (which works
  out the queue) and the page right after a decision (a commit changed the catalog file,
  so the queue is worked out again).

Run from the repository root:

    .venv/bin/python benchmarks/desk.py                   # 10k records
    .venv/bin/python benchmarks/desk.py --size 1000 --repeat 50

Timing is printed, never asserted; exit 0 unless something could not be measured.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import SCRIPT, build_catalog, timed_process  # the same synthetic catalog

from archive_ingest import catalog as catalog_module
from archive_ingest.config import load_settings
from archive_ingest.desk import create_app, make_server, stop
from archive_ingest.review import Reviewer, queue

TARGET_SECONDS = 0.1


def _timed(call: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="records in the synthetic catalog")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests (median)")
    parser.add_argument("--events", type=int, default=30, help="events per record")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        built = build_catalog(Path(scratch), args.size, args.events)
        settings = load_settings(built.home / "pipeline.yaml")
        catalog_module.reader(built.path).refresh_search_index()  # as the first search or commit leaves it
        waiting = queue(catalog_module.reader(built.path).all())
        record_id = waiting[len(waiting) // 2].id
        print(f"{args.size} records ({built.megabytes:.1f} MB), {len(waiting)} waiting; record {record_id}")

        read = _timed(lambda: catalog_module.reader(built.path).require(record_id), args.repeat)
        show = statistics.median(
            timed_process([str(SCRIPT), "show", record_id], built.home)[0] for _ in range(max(3, args.repeat // 4))
        )

        secret = "benchmark"
        server = make_server(create_app(settings, "benchmark", secret), "127.0.0.1", 0)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def page(path: str = f"/record/{record_id}") -> None:
            with opener.open(base + path, timeout=60) as response:
                response.read()
                assert response.status == 200

        started = time.perf_counter()
        page(f"/record/{record_id}?token={secret}")  # the first: the cookie, and the queue worked out
        first = time.perf_counter() - started
        warm = _timed(page, args.repeat)
        Reviewer(settings, "benchmark").accept(waiting[0].id)  # a commit: the catalog file changed
        started = time.perf_counter()
        page()
        after_commit = time.perf_counter() - started
        stop(server)

    print(f"{'what':<52} {'seconds':>9}")
    print(f"{'baseline: reader().require(ID), in process':<52} {read:9.4f}")
    print(f"{'baseline: archive-ingest show ID, whole process':<52} {show:9.4f}")
    print(f"{'desk: GET /record/ID, median of ' + str(args.repeat):<52} {warm:9.4f}")
    print(f"{'desk: the first page (queue worked out)':<52} {first:9.4f}")
    print(f"{'desk: the page after a commit (queue worked out again)':<52} {after_commit:9.4f}")
    verdict = "under" if warm < TARGET_SECONDS else "OVER"
    print(
        f"record page {warm * 1000:.1f} ms: {verdict} the {TARGET_SECONDS * 1000:.0f} ms target; "
        f"{warm / read:.1f}x reading the record in process, {show / warm:.1f}x faster than `show` as a process"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
