"""Finding and pairing files in the inbox, and decoding captions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.stages.discover import CaptionDecodeError, decode_caption, find_drops
from conftest import ArchiveHome


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def ctx(archive_home: ArchiveHome) -> RunContext:
    return RunContext(settings=archive_home.settings())


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("Тён Иван".encode(), "Тён Иван", "utf-8"),
        (b"\xef\xbb\xbf" + "Тён Иван\r\n1884-1949\r\n".encode(), "Тён Иван\n1884-1949", "utf-8-sig"),
        ("Могила Тён Ивана".encode("cp1251"), "Могила Тён Ивана", "cp1251"),
        ("소련군 렬사묘".encode(), "소련군 렬사묘", "utf-8"),
        # NFD input (as macOS file systems write it) is normalised to NFC.
        ("Тён".encode().replace("ё".encode(), "е\u0308".encode()), "Тён", "utf-8"),
    ],
)
def test_decode_caption(data: bytes, text: str, encoding: str) -> None:
    assert decode_caption(data, 1000) == (text, encoding)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "caption file holds binary data (NUL bytes)"),
        (b"a" * 11, "caption is 11 bytes, over the limit of 10"),
        (b"abc\x01\x02def", "caption holds 2 control characters: not text"),
    ],
)
def test_decode_caption_refuses_non_text(data: bytes, message: str) -> None:
    with pytest.raises(CaptionDecodeError) as caught:
        decode_caption(data, 10)
    assert str(caught.value) == message


def test_pairs_images_with_sidecars_in_any_case_and_subfolder(ctx: RunContext) -> None:
    inbox = ctx.inbox
    touch(inbox / "A.JPG")
    touch(inbox / "A.txt", b"caption A")
    touch(inbox / "sub" / "deeper" / "b.TiFf")
    touch(inbox / "sub" / "deeper" / "b.txt", b"caption B")
    touch(inbox / "c.webp")
    touch(inbox / "notes.docx")
    touch(inbox / ".DS_Store")
    found = find_drops(ctx)
    assert [(d.image, d.caption.text if d.caption else None) for d in found.drops] == [
        ("A.JPG", "caption A"),
        ("c.webp", None),
        ("sub/deeper/b.TiFf", "caption B"),
    ]
    assert found.problems == ["notes.docx: not an image or caption (.docx); left in the inbox"]


def test_manifest_rows_and_hostile_paths(ctx: RunContext) -> None:
    inbox = ctx.inbox
    touch(inbox / "x.jpg")
    touch(inbox / "y.png")
    touch(
        inbox / "captions.csv",
        (
            "file,caption,place,date,credit\n"
            "x.jpg,Памятник в Нампхо,Nampo,1985,\n"
            "/etc/passwd,absolute,,,\n"
            "../outside.jpg,relative escape,,,\n"
            ",no file,,,\n"
            "missing.jpg,no such image,,,\n"
        ).encode(),
    )
    found = find_drops(ctx)
    x = next(d for d in found.drops if d.image == "x.jpg")
    assert x.caption is not None
    assert (x.caption.text, x.caption.place, x.caption.date, x.caption.credit) == (
        "Памятник в Нампхо",
        "Nampo",
        "1985",
        None,
    )
    assert x.caption.file == "captions.csv" and x.caption.kind == "manifest"
    assert next(d for d in found.drops if d.image == "y.png").caption is None
    assert found.problems == [
        "captions.csv line 3: file '/etc/passwd' is outside the inbox; row ignored",
        "captions.csv line 4: file '../outside.jpg' is outside the inbox; row ignored",
        "captions.csv line 5: empty 'file' column; row ignored",
        "captions.csv: row for 'missing.jpg' names no image in the inbox; it waits there for the image",
    ]
    # The usable rows as written, to keep in the inbox those whose image has not come.
    manifest = found.manifests["captions.csv"]
    assert (manifest.header, manifest.encoding, manifest.newline) == (
        ["file", "caption", "place", "date", "credit"],
        "utf-8",
        "\n",
    )
    assert manifest.rows == [
        ("x.jpg", ["x.jpg", "Памятник в Нампхо", "Nampo", "1985", ""]),
        ("missing.jpg", ["missing.jpg", "no such image", "", "", ""]),
    ]


def test_manifest_without_required_columns(ctx: RunContext) -> None:
    touch(ctx.inbox / "captions.csv", b"name,text\na.jpg,hello\n")
    found = find_drops(ctx)
    assert found.manifests == {}
    assert found.problems == [
        "captions.csv: needs the columns 'file' and 'caption' (found: name, text); "
        "manifest ignored and left in the inbox"
    ]


def test_manifest_without_rows_is_left_in_the_inbox(ctx: RunContext) -> None:
    touch(ctx.inbox / "captions.csv", b"file,caption\n../outside.jpg,escape\n")
    found = find_drops(ctx)
    assert found.manifests["captions.csv"].rows == []
    assert found.problems == [
        "captions.csv line 2: file '../outside.jpg' is outside the inbox; row ignored",
        "captions.csv: no row names an image; left in the inbox",
    ]


def test_symlinks_are_not_followed(ctx: RunContext, tmp_path: Path) -> None:
    outside = touch(tmp_path / "secret" / "private.jpg")
    os.symlink(outside, ctx.inbox / "link.jpg")
    os.symlink(outside.parent, ctx.inbox / "linked-folder")
    found = find_drops(ctx)
    assert found.drops == []
    assert sorted(found.problems) == [
        "link.jpg: symlink skipped (only regular files are ingested); left in the inbox",
        "linked-folder: symlinked folder not followed",
    ]


def test_binary_caption_is_reported_and_image_still_found(ctx: RunContext) -> None:
    touch(ctx.inbox / "a.jpg")
    touch(ctx.inbox / "a.txt", b"\x00\x01binary")
    found = find_drops(ctx)
    assert [(d.image, d.caption) for d in found.drops] == [("a.jpg", None)]
    assert found.problems == [
        "a.txt: caption file holds binary data (NUL bytes); the image is ingested without it "
        "and the caption left in the inbox"
    ]


def test_a_manifest_rewrite_cut_short_is_reported_as_a_temp_file(ctx: RunContext) -> None:
    touch(ctx.inbox / "sub" / ".captions.csv.ab_12xyz.waiting.tmp", b"file,caption\n")
    touch(ctx.inbox / ".DS_Store")
    found = find_drops(ctx)
    assert (found.drops, found.problems, found.temp_files) == ([], [], ["sub/.captions.csv.ab_12xyz.waiting.tmp"])
