"""Quality flags: what a reviewer must look at, and whether the record enters review.

Flags raised by earlier stages (`corrupt`, `bad_encoding`, `ocr_failed`) stay; this stage
adds the ones that judge the finished record. Thresholds come from `pipeline.yaml`
(`flags.*`). A record with any flag enters review as `pending`; one without is
`not_needed`.
"""

from __future__ import annotations

from ..context import RunContext
from ..record import FlagCode, Record, ReviewStatus


def run(record: Record, ctx: RunContext) -> Record:
    settings = ctx.settings.flags
    if not record.quarantined:
        if not record.caption:
            record.add_flag(FlagCode.NO_CAPTION, "no caption sidecar or manifest row for this file")
        ocr = record.ocr
        ocr_ran = ocr.engine is not None and not record.has_flag(FlagCode.OCR_FAILED)
        if ocr_ran and record.kind in settings.ocr_kinds:
            if not ocr.text:
                record.add_flag(FlagCode.OCR_EMPTY, f"tesseract read no text on this {record.kind}")
            elif ocr.confidence is not None and ocr.confidence < settings.ocr_low_confidence_below:
                record.add_flag(
                    FlagCode.OCR_LOW_CONFIDENCE,
                    f"mean word confidence {ocr.confidence:g} is below {settings.ocr_low_confidence_below:g}",
                )
        if record.date is None:
            record.add_flag(FlagCode.NO_DATE, "no date in the manifest, the caption or EXIF")
        if record.place is None:
            looked = "manifest, caption, inscription" + (" and GPS" if record.exif.gps else "; no GPS")
            record.add_flag(FlagCode.UNKNOWN_PLACE, f"no gazetteer place found ({looked})")
    if record.flags and record.review.status == ReviewStatus.NOT_NEEDED:
        record.review.status = ReviewStatus.PENDING
    return record
