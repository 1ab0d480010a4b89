"""Captions, credits, dates and places written into the file (XMP, IPTC IIM), through the CLI.

XMP is written by Pillow (`Image.save(..., xmp=...)`). No IPTC writer is installed here,
so the IPTC block is built in the test as its specs lay it out (IIM 4.2 datasets inside an
Adobe Photoshop image resource, ID 0x0404, in a JPEG APP13 "Photoshop 3.0" segment) and
read back by Pillow's `IptcImagePlugin`, the reader the pipeline uses.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from archive_ingest.ingest.stages.embedded import read_embedded
from conftest import ArchiveHome, new_home
from scanmaker import make_scan

NO_OCR = "stages: [fixity, identify, exif, extract, provenance, flags, file]\n"


def xmp_packet(
    description: str | None = None,
    *,
    title: str | None = None,
    creators: tuple[str, ...] = (),
    rights: str | None = None,
    credit: str | None = None,
    date_created: str | None = None,
    location: str | None = None,
    city: str | None = None,
) -> bytes:
    """An XMP packet as Photoshop and Lightroom write it: Alt, Seq and simple properties."""
    parts: list[str] = []
    if description is not None:
        parts.append(
            f'<dc:description><rdf:Alt><rdf:li xml:lang="ru">по-русски</rdf:li>'
            f'<rdf:li xml:lang="x-default">{description}</rdf:li></rdf:Alt></dc:description>'
        )
    if title is not None:
        parts.append(f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>')
    if creators:
        items = "".join(f"<rdf:li>{name}</rdf:li>" for name in creators)
        parts.append(f"<dc:creator><rdf:Seq>{items}</rdf:Seq></dc:creator>")
    if rights is not None:
        parts.append(f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li></rdf:Alt></dc:rights>')
    attributes = []
    if credit is not None:
        attributes.append(f'photoshop:Credit="{credit}"')
    if date_created is not None:
        attributes.append(f'photoshop:DateCreated="{date_created}"')
    if location is not None:
        attributes.append(f'Iptc4xmpCore:Location="{location}"')
    if city is not None:
        attributes.append(f'photoshop:City="{city}"')
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/" '
        f"{' '.join(attributes)}>{''.join(parts)}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def iim(datasets: list[tuple[int, int, str]], *, utf8: bool = True) -> bytes:
    """IPTC IIM datasets: tag marker 0x1C, record, dataset, 2-byte length, data (IIM 4.2 §1.5)."""
    out = bytearray()
    if utf8:
        out += b"\x1c\x01\x5a\x00\x03\x1b%G"  # 1:90 Coded Character Set: UTF-8
    for record, number, text in datasets:
        data = text.encode("utf-8" if utf8 else "cp1251")
        out += struct.pack(">BBBH", 0x1C, record, number, len(data)) + data
    return bytes(out)


def with_iptc(jpeg: bytes, block: bytes) -> bytes:
    """`jpeg` with an APP13 segment holding `block` as Photoshop image resource 0x0404 (IPTC-NAA).

    Image resource: "8BIM", ID (2 bytes), a Pascal name padded to even (empty: 2 zero bytes),
    data size (4 bytes), data padded to even.
    """
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(block)) + block
    if len(block) % 2:
        resource += b"\x00"
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + segment + jpeg[2:]


def scan(home: ArchiveHome, name: str, *, xmp: bytes | None = None, iptc: bytes | None = None) -> Path:
    """A JPEG scan (its own picture: no two are duplicates) with the XMP and IPTC given."""
    path = home.inbox / name
    options: dict[str, Any] = {"xmp": xmp} if xmp is not None else {}
    make_scan(path, [name.upper()], font_px=40)
    if options:
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            image.save(path, "JPEG", quality=90, **options)
    if iptc is not None:
        path.write_bytes(with_iptc(path.read_bytes(), iptc))
    return path


def run(home: ArchiveHome) -> dict[str, dict[str, Any]]:
    result = home.invoke("run")
    assert result.exit_code == 0, result.output
    return {record["source"]["filename"]: record for record in home.catalog_records()}


def events(record: dict[str, Any], start: str) -> list[dict[str, Any]]:
    return [event for event in record["events"] if event["detail"].startswith(start)]


def flags(record: dict[str, Any]) -> dict[str, str]:
    return {flag["code"]: flag["detail"] for flag in record["flags"]}


def test_an_xmp_caption_serves_when_no_sidecar_or_row_gives_one(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    scan(
        home,
        "xmp.jpg",
        xmp=xmp_packet(
            "Wreath laying at the monument to Soviet soldiers",
            title="Monument",
            creators=("A. Petrov", "B. Kim"),
            rights="© Russian Embassy in Pyongyang",
            credit="Russian Embassy in Pyongyang",
            date_created="1978-05",
            location="Liberation Monument",
            city="Wonsan",
        ),
    )
    record = run(home)["xmp.jpg"]
    assert record["caption"] == "Wreath laying at the monument to Soviet soldiers"
    assert record["source"]["caption_from"] == "xmp"
    assert record["source"]["caption_file"] is None
    assert record["embedded"] == {
        "caption": "Wreath laying at the monument to Soviet soldiers",
        "title": "Monument",
        "creator": "A. Petrov; B. Kim",
        "credit": "Russian Embassy in Pyongyang",
        "rights": "© Russian Embassy in Pyongyang",
        "date": "1978-05",
        "place": "Liberation Monument, Wonsan",
        "sources": {
            "caption": "XMP dc:description",
            "title": "XMP dc:title",
            "creator": "XMP dc:creator",
            "credit": "XMP photoshop:Credit",
            "rights": "XMP dc:rights",
            "date": "XMP photoshop:DateCreated",
            "place": "XMP Iptc4xmpCore:Location + photoshop:City",
        },
    }
    assert record["kind"] == "ceremony"  # the embedded caption is read like any other
    assert record["date"] == {"value": "1978-05", "precision": "month", "source": "embedded"}
    assert record["place"]["name"] == "Wonsan" and record["place"]["source"] == "embedded"
    provenance = record["provenance"]
    assert provenance["credit"] == "Russian Embassy in Pyongyang"
    assert provenance["embedded_credit"] == "Russian Embassy in Pyongyang"
    assert provenance["embedded_rights"] == "© Russian Embassy in Pyongyang"
    assert "credit_conflict" not in flags(record) and "no_caption" not in flags(record)
    [event] = events(record, "caption read from the file's own XMP dc:description")
    assert event["type"] == "caption" and event["outcome"] == "success"


def test_an_iptc_caption_beside_a_sidecar_is_kept_apart_and_a_foreign_credit_flagged(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    block = iim(
        [
            (2, 120, "Могила советского воина"),
            (2, 80, "Иван Фотограф"),
            (2, 110, "Koryo Tours"),
            (2, 116, "Copyright Koryo Tours 2019"),
            (2, 55, "19450815"),
            (2, 90, "Chongjin"),
        ]
    )
    scan(home, "iptc.jpg", iptc=block)
    (home.inbox / "iptc.txt").write_text("Soviet soldier's grave, photographed by embassy staff", encoding="utf-8")
    record = run(home)["iptc.jpg"]
    assert record["caption"] == "Soviet soldier's grave, photographed by embassy staff"
    assert record["source"]["caption_from"] == "sidecar"
    assert record["source"]["caption_file"] == "iptc.txt"
    embedded = record["embedded"]
    assert embedded["caption"] == "Могила советского воина"
    assert embedded["sources"]["caption"] == "IPTC 2:120 Caption-Abstract"
    assert embedded["creator"] == "Иван Фотограф"
    assert embedded["date"] == "1945-08-15"
    [event] = events(record, "the file's own caption (IPTC 2:120 Caption-Abstract) differs from iptc.txt's")
    assert event["outcome"] == "warning" and "both kept" in event["detail"]
    # The configured credit stays; the file's is recorded beside it and the disagreement flagged.
    provenance = record["provenance"]
    assert provenance["credit"] == "Russian Embassy in Pyongyang"
    assert provenance["embedded_credit"] == "Koryo Tours"
    assert provenance["embedded_rights"] == "Copyright Koryo Tours 2019"
    detail = flags(record)["credit_conflict"]
    assert "the file credits 'Koryo Tours', the record 'Russian Embassy in Pyongyang'" in detail
    assert "copyright notice is 'Copyright Koryo Tours 2019'" in detail
    assert record["review"]["status"] == "pending"
    # No date in the sidecar's words: the file's date created serves, before EXIF.
    assert record["date"] == {"value": "1945-08-15", "precision": "day", "source": "embedded"}
    assert record["place"]["name"] == "Chongjin" and record["place"]["source"] == "embedded"


def test_manifest_and_caption_dates_win_over_the_embedded_one(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    scan(home, "row.jpg", xmp=xmp_packet("Pyongyang cemetery", date_created="1990-01-02"))
    scan(home, "words.jpg", xmp=xmp_packet("Pyongyang cemetery", date_created="1990-01-02"))
    (home.inbox / "captions.csv").write_text(
        "file,caption,date\nrow.jpg,Pyongyang cemetery,1978-05\n", encoding="utf-8"
    )
    (home.inbox / "words.txt").write_text("Pyongyang cemetery in August 1945", encoding="utf-8")
    records = run(home)
    assert records["row.jpg"]["date"] == {"value": "1978-05", "precision": "month", "source": "manifest"}
    assert records["row.jpg"]["source"]["caption_from"] == "manifest"
    assert records["words.jpg"]["date"] == {"value": "1945-08", "precision": "month", "source": "caption"}
    # The same caption in the file and the manifest: no warning.
    assert not events(records["row.jpg"], "the file's own caption")


def test_legacy_iptc_text_and_a_broken_block_are_read_or_reported_never_fatal(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    scan(home, "legacy.jpg", iptc=iim([(2, 120, "Памятник в Пхеньяне")], utf8=False))
    broken = b"\x1c\x02\x78\xff\xff" + b"short"  # a dataset claiming 65535 bytes
    scan(home, "broken.jpg", iptc=broken)
    scan(home, "bad-date.jpg", xmp=xmp_packet("Grave", date_created="1978-13-40"))
    scan(home, "bad-xml.jpg", xmp=b"<x:xmpmeta><unclosed>")
    records = run(home)
    assert records["legacy.jpg"]["caption"] == "Памятник в Пхеньяне"  # cp1251, no 1:90
    assert records["legacy.jpg"]["source"]["caption_from"] == "iptc"
    for name in ("broken.jpg", "bad-xml.jpg"):
        assert records[name]["caption"] is None
        assert records[name]["kind"] != "quarantined"
        assert "no_caption" in flags(records[name])
    assert records["bad-date.jpg"]["embedded"]["date"] is None
    [event] = events(records["bad-date.jpg"], "XMP/IPTC:")
    assert event["outcome"] == "warning" and "'1978-13-40' is not a date" in event["detail"]


def test_reader_on_a_tiff_with_iptc_written_by_pillow(tmp_path: Path) -> None:
    # Pillow writes the IPTC-NAA TIFF tag (33723) itself: a real writer for the container.
    from PIL import Image, TiffImagePlugin

    path = tmp_path / "scan.tif"
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[33723] = iim([(2, 120, "Tongrim monument"), (2, 110, "Russian Embassy in Pyongyang")])
    info.tagtype[33723] = 7  # UNDEFINED
    Image.new("RGB", (32, 32), "white").save(path, tiffinfo=info)
    reading = read_embedded(path)
    assert reading.problems == []
    assert reading.info.caption == "Tongrim monument"
    assert reading.info.credit == "Russian Embassy in Pyongyang"
