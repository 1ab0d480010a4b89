"""Records as Dublin Core: one `oai_dc:dc` element per record, for harvesters and catalogues.

The document is `<records count="N">` holding one `<record id="...">` per record, each
with an `oai_dc:dc` element as OAI-PMH serves it (namespace
`http://www.openarchives.org/OAI/2.0/oai_dc/`, elements of `http://purl.org/dc/elements/1.1/`),
valid against the `oai_dc` XML Schema (the tests check every element against it). Written
with the standard library, one record at a time, so a large catalog is never held twice;
each `<record>` declares its own namespaces, so one cut out of the file stands alone.

How a record maps (decisions a reader of the XML should know):

- `title`: made up, in English, from the kind, the persons and the place:
  `Headstone of Tyon Ivan (1884-1949), Chongjin`; `Monument, Sinuiju`; with neither,
  the file's name: `Headstone DSC_0003.JPG`.
- `description`: the caption exactly; then the inscription as `Inscription (read by
  OCR): ...`, so the two are never confused.
- `creator`: the record's credit line (the Russian Embassy in Pyongyang unless a caption
  manifest named another); `publisher`: the organisation of the provenance settings (the
  embassy, which published the series); `contributor`: the commentary's author, as
  `Koryo Tours (commentary)`.
- `date`: the photo's date as recorded (`1945-08-15`, `1978-05`, `1978`); a decade
  (`197x`) as the interval `1970/1979`.
- `coverage`: the place with its Korean and Russian names and province, then its
  coordinates as a DCMI Point (`name=Chongjin; east=129.7758; north=41.7956`), from the
  gazetteer, else from the photo's GPS.
- `subject`: the kind (`headstone`), then each person as
  `Tyon Ivan (ТЁН ИВАН), 1884-1949` (with the rank when known).
- `rights`, `source`: the provenance's rights statement and series; a second `source`,
  the saved web page (title, address) that showed the photo.
- `identifier`: the record id, then `sha256:<hex>` of the original.
- `type`: `Image` (DCMI Type Vocabulary); `format`: the media type (`image/jpeg`) and the
  pixel size; `relation`: links to other records (`merged_into: <id>`).

Text is escaped by the serializer (`<script>` comes back as `<script>` when parsed);
characters XML 1.0 cannot carry (most C0 controls) become U+FFFD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import IO

from ..config import ProvenanceSettings
from ..record import Kind, Person, Record
from .csv_rows import MEDIA_TYPES

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

ET.register_namespace("oai_dc", OAI_DC)
ET.register_namespace("dc", DC)
ET.register_namespace("xsi", XSI)

KIND_TITLES = {
    Kind.HEADSTONE: "Headstone",
    Kind.MONUMENT: "Monument",
    Kind.CEREMONY: "Ceremony",
    Kind.PHOTO: "Photo",
    Kind.QUARANTINED: "Unreadable file",
}

#: Characters XML 1.0 does not allow in a document (Char production), even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def dc_element(record: Record, provenance: ProvenanceSettings) -> ET.Element:
    """The record's `oai_dc:dc` element."""
    dc = ET.Element(f"{{{OAI_DC}}}dc", {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})

    def add(name: str, value: str | None) -> None:
        if value:
            ET.SubElement(dc, f"{{{DC}}}{name}").text = xml_text(value)

    add("title", title(record))
    add("description", record.caption)
    if record.ocr.text:
        add("description", f"Inscription (read by OCR): {record.ocr.text}")
    credit = record.provenance.credit if record.provenance else provenance.credit
    add("creator", credit)
    add("publisher", provenance.credit)
    commentary = record.provenance.commentary if record.provenance else provenance.commentary
    if commentary:
        add("contributor", f"{commentary} (commentary)")
    add("date", dc_date(record.date.value) if record.date else None)
    for value in coverage(record):
        add("coverage", value)
    add("subject", str(record.kind))
    for person in record.persons:
        add("subject", person_subject(person))
    add("rights", record.provenance.rights if record.provenance else provenance.rights)
    add("source", record.provenance.source if record.provenance else provenance.source)
    if (page := record.source.page) is not None:
        add("source", ", ".join(filter(None, (page.title, page.url))) or None)
    add("identifier", record.id)
    add("identifier", f"sha256:{record.file.sha256}")
    add("type", "Image")
    add("format", MEDIA_TYPES.get(record.file.format or ""))
    if record.file.width and record.file.height:
        add("format", f"{record.file.width} x {record.file.height} pixels")
    for link in record.links:
        add("relation", f"{link.type}: {link.id}")
    return dc


def title(record: Record) -> str:
    label = KIND_TITLES.get(record.kind, str(record.kind).capitalize())
    people = ", ".join(_person_name(p) + (f" ({p.life_span()})" if p.life_span() else "") for p in record.persons)
    parts = [f"{label} of {people}" if people else label]
    if record.place:
        parts.append(record.place.name)
    if not people and not record.place:
        return f"{label} {record.source.filename}"
    return ", ".join(parts)


def person_subject(person: Person) -> str:
    """`Tyon Ivan (ТЁН ИВАН), 1884-1949`: the Latin name, the name as written, rank, years."""
    name = _person_name(person)
    if person.name_latin and person.name != person.name_latin:
        name += f" ({person.name})"
    return ", ".join(filter(None, (name, person.rank, person.life_span())))


def dc_date(value: str) -> str:
    """The photo's date for `dc:date`: W3CDTF as recorded; a decade (`197x`) as `1970/1979`."""
    if re.fullmatch(r"\d{3}x", value):
        return f"{value[:3]}0/{value[:3]}9"
    return value


def coverage(record: Record) -> list[str]:
    """The place in words, then its coordinates as a DCMI Point (gazetteer, else EXIF GPS)."""
    values: list[str] = []
    place = record.place
    if place:
        others = ", ".join(filter(None, (place.name_ko, place.name_ru)))
        words = f"{place.name} ({others})" if others else place.name
        values.append(", ".join(filter(None, (words, place.province, "North Korea"))))
    if place and place.lat is not None and place.lon is not None:
        values.append(f"name={place.name}; east={place.lon}; north={place.lat}")
    elif record.exif.gps:
        values.append(f"east={record.exif.gps['lon']}; north={record.exif.gps['lat']}")
    return values


def write_dublin_core(out: IO[bytes], records: Sequence[Record], provenance: ProvenanceSettings) -> None:
    """Write the `<records>` document to the binary stream `out`, UTF-8."""
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<records count="{len(records)}">\n'.encode())
    for record in records:
        element = ET.Element("record", {"id": record.id})
        element.append(dc_element(record, provenance))
        ET.indent(element, space="  ", level=1)
        out.write(b"  " + ET.tostring(element, encoding="utf-8", xml_declaration=False) + b"\n")
    out.write(b"</records>\n")


def _person_name(person: Person) -> str:
    return person.name_latin or person.name
