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
from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.stages import extract, flags
from archive_ingest.record import FileInfo, Kind, OcrResult, Record, Source, record_id_for
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
    edit = ("--set", "place=Wonsan", "--set", "date=1978-05", "--set", "person.1.death_year=1950")
    assert invoke(home, "review", "edit", record_id, *edit, "--by", "anna").exit_code == 0
    assert invoke(home, "review", "edit", record_id, "--set", "place=함흥", "--by", "boris").exit_code == 0
    result = invoke(home, "show", record_id, "--history")
    assert result.exit_code == 0
    assert "edit by anna [success] place: Pyongyang -> Wonsan\n" in result.stdout
    assert "edit by boris [success] place: Wonsan -> Hamhung\n" in result.stdout
    history, changed = result.stdout.split("  changed by people (value as the pipeline read it -> now):\n")
    assert changed == (  # in words: a place by its name, a date by its value; never JSON
        "    place: Pyongyang -> Hamhung\n    date: 2013-01-09 -> 1978-05\n    person.1.death_year: 1949 -> 1950\n"
    )
    assert "{" not in history.split("  history:\n")[1]
    assert record_of(home, STONE)["place"]["name"] == "Hamhung"


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
    assert result.stderr.endswith("decided 2, edited 1; 0 left in this queue\n")
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
    assert result.stderr.endswith("decided 0, edited 0; 2 left in this queue\n")
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
        f"{record_id}: person.1.birth_year: 1911 confirmed (cleared inscription_unread, years_unconfirmed)\n"
    )
    [person] = record_of(home, "belov.jpg")["persons"]
    assert (person["source"], person["sources"]) == (
        "caption+ocr+review",
        {"name": "both", "years": "review", "rank": None},
    )
    assert [f["code"] for f in record_of(home, "belov.jpg")["flags"]] == ["no_date"]
    before = home.catalog.read_bytes()
    again = invoke(home, "review", "edit", record_id, "--set", "person.1.birth_year=1911", "--by", "anna")
    assert (again.exit_code, again.stderr) == (0, f"{record_id}: person.1.birth_year: already 1911; nothing changed\n")
    assert home.catalog.read_bytes() == before


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
    assert (added["name"], added["name_latin"], added["death_year"], added["source"], added["sources"]) == (
        "БЕЛОВА АННА",
        "Belova Anna",  # as the pipeline romanises a name (text/names.latin_form)
        1947,
        "review",
        {"name": "review", "years": "review", "rank": None},
    )
    assert f"{record_id}: person.2.name_latin: (none) -> Belova Anna\n" in result.stderr


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


# -- issue 13, item 9: review details ------------------------------------------------------


def test_queue_on_a_terminal_is_a_table_like_search(home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    # rich takes TTY_COMPATIBLE=1 for a terminal; TERM=dumb keeps escape codes out of the text
    # (and is 80 columns unless both COLUMNS and LINES are set).
    for name, value in (("TTY_COMPATIBLE", "1"), ("TERM", "dumb"), ("COLUMNS", "200"), ("LINES", "50")):
        monkeypatch.setenv(name, value)
    result = invoke(home, "review")
    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert "\t" not in result.stdout
    assert lines[0].split() == ["id", "ingested", "kind", "file", "flags"]
    bare = record_of(home, BARE)
    assert lines[1].split()[:4] == [bare["id"], bare["source"]["ingested_at"], bare["kind"], BARE]
    assert lines[1].endswith("no_caption: no caption sidecar or manifest row for this file")
    flags_column = lines[1].index("no_caption")
    assert lines[2] == " " * flags_column + "no_date: no date in the manifest, the caption or EXIF"  # one flag a line
    assert result.stderr == "2 waiting for review\n"


def test_interactive_loop_ends_well_at_the_end_of_its_input(home: ArchiveHome) -> None:
    result = invoke(home, "review", "next", "--by", "anna", input="e\nplace=Hamhung\ns\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("end of input\ndecided 0, edited 1; 2 left in this queue\n")
    assert record_of(home, BARE)["place"]["name"] == "Hamhung"  # what was done is kept
    cut_short = invoke(home, "review", "next", input="a\n")  # the input ends at the note's prompt
    assert cut_short.exit_code == 0, cut_short.output
    assert cut_short.stderr.endswith("end of input\ndecided 0, edited 0; 2 left in this queue\n")
    assert record_of(home, BARE)["review"]["status"] == "pending"


def test_an_edit_that_changes_nothing_records_nothing(home: ArchiveHome) -> None:
    stone = record_of(home, STONE)
    before = home.catalog.read_bytes()
    result = invoke(home, "review", "edit", stone["id"], "--set", "place=평양", "--set", f"caption={stone['caption']}")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{stone['id']}: place: already Pyongyang; nothing changed\n"
        f"{stone['id']}: caption: already {stone['caption']}; nothing changed\n"
    )
    assert home.catalog.read_bytes() == before  # no event, no write
    twice = invoke(home, "review", "edit", stone["id"], "--set", "place=Wonsan", "--set", "place=Wonsan")
    assert twice.stderr == (
        f"{stone['id']}: place: Pyongyang -> Wonsan\n{stone['id']}: place: already Wonsan; nothing changed\n"
    )
    assert [e["detail"] for e in record_of(home, STONE)["events"] if e["type"] == "edit"] == [
        "place: Pyongyang -> Wonsan"
    ]


def test_an_empty_value_clears_the_field(home: ArchiveHome) -> None:
    stone = record_of(home, STONE)
    assert (stone["review"]["status"], stone["flags"]) == ("not_needed", [])
    result = invoke(home, "review", "edit", stone["id"], "--set", "date=", "--set", "place=", "--set", "caption=")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{stone['id']}: date: 2013-01-09 -> (none) (raised no_date)",
        f"{stone['id']}: place: Pyongyang -> (none) (raised unknown_place)",
        f"{stone['id']}: caption: Могила Тён Ивана, Пхеньян. -> (none) (raised no_caption)",
    ]
    cleared = record_of(home, STONE)
    assert (cleared["date"], cleared["place"], cleared["caption"]) == (None, None, None)
    assert cleared["review"]["status"] == "pending"  # flagged now, so it waits for review
    [person] = cleared["persons"]
    years = invoke(home, "review", "edit", stone["id"], "--set", "person.1.death_year=")
    assert years.exit_code == 0, years.output
    assert years.stderr.startswith(f"{stone['id']}: person.1.death_year: {person['death_year']} -> (none)")
    assert record_of(home, STONE)["persons"][0]["death_year"] is None


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("kind=", "kind: every record has a kind: one of headstone, monument, ceremony, photo"),
        ("credit=", "credit: every record is credited; give the credit line"),
        ("person.1.name=", "person.1.name: a person needs a name (to remove the person: --remove person.N)"),
    ],
)
def test_fields_that_cannot_be_empty_are_refused_empty(home: ArchiveHome, assignment: str, message: str) -> None:
    before = home.catalog.read_bytes()
    result = invoke(home, "review", "edit", record_of(home, STONE)["id"], "--set", assignment)
    assert (result.exit_code, result.stderr) == (2, f"archive-ingest: error: {message}\n")
    assert home.catalog.read_bytes() == before


def test_a_person_can_be_removed(archive_home: ArchiveHome) -> None:
    home, record_id = unconfirmed_home(archive_home)
    result = invoke(
        home, "review", "edit", record_id, "--set", "person.2.name=БЕЛОВА АННА", "--remove", "person.1", "--by", "anna"
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{record_id}: person.2.name: (none) -> БЕЛОВА АННА",
        f"{record_id}: person.2.name_latin: (none) -> Belova Anna",
        f"{record_id}: person.1: removed Semyon Markovich Belov 1911-1946 (cleared years_unconfirmed)",
    ]
    record = record_of(home, "belov.jpg")
    assert [p["name"] for p in record["persons"]] == ["БЕЛОВА АННА"]
    removal = record["events"][-1]
    assert (removal["type"], removal["agent"], removal["field"], removal["new"]) == ("edit", "anna", "person.1", None)
    assert (removal["old"]["name"], removal["old"]["birth_year"], removal["old"]["source"]) == (
        "Semyon Markovich Belov",
        1911,
        "caption+ocr",
    )
    history = invoke(home, "show", record_id, "--history").stdout
    assert history.endswith(  # the added person is person 1 now
        "  changed by people (value as the pipeline read it -> now):\n"
        "    person.1.name: (none) -> БЕЛОВА АННА\n"
        "    person.1.name_latin: (none) -> Belova Anna\n"
        "    person.1: removed Semyon Markovich Belov 1911-1946\n"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("--remove", "person.2"), "--remove person.2: the record has 1 person(s)"),
        (
            ("--remove", "place"),
            "--remove place: only a person can be removed (person.N); to clear a field, --set FIELD=",
        ),
        (
            ("--remove", "person.1", "--set", "person.1.rank=рядовой"),
            "person.1.rank: person.1 is removed by this edit; set no field of it",
        ),
        (("--remove", "person.1", "--set", "place=Atlantis"), "place: 'Atlantis' is not in the gazetteer"),
        (("--set", "person.2.death_year=1947"), "person.2: a person needs a name (--set person.2.name=...)"),
    ],
)
def test_bad_removals_exit_2_and_change_nothing(home: ArchiveHome, edit: tuple[str, ...], message: str) -> None:
    before = home.catalog.read_bytes()
    result = invoke(home, "review", "edit", record_of(home, BARE)["id"], *edit)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"archive-ingest: error: {message}")
    assert home.catalog.read_bytes() == before


def test_a_new_name_gets_its_latin_form_unless_one_was_chosen(home: ArchiveHome) -> None:
    record_id = record_of(home, BARE)["id"]
    assert record_of(home, BARE)["persons"][0]["name_latin"] == "Kim Shura"
    result = invoke(home, "review", "edit", record_id, "--set", "person.1.name=КИМ ШУРИК")
    assert result.stderr.splitlines()[:2] == [
        f"{record_id}: person.1.name: КИМ ШУРА -> КИМ ШУРИК",
        f"{record_id}: person.1.name_latin: Kim Shura -> Kim Shurik",
    ]
    invoke(home, "review", "edit", record_id, "--set", "person.1.name_latin=Kim Alexandr")
    invoke(home, "review", "edit", record_id, "--set", "person.1.name=КИМ АЛЕКСАНДР")
    assert record_of(home, BARE)["persons"][0]["name_latin"] == "Kim Alexandr"  # a reviewer's choice stays
