"""Kind and place decisions from captions and inscriptions."""

from __future__ import annotations

import pytest

from archive_ingest.context import RunContext
from archive_ingest.record import FileInfo, FlagCode, Kind, Record, Source
from archive_ingest.stages import extract, flags
from archive_ingest.stages.extract import kind_of, place_text
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
        (None, "СЕРЖАНТ\nОРЛОВ\nАЛЕКСАНДР СЕРГЕЕВИЧ\n1919 Г. — 1945 Г.", Kind.HEADSTONE),
    ],
)
def test_kind_of(caption: str | None, inscription: str, kind: Kind) -> None:
    assert kind_of(caption, persons_in_inscription(inscription).persons)[0] == kind


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
            "the caption says Chongjin, but the GPS fix 39.0341, 125.7853 is 456 km away; it is 2 km from Pyongyang",
        )
    ]


def test_gps_near_the_captioned_place_or_naming_it(archive_home: ArchiveHome) -> None:
    ctx = RunContext(settings=archive_home.settings())
    agreeing = flags.run(extract.run(_record("Grave in Pyongyang.", (39.0341, 125.7853)), ctx), ctx)
    assert not agreeing.has_flag(FlagCode.PLACE_CONFLICT)
    by_gps = flags.run(extract.run(_record("A grave.", (41.7900, 129.7700)), ctx), ctx)
    assert by_gps.place is not None and (by_gps.place.name, by_gps.place.source) == ("Chongjin", "gps")
    assert not by_gps.has_flag(FlagCode.PLACE_CONFLICT)
