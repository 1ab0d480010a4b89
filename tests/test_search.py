"""Search: the query language, matching across scripts and OCR errors, ranking, output,
and the search index beside the catalog (rebuilt when stale or deleted)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive_ingest.catalog import Catalog
from archive_ingest.catalog import index as search_index
from archive_ingest.catalog.index import index_path
from archive_ingest.catalog.index_reader import SearchIndex
from archive_ingest.cli import cli
from archive_ingest.errors import CatalogError
from archive_ingest.record import (
    ExifInfo,
    FileInfo,
    Flag,
    FlagCode,
    Kind,
    OcrResult,
    Person,
    PhotoDate,
    Provenance,
    Record,
    Review,
    ReviewStatus,
    Source,
    record_id_for,
)
from archive_ingest.search import search
from archive_ingest.search.query import QueryError, parse
from archive_ingest.text.fold import translit_keys, words
from archive_ingest.text.places import Gazetteer
from conftest import ArchiveHome, IngestedBatch

GAZETTEER = Gazetteer.load()
EMBASSY = Provenance("Russian Embassy in Pyongyang", "All photos are the property of the embassy.", "embassy series")
KORYO = Provenance("Koryo Tours archive", "By permission.", "Koryo Tours")
FIELDS = "(fields: place: person: born: died: year: taken: kind: flag: status: credit: has:)"


def person(name: str, latin: str, born: int | None, died: int | None) -> Person:
    return Person(name=name, name_latin=latin, birth_year=born, death_year=died, source="caption+ocr")


def make(
    n: int,
    filename: str,
    kind: Kind = Kind.HEADSTONE,
    *,
    caption: str | None = None,
    ocr: str = "",
    persons: tuple[Person, ...] = (),
    place: str | None = None,
    taken: str | None = None,
    gps: bool = False,
    date: str | None = None,
    flags: tuple[FlagCode, ...] = (),
    provenance: Provenance = EMBASSY,
) -> Record:
    sha = f"{n:016x}" + "ab" * 24
    site = GAZETTEER.get(place) if place else None
    return Record(
        id=record_id_for(sha),
        kind=kind,
        source=Source(filename=filename),
        file=FileInfo(sha256=sha, bytes=1000 + n),
        caption=caption,
        exif=ExifInfo(date_taken=taken, gps={"lat": 41.79, "lon": 129.77} if gps else None),
        ocr=OcrResult(text=ocr, confidence=80.0 if ocr else None),
        persons=list(persons),
        place=site.to_place("caption") if site else None,
        date=PhotoDate(date, "day" if len(date) == 10 else "year", "manifest") if date else None,
        provenance=provenance,
        flags=[Flag(code, "test") for code in flags],
        review=Review(ReviewStatus.PENDING if flags else ReviewStatus.NOT_NEEDED),
    )


RECORDS = [
    make(1, "tyon.jpg", caption="Могила Тён Ивана на советском воинском кладбище в Чхонджине.",
         ocr="ТЕН ИВАН\n1884-1949", persons=(person("Тён Иван", "Tyon Ivan", 1884, 1949),), place="Chongjin",
         taken="2013-01-09T11:50:11", gps=True, date="2013-01-09"),
    make(2, "nikolai.jpg", ocr="СМИРНОВ НИКОЛАЙ ПЕТРОВИЧ\n1898-1945",
         persons=(person("СМИРНОВ НИКОЛАЙ ПЕТРОВИЧ", "Smirnov Nikolay Petrovich", 1898, 1945),), place="Pyongyang",
         taken="1978-05-09T10:00:00", flags=(FlagCode.OCR_LOW_CONFIDENCE,), date="1978-05-09"),
    make(3, "kim_shura.png", caption="Могила Ким Шуры, Вонсан", ocr="КИМ ШУРА\n김 슈라\n1938-1947",
         persons=(person("КИМ ШУРА", "Kim Shura", 1938, 1947),), place="Wonsan", date="1990"),
    make(4, "chongjin_ko.jpg", Kind.MONUMENT, caption="청진 쏘련군 렬사비", provenance=KORYO),
    make(5, "rajin.jpg", caption="Могила рядового Ли Петра в Раджине", ocr="РЯДОВОЙ\nЛИ ПЕТР\n1920-1946",
         persons=(person("ЛИ ПЕТР", "Li Pyotr", 1920, 1946),), place="Rajin", provenance=KORYO, date="2005-08-15"),
    make(6, "ocr_split.jpg", Kind.MONUMENT, ocr="쏘 련 군 기념비"),
    make(7, "han.jpg", ocr="한양희\n1898-1950", persons=(person("한양희", "Han Yanghui", 1898, 1950),),
         place="Hamhung"),
    make(8, "ocr_error.jpg", ocr="ВИНОГРАЛОВ АЛЕКСБЙ\n1915-1945", flags=(FlagCode.INSCRIPTION_UNREAD,)),
    make(9, "vinogradov.jpg", ocr="ВИНОГРАДОВ ПАВЕЛ\n1920-1944",
         persons=(person("ВИНОГРАДОВ ПАВЕЛ", "Vinogradov Pavel", 1920, 1944),)),
    make(10, "photo_1978.jpg", Kind.PHOTO, taken="1978-06-01T09:00:00", gps=True),
    make(11, "smirnov_caption.jpg", Kind.PHOTO, caption="Фото: Смирнов у памятника"),
    make(12, "smirnov_ocr.jpg", ocr="СМИРНОВ\n1945", flags=(FlagCode.INSCRIPTION_UNREAD,)),
    make(13, "ri.jpg", ocr="리학림", persons=(person("리학림", "Ri Hakrim", None, 1951),)),
]  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search") / "home"
    (root / "archive").mkdir(parents=True)
    (root / "pipeline.yaml").write_text(
        "paths:\n  inbox: inbox\n  archive: archive\n  catalog: archive/catalog.json\n", encoding="utf-8"
    )
    catalog = Catalog(root / "archive" / "catalog.json")
    catalog.commit(RECORDS[:6])  # two batches, as the pipeline commits
    catalog.commit(RECORDS[6:])
    return root


def invoke(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["search", "--config", str(home / "pipeline.yaml"), *args], catch_exceptions=False)


def found(home: Path, query: str, *options: str) -> list[str]:
    result = invoke(home, query, "--json", *options)
    assert result.exit_code == 0, result.stderr
    return [record["source"]["filename"] for record in json.loads(result.stdout)]


# -- free words, phrases, exclusion --------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Иван", ["tyon.jpg"]),  # a word start; may end inside a word (Ивана)
        ("ван", []),  # not from inside a word
        ("ТЁН", ["tyon.jpg"]),  # ё/е and case folded: the inscription reads ТЕН
        ("тён иван", ["tyon.jpg"]),  # all words must match
        ("тён шура", []),
        ('"ТЕН ИВАН"', ["tyon.jpg"]),  # a phrase
        ('"Иван Тён"', []),  # a phrase keeps its order
        ("1884-1949", ["tyon.jpg"]),  # a word with a dash inside is a phrase of its parts
        ("ocr_split", ["ocr_split.jpg"]),  # the file name; "_" separates words
        ("Смирнов -Николай", ["smirnov_caption.jpg", "smirnov_ocr.jpg"]),  # exclusion
        ('Смирнов -"у памятника"', ["nikolai.jpg", "smirnov_ocr.jpg"]),
        ("no such words", []),
        ("Шура –", ["kim_shura.png"]),  # punctuation alone is no word
    ],
)
def test_free_words_phrases_and_exclusion(home: Path, query: str, expected: list[str]) -> None:
    assert found(home, query) == expected


# -- across scripts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Tyon", ["tyon.jpg"]),  # Latin finds Cyrillic (Wikipedia romanisation): Тён, and ТЕН as read
        ("Nikolai", ["nikolai.jpg"]),  # Николай: y and i are one key
        ("Kim Shura", ["kim_shura.png"]),  # Ким Шура, and 김 슈라 on the stone
        ("Chongjin", ["tyon.jpg", "chongjin_ko.jpg"]),  # the place first, then 청진 in a caption
        ("Ch'ŏngjin", ["tyon.jpg", "chongjin_ko.jpg"]),  # McCune-Reischauer with breve and apostrophe
        ("청진", ["tyon.jpg", "chongjin_ko.jpg"]),
        ("Чхонджин", ["tyon.jpg", "chongjin_ko.jpg"]),  # and в Чхонджине in the caption
        ("Rason", ["rajin.jpg"]),  # gazetteer aliases: the city Rajin is part of
        ("Najin", ["rajin.jpg"]),  # the South Korean reading of 라진
        # Li Pyotr spelled so, then ПЕТРОВИЧ by its key (petr...): exact before transliterated
        ("Pyotr", ["rajin.jpg", "nikolai.jpg"]),
        ("렬사", ["chongjin_ko.jpg"]),  # North Korean spelling as written
        ("열사", ["chongjin_ko.jpg"]),  # South Korean spelling finds it
        ("소련", ["chongjin_ko.jpg", "ocr_split.jpg"]),  # 쏘련 (tense consonant), and 쏘 련 군 split by OCR
        ("쏘 련 군", ["chongjin_ko.jpg", "ocr_split.jpg"]),  # split in the query too
        ("이학림", ["ri.jpg"]),  # 리 and 이: the initial-sound rule
        ("Han Yang Hui", ["han.jpg"]),  # a Korean name in syllables finds 한양희
        ("Yanghui", ["han.jpg"]),
    ],
)
def test_cross_script(home: Path, query: str, expected: list[str]) -> None:
    assert found(home, query) == expected


def test_translit_keys_name_the_shared_romanisation() -> None:
    # The keys the cases above rest on (text/fold.py documents the reduction).
    assert [translit_keys(w) for w in words("Тён Tyon")] == [("ten",), ("ten",)]
    assert [translit_keys(w) for w in words("Николай Nikolai")] == [("nikolai",), ("nikolai",)]
    assert [translit_keys(w)[0] for w in words("Шура Shura 슈라 Ким 김")] == ["sura", "sura", "sura", "kim", "kim"]
    assert words("렬사 열사 리 쏘련 소련 쏘 련 군 ИBAHOB") == ["열사", "열사", "이", "소련", "소련", "소련군", "иванов"]


# -- OCR errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # exact first (name and inscription), then the stone OCR misread (Д read as Л)
        ("Виноградов", ["vinogradov.jpg", "ocr_error.jpg"]),
        ("Vinogradov", ["vinogradov.jpg", "ocr_error.jpg"]),  # by the transliteration key too
        ("Виноградав", ["vinogradov.jpg", "ocr_error.jpg"]),  # a typo in the query: both by one letter
        ("Алексей", ["ocr_error.jpg"]),  # АЛЕКСБЙ: one letter off a 7-letter word
        ("Vinogrdov", ["vinogradov.jpg", "ocr_error.jpg"]),  # a letter missing
        ("Ивон", []),  # short words stay exact (Иван is one letter off)
        ("1945", ["nikolai.jpg", "ocr_error.jpg", "smirnov_ocr.jpg"]),  # numbers stay exact: not 1944, 1946
        ('"Виноградав Павел"', []),  # phrases stay exact
    ],
)
def test_ocr_errors(home: Path, query: str, expected: list[str]) -> None:
    assert found(home, query) == expected


# -- fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("place:Chongjin", ["tyon.jpg"]),  # the record's place, not a caption's mention
        ("place:청진", ["tyon.jpg"]),
        ("place:Rason", ["rajin.jpg"]),
        ('place:"North Hamgyong"', ["tyon.jpg", "rajin.jpg"]),  # not a site: the place's words (province)
        ('person:"Han Yang Hui"', ["han.jpg"]),
        ("person:Tyon", ["tyon.jpg"]),
        ("person:Смирнов", ["nikolai.jpg"]),  # names only: not the caption or inscription
        ('person:"Kim Shura"', ["kim_shura.png"]),
        ("person:Vinogradav", ["vinogradov.jpg"]),  # OCR tolerance in names
        ("born:1898", ["nikolai.jpg", "han.jpg"]),
        ("died:1949", ["tyon.jpg"]),
        ("died:1945..1950", ["tyon.jpg", "nikolai.jpg", "kim_shura.png", "rajin.jpg", "han.jpg"]),
        ("died:..1945", ["nikolai.jpg", "vinogradov.jpg"]),
        ("died:1950..", ["han.jpg", "ri.jpg"]),
        ("year:1945", ["nikolai.jpg", "ocr_error.jpg", "smirnov_ocr.jpg"]),  # life spans and inscriptions
        ("year:1978", ["nikolai.jpg", "photo_1978.jpg"]),  # the EXIF date is a year on the record
        ("year:2005", ["rajin.jpg"]),  # the photo's date
        ("taken:1978", ["nikolai.jpg", "photo_1978.jpg"]),
        ("taken:1978-06", ["photo_1978.jpg"]),
        ("taken:2000..", ["tyon.jpg"]),
        ("kind:monument", ["chongjin_ko.jpg", "ocr_split.jpg"]),
        ("kind:photo -has:gps", ["smirnov_caption.jpg"]),
        ("flag:ocr_low_confidence", ["nikolai.jpg"]),
        ("status:pending", ["nikolai.jpg", "ocr_error.jpg", "smirnov_ocr.jpg"]),
        ("credit:embassy kind:monument", ["ocr_split.jpg"]),
        ("credit:koryo", ["chongjin_ko.jpg", "rajin.jpg"]),
        ("has:gps", ["tyon.jpg", "photo_1978.jpg"]),
        ("has:caption kind:headstone", ["tyon.jpg", "kim_shura.png", "rajin.jpg"]),
        ("has:person -has:place", ["vinogradov.jpg", "ri.jpg"]),
        ("Шура has:date", ["kim_shura.png"]),
        ("KIND:HEADSTONE died:1949", ["tyon.jpg"]),  # field names and vocabularies in any case
    ],
)
def test_fields(home: Path, query: str, expected: list[str]) -> None:
    assert found(home, query) == expected


# -- ranking, sorting, limits -------------------------------------------------------------------


def test_ranking_is_names_then_caption_then_inscription(home: Path) -> None:
    # nikolai.jpg: a person's name (and its inscription); then a caption; then an inscription only.
    assert found(home, "Смирнов") == ["nikolai.jpg", "smirnov_caption.jpg", "smirnov_ocr.jpg"]


def test_sort_by_date_and_name_and_limit(home: Path) -> None:
    # Photo date (else the EXIF date), oldest first; undated last, in catalog order.
    assert found(home, "kind:headstone", "--sort", "date") == [
        "nikolai.jpg", "kim_shura.png", "rajin.jpg", "tyon.jpg",
        "han.jpg", "ocr_error.jpg", "vinogradov.jpg", "smirnov_ocr.jpg", "ri.jpg",
    ]  # fmt: skip
    # The first person's Latin name; records without a person last.
    assert found(home, "kind:headstone", "--sort", "name") == [
        "han.jpg", "kim_shura.png", "rajin.jpg", "ri.jpg", "nikolai.jpg",
        "tyon.jpg", "vinogradov.jpg", "ocr_error.jpg", "smirnov_ocr.jpg",
    ]  # fmt: skip
    result = invoke(home, "kind:headstone", "--sort", "name", "--limit", "2")
    assert result.exit_code == 0
    assert [line.split("\t")[3] for line in result.stdout.splitlines()] == ["han.jpg", "kim_shura.png"]
    assert result.stderr == "2 of 9 records\n"


def test_each_hit_says_why_it_matched(home: Path) -> None:
    result = invoke(home, "Tyon")
    tyon = RECORDS[0]
    assert result.stdout == (
        f"{tyon.id}\theadstone\tChongjin\ttyon.jpg\t"
        "name, caption (translit: Тён), inscription (translit: ТЕН), file\t"  # name_latin and file: Tyon
        "Могила Тён Ивана на советском воинском кладбище в Чхонджине.\n"
    )
    assert result.stderr == "1 record\n"
    lines = invoke(home, "Виноградов").stdout.splitlines()
    assert [line.split("\t")[4] for line in lines] == ["name, inscription", "inscription (fuzzy: ВИНОГРАЛОВ)"]
    why = invoke(home, "Rason died:1940..1950").stdout.split("\t")[4]
    assert why == "place (alias: Rason), caption, file, died 1946"  # Раджин in the caption, rajin.jpg


def test_count_and_csv(home: Path) -> None:
    result = invoke(home, "kind:headstone", "--count")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "9\n", "")
    result = invoke(home, "Tyon", "--csv")
    tyon = RECORDS[0]
    assert result.stdout == (
        "id,kind,place,date,file,persons,status,flags,why,caption,inscription\n"
        f"{tyon.id},headstone,Chongjin,2013-01-09,tyon.jpg,Tyon Ivan (1884-1949),not_needed,,"
        '"name, caption (translit: Тён), inscription (translit: ТЕН), file",'
        'Могила Тён Ивана на советском воинском кладбище в Чхонджине.,"ТЕН ИВАН\n1884-1949"\n'
    )


def test_json_is_the_record_contract(home: Path) -> None:
    result = invoke(home, "Najin", "--json")
    assert json.loads(result.stdout) == [RECORDS[4].to_json()]


# -- bad queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("plce:Chongjin", 'unknown field "plce:" in "plce:Chongjin"'),
        ("died:1950..1945", "died:1950..1945: the range runs backwards (write 1945..1950)"),
        ("died:19x5", "died:19x5: expected a year (1949) or a range (1945..1950, ..1945, 1950..)"),
        ("born:..", "born:..: expected a year (1949) or a range (1945..1950, ..1945, 1950..)"),
        (
            "taken:May",
            "taken:May: expected a year (1949) or a range (1945..1950, ..1945, 1950..) or a date (1978-05, 1978-05-09)",
        ),
        ("kind:grave", "kind:grave: not a kind (one of: headstone, monument, ceremony, photo, quarantined)"),
        ("has:photo", "has:photo: not a has (one of: gps, caption, inscription, person, place, date, taken, flags)"),
        ("place:", '"place:" needs a value, e.g. place:Chongjin'),
        ('"Тён Иван', "unclosed quote in '\"Тён Иван'"),
    ],
)
def test_bad_query_exits_2_with_one_line(home: Path, query: str, message: str) -> None:
    result = invoke(home, query)
    assert result.exit_code == 2
    assert result.stderr == f"archive-ingest: error: bad query: {message} {FIELDS}\n"
    assert result.stdout == ""


def test_output_options_exclude_each_other(home: Path) -> None:
    result = invoke(home, "Tyon", "--json", "--count")
    assert result.exit_code == 2
    assert "choose one of --json, --csv and --count" in result.stderr


def test_parse_reads_fields_phrases_and_negation() -> None:
    terms = parse('Tyon -"Ким Шура" person:"Han Yang Hui" -kind:photo 쏘 련 군')
    assert [(t.field, t.value, t.negated, t.quoted) for t in terms] == [
        (None, "Tyon", False, False),
        (None, "Ким Шура", True, True),
        ("person", "Han Yang Hui", False, True),
        ("kind", "photo", True, False),
        (None, "쏘련군", False, False),
    ]
    with pytest.raises(QueryError) as caught:
        parse("year:1945..1940")
    assert caught.value.exit_code == 2


# -- the index beside the catalog ---------------------------------------------------------------


@pytest.fixture
def own_home(home: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    yield copy


def test_commit_keeps_the_index_fresh_without_a_rebuild(own_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog_path = own_home / "archive" / "catalog.json"
    assert found(own_home, "Tyon") == ["tyon.jpg"]  # builds the index
    assert index_path(catalog_path).exists()

    def no_rebuild(path: Path) -> None:
        raise AssertionError("rebuilt")

    monkeypatch.setattr(search_index, "rebuild", no_rebuild)
    changed = Record.from_json(RECORDS[0].to_json())
    changed.caption = "Могила Тён Ивана, Хамхын"
    Catalog(catalog_path).commit([changed, make(20, "new.jpg", caption="Тён Пётр")])
    assert found(own_home, "Tyon") == ["tyon.jpg", "new.jpg"]
    assert found(own_home, "Хамхын") == ["han.jpg", "tyon.jpg"]  # the place first, then the new caption


def test_stale_or_deleted_index_is_rebuilt(own_home: Path) -> None:
    catalog_path = own_home / "archive" / "catalog.json"
    assert found(own_home, "place:Najin") == ["rajin.jpg"]
    # Another tool rewrites the catalog (plain json, indented: no offsets to reuse).
    data = json.loads(catalog_path.read_text(encoding="utf-8"))
    data["records"]["5"]["caption"] = "Могила в Хэджу"
    data["records"]["5"]["place"] = None
    catalog_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    assert found(own_home, "place:Najin") == []
    assert found(own_home, "Haeju") == ["rajin.jpg"]
    index_path(catalog_path).unlink()
    assert found(own_home, "Haeju") == ["rajin.jpg"]
    # A damaged index file is rebuilt too.
    index_path(catalog_path).write_bytes(b"not a database")
    assert found(own_home, "Tyon") == ["tyon.jpg"]


def test_missing_catalog_finds_nothing_and_creates_nothing(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text("paths:\n  catalog: archive/catalog.json\n", encoding="utf-8")
    result = invoke(tmp_path, "Tyon")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "0 records\n")
    assert not (tmp_path / "archive").exists()


def test_unreadable_catalog_exits_1_naming_the_file(own_home: Path) -> None:
    catalog_path = own_home / "archive" / "catalog.json"
    index_path(catalog_path).unlink(missing_ok=True)
    catalog_path.write_text('{"records": {"1": ', encoding="utf-8")
    with pytest.raises(CatalogError, match=rf"^{catalog_path}: the catalog is not valid JSON: "):
        search_index.open_index(catalog_path)
    result = invoke(own_home, "Tyon")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"archive-ingest: error: {catalog_path}: the catalog is not valid JSON: ")


def test_in_memory_index_answers_the_same() -> None:
    with SearchIndex.from_records(enumerate(RECORDS, start=1)) as index:
        result = search(index, "Chongjin", GAZETTEER)
    assert [hit.record.source.filename for hit in result.hits] == ["tyon.jpg", "chongjin_ko.jpg"]
    assert [hit.reasons for hit in result.hits] == [["place", "caption"], ["caption", "file"]]


# -- on a catalog the pipeline made -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Tyon Chongjin", ["DSC_0001.jpg"]),
        ("Kim Shura", ["scans/Могила Ким Шура.png"]),
        ("김 슈라", ["scans/Могила Ким Шура.png"]),
        # catalog order (the pipeline's); the unknown soldier's stone gives 1945 as his death year
        (
            "died:1940..1950 kind:headstone",
            ["DSC_0001.jpg", "DSC_0003.JPG", "IMG_0002.jpeg", "scans/Могила Ким Шура.png"],
        ),
        ("place:Hamhung", ["IMG_0002.jpeg"]),
        ("credit:koryo", ["IMG_0002.jpeg"]),
        ("flag:corrupt kind:quarantined", ["bomb.png", "broken.jpg", "empty.jpg", "notes.jpg"]),
        ('person:"Ivan Tyon"', ["DSC_0001.jpg"]),  # a name's words in any order, quoted too
    ],
)
def test_on_the_ingested_batch(ingested_batch: IngestedBatch, query: str, expected: list[str]) -> None:
    result = ingested_batch.home.invoke("search", query, "--json")
    assert result.exit_code == 0
    assert [r["source"]["filename"] for r in json.loads(result.stdout)] == expected


@pytest.mark.parametrize("kernel_copy", [True, False], ids=["copy_file_range", "read and write"])
def test_commit_with_a_fresh_index_writes_what_tinydb_would(
    own_home: Path, kernel_copy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a fresh index the commit splices the changed records into the file instead of
    # parsing it; the file must be the one TinyDB writes.
    if not kernel_copy:

        def unsupported(*args: object) -> int:
            raise OSError(38, "Function not implemented")

        monkeypatch.setattr(os, "copy_file_range", unsupported)
    catalog_path = own_home / "archive" / "catalog.json"
    assert found(own_home, "Tyon") == ["tyon.jpg"]  # builds the index
    before = json.loads(catalog_path.read_text(encoding="utf-8"))
    changed = Record.from_json(RECORDS[2].to_json())
    changed.caption = "Могила Ким Шуры (Шурика), Вонсан"
    added = [make(30, "added 30.jpg", caption="Ли Пётр"), make(31, "added 31.jpg", caption="Ким Ен Су")]
    catalog = Catalog(catalog_path)
    catalog.commit([changed, *added])
    expected = dict(before["records"])
    expected["3"] = changed.to_json()
    expected["14"], expected["15"] = added[0].to_json(), added[1].to_json()
    raw = catalog_path.read_bytes()
    assert raw == json.dumps({"records": expected}, ensure_ascii=False, separators=(",", ":")).encode()
    assert catalog.get(added[1].id) == added[1] and len(catalog) == 15
    catalog.commit([make(32, "added 32.jpg")])  # the same writer again: ids go on from 16
    assert list(json.loads(catalog_path.read_text(encoding="utf-8"))["records"])[-1] == "16"
    assert found(own_home, "Шурика") == ["kim_shura.png"]
    assert found(own_home, "Ли Пётр") == ["rajin.jpg", "added 30.jpg"]
    assert found(own_home, "added") == ["added 30.jpg", "added 31.jpg", "added 32.jpg"]


def test_a_korean_name_meets_in_hangul_cyrillic_and_latin() -> None:
    records = [
        make(1, "cyrillic.jpg", persons=(person("ХАН ЯН ХИ", "Khan Yan Khi", 1900, 1950),)),
        make(2, "hangul.jpg", persons=(person("한양희", "Han Yanghui", 1900, 1950),)),
        make(3, "other.jpg", persons=(person("ХАН ПЕТР", "Khan Pyotr", 1925, 1946),)),
    ]
    with SearchIndex.from_records(enumerate(records, start=1)) as index:
        hits = search(index, 'person:"Han Yang Hui"', GAZETTEER).hits
    assert [(hit.record.source.filename, hit.reasons) for hit in hits] == [
        ("cyrillic.jpg", ["name (translit: ХАН)"]),
        ("hangul.jpg", ["name (translit: 한양희)"]),
    ]


def test_search_and_show_do_not_import_ocr_or_numpy() -> None:
    # pytesseract pulls in numpy (+0.2 s per command): only `run` imports the pipeline.
    code = (
        "import sys; from archive_ingest import cli, search; from archive_ingest.catalog import index as search_index; "
        "print(sorted(m for m in ('numpy', 'pytesseract', 'PIL', 'imagehash', 'cv2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_search_refuses_a_truncated_catalog(batch_copy: ArchiveHome) -> None:
    # Never index a torn catalog as empty: say so, and how to get it back.
    for stale in batch_copy.archive.glob("catalog.json.search.sqlite*"):
        stale.unlink()
    batch_copy.catalog.write_bytes(batch_copy.catalog.read_bytes()[:100])
    result = batch_copy.invoke("search", "Тён")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"archive-ingest: error: {batch_copy.catalog}: the catalog is not valid JSON: ")
    assert "archive-ingest catalog rebuild" in result.stderr


# -- the arguments: words without quotes, words starting with a dash, bad values ------------


def batch_files(batch: IngestedBatch, *args: str) -> list[str]:
    result = batch.home.invoke("search", *args)
    assert result.exit_code == 0, result.stderr
    return [record["source"]["filename"] for record in json.loads(result.stdout)]


def test_several_words_need_no_quotes_and_any_may_start_with_a_dash(ingested_batch: IngestedBatch) -> None:
    assert batch_files(ingested_batch, "Тён", "Иван", "--json") == ["DSC_0001.jpg"]
    assert batch_files(ingested_batch, "--json", "Tyon", "Chongjin") == ["DSC_0001.jpg"]  # options anywhere
    headstones = [r for r in ingested_batch.records if r["kind"] == "headstone"]  # catalog order
    not_duplicate = [r["source"]["filename"] for r in headstones if "duplicate" not in {f["code"] for f in r["flags"]}]
    assert "DSC_0001.jpg" not in not_duplicate and len(not_duplicate) == len(headstones) - 1
    assert batch_files(ingested_batch, "-flag:duplicate kind:headstone", "--json") == not_duplicate
    assert batch_files(ingested_batch, "-flag:duplicate", "kind:headstone", "--json") == not_duplicate
    assert batch_files(ingested_batch, "-Тён", "kind:headstone", "--json") == not_duplicate
    assert batch_files(ingested_batch, "--limit=1", "-Тён", "--json", "kind:headstone") == not_duplicate[:1]
    assert batch_files(ingested_batch, "--json", "--", "kind:headstone", "-Тён") == not_duplicate
    assert batch_files(ingested_batch, '-"Тён Иван"', "kind:headstone", "--json") == not_duplicate


def test_an_unknown_double_dash_option_is_still_an_option_error(ingested_batch: IngestedBatch) -> None:
    result = ingested_batch.home.invoke("search", "Tyon", "--jsn")
    assert result.exit_code == 2
    assert "Error: No such option '--jsn'. (Did you mean one of: '--csv', '--json'?)" in result.stderr
    result = ingested_batch.home.invoke("search", "Tyon", "--limit")
    assert result.exit_code == 2
    assert "Error: Option '--limit' requires an argument." in result.stderr
    result = ingested_batch.home.invoke("search", "-h")
    assert result.exit_code == 0
    assert "search [OPTIONS] QUERY...\n" in result.stdout


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("taken:1978-13", "taken:1978-13: there is no month 13 (months run 01..12)"),
        ("taken:2013-02-30", "taken:2013-02-30: 2013-02 has no day 30 (01..28)"),
        ("taken:2012-02-29 Tyon", None),  # a leap day is a day
        (
            "place:Atlantis",
            "place:Atlantis: not a place in the gazetteer (its places: "
            + ", ".join(site.name for site in GAZETTEER.sites)
            + ")",
        ),
        ("place:Chongjn", "place:Chongjn: not a place in the gazetteer (did you mean Chongjin?)"),
        ("place:Хамхин", "place:Хамхин: not a place in the gazetteer (did you mean Hamhung (Хамхын)?)"),
        ("place:평얀", "place:평얀: not a place in the gazetteer (did you mean Pyongyang (평양)?)"),
        ('place:"North Hamgyong"', None),  # a province's words: no site, but a place
        ("", "an empty query: give words or fields, e.g. Tyon or place:Chongjin"),
        ("  ", "an empty query: give words or fields, e.g. Tyon or place:Chongjin"),
        (":", "nothing to search for in ':': give words or fields, e.g. Tyon or place:Chongjin"),
        ("-", "nothing to search for in '-': give words or fields, e.g. Tyon or place:Chongjin"),
        ('""', "nothing to search for in '\"\"': give words or fields, e.g. Tyon or place:Chongjin"),
    ],
)
def test_a_query_that_can_find_nothing_is_an_error(
    ingested_batch: IngestedBatch, query: str, message: str | None
) -> None:
    # Not "0 records" (a bad date, an unknown place), nor every record (a query of nothing).
    result = ingested_batch.home.invoke("search", query, "--count")
    if message is None:
        assert result.exit_code == 0, result.stderr
        return
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"archive-ingest: error: bad query: {message} {FIELDS}\n"


def test_csv_takes_a_bom_as_export_does(ingested_batch: IngestedBatch) -> None:
    plain = ingested_batch.home.invoke("search", "Тён", "--csv")
    with_bom = ingested_batch.home.invoke("search", "Тён", "--csv", "--bom")
    assert plain.exit_code == with_bom.exit_code == 0
    assert plain.stdout_bytes.startswith(b"id,kind,place,date,file,")
    assert with_bom.stdout_bytes == b"\xef\xbb\xbf" + plain.stdout_bytes
    alone = ingested_batch.home.invoke("search", "Тён", "--bom")
    assert alone.exit_code == 2
    assert "Error: --bom goes with --csv (a byte order mark for spreadsheets)" in alone.stderr


def test_an_empty_query_is_refused_by_the_library_too() -> None:
    with pytest.raises(QueryError, match="an empty query"):
        parse("")
    with pytest.raises(QueryError, match="nothing to search for in '- :'"):
        parse("- :")


def test_the_table_on_a_terminal_cuts_a_long_caption_at_a_word(own_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    caption = "Могила гвардии старшего сержанта Соколова на воинском кладбище в Вонсане, 1958"
    long = make(20, "long.jpg", caption=caption)
    Catalog(own_home / "archive" / "catalog.json").commit([long])
    # TERM=dumb keeps escape codes out; rich takes COLUMNS only with LINES beside it.
    for name, value in (("TTY_COMPATIBLE", "1"), ("TERM", "dumb"), ("COLUMNS", "250"), ("LINES", "50")):
        monkeypatch.setenv(name, value)
    row = next(line for line in invoke(own_home, "Соколова").stdout.splitlines() if long.id in line)
    shown = row.split("long.jpg", 1)[1].strip().split("  ")[0]
    assert shown.endswith(" …") and len(shown) <= 60
    assert (long.caption or "").startswith(shown.removesuffix(" …") + " ")  # whole words only
