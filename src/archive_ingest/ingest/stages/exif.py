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
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import struct
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, TypeVar

import exifread
from exifread.core.exceptions import ExifError
from exifread.core.ifd_tag import IfdTag

from ...record import EventType, ExifInfo, Outcome, Record
from ..context import RunContext

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


@dataclass(frozen=True)
class ExifReading:
    """What `read_exif` found in one file."""

    info: ExifInfo
    """The fields read; all null unless `status` is "ok"."""
    status: ExifStatus
    """"ok": tags were read; "none": the file has no EXIF (normal for photos republished
    online; exifread also says this when it cannot find a valid EXIF block); "error":
    exifread raised, or the file could not be opened or read."""
    detail: str
    """One line: for "error" the reason; otherwise exifread's warnings, or ""."""


def read_exif(path: Path, content: bytes | None = None) -> ExifReading:
    """Read the catalogued EXIF fields of the file at `path`. Never raises for bad data.

    Args:
        path: The image file (named in messages).
        content: Its bytes, when already read (then the file is not opened again).

    Returns:
        An `ExifReading`; a file that cannot be opened or that exifread cannot parse gives
        status "error" with the reason in `detail`.
    """
    try:
        handle: _Handle = _GuardedReader.open(path) if content is None else _GuardedBytes(content)
    except OSError as exc:
        return ExifReading(ExifInfo(), "error", f"cannot open file: {exc.strerror or _describe(exc)}")
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
            return ExifReading(ExifInfo(), "error", str(exc))
        except _EXIFREAD_ERRORS as exc:
            return ExifReading(ExifInfo(), "error", f"exifread failed: {_describe(exc)}")
    notes = _summarise(messages)
    if not tags:
        return ExifReading(ExifInfo(), "none", notes or "no EXIF found")
    return ExifReading(_exif_info(tags), "ok", notes)


def run(record: Record, ctx: RunContext) -> Record:
    """Read the original's EXIF into `record.exif` and log one metadata-extraction event.

    "No EXIF" is a success (most photos republished online have none); an unreadable EXIF
    block is a warning, and the batch goes on either way.
    """
    reading = read_exif(ctx.inbox / record.source.filename, record.file.content)
    record.exif = reading.info
    if reading.status == "ok":
        outcome = Outcome.SUCCESS
        found = [f.name for f in fields(ExifInfo) if getattr(reading.info, f.name) is not None]
        detail = "EXIF: " + (", ".join(found) if found else "none of the catalogued fields")
        if reading.detail:
            detail += f" (exifread: {reading.detail})"
    elif reading.status == "none":
        outcome, detail = Outcome.SUCCESS, "no EXIF in file"
    else:
        outcome, detail = Outcome.WARNING, f"EXIF unreadable: {reading.detail}"
    record.add_event(EventType.METADATA_EXTRACTION, ctx.timestamp(), ctx.agent(), outcome, detail)
    return record


# -- exifread's tags -> ExifInfo ------------------------------------------------------------


def _exif_info(tags: dict[str, Any]) -> ExifInfo:
    def text(name: str) -> str | None:
        return _first(_text(tags.get(f"{ifd} {name}")) for ifd in ("Image", "EXIF"))

    return ExifInfo(
        date_taken=_first(_date(tags.get(key)) for key in _DATE_SOURCES),
        make=text("Make"),
        model=text("Model"),
        artist=text("Artist"),
        copyright=text("Copyright"),
        description=text("ImageDescription"),
        orientation=_first(_orientation(tags.get(f"{ifd} Orientation")) for ifd in ("Image", "EXIF")),
        gps=_gps(tags),
    )


def _first(values: Iterable[_T | None]) -> _T | None:
    """The first value that is not None (later ones are not computed)."""
    return next((value for value in values if value is not None), None)


def _text(tag: object) -> str | None:
    """A string tag's value, stripped; None when absent, blank or not text."""
    if not isinstance(tag, IfdTag):
        return None
    values = tag.values
    if isinstance(values, list) and values and all(isinstance(v, int) and 0 <= v < 256 for v in values):
        # A string written with type BYTE/UNDEFINED: exiftool reads those as text too.
        values = bytes(values).split(b"\x00", 1)[0]
    if isinstance(values, bytes):
        # exifread hands back the raw bytes when they are not UTF-8.
        values = values.decode("utf-8", errors="replace")
    if not isinstance(values, str):
        return None
    text = values.replace("\x00", "").strip()
    return text or None


def _date(tag: object) -> str | None:
    """`YYYY-MM-DDTHH:MM:SS` from an EXIF date string; None when blank or not a real date."""
    text = _text(tag)
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


def _orientation(tag: object) -> int | None:
    """EXIF orientation 1-8 from the tag's number (`printable` is "Rotated 90 CW")."""
    if not isinstance(tag, IfdTag) or not isinstance(tag.values, list) or not tag.values:
        return None
    value = tag.values[0]
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
        return value
    return None


def _gps(tags: dict[str, Any]) -> dict[str, float] | None:
    latitude = _coordinate(tags.get("GPS GPSLatitude"), tags.get("GPS GPSLatitudeRef"), "N", "S", 90)
    longitude = _coordinate(tags.get("GPS GPSLongitude"), tags.get("GPS GPSLongitudeRef"), "E", "W", 180)
    if latitude is None or longitude is None:
        return None
    if latitude == 0 and longitude == 0:
        # Exactly 0,0 is what receivers without a fix write, not a place in this archive.
        return None
    return {"lat": latitude, "lon": longitude}


def _coordinate(value_tag: object, ref_tag: object, positive: str, negative: str, limit: int) -> float | None:
    """Signed decimal degrees from degrees/minutes/seconds rationals and an N/S or E/W ref.

    A missing or unknown ref gives None: exiftool only signs a coordinate (its Composite
    GPSLatitude/GPSLongitude) when the ref tag is there, so neither do we guess one.
    """
    ref = _text(ref_tag)
    if ref is None or ref[0].upper() not in (positive, negative):
        return None
    if not isinstance(value_tag, IfdTag) or not isinstance(value_tag.values, list):
        return None
    parts = value_tag.values
    if not 1 <= len(parts) <= 3:
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
    """An exact number from an exifread rational, integer or float; None if invalid."""
    if isinstance(value, Fraction):
        # exifread's Ratio keeps a zero denominator instead of raising; it means "unknown".
        if value.denominator == 0:
            return None
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, tuple) and len(value) == 1:  # FLOAT/DOUBLE fields come as 1-tuples
        value = value[0]
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(value)
    return None


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
