"""Image metadata: EXIF, ICC profile and XMP (with Google's GPano panorama properties).

:class:`ImageMetadata` is the format-neutral container that travels from :func:`read_image` to
:func:`write_image`. Its fields are stored in one canonical form whatever the file was:

* ``exif``: the TIFF-structured EXIF block (starts with ``II*\\0`` or ``MM\\0*``), *without* the
  ``Exif\\0\\0`` prefix JPEG puts in front of it. The bytes are carried verbatim between JPEG, PNG
  and WebP; TIFF files keep EXIF as tags of their own first directory, so for TIFF the block is
  re-laid out (same tags, same values, new offsets) on the way in and out.
* ``icc_profile``: the raw ICC profile.
* ``xmp``: the XMP packet as text.
* ``png_chunks``: a PNG's other chunks worth keeping (text such as Author and Copyright, the
  print size, the gamma and colour space), verbatim, for a PNG output only.
* ``jpeg_extra_segments``: a JPEG's IPTC (Photoshop APP13, its thumbnails left out) and comment
  segments, verbatim, for a JPEG output only.
* ``dpi``: the print resolution a JPEG's JFIF header gives, for a JPEG output's (EXIF's own
  resolution travels in ``exif``).
* ``exr_attributes``: an OpenEXR's header attributes other than its layout (chromaticities,
  owner, comments, capture date and place, a renderer's own), for an OpenEXR output only.

GPano (https://developers.google.com/streetview/spherical-metadata) tells viewers that an image
is a 360-degree panorama and, for partial panoramas, where the image sits inside the full sphere.
:func:`parse_gpano` reads it in either RDF spelling (``GPano:X="1"`` attributes or
``<GPano:X>1</GPano:X>`` elements); :func:`update_gpano` rewrites it for a full output panorama
and keeps every other XMP property.

The ``*_jpeg``/``*_png``/``*_webp``/``*_tiff`` functions read and write these three kinds of
metadata in each container; they are used by :mod:`pano_inpaint.io.images` and are not
re-exported from :mod:`pano_inpaint.io`.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO, NamedTuple

from pano_inpaint._checks import check_positive_int

__all__ = [
    "GPANO_NS",
    "GPano",
    "ImageMetadata",
    "JpegSegment",
    "embed_exif_in_tiff",
    "exif_byte_order",
    "jpeg_header",
    "jpeg_segments",
    "jpeg_with_segments",
    "metadata_from_jpeg",
    "metadata_from_png",
    "metadata_from_tiff",
    "metadata_from_webp",
    "parse_gpano",
    "png_with_metadata",
    "update_gpano",
]

logger = logging.getLogger(__name__)

GPANO_NS = "http://ns.google.com/photos/1.0/panorama/"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XMPMETA_NS = "adobe:ns:meta/"
_XML_NS = "http://www.w3.org/XML/1998/namespace"

_EXIF_PREFIX = b"Exif\x00\x00"
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")


# ----------------------------------------------------------------------------------- GPano


def _to_int(text: str) -> int | None:
    try:
        number = float(text)
    except ValueError:
        return None
    # Some writers emit "8192.0"; anything fractional is not a pixel count.
    return int(number) if number.is_integer() else None


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# XMP property name -> (GPano field, parser).
_GPANO_PROPERTIES = {
    "ProjectionType": ("projection_type", str.strip),
    "FullPanoWidthPixels": ("full_pano_width_pixels", _to_int),
    "FullPanoHeightPixels": ("full_pano_height_pixels", _to_int),
    "CroppedAreaImageWidthPixels": ("cropped_area_image_width_pixels", _to_int),
    "CroppedAreaImageHeightPixels": ("cropped_area_image_height_pixels", _to_int),
    "CroppedAreaLeftPixels": ("cropped_area_left_pixels", _to_int),
    "CroppedAreaTopPixels": ("cropped_area_top_pixels", _to_int),
    "PoseHeadingDegrees": ("pose_heading_degrees", _to_float),
    "PosePitchDegrees": ("pose_pitch_degrees", _to_float),
    "PoseRollDegrees": ("pose_roll_degrees", _to_float),
}


@dataclass(frozen=True)
class GPano:
    """GPano properties of a panorama; ``None`` where the XMP does not say.

    Attributes:
        projection_type: ``GPano:ProjectionType``, e.g. ``"equirectangular"``.
        full_pano_width_pixels: ``GPano:FullPanoWidthPixels``, width of the full 360° image.
        full_pano_height_pixels: ``GPano:FullPanoHeightPixels``.
        cropped_area_image_width_pixels: ``GPano:CroppedAreaImageWidthPixels``, width of the part
            the file holds.
        cropped_area_image_height_pixels: ``GPano:CroppedAreaImageHeightPixels``.
        cropped_area_left_pixels: ``GPano:CroppedAreaLeftPixels``, column of that part in the full
            panorama.
        cropped_area_top_pixels: ``GPano:CroppedAreaTopPixels``.
        pose_heading_degrees: ``GPano:PoseHeadingDegrees`` (compass heading of the centre column).
        pose_pitch_degrees: ``GPano:PosePitchDegrees``.
        pose_roll_degrees: ``GPano:PoseRollDegrees``.
    """

    projection_type: str | None = None
    full_pano_width_pixels: int | None = None
    full_pano_height_pixels: int | None = None
    cropped_area_image_width_pixels: int | None = None
    cropped_area_image_height_pixels: int | None = None
    cropped_area_left_pixels: int | None = None
    cropped_area_top_pixels: int | None = None
    pose_heading_degrees: float | None = None
    pose_pitch_degrees: float | None = None
    pose_roll_degrees: float | None = None

    @property
    def is_equirectangular(self) -> bool:
        """Whether ``ProjectionType`` is ``equirectangular`` (case-insensitive)."""
        return (self.projection_type or "").lower() == "equirectangular"

    @property
    def is_partial(self) -> bool:
        """Whether the image covers less than the full panorama.

        Missing cropped-area values default to the full panorama (left/top 0). Without the full
        size nothing can be compared, so only a non-zero offset counts as partial.
        """
        left = self.cropped_area_left_pixels or 0
        top = self.cropped_area_top_pixels or 0
        full_w, full_h = self.full_pano_width_pixels, self.full_pano_height_pixels
        if full_w is None or full_h is None:
            return left != 0 or top != 0
        crop_w = self.cropped_area_image_width_pixels
        crop_h = self.cropped_area_image_height_pixels
        crop_w = full_w if crop_w is None else crop_w
        crop_h = full_h if crop_h is None else crop_h
        return (crop_w, crop_h, left, top) != (full_w, full_h, 0, 0)


# ------------------------------------------------------------------------- XMP tree handling

_PACKET_HEADER = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_PACKET_TRAILER = '\n<?xpacket end="w"?>'
_EMPTY_XMP = (
    f'<x:xmpmeta xmlns:x="{_XMPMETA_NS}">\n'
    f' <rdf:RDF xmlns:rdf="{_RDF_NS}">\n'
    f'  <rdf:Description rdf:about="" xmlns:GPano="{GPANO_NS}"/>\n'
    " </rdf:RDF>\n"
    "</x:xmpmeta>"
)


def _parse_xmp(xmp: str) -> tuple[ET.Element, dict[str, str], dict[ET.Element, list[str]]]:
    """Parse an XMP packet.

    Returns:
        The root element; a ``uri -> prefix`` map (first prefix bound to each namespace); and,
        per element, the namespaces declared on it. Both are kept so that a rewritten packet
        keeps the original spelling and layout (``GPano:``, ``exif:``...): some panorama viewers
        look for the literal ``GPano:`` text.

    Raises:
        ValueError: the packet is not well-formed XML, or carries a DTD.
    """
    text = xmp.strip("\x00 \t\r\n\ufeff")
    # Entity declarations are how XML "bombs" work; XMP never needs them.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("XMP packets with a DTD are not accepted")
    parser = ET.XMLPullParser(events=("start-ns", "start", "end"))
    prefixes: dict[str, str] = {}
    declared: dict[ET.Element, list[str]] = {}
    pending: list[str] = []
    root: ET.Element | None = None
    try:
        parser.feed(text.encode("utf-8"))
        parser.close()
        for event, item in parser.read_events():
            if event == "start-ns":
                prefix, uri = item  # type: ignore[misc]
                if prefix and uri not in prefixes and prefix not in prefixes.values():
                    prefixes[uri] = prefix
                if prefix and prefixes.get(uri) == prefix:
                    pending.append(uri)
            elif event == "start":
                if pending:
                    declared[item] = pending  # type: ignore[index]
                    pending = []
            else:
                root = item  # type: ignore[assignment]  # the last element closed is the root
    except ET.ParseError as exc:
        raise ValueError(f"XMP is not well-formed XML ({exc})") from None
    if root is None:
        raise ValueError("XMP packet holds no XML element")
    return root, prefixes, declared


def _split_tag(tag: str) -> tuple[str, str]:
    """``"{uri}local"`` -> ``(uri, local)``; ``("", tag)`` without a namespace."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return "", tag


def _escape(text: str, *, attribute: bool) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
        text = text.replace("\t", "&#9;")
    return text


def _serialize_xmp(
    root: ET.Element, prefixes: dict[str, str], declared: dict[ET.Element, list[str]]
) -> str:
    """Write ``root`` back as an XMP packet with each namespace spelled and declared as before.

    ElementTree's own writer renames unregistered namespaces to ``ns0``, ``ns1``...; registering
    them would change global state, so this small writer is used instead. Each prefix is bound
    to one namespace only, so declarations can stay where they were; a namespace used where no
    declaration is in scope (a property just added) is declared on that element.
    """
    prefixes = dict(prefixes)
    used = set(prefixes.values())

    def prefix_of(uri: str) -> str:
        if uri not in prefixes:
            number = 0
            while f"ns{number}" in used:
                number += 1
            prefixes[uri] = f"ns{number}"
            used.add(f"ns{number}")
        return prefixes[uri]

    def qualified(tag: str) -> str:
        uri, local = _split_tag(tag)
        if uri == _XML_NS:
            return f"xml:{local}"  # the xml prefix is bound without a declaration
        return f"{prefix_of(uri)}:{local}" if uri else local

    def element(node: ET.Element, out: list[str], scope: frozenset[str]) -> None:
        own = list(declared.get(node, []))
        for key in (node.tag, *node.attrib):
            uri = _split_tag(key)[0]  # type: ignore[arg-type]
            if uri and uri != _XML_NS and uri not in scope and uri not in own:
                own.append(uri)
        name = qualified(node.tag)  # type: ignore[arg-type]
        attributes = "".join(
            f' {qualified(key)}="{_escape(value, attribute=True)}"'
            for key, value in node.attrib.items()
        )
        namespaces = "".join(
            f' xmlns:{prefix_of(uri)}="{_escape(uri, attribute=True)}"' for uri in own
        )
        out.append(f"<{name}{namespaces}{attributes}")
        scope = scope | set(own)
        if node.text is None and len(node) == 0:
            out.append("/>")
            return
        out.append(">" + _escape(node.text or "", attribute=False))
        for child in node:
            element(child, out, scope)
            out.append(_escape(child.tail or "", attribute=False))
        out.append(f"</{name}>")

    body: list[str] = []
    element(root, body, frozenset())
    return _PACKET_HEADER + "".join(body) + _PACKET_TRAILER


def _gpano_values_regex(xmp: str) -> dict[str, str]:
    """Last-resort GPano scan of a packet that is not well-formed XML: the prefixes bound to the
    GPano namespace, then each property in attribute or element form."""
    namespace = re.escape(GPANO_NS)
    prefixes = re.findall(rf"""xmlns:([\w.-]+)\s*=\s*["']{namespace}["']""", xmp)
    values: dict[str, str] = {}
    for prefix in dict.fromkeys(prefixes):
        for name in _GPANO_PROPERTIES:
            tag = re.escape(f"{prefix}:{name}")
            match = re.search(rf"""\s{tag}\s*=\s*(["'])(.*?)\1""", xmp) or re.search(
                rf"<{tag}\s*>()([^<]*)</{tag}\s*>", xmp
            )
            if match and name not in values:
                values[name] = match.group(2)
    return values


def _gpano_values(root: ET.Element) -> dict[str, str]:
    """GPano property values in document order, first occurrence of each, as attribute or
    element."""
    values: dict[str, str] = {}
    for node in root.iter():
        for key, value in node.attrib.items():
            uri, local = _split_tag(key)
            if uri == GPANO_NS and local in _GPANO_PROPERTIES:
                values.setdefault(local, value)
        uri, local = _split_tag(node.tag)  # type: ignore[arg-type]
        if uri == GPANO_NS and local in _GPANO_PROPERTIES:
            values.setdefault(local, (node.text or "").strip())
    return values


def parse_gpano(xmp: str | None) -> GPano | None:
    """Read the GPano properties of an XMP packet.

    Both RDF spellings are understood: attributes on ``rdf:Description``
    (``GPano:FullPanoWidthPixels="8192"``) and child elements
    (``<GPano:FullPanoWidthPixels>8192</GPano:FullPanoWidthPixels>``), whatever prefix the
    packet binds to the GPano namespace. A packet that is not well-formed XML is scanned with a
    lenient pattern instead.

    Args:
        xmp: XMP packet text, or ``None``.

    Returns:
        The properties found, or ``None`` when the packet has no GPano property at all. Values
        that do not parse as numbers are ``None``.

    Example:
        >>> xmp = update_gpano(None, 8192, 4096)
        >>> gpano = parse_gpano(xmp)
        >>> gpano.full_pano_width_pixels, gpano.is_partial
        (8192, False)
    """
    if xmp is None:
        return None
    if not isinstance(xmp, str):
        raise TypeError(f"xmp must be a str or None, got {type(xmp).__name__}")
    try:
        root, _, _ = _parse_xmp(xmp)
        values = _gpano_values(root)
    except ValueError as exc:
        logger.debug("scanning malformed XMP for GPano: %s", exc)
        values = _gpano_values_regex(xmp)
    if not values:
        return None
    fields = {}
    for name, text in values.items():
        attribute, parse = _GPANO_PROPERTIES[name]
        fields[attribute] = parse(text)
    return GPano(**fields)


def update_gpano(xmp: str | None, width: int, height: int) -> str:
    """Return ``xmp`` with GPano describing a full equirectangular panorama of ``width x height``.

    Sets ``ProjectionType=equirectangular``, ``FullPanoWidthPixels``/``FullPanoHeightPixels`` and
    ``CroppedAreaImageWidthPixels``/``CroppedAreaImageHeightPixels`` to the given size and
    ``CroppedAreaLeftPixels``/``CroppedAreaTopPixels`` to 0. Properties already present keep
    their spelling (attribute or element); missing ones are added as attributes. Every other
    property, GPano or not (pose, initial view, other namespaces), is kept.

    Args:
        xmp: existing XMP packet, or ``None`` to start a new one. A packet that is not
            well-formed XML cannot be edited; it is replaced by a new one (logged as a warning).
        width: full panorama width in pixels.
        height: full panorama height in pixels.

    Returns:
        The XMP packet text, with ``<?xpacket?>`` wrapper.

    Raises:
        ValueError: ``width`` or ``height`` is not a positive integer.

    Example:
        >>> gpano = parse_gpano(update_gpano(None, 4096, 2048))
        >>> gpano.projection_type, gpano.full_pano_height_pixels
        ('equirectangular', 2048)
    """
    width = check_positive_int(width, "width")
    height = check_positive_int(height, "height")
    if xmp is not None and not isinstance(xmp, str):
        raise TypeError(f"xmp must be a str or None, got {type(xmp).__name__}")
    targets = {
        "ProjectionType": "equirectangular",
        "FullPanoWidthPixels": str(width),
        "FullPanoHeightPixels": str(height),
        "CroppedAreaImageWidthPixels": str(width),
        "CroppedAreaImageHeightPixels": str(height),
        "CroppedAreaLeftPixels": "0",
        "CroppedAreaTopPixels": "0",
    }
    root = rdf = None
    prefixes: dict[str, str] = {}
    declared: dict[ET.Element, list[str]] = {}
    if xmp is not None and xmp.strip("\x00 \t\r\n\ufeff"):
        try:
            root, prefixes, declared = _parse_xmp(xmp)
        except ValueError as exc:
            logger.warning("replacing unreadable XMP metadata with a new packet: %s", exc)
        else:
            tag = f"{{{_RDF_NS}}}RDF"
            rdf = root if root.tag == tag else root.find(f".//{tag}")
            if rdf is None:
                logger.warning("replacing XMP metadata without an rdf:RDF element")
    if rdf is None:
        root, prefixes, declared = _parse_xmp(_EMPTY_XMP)
        rdf = root.find(f"{{{_RDF_NS}}}RDF")
        assert rdf is not None  # the template has one
    if GPANO_NS not in prefixes:
        taken = set(prefixes.values())
        prefixes[GPANO_NS] = next(
            p for p in ("GPano", *(f"GPano{i}" for i in range(1, 100))) if p not in taken
        )

    description_tag = f"{{{_RDF_NS}}}Description"
    host: ET.Element | None = None
    found: set[str] = set()
    for description in rdf.iter(description_tag):
        for name, value in targets.items():
            key = f"{{{GPANO_NS}}}{name}"
            if key in description.attrib:
                description.set(key, value)
                found.add(name)
                host = host if host is not None else description
        for child in description:
            uri, local = _split_tag(child.tag)  # type: ignore[arg-type]
            if uri == GPANO_NS and local in targets:
                child.text = targets[local]
                found.add(local)
                host = host if host is not None else description
    if host is None:
        host = rdf.find(description_tag)
    if host is None:
        host = ET.SubElement(rdf, description_tag, {f"{{{_RDF_NS}}}about": ""})
    for name, value in targets.items():
        if name not in found:
            host.set(f"{{{GPANO_NS}}}{name}", value)
    return _serialize_xmp(root, prefixes, declared)


# ----------------------------------------------------------------------------------- EXIF / TIFF

# Size in bytes of one value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL,
# SBYTE, UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD, LONG8, SLONG8, IFD8).
_TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
    17: 8,
    18: 8,
}
_EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 34665, 34853, 40965
# Pointer tags allowed in each directory of an EXIF block (IFD0 -> Exif, GPS; Exif -> Interop).
_POINTERS = {0: (_EXIF_IFD, _GPS_IFD), _EXIF_IFD: (_INTEROP_IFD,), _GPS_IFD: (), _INTEROP_IFD: ()}
# First-directory tags that describe the picture rather than how its pixels are stored; only
# these move between an EXIF block and a TIFF's own first directory. Structure tags (sizes,
# strips, compression...) and resolution belong to the file being written.
_DESCRIPTIVE_TAGS = frozenset(
    {
        269,  # DocumentName
        270,  # ImageDescription
        271,  # Make
        272,  # Model
        274,  # Orientation
        285,  # PageName
        305,  # Software
        306,  # DateTime
        315,  # Artist
        316,  # HostComputer
        18246,  # Rating
        18249,  # RatingPercent
        33432,  # Copyright
        40091,  # XPTitle (Windows)
        40092,  # XPComment
        40093,  # XPAuthor
        40094,  # XPKeywords
        40095,  # XPSubject
    }
)
# The print size (pixels per inch or centimetre): a first-directory tag EXIF carries too. A TIFF
# writer puts its own (tifffile: 1 pixel per no unit) in every file, so these are the EXIF's.
_RESOLUTION_TAGS = frozenset({282, 283, 296})  # XResolution, YResolution, ResolutionUnit
_MAX_ENTRIES = 4096
_MAX_DEPTH = 3


@dataclass
class _Entry:
    """One TIFF directory entry; ``data`` holds its value bytes (in the block's byte order),
    ``children`` the entries of the directory a pointer tag points to, and ``field`` the raw
    value field when the entry is copied unchanged from a file (offsets stay valid)."""

    tag: int
    type: int
    count: int
    data: bytes = b""
    children: list[_Entry] | None = None
    field: bytes | None = None


class _TiffReader:
    """Minimal reader of TIFF directories (classic and BigTIFF) from a seekable binary file."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        fh.seek(0, io.SEEK_END)
        self.size = fh.tell()
        fh.seek(0)
        head = fh.read(16)
        if head[:2] not in (b"II", b"MM"):
            raise ValueError("not a TIFF structure (bad byte-order mark)")
        self.order = "<" if head[:2] == b"II" else ">"
        magic = struct.unpack(self.order + "H", head[2:4])[0]
        if magic == 42:
            self.offset_size = 4
            self.first = struct.unpack(self.order + "I", head[4:8])[0]
        elif magic == 43:
            self.offset_size = 8
            self.first = struct.unpack(self.order + "Q", head[8:16])[0]
        else:
            raise ValueError(f"not a TIFF structure (magic number {magic})")

    def _unpack(self, fmt: str, data: bytes) -> int:
        return struct.unpack(self.order + fmt, data)[0]

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or offset + size > self.size:
            raise ValueError(f"TIFF value at {offset} (+{size} bytes) lies outside the file")
        self.fh.seek(offset)
        return self.fh.read(size)

    def directory(
        self,
        offset: int,
        *,
        keep: Callable[[int], bool] = lambda tag: True,
        depth: int = 0,
        kind: int = 0,
        seen: set[int] | None = None,
    ) -> tuple[list[_Entry], int]:
        """Entries of the directory at ``offset`` (values loaded for kept tags) and the offset of
        the next directory. Pointer tags of EXIF sub-directories are followed."""
        seen = set() if seen is None else seen
        if offset in seen or depth > _MAX_DEPTH:
            raise ValueError(f"bad TIFF directory offset {offset}")
        seen.add(offset)
        wide = self.offset_size == 8
        count = self._unpack("Q" if wide else "H", self.read(offset, 8 if wide else 2))
        if count > _MAX_ENTRIES:
            raise ValueError(f"TIFF directory with {count} entries")
        entry_size = 20 if wide else 12
        start = offset + (8 if wide else 2)
        table = count * entry_size
        if depth and start + table + self.offset_size > self.size:
            # A sub-directory has no next directory; writers such as piexif leave its (zero)
            # pointer out when the directory ends the block. Reading it anyway lost the whole
            # EXIF sub-directory (ISO, exposure) of TIFF outputs and warned on every TIFF.
            raw = self.read(start, table) + bytes(self.offset_size)
        else:
            raw = self.read(start, table + self.offset_size)
        entries = []
        for i in range(count):
            item = raw[i * entry_size : (i + 1) * entry_size]
            tag, kind_, number = struct.unpack(
                self.order + ("HHQ" if wide else "HHI"), item[: 12 if wide else 8]
            )
            value_field = item[12:] if wide else item[8:]
            if not keep(tag) or kind_ not in _TYPE_SIZES:
                entries.append(_Entry(tag, kind_, number, field=value_field))
                continue
            size = number * _TYPE_SIZES[kind_]
            if size <= self.offset_size:
                data = value_field[:size]
            else:
                data = self.read(self._unpack("Q" if wide else "I", value_field), size)
            entry = _Entry(tag, kind_, number, data, field=value_field)
            if tag in _POINTERS.get(kind, ()) and number == 1 and kind_ in (4, 13, 16, 18):
                pointer = self._unpack("Q" if size == 8 else "I", data)
                try:
                    entry.children, _ = self.directory(
                        pointer, depth=depth + 1, kind=tag, seen=seen
                    )
                except (ValueError, struct.error) as exc:
                    logger.warning("ignoring unreadable EXIF sub-directory %d: %s", tag, exc)
            entries.append(entry)
        next_offset = self._unpack("Q" if wide else "I", raw[table:])
        return entries, next_offset


def _serialize_directory(
    entries: list[_Entry], base: int, order: str, offset_size: int, next_offset: int = 0
) -> bytes:
    """Lay out a directory at absolute file offset ``base``: the entry table, then the values
    that do not fit in their entry, then the sub-directories, all word aligned."""
    wide = offset_size == 8
    entries = sorted(entries, key=lambda e: e.tag)  # TIFF requires ascending tags
    table_size = (8 if wide else 2) + len(entries) * (20 if wide else 12) + offset_size
    pointer_type = 18 if wide else 4
    extra = bytearray()
    table = bytearray(struct.pack(order + ("Q" if wide else "H"), len(entries)))
    for entry in entries:
        kind, count = entry.type, entry.count
        if entry.children is not None:
            kind, count = pointer_type, 1
            where = base + table_size + len(extra)
            extra += _serialize_directory(entry.children, where, order, offset_size)
            value = struct.pack(order + ("Q" if wide else "I"), where)
        elif entry.field is not None and not entry.data:
            value = entry.field  # copied entry: inline value or offset into the same file
        elif len(entry.data) <= offset_size:
            value = entry.data.ljust(offset_size, b"\x00")
        else:
            value = struct.pack(order + ("Q" if wide else "I"), base + table_size + len(extra))
            extra += entry.data + b"\x00" * (len(entry.data) % 2)
        table += struct.pack(order + ("HHQ" if wide else "HHI"), entry.tag, kind, count) + value
    table += struct.pack(order + ("Q" if wide else "I"), next_offset)
    return bytes(table + extra)


def _relocatable(entries: list[_Entry], classic: bool) -> list[_Entry]:
    """Entries whose values can move to a new place: known value types only (and none of the
    64-bit ones in a classic TIFF); sub-directories are cleaned the same way."""
    out = []
    for entry in entries:
        if entry.children is not None:
            out.append(_Entry(entry.tag, 4, 1, children=_relocatable(entry.children, classic)))
        elif entry.type in _TYPE_SIZES and not (classic and entry.type in (16, 17, 18)):
            out.append(_Entry(entry.tag, entry.type, entry.count, entry.data))
    return out


def _sized_in_print(entries: list[_Entry], order: str) -> bool:
    """Whether a first directory's resolution is a print size: its ResolutionUnit is inch or
    centimetre (absent: inch), not 1, 'no unit' (tifffile writes 1 pixel per no unit into
    every file it makes, which says nothing)."""
    unit = next((e for e in entries if e.tag == 296 and e.type == 3 and e.data), None)
    return unit is None or struct.unpack(order + "H", unit.data[:2])[0] != 1


def _exif_entries(entries: list[_Entry], *, classic: bool, order: str) -> list[_Entry]:
    """The descriptive and resolution (if a print size) first-directory tags and the EXIF/GPS
    sub-directories of ``entries`` (values in byte ``order``)."""
    wanted = _DESCRIPTIVE_TAGS | (_RESOLUTION_TAGS if _sized_in_print(entries, order)
                                  else frozenset())
    kept = []
    for entry in entries:
        if entry.tag in (_EXIF_IFD, _GPS_IFD):
            if entry.children is not None:
                kept.append(entry)
        elif entry.tag in wanted:
            if entry.tag == 270 and (
                entry.data[:1] in (b"{", b"<") or entry.data.startswith(b"ImageJ=")
            ):
                continue  # tifffile/OME/ImageJ bookkeeping, not a caption
            kept.append(entry)
    return _relocatable(kept, classic)


def _parse_exif(exif: bytes) -> tuple[str, list[_Entry]]:
    reader = _TiffReader(io.BytesIO(exif))
    entries, _ = reader.directory(reader.first)  # the thumbnail directory (IFD1) is not read
    return reader.order, entries


def exif_byte_order(exif: bytes) -> str:
    """``"<"`` or ``">"``: the byte order of a (canonical) EXIF block."""
    return "<" if exif[:2] == b"II" else ">"


def _exif_orientation(exif: bytes) -> int | None:
    try:
        order, entries = _parse_exif(exif)
    except (ValueError, struct.error):
        return None
    for entry in entries:
        if entry.tag == 274 and entry.type == 3 and len(entry.data) >= 2:
            return struct.unpack(order + "H", entry.data[:2])[0]
    return None


def metadata_from_tiff(fh: BinaryIO) -> ImageMetadata:
    """EXIF (rebuilt from the first directory's descriptive tags and EXIF/GPS sub-directories),
    ICC profile (tag 34675) and XMP (tag 700) of a TIFF file.

    Raises:
        ValueError: the directory structure is broken.
    """
    reader = _TiffReader(fh)
    wanted = _DESCRIPTIVE_TAGS | _RESOLUTION_TAGS | {_EXIF_IFD, _GPS_IFD, 700, 34675}
    entries, _ = reader.directory(reader.first, keep=lambda tag: tag in wanted)
    values = {entry.tag: entry.data for entry in entries if entry.data}
    exif = None
    kept = _exif_entries(entries, classic=True, order=reader.order)
    if kept:
        header = (b"II*\x00" if reader.order == "<" else b"MM\x00*") + struct.pack(
            reader.order + "I", 8
        )
        exif = header + _serialize_directory(kept, 8, reader.order, 4)
    return ImageMetadata.lenient(
        exif=exif, icc_profile=values.get(34675), xmp=_decode_xmp(values.get(700))
    )


def embed_exif_in_tiff(fh: BinaryIO, exif: bytes) -> None:
    """Add the tags of an EXIF block to a freshly written single-image TIFF.

    The file's first directory is rewritten at the end of the file with the EXIF block's
    descriptive and resolution tags and EXIF/GPS sub-directories merged in (tags the file
    already has win, but for the resolution: a writer's is its default), and
    the header is pointed at it; the old directory becomes unused bytes. This is needed because
    TIFF writers only take flat tags, while EXIF lives in sub-directories with offsets. The EXIF
    thumbnail is not carried over, and maker notes that use absolute offsets may not survive
    the move (as with most EXIF rewriters).

    Args:
        fh: the TIFF file opened ``r+b``; it must use the EXIF block's byte order.
        exif: canonical EXIF block.

    Raises:
        ValueError: broken EXIF block, or byte orders that differ.
    """
    order, exif_entries = _parse_exif(exif)
    reader = _TiffReader(fh)
    if reader.order != order:
        raise ValueError("the TIFF and the EXIF block use different byte orders")
    entries, next_offset = reader.directory(reader.first, keep=lambda tag: False)
    carried = _exif_entries(exif_entries, classic=reader.offset_size == 4, order=order)
    if _RESOLUTION_TAGS & {e.tag for e in carried}:
        # The writer's resolution is its default, the EXIF's the photo's (300 ppi in a TIFF
        # came back as 1 pixel per no unit).
        entries = [e for e in entries if e.tag not in _RESOLUTION_TAGS]
    present = {entry.tag for entry in entries}
    added = [e for e in carried if e.tag not in present]
    if not added:
        return
    fh.seek(0, io.SEEK_END)
    end = fh.tell()
    base = end + end % 2  # directories start on a word boundary
    fh.write(b"\x00" * (base - end))
    fh.write(_serialize_directory(entries + added, base, order, reader.offset_size, next_offset))
    fh.seek(4 if reader.offset_size == 4 else 8)
    fh.write(struct.pack(order + ("I" if reader.offset_size == 4 else "Q"), base))


# ----------------------------------------------------------------------------------- containers


def _decode_xmp(data: bytes | None) -> str | None:
    """XMP packet bytes -> text (UTF-8, or UTF-16/32 with a byte-order mark)."""
    if not data:
        return None
    data = data.rstrip(b"\x00")
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


def _assemble_icc(chunks: dict[int, bytes], total: int) -> bytes | None:
    if not chunks:
        return None
    if sorted(chunks) != list(range(1, total + 1)):
        logger.warning("dropping an incomplete ICC profile (%d of %d parts)", len(chunks), total)
        return None
    return b"".join(chunks[i] for i in range(1, total + 1))


def metadata_from_jpeg(data: bytes) -> ImageMetadata:
    """EXIF (APP1 ``Exif``), XMP (APP1 ``http://ns.adobe.com/xap/1.0/``) and ICC profile (APP2
    ``ICC_PROFILE``, possibly split over several segments) of a JPEG stream.

    The marker segments are walked up to the start of scan; the stream must then end with an
    end-of-image marker, which catches truncated files that a decoder might fill with grey.

    Raises:
        ValueError: the marker structure is broken or the stream is truncated.
    """
    return jpeg_header(data)[0]


class JpegSegment(NamedTuple):
    """One marker segment of a JPEG stream: its marker byte, where it starts (its first 0xFF,
    fill bytes included) and ends, and its payload (after the two length bytes)."""

    marker: int
    start: int
    end: int
    payload: bytes


def jpeg_segments(data: bytes) -> Iterator[JpegSegment]:
    """The marker segments of a JPEG stream, in order, from the one after start-of-image up to
    the start of scan (included); stand-alone markers, which carry no length, are skipped.
    Lazy: a caller may stop at any segment.

    Raises:
        ValueError: no start-of-image marker, a broken marker structure or a truncated header.
    """
    if data[:2] != b"\xff\xd8":
        raise ValueError("missing JPEG start-of-image marker")
    pos, size = 2, len(data)
    while True:
        start = pos
        if pos >= size or data[pos] != 0xFF:
            raise ValueError(f"broken JPEG marker structure at byte {pos}")
        while pos < size and data[pos] == 0xFF:  # markers may be padded with 0xFF fill bytes
            pos += 1
        if pos >= size:
            raise ValueError("truncated JPEG header")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            raise ValueError("JPEG stream ends before any image data")
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # stand-alone markers carry no length
        if pos + 2 > size:
            raise ValueError("truncated JPEG header")
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        if length < 2 or pos + length > size:
            raise ValueError("truncated JPEG header segment")
        yield JpegSegment(marker, start, pos + length, data[pos + 2 : pos + length])
        if marker == 0xDA:
            return
        pos += length


_PHOTOSHOP = b"Photoshop 3.0\x00"
_PHOTOSHOP_THUMBNAILS = (0x0409, 0x040C)  # image resources holding a thumbnail (of the tripod)


def _without_thumbnails(resources: bytes) -> bytes | None:
    """Photoshop image resources (an APP13 payload after its name) without the thumbnail ones;
    None when they cannot be walked (then none are kept)."""
    kept, pos = [], 0
    while pos < len(resources):
        if resources[pos : pos + 4] != b"8BIM" or pos + 7 > len(resources):
            return None
        ident = struct.unpack(">H", resources[pos + 4 : pos + 6])[0]
        name = resources[pos + 6]
        at = pos + 6 + name + 1 + (name + 1) % 2  # a Pascal name padded to an even length
        if at + 4 > len(resources):
            return None
        size = struct.unpack(">I", resources[at : at + 4])[0]
        end = at + 4 + size + size % 2
        if end > len(resources) + size % 2:
            return None
        if ident not in _PHOTOSHOP_THUMBNAILS:
            kept.append(resources[pos:end])
        pos = end
    return b"".join(kept)


def _kept_jpeg_segment(marker: int, payload: bytes) -> bytes | None:
    """A segment a JPEG output carries as it is (marker, length, payload): the IPTC and the
    rest of Photoshop's image resources (APP13, thumbnails left out) and comments (COM)."""
    if marker == 0xED and payload.startswith(_PHOTOSHOP):
        resources = _without_thumbnails(payload[len(_PHOTOSHOP) :])
        if not resources:
            return None
        payload = _PHOTOSHOP + resources
    elif marker != 0xFE:
        return None
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_segments(data: bytes, segments: bytes | None) -> bytes:
    """A JPEG stream with ``segments`` (whole marker segments) put after its leading APPn and
    COM segments, before the tables and the frame."""
    if not segments:
        return data
    for segment in jpeg_segments(data):
        if not (0xE0 <= segment.marker <= 0xEF or segment.marker == 0xFE):
            return data[: segment.start] + segments + data[segment.start :]
    raise AssertionError("unreachable: the walk ends at the start of scan")


def jpeg_header(data: bytes) -> tuple[ImageMetadata, tuple[int, int, int] | None]:
    """:func:`metadata_from_jpeg`'s metadata and, from the same walk of the markers
    (:func:`jpeg_segments`), the first start-of-frame segment's ``(marker, sample bits,
    components)`` (None if there is none before the scan). Raises as
    :func:`metadata_from_jpeg` does."""
    exif = xmp = dpi = None
    icc: dict[int, bytes] = {}
    icc_total = 0
    frame = None
    kept = []
    end = 2
    for marker, _, end, payload in jpeg_segments(data):  # noqa: B007 - the last end is read below
        if frame is None and (segment := _kept_jpeg_segment(marker, payload)) is not None:
            kept.append(segment)
        if marker == 0xE0 and payload.startswith(b"JFIF\x00") and len(payload) >= 12:
            # Units 1: per inch, 2: per centimetre (0: only an aspect ratio, no print size).
            unit, x, y = payload[7], *struct.unpack(">HH", payload[8:12])
            if unit in (1, 2) and x and y and dpi is None:
                dpi = (float(x), float(y)) if unit == 1 else (x * 2.54, y * 2.54)
        elif marker == 0xE1 and payload.startswith(_EXIF_PREFIX) and exif is None:
            exif = payload[len(_EXIF_PREFIX) :]
        elif marker == 0xE1 and payload.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
            xmp = xmp if xmp is not None else payload[29:]
        elif marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00") and len(payload) > 14:
            icc[payload[12]] = payload[14:]
            icc_total = payload[13]
        elif (0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and frame is None
              and len(payload) >= 6):  # start of frame: precision, height, width, components
            frame = (marker, payload[0], payload[5])
    if data.rfind(b"\xff\xd9", end) < 0:
        raise ValueError("truncated JPEG data (no end-of-image marker)")
    metadata = ImageMetadata.lenient(
        exif=exif, icc_profile=_assemble_icc(icc, icc_total), xmp=_decode_xmp(xmp), dpi=dpi,
        jpeg_extra_segments=b"".join(kept),
    )
    return metadata, frame


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("missing PNG signature")
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if pos + 12 + length > len(data):
            raise ValueError(f"truncated PNG data (chunk {kind.decode('latin-1')!r} is cut short)")
        yield kind, data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IEND":
            return
    raise ValueError("truncated PNG data (no IEND chunk)")


_MAX_INFLATED = 64 * 2**20  # no legitimate profile or XMP packet comes close


def _inflate(data: bytes) -> bytes:
    """zlib-decompress at most 64 MiB (a tiny chunk could otherwise inflate to gigabytes)."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, _MAX_INFLATED)
    if inflater.unconsumed_tail:
        raise zlib.error(f"inflates to more than {_MAX_INFLATED} bytes")
    return out


def _png_text(kind: bytes, payload: bytes) -> tuple[bytes, bytes | None]:
    """Keyword and text (bytes) of a tEXt/zTXt/iTXt chunk."""
    keyword, _, rest = payload.partition(b"\x00")
    if kind == b"tEXt":
        return keyword, rest
    if kind == b"zTXt":
        return keyword, _inflate(rest[1:])
    compressed, rest = rest[:1] == b"\x01", rest[2:]
    _language, _, rest = rest.partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    return keyword, _inflate(text) if compressed else text


# Chunks of how the pixels are to be shown, kept with them: the fill changes no pixel's encoding.
# (The PNG specification lets an editor that changed the pixels copy only "safe-to-copy"
# chunks, a lower-case fourth letter, unless it knows the chunk; it knows these.)
_PNG_COLOUR_CHUNKS = frozenset({b"gAMA", b"cHRM", b"sRGB", b"cICP"})


def _png_chunk_kept(kind: bytes) -> bool:
    """Whether a PNG output carries a source's chunk ``kind`` as it is: an ancillary chunk
    (lower-case first letter) that is safe to copy (text, pHYs, the mastering display's
    mDCv/cLLi) or says how the colour is encoded; not iCCP, eXIf and XMP, written from the
    metadata, nor the chunks of a palette, an animation or a modification time."""
    ancillary = kind[:1].islower()
    safe = kind[3:4].islower() and kind != b"eXIf"
    return ancillary and (safe or kind in _PNG_COLOUR_CHUNKS)


def metadata_from_png(data: bytes) -> ImageMetadata:
    """ICC profile (``iCCP``), EXIF (``eXIf``), XMP (``iTXt`` keyword ``XML:com.adobe.xmp``)
    and the other chunks a PNG output keeps (see :func:`_png_chunk_kept`) of a PNG stream; the
    chunk structure is checked up to ``IEND``.

    Raises:
        ValueError: the chunk structure is broken or the stream is truncated.
    """
    exif = icc = xmp = None
    kept = []
    for kind, payload in _png_chunks(data):
        try:
            if kind == b"iCCP":
                icc = _inflate(payload.partition(b"\x00")[2][1:])
            elif kind == b"eXIf":
                exif = payload
            elif kind in (b"iTXt", b"tEXt", b"zTXt"):
                keyword, text = _png_text(kind, payload)
                if keyword == _PNG_XMP_KEYWORD:  # the first is the XMP, written updated
                    xmp = text if xmp is None else xmp
                    continue
            if _png_chunk_kept(kind):
                kept.append(_png_chunk(kind, payload))
        except zlib.error as exc:
            logger.warning("ignoring a corrupt PNG %s chunk: %s", kind.decode("latin-1"), exc)
    return ImageMetadata.lenient(exif=exif, icc_profile=icc, xmp=_decode_xmp(xmp),
                                 png_chunks=b"".join(kept))


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_with_metadata(png: bytes, metadata: ImageMetadata) -> bytes:
    """Insert ``iCCP``, ``eXIf``, an uncompressed XMP ``iTXt`` chunk and the source's
    ``png_chunks`` right after ``IHDR`` (they must precede the image data). ``png`` must hold
    none of these already."""
    chunks = []
    if metadata.icc_profile:
        chunks.append(
            _png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(metadata.icc_profile))
        )
    if metadata.exif:
        chunks.append(_png_chunk(b"eXIf", metadata.exif))
    if metadata.xmp:
        # Keyword, then compression flag/method 0/0 and empty language and translated keyword:
        # the XMP specification asks for uncompressed text so that scanners can find it.
        chunks.append(
            _png_chunk(
                b"iTXt", _PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + metadata.xmp.encode("utf-8")
            )
        )
    if metadata.png_chunks:
        chunks.append(metadata.png_chunks)
    ihdr_end = len(_PNG_SIGNATURE) + 12 + 13  # IHDR always comes first and holds 13 bytes
    return png[:ihdr_end] + b"".join(chunks) + png[ihdr_end:]


def metadata_from_webp(data: bytes) -> ImageMetadata:
    """ICC profile (``ICCP``), EXIF (``EXIF``) and XMP (``XMP ``) chunks of a WebP file.

    Raises:
        ValueError: not a RIFF/WebP container, or truncated.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a RIFF WebP container")
    end = 8 + struct.unpack("<I", data[4:8])[0]
    if end > len(data):
        raise ValueError(f"truncated WebP data ({len(data)} of {end} bytes)")
    found: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= end:
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        found.setdefault(kind, data[pos + 8 : pos + 8 + length])
        pos += 8 + length + (length & 1)  # chunks are padded to an even size
    return ImageMetadata.lenient(
        exif=found.get(b"EXIF"), icc_profile=found.get(b"ICCP"), xmp=_decode_xmp(found.get(b"XMP "))
    )


# ----------------------------------------------------------------------------------- container


_PIXEL_DIMENSIONS = (0xA002, 0xA003)  # PixelXDimension, PixelYDimension (EXIF sub-directory)


def _exif_edited_in_place(exif: bytes, width: int, height: int) -> bytes | None:
    """``exif`` with PixelX/YDimension set to ``width`` and ``height`` and the thumbnail
    directory unlinked (its image cut off the end, or blanked), every other byte where it was;
    None when that cannot be done in place (a size tag missing or too narrow, a broken block).

    Maker notes hold offsets into the block (Canon, Sony, Olympus...; a 360 camera's zenith
    correction): a block laid out anew, as piexif writes it, moves them and breaks those."""
    order = "<" if exif[:2] == b"II" else ">"
    block = bytearray(exif)

    def number(at: int, kind: str) -> int:
        return struct.unpack_from(order + kind, block, at)[0]

    try:
        first = number(4, "I")
        count = number(first, "H")
        entries = [first + 2 + 12 * i for i in range(count)]
        link = first + 2 + 12 * count  # where the thumbnail directory's offset is
        sub = next((number(e + 8, "I") for e in entries if number(e, "H") == _EXIF_IFD), None)
        if sub is None:
            return None
        done = set()
        for e in (sub + 2 + 12 * i for i in range(number(sub, "H"))):
            tag, kind, many = number(e, "H"), number(e + 2, "H"), number(e + 4, "I")
            if tag not in _PIXEL_DIMENSIONS or many != 1:
                continue
            value = width if tag == _PIXEL_DIMENSIONS[0] else height
            if kind == 3 and value <= 0xFFFF:
                struct.pack_into(order + "HH", block, e + 8, value, 0)
            elif kind == 4:
                struct.pack_into(order + "I", block, e + 8, value)
            else:
                return None
            done.add(tag)
        if done != set(_PIXEL_DIMENSIONS):
            return None
        _unlink_thumbnail(block, order, link)
    except (struct.error, IndexError):
        return None
    return bytes(block)


def _unlink_thumbnail(block: bytearray, order: str, link: int) -> None:
    """Unlink the thumbnail directory of an EXIF ``block`` (in byte ``order``) whose offset is
    at ``link`` (just after the first directory), in place: its image cut off the end of the
    block, or blanked where it is not at the end. Raises ``struct.error``/``IndexError`` on a
    broken block."""
    thumbnails = struct.unpack_from(order + "I", block, link)[0]
    if not thumbnails:
        return
    count = struct.unpack_from(order + "H", block, thumbnails)[0]
    found = {struct.unpack_from(order + "H", block, e)[0]:
             struct.unpack_from(order + "I", block, e + 8)[0]
             for e in (thumbnails + 2 + 12 * i for i in range(count))}
    struct.pack_into(order + "I", block, link, 0)
    start, size = found.get(0x0201, 0), found.get(0x0202, 0)  # JPEGInterchangeFormat
    if start and size and start + size == len(block):
        del block[start:]
    elif start and size and start + size < len(block):
        block[start : start + size] = bytes(size)


def _exif_upright(exif: bytes) -> bytes | None:
    """``exif`` with its Orientation (a SHORT in the first directory) set to 1 and the
    thumbnail directory unlinked (:func:`_unlink_thumbnail`), every other byte where it was;
    None when that cannot be done in place (no such entry, a broken block)."""
    order = exif_byte_order(exif)
    block = bytearray(exif)
    try:
        first = struct.unpack_from(order + "I", block, 4)[0]
        count = struct.unpack_from(order + "H", block, first)[0]
        entries = [first + 2 + 12 * i for i in range(count)]
        orientation = next((e for e in entries
                            if struct.unpack_from(order + "HHI", block, e) == (274, 3, 1)), None)
        if orientation is None:
            return None
        struct.pack_into(order + "HH", block, orientation + 8, 1, 0)
        _unlink_thumbnail(block, order, first + 2 + 12 * count)
    except (struct.error, IndexError):
        return None
    return bytes(block)


def _exif_for_output(exif: bytes | None, width: int, height: int) -> bytes | None:
    """EXIF without the thumbnail IFD and with PixelX/YDimension = the output size: edited in
    place where it can be (:func:`_exif_edited_in_place`), else laid out anew by piexif.

    EXIF that piexif cannot parse is passed through unchanged rather than lost.
    """
    if not exif:
        return exif
    edited = _exif_edited_in_place(exif, width, height)
    if edited is not None:
        return edited
    import piexif

    try:
        tags = piexif.load(b"Exif\x00\x00" + exif)
        tags["thumbnail"] = None
        tags["1st"] = {}
        tags.setdefault("Exif", {})
        tags["Exif"][piexif.ExifIFD.PixelXDimension] = int(width)
        tags["Exif"][piexif.ExifIFD.PixelYDimension] = int(height)
        dumped = piexif.dump(tags)
    except Exception as exc:  # noqa: BLE001 - any parser failure: keep the original bytes
        logger.warning("EXIF could not be edited (%s); kept as it was, thumbnail included", exc)
        return exif
    return dumped[6:] if dumped.startswith(b"Exif\x00\x00") else dumped


@dataclass(frozen=True)
class ImageMetadata:
    """EXIF, ICC profile and XMP of an image, in format-neutral form.

    Attributes:
        exif: EXIF block without the JPEG ``Exif\\0\\0`` prefix (given with it, the prefix is
            removed), or ``None``.
        icc_profile: raw ICC profile, or ``None``.
        xmp: XMP packet text, or ``None``.
        png_chunks: whole chunks (length, type, data, CRC) of a PNG source that a PNG output
            carries as they were: text (Author, Copyright...), the print size (``pHYs``), the
            gamma and colour space (``gAMA``, ``cHRM``, ``sRGB``, ``cICP``); or ``None``.
            Other formats do not take them.
        dpi: ``(x, y)`` pixels per inch from a JPEG's JFIF header, written to a JPEG
            output's; or ``None``.
        jpeg_extra_segments: whole segments of a JPEG source that a JPEG output carries as they
            were: its IPTC (Photoshop's APP13, without the thumbnails it may hold) and
            comments (COM); or ``None``.
        exr_attributes: an OpenEXR source's header attributes but its layout and preview
            (``chromaticities``, ``owner``, ``comments``, ``capDate``, ``latitude``... and a
            renderer's own), as OpenEXR's Python binding reads them, for an OpenEXR output;
            or ``None``. Not compared (their values may be arrays).

    Example:
        >>> meta = ImageMetadata().for_output(4096, 2048)
        >>> meta.gpano.full_pano_width_pixels, meta.exif is None
        (4096, True)
    """

    exif: bytes | None = None
    icc_profile: bytes | None = None
    xmp: str | None = None
    png_chunks: bytes | None = None
    dpi: tuple[float, float] | None = None
    jpeg_extra_segments: bytes | None = None
    exr_attributes: dict[str, object] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name, kind in (("exif", bytes), ("icc_profile", bytes), ("xmp", str),
                           ("png_chunks", bytes), ("jpeg_extra_segments", bytes)):
            value = getattr(self, name)
            if isinstance(value, (bytearray, memoryview)) and kind is bytes:
                value = bytes(value)
                object.__setattr__(self, name, value)
            if value is not None and not isinstance(value, kind):
                raise TypeError(
                    f"{name} must be {kind.__name__} or None, got {type(value).__name__}"
                )
            if not value:
                object.__setattr__(self, name, None)
        if self.exr_attributes is not None and not isinstance(self.exr_attributes, dict):
            raise TypeError("exr_attributes must be a dict or None, got "
                            f"{type(self.exr_attributes).__name__}")
        if not self.exr_attributes:
            object.__setattr__(self, "exr_attributes", None)
        if self.dpi is not None:
            dpi = tuple(self.dpi)
            if len(dpi) != 2 or not all(isinstance(v, (int, float)) and v > 0 for v in dpi):
                raise ValueError(f"dpi must be two positive numbers or None, got {self.dpi!r}")
            object.__setattr__(self, "dpi", (float(dpi[0]), float(dpi[1])))
        if self.exif is not None:
            exif = self.exif
            if exif.startswith(_EXIF_PREFIX):
                exif = exif[len(_EXIF_PREFIX) :]
            if exif[:4] not in _TIFF_HEADERS:
                raise ValueError(
                    "exif must be a TIFF-structured EXIF block starting with b'II*\\x00' or "
                    f"b'MM\\x00*' (optionally after b'Exif\\x00\\x00'), got {self.exif[:8]!r}"
                )
            object.__setattr__(self, "exif", exif)

    def __repr__(self) -> str:
        # Summaries, not kilobytes of binary in logs.
        parts = []
        for name, unit in (("exif", "bytes"), ("icc_profile", "bytes"), ("xmp", "chars"),
                           ("png_chunks", "bytes"), ("jpeg_extra_segments", "bytes"),
                           ("exr_attributes", "names")):
            value = getattr(self, name)
            parts.append(f"{name}=None" if value is None else f"{name}=<{len(value)} {unit}>")
        parts.append(f"dpi={self.dpi}")
        return f"ImageMetadata({', '.join(parts)})"

    @classmethod
    def lenient(
        cls, *, exif: bytes | None = None, icc_profile: bytes | None = None, xmp: str | None = None,
        png_chunks: bytes | None = None, dpi: tuple[float, float] | None = None,
        jpeg_extra_segments: bytes | None = None,
    ) -> ImageMetadata:
        """Build from what a file holds, dropping (with a warning) an EXIF block that is not
        valid instead of failing the whole read."""
        try:
            return cls(exif, icc_profile, xmp, png_chunks, dpi, jpeg_extra_segments)
        except ValueError as exc:
            logger.warning("ignoring unreadable EXIF data: %s", exc)
            return cls(None, icc_profile, xmp, png_chunks, dpi, jpeg_extra_segments)

    @property
    def gpano(self) -> GPano | None:
        """GPano properties of the XMP packet, or ``None``."""
        return parse_gpano(self.xmp)

    @property
    def orientation(self) -> int | None:
        """EXIF orientation (1-8), or ``None``. Pixels are never rotated by this package."""
        return None if self.exif is None else _exif_orientation(self.exif)

    def upright(self) -> ImageMetadata:
        """Copy whose EXIF orientation is 1 (pictures drawn from this image's pixels as stored,
        as cube faces are: a viewer that honours the image's tag turns them), its thumbnail
        dropped; edited in place where it can be (maker notes keep their offsets), else laid
        out anew by piexif, else dropped. Itself where the orientation is 1 or not given."""
        if self.orientation in (None, 1):
            return self
        exif = _exif_upright(self.exif)
        if exif is None:
            import piexif

            try:
                tags = piexif.load(b"Exif\x00\x00" + self.exif)
                tags["0th"][piexif.ImageIFD.Orientation] = 1
                tags["thumbnail"], tags["1st"] = None, {}
                exif = piexif.dump(tags)
            except Exception:  # noqa: BLE001 - an EXIF piexif cannot edit: none at all
                exif = None
        return replace(self, exif=exif)

    def for_output(self, width: int, height: int) -> ImageMetadata:
        """Copy for an output panorama of ``width x height``: GPano updated (or added) to a full
        equirectangular panorama of that size; EXIF kept (camera, GPS, date) but its embedded
        thumbnail dropped (it would still show the removed tripod) and its pixel size updated;
        ICC profile unchanged.

        Raises:
            ValueError: ``width`` or ``height`` is not a positive integer.
        """
        xmp = update_gpano(self.xmp, width, height)
        return replace(self, xmp=xmp, exif=_exif_for_output(self.exif, width, height))
