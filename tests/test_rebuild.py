"""Catalog safety: record sidecars, `catalog rebuild`, backups, and a corrupt catalog refused.

The end-to-end tests copy the session's ingested batch (a pipeline-made archive) and
lose or break its catalog for real; the catalog-level tests use a few records by hand.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archive_ingest import catalog as catalog_module
from archive_ingest.catalog import AtomicJSONStorage, Catalog
from archive_ingest.catalog import index as search_index
from archive_ingest.cli import cli
from archive_ingest.cli import maintain as cli_maintain
from archive_ingest.errors import CatalogError
from archive_ingest.record import FileInfo, Kind, Record, Source, record_id_for
from conftest import ArchiveHome, IngestedBatch

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def home(batch_copy: ArchiveHome) -> ArchiveHome:
    return batch_copy


def invoke(home: ArchiveHome, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--config", str(home.config)], catch_exceptions=False)


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in records}


def sidecar_of(home: ArchiveHome, record_id: str) -> Path:
    return home.archive / "records" / record_id[:2] / f"{record_id}.json"


def make_record(n: int, caption: str = "Тён Иван, 전, Chongjin") -> Record:
    sha = f"{n:016x}" + "0" * 48
    return Record(
        id=record_id_for(sha),
        kind=Kind.HEADSTONE,
        source=Source(filename=f"scan {n}.jpg", ingested_at=f"2026-11-26T10:00:{n:02d}Z"),
        file=FileInfo(sha256=sha, bytes=n),
        caption=caption,
    )


def read_sidecar(sidecar_dir: Path, record: Record) -> Any:
    return json.loads(catalog_module.sidecar_path(sidecar_dir, record.id).read_text(encoding="utf-8"))


# -- sidecars ---------------------------------------------------------------------


def test_every_pipeline_record_has_its_sidecar(ingested_batch: IngestedBatch) -> None:
    home = ingested_batch.home
    for record in ingested_batch.records:
        assert json.loads(sidecar_of(home, record["id"]).read_text(encoding="utf-8")) == record
    sidecars = sorted(p.stem for p in (home.archive / "records").rglob("*.json"))
    assert sidecars == sorted(r["id"] for r in ingested_batch.records)


def test_every_commit_writes_sidecars_first_on_both_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "archive" / "catalog.json"
    sidecars = tmp_path / "archive" / "records"  # the writer's default: beside the catalog
    one, two = make_record(1), make_record(2)
    with catalog_module.writer(path, "test", NOW) as catalog:
        catalog.commit([one, two])  # no search index yet: the TinyDB path
    assert read_sidecar(sidecars, one) == one.to_json()
    assert catalog_module.sidecar_path(sidecars, two.id) == sidecars / two.id[:2] / f"{two.id}.json"

    search_index.rebuild(path)  # a fresh index knows every record's place: the next commit splices
    spliced: list[bool] = []
    splice = AtomicJSONStorage.splice

    def spy(self: AtomicJSONStorage, *args: Any) -> bool:
        spliced.append(splice(self, *args))
        return spliced[-1]

    monkeypatch.setattr(AtomicJSONStorage, "splice", spy)
    one.caption, three = "Ким Шура", make_record(3)
    with catalog_module.writer(path, "test", NOW) as catalog:
        catalog.commit([one, three])
    assert spliced == [True]
    assert read_sidecar(sidecars, one)["caption"] == "Ким Шура"
    assert read_sidecar(sidecars, three) == three.to_json()
    assert [r.to_json() for r in Catalog(path).all()] == [one.to_json(), two.to_json(), three.to_json()]
    assert not [p for p in sidecars.rglob("*") if p.name.endswith(".tmp")]


def test_a_catalog_opened_without_a_sidecar_folder_writes_none(tmp_path: Path) -> None:
    Catalog(tmp_path / "catalog.json").commit([make_record(1)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json"]


def test_a_sidecar_that_cannot_be_written_stops_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    with catalog_module.writer(path, "test", NOW) as catalog:
        catalog.commit([make_record(1)])
    before = path.read_bytes()
    blocker = catalog_module.sidecar_path(tmp_path / "records", make_record(2).id).parent
    shutil.rmtree(blocker)
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(OSError), catalog_module.writer(path, "test", NOW) as catalog:
        catalog.commit([make_record(2)])
    assert path.read_bytes() == before


# -- rebuild ----------------------------------------------------------------------


def test_rebuild_after_the_catalog_is_deleted_gives_the_same_records(home: ArchiveHome) -> None:
    original = home.catalog_records()
    home.catalog.unlink()
    result = invoke(home, "catalog", "rebuild")
    assert result.exit_code == 0
    assert result.stderr == f"rebuilt {home.catalog}: {len(original)} records ({len(original)} from sidecars)\n"
    rebuilt = home.catalog_records()
    assert by_id(rebuilt) == by_id(original)
    assert [r["source"]["ingested_at"] for r in rebuilt] == sorted(r["source"]["ingested_at"] for r in original)
    # The catalog works again: searched (the index notices the new file) and shown.
    found = invoke(home, "search", "Тён", "--json")
    assert [r["source"]["filename"] for r in json.loads(found.stdout)] == ["DSC_0001.jpg"]
    assert invoke(home, "show", original[0]["id"], "--json").exit_code == 0


def test_rebuild_after_the_catalog_is_truncated_keeps_the_broken_one(home: ArchiveHome) -> None:
    original = home.catalog_records()
    broken = home.catalog.read_bytes()[: home.catalog.stat().st_size // 2]
    home.catalog.write_bytes(broken)
    result = invoke(home, "catalog", "rebuild")
    assert result.exit_code == 0
    assert result.stderr.startswith(f"rebuilt {home.catalog}: {len(original)} records ({len(original)} from sidecars);")
    assert "; the old catalog (unreadable: the catalog is not valid JSON: " in result.stderr
    assert result.stderr.endswith(") is kept as catalog.json.bak.before-rebuild\n")
    assert (home.archive / "catalog.json.bak.before-rebuild").read_bytes() == broken
    assert by_id(home.catalog_records()) == by_id(original)


def test_bad_sidecars_are_reported_with_their_path_and_skipped(home: ArchiveHome) -> None:
    original = by_id(home.catalog_records())
    first, second, third = list(original)[:3]
    not_json, not_record = sidecar_of(home, first), sidecar_of(home, second)
    not_json.write_text('{"id": "trunc', encoding="utf-8")
    not_record.write_text('{"kind": "headstone"}', encoding="utf-8")
    misplaced = home.archive / "records" / "zz" / "copy.json"
    misplaced.parent.mkdir()
    shutil.copyfile(sidecar_of(home, third), misplaced)
    home.catalog.unlink()
    result = invoke(home, "catalog", "rebuild")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    warnings = {line.split(": ")[1]: line for line in lines[:3]}  # by path
    assert warnings[str(not_json)].startswith(f"warning: {not_json}: not valid JSON: ")
    assert warnings[str(not_json)].endswith("; skipped")
    assert warnings[str(not_record)] == f"warning: {not_record}: not a record: the field 'id' is missing; skipped"
    assert warnings[str(misplaced)] == (
        f"warning: {misplaced}: holds record {third}, which belongs in another file; skipped"
    )
    kept = len(original) - 2
    assert lines[3] == f"rebuilt {home.catalog}: {kept} records ({kept} from sidecars); 3 bad sidecars skipped"
    del original[first], original[second]
    assert by_id(home.catalog_records()) == original


def test_records_of_a_readable_catalog_without_a_sidecar_are_kept(home: ArchiveHome) -> None:
    original = home.catalog_records()
    lost = sidecar_of(home, original[0]["id"])
    lost.unlink()
    result = invoke(home, "catalog", "rebuild", "--force")  # the catalog is healthy
    assert result.exit_code == 0
    n = len(original)
    assert result.stderr == (
        f"rebuilt {home.catalog}: {n} records ({n - 1} from sidecars, 1 kept from the old catalog); "
        "the old catalog (readable) is kept as catalog.json.bak.before-rebuild\n"
    )
    assert by_id(home.catalog_records()) == by_id(original)
    assert json.loads(lost.read_text(encoding="utf-8")) == original[0]


def test_a_healthy_catalog_is_rebuilt_only_with_force(home: ArchiveHome) -> None:
    # Issue 13 item 13: a rebuild replaced a good catalog without a word.
    before = home.catalog.read_bytes()
    n = len(home.catalog_records())
    result = invoke(home, "catalog", "rebuild")  # not on a terminal: nobody to ask
    assert result.exit_code == 2
    assert result.stderr == (
        f"archive-ingest: error: {home.catalog}: the catalog is healthy ({n} records, every one readable); "
        "a rebuild replaces it with one made from the record sidecars; pass --force to rebuild it anyway\n"
    )
    assert home.catalog.read_bytes() == before
    assert not (home.archive / "catalog.json.bak.before-rebuild").exists()
    result = invoke(home, "catalog", "rebuild", "--force")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith("the old catalog (readable) is kept as catalog.json.bak.before-rebuild\n")
    assert (home.archive / "catalog.json.bak.before-rebuild").read_bytes() == before


def test_on_a_terminal_a_rebuild_of_a_healthy_catalog_asks(home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_maintain, "_on_a_terminal", lambda: True)
    before = home.catalog.read_bytes()
    n = len(home.catalog_records())
    question = (
        f"{home.catalog}: the catalog is healthy ({n} records, every one readable); "
        "a rebuild replaces it with one made from the record sidecars\nRebuild it anyway? [y/N]: "
    )
    declined = CliRunner().invoke(cli, ["catalog", "rebuild", "--config", str(home.config)], input="\n")
    assert declined.exit_code == 0
    assert declined.stderr == f"{question}\ncatalog rebuild: nothing changed\n"
    assert home.catalog.read_bytes() == before
    accepted = CliRunner().invoke(cli, ["catalog", "rebuild", "--config", str(home.config)], input="y\n")
    assert accepted.exit_code == 0
    assert accepted.stderr.startswith(f"{question}y\nrebuilt {home.catalog}: {n} records")
    assert (home.archive / "catalog.json.bak.before-rebuild").read_bytes() == before
    # A catalog that needs the rebuild is rebuilt without a question.
    home.catalog.write_bytes(b"")
    result = CliRunner().invoke(cli, ["catalog", "rebuild", "--config", str(home.config)], input="")
    assert result.exit_code == 0
    assert result.stderr.startswith(f"rebuilt {home.catalog}: {n} records")


def test_a_rebuild_never_overwrites_an_earlier_rebuilds_copy(home: ArchiveHome) -> None:
    broken = home.catalog.read_bytes()[:100]
    home.catalog.write_bytes(broken)
    assert invoke(home, "catalog", "rebuild").exit_code == 0
    first = home.catalog.read_bytes()
    home.catalog.write_bytes(b"{not json")
    result = invoke(home, "catalog", "rebuild")
    assert result.exit_code == 0
    assert result.stderr.endswith(
        "is kept as catalog.json.bak.before-rebuild.1 (1 copy kept by an earlier rebuild stays as it was)\n"
    )
    assert (home.archive / "catalog.json.bak.before-rebuild").read_bytes() == broken
    assert (home.archive / "catalog.json.bak.before-rebuild.1").read_bytes() == b"{not json"
    assert invoke(home, "catalog", "rebuild", "--force").exit_code == 0
    assert (home.archive / "catalog.json.bak.before-rebuild.2").read_bytes() == first
    assert invoke(home, "verify").exit_code == 0  # the copies are the catalog's companions, not unexpected


def test_rebuild_while_a_run_holds_the_lock_exits_3(home: ArchiveHome) -> None:
    before = home.catalog.read_bytes()
    with catalog_module.writer(home.catalog, "archive-ingest run", NOW):
        result = invoke(home, "catalog", "rebuild")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"archive-ingest: error: {home.catalog}: the catalog is locked by pid ")
    assert home.catalog.read_bytes() == before


def test_catalog_rebuild_has_help_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["catalog", "rebuild", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "archive-ingest catalog rebuild" in result.output


# -- backups and a broken catalog -------------------------------------------------


def test_a_run_keeps_the_previous_catalog_as_bak(home: ArchiveHome) -> None:
    before = home.catalog.read_bytes()
    (home.inbox / "note.jpg").write_text("not a photo", encoding="utf-8")
    result = invoke(home, "run")
    assert result.exit_code == 0, result.stderr
    assert (home.archive / "catalog.json.bak").read_bytes() == before
    assert home.catalog.read_bytes() != before


def test_backups_rotate_three_and_an_unchanged_catalog_does_not_rotate(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    assert catalog_module.back_up(path) is None  # no catalog yet: nothing to keep
    states = []
    for n in range(1, 5):
        with catalog_module.writer(path, "archive-ingest run", NOW, backups=catalog_module.BACKUP_COUNT) as catalog:
            catalog.commit([make_record(n)])
        states.append(path.read_bytes())
    # Four runs: the first found no catalog; the others each kept the one before them.
    assert [catalog_module.backup_path(path, n).read_bytes() for n in range(3)] == states[2::-1]
    with catalog_module.writer(path, "archive-ingest run", NOW, backups=catalog_module.BACKUP_COUNT):
        pass  # this run keeps the current catalog as .bak and shifts the others
    assert [catalog_module.backup_path(path, n).read_bytes() for n in range(3)] == states[:0:-1]
    with catalog_module.writer(path, "archive-ingest run", NOW, backups=catalog_module.BACKUP_COUNT):
        pass  # nothing changed since: .bak already holds these bytes, nothing shifts
    assert [catalog_module.backup_path(path, n).read_bytes() for n in range(3)] == states[:0:-1]
    assert not catalog_module.backup_path(path, 3).exists()
    with catalog_module.writer(path, "archive-ingest review (ann)", NOW) as catalog:
        catalog.commit([make_record(9)])  # a review action keeps no backup
    assert catalog_module.backup_path(path).read_bytes() == states[3]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_run_against_a_broken_catalog_is_refused_and_touches_nothing(home: ArchiveHome, damage: str) -> None:
    catalog_module.back_up(home.catalog)  # as a run before this one would have left it
    raw = home.catalog.read_bytes()
    broken = raw[: len(raw) // 2] if damage == "truncated" else b""
    home.catalog.write_bytes(broken)
    (home.inbox / "note.jpg").write_text("not a photo", encoding="utf-8")
    inbox = {p: p.read_bytes() for p in home.inbox.rglob("*") if p.is_file()}
    archive = sorted(p for p in home.archive.rglob("*"))
    result = invoke(home, "run")
    assert result.exit_code == 1
    way_out = (
        "it was left untouched; rebuild it from the record sidecars with `archive-ingest catalog rebuild`, "
        "or restore catalog.json.bak"
    )
    if damage == "truncated":
        assert result.stderr.startswith(f"archive-ingest: error: {home.catalog}: the catalog is not valid JSON: ")
        assert result.stderr.endswith(f"; {way_out}\n")
    else:
        assert result.stderr == f"archive-ingest: error: {home.catalog}: the catalog is empty (truncated?); {way_out}\n"
    assert home.catalog.read_bytes() == broken
    assert {p: p.read_bytes() for p in home.inbox.rglob("*") if p.is_file()} == inbox
    assert sorted(p for p in home.archive.rglob("*")) == archive  # no backup of a broken catalog, no filing
    assert (home.archive / "catalog.json.bak").read_bytes() == raw


def test_readers_refuse_an_empty_catalog_too(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_bytes(b"")
    with pytest.raises(CatalogError) as caught:
        catalog_module.reader(path).all()
    assert str(caught.value) == (
        f"{path}: the catalog is empty (truncated?); it was left untouched; "
        "rebuild it from the record sidecars with `archive-ingest catalog rebuild`"
    )
