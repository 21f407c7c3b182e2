"""Synthetic camera rigs: parts, rig kinds, a ray-caster and a compositor with exact masks.

Used by the training of the rig detector (:mod:`pano_inpaint.train.mask_data`), by its evaluation
and by the sample renderer (``samples/render.py``), so there is one place that draws a tripod.
"""

from pano_inpaint.masks.rigs.build import (
    RIG_KINDS,
    Rig,
    TripodGeometry,
    list_rig_kinds,
    make_rig,
    transformed,
    tripod_parts,
)
from pano_inpaint.masks.rigs.composite import (
    ErpGrid,
    RigLayer,
    RigScene,
    composite,
    random_lighting,
    random_scene,
    render_layer,
    true_mask,
)
from pano_inpaint.masks.rigs.parts import Box, Cylinder, Material, Sphere
from pano_inpaint.masks.rigs.render import Lighting, RigRenderer

__all__ = [
    "RIG_KINDS",
    "Box",
    "Cylinder",
    "ErpGrid",
    "Lighting",
    "Material",
    "Rig",
    "RigLayer",
    "RigRenderer",
    "RigScene",
    "Sphere",
    "TripodGeometry",
    "composite",
    "list_rig_kinds",
    "make_rig",
    "random_lighting",
    "random_scene",
    "render_layer",
    "transformed",
    "tripod_parts",
    "true_mask",
]
