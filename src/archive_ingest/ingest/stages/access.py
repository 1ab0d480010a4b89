"""Access copies: a credited JPEG to hand out and a thumbnail, made from each archived image.

Why: the original is kept bit for bit and never leaves the archive; what people see, send
and publish is a copy, and a copy that travels must still say whose photo it is. So every
image that is archived (not quarantined, not a duplicate) gets two JPEGs under
`derivatives/ab/`: `<id>.access.jpg` (long edge `access.long_edge`) and `<id>.thumb.jpg`
(`access.thumbnail_edge`), never enlarged, turned upright by the EXIF orientation (and
tagged Orientation 1, so no viewer turns them again), in sRGB-ish RGB, progressive.

This stage only renders; the bytes ride on the record (`record.derivatives.access_jpeg`,
`thumbnail_jpeg`, transient: never in the catalog) and the file stage writes them beside
the original, so a file that is not filed leaves no copy behind.

Embedded metadata, and the decisions behind it:
- XMP (UTF-8, the text exactly as recorded, XML-escaped): `dc:rights` (the rights),
  `dc:creator` and `photoshop:Credit` (the credit; `photoshop:Credit` is IPTC Core's
  Credit Line), `dc:title` (the caption's first line), `xmpRights:Marked` True (a
  rights-managed work).
- EXIF: Artist (credit), Copyright (rights), ImageDescription (title). EXIF 2.32 text tags
  are 7-bit ASCII (Pillow writes any other character as `?`), and the credit may be in
  Russian (a manifest's `credit` cell). EXIF therefore holds an ASCII form: the text
  itself when it is ASCII, else its romanisation (`text.translit.to_ascii`: Russian by the
  Wikipedia scheme, Korean by the Revised Romanization); a tag is left out when nothing is
  left. The exact text is always in the XMP.
- No IPTC-IIM block: Pillow cannot write one into a JPEG, and IPTC-aware tools read the
  same fields from the XMP.
- The camera's other EXIF (GPS, make, dates) is not copied: the catalog holds it, and a
  copy handed out need not say where the photographer stood.
- Colour: an RGB original's ICC profile is embedded in its copies; CMYK is converted to
  sRGB through its profile when it has one; 16-bit and float pixels are scaled to 8 bits;
  transparency is flattened onto white.

Decoding: JPEGs are decoded at reduced size (`Image.draft`: libjpeg scales by 1/2, 1/4
or 1/8 while decoding); a multi-page TIFF gives its first page, as everywhere else. An
image that cannot be decoded here gets a warning event and no copies: the original is
what matters, and it is filed all the same.
"""

from __future__ import annotations

import io
import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from PIL import Image, ImageCms

from ...config import AccessSettings
from ...images import DECODE_ERRORS, turn_for, upright
from ...record import EventType, Outcome, Record
from ...text.translit import to_ascii
from ..context import RunContext
from .fixity import source_of

log = logging.getLogger(__name__)

# EXIF tag numbers (EXIF 2.32).
TAG_IMAGE_DESCRIPTION = 0x010E
TAG_ORIENTATION = 0x0112
TAG_ARTIST = 0x013B
TAG_COPYRIGHT = 0x8298

#: Longest text embedded per field: a JPEG marker holds at most 64 KB, and a credit or a
#: title longer than this is a mistake in the data, not something to hand out whole.
MAX_TEXT = 2000

#: Characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFE/FFFF): left out of the XMP.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class AccessCopies:
    """The two JPEG files' bytes."""

    access: bytes
    thumbnail: bytes


def render(
    source: Path | BinaryIO,
    *,
    orientation: int | None,
    credit: str | None,
    rights: str | None,
    title: str | None,
    settings: AccessSettings,
) -> AccessCopies:
    """Make the access copy and the thumbnail of the image at `source`.

    Args:
        orientation: EXIF orientation 1-8 as the exif stage read it; None: read the file's own.
        credit, rights, title: embedded as described in the module docstring; None leaves a field out.

    Raises:
        DECODE_ERRORS (`images.py`): the image cannot be decoded.
    """
    exif = _exif(credit, rights, title)
    xmp = xmp_packet(credit, rights, title)
    with warnings.catch_warnings():
        # The identify stage has already checked the pixel count against its own limit.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(source) as image:
            if orientation is None:
                orientation = _file_orientation(image)
            orientation = turn_for(image, orientation)  # a HEIF comes decoded upright
            icc = image.info.get("icc_profile")
            if image.format == "JPEG":
                image.draft(None, _draft_size(image.size, settings.long_edge))
            picture, keep_icc = _to_rgb(image, icc if isinstance(icc, bytes) else None)
            picture.thumbnail((settings.long_edge, settings.long_edge), Image.Resampling.LANCZOS)
            picture = upright(picture, orientation)
            access = _jpeg(picture, settings.quality, exif, xmp, keep_icc)
            picture.thumbnail((settings.thumbnail_edge, settings.thumbnail_edge), Image.Resampling.LANCZOS)
            thumbnail = _jpeg(picture, settings.quality, exif, xmp, keep_icc)
    return AccessCopies(access=access, thumbnail=thumbnail)


def title_of(record: Record) -> str | None:
    """The first non-empty line of the caption: a title, not the whole caption."""
    for line in (record.caption or "").splitlines():
        if line.strip():
            return line.strip()
    return None


def run(record: Record, ctx: RunContext) -> Record:
    if record.quarantined:
        return record
    settings = ctx.settings.access
    provenance = record.provenance
    credit = provenance.credit if provenance is not None else None
    rights = provenance.rights if provenance is not None else None
    try:
        copies = render(
            source_of(record, ctx),
            orientation=record.exif.orientation,
            credit=credit,
            rights=rights,
            title=title_of(record),
            settings=settings,
        )
    except DECODE_ERRORS as exc:  # a derivative must never cost the original its place in the archive
        log.warning("no access copies for %s: %r", record.id, exc)
        detail = f"no access copy or thumbnail: the image could not be rendered ({type(exc).__name__}: {exc})"
        record.add_event(EventType.CREATION, ctx.timestamp(), ctx.agent(), Outcome.WARNING, detail)
        return record
    record.derivatives.access_jpeg = copies.access
    record.derivatives.thumbnail_jpeg = copies.thumbnail
    access_size = _size(copies.access)
    thumb_size = _size(copies.thumbnail)
    credited = "credit and rights embedded (EXIF, XMP)"
    outcome = Outcome.SUCCESS
    if not credit or not rights:
        credited = "no credit or rights to embed (no provenance)"
        outcome = Outcome.WARNING
    detail = (
        f"access copy {access_size[0]}x{access_size[1]} ({len(copies.access):,} bytes) and thumbnail "
        f"{thumb_size[0]}x{thumb_size[1]}, JPEG quality {settings.quality}, upright "
        f"(EXIF orientation {record.exif.orientation or 'none'}); {credited}"
    )
    record.add_event(EventType.CREATION, ctx.timestamp(), ctx.agent(), outcome, detail)
    return record


def xmp_packet(credit: str | None, rights: str | None, title: str | None) -> bytes:
    """The XMP packet (UTF-8) holding the credit, rights and title exactly, XML-escaped."""
    properties: list[str] = []
    if credit:
        text = _xml_text(credit)
        properties.append(f"   <dc:creator><rdf:Seq><rdf:li>{text}</rdf:li></rdf:Seq></dc:creator>")
        properties.append(f"   <photoshop:Credit>{text}</photoshop:Credit>")
    if rights:
        alt = f'<rdf:Alt><rdf:li xml:lang="x-default">{_xml_text(rights)}</rdf:li></rdf:Alt>'
        properties.append(f"   <dc:rights>{alt}</dc:rights>")
        properties.append("   <xmpRights:Marked>True</xmpRights:Marked>")
    if title:
        alt = f'<rdf:Alt><rdf:li xml:lang="x-default">{_xml_text(title)}</rdf:li></rdf:Alt>'
        properties.append(f"   <dc:title>{alt}</dc:title>")
    packet = "\n".join(
        [
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
            '  <rdf:Description rdf:about=""',
            '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
            '    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"',
            '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/">',
            *properties,
            "  </rdf:Description>",
            " </rdf:RDF>",
            "</x:xmpmeta>",
            '<?xpacket end="r"?>',
        ]
    )
    return packet.encode("utf-8")


def _xml_text(text: str) -> str:
    return escape(_NOT_XML.sub("", text[:MAX_TEXT]), {'"': "&quot;"})


def _exif(credit: str | None, rights: str | None, title: str | None) -> bytes:
    """EXIF with ASCII text tags (see the module docstring) and Orientation 1: the pixels are upright."""
    exif = Image.Exif()
    exif[TAG_ORIENTATION] = 1
    for tag, text in ((TAG_ARTIST, credit), (TAG_COPYRIGHT, rights), (TAG_IMAGE_DESCRIPTION, title)):
        ascii_text = to_ascii(text[:MAX_TEXT]) if text else ""
        if ascii_text:
            exif[tag] = ascii_text
    return exif.tobytes()


#: Pillow's EXIF parser lets KeyError and TypeError through from a damaged block, too.
_EXIF_ERRORS: tuple[type[Exception], ...] = (*DECODE_ERRORS, KeyError, TypeError)


def _file_orientation(image: Image.Image) -> int | None:
    """The file's own EXIF orientation, when the exif stage gave none; None if absent or unreadable."""
    try:
        value = image.getexif().get(TAG_ORIENTATION)
    except _EXIF_ERRORS:  # a damaged EXIF block only means no orientation
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _draft_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """The size to ask libjpeg for: the image scaled to `long_edge` (it decodes to at least this)."""
    width, height = size
    factor = long_edge / max(width, height, 1)
    return max(1, math.ceil(width * factor)), max(1, math.ceil(height * factor))


def _to_rgb(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """8-bit RGB pixels, and the ICC profile they are in (None: assume sRGB)."""
    mode = image.mode
    if mode == "RGB":
        return image, icc
    if mode.startswith("I;16"):
        return image.convert("I").point(lambda v: v * (1 / 257)).convert("RGB"), None
    if mode in ("I", "F"):
        extrema = image.getextrema()
        high = float(extrema[1]) if isinstance(extrema[1], int | float) else 255.0
        scale = 255 / high if high > 255 else (255.0 if mode == "F" and 0 < high <= 1 else 1.0)
        return image.point(lambda v: v * scale).convert("L").convert("RGB"), None
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB"), None
    if mode == "CMYK" and icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                return converted, None
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the plain conversion below
    return image.convert("RGB"), None


def _jpeg(image: Image.Image, quality: int, exif: bytes, xmp: bytes, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, exif=exif, xmp=xmp, icc_profile=icc)
    return buffer.getvalue()


def _size(jpeg: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(jpeg)) as image:
        return image.size
