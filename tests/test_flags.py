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


def test_disagreeing_years_keep_both_readings(flagged: ArchiveHome) -> None:
    record = record_of(flagged, "conflict.jpg")
    assert flags_of(flagged, "conflict.jpg") == {
        "caption_conflict": "birth year: caption 1925, stone 1926 (Smirnov Pavel)",
    }
    assert [(p["source"], p["birth_year"]) for p in record["persons"]] == [("caption", 1925), ("ocr", 1926)]
    assert record["review"]["status"] == "pending"


def test_unread_stone_is_never_silently_finished(flagged: ArchiveHome) -> None:
    record = record_of(flagged, "worn.jpg")
    assert record["kind"] == "headstone"
    assert flags_of(flagged, "worn.jpg") == {
        "ocr_empty": "tesseract read no text on this headstone",
        "inscription_unread": "no name with a year was read on the stone; "
        "the 1 person(s) named rest on the caption alone",
    }
    assert [(p["name"], p["source"]) for p in record["persons"]] == [("Ivan Orlov", "caption")]


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
