"""Make docs/site-grid.png and docs/site-record.png: the static site of the sample scans.

Ingests samples/inbox into a temporary archive home, writes its site with
`archive-ingest site`, and photographs the grid and the Тён Иван record page in headless
Chromium (Debian's chromium and chromium-driver; selenium from the test extras):

    .venv/bin/python scripts/site_screenshots.py [OUT_FOLDER]   # default: docs/
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parent.parent
CLI = [str(Path(sys.executable).parent / "archive-ingest")]


def main() -> None:
    docs = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        shutil.copytree(REPO / "samples" / "inbox", home / "inbox")
        (home / "pipeline.yaml").write_text("paths:\n  inbox: inbox\n  archive: archive\n", encoding="utf-8")
        config = str(home / "pipeline.yaml")
        subprocess.run([*CLI, "run", "--config", config], check=True)
        subprocess.run([*CLI, "site", str(home / "site"), "--config", config], check=True)
        records = json.loads((home / "archive" / "catalog.json").read_text(encoding="utf-8"))["records"].values()
        tyon = next(r["id"] for r in records if any("Тён" in p["name"] or "ТЁН" in p["name"] for p in r["persons"]))
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get((home / "site" / "index.html").as_uri())
            driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")  # thumbnails load lazily
            WebDriverWait(driver, 10).until(
                lambda d: d.execute_script("return Array.from(document.images).every(i => i.complete)")
            )
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(docs / "site-grid.png"))
            driver.get((home / "site" / "records" / f"{tyon}.html").as_uri())
            driver.save_screenshot(str(docs / "site-record.png"))
        finally:
            driver.quit()
    print(f"wrote {docs / 'site-grid.png'} and {docs / 'site-record.png'}")


if __name__ == "__main__":
    main()
