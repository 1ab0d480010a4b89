"""Latin forms of names (text/translit.py): Wikipedia-style Russian, Revised Romanization."""

from __future__ import annotations

import pytest

from archive_ingest.text.translit import to_latin


@pytest.mark.parametrize(
    ("name", "latin"),
    [
        # Cyrillic: iuliia's WIKIPEDIA schema, title-cased.
        ("Тён Иван", "Tyon Ivan"),
        ("ТЁН ИВАН", "Tyon Ivan"),
        ("Пётр", "Pyotr"),
        ("Юрьевич", "Yuryevich"),
        ("Николай", "Nikolay"),
        ("СМИРНОВ ПАВЕЛ ВИКТОРОВИЧ", "Smirnov Pavel Viktorovich"),
        ("ЕВГЕНИЙ ФЁДОРОВИЧ", "Yevgeny Fyodorovich"),
        ("ЦОЙ КОЛЯ", "Tsoy Kolya"),
        ("ШИН ЁН СУ", "Shin Yon Su"),
        ("ХВАН ДОН СУ", "Khvan Don Su"),
        ("ПОЛЯНСКИЙ", "Polyansky"),
        ("ГЕНЕРАЛ-МАЙОР", "General-Mayor"),
        # Hangul: Revised Romanization, a one-word name split surname / given name.
        ("신영수", "Sin Yeongsu"),
        ("리학림", "Ri Hakrim"),
        ("황동수", "Hwang Dongsu"),
        ("신 영수", "Sin Yeongsu"),
        ("남궁민", "Namgung Min"),
        ("영원한 영광", "Yeongwonhan Yeonggwang"),
        # Latin kept; capitals title-cased; mixed case left alone.
        ("Pavel Viktorovich Smirnov", "Pavel Viktorovich Smirnov"),
        ("SOVIET ARMY", "Soviet Army"),
        ("McLeod", "McLeod"),
        # Other scripts pass through.
        ("黃東洙", "黃東洙"),
        ("", ""),
    ],
)
def test_to_latin(name: str, latin: str) -> None:
    assert to_latin(name) == latin
