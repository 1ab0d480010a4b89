"""Near duplicates on the sample drop: what the pHash proposes, what the pixels confirm, and the cost.

Usage: .venv/bin/python benchmarks/near_duplicates.py [--samples ../shared/samples] [--no-generated] [--seed 1]

Runs the two steps of `archive_ingest.ingest.stages.similar` with the thresholds of the repo's
`pipeline.yaml` (`similar.*`) on every readable image of `samples/inbox/`:

1. pHash (imagehash, on the stored pixels, as the `identify` stage computes it) of every
   image; the Hamming distance of every pair. Files with the same SHA-256 are skipped
   after the first: exact duplicates never reach the stage.
2. For every candidate pair (distance <= `similar.phash_max_distance`), the pixel match
   (`pixelmatch.pixel_match`), the later file by name taken as the new photo.

It prints the ground truth's near-duplicate pairs (found or missed, with distance and
score), the false candidates (different photos within the pHash threshold) and whether the
pixels rejected them, and the closest distinct pairs. Unless `--no-generated`, it also makes
copies of every sample photo cropped 3% and 5% off each side, scaled to 30-80% and
re-encoded at JPEG quality 60, and pairs of stones drawn alike (tests/scanmaker.py, same
layout, another name or year), and prints their pHash distances and pixel matches: what the
thresholds are chosen from.

Timing, in the same run: the baseline is the pHash alone (open, decode, `imagehash.phash`,
as `identify` does it) per image; against it, the grayscale copy the comparison needs
(`load_signature`) per image, and one comparison (`pixel_match`) per candidate pair.
Timing is printed, never asserted: exits 0 whatever the figures, 2 if the samples are missing.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imagehash
import numpy as np
from PIL import Image

from archive_ingest.config import load_settings
from archive_ingest.ingest.pixelmatch import load_signature, pixel_match

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO.parent / "shared" / "samples"
EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
#: Stones drawn alike for the generated check: same layout, another name or year.
ALIKE = [
    (["ТЁН ИВАН", "1884-1949"], ["ТЁН ПЕТР", "1886-1948"], None),
    (["ТЁН ИВАН", "1884-1949"], ["ТЁН ИВАН", "1884-1948"], None),
    (["КИМ ШУРА", "1938-1947"], ["КИМ ЮРА", "1936-1947"], None),
    (["ТЁН ИВАН", "1884-1949"], ["ПАК ОЛЕГ", "1921-1945"], (900, 1200)),
    (["ТЁН ИВАН", "1884-1949"], ["ТЁН ПЕТР", "1886-1948"], (1200, 900)),
    (["ТЁН ИВАН", "1884-1949"], ["ТЁН ИВАН", "1884-1948"], (900, 1200)),
]


@dataclass
class Photo:
    name: str
    phash: imagehash.ImageHash
    signature: np.ndarray[Any, np.dtype[np.uint8]]
    phash_seconds: float
    signature_seconds: float


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=Path, default=DEFAULT_SAMPLES, help="folder with inbox/ and ground_truth.json"
    )
    parser.add_argument("--no-generated", action="store_true", help="skip the generated crops and alike stones")
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated copies' scales")
    args = parser.parse_args(argv)
    samples: Path = args.samples.resolve()
    inbox = samples / "inbox"
    if not inbox.is_dir():
        print(f"near_duplicates: {inbox} not found (pass --samples)", file=sys.stderr)
        return 2
    settings = load_settings(REPO / "pipeline.yaml")
    max_distance = settings.similar.phash_max_distance
    min_score = settings.similar.confirm_min_score
    truth: dict[str, Any] = {}
    if (samples / "ground_truth.json").exists():
        truth = json.loads((samples / "ground_truth.json").read_text(encoding="utf-8"))["items"]

    photos, skipped = read_photos(inbox, settings.identify.max_image_pixels)
    print(f"samples: {inbox}")
    print(f"{len(photos)} readable images ({', '.join(skipped) or 'none'} skipped)")
    print(f"thresholds (pipeline.yaml): phash_max_distance {max_distance}, confirm_min_score {min_score:.2f}\n")

    true_pairs = {
        frozenset((name, item["issues"]["near_duplicate_of"]))
        for name, item in truth.items()
        if (item.get("issues") or {}).get("near_duplicate_of")
    }
    names = sorted(photos)
    pairs = [(photos[a].phash - photos[b].phash, a, b) for a, b in itertools.combinations(names, 2)]
    candidates = [(d, a, b) for d, a, b in pairs if d <= max_distance]
    compare_seconds: list[float] = []
    scores: dict[frozenset[str], float] = {}
    for _, old, new in candidates:
        started = time.perf_counter()
        scores[frozenset((old, new))] = pixel_match(photos[new].signature, photos[old].signature)
        compare_seconds.append(time.perf_counter() - started)

    print("== ground truth near-duplicate pairs")
    for pair in sorted(true_pairs, key=sorted):
        a, b = sorted(pair)
        if a not in photos or b not in photos:
            print(f"  {a} ~ {b}: not both readable")
            continue
        distance = photos[a].phash - photos[b].phash
        score = scores.get(pair)
        if score is None:
            print(f"  MISSED  {a} ~ {b}: pHash distance {distance} > {max_distance}, never compared")
        else:
            verdict = "FOUND  " if score >= min_score else "MISSED "
            print(f"  {verdict} {a} ~ {b}: pHash distance {distance}, pixel match {score:.3f}")

    false = [(d, a, b) for d, a, b in candidates if frozenset((a, b)) not in true_pairs]
    rejected = [c for c in false if scores[frozenset(c[1:])] < min_score]
    print(f"\n== false candidates: different photos within {max_distance} bits: {len(false)} of {len(pairs)} pairs")
    print(f"   rejected by the pixel match: {len(rejected)}; wrongly confirmed: {len(false) - len(rejected)}")
    for d, a, b in sorted(false, key=lambda c: (-scores[frozenset(c[1:])], c[0])):
        score = scores[frozenset((a, b))]
        verdict = "rejected " if score < min_score else "CONFIRMED"
        print(f"  {verdict} d={d:2d} match {score:.3f}  {a} ~ {b}")
    distinct = sorted(p for p in pairs if frozenset(p[1:]) not in true_pairs)
    print("\n== closest distinct pairs (pHash distance)")
    for d, a, b in distinct[:5]:
        print(f"  {d:2d}  {a} ~ {b}")
    share = {t: sum(1 for p in distinct if p[0] <= t) for t in (12, 14, 16, 18, 20, 22)}
    print(
        "  distinct pairs within t bits: "
        + ", ".join(f"t={t}: {n} ({n / len(distinct):.1%})" for t, n in share.items())
    )

    generated_seconds: list[float] = []
    if not args.no_generated:
        generated_seconds = print_generated(inbox, photos, max_distance, min_score, args.seed)

    print_timing(photos, compare_seconds, generated_seconds)
    return 0


def read_photos(inbox: Path, max_pixels: int) -> tuple[dict[str, Photo], list[str]]:
    """pHash (timed: the baseline) and signature (timed) of every readable, unique image."""
    Image.MAX_IMAGE_PIXELS = None  # the limit is max_pixels, checked from the header as `identify` does
    photos: dict[str, Photo] = {}
    skipped: list[str] = []
    seen: set[str] = set()
    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS):
        name = path.relative_to(inbox).as_posix()
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        if sha256 in seen:
            skipped.append(f"{name} (exact duplicate)")
            continue
        seen.add(sha256)
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as image:
                    if image.size[0] * image.size[1] > max_pixels:
                        skipped.append(f"{name} (over the pixel limit)")
                        continue
                    image.load()
                    phash = imagehash.phash(image)
        except (OSError, SyntaxError, ValueError):
            skipped.append(f"{name} (unreadable)")
            continue
        phash_seconds = time.perf_counter() - started
        started = time.perf_counter()
        signature = load_signature(path)
        photos[name] = Photo(name, phash, signature, phash_seconds, time.perf_counter() - started)
    return photos, skipped


def print_generated(
    inbox: Path, photos: dict[str, Photo], max_distance: int, min_score: float, seed: int
) -> list[float]:
    """Crops of the sample photos (near duplicates by construction) and stones drawn alike."""
    rng = np.random.default_rng(seed)
    seconds: list[float] = []
    print("\n== generated near duplicates: each sample photo cropped off one side, scaled 30-80%, JPEG quality 60")
    with tempfile.TemporaryDirectory() as tmp:
        copy_path = Path(tmp) / "copy.jpg"
        for fraction in (0.03, 0.05):
            distances: list[int] = []
            matches: list[float] = []
            for photo in photos.values():
                with Image.open(inbox / photo.name) as image:
                    original = image.convert("RGB")
                w, h = original.size
                cut_w, cut_h = round(w * fraction), round(h * fraction)
                for box in ((cut_w, 0, w, h), (0, 0, w - cut_w, h), (0, cut_h, w, h), (0, 0, w, h - cut_h)):
                    cropped = original.crop(box)
                    scale = float(rng.uniform(0.3, 0.8))
                    size = (round(cropped.width * scale), round(cropped.height * scale))
                    cropped.resize(size, Image.Resampling.LANCZOS).save(copy_path, "JPEG", quality=60)
                    with Image.open(copy_path) as copy:
                        distances.append(photo.phash - imagehash.phash(copy))
                    started = time.perf_counter()
                    matches.append(pixel_match(load_signature(copy_path), photo.signature))
                    seconds.append(time.perf_counter() - started)
            total = len(distances)
            near = sum(d <= max_distance for d in distances)
            caught = sum(1 for d, m in zip(distances, matches, strict=True) if d <= max_distance and m >= min_score)
            print(
                f"  cropped {fraction:.0%}: {total} copies; pHash distance median {statistics.median(distances):g},"
                f" max {max(distances)}, within {max_distance}: {near} ({near / total:.1%})"
            )
            print(
                f"              pixel match min {min(matches):.3f}, 1st percentile {np.percentile(matches, 1):.3f},"
                f" median {statistics.median(matches):.3f}; flagged by both steps: {caught} ({caught / total:.1%})"
            )
        print("\n== generated stones drawn alike (same layout, another name or year): must not be confirmed")
        sys.path.insert(0, str(REPO / "tests"))
        from scanmaker import draw_inscription  # the tests' drawing helper, so both see the same stones

        for one, other, size in ALIKE:
            paths = []
            for index, lines in enumerate((one, other)):
                path = Path(tmp) / f"alike{index}.jpg"
                draw_inscription(lines, size=size).save(path, "JPEG", quality=90)
                paths.append(path)
            with Image.open(paths[0]) as a, Image.open(paths[1]) as b:
                distance = imagehash.phash(a) - imagehash.phash(b)
            started = time.perf_counter()
            score = pixel_match(load_signature(paths[1]), load_signature(paths[0]))
            seconds.append(time.perf_counter() - started)
            verdict = "rejected " if score < min_score else "CONFIRMED"
            where = f"{size[0]}x{size[1]}" if size else "fitted"
            print(f"  {verdict} d={distance:2d} match {score:.3f}  {' '.join(one)} ~ {' '.join(other)} ({where})")
    return seconds


def print_timing(photos: dict[str, Photo], sample_seconds: list[float], generated_seconds: list[float]) -> None:
    phash = [p.phash_seconds for p in photos.values()]
    signature = [p.signature_seconds for p in photos.values()]
    print("\n== timing (this run)")
    baseline = statistics.median(phash)
    print(f"  baseline: pHash alone (open, decode, imagehash.phash): median {baseline * 1000:.1f} ms/image")
    print(
        f"  grayscale copy for comparing (load_signature):        median {statistics.median(signature) * 1000:.1f}"
        f" ms/image  (ratio {statistics.median(signature) / baseline:.2f})"
    )
    for label, seconds in (("sample candidate pairs", sample_seconds), ("generated pairs", generated_seconds)):
        if seconds:
            median = statistics.median(seconds)
            print(
                f"  one comparison (pixel_match), {len(seconds)} {label}: median {median * 1000:.1f} ms,"
                f" max {max(seconds) * 1000:.1f} ms  (ratio to pHash {median / baseline:.2f})"
            )


if __name__ == "__main__":
    sys.exit(main())
