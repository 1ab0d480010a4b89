"""Read-only archives (a backup, a shared mount, another user's archive): every read
command works on an archive this user cannot write and changes nothing in it; `verify`
says in one line that it records nothing; an output folder that cannot be written is one
line and exit 2.

The tests (and CI) run as root, and root writes through file modes, so a `chmod -w` copy
would prove nothing: the console script runs as a subprocess as the user `nobody`
(`setpriv`), in a copy of the session's pipeline-made batch that everyone may read and no
one may write, with a home folder that user can write. The copy has new inodes, so the
search index beside its catalog is stale, as in a real copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive_ingest import catalog as catalog_module
from archive_ingest.catalog.index import cache_index_path
from archive_ingest.cli import cli
from archive_ingest.errors import CatalogLocked
from conftest import ArchiveHome, IngestedBatch

NOBODY = 65534
SCRIPT = Path(sys.executable).with_name("archive-ingest")
STONE = "DSC_0001.jpg"

# The venv's interpreter may live where `nobody` cannot go (pyenv under /root, mode 0700),
# and pytest's temporary folders are 0700 too. CAP_DAC_READ_SEARCH lets `nobody` read and
# traverse any folder but never write (that is CAP_DAC_OVERRIDE, not given), so every write
# these tests are about is still refused; the fixture checks that it is.
AS_NOBODY = [
    "setpriv",
    f"--reuid={NOBODY}",
    f"--regid={NOBODY}",
    "--clear-groups",
    "--inh-caps=+dac_read_search",
    "--ambient-caps=+dac_read_search",
]


def tree(root: Path) -> dict[str, str]:
    """Every folder and file under `root`, files by their SHA-256."""
    found = {}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs:
            found[(base / name).relative_to(root).as_posix() + "/"] = "folder"
        for name in files:
            found[(base / name).relative_to(root).as_posix()] = hashlib.sha256((base / name).read_bytes()).hexdigest()
    return found


def run(cwd: Path, user_home: Path, *args: str, as_nobody: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script, as a user runs it: in the archive's folder, as `nobody` by default."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "LC_ALL": "C.UTF-8",
        "HOME": str(user_home),
        "XDG_CACHE_HOME": str(user_home / ".cache"),
        **env,
    }
    environment = {key: value for key, value in environment.items() if value}
    command = [*AS_NOBODY, str(SCRIPT), *args] if as_nobody else [str(SCRIPT), *args]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


@dataclass
class ReadOnlyCopy:
    home: ArchiveHome
    """The copy of the session batch's archive home: readable by all, writable by none."""
    original: ArchiveHome
    stone_id: str


@pytest.fixture(scope="module")
def readonly(ingested_batch: IngestedBatch, tmp_path_factory: pytest.TempPathFactory) -> ReadOnlyCopy:
    if os.geteuid() != 0:
        pytest.skip("switching to the user nobody needs root (setpriv)")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed: cannot run the CLI as another user")
    home = ArchiveHome(tmp_path_factory.mktemp("readonly") / "home")
    shutil.copytree(ingested_batch.home.root, home.root)
    # Originals and the catalog may be written 0600: readable by everyone, writable by no one.
    for folder, _dirs, files in os.walk(home.root):
        for name in files:
            os.chmod(Path(folder, name), 0o444)
        os.chmod(folder, 0o555)
    probe = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", "import archive_ingest.cli; open('archive/probe', 'w')"],
        cwd=home.root,
        capture_output=True,
        text=True,
    )
    if probe.stderr.startswith("setpriv:"):
        pytest.skip(f"cannot switch to the user nobody here: {probe.stderr.strip()}")
    # The set-up proves something only if the user can run the CLI and cannot write.
    assert probe.returncode == 1 and probe.stderr.rstrip().endswith(
        "PermissionError: [Errno 13] Permission denied: 'archive/probe'"
    ), probe.stderr
    return ReadOnlyCopy(home, ingested_batch.home, ingested_batch.by_name(STONE)["id"])


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    """A home folder `nobody` can write (its cache goes there)."""
    folder = tmp_path / "nobody-home"
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)
    return folder


@pytest.fixture
def unchanged(readonly: ReadOnlyCopy) -> Iterator[None]:
    """Asserts after the test that nothing in the read-only copy changed, byte for byte."""
    before = tree(readonly.home.root)
    yield
    assert tree(readonly.home.root) == before


def cached_index(user_home: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(user_home / ".cache"))
    path = cache_index_path(catalog)
    assert path is not None
    return path


@pytest.mark.usefixtures("unchanged")
def test_search_on_a_read_only_archive_keeps_its_index_in_the_users_cache(
    readonly: ReadOnlyCopy, user_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = run(readonly.original.root, user_home, "search", "Tyon", "--json", as_nobody=False)
    assert expected.returncode == 0, expected.stderr
    assert STONE in [record["source"]["filename"] for record in json.loads(expected.stdout)]

    found = run(readonly.home.root, user_home, "search", "Tyon", "--json")
    assert (found.returncode, found.stdout, found.stderr) == (0, expected.stdout, expected.stderr)
    index = cached_index(user_home, readonly.home.catalog, monkeypatch)
    assert sorted(p.name for p in index.parent.iterdir()) == [index.name]
    assert index.parent.parent.stat().st_mode & 0o777 == 0o700  # the catalog's text, for the user alone
    built = index.stat()

    again = run(readonly.home.root, user_home, "search", "Tyon", "--json")
    assert (again.returncode, again.stdout) == (0, expected.stdout)
    assert (index.stat().st_ino, index.stat().st_mtime_ns) == (built.st_ino, built.st_mtime_ns)  # fresh: reused


@pytest.mark.usefixtures("unchanged")
def test_search_with_no_writable_cache_searches_in_memory(readonly: ReadOnlyCopy, user_home: Path) -> None:
    expected = run(readonly.original.root, user_home, "search", "kind:headstone", "--csv", as_nobody=False)
    found = run(
        readonly.home.root, user_home, "search", "kind:headstone", "--csv", HOME="/nonexistent", XDG_CACHE_HOME=""
    )
    assert (found.returncode, found.stdout, found.stderr) == (0, expected.stdout, expected.stderr)
    assert expected.stdout.count("\n") >= 3  # the header and the headstones


READ_COMMANDS = [
    ["show", "{id}", "--history"],
    ["show", "{id}", "--json"],
    ["export", "--query", "Tyon"],
    ["export", "--format", "csv"],
    ["export", "--format", "dc", "--query", "kind:headstone"],
    ["review"],
    ["review", "show", "{id}"],
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_read_commands_on_a_read_only_archive_say_what_they_say_on_the_original(
    readonly: ReadOnlyCopy, user_home: Path, command: list[str]
) -> None:
    args = [arg.format(id=readonly.stone_id) for arg in command]
    expected = run(readonly.original.root, user_home, *args, as_nobody=False)
    assert expected.returncode == 0, expected.stderr
    got = run(readonly.home.root, user_home, *args)
    # `show` prints where the original is filed: the copy's folder for the original's.
    stdout = got.stdout.replace(str(readonly.home.root), str(readonly.original.root))
    assert (got.returncode, stdout, got.stderr) == (0, expected.stdout, expected.stderr)


@pytest.mark.usefixtures("unchanged")
def test_site_of_a_read_only_archive(readonly: ReadOnlyCopy, user_home: Path) -> None:
    result = run(readonly.home.root, user_home, "site", str(user_home / "site"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1].startswith("wrote ")
    assert (user_home / "site" / "index.html").is_file()
    assert (user_home / "site" / "records" / f"{readonly.stone_id}.html").is_file()


@pytest.mark.usefixtures("unchanged")
def test_verify_on_a_read_only_archive_says_in_one_line_that_it_records_nothing(
    readonly: ReadOnlyCopy, user_home: Path
) -> None:
    catalog, archive = readonly.home.catalog, readonly.home.archive
    note = (
        f"note: {catalog}: cannot write the catalog: {archive} is not writable by this user; "
        "checked without recording fixity check events (as with --no-record)"
    )
    for fast in (["--fast"], []):
        # The original, only read: what the audit of the same files finds.
        expected = run(readonly.original.root, user_home, "verify", "--no-record", *fast, as_nobody=False)
        assert expected.returncode == 0, expected.stderr
        summary = expected.stderr.splitlines()
        assert len(summary) == 1 and summary[0].endswith(": all well")

        result = run(readonly.home.root, user_home, "verify", *fast)
        assert (result.returncode, result.stdout, result.stderr.splitlines()) == (0, "", [note, *summary])
        asked = run(readonly.home.root, user_home, "verify", "--no-record", *fast)
        assert (asked.returncode, asked.stdout, asked.stderr.splitlines()) == (0, "", summary)
    as_json = run(readonly.home.root, user_home, "verify", "--fast", "--json")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["recorded"] is False


@pytest.mark.usefixtures("unchanged")
def test_outputs_that_cannot_be_written_are_one_line_and_exit_2(readonly: ReadOnlyCopy, user_home: Path) -> None:
    root = readonly.home.root
    refused = f"{root} is not writable by this user"
    cases = [
        (["export", "--out", str(root / "x.json")], f"--out {root / 'x.json'}: cannot write it: {refused}"),
        (
            ["export", "--format", "bagit", "--out", str(root / "bag")],
            f"--out {root / 'bag'}: cannot write it: {refused}",
        ),
        (["site", str(root / "site")], f"{root / 'site'}: cannot write the site there: {refused}"),
    ]
    for args, message in cases:
        result = run(root, user_home, *args)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", f"archive-ingest: error: {message}\n")


@pytest.mark.usefixtures("unchanged")
def test_a_review_action_on_a_read_only_archive_is_one_line_and_exit_2(readonly: ReadOnlyCopy, user_home: Path) -> None:
    result = run(readonly.home.root, user_home, "review", "accept", readonly.stone_id)
    message = f"{readonly.home.catalog}: cannot write the catalog: {readonly.home.archive} is not writable by this user"
    assert (result.returncode, result.stderr) == (2, f"archive-ingest: error: {message}\n")


# -- verify --no-record on an archive it could write (in-process, as root) ----------------


def verify(home: ArchiveHome, *args: str) -> Result:
    return CliRunner().invoke(cli, ["verify", *args, "--config", str(home.config)], catch_exceptions=False)


def test_verify_no_record_writes_nothing_and_creates_no_lock(batch_copy: ArchiveHome) -> None:
    for companion in ("catalog.json.lock", "catalog.json.lock.holder"):
        (batch_copy.archive / companion).unlink(missing_ok=True)
    before = tree(batch_copy.root)
    result = verify(batch_copy, "--no-record")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1].endswith(": all well")
    assert tree(batch_copy.root) == before


def test_verify_no_record_waits_for_no_run_and_keeps_runs_out(batch_copy: ArchiveHome) -> None:
    started = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    with catalog_module.writer(batch_copy.catalog, "archive-ingest run", started):
        result = verify(batch_copy, "--no-record")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"archive-ingest: error: {batch_copy.catalog}: the catalog is locked by pid ")
    # While it reads (holding the lock shared), a run cannot start.
    with catalog_module.shared_lock(batch_copy.catalog):
        with pytest.raises(CatalogLocked, match=f"^{batch_copy.catalog}: the catalog is locked by "):
            with catalog_module.writer(batch_copy.catalog, "archive-ingest run", started):
                pass
    with catalog_module.writer(batch_copy.catalog, "archive-ingest run", started):
        pass  # released with the block
