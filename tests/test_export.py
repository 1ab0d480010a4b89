"""`archive-ingest export`: JSON, CSV, Dublin Core and BagIt, of the session batch's catalog.

Every test goes through the real command line on a catalog made by the pipeline. The
Dublin Core elements are validated against the OAI-PMH `oai_dc` XML Schema, vendored in
`tests/data/xsd/` (no network); the bags with the `bagit` library's own validation.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import bagit  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner, Result
from lxml import etree

from archive_ingest.cli import cli
from archive_ingest.exports import csv_rows
from conftest import ArchiveHome, IngestedBatch

XSD = Path(__file__).parent / "data" / "xsd" / "oai_dc.xsd"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
DC = "{http://purl.org/dc/elements/1.1/}"
FIELDS = "(fields: place: person: born: died: year: taken: kind: flag: status: credit: has:)"
HOSTILE = ('=HYPERLINK("http://x")', "@SUM(1)", "<script>alert('x') & </script>")


def _review(home: ArchiveHome, *args: str) -> Result:
    return CliRunner().invoke(cli, ["review", *args, "--config", str(home.config)], catch_exceptions=False)


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _dc_values(dc: ET.Element) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for child in dc:
        values.setdefault(child.tag.removeprefix(DC), []).append(child.text or "")
    return values


def _tree_state(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under `root` but the search index (derived data a query may build)."""
    return {
        path.relative_to(root).as_posix(): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".search.sqlite" not in path.name
    }


@pytest.fixture
def hostile_home(batch_copy: ArchiveHome) -> tuple[ArchiveHome, list[str]]:
    """The batch with captions that are formulas in a spreadsheet and markup in XML."""
    ids = []
    for name, caption in zip(("DSC_0001.jpg", "DSC_0003.JPG", "IMG_0002.jpeg"), HOSTILE, strict=True):
        record = next(r for r in batch_copy.catalog_records() if r["source"]["filename"] == name)
        assert _review(batch_copy, "edit", record["id"], "--set", f"caption={caption}").exit_code == 0
        ids.append(record["id"])
    return batch_copy, ids


# -- json ---------------------------------------------------------------------------------


def test_json_of_a_query_is_its_hits_in_the_record_contract(ingested_batch: IngestedBatch) -> None:
    result = ingested_batch.home.invoke("export", "--format", "json", "--query", "place:Chongjin")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [ingested_batch.by_name("DSC_0001.jpg")]  # events included


def test_json_keeps_hostile_text_exactly(hostile_home: tuple[ArchiveHome, list[str]]) -> None:
    home, ids = hostile_home
    records = {r["id"]: r for r in json.loads(home.invoke("export").stdout)}
    assert [records[record_id]["caption"] for record_id in ids] == list(HOSTILE)


# -- csv ----------------------------------------------------------------------------------


def test_csv_has_the_documented_columns_and_a_row_per_record(ingested_batch: IngestedBatch) -> None:
    result = ingested_batch.home.invoke("export", "--format", "csv", "--all")
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split(",")
    assert tuple(header) == csv_rows.EXPORT_COLUMNS
    for name in header:  # each column is described in the module docstring
        assert f"`{name}`" in (csv_rows.__doc__ or "")
    rows = _csv_rows(result.stdout)
    assert [row["id"] for row in rows] == [r["id"] for r in ingested_batch.records]
    assert result.stdout.encode("utf-8")[:3] != b"\xef\xbb\xbf"


def test_csv_values_flatten_the_record(ingested_batch: IngestedBatch) -> None:
    rows = {
        row["file"]: row for row in _csv_rows(ingested_batch.home.invoke("export", "--format", "csv", "--all").stdout)
    }
    stone, record = rows["DSC_0001.jpg"], ingested_batch.by_name("DSC_0001.jpg")
    assert stone["sha256"] == record["file"]["sha256"]
    assert stone["archive_path"] == f"originals/{record['id'][:2]}/{record['id']}.jpg"
    assert (stone["kind"], stone["status"], stone["flags"]) == ("headstone", "pending", "duplicate")
    size = str(record["file"]["bytes"])
    assert (stone["format"], stone["media_type"], stone["bytes"]) == ("JPEG", "image/jpeg", size)
    assert stone["caption"] == "Могила Тён Ивана на советском воинском кладбище в Чхонджине."
    assert stone["inscription"] == record["ocr"]["text"]  # line breaks kept inside the quoted cell
    assert "\n" in stone["inscription"]
    assert (stone["persons"], stone["names_as_written"]) == ("Tyon Ivan (1884-1949)", record["persons"][0]["name"])
    place = (stone["place"], stone["place_ko"], stone["place_ru"], stone["province"])
    assert place == ("Chongjin", "청진", "Чхонджин", "North Hamgyong")
    assert (float(stone["place_lat"]), float(stone["place_lon"])) == (41.7956, 129.7758)
    assert (stone["date"], stone["date_precision"], stone["date_source"]) == ("2013-01-09", "day", "exif")
    assert (stone["date_taken"], stone["camera"]) == ("2013-01-09T11:50:11", "Canon Canon EOS 80D")
    assert (stone["gps_lat"], stone["gps_lon"]) == ("41.7956", "129.7758")
    assert (stone["credit"], stone["commentary"]) == ("Russian Embassy in Pyongyang", "Koryo Tours")
    assert stone["rights"] == "All photos are the property of the Russian Embassy in Pyongyang."
    assert stone["ingested_at"] == record["source"]["ingested_at"]
    manifest = rows["IMG_0002.jpeg"]
    dated = (manifest["credit"], manifest["date"], manifest["date_precision"])
    assert dated == ("Koryo Tours archive", "1978-05", "month")
    empty = rows["empty.jpg"]
    assert (empty["kind"], empty["flags"], empty["bytes"], empty["format"], empty["place"]) == (
        "quarantined", "corrupt", "0", "", ""
    )  # fmt: skip


def test_csv_bom_and_query_and_out_file(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    out = tmp_path / "chongjin.csv"
    result = ingested_batch.home.invoke("export", "--format", "csv", "--bom", "--query", "Тён", "--out", str(out))
    assert result.exit_code == 0
    assert result.stderr == f"wrote 1 record to {out}\n"
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,sha256,")
    rows = _csv_rows(data.decode("utf-8-sig"))
    assert [row["file"] for row in rows] == ["DSC_0001.jpg"]
    assert ingested_batch.home.invoke("export", "--format", "csv", "--bom").stdout_bytes.startswith(b"\xef\xbb\xbf")
    result = ingested_batch.home.invoke("export", "--format", "json", "--bom")
    assert (result.exit_code, result.stderr) == (2, "archive-ingest: error: --bom is for --format csv only, not json\n")


def test_csv_neutralises_formulas(hostile_home: tuple[ArchiveHome, list[str]]) -> None:
    home, ids = hostile_home
    for args in (("export", "--format", "csv"), ("search", "has:caption", "--csv")):
        rows = {row["id"]: row for row in _csv_rows(home.invoke(*args).stdout)}
        assert [rows[record_id]["caption"] for record_id in ids] == [
            '\'=HYPERLINK("http://x")',
            "'@SUM(1)",
            "<script>alert('x') & </script>",  # not a formula: kept as it is
        ]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+7 999", "'+7 999"),
        ("-2", "'-2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("Тён", "Тён"),
        (-33.5, "-33.5"),  # our own numbers are not text: a negative coordinate stays a number
        (None, ""),
    ],
)
def test_neutralise(cell: str | float | None, written: str) -> None:
    assert csv_rows.neutralise(cell) == written


# -- Dublin Core --------------------------------------------------------------------------


def test_dc_is_valid_oai_dc_for_every_record(ingested_batch: IngestedBatch) -> None:
    result = ingested_batch.home.invoke("export", "--format", "dc", "--all")
    assert result.exit_code == 0
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    root = etree.fromstring(result.stdout_bytes)
    assert root.tag == "records"
    assert root.get("count") == str(len(ingested_batch.records))
    records = root.findall("record")
    assert [r.get("id") for r in records] == [r["id"] for r in ingested_batch.records]
    for record in records:
        (dc,) = record.findall(OAI_DC)
        assert schema.validate(etree.ElementTree(dc)), (record.get("id"), schema.error_log)
    # The schema is not a formality: an element outside Dublin Core fails it.
    bad = etree.fromstring(etree.tostring(records[0].find(OAI_DC)))
    etree.SubElement(bad, f"{DC}author").text = "x"
    assert not schema.validate(etree.ElementTree(bad))


def test_dc_maps_the_record(ingested_batch: IngestedBatch) -> None:
    root = ET.fromstring(ingested_batch.home.invoke("export", "--format", "dc", "--all").stdout_bytes)
    by_id = {r.get("id"): _dc_values(r.find(OAI_DC)) for r in root.iter("record")}  # type: ignore[arg-type]
    stone = ingested_batch.by_name("DSC_0001.jpg")
    dc = by_id[stone["id"]]
    assert dc["title"] == ["Headstone of Tyon Ivan (1884-1949), Chongjin"]
    assert dc["description"] == [
        "Могила Тён Ивана на советском воинском кладбище в Чхонджине.",
        f"Inscription (read by OCR): {stone['ocr']['text']}",
    ]
    assert dc["creator"] == dc["publisher"] == ["Russian Embassy in Pyongyang"]
    assert dc["contributor"] == ["Koryo Tours (commentary)"]
    assert dc["date"] == ["2013-01-09"]
    assert dc["coverage"] == [
        "Chongjin (청진, Чхонджин), North Hamgyong, North Korea",
        "name=Chongjin; east=129.7758; north=41.7956",
    ]
    assert dc["subject"] == ["headstone", f"Tyon Ivan ({stone['persons'][0]['name']}), 1884-1949"]
    assert dc["rights"] == ["All photos are the property of the Russian Embassy in Pyongyang."]
    assert dc["source"] == ["Photo series published by the Russian Embassy in Pyongyang (@RusEmbDPRK)"]
    assert dc["identifier"] == [stone["id"], f"sha256:{stone['file']['sha256']}"]
    assert (dc["type"], dc["format"]) == (["Image"], ["image/jpeg", "288 x 455 pixels"])
    monument = by_id[ingested_batch.by_name("old scan 1975.TIFF")["id"]]
    assert (monument["title"], monument["date"]) == (["Monument, Sinuiju"], ["1970/1979"])
    manifest = by_id[ingested_batch.by_name("IMG_0002.jpeg")["id"]]
    assert (manifest["creator"], manifest["publisher"]) == (["Koryo Tours archive"], ["Russian Embassy in Pyongyang"])
    empty = by_id[ingested_batch.by_name("empty.jpg")["id"]]
    assert empty["title"] == ["Unreadable file empty.jpg"]
    assert "format" not in empty and "date" not in empty


def test_dc_escapes_markup_and_gives_back_the_exact_text(hostile_home: tuple[ArchiveHome, list[str]]) -> None:
    home, ids = hostile_home
    result = home.invoke("export", "--format", "dc", "--query", "has:caption")
    assert result.exit_code == 0
    assert b"<script>" not in result.stdout_bytes
    assert b"&lt;script&gt;alert('x') &amp; &lt;/script&gt;" in result.stdout_bytes
    root = ET.fromstring(result.stdout_bytes)
    captions = {r.get("id"): _dc_values(r.find(OAI_DC))["description"][0] for r in root.iter("record")}  # type: ignore[arg-type]
    assert [captions[record_id] for record_id in ids] == list(HOSTILE)


def test_dc_replaces_characters_xml_cannot_hold() -> None:
    from archive_ingest.exports.dublin_core import xml_text

    assert xml_text("a\x00b\x0cc\td\ne Тён 🙂") == "a\ufffdb\ufffdc\td\ne Тён 🙂"


# -- bagit --------------------------------------------------------------------------------


def test_bag_holds_the_originals_and_records_and_validates(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    home = ingested_batch.home
    before = _tree_state(home.archive)
    target = tmp_path / "bag"
    result = home.invoke("export", "--format", "bagit", "--query", "kind:headstone", "--out", str(target))
    assert result.exit_code == 0, result.output
    headstones = [r for r in ingested_batch.records if r["kind"] == "headstone"]
    assert len(headstones) > 1
    assert result.stderr == f"wrote {len(headstones)} records to {target}\n"
    bag = bagit.Bag(str(target))
    bag.validate()  # raises BagValidationError when anything is wrong
    assert bag.algorithms == ["sha256"]
    assert bag.info["Source-Organization"] == "Russian Embassy in Pyongyang"
    assert bag.info["Bag-Count"] == "1 of 1"
    assert bag.info["Internal-Sender-Description"] == "Selected by the query: kind:headstone"
    assert "All photos are the property of the Russian Embassy in Pyongyang." in bag.info["External-Description"]
    assert bag.info["Bagging-Date"]
    payload = set(bag.payload_files())
    for record in headstones:
        original = target / "data" / record["file"]["path"]
        assert original.read_bytes() == (home.archive / record["file"]["path"]).read_bytes()
        assert hashlib.sha256(original.read_bytes()).hexdigest() == record["file"]["sha256"]
        assert json.loads((target / "data" / "records" / f"{record['id']}.json").read_text("utf-8")) == record
        assert record["events"]
        for path in (record["source"]["caption_path"], record["ocr"]["words_path"]):
            if path:
                assert f"data/{path}" in payload
    assert len([p for p in payload if p.startswith("data/originals/")]) == len(headstones)
    assert len([p for p in payload if p.startswith("data/records/")]) == len(headstones)
    assert _tree_state(home.archive) == before  # the archive was only read


def test_bags_are_bagit_1_0_and_a_query_bag_carries_only_its_manifest_rows(
    demo_archive: ArchiveHome, tmp_path: Path
) -> None:
    # The demo's captions.csv holds a row for each of two photos; a bag of one carries one row.
    manifest = next(r for r in demo_archive.catalog_records() if (r["source"]["caption_path"] or "").endswith(".csv"))
    archived = (demo_archive.archive / manifest["source"]["caption_path"]).read_bytes()
    assert len(archived.decode("utf-8-sig").splitlines()) == 3
    place = manifest["place"]["name"]
    held = [r for r in demo_archive.catalog_records() if r["place"] and r["place"]["name"] == place]
    assert [r["source"]["caption_path"] for r in held] == [manifest["source"]["caption_path"]]
    target = tmp_path / "bag"
    result = demo_archive.invoke("export", "--format", "bagit", "--query", f"place:{place}", "--out", str(target))
    assert result.exit_code == 0, result.output
    bag = bagit.Bag(str(target))
    bag.validate()
    assert (target / "bagit.txt").read_text("utf-8") == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert bag.version_info == (1, 0)
    rows = list(csv.reader(io.StringIO((target / "data" / manifest["source"]["caption_path"]).read_text("utf-8-sig"))))
    assert rows[0] == archived.decode("utf-8-sig").splitlines()[0].split(",")  # the header as dropped
    assert [row[0] for row in rows[1:]] == [manifest["source"]["filename"]]
    assert "Caption manifests cut to the rows of the records in this bag" in bag.info["Internal-Sender-Description"]
    nothing = demo_archive.invoke(
        "export", "--format", "bagit", "--query", "place:Uiju", "--out", str(tmp_path / "none")
    )
    assert (nothing.exit_code, nothing.stderr) == (
        2,
        "archive-ingest: error: 'place:Uiju' selects no records: no bag written\n",
    )
    assert not (tmp_path / "none").exists()
    whole = tmp_path / "whole"
    assert demo_archive.invoke("export", "--format", "bagit", "--out", str(whole)).exit_code == 0
    assert (whole / "data" / manifest["source"]["caption_path"]).read_bytes() == archived  # bit for bit
    assert bagit.Bag(str(whole)).info["Internal-Sender-Description"] == "Every record of the catalog."


def test_a_flipped_bit_fails_validation(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    target = tmp_path / "bag"
    assert ingested_batch.home.invoke("export", "--format", "bagit", "--out", str(target)).exit_code == 0
    bagit.Bag(str(target)).validate()
    stone = ingested_batch.by_name("DSC_0001.jpg")
    original = target / "data" / stone["file"]["path"]
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    original.write_bytes(bytes(data))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(target)).validate()


def test_bag_refuses_a_folder_that_is_not_empty(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    target = tmp_path / "bag"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    result = ingested_batch.home.invoke("export", "--format", "bagit", "--out", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"archive-ingest: error: {target}: is a folder that is not empty; "
        "--format bagit writes a new bag into a new or empty folder\n"
    )
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ingested_batch.home.invoke("export", "--format", "bagit", "--out", str(empty)).exit_code == 0
    assert (empty / "bagit.txt").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no build folder left
    result = ingested_batch.home.invoke("export", "--format", "bagit")
    assert result.exit_code == 2
    assert "--format bagit needs --out FOLDER" in result.stderr


def test_bag_refuses_an_altered_original(batch_copy: ArchiveHome, tmp_path: Path) -> None:
    record = next(r for r in batch_copy.catalog_records() if r["source"]["filename"] == "DSC_0001.jpg")
    original = batch_copy.archive / record["file"]["path"]
    original.write_bytes(original.read_bytes()[:-1] + b"\x00")
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "bag"
    result = batch_copy.invoke("export", "--format", "bagit", "--out", str(target))
    assert result.exit_code == 1
    assert result.stderr == (
        f"archive-ingest: error: {original}: its sha256 {hashlib.sha256(original.read_bytes()).hexdigest()} "
        f"differs from the record's {record['file']['sha256']} (run archive-ingest verify)\n"
    )
    assert list((tmp_path / "out").iterdir()) == []  # no bag, no half-made one


# -- what is published ----------------------------------------------------------------------


@pytest.fixture
def rejected_home(batch_copy: ArchiveHome) -> tuple[ArchiveHome, set[str], set[str]]:
    """The batch (quarantined files) with one record rejected: (home, every id, the ids not for publication)."""
    records = batch_copy.catalog_records()
    rejected = next(r["id"] for r in records if r["source"]["filename"] == "IMG_0002.jpeg")
    assert _review(batch_copy, "reject", rejected, "--note", "not a Soviet grave", "--by", "anna").exit_code == 0
    withheld = {r["id"] for r in records if r["kind"] == "quarantined"} | {rejected}
    return batch_copy, {r["id"] for r in records}, withheld


def _exported_ids(home: ArchiveHome, fmt: str, *args: str) -> tuple[set[str], str]:
    result = home.invoke("export", "--format", fmt, *args)
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        return {row["id"] for row in _csv_rows(result.stdout)}, result.stderr
    if fmt == "dc":
        return {r.get("id") or "" for r in ET.fromstring(result.stdout_bytes).iter("record")}, result.stderr
    return {r["id"] for r in json.loads(result.stdout)}, result.stderr


@pytest.mark.parametrize("fmt", ["csv", "dc"])
def test_published_formats_leave_out_quarantined_and_rejected(
    rejected_home: tuple[ArchiveHome, set[str], set[str]], fmt: str
) -> None:
    home, every, withheld = rejected_home
    assert len(withheld) >= 2  # quarantined files and the rejected record
    ids, stderr = _exported_ids(home, fmt)
    assert ids == every - withheld
    assert stderr == (
        f"left out {len(withheld)} records not for publication (quarantined or rejected); --all includes them\n"
    )
    assert _exported_ids(home, fmt, "--all") == (every, "")
    quarantined, stderr = _exported_ids(home, fmt, "--query", "kind:quarantined")
    assert (quarantined, stderr) == (
        set(),
        f"left out {len(withheld) - 1} records not for publication (quarantined or rejected); --all includes them\n",
    )
    result = home.invoke("export", "--format", fmt)
    assert "anna" not in result.stdout and "not a Soviet grave" not in result.stdout


def test_backup_formats_keep_every_record(
    rejected_home: tuple[ArchiveHome, set[str], set[str]], tmp_path: Path
) -> None:
    home, every, _ = rejected_home
    assert _exported_ids(home, "json") == (every, "")
    records = json.loads(home.invoke("export", "--format", "json").stdout)
    assert {"status": "rejected", "note": "not a Soviet grave", "by": "anna"}.items() <= next(
        r["review"] for r in records if r["review"]["status"] == "rejected"
    ).items()
    result = home.invoke("export", "--format", "bagit", "--out", str(tmp_path / "bag"))
    assert result.stderr == f"wrote {len(every)} records to {tmp_path / 'bag'}\n"
    assert len(list((tmp_path / "bag" / "data" / "records").glob("*.json"))) == len(every)


# -- queries and imports ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "dc", "bagit"])
def test_a_bad_query_exits_2_with_one_line(ingested_batch: IngestedBatch, tmp_path: Path, fmt: str) -> None:
    out = str(tmp_path / "x")
    result = ingested_batch.home.invoke("export", "--format", fmt, "--query", "plce:Chongjin", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == f'archive-ingest: error: bad query: unknown field "plce:" in "plce:Chongjin" {FIELDS}\n'
    assert not (tmp_path / "x").exists()


def test_query_selects_by_fields(ingested_batch: IngestedBatch) -> None:
    query = "status:pending kind:quarantined"
    result = ingested_batch.home.invoke("export", "--format", "csv", "--query", query, "--all")
    files = sorted(row["file"] for row in _csv_rows(result.stdout))
    assert files == ["bomb.png", "broken.jpg", "empty.jpg", "notes.jpg"]


def test_export_does_not_import_ocr_or_numpy(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    config = str(ingested_batch.home.config)
    runs = "; ".join(
        f"cli.main(['export', '--config', {config!r}, '--format', {fmt!r}, '--query', 'Chongjin', "
        f"'--out', {str(tmp_path / fmt)!r}], standalone_mode=False)"
        for fmt in ("json", "csv", "dc", "bagit")
    )
    code = (
        f"import sys; from archive_ingest.cli import cli; {runs}; "
        "print(sorted(m for m in ('numpy', 'pytesseract', 'PIL', 'imagehash', 'cv2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
    assert (tmp_path / "bagit" / "bagit.txt").is_file()
