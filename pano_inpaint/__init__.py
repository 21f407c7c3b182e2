"""pano-inpaint: seam-aware inpainting for 360-degree equirectangular panoramas.

Importing the package loads no torch and touches no files or environment. The names below are
imported on first use (PEP 562), so ``import pano_inpaint`` and the command line's ``--help``
do not pay for numpy, OpenCV or numba until something needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pano_inpaint._lazy import lazy_names

__version__ = "0.1.0"

_HOMES = {
    "PipelineConfig": "pano_inpaint.config",
    "load_config": "pano_inpaint.config",
    "CheckResult": "pano_inpaint.consistency",
    "ConsistencyReport": "pano_inpaint.consistency",
    "check_consistency": "pano_inpaint.consistency",
    "get_generator": "pano_inpaint.generators",
    "list_generators": "pano_inpaint.generators",
    "cap_mask": "pano_inpaint.masks",
    "mask_fraction": "pano_inpaint.masks",
    "nadir_mask": "pano_inpaint.masks",
    "zenith_mask": "pano_inpaint.masks",
    "InpaintResult": "pano_inpaint.pipeline",
    "RegionReport": "pano_inpaint.pipeline",
    "inpaint": "pano_inpaint.pipeline",
}

__all__ = [
    "CheckResult",
    "ConsistencyReport",
    "InpaintResult",
    "PipelineConfig",
    "RegionReport",
    "__version__",
    "cap_mask",
    "check_consistency",
    "get_generator",
    "inpaint",
    "list_generators",
    "load_config",
    "mask_fraction",
    "nadir_mask",
    "zenith_mask",
]

if TYPE_CHECKING:  # static tools see plain imports
    from pano_inpaint.config import PipelineConfig, load_config
    from pano_inpaint.consistency import CheckResult, ConsistencyReport, check_consistency
    from pano_inpaint.generators import get_generator, list_generators
    from pano_inpaint.masks import cap_mask, mask_fraction, nadir_mask, zenith_mask
    from pano_inpaint.pipeline import InpaintResult, RegionReport, inpaint


__getattr__, __dir__ = lazy_names(__name__, _HOMES)
