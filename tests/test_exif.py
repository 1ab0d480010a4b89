"""The EXIF stage on files it draws itself: full EXIF, fallbacks, formats, and broken files."""

from __future__ import annotations

import logging
import struct
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
from PIL import Image

from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.stages import exif
from archive_ingest.ingest.stages.exif import ExifReading, read_exif
from archive_ingest.record import Event, EventType, ExifInfo, FileInfo, Kind, Outcome, Record, Source
from conftest import ArchiveHome
from scanmaker import TAG_ARTIST, ExifSpec, build_exif, make_scan

AT = "2026-11-26T16:45:00Z"
AGENT = "archive-ingest 0.1.0"

FULL = ExifSpec(
    date_original="1953:07:27 10:00:00",
    date_digitized="1990:05:01 09:30:00",
    date_time="2013:01:09 11:50:11",
    make="Zenit   ",  # cameras pad with spaces
    model="Zenit-E",
    artist="Embassy photographer",
    copyright="Russian Embassy in Pyongyang",
    description="Soviet war cemetery, Pyongyang",
    orientation=6,
    gps=(-33.8568, -151.2153),  # south and west: both negative
)
FULL_INFO = ExifInfo(
    date_taken="1953-07-27T10:00:00",
    make="Zenit",
    model="Zenit-E",
    artist="Embassy photographer",
    copyright="Russian Embassy in Pyongyang",
    description="Soviet war cemetery, Pyongyang",
    orientation=6,
    gps={"lat": -33.8568, "lon": -151.2153},
)
ALL_FIELDS = "EXIF: date_taken, make, model, artist, copyright, description, orientation, gps"


@pytest.fixture
def ctx(archive_home: ArchiveHome) -> RunContext:
    return RunContext(settings=archive_home.settings(), now=lambda: datetime(2026, 11, 26, 16, 45, tzinfo=UTC))


def record_for(name: str) -> Record:
    return Record(id="x", kind=Kind.PHOTO, source=Source(filename=name), file=FileInfo(sha256="0" * 64, bytes=1))


def scan(path: Path, spec: ExifSpec | None) -> Path:
    return make_scan(path, ["1953"], exif=spec, font_px=20)


def no_exif(detail: str) -> ExifReading:
    return ExifReading(ExifInfo(), "none", detail)


def unreadable(detail: str) -> ExifReading:
    return ExifReading(ExifInfo(), "error", detail)


# -- helpers that break a Pillow-written JPEG's EXIF at a known place -------------------------


def tiff_start(data: bytes) -> int:
    return data.index(b"Exif\x00\x00") + 6


def ifd0_entry(data: bytes, tag: int) -> int:
    """Absolute offset of IFD0's 12-byte entry for `tag` in a JPEG's EXIF."""
    start = tiff_start(data)
    order: Literal["big", "little"] = "big" if data[start : start + 2] == b"MM" else "little"
    ifd = start + int.from_bytes(data[start + 4 : start + 8], order)
    for index in range(int.from_bytes(data[ifd : ifd + 2], order)):
        entry = ifd + 2 + 12 * index
        if int.from_bytes(data[entry : entry + 2], order) == tag:
            return entry
    raise AssertionError(f"tag {tag:#x} not in IFD0")


def patched(path: Path, offset: int, new: bytes) -> Path:
    data = bytearray(path.read_bytes())
    data[offset : offset + len(new)] = new
    path.write_bytes(bytes(data))
    return path


# -- reading good files ------------------------------------------------------------------------


def test_full_exif_jpeg(tmp_path: Path) -> None:
    assert read_exif(scan(tmp_path / "a.jpg", FULL)) == ExifReading(FULL_INFO, "ok", "")


def test_run_sets_exif_and_logs_the_fields_found(ctx: RunContext) -> None:
    scan(ctx.inbox / "sub" / "a.jpg", FULL)
    record = exif.run(record_for("sub/a.jpg"), ctx)
    assert record.exif == FULL_INFO
    assert record.events == [Event(EventType.METADATA_EXTRACTION, AT, AGENT, Outcome.SUCCESS, ALL_FIELDS)]


def test_event_lists_only_the_fields_present(ctx: RunContext) -> None:
    scan(ctx.inbox / "a.jpg", ExifSpec(date_time="2013:01:09 11:50:11", make="Canon", orientation=1))
    record = exif.run(record_for("a.jpg"), ctx)
    assert record.events[0].detail == "EXIF: date_taken, make, orientation"


def test_datetime_only_is_the_last_fallback(tmp_path: Path) -> None:
    reading = read_exif(scan(tmp_path / "a.jpg", ExifSpec(date_time="2013:01:09 11:50:11")))
    assert reading == ExifReading(ExifInfo(date_taken="2013-01-09T11:50:11"), "ok", "")


def test_datetime_digitized_comes_before_datetime(tmp_path: Path) -> None:
    spec = ExifSpec(date_digitized="1990:05:01 09:30:00", date_time="2013:01:09 11:50:11")
    assert read_exif(scan(tmp_path / "a.jpg", spec)).info.date_taken == "1990-05-01T09:30:00"


@pytest.mark.parametrize("bad", ["0000:00:00 00:00:00", "    :  :     :  :  ", "", "2013:13:45 10:00:00", "1953"])
def test_malformed_dates_fall_through_to_the_next_source(tmp_path: Path, bad: str) -> None:
    spec = ExifSpec(date_original=bad, date_digitized="1990:05:01 09:30:00")
    assert read_exif(scan(tmp_path / "a.jpg", spec)).info.date_taken == "1990-05-01T09:30:00"


def test_no_usable_date_at_all(tmp_path: Path) -> None:
    spec = ExifSpec(date_original="0000:00:00 00:00:00", date_time="    :  :     :  :  ", make="Zenit")
    assert read_exif(scan(tmp_path / "a.jpg", spec)) == ExifReading(ExifInfo(make="Zenit"), "ok", "")


def test_png_keeps_all_exif(tmp_path: Path) -> None:
    # Pillow writes an eXIf chunk with every IFD, and exifread reads it.
    assert read_exif(scan(tmp_path / "a.png", FULL)) == ExifReading(FULL_INFO, "ok", "")


def test_tiff_keeps_ifd0_only(tmp_path: Path) -> None:
    # Pillow's TIFF writer keeps IFD0 tags and drops the Exif and GPS sub-IFDs, so the date
    # comes from IFD0's DateTime and there is no GPS.
    expected = ExifInfo(
        date_taken="2013-01-09T11:50:11",
        make="Zenit",
        model="Zenit-E",
        artist="Embassy photographer",
        copyright="Russian Embassy in Pyongyang",
        description="Soviet war cemetery, Pyongyang",
        orientation=6,
    )
    assert read_exif(scan(tmp_path / "a.tif", FULL)) == ExifReading(expected, "ok", "")


def test_webp_with_a_bare_tiff_exif_chunk(tmp_path: Path) -> None:
    # Pillow writes the WebP EXIF chunk without the "Exif\0\0" prefix that exifread expects;
    # read_exif finds the chunk itself.
    path = scan(tmp_path / "a.webp", FULL)
    data = path.read_bytes()
    chunk = data.index(b"EXIF")
    assert data[chunk + 8 : chunk + 12] == b"MM\x00*"  # after fourcc and size: the TIFF header
    assert read_exif(path) == ExifReading(FULL_INFO, "ok", "")


def test_exif_segment_behind_a_large_xmp_segment(tmp_path: Path) -> None:
    # exifread only looks at a JPEG's first ~4 KB for the Exif segment.
    path = scan(tmp_path / "a.jpg", FULL)
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + b"<x:xmpmeta/>".ljust(20_000, b" ")
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp + data[2:])
    assert read_exif(path) == ExifReading(FULL_INFO, "ok", "")


def test_utf8_text_and_blank_fields(tmp_path: Path) -> None:
    tags = build_exif(ExifSpec(model="   ", copyright="\t"))
    tags[TAG_ARTIST] = "Иван Петров".encode()  # Pillow writes bytes as they are
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg", exif=tags)
    assert read_exif(tmp_path / "a.jpg") == ExifReading(ExifInfo(artist="Иван Петров"), "ok", "")


def test_text_that_is_not_utf8_is_kept_with_replacement_marks(tmp_path: Path) -> None:
    tags = build_exif(ExifSpec())
    tags[TAG_ARTIST] = "Петров".encode("cp1251")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg", exif=tags)
    expected = ExifReading(ExifInfo(artist="\ufffd" * 6), "ok", "Possibly corrupted field Artist in Image IFD")
    assert read_exif(tmp_path / "a.jpg") == expected


@pytest.mark.parametrize("orientation", [0, 9])
def test_orientation_out_of_range_is_dropped(tmp_path: Path, orientation: int) -> None:
    spec = ExifSpec(make="Zenit", orientation=orientation)
    assert read_exif(scan(tmp_path / "a.jpg", spec)).info == ExifInfo(make="Zenit")


@pytest.mark.parametrize("gps", [(95.0, 10.0), (10.0, 181.5), (0.0, 0.0)])
def test_gps_out_of_range_or_null_island_is_dropped(tmp_path: Path, gps: tuple[float, float]) -> None:
    spec = ExifSpec(make="Zenit", gps=gps)
    assert read_exif(scan(tmp_path / "a.jpg", spec)).info == ExifInfo(make="Zenit")


def test_gps_northern_eastern_hemisphere(tmp_path: Path) -> None:
    spec = ExifSpec(gps=(41.7956, 129.7758))  # Chongjin
    assert read_exif(scan(tmp_path / "a.jpg", spec)).info.gps == {"lat": 41.7956, "lon": 129.7758}


# -- files without EXIF ----------------------------------------------------------------------------


def test_file_without_exif(tmp_path: Path) -> None:
    assert read_exif(scan(tmp_path / "a.jpg", None)) == no_exif("no EXIF found")


def test_run_on_a_file_without_exif(ctx: RunContext) -> None:
    scan(ctx.inbox / "a.png", None)
    record = exif.run(record_for("a.png"), ctx)
    assert record.exif == ExifInfo()
    assert record.events == [Event(EventType.METADATA_EXTRACTION, AT, AGENT, Outcome.SUCCESS, "no EXIF in file")]


def test_zero_byte_file(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    assert read_exif(tmp_path / "a.jpg") == no_exif("File format not recognized.")


def test_text_file_named_jpg(ctx: RunContext) -> None:
    (ctx.inbox / "a.jpg").write_text("Могила Тён Ивана\n", encoding="utf-8")
    record = exif.run(record_for("a.jpg"), ctx)
    assert record.events[0].outcome == Outcome.SUCCESS
    assert record.events[0].detail == "no EXIF in file"
    assert read_exif(ctx.inbox / "a.jpg") == no_exif("File format not recognized.")


def test_text_starting_like_a_tiff(tmp_path: Path) -> None:
    # "MM" is a big-endian TIFF's first two bytes: exifread parses on and finds nothing.
    (tmp_path / "a.tif").write_text("MM is not a TIFF\n", encoding="ascii")
    assert read_exif(tmp_path / "a.tif") == no_exif("no EXIF found")


# -- broken EXIF ---------------------------------------------------------------------------------


def test_ifd0_offset_past_the_end_reads_as_no_exif(tmp_path: Path) -> None:
    path = scan(tmp_path / "a.jpg", FULL)
    patched(path, tiff_start(path.read_bytes()) + 4, struct.pack(">I", 10_000_000))
    assert read_exif(path) == no_exif("no EXIF found")


def test_broken_exif_marker_reads_as_no_exif(tmp_path: Path) -> None:
    path = scan(tmp_path / "a.jpg", FULL)
    patched(path, tiff_start(path.read_bytes()) - 6, b"Exiv")
    assert read_exif(path) == no_exif("no EXIF found")


def test_empty_exif_offset_makes_exifread_fail_and_pillow_read_the_rest(ctx: RunContext) -> None:
    # exifread raises and loses IFD0 with the Exif IFD; Pillow (issue 16) reads IFD0 and GPS.
    path = scan(ctx.inbox / "a.jpg", FULL)
    patched(path, ifd0_entry(path.read_bytes(), 0x8769) + 4, b"\x00\x00\x00\x00")  # count 0
    record = exif.run(record_for("a.jpg"), ctx)
    assert record.exif == replace(FULL_INFO, date_taken="2013-01-09T11:50:11")  # DateTime
    assert record.events == [
        Event(
            EventType.METADATA_EXTRACTION,
            AT,
            AGENT,
            Outcome.SUCCESS,
            "EXIF read by Pillow (exifread failed: IndexError: list index out of range): "
            + ALL_FIELDS.removeprefix("EXIF: "),
        )
    ]
    assert read_exif(path, fallback=False) == unreadable("exifread failed: IndexError: list index out of range")


def test_exif_offset_of_the_wrong_type_is_read_by_pillow(tmp_path: Path) -> None:
    path = scan(tmp_path / "a.jpg", FULL)
    patched(path, ifd0_entry(path.read_bytes(), 0x8769) + 2, b"\x00\x02")  # type ASCII
    detail = "exifread failed: IndexError: string index out of range"
    expected = replace(FULL_INFO, date_taken="2013-01-09T11:50:11")
    assert read_exif(path) == ExifReading(expected, "ok", detail, "Pillow")
    assert read_exif(path, fallback=False) == unreadable(detail)


def test_exif_offset_past_the_end_loses_only_the_exif_ifd(tmp_path: Path) -> None:
    path = scan(tmp_path / "a.jpg", FULL)
    patched(path, ifd0_entry(path.read_bytes(), 0x8769) + 8, struct.pack(">I", 10_000_000))
    expected = replace(FULL_INFO, date_taken="2013-01-09T11:50:11")  # DateTime
    assert read_exif(path) == ExifReading(expected, "ok", "")


def test_exifread_warnings_go_into_the_event_not_the_terminal(
    ctx: RunContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="archive_ingest.ingest.stages.exif")
    path = scan(ctx.inbox / "a.jpg", FULL)
    patched(path, ifd0_entry(path.read_bytes(), 0x8825) + 4, b"\x00\x00\x00\x00")  # empty GPS
    record = exif.run(record_for("a.jpg"), ctx)
    assert record.exif == replace(FULL_INFO, gps=None)
    assert record.events[0].outcome == Outcome.SUCCESS
    assert record.events[0].detail == (
        "EXIF: date_taken, make, model, artist, copyright, description, orientation"
        " (exifread: No values found for GPS SubIFD)"
    )
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("archive_ingest.ingest.stages.exif", "DEBUG", "exifread on a.jpg: No values found for GPS SubIFD")
    ]
    assert logging.getLogger("exifread").filters == []


def test_gps_with_a_zero_denominator_is_dropped(tmp_path: Path) -> None:
    path = scan(tmp_path / "a.jpg", FULL)
    data = path.read_bytes()
    # Pillow stores the latitude 33 51 24.48 as the big-endian rationals 33/1 51/1 612/25.
    latitude = struct.pack(">6I", 33, 1, 51, 1, 612, 25)
    patched(path, data.index(latitude) + 4, b"\x00\x00\x00\x00")  # 33/0
    assert read_exif(path) == ExifReading(replace(FULL_INFO, gps=None), "ok", "")


def test_gps_without_its_hemisphere_is_dropped(tmp_path: Path) -> None:
    path = scan(tmp_path / "a.jpg", FULL)
    data = path.read_bytes()
    start = tiff_start(data)
    gps_ifd = start + int.from_bytes(data[ifd0_entry(data, 0x8825) + 8 :][:4], "big")
    # Entry 1 of the GPS IFD is GPSLatitudeRef ("S"); make its value "X".
    assert data[gps_ifd + 2 + 12 : gps_ifd + 4 + 12] == b"\x00\x01"
    patched(path, gps_ifd + 2 + 12 + 8, b"X")
    assert read_exif(path).info.gps is None


def test_truncated_exif_segment(tmp_path: Path) -> None:
    path = scan(tmp_path / "a.jpg", FULL)
    path.write_bytes(path.read_bytes()[: tiff_start(path.read_bytes()) + 40])
    assert read_exif(path) == ExifReading(ExifInfo(), "ok", "Unexpected slice length: 2")


# -- hostile containers ------------------------------------------------------------------------

FTYP = struct.pack(">I4s4sI4s", 20, b"ftyp", b"heic", 0, b"mif1")


def test_heic_box_of_size_zero(tmp_path: Path) -> None:
    (tmp_path / "a.heic").write_bytes(b"\x00\x00\x00\x00ftypheic" + bytes(16))
    assert read_exif(tmp_path / "a.heic") == unreadable("exifread failed: NotImplementedError: HEIC/AVIF box of size 0")


def test_heic_cut_short(tmp_path: Path) -> None:
    (tmp_path / "a.heic").write_bytes(FTYP)
    assert read_exif(tmp_path / "a.heic") == unreadable("exifread failed: EOFError: unexpected end of file")


def test_heic_box_that_loops_forever_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A 64-bit box size of 0 sends exifread round the same box for ever.
    monkeypatch.setattr(exif, "_MAX_READS", 5_000)  # the real budget takes a second to spend
    (tmp_path / "a.heic").write_bytes(FTYP + struct.pack(">I4sQ", 1, b"free", 0) + bytes(32))
    assert read_exif(tmp_path / "a.heic") == unreadable(
        "exifread gave up after 5,000 reads (malformed file sends it in circles)"
    )


def test_heic_box_size_beyond_any_file(tmp_path: Path) -> None:
    (tmp_path / "a.heic").write_bytes(FTYP + struct.pack(">I4sQ", 1, b"free", 2**64 - 1) + bytes(32))
    assert read_exif(tmp_path / "a.heic") == unreadable(
        "exifread failed: ValueError: cannot fit 'int' into an offset-sized integer"
    )


def test_missing_file_is_a_warning_event(ctx: RunContext) -> None:
    record = exif.run(record_for("gone.jpg"), ctx)
    assert record.exif == ExifInfo()
    assert record.events == [
        Event(
            EventType.METADATA_EXTRACTION,
            AT,
            AGENT,
            Outcome.WARNING,
            "EXIF unreadable: cannot open file: No such file or directory",
        )
    ]


def test_folder_instead_of_a_file(tmp_path: Path) -> None:
    assert read_exif(tmp_path) == unreadable("cannot open file: Is a directory")
