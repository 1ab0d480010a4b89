"""Near duplicates: resized and cropped copies are flagged and linked, look-alikes are not.

The scans are drawn fresh (scanmaker) and ingested by the real pipeline through the CLI.
Most homes run only the stages this one needs (no OCR), so each run takes a fraction of a
second; one test runs the default stages to show the stage is part of every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import imagehash
import pytest
from PIL import Image

from archive_ingest import catalog as catalog_module
from archive_ingest.config import SimilarSettings, load_settings
from archive_ingest.errors import ConfigError
from archive_ingest.ingest import pixelmatch
from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.similarity import SimilarityIndex
from archive_ingest.ingest.stages import similar
from archive_ingest.record import FileInfo, Kind, Link, LinkType, Record, Source
from conftest import ArchiveHome, new_home
from scanmaker import draw_inscription, make_scan, truncate

FAST_STAGES = "stages: [fixity, identify, similar, file]\n"
STONE = ["ТЁН ИВАН", "1884-1949"]
#: Same layout and size, another name and other years: another stone photographed alike.
OTHER_STONE = ["ТЁН ПЕТР", "1886-1948"]
SIZE = (640, 480)


def fast_home(root: Path) -> ArchiveHome:
    return new_home(root, FAST_STAGES)


def record_of(home: ArchiveHome, name: str) -> dict[str, Any]:
    return next(r for r in home.catalog_records() if r["source"]["filename"] == name)


def distance(one: dict[str, Any], other: dict[str, Any]) -> int:
    hashes = [imagehash.hex_to_hash(r["file"]["phash"]) for r in (one, other)]
    return int(hashes[0] - hashes[1])


def similar_events(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in record["events"] if e["detail"].startswith("near duplicates: ")]


def run(home: ArchiveHome) -> None:
    result = home.invoke("run")
    assert result.exit_code == 0, result.output


def resized_copy(source: Path, target: Path, scale: float, quality: int, crop: float = 0.0) -> Path:
    """`source` cropped by `crop` of its width off the left, scaled by `scale`, saved as JPEG."""
    with Image.open(source) as image:
        width, height = image.size
        cropped = image.crop((round(width * crop), 0, width, height))
        size = (round(cropped.width * scale), round(cropped.height * scale))
        cropped.resize(size, Image.Resampling.LANCZOS).save(target, "JPEG", quality=quality)
    return target


def test_a_resized_copy_in_the_same_run_is_flagged_and_linked(tmp_path: Path) -> None:
    home = fast_home(tmp_path / "home")
    original = make_scan(home.inbox / "a_original.jpg", STONE, size=SIZE)
    resized_copy(original, home.inbox / "b_small.jpg", scale=0.5, quality=75)
    run(home)
    first, copy = record_of(home, "a_original.jpg"), record_of(home, "b_small.jpg")
    assert distance(first, copy) == 0
    assert copy["flags"] == [
        {
            "code": "near_duplicate",
            "detail": f"looks like record {first['id']} ('a_original.jpg'): pHash distance 0, pixel match 1.00",
        }
    ]
    assert copy["links"] == [{"type": "near_duplicate_of", "id": first["id"]}]
    assert copy["review"]["status"] == "pending"
    [event] = similar_events(copy)
    assert (event["type"], event["outcome"]) == ("validation", "warning")
    assert event["detail"] == (
        f"near duplicates: near duplicate of {first['id']} ('a_original.jpg'): pHash distance 0, pixel match 1.00"
    )
    # The first of the pair had nothing to be compared with.
    assert (first["flags"], first["links"], similar_events(first)) == ([], [], [])


def test_a_cropped_reencoded_copy_in_a_later_run_is_flagged_against_the_catalog(tmp_path: Path) -> None:
    home = fast_home(tmp_path / "home")
    original = make_scan(home.inbox / "DSC_7100.jpg", STONE, size=SIZE)
    kept = tmp_path / "kept.jpg"
    kept.write_bytes(original.read_bytes())
    run(home)
    # 3% off the left, 80% of the size, JPEG quality 50 instead of 90; the original is
    # now only in the archive, so the comparison reads the filed copy.
    resized_copy(kept, home.inbox / "photo_2022-06-08_19-05-31.jpg", scale=0.8, quality=50, crop=0.03)
    run(home)
    first, copy = record_of(home, "DSC_7100.jpg"), record_of(home, "photo_2022-06-08_19-05-31.jpg")
    assert distance(first, copy) == 10
    assert copy["flags"] == [
        {
            "code": "near_duplicate",
            "detail": f"looks like record {first['id']} ('DSC_7100.jpg'): pHash distance 10, pixel match 0.99",
        }
    ]
    assert copy["links"] == [{"type": "near_duplicate_of", "id": first["id"]}]
    assert record_of(home, "DSC_7100.jpg")["flags"] == []


def test_two_stones_drawn_alike_are_compared_but_not_flagged(tmp_path: Path) -> None:
    home = fast_home(tmp_path / "home")
    make_scan(home.inbox / "ivan.jpg", STONE, size=SIZE)
    make_scan(home.inbox / "pyotr.jpg", OTHER_STONE, size=SIZE)
    run(home)
    ivan, pyotr = record_of(home, "ivan.jpg"), record_of(home, "pyotr.jpg")
    # Close enough in pHash to be a candidate (a 3% crop can be as far from its original)...
    assert distance(ivan, pyotr) == 12
    # ...but the pixels tell the names apart.
    assert (pyotr["flags"], pyotr["links"], pyotr["review"]["status"]) == ([], [], "not_needed")
    [event] = similar_events(pyotr)
    assert (event["type"], event["outcome"]) == ("validation", "success")
    assert event["detail"] == (
        f"near duplicates: {ivan['id']} ('ivan.jpg'): pHash distance 12, pixel match 0.68 (below 0.85): another photo"
    )


def test_review_distinct_is_remembered_and_only_for_that_pair(tmp_path: Path) -> None:
    home = fast_home(tmp_path / "home")
    original = make_scan(home.inbox / "a.jpg", STONE, size=SIZE)
    kept = tmp_path / "kept.jpg"
    kept.write_bytes(original.read_bytes())
    resized_copy(original, home.inbox / "b.jpg", scale=0.5, quality=75)
    run(home)
    a, b = record_of(home, "a.jpg")["id"], record_of(home, "b.jpg")["id"]
    assert record_of(home, "b.jpg")["links"] == [{"type": "near_duplicate_of", "id": a}]
    result = home.invoke("review", "distinct", b, a, "--by", "anna", "--config", str(home.config))
    assert result.exit_code == 0, result.output
    assert record_of(home, "b.jpg")["flags"] == []

    # The stage's check again, on the catalog as it is now: the pair is not raised again.
    settings = home.settings()
    with catalog_module.writer(settings.paths.catalog, "test", RunContext(settings).now()) as catalog:
        index = SimilarityIndex.from_records(catalog.all())
        again = catalog.require(b)
    again.events.clear()
    similar.run(again, RunContext(settings, similarity=index))
    assert again.flags == []
    assert again.linked(LinkType.NEAR_DUPLICATE_OF) == []
    assert [e.detail for e in again.events] == [
        f"near duplicates: {a} ('a.jpg'): pHash distance 0, marked distinct by review; not compared"
    ]

    # A third copy in a later run is still compared with both: the decision was about one pair.
    resized_copy(kept, home.inbox / "c.jpg", scale=0.6, quality=60, crop=0.03)
    run(home)
    third = record_of(home, "c.jpg")
    assert third["links"] == [{"type": "near_duplicate_of", "id": a}, {"type": "near_duplicate_of", "id": b}]
    assert [f["code"] for f in third["flags"]] == ["near_duplicate"]
    assert third["flags"][0]["detail"] == (
        f"looks like record {a} ('a.jpg'): pHash distance 10, pixel match 0.98; "
        f"looks like record {b} ('b.jpg'): pHash distance 10, pixel match 0.99"
    )
    assert {"type": "distinct_from", "id": a} in record_of(home, "b.jpg")["links"]
    assert record_of(home, "b.jpg")["flags"] == []


def test_quarantined_files_are_skipped(tmp_path: Path) -> None:
    home = fast_home(tmp_path / "home")
    original = make_scan(home.inbox / "a.jpg", STONE, size=SIZE)
    truncate(resized_copy(original, home.inbox / "b_broken.jpg", scale=0.9, quality=90))
    run(home)
    broken = record_of(home, "b_broken.jpg")
    assert broken["kind"] == "quarantined"
    assert [f["code"] for f in broken["flags"]] == ["corrupt"]
    assert (broken["links"], similar_events(broken)) == ([], [])
    assert similar_events(record_of(home, "a.jpg")) == []


def test_quarantined_and_merged_records_are_no_candidates() -> None:
    def record(record_id: str, kind: Kind = Kind.HEADSTONE, links: list[Link] | None = None) -> Record:
        file = FileInfo(sha256=record_id * 4, bytes=1, path=f"originals/{record_id}.jpg", phash="c3c3c3c33c3c3c3c")
        return Record(record_id, kind, Source(f"{record_id}.jpg"), file, links=links or [])

    merged = record("b" * 16, links=[Link(LinkType.MERGED_INTO, "a" * 16)])
    index = SimilarityIndex.from_records([record("a" * 16), record("q" * 16, Kind.QUARANTINED), merged])
    assert len(index) == 1
    assert [(entry.id, d) for entry, d in index.candidates("c3c3c3c33c3c3c3d", 18)] == [("a" * 16, 1)]
    assert index.candidates("3c3c3c3cc3c3c3c3", 18) == []  # every bit differs: 64


def test_candidates_are_nearest_first_within_the_threshold() -> None:
    index = SimilarityIndex()
    hashes = {"c" * 16: "000000000000000f", "a" * 16: "0000000000000003", "b" * 16: "00000000000000ff"}
    for record_id, phash in hashes.items():
        index.add(Record(record_id, Kind.PHOTO, Source("x.jpg"), FileInfo(sha256=record_id * 4, bytes=1, phash=phash)))
    found = index.candidates("0000000000000000", 4)
    assert [(entry.id, d) for entry, d in found] == [("a" * 16, 2), ("c" * 16, 4)]
    assert index.candidates("0000000000000000", 4, exclude="a" * 16)[0][0].id == "c" * 16


def test_pixel_match_of_drawn_copies_and_look_alikes(tmp_path: Path) -> None:
    stone = draw_inscription(STONE, size=SIZE)
    stone.save(tmp_path / "stone.jpg", "JPEG", quality=90)
    draw_inscription(OTHER_STONE, size=SIZE).save(tmp_path / "other.jpg", "JPEG", quality=90)
    resized_copy(tmp_path / "stone.jpg", tmp_path / "copy.jpg", scale=0.7, quality=50, crop=0.05)
    signature = pixelmatch.load_signature(tmp_path / "stone.jpg")
    assert signature.shape == (288, 384)
    assert round(pixelmatch.pixel_match(pixelmatch.load_signature(tmp_path / "copy.jpg"), signature), 2) == 0.99
    assert round(pixelmatch.pixel_match(pixelmatch.load_signature(tmp_path / "other.jpg"), signature), 2) == 0.68
    # A portrait cannot be a crop of a landscape: nothing to align.
    portrait = draw_inscription(STONE, size=(480, 640))
    portrait.save(tmp_path / "portrait.jpg", "JPEG", quality=90)
    assert pixelmatch.pixel_match(pixelmatch.load_signature(tmp_path / "portrait.jpg"), signature) == 0.0


def test_the_default_pipeline_runs_the_stage(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home")
    original = make_scan(home.inbox / "a.jpg", STONE, size=SIZE, caption="Могила Тён Ивана, Пхеньян.")
    resized_copy(original, home.inbox / "b.jpg", scale=0.5, quality=75)
    run(home)
    first, copy = record_of(home, "a.jpg"), record_of(home, "b.jpg")
    assert copy["links"] == [{"type": "near_duplicate_of", "id": first["id"]}]
    assert "near_duplicate" in [f["code"] for f in copy["flags"]]
    assert "near_duplicate" not in [f["code"] for f in first["flags"]]
    queue = home.invoke("review", "--flag", "near_duplicate", "--config", str(home.config))
    assert [line.split("\t")[0] for line in queue.stdout.splitlines()] == [copy["id"]]


def test_settings_are_checked_and_the_shipped_file_says_the_defaults(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    shipped = load_settings(repo / "pipeline.yaml")
    assert (
        shipped.similar
        == SimilarSettings()
        == SimilarSettings(phash_max_distance=18, confirm_min_score=0.85, max_candidates=10)
    )
    assert shipped.stages[:3] == ["fixity", "identify", "similar"]
    config = tmp_path / "pipeline.yaml"
    config.write_text("similar:\n  confirm_min_score: 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == f"{config}: similar.confirm_min_score: expected float <= 1.0"
