"""The command line: help, output formats, exit codes, and the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from archive_ingest import catalog as catalog_module
from archive_ingest.cli import cli
from conftest import ArchiveHome, IngestedBatch

COMMANDS = [
    ["init"],
    ["run"],
    ["show"],
    ["search"],
    ["export"],
    ["review"],
    ["review", "show"],
    ["review", "accept"],
    ["review", "reject"],
    ["review", "edit"],
    ["review", "merge"],
    ["review", "distinct"],
    ["review", "next"],
    ["desk"],
    ["verify"],
    ["catalog"],
    ["catalog", "rebuild"],
    ["site"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"archive-ingest {' '.join(command)}" in result.output


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    paths = set()
    for name, command in group.commands.items():
        paths.add(" ".join((*prefix, name)))
        if isinstance(command, click.Group):
            paths |= _command_paths(command, (*prefix, name))
    return paths


def test_every_command_is_listed_in_the_help_test() -> None:
    assert _command_paths(cli) == {" ".join(c) for c in COMMANDS}


def test_show_json_is_the_record_contract(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("DSC_0001.jpg")
    result = ingested_batch.home.invoke("show", record["id"][:8], "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == record


def test_show_text_names_the_file_to_open(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("DSC_0001.jpg")
    result = ingested_batch.home.invoke("show", record["id"])
    assert result.exit_code == 0
    assert str(ingested_batch.home.archive / record["file"]["path"]) in result.stdout
    assert "flag duplicate: same bytes as 'DSC_0001.jpg'" in result.stdout


def test_show_lists_the_people_with_where_each_value_came_from(ingested_batch: IngestedBatch) -> None:
    # Name as carved, Latin form, years, and the sources: the entry's, then each value's.
    stone = ingested_batch.home.invoke("show", ingested_batch.by_name("DSC_0001.jpg")["id"])
    assert "\n  person.1: ТЁН ИВАН (Tyon Ivan) 1884-1949 [ocr; name stone, years stone]\n" in stone.stdout
    unknown = ingested_batch.home.invoke("show", ingested_batch.by_name("IMG_0002.jpeg")["id"])
    assert (
        "\n  person.1: НЕИЗВЕСТНЫЙ СОЛДАТ (Unknown Soldier) ?-1945 [caption+ocr; name both, years stone]\n"
        in unknown.stdout
    )
    monument = ingested_batch.home.invoke("show", ingested_batch.by_name("old scan 1975.TIFF")["id"])
    assert "\n  persons: none named\n" in monument.stdout


def test_show_indents_every_line_of_a_value_under_the_value_column(ingested_batch: IngestedBatch) -> None:
    result = ingested_batch.home.invoke("show", ingested_batch.by_name("old scan 1975.TIFF")["id"])
    assert result.exit_code == 0
    assert (
        "  caption            Памятник Освобождения в Синыйджу.\n"
        "                     Фото 1970-х.\n"
        "  inscription        ВЕЧНАЯ СЛАВА\n"
        "                     1945\n"
        "  ocr confidence     "
    ) in result.stdout


def test_show_unknown_id_exits_2(ingested_batch: IngestedBatch) -> None:
    result = ingested_batch.home.invoke("show", "ffffffffffffffff")
    assert result.exit_code == 2
    assert result.stderr == (
        f"archive-ingest: error: ffffffffffffffff: no such record in {ingested_batch.home.catalog}\n"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("тён", ["DSC_0001.jpg"]),  # caption has Тён; ё folded
        ("ТЕН ИВАН", ["DSC_0001.jpg"]),  # inscription as read (ё read as е)
        ("ВОНСАН", ["scans/Могила Ким Шура.png"]),  # caption (cp1251), any case
        ("ким шура", ["scans/Могила Ким Шура.png"]),  # file name and inscription
        ("hamhung", ["IMG_0002.jpeg"]),
        ("0003", ["DSC_0003.JPG"]),  # file name; "_" separates words
        ("ИВАН", ["DSC_0001.jpg"]),  # a word start; it may end inside a word ("Ивана")
        ("ван", []),  # not from inside a word (Иван, Ивана)
        ("no such words", []),
    ],
)
def test_search_json(ingested_batch: IngestedBatch, query: str, expected: list[str]) -> None:
    result = ingested_batch.home.invoke("search", query, "--json")
    assert result.exit_code == 0
    assert [r["source"]["filename"] for r in json.loads(result.stdout)] == expected


def test_search_lines_when_piped(ingested_batch: IngestedBatch) -> None:
    # Not a terminal: one tab-separated line per record, for grep and cut; the fifth
    # column says where the words matched (persons' names are searched too).
    result = ingested_batch.home.invoke("search", "Тён")
    assert result.exit_code == 0
    record = ingested_batch.by_name("DSC_0001.jpg")
    assert result.stdout == (
        f"{record['id']}\theadstone\tChongjin\tDSC_0001.jpg\tname, caption, inscription\t"
        "Могила Тён Ивана на советском воинском кладбище в Чхонджине.\n"
    )
    assert result.stderr == "1 record\n"


def test_export_json_is_every_record(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    result = ingested_batch.home.invoke("export", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == ingested_batch.records
    out = tmp_path / "export.json"
    result = ingested_batch.home.invoke("export", "--out", str(out))
    assert json.loads(out.read_text(encoding="utf-8")) == ingested_batch.records
    assert result.stderr == f"wrote {len(ingested_batch.records)} records to {out}\n"


def test_run_while_locked_exits_3_and_moves_nothing(archive_home: ArchiveHome) -> None:
    (archive_home.inbox / "a.jpg").write_bytes(b"whatever")
    started = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    with catalog_module.writer(archive_home.catalog, "archive-ingest run", started):
        result = archive_home.invoke("run")
    assert result.exit_code == 3
    assert result.stderr == (
        f"archive-ingest: error: {archive_home.catalog}: the catalog is locked by pid {os.getpid()} "
        "(archive-ingest run, started 2026-11-26T09:30:00+00:00)\n"
    )
    assert archive_home.inbox_files() == ["a.jpg"]


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["run", "--inbxo", "x"])
    assert result.exit_code == 2
    assert "Error: No such option '--inbxo'. Did you mean '--inbox'?" in result.output


def test_console_script_end_to_end(archive_home: ArchiveHome) -> None:
    # The installed entry point, as a user runs it: a subprocess in the archive's folder.
    script = Path(sys.executable).with_name("archive-ingest")
    (archive_home.inbox / "note.jpg").write_text("not a photo", encoding="utf-8")
    run = subprocess.run([script, "run"], cwd=archive_home.root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "ingested 0, duplicates 0, quarantined 1, failed 0" in run.stderr
    search = subprocess.run(
        [script, "search", "note", "--json"],
        cwd=archive_home.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert [r["kind"] for r in json.loads(search.stdout)] == ["quarantined"]
    bad = subprocess.run([script, "show", "0"], cwd=archive_home.root, capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("archive-ingest: error: 0: ")


def test_version_and_help_import_only_the_commands_definitions() -> None:
    # Issue 13, item 14: `--version` and `--help` took 0.45 s, nearly all of it imports
    # (the settings, rich, the catalog and review for every command). Each command now
    # imports what it needs when it runs; here nothing heavy may be loaded for --help.
    heavy = ("archive_ingest.config", "archive_ingest.catalog", "archive_ingest.review", "rich", "msgspec", "yaml")
    code = (
        "import sys; from click.testing import CliRunner; from archive_ingest.cli import cli; "
        "[CliRunner().invoke(cli, args) for args in (['--version'], ['--help'], ['search', '--help'], "
        "['review', '--help'], ['review', 'edit', '--help'])]; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
