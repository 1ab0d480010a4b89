"""End to end: one batch with every kind of good and bad file, through the real CLI.

Real tesseract, a real TinyDB file, real files on disk. The batch is ingested once per
session (see conftest.py); each test checks one promise.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from archive_ingest.search import normalise
from conftest import ArchiveHome, IngestedBatch, new_home
from scanmaker import make_scan

#: How the OCR event and record name the engines: tesseract (through pytesseract or tesserocr), then the line engine.
TESSERACT = r"tesseract \d+\.\d+\.\d+|tesserocr \S+ \(tesseract \d+\.\d+\.\d+\)"
RAPIDOCR = r"rapidocr \S+ \(PP-OCRv6 small; onnxruntime \S+\)"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_run_exits_zero_and_summarises(ingested_batch: IngestedBatch) -> None:
    result = ingested_batch.result
    assert result.exit_code == 0, result.output
    summary = result.stderr
    assert "ingested 5, duplicates 1, quarantined 4 (1 empty), failed 0" in summary
    assert re.search(r"flagged: .*corrupt 4", summary)
    assert re.search(r"flagged: .*duplicate 1", summary)
    assert re.search(r"elapsed \d+\.\d s", summary)


def test_every_record_is_committed_once(ingested_batch: IngestedBatch) -> None:
    names = sorted(r["source"]["filename"] for r in ingested_batch.records)
    assert names == [
        "DSC_0001.jpg",
        "DSC_0003.JPG",
        "IMG_0002.jpeg",
        "bomb.png",
        "broken.jpg",
        "empty.jpg",
        "notes.jpg",
        "old scan 1975.TIFF",
        "scans/Могила Ким Шура.png",
    ]
    ids = [r["id"] for r in ingested_batch.records]
    assert len(set(ids)) == len(ids)


def test_originals_are_filed_bit_for_bit(ingested_batch: IngestedBatch) -> None:
    archive = ingested_batch.home.archive
    for key in ("stone", "hangul", "tiff", "manifest_image", "no_caption"):
        original = ingested_batch.originals[key]
        record = ingested_batch.by_name(ingested_batch.files[key].relative_to(ingested_batch.home.inbox).as_posix())
        assert record["file"]["sha256"] == sha256(original)
        assert record["id"] == sha256(original)[:16]
        assert record["file"]["path"].startswith(f"originals/{record['id'][:2]}/{record['id']}")
        assert (archive / record["file"]["path"]).read_bytes() == original


def test_inbox_keeps_only_what_was_not_filed(ingested_batch: IngestedBatch) -> None:
    # The orphan caption stays; the manifest is filed once every image it names is.
    assert ingested_batch.home.inbox_files() == ["lonely.txt"]
    assert (ingested_batch.home.inbox / "lonely.txt").read_text(encoding="utf-8") == (
        "a caption whose photo never came"
    )


def test_problems_are_reported_one_line_each(ingested_batch: IngestedBatch) -> None:
    stderr = ingested_batch.result.stderr
    assert "warning: lonely.txt: caption with no image; left in the inbox\n" in stderr
    assert "warning: captions.csv line 3: file '../../etc/passwd' is outside the inbox; row ignored\n" in stderr


def test_headstone_exif_fields(ingested_batch: IngestedBatch) -> None:
    exif = ingested_batch.by_name("DSC_0001.jpg")["exif"]
    assert exif["date_taken"] == "2013-01-09T11:50:11"
    assert exif["make"] == "Canon"
    assert exif["model"] == "Canon EOS 80D"
    assert exif["artist"] == "Embassy photographer"
    assert exif["orientation"] == 6
    assert abs(exif["gps"]["lat"] - 41.7956) < 1e-5
    assert abs(exif["gps"]["lon"] - 129.7758) < 1e-5


def test_ocr_reads_the_rotated_stone_upright(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("DSC_0001.jpg")
    # The pixels are stored turned 90 degrees; only an upright read gives these words.
    assert normalise(record["ocr"]["text"]) == normalise("ТЕН ИВАН\n1884-1949")
    assert record["ocr"]["confidence"] > 80
    assert record["ocr"]["languages"] == ["rus", "kor", "eng"]
    # pytesseract: "tesseract 5.3.0"; tesserocr (ocr.engine auto, when installed): "tesserocr 2.13.0 (tesseract 5.5.4)";
    # then the line engine: "rapidocr 3.10.0 (PP-OCRv6 small; onnxruntime 1.32.0)"
    assert re.fullmatch(rf"({TESSERACT}); {RAPIDOCR}", record["ocr"]["engine"])


def test_ocr_words_are_filed_beside_the_record(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("DSC_0001.jpg")
    assert record["ocr"]["words_path"] == f"derivatives/{record['id'][:2]}/{record['id']}.words.json"
    words = json.loads((ingested_batch.home.archive / record["ocr"]["words_path"]).read_text(encoding="utf-8"))
    assert words["id"] == record["id"]
    assert [normalise(w["text"]) for w in words["words"]] == ["тен", "иван", "1884-1949"]
    assert all(0 <= w["confidence"] <= 100 and len(w["box"]) == 4 for w in words["words"])
    assert "words" not in record["ocr"]


def test_ocr_reads_hangul(ingested_batch: IngestedBatch) -> None:
    text = ingested_batch.by_name("scans/Могила Ким Шура.png")["ocr"]["text"]
    assert "김 슈라" in text
    assert "КИМ ШУРА" in text


def test_structured_fields(ingested_batch: IngestedBatch) -> None:
    stone = ingested_batch.by_name("DSC_0001.jpg")
    assert stone["kind"] == "headstone"
    assert stone["place"]["name"] == "Chongjin"
    assert stone["place"]["source"] == "caption"
    assert stone["date"] == {"value": "2013-01-09", "precision": "day", "source": "exif"}
    monument = ingested_batch.by_name("old scan 1975.TIFF")
    assert monument["kind"] == "monument"
    assert monument["place"]["name"] == "Sinuiju"
    assert monument["date"] == {"value": "197x", "precision": "decade", "source": "caption"}


def test_manifest_caption_place_date_and_credit(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("IMG_0002.jpeg")
    assert record["caption"] == "Unknown soldier, Hamhung cemetery"
    assert record["source"]["caption_file"] == "captions.csv"
    manifest = ingested_batch.home.archive / record["source"]["caption_path"]
    assert manifest.suffix == ".csv"
    assert record["source"]["caption_sha256"] == sha256(manifest.read_bytes())
    assert manifest.read_text(encoding="utf-8").startswith("file,caption,place,date,credit\n")
    assert record["place"]["name"] == "Hamhung"
    assert record["place"]["source"] == "manifest"
    assert record["date"] == {"value": "1978-05", "precision": "month", "source": "manifest"}
    assert record["provenance"]["credit"] == "Koryo Tours archive"


def test_captions_decoded_and_filed(ingested_batch: IngestedBatch) -> None:
    home = ingested_batch.home
    cp1251 = ingested_batch.by_name("scans/Могила Ким Шура.png")
    assert cp1251["caption"] == "Могила Ким Шуры, Вонсан"
    assert [f["code"] for f in cp1251["flags"]].count("bad_encoding") == 1
    # The caption is filed as dropped: still cp1251 bytes, still the same hash.
    filed = (home.archive / cp1251["source"]["caption_path"]).read_bytes()
    assert filed == "Могила Ким Шуры, Вонсан".encode("cp1251")
    assert cp1251["source"]["caption_sha256"] == sha256(filed)
    bom = ingested_batch.by_name("old scan 1975.TIFF")
    assert bom["caption"] == "Памятник Освобождения в Синыйджу.\nФото 1970-х."
    assert not any(f["code"] == "bad_encoding" for f in bom["flags"])


def test_provenance_defaults(ingested_batch: IngestedBatch) -> None:
    provenance = ingested_batch.by_name("DSC_0001.jpg")["provenance"]
    assert provenance == {
        "credit": "Russian Embassy in Pyongyang",
        "rights": "All photos are the property of the Russian Embassy in Pyongyang.",
        "source": "Photo series published by the Russian Embassy in Pyongyang (@RusEmbDPRK)",
        "commentary": "Koryo Tours",
        "embedded_credit": None,  # no XMP/IPTC credit or copyright in the file
        "embedded_rights": None,
    }


def test_events_tell_the_story(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("DSC_0001.jpg")
    types = [e["type"] for e in record["events"]]
    assert types[:3] == ["caption", "message digest calculation", "format identification"]
    for expected in ("metadata extraction", "ocr", "fixity check", "ingestion"):
        assert expected in types
    ocr_event = next(e for e in record["events"] if e["type"] == "ocr")
    assert re.fullmatch(rf"archive-ingest \S+; ({TESSERACT}); {RAPIDOCR}", ocr_event["agent"])
    outcomes = {e["type"]: e["outcome"] for e in record["events"]}
    assert outcomes.pop("duplicate drop") == "warning"
    assert set(outcomes.values()) == {"success"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["at"]) for e in record["events"])


def test_duplicate_is_recorded_on_the_existing_record(ingested_batch: IngestedBatch) -> None:
    record = ingested_batch.by_name("DSC_0001.jpg")
    duplicate_flags = [f for f in record["flags"] if f["code"] == "duplicate"]
    assert duplicate_flags == [
        {"code": "duplicate", "detail": "same bytes as 'DSC_0001.jpg' dropped again as 'DSC_0001 (1).jpg'"}
    ]
    event = next(e for e in record["events"] if e["type"] == "duplicate drop")
    assert "dropped again as 'DSC_0001 (1).jpg', with caption DSC_0001 (1).txt" in event["detail"]
    assert "its caption differs and is kept here: 'Тён Иван, Chongjin (a second copy)'" in event["detail"]
    assert record["review"]["status"] == "pending"
    # Stored once: one original in the archive for the two drops.
    assert len(list(ingested_batch.home.archive.glob(f"originals/*/{record['id']}*"))) == 1


def test_bad_files_are_quarantined_with_reasons(ingested_batch: IngestedBatch) -> None:
    expected = {
        "broken.jpg": "cannot decode the image: image file is truncated",
        "empty.jpg": "empty file (0 bytes): nothing to read",
        "notes.jpg": "not an image Pillow can identify (wrong extension or damaged header)",
        "bomb.png": "decompression bomb: the header declares 30000x30000 pixels (900 MP), "
        "over the limit of 150 MP; not decoded",
    }
    for name, reason in expected.items():
        record = ingested_batch.by_name(name)
        assert record["kind"] == "quarantined", name
        assert record["flags"] == [{"code": "corrupt", "detail": reason}] or (
            record["flags"][0]["code"] == "corrupt" and record["flags"][0]["detail"].startswith(reason)
        ), (name, record["flags"])
        assert record["file"]["path"].startswith("quarantine/")
        key = next(k for k, p in ingested_batch.files.items() if p.name == name)
        filed = ingested_batch.home.archive / record["file"]["path"]
        assert filed.read_bytes() == ingested_batch.originals[key]
        assert record["review"]["status"] == "pending"


def test_quality_flags(ingested_batch: IngestedBatch) -> None:
    codes = {r["source"]["filename"]: sorted(f["code"] for f in r["flags"]) for r in ingested_batch.records}
    assert codes["DSC_0003.JPG"] == ["no_caption", "no_date", "unknown_place"]
    assert codes["IMG_0002.jpeg"] == []
    assert ingested_batch.by_name("IMG_0002.jpeg")["review"]["status"] == "not_needed"


def test_rerun_with_nothing_new_changes_nothing(batch_copy: ArchiveHome) -> None:
    home = batch_copy
    before = home.catalog.read_bytes()
    result = home.invoke("run")
    assert result.exit_code == 0
    assert "ingested 0, duplicates 0, quarantined 0, failed 0" in result.stderr
    assert home.catalog.read_bytes() == before


def test_same_file_left_in_inbox_after_commit_is_already_archived(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", "stages: [fixity, identify, exif, provenance, flags, file]\n")
    scan = make_scan(home.inbox / "a.jpg", ["ТЕСТ"], caption="Grave, Pyongyang")
    kept = scan.read_bytes()
    assert home.invoke("run").exit_code == 0
    # As if a run was killed between the catalog commit and the inbox clean-up:
    scan.write_bytes(kept)
    scan.with_suffix(".txt").write_text("Grave, Pyongyang", encoding="utf-8")
    result = home.invoke("run")
    assert "ingested 0, duplicates 0, quarantined 0, failed 0, already archived 1" in result.stderr
    assert home.inbox_files() == []
    [record] = home.catalog_records()
    assert not any(f["code"] == "duplicate" for f in record["flags"])


def test_a_recorded_duplicate_dropped_again_is_already_archived(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", "stages: [fixity, identify, exif, provenance, flags, file]\n")
    scan = make_scan(home.inbox / "a.jpg", ["ТЕСТ"], caption="Grave, Pyongyang")
    copy = home.inbox / "a (1).jpg"
    shutil.copyfile(scan, copy)
    kept = copy.read_bytes()
    assert "duplicates 1" in home.invoke("run").stderr
    copy.write_bytes(kept)  # the same duplicate drop again (a re-run of the same folder)
    result = home.invoke("run")
    assert "ingested 0, duplicates 0, quarantined 0, failed 0, already archived 1" in result.stderr
    [record] = home.catalog_records()
    assert [e["type"] for e in record["events"]].count("duplicate drop") == 1


# -- issue 13: a manifest row waits for its image; every empty file is quarantined by name ---

NO_OCR = "stages: [fixity, identify, exif, extract, provenance, flags, file]\n"
EMPTY_ID = sha256(b"")[:16]


def archived_manifests(home: ArchiveHome) -> dict[str, bytes]:
    return {p.relative_to(home.archive).as_posix(): p.read_bytes() for p in home.archive.glob("captions/*/*.csv")}


def test_a_manifest_row_waits_in_the_inbox_until_its_image_comes(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    make_scan(home.inbox / "first.jpg", ["ПЕРВЫЙ"], font_px=20, margin=10)
    original = (
        "file,caption,place\n"
        "first.jpg,Первый камень,Wonsan\n"
        '"later.jpg","Второй камень, Хамхын",Hamhung\n'
        "../escape.jpg,outside,\n"
    ).encode()
    (home.inbox / "captions.csv").write_bytes(original)
    original_path = f"captions/{sha256(original)[:2]}/{sha256(original)}.csv"
    leftover = 'file,caption,place\nlater.jpg,"Второй камень, Хамхын",Hamhung\n'.encode()
    leftover_path = f"captions/{sha256(leftover)[:2]}/{sha256(leftover)}.csv"

    result = home.invoke("run")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:4] == [
        f"note: captions.csv: filed as {original_path}; the inbox copy keeps only the 1 row whose image "
        "is not archived yet (later.jpg)",
        "warning: captions.csv line 4: file '../escape.jpg' is outside the inbox; row ignored",
        "warning: captions.csv: row for 'later.jpg' names no image in the inbox; it waits there for the image",
        "ingested 1, duplicates 0, quarantined 0, failed 0",
    ]
    assert home.inbox_files() == ["captions.csv"]
    assert (home.inbox / "captions.csv").read_bytes() == leftover
    assert archived_manifests(home) == {original_path: original}
    [first] = home.catalog_records()
    assert (first["caption"], first["source"]["caption_path"]) == ("Первый камень", original_path)

    make_scan(home.inbox / "later.jpg", ["ВТОРОЙ"], font_px=20, margin=10)
    result = home.invoke("run")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == [
        f"note: captions.csv: every image it names is archived; filed as {leftover_path}",
        "ingested 1, duplicates 0, quarantined 0, failed 0",
    ]
    assert home.inbox_files() == []
    records = {r["source"]["filename"]: r for r in home.catalog_records()}
    assert sorted(records) == ["first.jpg", "later.jpg"]
    later = records["later.jpg"]
    assert (later["caption"], later["place"]["name"], later["place"]["source"]) == (
        "Второй камень, Хамхын",
        "Hamhung",
        "manifest",
    )
    assert (later["source"]["caption_file"], later["source"]["caption_path"]) == ("captions.csv", leftover_path)
    assert later["source"]["caption_sha256"] == sha256(leftover)
    assert records["first.jpg"] == first  # its row was not paired again
    assert archived_manifests(home) == {original_path: original, leftover_path: leftover}
    verified = home.invoke("verify", "--config", str(home.config))
    assert verified.exit_code == 0 and verified.stderr.startswith("verify: 2 records, "), verified.stderr
    assert verified.stderr.endswith(" files re-hashed: all well\n")


def test_a_manifest_row_beside_a_sidecar_is_filed_with_the_record(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    make_scan(home.inbox / "a.jpg", ["А"], font_px=20, margin=10)
    (home.inbox / "a.txt").write_text("Могила в Вонсане", encoding="utf-8")
    manifest = b"file,caption,place\na.jpg,,Wonsan\nlater.jpg,,Hamhung\n"
    (home.inbox / "captions.csv").write_bytes(manifest)
    assert home.invoke("run").exit_code == 0
    assert (home.inbox_files(), (home.inbox / "captions.csv").read_bytes()) == (
        ["captions.csv"],
        b"file,caption,place\nlater.jpg,,Hamhung\n",
    )
    [record] = home.catalog_records()
    filed = f"captions/{sha256(manifest)[:2]}/{sha256(manifest)}.csv"
    assert record["caption"] == "Могила в Вонсане"
    assert record["place"]["source"] == "manifest"
    assert (
        f"captions.csv also has a row for this file; its place, date and credit cells are used (filed as {filed})"
        in [e["detail"] for e in record["events"]]
    )
    verified = home.invoke("verify", "--config", str(home.config))
    assert verified.exit_code == 0 and verified.stderr.startswith("verify: 1 records, "), verified.stderr
    assert verified.stderr.endswith(" files re-hashed: all well\n")


def test_a_manifest_whose_images_have_not_come_stays_as_dropped(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    manifest = "file,caption\nlater.jpg,Второй камень\n".encode("cp1251")
    (home.inbox / "captions.csv").write_bytes(manifest)
    result = home.invoke("run")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "warning: captions.csv: row for 'later.jpg' names no image in the inbox; it waits there for the image"
    )
    assert (home.inbox / "captions.csv").read_bytes() == manifest
    assert archived_manifests(home) == {}


def test_every_empty_file_is_quarantined_under_its_own_name(batch_copy: ArchiveHome) -> None:
    home = batch_copy  # empty.jpg was quarantined by the session's run
    (home.inbox / "another_empty.png").write_bytes(b"")
    (home.inbox / "sub").mkdir()
    (home.inbox / "sub" / "zero2.jpg").write_bytes(b"")
    (home.inbox / "sub" / "zero2.txt").write_text("Могила на кладбище в Вонсане", encoding="utf-8")

    result = home.invoke("run")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:4] == [
        "warning: lonely.txt: caption with no image; left in the inbox",
        f"warning: another_empty.png: empty file (0 bytes); quarantined on record {EMPTY_ID}, "
        "which every empty file shares",
        f"warning: sub/zero2.jpg: empty file (0 bytes); quarantined on record {EMPTY_ID}, "
        "which every empty file shares",
        "ingested 0, duplicates 0, quarantined 2 (2 empty), failed 0",
    ]
    lines = result.stderr.splitlines()
    assert not any(line.startswith("flagged:") and "duplicate" in line for line in lines)
    assert home.inbox_files() == ["lonely.txt"]
    record = next(r for r in home.catalog_records() if r["id"] == EMPTY_ID)
    assert (record["kind"], record["source"]["filename"]) == ("quarantined", "empty.jpg")
    assert [f["code"] for f in record["flags"]] == ["corrupt"]
    assert record["caption"] is None  # an empty file's caption describes that file, not the record
    quarantine_events = [e["detail"] for e in record["events"] if e["type"] == "quarantine"]
    assert quarantine_events[1:] == [
        "empty file (0 bytes) dropped as 'another_empty.png'; quarantined on this record",
        "empty file (0 bytes) dropped as 'sub/zero2.jpg', with caption sub/zero2.txt "
        f"(filed as captions/{sha256('Могила на кладбище в Вонсане'.encode())[:2]}/"
        f"{sha256('Могила на кладбище в Вонсане'.encode())}.txt): 'Могила на кладбище в Вонсане'; "
        "quarantined on this record",
    ]
    history = home.invoke("show", EMPTY_ID, "--history").stdout
    assert "another_empty.png" in history and "sub/zero2.jpg" in history

    # The same empty file dropped again (a re-run of the same folder) is recognised, not recorded twice.
    (home.inbox / "another_empty.png").write_bytes(b"")
    result = home.invoke("run")
    assert "ingested 0, duplicates 0, quarantined 0, failed 0, already archived 1" in result.stderr
    record = next(r for r in home.catalog_records() if r["id"] == EMPTY_ID)
    assert len([e for e in record["events"] if e["type"] == "quarantine"]) == 3


def test_waiting_rows_keep_the_manifests_encoding_and_line_endings(tmp_path: Path) -> None:
    home = new_home(tmp_path / "home", NO_OCR)
    make_scan(home.inbox / "scans" / "a.jpg", ["А"], font_px=20, margin=10)
    rows = 'File,Caption,Extra\r\na.jpg,Камень А,x\r\nb.jpg,"Камень Б\r\nвторая строка",y,z\r\n'
    (home.inbox / "scans" / "captions.csv").write_bytes(rows.encode("cp1251"))
    assert home.invoke("run").exit_code == 0
    waiting = 'File,Caption,Extra\r\nb.jpg,"Камень Б\nвторая строка",y,z\r\n'.encode("cp1251")
    assert (home.inbox / "scans" / "captions.csv").read_bytes() == waiting
    make_scan(home.inbox / "scans" / "b.jpg", ["Б"], font_px=20, margin=10)
    assert home.invoke("run").exit_code == 0
    assert home.inbox_files() == []
    later = next(r for r in home.catalog_records() if r["source"]["filename"] == "scans/b.jpg")
    assert later["caption"] == "Камень Б\nвторая строка"
    assert [f["code"] for f in later["flags"] if f["code"] == "bad_encoding"] == ["bad_encoding"]
