"""Geometry core: conventions, sphere maps, rotations, ERP <-> cubemap, cube padding.

Torch's ``CubePad`` lives in :mod:`pano_inpaint.geometry.torch_padding` so that importing the
geometry does not import torch.
"""

from pano_inpaint.geometry._cache import clear_map_cache, set_map_cache_budget
from pano_inpaint.geometry.conventions import (
    FACE_CENTER,
    FACE_DOWN,
    FACE_NAMES,
    FACE_ORDER,
    FACE_RIGHT,
    Face,
)
from pano_inpaint.geometry.cubemap import cube_to_erp, erp_to_cube, tiles_to_erp
from pano_inpaint.geometry.padding import cube_pad_plan, pad_cube_faces, repad_cube_faces
from pano_inpaint.geometry.perspective import (
    PerspectiveView,
    view_pixel_to_xyz,
    xyz_to_view_pixel,
)
from pano_inpaint.geometry.rotation import (
    as_rotation,
    rotation_matrix,
    rotation_to_angles,
    rotation_to_center,
)
from pano_inpaint.geometry.sphere import (
    erp_directions,
    erp_pixel_to_lonlat,
    erp_pixel_to_xyz,
    face_pixel_to_xyz,
    lonlat_to_erp_pixel,
    lonlat_to_xyz,
    xyz_to_erp_pixel,
    xyz_to_face,
    xyz_to_face_pixel,
    xyz_to_lonlat,
)

__all__ = [
    "FACE_CENTER",
    "FACE_DOWN",
    "FACE_NAMES",
    "FACE_ORDER",
    "FACE_RIGHT",
    "Face",
    "PerspectiveView",
    "as_rotation",
    "clear_map_cache",
    "cube_pad_plan",
    "cube_to_erp",
    "erp_directions",
    "erp_pixel_to_lonlat",
    "erp_pixel_to_xyz",
    "erp_to_cube",
    "face_pixel_to_xyz",
    "lonlat_to_erp_pixel",
    "lonlat_to_xyz",
    "pad_cube_faces",
    "repad_cube_faces",
    "rotation_matrix",
    "rotation_to_angles",
    "rotation_to_center",
    "set_map_cache_budget",
    "tiles_to_erp",
    "view_pixel_to_xyz",
    "xyz_to_erp_pixel",
    "xyz_to_face",
    "xyz_to_face_pixel",
    "xyz_to_lonlat",
    "xyz_to_view_pixel",
]
