"""Near duplicates: the same photo resized, cropped a little or re-encoded, under other bytes.

Exact duplicates (same SHA-256) never get here: the pipeline records them at `fixity`.
This stage compares each new photo with every photo already in the catalog and with the
ones earlier in this run, in two independent steps:

1. **Candidates** from the perceptual hash `identify` stored (`file.phash`, imagehash's
   pHash of the stored pixels): a Hamming distance of at most `similar.phash_max_distance`
   bits. A pHash only sees the picture's coarse layout (the lowest 8x8 frequencies of a
   32x32 copy), so a copy cropped by 3-5% can be as far from its original as two different
   stones photographed alike are from each other (both measured at 14-20 bits on
   `samples/`; see `benchmarks/near_duplicates.py`). The threshold is set to catch crops,
   and the second step sorts out the rest.
2. **Confirmation** on the pixels (`ingest/pixelmatch.py`), which sees what the pHash throws
   away (the strokes of a name, the texture of a stone): the photos are aligned over a
   range of scales and shifts and compared tile by tile; the *pixel match* is the
   agreement of the worst tile. A pair is confirmed at `similar.confirm_min_score` or
   above. Known miss: one changed digit of a small inscription on a mostly blank frame
   can still score 0.96, and is flagged for a reviewer to mark `distinct`.

A confirmed pair raises `near_duplicate` on the new record, with a `near_duplicate_of` link
to the other and a `validation` event; a rejected candidate is only named in that event.
Pairs a reviewer marked `distinct_from` are never compared again, and a record merged into
another is no candidate. Quarantined records are neither checked nor candidates.

The hashes live in a `SimilarityIndex` the pipeline builds once per run from the catalog
(`RunContext.similarity`); each record checked here is added to it, so photos later in
the same run are compared with it too. Grayscale copies are cached per run.

Both steps read the stored pixels, as `identify` hashes them (EXIF orientation not
applied): a copy re-saved upright from a photo stored rotated has an unrelated pHash and
is not found.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ...record import EventType, FlagCode, Link, LinkType, Outcome, Record, ReviewStatus
from ..context import RunContext
from ..pixelmatch import READ_ERRORS, pixel_match
from ..similarity import comparable


def run(record: Record, ctx: RunContext) -> Record:
    """Flag `record` as a near duplicate of any earlier photo its pixels confirm.

    Raises:
        RuntimeError: `ctx` has no similarity index (the pipeline builds one per run).
    """
    index = ctx.similarity
    if index is None:
        raise RuntimeError("the similar stage needs RunContext.similarity (built by pipeline.run)")
    if not comparable(record):
        return record
    assert record.file.phash is not None
    settings = ctx.settings.similar
    found = index.candidates(record.file.phash, settings.phash_max_distance, exclude=record.id)
    notes: list[str] = []
    confirmed: list[str] = []
    compared = 0
    new_signature: npt.NDArray[np.uint8] | None = None
    for entry, distance in found:
        who = f"{entry.id} ('{entry.filename}'): pHash distance {distance}"
        if index.distinct(record.id, entry.id) or entry.id in record.linked(LinkType.DISTINCT_FROM):
            notes.append(f"{who}, marked distinct by review; not compared")
            continue
        if compared == settings.max_candidates:
            notes.append(f"{who}; not compared (similar.max_candidates = {settings.max_candidates})")
            continue
        compared += 1
        try:
            if new_signature is None:
                new_signature = index.signature(record.id, ctx.inbox / record.source.filename)
            other = index.signature(entry.id, entry.location(ctx.archive, ctx.inbox))
        except READ_ERRORS as exc:
            notes.append(f"{who}; could not be compared: {exc}")
            continue
        score = pixel_match(new_signature, other)
        if score >= settings.confirm_min_score:
            confirmed.append(entry.id)
            record.add_flag(FlagCode.NEAR_DUPLICATE, f"looks like record {who}, pixel match {score:.2f}")
            if entry.id not in record.linked(LinkType.NEAR_DUPLICATE_OF):
                record.links.append(Link(LinkType.NEAR_DUPLICATE_OF, entry.id))
            notes.append(f"near duplicate of {who}, pixel match {score:.2f}")
        else:
            notes.append(f"{who}, pixel match {score:.2f} (below {settings.confirm_min_score:.2f}): another photo")
    index.add(record)
    if notes:
        outcome = Outcome.WARNING if confirmed else Outcome.SUCCESS
        detail = "near duplicates: " + "; ".join(notes)
        record.add_event(EventType.VALIDATION, ctx.timestamp(), ctx.agent(), outcome, detail)
    if confirmed and record.review.status == ReviewStatus.NOT_NEEDED:
        record.review.status = ReviewStatus.PENDING
    return record
