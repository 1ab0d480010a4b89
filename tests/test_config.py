"""pipeline.yaml: typed, checked on load, one clear line per problem, nothing moved."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archive_ingest.cli import cli
from archive_ingest.config import config_template, load_settings
from archive_ingest.errors import ConfigError
from conftest import ArchiveHome
from scanmaker import make_scan

REPO = Path(__file__).resolve().parent.parent


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "ocr:\n  min_confidance: 50\n",
            "pipeline.yaml: ocr.min_confidance: unknown key (known keys: engine, line_engine, languages, psm, "
            "extra_psms, timeout_seconds, time_budget_seconds, max_long_edge, survey_language, survey_long_edge, "
            "detect_long_edge, max_lines, sweep, letter_px, min_word_confidence)",
        ),
        ("ocr:\n  psm: many\n", "pipeline.yaml: ocr.psm: expected int, got str"),
        ("ocr:\n  psm: 14\n", "pipeline.yaml: ocr.psm: expected int <= 13"),
        ("ocr:\n  extra_psms: [11, 2]\n", "pipeline.yaml: ocr.extra_psms[1]: expected int >= 3"),
        (
            "ocr:\n  engine: tesseract\n",
            "pipeline.yaml: ocr.engine: invalid enum value 'tesseract' (known values: auto, pytesseract, tesserocr)",
        ),
        (
            "flags:\n  ocr_low_confidence_below: 120\n",
            "pipeline.yaml: flags.ocr_low_confidence_below: expected float <= 100.0",
        ),
        ("stages: fixity\n", "pipeline.yaml: stages: expected list, got str"),
        (
            "stages: [fixity, ocr, stamp, file]\n",
            "pipeline.yaml: stages: unknown stage 'stamp' (known: fixity, identify, similar, exif, ocr, extract, "
            "provenance, flags, access, file)",
        ),
        (
            "stages: [ocr, fixity, file]\n",
            "pipeline.yaml: stages: the first stage must be 'fixity' (hash before anything else)",
        ),
        (
            "stages: [fixity, ocr]\n",
            "pipeline.yaml: stages: the last stage must be 'file' (nothing changes after filing)",
        ),
        (
            "colour: blue\n",
            "pipeline.yaml: colour: unknown key (known keys: paths, stages, discover, pages, identify, similar, ocr, "
            "flags, provenance, access, catalog, places, watch, executor)",
        ),
        ("watch:\n  settle_seconds: 0\n", "pipeline.yaml: watch.settle_seconds: expected float > 0.0"),
        ("watch:\n  poll: maybe\n", "pipeline.yaml: watch.poll: expected bool, got str"),
        ("- just\n- a list\n", "pipeline.yaml: expected a mapping of sections, got list"),
        (
            "discover:\n  extensions: [jpg]\n",
            "pipeline.yaml: discover.extensions: extension 'jpg' must start with a dot",
        ),
        (
            "access:\n  long_edge: 300\n  thumbnail_edge: 400\n",
            "pipeline.yaml: access: thumbnail_edge 400 is larger than long_edge 300",
        ),
        (
            "ocr: [\n",
            "pipeline.yaml: line 2: not valid YAML: expected the node content, but found '<stream end>'",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # the file is named as found: relative to the current folder
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, yaml_text))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("ocr: 5\n", "pipeline.yaml: ocr: expected mapping, got int"),
        ("ocr:\n", "pipeline.yaml: ocr: expected mapping, got null"),  # an empty section is not a default one
        ("ocr:\n  psm: 14\n  bad: 1\n", "pipeline.yaml: ocr.psm: expected int <= 13"),  # the first problem only
        ("- ocr\n- flags\n", "pipeline.yaml: expected a mapping of sections, got list"),
        ("7\n", "pipeline.yaml: expected a mapping of sections, got int"),
    ],
)
def test_a_section_or_file_of_the_wrong_shape_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, yaml_text))
    assert str(caught.value) == message
    assert "\n" not in str(caught.value) and "more problem" not in str(caught.value)


def test_paths_are_relative_to_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, "paths:\n  inbox: drop\n")
    monkeypatch.chdir(REPO)  # somewhere else entirely
    settings = load_settings(config)
    assert settings.paths.inbox == tmp_path / "drop"
    assert settings.paths.archive == tmp_path / "archive"
    assert settings.paths.catalog == tmp_path / "archive" / "catalog.json"


def test_overrides_move_the_catalog_with_the_archive(tmp_path: Path) -> None:
    config = write_config(tmp_path, "")
    (tmp_path / "x").mkdir()  # an inbox given must exist
    settings = load_settings(config, inbox=tmp_path / "x", archive=tmp_path / "elsewhere")
    assert settings.paths.inbox == tmp_path / "x"
    assert settings.paths.catalog == tmp_path / "elsewhere" / "catalog.json"


def test_repository_pipeline_yaml_is_the_defaults(tmp_path: Path) -> None:
    # The shipped file documents every key; it must load and say what the built-ins say.
    shipped = load_settings(REPO / "pipeline.yaml")
    built_in = load_settings(write_config(tmp_path, ""))
    sections = ("stages", "discover", "identify", "similar", "ocr", "flags", "provenance", "access", "catalog")
    for section in (*sections, "places", "watch"):
        assert getattr(shipped, section) == getattr(built_in, section), section
    assert shipped.paths.inbox == REPO / "inbox"
    assert shipped.paths.catalog == REPO / "archive" / "catalog.json"
    # One source: the template `init` writes, shipped in the package, is the repository's file.
    assert (REPO / "pipeline.yaml").read_text(encoding="utf-8") == config_template()


def test_bad_config_stops_the_run_before_anything_moves(archive_home: ArchiveHome) -> None:
    make_scan(archive_home.inbox / "a.jpg", ["ТЕСТ"])
    archive_home.config.write_text("ocr:\n  langauges: [rus]\n", encoding="utf-8")
    result = archive_home.invoke("run")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"archive-ingest: error: {archive_home.config}: ocr.langauges: unknown key (")
    assert archive_home.inbox_files() == ["a.jpg"]
    assert not archive_home.archive.exists()


def test_missing_tesseract_language_stops_the_run(archive_home: ArchiveHome) -> None:
    make_scan(archive_home.inbox / "a.jpg", ["ТЕСТ"])
    archive_home.config.write_text("ocr:\n  languages: [rus, xyz]\n", encoding="utf-8")
    result = archive_home.invoke("run")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "archive-ingest: error: pipeline.yaml: ocr.languages: tesseract has no data for xyz (installed: "
    )
    assert result.stderr.rstrip().endswith("install tesseract-ocr-xyz")
    assert archive_home.inbox_files() == ["a.jpg"]
    assert not (archive_home.archive / "originals").exists()


def test_missing_survey_language_stops_the_run(archive_home: ArchiveHome) -> None:
    archive_home.config.write_text("ocr:\n  survey_language: xyz\n", encoding="utf-8")
    scan = make_scan(archive_home.inbox / "a.jpg", ["ПЕТРОВ"], font_px=24)
    dropped = scan.read_bytes()
    result = archive_home.invoke("run")
    assert result.exit_code == 2
    assert result.stderr.startswith("archive-ingest: error: pipeline.yaml: ocr.survey_language: tesseract has no data")
    assert scan.read_bytes() == dropped and not archive_home.catalog.exists()


def test_an_empty_inbox_checks_no_engine(archive_home: ArchiveHome) -> None:
    """Nothing to read, nothing to check: an empty inbox is done at once, whatever the OCR set-up."""
    archive_home.config.write_text("ocr:\n  survey_language: xyz\n", encoding="utf-8")
    result = archive_home.invoke("run")
    assert result.exit_code == 0
    assert "ingested 0, duplicates 0, quarantined 0, failed 0" in result.stderr


def test_missing_inbox_is_a_usage_error(archive_home: ArchiveHome) -> None:
    archive_home.inbox.rmdir()
    result = archive_home.invoke("run")
    assert result.exit_code == 2
    assert result.stderr == (
        f"archive-ingest: error: paths.inbox: {archive_home.inbox} is not a folder (create it, or pass --inbox)\n"
    )


def test_every_stage_the_config_accepts_is_in_the_registry_in_its_order() -> None:
    from archive_ingest.config import KNOWN_STAGES
    from archive_ingest.ingest.stages.registry import STAGES

    assert tuple(STAGES) == KNOWN_STAGES


# -- messages name the file read and the key (issue 13, item 12) ------------------


def test_an_other_config_is_named_in_its_errors(archive_home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    (archive_home.root / "other.yaml").write_text("ocr:\n  langauges: [rus]\n", encoding="utf-8")
    monkeypatch.chdir(archive_home.root)
    result = archive_home.invoke("search", "Tyon", "--config", "other.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "archive-ingest: error: other.yaml: ocr.langauges: unknown key (known keys: engine, line_engine, languages, "
        "psm, extra_psms, timeout_seconds, time_budget_seconds, max_long_edge, survey_language, survey_long_edge, "
        "detect_long_edge, max_lines, sweep, letter_px, min_word_confidence)\n"
    )


def test_a_config_found_above_is_named_by_its_whole_path(
    archive_home: ArchiveHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive_home.config.write_text("flags:\n  ocr_low_confidence_below: 120\n", encoding="utf-8")
    monkeypatch.chdir(archive_home.inbox)
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"archive-ingest: error: {archive_home.config}: flags.ocr_low_confidence_below: expected float <= 100.0\n"
    )
    assert not archive_home.archive.exists()


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_an_unreadable_gazetteer_names_places_gazetteer(
    batch_copy: ArchiveHome, monkeypatch: pytest.MonkeyPatch, make: str
) -> None:
    gazetteer = batch_copy.root / "my-places.yaml"
    if make == "folder":
        gazetteer.mkdir()
    with batch_copy.config.open("a", encoding="utf-8") as config:
        config.write("places:\n  gazetteer: my-places.yaml\n")
    monkeypatch.chdir(batch_copy.root)
    result = CliRunner().invoke(cli, ["search", "Tyon"])
    assert result.exit_code == 2
    reason = "Is a directory" if make == "folder" else "No such file or directory"
    assert result.stderr == (
        f"archive-ingest: error: pipeline.yaml: places.gazetteer: cannot read {gazetteer}: {reason}\n"
    )


def test_run_with_a_missing_inbox_names_it_and_what_to_do(archive_home: ArchiveHome, tmp_path: Path) -> None:
    nope = tmp_path / "nope"
    result = archive_home.invoke("run", "--inbox", str(nope))
    assert result.exit_code == 2
    assert result.stderr == (
        f"archive-ingest: error: inbox {nope}: no such folder; "
        "name the folder that holds the scans (or make it and drop them in)\n"
    )
    assert "--inbox" not in result.stderr
    assert not nope.exists() and not archive_home.archive.exists()
