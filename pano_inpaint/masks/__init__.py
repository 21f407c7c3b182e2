"""Hole masks on the equirectangular grid, True = hole: pole caps and caps anywhere, their area
and dilation on the sphere (:mod:`~pano_inpaint.masks.sphere`), and the synthetic damage families
the evaluation and the training draw from (:mod:`~pano_inpaint.masks.families`)."""

from pano_inpaint.masks.families import (
    MASK_FAMILIES,
    NADIR_FAMILIES,
    MaskFamily,
    family_rng,
    list_families,
    make_mask,
)
from pano_inpaint.masks.sphere import (
    cap_mask,
    dilate_mask,
    mask_fraction,
    nadir_mask,
    row_over_the_poles,
    rows_over_the_poles,
    zenith_mask,
)

__all__ = [
    "MASK_FAMILIES",
    "NADIR_FAMILIES",
    "MaskFamily",
    "cap_mask",
    "dilate_mask",
    "family_rng",
    "list_families",
    "make_mask",
    "mask_fraction",
    "nadir_mask",
    "row_over_the_poles",
    "rows_over_the_poles",
    "zenith_mask",
]
