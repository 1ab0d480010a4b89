"""How often `read_exif` agrees with exiftool, and what it costs next to raw exifread.

Usage: python benchmarks/exif_agreement.py [--samples ../shared/exif_samples] [--rounds 5]

Runs `archive_ingest.ingest.stages.exif.read_exif` on every file listed in the samples'
`truth.json` (exiftool 12.57 `-json -n` readings) and prints, per field, how many files
agree with exiftool, which disagree, where exiftool's value comes from somewhere neither
exifread nor Pillow reads (maker notes, CIFF, Olympus PictureInfo) and where no EXIF is
found at all; "before" is exifread alone (`read_exif(..., fallback=False)`, as before
issue 16), "after" lets Pillow's EXIF and the XMP packet fill in. Then it times `read_exif`
against `exifread.process_file(f)` with its defaults (details=True) on the same files in
the same run. Exits 1 if `read_exif` raised on any file.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import exifread

from archive_ingest.ingest.stages.exif import ExifReading, read_exif
from archive_ingest.record import ExifInfo

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO.parent / "shared" / "exif_samples"
GPS_TOLERANCE = 1e-5

#: exiftool groups that read_exif reads: EXIF proper (TIFF IFDs) and, since issue 16, the
#: XMP properties it takes when EXIF lacks them (XMP-exif dates, XMP-tiff orientation).
EXIF_GROUPS = {"IFD0", "IFD1", "ExifIFD", "GPS", "SubIFD", "Composite", "XMP-exif", "XMP-tiff"}
#: The targets of issue 16, as shares of the files compared.
TARGETS = {"date_taken": 0.98, "make": 0.98, "model": 0.98, "orientation": 0.98, "gps": 1.0}


@dataclass
class FieldTally:
    name: str
    exiftool_tag: str
    agree: list[str] = field(default_factory=list)
    disagree: list[str] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)  # exifread returned {}
    outside_exif: list[str] = field(default_factory=list)  # exiftool read it from XMP etc.
    not_compared: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="folder with truth.json")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds (median per file)")
    args = parser.parse_args(argv)
    samples: Path = args.samples.resolve()
    truth: dict[str, Any] = json.loads((samples / "truth.json").read_text(encoding="utf-8"))["files"]

    readings: dict[str, ExifReading] = {}
    before: dict[str, ExifReading] = {}
    crashed: list[str] = []
    for name in truth:
        try:
            readings[name] = read_exif(samples / name)
            before[name] = read_exif(samples / name, fallback=False)
        except Exception as exc:  # counting crashes is the point of this script
            crashed.append(f"{name}: {type(exc).__name__}: {exc}")

    tallies = compare(truth, readings)
    print_agreement(samples, truth, readings, crashed, tallies, compare(truth, before))
    print_timing(samples, list(truth), args.rounds)
    return 1 if crashed else 0


# -- agreement ----------------------------------------------------------------------------------


def compare(truth: dict[str, Any], readings: dict[str, ExifReading]) -> list[FieldTally]:
    tallies = [
        FieldTally("date_taken", "DateTimeOriginal"),
        FieldTally("make", "Make"),
        FieldTally("model", "Model"),
        FieldTally("orientation", "Orientation"),
        FieldTally("gps", "GPSLatitude"),
    ]
    for name, entry in truth.items():
        reading = readings.get(name)
        if reading is None:
            continue
        exiftool: dict[str, Any] = entry["exiftool"]
        groups: dict[str, list[str]] = entry.get("exiftool_groups", {})
        for tally in tallies:
            theirs = _exiftool_value(tally, exiftool)
            ours = _our_value(tally.name, reading.info)
            if tally.name == "date_taken" and theirs is None:
                # Our date may come from DateTimeDigitized/DateTime; exiftool has no
                # DateTimeOriginal to hold it against.
                tally.not_compared.append(name)
                continue
            if _same(tally.name, ours, theirs):
                tally.agree.append(name)
                continue
            line = f"{name}: ours {ours!r}, exiftool {theirs!r}"
            where = groups.get(tally.exiftool_tag, [])
            if theirs is not None and not EXIF_GROUPS & set(where):
                tally.outside_exif.append(f"{line} (exiftool read it from {'+'.join(where) or '?'})")
            elif theirs is not None and reading.status == "none":
                tally.no_data.append(line)
            else:
                tally.disagree.append(line)
    return tallies


def _exiftool_value(tally: FieldTally, exiftool: dict[str, Any]) -> Any:
    if tally.name == "gps":
        lat, lon = exiftool.get("GPSLatitude"), exiftool.get("GPSLongitude")
        return None if lat is None or lon is None else (float(lat), float(lon))
    value = exiftool.get(tally.exiftool_tag)
    if value is None or tally.name == "orientation":
        return value
    text = str(value).strip()
    if tally.name == "date_taken":
        # From XMP exiftool keeps the zone ("2013:07:05 03:18:27Z"); ExifInfo has none.
        text = text[:19]
    return text or None


def _our_value(field_name: str, info: ExifInfo) -> Any:
    if field_name == "date_taken":
        # Back to the EXIF string form, which is what exiftool -n prints.
        return None if info.date_taken is None else info.date_taken.replace("-", ":").replace("T", " ")
    if field_name == "gps":
        return None if info.gps is None else (info.gps["lat"], info.gps["lon"])
    return getattr(info, field_name)


def _same(field_name: str, ours: Any, theirs: Any) -> bool:
    if field_name == "gps" and ours is not None and theirs is not None:
        return bool(abs(ours[0] - theirs[0]) <= GPS_TOLERANCE and abs(ours[1] - theirs[1]) <= GPS_TOLERANCE)
    return bool(ours == theirs)


def print_agreement(
    samples: Path,
    truth: dict[str, Any],
    readings: dict[str, ExifReading],
    crashed: list[str],
    tallies: list[FieldTally],
    before: list[FieldTally],
) -> None:
    statuses = [reading.status for reading in readings.values()]
    print(f"read_exif on {len(truth)} files in {samples} (reference: exiftool 12.57 -n)")
    print(
        f"status: ok {statuses.count('ok')}, none {statuses.count('none')}, "
        f"error {statuses.count('error')}; crashed: {len(crashed)}"
    )
    for line in crashed:
        print(f"  CRASH {line}")
    for name, reading in readings.items():
        if reading.status == "error":
            print(f"  error {name}: {reading.detail}")
    no_exif = sorted(name for name, reading in readings.items() if reading.status == "none")
    print(f"read_exif finds no EXIF in {len(no_exif)} files: {', '.join(no_exif)}")
    raw_empty = sorted(name for name, entry in truth.items() if entry.get("exifread", {}).get("n_tags") == 0)
    recovered = [name for name in raw_empty if name in readings and readings[name].status == "ok"]
    print(
        f"(exifread.process_file alone returns {{}} for {len(raw_empty)}; read_exif recovers "
        f"{len(recovered)}: {', '.join(recovered) or '-'})"
    )
    for reader in ("Pillow", "XMP"):
        names = sorted(name for name, reading in readings.items() if reading.reader == reader)
        print(f"read by {reader}{' alone' if reader == 'XMP' else ''}: {len(names)} {', '.join(names)}")
    xmp_fields = sorted(f"{name} ({'+'.join(r.from_xmp)})" for name, r in readings.items() if r.from_xmp)
    print(f"fields taken from XMP: {len(xmp_fields)} {', '.join(xmp_fields)}")
    print()
    header = (
        f"{'field':<12} {'compared':>8} {'before':>7} {'after':>6} {'share':>7} {'target':>7} "
        f"{'disagree':>9} {'no data':>8} {'not read':>9}"
    )
    print(header + "   (before: exifread alone; no data: no EXIF found; not read: exiftool read")
    print(" " * len(header) + "    it from maker notes, CIFF, PictureInfo, which neither reader reads)")
    for tally, old in zip(tallies, before, strict=True):
        compared = len(tally.agree) + len(tally.disagree) + len(tally.no_data) + len(tally.outside_exif)
        share = len(tally.agree) / compared if compared else 1.0
        target = TARGETS[tally.name]
        print(
            f"{tally.name:<12} {compared:>8} {len(old.agree):>7} {len(tally.agree):>6} {share:>7.1%} "
            f"{('met' if share >= target else 'MISSED'):>7} {len(tally.disagree):>9} "
            f"{len(tally.no_data):>8} {len(tally.outside_exif):>9}"
        )
    date_tally = tallies[0]
    print(f"(date_taken: {len(date_tally.not_compared)} files without an exiftool DateTimeOriginal not compared)")
    for tally in tallies:
        for title, lines in (
            ("DISAGREE", tally.disagree),
            ("no data", tally.no_data),
            ("not read", tally.outside_exif),
        ):
            for line in lines:
                print(f"  {title:<8} {tally.name:<11} {line}")
    print()


# -- timing -------------------------------------------------------------------------------------


def print_timing(samples: Path, names: list[str], rounds: int) -> None:
    paths = [samples / name for name in names]
    ours = _median_per_file(paths, read_exif, rounds)
    exifread_logger = logging.getLogger("exifread")
    # The baseline has no capture of its own: keep its warnings off the terminal.
    exifread_logger.disabled = True
    try:
        baseline = _median_per_file(paths, _raw_exifread, rounds)
    finally:
        exifread_logger.disabled = False
    ours_ms, baseline_ms = statistics.fmean(ours) * 1000, statistics.fmean(baseline) * 1000
    print(f"timing: median of {rounds} rounds per file, mean over {len(paths)} files")
    print(f"  read_exif (details=False, guarded)        {ours_ms:7.3f} ms/file")
    print(f"  exifread.process_file(f) (details=True)   {baseline_ms:7.3f} ms/file")
    print(f"  ratio read_exif / baseline                {ours_ms / baseline_ms:7.2f}")
    print(f"  slowest file: read_exif {max(ours) * 1000:.2f} ms, baseline {max(baseline) * 1000:.2f} ms")


def _raw_exifread(path: Path) -> object:
    with path.open("rb") as handle:
        try:
            return exifread.process_file(handle)
        except Exception as exc:  # the baseline may fail on a file; time it all the same
            return exc


def _median_per_file(paths: list[Path], read: Callable[[Path], object], rounds: int) -> list[float]:
    timings: list[list[float]] = [[] for _ in paths]
    for _ in range(rounds):
        for index, path in enumerate(paths):
            start = time.perf_counter()
            read(path)
            timings[index].append(time.perf_counter() - start)
    return [statistics.median(per_file) for per_file in timings]


if __name__ == "__main__":
    sys.exit(main())
