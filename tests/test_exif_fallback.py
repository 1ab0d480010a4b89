"""Issue 16, EXIF as exiftool reads it: Pillow's EXIF when exifread fails or finds none, and
the XMP packet for the date taken and the orientation when EXIF lacks them.

Every file is made here; the real camera files in ../shared/exif_samples are for
benchmarks/exif_agreement.py only.
"""

from __future__ import annotations

import struct
from pathlib import Path

from archive_ingest.ingest.stages.exif import ExifReading, read_exif
from archive_ingest.record import ExifInfo
from conftest import new_home
from scanmaker import ExifSpec, draw_inscription, make_scan, save_scan
from test_exif import FULL, FULL_INFO, ifd0_entry, patched


def jpeg(path: Path, xmp: bytes, exif: ExifSpec | None = None) -> Path:
    return save_scan(path, draw_inscription(["1953"], font_px=20), exif=exif, xmp=xmp)


def xmp_packet(**properties: str) -> bytes:
    """An XMP packet as Photoshop writes it: properties as attributes of rdf:Description."""
    attributes = " ".join(f'{name}="{value}"' for name, value in properties.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        ' xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        f" {attributes}/></rdf:RDF></x:xmpmeta>\n" + " " * 200 + '\n<?xpacket end="w"?>'
    ).encode()


def test_xmp_only_jpeg_gives_orientation_and_date(tmp_path: Path) -> None:
    # The shape of exif_samples' jpg/invalid/image00971.jpg: no Exif segment at all (exifread
    # returns {}), an XMP packet holding tiff:Orientation; here with a date taken too.
    xmp = xmp_packet(**{"tiff:Orientation": "6", "exif:DateTimeOriginal": "1953-07-27T10:00:00+09:00"})
    path = jpeg(tmp_path / "a.jpg", xmp)
    assert read_exif(path, fallback=False) == ExifReading(ExifInfo(), "none", "no EXIF found")
    assert read_exif(path) == ExifReading(
        ExifInfo(date_taken="1953-07-27T10:00:00", orientation=6),
        "ok",
        "exifread found none",
        "XMP",
        ("date_taken", "orientation"),
    )


def test_photoshop_save_time_does_not_pass_for_the_date_taken(tmp_path: Path) -> None:
    # The shape of jpg/tests/30-type_error.jpg: Photoshop Elements kept only IFD0 DateTime
    # (when it saved the file, two days later) and moved DateTimeOriginal into XMP, as
    # elements, not attributes. exiftool reports the XMP one, and so do we.
    spec = ExifSpec(date_time="2013:07:07 17:20:59", copyright="Francisco Gonzalez")
    xmp = xmp_packet(**{"xmp:ModifyDate": "2013-07-07T17:20:59-07:00"}).replace(
        b"/></rdf:RDF>",
        b"><exif:DateTimeOriginal>2013-07-05T03:18:27Z</exif:DateTimeOriginal></rdf:Description></rdf:RDF>",
    )
    path = jpeg(tmp_path / "a.jpg", xmp, spec)
    assert read_exif(path, fallback=False).info.date_taken == "2013-07-07T17:20:59"
    reading = read_exif(path)
    assert reading.info == ExifInfo(date_taken="2013-07-05T03:18:27", copyright="Francisco Gonzalez")
    assert (reading.reader, reading.from_xmp) == ("exifread", ("date_taken",))


def test_exif_values_win_over_xmp(tmp_path: Path) -> None:
    xmp = xmp_packet(**{"tiff:Orientation": "8", "exif:DateTimeOriginal": "2001-01-01T00:00:00"})
    path = jpeg(tmp_path / "a.jpg", xmp, FULL)
    assert read_exif(path) == ExifReading(FULL_INFO, "ok", "")


def test_xmp_digitized_ranks_below_exif_digitized(tmp_path: Path) -> None:
    spec = ExifSpec(date_digitized="1990:05:01 09:30:00", orientation=1)
    xmp = xmp_packet(**{"exif:DateTimeDigitized": "2001-01-01T00:00:00"})
    path = jpeg(tmp_path / "a.jpg", xmp, spec)
    assert read_exif(path).info.date_taken == "1990-05-01T09:30:00"


def test_hostile_xmp_is_ignored(tmp_path: Path) -> None:
    # An entity bomb (expat refuses it), a malformed packet, an orientation out of range.
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(8))
        + b']><x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:exif="http://ns.adobe.com/exif/1.0/">'
        b"<exif:DateTimeOriginal>&i;</exif:DateTimeOriginal></x:xmpmeta>"
    )
    for name, xmp in (
        ("bomb.jpg", bomb),
        ("broken.jpg", xmp_packet(**{"tiff:Orientation": "6"}).replace(b"</x:xmpmeta>", b"")),
        ("range.jpg", xmp_packet(**{"tiff:Orientation": "9"})),
    ):
        path = jpeg(tmp_path / name, xmp)
        assert read_exif(path) == ExifReading(ExifInfo(), "none", "no EXIF found"), name


def test_exif_that_exifread_cannot_read_goes_through_the_cli_read_by_pillow(tmp_path: Path) -> None:
    # An Exif sub-IFD pointer whose count is 0: exifread raises IndexError and loses IFD0;
    # Pillow reads IFD0 and the GPS IFD. Through the whole `archive-ingest run`.
    home = new_home(tmp_path / "home")
    path = make_scan(home.inbox / "a.jpg", ["1953"], exif=FULL, font_px=40)
    patched(path, ifd0_entry(path.read_bytes(), 0x8769) + 4, struct.pack(">I", 0))
    result = home.invoke("run")
    assert result.exit_code == 0, result.output
    [record] = home.catalog_records()
    assert record["exif"] == {
        "date_taken": "2013-01-09T11:50:11",  # IFD0 DateTime: the Exif IFD is lost to both
        "make": "Zenit",
        "model": "Zenit-E",
        "artist": FULL_INFO.artist,
        "copyright": FULL_INFO.copyright,
        "description": FULL_INFO.description,
        "orientation": 6,
        "gps": {"lat": -33.8568, "lon": -151.2153},
    }
    [event] = [e for e in record["events"] if e["detail"].startswith("EXIF")]
    assert event["outcome"] == "success"
    assert event["detail"].startswith(
        "EXIF read by Pillow (exifread failed: IndexError: list index out of range): date_taken, make, model"
    )
