"""Issue 16, phone and modern formats: HEIC and AVIF made here (HEIC by pillow-heif, AVIF by
Pillow's own plugin) are identified, read (EXIF included), OCRed and given access copies
like JPEG; camera RAW and JPEG XL, which the tool cannot read, are quarantined with a
reason naming what would read them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from archive_ingest.config import AccessSettings
from archive_ingest.ingest.stages.access import render
from archive_ingest.ingest.stages.exif import read_exif
from archive_ingest.search import normalise
from conftest import ArchiveHome, new_home
from scanmaker import ExifSpec, make_scan

HEIC_EXIF = ExifSpec(date_original="1978:05:09 10:15:00", make="Apple", model="iPhone 13 Pro Max")
AVIF_EXIF = ExifSpec(date_original="1979:06:10 11:20:00", make="OLYMPUS", orientation=6)


def by_name(home: ArchiveHome) -> dict[str, dict[str, Any]]:
    return {record["source"]["filename"]: record for record in home.catalog_records()}


def test_heic_and_avif_are_read_like_jpeg(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home")
    make_scan(home.inbox / "IMG_0001.HEIC", ["ВЕЧНАЯ СЛАВА", "1945"], exif=HEIC_EXIF, fmt="HEIF", font_px=64)
    # Stored turned, EXIF orientation 6, as a camera does: read upright.
    make_scan(home.inbox / "mountains.avif", ["СЛАВА ГЕРОЯМ", "1953"], exif=AVIF_EXIF, fmt="AVIF", font_px=64)

    result = home.invoke("run")

    assert result.exit_code == 0, result.output
    records = by_name(home)
    heic, avif = records["IMG_0001.HEIC"], records["mountains.avif"]
    for record, fmt, extension, date, year, word in (
        (heic, "HEIF", ".heic", "1978-05-09T10:15:00", "1945", "слава"),
        (avif, "AVIF", ".avif", "1979-06-10T11:20:00", "1953", "героям"),
    ):
        assert record["kind"] != "quarantined"
        assert record["file"]["format"] == fmt
        assert record["file"]["path"].startswith("originals/") and record["file"]["path"].endswith(extension)
        assert record["exif"]["date_taken"] == date
        text = normalise(record["ocr"]["text"])
        assert year in text and word in text, record["ocr"]["text"]
        access = home.archive / record["derivatives"]["access_path"]
        with Image.open(access) as copy:
            assert copy.format == "JPEG"
            assert copy.width > copy.height  # upright: the inscription's lines run across
        assert (home.archive / record["derivatives"]["thumbnail_path"]).is_file()
    assert heic["exif"]["model"] == "iPhone 13 Pro Max"
    # Pillow writes an AVIF's orientation as the container's irot/imir, not in its EXIF,
    # and turns by it on reading: the access copy above is upright all the same.
    assert avif["exif"]["orientation"] is None
    # exifread gives up on the HEIC pillow-heif writes; Pillow's EXIF reads it (issue 16).
    [event] = [e for e in heic["events"] if e["detail"].startswith("EXIF")]
    assert event["detail"].startswith("EXIF read by Pillow (exifread failed: AssertionError")
    assert home.inbox_files() == []


def test_raw_and_jpeg_xl_are_quarantined_with_what_would_read_them(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home")
    # A NEF starts like a TIFF (Pillow would open it as one); a few bytes are enough.
    (home.inbox / "DSC_0001.NEF").write_bytes(b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")
    (home.inbox / "DSC_0002.dng").write_bytes(b"MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00")
    # A JPEG XL codestream (signature FF 0A): no decoder is installed.
    (home.inbox / "photo.jxl").write_bytes(b"\xff\x0a\xfa\x7f\x01\x90\x08\x06\x01\x00")

    result = home.invoke("run")

    assert result.exit_code == 0, result.output
    assert "quarantined 3" in result.stderr
    records = by_name(home)
    reads = "archive-ingest reads JPEG, PNG, TIFF, WebP, HEIC/HEIF and AVIF"
    expected = {
        "DSC_0001.NEF": "camera RAW (.nef): not read here; convert it to TIFF first "
        f"(darktable, RawTherapee or dcraw read it) and drop the TIFF; {reads}",
        "DSC_0002.dng": "camera RAW (.dng): not read here; convert it to TIFF first "
        f"(darktable, RawTherapee or dcraw read it) and drop the TIFF; {reads}",
        "photo.jxl": "JPEG XL (.jxl): no JPEG XL decoder is installed; convert it to PNG or JPEG "
        f"with libjxl's djxl first; {reads}",
    }
    for name, reason in expected.items():
        record = records[name]
        assert record["kind"] == "quarantined"
        assert [flag["detail"] for flag in record["flags"] if flag["code"] == "corrupt"] == [reason]
        suffix = Path(name).suffix.lower()
        assert record["file"]["path"].startswith("quarantine/") and record["file"]["path"].endswith(suffix)
        assert (home.archive / record["file"]["path"]).read_bytes()[:2] in (b"II", b"MM", b"\xff\x0a")
    assert home.inbox_files() == []


def test_heif_is_not_turned_twice(tmp_path: Path) -> None:
    # libheif decodes a HEIF as it is to be shown and pillow-heif says orientation 1; the
    # EXIF orientation (6 on an iPhone's, which the record keeps) is not applied again.
    path = make_scan(tmp_path / "a.heic", ["1945"], exif=ExifSpec(orientation=6), fmt="HEIF", font_px=20)
    with Image.open(path) as image:
        stored = image.size
    assert read_exif(path).info.orientation == 6
    copies = render(path, orientation=6, credit=None, rights=None, title=None, settings=AccessSettings())
    with Image.open(io.BytesIO(copies.access)) as copy:
        assert copy.size == stored
