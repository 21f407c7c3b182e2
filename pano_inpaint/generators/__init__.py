"""Generators: fill holes in cube-padded faces. One registry; built-ins are imported here.

Torch-based generators and PatchMatch (numba kernels) are registered lazily, so importing the
package (and ``pano-inpaint --help``) loads neither torch nor numba.
"""

from pano_inpaint.generators import fill, opencv  # noqa: F401  (register built-ins)
from pano_inpaint.generators.base import CubeTiles, Generator, GeneratorInfo
from pano_inpaint.generators.registry import (
    UnknownGeneratorError,
    generator_info,
    get_generator,
    list_generators,
    register_generator,
    register_lazy_generator,
)

register_lazy_generator("patchmatch", "pano_inpaint.generators.patchmatch.generator:PatchMatch",
                        "Seam-aware multi-scale PatchMatch: copies texture from any face, "
                        "continuous across edges", False)
register_lazy_generator("net", "pano_inpaint.generators.net.generator:NetGenerator",
                        "Seam-aware cube network (LaMa-style FFC, CubePad everywhere)", True)
register_lazy_generator("net+patchmatch", "pano_inpaint.generators.net.generator:NetPatchMatch",
                        "Network for structure, PatchMatch for full-resolution texture", True)

__all__ = [
    "CubeTiles",
    "Generator",
    "GeneratorInfo",
    "UnknownGeneratorError",
    "generator_info",
    "get_generator",
    "list_generators",
    "register_generator",
    "register_lazy_generator",
]
