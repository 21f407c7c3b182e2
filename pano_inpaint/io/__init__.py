"""Image files in and out: pixels with their file dtype, EXIF / ICC / XMP (GPano) metadata, masks.

This package is the only place that knows file formats and file dtypes; see
:mod:`pano_inpaint.io.images` for the formats and conversions, :mod:`pano_inpaint.io.metadata`
for the metadata.

The names below are imported on first use (PEP 562): what only reads a file's header
(:mod:`pano_inpaint.io.headers`) loads neither numpy nor OpenCV, so a command that refuses a
decompression bomb or an unreadable file does so before importing them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pano_inpaint._lazy import lazy_names

_HOMES = {
    "list_images": "pano_inpaint.io.folders",
    "read_rgb": "pano_inpaint.io.folders",
    "DEFAULT_MAX_PIXELS": "pano_inpaint.io.headers",
    "SUPPORTED_SUFFIXES": "pano_inpaint.io.headers",
    "ImageHeader": "pano_inpaint.io.headers",
    "ImageReadError": "pano_inpaint.io.headers",
    "read_image_header": "pano_inpaint.io.headers",
    "ImageWriteError": "pano_inpaint.io.images",
    "LoadedImage": "pano_inpaint.io.images",
    "check_storable": "pano_inpaint.io.images",
    "derived_suffix": "pano_inpaint.io.images",
    "encode_mask": "pano_inpaint.io.images",
    "read_image": "pano_inpaint.io.images",
    "read_mask": "pano_inpaint.io.images",
    "write_image": "pano_inpaint.io.images",
    "write_mask": "pano_inpaint.io.images",
    "JpegPatch": "pano_inpaint.io.jpeg_patch",
    "PatchUnavailable": "pano_inpaint.io.jpeg_patch",
    "write_jpeg_patch": "pano_inpaint.io.jpeg_patch",
    "GPANO_NS": "pano_inpaint.io.metadata",
    "GPano": "pano_inpaint.io.metadata",
    "ImageMetadata": "pano_inpaint.io.metadata",
    "parse_gpano": "pano_inpaint.io.metadata",
    "update_gpano": "pano_inpaint.io.metadata",
}

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "GPANO_NS",
    "SUPPORTED_SUFFIXES",
    "GPano",
    "ImageHeader",
    "ImageMetadata",
    "ImageReadError",
    "ImageWriteError",
    "JpegPatch",
    "LoadedImage",
    "PatchUnavailable",
    "check_storable",
    "derived_suffix",
    "encode_mask",
    "list_images",
    "parse_gpano",
    "read_image",
    "read_image_header",
    "read_mask",
    "read_rgb",
    "update_gpano",
    "write_image",
    "write_jpeg_patch",
    "write_mask",
]

if TYPE_CHECKING:  # static tools see plain imports
    from pano_inpaint.io.folders import list_images, read_rgb
    from pano_inpaint.io.headers import (
        DEFAULT_MAX_PIXELS,
        SUPPORTED_SUFFIXES,
        ImageHeader,
        ImageReadError,
        read_image_header,
    )
    from pano_inpaint.io.images import (
        ImageWriteError,
        LoadedImage,
        check_storable,
        derived_suffix,
        encode_mask,
        read_image,
        read_mask,
        write_image,
        write_mask,
    )
    from pano_inpaint.io.jpeg_patch import JpegPatch, PatchUnavailable, write_jpeg_patch
    from pano_inpaint.io.metadata import GPANO_NS, GPano, ImageMetadata, parse_gpano, update_gpano


__getattr__, __dir__ = lazy_names(__name__, _HOMES)
