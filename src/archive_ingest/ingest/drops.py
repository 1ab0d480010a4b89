"""What discovery finds in the inbox: a dropped image with its caption, and a caption manifest.

These types are shared by discovery (which makes them), the run context (which holds the
captions by image for the stages), filing and the manifests' upkeep; they live here, below
all of them, so none imports another to name them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Literal

CaptionKind = Literal["sidecar", "manifest", "page"]
"""What holds a caption: a `.txt` beside the image, a row of a manifest, a saved web page."""


@dataclass(frozen=True)
class PageCaption:
    """What a saved web page (`pages.py`) says of one picture it shows, and the page's own facts."""

    file: str
    """The page's inbox path."""
    sha256: str
    """SHA-256 of the page's bytes as read."""
    title: str | None
    url: str | None
    published: str | None
    caption: str | None
    caption_from: str | None
    """`figcaption`, `paragraph`, `alt` or `title`; None when the page gives no caption."""
    quote: str | None
    commentary: str | None


@dataclass(frozen=True)
class Caption:
    """A caption as found in the inbox, decoded."""

    text: str
    file: str
    """Relative path (in the inbox) of the sidecar `.txt`, the manifest or the saved page."""
    encoding: str
    """`utf-8`, `utf-8-sig` or `cp1251` (a fallback: raises `bad_encoding`); a page's as its parser found it."""
    sha256: str
    """SHA-256 of the file holding the caption as dropped: the sidecar, the whole manifest or page."""
    kind: CaptionKind
    place: str | None = None
    date: str | None = None
    credit: str | None = None
    manifest_row: Caption | None = None
    """For a sidecar: the manifest row naming the same image, whose place, date and credit
    cells it carries (the manifest is filed with the record, so the row stays on record)."""
    page: PageCaption | None = None
    """The saved web page showing the image, whichever caption won (filed with the record too)."""

    def inbox_files(self) -> list[str]:
        """The files holding this caption that leave the inbox with their last image (a
        manifest leaves by its own rules: `manifests.py`)."""
        files = [self.file] if self.kind == "sidecar" else []
        return [*files, self.page.file] if self.page is not None else files


@dataclass
class Drop:
    """One image found in the inbox, with its caption if it has one."""

    image: str
    """Relative POSIX path in the inbox."""
    caption: Caption | None = None
    notes: list[str] = field(default_factory=list)
    """Caption problems worth an event on the record (e.g. two captions, one ignored)."""
    size: int = -1
    """Size in bytes when discovered (-1: not looked at), compared again before filing."""
    mtime_ns: int = -1
    """Modification time when discovered, in nanoseconds (-1: not looked at)."""


@dataclass(frozen=True)
class Manifest:
    """A caption manifest as dropped, with its rows as read, to write back the ones that wait."""

    file: str
    """Relative path in the inbox."""
    sha256: str
    """SHA-256 of the manifest's bytes as read."""
    encoding: str
    """`utf-8`, `utf-8-sig` or `cp1251`: the encoding to write its waiting rows back in."""
    newline: str
    """CRLF when the manifest's lines end so, else LF."""
    header: list[str]
    """The header row as written (column names in their own case)."""
    rows: list[tuple[str, list[str]]]
    """(inbox path of the image, the row's cells as read) of each usable row, in order."""

    def images(self) -> set[str]:
        return {image for image, _ in self.rows}

    def to_bytes(self, rows: list[tuple[str, list[str]]]) -> bytes:
        """The header and `rows`, in the manifest's own encoding (a BOM for `utf-8-sig`) and line endings.

        Raises:
            UnicodeEncodeError: a cell cannot be written back in the manifest's encoding.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=self.newline)
        writer.writerow(self.header)
        writer.writerows(cells for _, cells in rows)
        return buffer.getvalue().encode(self.encoding)
