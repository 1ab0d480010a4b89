"""The fixity audit: `archive-ingest verify` on a pipeline-made archive, intact and damaged.

Each test copies the session's ingested batch (every kind of drop: captions in UTF-8 and
cp1251, a manifest, a duplicate with its own caption, quarantined files, OCR words) and
damages the copy for real: a flipped bit, a deleted or truncated file, a stray file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archive_ingest import catalog as catalog_module
from archive_ingest.cli import cli
from archive_ingest.verify import Altered, Invalid, Missing, SizeMismatch, Unexpected, verify
from conftest import ArchiveHome

STONE = "DSC_0001.jpg"


@pytest.fixture
def home(batch_copy: ArchiveHome) -> ArchiveHome:
    return batch_copy


def invoke(home: ArchiveHome, *args: str) -> Result:
    return CliRunner().invoke(cli, ["verify", *args, "--config", str(home.config)], catch_exceptions=False)


def record_of(home: ArchiveHome, name: str) -> dict[str, Any]:
    return next(r for r in home.catalog_records() if r["source"]["filename"] == name)


def last_event(record: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = record["events"][-1]
    return event


def flip_bit(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_intact_archive_is_all_well_and_every_record_gets_an_event(home: ArchiveHome) -> None:
    before = home.catalog_records()
    files = sum(
        1 + bool(r["source"]["caption_path"]) + bool(r["ocr"]["words_path"]) + 2 * bool(r["derivatives"]["access_path"])
        for r in before
    )  # originals, captions, words, access copies and thumbnails: each referenced once, plus one sidecar each
    result = invoke(home)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    # The duplicate drop's own caption is referenced by its event, and is checked too.
    assert result.stderr == f"verify: {len(before)} records, {files + len(before) + 1} files re-hashed: all well\n"
    after = home.catalog_records()
    assert [r["id"] for r in after] == [r["id"] for r in before]
    for old, new in zip(before, after, strict=True):
        assert new["events"][:-1] == old["events"]
        event = last_event(new)
        assert (event["type"], event["outcome"]) == ("fixity check", "success")
        assert event["agent"].startswith("archive-ingest ")
        assert event["detail"].startswith("verify: sha256 of ")
        assert event["detail"].endswith(" files match")
        # The commit rewrote each record's sidecar with the new event.
        sidecar = home.archive / "records" / new["id"][:2] / f"{new['id']}.json"
        assert json.loads(sidecar.read_text(encoding="utf-8")) == new


def test_a_flipped_bit_in_an_original_is_altered_and_exits_1(home: ArchiveHome) -> None:
    stone = record_of(home, STONE)
    original = home.archive / stone["file"]["path"]
    flip_bit(original, 1000)
    found = hashlib.sha256(original.read_bytes()).hexdigest()
    result = invoke(home)
    assert result.exit_code == 1
    assert result.stdout == (
        f"{stone['file']['path']}: altered: sha256 {found}, expected {stone['file']['sha256']} (record {stone['id']})\n"
    )
    assert result.stderr.startswith("archive-ingest: error: verify: ")
    assert result.stderr.endswith(" files re-hashed: 1 problem (1 altered)\n")
    event = last_event(record_of(home, STONE))
    assert (event["type"], event["outcome"]) == ("fixity check", "failure")
    assert event["detail"] == f"verify: {result.stdout.strip()}"
    others = [r for r in home.catalog_records() if r["id"] != stone["id"]]
    assert {last_event(r)["outcome"] for r in others} == {"success"}


def test_a_deleted_original_is_missing(home: ArchiveHome) -> None:
    stone = record_of(home, STONE)
    (home.archive / stone["file"]["path"]).unlink()
    result = invoke(home)
    assert result.exit_code == 1
    assert result.stdout == f"{stone['file']['path']}: missing (original) (record {stone['id']})\n"
    assert result.stderr.endswith(": 1 problem (1 missing)\n")


def test_an_extra_file_in_originals_is_unexpected(home: ArchiveHome) -> None:
    (home.archive / "originals" / "zz").mkdir()
    (home.archive / "originals" / "zz" / "stray.jpg").write_bytes(b"not filed by us")
    result = invoke(home)
    assert result.exit_code == 1
    assert result.stdout == "originals/zz/stray.jpg: unexpected: no record references it\n"
    assert {last_event(r)["outcome"] for r in home.catalog_records()} == {"success"}


def test_catalog_companions_temp_files_and_readme_are_not_unexpected(home: ArchiveHome) -> None:
    catalog_module.back_up(home.catalog)
    for name in ("catalog.json.search.sqlite", "catalog.json.search.sqlite-wal", ".catalog.json.x1.tmp"):
        (home.archive / name).write_bytes(b"x")
    (home.archive / "originals" / ".filing.abc.tmp").write_bytes(b"half a copy")
    (home.archive / "README.md").write_text("# archive/\n", encoding="utf-8")
    result = invoke(home)
    assert result.exit_code == 0, result.stdout


def test_fast_checks_sizes_misses_a_flipped_bit_but_catches_a_truncation(home: ArchiveHome) -> None:
    stone = record_of(home, STONE)
    original = home.archive / stone["file"]["path"]
    flip_bit(original, 1000)
    result = invoke(home, "--fast")
    assert result.exit_code == 0
    assert result.stderr.endswith(" files checked by size: all well\n")
    assert last_event(record_of(home, STONE))["detail"].startswith("verify --fast: sizes of ")
    original.write_bytes(original.read_bytes()[:-100])
    result = invoke(home, "--fast")
    assert result.exit_code == 1
    expected_size = stone["file"]["bytes"]
    assert result.stdout == (
        f"{stone['file']['path']}: size {expected_size - 100} bytes, expected {expected_size} (record {stone['id']})\n"
    )
    assert result.stderr.endswith(": 1 problem (1 size mismatch)\n")
    report = verify(home.settings(), fast=True)
    assert [type(problem) for problem in report.problems] == [SizeMismatch]


def test_every_problem_is_collected_before_reporting(home: ArchiveHome) -> None:
    # bagit's way: one pass finds them all, each typed, each with its path.
    stone = record_of(home, STONE)
    hangul = record_of(home, "scans/Могила Ким Шура.png")
    caption = home.archive / hangul["source"]["caption_path"]
    flip_bit(caption, 0)
    words = home.archive / stone["ocr"]["words_path"]
    flip_bit(words, 0)  # "{" becomes "z": the same size (a cut file is a size mismatch), not JSON
    sidecar = home.archive / "records" / hangul["id"][:2] / f"{hangul['id']}.json"
    sidecar.unlink()
    tiff = record_of(home, "old scan 1975.TIFF")
    other = home.archive / "records" / tiff["id"][:2] / f"{tiff['id']}.json"
    edited = json.loads(other.read_text(encoding="utf-8"))
    edited["caption"] = "changed behind the catalog's back"
    other.write_text(json.dumps(edited), encoding="utf-8")
    (home.archive / "derivatives" / "stray.words.json").write_text("{}", encoding="utf-8")

    report = verify(home.settings(), now=lambda: datetime(2026, 11, 26, 18, 0, tzinfo=UTC))
    assert not report.ok
    by_type = {type(problem): problem for problem in report.problems}
    assert set(by_type) == {Altered, Invalid, Missing, Unexpected}
    assert len(report.problems) == 5
    altered = by_type[Altered]
    assert isinstance(altered, Altered)
    assert (altered.path, altered.records) == (hangul["source"]["caption_path"], (hangul["id"],))
    assert altered.expected == hangul["source"]["caption_sha256"]
    assert altered.found == hashlib.sha256(caption.read_bytes()).hexdigest()
    sidecar_name = f"records/{hangul['id'][:2]}/{hangul['id']}.json"
    assert by_type[Missing].line() == (
        f"{sidecar_name}: missing (record sidecar; written again from the catalog by this check) "
        f"(record {hangul['id']})"
    )
    invalid = [p for p in report.problems if isinstance(p, Invalid)]
    assert [p.path for p in invalid] == [stone["ocr"]["words_path"], f"records/{tiff['id'][:2]}/{tiff['id']}.json"]
    assert invalid[0].describe().startswith("invalid: the OCR words are not JSON: ")
    assert invalid[1].describe() == (
        "invalid: the record sidecar differs from the catalog's record in caption (rewritten now)"
    )
    assert by_type[Unexpected].line() == "derivatives/stray.words.json: unexpected: no record references it"
    assert report.summary() == (
        f"verify: {report.records} records, {report.files} files re-hashed: "
        "5 problems (1 missing, 1 altered, 2 invalid, 1 unexpected)"
    )
    # The sidecars are rewritten from the catalog by the audit's commit.
    assert json.loads(sidecar.read_text(encoding="utf-8"))["id"] == hangul["id"]
    assert json.loads(other.read_text(encoding="utf-8"))["caption"] == tiff["caption"]
    failures = {r["id"]: last_event(r) for r in home.catalog_records() if last_event(r)["outcome"] == "failure"}
    assert sorted(failures) == sorted({stone["id"], hangul["id"], tiff["id"]})
    assert failures[hangul["id"]]["at"] == "2026-11-26T18:00:00Z"


def test_json_report(home: ArchiveHome) -> None:
    stone = record_of(home, STONE)
    (home.archive / stone["file"]["path"]).unlink()
    result = invoke(home, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["fast"] is False
    assert report["problems"] == [
        {"type": "missing", "path": stone["file"]["path"], "records": [stone["id"]], "problem": "missing (original)"}
    ]


def test_verify_while_a_run_holds_the_lock_exits_3_and_changes_nothing(home: ArchiveHome) -> None:
    before = home.catalog.read_bytes()
    started = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    with catalog_module.writer(home.catalog, "archive-ingest run", started):
        result = invoke(home)
    assert result.exit_code == 3
    assert result.stderr.startswith(f"archive-ingest: error: {home.catalog}: the catalog is locked by pid ")
    assert result.stdout == ""
    assert home.catalog.read_bytes() == before


def test_fast_catches_a_truncated_access_copy(home: ArchiveHome) -> None:
    # Issue 13 item 10: an access copy cut from its size to 100 bytes went unnoticed.
    stone = record_of(home, STONE)
    access_path = stone["derivatives"]["access_path"]
    copy = home.archive / access_path
    size = copy.stat().st_size
    assert stone["derivatives"]["access_bytes"] == size > 100
    copy.write_bytes(copy.read_bytes()[:100])
    result = invoke(home, "--fast")
    assert result.exit_code == 1
    assert result.stdout == f"{access_path}: size 100 bytes, expected {size} (record {stone['id']})\n"
    assert result.stderr.endswith(" files checked by size: 1 problem (1 size mismatch)\n")
    assert last_event(record_of(home, STONE))["detail"] == f"verify --fast: {result.stdout.strip()}"


def test_fast_compares_the_size_of_every_kind_of_file(home: ArchiveHome) -> None:
    stone = record_of(home, STONE)
    hangul = record_of(home, "scans/Могила Ким Шура.png")
    cut = {
        hangul["source"]["caption_path"]: "caption",
        stone["ocr"]["words_path"]: "OCR words",
        stone["derivatives"]["thumbnail_path"]: "thumbnail",
        f"records/{hangul['id'][:2]}/{hangul['id']}.json": "sidecar",
    }
    for relative in cut:
        path = home.archive / relative
        path.write_bytes(path.read_bytes()[:-10])
    report = verify(home.settings(), fast=True, record=False)
    assert sorted(problem.path for problem in report.problems) == sorted(cut)
    kinds = {cut[problem.path]: type(problem) for problem in report.problems}
    # A caption's record holds its hash, not its size; a sidecar whose size is not that of
    # the record's JSON is read (an older version may have written the same record in
    # other bytes), and is found not to be JSON.
    assert kinds == {"caption": Altered, "OCR words": SizeMismatch, "thumbnail": SizeMismatch, "sidecar": Invalid}
    assert report.unsized == []


def test_fast_says_what_it_cannot_check_in_records_filed_before_sizes(home: ArchiveHome) -> None:
    # An archive filed before the derivatives' sizes were recorded: no size in the catalog
    # or in the sidecars (which still hold the same records).
    data = json.loads(home.catalog.read_text(encoding="utf-8"))
    for stored in data["records"].values():
        for key in ("access_bytes", "thumbnail_bytes", "words_bytes"):
            del stored["derivatives"][key]
        sidecar = home.archive / "records" / stored["id"][:2] / f"{stored['id']}.json"
        sidecar.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    home.catalog.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    records = list(data["records"].values())
    copies = sum(1 for r in records if r["derivatives"]["access_path"])
    words = sum(1 for r in records if r["ocr"]["words_path"])
    stone = record_of(home, STONE)
    copy = home.archive / stone["derivatives"]["access_path"]
    copy.write_bytes(copy.read_bytes()[:100])
    result = invoke(home, "--fast", "--no-record")
    assert result.exit_code == 0, result.output  # the cut copy cannot be told by its size
    assert result.stderr.splitlines()[0] == (
        f"note: --fast found {words} OCR words files, {copies} access copies, {copies} thumbnails but could not "
        "check their size: their records were filed before sizes were recorded; verify without --fast checks "
        "them whole"
    )
    assert result.stderr.splitlines()[1].endswith(" files checked by size: all well")
    result = invoke(home, "--no-record")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{stone['derivatives']['access_path']}: invalid: does not decode as a JPEG: ")
