"""Find the scans in the inbox and pair each with its caption.

Owns: walking the inbox (symlinks are not followed), deciding what is an image by its
extension, decoding captions (UTF-8, UTF-8 with BOM, else legacy Cyrillic cp1251 with the
`bad_encoding` flag), reading the `captions.csv` manifest and saved web pages (`pages`),
and reporting what cannot be paired (a caption with no image stays in the inbox; so does
a manifest row naming an image not dropped yet: `manifests` keeps it there). It reads; it
never moves or alters a file. Problems are returned as one-line messages naming the file,
never raised.

A caption is, first that gives one: the sidecar `.txt`, the manifest's row, the saved
page's caption. A saved page (`post.html` + `post_files/`) is paired with every picture it
shows; the files of its `_files` folder that it does not show as photos (styles, scripts,
icons) are not ingested: one line per folder, left in the inbox. So are the files of a
`_files` folder whose page is not (or no longer) beside it.

Hostile names: a name that is not valid UTF-8 is skipped with a message (it could not be
stored in the catalog's JSON); any other name (newlines, control characters, NFD, 255
bytes) is kept as dropped in `source.filename`, while messages show it through
`one_line`, which escapes what would break a line. Each image's size and mtime are noted
(`Drop.size`, `Drop.mtime_ns`) so the pipeline can tell a file still being written.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from ...config import DiscoverSettings, PageSettings
from ...record import EventType, FileInfo, FlagCode, Kind, Outcome, PageSource, Record, Source, sha256_of_bytes
from ..context import RunContext
from ..drops import Caption, Drop, Manifest, PageCaption
from ..pages import ICON_PX, PAGE_SUFFIXES, RESOURCE_FOLDER_SUFFIX, read_saved_page

CAPTION_SUFFIX = ".txt"
#: The temporary file a manifest's waiting rows are written to before it is renamed over
#: the manifest (`manifests`); one left by a killed run is reported here and removed.
MANIFEST_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.waiting\.tmp$")
MANIFEST_TEMP_SUFFIX = ".waiting.tmp"
_COPY_SUFFIX = re.compile(r"(?: \(\d+\)| copy(?: \d+)?| - copy)$", re.IGNORECASE)


def one_line(text: str) -> str:
    """`text` with what would break a one-line message escaped: `a\\nb` for a newline.

    Control and format characters, line/paragraph separators and lone surrogates (bytes
    of a name that is not UTF-8) are written as Python escapes; everything else, NFD
    accents included, is kept.
    """
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs"}
        else ch
        for ch in text
    )


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class Discovery:
    drops: list[Drop]
    problems: list[str]
    """One line each, naming the file: orphan captions, unreadable captions, symlinks."""
    manifests: dict[str, Manifest]
    """Caption manifests read this run, by inbox path."""
    temp_files: list[str] = field(default_factory=list)
    """Inbox paths of temporary manifest files left by a killed run (`MANIFEST_TEMP`)."""


class CaptionDecodeError(ValueError):
    """The bytes are not a caption (binary data, or too large)."""


def decode_caption(data: bytes, max_bytes: int) -> tuple[str, str]:
    """Decode caption bytes; returns (text, encoding).

    UTF-8 (with or without BOM) is tried first; cp1251 is the fallback because legacy
    Russian Windows tools wrote it, and a UTF-8 decode of real Cyrillic text almost never
    succeeds by accident. Line endings become `\\n`, Unicode is NFC, and surrounding
    whitespace is trimmed.

    Raises:
        CaptionDecodeError: larger than `max_bytes`, or binary (NUL or control bytes).
    """
    if len(data) > max_bytes:
        raise CaptionDecodeError(f"caption is {len(data):,} bytes, over the limit of {max_bytes:,}")
    if b"\x00" in data:
        raise CaptionDecodeError("caption file holds binary data (NUL bytes)")
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        else:
            text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1251"), "cp1251"
        except UnicodeDecodeError as exc:
            raise CaptionDecodeError(f"caption is neither UTF-8 nor cp1251 ({exc.reason})") from exc
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t")
    if controls:
        raise CaptionDecodeError(f"caption holds {controls} control characters: not text")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text, encoding


def find_drops(ctx: RunContext) -> Discovery:
    """Walk the inbox and pair images with captions: a sidecar `.txt` first, else a manifest row."""
    settings = ctx.settings.discover
    inbox = ctx.inbox
    if not inbox.is_dir():
        return Discovery([], [f"{inbox}: the inbox folder does not exist"], {})
    listing = _list_inbox(inbox, settings.manifest, settings.extensions)
    problems = listing.problems
    manifest_rows, manifests = _read_manifests(inbox, listing.manifests, settings.max_caption_bytes, problems)
    page_captions = _read_pages(inbox, listing, ctx.settings.pages, settings.extensions, problems)
    # Copies made by file managers ("scan (1).jpg", "scan copy.jpg") sort after their
    # original, so the original's name is the one the archive keeps and the copy is the
    # recorded duplicate.
    images = sorted(listing.images, key=_original_first)
    drops = [
        _drop(
            inbox,
            image,
            listing.sidecars.get(_stem_key(image)),
            manifest_rows.get(image),
            page_captions.get(image),
            settings,
            problems,
        )
        for image in images
    ]
    image_keys = {_stem_key(image) for image in images}
    for key, sidecar in sorted(listing.sidecars.items()):
        if key not in image_keys:
            problems.append(f"{sidecar}: caption with no image; left in the inbox")
    for image, row in sorted(manifest_rows.items()):
        if image not in listing.images:
            problems.append(f"{row.file}: row for '{image}' names no image in the inbox; it waits there for the image")
    return Discovery(drops, problems, manifests, listing.temp_files)


@dataclass
class _InboxListing:
    """The inbox's files by what they are, each a relative POSIX path."""

    images: set[str] = field(default_factory=set)
    sidecars: dict[str, str] = field(default_factory=dict)
    """`dir/stem` (see `_stem_key`) -> the `.txt` caption's path."""
    manifests: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    resources: dict[str, list[str]] = field(default_factory=dict)
    """A saved page's `_files` folder -> the files in it (its images join `images` only
    when a page shows them)."""
    temp_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _list_inbox(inbox: Path, manifest_name: str, extensions: list[str]) -> _InboxListing:
    """Every file under `inbox` (symlinks not followed), sorted into images, captions,
    manifests and our own temp files; anything else is a problem line, left where it is."""
    listing = _InboxListing()
    for dirpath, dirnames, filenames in os.walk(inbox, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        for dirname in list(dirnames):
            if (here / dirname).is_symlink():
                listing.problems.append(f"{_rel(here / dirname, inbox)}: symlinked folder not followed")
        for name in sorted(filenames):
            path = here / name
            rel = _rel(path, inbox)
            if name.startswith("."):
                if MANIFEST_TEMP.match(name):
                    listing.temp_files.append(rel)
                continue  # .DS_Store, editor swap files, our own temp files
            if not _is_utf8(rel):
                listing.problems.append(f"{one_line(rel)}: file name is not valid UTF-8; rename it; left in the inbox")
                continue
            if path.is_symlink():
                listing.problems.append(f"{rel}: symlink skipped (only regular files are ingested); left in the inbox")
                continue
            suffix = PurePosixPath(name).suffix.lower()
            if name == manifest_name:
                listing.manifests.append(rel)
            elif suffix == CAPTION_SUFFIX:
                listing.sidecars[_stem_key(rel)] = rel
            elif (folder := _resource_folder(rel)) is not None:
                listing.resources.setdefault(folder, []).append(rel)
            elif suffix in extensions:
                listing.images.add(rel)
            elif suffix in PAGE_SUFFIXES:
                listing.pages.append(rel)
            else:
                listing.problems.append(
                    f"{rel}: not an image or caption ({suffix or 'no extension'}); left in the inbox"
                )
    return listing


def _read_manifests(
    inbox: Path, manifests: list[str], max_bytes: int, problems: list[str]
) -> tuple[dict[str, Caption], dict[str, Manifest]]:
    """Every manifest's rows by image path, and the manifests read; problems appended."""
    rows: dict[str, Caption] = {}
    read: dict[str, Manifest] = {}
    for manifest in manifests:
        manifest_rows, parsed, manifest_problems = _read_manifest(inbox, manifest, max_bytes)
        problems.extend(manifest_problems)
        if parsed is not None:
            rows.update(manifest_rows)
            read[manifest] = parsed
            if not parsed.rows:
                problems.append(f"{manifest}: no row names an image; left in the inbox")
    return rows, read


def _resource_folder(rel: str) -> str | None:
    """The saved page's `_files` folder `rel` lies in (the outermost), or None."""
    parts = PurePosixPath(rel).parts[:-1]
    for depth, part in enumerate(parts):
        if part.endswith(RESOURCE_FOLDER_SUFFIX) and len(part) > len(RESOURCE_FOLDER_SUFFIX):
            return "/".join(parts[: depth + 1])
    return None


def _read_pages(
    inbox: Path, listing: _InboxListing, settings: PageSettings, extensions: list[str], problems: list[str]
) -> dict[str, PageCaption]:
    """What each saved page says of each picture it shows, by the picture's inbox path.

    The pictures a page shows from its `_files` folder join `listing.images`; the other
    files of every `_files` folder are reported, one line a folder, and left where they are.
    """
    captions: dict[str, PageCaption] = {}
    for page_file in sorted(listing.pages):
        page = read_saved_page(inbox, page_file, max_bytes=settings.max_bytes, max_pictures=settings.max_pictures)
        problems.extend(page.problems)
        shown = 0
        for picture in page.pictures:
            if PurePosixPath(picture.image).suffix.lower() not in extensions:
                continue
            if picture.image in captions:
                problems.append(
                    f"{page_file}: '{one_line(picture.image)}' is shown on {captions[picture.image].file} too; "
                    "that page's caption is used"
                )
                continue
            captions[picture.image] = PageCaption(
                file=page_file,
                sha256=page.sha256,
                title=page.title,
                url=page.url,
                published=page.date,
                caption=picture.caption,
                caption_from=picture.caption_from,
                quote=picture.quote,
                commentary=picture.commentary,
            )
            shown += 1
        if page.linked:
            problems.append(
                f"{page_file}: {_count(len(page.linked), 'picture')} the page only links to, not saved with it, "
                f"not fetched: {_some(page.linked)}"
            )
        if page.missing:
            problems.append(
                f"{page_file}: {_count(len(page.missing), 'picture')} it shows not in the inbox "
                f"(not saved with the page, or archived already): {_some(page.missing)}"
            )
        if page.icons:
            problems.append(
                f"{page_file}: {_count(page.icons, 'picture')} shown as icons (under {ICON_PX} px) not taken as photos"
            )
        if not shown and page.sha256:
            problems.append(f"{page_file}: the page shows no picture in the inbox; left in the inbox")
    for folder, files in sorted(listing.resources.items()):
        taken = [rel for rel in files if rel in captions]
        listing.images.update(taken)
        rest = len(files) - len(taken)
        if not rest:
            continue
        stem = folder.removesuffix(RESOURCE_FOLDER_SUFFIX)
        if any(stem + suffix in listing.pages for suffix in PAGE_SUFFIXES):
            problems.append(
                f"{folder}/: {_count(rest, 'file')} saved with the page that it does not show as photos "
                "(styles, scripts, icons); not ingested, left in the inbox"
            )
        else:
            problems.append(
                f"{folder}/: {_count(rest, 'file')} of a saved page that is not in the inbox; not ingested, left "
                "in the inbox (move a picture out of the folder to ingest it on its own)"
            )
    return captions


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _some(names: list[str], shown: int = 3) -> str:
    listed = ", ".join(one_line(name) for name in names[:shown])
    return listed + (f" and {len(names) - shown:,} more" if len(names) > shown else "")


def _drop(
    inbox: Path,
    image: str,
    sidecar: str | None,
    row: Caption | None,
    page: PageCaption | None,
    settings: DiscoverSettings,
    problems: list[str],
) -> Drop:
    """The image with its caption: the sidecar (carrying the row's place, date and credit),
    else the manifest row, else the saved page's; each carries the page's facts. An
    unreadable sidecar is a problem line and stays in the inbox."""
    drop = Drop(image, caption=_with_page(row, page))
    try:
        status = (inbox / image).stat()
        drop.size, drop.mtime_ns = status.st_size, status.st_mtime_ns
    except OSError:
        pass  # gone already: fixity reports it
    if sidecar is None:
        _note_page_caption(drop, page)
        return drop
    try:
        data = _read_capped(inbox / sidecar, settings.max_caption_bytes)
        text, encoding = decode_caption(data, settings.max_caption_bytes)
    except (OSError, CaptionDecodeError) as exc:
        problems.append(f"{sidecar}: {exc}; the image is ingested without it and the caption left in the inbox")
        return drop
    drop.caption = Caption(
        text=text,
        file=sidecar,
        encoding=encoding,
        sha256=sha256_of_bytes(data),
        kind="sidecar",
        place=row.place if row else None,
        date=row.date if row else None,
        credit=row.credit if row else None,
        manifest_row=row,
        page=page,
    )
    if row is not None and row.text and row.text != text:
        drop.notes.append(f"{row.file} also gives a caption for this file; the sidecar {sidecar} is used")
    _note_page_caption(drop, page)
    return drop


def _with_page(row: Caption | None, page: PageCaption | None) -> Caption | None:
    """The manifest row carrying the page's facts; else the page's own caption (possibly empty)."""
    if page is None:
        return row
    if row is not None:
        return replace(row, page=page)
    return Caption(
        text=page.caption or "", file=page.file, encoding="utf-8", sha256=page.sha256, kind="page", page=page
    )


def _note_page_caption(drop: Drop, page: PageCaption | None) -> None:
    caption = drop.caption
    if page is None or caption is None or caption.kind == "page" or not page.caption or page.caption == caption.text:
        return
    drop.notes.append(f"{page.file} also gives a caption for this file; the {caption.kind} {caption.file} is used")


def new_record(drop: Drop, ctx: RunContext) -> Record:
    """The record a drop starts as: its names and caption; fixity fills in the rest."""
    caption = drop.caption
    record = Record(
        id="",
        kind=Kind.PHOTO,
        source=Source(
            filename=drop.image,
            caption_file=caption.file if caption else None,
            ingested_at=ctx.timestamp(),
            caption_sha256=caption.sha256 if caption else None,
            caption_from=caption.kind if caption and caption.text else None,
            page=_page_source(caption.page) if caption and caption.page else None,
        ),
        file=FileInfo(sha256="", bytes=0),
        caption=caption.text or None if caption else None,
    )
    if caption is not None:
        outcome = Outcome.WARNING if caption.encoding == "cp1251" else Outcome.SUCCESS
        record.add_event(
            EventType.CAPTION,
            ctx.timestamp(),
            ctx.agent(),
            outcome,
            f"caption read from {caption.file} ({caption.encoding})",
        )
        if caption.encoding == "cp1251":
            record.add_flag(
                FlagCode.BAD_ENCODING,
                f"{caption.file} is not UTF-8; decoded as legacy Cyrillic cp1251 — check the text",
            )
    for note in drop.notes:
        record.add_event(EventType.CAPTION, ctx.timestamp(), ctx.agent(), Outcome.WARNING, note)
    return record


def _page_source(page: PageCaption) -> PageSource:
    """The record's `source.page`; `path` is set on filing, the credits by `provenance`."""
    return PageSource(
        file=page.file,
        sha256=page.sha256,
        title=page.title,
        url=page.url,
        published=page.published,
        caption=page.caption,
        caption_from=page.caption_from,
        quote=page.quote,
        commentary=page.commentary,
    )


def _read_manifest(inbox: Path, manifest: str, max_bytes: int) -> tuple[dict[str, Caption], Manifest | None, list[str]]:
    """Rows of a `captions.csv` keyed by the image's inbox path, the manifest as read (None:
    unusable, left in the inbox as it is), and problems as lines."""
    try:
        data = _read_capped(inbox / manifest, max_bytes * 100)
        return parse_manifest(data, manifest, max_bytes)
    except (OSError, CaptionDecodeError) as exc:
        return {}, None, [f"{manifest}: {exc}; manifest ignored and left in the inbox"]


def parse_manifest(data: bytes, manifest: str, max_bytes: int) -> tuple[dict[str, Caption], Manifest | None, list[str]]:
    """`_read_manifest` on bytes already read (`manifest` is its inbox path, for the rows'
    image paths and the messages). The BagIt export reads an archived manifest with it.

    Raises:
        CaptionDecodeError: the bytes are not text in a caption encoding, or too large.
    """
    problems: list[str] = []
    rows: dict[str, Caption] = {}
    text, encoding = decode_caption(data, max_bytes * 100)
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    columns = {name.strip().lower() for name in header}
    if not {"file", "caption"} <= columns:
        found = ", ".join(sorted(columns)) or "none"
        reason = f"needs the columns 'file' and 'caption' (found: {found})"
        return {}, None, [f"{manifest}: {reason}; manifest ignored and left in the inbox"]
    base = PurePosixPath(manifest).parent
    manifest_sha256 = sha256_of_bytes(data)
    cells: list[tuple[str, list[str]]] = []
    for raw_row in reader:
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw_row.items() if key}
        name = row.get("file", "")
        where = f"{manifest} line {reader.line_num}"
        if not name:
            problems.append(f"{where}: empty 'file' column; row ignored")
            continue
        target = PurePosixPath(name.replace("\\", "/"))
        if target.is_absolute() or ".." in target.parts:
            problems.append(f"{where}: file '{name}' is outside the inbox; row ignored")
            continue
        key = str(base / target) if str(base) != "." else str(target)
        extra = raw_row.get(None) or []  # DictReader's restkey: cells beyond the header
        cells.append((key, [raw_row.get(column) or "" for column in header] + list(extra)))
        caption_text = unicodedata.normalize("NFC", row.get("caption", ""))
        rows[key] = Caption(
            text=caption_text,
            file=manifest,
            encoding=encoding,
            sha256=manifest_sha256,
            kind="manifest",
            place=row.get("place") or None,
            date=row.get("date") or None,
            credit=row.get("credit") or None,
        )
    newline = "\r\n" if b"\r\n" in data else "\n"
    return rows, Manifest(manifest, manifest_sha256, encoding, newline, header, cells), problems


def _read_capped(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; a file over `max_bytes` is refused from its size, unread.

    Raises:
        CaptionDecodeError: larger than `max_bytes`.
        OSError: it cannot be read.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise CaptionDecodeError(f"caption is {size:,} bytes, over the limit of {max_bytes:,}")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # it may have grown since the stat
    if len(data) > max_bytes:
        raise CaptionDecodeError(f"caption is over {max_bytes:,} bytes")
    return data


def _original_first(rel: str) -> tuple[str, bool, str]:
    stem = str(PurePosixPath(rel).with_suffix(""))
    base = _COPY_SUFFIX.sub("", stem)
    return (base, base != stem, rel)


def _rel(path: Path, inbox: Path) -> str:
    return path.relative_to(inbox).as_posix()


def _stem_key(rel: str) -> str:
    path = PurePosixPath(rel)
    return str(path.with_suffix(""))
