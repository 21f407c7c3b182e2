"""Pipeline stages: hole regions and cube planning, face-overlap reconciliation."""

from pano_inpaint.pipeline.reconcile import reconcile_tiles
from pano_inpaint.pipeline.regions import Region, find_regions, plan_cube

__all__ = ["Region", "find_regions", "plan_cube", "reconcile_tiles"]
