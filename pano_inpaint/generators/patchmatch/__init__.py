"""Seam-aware multi-scale PatchMatch on cube-padded faces: texture fills for any hole on the sphere.

References: C. Barnes, E. Shechtman, A. Finkelstein, D. B. Goldman, "PatchMatch: a randomized
correspondence algorithm for structural image editing", SIGGRAPH 2009 (search); Y. Wexler,
E. Shechtman, M. Irani, "Space-time completion of video", TPAMI 2007 (coarse-to-fine EM with
weighted voting). Written for this project from the papers; no code taken from elsewhere.

Design. Patches are compared on the gnomonic cube tiles themselves, never on the panorama: a
gnomonic view is a perspective camera, so a straight line stays straight and, for the case that
matters most (the ground around the nadir seen by the down face), a plane facing the camera is
mapped with *uniform* scale - every ground patch of the down tile, padding included, is directly
comparable with every other, with no stretching toward the pole as on the panorama. The source
bank is the six faces of the cube (``tiles.context()``, same padding), so a match may lie on any
face; a source centre is valid only where its patch is fully known and the tile's stretch
``1 + a^2 + b^2`` is at most ``max_scale`` (3 = a face corner): deep in the padding a tile is an
upsampled, blurred view, and blurred sources would blur the fill. Other faces are compared in
their own gnomonic frames, which is where their content is least distorted; no source is
resampled, so the search costs nothing beyond the tiles the pipeline already holds. Targets keep
their padding: a patch that reaches over a face edge reads the neighbour's pixels there, and after
every EM step of every tile the batch is re-padded from the cores (Gauss-Seidel order), so fills
on both sides of an edge see each other and converge to one continuous fill. The panorama's
wrap-around line is the middle of the back face, so it needs no special case at all.

Distances use the display-referred proxy ``tiles.image``; the final vote copies ``tiles.values``
from the same matches, so HDR values are copied, never clipped or tone-mapped twice.
``seam_aware=False`` is the ablation: every face filled alone on its unpadded core, searching
only itself, with no re-padding.
"""

from pano_inpaint.generators.patchmatch.generator import PatchMatch, PatchMatchParams

__all__ = ["PatchMatch", "PatchMatchParams"]
