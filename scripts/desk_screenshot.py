"""Make docs/desk.png: the review desk on a record of the sample scans.

Ingests samples/inbox into a temporary archive home, starts `archive-ingest desk` on it
and photographs the page of the first record waiting that has OCR words, in headless
Chromium (Debian's chromium and chromium-driver; selenium from the test extras):

    .venv/bin/python scripts/desk_screenshot.py [OUT_FILE]   # default: docs/desk.png
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = Path(__file__).resolve().parent.parent
CLI = [str(Path(sys.executable).parent / "archive-ingest")]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "desk.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        shutil.copytree(REPO / "samples" / "inbox", home / "inbox")
        (home / "pipeline.yaml").write_text("paths:\n  inbox: inbox\n  archive: archive\n", encoding="utf-8")
        config = str(home / "pipeline.yaml")
        subprocess.run([*CLI, "run", "--config", config], check=True)
        records = json.loads((home / "archive" / "catalog.json").read_text(encoding="utf-8"))["records"].values()
        waiting = sorted(
            (r for r in records if r["review"]["status"] == "pending" and r["ocr"].get("words_path") and r["persons"]),
            key=lambda r: (r["source"]["ingested_at"], r["id"]),
        )
        desk = subprocess.Popen(
            [*CLI, "desk", "--config", config, "--by", "reviewer"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert desk.stdout is not None
            url = desk.stdout.readline().strip()
            options = webdriver.ChromeOptions()
            options.binary_location = "/usr/bin/chromium"
            for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
                options.add_argument(argument)
            driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            try:
                driver.get(url.replace("/?", f"/record/{waiting[0]['id']}?"))
                driver.save_screenshot(str(out))
            finally:
                driver.quit()
        finally:
            desk.send_signal(signal.SIGINT)
            desk.wait(timeout=10)
    print(out)


if __name__ == "__main__":
    main()
