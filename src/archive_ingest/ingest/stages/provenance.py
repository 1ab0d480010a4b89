"""Provenance: credit, rights, source and commentary for every record.

Defaults come from `pipeline.yaml` (the photos are the property of the Russian Embassy in
Pyongyang; commentary by Koryo Tours); a `credit` cell in the caption manifest overrides
the credit for that file. The credit and copyright notice written in the file itself
(XMP/IPTC, `record.embedded`, read by the exif stage) are kept beside them in
`embedded_credit` and `embedded_rights`, never over them: `flags.py` raises
`credit_conflict` when they name another owner.

A saved web page's caption (`source.page`) is split into the words it quotes, credited to
the photo's owner (`pages.quote_credit`, else the record's credit), and the commentary
around them, credited to the page's author (`pages.commentary_credit`, else
`provenance.commentary`).
"""

from __future__ import annotations

from ...record import Provenance, Record
from ..context import RunContext


def run(record: Record, ctx: RunContext) -> Record:
    defaults = ctx.settings.provenance
    caption = ctx.captions.get(record.source.filename)
    credit = caption.credit if caption is not None and caption.credit else defaults.credit
    record.provenance = Provenance(
        credit=credit,
        rights=defaults.rights,
        source=defaults.source,
        commentary=defaults.commentary,
        embedded_credit=record.embedded.credit,
        embedded_rights=record.embedded.rights,
    )
    if (page := record.source.page) is not None:
        pages = ctx.settings.pages
        page.quote_by = (pages.quote_credit or credit) if page.quote else None
        page.commentary_by = (pages.commentary_credit or defaults.commentary) if page.commentary else None
    return record
