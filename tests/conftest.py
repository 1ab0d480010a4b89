"""Shared fixtures: a fresh archive home per test, and one ingested batch per session.

OCR is the slow part (about a second per image here), so the end-to-end batch with every
kind of good and bad file is drawn and ingested once per session (`ingested_batch`);
tests then read its catalog, archive and inbox. Tests that change an archive make their
own with `archive_home`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archive_ingest.cli import cli
from archive_ingest.config import Settings, load_settings
from scanmaker import ExifSpec, make_bomb_png, make_scan, truncate


@dataclass
class ArchiveHome:
    """A folder with a pipeline.yaml, an inbox and an archive, like a user's."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def config(self) -> Path:
        return self.root / "pipeline.yaml"

    @property
    def catalog(self) -> Path:
        return self.archive / "catalog.json"

    def settings(self) -> Settings:
        return load_settings(self.config)

    def invoke(self, *args: str) -> Result:
        """Run the real CLI in-process with this home's config."""
        runner = CliRunner()
        command = list(args)
        if command and command[0] in {"run", "show", "search", "export"} and "--config" not in command:
            command[1:1] = ["--config", str(self.config)]
        return runner.invoke(cli, command, catch_exceptions=False)

    def catalog_records(self) -> list[dict[str, Any]]:
        data = json.loads(self.catalog.read_text(encoding="utf-8"))
        return list(data["records"].values())

    def inbox_files(self) -> list[str]:
        return sorted(p.relative_to(self.inbox).as_posix() for p in self.inbox.rglob("*") if p.is_file())


def new_home(root: Path, extra_yaml: str = "") -> ArchiveHome:
    root.mkdir(parents=True, exist_ok=True)
    (root / "inbox").mkdir(exist_ok=True)
    (root / "pipeline.yaml").write_text(
        "paths:\n  inbox: inbox\n  archive: archive\n  catalog: archive/catalog.json\n" + extra_yaml,
        encoding="utf-8",
    )
    return ArchiveHome(root)


@pytest.fixture
def archive_home(tmp_path: Path) -> ArchiveHome:
    return new_home(tmp_path / "home")


# -- the session batch: one of everything -----------------------------------------

HEADSTONE_EXIF = ExifSpec(
    date_original="2013:01:09 11:50:11",
    make="Canon",
    model="Canon EOS 80D",
    artist="Embassy photographer",
    gps=(41.7956, 129.7758),  # Chongjin
    orientation=6,
)


def draw_batch(inbox: Path) -> dict[str, Path]:
    """Every case the foundation promises to handle, drawn fresh. Returns name -> path."""
    files: dict[str, Path] = {}
    files["stone"] = make_scan(
        inbox / "DSC_0001.jpg",
        ["ТЁН ИВАН", "1884-1949"],
        exif=HEADSTONE_EXIF,
        caption="Могила Тён Ивана на советском воинском кладбище в Чхонджине.\n",
    )
    files["hangul"] = make_scan(
        inbox / "scans" / "Могила Ким Шура.png",
        ["КИМ ШУРА", "김 슈라", "1938-1947"],
        font_px=80,
        caption="Могила Ким Шуры, Вонсан",
        caption_encoding="cp1251",
    )
    files["tiff"] = make_scan(
        inbox / "old scan 1975.TIFF",
        ["ВЕЧНАЯ СЛАВА", "1945"],
        caption="Памятник Освобождения в Синыйджу.\r\nФото 1970-х.\r\n",
        caption_encoding="utf-8-sig",
    )
    files["manifest_image"] = make_scan(inbox / "IMG_0002.jpeg", ["НЕИЗВЕСТНЫЙ СОЛДАТ", "1945"])
    (inbox / "captions.csv").write_text(
        "file,caption,place,date,credit\n"
        'IMG_0002.jpeg,"Unknown soldier, Hamhung cemetery",Hamhung,1978-05,Koryo Tours archive\n'
        "../../etc/passwd,escape attempt,,,\n",
        encoding="utf-8",
    )
    files["no_caption"] = make_scan(inbox / "DSC_0003.JPG", ["ПЕТРОВ СЕРГЕЙ", "1921-1945"])
    files["duplicate"] = inbox / "DSC_0001 (1).jpg"
    shutil.copyfile(files["stone"], files["duplicate"])
    (inbox / "DSC_0001 (1).txt").write_text("Тён Иван, Chongjin (a second copy)", encoding="utf-8")
    files["truncated"] = truncate(make_scan(inbox / "broken.jpg", ["ОБРЕЗАННЫЙ", "1950"]))
    files["zero"] = inbox / "empty.jpg"
    files["zero"].write_bytes(b"")
    files["text_as_jpg"] = inbox / "notes.jpg"
    files["text_as_jpg"].write_text("this is not a picture\n", encoding="utf-8")
    files["bomb"] = make_bomb_png(inbox / "bomb.png")
    files["orphan"] = inbox / "lonely.txt"
    files["orphan"].write_text("a caption whose photo never came", encoding="utf-8")
    return files


@dataclass
class IngestedBatch:
    home: ArchiveHome
    files: dict[str, Path]
    originals: dict[str, bytes]
    result: Result
    records: list[dict[str, Any]]

    def by_name(self, name: str) -> dict[str, Any]:
        for record in self.records:
            if record["source"]["filename"] == name:
                return record
        raise KeyError(name)


@pytest.fixture(scope="session")
def ingested_batch(tmp_path_factory: pytest.TempPathFactory) -> IngestedBatch:
    home = new_home(tmp_path_factory.mktemp("batch") / "home")
    files = draw_batch(home.inbox)
    originals = {key: path.read_bytes() for key, path in files.items()}
    result = home.invoke("run")
    return IngestedBatch(home, files, originals, result, home.catalog_records())


@pytest.fixture
def batch_copy(ingested_batch: IngestedBatch, tmp_path: Path) -> ArchiveHome:
    """A copy of the session batch's archive home, for a test that changes it."""
    copy = ArchiveHome(tmp_path / "batch-copy")
    shutil.copytree(ingested_batch.home.root, copy.root)
    return copy


@pytest.fixture
def make_home(tmp_path: Path) -> Callable[..., ArchiveHome]:
    def factory(name: str = "home", extra_yaml: str = "") -> ArchiveHome:
        return new_home(tmp_path / name, extra_yaml)

    return factory


# -- the demo archive: the bundled samples, ingested once per session ----------------------

SAMPLES_INBOX = Path(__file__).resolve().parents[1] / "samples" / "inbox"


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> ArchiveHome:
    """The archive `scripts/demo.sh` makes: `init`, the bundled `samples/inbox/` (12 scans,
    about 800 KB) copied in, `run` (about 10 s here). For the README's examples; do not change it."""
    home = ArchiveHome(tmp_path_factory.mktemp("demo") / "home")
    made = CliRunner().invoke(cli, ["init", str(home.root)], catch_exceptions=False)
    assert made.exit_code == 0, made.stderr
    for sample in SAMPLES_INBOX.iterdir():
        shutil.copy2(sample, home.inbox / sample.name)
    result = home.invoke("run")
    assert result.exit_code == 0, result.stderr
    return home


# -- a real headless Chromium, for the site and the review desk ---------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium through chromium-driver (`scripts/setup.sh --test` installs both)."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} missing: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
