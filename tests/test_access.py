"""Access copies: a credited, upright JPEG and thumbnail beside every archived original.

Real runs of the pipeline on drawn scans: the session batch (every kind of drop, OCR on)
and small homes of their own (OCR off, for speed) with a photo turned by EXIF, a caption
manifest crediting a file in Russian, and access sizes of their own. What is checked is
what a copy that leaves the archive carries: its pixels the right way up and size, and
its EXIF and XMP naming whose photo it is, with the Russian text intact.
"""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import exifread
import numpy as np
import pytest
from PIL import Image, ImageDraw

from archive_ingest.catalog.rebuild import rebuild
from archive_ingest.config import AccessSettings, ProvenanceSettings
from archive_ingest.ingest import pipeline
from archive_ingest.ingest.stages import access
from archive_ingest.record import Derivatives, EventType, Record
from archive_ingest.verify import Invalid, Missing, SizeMismatch, verify
from conftest import ArchiveHome, IngestedBatch
from scanmaker import ExifSpec, draw_inscription, make_scan, save_scan

NO_OCR = "stages: [fixity, identify, similar, exif, extract, provenance, flags, access, file]\n"
SMALL = "access:\n  long_edge: 400\n  thumbnail_edge: 100\n  quality: 80\n"
RIGHTS = ProvenanceSettings().rights
#: A record with no access copies (quarantined, the stage off, an archive older than them).
NO_DERIVATIVES = {
    "access_path": None,
    "thumbnail_path": None,
    "access_bytes": None,
    "thumbnail_bytes": None,
    "words_bytes": None,
}
NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
RUSSIAN_CREDIT = 'Архив «Корё Турс» & "друзья" <Пхеньян>'


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exif_text(data: bytes) -> dict[str, str]:
    """EXIF tags of a JPEG as exifread reads them (a reader independent of Pillow)."""
    tags = exifread.process_file(io.BytesIO(data), details=False)
    return {key: str(value) for key, value in tags.items()}


def xmp_fields(data: bytes) -> dict[str, str]:
    """The XMP properties embedded in a JPEG, parsed as XML."""
    with Image.open(io.BytesIO(data)) as image:
        packet = image.info["xmp"]
    root = ET.fromstring(packet)
    description = root.find("rdf:RDF/rdf:Description", NS)
    assert description is not None
    found: dict[str, str] = {}
    for name in ("dc:creator", "dc:rights", "dc:title"):
        item = description.find(f"{name}//rdf:li", NS)
        if item is not None:
            found[name] = item.text or ""
    for name in ("photoshop:Credit", "xmpRights:Marked"):
        item = description.find(name, NS)
        if item is not None:
            found[name] = item.text or ""
    return found


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        return image.size


def by_name(home: ArchiveHome, name: str) -> dict[str, Any]:
    return next(r for r in home.catalog_records() if r["source"]["filename"] == name)


def marked_photo(size: tuple[int, int] = (1200, 800)) -> Image.Image:
    """An upright photo: grey, with a pure red block in its top-left corner (which way is up)."""
    image = draw_inscription(["ТЕСТ"], size=size)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4, size[1] // 4), fill=(255, 0, 0))
    return image


def is_red(pixel: Any) -> bool:
    red, green, blue = pixel[:3]
    return bool(red > 200 and green < 60 and blue < 60)


# -- the session batch: every kind of drop -----------------------------------------------


def test_every_archived_image_has_its_access_copy_and_thumbnail(ingested_batch: IngestedBatch) -> None:
    archive = ingested_batch.home.archive
    filed = [r for r in ingested_batch.records if r["kind"] != "quarantined"]
    assert len(filed) == 5
    for record in filed:
        record_id = record["id"]
        derivatives = record["derivatives"]
        access_path = f"derivatives/{record_id[:2]}/{record_id}.access.jpg"
        thumbnail_path = f"derivatives/{record_id[:2]}/{record_id}.thumb.jpg"
        copy = (archive / access_path).read_bytes()
        thumb = (archive / thumbnail_path).read_bytes()
        words = record["ocr"]["words_path"]
        assert derivatives == {
            "access_path": access_path,
            "thumbnail_path": thumbnail_path,
            "access_bytes": len(copy),  # as filed: `verify --fast` compares them
            "thumbnail_bytes": len(thumb),
            "words_bytes": (archive / words).stat().st_size if words else None,
        }
        width, height = record["file"]["width"], record["file"]["height"]
        if record["exif"]["orientation"] in (5, 6, 7, 8):
            width, height = height, width
        # The drawn scans are smaller than 1600 px: never enlarged, only turned upright.
        assert size_of(copy) == (width, height), record["source"]["filename"]
        thumb_size = size_of(thumb)
        assert max(thumb_size) == 320
        assert abs(thumb_size[0] / thumb_size[1] - width / height) < 0.02
        assert exif_text(copy)["Image Artist"] == record["provenance"]["credit"]
        creation = [e for e in record["events"] if e["type"] == EventType.CREATION.value]
        assert len(creation) == 1 and creation[0]["outcome"] == "success"
        assert f"access copy {width}x{height}" in creation[0]["detail"]


def test_the_manifest_credit_travels_with_the_copy(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("IMG_0002.jpeg")
    copy = (ingested_batch.home.archive / record["derivatives"]["access_path"]).read_bytes()
    assert exif_text(copy)["Image Artist"] == "Koryo Tours archive"
    xmp = xmp_fields(copy)
    assert xmp["photoshop:Credit"] == "Koryo Tours archive"
    assert xmp["dc:rights"] == RIGHTS
    assert xmp["dc:title"] == "Unknown soldier, Hamhung cemetery"


def test_originals_stay_bit_for_bit(ingested_batch: IngestedBatch) -> None:
    for key in ("stone", "hangul", "tiff", "manifest_image", "no_caption"):
        record = ingested_batch.by_name(ingested_batch.files[key].relative_to(ingested_batch.home.inbox).as_posix())
        filed = (ingested_batch.home.archive / record["file"]["path"]).read_bytes()
        assert sha256(filed) == sha256(ingested_batch.originals[key]) == record["file"]["sha256"]


def test_no_copies_for_quarantined_files_or_duplicates(ingested_batch: IngestedBatch) -> None:
    archive = ingested_batch.home.archive
    quarantined = [r for r in ingested_batch.records if r["kind"] == "quarantined"]
    assert len(quarantined) == 4
    for record in quarantined:
        assert record["derivatives"] == NO_DERIVATIVES
        assert not list(archive.glob(f"derivatives/*/{record['id']}.*.jpg"))
        assert not any(e["type"] == EventType.CREATION.value for e in record["events"])
    # The duplicate drop made no record and no copy: one access copy per filed record.
    copies = sorted(p.relative_to(archive).as_posix() for p in archive.glob("derivatives/*/*.jpg"))
    expected = sorted(
        path
        for r in ingested_batch.records
        for path in (r["derivatives"]["access_path"], r["derivatives"]["thumbnail_path"])
        if path
    )
    assert copies == expected and len(copies) == 10
    stone = ingested_batch.by_name("DSC_0001.jpg")
    assert any(e["type"] == "duplicate drop" for e in stone["events"])


# -- homes of their own ----------------------------------------------------------------


def test_orientation_is_applied_and_long_edges_are_as_configured(make_home: Callable[..., ArchiveHome]) -> None:
    home = make_home(extra_yaml=NO_OCR + SMALL)
    dropped = save_scan(home.inbox / "turned.jpg", marked_photo(), exif=ExifSpec(orientation=6, artist="someone"))
    original = dropped.read_bytes()
    with Image.open(dropped) as stored:
        assert stored.size == (800, 1200)  # stored turned, as a camera held upright stores it
    assert home.invoke("run").exit_code == 0
    record = by_name(home, "turned.jpg")
    copy = (home.archive / record["derivatives"]["access_path"]).read_bytes()
    thumb = (home.archive / record["derivatives"]["thumbnail_path"]).read_bytes()
    assert size_of(copy) == (400, 267)
    assert size_of(thumb) == (100, 67)
    for data in (copy, thumb):
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            rgb = image.convert("RGB")
            assert is_red(rgb.getpixel((width // 10, height // 10)))  # the red corner is top left again
            assert not is_red(rgb.getpixel((width - 1 - width // 10, height // 10)))
            assert not is_red(rgb.getpixel((width // 10, height - 1 - height // 10)))
            assert image.getexif().get(0x0112) == 1  # no viewer turns it again
        tags = exif_text(data)
        assert tags["Image Orientation"] == "Horizontal (normal)"
        assert tags["Image Artist"] == "Russian Embassy in Pyongyang"  # the credit, not the camera's artist
        assert "Image ImageDescription" not in tags  # no caption: no title
        assert "dc:title" not in xmp_fields(data)
    assert (home.archive / record["file"]["path"]).read_bytes() == original


def test_credit_and_rights_are_embedded_in_exif_and_xmp(make_home: Callable[..., ArchiveHome]) -> None:
    home = make_home(extra_yaml=NO_OCR)
    make_scan(home.inbox / "ours.jpg", ["ПАК"], size=(2400, 1000), caption="\n  Могила Пака  \nвторая строка\n")
    make_scan(home.inbox / "lent.png", ["КИМ"], size=(500, 2000))
    (home.inbox / "captions.csv").write_text(
        "file,caption,place,date,credit\n"
        'lent.png,"Могила Кима, Вонсан",,,"' + RUSSIAN_CREDIT.replace('"', '""') + '"\n',
        encoding="utf-8",
    )
    assert home.invoke("run").exit_code == 0
    ours = by_name(home, "ours.jpg")
    lent = by_name(home, "lent.png")

    copy = (home.archive / ours["derivatives"]["access_path"]).read_bytes()
    assert size_of(copy) == (1600, 667)
    tags = exif_text(copy)
    assert tags["Image Artist"] == "Russian Embassy in Pyongyang"
    assert tags["Image Copyright"] == RIGHTS
    assert tags["Image ImageDescription"] == "Mogila Paka"  # the caption's first line is the title
    assert xmp_fields(copy) == {
        "dc:creator": "Russian Embassy in Pyongyang",
        "dc:rights": RIGHTS,
        "dc:title": "Могила Пака",
        "photoshop:Credit": "Russian Embassy in Pyongyang",
        "xmpRights:Marked": "True",
    }

    for path in (lent["derivatives"]["access_path"], lent["derivatives"]["thumbnail_path"]):
        data = (home.archive / path).read_bytes()
        xmp = xmp_fields(data)
        assert lent["provenance"]["credit"] == RUSSIAN_CREDIT
        assert xmp["photoshop:Credit"] == RUSSIAN_CREDIT  # Cyrillic, quotes, & and <> intact
        assert xmp["dc:creator"] == RUSSIAN_CREDIT
        assert xmp["dc:rights"] == RIGHTS
        assert xmp["dc:title"] == "Могила Кима, Вонсан"
        tags = exif_text(data)
        # EXIF text is ASCII: the credit is romanised there, never written as '?'.
        assert tags["Image Artist"] == 'Arkhiv "Koryo Turs" & "druzya" <Pkhenyan>'
        assert tags["Image ImageDescription"] == "Mogila Kima, Vonsan"
        assert "?" not in tags["Image Artist"]
    assert size_of((home.archive / lent["derivatives"]["access_path"]).read_bytes()) == (400, 1600)  # long edge 1600


def test_a_duplicate_drop_writes_no_new_copy(make_home: Callable[..., ArchiveHome]) -> None:
    home = make_home(extra_yaml=NO_OCR)
    make_scan(home.inbox / "a.jpg", ["ЛИ"])
    assert home.invoke("run").exit_code == 0
    record = by_name(home, "a.jpg")
    copy = home.archive / record["derivatives"]["access_path"]
    before = (copy.read_bytes(), copy.stat().st_mtime_ns)
    make_scan(home.inbox / "again.jpg", ["ЛИ"])  # the same drawing: the same bytes
    assert home.invoke("run").exit_code == 0
    assert [r["id"] for r in home.catalog_records()] == [record["id"]]
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == before
    assert len(list(home.archive.glob("derivatives/*/*.jpg"))) == 2


def test_the_access_stage_can_be_left_out(make_home: Callable[..., ArchiveHome]) -> None:
    home = make_home(extra_yaml="stages: [fixity, identify, exif, provenance, flags, file]\n")
    make_scan(home.inbox / "a.jpg", ["ЛИ"])
    assert home.invoke("run").exit_code == 0
    assert by_name(home, "a.jpg")["derivatives"] == NO_DERIVATIVES
    assert not list(home.archive.glob("derivatives/*/*.jpg"))


def test_a_render_failure_is_a_warning_and_the_original_is_filed(
    make_home: Callable[..., ArchiveHome], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = make_home(extra_yaml=NO_OCR)
    make_scan(home.inbox / "a.jpg", ["ЛИ"])

    def broken(*args: object, **kwargs: object) -> access.AccessCopies:
        raise OSError("decoder error -2")

    monkeypatch.setattr(access, "render", broken)
    summary = pipeline.run(home.settings())  # in this process, so the patch applies
    assert summary.failed == [] and len(summary.ingested) == 1
    record = by_name(home, "a.jpg")
    assert (home.archive / record["file"]["path"]).is_file()
    assert record["derivatives"] == NO_DERIVATIVES
    events = [e for e in record["events"] if e["type"] == EventType.CREATION.value]
    assert [e["outcome"] for e in events] == ["warning"]
    assert "decoder error -2" in events[0]["detail"]
    assert not list(home.archive.glob("derivatives/*/*.jpg"))


# -- verify, rebuild, old catalogs -------------------------------------------------------


def test_verify_checks_the_copies(batch_copy: ArchiveHome) -> None:
    settings = batch_copy.settings()
    report = verify(settings)
    assert report.ok, [p.line() for p in report.problems]
    stone = by_name(batch_copy, "DSC_0001.jpg")
    access_path = stone["derivatives"]["access_path"]
    thumb_path = stone["derivatives"]["thumbnail_path"]
    (batch_copy.archive / access_path).unlink()
    thumb = batch_copy.archive / thumb_path
    thumb.write_bytes(thumb.read_bytes()[:200])  # cut short
    report = verify(settings)
    assert [(type(p), p.path) for p in report.problems] == [(Missing, access_path), (SizeMismatch, thumb_path)]
    assert report.problems[0].line() == f"{access_path}: missing (access copy) (record {stone['id']})"
    size = stone["derivatives"]["thumbnail_bytes"]
    assert report.problems[1].line() == f"{thumb_path}: size 200 bytes, expected {size} (record {stone['id']})"
    fast = verify(settings, fast=True)
    assert [(type(p), p.path) for p in fast.problems] == [(Missing, access_path), (SizeMismatch, thumb_path)]
    # A copy of the right size that does not decode is found by the full check only.
    thumb.write_bytes(b"\0" * size)
    assert [type(p) for p in verify(settings, fast=True).problems] == [Missing]
    invalid = verify(settings).problems[1]
    assert isinstance(invalid, Invalid) and "does not decode as a JPEG" in invalid.line()


def test_old_catalog_without_derivatives_still_loads_and_verifies(batch_copy: ArchiveHome) -> None:
    # An archive written before access copies: no `derivatives` key anywhere, no copies.
    data = json.loads(batch_copy.catalog.read_text(encoding="utf-8"))
    for record in data["records"].values():
        del record["derivatives"]
    batch_copy.catalog.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for sidecar in (batch_copy.archive / "records").rglob("*.json"):
        stored = json.loads(sidecar.read_text(encoding="utf-8"))
        del stored["derivatives"]
        sidecar.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    for copy in batch_copy.archive.glob("derivatives/*/*.jpg"):
        copy.unlink()
    old = next(iter(data["records"].values()))
    assert Record.from_json(old).derivatives == Derivatives()
    result = batch_copy.invoke("show", old["id"][:8], "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["derivatives"] == NO_DERIVATIVES
    report = verify(batch_copy.settings())
    assert report.ok, [p.line() for p in report.problems]


def test_rebuild_keeps_the_copies_paths(batch_copy: ArchiveHome) -> None:
    before = {r["id"]: r["derivatives"] for r in batch_copy.catalog_records()}
    batch_copy.catalog.unlink()
    rebuild(batch_copy.settings())
    assert {r["id"]: r["derivatives"] for r in batch_copy.catalog_records()} == before
    assert verify(batch_copy.settings()).ok


# -- render, on the kinds of pixels scans come in -----------------------------------------


def _pixels(mode: str, path: Path) -> Path:
    base = draw_inscription(["TEST"], size=(600, 300))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
        assert image.mode == "I;16"
        image.save(path)
    elif mode == "P+transparency":
        image = base.convert("P")
        ImageDraw.Draw(image).rectangle((0, 0, 599, 40), fill=0)
        image.save(path, transparency=0)
    elif mode == "LA":
        image = base.convert("LA")
        image.putalpha(Image.new("L", base.size, 255))
        ImageDraw.Draw(image).rectangle((0, 0, 599, 40), fill=(0, 0))
        image.save(path)
    elif mode == "1":
        base.convert("1", dither=Image.Dither.NONE).save(path)
    else:
        base.convert(mode).save(path)
    return path


@pytest.mark.parametrize(
    ("mode", "suffix"), [("I;16", ".png"), ("LA", ".png"), ("P+transparency", ".png"), ("CMYK", ".tif"), ("1", ".png")]
)
def test_render_makes_rgb_jpegs_from_any_mode(tmp_path: Path, mode: str, suffix: str) -> None:
    source = _pixels(mode, tmp_path / f"scan{suffix}")
    copies = access.render(
        source, orientation=None, credit="Ким", rights="©", title=None, settings=AccessSettings(thumbnail_edge=100)
    )
    with Image.open(io.BytesIO(copies.access)) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (600, 300))
        light = image.getpixel((300, 20)) if mode in ("LA", "P+transparency") else image.getpixel((5, 150))
        assert isinstance(light, tuple) and min(light) > 200  # the background (or transparency) is light
    assert size_of(copies.thumbnail) == (100, 50)
    assert xmp_fields(copies.access)["photoshop:Credit"] == "Ким"
    assert exif_text(copies.access)["Image Artist"] == "Kim"
    assert exif_text(copies.access)["Image Copyright"] == "(c)"


def test_render_reads_the_files_own_orientation_when_none_is_given(tmp_path: Path) -> None:
    source = save_scan(tmp_path / "turned.jpg", marked_photo((600, 400)), exif=ExifSpec(orientation=8))
    copies = access.render(
        source, orientation=None, credit=None, rights=None, title=None, settings=AccessSettings(thumbnail_edge=100)
    )
    with Image.open(io.BytesIO(copies.access)) as image:
        assert image.size == (600, 400)
        assert is_red(image.convert("RGB").getpixel((30, 30)))
        assert xmp_fields(copies.access) == {}
