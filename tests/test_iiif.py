"""`archive-ingest export --format iiif`: the static IIIF publication of the session batch.

Every test goes through the real command line on a catalog made by the pipeline. Every
manifest and the collection are validated against the IIIF Presentation 3 JSON Schema,
vendored in `tests/vendor/iiif-presentation-validator/` (no network); every `info.json`
and every file a viewer can ask of it (`test_iiif_tiles.viewer_requests`) must exist.
`test_iiif_viewer.py` opens a manifest in Mirador.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft7Validator
from PIL import Image

from archive_ingest.cli import cli
from archive_ingest.exports.iiif import STATE
from conftest import ArchiveHome, IngestedBatch
from test_iiif_tiles import pixel_size, viewer_requests
from test_readonly import ReadOnlyCopy, readonly, run, unchanged, user_home  # noqa: F401  (fixtures)

SCHEMA = Path(__file__).parent / "vendor" / "iiif-presentation-validator" / "iiif_3_0.json"
BASE = "https://archive.example.org/iiif"
STONE = "DSC_0001.jpg"
CREDIT = "Russian Embassy in Pyongyang"
RIGHTS = "All photos are the property of the Russian Embassy in Pyongyang."
SUMMARY = re.compile(
    r"wrote (\d+) records? to (.+): manifests (\d+) written, (\d+) unchanged; "
    r"images (\d+) tiled \((\d+) files\), (\d+) unchanged; (\d+) removed"
)


def export(home: ArchiveHome, out: Path, *args: str, base: str = BASE) -> Result:
    return home.invoke("export", "--format", "iiif", "--out", str(out), "--base-url", base, *args)


def counts(result: Result) -> dict[str, int]:
    """The numbers of the summary line (the last line on stderr)."""
    match = SUMMARY.fullmatch(result.stderr.splitlines()[-1])
    assert match, result.stderr
    names = ("records", "manifests_written", "manifests_unchanged", "tiled", "files", "images_unchanged", "removed")
    return dict(zip(names, map(int, match.group(1, 3, 4, 5, 6, 7, 8)), strict=True))


def published(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["kind"] != "quarantined" and r["review"]["status"] != "rejected"]


def local(out: Path, url: str) -> Path:
    assert url.startswith(BASE + "/"), url
    return out / url.removeprefix(BASE + "/")


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` by (inode, mtime): what a later export rewrote shows."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()
    }


def _review(home: ArchiveHome, *args: str) -> None:
    result = CliRunner().invoke(cli, ["review", *args, "--config", str(home.config)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def assert_valid(validator: Draft7Validator, document: Any) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:300]}" for e in errors]


@pytest.fixture(scope="module")
def exported(ingested_batch: IngestedBatch, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The whole session batch exported once (into a folder that does not exist yet)."""
    out = tmp_path_factory.mktemp("iiif") / "publication"
    return out, export(ingested_batch.home, out)


def test_the_collection_and_every_manifest_are_valid_presentation_3(
    exported: tuple[Path, Result], ingested_batch: IngestedBatch, validator: Draft7Validator
) -> None:
    out, result = exported
    expected = published(ingested_batch.records)
    withheld = len(ingested_batch.records) - len(expected)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"left out {withheld} records not for publication (quarantined or rejected)"
    assert counts(result) == {
        "records": len(expected),
        "manifests_written": len(expected),
        "manifests_unchanged": 0,
        "tiled": len(expected),
        "files": counts(result)["files"],
        "images_unchanged": 0,
        "removed": 0,
    }
    assert result.stdout == ""
    collection = load(out / "collection.json")
    assert_valid(validator, collection)
    assert (collection["id"], collection["type"]) == (f"{BASE}/collection.json", "Collection")
    assert [item["id"] for item in collection["items"]] == [f"{BASE}/manifests/{r['id']}.json" for r in expected]
    assert sorted(p.name for p in (out / "manifests").iterdir()) == sorted(f"{r['id']}.json" for r in expected)
    for item in collection["items"]:
        manifest = load(local(out, item["id"]))
        assert_valid(validator, manifest)
        assert (manifest["id"], manifest["type"], manifest["label"]) == (item["id"], "Manifest", item["label"])
        assert manifest["partOf"] == [{"id": collection["id"], "type": "Collection"}]


def test_a_manifest_carries_the_record_and_its_credit(
    exported: tuple[Path, Result], ingested_batch: IngestedBatch
) -> None:
    out, _ = exported
    record = ingested_batch.by_name(STONE)
    manifest = load(out / "manifests" / f"{record['id']}.json")
    caption = record["caption"].strip()
    people = [f"{p['name_latin']} ({p['name']}), {p['birth_year']}-{p['death_year']}" for p in record["persons"]]
    named = ", ".join(f"{p['name_latin']} ({p['birth_year']}-{p['death_year']})" for p in record["persons"])
    title = f"Headstone of {named}"
    assert manifest["label"] == {"ru": [caption], "en": [f"{title}, Chongjin"]}
    assert manifest["summary"] == {"ru": [caption]}
    assert manifest["requiredStatement"] == {"label": {"en": ["Attribution"]}, "value": {"none": [CREDIT, RIGHTS]}}
    assert "rights" not in manifest  # a sentence, not a Creative Commons or RightsStatements.org URI
    assert manifest["provider"] == [
        {"id": f"{BASE}/collection.json#provider", "type": "Agent", "label": {"none": [CREDIT]}}
    ]
    assert "homepage" not in manifest  # no --site-url
    place = record["place"]
    assert {pair["label"]["en"][0]: pair["value"] for pair in manifest["metadata"]} == {
        "Kind": {"en": ["Headstone"]},
        "People": {"none": people},
        "Place": {"en": [f"Chongjin, {place['province']}"], "ko": [place["name_ko"]], "ru": [place["name_ru"]]},
        "Coordinates": {"none": [f"{place['lat']}, {place['lon']}"]},
        "Date": {"none": [record["date"]["value"]]},
        "Inscription (read by OCR)": {"ru": [record["ocr"]["text"]]},
        "Source": {"en": ["Photo series published by the Russian Embassy in Pyongyang (@RusEmbDPRK)"]},
        "Commentary": {"none": ["Koryo Tours"]},
        "Identifier": {"none": [record["id"]]},
    }
    # The picture is the access copy (upright: the stone was shot with orientation 6), its
    # bytes published as they are, with the credit embedded in them.
    access = ingested_batch.home.archive / record["derivatives"]["access_path"]
    with Image.open(access) as copy:
        size = copy.size
    canvas = manifest["items"][0]
    body = canvas["items"][0]["items"][0]["body"]
    assert (canvas["width"], canvas["height"]) == (body["width"], body["height"]) == size
    with Image.open(ingested_batch.home.archive / record["file"]["path"]) as original:
        stored = original.size
    assert (size[0] > size[1]) == (stored[1] > stored[0])  # turned a quarter
    assert local(out, body["id"]).read_bytes() == access.read_bytes()
    assert body["service"] == [{"id": f"{BASE}/images/{record['id']}", "type": "ImageService3", "profile": "level0"}]


def test_every_info_json_and_tile_a_manifest_names_exists(exported: tuple[Path, Result]) -> None:
    out, _ = exported
    for path in sorted((out / "manifests").iterdir()):
        manifest = load(path)
        canvas = manifest["items"][0]
        body = canvas["items"][0]["items"][0]["body"]
        for image in (body, *manifest["thumbnail"]):
            service = image["service"][0]
            folder = local(out, service["id"])
            info = load(folder / "info.json")
            assert (info["id"], info["type"], info["profile"]) == (service["id"], "ImageService3", "level0")
            assert (info["width"], info["height"]) == (canvas["width"], canvas["height"])
            requests = viewer_requests(info) | {"full/max/0/default.jpg"}
            for request in requests:
                with Image.open(folder / request) as picture:
                    assert (picture.format, picture.size) == ("JPEG", pixel_size(request, info)), request
            assert local(out, image["id"]).is_file()
            assert image["id"].removeprefix(service["id"] + "/") in requests
            made = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
            assert made == requests | {"info.json"}  # nothing a viewer cannot name


def test_a_second_export_writes_only_what_changed(batch_copy: ArchiveHome, tmp_path: Path) -> None:
    out = tmp_path / "iiif"
    ids = {r["source"]["filename"]: r["id"] for r in published(batch_copy.catalog_records())}
    stone = ids[STONE]
    first = export(batch_copy, out, "--query", "place:Chongjin")
    assert counts(first) | {"files": 0} == {
        "records": 1, "manifests_written": 1, "manifests_unchanged": 0, "tiled": 1, "files": 0,
        "images_unchanged": 0, "removed": 0,
    }  # fmt: skip
    before = snapshot(out)

    # New records in the selection: only theirs are tiled and written.
    everything = export(batch_copy, out)
    assert counts(everything) | {"files": 0} == {
        "records": len(ids), "manifests_written": len(ids) - 1, "manifests_unchanged": 1, "tiled": len(ids) - 1,
        "files": 0, "images_unchanged": 1, "removed": 0,
    }  # fmt: skip
    after = snapshot(out)
    assert {path: after[path] for path in before if path != "collection.json" and path != STATE} == {
        path: stamp for path, stamp in before.items() if path != "collection.json" and path != STATE
    }

    # A caption edited: its manifest and the collection (which carries its label), nothing else.
    hangul = ids["scans/Могила Ким Шура.png"]
    _review(batch_copy, "edit", hangul, "--set", "caption=Могила Ким Шуры, Вонсан, 1947")
    edited = export(batch_copy, out)
    assert counts(edited) | {"files": 0} == {
        "records": len(ids), "manifests_written": 1, "manifests_unchanged": len(ids) - 1, "tiled": 0,
        "files": 0, "images_unchanged": len(ids), "removed": 0,
    }  # fmt: skip
    again = snapshot(out)
    assert {path for path in again if again[path] != after.get(path)} == {f"manifests/{hangul}.json", "collection.json"}
    assert load(out / "manifests" / f"{hangul}.json")["summary"] == {"ru": ["Могила Ким Шуры, Вонсан, 1947"]}

    # An access copy touched (same bytes): hashed again, not tiled again. Made anew: tiled again.
    access = batch_copy.archive / next(
        r["derivatives"]["access_path"] for r in batch_copy.catalog_records() if r["id"] == stone
    )
    os.utime(access)
    assert counts(export(batch_copy, out))["tiled"] == 0
    with Image.open(access) as copy:
        copy.rotate(180).save(access, "JPEG", quality=70)
    remade = export(batch_copy, out)
    assert (counts(remade)["tiled"], counts(remade)["manifests_written"]) == (1, 0)
    assert (out / "images" / stone / "full" / "max" / "0" / "default.jpg").read_bytes() == access.read_bytes()

    # A narrower query: the others' manifests and images go; a killed run's leftovers too.
    (out / "images" / f".{stone}.abcdefgh.partial" / "full").mkdir(parents=True)
    narrowed = export(batch_copy, out, "--query", "place:Chongjin")
    assert counts(narrowed)["removed"] == len(ids) - 1
    assert sorted(p.name for p in (out / "manifests").iterdir()) == [f"{stone}.json"]
    assert sorted(p.name for p in (out / "images").iterdir()) == [stone]
    assert [item["id"] for item in load(out / "collection.json")["items"]] == [f"{BASE}/manifests/{stone}.json"]
    assert sorted(load(out / STATE)["images"]) == [stone]

    # Another base URL: every id changes, the tiles do not.
    moved = export(batch_copy, out, "--query", "place:Chongjin", base="http://127.0.0.1:8000")
    assert counts(moved)["manifests_written"] == 1 and counts(moved)["tiled"] == 0
    assert load(out / "images" / stone / "info.json")["id"] == f"http://127.0.0.1:8000/images/{stone}"


def test_captions_with_markup_and_quotes_are_text_in_the_json(
    batch_copy: ArchiveHome, tmp_path: Path, validator: Draft7Validator
) -> None:
    captions = {
        STONE: "<script>alert('x') & </script>",
        "DSC_0003.JPG": 'Он сказал "да" <b>\\ не закрыт',
        "IMG_0002.jpeg": "<img src=x onerror=alert(1)>",
    }
    ids = {r["source"]["filename"]: r["id"] for r in batch_copy.catalog_records()}
    for name, caption in captions.items():
        _review(batch_copy, "edit", ids[name], "--set", f"caption={caption}")
    out = tmp_path / "iiif"
    assert export(batch_copy, out).exit_code == 0
    for name, caption in captions.items():
        manifest = load(out / "manifests" / f"{ids[name]}.json")
        assert_valid(validator, manifest)
        language = "ru" if re.search("[а-я]", caption) else "en"  # the caption's script
        assert manifest["label"][language] == [caption]  # a label is always plain text
        (summary,) = manifest["summary"][language]
        if caption.startswith("<") and caption.endswith(">"):
            # Read as HTML by a viewer: escaped inside a span, which shows exactly the caption.
            assert summary == f"<span>{html.escape(caption)}</span>"
        else:
            assert summary == caption


def test_no_reviewer_and_no_rejected_record_is_published(batch_copy: ArchiveHome, tmp_path: Path) -> None:
    ids = {r["source"]["filename"]: r["id"] for r in batch_copy.catalog_records()}
    _review(batch_copy, "reject", ids["IMG_0002.jpeg"], "--note", "not a Soviet grave", "--by", "anna")
    _review(batch_copy, "accept", ids[STONE], "--note", "checked by phone with Pak", "--by", "boris")
    out = tmp_path / "iiif"
    result = export(batch_copy, out)
    assert result.exit_code == 0
    expected = published(batch_copy.catalog_records())
    assert ids["IMG_0002.jpeg"] not in {r["id"] for r in expected}
    assert counts(result)["records"] == len(expected)
    assert sorted(p.stem for p in (out / "manifests").iterdir()) == sorted(r["id"] for r in expected)
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.json")) + (out / STATE).read_text()
    for secret in ("anna", "boris", "not a Soviet grave", "checked by phone", ids["IMG_0002.jpeg"]):
        assert secret not in text


def test_a_record_without_its_picture_is_made_from_the_original_or_left_out(
    batch_copy: ArchiveHome, tmp_path: Path
) -> None:
    records = {r["source"]["filename"]: r for r in batch_copy.catalog_records()}
    archive = batch_copy.archive
    # No access copy: made from the original, upright, at the access size.
    plain = records["DSC_0003.JPG"]
    (archive / plain["derivatives"]["access_path"]).unlink()
    # No access copy and an altered original: left out, with a warning.
    altered = records["IMG_0002.jpeg"]
    (archive / altered["derivatives"]["access_path"]).unlink()
    original = archive / altered["file"]["path"]
    original.write_bytes(original.read_bytes()[:-1] + b"\x00")
    # Neither: left out.
    gone = records["old scan 1975.TIFF"]
    (archive / gone["derivatives"]["access_path"]).unlink()
    (archive / gone["file"]["path"]).unlink()
    out = tmp_path / "iiif"
    result = export(batch_copy, out)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[:2] == [
        f"warning: {gone['id']}: original {gone['file']['path']} missing from the archive: not published",
        f"warning: {altered['id']}: original {altered['file']['path']} differs from its record's sha256: "
        "not published (archive-ingest verify tells more)",
    ]
    assert not (out / "manifests" / f"{altered['id']}.json").exists()
    assert not (out / "images" / gone["id"]).exists()
    manifest = load(out / "manifests" / f"{plain['id']}.json")
    canvas = manifest["items"][0]
    with Image.open(archive / plain["file"]["path"]) as image:
        stored = image.size
    assert max(canvas["width"], canvas["height"]) == min(1600, max(stored))
    assert load(out / "images" / plain["id"] / "info.json")["width"] == canvas["width"]


def test_homepage_is_the_record_page_of_the_site(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    home = ingested_batch.home
    stone = ingested_batch.by_name(STONE)["id"]
    result = export(home, tmp_path / "iiif", "--query", "place:Chongjin", "--site-url", "https://example.org/site/")
    assert result.exit_code == 0
    manifest = load(tmp_path / "iiif" / "manifests" / f"{stone}.json")
    (homepage,) = manifest["homepage"]
    assert (homepage["id"], homepage["type"], homepage["format"]) == (
        f"https://example.org/site/records/{stone}.html",
        "Text",
        "text/html",
    )
    site = CliRunner().invoke(
        cli, ["site", str(tmp_path / "site"), "--query", "place:Chongjin", "--config", str(home.config)]
    )
    assert site.exit_code == 0, site.stderr
    assert (tmp_path / "site" / homepage["id"].removeprefix("https://example.org/site/")).is_file()


# -- what is refused -------------------------------------------------------------------------


USAGE = "--format iiif needs --out FOLDER and --base-url URL (where FOLDER will be served)"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--format", "iiif", "--out", "{tmp}/x"], USAGE),
        (["--format", "iiif", "--base-url", BASE], USAGE),
        (["--format", "iiif", "--out", "{tmp}/x", "--base-url", BASE, "--all"], "--all is not for --format iiif"),
        (["--format", "csv", "--base-url", BASE], "--base-url is for --format iiif only"),
        (["--format", "dc", "--site-url", BASE], "--site-url is for --format iiif only"),
    ],
)
def test_usage_errors_exit_2(ingested_batch: IngestedBatch, tmp_path: Path, args: list[str], error: str) -> None:
    result = ingested_batch.home.invoke("export", *[arg.format(tmp=tmp_path) for arg in args])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"Error: {error}")
    assert list(tmp_path.iterdir()) == []


def test_refused_outs_and_urls_are_one_line_and_exit_2(ingested_batch: IngestedBatch, tmp_path: Path) -> None:
    home = ingested_batch.home
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine", encoding="utf-8")
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    cases = [
        (taken, BASE, f"{taken}: is a folder that is not empty and holds no IIIF export; "
         "--format iiif writes into a new or empty folder, or updates one it wrote"),
        (a_file, BASE, f"{a_file}: is a file; --format iiif writes a folder"),
        (home.archive / "iiif", BASE, f"{home.archive / 'iiif'}: is the archive or in it, or holds it; "
         "write the IIIF export elsewhere"),
        (tmp_path / "new", "ftp://example.org/iiif", "--base-url 'ftp://example.org/iiif': not an http(s) URL of a "
         "folder (such as https://example.org/iiif, where --out is served)"),
        (tmp_path / "new", "https://example.org/iiif?x=1", "--base-url 'https://example.org/iiif?x=1': not an http(s) "
         "URL of a folder (such as https://example.org/iiif, where --out is served)"),
    ]  # fmt: skip
    for out, base, message in cases:
        result = export(home, out, base=base)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"archive-ingest: error: {message}\n")
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "new").exists() and not (home.archive / "iiif").exists()


@pytest.mark.usefixtures("unchanged")
def test_a_read_only_archive_is_exported_and_an_unwritable_out_refused(
    readonly: ReadOnlyCopy,  # noqa: F811
    user_home: Path,  # noqa: F811
    exported: tuple[Path, Result],
) -> None:
    root = readonly.home.root
    args = ["export", "--format", "iiif", "--base-url", BASE, "--out"]
    refused = run(root, user_home, *args, str(root / "iiif"))
    message = f"--out {root / 'iiif'}: cannot write it: {root} is not writable by this user"
    assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", f"archive-ingest: error: {message}\n")

    out = user_home / "iiif"
    done = run(root, user_home, *args, str(out))
    assert done.returncode == 0, done.stderr
    original, _ = exported
    assert os.stat(out).st_uid != 0  # written by the user nobody
    assert {p.name: p.read_bytes() for p in (out / "manifests").iterdir()} == {
        p.name: p.read_bytes() for p in (original / "manifests").iterdir()
    }
