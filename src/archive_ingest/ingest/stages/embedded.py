"""Captions, credits, dates and places written into the file itself: XMP and IPTC IIM.

Photographers and scanning software write the caption, the credit and the copyright into
the image (issue 16, item 1). This module reads them with Pillow, never with a parser of
its own: the XMP packet Pillow finds (`xmp_root`, also the exif stage's, parsed by the standard library's
ElementTree on expat 2.4+, which refuses entity bombs) and the IPTC IIM block through
`PIL.IptcImagePlugin.getiptcinfo` (JPEG APP13 Photoshop resource 0x0404, TIFF tag 33723).
For each field XMP is read first and IPTC fills in, as the Metadata Working Group
guidance says when both are present.

The exif stage calls `apply` once EXIF is read. What the file says goes to
`record.embedded` as written (`EmbeddedInfo`, each field's property in `sources`). The
caption that wins is decided here (the sidecar, the manifest row and the saved page's
caption were paired by discovery):

- none of them: the embedded caption is the record's `caption` (`source.caption_from`
  `xmp` or `iptc`);
- one of them too: it stays the `caption`; when the file's own caption
  differs, both are kept (`embedded.caption`) and a `caption` event with outcome `warning`
  says so. No flag: a file's English caption beside a Russian sidecar is normal.

Credit and copyright are compared by the provenance stage (`credit_conflict`, a check in
`flags.py`); the date and place serve in `extract` after the caption's and before EXIF's
and the stone's.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field, fields
from pathlib import Path

from PIL import Image, ImageFile, IptcImagePlugin

from ...images import DECODE_ERRORS
from ...record import EmbeddedInfo, EventType, Outcome, Record
from ...text.dates import DateParseError, parse_date_cell
from ..context import RunContext

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_PHOTOSHOP = "{http://ns.adobe.com/photoshop/1.0/}"
_IPTC_CORE = "{http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: Field -> the XMP properties read for it, in order (several are joined for `place`).
_XMP_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "caption": ((_DC + "description", "dc:description"),),
    "title": ((_DC + "title", "dc:title"),),
    "creator": ((_DC + "creator", "dc:creator"),),
    "credit": ((_PHOTOSHOP + "Credit", "photoshop:Credit"),),
    "rights": ((_DC + "rights", "dc:rights"),),
    "date": ((_PHOTOSHOP + "DateCreated", "photoshop:DateCreated"),),
    "place": (
        (_IPTC_CORE + "Location", "Iptc4xmpCore:Location"),
        (_PHOTOSHOP + "City", "photoshop:City"),
        (_PHOTOSHOP + "State", "photoshop:State"),
        (_PHOTOSHOP + "Country", "photoshop:Country"),
    ),
}

#: Field -> the IPTC IIM datasets (record 2) read for it, in order.
_IPTC_FIELDS: dict[str, tuple[tuple[int, str], ...]] = {
    "caption": ((120, "Caption-Abstract"),),
    "title": ((5, "Object Name"),),
    "creator": ((80, "By-line"),),
    "credit": ((110, "Credit"),),
    "rights": ((116, "Copyright Notice"),),
    "date": ((55, "Date Created"),),
    "place": (
        (92, "Sub-location"),
        (90, "City"),
        (95, "Province-State"),
        (101, "Country-Primary Location Name"),
    ),
}

#: An XMP packet larger than this is not parsed (a JPEG segment holds at most 64 KB).
_MAX_XMP_BYTES = 1 << 20

#: IPTC 1:90 Coded Character Set: ESC % G says the text datasets are UTF-8.
_IPTC_UTF8 = b"\x1b%G"

#: What Pillow's IPTC reader lets through on a broken block, besides DECODE_ERRORS.
_IPTC_ERRORS: tuple[type[Exception], ...] = (*DECODE_ERRORS, KeyError, IndexError, TypeError)


@dataclass
class EmbeddedReading:
    """What `read_embedded` found: the fields, and problems worth a warning (one line each)."""

    info: EmbeddedInfo = field(default_factory=EmbeddedInfo)
    problems: list[str] = field(default_factory=list)


def read_embedded(path: Path, content: bytes | None = None, max_chars: int = 65_536) -> EmbeddedReading:
    """The XMP and IPTC fields of the image at `path` (or its `content`). Never raises for bad data.

    Values are NFC, stripped, and cut to `max_chars` (a longer one is a problem line).
    """
    reading = EmbeddedReading()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(content) if content is not None else path) as image:
                root = xmp_root(image)
                iptc = _iptc(image, reading.problems)
        except DECODE_ERRORS:
            # Gone or not an image: the EXIF event and the identify stage say so already.
            return reading
    found: dict[str, tuple[str, str]] = {}
    if root is not None:
        for name, properties in _XMP_FIELDS.items():
            values = [(value, label) for key, label in properties if (value := _xmp_value(root, key))]
            if values:
                found[name] = (", ".join(v for v, _ in values), "XMP " + " + ".join(label for _, label in values))
    for name, datasets in _IPTC_FIELDS.items():
        if name in found:
            continue
        values = [(value, f"2:{number} {label}") for number, label in datasets if (value := iptc.get(number))]
        if values:
            found[name] = (", ".join(v for v, _ in values), "IPTC " + " + ".join(label for _, label in values))
    if "date" in found:
        date = _date(found["date"][0])
        if date is None:
            reading.problems.append(f"{found['date'][1]} '{found['date'][0]}' is not a date; ignored")
            del found["date"]
        else:
            found["date"] = (date, found["date"][1])
    for name, (value, where) in found.items():
        text = unicodedata.normalize("NFC", value).strip()
        if len(text) > max_chars:
            reading.problems.append(f"{where} is {len(text):,} characters; cut to {max_chars:,}")
            text = text[:max_chars]
        if text:
            setattr(reading.info, name, text)
            reading.info.sources[name] = where
    return reading


def xmp_root(image: Image.Image) -> ElementTree.Element | None:
    """The root of the image's XMP packet as Pillow found it, parsed; None when there is
    none, it is larger than `_MAX_XMP_BYTES`, or it is not well-formed XML. Also read by
    the exif stage for dates and orientation."""
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8", errors="replace")
    if not isinstance(packet, bytes) or not packet or len(packet) > _MAX_XMP_BYTES:
        return None
    try:
        return ElementTree.fromstring(packet.strip(b"\x00 \r\n\t"))
    except (ElementTree.ParseError, ValueError):
        return None


def _xmp_value(root: ElementTree.Element, name: str) -> str | None:
    """The first value of the property `name`: an attribute, an element's text, or the items
    of its rdf:Alt (the `x-default` language first), rdf:Seq or rdf:Bag (joined by `; `)."""
    for element in root.iter():
        if name in element.attrib and element.attrib[name].strip():
            return element.attrib[name]
        if element.tag != name:
            continue
        items = [(li.get(_XML_LANG), (li.text or "").strip()) for li in element.iter(_RDF + "li")]
        items = [(lang, text) for lang, text in items if text]
        if items:
            if element.find(_RDF + "Alt") is not None:
                return next((text for lang, text in items if lang == "x-default"), items[0][1])
            return "; ".join(text for _, text in items)
        if element.text and element.text.strip():
            return element.text
    return None


def _iptc(image: Image.Image, problems: list[str]) -> dict[int, str]:
    """Record 2's text datasets by number (repeated ones joined by `; `), decoded: UTF-8 when
    1:90 says so or the bytes are UTF-8, else cp1251 (as legacy Russian tools wrote)."""
    if not isinstance(image, ImageFile.ImageFile):
        return {}
    try:
        raw = IptcImagePlugin.getiptcinfo(image)
    except _IPTC_ERRORS as exc:
        problems.append(f"IPTC block unreadable: {type(exc).__name__}: {exc}")
        return {}
    if not raw:
        return {}
    charset = raw.get((1, 90))
    utf8 = isinstance(charset, bytes) and charset.startswith(_IPTC_UTF8)
    wanted = {number for datasets in _IPTC_FIELDS.values() for number, _ in datasets}
    found: dict[int, str] = {}
    for (record, number), value in raw.items():
        if record != 2 or number not in wanted:
            continue
        parts = value if isinstance(value, list) else [value]
        texts = [_decode(part, utf8) for part in parts if isinstance(part, bytes)]
        joined = "; ".join(text for text in texts if text)
        if joined:
            found[number] = joined
    return found


def _decode(data: bytes, utf8: bool) -> str:
    data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        if utf8:
            return data.decode("utf-8", errors="replace").strip()
        return data.decode("cp1251", errors="replace").strip()


def _date(text: str) -> str | None:
    """`1978`, `1978-05` or `1978-05-09` from XMP's `1978-05-09T10:00:00+09:00` (or shorter)
    or IPTC's `19780509` (`00` for an unknown month or day); None when not a real date."""
    text = text.strip()
    if len(text) == 8 and text.isdigit():  # IPTC CCYYMMDD
        year, month, day = text[:4], text[4:6], text[6:]
        text = year if month == "00" else f"{year}-{month}" if day == "00" else f"{year}-{month}-{day}"
    text = text.split("T", 1)[0]
    try:
        return parse_date_cell(text, "embedded").value
    except DateParseError:
        return None


def apply(record: Record, ctx: RunContext) -> None:
    """Read the file's XMP/IPTC into `record.embedded`; the embedded caption serves when no
    sidecar or manifest row gave one. Events: what was read, and a differing caption."""
    reading = read_embedded(
        ctx.inbox / record.source.filename, record.file.content, ctx.settings.discover.max_caption_bytes
    )
    info = record.embedded = reading.info
    read = [f"{f.name} ({info.sources[f.name]})" for f in fields(EmbeddedInfo) if f.name in info.sources]
    if read or reading.problems:
        detail = "XMP/IPTC: " + ("; ".join(read) if read else "nothing catalogued")
        if reading.problems:
            detail += "; problems: " + "; ".join(reading.problems)
        outcome = Outcome.WARNING if reading.problems else Outcome.SUCCESS
        record.add_event(EventType.METADATA_EXTRACTION, ctx.timestamp(), ctx.agent(), outcome, detail)
    if info.caption is None:
        return
    where = info.sources["caption"]
    if not record.caption:
        record.caption = info.caption
        record.source.caption_from = where.split(" ", 1)[0].lower()  # "xmp" or "iptc"
        record.add_event(
            EventType.CAPTION,
            ctx.timestamp(),
            ctx.agent(),
            Outcome.SUCCESS,
            f"caption read from the file's own {where} (no sidecar or manifest row)",
        )
    elif _folded(info.caption) != _folded(record.caption):
        given = record.source.caption_file or "the caption given"
        record.add_event(
            EventType.CAPTION,
            ctx.timestamp(),
            ctx.agent(),
            Outcome.WARNING,
            f"the file's own caption ({where}) differs from {given}'s; both kept: "
            f"'caption' is {given}'s, 'embedded.caption' the file's",
        )


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
