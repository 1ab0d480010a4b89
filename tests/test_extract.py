"""Kind and place decisions from captions and inscriptions."""

from __future__ import annotations

import pytest

from archive_ingest.ingest.context import RunContext
from archive_ingest.ingest.stages import extract, flags
from archive_ingest.ingest.stages.extract import kind_of, place_text
from archive_ingest.record import FileInfo, FlagCode, Kind, OcrResult, Record, Source, part_to_json
from archive_ingest.text.names import persons_in_inscription
from archive_ingest.text.places import Gazetteer
from conftest import ArchiveHome


@pytest.mark.parametrize(
    ("caption", "inscription", "kind"),
    [
        ("Возложение венков к памятнику Освобождения в Пхеньяне, 9 мая 2019 года.", "", Kind.CEREMONY),
        ("A delegation of veterans visits the Soviet graves in Rajin.", "", Kind.CEREMONY),
        ("Embassy staff at the memorial in Nampo, April 2023.", "", Kind.CEREMONY),
        ("Памятник Освобождения в Синыйджу (1958-9)", "", Kind.MONUMENT),
        ("Тихонов Евгений Фёдорович (1897-1954).", "", Kind.HEADSTONE),
        ("Simply 'Sergey' (1903-63).", "", Kind.HEADSTONE),
        ("'Unknown soldier', Pyongyang (1953).", "", Kind.HEADSTONE),
        (None, "ТЕН ИВАН\n1884-1949", Kind.HEADSTONE),
        (None, "НЕИЗВЕСТНЫЙ СОЛДАТ", Kind.HEADSTONE),
        (None, "а ee о", Kind.PHOTO),
        (None, "2929-1959", Kind.HEADSTONE),  # a life span misread: still a grave's
        (None, "1904 - 1959", Kind.HEADSTONE),  # a span with no name read beside it
        (None, "1945", Kind.PHOTO),  # a lone year: a monument's as likely as a grave's
        (None, "СЕРЖАНТ\nОРЛОВ\nАЛЕКСАНДР СЕРГЕЕВИЧ\n1919 Г. — 1945 Г.", Kind.HEADSTONE),
    ],
)
def test_kind_of(caption: str | None, inscription: str, kind: Kind) -> None:
    assert kind_of(caption, persons_in_inscription(inscription))[0] == kind


def test_credit_line_does_not_name_the_place() -> None:
    gazetteer = Gazetteer.load()
    caption = "The grave of Pavel Viktorovich Smirnov (1925-1945). Photo: Russian Embassy in Pyongyang."
    assert gazetteer.find(place_text(caption, "Russian Embassy in Pyongyang")) is None
    site = gazetteer.find(place_text("Grave in Wonsan. Фото: Посольство России в Пхеньяне", "x"))
    assert site is not None and site.name == "Wonsan"


def _record(caption: str, gps: tuple[float, float] | None) -> Record:
    record = Record(id="x", kind=Kind.PHOTO, source=Source("a.jpg"), file=FileInfo("0" * 64, 1), caption=caption)
    record.exif.gps = {"lat": gps[0], "lon": gps[1]} if gps else None
    return record


def test_gps_far_from_the_captioned_place_is_flagged(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    record = flags.run(extract.run(_record("The grave of Shin Tolya in Chongjin.", (39.0341, 125.7853)), ctx), ctx)
    assert record.place is not None and record.place.name == "Chongjin"
    assert [(f.code, f.detail) for f in record.flags if f.code == "place_conflict"] == [
        (
            "place_conflict",
            "the caption says Chongjin, but the GPS fix 39.0341, 125.7853 is 456 km away; it is 3 km from Pyongyang",
        )
    ]


def test_gps_near_the_captioned_place_or_naming_it(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    agreeing = flags.run(extract.run(_record("Grave in Pyongyang.", (39.0341, 125.7853)), ctx), ctx)
    assert not agreeing.has_flag(FlagCode.PLACE_CONFLICT)
    by_gps = flags.run(extract.run(_record("A grave.", (41.7900, 129.7700)), ctx), ctx)
    assert by_gps.place is not None and (by_gps.place.name, by_gps.place.source) == ("Chongjin", "gps")
    assert not by_gps.has_flag(FlagCode.PLACE_CONFLICT)


# -- people: caption and stone read together (OCR text given, no tesseract) --------------------

PERSON_FLAGS = (
    FlagCode.CAPTION_CONFLICT,
    FlagCode.INSCRIPTION_UNREAD,
    FlagCode.YEARS_UNCONFIRMED,
    FlagCode.IMPLAUSIBLE_YEARS,
    FlagCode.UNPARSED_YEARS,
)


def _read(ctx: RunContext, caption: str, inscription: str) -> Record:
    """A record as the pipeline would have it after OCR read `inscription`, then extract and flags."""
    record = _record(caption, None)
    record.ocr = OcrResult(inscription, 90.0, ["rus", "kor", "eng"], "tesseract 5.3.0")
    return flags.run(extract.run(record, ctx), ctx)


def _person_flags(record: Record) -> dict[str, str]:
    return {flag.code: flag.detail for flag in record.flags if flag.code in PERSON_FLAGS}


def _people(record: Record) -> list[tuple[str, str, dict[str, str | None], int | None, int | None]]:
    return [(p.name, p.source, part_to_json(p.sources), p.birth_year, p.death_year) for p in record.persons]


def test_a_stone_that_gave_only_a_name_is_flagged(archive_home: ArchiveHome) -> None:
    # OCR read the given name alone; the caption's years must not pass for checked ones.
    ctx = RunContext(settings=archive_home.settings())
    record = _read(ctx, "The grave of Semyon Markovich Belov (1911-1946).", "СЕМЁН")
    assert record.kind == Kind.HEADSTONE
    assert _people(record) == [
        (
            "Semyon Markovich Belov",
            "caption+ocr",
            {"name": "both", "years": "caption", "rank": None},
            1911,
            1946,
        )
    ]
    assert _person_flags(record) == {
        "inscription_unread": "no name with a year was read on the stone; "
        "the 1 person(s) named rest on the caption alone",
        "years_unconfirmed": "Semyon Markovich Belov: birth year 1911 and death year 1946 rest on the caption alone",
    }


def test_a_nameless_span_confirms_the_captions_years(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    record = _read(ctx, "The grave of Oleg Lapin (1908-1947).", "НЕИЗВЕСТН.. \n 1908- 1947")
    assert _people(record) == [
        ("Oleg Lapin", "caption+ocr", {"name": "caption", "years": "both", "rank": None}, 1908, 1947)
    ]
    assert _person_flags(record) == {}


def test_a_nameless_span_that_differs_is_a_conflict(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    record = _read(ctx, "The grave of Oleg Lapin (1908-1947).", "1918 - 1947")
    assert _people(record) == [
        ("Oleg Lapin", "caption", {"name": "caption", "years": "caption", "rank": None}, 1908, 1947),
        ("Oleg Lapin", "ocr", {"name": "caption", "years": "stone", "rank": None}, 1918, 1947),
    ]
    assert _person_flags(record) == {"caption_conflict": "birth year: caption 1908, stone 1918 (Lapin Oleg)"}


def test_an_implausible_stone_span_is_flagged_and_kept(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    record = _read(ctx, "The grave of Oleg Lapin (1938-1945).", "ЛАПИН ОЛЕГ\n1838 - 1945")
    assert _people(record) == [
        ("Oleg Lapin", "caption", {"name": "caption", "years": "caption", "rank": None}, 1938, 1945),
        ("ЛАПИН ОЛЕГ", "ocr", {"name": "stone", "years": "stone", "rank": None}, 1838, 1945),
    ]
    assert _person_flags(record) == {
        "caption_conflict": "birth year: caption 1938, stone 1838 (Lapin Oleg)",
        "implausible_years": "the stone reads '1838 - 1945' for ЛАПИН ОЛЕГ: born in 1838, before 1840",
    }
    [extraction] = [e for e in record.events if e.type == "metadata extraction"]
    assert (
        "stone years that cannot be true here, kept as read: ЛАПИН ОЛЕГ 1838-1945 (born in 1838, before 1840)"
        in extraction.detail
    )


def test_an_implausible_stone_span_without_caption_years(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    record = _read(ctx, "Могила Лапина Олега.", "ЛАПИН ОЛЕГ\n1890 - 2003")
    assert _people(record) == [("ЛАПИН ОЛЕГ", "ocr", {"name": "stone", "years": "stone", "rank": None}, 1890, 2003)]
    assert _person_flags(record) == {
        "implausible_years": "the stone reads '1890 - 2003' for ЛАПИН ОЛЕГ: 113 years old at death, over 110",
    }


def test_a_stone_with_only_the_death_year_leaves_the_birth_year_unconfirmed(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    record = _read(ctx, "'Unknown soldier', Wonsan (1926-1950).", "НЕИЗВЕСТНЫЙ СОЛДАТ\n1950")
    assert _people(record) == [
        ("НЕИЗВЕСТНЫЙ СОЛДАТ", "caption+ocr", {"name": "both", "years": "caption", "rank": None}, 1926, 1950)
    ]
    assert _person_flags(record) == {
        "years_unconfirmed": "НЕИЗВЕСТНЫЙ СОЛДАТ: birth year 1926 rests on the caption alone",
    }


def test_caption_and_stone_that_agree_raise_nothing(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    record = _read(ctx, "Лаптев Олег Васильевич (1920-1945).", "ОЛЕГ ВАСИЛЬЕВ\n1920-1945")
    assert _people(record) == [
        ("Лаптев Олег Васильевич", "caption+ocr", {"name": "both", "years": "both", "rank": None}, 1920, 1945)
    ]
    assert _person_flags(record) == {}
    [extraction] = [e for e in record.events if e.type == "metadata extraction"]
    assert "persons Лаптев Олег Васильевич [caption+ocr; name both, years both]" in extraction.detail
