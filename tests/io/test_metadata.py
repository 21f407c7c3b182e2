"""Metadata: EXIF / ICC / XMP through every container, GPano parsing and rewriting.

EXIF is built with piexif, ICC profiles with Pillow's ImageCms, XMP packets by hand; other
libraries (Pillow, tifffile) read what we write, so the files are checked beyond our own reader.
"""

import io
import logging
import struct
import xml.etree.ElementTree as ET

import numpy as np
import piexif
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from pano_inpaint.io import (
    GPANO_NS,
    GPano,
    ImageMetadata,
    parse_gpano,
    read_image,
    update_gpano,
    write_image,
)
from pano_inpaint.io.metadata import metadata_from_jpeg

H, W = 16, 32
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

GPS = {
    piexif.GPSIFD.GPSLatitudeRef: b"N",
    piexif.GPSIFD.GPSLatitude: ((48, 1), (51, 1), (2976, 100)),
    piexif.GPSIFD.GPSLongitudeRef: b"E",
    piexif.GPSIFD.GPSLongitude: ((2, 1), (17, 1), (4020, 100)),
}


def make_exif(orientation=1):
    return piexif.dump(
        {
            "0th": {
                piexif.ImageIFD.Make: b"PanoCam",
                piexif.ImageIFD.Model: b"360 One",
                piexif.ImageIFD.Orientation: orientation,
            },
            "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2024:05:06 07:08:09"},
            "GPS": GPS,
        }
    )


def assert_same_exif(exif):
    assert exif is not None and exif[:4] in (b"II*\x00", b"MM\x00*")
    fields = piexif.load(exif)
    assert fields["0th"][piexif.ImageIFD.Make] == b"PanoCam"
    assert fields["0th"][piexif.ImageIFD.Model] == b"360 One"
    assert fields["Exif"][piexif.ExifIFD.DateTimeOriginal] == b"2024:05:06 07:08:09"
    for tag, value in GPS.items():
        assert fields["GPS"][tag] == value


def srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def pano_xmp(form="attribute", prefix="GPano", width=64, height=32, left=0, top=0):
    values = {
        "ProjectionType": "equirectangular",
        "FullPanoWidthPixels": 64,
        "FullPanoHeightPixels": 32,
        "CroppedAreaImageWidthPixels": width,
        "CroppedAreaImageHeightPixels": height,
        "CroppedAreaLeftPixels": left,
        "CroppedAreaTopPixels": top,
        "PoseHeadingDegrees": 87.5,
    }
    if form == "attribute":
        gpano = "".join(f'\n    {prefix}:{k}="{v}"' for k, v in values.items())
        description = f'<rdf:Description rdf:about=""{gpano}\n    xmp:CreatorTool="stitcher 2.1"/>'
    else:
        gpano = "".join(f"\n   <{prefix}:{k}>{v}</{prefix}:{k}>" for k, v in values.items())
        description = (
            f'<rdf:Description rdf:about="">{gpano}\n'
            "   <xmp:CreatorTool>stitcher 2.1</xmp:CreatorTool>\n  </rdf:Description>"
        )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="test">\n'
        f' <rdf:RDF xmlns:rdf="{RDF}" xmlns:{prefix}="{GPANO_NS}"\n'
        '   xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"  {description}\n"
        '  <rdf:Description rdf:about=""><dc:title><rdf:Alt>'
        '<rdf:li xml:lang="x-default">Place &amp; "time"</rdf:li></rdf:Alt></dc:title>'
        "</rdf:Description>\n"
        " </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def properties(xmp, *, skip_gpano=()):
    """Every (element path, attribute, value) triple of an XMP packet, for comparisons."""
    root = ET.fromstring(xmp.strip().encode())
    found = set()

    def walk(node, path):
        here = f"{path}/{node.tag}"
        if (node.text or "").strip():
            found.add((here, None, node.text.strip()))
        for key, value in node.attrib.items():
            found.add((here, key, value))
        for child in node:
            walk(child, here)

    walk(root, "")
    gpano = {f"{{{GPANO_NS}}}{name}" for name in skip_gpano}
    return {
        item
        for item in found
        if item[1] not in gpano and not any(item[0].endswith(name) for name in gpano)
    }


def pixels(channels=3, dtype=np.uint8):
    y, x = np.mgrid[0:H, 0:W]
    base = (x * 7 + y * 3) % 256
    out = np.stack([base, 255 - base, (base * 2) % 256, np.full_like(base, 200)][:channels], -1)
    return out.astype(dtype)


# ----------------------------------------------------------------------------------- EXIF


@pytest.mark.parametrize("target", ["jpg", "png", "tif", "webp"])
def test_exif_survives_from_jpeg(tmp_path, target):
    source = tmp_path / "in.jpg"
    Image.fromarray(pixels()).save(source, exif=make_exif())
    loaded = read_image(source)
    assert_same_exif(loaded.metadata.exif)
    out = write_image(tmp_path / f"out.{target}", loaded.pixels, loaded.metadata)
    assert_same_exif(read_image(out).metadata.exif)


@pytest.mark.parametrize("target", ["jpg", "png", "webp", "tif"])
@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_exif_survives_from_tiff(tmp_path, target, dtype):
    data = pixels(dtype=np.uint16) if dtype == np.uint16 else pixels(dtype=np.float32) / 255
    tif = write_image(tmp_path / "in.tif", data, ImageMetadata(exif=make_exif()))
    loaded = read_image(tif)
    assert_same_exif(loaded.metadata.exif)
    out = write_image(tmp_path / f"out.{target}", loaded.pixels, loaded.metadata, quality=100)
    assert_same_exif(read_image(out).metadata.exif)


@pytest.mark.parametrize("target", ["tif", "jpg"])
def test_a_tiffs_print_resolution_is_kept(tmp_path, target):
    """A 300 ppi TIFF came back as 1 pixel per no unit (tifffile's default, which won over the
    EXIF's), and its resolution never reached a JPEG's EXIF: it was not read as EXIF."""
    source = tmp_path / "in.tif"
    tifffile.imwrite(source, pixels(), photometric="rgb", resolution=(300, 300),
                     resolutionunit="INCH")
    loaded = read_image(source)
    out = write_image(tmp_path / f"out.{target}", loaded.pixels,
                      loaded.metadata.for_output(W, H))
    with Image.open(out) as image:
        assert image.info["dpi"] == (300, 300)
    if target == "tif":
        with tifffile.TiffFile(out) as tif:
            tags = tif.pages.first.tags
            assert tags["XResolution"].value == tags["YResolution"].value == (300, 1)
            assert tags["ResolutionUnit"].value == 2  # inch
        # A JPEG's EXIF resolution reaches a TIFF the same way.
        jpeg = tmp_path / "cam.jpg"
        Image.fromarray(pixels()).save(jpeg, exif=piexif.dump({"0th": {
            piexif.ImageIFD.XResolution: (240, 1), piexif.ImageIFD.YResolution: (240, 1),
            piexif.ImageIFD.ResolutionUnit: 2}}))
        from_jpeg = read_image(jpeg)
        tif_out = write_image(tmp_path / "cam.tif", from_jpeg.pixels, from_jpeg.metadata)
        with tifffile.TiffFile(tif_out) as tif:
            assert tif.pages.first.tags["XResolution"].value == (240, 1)


def _patched_and_encoded(source, tmp_path) -> tuple[str, str]:
    """``source`` (a JPEG) with its top rows blacked out, written both ways a JPEG output is
    (the changed blocks patched in, and re-encoded) into ``tmp_path``: the two names."""
    from pano_inpaint.io.jpeg_patch import write_jpeg_patch

    loaded = read_image(source)
    filled = loaded.pixels.copy()
    filled[:4] = 0
    metadata = loaded.metadata.for_output(W, H)
    write_jpeg_patch(source, tmp_path / "patched.jpg", loaded.pixels, filled, metadata)
    write_image(tmp_path / "encoded.jpg", filled, metadata)
    return "patched.jpg", "encoded.jpg"


@pytest.mark.parametrize(("unit", "density", "dpi"), [(1, 300, (300, 300)),
                                                     (2, 118, (300, 300)), (0, 1, None)])
def test_a_jpegs_jfif_print_size_is_kept(tmp_path, unit, density, dpi):
    """A JPEG whose print size is in its JFIF header only (ImageMagick, GIMP) came back without
    one, patched or re-encoded: the output's JFIF header was Pillow's, and no EXIF held it."""

    source = tmp_path / "in.jpg"
    Image.fromarray(pixels()).save(source, quality=90)
    data = bytearray(source.read_bytes())
    assert data[6:11] == b"JFIF\x00"  # APP0 payload: version, unit, X and Y density
    data[13:18] = bytes([unit]) + density.to_bytes(2, "big") * 2
    source.write_bytes(bytes(data))
    for name in _patched_and_encoded(source, tmp_path):
        with Image.open(tmp_path / name) as image:
            got = image.info.get("dpi")
            assert (got is None if dpi is None else got == pytest.approx(dpi, abs=0.5)), name


def _resource(ident: int, data: bytes) -> bytes:
    """A Photoshop image resource: 8BIM, its id, an empty name, its size and data."""
    return (b"8BIM" + ident.to_bytes(2, "big") + b"\x00\x00" + len(data).to_bytes(4, "big")
            + data + b"\x00" * (len(data) % 2))


def test_a_jpegs_iptc_and_comment_are_kept(tmp_path):
    """A JPEG's IPTC (byline, copyright, caption: Photoshop's APP13) and its comment were
    dropped from a JPEG output, patched or re-encoded; the thumbnail APP13 may hold (it shows
    the tripod) is not carried."""
    from PIL import IptcImagePlugin


    iptc = b"".join(b"\x1c\x02" + bytes([n]) + len(v).to_bytes(2, "big") + v for n, v in (
        (80, b"A. Photographer"), (116, b"(c) Agency"), (120, b"Plaza at dawn")))
    app13 = b"Photoshop 3.0\x00" + _resource(0x0404, iptc) + _resource(0x040C, b"THUMB" * 9)
    source = tmp_path / "in.jpg"
    Image.fromarray(pixels()).save(source, quality=90, comment=b"shot 12")
    data = source.read_bytes()
    source.write_bytes(data[:2] + b"\xff\xed" + (len(app13) + 2).to_bytes(2, "big") + app13
                       + data[2:])
    for name in _patched_and_encoded(source, tmp_path):
        with Image.open(tmp_path / name) as image:
            image.load()
            info = IptcImagePlugin.getiptcinfo(image)
            assert info[(2, 80)] == b"A. Photographer" and info[(2, 116)] == b"(c) Agency"
            assert info[(2, 120)] == b"Plaza at dawn"
            assert image.info["comment"] == b"shot 12"
        assert b"THUMB" not in (tmp_path / name).read_bytes()
        assert read_image(tmp_path / name).metadata.gpano.full_pano_width_pixels == W


def test_a_pngs_text_print_size_and_gamma_are_kept(tmp_path):
    """A PNG's Author, Copyright and Description (tEXt, zTXt, iTXt), its print size (pHYs) and
    gamma (gAMA) were dropped from a PNG output: only iCCP, eXIf and the XMP were carried."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Studio")
    info.add_text("Copyright", "(c) Studio", zip=True)
    info.add_itxt("Description", "Plaza, nadir cleaned für VR")
    info.add_text("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    info.add(b"gAMA", (45455).to_bytes(4, "big"))  # 1 / 2.2
    info.add(b"tIME", b"\x07\xea\x01\x02\x03\x04\x05")  # a modification time: not kept
    source = tmp_path / "in.png"
    Image.fromarray(pixels()).save(source, pnginfo=info, dpi=(300, 300))
    loaded = read_image(source)
    out = write_image(tmp_path / "out.png", loaded.pixels, loaded.metadata.for_output(W, H))
    with Image.open(out) as image:
        image.load()
        assert image.info["Author"] == "Studio" and image.info["Copyright"] == "(c) Studio"
        assert image.info["Description"] == "Plaza, nadir cleaned für VR"
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert image.info["gamma"] == pytest.approx(1 / 2.2, abs=1e-4)
        np.testing.assert_array_equal(np.asarray(image), pixels())
    data = out.read_bytes()
    assert b"tIME" not in data and data.count(b"XML:com.adobe.xmp") == 1
    assert read_image(out).metadata.gpano.full_pano_width_pixels == W
    # Other formats do not take PNG chunks (and do not fail on them).
    assert b"Studio" not in write_image(tmp_path / "out.jpg", loaded.pixels,
                                        loaded.metadata).read_bytes()


def test_little_endian_exif_in_tiff(tmp_path):
    exif = Image.Exif()
    exif.endian = "<"
    exif[271] = "PanoCam"
    exif.get_ifd(0x8769)[36867] = "2024:05:06 07:08:09"
    blob = exif.tobytes()
    assert blob[6:8] == b"II"
    out = write_image(tmp_path / "le.tif", pixels(), ImageMetadata(exif=blob))
    loaded = read_image(out).metadata.exif
    assert loaded[:2] == b"II"
    fields = piexif.load(loaded)
    assert fields["0th"][271] == b"PanoCam"
    assert fields["Exif"][36867] == b"2024:05:06 07:08:09"


def test_tiff_exif_is_readable_by_other_libraries(tmp_path):
    meta = ImageMetadata(exif=make_exif(), icc_profile=srgb_profile()).for_output(W, H)
    path = write_image(tmp_path / "x.tif", pixels(), meta)
    with Image.open(path) as image:
        exif = image.getexif()
        assert exif[271] == "PanoCam"
        assert exif.get_ifd(0x8769)[36867] == "2024:05:06 07:08:09"
        assert exif.get_ifd(0x8825)[1] == "N"
        np.testing.assert_array_equal(np.asarray(image), pixels())
    with tifffile.TiffFile(path) as tif:
        tags = tif.pages.first.tags
        assert tags["ExifTag"].value["DateTimeOriginal"] == "2024:05:06 07:08:09"
        assert tags["GPSTag"].value["GPSLatitudeRef"] == "N"
        assert tags[34675].value == meta.icc_profile


def test_broken_exif_body_is_dropped_from_tiff_not_fatal(tmp_path, caplog):
    broken = b"MM\x00*\x00\x00\x00\x08\x00\x05"  # directory of 5 entries, cut short
    with caplog.at_level(logging.WARNING):
        out = write_image(tmp_path / "x.tif", pixels(), ImageMetadata(exif=broken))
    assert "dropping EXIF" in caplog.text
    loaded = read_image(out)
    assert loaded.metadata.exif is None
    np.testing.assert_array_equal(loaded.pixels, pixels())


def test_exif_orientation_is_exposed(tmp_path):
    assert ImageMetadata(exif=make_exif(orientation=3)).orientation == 3
    assert ImageMetadata().orientation is None


def test_jpeg_exif_is_readable_by_pillow(tmp_path):
    path = write_image(tmp_path / "x.jpg", pixels(), ImageMetadata(exif=make_exif()))
    with Image.open(path) as image:
        assert image.getexif()[272] == "360 One"


# ----------------------------------------------------------------------------------- ICC


@pytest.mark.parametrize("target", ["jpg", "png", "tif", "webp"])
def test_icc_profile_survives(tmp_path, target):
    icc = srgb_profile()
    out = write_image(tmp_path / f"x.{target}", pixels(), ImageMetadata(icc_profile=icc))
    assert read_image(out).metadata.icc_profile == icc
    if target != "tif":  # Pillow cannot open float/16-bit TIFFs in general; 8-bit is covered
        with Image.open(out) as image:
            assert image.info["icc_profile"] == icc


def test_large_icc_profile_spans_several_jpeg_segments(tmp_path):
    icc = srgb_profile() + bytes(range(256)) * 600  # ~150 KB: three APP2 segments
    out = write_image(tmp_path / "x.jpg", pixels(), ImageMetadata(icc_profile=icc))
    assert read_image(out).metadata.icc_profile == icc


def test_rgb_profile_is_not_attached_to_grey_pixels(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        out = write_image(tmp_path / "g.png", pixels(1), ImageMetadata(icc_profile=srgb_profile()))
    assert "ICC profile" in caplog.text
    assert read_image(out).metadata.icc_profile is None


# ----------------------------------------------------------------------------------- XMP

# The GPano properties an output of another size rewrites (all the others must survive).
RESIZED = [
    "FullPanoWidthPixels",
    "FullPanoHeightPixels",
    "CroppedAreaImageWidthPixels",
    "CroppedAreaImageHeightPixels",
    "CroppedAreaTopPixels",
]


@pytest.mark.parametrize("target", ["jpg", "png", "tif", "webp", "exr"])
def test_gpano_survives_and_follows_the_output_size(tmp_path, target):
    source = ImageMetadata(xmp=pano_xmp(width=64, height=20, top=6))  # a partial panorama
    assert source.gpano.is_partial
    meta = source.for_output(W, H)
    data = pixels() if target != "exr" else pixels().astype(np.float32) / 255
    loaded = read_image(write_image(tmp_path / f"x.{target}", data, meta)).metadata
    gpano = loaded.gpano
    assert gpano.is_equirectangular and not gpano.is_partial
    assert (gpano.full_pano_width_pixels, gpano.full_pano_height_pixels) == (W, H)
    assert (gpano.cropped_area_image_width_pixels, gpano.cropped_area_image_height_pixels) == (
        W,
        H,
    )
    assert (gpano.cropped_area_left_pixels, gpano.cropped_area_top_pixels) == (0, 0)
    assert gpano.pose_heading_degrees == 87.5  # other GPano properties are kept
    changed = list(meta.gpano.__dict__)
    assert changed and properties(loaded.xmp, skip_gpano=RESIZED) == properties(
        source.xmp, skip_gpano=RESIZED
    )


def test_png_xmp_is_readable_by_pillow(tmp_path):
    meta = ImageMetadata().for_output(W, H)
    path = write_image(tmp_path / "x.png", pixels(), meta)
    with Image.open(path) as image:
        assert "GPano:FullPanoWidthPixels" in image.info["XML:com.adobe.xmp"]


def test_hdr_drops_metadata_and_says_so(tmp_path, caplog):
    meta = ImageMetadata(exif=make_exif(), icc_profile=srgb_profile()).for_output(W, H)
    with caplog.at_level(logging.WARNING, logger="pano_inpaint.io.images"):
        out = write_image(tmp_path / "x.hdr", np.ones((H, W, 3), np.float32) * 3, meta)
    assert "dropping exif, icc_profile, xmp" in caplog.text
    assert read_image(out).metadata == ImageMetadata()


def test_oversized_xmp_is_dropped_from_jpeg(tmp_path, caplog):
    meta = ImageMetadata(xmp=pano_xmp().replace("stitcher 2.1", "x" * 70000))
    with caplog.at_level(logging.WARNING):
        out = write_image(tmp_path / "x.jpg", pixels(), meta)
    assert "dropping XMP" in caplog.text
    assert read_image(out).metadata.xmp is None


# ----------------------------------------------------------------------------------- GPano


@pytest.mark.parametrize("form", ["attribute", "element"])
@pytest.mark.parametrize("prefix", ["GPano", "gp"])
def test_parse_gpano_both_forms(form, prefix):
    gpano = parse_gpano(pano_xmp(form, prefix))
    assert gpano == GPano(
        projection_type="equirectangular",
        full_pano_width_pixels=64,
        full_pano_height_pixels=32,
        cropped_area_image_width_pixels=64,
        cropped_area_image_height_pixels=32,
        cropped_area_left_pixels=0,
        cropped_area_top_pixels=0,
        pose_heading_degrees=87.5,
    )
    assert not gpano.is_partial


@pytest.mark.parametrize(
    ("crop", "partial"),
    [
        ({}, False),
        ({"width": 64, "height": 20, "top": 6}, True),
        ({"width": 40}, True),
        ({"left": 3}, True),
    ],
)
def test_partial_panorama_is_detected(crop, partial):
    assert parse_gpano(pano_xmp(**crop)).is_partial is partial


def test_is_partial_with_missing_values():
    assert not GPano(projection_type="equirectangular").is_partial
    assert GPano(cropped_area_left_pixels=5).is_partial
    assert not GPano(full_pano_width_pixels=10, full_pano_height_pixels=5).is_partial


def test_parse_gpano_without_gpano_or_with_bad_values():
    assert parse_gpano(None) is None
    assert parse_gpano(pano_xmp().replace("GPano", "Other").replace(GPANO_NS, "urn:x")) is None
    # Malformed XML is scanned by pattern, but only for prefixes bound to the GPano namespace.
    assert parse_gpano(pano_xmp(prefix="Other").replace(GPANO_NS, "urn:x")[:-30]) is None
    gpano = parse_gpano(pano_xmp().replace('FullPanoWidthPixels="64"', 'FullPanoWidthPixels="x"'))
    assert gpano.full_pano_width_pixels is None and gpano.full_pano_height_pixels == 32
    with pytest.raises(TypeError, match="str"):
        parse_gpano(b"<x/>")


def test_parse_gpano_falls_back_on_malformed_xml():
    broken = pano_xmp().replace("</x:xmpmeta>", "")
    assert parse_gpano(broken).full_pano_width_pixels == 64
    element = pano_xmp("element").replace("</rdf:RDF>", "")
    assert parse_gpano(element).full_pano_height_pixels == 32


@pytest.mark.parametrize("form", ["attribute", "element"])
def test_update_gpano_keeps_everything_else(form):
    original = pano_xmp(form, width=64, height=20, top=6)
    updated = update_gpano(original, 128, 64)
    gpano = parse_gpano(updated)
    assert (gpano.full_pano_width_pixels, gpano.cropped_area_image_height_pixels) == (128, 64)
    assert gpano.cropped_area_top_pixels == 0 and not gpano.is_partial
    # The original spelling is kept: element form stays element form, prefixes are unchanged.
    if form == "element":
        assert "<GPano:FullPanoWidthPixels>128</GPano:FullPanoWidthPixels>" in updated
    else:
        assert 'GPano:FullPanoWidthPixels="128"' in updated
    assert "ns0:" not in updated and 'xml:lang="x-default"' in updated
    assert properties(updated, skip_gpano=RESIZED) == properties(original, skip_gpano=RESIZED)
    assert update_gpano(updated, 128, 64) == updated  # idempotent


def test_update_gpano_adds_missing_properties_to_foreign_xmp():
    foreign = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="' + RDF + '">'
        '<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        'tiff:Make="PanoCam"/></rdf:RDF></x:xmpmeta>'
    )
    updated = update_gpano(foreign, 64, 32)
    assert parse_gpano(updated).full_pano_width_pixels == 64
    assert 'tiff:Make="PanoCam"' in updated and "GPano:ProjectionType" in updated
    ET.fromstring(updated.encode())  # well-formed, GPano namespace declared


def test_update_gpano_creates_a_packet():
    xmp = update_gpano(None, 8192, 4096)
    assert xmp.startswith("<?xpacket begin=") and xmp.endswith('<?xpacket end="w"?>')
    assert f'xmlns:GPano="{GPANO_NS}"' in xmp
    gpano = parse_gpano(xmp)
    assert gpano.projection_type == "equirectangular" and gpano.full_pano_height_pixels == 4096


@pytest.mark.parametrize("bad", ["<x:xmpmeta", '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "<a/>"])
def test_update_gpano_replaces_unusable_xmp(bad, caplog):
    with caplog.at_level(logging.WARNING):
        xmp = update_gpano(bad, 64, 32)
    assert "XMP" in caplog.text
    assert parse_gpano(xmp).full_pano_width_pixels == 64


@pytest.mark.parametrize("size", [(0, 32), (64, -1), (64.5, 32), (True, 32)])
def test_update_gpano_invalid_size(size):
    with pytest.raises(ValueError, match="width|height"):
        update_gpano(None, *size)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200_000), st.integers(1, 100_000), st.sampled_from(["attribute", "element"]))
def test_update_then_parse_round_trip(width, height, form):
    gpano = parse_gpano(update_gpano(pano_xmp(form), width, height))
    assert gpano.full_pano_width_pixels == gpano.cropped_area_image_width_pixels == width
    assert gpano.full_pano_height_pixels == gpano.cropped_area_image_height_pixels == height
    assert gpano.pose_heading_degrees == 87.5


# ----------------------------------------------------------------------------------- container


def test_image_metadata_validation_and_normalisation():
    exif = make_exif()
    assert exif.startswith(b"Exif\x00\x00")
    meta = ImageMetadata(exif=exif)
    assert meta.exif == exif[6:]  # canonical form has no JPEG prefix
    assert ImageMetadata(exif=b"", icc_profile=b"", xmp="") == ImageMetadata()
    with pytest.raises(TypeError, match="exif must be bytes"):
        ImageMetadata(exif="text")
    with pytest.raises(TypeError, match="xmp must be str"):
        ImageMetadata(xmp=b"<x/>")
    with pytest.raises(ValueError, match="TIFF-structured"):
        ImageMetadata(exif=b"not exif at all")
    assert repr(meta).startswith("ImageMetadata(exif=<") and "xmp=None" in repr(meta)


def test_for_output_updates_gpano_and_drops_the_exif_thumbnail():
    thumb = io.BytesIO()
    Image.fromarray(pixels()).save(thumb, format="JPEG")
    tags = piexif.load(make_exif())
    tags["thumbnail"] = thumb.getvalue()
    tags["1st"] = {piexif.ImageIFD.JPEGInterchangeFormat: 0,
                   piexif.ImageIFD.JPEGInterchangeFormatLength: 0}
    exif = piexif.dump(tags)
    meta = ImageMetadata(exif=exif[6:] if exif.startswith(b"Exif") else exif,
                         icc_profile=srgb_profile(), xmp=pano_xmp())
    assert piexif.load(meta.exif)["thumbnail"]
    out = meta.for_output(W, H)
    assert out.icc_profile == meta.icc_profile
    assert_same_exif(out.exif)  # camera, date and GPS kept
    fields = piexif.load(out.exif)
    assert not fields["thumbnail"]  # the old thumbnail still showed the tripod
    assert fields["Exif"][piexif.ExifIFD.PixelXDimension] == W
    assert out.gpano.full_pano_width_pixels == W and meta.gpano.full_pano_width_pixels == 64
    with pytest.raises(ValueError, match="width"):
        meta.for_output(0, H)


def _camera_exif(maker_note: bytes, thumbnail: bytes, orientation: int | None = None) -> bytes:
    """An EXIF block laid out as cameras lay theirs out, not as piexif would: the maker note
    first, then IFD0 (Make, the EXIF pointer, the orientation if given), the EXIF
    sub-directory (MakerNote, PixelX/Y as LONG), IFD1 (the thumbnail's place) and the
    thumbnail. Little-endian."""
    def entry(tag, kind, count, value):
        return struct.pack("<HHI", tag, kind, count) + value

    turned = [] if orientation is None else [entry(274, 3, 1, struct.pack("<HH", orientation, 0))]
    note_at = 8
    ifd0 = note_at + len(maker_note)
    make_at = ifd0 + 2 + (2 + len(turned)) * 12 + 4
    exif_at = make_at + 8
    ifd1 = exif_at + 2 + 3 * 12 + 4
    thumb_at = ifd1 + 2 + 2 * 12 + 4
    return (b"II*\x00" + struct.pack("<I", ifd0) + maker_note
            + struct.pack("<H", 2 + len(turned)) + entry(271, 2, 8, struct.pack("<I", make_at))
            + b"".join(turned)
            + entry(34665, 4, 1, struct.pack("<I", exif_at)) + struct.pack("<I", ifd1)
            + b"PanoCam\x00"
            + struct.pack("<H", 3) + entry(0x927C, 7, len(maker_note), struct.pack("<I", note_at))
            + entry(0xA002, 4, 1, struct.pack("<I", 64))
            + entry(0xA003, 4, 1, struct.pack("<I", 32)) + struct.pack("<I", 0)
            + struct.pack("<H", 2) + entry(0x0201, 4, 1, struct.pack("<I", thumb_at))
            + entry(0x0202, 4, 1, struct.pack("<I", len(thumbnail))) + struct.pack("<I", 0)
            + thumbnail)


def test_for_output_leaves_a_cameras_maker_note_where_it_was():
    """for_output laid the whole EXIF block out anew (piexif): a maker note moved, and the
    offsets into the block that many cameras' maker notes hold pointed at other bytes."""
    thumb = io.BytesIO()
    Image.fromarray(pixels()).save(thumb, format="JPEG")
    note = b"CAM\x00" + struct.pack("<I", 8) + bytes(range(32))  # an offset into the block
    exif = _camera_exif(note, thumb.getvalue())
    out = ImageMetadata(exif=exif).for_output(8192, 4096).exif
    assert out.find(note) == exif.find(note) == 8  # the maker note where its offsets expect it
    fields = piexif.load(out)
    assert fields["0th"][piexif.ImageIFD.Make] == b"PanoCam"
    assert fields["Exif"][piexif.ExifIFD.MakerNote] == note
    assert fields["Exif"][piexif.ExifIFD.PixelXDimension] == 8192
    assert fields["Exif"][piexif.ExifIFD.PixelYDimension] == 4096
    assert not fields["thumbnail"] and len(out) == len(exif) - len(thumb.getvalue())



def test_upright_sets_the_orientation_where_it_was_and_drops_the_thumbnail():
    """Cube faces are drawn from the pixels as stored, so their EXIF says orientation 1; the
    edit is made in place (as for_output's), so a maker note keeps its offsets, and the
    thumbnail goes as it did when piexif laid the block out anew."""
    thumb = io.BytesIO()
    Image.fromarray(pixels()).save(thumb, format="JPEG")
    note = b"CAM\x00" + struct.pack("<I", 8) + bytes(range(32))
    exif = _camera_exif(note, thumb.getvalue(), orientation=6)
    assert ImageMetadata(exif=exif).orientation == 6
    upright = ImageMetadata(exif=exif).upright()
    assert upright.orientation == 1
    assert upright.exif.find(note) == exif.find(note) == 8
    fields = piexif.load(upright.exif)
    assert fields["0th"][piexif.ImageIFD.Make] == b"PanoCam"
    assert not fields["thumbnail"] and len(upright.exif) == len(exif) - len(thumb.getvalue())
    plain = ImageMetadata(exif=_camera_exif(note, thumb.getvalue()))
    assert plain.upright() is plain  # no orientation: nothing to turn

def test_unreadable_exif_in_a_file_is_dropped_not_fatal(tmp_path, caplog):
    buffer = io.BytesIO()
    Image.fromarray(pixels()).save(buffer, format="JPEG", exif=b"Exif\x00\x00garbage!")
    path = tmp_path / "x.jpg"
    path.write_bytes(buffer.getvalue())
    with caplog.at_level(logging.WARNING):
        loaded = read_image(path)
    assert loaded.metadata.exif is None and "EXIF" in caplog.text


def test_jpeg_structure_errors():
    with pytest.raises(ValueError, match="start-of-image"):
        metadata_from_jpeg(b"\x89PNG")
    with pytest.raises(ValueError, match="truncated"):
        metadata_from_jpeg(b"\xff\xd8\xff\xe1\x10\x00Exif")


def test_tiff_output_keeps_an_exif_sub_directory_that_ends_the_block(tmp_path, caplog):
    """piexif (which edits EXIF for every output) leaves out the next-directory pointer of a
    sub-directory that ends the block; reading it anyway dropped ISO and exposure from TIFF
    outputs and warned on every TIFF written by tifffile."""
    import piexif

    from pano_inpaint.io import ImageMetadata, read_image, write_image

    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"Ricoh"},
                        "Exif": {piexif.ExifIFD.ISOSpeedRatings: 200}})
    pixels = np.zeros((32, 64, 3), np.uint8)
    write_image(tmp_path / "cam.jpg", pixels, ImageMetadata(exif=exif))
    loaded = read_image(tmp_path / "cam.jpg")
    write_image(tmp_path / "out.tif", loaded.pixels, loaded.metadata.for_output(64, 32))
    with caplog.at_level("WARNING"):
        kept = piexif.load(read_image(tmp_path / "out.tif").metadata.exif)
    assert kept["Exif"][piexif.ExifIFD.ISOSpeedRatings] == 200
    assert kept["Exif"][piexif.ExifIFD.PixelXDimension] == 64
    assert not caplog.records


def test_tifffile_written_tiff_reads_and_writes_without_warnings(tmp_path, caplog):
    import tifffile

    from pano_inpaint.io import read_image, write_image

    tifffile.imwrite(tmp_path / "t.tif", np.zeros((32, 64, 3), np.uint8))
    with caplog.at_level("WARNING"):
        loaded = read_image(tmp_path / "t.tif")
        write_image(tmp_path / "o.tif", loaded.pixels, loaded.metadata.for_output(64, 32))
        read_image(tmp_path / "o.tif")
    assert not caplog.records
