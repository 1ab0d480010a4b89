"""The record contract: JSON round trip and a golden file of the exact shape."""

from __future__ import annotations

import json
from pathlib import Path

from archive_ingest.record import (
    Derivatives,
    EmbeddedInfo,
    Event,
    EventType,
    ExifInfo,
    FieldSource,
    FileInfo,
    Flag,
    FlagCode,
    Kind,
    Link,
    LinkType,
    OcrResult,
    OcrWord,
    Outcome,
    PageSource,
    Person,
    PersonSources,
    PhotoDate,
    Place,
    Provenance,
    Record,
    Review,
    ReviewStatus,
    Source,
)

GOLDEN = Path(__file__).parent / "golden" / "record.json"


def full_record() -> Record:
    return Record(
        id="6ee92d55c62a3416",
        kind=Kind.HEADSTONE,
        source=Source(
            "DSC_0412.jpg",
            "DSC_0412.txt",
            "2026-11-26T12:00:00Z",
            "captions/ab/ab.txt",
            "ab" * 32,
            "sidecar",
            PageSource(
                "memorials.html",
                "cd" * 32,
                "captions/cd/cd.html",
                "Soviet memorials",
                "https://example.org/memorials",
                "2019-06-12",
                "‘A grave in Chongjin.’ Visited in 2019.",
                "figcaption",
                "A grave in Chongjin.",
                "Russian Embassy in Pyongyang",
                "Visited in 2019",
                "Koryo Tours",
            ),
        ),
        file=FileInfo(
            "6ee92d55c62a3416" + "0" * 48,
            100529,
            "originals/6e/6ee92d55c62a3416.jpg",
            "JPEG",
            600,
            800,
            "c3c3c3c33c3c3c3c",
        ),
        caption="Могила Тён Ивана (1884-1949), Чхонджин",
        exif=ExifInfo(
            "2013-01-09T11:50:11",
            "Canon",
            "Canon EOS 80D",
            None,
            None,
            None,
            6,
            {"lat": 41.7956, "lon": 129.7758},
        ),
        embedded=EmbeddedInfo(
            caption="Grave of Ivan Ten, Chongjin",
            credit="Russian Embassy in Pyongyang",
            date="1978-05",
            sources={
                "caption": "XMP dc:description",
                "credit": "IPTC 2:110 Credit",
                "date": "XMP photoshop:DateCreated",
            },
        ),
        ocr=OcrResult(
            "ТЕН ИВАН\n1884-1949",
            91.5,
            ["rus", "kor", "eng"],
            "tesseract 5.3.0",
            0,
            "exif",
            ["grayscale"],
            6,
            "derivatives/6e/6ee92d55c62a3416.words.json",
        ),
        persons=[
            Person(
                "Тён Иван",
                "Tyon Ivan",
                1884,
                1949,
                None,
                None,
                None,
                "caption+ocr",
                PersonSources(FieldSource.BOTH, FieldSource.BOTH, None),
            )
        ],
        place=Place("Chongjin", "청진", "Чхонджин", "North Hamgyong", 41.7956, 129.7758, "caption"),
        date=PhotoDate("2013-01-09", "day", "exif"),
        provenance=Provenance(
            "Russian Embassy in Pyongyang",
            "All photos are the property of the Russian Embassy in Pyongyang.",
            "embassy series",
            "Koryo Tours",
            "Russian Embassy in Pyongyang",
        ),
        flags=[Flag(FlagCode.DUPLICATE, "same bytes dropped again as 'x.jpg'")],
        review=Review(ReviewStatus.PENDING),
        events=[
            Event(EventType.INGESTION, "2026-11-26T12:00:00Z", "archive-ingest 0.1.0", Outcome.SUCCESS, "filed"),
            Event(
                EventType.EDIT,
                "2026-11-27T09:00:00Z",
                "archivist",
                Outcome.SUCCESS,
                "place: Pyongyang -> Wonsan",
                "place",
                {"name": "Pyongyang"},
                {"name": "Wonsan"},
            ),
        ],
        links=[Link(LinkType.DISTINCT_FROM, "0123456789abcdef")],
        derivatives=Derivatives(
            "derivatives/6e/6ee92d55c62a3416.access.jpg",
            "derivatives/6e/6ee92d55c62a3416.thumb.jpg",
            access_bytes=75213,
            thumbnail_bytes=9120,
            words_bytes=2381,
        ),
    )


def test_round_trip() -> None:
    record = full_record()
    assert Record.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_json_matches_the_golden_file() -> None:
    # The contract other tools read: a change here is a change to the contract.
    assert full_record().to_json() == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_ocr_words_stay_out_of_the_catalog_json() -> None:
    record = full_record()
    record.ocr.words = [OcrWord("ТЕН", 93.0, (10, 20, 90, 40))]
    assert "words" not in record.to_json()["ocr"]
    assert record.to_json() == full_record().to_json()


def test_access_copy_bytes_stay_out_of_the_catalog_json() -> None:
    record = full_record()
    record.derivatives.access_jpeg = b"\xff\xd8 access"
    record.derivatives.thumbnail_jpeg = b"\xff\xd8 thumb"
    assert record.to_json() == full_record().to_json()
    assert set(record.to_json()["derivatives"]) == {
        "access_path",
        "thumbnail_path",
        "access_bytes",
        "thumbnail_bytes",
        "words_bytes",
    }


def test_record_from_before_access_copies_loads_with_none() -> None:
    data = full_record().to_json()
    del data["derivatives"]
    record = Record.from_json(data)
    assert record.derivatives == Derivatives()
    assert record.to_json()["derivatives"] == {
        "access_path": None,
        "thumbnail_path": None,
        "access_bytes": None,
        "thumbnail_bytes": None,
        "words_bytes": None,
    }


def test_enums_serialise_as_plain_strings() -> None:
    data = full_record().to_json()
    assert type(data["kind"]) is str
    assert type(data["flags"][0]["code"]) is str
    assert type(data["events"][0]["type"]) is str


def test_unknown_keys_are_ignored_when_reading() -> None:
    data = full_record().to_json()
    data["added_by_a_later_version"] = 1
    data["file"]["colour_profile"] = "sRGB"
    assert Record.from_json(data) == full_record()


def test_flag_raised_twice_keeps_one_flag() -> None:
    record = full_record()
    record.add_flag(FlagCode.NO_DATE, "no date")
    record.add_flag(FlagCode.NO_DATE, "still no date")
    assert [f for f in record.flags if f.code == FlagCode.NO_DATE] == [Flag(FlagCode.NO_DATE, "no date; still no date")]


def test_person_sources_are_always_written() -> None:
    record = full_record()
    record.persons.append(Person("КИМ ШУРА", birth_year=1938, death_year=1947, source="ocr"))
    assert [p["sources"] for p in record.to_json()["persons"]] == [
        {"name": "both", "years": "both", "rank": None},
        {"name": None, "years": None, "rank": None},  # built without sources: none claimed
    ]


def _stored_person(source: str, **values: object) -> dict[str, object]:
    """A person as records stored before per-field sources hold it: no `sources` key."""
    person: dict[str, object] = {"name": "Орлов Иван", "name_latin": "Orlov Ivan", "source": source}
    person.update(values)
    return person


def test_persons_stored_before_per_field_sources_get_them_derived_conservatively() -> None:
    data = full_record().to_json()
    data["persons"] = [
        _stored_person("caption+ocr", birth_year=1913, death_year=1945, rank="рядовой"),
        _stored_person("ocr", death_year=1945),
        _stored_person("caption", birth_year=1920, death_year=1945),
        _stored_person("review"),
        _stored_person("caption+ocr"),
    ]
    data["events"] = []
    persons = Record.from_json(data).persons
    assert [p.sources for p in persons] == [
        # The old merge filled years and rank from the caption without saying so: `caption`.
        PersonSources(FieldSource.BOTH, FieldSource.CAPTION, FieldSource.CAPTION),
        PersonSources(FieldSource.STONE, FieldSource.STONE, None),
        PersonSources(FieldSource.CAPTION, FieldSource.CAPTION, None),
        PersonSources(FieldSource.REVIEW, None, None),
        PersonSources(FieldSource.BOTH, None, None),
    ]
    assert Record.from_json(data).to_json()["persons"][0]["sources"] == {
        "name": "both",
        "years": "caption",
        "rank": "caption",
    }


def test_stored_edit_events_say_which_values_a_reviewer_set() -> None:
    data = full_record().to_json()
    data["persons"] = [_stored_person("ocr+review", birth_year=1913, death_year=1945, rank="рядовой")]
    edit = {"type": "edit", "at": "2026-11-27T09:00:00Z", "agent": "anna", "outcome": "success"}
    data["events"] = [{**edit, "field": "person.1.death_year", "old": 1946, "new": 1945}]
    [person] = Record.from_json(data).persons
    assert person.sources == PersonSources(FieldSource.STONE, FieldSource.REVIEW, FieldSource.STONE)


def test_stored_per_field_sources_are_read_as_stored() -> None:
    data = full_record().to_json()
    data["persons"][0]["sources"] = {"name": "both", "years": "caption", "rank": None}
    [person] = Record.from_json(data).persons
    assert person.sources == PersonSources(FieldSource.BOTH, FieldSource.CAPTION, None)
