"""Kind and place decisions from captions and inscriptions."""

from __future__ import annotations

import pytest

from archive_ingest.record import Kind
from archive_ingest.stages.extract import kind_of, place_text
from archive_ingest.text.places import Gazetteer


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
    ],
)
def test_kind_of(caption: str | None, inscription: str, kind: Kind) -> None:
    assert kind_of(caption, inscription)[0] == kind


def test_credit_line_does_not_name_the_place() -> None:
    gazetteer = Gazetteer.load()
    caption = "The grave of Pavel Viktorovich Smirnov (1925-1945). Photo: Russian Embassy in Pyongyang."
    assert gazetteer.find(place_text(caption, "Russian Embassy in Pyongyang")) is None
    site = gazetteer.find(place_text("Grave in Wonsan. Фото: Посольство России в Пхеньяне", "x"))
    assert site is not None and site.name == "Wonsan"
