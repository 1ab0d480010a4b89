"""Flag rules on generated scans: each flag raised where it should be, and only there.

One small batch is ingested per module through the real pipeline; reviewer edits are
checked on a copy of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from archive_ingest.cli import cli
from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.stages import flags
from archive_ingest.record import (
    FieldSource,
    FileInfo,
    FlagCode,
    Kind,
    OcrResult,
    Person,
    PersonSources,
    Record,
    Source,
)
from conftest import ArchiveHome, new_home
from scanmaker import make_scan


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> ArchiveHome:
    home = new_home(tmp_path_factory.mktemp("flags") / "home")
    inbox = home.inbox
    # Caption and stone agree: one merged person, no conflict.
    make_scan(
        inbox / "agree.jpg",
        ["ПЕТРОВ СЕРГЕЙ", "1921-1945"],
        caption="The grave of Sergey Petrov (1921-1945), Pyongyang, 9 May 2019.",
    )
    # The caption says born 1925, the stone 1926.
    make_scan(
        inbox / "conflict.jpg",
        ["СМИРНОВ ПАВЕЛ", "1926-1945"],
        caption="The grave of Pavel Smirnov (1925-1945), Pyongyang, 9 May 2019.",
    )
    # A headstone whose stone is blank to tesseract: the caption alone names the man.
    Image.new("RGB", (500, 400), (120, 120, 120)).save(inbox / "worn.jpg")
    (inbox / "worn.txt").write_text("The grave of Ivan Orlov (1920-1945), Wonsan, 9 May 2019.", encoding="utf-8")
    # A monument with no text read is not an empty headstone.
    Image.new("RGB", (500, 400), (200, 200, 200)).save(inbox / "obelisk.jpg")
    (inbox / "obelisk.txt").write_text("Monument of Liberation, Nampo, 1976.", encoding="utf-8")
    # A year that is not a life span on a stone.
    make_scan(inbox / "odd.jpg", ["КИМ ЛЮБА", "1947-1929"], caption="Могила Ким Любы, Пхеньян, 9 мая 2019 года.")
    assert home.invoke("run").exit_code == 0
    return home


def record_of(home: ArchiveHome, name: str) -> dict[str, Any]:
    return next(r for r in home.catalog_records() if r["source"]["filename"] == name)


def flags_of(home: ArchiveHome, name: str) -> dict[str, str]:
    return {flag["code"]: flag["detail"] for flag in record_of(home, name)["flags"]}


def test_agreeing_caption_and_stone_merge(flagged: ArchiveHome) -> None:
    record = record_of(flagged, "agree.jpg")
    assert record["flags"] == []
    assert record["review"]["status"] == "not_needed"
    [person] = record["persons"]
    assert (person["name"], person["birth_year"], person["death_year"], person["source"]) == (
        "ПЕТРОВ СЕРГЕЙ",
        1921,
        1945,
        "caption+ocr",
    )
    assert person["name_latin"] == "Petrov Sergey"
    assert person["sources"] == {"name": "both", "years": "both", "rank": None}


def test_disagreeing_years_keep_both_readings(flagged: ArchiveHome) -> None:
    record = record_of(flagged, "conflict.jpg")
    assert flags_of(flagged, "conflict.jpg") == {
        "caption_conflict": "birth year: caption 1925, stone 1926 (Smirnov Pavel)",
    }
    assert [(p["source"], p["birth_year"], p["sources"]["years"]) for p in record["persons"]] == [
        ("caption", 1925, "caption"),
        ("ocr", 1926, "stone"),
    ]
    assert record["review"]["status"] == "pending"


def test_unread_stone_is_never_silently_finished(flagged: ArchiveHome) -> None:
    record = record_of(flagged, "worn.jpg")
    assert record["kind"] == "headstone"
    assert flags_of(flagged, "worn.jpg") == {
        "ocr_empty": "tesseract read no text on this headstone",
        "inscription_unread": "no name with a year was read on the stone; "
        "the 1 person(s) named rest on the caption alone",
        "years_unconfirmed": "Ivan Orlov: birth year 1920 and death year 1945 rest on the caption alone",
    }
    assert [(p["name"], p["source"], p["sources"]) for p in record["persons"]] == [
        ("Ivan Orlov", "caption", {"name": "caption", "years": "caption", "rank": None})
    ]


def test_monument_without_text_is_not_flagged_as_unread(flagged: ArchiveHome) -> None:
    assert record_of(flagged, "obelisk.jpg")["kind"] == "monument"
    assert flags_of(flagged, "obelisk.jpg") == {"ocr_empty": "tesseract read no text on this monument"}


def test_years_that_are_no_life_span_are_flagged(flagged: ArchiveHome) -> None:
    found = flags_of(flagged, "odd.jpg")
    assert found["unparsed_years"] == "year-like text on the stone forms no valid life span: '1947-1929'"


def test_editing_the_stone_reading_clears_the_conflict(flagged: ArchiveHome, tmp_path: Path) -> None:
    home = ArchiveHome(tmp_path / "home")
    shutil.copytree(flagged.root, home.root)
    record_id = record_of(home, "conflict.jpg")["id"]
    result = CliRunner().invoke(
        cli, ["review", "edit", record_id, "--set", "person.1.birth_year=1926", "--config", str(home.config)]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{record_id}: person.1.birth_year: 1925 -> 1926 (cleared caption_conflict)\n"
    assert flags_of(home, "conflict.jpg") == {}


# -- the checks on people, on records built here (no OCR) -------------------------------------

B, C, S, R = FieldSource.BOTH, FieldSource.CAPTION, FieldSource.STONE, FieldSource.REVIEW
PERSON_CHECKS = (FlagCode.INSCRIPTION_UNREAD, FlagCode.YEARS_UNCONFIRMED, FlagCode.IMPLAUSIBLE_YEARS)


def headstone(inscription: str, *persons: Person, kind: Kind = Kind.HEADSTONE) -> Record:
    record = Record(id="x", kind=kind, source=Source("a.jpg"), file=FileInfo("0" * 64, 1))
    record.ocr = OcrResult(inscription, 90.0, ["rus"], "tesseract 5.3.0")
    record.persons = list(persons)
    return record


def checked(record: Record, archive_home: ArchiveHome) -> dict[str, str]:
    flags.evaluate(record, RunContext(settings=archive_home.settings()), PERSON_CHECKS)
    return {flag.code: flag.detail for flag in record.flags}


def lapin(source: str, sources: PersonSources, born: int | None = 1912, died: int | None = 1946) -> Person:
    return Person("Lapin Oleg", "Lapin Oleg", born, died, source=source, sources=sources)


def test_a_caption_ocr_entry_whose_years_rest_on_the_caption_is_unread(archive_home: ArchiveHome) -> None:
    record = headstone("ЛАПИН ОЛЕГ", lapin("caption+ocr", PersonSources(B, C, None)))
    assert checked(record, archive_home) == {
        "inscription_unread": "no name with a year was read on the stone; "
        "the 1 person(s) named rest on the caption alone",
        "years_unconfirmed": "Lapin Oleg: birth year 1912 and death year 1946 rest on the caption alone",
    }


@pytest.mark.parametrize("years", [B, S, R])
def test_years_read_on_the_stone_or_by_a_reviewer_raise_nothing(archive_home: ArchiveHome, years: FieldSource) -> None:
    record = headstone("ЛАПИН ОЛЕГ\n1912-1946", lapin("caption+ocr", PersonSources(B, years, None)))
    assert checked(record, archive_home) == {}


def test_years_unconfirmed_is_for_headstones(archive_home: ArchiveHome) -> None:
    record = headstone("", lapin("caption", PersonSources(C, C, None)), kind=Kind.MONUMENT)
    assert checked(record, archive_home) == {}


def test_a_caption_reading_beside_its_own_stone_entry_is_left_to_caption_conflict(archive_home: ArchiveHome) -> None:
    record = headstone(
        "ЛАПИН ОЛЕГ\n1913-1946",
        lapin("caption", PersonSources(C, C, None)),
        Person("ЛАПИН ОЛЕГ", "Lapin Oleg", 1913, 1946, source="ocr", sources=PersonSources(S, S, None)),
    )
    assert checked(record, archive_home) == {}


def test_the_detail_names_only_the_years_the_stone_does_not_give(archive_home: ArchiveHome) -> None:
    record = headstone(
        "НЕИЗВЕСТНЫЙ СОЛДАТ\n1946",
        Person("НЕИЗВЕСТНЫЙ СОЛДАТ", "Unknown Soldier", 1912, 1946, source="caption+ocr", sources=PersonSources(B, C)),
        lapin("caption", PersonSources(C, C, None), 1920, 1950),
    )
    assert checked(record, archive_home) == {
        "years_unconfirmed": "НЕИЗВЕСТНЫЙ СОЛДАТ: birth year 1912 rests on the caption alone; "
        "Lapin Oleg: birth year 1920 and death year 1950 rest on the caption alone",
    }


@pytest.mark.parametrize(
    ("sources", "flagged"),
    [
        (PersonSources(S, S, None), True),
        (PersonSources(B, B, None), True),
        (PersonSources(S, R, None), False),  # a reviewer's reading of the photo is theirs to answer for
        (PersonSources(C, C, None), False),  # a caption's years are not the stone's reading
    ],
)
def test_implausible_years_judge_the_stones_reading(
    archive_home: ArchiveHome, sources: PersonSources, flagged: bool
) -> None:
    record = headstone("ЛАПИН ОЛЕГ\n18 38 - 1946", lapin("ocr", sources, 1838, 1946))
    found = checked(record, archive_home).get("implausible_years")
    assert found == ("the stone reads '18 38 - 1946' for Lapin Oleg: born in 1838, before 1840" if flagged else None)


def test_years_the_stone_shows_but_not_as_this_persons(archive_home: ArchiveHome) -> None:
    # As a record stored before per-field sources reads: `caption+ocr`, years taken as the caption's.
    record = headstone("ЛАПИН ОЛЕГ\n1912-1946", lapin("caption+ocr", PersonSources(B, C, None)))
    assert checked(record, archive_home) == {
        "years_unconfirmed": "Lapin Oleg: birth year 1912 and death year 1946 are not recorded as read on the stone",
    }
