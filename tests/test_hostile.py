"""Hostile inputs and exhausted resources, through the library API (`pipeline.run`).

Each hostile file is quarantined or rejected with a precise one-line reason, the rest of
the batch goes on, and nothing outside `inbox/` and `archive/` is written. OCR is left out
of the stage list (it is slow and not what these files attack) except where tesseract's
timeout itself is under test.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import struct
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from PIL import Image

from archive_ingest.ingest import pipeline
from archive_ingest.ingest.pipeline import RunSummary
from archive_ingest.ingest.stages import discover, file, identify
from archive_ingest.ingest.stages.registry import STAGES
from conftest import ArchiveHome, new_home
from scanmaker import make_bomb_png, make_scan
from test_exif import FULL, ifd0_entry, patched, tiff_start

NO_OCR = "stages: [fixity, identify, exif, extract, provenance, flags, access, file]\n"


@pytest.fixture
def home(tmp_path: Path) -> ArchiveHome:
    return new_home(tmp_path / "home", NO_OCR)


def small_scan(path: Path, text: str) -> Path:
    return make_scan(path, [text], font_px=20, margin=10)


def records_by_name(home: ArchiveHome) -> dict[str, dict[str, Any]]:
    return {r["source"]["filename"]: r for r in home.catalog_records()}


def all_lines(summary: RunSummary) -> list[str]:
    return [*summary.failed, *summary.problems, *summary.notes, *([summary.stopped] if summary.stopped else [])]


def archive_files(home: ArchiveHome, folder: str) -> list[str]:
    root = home.archive / folder
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


# -- names ---------------------------------------------------------------------------------


def test_hostile_file_names(home: ArchiveHome) -> None:
    nfd = unicodedata.normalize("NFD", "Могила Йо Ёлкин.jpg")
    long_name = "л" * 125 + "a.jpg"  # 250 + 5 = 255 bytes, the most ext4 allows
    assert len(long_name.encode()) == 255
    names = ["line\nbreak.jpg", "bell\x07\x1b[31mred.jpg", nfd, long_name]
    for index, name in enumerate(names):
        small_scan(home.inbox / name, f"FILE {index}")
    (home.inbox / "line\nbreak.txt").write_text("a caption\nfor the newline file", encoding="utf-8")
    (home.inbox / "evil\r\nname.doc").write_text("not an image", encoding="utf-8")
    not_utf8 = os.fsencode(home.inbox) + b"/latin1-\xff\xfe.jpg"
    with open(not_utf8, "wb") as handle:
        handle.write(b"\xff\xd8 not really a jpeg")

    summary = pipeline.run(home.settings())

    records = records_by_name(home)
    assert sorted(records) == sorted(names)  # kept exactly as dropped, NFD included
    assert records[nfd]["source"]["filename"] == nfd != unicodedata.normalize("NFC", nfd)
    assert records["line\nbreak.jpg"]["caption"] == "a caption\nfor the newline file"
    for record in records.values():
        assert record["kind"] != "quarantined"
        assert record["file"]["path"] == f"originals/{record['id'][:2]}/{record['id']}.jpg"
    assert sorted(summary.problems) == [
        "evil\\r\\nname.doc: not an image or caption (.doc); left in the inbox",
        "latin1-\\udcff\\udcfe.jpg: file name is not valid UTF-8; rename it; left in the inbox",
    ]
    assert all(line.isprintable() for line in all_lines(summary))
    assert sorted(os.listdir(os.fsencode(home.inbox))) == [b"evil\r\nname.doc", b"latin1-\xff\xfe.jpg"]
    assert sorted(os.listdir(home.root)) == ["archive", "inbox", "pipeline.yaml"]  # nothing written elsewhere
    assert sorted(os.listdir(home.root.parent)) == ["home"]


def test_cli_prints_hostile_names_on_one_line(home: ArchiveHome) -> None:
    small_scan(home.inbox / "ok\n.jpg", "OK")
    (home.inbox / "bad\nname\x1b[2J.doc").write_text("not an image", encoding="utf-8")
    result = home.invoke("run")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[:2] == [
        "warning: bad\\nname\\x1b[2J.doc: not an image or caption (.doc); left in the inbox",
        "ingested 1, duplicates 0, quarantined 0, failed 0",
    ]


def test_failure_messages_escape_the_name(home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    small_scan(home.inbox / "two\nlines\x1b.jpg", "ONE")

    def refuse(source: Path, target: Path, sha256: str) -> bool:
        raise file.FilingError(f"{target}: refused by the test")

    monkeypatch.setattr(file, "copy_verified", refuse)
    summary = pipeline.run(home.settings())
    assert len(summary.failed) == 1
    assert summary.failed[0].startswith("two\\nlines\\x1b.jpg: ")
    assert summary.failed[0].endswith(": refused by the test; left in the inbox")
    assert home.inbox_files() == ["two\nlines\x1b.jpg"]


# -- bombs and pages ---------------------------------------------------------------------------


def jpeg_bomb(path: Path, width: int = 60_000, height: int = 60_000) -> Path:
    """A 300-byte JPEG whose frame header (SOF0) declares `width` x `height` pixels."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    index = 2
    while data[index + 1] not in (0xC0, 0xC1, 0xC2):
        index += 2 + struct.unpack(">H", data[index + 2 : index + 4])[0]
    data[index + 5 : index + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def tiff_bomb(path: Path, side: int = 100_000) -> Path:
    """A 130-byte little-endian TIFF: one IFD declaring a `side` x `side` 1-bit image, one strip."""
    entries = [(256, 4, side), (257, 4, side), (258, 3, 1), (259, 3, 1), (262, 3, 1)]
    entries += [(273, 4, 8), (277, 3, 1), (278, 4, side), (279, 4, 8)]
    data = b"II*\x00" + struct.pack("<I", 16) + b"\x00" * 8 + struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        data += (
            struct.pack("<HHIHH", tag, kind, 1, value, 0) if kind == 3 else struct.pack("<HHII", tag, kind, 1, value)
        )
    path.write_bytes(data + struct.pack("<I", 0))
    return path


def test_decompression_bombs_in_every_format_are_quarantined_unread(home: ArchiveHome) -> None:
    jpeg_bomb(home.inbox / "bomb.jpg")
    tiff_bomb(home.inbox / "bomb.tif")
    make_bomb_png(home.inbox / "bomb.png")
    small_scan(home.inbox / "good.jpg", "GOOD")

    summary = pipeline.run(home.settings())

    records = records_by_name(home)
    assert len(summary.quarantined) == 3 and len(summary.ingested) == 1
    declared = {"bomb.jpg": "60000x60000", "bomb.tif": "100000x100000", "bomb.png": "30000x30000"}
    for name, size in declared.items():
        record = records[name]
        assert record["kind"] == "quarantined"
        assert record["file"]["path"].startswith("quarantine/")
        [flag] = record["flags"]
        assert flag["code"] == "corrupt"
        assert flag["detail"].startswith(f"decompression bomb: the header declares {size} pixels")
        assert flag["detail"].endswith("over the limit of 150 MP; not decoded")
    assert records["good.jpg"]["kind"] == "photo"
    assert home.inbox_files() == []


def multipage_tiff(path: Path, pages: int) -> Path:
    frames = [Image.new("L", (16, 16), index % 256) for index in range(pages)]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:])
    return path


def test_tiff_with_hundreds_of_pages_is_filed_and_only_its_first_page_read(home: ArchiveHome) -> None:
    path = multipage_tiff(home.inbox / "album.tif", 300)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()

    pipeline.run(home.settings())

    record = records_by_name(home)["album.tif"]
    assert record["kind"] == "photo"
    assert (record["file"]["sha256"], record["file"]["width"], record["file"]["height"]) == (sha256, 16, 16)
    details = [e["detail"] for e in record["events"] if e["outcome"] == "warning"]
    assert "300 pages; only the first is read" in details


def test_page_count_stops_at_the_cap(home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identify, "MAX_PAGES_COUNTED", 20)
    multipage_tiff(home.inbox / "album.tif", 60)
    pipeline.run(home.settings())
    details = [e["detail"] for e in records_by_name(home)["album.tif"]["events"]]
    assert "over 20 pages; only the first is read" in details


# -- EXIF that breaks exifread -----------------------------------------------------------------


def exif_scan(path: Path) -> tuple[Path, bytes]:
    make_scan(path, [path.stem.upper()], exif=FULL, font_px=20, margin=10)
    return path, path.read_bytes()


@pytest.mark.filterwarnings("error")
def test_exif_that_breaks_exifread_is_a_normal_ingest(home: ArchiveHome) -> None:
    # Zero denominator in the GPS latitude (33/0): the GPS is dropped, the rest kept.
    path, data = exif_scan(home.inbox / "zerogps.jpg")
    patched(path, data.index(struct.pack(">6I", 33, 1, 51, 1, 612, 25)) + 4, b"\x00\x00\x00\x00")
    # IFD0's "next IFD" pointer points back at IFD0: a chain that loops (read once).
    path, data = exif_scan(home.inbox / "loop.jpg")
    start = tiff_start(data)
    ifd0 = int.from_bytes(data[start + 4 : start + 8], "big")
    count = int.from_bytes(data[start + ifd0 : start + ifd0 + 2], "big")
    patched(path, start + ifd0 + 2 + 12 * count, struct.pack(">I", ifd0))
    # The Exif sub-IFD pointer turned into a 2 GB MakerNote (tag 0x927c, UNDEFINED).
    path, data = exif_scan(home.inbox / "makernote.jpg")
    patched(path, ifd0_entry(data, 0x8769), struct.pack(">HHI", 0x927C, 7, 0x7FFFFFF0))
    # An Exif sub-IFD pointer with count 0: exifread raises IndexError.
    path, data = exif_scan(home.inbox / "raises.jpg")
    patched(path, ifd0_entry(data, 0x8769) + 4, b"\x00\x00\x00\x00")
    small_scan(home.inbox / "plain.jpg", "PLAIN")

    summary = pipeline.run(home.settings())

    records = records_by_name(home)
    assert sorted(summary.ingested) == sorted(r["id"] for r in records.values())
    assert len(records) == 5 and summary.failed == [] and summary.quarantined == []
    exif_events = {}
    for name, record in records.items():
        assert record["kind"] != "quarantined"
        assert record["file"]["path"].startswith("originals/")
        if name == "plain.jpg":
            continue
        [event] = [e for e in record["events"] if e["detail"].startswith("EXIF")]
        exif_events[name] = (event["outcome"], event["detail"])
    assert exif_events["raises.jpg"] == (
        "success",
        "EXIF read by Pillow (exifread failed: IndexError: list index out of range): "
        "date_taken, make, model, artist, copyright, description, orientation, gps",
    )
    assert exif_events["zerogps.jpg"][1] == "EXIF: date_taken, make, model, artist, copyright, description, orientation"
    assert records["zerogps.jpg"]["exif"]["gps"] is None
    assert records["loop.jpg"]["exif"]["make"] == records["makernote.jpg"]["exif"]["make"] == "Zenit"
    assert records["raises.jpg"]["exif"]["make"] == "Zenit"  # read by Pillow (issue 16)
    # Pillow's complaint about the forged length is kept on the record, not printed.
    pillow = [e for e in records["makernote.jpg"]["events"] if e["detail"].startswith("Pillow")]
    assert pillow[0]["outcome"] == "warning"
    assert pillow[0]["detail"] == (
        "Pillow, reading the file in the identify stage: UserWarning: Tag data larger than file. Skipping tag 37500"
    )
    assert home.inbox_files() == []


# -- captions and files in flux ------------------------------------------------------------------


def test_fifty_megabyte_caption_is_refused_unread(home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    small_scan(home.inbox / "a.jpg", "A")
    with open(home.inbox / "a.txt", "wb") as caption:
        caption.truncate(50 * 1024 * 1024)  # sparse: 50 MB that cost nothing to write
    reads: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> BinaryIO:
        if self.name == "a.txt":
            reads.append(1)
        return real_open(self, mode, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Path, "open", counting_open)
    summary = pipeline.run(home.settings())

    assert summary.problems == [
        "a.txt: caption is 52,428,800 bytes, over the limit of 1,000,000; "
        "the image is ingested without it and the caption left in the inbox"
    ]
    assert reads == []
    record = records_by_name(home)["a.jpg"]
    assert (record["caption"], record["source"]["caption_file"]) == (None, None)
    assert home.inbox_files() == ["a.txt"]


def test_file_growing_while_it_is_read_is_skipped_and_taken_next_run(
    home: ArchiveHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    growing = small_scan(home.inbox / "growing.jpg", "GROWING")
    small_scan(home.inbox / "done.jpg", "DONE")
    real_fixity = STAGES["fixity"]

    def fixity_while_a_writer_appends(record: Any, ctx: Any) -> Any:
        result = real_fixity.run(record, ctx)
        if record.source.filename == "growing.jpg" and growing.stat().st_size < 10_000_000:
            with growing.open("ab") as handle:  # the scanner is still writing
                handle.write(b"\x00" * 1000)
        return result

    monkeypatch.setitem(STAGES, "fixity", replace(real_fixity, run=fixity_while_a_writer_appends))
    size = growing.stat().st_size
    summary = pipeline.run(home.settings())

    assert summary.problems == [
        f"growing.jpg: still being written (size {size:,} -> {size + 1000:,} bytes while it was filed); "
        "skipped this run, left in the inbox"
    ]
    assert sorted(records_by_name(home)) == ["done.jpg"]
    assert home.inbox_files() == ["growing.jpg"]
    assert len(archive_files(home, "originals")) == 1  # its copy was rolled back

    monkeypatch.setitem(STAGES, "fixity", real_fixity)
    summary = pipeline.run(home.settings())
    assert summary.problems == []
    assert sorted(records_by_name(home)) == ["done.jpg", "growing.jpg"]
    assert home.inbox_files() == []


def test_file_changed_between_discovery_and_reading_is_skipped(
    home: ArchiveHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = small_scan(home.inbox / "late.jpg", "LATE")
    real_find = discover.find_drops

    def find_then_write(ctx: Any) -> discover.Discovery:
        found = real_find(ctx)
        with path.open("ab") as handle:
            handle.write(b"more")
        return found

    monkeypatch.setattr(discover, "find_drops", find_then_write)
    summary = pipeline.run(home.settings())
    size = path.stat().st_size
    assert summary.problems == [
        f"late.jpg: still being written (size {size - 4:,} -> {size:,} bytes before it was read); "
        "skipped this run, left in the inbox"
    ]
    assert not home.catalog.exists() or home.catalog_records() == []


# -- resources -----------------------------------------------------------------------------------


def test_full_disk_stops_the_run_cleanly(home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        small_scan(home.inbox / name, name.upper())
    before = {name: (home.inbox / name).read_bytes() for name in home.inbox_files()}
    copies: list[str] = []
    real_copy = shutil.copyfileobj

    def copy_until_full(source: BinaryIO, target: BinaryIO, length: int = 0) -> None:
        copies.append(source.name)
        if len(copies) == 1:
            real_copy(source, target, length)
            return
        target.write(source.read(100))  # a partial copy, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copyfileobj", copy_until_full)
    summary = pipeline.run(home.settings())

    assert len(copies) == 2  # stopped at the first full-disk error: c.jpg was not tried
    assert summary.stopped is not None
    shard = summary.ingested and f"archive/originals/{hashlib.sha256(before['b.jpg']).hexdigest()[:2]}"
    assert summary.stopped == (
        f"b.jpg: {home.root / str(shard)}: no space left on the archive's disk while writing the archived copy; "
        "the run stops here, the file is left in the inbox"
    )
    assert len(summary.ingested) == 1
    [record] = home.catalog_records()
    assert record["source"]["filename"] == "a.jpg"
    assert archive_files(home, "originals") == [record["file"]["path"].removeprefix("originals/")]
    assert home.inbox_files() == ["b.jpg", "c.jpg"]
    assert all((home.inbox / n).read_bytes() == before[n] for n in ("b.jpg", "c.jpg"))


def test_full_disk_exits_1_with_one_line(home: ArchiveHome, monkeypatch: pytest.MonkeyPatch) -> None:
    small_scan(home.inbox / "a.jpg", "A")

    def full(source: BinaryIO, target: BinaryIO, length: int = 0) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copyfileobj", full)
    result = home.invoke("run")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "a.jpg: " in errors[0] and "no space left on the archive's disk" in errors[0]
    assert home.inbox_files() == ["a.jpg"]
    assert archive_files(home, "originals") == []


def test_tesseract_timeout_is_a_failure_event_and_the_batch_goes_on(tmp_path: Path) -> None:
    home = new_home(
        tmp_path / "home",
        "stages: [fixity, identify, exif, ocr, extract, flags, file]\nocr:\n  timeout_seconds: 0.001\n",
    )
    make_scan(home.inbox / "one.jpg", ["ПЕТРОВ", "1921-1945"])
    make_scan(home.inbox / "two.jpg", ["ИВАНОВ", "1920-1944"])

    summary = pipeline.run(home.settings())

    assert len(summary.ingested) == 2 and summary.failed == []
    for record in home.catalog_records():
        [ocr_event] = [e for e in record["events"] if e["type"] == "ocr"]
        assert ocr_event["outcome"] == "failure"
        assert ocr_event["detail"].startswith("tesseract stopped after 0.001 s")
        assert "ocr_failed" in [flag["code"] for flag in record["flags"]]
        assert record["ocr"]["text"] == ""
    assert home.inbox_files() == []


def test_manifest_edited_during_the_run_is_left_as_edited(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR + "catalog:\n  batch_size: 1\n")
    small_scan(home.inbox / "a.jpg", "A")
    small_scan(home.inbox / "b.jpg", "B")
    manifest = home.inbox / "captions.csv"
    manifest.write_text("file,caption\na.jpg,first\nb.jpg,second\nlater.jpg,third\n", encoding="utf-8")
    edited = "file,caption\nb.jpg,second\nlater.jpg,third, corrected\n"

    def edit(name: str, done: int, total: int) -> None:
        if name == "b.jpg":  # a.jpg's row is out; someone saves the manifest while the run reads b.jpg
            manifest.write_text(edited, encoding="utf-8")

    summary = pipeline.run(home.settings(), progress=edit)

    assert len(summary.ingested) == 2
    assert summary.problems[-1] == (
        "captions.csv: its rows for archived images could not be taken out (someone changed it during the run); "
        "left in the inbox as it is"
    )
    assert summary.notes == [f"captions.csv: filed as {home.catalog_records()[0]['source']['caption_path']}"]
    assert home.inbox_files() == ["captions.csv"]
    assert manifest.read_text(encoding="utf-8") == edited
