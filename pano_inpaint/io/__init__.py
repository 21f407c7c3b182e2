"""Image files in and out: pixels with their file dtype, EXIF / ICC / XMP (GPano) metadata, masks.

This package is the only place that knows file formats and file dtypes; see
:mod:`pano_inpaint.io.images` for the formats and conversions, :mod:`pano_inpaint.io.metadata`
for the metadata.
"""

from pano_inpaint.io.folders import list_images, read_rgb
from pano_inpaint.io.headers import DEFAULT_MAX_PIXELS, ImageHeader
from pano_inpaint.io.images import (
    SUPPORTED_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    LoadedImage,
    read_image,
    read_image_header,
    read_mask,
    write_image,
)
from pano_inpaint.io.jpeg_patch import JpegPatch, PatchUnavailable, write_jpeg_patch
from pano_inpaint.io.metadata import GPANO_NS, GPano, ImageMetadata, parse_gpano, update_gpano

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
    "list_images",
    "parse_gpano",
    "read_image",
    "read_image_header",
    "read_mask",
    "read_rgb",
    "update_gpano",
    "write_image",
    "write_jpeg_patch",
]
