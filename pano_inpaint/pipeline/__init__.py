"""The inpainting pipeline (:func:`inpaint`) and its stages: hole regions and cube planning
(``regions``, ``cube``), filling one region (``region_fill``), face-overlap reconciliation
(``reconcile``)."""

from pano_inpaint.pipeline.cube import RegionCube, face_size_and_pad, native_face_size
from pano_inpaint.pipeline.reconcile import reconcile_tiles
from pano_inpaint.pipeline.regions import Region, find_regions, plan_cube
from pano_inpaint.pipeline.result import InpaintResult, RegionReport
from pano_inpaint.pipeline.run import Progress, hole_to_fill, inpaint

__all__ = [
    "InpaintResult",
    "Progress",
    "Region",
    "RegionCube",
    "RegionReport",
    "face_size_and_pad",
    "find_regions",
    "hole_to_fill",
    "inpaint",
    "native_face_size",
    "plan_cube",
    "reconcile_tiles",
]
