"""Review: a catalog made by the pipeline, walked through every review command.

The archive is ingested once per module and copied for each test, so each test starts
from the same pipeline-made state and may change it freely.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive_ingest import catalog as catalog_module
from archive_ingest.catalog import Catalog
from archive_ingest.cli import cli
from archive_ingest.context import RunContext
from archive_ingest.record import FileInfo, Kind, OcrResult, Record, Source, record_id_for
from archive_ingest.stages import extract, flags
from conftest import ArchiveHome, new_home
from scanmaker import ExifSpec, make_scan

STONE = "stone.jpg"  # caption, place from caption, date from EXIF: no flags
BARE = "bare.jpg"  # no caption: no_caption, no_date, unknown_place
BROKEN = "broken.jpg"  # not an image: corrupt


@pytest.fixture(scope="module")
def reviewed_base(tmp_path_factory: pytest.TempPathFactory) -> ArchiveHome:
    home = new_home(tmp_path_factory.mktemp("review") / "home")
    make_scan(
        home.inbox / STONE,
        ["ТЁН ИВАН", "1884-1949"],
        exif=ExifSpec(date_original="2013:01:09 11:50:11"),
        caption="Могила Тён Ивана, Пхеньян.",
    )
    make_scan(home.inbox / BARE, ["КИМ ШУРА", "1938-1947"])
    (home.inbox / BROKEN).write_text("not a picture", encoding="utf-8")
    assert home.invoke("run").exit_code == 0
    return home


@pytest.fixture
def home(reviewed_base: ArchiveHome, tmp_path: Path) -> ArchiveHome:
    copy = ArchiveHome(tmp_path / "home")
    shutil.copytree(reviewed_base.root, copy.root)
    return copy


def record_of(home: ArchiveHome, name: str) -> dict[str, Any]:
    return next(r for r in home.catalog_records() if r["source"]["filename"] == name)


def invoke(home: ArchiveHome, *args: str, input: str | None = None) -> Any:
    command = list(args)
    return CliRunner().invoke(cli, [*command, "--config", str(home.config)], input=input, catch_exceptions=False)


def test_queue_lists_flagged_records_oldest_first_with_reasons(home: ArchiveHome) -> None:
    result = invoke(home, "review")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split("\t")[3] for line in lines] == [BARE, BROKEN]  # discovery order = ingestion order
    bare = lines[0].split("\t")
    assert bare[0] == record_of(home, BARE)["id"]
    assert bare[4] == (
        "no_caption: no caption sidecar or manifest row for this file; "
        "no_date: no date in the manifest, the caption or EXIF; "
        "unknown_place: no gazetteer place found (manifest, caption, inscription; no GPS)"
    )
    assert result.stderr == "2 waiting for review\n"


def test_queue_filters_by_flag_and_prints_json(home: ArchiveHome) -> None:
    result = invoke(home, "review", "--flag", "corrupt", "--json")
    assert [r["source"]["filename"] for r in json.loads(result.stdout)] == [BROKEN]
    assert invoke(home, "review", "--flag", "no_such_flag").exit_code == 2


def test_show_explains_flags_and_names_the_image(home: ArchiveHome) -> None:
    record = record_of(home, BARE)
    result = invoke(home, "review", "show", record["id"][:8])
    assert result.exit_code == 0
    assert f"open: {home.archive / record['file']['path']}" in result.stdout
    assert "flag no_caption: no caption sidecar or manifest row for this file" in result.stdout
    assert "set one with 'review edit ID --set caption=...'" in result.stdout
    assert "КИМ ШУРА" in result.stdout  # the inscription as read, beside the (missing) caption


def test_accept_records_who_when_and_why(home: ArchiveHome) -> None:
    record_id = record_of(home, BROKEN)["id"]
    result = invoke(home, "review", "accept", record_id, "--note", "kept as evidence", "--by", "anna")
    assert result.exit_code == 0
    assert result.stderr == f"{record_id}: accepted by anna\n"
    record = record_of(home, BROKEN)
    assert record["review"]["status"] == "accepted"
    assert (record["review"]["by"], record["review"]["note"]) == ("anna", "kept as evidence")
    event = record["events"][-1]
    assert (event["type"], event["agent"], event["detail"], event["field"]) == (
        "review",
        "anna",
        "accepted: kept as evidence",
        "review",
    )
    assert event["old"]["status"] == "pending" and event["new"]["status"] == "accepted"
    assert [line.split("\t")[3] for line in invoke(home, "review").stdout.splitlines()] == [BARE]


def test_reject_needs_a_note(home: ArchiveHome) -> None:
    record_id = record_of(home, BROKEN)["id"]
    missing = invoke(home, "review", "reject", record_id)
    assert missing.exit_code == 2
    assert "Missing option '--note'" in missing.output
    result = invoke(home, "review", "reject", record_id, "--note", "a text file, not a scan", "--by", "anna")
    assert result.exit_code == 0
    assert record_of(home, BROKEN)["review"]["status"] == "rejected"


def test_edit_validates_and_clears_the_flags_it_resolves(home: ArchiveHome) -> None:
    record_id = record_of(home, BARE)["id"]
    result = invoke(
        home,
        "review",
        "edit",
        record_id,
        "--by",
        "anna",
        "--set",
        "place=청진",
        "--set",
        "date=1978-05",
        "--set",
        "caption=Могила Ким Шуры",
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{record_id}: place: (none) -> Chongjin (cleared unknown_place)",
        f"{record_id}: date: (none) -> 1978-05 (cleared no_date)",
        f"{record_id}: caption: (none) -> Могила Ким Шуры (cleared no_caption)",
    ]
    record = record_of(home, BARE)
    assert record["flags"] == []
    assert record["place"]["name"] == "Chongjin" and record["place"]["source"] == "review"
    assert record["date"] == {"value": "1978-05", "precision": "month", "source": "review"}
    assert record["review"]["status"] == "pending"  # edits fix fields; a decision is still needed
    edits = [e for e in record["events"] if e["type"] == "edit"]
    assert [(e["field"], e["old"], e["agent"]) for e in edits] == [
        ("place", None, "anna"),
        ("date", None, "anna"),
        ("caption", None, "anna"),
    ]


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("place=Atlantis", "place: 'Atlantis' is not in the gazetteer (known: Pyongyang, "),
        ("date=May 1978", "date: 'May 1978' is not a date (use YYYY, YYYY-MM, YYYY-MM-DD or 197x)"),
        ("kind=selfie", "kind: 'selfie' is not one of headstone, monument, ceremony, photo"),
        ("colour=red", "colour: not a field a reviewer can set (fields: caption, credit, kind, place, date, "),
        ("person.1.birth_year=18", "person.1.birth_year: '18' is not a year between 1800 and 2030"),
        ("person.3.name=X", "person.3.name: the record has 1 person(s); use 1 to 2"),
        ("nonsense", "'nonsense': write FIELD=VALUE"),
    ],
)
def test_bad_edits_exit_2_and_change_nothing(home: ArchiveHome, assignment: str, message: str) -> None:
    before = home.catalog.read_bytes()
    result = invoke(home, "review", "edit", record_of(home, BARE)["id"], "--set", "caption=ok", "--set", assignment)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"archive-ingest: error: {message}")
    assert home.catalog.read_bytes() == before


def test_death_before_birth_is_refused(home: ArchiveHome) -> None:
    record_id = record_of(home, BARE)["id"]
    [read] = record_of(home, BARE)["persons"]  # read from the stone by the pipeline
    assert (read["name"], read["birth_year"], read["death_year"], read["source"]) == ("КИМ ШУРА", 1938, 1947, "ocr")
    result = invoke(home, "review", "edit", record_id, "--set", "person.1.death_year=1930")
    assert result.exit_code == 2
    assert result.stderr == "archive-ingest: error: person.1: death year 1930 is before birth year 1938\n"
    ok = invoke(home, "review", "edit", record_id, "--set", "person.birth_year=1937", "--set", "person.1.rank=рядовой")
    assert ok.exit_code == 0
    [person] = record_of(home, BARE)["persons"]
    assert (person["birth_year"], person["death_year"], person["rank"], person["source"]) == (
        1937,
        1947,
        "рядовой",
        "ocr+review",  # read from the stone, corrected by a person
    )
    assert person["sources"] == {"name": "stone", "years": "review", "rank": "review"}
    edit = next(e for e in record_of(home, BARE)["events"] if e.get("field") == "person.1.birth_year")
    assert (edit["old"], edit["new"]) == (1938, 1937)


def test_history_shows_what_the_pipeline_read_and_what_changed(home: ArchiveHome) -> None:
    record_id = record_of(home, STONE)["id"]
    invoke(home, "review", "edit", record_id, "--set", "place=Wonsan", "--by", "anna")
    result = invoke(home, "show", record_id, "--history")
    assert result.exit_code == 0
    assert "edit by anna [success] place: Pyongyang -> Wonsan" in result.stdout
    assert "changed by people (value as the pipeline read it -> now):" in result.stdout
    assert '    place: {"name": "Pyongyang", "name_ko": "평양"' in result.stdout
    assert record_of(home, STONE)["place"]["name"] == "Wonsan"


def test_status_is_searchable(home: ArchiveHome) -> None:
    invoke(home, "review", "accept", record_of(home, BARE)["id"])
    result = invoke(home, "search", "status:accepted", "--json")
    assert [r["source"]["filename"] for r in json.loads(result.stdout)] == [BARE]
    pending = invoke(home, "search", "status:pending flag:corrupt", "--json")
    assert [r["source"]["filename"] for r in json.loads(pending.stdout)] == [BROKEN]


def test_merge_links_records_and_show_lists_the_links(home: ArchiveHome) -> None:
    stone, bare = record_of(home, STONE)["id"], record_of(home, BARE)["id"]
    merged = invoke(home, "review", "merge", bare, stone, "--by", "anna")
    assert (merged.exit_code, merged.stderr) == (0, f"{bare}: merged into {stone}\n")
    bare_record = record_of(home, BARE)
    assert bare_record["links"] == [{"type": "merged_into", "id": stone}]
    assert bare_record["review"]["status"] == "accepted"
    assert bare_record["events"][-1]["detail"] == f"merged into {stone}"
    assert record_of(home, STONE)["links"] == [{"type": "merged_from", "id": bare}]
    assert (home.archive / bare_record["file"]["path"]).exists()  # both files kept
    assert f"  link merged_into: {stone}\n" in invoke(home, "show", bare).stdout
    assert f"  link merged_from: {bare}\n" in invoke(home, "show", stone).stdout
    before = home.catalog_records()
    again = invoke(home, "review", "merge", bare, stone, "--by", "anna")
    assert (again.exit_code, again.stderr) == (0, f"{bare}: already merged into {stone}; nothing changed\n")
    assert home.catalog_records() == before


def test_distinct_twice_is_one_link(home: ArchiveHome) -> None:
    stone, bare = record_of(home, STONE)["id"], record_of(home, BARE)["id"]
    result = invoke(home, "review", "distinct", bare, stone, "--by", "anna")
    assert (result.exit_code, result.stderr) == (0, f"{bare}: distinct from {stone}\n")
    before = home.catalog_records()
    assert record_of(home, BARE)["links"] == [{"type": "distinct_from", "id": stone}]
    assert record_of(home, STONE)["links"] == [{"type": "distinct_from", "id": bare}]
    for first, second in ((bare, stone), (stone, bare)):
        again = invoke(home, "review", "distinct", first, second, "--by", "anna")
        assert (again.exit_code, again.stderr) == (
            0,
            f"{first}: already marked distinct from {second}; nothing changed\n",
        )
    assert home.catalog_records() == before  # no second link, no event
    assert f"  link distinct_from: {stone}\n" in invoke(home, "show", bare).stdout


def _refused(home: ArchiveHome, *args: str) -> str:
    """Run a review command that must be refused: exit 2, one line, the catalog unchanged."""
    before = home.catalog_records()
    result = invoke(home, "review", *args, "--by", "anna")
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert home.catalog_records() == before
    return result.stderr.removeprefix("archive-ingest: error: ").rstrip("\n")


def test_contradicting_links_are_refused(home: ArchiveHome) -> None:
    stone, bare, broken = (record_of(home, name)["id"] for name in (STONE, BARE, BROKEN))
    assert _refused(home, "merge", broken, stone) == (
        f"{broken}: quarantined (the file could not be read safely); a quarantined record is never merged"
    )
    assert _refused(home, "merge", stone, broken).startswith(f"{broken}: quarantined")
    assert invoke(home, "review", "distinct", bare, stone).exit_code == 0
    assert _refused(home, "merge", bare, stone) == (
        f"{bare} and {stone} are marked distinct (different photos): merging {bare} into {stone} "
        "would make them the same photo"
    )
    assert _refused(home, "merge", stone, bare).startswith(f"{stone} and {bare} are marked distinct")


def test_merges_make_no_circle_and_no_distinct_pair(home: ArchiveHome) -> None:
    stone, bare = record_of(home, STONE)["id"], record_of(home, BARE)["id"]
    assert invoke(home, "review", "merge", bare, stone).exit_code == 0
    assert _refused(home, "merge", stone, bare) == (
        f"{bare} is merged into {stone}: merging {stone} into {bare} would make a circle"
    )
    assert record_of(home, STONE)["review"]["status"] != "accepted"  # still waits for its own review
    assert _refused(home, "distinct", bare, stone) == (
        f"{bare} and {stone} are merged (the same photo): they cannot also be distinct"
    )


def test_a_merge_into_a_merged_record_goes_on_to_the_one_it_was_merged_into(batch_copy: ArchiveHome) -> None:
    ids = {record["source"]["filename"]: record["id"] for record in batch_copy.catalog_records()}
    first, second, third = ids["DSC_0003.JPG"], ids["IMG_0002.jpeg"], ids["old scan 1975.TIFF"]
    assert invoke(batch_copy, "review", "merge", second, third).exit_code == 0
    result = invoke(batch_copy, "review", "merge", first, second, "--by", "anna")
    assert (result.exit_code, result.stderr) == (0, f"{first}: merged into {third} ({second} is merged into {third})\n")
    records = {record["id"]: record for record in batch_copy.catalog_records()}
    assert records[first]["links"] == [{"type": "merged_into", "id": third}]
    assert records[third]["links"] == [{"type": "merged_from", "id": second}, {"type": "merged_from", "id": first}]
    assert records[second]["links"] == [{"type": "merged_into", "id": third}]
    assert records[first]["events"][-1]["detail"] == f"merged into {third} (given {second}, which is merged into it)"
    other = ids["scans/Могила Ким Шура.png"]
    assert _refused(batch_copy, "merge", first, other) == (
        f"{first} is already merged into {third}: it cannot be merged into another"
    )
    assert _refused(batch_copy, "merge", third, first).endswith("would make a circle")
    assert invoke(batch_copy, "review", "distinct", other, second).exit_code == 0
    assert _refused(batch_copy, "merge", other, first) == (  # followed to `third`, whose group holds `second`
        f"{other} and {second} are marked distinct (different photos): merging {other} into {third} "
        "would make them the same photo"
    )


def test_interactive_loop_fed_by_stdin(home: ArchiveHome) -> None:
    bare = record_of(home, BARE)["id"]
    answers = "\n".join(["e", "place=Hamhung", "a", "looks right", "r", "not a scan"]) + "\n"
    result = invoke(home, "review", "next", "--by", "anna", input=answers)
    assert result.exit_code == 0, result.output
    assert "-- 1 of 2" in result.stdout and "-- 2 of 2" in result.stdout
    assert f"{bare}: place: (none) -> Hamhung (cleared unknown_place)" in result.stderr
    assert result.stderr.endswith("decided 2; 0 left in this queue\n")
    assert record_of(home, BARE)["review"] == {
        "status": "accepted",
        "by": "anna",
        "at": record_of(home, BARE)["review"]["at"],
        "note": "looks right",
    }
    assert record_of(home, BROKEN)["review"]["status"] == "rejected"
    assert invoke(home, "review").stdout == ""


def test_interactive_loop_skip_and_quit(home: ArchiveHome) -> None:
    result = invoke(home, "review", "next", input="s\nq\n")
    assert result.exit_code == 0
    assert result.stderr.endswith("decided 0; 2 left in this queue\n")
    assert len(invoke(home, "review").stdout.splitlines()) == 2


def test_review_while_a_run_holds_the_lock_exits_3(home: ArchiveHome) -> None:
    with catalog_module.writer(home.catalog, "archive-ingest run", datetime(2026, 11, 26, tzinfo=UTC)):
        result = invoke(home, "review", "accept", record_of(home, BARE)["id"])
    assert result.exit_code == 3
    assert "the catalog is locked by pid" in result.stderr


# -- per-field sources under review (a record read from given OCR text, no tesseract) -----------


def unconfirmed_home(archive_home: ArchiveHome) -> tuple[ArchiveHome, str]:
    """A catalog of one headstone whose stone gave only a name beside the caption's years."""
    ctx = RunContext(settings=archive_home.settings())
    sha = "ab" * 32
    record = Record(
        id=record_id_for(sha),
        kind=Kind.PHOTO,
        source=Source("belov.jpg"),
        file=FileInfo(sha, 1),
        caption="The grave of Semyon Markovich Belov (1911-1946), Wonsan.",
    )
    record.ocr = OcrResult("СЕМЁН", 90.0, ["rus"], "tesseract 5.3.0")
    record = flags.run(extract.run(record, ctx), ctx)
    Catalog(archive_home.catalog).commit([record])
    return archive_home, record.id


def test_a_reviewers_years_rest_on_the_review_and_clear_the_flags(archive_home: ArchiveHome) -> None:
    home, record_id = unconfirmed_home(archive_home)
    before = record_of(home, "belov.jpg")
    assert [f["code"] for f in before["flags"]] == ["no_date", "inscription_unread", "years_unconfirmed"]
    result = invoke(home, "review", "edit", record_id, "--set", "person.1.birth_year=1911", "--by", "anna")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{record_id}: person.1.birth_year: 1911 -> 1911 (cleared inscription_unread, years_unconfirmed)\n"
    )
    [person] = record_of(home, "belov.jpg")["persons"]
    assert (person["source"], person["sources"]) == (
        "caption+ocr+review",
        {"name": "both", "years": "review", "rank": None},
    )
    assert [f["code"] for f in record_of(home, "belov.jpg")["flags"]] == ["no_date"]


def test_other_edits_leave_the_years_source(archive_home: ArchiveHome) -> None:
    home, record_id = unconfirmed_home(archive_home)
    result = invoke(
        home, "review", "edit", record_id, "--set", "person.1.rank=рядовой", "--set", "person.1.name_latin=Belov Semen"
    )
    assert result.exit_code == 0, result.output
    [person] = record_of(home, "belov.jpg")["persons"]
    assert person["sources"] == {"name": "both", "years": "caption", "rank": "review"}
    assert [f["code"] for f in record_of(home, "belov.jpg")["flags"]] == [
        "no_date",
        "inscription_unread",
        "years_unconfirmed",
    ]


def test_a_person_added_by_review_rests_on_the_review(archive_home: ArchiveHome) -> None:
    home, record_id = unconfirmed_home(archive_home)
    result = invoke(
        home, "review", "edit", record_id, "--set", "person.2.name=БЕЛОВА АННА", "--set", "person.2.death_year=1947"
    )
    assert result.exit_code == 0, result.output
    added = record_of(home, "belov.jpg")["persons"][1]
    assert (added["name"], added["death_year"], added["source"], added["sources"]) == (
        "БЕЛОВА АННА",
        1947,
        "review",
        {"name": "review", "years": "review", "rank": None},
    )


def test_show_prints_the_per_field_sources(archive_home: ArchiveHome) -> None:
    home, record_id = unconfirmed_home(archive_home)
    result = invoke(home, "review", "show", record_id)
    assert result.exit_code == 0
    assert (
        "  person.1: Semyon Markovich Belov (Belov Semyon Markovich) 1911-1946 "
        "[caption+ocr; name both, years caption]" in result.stdout
    )
    detail = "Semyon Markovich Belov: birth year 1911 and death year 1946 rest on the caption alone"
    assert f"flag years_unconfirmed: {detail}" in result.stdout
