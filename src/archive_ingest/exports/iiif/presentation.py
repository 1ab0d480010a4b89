"""IIIF Presentation API 3.0: a record as a Manifest, the export as a Collection.

The resources are typed (msgspec Structs, one per Presentation 3 class this export uses,
with the specification's property names) and encoded by msgspec, never put together as
text; `tests/test_iiif.py` validates every document written against the IIIF Presentation
3 JSON Schema. Why not `iiif-prezi3`, the IIIF community's builder: its 3.1.1 (the latest)
requires `Pillow<=12.0.0`, and this tool decodes images from outside with Pillow, so it
must be free to take Pillow's security releases (12.1.1 on, 13); see the README's
dependency list. The classes below are the few the export needs, nothing more.

How a record maps (decisions a reader of the JSON should know):

- `label`: the caption's first line in the caption's language (`ru` for Cyrillic, `ko` for
  Hangul, `en` for Latin script, `none` otherwise), and under `en` the English title the
  Dublin Core export makes (`Headstone of Tyon Ivan (1884-1949), Chongjin`) when the
  caption is not in Latin script; with no caption, that title alone. A viewer shows the
  language of its user.
- `summary`: the whole caption in its language (else the English title).
- `metadata`: kind; people (Latin name, name as written, rank, life span); place (English,
  Korean and Russian names as a language map, province) and its gazetteer coordinates
  (never the photo's GPS: the access copies leave it out too); date; the inscription as OCR
  read it; source, commentary and the record id.
- `requiredStatement`: "Attribution": the record's credit line, then its rights statement.
- `rights`: only a rights URI Presentation 3 allows (Creative Commons or
  RightsStatements.org). The records' rights are a sentence ("All photos are the property
  of the Russian Embassy in Pyongyang."), so it is left out and the sentence is in
  `requiredStatement`; choosing a RightsStatements.org URI is the rights holder's call.
- `provider`: the organisation of the provenance settings (the embassy), an Agent.
- `homepage`: the record's page of the static site (`archive-ingest site`), when the
  export is told where that site is served (`--site-url`).
- Text from outside (captions, inscriptions) is text: a viewer reads a `summary` or a
  metadata `value` that starts with `<` and ends with `>` as HTML (Presentation 3, 4.4),
  so such a value is written as `<span>` + the text HTML-escaped + `</span>`, which
  shows the exact text; any other value is plain text. Labels are always plain text.
- One Canvas the size of the published image, painted by that image (`full/max`) with its
  level-0 Image API 3 service (`tiles.py`); `thumbnail` a small size of the same service.

No reviewer's login or note and no event history: only what may be published.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from ...config import ProvenanceSettings
from ...record import Record
from ..dublin_core import KIND_TITLES, person_subject, title

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
#: The collection's label (the static site's default title).
COLLECTION_TITLE = "Soviet graves and Liberation monuments in the DPRK: photo archive"
#: Rights URIs Presentation 3 allows in `rights` (section 3.3.1).
RIGHTS_URI = re.compile(r"^http://(creativecommons\.org/(licenses|publicdomain)|rightsstatements\.org/vocab)/\S+$")
#: Long edge a thumbnail should at least have (the smallest listed size that reaches it is used).
THUMBNAIL_EDGE = 256

LanguageMap = dict[str, list[str]]


class _Resource(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel"):
    """Presentation 3 property names are camelCase; empty and absent properties are left out."""


class LabelValue(_Resource):
    label: LanguageMap
    value: LanguageMap


class Service(_Resource):
    id: str
    type: str
    profile: str


class ImageResource(_Resource):
    id: str
    type: str
    format: str
    width: int
    height: int
    service: list[Service] = msgspec.field(default_factory=list)


class Annotation(_Resource):
    id: str
    type: str
    motivation: str
    body: ImageResource
    target: str


class AnnotationPage(_Resource):
    id: str
    type: str
    items: list[Annotation]


class Canvas(_Resource):
    id: str
    type: str
    label: LanguageMap
    width: int
    height: int
    items: list[AnnotationPage]


class Text(_Resource):
    id: str
    type: str
    label: LanguageMap
    format: str


class Agent(_Resource):
    id: str
    type: str
    label: LanguageMap


class Reference(_Resource):
    """A link to another resource: `partOf`, and a Collection's items."""

    id: str
    type: str
    label: LanguageMap | None = None
    thumbnail: list[ImageResource] = msgspec.field(default_factory=list)


class Manifest(_Resource, kw_only=True):
    context: str = msgspec.field(name="@context")
    id: str
    type: str
    label: LanguageMap
    summary: LanguageMap
    metadata: list[LabelValue] = msgspec.field(default_factory=list)
    required_statement: LabelValue
    rights: str | None = None
    provider: list[Agent]
    homepage: list[Text] = msgspec.field(default_factory=list)
    thumbnail: list[ImageResource] = msgspec.field(default_factory=list)
    part_of: list[Reference] = msgspec.field(default_factory=list)
    items: list[Canvas]


class Collection(_Resource):
    context: str = msgspec.field(name="@context")
    id: str
    type: str
    label: LanguageMap
    summary: LanguageMap
    required_statement: LabelValue
    provider: list[Agent]
    items: list[Reference]


@dataclass(frozen=True)
class Urls:
    """Where everything is served: `base` is the URL of the export's folder (`--base-url`)."""

    base: str
    site: str | None = None
    """The URL of the static site's folder (`--site-url`), or None."""

    @property
    def collection(self) -> str:
        return f"{self.base}/collection.json"

    def manifest(self, record_id: str) -> str:
        return f"{self.base}/manifests/{record_id}.json"

    def image(self, record_id: str) -> str:
        """The Image API service: its `info.json` and tiles are under this URL."""
        return f"{self.base}/images/{record_id}"

    def homepage(self, record_id: str) -> str | None:
        return f"{self.site}/records/{record_id}.html" if self.site else None


@dataclass(frozen=True)
class Picture:
    """The published image of a record: its pixel size and its scaled sizes (`tiles.sizes`)."""

    width: int
    height: int
    sizes: tuple[tuple[int, int], ...]


def manifest_json(record: Record, picture: Picture, urls: Urls, provenance: ProvenanceSettings) -> bytes:
    """The record's Manifest as JSON (UTF-8, indented)."""
    return encode_json(manifest(record, picture, urls, provenance))


def collection_json(items: list[tuple[Record, Picture]], urls: Urls, provenance: ProvenanceSettings) -> bytes:
    """The Collection of the exported records' Manifests, in their order, as JSON."""
    collection = Collection(
        context=PRESENTATION_CONTEXT,
        id=urls.collection,
        type="Collection",
        label={"en": [COLLECTION_TITLE]},
        summary=text_map(provenance.source, html=True),
        required_statement=_attribution(provenance.credit, provenance.rights),
        provider=[_provider(urls, provenance)],
        items=[
            Reference(
                id=urls.manifest(record.id),
                type="Manifest",
                label=label(record),
                thumbnail=[_thumbnail(urls.image(record.id), picture)],
            )
            for record, picture in items
        ],
    )
    return encode_json(collection)


def encode_json(value: Any) -> bytes:
    """`value` (a resource, or a plain dict such as an `info.json`) as indented UTF-8 JSON."""
    return msgspec.json.format(msgspec.json.encode(value), indent=2) + b"\n"


def manifest(record: Record, picture: Picture, urls: Urls, provenance: ProvenanceSettings) -> Manifest:
    credit = record.provenance.credit if record.provenance else provenance.credit
    rights = record.provenance.rights if record.provenance else provenance.rights
    manifest_id = urls.manifest(record.id)
    service = urls.image(record.id)
    canvas_id = f"{urls.base}/manifests/{record.id}/canvas/1"
    image = ImageResource(
        id=f"{service}/full/max/0/default.jpg",
        type="Image",
        format="image/jpeg",
        width=picture.width,
        height=picture.height,
        service=[Service(id=service, type="ImageService3", profile="level0")],
    )
    homepage = urls.homepage(record.id)
    return Manifest(
        context=PRESENTATION_CONTEXT,
        id=manifest_id,
        type="Manifest",
        label=label(record),
        summary=text_map(record.caption, html=True)
        if record.caption and record.caption.strip()
        else {"en": [title(record)]},
        metadata=metadata(record, provenance),
        required_statement=_attribution(credit, None if RIGHTS_URI.match(rights) else rights),
        rights=rights if RIGHTS_URI.match(rights) else None,
        provider=[_provider(urls, provenance)],
        homepage=[Text(id=homepage, type="Text", label=label(record), format="text/html")] if homepage else [],
        thumbnail=[_thumbnail(service, picture)],
        part_of=[Reference(id=urls.collection, type="Collection")],
        items=[
            Canvas(
                id=canvas_id,
                type="Canvas",
                label=label(record),
                width=picture.width,
                height=picture.height,
                items=[
                    AnnotationPage(
                        id=f"{urls.base}/manifests/{record.id}/page/1",
                        type="AnnotationPage",
                        items=[
                            Annotation(
                                id=f"{urls.base}/manifests/{record.id}/annotation/1",
                                type="Annotation",
                                motivation="painting",
                                body=image,
                                target=canvas_id,
                            )
                        ],
                    )
                ],
            )
        ],
    )


def label(record: Record) -> LanguageMap:
    """The caption's first line in its language, with the English title beside a non-Latin one."""
    first = next((line.strip() for line in (record.caption or "").splitlines() if line.strip()), None)
    if first is None:
        return {"en": [title(record)]}
    language = language_of(first)
    labels = {language: [first]}
    if language != "en":
        labels["en"] = [title(record)]
    return labels


def metadata(record: Record, provenance: ProvenanceSettings) -> list[LabelValue]:
    pairs: list[LabelValue] = []

    def add(name: str, value: LanguageMap | None) -> None:
        if value and any(text for texts in value.values() for text in texts):
            pairs.append(LabelValue(label={"en": [name]}, value=value))

    add("Kind", {"en": [KIND_TITLES.get(record.kind, str(record.kind).capitalize())]})
    add("People", {"none": [as_text(person_subject(person)) for person in record.persons]})
    add("Place", _place(record))
    if record.place and record.place.lat is not None and record.place.lon is not None:
        add("Coordinates", {"none": [f"{record.place.lat}, {record.place.lon}"]})
    add("Date", {"none": [as_text(_date(record.date.value))]} if record.date else None)
    add("Inscription (read by OCR)", text_map(record.ocr.text, html=True) if record.ocr.text.strip() else None)
    add("Source", text_map(record.provenance.source if record.provenance else provenance.source, html=True))
    commentary = record.provenance.commentary if record.provenance else provenance.commentary
    add("Commentary", {"none": [as_text(commentary)]} if commentary else None)
    add("Identifier", {"none": [record.id]})
    return pairs


def language_of(text: str) -> str:
    """`ru`, `ko` or `en` by the script most of `text`'s letters are in; `none` without letters
    of those (the captions here are Russian, Korean or English)."""
    counts = {
        "ru": len(re.findall(r"[\u0400-\u04ff]", text)),
        "ko": len(re.findall(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]", text)),
        "en": len(re.findall(r"[A-Za-z]", text)),
    }
    language, count = max(counts.items(), key=lambda item: item[1])
    return language if count else "none"


def text_map(text: str, *, html: bool = False) -> LanguageMap:
    """`text` as a language map under the language of its script; `html` for a property
    a viewer may read as HTML (`summary`, a metadata or requiredStatement `value`)."""
    return {language_of(text): [as_text(text) if html else text]}


def as_text(text: str) -> str:
    """`text` as a value a viewer shows as this text: unchanged, unless it would be read as
    HTML (it starts with `<` and ends with `>`): then escaped inside a `<span>`."""
    if text.startswith("<") and text.endswith(">"):
        return f"<span>{html.escape(text)}</span>"
    return text


def _place(record: Record) -> LanguageMap | None:
    place = record.place
    if place is None:
        return None
    english = ", ".join(filter(None, (place.name, place.province)))
    names: LanguageMap = {"en": [as_text(english)]}
    if place.name_ko:
        names["ko"] = [as_text(place.name_ko)]
    if place.name_ru:
        names["ru"] = [as_text(place.name_ru)]
    return names


def _date(value: str) -> str:
    """As recorded (`1945-08-15`, `1978-05`, `1978`); a decade (`197x`) as `1970s`."""
    return f"{value[:3]}0s" if re.fullmatch(r"\d{3}x", value) else value


def _attribution(credit: str, rights: str | None) -> LabelValue:
    return LabelValue(
        label={"en": ["Attribution"]}, value={"none": [as_text(text) for text in (credit, rights) if text]}
    )


def _provider(urls: Urls, provenance: ProvenanceSettings) -> Agent:
    # An Agent must have an id; the organisation has no URI of its own here, so it is named
    # inside this publication.
    return Agent(id=f"{urls.collection}#provider", type="Agent", label={"none": [provenance.credit]})


def _thumbnail(service: str, picture: Picture) -> ImageResource:
    """A small size of the image (the smallest listed that reaches `THUMBNAIL_EDGE`), with its service."""
    fitting = [size for size in picture.sizes if max(size) >= THUMBNAIL_EDGE]
    width, height = min(fitting) if fitting else max(picture.sizes, default=(picture.width, picture.height))
    size = "max" if (width, height) == (picture.width, picture.height) else f"{width},{height}"
    return ImageResource(
        id=f"{service}/full/{size}/0/default.jpg",
        type="Image",
        format="image/jpeg",
        width=width,
        height=height,
        service=[Service(id=service, type="ImageService3", profile="level0")],
    )
