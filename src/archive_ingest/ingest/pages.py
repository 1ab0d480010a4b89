"""Saved web pages ("Save page as... complete": `post.html` + `post_files/`): the pictures and their captions.

Issue 16, item 2. The embassy published its photos as a series on a web page, each picture
followed by its caption: the embassy's words in quotes, then the publisher's commentary.
`read_saved_page` parses such a page with BeautifulSoup on the standard library's
`html.parser` (never regular expressions over HTML) and returns, for each picture saved
beside it, the caption found for it, split into the quoted words and the commentary,
and the date the caption gives; and the page's title, address and date.

A caption is, first that gives one: the picture's `figcaption` (inside its `figure`), the
paragraph that follows it (before any other picture), its `alt`, its `title`. `alt` comes
after the paragraph because social sites fill it with machine-written text ("Image may
contain: ...").

Hostile pages are input like any other: the page is read only up to `max_bytes`; no
script is run and nothing is fetched (pictures the page only links to, `http:` and the
like, are listed in `linked`); a `src` outside the page's own folder, absolute, or with
`..` is refused with a problem line and never read; inline `data:` pictures are skipped
(one short line, the data not repeated); past `max_pictures` the rest are counted in one
problem line. Problems are one line each.

A thumbnail that links to a larger picture saved with the page stands for the larger one.
Pictures the page shows smaller than `ICON_PX` (its `width`/`height` attributes) are
decoration (icons, avatars, buttons), counted in one line and not taken as photos.

Discovery (`stages/discover.py`) pairs each picture with its caption and the page's facts
(`drops.PageCaption`); the record keeps them in `source.page`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Comment, Tag

from ..record import PhotoDate, sha256_of_bytes
from ..text.dates import date_in_text

#: `<!-- saved from url=(0042)https://example.org/post -->`, as browsers write it. A regular
#: expression over the text of one comment (found by the parser), not over HTML.
_SAVED_FROM = re.compile(r"saved from url=\(\d+\)(\S+)")

#: Quoted words: ‘...’, “...”, "...", «...», „...“. An apostrophe (1970’s) opens no quote.
_QUOTES = re.compile(r"‘([^’]+)’|“([^”]+)”|\"([^\"]+)\"|«([^»]+)»|„([^“”]+)[“”]")

#: A picture the page shows smaller than this (its width or height attribute, in pixels) is
#: decoration, not a photo of the series.
ICON_PX = 64

#: The suffixes of a saved page.
PAGE_SUFFIXES = (".html", ".htm")
#: The folder a browser saves a page's pictures, styles and scripts into, beside the page:
#: `post.html` -> `post_files/` (Chromium, Firefox, Safari, Edge in English).
RESOURCE_FOLDER_SUFFIX = "_files"


@dataclass(frozen=True)
class PagePicture:
    """A picture saved with the page, and what the page says of it."""

    image: str
    """Its inbox path (POSIX)."""
    caption: str | None
    caption_from: str | None
    """`figcaption`, `paragraph`, `alt` or `title`; None when the page gives no caption."""
    quote: str | None
    """The quoted words of the caption (the photo's owner's), joined by a space."""
    commentary: str | None
    """The caption without its quotes (the page author's words)."""
    date: PhotoDate | None
    """The date the caption gives (`August 1945` -> `1945-08`, month), source `caption`."""


@dataclass
class SavedPage:
    file: str
    """The page's inbox path."""
    sha256: str = ""
    """SHA-256 of the page's bytes as read ("" when it could not be read)."""
    encoding: str = "utf-8"
    """The page's encoding as the parser found it."""
    title: str | None = None
    url: str | None = None
    """`saved from url=` comment, else `og:url`, else `link rel=canonical`."""
    date: str | None = None
    """`article:published_time` or the first `time datetime`, as written."""
    pictures: list[PagePicture] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    """Pictures the page only links to: reported, never fetched."""
    missing: list[str] = field(default_factory=list)
    """Inbox paths of pictures the page shows that are not in the inbox (not saved, or archived already)."""
    icons: int = 0
    """Pictures shown smaller than `ICON_PX`: not photos."""
    problems: list[str] = field(default_factory=list)


def read_saved_page(inbox: Path, page: str, *, max_bytes: int = 8 << 20, max_pictures: int = 500) -> SavedPage:
    """The pictures of the saved page at `inbox/page` with their captions. Never raises for bad input."""
    result = SavedPage(page)
    path = inbox / page
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        result.problems.append(f"{page}: cannot read: {exc.strerror or exc}")
        return result
    if len(data) > max_bytes:
        result.problems.append(f"{page}: over {max_bytes:,} bytes; page ignored")
        return result
    result.sha256 = sha256_of_bytes(data)
    soup = BeautifulSoup(data, "html.parser")
    result.encoding = soup.original_encoding or "utf-8"
    for unwanted in soup.find_all(["script", "style", "noscript", "template"]):
        unwanted.decompose()
    result.title, result.url, result.date = _page_facts(soup)
    folder = PurePosixPath(page).parent
    seen: set[str] = set()
    images = soup.find_all("img")
    if len(images) > max_pictures:
        result.problems.append(f"{page}: {len(images):,} pictures; only the first {max_pictures} are read")
    for img in images[:max_pictures]:
        image = _full_size(img, folder, inbox) or _local_image(_picture_source(img), folder, page, result)
        if image is None or image in seen:
            continue
        seen.add(image)
        if _is_icon(img):
            result.icons += 1
            continue
        if not (inbox / image).is_file():
            result.missing.append(image)
            continue
        caption, caption_from = _caption_for(img)
        quote, commentary = split_quotes(caption) if caption else (None, None)
        date = date_in_text(caption, "caption") if caption else None
        result.pictures.append(PagePicture(image, caption, caption_from, quote, commentary, date))
    return result


def _is_icon(img: Tag) -> bool:
    for attribute in ("width", "height"):
        value = str(img.get(attribute) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < ICON_PX:
            return True
    return False


def _page_facts(soup: BeautifulSoup) -> tuple[str | None, str | None, str | None]:
    url = None
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        if match := _SAVED_FROM.search(str(comment)):
            url = match.group(1)
            break
    url = url or _meta(soup, "og:url") or _link(soup, "canonical")
    title_tag = soup.find("title")
    title = _meta(soup, "og:title") or (_text(title_tag) if isinstance(title_tag, Tag) else None)
    date = _meta(soup, "article:published_time")
    if date is None and isinstance(time := soup.find("time", attrs={"datetime": True}), Tag):
        date = str(time.get("datetime")).strip() or None
    return title, url, date


def _meta(soup: BeautifulSoup, name: str) -> str | None:
    for attribute in ("property", "name"):
        tag = soup.find("meta", attrs={attribute: name})
        if isinstance(tag, Tag) and (content := str(tag.get("content") or "").strip()):
            return content
    return None


def _link(soup: BeautifulSoup, rel: str) -> str | None:
    for tag in soup.find_all("link", href=True):
        if isinstance(tag, Tag) and rel in (tag.get("rel") or []):
            return str(tag.get("href")).strip() or None
    return None


#: Where lazy-loading scripts keep a picture's address while `src` holds a placeholder
#: (usually a tiny inline `data:` GIF); a page saved before the picture scrolled into
#: view keeps them so.
_LAZY_SOURCES = ("data-src", "data-lazy-src", "data-original")


def _picture_source(img: Tag) -> str:
    """The picture's address: `src`, unless it is missing or an inline placeholder and a
    lazy-loading attribute or the first `srcset` candidate names a real one."""
    src = str(img.get("src") or "").strip()
    if src and src[:5].lower() != "data:":
        return src
    candidates = [str(img.get(attribute) or "").strip() for attribute in _LAZY_SOURCES]
    candidates.append(str(img.get("srcset") or "").strip().split(",")[0].strip().split(" ")[0])
    return next((c for c in candidates if c and c[:5].lower() != "data:"), src)


def _full_size(img: Tag, folder: PurePosixPath, inbox: Path) -> str | None:
    """The picture a thumbnail links to (`<a href="post_files/big.jpg"><img src="...small.jpg">`),
    when the page saved it too: the larger picture is the one to keep. None otherwise."""
    link = img.find_parent("a")
    href = str(link.get("href") or "").strip() if link is not None else ""
    parts = urlsplit(href)
    relative = PurePosixPath(unquote(parts.path))
    if not href or parts.scheme or parts.netloc or relative.is_absolute() or ".." in relative.parts:
        return None
    if relative.suffix.lower() in PAGE_SUFFIXES or not relative.suffix:
        return None
    image = str(folder / relative) if str(folder) != "." else str(relative)
    return image if (inbox / image).is_file() else None


def _local_image(src: str, folder: PurePosixPath, page: str, result: SavedPage) -> str | None:
    """The inbox path of a picture saved with the page; None (reported) for anything else."""
    if not src:
        return None
    if src[:5].lower() == "data:":
        result.problems.append(f"{page}: an inline data: picture ({len(src):,} characters) skipped")
        return None
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        result.linked.append(src[:300])
        return None
    relative = PurePosixPath(unquote(parts.path))
    if relative.is_absolute() or ".." in relative.parts:
        result.problems.append(f"{page}: picture '{src[:200]}' lies outside the page's folder; not read")
        return None
    return str(folder / relative) if str(folder) != "." else str(relative)


def _caption_for(img: Tag) -> tuple[str | None, str | None]:
    figure = img.find_parent("figure")
    if figure is not None and isinstance(caption := figure.find("figcaption"), Tag) and (text := _text(caption)):
        return text, "figcaption"
    paragraph = img.find_next(["p", "img"])
    if isinstance(paragraph, Tag) and paragraph.name == "p" and (text := _text(paragraph)):
        return text, "paragraph"
    for attribute in ("alt", "title"):
        if value := " ".join(str(img.get(attribute) or "").split()):
            return value, attribute
    return None, None


def _text(tag: Tag) -> str | None:
    return " ".join(tag.get_text(" ").split()) or None


def split_quotes(text: str) -> tuple[str | None, str | None]:
    """(the quoted words joined by a space, the rest) of a caption; None for an empty part."""
    quotes = [next(group for group in match.groups() if group is not None).strip() for match in _QUOTES.finditer(text)]
    rest = " ".join(_QUOTES.sub(" ", text).split()).strip(" ,.;:-–—")
    return " ".join(quotes) or None, rest or None
