"""Seam-aware multi-scale PatchMatch on cube-padded faces: texture fills for any hole on the sphere.

References: C. Barnes, E. Shechtman, A. Finkelstein, D. B. Goldman, "PatchMatch: a randomized
correspondence algorithm for structural image editing", SIGGRAPH 2009 (search); Y. Wexler,
E. Shechtman, M. Irani, "Space-time completion of video", TPAMI 2007 (coarse-to-fine EM with
weighted votes); A. Newson, A. Almansa, Y. Gousseau, P. Perez, "Non-local patch-based image
inpainting", IPOL 2017 (texture channels, onion-peel start). Written for this project from the
papers; no code taken from elsewhere.

Where patches are compared. On the gnomonic cube tiles, never on the panorama. A gnomonic face
is a perspective camera: straight lines stay straight, and the ground seen by the down face (the
case that matters most: a tripod) is mapped with *uniform* scale, like a photo taken straight
down, so every ground patch of the down tile, padding included, is directly comparable with
every other; the panorama instead stretches the nadir into a band and swaps its patches' shape
with latitude. The source bank is the six padded faces of the cube (``tiles.context()``), each
compared in its own frame where it is least distorted, so a match may lie on any face with no
resampling beyond the tiles the pipeline already holds. The wrap-around line is the middle of the
back face: it needs no special case.

What distortion remains, and how it is handled. A tile samples the panorama more finely away
from its centre (radially by the stretch ``1 + a^2 + b^2``): a source far out in a tile is a
magnified, blurred view, and the ground farther from the camera is seen at lower resolution than
the ground under it. So (1) sources must sit where the stretch is at most ``max_scale``, (2) a
candidate's cost is multiplied by a locality prior (angle between the two directions on the
sphere: far faces such as the sky must match much better; for a shallow hole its weight grows
with the inverse square of the hole's depth, so a source's penalty depends on its distance in
hole radii and a small hole in the sky does not copy the tree line a few degrees below), and
(3) the final copy amplifies a source's detail in proportion to how much more it is stretched
than its target (``sharpen``).
Optionally (``level_locality``, off by default) the locality prior also weighs a change of
height (the component along the panorama's up) more than a move around the vertical axis: in a
levelled panorama what lies at one elevation is seen from one distance, so the floor or street at
the hole's own elevation shows its tiles, stones and grain at the scale and foreshortening the
hole needs, while the floor a few degrees lower, near the horizon, shows them several times
larger, and a copy of it is plainer than the truth. The height difference shrinks towards the
poles (``cos(elevation)`` times the elevation difference), where the down and up faces see floor
and ceiling at one scale. It raised the rendered scenes' cube-edge gradient ratio 0.69 -> 0.75
and the Poly Haven large caps by +0.5 dB, but cost shadows, cube corners and cube-edge objects of
the Poly Haven panoramas 0.13-0.24 dB (two seeds; ``PatchMatchParams``), so it is not the default.
A blur prior (penalising sources more stretched than the target) was tried and removed: on the
evaluation's panoramas it pushed matches towards the face centres, where the ground is
smoothest, and cost a third of the fill's gradient energy.

Keeping texture. Averaging votes let plain EM drift to the smoothest sources (a blurred estimate
matches flat patches best). Three things hold the texture: the coarsest hole is onion-peeled
from its border inwards instead of starting from a smooth fill; on the coarser levels two texture
channels (local mean absolute differences) enter the distance and are held *fixed* in the hole
at a smooth interpolation of the surroundings, so each target patch keeps asking for as much
texture as there is around the hole; a candidate that continues a neighbour's match costs
``1 - coherence`` times its distance, so the field copies whole pieces of source rather than a
mosaic of single pixels (votes over a mosaic average its texture away); the finest level starts
from the vote of the upsampled field and ends by copying each pixel's own match (no averaging).
It only refines the field above it (one sweep, a random search within 64 px of each match, no
jumps to other faces), and so does any level with a face wider than ``refine_size`` (from 4K
up the second level, at 8K the third too: the fill is laid out on tiles of ~400 px or less).

Structure: regular texture (``_offsets``). A floor of tiles, bricks, planks or painted stripes
repeats itself under a few shifts, and on the down face (a camera looking straight down) those
shifts are the same everywhere on the tile. Before the search, each tile with a deep hole looks
for them on its padded known pixels (statistics of patch offsets, He and Sun 2012, measured
densely with masked FFT correlations of edge strength). Where the repeat is sharp (strength
``lattice_strength``) the hole is filled first along the lattice: an onion peel in which a pixel
may only copy a known pixel one lattice vector away, or what a pixel one lattice vector away
copies, so the pattern keeps its phase to the middle of the hole and stripes leave it where they
would have; each copy shows its source where the chain of steps truly lands, sampled between
the pixels (``subpixel_copies``). Those pixels then count as known for PatchMatch, which fills
what is left; the region's report says per face what was found, or that the step was skipped
(no regular texture and no line, surroundings flat with no line, or a hole too thin to need
it).

Structure: lines (``_lines``). Where the texture is not regular, straight edges still cross the
hole: a kerb, a skirting board, the rail on a wall, the edge of a painted stripe. A gnomonic tile
keeps them straight, so an edge that enters the hole is found as two collinear segments of the
known ring (OpenCV's LSD), one on each side. A thin band along each such line is filled first,
by copies from the known part of the same band translated along the line (structure
propagation, Sun et al. 2005: the curves first, then the rest constrained by them); PatchMatch
fills the rest around them. A line between two different regions (asphalt and paving, wall
and floor) gets a wide band, so each region is continued along it from its own side rather than
left to a search that may spill one across the edge. On the structured scenes
(``eval/scenes.py``) and on the paved and plank floors of the evaluation's panoramas this is
what carries a line through a cube-edge object, a monopod or a wrap-around hole.

Structure: a lattice per side (``_sides``). A floor of two materials whose boundary crosses
the hole (a paving beside a road) shows the ring a valley along the boundary, sharper than the
paving's grid, which covers one side only: the tile's lattice is the valley, and its copies
along the kerb smeared the paving's grid into stripes. Each side beyond the boundaries along
the valley is looked at alone; a side whose known pixels repeat in two directions is filled
first along its own lattice, from beyond any band of another tone along the boundary (a
kerb's stones), which the valley's copies continue (``side_lattices``).

Structure: tile tones (``_tones``). Copies along a lattice continue its joints but bring the
tone of the tile they came from: on a floor of tiles of random tones a dark tile the hole cuts
got a light copy in its hole part, which the stitch blended into a dark-to-light blob. After the
lattice step the tiles are found inside the lattice's cell (the cell of the joints' edges may
hold two or four tiles) and placed on the joints, and each tile the hole cuts takes its known
part's tone; a tile with nothing known keeps its copy, unless the copy's tone is rare among the
known tiles (a dark tile of a light floor copied where nothing says one lies), which takes their
median tone (``tile_tones``; ``tile_tones_whole`` also gives every hidden tile one tone and keeps
the steps between tones from the stitch: crisper tiles, lower scores). The report says when the
step is skipped (tiles of one tone or no tiles).

Structure: stripes (``_stripes``). A plank floor repeats across its planks but not along them
(the joints fall at random): no lattice is found, and the search lays planks at other
orientations (the side faces' floor, seen obliquely, rotated into the down face). On a tile that
sees its floor from above, where no lattice or floor lattice applies and any lines found run
along the planks (their joints), a ring whose structure tensor has one orientation on every side
of the hole is filled first along that direction only, from both ends of each plank. Copies from
far along a plank bring the light of where they were, so the fill's coarse band (a Gaussian of
``_STRIPES_LIGHT`` of the face) is then taken from a second, plain fill of the same tiles.

Large holes. The coarse levels lay out the fill, and for a large hole the only sources near it
are the target's own padded border, at a stretch above ``max_scale``: a level ``2^l`` times
coarser allows ``2^l * max_scale`` (it samples the panorama ``2^l`` times below its resolution,
so those sources are no blurrier there). Without it, a 45-degree nadir cap was laid out from the
side faces, which see the floor obliquely: stripes turned by 90 degrees, a wall's colour. In such
a hole (at least ``locality_depth`` deep) the pieces copied from each side keep that side's light
and meet in the middle; the next levels find sources with an edge to match the meeting line, and
a plain floor comes back in quadrants of different shading. So ``layout_stitch`` removes the
offsets between the pieces from the estimate each of the levels that lay out the fill starts
from, below the coarsest (the stitch below, on the copy of the matches handed down, voted like
it); the levels' own EM votes keep them, so the search still sees the mismatch by which it drops
a foreign piece ("votes" stitches those too: as often worse as better). By default ("peel") the
coarsest level's onion peel is stitched as well where the known ring is plain at that level,
taking only the part of the correction a change of light explains ("starts": not the peel).

Finishing (``_finish``). Copies come in pieces, and each piece keeps its source's brightness:
on a sky gradient the pieces' offsets show as straight-edged facets. The fill is stitched in
the gradient domain (a Poisson solve, as in Perez et al. 2003): inside a piece it keeps the
copy's steps, across a piece edge or the hole's border it takes the sources' own steps there, so
the texture runs on and the offsets go. Then thin parts of the hole take a smooth fill's
shading (what the border predicts best), and each octave band of the fill is scaled, region by
region, to the energy the known ring nearest it has in that band: raised where the copy is
plainer (a patch distance prefers flat sources; finest band only, capped), lowered where
copied pieces bring texture a smooth sky or ceiling does not have, but never on the
cross-section of a line the line step continued (the ring holds the line only where it
crosses it). Measured on the
evaluation's 72 cases when the finish came (before the band matching): WS-PSNR 29.5 -> 30.3 dB
and gradient-energy ratio 0.54 -> 0.81; the band matching, on the large-hole families: +0.04
to +0.40 dB per family, zenith gradient ratio 1.59 -> 1.23 (README, "Large holes").

Seams. Targets keep their padding, so a patch near a face edge reads the neighbour's pixels, and
the fill is re-padded between tiles after every EM step (only the hole pixels of the borders that
look into another tile change). The final pass is Gauss-Seidel: each tile searches against the
final fill of the tiles before it, so it continues their fill across the shared edges; the output
is re-padded exactly as ``CubeTiles.repad`` does.

Values. Distances use the display-referred proxy ``tiles.image``. For HDR, the final copy
and the finish work on the linear values in log brightness (``values.LogBrightness``,
``log(1 + v / median)``), through the same matches, and map back: HDR values are copied, never
clipped to the proxy's range, and no fill is brighter than the brightest known pixel. Not on
linear values: there a sun beside the hole spread its energy over the whole hole through the
Poisson stitch (venice_sunset, cube-edge: 14.7 dB against the peers' 24.4). Not on the proxy:
it saturates, and a small error near its top maps back to a huge value (dikhololo_night, wrap:
a sky of 1.6 came back at up to 110, in coloured rings). Every random draw is a hash of the
seed, the step and the pixel, and the parallel sweeps split rows into bands of fixed height:
fills are bit-identical for a seed, whatever the number of threads.

``seam_aware=False`` is the ablation: every face filled alone on its unpadded core, searching
only itself, with no re-padding.
"""

from pano_inpaint.generators.patchmatch.generator import PatchMatch, PatchMatchParams

__all__ = ["PatchMatch", "PatchMatchParams"]
