"""The IIIF export opened in a real viewer: Mirador 4 in headless Chromium, over HTTP on 127.0.0.1.

Mirador is its single built file, fetched by `scripts/setup.sh --test` into
`tests/vendor/mirador/` (see the README there); a threading `http.server` serves the
export folder and the viewer page with a CORS header, as any static web server would, and
records what the viewer asked for. Mirador fetches the manifest, the image's `info.json`
and its tiles (OpenSeadragon) and shows the requiredStatement in its rights panel. The
archive is the bundled samples' (`demo_archive`): their pictures are larger than a tile,
so the viewer asks for regions of the picture (deep zoom), not only for the one image.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageStat

from conftest import ArchiveHome

VENDOR = Path(__file__).parent / "vendor" / "mirador"
CREDIT = "Russian Embassy in Pyongyang"
RIGHTS = "All photos are the property of the Russian Embassy in Pyongyang."

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mirador</title>
<script src="mirador.min.js"></script></head>
<body style="margin:0"><div id="viewer" style="position:absolute;inset:0"></div>
<script>
Mirador.viewer({
  id: "viewer",
  windows: [{ manifestId: "MANIFEST", sideBarOpen: true, sideBarPanel: "attribution" }],
});
</script></body></html>
"""


@dataclass
class Served:
    base: str
    out: Path
    page: Path
    requests: list[tuple[str, int]] = field(default_factory=list)
    """(path, status) of every request, in the order answered."""


def _handler(served: Served) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        """The export folder at /, the viewer (page and vendored Mirador) at /viewer/."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(served.out), **kwargs)

        def translate_path(self, path: str) -> str:
            name = urlsplit(path).path
            if name.startswith("/viewer/"):
                file = name.removeprefix("/viewer/")
                return str(served.page if file == "index.html" else VENDOR / Path(file).name)
            return super().translate_path(path)

        def end_headers(self) -> None:
            self.send_header("Access-Control-Allow-Origin", "*")
            super().end_headers()

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            served.requests.append((urlsplit(self.path).path, int(code)))

        def log_message(self, format: str, *args: Any) -> None:
            pass  # not on the test's stderr

    return Handler


@pytest.fixture(scope="module")
def served(demo_archive: ArchiveHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo archive exported for, and served at, a server on a free port of 127.0.0.1."""
    folder = tmp_path_factory.mktemp("iiif-viewer")
    served = Served(base="", out=folder / "iiif", page=folder / "index.html")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = demo_archive.invoke("export", "--format", "iiif", "--out", str(served.out), "--base-url", served.base)
        assert result.exit_code == 0, result.stderr
        yield served
    finally:
        server.shutdown()
        server.server_close()


def _drawn(browser: Any) -> bool:
    """Whether OpenSeadragon's canvas shows a picture (not one flat colour)."""
    from selenium.webdriver.common.by import By

    canvases = browser.find_elements(By.CSS_SELECTOR, ".openseadragon-canvas")
    if not canvases:
        return False
    with Image.open(io.BytesIO(canvases[0].screenshot_as_png)) as shot:
        spread = ImageStat.Stat(shot.convert("L")).stddev[0]
    return spread > 20


def _largest(served: Served) -> tuple[str, dict[str, Any]]:
    """The id and `info.json` of the largest picture exported."""
    infos = {
        p.name: json.loads((p / "info.json").read_text(encoding="utf-8")) for p in (served.out / "images").iterdir()
    }
    return max(infos.items(), key=lambda item: item[1]["width"] * item[1]["height"])


def test_mirador_shows_the_image_from_its_tiles_and_the_credit_line(browser: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    stone, info = _largest(served)
    assert max(info["width"], info["height"]) > info["tiles"][0]["width"]  # more than one tile at full size
    served.page.write_text(PAGE.replace("MANIFEST", f"{served.base}/manifests/{stone}.json"), encoding="utf-8")
    region = re.compile(rf"^/images/{stone}/\d+,\d+,\d+,\d+/\d+,\d+/0/default\.jpg$")

    browser.get(f"{served.base}/viewer/index.html")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda _: len({path for path, status in served.requests if region.match(path) and status == 200}) >= 2)
    wait.until(lambda driver: CREDIT in driver.find_element(By.TAG_NAME, "body").text)
    wait.until(_drawn)

    asked = [path for path, _ in served.requests]
    assert f"/manifests/{stone}.json" in asked
    assert f"/images/{stone}/info.json" in asked
    assert [(path, status) for path, status in served.requests if status != 200 and path != "/favicon.ico"] == []
    text = browser.find_element(By.TAG_NAME, "body").text
    assert CREDIT in text and RIGHTS in text  # the rights panel: the requiredStatement
    label = json.loads((served.out / "manifests" / f"{stone}.json").read_text(encoding="utf-8"))["label"]
    assert label["en"][0] in text  # the window's title, in the browser's language
    if os.environ.get("ARCHIVE_INGEST_ARTIFACTS"):  # as test_site.py's screenshots
        browser.save_screenshot(str(Path(os.environ["ARCHIVE_INGEST_ARTIFACTS"]) / "iiif-mirador.png"))
