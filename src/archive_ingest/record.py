"""The Record that flows from stage to stage, and its JSON form (the record contract).

This module owns the catalog's data shape. Field names follow the record contract in
DESIGN.md; `to_json()`/`from_json()` here are the only code that builds or reads record
dicts. Stages fill fields in; nothing here does I/O.
"""

from __future__ import annotations

import builtins
import hashlib
import re
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

#: Record ids are the first 16 hex digits (64 bits) of the original's SHA-256: stable
#: across runs and machines, short enough to type, and collision-free at archive scale.
ID_LENGTH = 16


def record_id_for(sha256: str) -> str:
    """The stable record id for a file whose SHA-256 (hex) is `sha256`."""
    return sha256[:ID_LENGTH]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """`2026-11-26T16:45:00Z`: ISO 8601, UTC, whole seconds: every timestamp of a record."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_of_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Kind(StrEnum):
    """What the photo shows; `quarantined` when the file could not be read safely."""

    HEADSTONE = "headstone"
    MONUMENT = "monument"
    CEREMONY = "ceremony"
    PHOTO = "photo"
    QUARANTINED = "quarantined"


class FlagCode(StrEnum):
    """The flag vocabulary (DESIGN.md). Each flag sends a record to the review queue."""

    DUPLICATE = "duplicate"  # the same bytes were dropped again
    NEAR_DUPLICATE = "near_duplicate"  # the same picture, other bytes
    CORRUPT = "corrupt"  # unreadable or unsafe; the file is quarantined
    NO_CAPTION = "no_caption"
    CAPTION_CONFLICT = "caption_conflict"
    OCR_EMPTY = "ocr_empty"  # tesseract ran and read nothing
    OCR_LOW_CONFIDENCE = "ocr_low_confidence"
    OCR_FAILED = "ocr_failed"  # tesseract crashed or timed out: not the same as "nothing read"
    OCR_WRONG_SCRIPT = "ocr_wrong_script"  # letters of the wrong alphabet: a model misread the stone
    NO_DATE = "no_date"
    UNKNOWN_PLACE = "unknown_place"
    PLACE_CONFLICT = "place_conflict"  # the photo's GPS is far from the place the caption names
    INSCRIPTION_UNREAD = "inscription_unread"  # a headstone whose stone gave no name with a year
    UNPARSED_YEARS = "unparsed_years"  # year-like text on the stone that forms no valid life span
    YEARS_UNCONFIRMED = "years_unconfirmed"  # a headstone's person whose years rest on the caption alone
    IMPLAUSIBLE_YEARS = "implausible_years"  # a life span read on the stone that cannot be true here
    BAD_ENCODING = "bad_encoding"  # caption not UTF-8, decoded by a fallback
    CREDIT_CONFLICT = "credit_conflict"  # the file's own credit or copyright names someone else


class EventType(StrEnum):
    """Event types, named after the PREMIS eventType vocabulary where one fits."""

    INGESTION = "ingestion"
    MESSAGE_DIGEST_CALCULATION = "message digest calculation"
    FIXITY_CHECK = "fixity check"
    FORMAT_IDENTIFICATION = "format identification"
    VALIDATION = "validation"
    METADATA_EXTRACTION = "metadata extraction"
    OCR = "ocr"
    CAPTION = "caption"
    DUPLICATE_DROP = "duplicate drop"
    CREATION = "creation"  # PREMIS "creation": a new object made from the original (the access copies)
    QUARANTINE = "quarantine"
    REVIEW = "review"
    EDIT = "edit"


class Outcome(StrEnum):
    SUCCESS = "success"
    WARNING = "warning"  # done, but with something a reviewer should know
    FAILURE = "failure"


class ReviewStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NOT_NEEDED = "not_needed"


@dataclass
class Source:
    """Where the record came from."""

    filename: str
    """The file's path as dropped, relative to the inbox (POSIX separators)."""
    caption_file: str | None = None
    """The caption's file name relative to the inbox (a `.txt` sidecar or `captions.csv`)."""
    ingested_at: str | None = None
    """When the file was ingested, ISO 8601 UTC (`2026-11-26T16:45:00Z`)."""
    caption_path: str | None = None
    """Where the sidecar caption was filed bit for bit, relative to `archive/`; null if none."""
    caption_sha256: str | None = None
    """SHA-256 of the caption's bytes as dropped (sidecar file or manifest row)."""
    caption_from: str | None = None
    """Where `caption` came from: `sidecar`, `manifest`, `page` (a saved web page:
    `source.page`), `xmp` or `iptc` (written in the file itself: `embedded.sources` names
    the property), or null when there is no caption."""
    page: PageSource | None = None
    """The saved web page the picture was dropped with, and what it says of it; null if none."""


@dataclass
class PageSource:
    """A saved web page ("Save page as... complete") that showed the picture (`source.page`).

    Kept whichever caption won: the page's words for this picture are here even when a
    sidecar or manifest row gave the record's `caption`.
    """

    file: str
    """The page's path as dropped, relative to the inbox (`post.html`)."""
    sha256: str
    """SHA-256 of the page's bytes as dropped."""
    path: str | None = None
    """Where the page was filed bit for bit, relative to `archive/` (`captions/ab/<sha256>.html`)."""
    title: str | None = None
    url: str | None = None
    """The page's address, when the saved page records it (`saved from url=`, `og:url`, canonical link)."""
    published: str | None = None
    """The page's date as it writes it (`article:published_time`, or the first `time datetime`)."""
    caption: str | None = None
    """The page's caption for this picture."""
    caption_from: str | None = None
    """The element it was read from: `figcaption`, `paragraph` (the one after the picture), `alt` or `title`."""
    quote: str | None = None
    """The words the caption quotes (‘...’, "...", «...»): the photo's owner's."""
    quote_by: str | None = None
    """Whom the quote is credited to (`pages.quote_credit`, else `provenance.credit`)."""
    commentary: str | None = None
    """The caption without its quotes: the page author's words."""
    commentary_by: str | None = None
    """Whom the commentary is credited to (`pages.commentary_credit`, else `provenance.commentary`)."""


@dataclass
class FileInfo:
    """Fixity and technical metadata of the original."""

    sha256: str
    """SHA-256 of the bytes as dropped, lowercase hex."""
    bytes: int
    """Size in bytes."""
    path: str | None = None
    """The filed original, relative to `archive/`; null until filed."""
    format: str | None = None
    """Pillow's format name (`JPEG`, `PNG`, `TIFF`, `WEBP`), or null if unidentified."""
    width: int | None = None
    """Stored pixel width (before EXIF orientation is applied), or null."""
    height: int | None = None
    """Stored pixel height, or null."""
    phash: str | None = None
    """64-bit perceptual hash (imagehash.phash) as 16 hex digits, or null."""

    content: builtins.bytes | None = field(default=None, repr=False, metadata={"transient": True})
    """The bytes as dropped, while the per-file stages run: read once by `fixity`, then
    decoded from memory by the stages after it; never stored."""


@dataclass
class ExifInfo:
    """EXIF fields read from the original. Null means the tag is absent."""

    date_taken: str | None = None
    """`YYYY-MM-DDTHH:MM:SS` from DateTimeOriginal, else DateTimeDigitized, else DateTime."""
    make: str | None = None
    model: str | None = None
    artist: str | None = None
    copyright: str | None = None
    description: str | None = None
    """ImageDescription."""
    orientation: int | None = None
    """EXIF orientation 1-8 (6 = stored rotated, display turned 90 degrees clockwise)."""
    gps: dict[str, float] | None = None
    """`{"lat": ..., "lon": ...}` in signed decimal degrees (south and west negative)."""


@dataclass
class EmbeddedInfo:
    """What the file itself says in its XMP packet or IPTC IIM block (null: absent).

    Kept as written even when a sidecar or manifest says otherwise: `caption` here is the
    file's own caption, the record's `caption` the one that won (`source.caption_from`).
    """

    caption: str | None = None
    """XMP `dc:description`, else IPTC 2:120 Caption-Abstract."""
    title: str | None = None
    """XMP `dc:title`, else IPTC 2:05 Object Name."""
    creator: str | None = None
    """XMP `dc:creator` (several joined by `; `), else IPTC 2:80 By-line: the photographer."""
    credit: str | None = None
    """XMP `photoshop:Credit`, else IPTC 2:110 Credit."""
    rights: str | None = None
    """XMP `dc:rights`, else IPTC 2:116 Copyright Notice."""
    date: str | None = None
    """XMP `photoshop:DateCreated`, else IPTC 2:55 Date Created: `1978`, `1978-05` or `1978-05-09`."""
    place: str | None = None
    """Sub-location, city, province/state and country joined by `, ` (XMP
    `Iptc4xmpCore:Location`, `photoshop:City`, `photoshop:State`, `photoshop:Country`,
    else IPTC 2:92, 2:90, 2:95, 2:101)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Field -> what it was read from: `XMP dc:description`, `IPTC 2:120 Caption-Abstract`."""


@dataclass
class OcrWord:
    """One word as tesseract read it, for a reviewer to see which words were doubtful."""

    text: str
    confidence: float
    """Tesseract's word confidence, 0-100."""
    box: tuple[int, int, int, int]
    """left, top, width, height in pixels of the upright image that was read."""


@dataclass
class OcrResult:
    """What tesseract read from the inscription."""

    text: str = ""
    """The inscription as read; "" when nothing was read (or OCR did not run)."""
    confidence: float | None = None
    """Mean word confidence 0-100 over the words read; null when no word was read."""
    languages: list[str] = field(default_factory=list)
    """Tesseract language codes used, e.g. `["rus", "kor", "eng"]`."""
    engine: str | None = None
    """Engine and version, e.g. `tesseract 5.3.0`."""
    rotation: int | None = None
    """Degrees clockwise the upright image was turned before reading (0, 90, 180, 270)."""
    rotation_method: str | None = None
    """What decided the rotation: `exif`, `sweep` (best of four by confidence), `none`."""
    preprocess: list[str] = field(default_factory=list)
    """Preprocessing steps of the candidate kept, in order (e.g. `grayscale`, `clahe`)."""
    psm: int | None = None
    """Tesseract page segmentation mode of the candidate kept."""
    words_path: str | None = None
    """Word-level results (text, confidence, box) as JSON, relative to `archive/`."""
    words: list[OcrWord] = field(default_factory=list, metadata={"transient": True})
    """Word-level results while the record is in the pipeline; filed to `words_path`,
    never stored in the catalog (a few KB per record would bloat it)."""
    passes: list[tuple[str, float]] = field(default_factory=list, metadata={"transient": True})
    """(what tesseract read, seconds) per call while the record is in the pipeline, for the
    run's timing report; not stored."""


@dataclass
class Derivatives:
    """Files made from the original for use outside the archive; the original stays as dropped."""

    access_path: str | None = None
    """The access copy (JPEG, upright, credit and rights embedded), relative to `archive/`;
    null when none was made (quarantined, the stage off, a record older than access copies)."""
    thumbnail_path: str | None = None
    """The thumbnail (JPEG, likewise credited), relative to `archive/`; null when none was made."""
    access_bytes: int | None = None
    """Size of the access copy as filed, in bytes (`verify --fast` compares it); null when
    none was made, or when it was filed before sizes were recorded."""
    thumbnail_bytes: int | None = None
    """Size of the thumbnail as filed, in bytes; null as for `access_bytes`."""
    words_bytes: int | None = None
    """Size of the OCR words file (`ocr.words_path`, also under `derivatives/`) as filed, in
    bytes; null when there is none, or it was filed before sizes were recorded. Kept here
    with the other files made from the original, so `ocr` says only what was read."""
    access_jpeg: bytes | None = field(default=None, metadata={"transient": True})
    """The access copy's bytes while the record is in the pipeline; filed to `access_path`
    by the file stage, never stored in the catalog."""
    thumbnail_jpeg: bytes | None = field(default=None, metadata={"transient": True})
    """The thumbnail's bytes while the record is in the pipeline; filed to `thumbnail_path`."""


class FieldSource(StrEnum):
    """Where one value of a person comes from, and so which check it got."""

    STONE = "stone"  # read on the stone only (not confirmed by the caption)
    CAPTION = "caption"  # the caption only: nothing on the stone confirms it
    BOTH = "both"  # read on the stone and the caption agrees
    REVIEW = "review"  # set by a reviewer, who looked at the photo


@dataclass
class PersonSources:
    """Per-field sources of a person: the truth about which values were checked against what.

    Each is null when the person has no such value. Unlike the entry-level `Person.source`
    (`caption+ocr` says only that both readings went into the entry), these never claim a
    check a value did not get: years filled in from the caption beside a stone that gave
    only the name are `caption`, not `both`.
    """

    name: FieldSource | None = None
    """`both` when the stone's reading of the name agrees with the caption's, fully or as a
    partial read (a letter lost at an end, a word cut short, words worn away)."""
    years: FieldSource | None = None
    """Of the birth and death years and dates together: `both` only when every one was read
    on the stone and the caption gives the same; `stone` when all were read on the stone
    (some without a caption value to compare); `caption` when any rests on the caption alone."""
    rank: FieldSource | None = None
    """`both` when stone and caption give the same rank, else the one that gave it."""

    def describe(self) -> str:
        """`name both, years caption` (the fields that have a source), for people to read."""
        named = (("name", self.name), ("years", self.years), ("rank", self.rank))
        return ", ".join(f"{what} {source}" for what, source in named if source is not None)

    @classmethod
    def all_from(cls, origin: FieldSource, person: Person) -> PersonSources:
        """`origin` for each value `person` has (name, years, rank), null for the others."""
        return cls(
            name=origin if person.name else None,
            years=origin if person.has_years else None,
            rank=origin if person.rank else None,
        )


#: Which per-field source (`PersonSources`) each of a person's fields is counted in.
_SOURCE_OF_PERSON_FIELD = {
    "name": "name",
    "birth_year": "years",
    "death_year": "years",
    "birth_date": "years",
    "death_date": "years",
    "rank": "rank",
}


@dataclass
class Person:
    """A person named on the stone or in the caption."""

    name: str
    """As written (Cyrillic, Hangul or Latin)."""
    name_latin: str | None = None
    birth_year: int | None = None
    death_year: int | None = None
    birth_date: str | None = None
    """`YYYY-MM-DD`, or null."""
    death_date: str | None = None
    rank: str | None = None
    source: str = "caption"
    """`caption`, `ocr`, `review`, or several joined by `+` when they agree: which readings
    went into the entry as a whole. `sources` says what each value rests on."""
    sources: PersonSources = field(default_factory=PersonSources)
    """Per-field sources (`name`, `years`, `rank`); see `PersonSources`."""

    @property
    def has_years(self) -> bool:
        """Whether any birth or death year or date is known."""
        return any(v is not None for v in (self.birth_year, self.death_year, self.birth_date, self.death_date))

    def mark_reviewed(self, field_name: str) -> None:
        """A reviewer set `field_name` (`death_year`, `rank`, ...): its per-field source is now
        `review`, or null once no value is left. `name_latin` is a form of the name, not a
        reading of the stone, so editing it changes no source."""
        part = _SOURCE_OF_PERSON_FIELD.get(field_name)
        if part is None:
            return
        present = self.has_years if part == "years" else getattr(self, part) is not None
        setattr(self.sources, part, FieldSource.REVIEW if present else None)

    def life_span(self, dash: str = "-") -> str:
        """`1884-1949`, `?-1945`, or "" when no year is known (`dash`: `–` for print)."""
        if self.birth_year is None and self.death_year is None:
            return ""
        return f"{self.birth_year or '?'}{dash}{self.death_year or '?'}"


@dataclass
class Place:
    """A site from the gazetteer."""

    name: str
    name_ko: str | None = None
    name_ru: str | None = None
    province: str | None = None
    lat: float | None = None
    lon: float | None = None
    source: str = "caption"
    """What named the place: `manifest`, `caption`, `embedded` (XMP/IPTC location), `ocr`,
    `gps` or `review`."""


@dataclass
class PhotoDate:
    """When the photo was taken."""

    value: str
    """`1945-08-15`, `1978-05`, `1978` or `197x`."""
    precision: str
    """`day`, `month`, `year` or `decade`."""
    source: str
    """`manifest`, `caption`, `embedded` (XMP/IPTC date created), `exif` or `review`."""


@dataclass
class Provenance:
    credit: str
    rights: str
    source: str
    commentary: str | None = None
    embedded_credit: str | None = None
    """The credit written in the file (`embedded.credit`), kept beside `credit`, never over
    it; `credit_conflict` is raised when they name different owners."""
    embedded_rights: str | None = None
    """The copyright notice written in the file (`embedded.rights`), likewise."""


@dataclass
class Flag:
    code: FlagCode
    detail: str
    """Exactly what was found, in a sentence."""


@dataclass
class Event:
    """A PREMIS-style event: what happened to the record, by whom, with what outcome."""

    type: EventType
    at: str
    """ISO 8601 UTC."""
    agent: str
    """Software and version (`archive-ingest 0.1.0; tesseract 5.3.0`) or a person's name."""
    outcome: Outcome
    detail: str = ""
    field: str | None = None
    """For an edit: the field changed (`place`, `person.1.death_year`, ...)."""
    old: Any = None
    """For an edit: the value before, in its JSON form (machine-read values stay here)."""
    new: Any = None
    """For an edit: the value after, in its JSON form."""


class LinkType(StrEnum):
    NEAR_DUPLICATE_OF = "near_duplicate_of"  # raised by the pipeline, waiting for a decision
    MERGED_INTO = "merged_into"  # a reviewer said: the same photo as the linked record
    MERGED_FROM = "merged_from"
    DISTINCT_FROM = "distinct_from"  # a reviewer said: similar, but a different photo


@dataclass
class Link:
    """A relation to another record."""

    type: LinkType
    id: str


@dataclass
class Review:
    status: ReviewStatus = ReviewStatus.NOT_NEEDED
    by: str | None = None
    at: str | None = None
    note: str | None = None


@dataclass
class Record:
    """One catalog record: one original file and everything known about it."""

    id: str
    kind: Kind
    source: Source
    file: FileInfo
    caption: str | None = None
    exif: ExifInfo = field(default_factory=ExifInfo)
    embedded: EmbeddedInfo = field(default_factory=EmbeddedInfo)
    ocr: OcrResult = field(default_factory=OcrResult)
    persons: list[Person] = field(default_factory=list)
    place: Place | None = None
    date: PhotoDate | None = None
    provenance: Provenance | None = None
    flags: list[Flag] = field(default_factory=list)
    review: Review = field(default_factory=Review)
    events: list[Event] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    derivatives: Derivatives = field(default_factory=Derivatives)

    # -- helpers used by stages ----------------------------------------------------
    def add_flag(self, code: FlagCode, detail: str) -> None:
        """Raise a flag once per code; a second raise of the same code adds its detail."""
        for existing in self.flags:
            if existing.code == code:
                if detail not in existing.detail:
                    existing.detail = f"{existing.detail}; {detail}"
                return
        self.flags.append(Flag(code, detail))

    def has_flag(self, code: FlagCode) -> bool:
        return any(flag.code == code for flag in self.flags)

    def add_event(
        self,
        type: EventType,
        at: str,
        agent: str,
        outcome: Outcome,
        detail: str = "",
        *,
        field: str | None = None,
        old: Any = None,
        new: Any = None,
    ) -> None:
        """Append an event; `field`, `old` and `new` (JSON values) say what an edit changed."""
        self.events.append(Event(type, at, agent, outcome, detail, field, old, new))

    def remove_flag(self, code: FlagCode) -> Flag | None:
        """Take a flag off (its check no longer applies); returns it, or None if not raised."""
        for index, existing in enumerate(self.flags):
            if existing.code == code:
                return self.flags.pop(index)
        return None

    def linked(self, type: LinkType) -> list[str]:
        """Ids of the records linked to this one by `type`."""
        return [link.id for link in self.links if link.type == type]

    @property
    def quarantined(self) -> bool:
        return self.kind == Kind.QUARANTINED

    # -- JSON form -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The record contract's JSON object (plain str/int/float/list/dict/None)."""
        data = asdict(self)
        # Transient fields (metadata "transient"): in the pipeline only, never in the catalog.
        for part in fields(self):
            kind: type = type(getattr(self, part.name))
            if is_dataclass(kind):
                for name in _transient_names(kind):
                    data[part.name].pop(name, None)
        # StrEnum values are str subclasses; make them plain strings so every JSON
        # encoder (and TinyDB's) sees ordinary values.
        plain: dict[str, Any] = _plain(data)
        return plain

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """Build a Record from its JSON object; unknown keys are ignored (forward compatible)."""
        return cls(
            id=data["id"],
            kind=Kind(data["kind"]),
            source=_source_from_json(data["source"]),
            file=_build(FileInfo, _persistent(FileInfo, data["file"])),
            caption=data.get("caption"),
            exif=_build(ExifInfo, data.get("exif") or {}),
            embedded=_build(EmbeddedInfo, data.get("embedded") or {}),
            ocr=_build(OcrResult, data.get("ocr") or {}),
            persons=_persons_from_json(data.get("persons") or [], data.get("events") or []),
            place=_build(Place, data["place"]) if data.get("place") else None,
            date=_build(PhotoDate, data["date"]) if data.get("date") else None,
            provenance=_build(Provenance, data["provenance"]) if data.get("provenance") else None,
            flags=[Flag(FlagCode(f["code"]), f["detail"]) for f in data.get("flags") or []],
            review=_review_from_json(data.get("review") or {}),
            events=[
                Event(
                    EventType(e["type"]),
                    e["at"],
                    e["agent"],
                    Outcome(e["outcome"]),
                    e.get("detail", ""),
                    e.get("field"),
                    e.get("old"),
                    e.get("new"),
                )
                for e in data.get("events") or []
            ],
            links=[Link(LinkType(link["type"]), link["id"]) for link in data.get("links") or []],
            derivatives=_build(Derivatives, _persistent(Derivatives, data.get("derivatives") or {})),
        )


def part_to_json(part: Any) -> Any:
    """The JSON form of one part of a record (a Place, a PhotoDate, a Review...), for events."""
    return _plain(asdict(part)) if part is not None else None


_EDITED_PERSON = re.compile(r"^person\.(\d+)\.(\w+)$")


def _persons_from_json(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[Person]:
    """The persons of a stored record; those stored before per-field sources get them derived."""
    built: list[Person] = []
    for data in persons:
        person: Person = _build(Person, {key: value for key, value in data.items() if key != "sources"})
        if "sources" in data:
            stored = data["sources"] or {}
            person.sources = PersonSources(
                *(FieldSource(stored[name]) if stored.get(name) else None for name in ("name", "years", "rank"))
            )
        else:
            person.sources = _derived_sources(person)
        built.append(person)
    # A stored `+review` does not say which value the reviewer set; the edit events do.
    for event in events:
        match = _EDITED_PERSON.match(event.get("field") or "")
        if event.get("type") != EventType.EDIT or match is None:
            continue
        number = int(match.group(1))
        if 1 <= number <= len(built) and "sources" not in persons[number - 1]:
            built[number - 1].mark_reviewed(match.group(2))
    return built


def _derived_sources(person: Person) -> PersonSources:
    """Per-field sources implied by the entry-level `source` alone, conservatively.

    For records stored before per-field sources existed. The old merge paired names only
    when they agreed, so a `caption+ocr` name is `both`; but it filled years, dates and
    rank from the caption wherever the stone had none without saying which, so on such an
    entry they are `caption`: a value is never credited with a check it may not have had.
    `ocr` alone gives `stone`, `caption` alone `caption`, `review` alone `review`.
    """
    parts = set(person.source.split("+"))
    stone, caption = "ocr" in parts, "caption" in parts
    single = FieldSource.CAPTION if caption else FieldSource.STONE if stone else FieldSource.REVIEW
    sources = PersonSources.all_from(single, person)
    if stone and caption and person.name:
        sources.name = FieldSource.BOTH
    return sources


def _review_from_json(data: dict[str, Any]) -> Review:
    review: Review = _build(Review, data)
    review.status = ReviewStatus(review.status)
    return review


@cache
def _transient_names(cls: Any) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls) if f.metadata.get("transient"))


def _persistent(cls: Any, data: dict[str, Any]) -> dict[str, Any]:
    """`data` without the keys of `cls`'s transient fields: they are never read from JSON."""
    transient = _transient_names(cls)
    return {key: value for key, value in data.items() if key not in transient}


def _source_from_json(data: dict[str, Any]) -> Source:
    source: Source = _build(Source, data)
    if isinstance(data.get("page"), dict):
        source.page = _build(PageSource, data["page"])
    return source


def _build(cls: Any, data: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    return cls(**{key: value for key, value in data.items() if key in known})


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, StrEnum):
        return str(value.value)
    return value
