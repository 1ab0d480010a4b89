"""`archive-ingest site`: the static site, checked as files and in a real headless browser.

One site is made per session from a copy of the session batch (`ingested_batch`), with
one caption edited into markup (`<script>`, `<img onerror>`) through `review edit`, and
one Chromium session (Debian's chromium and chromium-driver) reads it over file://.
Screenshots of the grid and of a record page go to $ARCHIVE_INGEST_ARTIFACTS (default: a
temporary folder).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from archive_ingest.site.builder import MARKER
from archive_ingest.site.search_keys import index_script
from archive_ingest.text.fold import translit_keys, words
from conftest import ArchiveHome, IngestedBatch

XSS = "<script>alert(1)</script> <img src=x onerror=alert(2)>"
CREDIT = "Russian Embassy in Pyongyang"
RIGHTS = "All photos are the property of the Russian Embassy in Pyongyang."


@dataclass
class BuiltSite:
    home: ArchiveHome
    out: Path
    records: list[dict[str, Any]]  # the records the site publishes: not quarantined, not rejected
    ids: dict[str, str]  # source file name -> record id

    def page(self, relative: str) -> str:
        return (self.out / relative).as_uri()


@pytest.fixture(scope="session")
def built_site(ingested_batch: IngestedBatch, tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    root = tmp_path_factory.mktemp("site")
    home = ArchiveHome(root / "home")
    shutil.copytree(ingested_batch.home.root, home.root)
    ids = {record["source"]["filename"]: record["id"] for record in ingested_batch.records}
    edit = home.invoke(
        "review", "edit", ids["DSC_0003.JPG"], "--set", f"caption={XSS}", "--by", "tester", "--config", str(home.config)
    )
    assert edit.exit_code == 0, edit.output
    out = root / "site"
    result = home.invoke("site", str(out), "--config", str(home.config))
    assert result.exit_code == 0, result.output
    return BuiltSite(home, out, _published(home.catalog_records()), ids)


def _published(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["kind"] != "quarantined" and r["review"]["status"] != "rejected"]


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("ARCHIVE_INGEST_ARTIFACTS")
    path = Path(where) if where else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(browser: Any, url: str) -> None:
    browser.get(url)
    assert browser.execute_script("return document.readyState") == "complete"


def _visible_ids(browser: Any) -> set[str]:
    ids: list[str] = browser.execute_script(
        "return Array.from(document.querySelectorAll('#grid .card')).filter(c => !c.hidden).map(c => c.dataset.id)"
    )
    return set(ids)


def _search(browser: Any, query: str) -> set[str]:
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(query)
    return _visible_ids(browser)


def _assert_no_alert(browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018  # the property raises when no alert is open


def _with_picture(site: BuiltSite) -> set[str]:
    return {record["id"] for record in site.records if record["kind"] != "quarantined"}


# -- in the browser -----------------------------------------------------------------


def test_grid_shows_every_thumbnail(browser: Any, built_site: BuiltSite, artifacts: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, built_site.page("index.html"))
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")  # thumbnails load lazily
    WebDriverWait(browser, 10).until(
        lambda driver: driver.execute_script("return Array.from(document.images).every(i => i.complete)")
    )
    thumbnails = browser.execute_script(
        "return Array.from(document.querySelectorAll('#grid img'))"
        ".map(i => [i.closest('.card').dataset.id, i.naturalWidth])"
    )
    assert {record_id for record_id, _ in thumbnails} == _with_picture(built_site)
    assert all(width > 0 for _, width in thumbnails), thumbnails
    cards = browser.execute_script("return document.querySelectorAll('#grid .card').length")
    assert cards == len(built_site.records)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(artifacts / "site-grid.png"))


@pytest.mark.parametrize("query", ["Тён", "Tyon", "ТЁН", "tyon ivan", "Тён 1949"])
def test_search_finds_the_record_in_any_script(browser: Any, built_site: BuiltSite, query: str) -> None:
    _open(browser, built_site.page("index.html"))
    assert _search(browser, query) == {built_site.ids["DSC_0001.jpg"]}
    _assert_no_alert(browser)


@pytest.mark.parametrize(
    ("query", "files"),
    [
        ("Chongjin", {"DSC_0001.jpg"}),
        ("청진", {"DSC_0001.jpg"}),
        ("Чхонджин", {"DSC_0001.jpg"}),
        ("Ch'ŏngjin", {"DSC_0001.jpg"}),
        ("Kim Shura", {"scans/Могила Ким Шура.png"}),
        ("김 슈라", {"scans/Могила Ким Шура.png"}),
        ("Hamhung", {"IMG_0002.jpeg"}),
        ("ван", set()),  # words match from their start: not Иван
    ],
)
def test_search_matches_as_the_cli_does(browser: Any, built_site: BuiltSite, query: str, files: set[str]) -> None:
    _open(browser, built_site.page("index.html"))
    assert _search(browser, query) == {built_site.ids[name] for name in files}


def test_filters_and_search_combine(browser: Any, built_site: BuiltSite) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, built_site.page("index.html"))
    Select(browser.find_element(By.ID, "filter-kinds")).select_by_value("monument")
    monuments = {record["id"] for record in built_site.records if record["kind"] == "monument"}
    assert monuments and _visible_ids(browser) == monuments
    assert _search(browser, "Tyon") == set()
    hits = browser.find_element(By.ID, "hits").text
    assert hits == f"0 of {len(built_site.records)} records"


WORD_SAMPLES = [
    "Тён", "ТЁН ИВАН", "Юрьевич", "Николай", "Евгений", "Цой", "Ильинский", "Подъярский", "Ельцин", "ИBAHOB",
    "в Раджине", "Хамхынского", "Ch'ŏngjin", "P'yŏngyang", "Kim Shura", "한양희", "렬사", "쏘 련 군", "신라", "닭이",
    "좋다", "않은", "읽어", "값이", "없다", "밟고", "김 슈라", "라선", "1884-1949", "Пётр", "Süßmilch", "Đuro",
]  # fmt: skip


def test_browser_folds_queries_as_python_does(browser: Any, built_site: BuiltSite) -> None:
    """site.js's port of fold.words and fold.translit_keys against the Python originals."""
    _open(browser, built_site.page("index.html"))
    texts = list(WORD_SAMPLES)
    for record in built_site.records:
        texts += [record.get("caption") or "", record["ocr"]["text"]]
        texts += [person["name"] for person in record["persons"]]
    texts = [text for text in texts if text]
    in_browser = browser.execute_script(
        "return arguments[0].map(t => { const w = ArchiveSearch.words(t);"
        " return [w, w.map(x => ArchiveSearch.translitKeys(x))]; })",
        texts,
    )
    for text, (js_words, js_keys) in zip(texts, in_browser, strict=True):
        expected = words(text)
        if any(ch in text for ch in "ßẞ"):  # JS lower-cases, Python case-folds: ß stays ß
            continue
        assert js_words == expected, text
        assert js_keys == [list(translit_keys(word)) for word in expected], text


def test_markup_in_a_caption_stays_text(browser: Any, built_site: BuiltSite) -> None:
    from selenium.webdriver.common.by import By

    record_id = built_site.ids["DSC_0003.JPG"]
    _open(browser, built_site.page(f"records/{record_id}.html"))
    assert browser.find_element(By.ID, "caption").text == XSS
    _assert_no_alert(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "img[src='x'], img[onerror]") == []
    assert browser.execute_script("return Array.from(document.scripts).every(s => s.src)")
    _open(browser, built_site.page("index.html"))
    snippet = browser.find_element(By.CSS_SELECTOR, f".card[data-id='{record_id}'] .snippet")
    assert snippet.text == XSS
    assert _search(browser, "script alert") == {record_id}
    _assert_no_alert(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "img[src='x'], img[onerror]") == []
    html = (built_site.out / f"records/{record_id}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_record_page_shows_photo_credit_and_rights(browser: Any, built_site: BuiltSite, artifacts: Path) -> None:
    from selenium.webdriver.common.by import By

    record_id = built_site.ids["DSC_0001.jpg"]
    _open(browser, built_site.page(f"records/{record_id}.html"))
    assert browser.execute_script("return document.getElementById('photo').naturalWidth") > 0
    credit = browser.find_element(By.ID, "credit").text
    assert CREDIT in credit and RIGHTS in credit
    assert "Koryo Tours" in credit
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "1884–1949" in body
    assert "41.7956, 129.7758" in browser.find_element(By.ID, "place").text
    assert "Чхонджине" in browser.find_element(By.ID, "caption").text
    assert browser.find_elements(By.CSS_SELECTOR, ".history tbody tr")
    browser.save_screenshot(str(artifacts / "site-record.png"))


# -- the files ------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.targets.append(value)


def _html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_every_link_resolves_without_javascript(built_site: BuiltSite) -> None:
    out = built_site.out.resolve()
    linked: set[Path] = set()
    for page in _html_files(out):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for target in parser.targets:
            parts = urlsplit(target)
            if parts.scheme in ("http", "https"):
                assert parts.netloc == "www.openstreetmap.org", target
                continue
            assert not parts.scheme and not parts.netloc and not target.startswith("/"), f"{page}: {target}"
            path = (page.parent / unquote(parts.path)).resolve()
            assert path.is_relative_to(out) and path.is_file(), f"{page.relative_to(out)}: {target}"
            linked.add(path)
    index = out / "index.html"
    pages = set(_html_files(out)) - {index}
    assert pages <= linked  # every page can be reached by links alone
    for record in built_site.records:
        assert out / "records" / f"{record['id']}.html" in linked
    for folder in ("places", "kinds", "decades", "status"):
        assert list((out / folder).glob("*.html")), folder
    assert (out / "decades" / "1940s.html").is_file()  # died 1945, 1947, 1949


def test_place_page_counts_graves_and_monuments(built_site: BuiltSite) -> None:
    html = (built_site.out / "places" / "chongjin.html").read_text(encoding="utf-8")
    assert re.search(r'id="graves">1 grave<', html)
    assert re.search(r'id="monuments">0 monuments<', html)
    assert "41.7956, 129.7758" in html and "청진" in html and "Чхонджин" in html
    assert f"../records/{built_site.ids['DSC_0001.jpg']}.html" in html


def test_no_absolute_paths_in_any_file(built_site: BuiltSite) -> None:
    secrets = {str(built_site.home.root), str(built_site.out), str(built_site.home.archive), str(Path.home())}
    secrets |= {str(Path(path).resolve()) for path in list(secrets)}
    for path in built_site.out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, f"{path.relative_to(built_site.out)} names {secret}"
            if path.suffix in (".html", ".js"):
                assert b"file://" not in data, path


def test_pages_forbid_inline_scripts(built_site: BuiltSite) -> None:
    for page in _html_files(built_site.out):
        html = page.read_text(encoding="utf-8")
        assert "script-src 'self'" in html and "default-src 'none'" in html
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, page


def test_search_index_is_a_script_with_the_keys(built_site: BuiltSite) -> None:
    text = (built_site.out / "search-index.js").read_text(encoding="utf-8")
    assert text.splitlines()[1].startswith("var ARCHIVE_SEARCH_INDEX = {")
    data = json.loads(text.split("=", 1)[1].strip().rstrip(";"))
    rows = {row[0]: row for row in data["records"]}
    assert set(rows) == {record["id"] for record in built_site.records}
    tyon = rows[built_site.ids["DSC_0001.jpg"]]
    assert {"тен", "иван", "tyon", "chongjin", "청진", "чхонджин", "seishin"} <= set(tyon[1].split())
    assert {"ten", "ivan"} <= set(tyon[2].split())
    assert "chongjin" in data["sites"] and "rason" in data["sites"]
    assert data["russian"]["ending"] == {"ий": "y", "ый": "y"}


def test_index_script_cannot_end_a_script_element() -> None:
    script = index_script({"records": [["a", "</script><b> \u2028", ""]]})
    assert "</script>" not in script and "\u2028" not in script
    assert json.loads(script.split("=", 1)[1].strip().rstrip(";"))["records"][0][1] == "</script><b> \u2028"


def test_pictures_are_copied_or_made(built_site: BuiltSite) -> None:
    for record_id in _with_picture(built_site):
        for suffix in ("access", "thumb"):
            picture = built_site.out / "images" / record_id[:2] / f"{record_id}.{suffix}.jpg"
            assert picture.read_bytes()[:3] == b"\xff\xd8\xff", picture


# -- what is published ----------------------------------------------------------------

LOGIN = "reviewer-anna"
NOTES = ("checked with Sergei on the phone", "looked the same at first", "not a Soviet grave")


@dataclass
class PublicationSites:
    """The batch with reviews by LOGIN with NOTES, one record rejected; three sites of it."""

    records: list[dict[str, Any]]
    ids: dict[str, str]
    published: Path  # `site OUT`
    everything: Path  # `site OUT --all`
    headstones: Path  # `site OUT --query kind:headstone`
    stderr: str  # of the first


@pytest.fixture(scope="session")
def publication_sites(ingested_batch: IngestedBatch, tmp_path_factory: pytest.TempPathFactory) -> PublicationSites:
    root = tmp_path_factory.mktemp("published")
    home = ArchiveHome(root / "home")
    shutil.copytree(ingested_batch.home.root, home.root)
    ids = {record["source"]["filename"]: record["id"] for record in ingested_batch.records}
    config = ("--by", LOGIN, "--config", str(home.config))
    for action in (
        ("accept", ids["DSC_0001.jpg"], "--note", NOTES[0]),
        ("edit", ids["scans/Могила Ким Шура.png"], "--set", "place=Hamhung"),
        ("distinct", ids["DSC_0003.JPG"], ids["IMG_0002.jpeg"], "--note", NOTES[1]),
        ("reject", ids["old scan 1975.TIFF"], "--note", NOTES[2]),
    ):
        assert home.invoke("review", *action, *config).exit_code == 0
    sites = []
    for name, options in (("published", ()), ("everything", ("--all",)), ("headstones", ("--query", "kind:headstone"))):
        result = home.invoke("site", str(root / name), *options, "--config", str(home.config))
        assert result.exit_code == 0, result.output
        sites.append((root / name, result.stderr))
    return PublicationSites(home.catalog_records(), ids, sites[0][0], sites[1][0], sites[2][0], sites[0][1])


def _record_pages(out: Path) -> set[str]:
    return {page.stem for page in (out / "records").glob("*.html")}


def test_the_site_publishes_no_quarantined_and_no_rejected_record(publication_sites: PublicationSites) -> None:
    sites, every = publication_sites, {r["id"] for r in publication_sites.records}
    published = {r["id"] for r in _published(sites.records)}
    withheld = every - published
    assert sites.ids["old scan 1975.TIFF"] in withheld and sites.ids["bomb.png"] in withheld
    assert _record_pages(sites.published) == published
    text = "".join(path.read_text(encoding="utf-8") for path in sites.published.rglob("*.html"))
    text += (sites.published / "search-index.js").read_text(encoding="utf-8")
    assert not [record_id for record_id in withheld if record_id in text]
    assert "30000" not in text  # the decompression bomb's declared size
    assert not (sites.published / "kinds" / "quarantined.html").exists()
    assert not (sites.published / "status" / "rejected.html").exists()
    assert f"left out {len(withheld)} records not for publication (quarantined or rejected); --all includes them\n" in (
        sites.stderr
    )
    assert _record_pages(sites.everything) == every
    bomb = (sites.everything / "records" / f"{sites.ids['bomb.png']}.html").read_text(encoding="utf-8")
    assert "Quarantined: the file could not be read safely, so there is no image." in bomb
    assert 'id="photo"' not in bomb and not list(sites.everything.glob(f"images/*/{sites.ids['bomb.png']}.*"))
    headstones = {r["id"] for r in _published(sites.records) if r["kind"] == "headstone"}
    assert headstones and _record_pages(sites.headstones) == headstones


def _history(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    return html[
        html.index('<section class="history">') : html.index("</section>", html.index('<section class="history">'))
    ]


def test_the_site_names_no_reviewer_and_tells_the_history_in_words(publication_sites: PublicationSites) -> None:
    sites = publication_sites
    for out in (sites.published, sites.everything):
        for page in out.rglob("*.html"):
            html = page.read_text(encoding="utf-8")
            assert LOGIN not in html, page
            assert not [note for note in NOTES if note in html], page
            if page.parent.name == "records":
                assert "{" not in _history(page), page
    records = sites.everything / "records"
    shura = _history(records / f"{sites.ids['scans/Могила Ким Шура.png']}.html")
    assert "<td>edit</td><td>a reviewer</td><td>success</td><td>place: Wonsan → Hamhung</td>" in shura
    assert "<td>ocr</td>" not in shura and "<td>OCR</td><td>the pipeline</td>" in shura
    accepted = (records / f"{sites.ids['DSC_0001.jpg']}.html").read_text(encoding="utf-8")
    assert "<td>review</td><td>a reviewer</td><td>success</td><td>review status: pending → accepted</td>" in accepted
    assert re.search(r'<dd id="review">accepted by a reviewer, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</dd>', accepted)
    distinct = _history(records / f"{sites.ids['DSC_0003.JPG']}.html")
    assert f"<td>distinct from {sites.ids['IMG_0002.jpeg']}</td>" in distinct
    rejected = _history(records / f"{sites.ids['old scan 1975.TIFF']}.html")
    assert "<td>review status: not needed → rejected</td>" in rejected


# -- OUT_DIR ------------------------------------------------------------------------


def test_refuses_a_folder_that_is_not_a_site(built_site: BuiltSite, tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "thesis.txt").write_text("mine", encoding="utf-8")
    result = built_site.home.invoke("site", str(out), "--config", str(built_site.home.config))
    assert result.exit_code == 2
    assert "not a site made by archive-ingest" in result.output
    assert [path.name for path in out.iterdir()] == ["thesis.txt"]


def test_replaces_an_earlier_site_and_keeps_other_files(built_site: BuiltSite, tmp_path: Path) -> None:
    out = tmp_path / "site"
    home = built_site.home
    assert home.invoke("site", str(out), "--config", str(home.config)).exit_code == 0
    (out / "CNAME").write_text("graves.example.org\n", encoding="utf-8")
    stale = out / "records" / "0000000000000000.html"
    stale.write_text("a record since deleted", encoding="utf-8")
    result = home.invoke("site", str(out), "--config", str(home.config), "--title", "Second")
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert (out / "CNAME").read_text(encoding="utf-8") == "graves.example.org\n"
    assert "<title>All records · Second</title>" in (out / "index.html").read_text(encoding="utf-8")
    assert (out / MARKER).is_file()
    assert not list(out.glob(".site-building-*"))


@pytest.mark.parametrize("where", ["archive/site", "archive", "."])
def test_refuses_to_overlap_the_archive(built_site: BuiltSite, where: str) -> None:
    home = built_site.home
    result = home.invoke("site", str(home.root / where), "--config", str(home.config))
    assert result.exit_code == 2
    assert "apart from the" in result.output
    assert not (home.archive / "site").exists()


def test_pictures_are_made_from_the_originals_when_the_archive_has_none(built_site: BuiltSite, tmp_path: Path) -> None:
    home = ArchiveHome(tmp_path / "home")
    shutil.copytree(built_site.home.root, home.root)
    shutil.rmtree(home.archive / "derivatives", ignore_errors=True)  # an archive older than access copies
    out = tmp_path / "site"
    result = home.invoke("site", str(out), "--config", str(home.config))
    assert result.exit_code == 0, result.output
    assert f"0 copied, {len(_with_picture(built_site))} made from originals, 0 missing" in result.output
    for record_id in _with_picture(built_site):
        assert (out / "images" / record_id[:2] / f"{record_id}.thumb.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert not (home.archive / "derivatives").exists()  # the archive is only read
