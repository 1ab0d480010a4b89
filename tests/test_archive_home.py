"""Where an archive lives: found from the current folder up, refused where there is none, made by `init`.

Issue 13, items 1 and 12: a mistyped folder must never look like a healthy empty archive
(every command refuses with exit 2 and creates nothing), a command works from any folder
inside an archive, `init` makes a new archive and refuses one that is there already, and
`--inbox` is an option of `run` only.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from archive_ingest.cli import cli
from archive_ingest.config import config_template
from conftest import ArchiveHome, IngestedBatch


def invoke(*args: str) -> Result:
    """The CLI as a user runs it: no --config, in whatever folder the test is in."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def no_archive_here(folder: Path) -> str:
    return (
        f"archive-ingest: error: no archive here: no pipeline.yaml in {folder} or any folder above it; "
        "run archive-ingest init to make one, or pass --config\n"
    )


def snapshot(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every file and folder under `root`: is it a folder, its size, its mtime."""
    return {
        path.relative_to(root).as_posix(): (path.is_dir(), path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
    }


# -- item 1: outside an archive, every command refuses and creates nothing ----------


@pytest.mark.parametrize(
    "command",
    [
        ["search", "Tyon"],
        ["show", "6ee92d55"],
        ["export"],
        ["export", "--format", "csv", "--out", "out.csv"],
        ["site", "site"],
        ["verify"],
        ["verify", "--fast"],
        ["catalog", "rebuild"],
        ["review"],
        ["review", "next"],
        ["review", "accept", "6ee92d55"],
        ["run"],
    ],
    ids=" ".join,
)
def test_outside_an_archive_every_command_refuses_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    wrong = tmp_path / "wrong" / "folder"
    wrong.mkdir(parents=True)
    monkeypatch.chdir(wrong)
    result = invoke(*command)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", no_archive_here(wrong))
    assert list(wrong.iterdir()) == []


def test_run_beside_an_inbox_but_no_pipeline_yaml_refuses_and_moves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not an archive: filing here would start one no other command could find.
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "note.jpg").write_text("not a photo", encoding="utf-8")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "--inbox", "inbox")
    assert (result.exit_code, result.stderr) == (2, no_archive_here(tmp_path))
    assert snapshot(tmp_path) == before


# -- inside an archive, any folder will do ------------------------------------------


def test_read_commands_find_the_archive_from_a_folder_inside_it(
    ingested_batch: IngestedBatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = ingested_batch.home
    stone = ingested_batch.by_name("DSC_0001.jpg")
    monkeypatch.chdir(home.archive / Path(stone["file"]["path"]).parent)  # archive/originals/ab
    found = invoke("search", "Тён", "--json")
    assert found.exit_code == 0, found.stderr
    assert [record["id"] for record in json.loads(found.stdout)] == [stone["id"]]
    shown = invoke("show", stone["id"][:8], "--json")
    assert json.loads(shown.stdout) == stone
    exported = invoke("export")
    assert json.loads(exported.stdout) == ingested_batch.records
    queue = invoke("review", "--json")
    assert queue.stdout == home.invoke("review", "--json", "--config", str(home.config)).stdout


def test_verify_from_a_folder_inside_the_archive(batch_copy: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(batch_copy.inbox)
    result = invoke("verify", "--fast")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"verify: {len(batch_copy.catalog_records())} records, ")


def test_run_from_a_subfolder_files_into_the_archive_above(
    archive_home: ArchiveHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    (archive_home.inbox / "note.jpg").write_text("not a photo", encoding="utf-8")
    notes = archive_home.root / "notes" / "2026"
    notes.mkdir(parents=True)
    monkeypatch.chdir(notes)
    result = invoke("run", "--workers", "1")
    assert result.exit_code == 0, result.stderr
    assert "ingested 0, duplicates 0, quarantined 1, failed 0" in result.stderr
    assert [record["kind"] for record in archive_home.catalog_records()] == ["quarantined"]
    assert archive_home.inbox_files() == []
    assert list(notes.iterdir()) == []


# -- init -------------------------------------------------------------------------


def test_init_makes_an_archive_the_other_commands_find(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "graves/2026")
    new = tmp_path / "graves" / "2026"
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        f"made a new archive in {new}:\n"
        "  pipeline.yaml  the settings, every key commented\n"
        "  inbox/         drop scans and their captions here\n"
        "  archive/       originals, records and the catalog are filed here\n"
        f"next: drop scans into {new / 'inbox'}, then run archive-ingest run in {new} (or a folder in it)\n"
    )
    assert sorted(path.name for path in new.iterdir()) == ["archive", "inbox", "pipeline.yaml"]
    assert (new / "pipeline.yaml").read_text(encoding="utf-8") == config_template()
    assert list((new / "inbox").iterdir()) == list((new / "archive").iterdir()) == []
    # The next step, as printed, works.
    (new / "inbox" / "note.jpg").write_text("not a photo", encoding="utf-8")
    monkeypatch.chdir(new)
    assert invoke("run", "--workers", "1").exit_code == 0
    found = invoke("search", "note", "--json")
    assert [record["kind"] for record in json.loads(found.stdout)] == ["quarantined"]
    assert (new / "archive" / "catalog.json").is_file()


def test_init_without_a_folder_makes_the_archive_here_and_keeps_a_waiting_inbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "scan.jpg").write_bytes(b"scan bytes")
    monkeypatch.chdir(tmp_path)
    result = invoke("init")
    assert result.exit_code == 0, result.stderr
    assert "  inbox/         drop scans and their captions here (was there already; kept)\n" in result.stderr
    assert (tmp_path / "pipeline.yaml").read_text(encoding="utf-8") == config_template()
    assert (tmp_path / "inbox" / "scan.jpg").read_bytes() == b"scan bytes"


@pytest.mark.parametrize("where", ["home", "subfolder of archive"])
def test_init_refuses_a_pipeline_made_archive_and_changes_nothing(
    ingested_batch: IngestedBatch, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    home = ingested_batch.home
    before = snapshot(home.root)
    if where == "home":
        monkeypatch.chdir(home.root)
        result = invoke("init")
        message = f"{home.root} already holds an archive (pipeline.yaml); nothing changed"
    else:
        result = invoke("init", str(home.archive / "new"))
        message = (
            f"{home.archive / 'new'} is inside the archive folder of the archive in {home.root}; nothing changed "
            "(init a folder outside it)"
        )
    assert (result.exit_code, result.stderr) == (2, f"archive-ingest: error: {message}\n")
    assert snapshot(home.root) == before


def test_init_refuses_an_archive_folder_without_its_pipeline_yaml(batch_copy: ArchiveHome) -> None:
    batch_copy.config.unlink()
    before = snapshot(batch_copy.root)
    result = invoke("init", str(batch_copy.root))
    assert (result.exit_code, result.stderr) == (
        2,
        f"archive-ingest: error: {batch_copy.root} already holds an archive (archive/ is not empty); nothing changed\n",
    )
    assert snapshot(batch_copy.root) == before


def test_init_refuses_a_folder_inside_an_archive_inbox(batch_copy: ArchiveHome) -> None:
    # The next run there would ingest the new archive's files.
    inside = batch_copy.inbox / "drop" / "new"
    before = snapshot(batch_copy.root)
    result = invoke("init", str(inside))
    assert (result.exit_code, result.stderr) == (
        2,
        f"archive-ingest: error: {inside} is inside the inbox of the archive in {batch_copy.root}; nothing changed "
        "(init a folder outside it)\n",
    )
    assert snapshot(batch_copy.root) == before


def test_init_that_cannot_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, who may write anywhere: the last step is made to fail, and
    # what was made before it (two folders, pipeline.yaml, inbox/) is removed again.
    mkdir = Path.mkdir

    def mkdir_but_archive(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.name == "archive":
            raise PermissionError(13, "Permission denied", str(self))
        mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir_but_archive)
    new = tmp_path / "new" / "archive-home"
    result = invoke("init", str(new))
    assert (result.exit_code, result.stderr) == (
        2,
        f"archive-ingest: error: {new / 'archive'}: cannot create: Permission denied\n",
    )
    assert list(tmp_path.iterdir()) == []


# -- item 12: --inbox belongs to run alone ------------------------------------------


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[" ".join((*prefix, name))] = command
        if isinstance(command, click.Group):
            found |= _commands(command, (*prefix, name))
    return found


def test_only_run_takes_inbox(ingested_batch: IngestedBatch) -> None:
    takes_inbox = [
        path for path, command in _commands(cli).items() if any("--inbox" in param.opts for param in command.params)
    ]
    assert takes_inbox == ["run"]
    home = ingested_batch.home
    for command in (["search", "Tyon"], ["verify", "--fast"], ["review"]):
        result = home.invoke(*command, "--inbox", str(home.inbox), "--config", str(home.config))
        assert result.exit_code == 2
        assert "Error: No such option '--inbox'." in result.output
        assert "--inbox" not in home.invoke(command[0], "--help").output


def test_what_is_filed_follows_the_umask_of_a_group_sharing_the_archive(make_home: Any) -> None:
    # Issue 13, item 13: files were made 0600 (tempfile's mode for secrets), so a second
    # archivist of the group could not read what the first filed.
    from scanmaker import make_scan

    home = make_home()
    make_scan(home.inbox / "stone.jpg", ["ИВАНОВ", "1920-1945"], caption="Могила Иванова, Вонсан")
    previous = os.umask(0o002)
    try:
        result = home.invoke("run")
        assert result.exit_code == 0, result.stderr
        export = home.invoke("export", "--format", "csv", "--out", str(home.root / "out.csv"))
        assert export.exit_code == 0, export.stderr
    finally:
        os.umask(previous)
    written = [*home.archive.rglob("*"), home.root / "out.csv"]  # the lock too: the next archivist takes it
    kinds = {p.relative_to(home.root).parts[1] if p.parent != home.root else p.name for p in written}
    assert {"catalog.json", "originals", "captions", "derivatives", "records", "out.csv"} <= kinds
    modes = {p.relative_to(home.root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in written}
    assert {path: mode for path, mode in modes.items() if mode not in (0o664, 0o775)} == {}
