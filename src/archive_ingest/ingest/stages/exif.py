"""EXIF stage: date taken, camera, author, orientation and GPS, read with exifread.

This module owns everything exifread (STYLE 3, 9): it is the only one that imports it, it
turns the library's `"EXIF DateTimeOriginal"` keys and `IfdTag` values into an `ExifInfo`,
and it turns the library's failures on broken files into data (`ExifReading.status ==
"error"`), so that no file can crash or hang a batch.

What exifread does with hostile input (exifread 3.5.1, found by reading its source and by
fuzzing the files in `exif_samples/`):

- For "no EXIF" and for EXIF it cannot locate it returns `{}` (status "none") and logs
  a warning ("File format not recognized.") on the `exifread` logger.
- Otherwise it raises, from deep inside its parsers (all seen when fuzzing): `IndexError`
  (an empty ExifOffset, a JPEG cut short), and from its HEIC/AVIF/JXL box reader
  `KeyError`, `EOFError`, `AssertionError`, `NotImplementedError` (a box of size 0),
  `UnicodeDecodeError` (a `ValueError`), its own `ExifError` subclasses (`BadSize`,
  `BoxVersion`) and `OverflowError` (a 64-bit box size sought on a memory buffer; a
  real file gives `ValueError`). Also caught, from reading its source: `TypeError` (a
  sub-IFD pointer of the wrong type; exif-py's test files are named after past ones),
  `struct.error` (its unpacking of file bytes) and `OSError` (the disk failing mid-read).
  Not caught, because they cannot happen here: `ZeroDivisionError` (its `Ratio` keeps a
  zero denominator instead of dividing), `RecursionError` (sub-IFDs nest one level deep
  and IFD chains are checked for loops), `MemoryError` (reads are clamped, see below).
- A box whose 64-bit size is 0 sends its HEIC reader round the same box forever, and an
  IFD chain with 65535-entry directories makes it read for minutes. `read_exif` therefore
  gives exifread a file object that refuses to read past a budget (`_MAX_READS`), and
  clamps every read to the bytes that exist, so a forged length cannot make it allocate
  gigabytes.
- It returns `{}` for two kinds of files that do have EXIF, and exiftool reads both: a
  JPEG whose Exif segment starts after the first ~4 KB (behind a large XMP or ICC
  segment), and a WebP whose EXIF chunk holds the bare TIFF block the WebP spec asks for
  (Pillow writes those; exifread expects an "Exif\\0\\0" prefix). When it returns `{}`
  for a JPEG or WebP, `read_exif` finds the TIFF block itself and hands exifread just that.

exifread's log messages are captured while it runs (never printed) and end up in the
reading's `detail`; they are also logged at DEBUG on this module's logger.

exifread stays the first reader. A second one steps in, field by field (issue 16, held
against exiftool 12.57 on the 111 files of `exif_samples/`, see benchmarks/README.md):

- **Pillow's EXIF** (`Image.Exif`: IFD0, the Exif IFD, the GPS IFD) when exifread finds
  no tags or raises: e.g. an Exif sub-IFD pointer of count 0 makes exifread raise
  `IndexError` and lose IFD0 with it, while Pillow still reads IFD0 and GPS. The reading
  then says `reader == "Pillow"` and why in `detail` ("exifread found none", "exifread
  failed: ...").
- **XMP** (`exif:DateTimeOriginal`, `exif:DateTimeDigitized`, `tiff:Orientation`, read
  from the packet Pillow finds, parsed with the standard library's ElementTree on expat
  2.4+, which refuses entity bombs) for the fields EXIF lacks: a photo edited in Photoshop
  can keep its date taken only in XMP, its EXIF holding only IFD0 `DateTime`, the time
  it was saved (`jpg/tests/30-type_error.jpg`: EXIF DateTime 2013-07-07 17:20:59, XMP
  DateTimeOriginal 2013-07-05 03:18:27, which is what exiftool reports). The XMP date
  therefore ranks above DateTimeDigitized and DateTime of EXIF, below EXIF's own
  DateTimeOriginal; the XMP orientation is used only when EXIF has none (as exiftool and
  Pillow's `exif_transpose` do). Fields so found are named in `from_xmp`.

Pillow is opened only when something is missing: exifread found nothing, or its tags
have no DateTimeOriginal/DateTimeDigitized or no Orientation.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import struct
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from fractions import Fraction
from numbers import Rational
from pathlib import Path
from typing import Any, Literal, TypeVar

import exifread
from exifread.core.exceptions import ExifError
from exifread.core.ifd_tag import IfdTag
from PIL import ExifTags, Image

from ...images import DECODE_ERRORS
from ...record import EventType, ExifInfo, Outcome, Record
from ..context import RunContext
from . import embedded
from .embedded import xmp_root

log = logging.getLogger(__name__)

_T = TypeVar("_T")

ExifStatus = Literal["ok", "none", "error"]

#: exifread reads a value at a time; the most any file in exif_samples/ needs is about
#: 1,000 reads, and a many-page TIFF with long strip tables some 100,000. Far past that it
#: is going round in circles (a looping file reaches this budget in well under a second).
_MAX_READS = 500_000

#: At most this many distinct exifread messages go into a detail line.
_MAX_MESSAGES = 3

# Where each field is looked for, first match wins. DateTimeOriginal belongs in the Exif
# IFD and Make/Model in IFD0, but some writers put them in the other one (the JPEG XL
# sample keeps Make and Model in the Exif IFD), and exiftool reads them from either.
_DATE_SOURCES = (
    "EXIF DateTimeOriginal",
    "Image DateTimeOriginal",
    "EXIF DateTimeDigitized",
    "Image DateTimeDigitized",
    "Image DateTime",
    "EXIF DateTime",
)

# "2013:01:09 11:50:11", also with '-' in the date or 'T' between; anything after the
# seconds (sub-seconds, a zone) is ignored. Blank or zeroed dates fail the calendar check.
_DATE_RE = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")

# What exifread raises on broken data (see the module docstring); nothing broader.
_EXIFREAD_ERRORS: tuple[type[Exception], ...] = (
    ExifError,
    ValueError,  # includes UnicodeDecodeError from the HEIC box reader
    KeyError,
    IndexError,
    TypeError,
    EOFError,
    AssertionError,
    NotImplementedError,
    OverflowError,
    struct.error,
    OSError,  # the disk failing mid-read, or a seek the OS refuses
)


ExifReader = Literal["exifread", "Pillow", "XMP"]

#: Fields that may come from XMP when EXIF lacks them, and the XMP properties read for them.
_EXIF_NS = "{http://ns.adobe.com/exif/1.0/}"
_TIFF_NS = "{http://ns.adobe.com/tiff/1.0/}"
_XMP_PROPERTIES = (
    _EXIF_NS + "DateTimeOriginal",
    _EXIF_NS + "DateTimeDigitized",
    _TIFF_NS + "Orientation",
)
#: What Pillow's EXIF parser lets through on broken data, besides DECODE_ERRORS.
_PILLOW_EXIF_ERRORS: tuple[type[Exception], ...] = (*DECODE_ERRORS, KeyError, IndexError, TypeError)


@dataclass(frozen=True)
class ExifReading:
    """What `read_exif` found in one file."""

    info: ExifInfo
    """The fields read; all null unless `status` is "ok"."""
    status: ExifStatus
    """"ok": tags were read; "none": the file has no EXIF (normal for photos republished
    online; exifread also says this when it cannot find a valid EXIF block); "error":
    exifread raised, or the file could not be opened or read (and Pillow found no EXIF either)."""
    detail: str
    """One line: for "error" the reason; for reader "Pillow" or "XMP" why exifread did not
    serve ("exifread found none", "exifread failed: ..."); otherwise exifread's warnings, or ""."""
    reader: ExifReader = "exifread"
    """Who read the EXIF: exifread; Pillow when exifread found none or failed; "XMP" when
    neither found an EXIF block and the fields come from the XMP packet alone."""
    from_xmp: tuple[str, ...] = ()
    """Fields of `info` taken from XMP because EXIF lacked them."""


def read_exif(path: Path, content: bytes | None = None, *, fallback: bool = True) -> ExifReading:
    """Read the catalogued EXIF fields of the file at `path`. Never raises for bad data.

    Args:
        path: The image file (named in messages).
        content: Its bytes, when already read (then the file is not opened again).
        fallback: False reads with exifread alone, as before issue 16 (the benchmark's
            "before" column); True lets Pillow and XMP fill in (see the module docstring).

    Returns:
        An `ExifReading`; a file that cannot be opened or that exifread cannot parse gives
        status "error" with the reason in `detail`, unless Pillow reads its EXIF.
    """
    try:
        handle: _Handle = _GuardedReader.open(path) if content is None else _GuardedBytes(content)
    except OSError as exc:
        return ExifReading(ExifInfo(), "error", f"cannot open file: {exc.strerror or _describe(exc)}")
    failure: str | None = None
    tags: dict[str, Any] = {}
    with handle, _captured_exifread_messages(path) as messages:
        try:
            tags = exifread.process_file(handle, details=False, extract_thumbnail=False)
            if not tags:
                # See the module docstring: EXIF that exifread misses in a JPEG or WebP.
                tiff_block = _embedded_tiff_block(handle)
                if tiff_block is not None:
                    tiff = _GuardedBytes(tiff_block)
                    tags = exifread.process_file(tiff, details=False, extract_thumbnail=False)
        except _ReadBudgetExceeded as exc:
            failure = str(exc)
        except _EXIFREAD_ERRORS as exc:
            failure = f"exifread failed: {_describe(exc)}"
    values = {key: tag.values for key, tag in (tags or {}).items() if isinstance(tag, IfdTag)}
    notes = _summarise(messages)
    if failure is not None:
        unread = ExifReading(ExifInfo(), "error", failure)
    else:
        unread = ExifReading(ExifInfo(), "none", notes or "no EXIF found")
    if not fallback:
        return ExifReading(_exif_info(values)[0], "ok", notes) if values else unread
    reader: ExifReader = "exifread"
    xmp: dict[str, str] = {}
    if not values or _lacks_what_xmp_may_give(values):
        pillow_values, xmp = _read_with_pillow(path, content)
        if not values and pillow_values:
            values, reader = pillow_values, "Pillow"
    info, from_xmp = _exif_info(values, xmp)
    if not values and not from_xmp:
        return unread
    if reader == "exifread" and not values:
        reader = "XMP"
    if reader != "exifread":
        notes = unread.detail if failure is not None else "exifread found none"
    return ExifReading(info, "ok", notes, reader, from_xmp)


def run(record: Record, ctx: RunContext) -> Record:
    """Read the original's EXIF into `record.exif` and log one metadata-extraction event;
    then its XMP and IPTC captions and credits (`embedded.apply`).

    "No EXIF" is a success (most photos republished online have none); an unreadable EXIF
    block is a warning, and the batch goes on either way. The event names the reader when
    it is not exifread ("EXIF read by Pillow (exifread found none): ...") and the fields
    taken from XMP.
    """
    reading = read_exif(ctx.inbox / record.source.filename, record.file.content)
    record.exif = reading.info
    if reading.status == "ok":
        outcome = Outcome.SUCCESS
        found = [f.name for f in fields(ExifInfo) if getattr(reading.info, f.name) is not None]
        listed = ", ".join(found) if found else "none of the catalogued fields"
        if reading.reader == "Pillow":
            detail = f"EXIF read by Pillow ({reading.detail}): {listed}"
        elif reading.reader == "XMP":
            detail = f"EXIF read from XMP alone ({reading.detail}, nor Pillow): {listed}"
        else:
            detail = f"EXIF: {listed}"
            if reading.detail:
                detail += f" (exifread: {reading.detail})"
        if reading.from_xmp and reading.reader != "XMP":
            detail += f"; from XMP: {', '.join(reading.from_xmp)}"
    elif reading.status == "none":
        outcome, detail = Outcome.SUCCESS, "no EXIF in file"
    else:
        outcome, detail = Outcome.WARNING, f"EXIF unreadable: {reading.detail}"
    record.add_event(EventType.METADATA_EXTRACTION, ctx.timestamp(), ctx.agent(), outcome, detail)
    # The captions, credits, dates and places written in XMP and IPTC (issue 16, item 1).
    embedded.apply(record, ctx)
    return record


# -- tags (exifread's or Pillow's, by exifread's names) -> ExifInfo ---------------------------


def _lacks_what_xmp_may_give(values: dict[str, Any]) -> bool:
    """No EXIF date of capture (original or digitized), or no orientation."""
    dated = any(_date(values.get(key)) for key in _DATE_SOURCES[:4])
    oriented = any(_orientation(values.get(f"{ifd} Orientation")) for ifd in ("Image", "EXIF"))
    return not (dated and oriented)


def _exif_info(values: dict[str, Any], xmp: dict[str, str] | None = None) -> tuple[ExifInfo, tuple[str, ...]]:
    """The fields from tag values keyed by exifread's names, XMP filling in; the XMP fields."""
    xmp = xmp or {}

    def text(name: str) -> str | None:
        return _first(_text(values.get(f"{ifd} {name}")) for ifd in ("Image", "EXIF"))

    from_xmp: list[str] = []
    # EXIF's DateTimeOriginal, XMP's, EXIF's DateTimeDigitized, XMP's, EXIF's DateTime (the
    # time the file was last saved): see the module docstring.
    candidates = (
        (_DATE_SOURCES[0:2], None),
        ((), "DateTimeOriginal"),
        (_DATE_SOURCES[2:4], None),
        ((), "DateTimeDigitized"),
        (_DATE_SOURCES[4:], None),
    )
    date_taken: str | None = None
    for keys, xmp_name in candidates:
        if xmp_name is not None:
            date_taken = _date(xmp.get(_EXIF_NS + xmp_name))
            if date_taken is not None:
                from_xmp.append("date_taken")
        else:
            date_taken = _first(_date(values.get(key)) for key in keys)
        if date_taken is not None:
            break
    orientation = _first(_orientation(values.get(f"{ifd} Orientation")) for ifd in ("Image", "EXIF"))
    if orientation is None:
        orientation = _orientation(_xmp_int(xmp.get(_TIFF_NS + "Orientation")))
        if orientation is not None:
            from_xmp.append("orientation")
    info = ExifInfo(
        date_taken=date_taken,
        make=text("Make"),
        model=text("Model"),
        artist=text("Artist"),
        copyright=text("Copyright"),
        description=text("ImageDescription"),
        orientation=orientation,
        gps=_gps(values),
    )
    return info, tuple(from_xmp)


def _first(values: Iterable[_T | None]) -> _T | None:
    """The first value that is not None (later ones are not computed)."""
    return next((value for value in values if value is not None), None)


def _text(values: object) -> str | None:
    """A string tag's value, stripped; None when absent, blank or not text."""
    if isinstance(values, (list, tuple)) and values and all(isinstance(v, int) and 0 <= v < 256 for v in values):
        # A string written with type BYTE/UNDEFINED: exiftool reads those as text too.
        values = bytes(values).split(b"\x00", 1)[0]
    if isinstance(values, bytes):
        # exifread hands back the raw bytes when they are not UTF-8.
        values = values.decode("utf-8", errors="replace")
    if not isinstance(values, str):
        return None
    text = values.replace("\x00", "").strip()
    return text or None


def _date(values: object) -> str | None:
    """`YYYY-MM-DDTHH:MM:SS` from an EXIF or XMP date; None when blank or not a real date."""
    text = _text(values)
    if text is None:
        return None
    match = _DATE_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00", month 13, ...
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _orientation(values: object) -> int | None:
    """EXIF orientation 1-8 from the tag's number (exifread: a list; Pillow: an int)."""
    if isinstance(values, (list, tuple)):
        values = values[0] if values else None
    if isinstance(values, int) and not isinstance(values, bool) and 1 <= values <= 8:
        return values
    return None


def _xmp_int(text: str | None) -> int | None:
    return int(text.strip()) if text is not None and text.strip().isdigit() and len(text.strip()) < 4 else None


def _gps(values: dict[str, Any]) -> dict[str, float] | None:
    latitude = _coordinate(values.get("GPS GPSLatitude"), values.get("GPS GPSLatitudeRef"), "N", "S", 90)
    longitude = _coordinate(values.get("GPS GPSLongitude"), values.get("GPS GPSLongitudeRef"), "E", "W", 180)
    if latitude is None or longitude is None:
        return None
    if latitude == 0 and longitude == 0:
        # Exactly 0,0 is what receivers without a fix write, not a place in this archive.
        return None
    return {"lat": latitude, "lon": longitude}


def _coordinate(parts: object, ref_values: object, positive: str, negative: str, limit: int) -> float | None:
    """Signed decimal degrees from degrees/minutes/seconds rationals and an N/S or E/W ref.

    A missing or unknown ref gives None: exiftool only signs a coordinate (its Composite
    GPSLatitude/GPSLongitude) when the ref tag is there, so neither do we guess one.
    """
    ref = _text(ref_values)
    if ref is None or ref[0].upper() not in (positive, negative):
        return None
    if not isinstance(parts, (list, tuple)) or not 1 <= len(parts) <= 3:
        return None
    degrees = Fraction(0)
    for part, scale in zip(parts, (1, 60, 3600), strict=False):
        number = _number(part)
        if number is None or number < 0:
            return None
        degrees += number / scale
    if degrees > limit:
        return None
    return -float(degrees) if ref[0].upper() == negative else float(degrees)


def _number(value: object) -> Fraction | None:
    """An exact number from an exifread or Pillow rational, integer or float; None if invalid."""
    if isinstance(value, tuple) and len(value) == 1:  # exifread: FLOAT/DOUBLE fields as 1-tuples
        value = value[0]
    if isinstance(value, bool):
        return None
    if isinstance(value, Rational):
        # exifread's Ratio and Pillow's IFDRational keep a zero denominator: "unknown".
        if value.denominator == 0:
            return None
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(value)
    return None


# -- the second reader: Pillow's EXIF and the XMP packet ------------------------------------------

#: Pillow's tag numbers -> exifread's key prefix, per IFD.
_PILLOW_IFDS = (("EXIF", ExifTags.IFD.Exif, ExifTags.TAGS), ("GPS", ExifTags.IFD.GPSInfo, ExifTags.GPSTAGS))


def _read_with_pillow(path: Path, content: bytes | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Pillow's EXIF tag values keyed by exifread's names ({} if none), and the XMP properties.

    Pillow's warnings about the file are not repeated here: the identify stage, which
    opens the same file, records them.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(content) if content is not None else path) as image:
                return _pillow_exif(image), _xmp_properties(image)
        except _PILLOW_EXIF_ERRORS:
            return {}, {}


def _pillow_exif(image: Image.Image) -> dict[str, Any]:
    raw = image.info.get("exif")
    try:
        if isinstance(raw, bytes):
            # The EXIF block itself: Image.getexif() would add XMP's orientation to IFD0.
            exif = Image.Exif()
            exif.load(raw)
        elif image.format == "TIFF":
            exif = image.getexif()  # a TIFF's own IFD0
        else:
            return {}
        values = {f"Image {ExifTags.TAGS.get(tag, tag)}": value for tag, value in exif.items()}
        original = image.info.get("original_orientation")
        if image.format == "HEIF" and isinstance(original, int):
            # pillow-heif hands Pillow orientation 1 (libheif turns the pixels itself) and
            # keeps the file's own here: the record states the file's EXIF, as exiftool does.
            values["Image Orientation"] = original
    except _PILLOW_EXIF_ERRORS:
        return {}
    for prefix, ifd, names in _PILLOW_IFDS:
        try:
            values.update({f"{prefix} {names.get(tag, tag)}": value for tag, value in exif.get_ifd(ifd).items()})
        except _PILLOW_EXIF_ERRORS:
            continue  # this IFD is broken; keep the others
    for key, value in values.items():
        if isinstance(value, str):
            # Pillow decodes ASCII tags as Latin-1; exifread and exiftool as UTF-8.
            values[key] = value.encode("latin-1", errors="replace")
    return values


def _xmp_properties(image: Image.Image) -> dict[str, str]:
    """The XMP properties of `_XMP_PROPERTIES` found in the image's packet (first of each)."""
    root = xmp_root(image)
    if root is None:
        return {}
    found: dict[str, str] = {}
    for element in root.iter():
        for name in _XMP_PROPERTIES:
            if name in found:
                continue
            if name in element.attrib:  # rdf:Description exif:DateTimeOriginal="..."
                found[name] = element.attrib[name]
            elif element.tag == name and element.text and element.text.strip():
                found[name] = element.text
    return found


# -- guarding exifread -----------------------------------------------------------------------


class _ReadBudgetExceeded(Exception):
    """exifread kept reading long after any real file would be done: a parser loop."""


class _ReadBudget:
    def __init__(self) -> None:
        self.reads_left = _MAX_READS

    def spend(self) -> None:
        self.reads_left -= 1
        if self.reads_left < 0:
            raise _ReadBudgetExceeded(
                f"exifread gave up after {_MAX_READS:,} reads (malformed file sends it in circles)"
            )


class _GuardedReader(io.BufferedReader):
    """A file exifread may read only so often, and never past its end."""

    def __init__(self, raw: io.FileIO) -> None:
        super().__init__(raw)
        self._size = os.fstat(raw.fileno()).st_size
        self._budget = _ReadBudget()

    @classmethod
    def open(cls, path: Path) -> _GuardedReader:
        """Open `path` for exifread.

        Raises:
            OSError: The file cannot be opened (missing, a folder, no permission).
        """
        raw = io.FileIO(path, "r")
        try:
            return cls(raw)
        except OSError:
            raw.close()
            raise

    def read(self, size: int | None = -1, /) -> bytes:
        self._budget.spend()
        remaining = max(self._size - self.tell(), 0)
        # A forged length would make BufferedReader allocate it in full before reading.
        return super().read(remaining if size is None or size < 0 else min(size, remaining))


class _GuardedBytes(io.BytesIO):
    """Bytes exifread may read only so often (BytesIO never over-allocates)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self._budget = _ReadBudget()

    def read(self, size: int | None = -1, /) -> bytes:
        self._budget.spend()
        return super().read(size)


#: What exifread reads: the file, or its bytes already in memory.
_Handle = _GuardedReader | _GuardedBytes

#: JPEG markers that stand alone, without a length: TEM, RST0-7.
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
_START_OF_SCAN, _END_OF_IMAGE, _APP1 = 0xDA, 0xD9, 0xE1
#: Walk at most this many JPEG segments or RIFF chunks before giving up.
_MAX_BLOCKS = 1000
_EXIF_PREFIX = b"Exif\x00\x00"
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")


def _embedded_tiff_block(handle: _Handle) -> bytes | None:
    """The EXIF TIFF block (from its `II*\\0`/`MM\\0*` header on) of a JPEG or WebP, or None."""
    handle.seek(0)
    start = handle.read(12)
    if start[:2] == b"\xff\xd8":
        block = _jpeg_exif_payload(handle)
    elif start[:4] == b"RIFF" and start[8:12] == b"WEBP":
        block = _webp_exif_payload(handle)
    else:
        return None
    if block is not None and block.startswith(_EXIF_PREFIX):
        block = block[len(_EXIF_PREFIX) :]
    if block is None or not block.startswith(_TIFF_HEADERS):
        return None
    return block


def _jpeg_exif_payload(handle: _Handle) -> bytes | None:
    """The payload of a JPEG's APP1 "Exif" segment, walking every segment as exiftool does."""
    position = 2
    for _ in range(_MAX_BLOCKS):
        handle.seek(position)
        header = handle.read(4)
        if len(header) < 2 or header[0] != 0xFF:
            return None
        marker = header[1]
        if marker == 0xFF:  # a fill byte before the marker
            position += 1
            continue
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        if marker in (_START_OF_SCAN, _END_OF_IMAGE) or len(header) < 4:
            return None
        length = int.from_bytes(header[2:4], "big")
        if length < 2:
            return None
        if marker == _APP1:
            payload = handle.read(length - 2)
            if payload.startswith(_EXIF_PREFIX):
                return payload
        position += 2 + length
    return None


def _webp_exif_payload(handle: _Handle) -> bytes | None:
    """The payload of a WebP's "EXIF" chunk."""
    position = 12
    for _ in range(_MAX_BLOCKS):
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            return None
        size = int.from_bytes(header[4:8], "little")
        if header[:4] == b"EXIF":
            return handle.read(size)
        position += 8 + size + (size & 1)  # chunks are padded to an even length
    return None


class _MessageCapture(logging.Filter):
    """Takes exifread's records from this thread off the logger, keeping warnings' text."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._thread = threading.get_ident()
        self._name = path.name
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self._thread:
            return True
        if record.levelno >= logging.WARNING:
            message = record.getMessage()
            self.messages.append(message)
            log.debug("exifread on %s: %s", self._name, message)
        return False  # a logger filter that says no stops the record before any handler


@contextmanager
def _captured_exifread_messages(path: Path) -> Iterator[list[str]]:
    """Keep exifread's log records out of the user's terminal while it reads `path`.

    Only the `exifread` logger is touched, and only for the length of the call.
    """
    exifread_logger = logging.getLogger("exifread")
    capture = _MessageCapture(path)
    exifread_logger.addFilter(capture)
    try:
        yield capture.messages
    finally:
        exifread_logger.removeFilter(capture)


def _summarise(messages: list[str]) -> str:
    unique = list(dict.fromkeys(" ".join(message.split()) for message in messages))
    summary = "; ".join(unique[:_MAX_MESSAGES])
    if len(unique) > _MAX_MESSAGES:
        summary += f" (+{len(unique) - _MAX_MESSAGES} more)"
    return summary


# exifread raises these bare; say what they mean there.
_EMPTY_MESSAGES: dict[type[BaseException], str] = {
    EOFError: "unexpected end of file",
    AssertionError: "malformed HEIC/AVIF/JXL structure",
    NotImplementedError: "HEIC/AVIF box of size 0",
}


def _describe(exc: BaseException) -> str:
    """One line naming an exception: its type and, when it has one, its message."""
    message = " ".join(str(exc).split())
    if not message:
        message = _EMPTY_MESSAGES.get(type(exc), "")
    name = type(exc).__name__
    text = f"{name}: {message}" if message else name
    return text if len(text) <= 200 else text[:197] + "..."
