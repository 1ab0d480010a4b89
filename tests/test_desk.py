"""The review desk (`archive-ingest desk`): a real waitress server on the loopback address,
driven by headless Chromium (Debian's chromium and chromium-driver, as tests/test_site.py
does) and by plain HTTP for the refusals; and `expected_version`, the check that keeps two
reviewers from overwriting each other, at the Reviewer itself.

Three scans are ingested once per module (a stone whose caption carries markup, a bare
stone, and a resized copy of the first, a near duplicate); each test serves a copy.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from archive_ingest import catalog as catalog_module
from archive_ingest.desk import create_app, make_server, stop
from archive_ingest.review import RecordChanged, Reviewer, record_version
from conftest import ArchiveHome, new_home
from scanmaker import make_scan

HOSTILE = "Могила Тён Ивана, Пхеньян. <script>alert(1)</script><img src=x onerror=alert(2)>"
STONE, BARE, COPY = "stone.jpg", "bare.jpg", "copy.jpg"


@pytest.fixture(scope="module")
def desk_base(tmp_path_factory: pytest.TempPathFactory) -> ArchiveHome:
    home = new_home(tmp_path_factory.mktemp("desk") / "home")
    stone = make_scan(home.inbox / STONE, ["ТЁН ИВАН", "1884-1949"], caption=HOSTILE)
    make_scan(home.inbox / BARE, ["КИМ ШУРА", "1938-1947"])
    with Image.open(stone) as image:
        image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS).save(
            home.inbox / COPY, "JPEG", quality=75
        )
    assert home.invoke("run").exit_code == 0
    return home


@dataclass
class Desk:
    home: ArchiveHome
    base: str
    secret: str
    ids: dict[str, str]

    def url(self, path: str = "/", token: bool = False) -> str:
        return self.base + path + (f"?token={self.secret}" if token else "")

    def record(self, name: str) -> dict[str, Any]:
        return next(r for r in self.home.catalog_records() if r["source"]["filename"] == name)


def _serve(home: ArchiveHome, busy_seconds: float = 2.0) -> Iterator[Desk]:
    secret = "s3cret-" + os.urandom(8).hex()
    server = make_server(create_app(home.settings(), "tester", secret, busy_seconds=busy_seconds), "127.0.0.1", 0)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # the loop's select on sockets closed under it by `close()`
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ids = {r["source"]["filename"]: r["id"] for r in home.catalog_records()}
    try:
        yield Desk(home, f"http://127.0.0.1:{server.effective_port}", secret, ids)
    finally:
        stopping.set()
        stop(server)
        thread.join(timeout=5)
        assert not thread.is_alive()


@pytest.fixture
def desk(desk_base: ArchiveHome, tmp_path: Path) -> Iterator[Desk]:
    home = ArchiveHome(tmp_path / "home")
    shutil.copytree(desk_base.root, home.root)
    yield from _serve(home, busy_seconds=0.3)


def _open(browser: Any, desk: Desk, path: str) -> None:
    browser.delete_all_cookies()
    browser.get(desk.url(path, token=True))
    assert browser.execute_script("return document.readyState") == "complete"
    assert "token=" not in browser.current_url  # the secret moved to a cookie


def _press(browser: Any, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(key).perform()


def _wait_for(browser: Any, condition: Any) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page is replaced as a form is sent: what was found may go stale while we look.
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, 10, ignored_exceptions=ignored).until(condition)


def _text(browser: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    text: str = browser.find_element(By.ID, element_id).text
    return text


def _no_alert(browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018  # the property raises when no alert is open


# -- in the browser -----------------------------------------------------------------


def test_edit_accept_and_reject_with_the_keyboard(desk: Desk, browser: Any) -> None:
    bare = desk.ids[BARE]
    _open(browser, desk, f"/record/{bare}")
    assert _text(browser, "record-id") == bare
    assert "no_caption" in _text(browser, "flags") and "no caption came with the scan" in _text(browser, "flags")
    _press(browser, "e")  # focus the edit box, type, Ctrl+Enter sends it
    from selenium.webdriver.common.keys import Keys

    browser.switch_to.active_element.send_keys("date=1975", Keys.CONTROL, Keys.ENTER)
    _wait_for(browser, lambda b: "date: (none) -> 1975" in _text(b, "history"))
    assert desk.record(BARE)["date"]["value"] == "1975"
    assert desk.record(BARE)["events"][-1]["agent"] == "tester"
    _press(browser, "a")
    _wait_for(browser, lambda b: f"{bare}: accepted by tester" in _text(b, "flashes"))
    assert desk.record(BARE)["review"]["status"] == "accepted"
    # The page moved on to the next record waiting; reject it with a note at the prompt.
    current = _text(browser, "record-id")
    assert current != bare
    _press(browser, "r")
    alert = _wait_for(browser, lambda b: b.switch_to.alert)
    alert.send_keys("not a Soviet grave")
    alert.accept()
    _wait_for(browser, lambda b: f"{current}: rejected by tester" in _text(b, "flashes"))
    rejected = next(r for r in desk.home.catalog_records() if r["id"] == current)
    assert rejected["review"] == {**rejected["review"], "status": "rejected", "note": "not a Soviet grave"}
    _open(browser, desk, f"/record/{current}")
    assert "rejected: not a Soviet grave" in _text(browser, "history")


def test_the_page_shows_boxes_sources_and_the_original(desk: Desk, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, desk, f"/record/{desk.ids[STONE]}")
    boxes = browser.find_elements(By.CSS_SELECTOR, ".word")
    assert boxes and all(box.get_attribute("title") for box in boxes)
    assert re.search(r"\(confidence \d+\)", boxes[0].get_attribute("title"))
    assert boxes[0].value_of_css_property("position") == "absolute"  # placed by desk.js
    assert "ТЁН ИВАН (Tyon Ivan) stone 1884–1949 stone" in _text(browser, "people")  # values with their source
    original = browser.find_element(By.ID, "original").get_attribute("href")
    assert original.endswith(f"/file/{desk.ids[STONE]}/original")
    _press(browser, "+")
    assert "zoomed" in browser.find_element(By.ID, "stage").get_attribute("class")


def test_a_hostile_caption_shows_as_text(desk: Desk, browser: Any) -> None:
    _open(browser, desk, f"/record/{desk.ids[STONE]}")
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in _text(browser, "caption")
    assert "&lt;script&gt;" in browser.page_source
    _no_alert(browser)


def test_merge_a_near_duplicate_with_one_key(desk: Desk, browser: Any) -> None:
    copy, stone = desk.ids[COPY], desk.ids[STONE]  # copy.jpg came first (by name): stone.jpg is its near duplicate
    assert desk.record(STONE)["links"] == [{"type": "near_duplicate_of", "id": copy}]
    _open(browser, desk, f"/record/{stone}")
    assert copy in _text(browser, "pair")
    _press(browser, "m")
    _wait_for(browser, lambda b: f"{stone}: merged into {copy}" in _text(b, "flashes"))
    assert desk.record(STONE)["links"] == [{"type": "merged_into", "id": copy}]
    assert desk.record(STONE)["review"]["status"] == "accepted"
    assert "near_duplicate" not in [flag["code"] for flag in desk.record(STONE)["flags"]]
    assert {"type": "merged_from", "id": stone} in desk.record(COPY)["links"]


def test_distinct_with_one_key(desk: Desk, browser: Any) -> None:
    copy, stone = desk.ids[COPY], desk.ids[STONE]
    _open(browser, desk, f"/record/{stone}")
    _press(browser, "d")
    _wait_for(browser, lambda b: f"{stone}: distinct from {copy}" in _text(b, "flashes"))
    assert desk.record(STONE)["links"] == [{"type": "distinct_from", "id": copy}]
    assert desk.record(COPY)["links"] == [{"type": "distinct_from", "id": stone}]


def test_an_edit_on_a_record_changed_since_is_refused_and_nothing_is_lost(desk: Desk, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    bare = desk.ids[BARE]
    _open(browser, desk, f"/record/{bare}")
    # Meanwhile another reviewer (here through the same functions the CLI uses) sets the date.
    Reviewer(desk.home.settings(), "olga").edit(bare, ["date=1970"])
    box = browser.find_element(By.ID, "changes")
    box.send_keys("date=1980")
    browser.find_element(By.CSS_SELECTOR, "#edit-form button[type=submit]").click()
    error = _wait_for(browser, lambda b: b.find_element(By.ID, "error").text)
    assert f"{bare} changed since you loaded it, so nothing was changed" in error
    assert "edit by olga: date: (none) -> 1970" in error
    assert desk.record(BARE)["date"]["value"] == "1970"  # the other decision stands
    assert browser.find_element(By.ID, "changes").get_attribute("value") == "date=1980"  # what was typed is kept
    assert "1970" in _text(browser, "date")  # the page shows the record as it is now
    # Sent again from the page as it is now, the edit goes through.
    browser.find_element(By.CSS_SELECTOR, "#edit-form button[type=submit]").click()
    _wait_for(browser, lambda b: "date: 1970 -> 1980" in _text(b, "history"))


# -- over plain HTTP ------------------------------------------------------------------


class Client:
    """One browser's worth of cookies, no redirects followed."""

    def __init__(self) -> None:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, url: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def _signed_in(desk: Desk) -> Client:
    client = Client()
    status, headers, _ = client.request(desk.url("/", token=True))
    assert status == 302 and "token" not in headers["Location"]
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    return client


def _form_values(page: str, form_id: str) -> dict[str, str]:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert form is not None
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))


def test_every_request_needs_the_secret(desk: Desk) -> None:
    stone = desk.ids[STONE]
    for path in ("/", f"/record/{stone}", f"/file/{stone}/access", "/static/desk.js"):
        status, _, body = Client().request(desk.url(path))
        assert status == 403 and "secret token" in body, path
    status, _, _ = Client().request(desk.url("/") + "?token=wrong")
    assert status == 403
    client = _signed_in(desk)
    status, headers, page = client.request(desk.url("/"))
    assert status == 200 and '<p class="count" id="count">3 left</p>' in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_post_without_the_right_csrf_token_is_refused(desk: Desk) -> None:
    bare = desk.ids[BARE]
    client = _signed_in(desk)
    _, _, page = client.request(desk.url(f"/record/{bare}"))
    form = _form_values(page, "accept-form")
    for csrf in ("", "x" * len(form["csrf"])):
        status, _, body = client.request(desk.url(f"/record/{bare}/accept"), {**form, "csrf": csrf})
        assert status == 403 and "CSRF" in body
    # Another session's token does not do either.
    other = _signed_in(desk)
    status, _, _ = other.request(desk.url(f"/record/{bare}/accept"), form)
    assert status == 403
    assert desk.record(BARE)["review"]["status"] == "pending"
    status, _, _ = client.request(desk.url(f"/record/{bare}/accept"), form)
    assert status == 303
    assert desk.record(BARE)["review"]["status"] == "accepted"


@pytest.mark.parametrize(
    "path",
    [
        "/file/{id}/../../pipeline.yaml",
        "/file/{id}/..%2F..%2Fpipeline.yaml",
        "/file/{id}/catalog",
        "/file/..%2F..%2Fpipeline.yaml/original",
        "/file/{id}%2F..%2F..%2Fcatalog.json/original",
        "/static/..%2Fapp.py",
        "/static/../app.py",
        "/record/../../../etc/passwd",
    ],
)
def test_only_a_records_own_files_are_served(desk: Desk, path: str) -> None:
    client = _signed_in(desk)
    status, _, body = client.request(desk.url(path.format(id=desk.ids[STONE])))
    assert status == 404, (path, status)
    assert "paths:" not in body and "import" not in body


def test_a_records_files_by_kind(desk: Desk) -> None:
    client = _signed_in(desk)
    for kind in ("original", "access", "thumb"):
        status, headers, _ = client.request(desk.url(f"/file/{desk.ids[STONE]}/{kind}"))
        assert (status, headers["Content-Type"]) == (200, "image/jpeg"), kind


def test_a_decision_while_a_run_holds_the_lock_says_busy_and_loses_nothing(desk: Desk) -> None:
    bare = desk.ids[BARE]
    client = _signed_in(desk)
    _, _, page = client.request(desk.url(f"/record/{bare}"))
    form = _form_values(page, "reject-form")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from datetime import datetime; from pathlib import Path\n"
            "from archive_ingest import catalog\n"
            "with catalog.writer(Path(sys.argv[1]), 'archive-ingest run', datetime.now()):\n"
            "    print('held', flush=True); sys.stdin.readline()\n",
            str(desk.home.catalog),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        status, _, body = client.request(desk.url(f"/record/{bare}/reject"), {**form, "note": "a blurred copy"})
        assert status == 503 and "the catalog is busy, try again" in body
        assert 'value="a blurred copy"' in body  # the note is still in the form
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=10)
    assert desk.record(BARE)["review"]["status"] == "pending"
    status, _, _ = client.request(desk.url(f"/record/{bare}/reject"), {**form, "note": "a blurred copy"})
    assert status == 303 and desk.record(BARE)["review"]["note"] == "a blurred copy"


def test_the_command_prints_the_address_and_stops_on_ctrl_c(desk_base: ArchiveHome, tmp_path: Path) -> None:
    home = ArchiveHome(tmp_path / "home")
    shutil.copytree(desk_base.root, home.root)
    command = [str(Path(sys.executable).with_name("archive-ingest")), "desk", "--config", str(home.config)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", url), url
        status, _, _ = Client().request(url)
        assert status == 302
        status, _, _ = Client().request(url.split("?")[0])
        assert status == 403
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert err.endswith("review desk stopped\n")


# -- expected_version at the Reviewer (as tests/test_review.py tests the review) --------


def _version(home: ArchiveHome, record_id: str) -> str:
    return record_version(catalog_module.reader(home.catalog).require(record_id))


def test_a_decision_on_the_version_seen_goes_through(desk: Desk) -> None:
    bare, reviewer = desk.ids[BARE], Reviewer(desk.home.settings(), "anna")
    done = reviewer.edit(bare, ["date=1975"], expected_version=_version(desk.home, bare))
    assert [change.field for change in done.changes] == ["date"]
    accepted = reviewer.accept(bare, "checked", expected_version=_version(desk.home, bare))
    assert accepted.review.status == "accepted"
    assert reviewer.reject(bare, "changed my mind").review.status == "rejected"  # the CLI passes none


@pytest.mark.parametrize("action", ["accept", "reject", "edit", "merge", "distinct"])
def test_a_decision_on_a_stale_version_is_refused_saying_what_changed(desk: Desk, action: str) -> None:
    copy, stone = desk.ids[COPY], desk.ids[STONE]
    seen = _version(desk.home, copy)
    Reviewer(desk.home.settings(), "olga").edit(copy, ["date=1970"])
    before = desk.home.catalog_records()
    reviewer = Reviewer(desk.home.settings(), "anna")
    with pytest.raises(RecordChanged) as refused:
        if action == "accept":
            reviewer.accept(copy, expected_version=seen)
        elif action == "reject":
            reviewer.reject(copy, "no", expected_version=seen)
        elif action == "edit":
            reviewer.edit(copy, ["date=1980"], expected_version=seen)
        else:
            reviewer.link(copy, stone, merge=action == "merge", expected_version=seen)
    message = str(refused.value)
    assert message.startswith(f"{copy} changed since you loaded it, so nothing was changed: ")
    assert "edit by olga: date: (none) -> 1970" in message
    assert refused.value.exit_code == 1
    assert desk.home.catalog_records() == before


def test_the_other_records_version_is_checked_on_a_link(desk: Desk) -> None:
    copy, stone = desk.ids[COPY], desk.ids[STONE]
    seen = _version(desk.home, copy)
    Reviewer(desk.home.settings(), "olga").accept(copy)
    with pytest.raises(RecordChanged, match=f"{copy} changed since you loaded it.*review by olga: accepted"):
        Reviewer(desk.home.settings(), "anna").link(stone, copy, merge=True, other_version=seen)
    assert desk.record(STONE)["links"] == [{"type": "near_duplicate_of", "id": copy}]


def test_the_version_changes_with_any_stored_change(desk: Desk) -> None:
    bare = desk.ids[BARE]
    first = _version(desk.home, bare)
    assert first == _version(desk.home, bare)  # stable
    Reviewer(desk.home.settings(), "anna").edit(bare, ["date=1975"])
    second = _version(desk.home, bare)
    assert second != first and int(second.split(".")[0]) == int(first.split(".")[0]) + 1
