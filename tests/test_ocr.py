"""OCR with real tesseract on drawn inscriptions: upright reading, scripts, failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from archive_ingest.context import RunContext
from archive_ingest.record import FileInfo, Kind, Record, Source
from archive_ingest.search import normalise
from archive_ingest.stages import ocr
from conftest import ArchiveHome
from scanmaker import ExifSpec, draw_inscription, make_scan, store_for_orientation


@pytest.fixture
def ctx(archive_home: ArchiveHome) -> RunContext:
    context = RunContext(settings=archive_home.settings())
    ocr.open_stage(context)
    return context


def record_for(name: str, orientation: int | None = None) -> Record:
    record = Record(
        id="t", kind=Kind.PHOTO, source=Source(filename=name), file=FileInfo(sha256="0" * 64, bytes=1)
    )
    record.exif.orientation = orientation
    return record


def test_open_records_the_engine_version(ctx: RunContext) -> None:
    assert ctx.engines["tesseract"].startswith("tesseract 5.")


def test_reads_cyrillic_and_years(ctx: RunContext) -> None:
    make_scan(ctx.inbox / "a.png", ["ТЁН ИВАН", "1884-1949"])
    record = ocr.run(record_for("a.png"), ctx)
    assert normalise(record.ocr.text) == normalise("ТЕН ИВАН\n1884-1949")
    assert record.ocr.confidence is not None and record.ocr.confidence > 80
    assert record.events[-1].detail.startswith("3 words, mean confidence ")


def test_reads_hangul(ctx: RunContext) -> None:
    make_scan(ctx.inbox / "k.png", ["소련군 렬사묘"], font_px=80)
    # With rus+kor+eng tesseract splits some Hangul words into syllables ("렬 사 묘");
    # the letters themselves come back exactly.
    assert ocr.run(record_for("k.png"), ctx).ocr.text.replace(" ", "") == "소련군렬사묘"


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_applies_exif_orientation(ctx: RunContext, orientation: int) -> None:
    make_scan(ctx.inbox / "r.jpg", ["ПЕТРОВ СЕРГЕЙ", "1921-1945"], exif=ExifSpec(orientation=orientation))
    record = ocr.run(record_for("r.jpg", orientation), ctx)
    assert normalise(record.ocr.text) == normalise("ПЕТРОВ СЕРГЕЙ\n1921-1945")


def test_large_scans_are_read_from_a_scaled_copy(ctx: RunContext) -> None:
    image = draw_inscription(["ВЕЧНАЯ СЛАВА"], font_px=200)
    prepared = ocr.prepare_image(store_for_orientation(image, 6), 6, max_long_edge=800)
    assert max(prepared.size) == 800
    assert prepared.width > prepared.height  # turned upright: the line is wide again
    assert prepared.mode == "L"


def test_blank_image_reads_nothing(ctx: RunContext) -> None:
    Image.new("RGB", (400, 300), (230, 230, 230)).save(ctx.inbox / "blank.png")
    record = ocr.run(record_for("blank.png"), ctx)
    assert (record.ocr.text, record.ocr.confidence) == ("", None)
    assert record.events[-1].detail == "no text found"
    assert record.flags == []


def test_timeout_is_a_failure_not_an_empty_text(archive_home: ArchiveHome) -> None:
    archive_home.config.write_text("ocr:\n  timeout_seconds: 0.01\n", encoding="utf-8")
    context = RunContext(settings=archive_home.settings())
    ocr.open_stage(context)
    make_scan(context.inbox / "slow.png", ["ТЕСТ"] * 8)
    record = ocr.run(record_for("slow.png"), context)
    assert [f.code for f in record.flags] == ["ocr_failed"]
    assert record.flags[0].detail.startswith("tesseract stopped after 0.01 s")
    assert record.events[-1].outcome == "failure"


def test_unreadable_image_is_a_failure(ctx: RunContext) -> None:
    Path(ctx.inbox / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    record = ocr.run(record_for("bad.png"), ctx)
    assert [f.code for f in record.flags] == ["ocr_failed"]
    assert record.flags[0].detail.startswith("cannot prepare the image for OCR: ")
