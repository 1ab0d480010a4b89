"""The gazetteer (data/places.yaml) and place matching in captions and inscriptions."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from archive_ingest.errors import ConfigError
from archive_ingest.record import Place
from archive_ingest.text.places import Gazetteer, Site, fold, haversine_km

SITE_NAMES = [
    "Pyongyang",
    "Wonsan",
    "Chongjin",
    "Rajin",
    "Hamhung",
    "Uiju",
    "Haeju",
    "Nampo",
    "Tongrim",
    "Sinuiju",
    "Dandong",
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def names(sites: list[Site]) -> list[str]:
    return [site.name for site in sites]


# -- the packaged gazetteer ----------------------------------------------------------


def test_packaged_gazetteer_lists_the_eleven_sites(gazetteer: Gazetteer) -> None:
    assert [site.name for site in gazetteer.sites] == SITE_NAMES


def test_packaged_gazetteer_entry_is_complete(gazetteer: Gazetteer) -> None:
    assert gazetteer.get("Wonsan") == Site(
        name="Wonsan",
        name_ko="원산",
        name_ru="Вонсан",
        province="Kangwon",
        lat=39.1528,
        lon=127.4436,
        aliases=("Wŏnsan", "Gensan", "Genzan", "Гензан"),
    )


@pytest.mark.parametrize(
    ("name", "province", "lat", "lon"),
    [
        ("Pyongyang", "Pyongyang (directly governed city)", 39.0339, 125.7543),
        ("Wonsan", "Kangwon", 39.1528, 127.4436),
        ("Chongjin", "North Hamgyong", 41.7956, 129.7758),
        ("Rajin", "North Hamgyong", 42.2556, 130.2831),
        ("Hamhung", "South Hamgyong", 39.9183, 127.5364),
        ("Uiju", "North Pyongan", 40.1989, 124.5317),
        ("Haeju", "South Hwanghae", 38.0406, 125.7147),
        ("Nampo", "South Pyongan", 38.7375, 125.4078),
        ("Tongrim", "North Pyongan", 39.9333, 124.6167),
        ("Sinuiju", "North Pyongan", 40.1006, 124.3981),
        ("Dandong", "Liaoning, China", 40.1292, 124.3947),
    ],
)
def test_packaged_coordinates_and_provinces(
    gazetteer: Gazetteer, name: str, province: str, lat: float, lon: float
) -> None:
    site = gazetteer.get(name)
    assert site is not None
    assert (site.province, site.lat, site.lon) == (province, lat, lon)


def test_load_from_an_explicit_path_equals_the_packaged_default(gazetteer: Gazetteer) -> None:
    packaged = Path(__file__).parents[1] / "src" / "archive_ingest" / "data" / "places.yaml"
    assert Gazetteer.load(packaged).sites == gazetteer.sites


def test_to_place(gazetteer: Gazetteer) -> None:
    site = gazetteer.get("Haeju")
    assert site is not None
    assert site.to_place("ocr") == Place(
        name="Haeju",
        name_ko="해주",
        name_ru="Хэджу",
        province="South Hwanghae",
        lat=38.0406,
        lon=125.7147,
        source="ocr",
    )


# -- find: each site in each script --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Soviet cemetery, Pyongyang, 1985", "Pyongyang"),
        ("Wonsan", "Wonsan"),
        ("Chongjin", "Chongjin"),
        ("Rajin", "Rajin"),
        ("Hamhung", "Hamhung"),
        ("Uiju", "Uiju"),
        ("Liberation monument in Haeju", "Haeju"),
        ("Nampo", "Nampo"),
        ("Tongrim", "Tongrim"),
        ("Sinuiju", "Sinuiju"),
        ("Dandong", "Dandong"),
        ("PYONGYANG", "Pyongyang"),
        ("Pyongyang's Liberation Tower", "Pyongyang"),
        ("Chongjin-si", "Chongjin"),
        ("Pyongyang_1978", "Pyongyang"),
    ],
)
def test_find_latin(gazetteer: Gazetteer, text: str, expected: str) -> None:
    site = gazetteer.find(text)
    assert site is not None and site.name == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Пхеньян", "Pyongyang"),
        ("в Пхеньяне", "Pyongyang"),
        ("Пхеньянского кладбища", "Pyongyang"),
        ("Вонсан", "Wonsan"),
        ("под Вонсаном", "Wonsan"),
        ("Чхонджин", "Chongjin"),
        ("в Чхонджине", "Chongjin"),
        ("Раджин", "Rajin"),
        ("из Раджина", "Rajin"),
        ("Хамхын", "Hamhung"),
        ("близ Хамхына", "Hamhung"),
        ("Ыйджу", "Uiju"),
        ("кладбище в Ыйджу", "Uiju"),
        ("Хэджу", "Haeju"),
        ("в Хэджу", "Haeju"),
        ("Нампхо", "Nampo"),
        ("в Нампхо", "Nampo"),
        ("Тонним", "Tongrim"),
        ("в Тонниме", "Tongrim"),
        ("Синыйджу", "Sinuiju"),
        ("в Синыйджу", "Sinuiju"),
        ("Даньдун", "Dandong"),
        ("в Даньдуне", "Dandong"),
        ("ВОНСАН", "Wonsan"),
        ("Пхеньянский памятник", "Pyongyang"),
        ("Хамхынге", "Hamhung"),
    ],
)
def test_find_russian_nominative_and_case_forms(gazetteer: Gazetteer, text: str, expected: str) -> None:
    site = gazetteer.find(text)
    assert site is not None and site.name == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("평양", "Pyongyang"),
        ("평양의 해방탑", "Pyongyang"),
        ("원산에서", "Wonsan"),
        ("청진시", "Chongjin"),
        ("라진", "Rajin"),
        ("나진항", "Rajin"),
        ("함흥", "Hamhung"),
        ("의주", "Uiju"),
        ("의주군에", "Uiju"),
        ("해주시에", "Haeju"),
        ("남포", "Nampo"),
        ("동림", "Tongrim"),
        ("신의주", "Sinuiju"),
        ("단둥", "Dandong"),
        ("단동시", "Dandong"),
        ("丹东", "Dandong"),
        ("位于丹東市", "Dandong"),
    ],
)
def test_find_korean_and_chinese(gazetteer: Gazetteer, text: str, expected: str) -> None:
    site = gazetteer.find(text)
    assert site is not None and site.name == expected


# -- find: overlaps, order, aliases, and what is not a place ------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sinuiju", ["Sinuiju"]),
        ("Sinuiju and Uiju", ["Sinuiju", "Uiju"]),
        ("Uiju, then Sinuiju", ["Uiju", "Sinuiju"]),
        ("Sinŭiju", ["Sinuiju"]),
        ("Синыйджу", ["Sinuiju"]),
        ("Синьыйджу", ["Sinuiju"]),
        ("в Синыйджу и Ыйджу", ["Sinuiju", "Uiju"]),
        ("Ыйджу и Синыйджу", ["Uiju", "Sinuiju"]),
        ("신의주", ["Sinuiju"]),
        ("신의주시와 의주군", ["Sinuiju", "Uiju"]),
        ("의주, 신의주", ["Uiju", "Sinuiju"]),
    ],
)
def test_uiju_is_not_found_inside_sinuiju(gazetteer: Gazetteer, text: str, expected: list[str]) -> None:
    assert names(gazetteer.find_all(text)) == expected


def test_find_all_in_order_of_first_mention_without_repeats(gazetteer: Gazetteer) -> None:
    text = "Wonsan; later Pyongyang (평양), then back to Вонсан and Хамхын"
    assert names(gazetteer.find_all(text)) == ["Wonsan", "Pyongyang", "Hamhung"]


def test_find_returns_the_first_site_mentioned(gazetteer: Gazetteer) -> None:
    site = gazetteer.find("From Haeju to Nampo")
    assert site is not None and site.name == "Haeju"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rason", "Rajin"),
        ("Rasŏn", "Rajin"),
        ("Najin", "Rajin"),
        ("Расон", "Rajin"),
        ("в Наджине", "Rajin"),
        ("Ch'ŏngjin", "Chongjin"),
        ("Ch’ŏngjin", "Chongjin"),
        ("Cheongjin", "Chongjin"),
        ("Seishin", "Chongjin"),
        ("Чхончжин", "Chongjin"),
        ("Chinnampo", "Nampo"),
        ("Chinnamp'o", "Nampo"),
        ("Нампо", "Nampo"),
        ("Gensan", "Wonsan"),
        ("Heijo", "Pyongyang"),
        ("P'yŏngyang", "Pyongyang"),
        ("Hamhŭng", "Hamhung"),
        ("Ŭiju", "Uiju"),
        ("Tongnim", "Tongrim"),
        ("Shingishu", "Sinuiju"),
        ("Antung", "Dandong"),
        ("Kaishu", "Haeju"),
        ("Kanko", "Hamhung"),
    ],
)
def test_find_aliases(gazetteer: Gazetteer, text: str, expected: str) -> None:
    site = gazetteer.find(text)
    assert site is not None and site.name == expected


@pytest.mark.parametrize(
    "text",
    [
        "Portrait of an unknown soldier, 1946",
        "",
        "Неизвестный солдат",
        "Тончжу",  # not Tongrim
        "Хамхынбург",  # a stem followed by letters that are no Russian ending
        "Pyongyangite",
        "Uijuan and Nampoville",
        "원산지: 중국",  # place of origin, not Wonsan
        "청진기",  # stethoscope, not Chongjin
        "꼭 해주세요",  # please do, not Haeju
        "기억해주십시오",  # a verb ending in -해주-, not at a word start
    ],
)
def test_find_none(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find(text) is None
    assert gazetteer.find_all(text) == []


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Возложение венков на советском воинском кладбище в Пхеньяне.", ["Pyongyang"]),
        ("Памятник Освобождения в Синыйджу (1958-9)", ["Sinuiju"]),
        ("Grave of Khan Pyotr, Rajin", ["Rajin"]),
        ("소련군 렬사묘 (청진시)", ["Chongjin"]),
        ("Тён Иван 1884-1949. Ыйджу", ["Uiju"]),
        ("Liberation Monument, Nampo (formerly Chinnampo)", ["Nampo"]),
        (
            "Graves of the Russo-Japanese War (Yalu, 1904) in Dandong, across from Sinuiju",
            ["Dandong", "Sinuiju"],
        ),
        ("Сотрудники Генконсульства в Чхонджине на кладбище в Раджине, 9 мая 2019", ["Chongjin", "Rajin"]),
    ],
)
def test_realistic_captions(gazetteer: Gazetteer, caption: str, expected: list[str]) -> None:
    assert names(gazetteer.find_all(caption)) == expected


# -- get -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Chongjin",
        "chongjin",
        "CHONGJIN",
        "Ch'ŏngjin",
        "Ch’ŏngjin",
        "chʼongjin",
        "청진",
        "Чхонджин",
        " Chongjin ",
    ],
)
def test_get_folds_case_accents_and_apostrophes(gazetteer: Gazetteer, name: str) -> None:
    site = gazetteer.get(name)
    assert site is not None and site.name == "Chongjin"


def test_get_folds_yo_to_ye(gazetteer: Gazetteer) -> None:
    site = gazetteer.get("Пхёньян")
    assert site is not None and site.name == "Pyongyang"
    assert fold("Тён") == fold("Тен") == "тен"


@pytest.mark.parametrize("name", ["Seoul", "Пхеньяне", "평양의", "Uijus", ""])
def test_get_is_exact(gazetteer: Gazetteer, name: str) -> None:
    assert gazetteer.get(name) is None


def test_fold() -> None:
    assert fold("P'yŏngyang") == "pyongyang"
    assert fold("Sinŭiju") == "sinuiju"
    assert fold("Синыйджу") == "синыйджу"  # й is a letter, not an accent
    assert fold("Пхенья\u0301н") == "пхеньян"  # a stress mark is dropped
    # Decomposed input (as macOS file systems write it) folds like composed input.
    assert fold(unicodedata.normalize("NFD", "Синыйджу Sinŭiju")) == "синыйджу sinuiju"


# -- nearest -------------------------------------------------------------------------


def test_nearest_one_km_from_wonsan(gazetteer: Gazetteer) -> None:
    one_km_north = 39.1528 + 1 / 111.195  # 1 degree of latitude is 111.195 km
    found = gazetteer.nearest(one_km_north, 127.4436, max_km=5)
    assert found is not None
    site, km = found
    assert site.name == "Wonsan"
    assert km == pytest.approx(1.0, abs=0.01)


def test_nearest_seoul_is_too_far(gazetteer: Gazetteer) -> None:
    assert gazetteer.nearest(37.5665, 126.9780, max_km=5) is None


def test_nearest_tells_dandong_from_sinuiju(gazetteer: Gazetteer) -> None:
    found = gazetteer.nearest(40.1280, 124.3950, max_km=5)
    assert found is not None and found[0].name == "Dandong"


def test_haversine_km() -> None:
    # Pyongyang to Wonsan by the spherical law of cosines: 145.62 km
    assert haversine_km(39.0392, 125.7625, 39.1528, 127.4436) == pytest.approx(145.62, abs=0.01)
    assert haversine_km(0, 0, 0, 0) == 0


# -- a bad gazetteer file -----------------------------------------------------------

GOOD_ENTRY = """\
- name: {name}
  name_ko: 평양
  name_ru: Пхеньян
  province: Test
  lat: 39.0
  lon: 125.0
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "places.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_latitude_names_file_entry_and_field(tmp_path: Path) -> None:
    text = (
        GOOD_ENTRY.format(name="Pyongyang")
        + "- name: Chongjin\n  name_ko: 청진\n  name_ru: Чхонджин\n  province: North Hamgyong\n"
        + "  lat: 41.7956\n  lon: 129.7758\n"
        + "- name: Wonsan\n  name_ko: 원산\n  name_ru: Вонсан\n  province: Kangwon\n"
        + "  lat: north\n  lon: 127.4436\n"
    )
    with pytest.raises(ConfigError) as info:
        Gazetteer.load(write(tmp_path, text))
    assert str(info.value) == "places.yaml: entry 3 (Wonsan): lat: must be a number"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "places.yaml: expected a list of sites, got an empty file"),
        ("name: Pyongyang\n", "places.yaml: expected a list of sites, got dict"),
        ("- Pyongyang\n", "places.yaml: entry 1: expected a mapping of fields, got str"),
        (
            "- name: [Pyongyang\n",
            "places.yaml: line 2: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang").replace("lon:", "lng:"),
            "places.yaml: entry 1 (Pyongyang): lng: unknown field "
            "(fields: name, name_ko, name_ru, province, lat, lon, aliases)",
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang").replace("  name_ru: Пхеньян\n", ""),
            "places.yaml: entry 1 (Pyongyang): name_ru: missing",
        ),
        (GOOD_ENTRY.format(name="''"), "places.yaml: entry 1: name: must be a non-empty string"),
        (
            GOOD_ENTRY.format(name="Pyongyang").replace("lat: 39.0", "lat: 139.0"),
            "places.yaml: entry 1 (Pyongyang): lat: must be between -90 and 90",
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang").replace("lon: 125.0", "lon: yes"),
            "places.yaml: entry 1 (Pyongyang): lon: must be a number",
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang") + "  aliases: Heijo\n",
            "places.yaml: entry 1 (Pyongyang): aliases: must be a list of names",
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang") + "  aliases: [Heijo, 12]\n",
            "places.yaml: entry 1 (Pyongyang): aliases: item 2: must be a non-empty string",
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang") + '  aliases: ["\'"]\n',
            'places.yaml: entry 1 (Pyongyang): aliases: "\'" has no letters to match',
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang") + GOOD_ENTRY.format(name="Heijo").replace("평양", "헤이조"),
            "places.yaml: entry 2 (Heijo): name_ru: 'Пхеньян' is already a name of entry 1 (Pyongyang)",
        ),
        (
            GOOD_ENTRY.format(name="Pyongyang")
            + "- name: Wonsan\n  name_ko: 원산\n  name_ru: Вонсан\n  province: Kangwon\n"
            + '  lat: 39.1528\n  lon: 127.4436\n  aliases: ["P\'yŏngyang"]\n',
            'places.yaml: entry 2 (Wonsan): aliases: "P\'yŏngyang" is already a name of entry 1 (Pyongyang)',
        ),
    ],
)
def test_bad_gazetteer_messages(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Gazetteer.load(write(tmp_path, text))
    assert str(info.value) == message


def test_unreadable_gazetteer(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError) as info:
        Gazetteer.load(missing)
    assert str(info.value) == f"{missing}: cannot read: [Errno 2] No such file or directory: '{missing}'"


def test_custom_gazetteer_is_used(tmp_path: Path) -> None:
    gazetteer = Gazetteer.load(write(tmp_path, GOOD_ENTRY.format(name="Pyongyang")))
    assert names(gazetteer.find_all("Wonsan and Pyongyang")) == ["Pyongyang"]
