"""pano-inpaint: seam-aware inpainting for 360-degree equirectangular panoramas.

Importing the package loads no torch and touches no files or environment.
"""

from pano_inpaint.config import PipelineConfig, load_config
from pano_inpaint.consistency import CheckResult, ConsistencyReport, check_consistency
from pano_inpaint.generators import get_generator, list_generators
from pano_inpaint.masks import cap_mask, mask_fraction, nadir_mask, zenith_mask
from pano_inpaint.pipeline import InpaintResult, RegionReport, inpaint

__version__ = "0.1.0"

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
