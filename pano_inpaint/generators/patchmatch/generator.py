"""The ``patchmatch`` generator: coarse-to-fine EM over cube tiles (design in the package doc)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

import cv2
import numba
import numpy as np

from pano_inpaint.dataclass_yaml import build_dataclass
from pano_inpaint.generators.base import CubeTiles, padding_of
from pano_inpaint.generators.patchmatch import _kernels as kernels
from pano_inpaint.generators.patchmatch._arcs import Arc, arc_sources, find_arcs
from pano_inpaint.generators.patchmatch._compile import compile_all
from pano_inpaint.generators.patchmatch._finish import (
    FinishScales,
    finish_fill,
    piece_offsets,
    smooth_fill,
)
from pano_inpaint.generators.patchmatch._light import LOG_FLOOR, fading, hue_change, log_change
from pano_inpaint.generators.patchmatch._lines import (
    Edge,
    Line,
    lines_and_edges,
    lines_note,
    paint_contrast,
)
from pano_inpaint.generators.patchmatch._offset_kernels import lattice_peel
from pano_inpaint.generators.patchmatch._offsets import (
    Lattice,
    channel_mean,
    find_lattice,
    half_steps,
    known_mean,
    not_parallel,
    tone_lattice,
)
from pano_inpaint.generators.patchmatch._plane import (
    Rectified,
    floor_lattice,
    homography_parts,
    repeats_across,
)
from pano_inpaint.generators.patchmatch._pyramid import (
    Bank,
    Downsampler,
    Level,
    RingLinks,
    build_bank,
    face_coords,
    level_plan,
    valid_box,
    with_texture_features,
)
from pano_inpaint.generators.patchmatch._sides import side_lattices
from pano_inpaint.generators.patchmatch._stripes import (
    across_tile,
    from_above,
    lattice_stripes,
    oriented_all_round,
    stripes_light,
    stripes_line,
)
from pano_inpaint.generators.patchmatch._tones import tile_tones
from pano_inpaint.generators.patchmatch._wide import thin_ring, wider_lattice
from pano_inpaint.generators.registry import register_generator
from pano_inpaint.geometry.conventions import FACE_CENTER, FACE_DOWN, FACE_ORDER, FACE_RIGHT
from pano_inpaint.geometry.padding import repad_cube_faces
from pano_inpaint.pipeline.reconcile import reconcile_tiles
from pano_inpaint.values import LogBrightness

__all__ = ["PatchMatch", "PatchMatchParams"]

logger = logging.getLogger(__name__)

_PEEL_DRAWS = 32  # uniform candidates per pixel when peeling the coarsest hole
_FINE_REACH = 8  # a refining level's random search spans 1/8 of the tile,
_FINE_REACH_MAX = 64  # but no more than 64 px (1K's finest level: 51 px)
# Below a coarser level, a refining level's pixel whose match continues both its scan-order
# neighbours' (inside a copied piece) searches within this many px only: the far draws, each a
# cache miss, seldom beat a match its neighbours share; the near ones re-align the piece (an
# upsampled offset is rounded to the coarser grid). Half the finest search's time at 4K and 8K.
_INNER_REACH = 4
_ALONG_TRIES = 16  # copies compared per pixel when filling along a lattice or a line
# lattice_magnification's bound: a copy magnified twice then costs 65536 times its match.
_MAX_MAGNIFICATION = 16.0
# The gnomonic stretch (``_pyramid.local_scale``) at a face's corners, 54.7 degrees from its
# centre: how far the structure steps of a tile with no source within ``max_scale`` may copy
# from (``_fill_along``).
_CORNER_STRETCH = 3.0
# A tile whose hole covers its face (``thin_ring``: a 50-degree nadir cap) knows its own plane
# only in a ring of its padding, 50 degrees and more from the face's centre, where the tile
# stretches the sphere 2.4 times and more: within ``max_scale`` that ring holds almost no source
# (at 2048 px 5% of the cap's copies), and the search filled the cap from the other faces,
# which see that ground foreshortened, or see farther ground (the pannellum rock's 50-degree
# cap at 2048 px: green grass from beyond the rock; a synthetic stone floor: a square of
# coarser stone the size of the face). Its own face's sources count up to this stretch (58
# degrees on the face's axes): magnified views of the ground that lies there, sharpened as a
# source at ``max_scale`` is (``_kernels.copy_centres`` caps the ratio).
_OWN_RING_STRETCH = 3.5
# A covered tile looking within this angle of the panorama's down (a nadir cap) sees the ground
# square on: on its face that plane keeps one scale out to the ring. The other faces see it
# farther away, so smaller, and see what lies beyond: a pixel of face k at (a, b) looks along
# d = centre_k + a right_k + b down_k, and the plane there is ``(d . n)^1.5`` times the scale it
# has on the covered face (``n`` that face's centre; 1 on the face itself, which is a view of
# the plane; on a side face ``d . n`` is the coordinate towards the covered face, 1 at the
# shared edge, 45 degrees below the horizon). Such a tile copies from the other faces only
# where that is at least ``_PLANE_SCALE_MIN``. With every face's sources, the held-out setts'
# 50-degree cap at 1K came back as a fog of cobbles a third of their size, Kiara's with a dark
# bush from beyond its ring, a synthetic stone floor with a square of the grass lying 30
# degrees below the horizon (scale 0.44). Not a zenith cap: above the camera is sky, with no
# scale, and what rises round it (Potsdamer Platz's towers under a 50-degree zenith cap: held
# to its ring, the fill copied their facades into the sky, 18.92 -> 15.86 dB).
_PLANE_AXIS_DEGREES = 30.0
_PLANE_SCALE_MIN = 0.5
# The share of a tile's hole that, filled along the stripes of a lattice (what its whole steps
# did not reach), has the stitch keep the steps between all the tile's copies. Measured: 0.002
# on the workshop's 1K tripod (a sliver beside the ring); under the workshop's 50-degree cap
# 0.06 at 1024 px, 0.70 at 2048 and 0.18 at 4096, and 0.78 under the loft's at 2048. At 0.25
# the 4K workshop kept a blue haze (18.0 dB; 22.9 with its steps kept).
_KEPT_ALONG_STRIPES = 0.05
# The least depth (a share of the face) of a hole that a lattice found on a valley's floor
# fills (``_offsets._valley_floor``; shallower ones keep their lines, ``_structure``).
_FLOOR_MIN_DEPTH = 0.15
# A layer of fewer pixels than this is peeled on one thread: waking the thread pool costs more
# (about 35 ms a call on two cores shared with other jobs, measured; a line's band has ~20
# pixels a layer and hundreds of layers).
_SERIAL_LAYER = 512
# A copy whose exact source lies within this of its whole pixel (px, each way) is left as it is
# (``_at_exact_sources``).
_EXACT = 1e-3
_BLOCK_PIXELS = 1 << 20  # copies resampled at a time (an 8K cap's tile holds millions)
# The coarsest level's onion peel has the offsets between its pieces stitched out (layout_stitch
# "peel") only where the known ring around the holes is this plain at that level (``_ring_detail``:
# RMS log-brightness detail within ``_RING_WIDTH`` px, below a ``_RING_SIGMA`` blur). On a plain
# floor the pieces differ mostly by the light of where they came from, and the coarsest level's EM
# turns the step where they meet into a straight-edged block the finer levels keep (the
# warehouse's 45-degree cap: 0.018); on planks, stone or sunlit patches the offsets are as much
# the texture's own tones and the stitch spreads them (Lebombo 0.035, Dikhololo 0.040, Venice
# 0.053, St Fagans 0.087, Kiara 0.082: stitched there with the light share below, the 13 large
# caps over mask seeds 0-3 summed -1.04 dB, Lebombo -2.68, St Fagans -1.86, Venice -1.34).
_PLAIN_RING = 0.025
# ... and only where the ring's light does not rise into the holes (``_ring_rise``: the mean
# slope of its light towards the hole over the mean slope, at most this). The light-only stitch
# continues the ring's light smoothly inward, which has no peak inside the hole; under a lamp
# whose bright spot lies in the hole it darkens the fill (1K floors of scripts/plain_floors.py,
# not in the eval set: spot-lit epoxy, rise 0.42-0.44, stitched -3.8 / -0.5 / -1.1 dB; side-lit
# snow 0.07-0.32, +1.7 / +0.6 / +0.2 dB; the warehouse's side light -0.19 / -0.29, +1.15 dB).
# The margin between 0.32 and 0.42 is thin: measured on five floors.
_RISING_RING = 0.4
_RISE_SIGMA = 3.0
_RING_WIDTH = 4
_RING_SIGMA = 1.5
# A hole whose surroundings are flat (``_flat_surroundings``: under ``_FLAT_SHARE`` of the known
# pixels within the hole's depth of it, at least ``_RING_WIDTH`` px, stand more than
# ``_FLAT_STEP`` off their mean below the ``_RING_SIGMA`` blur, on the tile brought down to
# ``_FLAT_WORK`` px, the lattice search's work size) lies in a smooth sky or on a plain wall:
# nothing round it repeats, and no lattice is looked for. One was found all the same in the
# 8-bit steps of a smooth sky (rings a step apart round the zenith, strength 0.93 at one step
# across them), and each copy along it carried the sky's gradient one step further: the
# held-out terrace's and square's objects against the sky 50-54 dB, 55-56 without. An 8-bit
# sky's steps stand half a step off their blurred mean at most: at 1K no pixel of the skies'
# surroundings stood more than a step off; of the plainest textured ones 2-3% did (Lebombo's
# ceiling with its faint panel joints) and 3-50% (its blurred floorboards). Surroundings as
# deep as the hole, not only the ring beside it: a smeared nadir is flat for a few degrees round
# a cap, its floor's tiles beyond.
_FLAT_STEP = 1 / 255
_FLAT_SHARE = 0.01
_FLAT_WORK = 512
# Of the peel's stitch correction only what a light explains is applied: a change of the local
# mean's brightness up to 0.15 in log ratio, and of its hue up to 0.08 (full weight), none from
# 0.3 / 0.16. A piece of something else (another material, a sunlit patch's hard edge) keeps its
# mismatch, by which the EM drops it. The warehouse's peel corrections stay within 0.2 and 0.06;
# Lebombo's sunlit piece needs up to 0.48 and 0.22.
_LIGHT_STEP = (0.15, 0.3)
_LIGHT_HUE = (0.08, 0.16)
# Octave bands above structure_sigma: 16 reach far past any panorama's width.
_MAX_DETAIL_BANDS = 16
# Upper bounds of the count and size parameters, 10-100 times their defaults and beyond any face
# the pipeline cuts (a 64K panorama's is ~20,000 px): a slip such as iterations=1000000000000 is
# refused with the rest of the config, not started as a fill that never ends (the web app has
# one fill worker). patch_size's work grows with its square, levels' loop with its count.
_MAX_COUNTS = {"patch_size": 65, "iterations": 100, "coarse_iterations": 100,
               "search_passes": 100, "fine_search_passes": 100, "jumps": 100, "levels": 20,
               "coarse_size": 65536, "refine_size": 65536}
# Sigmas and depths given as shares of the face size: more than a whole face means nothing, and
# structure_sigma=1e6 failed a 512 px fill as a bug after 150 s, structure_depth=1e6 at once
# (out of memory); at 1 that fill takes 1.4 s against 1.0 s at the defaults.
_FACE_SHARES = ("structure_sigma", "structure_depth", "layout_depth", "layout_sigma",
                "rim_depth", "detail_depth", "locality_depth", "structure_min_depth",
                "unsure_min_depth")


@dataclass(frozen=True)
class PatchMatchParams:
    """Hyper-parameters of :class:`PatchMatch` (``generator.params`` in a pipeline config).
    The counts and sizes have upper bounds far above any use (``_MAX_COUNTS``; shares of the
    face size at most 1).

    Attributes:
        patch_size: patch side in pixels (odd).
        iterations: EM iterations at the finest scale.
        coarse_iterations: EM iterations at the coarsest scale (scales between interpolate).
        search_passes: PatchMatch sweeps per EM iteration (alternating scan direction).
        fine_search_passes: the same at the finest scale.
        refine_size: a level whose face is wider than this many pixels only refines the
            matches of the level above it, as the finest level does: ``iterations`` EM
            iterations of ``fine_search_passes`` sweeps with a local random search (the
            coarser levels lay out the fill, on tiles of at most ~500 px at any size, as at
            1K; at 4K the second level took the largest share of the solve, and 30% of a 4K
            fill's CPU went with 1024). The pipeline's faces (``W / pi``) are laid out on 326-328
            px at 2K, 4K, 8K and 16K under the default; other face sizes (3K's 492 px level,
            ``W / 4`` faces) were laid out on up to 512 px, at up to 2.5 times the cost, before
            it was lowered from 512 (4K ``W / 4`` tile, seven panoramas, two seeds: mean
            WS-PSNR 16.52 -> 16.53 dB, CPU -30%). None: the finest level alone.
        jumps: uniform draws over every searched face, per pixel and sweep, on the levels
            that lay out the fill (a refining level keeps its matches' faces: at 4K and 8K the
            draws changed 1e-5 of the finest field for a quarter of its sweep's time).
        coherence: discount on the cost of a candidate that continues a neighbour's match
            (0 = plain PatchMatch): larger values copy larger coherent pieces of source, which
            EM votes average without blurring. Also used by the peel along a lattice on the
            tile (not on a floor or ceiling seen in perspective).
        levels: number of scales; ``None`` picks enough for the deepest hole pixel to lie about
            one patch from the border, keeping faces at least ``coarse_size`` pixels.
        coarse_size: smallest face size of the automatic pyramid.
        max_scale: largest gnomonic stretch ``1 + a^2 + b^2`` a source may sit at (1 = the face
            centre, 2 = the middle of a face edge, 3 = a face corner).
        max_scale_grows: on a level ``2^l`` times coarser, allow ``2^l * max_scale``.
        locality: cost factor ``1 + locality * (1 - cos(angle))`` for a source ``angle`` away
            from the target on the sphere.
        locality_depth: hole depth (deepest hole pixel's distance to the border, as a share of
            the face size) below which ``locality`` grows as ``(locality_depth / depth)^2``, so
            that a source's penalty depends on its distance in hole radii (0: never grows).
        level_locality: extra weight of a change of height in the locality prior: its
            term ``1 - cos(angle)`` becomes ``1 - cos(angle) + level_locality * dz^2``, ``dz``
            the difference of the two directions' components along the panorama's up (0: an
            isotropic prior). In a levelled panorama what lies at one elevation is seen from
            one distance: a floor or a street at the same elevation shows its tiles, stones
            or grain at the same scale and foreshortening, one a few degrees lower shows them
            larger (near the horizon several times). ``dz`` is about the elevation
            difference near the horizon and shrinks towards the poles (``cos(elevation)``
            times it), where the down and up faces see the floor and ceiling at one scale.
            Used by the search only (the structure steps keep the plain prior); needs the
            tiles' ``up`` (the pipeline sets it). 0 (the default): off; it helps open ground
            near the horizon and costs elsewhere, as an interior shows floor at some azimuths
            and furniture or a wall at others (docs/results_history.md, "A level prior").
        texture_weight: weight of the texture-energy channels in the patch distance (0 turns
            them off).
        vote_sharpness: how strongly EM votes prefer the best-matching patches: weights
            ``exp(-vote_sharpness * cost / median(cost))``; 0 is a plain mean.
        sharpen: the final copy's detail gain ``sharpen * (m - 1)`` along the face's radius
            for a source the tiles stretch ``m`` times more than its target there (a
            magnified, so blurred, view of the panorama: near the nadir the ground farther out
            is seen at lower resolution than the ground under the camera), ``sharpen *
            (sqrt(m) - 1)`` across it (the face magnifies only ``sqrt(m)`` times that way),
            ``m`` at most ``max_scale`` (a covered tile's own ring, searched beyond it,
            sharpened with up to 6 at stretch 3.4 came back as a salt-and-pepper grain at 4K);
            0 copies the sources as they are.
        structure_sigma: Gaussian sigma, as a share of the face size, that splits the finished
            fill into structure (below) and detail (above); see ``_finish``.
        structure_depth: depth into the hole, as a share of the face size, over which the
            structure fades from a smooth fill's (at the border) to the copy's (0: copy only).
        structure_agreement: where the hole is wider than about ``structure_depth``, the
            smooth structure gives way to the copy's where the two differ by more than about
            this (in the tiles' values; weight ``1 / (1 + (difference / agreement)^2)``): a
            smooth fill carries an edge running along the border (a horizon just above a
            hole) into the hole as a glow, which a copy of the ground does not (0: the smooth
            structure whatever it says).
        layout_depth: depth into the hole, as a share of the face size, over which the copy's
            layout (what is coarser than ``layout_sigma``) fades towards the smooth fill's,
            where the known ring nearest it is textured (detail well above ``trend_level``),
            away from what the structure steps filled, and where the two layouts differ by
            no more than a smooth fill errs on the ring itself (a self-check; see
            ``_finish._layout``): deep in stochastic ground a copy's layout is a draw from
            elsewhere, the smooth fill's the ring's average. 0 (the default): never; it gains
            on the hi-res photographs and loses a little on a few Poly Haven and scene
            families (docs/results_history.md, "Layout in textured ground").
        layout_sigma: Gaussian sigma, as a share of the face size, below which the fill's
            structure counts as its layout for ``layout_depth``.
        rim_depth: depth into the hole, as a share of the face size, over which the finest
            band of a smooth (Navier-Stokes) fill solved at full resolution on the hole's rim
            is added to the copy's (weight ``exp(-depth / rim_depth)``); that fill also gives
            the smooth structure there (see ``_finish``). A pixel beside the border is
            correlated with its known neighbours, which the copy's fine band, of its source's
            phase, is not. 0: the smooth structure from a fill ``structure_sigma`` coarser
            and no such band.
        detail_gain_max: largest gain bringing the copied detail's energy up to that of the
            known ring around the hole (1: no gain).
        detail_bands: octave bands of the fill (from ``structure_sigma`` up) whose local
            energy is brought to that of the known ring nearest each part of the hole: a fill
            keeps no more texture than its surroundings have, band by band (see ``_finish``);
            0 leaves the copy's energy as it is.
        detail_band_depth: a band coarser than the finest is brought down to the ring's energy
            only in a hole at least this many times its sigma deep (each of a tile's holes by
            its own deepest pixel): in a thinner hole the band spans it side to side and holds
            its layout (sky above land), not texture (``_finish._band_gains``); 0: in every
            hole.
        detail_depth: depth into the hole, as a share of the face size, over which the copied
            finest band fades in (weight ``1 - exp(-depth / detail_depth)``): its phase is the
            source's, not the truth's, so in a hole a few pixels wide (a tripod leg) it adds
            about its own energy to the error; 0 keeps it whole.
        trend_level: where the known ring nearest a part of the hole is smooth (the RMS of its
            two finest octave bands below about this, in the tiles' values: display-referred,
            or log brightness for HDR), that part follows the ring's smooth trend (a
            thin-plate fit carried in) instead of the copy, which in a plain sky or ceiling only
            brings the texture of wherever it came from; a textured ring keeps the copy, and
            so do the pixels the structure steps filled (see ``_finish``). 0: never.
        stitch: remove the offsets between the copied pieces in the gradient domain (a Poisson
            solve; see ``_finish``).
        layout_stitch: in a hole at least ``locality_depth`` deep (what the search fills
            after the structure steps), remove the offsets between the copied pieces from the
            estimate of the levels that lay out the fill (the stitch's Poisson solve on the
            copy, voted like the copy; see ``PatchMatch._unshift``), so the search matches a
            layout without them. In a large cap the pieces copied from the floor on each side
            meet in the middle, each with its own side's light; the finer levels find sources
            with an edge to match the meeting line, which the final stitch keeps as texture: a
            plain floor comes back in quadrants of different shading meeting in a sharp seam.
            "starts": only the estimate each such level starts from below the coarsest (the
            vote of the matches handed down); the level's own EM votes stay as copied, so its
            search still sees the mismatch by which it drops a foreign piece. "peel" (the
            default): those starts, and the coarsest level's onion peel too where the known
            ring is plain at that level (``_PLAIN_RING``) and its light does not rise into the
            hole (``_RISING_RING``: a lamp's spot there), with only the part of the correction
            a light explains (``_light_share``): a foreign piece keeps its mismatch there; in
            such a ring the finish also keeps the fill's light as gentle as the ring's
            (``_finish._level_light``: the step where two pieces meet).
            "votes": also after every EM vote of those levels, which hides that mismatch (St
            Fagans' large cap at mask seed 1 kept a green object in its middle, -4.1 dB).
            "none": never.
        structure: fill deep holes along the tile's lattice or along the straight lines that
            cross them first (see the package doc); False: PatchMatch alone.
        structure_min_depth: a tile's hole whose deepest pixel is closer to the known ones than
            this share of the face size skips the structure steps (the plain search continues
            what crosses a thin hole well enough). At 0.05 a person standing at the foot of a
            wall skipped them, and the search laid dirt over the wall's bottom rows (Chichen
            Itza's tourists); 0.02 moved 130 cases +3.43 dB (seed 0) and +7.25 (seed 1), the
            tripods and strokes only. 0 (the default since session 28): a passer-by 6-12 m away
            is thinner still, and the search laid pieces of sky below the horizon it cuts (the
            brick yard, -4.1 dB against pypatchmatch); against 0.02, passers-by +4.66 and +7.70
            dB summed over 13 cases (seeds 0 and 1), the 130 cases +0.05 and +4.78 (strokes).
        unsure_min_depth: a pair of edges only nearly one line (``_lines.Line.sure`` False) is
            drawn across a tile's hole only where the hole is at least this deep (a share of
            the face size): in a thinner one the plain search orients the texture by itself,
            and a chance pair drew a streak (a burrow's dark edge carried across a hiker's
            hole at Puy de Sancy; a hand-drawn hole across a stair's edge at St Fagans 23.88 ->
            26.93 dB). 130 cases -0.35 dB summed at mask seed 0, -0.38 at seed 1 (strokes).
        lattice_strength: least strength (sharpness, see ``_offsets``) of a tile's dominant
            offsets for its hole to be filled along its lattice first, by copies of the known
            pixels one lattice vector away (the rest is filled by PatchMatch); above 1: never.
        stripes: on a tile that sees its floor (or ceiling) from above and where no other
            structure step applies, fill a deep hole first along the one-direction texture
            around it (planks, decking; ``_stripes``), copies only along its direction.
        floor_own_lines: where a floor's (or ceiling's) lattice fills a hole, leave to it the
            lines found there that are the pattern's own (a grid's joints, grout: the floor one
            lattice step across repeats them, ``_plane.repeats_across``) instead of drawing
            them first as lines (a kerb, a skirting board stay lines).
        own_lines_along: with ``floor_own_lines``, the band of each line left to the lattice
            is filled first by the lattice's steps that run along that line on the floor's
            grid, and only those (``_along_own_line``): a step across moved a painted stripe
            sideways where the paint does not repeat the lattice's period across exactly
            (the workshop's floor stripes broke where the copies from their two ends met).
            Where no step runs along a line, its band is the lattice's like the rest.
        lattice_lines: with ``own_lines_along``, on a tile's own lattice, a line crossing
            the hole along one of its steps whose colour the ring seldom shows (paint on
            boards, a ceiling grid's dark joints on white tiles: ``_lines.paint_contrast``)
            is filled so too, first, by the lattice's steps along it, and kept as a line by
            the finish (a sports hall's blue line came back faded and broken where the
            boards' copies met, a ceiling grid's joints faded at their crossing); the joints
            of boards and paving, the ground's own colours, stay the lattice's.
        lattice_magnification: where a floor's (or ceiling's) lattice seen in perspective
            fills a hole, a copy from where the tile shows the plane finer than at its target
            (farther off, or more obliquely) costs (the copy's magnification) ** this more:
            the finer texture copied nearer is a blur (a ceiling grid's joints copied from
            towards the horizon came back faint). 0: every copy alike.
        lattice_far_ring: on a tile that sees its floor or ceiling square on (the down or up
            face), what its own lattice and every other part of its plan left (a cap nearly
            as wide as the face: the ring within ``max_scale`` is thinner than the lattice's
            step, and the pixels of some phases, a ceiling grid's crossings, find every step
            jumping over it) is copied along the lattice from the ring out to the stretch of
            the face's corners (``_CORNER_STRETCH``), before the plain search.
        lines_across_lattice: a stripe painted across a floor's pattern (a court's line across
            its boards, a road marking across paving): where it made the ring's strongest
            valley (``_lone_line_over``), the floor keeps the lattice its ring shows without it
            (it was dropped with the stripe, the boards smeared round the stripe's band); a
            lone line of paint on a kept lattice (``_lines.paint_contrast``, ``_lone``: no
            other line parallel to it farther off, as a pattern's joints are), or a lone
            stripe found as its two edges (parallel boundaries a stripe's width apart,
            ``_painted_stripe_edges``), that none of the lattice's own directions runs along
            is drawn along itself before the lattice, whose copies did not carry it; its
            paint's course (``_course``) is then no source for the other parts
            (``paint_in_own_band``).
        lines_along_lattice: with ``floor_own_lines``, on a floor (or ceiling) filled along its
            lattice, a line that is not one of the pattern's own but that one of the lattice's
            steps runs along on the grid (``_along_own_line``) has its band copied by those
            steps, as an own line's is, not drawn along itself: a running bond's row joints
            between bricks of random tones score 0.24-0.50 across (under ``_OWN_LINE``), and
            each drawn band, copied along its line from wherever it matched, was a band of
            jumbled bricks finer than the floor's; a kerb along the paving is copied from
            farther along itself. And an unsure line within ``_NEAR_LATTICE_WAY`` of one of the
            lattice's own directions but along none of its steps is left to the lattice (the
            pattern's edges lined up by chance). A boundary and a line turning in a corner stay
            lines.
        subpixel_copies: each copy a structure step made along a lattice or a line shows its
            source where the chain of steps truly lands (sampled between the pixels), not the
            nearest whole pixel there (``_at_exact_sources``; with ``patch_size`` 5 or more,
            whose patches hold the sample's reach of known pixels): a step of no whole number of
            pixels left each copy up to half a pixel off the pattern's phase, and thin joints
            came back jagged and doubled. 56 nadir caps of 35 and 45 degrees over ten floors
            +1.53 dB summed (17 up, 3 down by 0.08-0.22).
        one_axis_wider: a tile whose hole covers its face (a thin ring) and whose ring shows
            one axis of a grid only (``Lattice.one_axis``: not stripes), which the wider view
            does not complete either, counts as nothing found at the usual padding: the face
            is filled on the wider tiles (``covered_face_pad_fraction``), whose ring shows the
            grid's two axes; copies along the one axis drew a plaza's tiles as rows of slivers.
        side_lattices: where a tile's lattice is a valley along boundaries crossing the hole
            (a kerb between a paving and a road), each side beyond them whose own known pixels
            repeat in two directions is filled along its own lattice first (``_sides``): the
            valley's copies smeared the paving's grid into stripes along the kerb.
        arcs: continue the circular arcs that cross a hole (a court's painted circle, a
            round rug's border; ``_arcs``): each arc's band is its own (the other structure
            steps' parts fill around it) and is filled after them, by copies along the arc
            from its two ends.
        paint_in_own_band: the known pixels of an arc's whole circle, and of a line painted
            across a lattice (``lines_across_lattice``), to ``_PAINT_MARGIN`` beside its band,
            are sources for its own band only: the other parts copied its paint where the
            ring showed it (red dashes beside a court's circle, copied along the boards from
            where it enters the hole). A line painted along a lattice needs no such care:
            the lattice's steps run along it.
        edges: where the plain search continues an edge the line step left alone (one entering
            the hole with no partner beyond it, no line or corner to end on: ``_lines.Edge``),
            the finish keeps that continuation as it keeps the line step's lines: the stitch
            keeps the fill's steps across it and the band gains do not lower its
            cross-section.
        edges_along: with ``edges``, the kept continuation also counts as a structure step's
            fill: the finish's smooth trend, rim fill and layout give way to the copy near it,
            as they do near a line the line step drew.
        tile_tones: after the lattice step, on a floor of tiles of random tones, give each
            tile the hole cuts its known part's tone, a tile with nothing known whose copy is
            of an outlying tone (a dark tile of a light floor) the typical tone of the tiles
            around, and any other tile with nothing known the typical tone moved part of the
            way to a known tile's drawn for it (``_tones._DRAWN_SHARE``).
        tile_tones_whole: with ``tile_tones``, every other tile with nothing known takes its
            copy's own tone throughout (copies of copies bring it pieces of several tiles)
            and the stitch keeps the steps between the tiles' tones: crisp tiles of one tone
            each, not a blend across their joints, but a tone guessed wrong costs more than a
            blend (README). False (the default): off.
        seed: seed of every random draw; equal seeds give bit-identical fills.
        seam_aware: use the padding, the search over every face and re-padding; ``False``
            fills each face alone on its core (the ablation).
    """

    patch_size: int = 7
    iterations: int = 1
    coarse_iterations: int = 6
    search_passes: int = 2
    fine_search_passes: int = 1
    refine_size: int | None = 400
    jumps: int = 1
    coherence: float = 0.4
    levels: int | None = None
    coarse_size: int = 32
    max_scale: float = 2.5
    max_scale_grows: bool = True
    locality: float = 4.0
    locality_depth: float = 0.3
    level_locality: float = 0.0
    texture_weight: float = 3.0
    vote_sharpness: float = 4.0
    sharpen: float = 2.5
    structure_sigma: float = 0.006
    structure_depth: float = 0.03
    structure_agreement: float = 0.15
    layout_depth: float = 0.0
    layout_sigma: float = 0.024
    rim_depth: float = 0.004
    detail_gain_max: float = 1.3
    detail_bands: int = 4
    detail_depth: float = 0.008
    detail_band_depth: float = 2.0
    trend_level: float = 0.0045
    stitch: bool = True
    layout_stitch: Literal["none", "starts", "peel", "votes"] = "peel"
    structure: bool = True
    structure_min_depth: float = 0.0
    unsure_min_depth: float = 0.05
    lattice_strength: float = 0.3
    stripes: bool = True
    floor_own_lines: bool = True
    own_lines_along: bool = True
    lattice_lines: bool = True
    lattice_magnification: float = 2.0
    lattice_far_ring: bool = True
    lines_across_lattice: bool = True
    lines_along_lattice: bool = True
    subpixel_copies: bool = True
    side_lattices: bool = True
    one_axis_wider: bool = True
    arcs: bool = True
    paint_in_own_band: bool = True
    edges: bool = True
    edges_along: bool = True
    tile_tones: bool = True
    tile_tones_whole: bool = False
    seed: int = 0
    seam_aware: bool = True

    def __post_init__(self) -> None:
        # NaN passed every '< 0' check below (a YAML .nan), and sharpen=.inf failed the fill as
        # the image's fault (exit 3, 'cannot convert float NaN to integer').
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{item.name} must be a finite number, got {value}")
        if self.patch_size < 3 or self.patch_size % 2 == 0:
            raise ValueError(f"patch_size must be odd and >= 3, got {self.patch_size}")
        for name in ("iterations", "coarse_iterations", "search_passes", "fine_search_passes",
                     "coarse_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("jumps", "locality", "locality_depth", "level_locality",
                     "texture_weight", "vote_sharpness",
                     "sharpen", "structure_sigma", "structure_depth", "structure_agreement",
                     "structure_min_depth", "unsure_min_depth",
                     "layout_depth", "layout_sigma", "rim_depth",
                     "detail_bands", "detail_depth", "detail_band_depth", "trend_level"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.detail_bands > _MAX_DETAIL_BANDS:  # 63 overflowed an int64 (failed as a bug)
            raise ValueError(f"detail_bands must be from 0 to {_MAX_DETAIL_BANDS}, got "
                             f"{self.detail_bands}")
        if self.refine_size is not None and self.refine_size < 1:
            raise ValueError(f"refine_size must be >= 1 or None, got {self.refine_size}")
        if self.levels is not None and self.levels < 1:
            raise ValueError(f"levels must be >= 1 or None (automatic), got {self.levels}")
        if not 0.0 <= self.coherence < 1.0:
            raise ValueError(f"coherence must be in [0, 1), got {self.coherence}")
        if self.detail_gain_max < 1.0:
            raise ValueError(f"detail_gain_max must be >= 1, got {self.detail_gain_max}")
        if not 0.0 <= self.lattice_magnification <= _MAX_MAGNIFICATION:
            raise ValueError(f"lattice_magnification must be from 0 to "
                             f"{_MAX_MAGNIFICATION:g}, got {self.lattice_magnification}")
        if self.max_scale < 1.0:
            raise ValueError(f"max_scale must be >= 1, got {self.max_scale}")
        if not -(2**63) <= self.seed < 2**63:  # hashed as an int64: 2**63 failed the fill as a bug
            raise ValueError(f"seed must be from -2**63 to 2**63 - 1, got {self.seed}")
        for name, bound in _MAX_COUNTS.items():
            value = getattr(self, name)
            if value is not None and value > bound:
                raise ValueError(f"{name} must be at most {bound}, got {value}")
        for name in _FACE_SHARES:
            if getattr(self, name) > 1:
                raise ValueError(f"{name} must be at most 1 (a share of the face size), got "
                                 f"{getattr(self, name)}")


@dataclass
class _Field:
    """Nearest-neighbour field of one target tile: ``(k, y, x, cost)`` maps (``k = -1``: none);
    ``along``: the hole pixels the structure steps filled (None: none); ``toned``: those the
    tile-tones step gave their tiles' tones (``_tones``), or all those filled along a lattice
    and its stripes from a thin ring (None: none), whose steps between each other the stitch
    keeps; ``lined``: per line the line step filled pixels along, its
    unit direction and those pixels (None: none), whose cross-section the finish's band
    gains never lower; ``patterned``: those filled along a pattern (a lattice, stripes, planks;
    None: none), whose colour balance the stitch barely turns."""

    nnf: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    along: np.ndarray | None = None
    toned: np.ndarray | None = None
    lined: list[tuple[np.ndarray, np.ndarray]] | None = None
    patterned: np.ndarray | None = None

    @classmethod
    def empty(cls, size: int) -> _Field:
        shape = (size, size)
        return cls((np.full(shape, -1, np.int32), np.zeros(shape, np.int32),
                    np.zeros(shape, np.int32), np.zeros(shape, np.float32)))

    @property
    def cost(self) -> np.ndarray:
        return self.nnf[3]


@dataclass(frozen=True)
class _Along:
    """Part of a hole filled first by copies along ``vectors`` (``(n, 2)`` shifts ``(dy, dx)``,
    in the order a pixel tries them: ``Line.vectors``, ``Lattice.vectors``): ``region``
    ``(P, P)`` bool, ``kind`` "lattice", "line", "floor lattice", "ceiling lattice", "stripes" or
    "stripes of the lattice" (what the lattice's whole steps before it left, along its shift).
    ``plane``: for a floor's (or ceiling's) lattice, the plane's grid (``_plane.Rectified``)
    the float ``vectors`` are shifts on. ``lattice``: the lattice a lattice part copies along
    (its cells get their tiles' tones, ``_tones``). ``direction``: a line's unit ``(dy, dx)``.
    ``arc``: for kind "arc", the arc whose band ``region`` is, copied along it
    (``_arcs.arc_sources``; ``vectors`` unused). ``paint``: for an arc or a line painted across
    a lattice, ``(P, P)`` bool, the tile's pixels its paint covers all along it, which the
    plan's other parts do not copy (``paint_in_own_band``)."""

    vectors: np.ndarray
    region: np.ndarray
    kind: str
    plane: Rectified | None = None
    lattice: Lattice | None = None
    direction: np.ndarray | None = None
    arc: Arc | None = None
    paint: np.ndarray | None = None


# Across, of the face (8 px at least): the edges of one line (``_one_line_along``), not stripes
# (a road marking 10 px wide on a 320 px face is 3% of it).
_LONE_SPREAD = 0.05
# Of the face (16 px at least): a lattice step no longer may be two lines crossing's (about
# 1.2 times the lines' width).
_CROSSING_STEP = 0.06
_LINE_MARGIN = 3.0  # band half widths: what a line covers of the ring (``_without_lines``)
_IDENTITY = np.eye(3)  # the kernel's homography for shifts on the tile itself
# ``paint_contrast`` above which a line on a tile's lattice is drawn along it (the sports
# court's blue line 2.2-2.7, one edge 1.7; the loft's ceiling joints 1.95-2.63), not left to
# it (the loft's plank joints 0.18-0.21, the plaza's grout 0.02-0.11).
_PAINTED = 1.5
# A lattice vector runs along a line (on a floor's grid, or on the tile) within this angle
# (``_along_own_line``; the own lines found on the evaluation's floors and ceilings lie within
# 1.9 degrees of one, the court's blue line within 0.2 of its boards' step).
_ALONG_OWN_LINE = np.radians(3.0)
# An unsure line within this angle of one of a floor lattice's own directions on its grid, but
# along none of its steps, is the pattern's edges lined up by chance (``lines_along_lattice``:
# the yard's bricks' ends in echelon, 5-8 degrees off its rows, drawn as three lines, a band of
# jumbled bricks across its cube-edge object at scene seed 7).
_NEAR_LATTICE_WAY = np.radians(10.0)
# px beyond an arc's or a line's band half width that its paint covers (``paint_in_own_band``):
# the band holds the paint to about a pixel.
_PAINT_MARGIN = 1.5


def _peel(image: np.ndarray, filled: np.ndarray, hole: np.ndarray, layers: np.ndarray,
          region: np.ndarray, src: tuple, radius: int, own: int, to_grid: np.ndarray,
          from_grid: np.ndarray, vectors: np.ndarray, coherence: float, finer: float,
          field: _Field, residual: np.ndarray) -> None:
    """``region`` of tile ``image`` filled along ``vectors`` one onion layer at a time
    (``lattice_peel``, single-threaded on small layers); ``filled``, ``field`` and
    ``residual`` updated."""
    offsets = np.ascontiguousarray(vectors, np.float64)
    for ys, xs in _by_layer(layers, region):
        with _threads(1 if ys.size < _SERIAL_LAYER else None):
            lattice_peel(image, filled, hole, ys, xs, src, radius, own, to_grid, from_grid,
                         offsets, _ALONG_TRIES, coherence, finer, field.nnf, residual)
        filled[ys, xs] = field.nnf[0][ys, xs] >= 0


def _at_exact_sources(done: np.ndarray, field: _Field, residual: np.ndarray,
                      *arrays: tuple[np.ndarray, np.ndarray, float]) -> None:
    """Each copy of the structure steps moved, in place, to what its exact source shows: for
    each ``(source, out, high)`` of ``arrays`` (the bank ``(K, P, P, C')`` the ``field``
    copies from, the tile ``(P, P, C)`` holding the copies at ``done``, its upper bound), the
    source tile sampled (bicubic) where the chain of steps truly lands, ``residual`` (``(P, P,
    2)``, ``(dy, dx)``) beyond the whole pixel copied, less that whole pixel's value, added to
    the copy (so the copy's sharpening stays); clipped to ``[0, high]``. The arrays (display
    values, HDR values) share the points and the maps.

    A lattice step that is no whole number of pixels lands between pixels, and each copy took
    the nearest: its pixel is up to half a pixel off the pattern's phase, one way or the other
    from its neighbour's when the two came by different chains of steps. Joints a pixel or two
    wide came back jagged and doubled, boards split along their length. The exact source lies
    within half a pixel of a valid centre, whose whole patch is known, and the sample reaches 2
    px from that centre: with patches of 5 px or more it reads known pixels only."""
    ys, xs = np.nonzero(done)
    ry, rx = residual[ys, xs, 0], residual[ys, xs, 1]
    moved = (np.abs(ry) > _EXACT) | (np.abs(rx) > _EXACT)
    ys, xs, ry, rx = ys[moved], xs[moved], ry[moved], rx[moved]
    tiles, sy, sx = (a[ys, xs] for a in field.nnf[:3])
    for tile in np.unique(tiles):
        # OpenCV resamples at most four channels at a time, from contiguous arrays: each
        # array's tile in such groups, once for all its blocks.
        groups = [[np.ascontiguousarray(source[tile][..., c:min(c + 4, out.shape[-1])])
                   for c in range(0, out.shape[-1], 4)] for source, out, _ in arrays]
        index = np.flatnonzero(tiles == tile)
        for start in range(0, index.size, _BLOCK_PIXELS):
            block = index[start:start + _BLOCK_PIXELS]
            # OpenCV's maps hold fewer than 2^15 rows: the points laid out as rows of 1024.
            n = block.size
            rows = -(-n // 1024)
            map_x = np.zeros(rows * 1024, np.float32)
            map_y = np.zeros(rows * 1024, np.float32)
            map_x[:n], map_y[:n] = sx[block] + rx[block], sy[block] + ry[block]
            map_x, map_y = map_x.reshape(rows, 1024), map_y.reshape(rows, 1024)
            at = ys[block], xs[block]
            for (source, out, high), parts in zip(arrays, groups, strict=True):
                sampled = np.concatenate(
                    [cv2.remap(part, map_x, map_y, cv2.INTER_CUBIC).reshape(
                        -1, part.shape[-1])[:n] for part in parts], axis=1)
                change = sampled - source[tile][sy[block], sx[block], :out.shape[-1]]
                out[at] = np.clip(out[at] + change, 0.0, high)


def _along_painted_lines(parts: list[_Along], size: int) -> np.ndarray | None:
    """``(n, 2)`` shifts of any length up to ``size`` px along each distinct direction of the
    lattice's painted lines among ``parts`` (their bands' parts), the directions taken in
    turn, so a pixel compares copies along all of them; None where there are none.

    Where a ceiling grid's painted joints cross, the crossings are a phase of the lattice of
    their own, a few px square: under a 45-degree zenith cap the up face's padded tile holds
    none of them in its known ring (thinner than a cell), every whole step from a hidden
    crossing lands in the hole or off the tile, and the plain search filled them white (the
    sports court's ceiling: pale blobs at each crossing). Along a joint the paint repeats at
    any shift, and the ring holds each joint where it leaves the hole. (The lattice's own
    basis is no such direction there: its shortest steps run along the cells' diagonals,
    where the worn patches repeat, and copies along them brought the cells' white.)"""
    directions: list[np.ndarray] = []
    for part in parts:
        if (part.direction is None or part.plane is not None
                or not part.kind.endswith("painted line")):
            continue  # (a floor's painted line runs on its grid: no shift on the tile)
        if not any(not not_parallel(part.direction, other) for other in directions):
            directions.append(np.asarray(part.direction, np.float64))
    if not directions:
        return None
    each = [across_tile(direction, size).vectors(size, _ALONG_TRIES)
            for direction in directions]
    turns = [v[k] for k in range(max(len(v) for v in each)) for v in each if k < len(v)]
    return np.ascontiguousarray(np.array(turns, np.float64))


def _stripe_width(face_size: int) -> float:
    """px: how far apart across them lines may lie and still be one line or stripe
    (``_LONE_SPREAD`` of the face, 8 px at least)."""
    return max(8.0, _LONE_SPREAD * face_size)


def _course(line: Line, shape: tuple[int, int]) -> np.ndarray:
    """``shape`` bool: the pixels within ``_PAINT_MARGIN`` px beyond ``line``'s band all
    along it, across the tile (what its paint covers of the ring too)."""
    return dataclasses.replace(line, half_width=line.half_width + _PAINT_MARGIN,
                               end=None).band(shape)


def _painted_stripe_edges(lines: list[Line], face_size: int) -> list[Line]:
    """The sure boundaries among ``lines`` (crossing the hole) that are the two edges of a lone
    stripe (``_lone``): each with a parallel partner within ``_LONE_SPREAD`` of the face (8 px
    at least) across it. No colour test: a white stripe on light tiles is no rarer in the ring
    than the tiles (``paint_contrast`` 0.4-0.9 on the plaza's and the hall's), and a lone
    stripe's two edges are evidence enough."""
    edges = [line for line in lines if line.sure and line.boundary and line.end is None
             and not line.corner]
    spread = _stripe_width(face_size)
    return [line for line in edges
            if any(other is not line and _parallel_within(line, other, spread)
                   for other in edges) and _lone(line, lines, face_size)]


def _parallel_within(one: Line, other: Line, distance: float) -> bool:
    """Whether ``other`` runs parallel to ``one`` within ``distance`` px of it."""
    return (not not_parallel(one.direction, other.direction)
            and float(one.distance(np.array(other.point[0]), np.array(other.point[1])))
            <= distance)


def _lone(line: Line, lines: list[Line], face_size: int) -> bool:
    """Whether no other of ``lines`` runs parallel to ``line`` beyond a stripe's width of it
    (``_LONE_SPREAD`` of the face, 8 px at least): paint across a pattern, not one of the
    pattern's own joints, which come in families. Without it a parlour's ceiling grid, whose
    lattice's own directions missed its joints, had seven of their edges drawn across it, and
    its 45-degree zenith cap came back in white patches (-2.01 dB)."""
    spread = _stripe_width(face_size)
    return all(_parallel_within(line, other, spread) for other in lines
               if other is not line and not not_parallel(line.direction, other.direction))


def _same_line(one: Line, other: Line) -> bool:
    """Whether two found lines are one: parallel, and each within the other's band."""
    return _parallel_within(one, other, one.half_width + other.half_width)


def _one_valley(lattice: Lattice) -> bool:
    """Whether ``lattice``'s one direction lies along a valley (the texture matches itself
    all along it: a line or stripes) and no other direction dips."""
    return lattice.basis()[1] is None and bool(lattice.along[0])


def _short_steps(lattice: Lattice, face_size: int) -> bool:
    """Whether ``lattice`` has two directions, both steps at most ``_CROSSING_STEP`` of the
    face long (16 px at least): two lines crossing make a lattice of steps about as long as
    they are wide along each (the crossing moved by such a step still overlaps itself)."""
    a, b, _ = lattice.basis()
    longest = max(16.0, _CROSSING_STEP * face_size)
    return b is not None and max(np.hypot(*a), np.hypot(*b)) <= longest


def _one_line_along(step: np.ndarray, lines: list[Line], face_size: int) -> list[Line]:
    """The sure ``lines`` (either edge of a wide line, a painted stripe's edges being
    boundaries; none ending in the hole) that run along ``step``, if they are one line: all
    within ``_LONE_SPREAD`` of the face (8 px at least) of each other across it (stripes are
    several lines apart); else none."""
    along = [line for line in lines
             if line.sure and line.end is None and not not_parallel(line.direction, step)]
    if not along:
        return []
    normal = np.array([-step[1], step[0]]) / np.hypot(*step)
    across = [float(line.point @ normal) for line in along]
    return along if max(across) - min(across) <= _stripe_width(face_size) else []


def _lone_line_over(lattice: Lattice, lines: list[Line], image: np.ndarray, hole: np.ndarray,
                    min_strength: float, face_size: int
                    ) -> tuple[bool, list[Line], Lattice | None]:
    """``(lone, edges, beneath)``: whether ``lattice``, along one valley (``_one_valley``), is
    one line crossing the hole (tile ``image`` ``(P, P, C)``, ``hole`` ``(P, P)``), not
    stripes: the drawn ``lines`` along its shift are one line (``_one_line_along``), the
    ring's texture does not run that way all round the hole (``_stripes.oriented_all_round``:
    a line shows it only where it enters and leaves, planks all round, though under a large
    cap only one of their joints may be drawn), and the ring without that line shows no
    lattice along it (``_without_lines``: a kerb's other edges, a road's and a pavement's,
    make the valley too, undrawn under a 50-degree cap). Filled as a lattice, the whole hole
    was copied along a lone line, whose band the finish then faded as any copied texture
    (0.70 of its contrast in the hole's middle); the line step keeps it. With the line's
    edges and, where the ring without them shows a lattice of its own (not along the line,
    not a valley's floor only), that lattice: the floor's pattern the line is painted across
    (boards, tiles)."""
    a = lattice.basis()[0]
    edges = _one_line_along(a, lines, face_size)
    if not edges or oriented_all_round(image, hole, a):
        return False, [], None
    left = _without_lines(edges, image, hole, min_strength)
    if left is None:
        return True, edges, None
    if not not_parallel(left.basis()[0], a):
        return False, [], None
    return True, edges, None if left.floor else left


def _two_lines_crossing(lattice: Lattice, lines: list[Line], image: np.ndarray,
                        hole: np.ndarray, min_strength: float, face_size: int) -> bool:
    """Whether ``lattice``, of two short steps (``_short_steps``), is two lines crossing the
    hole: the drawn ``lines`` along each step are one line (``_one_line_along``), and the
    known ring without them shows no lattice (``_without_lines``). Two dark lines 5 px wide
    crossing on a plain ground made a lattice of 6 px steps along them, whose copies filled
    the hole with dotted lines at 0.16-0.19 of their contrast; a grid of small tiles keeps
    its lattice beside the joints drawn."""
    a, b, _ = lattice.basis()
    along = [_one_line_along(step, lines, face_size) for step in (a, b)]
    return all(along) and _without_lines(along[0] + along[1], image, hole,
                                          min_strength) is None


def _without_lines(lines: list[Line], image: np.ndarray, hole: np.ndarray,
                   min_strength: float) -> Lattice | None:
    """The lattice of the known ring of ``image`` around ``hole`` with ``lines`` (and
    ``_LINE_MARGIN`` band half widths beside them) left out, if any."""
    ys, xs = np.arange(hole.shape[0])[:, None], np.arange(hole.shape[1])[None, :]
    beside = np.zeros_like(hole)
    for line in lines:
        beside |= line.distance(ys, xs) <= _LINE_MARGIN * line.half_width + 1.0
    return find_lattice(image, ~hole & ~beside, min_strength=min_strength)


def _drawable(lines: list[Line], sure_only: bool) -> list[Line]:
    """The ``lines`` a tile may draw: all of them, or only the sure ones in a hole too thin
    for an unsure pair (``sure_only``, ``unsure_min_depth``)."""
    return [line for line in lines if line.sure] if sure_only else lines


def _along_own_line(line: Line, part: _Along, kind: str = "own line", *,
                    own_directions: bool = False) -> _Along | None:
    """The part of lattice ``part`` (a floor's: ``plane`` and float ``vectors`` on its grid; a
    tile's own: ``vectors`` on the tile) in the band of ``line`` (one of the pattern's own
    lines, or paint along it), of kind "``part.kind``'s ``kind``", copied only along the
    lattice's vectors that run along the line on the grid (within ``_ALONG_OWN_LINE``
    radians): the line stays where it is and what crosses it keeps the lattice's phase. None
    where no vector does or the band holds none of the part. With ``own_directions``, only
    vectors along the lattice's own directions count (whether paint runs along the pattern or
    across it, ``lines_across_lattice``)."""
    region = line.band(part.region.shape) & part.region
    if not region.any():
        return None
    on_grid = _course_on_grid(line, part.plane)
    if on_grid is None:
        return None
    vectors = part.vectors
    length = np.maximum(np.hypot(vectors[:, 0], vectors[:, 1]), 1e-12)
    sine = np.abs(vectors[:, 0] * on_grid[1] - vectors[:, 1] * on_grid[0]) / length
    along = sine <= np.sin(_ALONG_OWN_LINE)
    if own_directions and part.lattice is not None:
        along &= np.any([np.abs(vectors[:, 0] * w[1] - vectors[:, 1] * w[0])
                         <= np.sin(_ALONG_OWN_LINE) * length * np.hypot(*w)
                         for w in _lattice_ways(part.lattice)], axis=0)
    kept = vectors[along]
    if not len(kept):
        return None
    # With the line's direction, the finish keeps the band's cross-section as a drawn line's
    # (``_finish``'s lined bands): without, the eight cases this step moved most lost
    # 0.01-0.48 dB (the loft's ceiling round a cube-edge object at mask seed 1 the most).
    return _Along(np.ascontiguousarray(kept), region, f"{part.kind}'s {kind}", part.plane,
                  direction=line.direction)


def _course_on_grid(line: Line, plane: Rectified | None) -> np.ndarray | None:
    """``(2,)`` the unit direction ``(dy, dx)`` of ``line`` on ``plane``'s grid (on the tile
    where None); None where its point, or the pixel after it, lies beyond the plane's
    horizon."""
    if plane is None:
        return line.direction
    points = line.point[None] + np.array([[0.0], [1.0]]) * line.direction[None]  # 1 px
    u, v, w = homography_parts(plane.to_grid, points[:, 1], points[:, 0])
    if (w <= 0).any():
        return None
    on_grid = np.array([v[1] - v[0], u[1] - u[0]])  # (dy, dx)
    return on_grid / max(float(np.hypot(*on_grid)), 1e-12)


def _lattice_ways(lattice: Lattice) -> list[np.ndarray]:
    """The lattice's own directions ``(dy, dx)``: its dominant shifts, and its basis and the
    basis's sum and difference. A dense lattice's long combinations point every way, and one
    within the angle of a stripe painted across the pattern copied it sideways, a few px a
    step. (Not the basis alone: the plaza's tiles step a third of one basis vector and two
    thirds of the other, the direction of a joint.)"""
    a, b, _ = lattice.basis()
    return ([*lattice.offsets, a] if b is None
            else [*lattice.offsets, a, b, a + b, a - b])


def _near_lattice_way(line: Line, part: _Along) -> bool:
    """Whether ``line`` runs within ``_NEAR_LATTICE_WAY`` of one of floor lattice
    ``part``'s own directions (:func:`_lattice_ways`) on its grid."""
    on_grid = _course_on_grid(line, part.plane)
    if on_grid is None or part.lattice is None:
        return False
    ways = np.array(_lattice_ways(part.lattice), np.float64)  # (m, 2)
    sine = np.abs(ways[:, 0] * on_grid[1] - ways[:, 1] * on_grid[0])
    return bool((sine <= np.sin(_NEAR_LATTICE_WAY) * np.hypot(ways[:, 0], ways[:, 1])).any())


def _stripe_edges_across(lines: list[Line], part: _Along, face_size: int,
                         drawn: list[Line]) -> list[Line]:
    """The edges of lone stripes among ``lines`` (``_painted_stripe_edges``) that none of
    lattice ``part``'s own directions runs along (``_along_own_line``), and that are not one of
    the lines already ``drawn`` across it (``_same_line``)."""
    return [edge for edge in _painted_stripe_edges(lines, face_size)
            if _along_own_line(edge, part, own_directions=True) is None
            and not any(_same_line(edge, other) for other in drawn)]


def _lines_on_lattice(lines: list[Line], part: _Along) -> tuple[list[Line], list[Line], int]:
    """Of ``lines`` (none of them the pattern's own) on a floor filled along lattice ``part``:
    the lines still to draw; those one of the lattice's steps runs along (their bands are
    copied by those steps, as the pattern's own lines' are); and how many unsure ones were
    dropped as the pattern's edges lined up by chance (within ``_NEAR_LATTICE_WAY`` of one of
    the lattice's own directions, along none of its steps). A boundary between two regions
    and a line turning in a corner stay lines (the lattice's steps would carry the wall into
    the floor)."""
    kept, along, chance = [], [], 0
    for line in lines:
        if line.boundary or line.corner:
            kept.append(line)
        elif _along_own_line(line, part) is not None:
            along.append(line)
        elif not line.sure and _near_lattice_way(line, part):
            chance += 1
        else:
            kept.append(line)
    return kept, along, chance


def _line_parts(lines: list[Line], hole: np.ndarray, reach: float) -> list[_Along]:
    """Each line's part of ``hole`` (``(P, P)`` bool), in ``lines``' order: its band, a
    boundary's wide band less what the bands before it took (a line crossing the boundary
    keeps its own pixels), with its shifts up to ``reach`` px."""
    # The lines that end in the hole come after the boundaries (``find_lines``' order), so a
    # boundary's band takes their pixels first: planned the other way round, the workshop's
    # floor stripes ending on its skirting board broke the board's band (wrap object -3.3 dB).
    parts, banded = [], np.zeros_like(hole)
    bands = [line.band(hole.shape) & hole for line in lines]
    others = _others_nearer(lines, bands)
    for k, (line, region) in enumerate(zip(lines, bands, strict=True)):
        if line.boundary:
            region &= ~banded
        elif k in others:
            region[others[k]] = False
        banded |= region
        parts.append(_Along(line.vectors(reach, _ALONG_TRIES), region, "line",
                            direction=line.direction))
    return parts


def _others_nearer(lines: list[Line], bands: list[np.ndarray]
                   ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Where the bands of sure lines crossing the hole (``Line.crossing``) cross each other
    (``bands``: each line's ``(P, P)`` band in the hole): for the index of each such line, the
    pixels ``(ys, xs)`` of its band that lie nearer another's middle (in units of each band's
    half width).

    The first line's band held the crossing whole, with the light margin it copies beside its
    line, and cut the second line there (a ceiling's grid: each joint broken by a gap where
    another crosses it); each line now keeps the pixels of the crossing nearer its own middle.
    Only sure lines crossing the hole: with every band so shared (unsure pairs, lines ending
    on another or turning a corner), the harness lost 2.11 dB summed at mask seed 0 (44 cases
    moved: the forest's wrap object -0.90, the hall's rail round its corner -0.56)."""
    crossing = [k for k, line in enumerate(lines) if line.crossing]
    if len(crossing) < 2:
        return {}
    pixels = [np.nonzero(bands[k]) for k in crossing]
    rows = np.concatenate([ys for ys, _ in pixels])
    columns = np.concatenate([xs for _, xs in pixels])
    relative = np.concatenate([lines[k].distance(ys, xs) / lines[k].half_width
                               for k, (ys, xs) in zip(crossing, pixels, strict=True)])
    owners = np.repeat(crossing, [ys.size for ys, _ in pixels])
    # Per pixel, the nearest line's entry first; every other entry there is another line's
    # pixel that a nearer one takes.
    flat = rows.astype(np.int64) * bands[0].shape[1] + columns
    order = np.lexsort((relative, flat))
    later = np.zeros(order.size, bool)
    later[1:] = flat[order][1:] == flat[order][:-1]
    taken = order[later]
    rows, columns, owners = rows[taken], columns[taken], owners[taken]
    return {k: (rows[owners == k], columns[owners == k]) for k in np.unique(owners).tolist()}


def _lattice_note(face: str, lattice: Lattice, where: str = "") -> str:
    """The structure note's part for a lattice found on face ``face`` (``where``: "found on a
    wider view", "beside a boundary")."""
    return (f"face {face}: lattice of strength {lattice.strength.max():.2f}"
            f"{' ' + where if where else ''}, "
            f"shift {np.round(lattice.offsets[0], 1).tolist()} px")


_ON_WIDER_VIEW = "found on a wider view"  # ``_lattice_note``'s where for ``_wide``'s lattice


def _kinds(parts: list[_Along]) -> str:
    """What ``parts`` follow, for a note: "lines", "line and the floor lattice".

        >>> one = _Along(np.zeros((0, 2)), np.zeros((1, 1), bool), "line")
        >>> _kinds([one, one]), _kinds([one, dataclasses.replace(one, kind="floor lattice")])
        ('lines', 'line and the floor lattice')
    """
    kinds = [part.kind for part in parts]
    return " and the ".join(kind + ("s" if kinds.count(kind) > 1 else "")
                            for kind in dict.fromkeys(kinds))


class _BankEdits:
    """Pixels of a bank the structure steps wrote their fills into, in place, and what they held
    before, so that :meth:`undo` hands the caller's arrays back as they came. (A copy of the
    bank to write into instead was 3.1 GB at 16K, for fills on one face's hole.)"""

    def __init__(self) -> None:
        self._saved: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def write(self, face: np.ndarray, where: np.ndarray, new: np.ndarray | bool) -> None:
        """``face[where] = new``, keeping the old values (``face``: a view into the bank)."""
        self._saved.append((face, where, face[where]))
        face[where] = new

    def undo(self) -> None:
        """Put back every overwritten pixel, last write first."""
        while self._saved:
            face, where, old = self._saved.pop()
            face[where] = old


@dataclass
class _Problem:
    """One fill: targets, their sources and how they relate (full resolution)."""

    image: np.ndarray  # (N, P, P, C) proxy the distances use
    values: np.ndarray | None  # (N, P, P, C) what is copied; None: the proxy itself
    hole: np.ndarray  # (N, P, P)
    face_ids: tuple[int, ...]
    face_size: int
    pad: int
    bank_image: np.ndarray  # (K, P, P, C)
    bank_values: np.ndarray | None  # (K, P, P, C); None when ``values`` is
    bank_hole: np.ndarray  # (K, P, P)
    bank_face_ids: tuple[int, ...]
    repad: bool  # re-pad the targets from each other's cores
    to_values: Callable[[np.ndarray], np.ndarray]  # proxy -> values (smooth fallback only)
    notes: list[str] = dataclasses.field(default_factory=list)  # for the region's report
    # What the structure steps wrote into the bank's arrays (undone once the fill is finished).
    edits: _BankEdits = dataclasses.field(default_factory=_BankEdits)
    up: tuple[float, float, float] | None = None  # the panorama's up in the cube's frame
    # Per target, the pixels filled along stripes (their light is the plain search's: see
    # ``_stripes.stripes_light``).
    stripes: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)
    # Per target, the edges into its hole the line step left to the plain search
    # (``_lines.Edge``): the finish keeps what of them the fill continues.
    edges: dict[int, list[Edge]] = dataclasses.field(default_factory=dict)
    # The known ring is plain at the coarsest level (``_PLAIN_RING``): the finish keeps the
    # fill's light as gentle as the ring's (``_finish._level_light``).
    plain: bool = False
    # Tiles cut back to the usual padding from a wider one (``PatchMatch.inpaint``): a
    # target whose hole covers its face and on which no structure step finds anything stops
    # the fill (``_NothingSeen``), to be filled on the wider tiles instead.
    narrowed: bool = False


class _NothingSeen(Exception):
    """No structure step found anything on face ``face`` (a ``FACE_ORDER`` letter), whose hole
    covers it, on tiles cut back to the usual padding (``_Problem.narrowed``); or only
    ``what`` was found, which the wider tiles may complete."""

    def __init__(self, face: str, what: str = "nothing found") -> None:
        super().__init__(face)
        self.face = face
        self.what = what


def _cut_back(tiles: CubeTiles, pad: int) -> CubeTiles:
    """``tiles`` (and their six-face context) padded by ``pad`` only, a copy: the same pixels
    as tiles sampled at that padding (the padding is the face's plane sampled further out)."""
    cut = tiles.pad - pad
    span = slice(cut, cut + tiles.face_size + 2 * pad)
    window = (slice(None), span, span)
    image = np.ascontiguousarray(tiles.image[window])
    values = None if tiles.values is tiles.image else np.ascontiguousarray(tiles.values[window])
    context = None
    if tiles.context is not None:
        whole = tiles.context
        context = functools.cache(lambda: _cut_back(whole(), pad))
    return dataclasses.replace(tiles, image=image, mask=np.ascontiguousarray(tiles.mask[window]),
                               values=values, pad=pad, context=context, notes=[],
                               reconciled=False)


def _brightest(image: np.ndarray, hole: np.ndarray) -> float:
    """The largest value of ``image`` ``(K, P, P, C)`` outside ``hole`` (0 if all hole)."""
    return float(np.max(image, axis=-1, where=~hole[..., None], initial=0.0).max(initial=0.0))


def _onion_layers(hole: np.ndarray) -> np.ndarray:
    """``(P, P)`` int: each pixel of ``hole`` (``(P, P)`` bool) numbered by its onion-peel layer
    (its chessboard distance to the nearest known pixel: 1 on the border), 0 off the hole, and 0
    everywhere on a tile with no known pixel (inside a cap wider than the padded face: nothing
    to peel from). There the distance transform gives FLT_MAX, whose cast to int is undefined:
    INT64_MIN on x86, which peeled nothing; INT64_MAX where the cast saturates, an endless peel."""
    if hole.all():
        return np.zeros(hole.shape, int)
    return cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_C, 3).astype(int)


def _rings(image: np.ndarray, hole: np.ndarray
           ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The known ring round each tile's hole, for the tiles that have both: per tile ``(tile,
    known, away, ring)``: ``tile`` ``(P, P, C)`` of ``image`` ``(N, P, P, C)``, ``known``
    ``(P, P)`` float32 (1 outside ``hole`` ``(N, P, P)``), ``away`` its pixels' distance to the
    hole and ``ring`` ``(P, P)`` bool, the known pixels within ``_RING_WIDTH`` px of it."""
    for tile, h in zip(image, hole, strict=True):
        if h.all() or not h.any():
            continue
        known = (~h).astype(np.float32)
        away = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3)
        yield tile, known, away, ~h & (away <= _RING_WIDTH)


def _ring_detail(image: np.ndarray, hole: np.ndarray) -> float:
    """How textured the known ring around the holes is: the RMS over every tile's known pixels
    within ``_RING_WIDTH`` px of its hole of the log brightness (``LOG_FLOOR`` added, each
    channel) less its mean over the known pixels nearby (Gaussian, sigma ``_RING_SIGMA``);
    ``image`` ``(N, P, P, C)``, ``hole`` ``(N, P, P)``. Infinite where no tile has a ring."""
    sum_, count = 0.0, 0
    for tile, known, _, ring in _rings(image, hole):
        for c in range(tile.shape[2]):
            log = np.log(np.maximum(tile[..., c], 0.0) + LOG_FLOOR).astype(np.float32)
            sum_ += float(((log - known_mean(log, known, _RING_SIGMA))[ring] ** 2).sum())
            count += int(ring.sum())
    return float(np.sqrt(sum_ / count)) if count else np.inf


def _flat_surroundings(tile: np.ndarray, hole: np.ndarray, depth: float) -> bool:
    """Whether the known surroundings of ``hole`` ``(P, P)`` (``depth`` px deep) on ``tile``
    ``(P, P, C)`` are flat (``_FLAT_STEP``, ``_FLAT_SHARE``): the grey's distance from its mean
    over the known pixels nearby (Gaussian, sigma ``_RING_SIGMA``), at the known pixels within
    ``depth`` (at least ``_RING_WIDTH``) of the hole, measured on the tile brought down to at
    most ``_FLAT_WORK`` px (a coarse pixel known only if all it covers is), where a fine
    texture's detail is as strong at 8K as at 1K. False where no known pixel is that near."""
    grey = channel_mean(tile).astype(np.float32)
    known = (~hole).astype(np.float32)
    if tile.shape[0] > _FLAT_WORK:
        depth *= _FLAT_WORK / tile.shape[0]
        side = (_FLAT_WORK, _FLAT_WORK)
        grey = cv2.resize(grey, side, interpolation=cv2.INTER_AREA)
        known = (cv2.resize(known, side, interpolation=cv2.INTER_AREA) > 0.999).astype(
            np.float32)
    away = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 3)
    near = (known > 0) & (away <= max(depth, _RING_WIDTH))
    if not near.any():
        return False
    detail = np.abs(grey - known_mean(grey, known, _RING_SIGMA))
    return float(np.mean(detail[near] > _FLAT_STEP)) < _FLAT_SHARE


def _ring_rise(image: np.ndarray, hole: np.ndarray) -> float:
    """How much the light of the known ring around the holes rises towards them: over every
    tile's known pixels within ``_RING_WIDTH`` px of its hole, the mean slope of the log
    brightness (``LOG_FLOOR`` added, channels averaged, known pixels blurred ``_RISE_SIGMA``)
    along the direction into the hole, over the mean length of the slope; ``image``
    ``(N, P, P, C)``, ``hole`` ``(N, P, P)``. Near 0 for a light that crosses the hole (a side
    light), near 1 for a bright spot inside it, near -1 for a dark one; 0 where no tile has a
    ring."""
    inward, length = 0.0, 0.0
    for tile, known, away, ring in _rings(image, hole):
        log = np.log(np.maximum(tile, 0.0) + LOG_FLOOR).mean(axis=-1).astype(np.float32)
        light = known_mean(log, known, _RISE_SIGMA)
        # the direction away from the hole: the gradient of the (smoothed) distance to it
        ay, ax = np.gradient(cv2.GaussianBlur(away, (0, 0), _RISE_SIGMA))
        gy, gx = np.gradient(light)
        norm = np.maximum(np.hypot(ax, ay), 1e-6)
        inward -= float(((gx * ax + gy * ay) / norm)[ring].sum())
        length += float(np.hypot(gx, gy)[ring].sum())
    return inward / length if length > 0 else 0.0


def _light_share(image: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``(P, P)`` float32 in ``[0, 1]``: how much of the stitch's correction ``offsets``
    ``(P, P, C)`` of ``image`` (its colours) a change of light explains: 1 where it changes
    the local mean's brightness by at most ``_LIGHT_STEP[0]`` (log ratio) and its hue by at
    most ``_LIGHT_HUE[0]``, falling to 0 at ``_LIGHT_STEP[1]`` or ``_LIGHT_HUE[1]``."""
    mean = cv2.blur(np.ascontiguousarray(image), (5, 5)).reshape(image.shape)
    ratio = log_change(mean, offsets)
    brightness = np.abs(ratio.mean(axis=-1))
    return (fading(brightness, *_LIGHT_STEP) * fading(hue_change(ratio), *_LIGHT_HUE)
            ).astype(np.float32)


def _by_layer(layers: np.ndarray, region: np.ndarray
              ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The pixels of ``region`` with ``layers > 0`` as ``(ys, xs)``, one pair per layer from 1
    to the deepest (empty where a layer has none), each in row-major order."""
    ys, xs = np.nonzero(region & (layers > 0))
    depth = layers[ys, xs]
    order = np.argsort(depth, kind="stable")  # row-major within a layer, as np.nonzero
    ys, xs, depth = ys[order], xs[order], depth[order]
    bounds = np.searchsorted(depth, np.arange(1, int(depth.max(initial=0)) + 2))
    return [(ys[a:b], xs[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


class _threads:
    """``with _threads(n)``: numba's parallel kernels use ``n`` threads inside (None: as
    many as before)."""

    def __init__(self, count: int | None) -> None:
        self.count = count
        self.before = 0

    def __enter__(self) -> None:
        self.before = numba.get_num_threads()
        if self.count is not None:
            numba.set_num_threads(min(self.count, self.before))

    def __exit__(self, *exc: object) -> None:
        numba.set_num_threads(self.before)


def _deepest(hole: np.ndarray) -> float:
    """Largest distance (pixels) from a hole pixel of ``hole`` ``(N, P, P)`` to a known one."""
    return max(float(cv2.distanceTransform(h.astype(np.uint8), cv2.DIST_L2, 3).max())
               for h in hole)


def _reach(depth: float, radius: int) -> float:
    """How far (px) a structure step's copies may come from: across a hole ``depth`` deep
    from either side, with a patch's ``radius`` of known pixels around the source."""
    return 2 * depth + 2 * radius + 2


def _lattice_reach(lattice: Lattice, reach: float) -> float:
    """How far (px) copies along ``lattice`` may come from: ``reach`` (:func:`_reach`), but at
    least the lattice's cell (:meth:`Lattice.cell`). A hole shallower than the lattice's step
    is still filled one step away: with the reach alone, the plaza's floor tiles under its
    wrap object (a step of about 2.2 hole depths at every width) got their four steps at 1K
    only thanks to the patch radius's few pixels, and none from 2K up (the floor's part of
    the hole: 100% filled along it at 1K, 13% at 2K, the rest left to the plain search). A
    pixel more than the cell: the vectors' own rounding must not drop its longest."""
    return max(reach, lattice.cell() + 1.0)


def _whole_steps(lattice: Lattice, region: np.ndarray, reach: float) -> _Along:
    """``region`` filled along ``lattice``'s whole steps out to its reach (``_lattice_reach``),
    each kept as the exact vector it was rounded from."""
    return _Along(lattice.vectors(_lattice_reach(lattice, reach), exact=True), region,
                  "lattice", lattice=lattice)


def _domain(hole: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Patch centres whose patch overlaps the hole, and their box ``(y0, y1, x0, x1)``."""
    kernel = np.ones((2 * radius + 1,) * 2, np.uint8)
    domain = cv2.dilate(hole.astype(np.uint8), kernel).astype(bool)
    rows = np.flatnonzero(domain.any(axis=1))
    cols = np.flatnonzero(domain.any(axis=0))
    if not rows.size:
        return domain, np.zeros(4, np.int64)
    return domain, np.array([rows[0], rows[-1] + 1, cols[0], cols[-1] + 1], np.int64)


@register_generator
class PatchMatch:
    """Seam-aware multi-scale PatchMatch: copies texture from any face, continuous across edges."""

    name: ClassVar[str] = "patchmatch"
    pad_fraction: ClassVar[float] = 1 / 8  # the pipeline's automatic padding: S / 8
    # ... and S / 4 round a hole that covers its face (``COVERED_FACE``, a 50-degree cap): at
    # S / 8 the tile knew a ring of 1.3 degrees, where a kerb and a painted line crossing the
    # cap showed by a few pixels and the slabs' lattice not at all (a held-out street under a
    # 50-degree cap: 13.9 dB, against 23.4 at S / 4, 23.4 at S / 2).
    covered_face_pad_fraction: ClassVar[float] = 1 / 4
    # Copied texture must survive ERP -> cube -> ERP. On the ground truth at a 25-degree nadir
    # cap (faces of W/pi) bicubic keeps ~0.85 of the gradient energy, lanczos ~0.94, bilinear
    # ~0.44. Lanczos both ways costs three times bicubic's sampling time (whole faces) and made
    # the fills worse (1K harness: tripods -0.37 dB, nadir caps -0.31); lanczos on the way back
    # alone (hole pixels only) is cheap and keeps more of the fill's own detail (tripods' ratio
    # 0.57 -> 0.63 for -0.08 dB, all 130 cases -0.04 dB, the same on the other mask seed).
    interpolation: ClassVar[str] = "bicubic"
    write_interpolation: ClassVar[str] = "lanczos"

    def __init__(self, params: PatchMatchParams | None = None, /, **overrides: Any) -> None:
        """``params`` (default :class:`PatchMatchParams()`) with the fields named in
        ``overrides`` changed, checked like a config: ``PatchMatch(coherence=0.5)``.

        Raises:
            TypeError: an unknown parameter or a value of the wrong type.
            ValueError: a value out of range.
        """
        base = dataclasses.asdict(params or PatchMatchParams())
        self.params = build_dataclass(PatchMatchParams, {**base, **overrides}, "", TypeError)

    def __repr__(self) -> str:
        changed = [f"{f.name}={getattr(self.params, f.name)!r}" for f in fields(self.params)
                   if getattr(self.params, f.name) != f.default]
        return f"PatchMatch({', '.join(changed)})"

    # ------------------------------------------------------------------------------ public

    @property
    def uses_context(self) -> bool:
        """Whether every fill calls ``tiles.context()`` (the pipeline then builds it ahead): the
        source bank is all six faces, except where each face is filled alone
        (``seam_aware=False``, the ablation), which never asks for them."""
        return self.params.seam_aware

    def prepare(self) -> None:
        """Load the numba kernels (from numba's disk cache; compile them on a fresh install),
        which the first fill would otherwise do first: 0.6-0.9 s of CPU at every start. The
        pipeline runs this on a background thread while it resamples the faces. Safe to call
        again and from several threads at once."""
        compile_all()

    def inpaint(self, tiles: CubeTiles) -> np.ndarray:
        """Fill the holes of ``tiles``; returns ``(N, P, P, C)`` float32 values.

        Tiles padded wider than ``pad_fraction`` round a hole that covers its face (the
        pipeline's ``covered_face_pad_fraction``) are filled cut back to that padding first, as
        they would have been: the wider padding is used only where no structure step finds
        anything on such a face there. Its ring then holds more of what crosses the hole (a
        kerb under a 50-degree cap: no line, lattice or stripes on a ring of 1.3 degrees, the
        kerb's stripes on one of 6); where the usual ring shows a pattern, the wider one brings
        more of the objects beside the hole into its copies (St Fagans' planks under a
        50-degree cap, the bench's colours drawn along them: -3.4 dB) and other steps found
        on a ring further from the hole (the hall's tiles, the hexagons: -0.4..-0.9 dB).
        """
        usual = min(tiles.pad, padding_of(tiles.face_size, self.pad_fraction))
        # (Whether a hole covers its face is the same on the tile cut back: the same core.)
        if tiles.pad > usual and self.params.structure and self.params.seam_aware and any(
                thin_ring(hole, tiles.pad) for hole in tiles.mask):
            narrow = _cut_back(tiles, usual)
            try:
                filled = self._fill(narrow, narrowed=True)
            except _NothingSeen as seen:
                tiles.notes.append(
                    f"patchmatch structure: face {seen.face}: {seen.what} on its ring at a "
                    f"padding of {usual} px; filled on tiles padded by {tiles.pad} px")
                del narrow  # its copies (and its context's), before the wider fill
            else:
                tiles.notes.extend(narrow.notes)
                tiles.reconciled = narrow.reconciled
                out = np.asarray(tiles.values, np.float32).copy()
                cut = tiles.pad - usual
                out[:, cut:cut + filled.shape[1], cut:cut + filled.shape[2]] = filled
                return out
        return self._fill(tiles)

    def _fill(self, tiles: CubeTiles, *, narrowed: bool = False) -> np.ndarray:
        """:meth:`inpaint`'s fill of ``tiles`` as they are padded (``narrowed``: cut back from
        a wider padding, see ``_Problem.narrowed``)."""
        values = np.asarray(tiles.values, np.float32)
        if not tiles.mask.any():
            return values.copy()
        if not self.params.seam_aware:
            return self._inpaint_faces_alone(tiles, values)
        stripes: dict[int, np.ndarray] = {}
        image = np.asarray(tiles.image, np.float32)
        proxy_only = tiles.values is tiles.image
        context = tiles.context() if tiles.context is not None else None
        if context is not None:
            if context.pad != tiles.pad or context.face_size != tiles.face_size:
                raise ValueError(
                    f"context tiles (face_size={context.face_size}, pad={context.pad}) do not "
                    f"match the batch (face_size={tiles.face_size}, pad={tiles.pad})"
                )
            bank_image = np.asarray(context.image, np.float32)
            bank_values = np.asarray(context.values, np.float32)
            bank_hole, bank_faces = context.mask, tuple(context.face_ids)
        else:  # search the batch itself
            bank_image, bank_values, bank_hole = image, values, tiles.mask
            bank_faces = tuple(tiles.face_ids)
        if proxy_only:
            problem = _Problem(
                image, None, tiles.mask, tuple(tiles.face_ids), tiles.face_size, tiles.pad,
                bank_image, None, bank_hole, bank_faces, True, tiles.to_values, tiles.notes,
                up=tiles.up, narrowed=narrowed,
            )
            # Display-referred values of an integer image: its quantisation step (the finish
            # leaves the step's noise to the output's own quantisation).
            quantum = 0.0
            if np.issubdtype(tiles.source_dtype, np.integer):
                quantum = 1.0 / np.iinfo(tiles.source_dtype).max
            try:
                filled, fields_, solved = self._solve(problem, tiles.report)
                self._finish(tiles, filled, values, fields_, solved.bank_image,
                             solved.bank_hole, 1.0, quantum, edges=solved.edges,
                             plain=solved.plain)
            finally:
                problem.edits.undo()
            stripes = solved.stripes
        else:
            filled, stripes = self._inpaint_hdr(tiles, image, values, bank_image, bank_values,
                                                bank_hole, bank_faces, narrowed)
        out = values.copy()
        np.copyto(out, filled, where=tiles.mask[..., None])
        if stripes:
            # The light of the pixels filled along stripes is a plain search's (a second solve).
            plain = PatchMatch(dataclasses.replace(self.params, stripes=False))
            stripes_light(tiles, out, stripes, plain._fill, log=not proxy_only)
        return out

    def _inpaint_hdr(self, tiles: CubeTiles, image: np.ndarray, values: np.ndarray,
                     bank_image: np.ndarray, bank_values: np.ndarray, bank_hole: np.ndarray,
                     bank_faces: tuple[int, ...], narrowed: bool = False
                     ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """The fill of linear HDR tiles: matched on the proxy, copied and finished in log
        brightness (:class:`LogBrightness`); its hole pixels mapped back to linear values (the
        others are left in log brightness: the caller keeps the known values); with the pixels
        filled along stripes."""
        domain = LogBrightness.of(bank_values, ~bank_hole)
        work = domain.forward(values)
        bank_work = work if bank_values is values else domain.forward(bank_values)
        problem = _Problem(
            image, work, tiles.mask, tuple(tiles.face_ids), tiles.face_size, tiles.pad,
            bank_image, bank_work, bank_hole, bank_faces, True,
            lambda proxy: domain.forward(tiles.to_values(proxy)), tiles.notes, up=tiles.up,
            narrowed=narrowed,
        )
        # No fill is brighter than the brightest pixel it could have copied (sharpening and
        # the finish's detail gain could otherwise turn a light's edge into a brighter one).
        high = _brightest(bank_work, bank_hole)
        try:
            filled, fields_, solved = self._solve(problem, tiles.report)
            self._finish(tiles, filled, work, fields_, solved.bank_values, solved.bank_hole,
                         high, edges=solved.edges, plain=solved.plain)
        finally:
            problem.edits.undo()
        colour = filled[..., :3]
        np.clip(colour, 0.0, high, out=colour)
        # Only the hole pixels are mapped back: the caller keeps the known values as they are.
        filled[tiles.mask] = domain.inverse(filled[tiles.mask])
        return filled, solved.stripes

    def _finish(self, tiles: CubeTiles, filled: np.ndarray, known: np.ndarray,
                fields_: list[_Field | None], bank: np.ndarray, bank_hole: np.ndarray,
                high: float, quantum: float = 0.0, *,
                edges: dict[int, list[Edge]] | None = None, plain: bool = False) -> None:
        """Smooth structure at the border and detail at the surroundings' energy (``_finish``),
        values clipped to ``[0, high]``, then the tiles re-padded so they agree on their overlaps
        again (``known``: the tiles' known pixels, in the domain of ``filled``; ``edges``: per
        tile, the edges the line step left to the search, kept where its fill continues them,
        as the line step's lines are; ``plain``: the known ring is plain, the fill's light kept
        as gentle as the ring's)."""
        p = self.params
        if (p.structure_depth == 0 and p.detail_bands == 0 and p.detail_depth == 0
                and p.layout_depth == 0 and p.rim_depth == 0 and not p.stitch):
            return
        scales = FinishScales.of(tiles.face_size, p.structure_sigma, p.structure_depth,
                                 p.detail_gain_max, p.detail_bands, p.detail_depth,
                                 pad=tiles.pad, trend_level=p.trend_level,
                                 quantum=quantum, agreement=p.structure_agreement,
                                 layout_depth=p.layout_depth, layout_sigma=p.layout_sigma,
                                 rim_depth=p.rim_depth, band_depth=p.detail_band_depth)
        fields = None
        if p.stitch:
            fields = {i: f.nnf for i, f in enumerate(fields_) if f is not None}
        along = {i: f.along for i, f in enumerate(fields_) if f is not None and f.along is not None}
        toned = {i: f.toned for i, f in enumerate(fields_) if f is not None and f.toned is not None}
        lined = {i: f.lined for i, f in enumerate(fields_) if f is not None and f.lined is not None}
        patterned = {i: f.patterned for i, f in enumerate(fields_)
                     if f is not None and f.patterned is not None}
        for i, found in (edges or {}).items():
            # An edge the search's own copies continue into the hole is kept as a line the line
            # step drew: its steps across the stitch's cuts and its cross-section's energy
            # (lebombo's pillar turning into a ledge: the stitch and the band gains faded the
            # continued edge into a dark blob).
            # Only the search's own fill: what a structure step filled is that step's to keep.
            mine = tiles.mask[i] if i not in along else tiles.mask[i] & ~along[i]
            kept = [(edge.direction, region) for edge in found
                    if (region := edge.continued(filled[i], tiles.mask[i], tiles.face_size)
                        & mine).any()]
            if not kept:
                continue
            lined[i] = [*lined.get(i, []), *kept]
            union = np.logical_or.reduce([region for _, region in kept])
            toned[i] = union if i not in toned else toned[i] | union
            if p.edges_along:
                along[i] = union if i not in along else along[i] | union
        finish_fill(filled, tiles.mask, scales, high, fields, bank, along, bank_hole, toned,
                    lined, plain=plain, patterned=patterned)
        if tiles.pad and len(tiles.face_ids) > 1:
            reconcile_tiles(filled, tiles.mask, tiles.face_ids, tiles.pad)
            repad_cube_faces(filled, tiles.face_ids, tiles.pad)
            np.copyto(filled, known, where=~tiles.mask[..., None])
            tiles.reconciled = True  # the pipeline need not blend the overlaps again

    # ---------------------------------------------------------------------------- ablation

    def _inpaint_faces_alone(self, tiles: CubeTiles, values: np.ndarray) -> np.ndarray:
        """Each face on its own core: no padding, no other face, no re-padding."""
        out = values.copy()
        core, pad, n = tiles.core, tiles.pad, len(tiles.face_ids)
        proxy_only = tiles.values is tiles.image
        for i, face in enumerate(tiles.face_ids):
            hole = tiles.mask[i][core]
            filled = np.ascontiguousarray(values[i][core])
            if hole.any():
                image = np.ascontiguousarray(tiles.image[i][core], np.float32)[None]
                vals = None if proxy_only else filled[None]
                problem = _Problem(
                    image, vals, hole[None], (face,), tiles.face_size, 0, image, vals,
                    hole[None], (face,), False, tiles.to_values, tiles.notes, up=tiles.up,
                )
                result = self._solve(problem, lambda f, i=i: tiles.report((i + f) / n))[0][0]
                filled[hole] = result[hole]
                out[i][core] = filled
            ring = tiles.mask[i].copy()
            ring[core] = False
            if pad and ring.any():  # without context the ring can only repeat the face edge
                grown = cv2.copyMakeBorder(filled, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
                out[i][ring] = grown.reshape(out[i].shape)[ring]
        return out

    # ------------------------------------------------------------------------------ solver

    def _level_count(self, problem: _Problem, deepest: float) -> int:
        """Pyramid levels for a hole whose deepest pixel lies ``deepest`` pixels inside."""
        p = self.params
        if p.levels is not None:
            count = p.levels
        else:
            by_hole = int(np.ceil(np.log2(max(deepest / p.patch_size, 1.0))))
            by_size = int(np.floor(np.log2(max(problem.face_size / p.coarse_size, 1.0))))
            count = 1 + max(0, min(by_hole, by_size))
        while count > 1 and level_plan(problem.face_size, problem.pad, count)[-1].size < (
            4 * p.patch_size
        ):
            count -= 1  # every level needs room for whole patches
        return count

    def _level(self, problem: _Problem) -> tuple[float, ...]:
        """The level prior's ``(weight, up_x, up_y, up_z)`` for this fill, or ``()`` where it
        does not apply (``level_locality`` 0, or tiles whose up direction is unknown)."""
        weight = self.params.level_locality
        if weight <= 0 or problem.up is None:
            return ()
        return (weight, *problem.up)

    def _locality(self, problem: _Problem) -> float:
        """The locality prior's weight for this fill: ``locality``, scaled up by
        ``(locality_depth / depth)^2`` for a hole shallower than ``locality_depth`` (its deepest
        pixel's distance to the border, as a share of the face size).

        The prior grows with ``1 - cos(angle)``, about ``angle^2 / 2``: a source a few hole
        radii from a small hole is a few degrees away and costs almost nothing extra, so any
        patch of the right colour there wins, wherever it sits (a piece of the tree line in a
        hole in the sky above it). Scaled by the inverse square of the depth, the penalty of a
        source depends on its distance in hole radii, as it does for the deep holes the weight
        was chosen on (those keep it unchanged)."""
        p = self.params
        if p.locality_depth <= 0:
            return p.locality
        depth = max(_deepest(problem.hole), 1.0) / problem.face_size
        return p.locality * max(1.0, (p.locality_depth / depth) ** 2)

    def _refines(self, index: int, plan: list[Level]) -> bool:
        """Whether level ``index`` of ``plan`` only refines the matches above it (see
        ``refine_size``): the finest level, and any level with a face wider than that."""
        size = self.params.refine_size
        return index == 0 or (size is not None and plan[index].face_size > size)

    def _iterations(self, level: int, plan: list[Level]) -> int:
        p = self.params
        count = len(plan)
        if count == 1 or self._refines(level, plan):
            return p.iterations
        # 0 at the finest level, 1 at the coarsest, over the levels that lay out the fill as if
        # only one refined: a level gets the iterations it would get in a smaller panorama.
        refining = sum(self._refines(index, plan) for index in range(count))
        t = (level - refining + 1) / (count - refining)
        return max(1, round(p.iterations + t * (p.coarse_iterations - p.iterations)))

    def _solve(self, problem: _Problem, report: Callable[[float], None]
               ) -> tuple[np.ndarray, list[_Field | None], _Problem]:
        """Coarse-to-fine EM; returns the filled ``(N, P, P, C)`` values (hole pixels valid),
        each tile's finest field (None where it found no source) and the problem the fields
        copy from: its bank holds what the structure steps filled first."""
        p = self.params
        radius = p.patch_size // 2
        locality = self._locality(problem)
        problem, early = self._fill_along(problem, self._structure(problem, radius), radius,
                                          locality)
        # One distance transform of every tile for both (at 16K 0.3 s and 85 MB a face).
        deepest = _deepest(problem.hole)
        count = self._level_count(problem, deepest)
        plan = level_plan(problem.face_size, problem.pad, count)
        # The layout is stitched (if asked) in a hole as deep as the locality prior takes as
        # deep: there its sources come from far around it, each with the light of where it was.
        stitched = p.layout_stitch != "none" and (
            deepest >= p.locality_depth * problem.face_size)
        channels = problem.image.shape[3]
        shared = problem.bank_image is problem.image
        # Every coarser level is resampled from the full-size masks and the half-size tiles,
        # each tile converted for resampling once for all of them.
        sizes = [lv.size for lv in plan[1:]]
        hole_levels = Downsampler(problem.hole).levels(sizes)
        bank_hole_levels = hole_levels if shared else Downsampler(problem.bank_hole).levels(sizes)
        image_half = bank_half = problem.image
        if count > 1:
            # Texture channels for the coarser levels, computed once at the second level (the
            # finest level matches colours only: it refines matches chosen above it).
            half = plan[1].size
            width = 2 ** max(count - 3, 0)  # about one coarsest pixel
            image_half = with_texture_features(
                Downsampler(problem.image).resize(half), hole_levels[half], width,
                p.texture_weight, guide=True)
            bank_half = image_half if shared else with_texture_features(
                Downsampler(problem.bank_image).resize(half), bank_hole_levels[half],
                width, p.texture_weight)
        image_levels = Downsampler(image_half).levels(sizes)
        bank_levels = image_levels if shared else Downsampler(bank_half).levels(sizes)
        targets = [i for i in range(problem.image.shape[0]) if problem.hole[i].any()]
        covered = {i for i in targets if thin_ring(problem.hole[i], problem.pad)}
        work = [lv.size**2 * self._iterations(index, plan) for index, lv in enumerate(plan)]
        done = 0.0

        estimate: np.ndarray | None = None
        values = None if problem.values is None else problem.values.copy()
        fields_: list[_Field | None] = [None] * problem.image.shape[0]
        domains: list[tuple[np.ndarray, np.ndarray]] = []
        for index in range(count - 1, -1, -1):
            level = plan[index]
            if index == 0:  # read only: ``image`` below is the working copy
                known, hole = problem.image, problem.hole
                bank_image, bank_hole = problem.bank_image, problem.bank_hole
                # The coarser levels' sources are done with: the half-size tiles with their
                # texture channels (16K: 1.5 GB for six faces).
                del image_half, bank_half, image_levels, bank_levels
                del hole_levels, bank_hole_levels
                if count > 1:  # the level above's banks and sources, which hold its tiles
                    del bank, banks  # noqa: F821 - bound by the coarser level's pass
                    src = ()
            else:  # each level's tiles let go once it is done
                known = image_levels.pop(level.size)
                hole = hole_levels.pop(level.size)
                bank_image = known if shared else bank_levels.pop(level.size)
                bank_hole = hole if shared else bank_hole_levels.pop(level.size)
            bank = build_bank(bank_image, bank_hole, problem.bank_face_ids, level, radius,
                              self._max_scale(level, plan[0]), locality, self._level(problem))
            banks = {i: bank for i in targets}
            banks.update(self._covered_banks(bank, bank_image, bank_hole, problem, covered,
                                             level, plan[0], radius, locality))
            links = RingLinks.build(problem.face_ids if problem.repad else (), level, hole)
            image = known.copy()
            if estimate is None:
                smooth_fill(image[..., :channels], hole)
            else:  # only kept where a target finds no source at this scale
                for i in targets:
                    coarse = np.ascontiguousarray(estimate[i][..., : image.shape[3]])
                    up = cv2.resize(coarse, (level.size, level.size),
                                    interpolation=cv2.INTER_LINEAR)
                    image[i][hole[i]] = up.reshape(image[i].shape)[hole[i]]
            lays_out = index > 0 and stitched and not self._refines(index, plan)
            colours = np.ascontiguousarray(bank.image[..., :channels]) if lays_out else None
            coarse_domains = [d for d, _ in domains]
            domains = [_domain(h, radius) for h in hole]
            # The coarsest level's peel is stitched only in a plain ring (see ``_PLAIN_RING``).
            peel = lays_out and not coarse_domains and p.layout_stitch == "peel"
            if peel:
                ring_colours = image[targets][..., :channels]  # (targets, P, P, channels)
                peel = (_ring_detail(ring_colours, hole[targets]) <= _PLAIN_RING
                        and _ring_rise(ring_colours, hole[targets]) <= _RISING_RING)
            problem.plain = problem.plain or peel
            for i in targets:
                fields_[i] = self._start(self._sources(banks[i], problem, i), banks[i],
                                         image[i], hole[i], domains[i], fields_[i],
                                         coarse_domains[i] if coarse_domains else None,
                                         i, index, radius)
                if fields_[i] is not None and lays_out and coarse_domains:  # a voted start
                    self._unshift(colours, bank_hole, image[i], hole[i], fields_[i], radius)
                elif fields_[i] is not None and peel:
                    self._unshift(colours, bank_hole, image[i], hole[i], fields_[i], radius,
                                  light_only=True)
            self._refresh(links, image, known, index)
            iterations = self._iterations(index, plan)
            for it in range(iterations):
                final = index == 0 and it == iterations - 1
                for i in targets:
                    field = fields_[i]
                    if field is None:
                        continue
                    src = self._sources(banks[i], problem, i)
                    self._search(src, image[i], domains[i], field, i, index, it, radius,
                                 self._refines(index, plan), index == count - 1)
                    if not final:
                        self._vote(bank.image, image[i], hole[i], domains[i], field, radius)
                        if lays_out and p.layout_stitch == "votes":
                            self._unshift(colours, bank_hole, image[i], hole[i], field, radius)
                        continue
                    box = domains[i][1]
                    self._reconstruct(bank.image, image[i], hole[i], box, field, bank.geo, 1.0)
                    if values is not None and problem.bank_values is not None:
                        self._reconstruct(problem.bank_values, values[i], hole[i], box, field,
                                          bank.geo, np.inf)
                    # Gauss-Seidel in the final pass: the next tiles search against this tile's
                    # final fill, re-padded into their borders, so each continues the fill of
                    # the tiles before it across their shared edges.
                    self._refresh(links, image, known, index)
                if not final:  # Jacobi between the other passes: one re-padding for all
                    self._refresh(links, image, known, index)
                done += work[index] / iterations
                report(done / sum(work))
            estimate = image
        assert estimate is not None  # count >= 1
        logger.debug("patchmatch: %d levels of sizes %s", count, [lv.size for lv in plan])
        for i, field in early.items():  # the lattice copies where they were made
            mine = field.nnf[0] >= 0
            if fields_[i] is None:
                fields_[i] = dataclasses.replace(field, along=mine)
            else:
                merged = tuple(np.where(mine, a, b) for a, b in zip(
                    field.nnf, fields_[i].nnf, strict=True))
                fields_[i] = dataclasses.replace(field, nnf=merged, along=mine)
        if values is None:
            out = estimate[..., :channels]
            self._repad(problem, out, problem.image, problem.hole, plan[0])
            return out, fields_, problem
        for i in targets:
            if fields_[i] is None:  # no source at any scale: the smooth estimate
                values[i][problem.hole[i]] = problem.to_values(
                    estimate[i][..., :channels])[problem.hole[i]]
        self._repad(problem, values, problem.values, problem.hole, plan[0])
        return values, fields_, problem

    @staticmethod
    def _unshift(colours: np.ndarray, bank_hole: np.ndarray, image: np.ndarray,
                 hole: np.ndarray, field: _Field, radius: int, *,
                 light_only: bool = False) -> None:
        """The voted estimate ``image`` (one tile of a level, its texture channels after the
        ``colours.shape[3]`` colours) without the offsets between the pieces its ``field``
        copies from the bank's ``colours`` (:func:`_finish.piece_offsets`), in place. Each
        patch of the vote carries its centre's offset: so the offsets are averaged over a
        patch as the vote averages the patches (with equal weights: the vote's favour the
        best matches, which only makes the mean less smooth). ``light_only``: each pixel's
        offset is weighted by the share of it a change of light explains
        (:func:`_light_share`)."""
        if not (hole & (field.nnf[0] >= 0)).any():
            return
        channels = colours.shape[3]
        offsets = piece_offsets(image[..., :channels], hole, field.nnf, colours, bank_hole)
        if light_only:
            offsets *= _light_share(image[..., :channels], offsets)[..., None]
        side = 2 * radius + 1
        voted = cv2.blur(offsets, (side, side), borderType=cv2.BORDER_REPLICATE)
        image[..., :channels][hole] += voted.reshape(offsets.shape)[hole]

    @staticmethod
    def _sources(bank: Bank, problem: _Problem, i: int) -> tuple:
        """The kernels' ``src`` tuple for target ``i`` (see ``_kernels``), or () if empty."""
        if not bank.usable.size:
            return ()
        return (bank.image, bank.valid, bank.boxes, bank.usable, bank.geo,
                bank.frames_for(problem.face_ids[i]))

    def _far_ring(self, image: np.ndarray, filled: np.ndarray, hole: np.ndarray,
                  left: np.ndarray, layers: np.ndarray, parts: list[_Along], src: tuple,
                  radius: int, own: int, field: _Field, residual: np.ndarray) -> None:
        """The pixels ``left`` (``(P, P)`` bool) that no part filled, copied along each of
        ``parts``' lattices on the tile itself (not a floor's grid) in turn from ``src``, a bank
        valid out to the stretch of the face's corners (``lattice_far_ring``), then what is
        still left at the lattice's half steps that repeat its joints
        (``_offsets.half_steps``) and along its painted lines (``_along_painted_lines``);
        ``filled``, ``field`` and ``residual`` updated."""
        on_tile = [part for part in parts if part.lattice is not None and part.plane is None]
        for part in on_tile:
            region = left & part.region & ~filled
            if not region.any():
                continue
            _peel(image, filled, hole, layers, region, src, radius, own, _IDENTITY,
                  _IDENTITY, part.vectors, self.params.coherence, 0.0, field, residual)
        # Then what no whole step reaches, at the lattice's half steps that repeat its joints
        # (``_offsets.half_steps``: a grid found at twice its period; before the painted
        # lines, as on the court's ceiling the half steps are its true period: its crossings
        # keep 0.88 of their darkness so, 0.75 along the joints).
        for part in on_tile:
            region = left & part.region & ~filled
            if not region.any():
                continue
            halves = half_steps(image, ~hole, part.lattice)
            if halves is not None:
                _peel(image, filled, hole, layers, region, src, radius, own, _IDENTITY,
                      _IDENTITY, halves.vectors(_lattice_reach(halves, image.shape[0]),
                                                exact=True),
                      self.params.coherence, 0.0, field, residual)
        region = left & ~filled
        vectors = _along_painted_lines(parts, image.shape[0])
        if region.any() and vectors is not None:
            _peel(image, filled, hole, layers, region, src, radius, own, _IDENTITY,
                  _IDENTITY, vectors, self.params.coherence, 0.0, field, residual)

    @staticmethod
    def _drawn_across(lines: list[Line], hole: np.ndarray, reach: float, face: str,
                      found: list[str]) -> list[_Along]:
        """The band parts of ``lines`` painted across a floor's lattice (``_line_parts``), each
        with its paint's course (``_course``), which no other part copies; their note added to
        ``found``."""
        if not lines:
            return []
        found.append(f"face {face}: {len(lines)} line edge(s) painted across its lattice "
                     "drawn first")
        return [dataclasses.replace(part, paint=_course(line, hole.shape))
                for part, line in zip(_line_parts(lines, hole, reach), lines, strict=True)]

    @staticmethod
    def _unpainted(src: tuple, own: int, paints: list[np.ndarray]) -> tuple:
        """``src`` (``_sources``) with the pixels of ``paints`` (``(P, P)`` bool each: an arc's
        or a painted line's course) no valid source on the own tile ``own`` (the same tuple
        where there are none)."""
        if not paints:
            return src
        valid = src[1].copy()
        for covered in paints:
            valid[own] &= ~covered
        return (src[0], valid, *src[2:])

    def _covered_banks(self, bank: Bank, image: np.ndarray, hole: np.ndarray,
                       problem: _Problem, covered: set[int], level: Level, finest: Level,
                       radius: int, locality: float) -> dict[int, Bank]:
        """The bank each ``covered`` target (its hole covers the face: ``thin_ring``) searches
        where it differs from ``bank``: its own face valid up to ``_OWN_RING_STRETCH`` (or the
        level's own limit, ``_max_scale``, where that is larger), and, where the face looks
        down (``_looks_down``: a nadir cap), the other faces only where they see the ground
        at least ``_PLANE_SCALE_MIN`` times its scale there."""
        level_scale = self._max_scale(level, finest)
        out: dict[int, Bank] = {}
        for i in sorted(covered):
            own = problem.bank_face_ids.index(problem.face_ids[i])
            down = self._looks_down(problem, i)
            if level_scale >= _OWN_RING_STRETCH and not down:
                continue  # the level already sees the whole own ring
            valid = bank.valid.copy()
            boxes = bank.boxes.copy()
            if level_scale < _OWN_RING_STRETCH:
                wide = build_bank(image[own:own + 1], hole[own:own + 1],
                                  problem.bank_face_ids[own:own + 1], level, radius,
                                  _OWN_RING_STRETCH, locality)
                valid[own] = wide.valid[0]
                boxes[own] = wide.boxes[0]
            if down:
                self._near_plane_only(valid, boxes, problem, i, own, level)
            usable = np.flatnonzero(valid.reshape(valid.shape[0], -1).any(axis=1)).astype(
                np.int64)
            out[i] = dataclasses.replace(bank, valid=valid, boxes=boxes, usable=usable)
        return out

    @staticmethod
    def _near_plane_only(valid: np.ndarray, boxes: np.ndarray, problem: _Problem, i: int,
                         own: int, level: Level) -> None:
        """Keep, in place, the sources (``valid`` ``(K, P, P)``, ``boxes`` ``(K, 4)``) of the
        faces other than ``own`` only where they see the plane under target ``i``'s face at
        ``_PLANE_SCALE_MIN`` times the scale that face sees it at, or more (see
        ``_PLANE_AXIS_DEGREES``)."""
        normal = FACE_CENTER[problem.face_ids[i]]
        coord = face_coords(level)
        least = _PLANE_SCALE_MIN ** (2 / 3)
        for k, face in enumerate(problem.bank_face_ids):
            if k == own:
                continue
            # d . n, row term plus column term: one (P, P) array (16K: 340 MB, not three).
            towards = np.add.outer(coord * (FACE_DOWN[face] @ normal),
                                   FACE_CENTER[face] @ normal + coord * (FACE_RIGHT[face] @ normal))
            valid[k] &= towards >= least
            boxes[k] = valid_box(valid[k])

    @staticmethod
    def _looks_down(problem: _Problem, i: int) -> bool:
        """Whether target ``i``'s face looks within ``_PLANE_AXIS_DEGREES`` of the panorama's
        down (unknown up: no)."""
        if problem.up is None:
            return False
        centre = FACE_CENTER[problem.face_ids[i]]
        up = np.asarray(problem.up, np.float64)
        cosine = float(centre @ up) / max(float(np.linalg.norm(up)), 1e-12)
        return -cosine >= float(np.cos(np.radians(_PLANE_AXIS_DEGREES)))

    def _max_scale(self, level: Level, finest: Level) -> float:
        """The stretch a source may sit at on ``level``: a level ``2^l`` times coarser than the
        finest samples the panorama ``2^l`` times below its resolution, so a source magnified
        up to ``2^l * max_scale`` is no blurrier there than one within ``max_scale`` is at
        full size. The coarse levels, which lay out the fill, then see the whole padded tile:
        for a large hole its own plane's border, not only the other faces."""
        if not self.params.max_scale_grows:
            return self.params.max_scale
        return self.params.max_scale * finest.face_size / level.face_size

    def _structure(self, problem: _Problem, radius: int) -> dict[int, list[_Along]]:
        """What to fill first on each target whose hole is deep enough to need it: the whole
        hole along the tile's lattice where its texture is regular (``_offsets``), else a band
        along each straight line crossing the hole, or ending in it on one that does
        (``_lines``). Notes say what was found, and
        which steps were skipped and why."""
        p = self.params
        if not p.structure:
            return {}
        channels = problem.image.shape[3]
        plans: dict[int, list[_Along]] = {}
        found, lined, thin, plain, unsure, by_chance = [], [], [], [], [], []
        flats: list[str] = []  # faces whose hole's surroundings are flat: no lattice looked for
        deep: list[int] = []  # the targets the structure steps looked at
        for i in np.flatnonzero(problem.hole.any(axis=(1, 2))):
            i = int(i)
            face = FACE_ORDER[problem.face_ids[i]]
            hole = problem.hole[i]
            depth = _deepest(hole[None])
            if depth < p.structure_min_depth * problem.face_size or (
                    problem.face_ids[i] not in problem.bank_face_ids):
                thin.append(face)  # thin holes: the plain search continues what crosses them
                continue
            deep.append(i)
            image = problem.image[i][..., :channels]
            reach = _reach(depth, radius)
            # The lines are looked for on a thread while the lattice is (both mostly in OpenCV
            # and numpy, which release the GIL): most tiles have no lattice and then need them,
            # and on two cores the two searches take little more than the longer one. A tile
            # with a lattice drops its lines: the search is told to stop at its next step and
            # waited for, so that it does not run on beside the fill and an error in it is
            # raised, not lost with its result.
            enough = threading.Event()
            looking = ThreadPoolExecutor(1)
            sure_only = depth < p.unsure_min_depth * problem.face_size
            lines_found = looking.submit(lines_and_edges, image, hole, problem.face_size,
                                         depth=depth, stop=enough, sure_ends=sure_only)
            looking.shutdown(wait=False)
            try:
                flat = _flat_surroundings(image, hole, depth)
                if flat:
                    flats.append(face)
                lattice = None if flat else find_lattice(image, ~hole,
                                                         min_strength=p.lattice_strength)
                # One axis of a grid (not stripes) is half a lattice: filled as stripes, the
                # hall's tiles under a 50-degree cap (seed 1) lost 1.7 dB to the wider view's
                # two directions.
                wider = False
                if not flat and (lattice is None or lattice.one_axis()) and thin_ring(
                        hole, problem.pad):
                    seen_wider = wider_lattice(
                        problem.bank_image, problem.bank_hole, problem.bank_face_ids,
                        problem.face_ids[i], problem.face_size, problem.pad, image, ~hole,
                        min_strength=p.lattice_strength)
                    if seen_wider is not None:
                        lattice, wider = seen_wider, True
                    elif lattice is not None and problem.narrowed and p.one_axis_wider:
                        # Kept, its copies along the one axis drew the plaza's tiles under a
                        # large cap (mask seed 3) as rows of dark slivers (18.01 dB); on the
                        # wider tiles both axes show (19.48).
                        raise _NothingSeen(face, "one axis of a grid found")
                # A lattice found on a valley's floor only (no minimum) is a weaker find: it
                # is the plain path's last fallback, below.
                valley = lattice if lattice is not None and lattice.floor else None
                if valley is not None:
                    lattice = None
                if lattice is not None:
                    lattice = tone_lattice(image, ~hole, lattice)
                floor = None if flat else self._plane_lattice(problem, i, radius)
            except BaseException:
                enough.set()
                raise
            # A lattice that may be lines is only taken once the lines are known (the
            # search is waited for, not stopped).
            face_size = problem.face_size
            across: list[Line] = []  # a line painted across the floor's own lattice
            if lattice is not None and (_one_valley(lattice)
                                        or _short_steps(lattice, face_size)):
                drawn = _drawable(lines_found.result()[0], sure_only)
                beneath, edges_along = None, []
                if _one_valley(lattice):
                    lone, edges_along, beneath = _lone_line_over(
                        lattice, drawn, image, hole, p.lattice_strength, face_size)
                else:
                    lone = _two_lines_crossing(lattice, drawn, image, hole,
                                               p.lattice_strength, face_size)
                # A line painted across a floor's pattern (a court's line across its boards)
                # made the ring's strongest valley, and the pattern was dropped with it: the
                # plain search filled round the line's band with smeared boards, and the
                # boundaries' wide bands broke the line. The pattern the ring shows without
                # the line is the floor's lattice; the line is drawn across it first.
                if lone:
                    lattice = None
                    if beneath is not None and p.lines_across_lattice:
                        lattice, across = tone_lattice(image, ~hole, beneath), edges_along
            if lattice is not None:
                # A line of a colour the ring seldom shows (paint on boards, a ceiling grid's
                # dark joints on its white tiles) is copied first along the lattice's steps
                # along it (``lattice_lines``): the search for it is let finish. Every other
                # line on a tile's own lattice is left to it: drawn along the boards, a
                # floor's plank joints came back smooth (the loft's tripod at mask seed 0
                # -0.76 dB); the bands of a paving's grout carried a dark tile's tone along
                # the joint (the plaza's tripod, seed 1: -3.17).
                painting = p.own_lines_along and p.lattice_lines
                if not painting:
                    enough.set()
                lattice_lines = lines_found.result()[0]  # waited for: its error is raised
                if not painting:
                    lattice_lines = []  # what a stopped search found
                # A tile that sees a floor a little tilted (a face turned off the nadir) may
                # find a lattice of its own, a constant shift that holds only near the middle
                # of the view; the floor's lattice seen from above holds all across it, and is
                # taken where it repeats more sharply (Potsdamer's paving around a monopod at
                # mask seed 1: +1.01 dB; the yard's bricks round a cube-edge object: +1.28).
                if floor is not None and (floor[0].lattice.strength.max()
                                          > lattice.strength.max()):
                    part, note = floor
                    plans[i] = [*self._drawn_across(across, hole, reach, face, found), part]
                    found.append(f"face {face}: " + note)
                else:
                    parts = self._lattice_parts(problem, i, lattice, reach)
                    if _one_valley(lattice) and p.side_lattices:
                        parts = [*self._side_parts(image, hole, lattice,
                                                   lines_found.result()[0], reach, face, found),
                                 *parts]
                    crossing = [line for line in lattice_lines
                                if line.crossing and not line.corner]
                    painted = [line for line, contrast in zip(
                        crossing, paint_contrast(image, ~hole, crossing), strict=True)
                        if contrast > _PAINTED]
                    along = []
                    for line in painted:
                        if (p.lines_across_lattice and _lone(line, lattice_lines, face_size)
                                and _along_own_line(line, parts[0],
                                                    own_directions=True) is None):
                            # Paint that none of the lattice's own directions runs along:
                            # drawn along itself.
                            if not any(_same_line(line, other) for other in across):
                                across.append(line)
                            continue
                        band = _along_own_line(line, parts[0], "painted line")
                        if band is not None:
                            along.append(band)
                    if p.lines_across_lattice:
                        # A stripe of paint wider than a joint is found as its two edges,
                        # each a boundary between two colours.
                        across += _stripe_edges_across(lattice_lines, parts[0], face_size,
                                                       across)
                    plans[i] = [*self._drawn_across(across, hole, reach, face, found),
                                *along, *parts]
                    found.append(_lattice_note(face, lattice, _ON_WIDER_VIEW if wider else ""))
                continue
            lines, edges, chance_pairs = lines_found.result()
            if chance_pairs:
                by_chance.append(face)
            drawable = _drawable(lines, sure_only)
            # Only a line crossing the hole keeps the stripes off (``stripes_line``); one that
            # ends in it, a corner's edges too, is then filled over by the stripes (drawn, the
            # box corner at St Fagans' large cap cost 0.11 dB: its edges' extensions meet
            # 13-20 px further in than the blurred corner truly is).
            stripes = None if floor is not None or not p.stripes else stripes_line(
                problem.image[i], hole, problem.face_ids[i], problem.up, drawable)
            # The valley's lattice comes after a floor's lattice seen from above (the 2K
            # loft's ceiling beside a stroke: 0.92 against 0.31, -0.51 dB) and after planks
            # that the stripes step sees all round the hole (filled from both their ends, the
            # light from a plain fill), and only in a deep hole: in a shallow one the lines
            # found across it do better (a workshop's stripes beside a monopod, 0.08 of the
            # face deep: -0.75 dB; a lake's ripples round an object at a cube corner, 0.11:
            # -0.91), in a deep one the valley (the warehouse's ceiling stripes, 0.21: +2.5
            # dB; the loft's planks under caps, 0.34-0.49).
            if (valley is not None and floor is None and stripes is None
                    and depth >= _FLOOR_MIN_DEPTH * problem.face_size):
                lattice = tone_lattice(image, ~hole, valley)
                parts = self._lattice_parts(problem, i, lattice, reach)
                across = _stripe_edges_across(drawable, parts[0], face_size, []
                                              ) if p.lines_across_lattice else []
                plans[i] = [*self._drawn_across(across, hole, reach, face, found), *parts]
                found.append(_lattice_note(face, lattice, _ON_WIDER_VIEW if wider else ""))
                continue
            if len(drawable) < len(lines):
                unsure.append(face)
            lines = drawable
            if stripes is not None:
                # The lines found, if any, are the planks' own joints: the stripes take the
                # whole hole along the same direction.
                plans[i] = [_Along(stripes.vectors(reach, _ALONG_TRIES), hole, "stripes")]
                found.append(f"face {face}: stripes along "
                             f"{np.round(stripes.direction, 2).tolist()} seen from above")
                continue
            if edges and p.edges:
                problem.edges[i] = edges
            own_lines: list[Line] = []
            if (floor is not None and lines and p.floor_own_lines
                    and floor[0].plane is not None and floor[0].lattice is not None):
                # The pattern's own lines (a ceiling's grid, a floor's joints) are the
                # lattice's: drawn first as lines, each band copied along its line without the
                # lines crossing it, and the joints broke where two met.
                # A boundary between two regions (a ceiling's junction with a wall) is not a
                # joint, however much of the pattern its wide band holds on either side. Nor is
                # a line that turns in the hole, meeting another where both end (a room's
                # corner): a lattice's joints cross (the loft's ceiling at mask seed 2: its
                # junction with a wall, turning in the corner, scored 0.61, and the copies drew
                # it jagged and a few pixels low). A joint that ends on a line (a ceiling's
                # grid on its junction with a wall) is still the pattern's: drawn, the
                # workshop's at seed 2 lost 0.49 dB.
                own = [not line.boundary and not line.corner and repeats_across(
                    floor[0].plane, floor[0].lattice, line.point, line.direction,
                    line.half_width) for line in lines]
                if any(own):
                    own_lines = [line for line, its in zip(lines, own, strict=True) if its]
                    lines = [line for line, its in zip(lines, own, strict=True) if not its]
                    found.append(f"face {face}: {sum(own)} line(s) of the pattern left to "
                                 "its lattice")
                if p.lines_along_lattice:
                    lines, along_lattice, chance = _lines_on_lattice(lines, floor[0])
                    own_lines += along_lattice
                    if along_lattice:
                        found.append(f"face {face}: {len(along_lattice)} line(s) along the "
                                     "lattice copied by its steps along them")
                    if chance:
                        found.append(f"face {face}: {chance} unsure line(s) near the "
                                     "lattice's directions left to it")
            if lines:
                plans[i] = _line_parts(lines, hole, reach)
                lined.append(f"face {face}: " + lines_note(lines))
            if floor is not None:
                # After the lines, on what their bands leave: a kerb or skirting board is not
                # part of the floor's pattern (filled first, the plane's copies cost a loft's
                # planks 0.5 dB).
                part, note = floor
                taken = np.zeros_like(hole)
                for line_part in plans.get(i, []):
                    taken |= line_part.region
                part = dataclasses.replace(part, region=part.region & ~taken)
                # Its own lines' bands first, each by the lattice's steps along it only: a
                # step across moved a painted stripe sideways wherever the paint does not
                # repeat the lattice's period across exactly (the workshop's floor stripes,
                # broken where the copies from their two ends met).
                along = [a for a in (_along_own_line(line, part) for line in own_lines)
                         if a is not None] if p.own_lines_along else []
                plans[i] = [*plans.get(i, []), *along, part]
                found.append(f"face {face}: " + note)
            elif not lines:
                plain.append(face)
                if problem.narrowed and thin_ring(hole, problem.pad):
                    raise _NothingSeen(face)  # the rest is looked at on the wider tiles
        curved = self._arc_parts(problem, deep, plans) if p.arcs else []
        plain = [face for face in plain if face not in curved]
        parts = found + lined + [f"face {face}: curved line(s) continued across the hole"
                                 for face in curved]
        # A flat face with no line either is said once: "no regular texture" would claim a
        # search that was not made.
        bare = [face for face in flats if face in plain]
        lined_flat = [face for face in flats if face not in plain]
        plain = [face for face in plain if face not in flats]
        if bare:
            parts.append(f"faces {','.join(bare)}: the hole's surroundings are flat (sky, a "
                         "plain wall) and no line crosses the hole, structure steps skipped")
        if lined_flat:
            parts.append(f"faces {','.join(lined_flat)}: the hole's surroundings are flat (sky, "
                         "a plain wall), no lattice looked for")
        if plain:
            parts.append(f"faces {','.join(plain)}: no regular texture and no line crossing "
                         "the hole, structure steps skipped")
        if unsure:
            parts.append(f"faces {','.join(unsure)}: unsure line pairs not drawn (hole under "
                         f"unsure_min_depth, {p.unsure_min_depth:g} of the face)")
        if by_chance:
            parts.append(f"faces {','.join(by_chance)}: line pairs that the texture's short "
                         "edges make by chance not drawn")
        if thin:
            parts.append(f"faces {','.join(thin)}: hole too thin for the structure steps")
        problem.notes.append("patchmatch structure: " + "; ".join(parts))
        return plans

    @staticmethod
    def _arc_parts(problem: _Problem, targets: list[int], plans: dict[int, list[_Along]]
                   ) -> list[str]:
        """Add the circular arcs crossing each of ``targets``' holes (``_arcs``) to its plan,
        their bands taken from the other parts; returns the faces (letters) that have some."""
        channels = problem.image.shape[3]
        curved = []
        for i in targets:
            hole = problem.hole[i]
            arcs = find_arcs(problem.image[i][..., :channels], hole, problem.face_size)
            if not arcs:
                continue
            parts, taken = [], np.zeros_like(hole)
            for arc in arcs:
                region = arc.band(hole) & ~taken
                taken |= region
                parts.append(_Along(np.zeros((0, 2), np.int64), region, "arc", arc=arc,
                                    paint=arc.course(hole.shape, _PAINT_MARGIN)))
            # The arcs' bands are theirs, but filled last: the other parts' copies, matched on
            # what is filled around them, would take the arcs' colours along their own
            # directions (red dashes along a court's straight line where the circle crosses
            # it, copied along the boards' lattice).
            plans[i] = [dataclasses.replace(part, region=part.region & ~taken)
                        for part in plans.get(i, [])] + parts
            curved.append(FACE_ORDER[problem.face_ids[i]])
        return curved

    def _lattice_parts(self, problem: _Problem, i: int, lattice: Lattice, reach: float
                       ) -> list[_Along]:
        """Target ``i``'s whole hole along ``lattice``, then what its whole steps leave (a cap
        wider than the known ring: the steps jump over it) along the lattice's stripes, if it
        has some seen from above (``lattice_stripes``)."""
        hole = problem.hole[i]
        parts = [_whole_steps(lattice, hole, reach)]
        along = lattice_stripes(lattice, problem.face_ids[i], problem.up,
                                hole.shape[1]) if self.params.stripes else None
        if along is not None:
            parts.append(_Along(along.vectors(reach, _ALONG_TRIES), hole,
                                "stripes of the lattice"))
        return parts

    def _side_parts(self, image: np.ndarray, hole: np.ndarray, valley: Lattice,
                    lines: list[Line], reach: float, face: str, found: list[str]
                    ) -> list[_Along]:
        """The hole's parts beyond the boundaries along ``valley`` on a side whose own
        pixels repeat in two directions, each along its side's lattice (``_sides``); a note
        for each in ``found``."""
        parts = []
        for side in side_lattices(image, hole, valley.offsets[0], lines,
                                  self.params.lattice_strength):
            lattice = tone_lattice(image, side.known, side.lattice)
            parts.append(_whole_steps(lattice, side.region, reach))
            found.append(_lattice_note(face, lattice, "beside a boundary"))
        return parts

    def _plane_lattice(self, problem: _Problem, i: int, radius: int
                       ) -> tuple[_Along, str] | None:
        """Target ``i``'s hole filled along the lattice of the floor (or ceiling) it lies on,
        found on the plane seen from straight above (``_plane.floor_lattice``), with its note;
        None where the hole is not on a plane seen in perspective or the plane has no
        lattice."""
        if problem.up is None:
            return None
        found = floor_lattice(problem.image[i], problem.hole[i], problem.face_ids[i],
                              problem.face_size, problem.pad, problem.up,
                              min_strength=self.params.lattice_strength)
        if found is None:
            return None
        rect, lattice, nearer = found
        reach = _reach(_deepest(rect.hole[None]), radius)
        kind = "ceiling lattice" if rect.ceiling else "floor lattice"
        part = _Along(lattice.vectors(_lattice_reach(lattice, reach), whole=False),
                      rect.region, kind, rect, lattice)
        where = " nearer the camera" if nearer else ""
        return part, (f"{kind} of strength {lattice.strength.max():.2f} seen from above"
                      f"{where}, shift {np.round(lattice.offsets[0], 1).tolist()} px on its grid")

    def _fill_along(self, problem: _Problem, plans: dict[int, list[_Along]], radius: int,
                    locality: float) -> tuple[_Problem, dict[int, _Field]]:
        """Fill the planned parts of each target before (and for) the rest.

        An onion peel from the hole's border inwards in which each pixel may only copy a known
        pixel one of the plan's vectors away (in the plan's order) or what a pixel one vector
        away already copies. Along a lattice the copies keep its phase however deep the hole, as
        the statistics of patch offsets have it (He and Sun 2012); along a line, a band around
        it continues the line (structure propagation, Sun et al. 2005). Pixels with no such
        copy stay holes for the PatchMatch solve. Returns the problem with the filled pixels
        known (in the targets and in the bank, so other tiles may copy them) and each filled
        tile's field."""
        if not plans:
            return problem, {}
        p = self.params
        shared = problem.bank_image is problem.image
        image, hole = problem.image.copy(), problem.hole.copy()
        values = None if problem.values is None else problem.values.copy()
        if shared:
            bank_image, bank_hole = image, hole
            bank_values = None if problem.bank_values is None else values
        else:
            # The fills go into the bank's own arrays (the six faces: 3.1 GB at 16K), the pixels
            # they replace kept in ``problem.edits`` to be put back once the fill is finished.
            # The peel and the final copies read the bank only inside patches that were wholly
            # known when its valid centres were set, which no fill below touches.
            bank_image, bank_hole = problem.bank_image, problem.bank_hole
            bank_values = problem.bank_values
            if bank_values is not None and bank_values is problem.values:
                bank_values = values
        level = Level(problem.face_size, problem.pad)
        # The structure steps keep the plain prior: their candidates are steps of the pattern
        # or along a line, not a search over the panorama.
        bank = build_bank(problem.bank_image, problem.bank_hole, problem.bank_face_ids, level,
                          radius, p.max_scale, locality)
        # A tile whose own known pixels hold no source within the stretch limit (a cap wider
        # than the face: its ring lies 50 degrees or more from the face's centre, where the
        # tile stretches the sphere 2.4 times and more) copies along its pattern from its
        # ring up to the stretch of the face's corners: without, the structure steps find no
        # source and the plain search fills the cap with fog (the workshop's stripes under a
        # 50-degree cap at 1024 px: 18.27 -> 23.16 dB).
        # Only a pattern's copies: a line's band crossing such a cap holds a few pixels of the
        # ring's edges, and copies of them (a few pixels of a 1K loft's and plaza's caps)
        # only moved the plain search's fog (-0.38 and -0.25 dB).
        starved = {i for i, parts in plans.items()
                   if any(part.kind not in ("line", "arc") for part in parts)
                   and not bank.valid[problem.bank_face_ids.index(problem.face_ids[i])].any()}

        @functools.cache
        def wide_bank() -> Bank:
            """The bank valid out to the face corners' stretch (the same one where
            ``max_scale`` already reaches it), built once, when first asked for."""
            if p.max_scale >= _CORNER_STRETCH:
                return bank
            return build_bank(problem.bank_image, problem.bank_hole, problem.bank_face_ids,
                              level, radius, _CORNER_STRETCH, locality)

        size = image.shape[1]
        box = np.array([0, size, 0, size], np.int64)
        fields: dict[int, _Field] = {}
        for i, parts in plans.items():
            own = problem.bank_face_ids.index(problem.face_ids[i])
            chosen = wide_bank() if i in starved else bank
            src = self._sources(chosen, problem, i)
            if not src:
                continue
            field = _Field.empty(size)
            # Where each copy's exact source lies beyond its whole pixel (``lattice_peel``;
            # float32: a fraction of a pixel, 0.12 GB for an 8K cap's tile).
            residual = np.zeros((size, size, 2), np.float32)
            filled = ~hole[i]
            layers = _onion_layers(hole[i])
            stripes_share = 0.0
            paints = [part.paint for part in parts
                      if part.paint is not None] if p.paint_in_own_band else []
            unpainted = self._unpainted(src, own, paints)
            for part in parts:
                if part.arc is not None:
                    # Each band pixel copies its own source along the arc (no search).
                    ys, xs, sy, sx, beyond_y, beyond_x = arc_sources(
                        part.arc, part.region & ~filled, chosen.valid[own], radius)
                    field.nnf[0][ys, xs] = own
                    field.nnf[1][ys, xs] = sy
                    field.nnf[2][ys, xs] = sx
                    field.nnf[3][ys, xs] = 0.0
                    # Where each exact source on the arc lies (``subpixel_copies``).
                    residual[ys, xs, 0], residual[ys, xs, 1] = beyond_y, beyond_x
                    filled[ys, xs] = True
                    continue
                # A plane's lattice is a constant shift on its grid, not on the tile.
                to_grid = _IDENTITY if part.plane is None else part.plane.to_grid
                from_grid = _IDENTITY if part.plane is None else part.plane.from_grid
                # Coherence continues a neighbour's copy one tile pixel on, which on a plane
                # seen in perspective is a different step at the source than at the target:
                # the joints of a floor or ceiling came back 1-3 px out of step.
                coherence = p.coherence if part.plane is None else 0.0
                finer = 0.0 if part.plane is None else p.lattice_magnification
                region = part.region
                if part.kind in ("stripes of the lattice", "lattice") or part.plane is not None:
                    # What the whole steps (or a lattice's own or painted lines) left.
                    region = region & ~filled
                # A painted line's band copies its own paint, not the others'.
                part_src = unpainted if part.paint is None else self._unpainted(
                    src, own, [q for q in paints if q is not part.paint])
                _peel(image[i], filled, hole[i], layers, region, part_src, radius, own,
                      to_grid, from_grid, part.vectors, coherence, finer, field, residual)
                if part.kind == "stripes of the lattice":
                    stripes_share = (filled & region).sum() / hole[i].sum()
            # Under a cap nearly as wide as the face the known ring within ``max_scale`` is
            # thinner than the lattice's step, and the pixels of some phases (a ceiling grid's
            # crossings) find every step jumping over it: they came back pale, left to the
            # plain search. They are copied along the tile's own lattice from the ring out to
            # the face corners' stretch, on a tile that sees its floor or ceiling square on:
            # not a floor's lattice seen in perspective, whose far ring sees the plane more
            # obliquely still (Potsdamer's large cap, seed 1: -1.39 dB), nor a side face's own
            # lattice, which holds only near its middle (a synthetic stone floor's 50-degree
            # cap spilling onto its front face: its texture distance to the truth's 0.0113,
            # the covered-face test's bound 0.008); and only once every part has had the
            # near ring (the loft's planks: their stripes step fills from it what the whole
            # steps left; -0.48 dB before it).
            left = hole[i] & ~filled
            if (p.lattice_far_ring and chosen is bank and left.any()
                    and p.max_scale < _CORNER_STRETCH
                    and from_above(problem.face_ids[i], problem.up)
                    and any(part.lattice is not None and part.plane is None
                            for part in parts)):
                self._far_ring(image[i], filled, hole[i], left, layers, parts,
                               self._unpainted(self._sources(wide_bank(), problem, i), own,
                                               paints),
                               radius, own, field, residual)
            done = hole[i] & (field.nnf[0] >= 0)
            if not done.any():
                continue
            # The final copies, sharpened as PatchMatch's are (a copy from far out on the tile
            # is a magnified view of the ground).
            self._reconstruct(bank.image, image[i], done, box, field, bank.geo, 1.0)
            arrays = [(bank.image, image[i], 1.0)]
            if values is not None and bank_values is not None:
                self._reconstruct(bank_values, values[i], done, box, field, bank.geo, np.inf)
                arrays.append((bank_values, values[i], np.inf))
            # The bicubic sample reaches 2 px from a source's centre: known within a patch
            # of 5 px or more.
            if p.subpixel_copies and radius >= 2:
                _at_exact_sources(done, field, residual, *arrays)
            if p.tile_tones:
                # A line painted across the tiles keeps its paint: neither toned as the tile
                # it crosses nor counted in a tile's tone (a stripe across the hall's tiles,
                # once they were cut right, came back in the tiles' grey).
                painted = np.zeros_like(done)
                for part in parts:
                    if part.paint is not None:
                        painted |= part.paint
                for part in parts:
                    if part.lattice is None:
                        continue
                    to_grid = _IDENTITY if part.plane is None else part.plane.to_grid
                    note, toned = tile_tones(image[i], None if values is None else values[i],
                                             ~problem.hole[i] & ~painted,
                                             done & part.region & ~painted, part.lattice,
                                             to_grid, field.nnf, own, whole=p.tile_tones_whole)
                    if toned is not None:
                        field.toned = toned if field.toned is None else field.toned | toned
                    if note:
                        problem.notes.append(f"patchmatch structure: face "
                                             f"{FACE_ORDER[problem.face_ids[i]]}: {note}")
            if stripes_share > _KEPT_ALONG_STRIPES or (
                    thin_ring(problem.hole[i], problem.pad)
                    and any(part.lattice is not None for part in parts)):
                # Where the whole steps left much to the stripes, the ring is thinner than a
                # step, and the stitch, held only by that ring, drifted over the whole face
                # (the workshop's 50-degree cap at 2048 px: a blue haze over the stripes,
                # 16.6 dB; with the copies' steps kept, 23.0). So it did over a lattice filled
                # from a thin ring (the yard's bricks under a 50-degree cap at 2048 px: a cyan
                # haze over the cap's middle).
                field.toned = done.copy() if field.toned is None else field.toned | done
            lined = [(part.direction, part.region & done) for part in parts
                     if part.direction is not None and (part.region & done).any()]
            # An arc's band keeps its cross-section as a line's does, piece by piece (short
            # enough to be straight): the band gains faded a court's red circle to pink.
            lined += [piece for part in parts if part.arc is not None
                      for piece in part.arc.pieces(part.region & done)]
            if lined:
                field.lined = lined
            if any(part.kind == "stripes" for part in parts):
                problem.stripes[i] = done.copy()
            # A pattern's copies (a lattice, stripes, planks) bring its own colours, which the
            # stitch may light but not turn; a line's band may join two regions of two colours.
            patterned = np.zeros_like(done)
            for part in parts:
                if part.kind not in ("line", "arc"):
                    patterned |= part.region & done
            if patterned.any():
                field.patterned = patterned
            hole[i][done] = False
            if not shared:
                problem.edits.write(bank_image[own], done, image[i][done])
                problem.edits.write(bank_hole[own], done, False)
                if bank_values is not None and bank_values is not values:
                    problem.edits.write(bank_values[own], done, values[i][done])
            fields[i] = field
            share = done.sum() / max(1, int(problem.hole[i].sum()))
            # Only the parts that hold filled pixels: a floor lattice whose part the lines'
            # bands took whole, or whose copies all failed, filled nothing here.
            used = [part for part in parts if (part.region & done).any()]
            problem.notes.append(f"patchmatch structure: face {FACE_ORDER[problem.face_ids[i]]}: "
                                 f"{share:.0%} of its hole filled along the {_kinds(used)} first")
        reduced = dataclasses.replace(problem, image=image, values=values, hole=hole,
                                      bank_image=bank_image, bank_values=bank_values,
                                      bank_hole=bank_hole)
        return reduced, fields

    def _start(self, src: tuple, bank: Bank, image: np.ndarray, hole: np.ndarray,
               domain_box: tuple[np.ndarray, np.ndarray], coarse: _Field | None,
               coarse_domain: np.ndarray | None, i: int, index: int,
               radius: int) -> _Field | None:
        """The field a target starts a level with (None if no source exists at this scale)."""
        if not src:
            return None
        field = _Field.empty(image.shape[0])
        key = np.uint64(kernels.hash_key(self.params.seed, index, 0, 1000 + i))
        domain, box = domain_box
        if coarse is None or coarse_domain is None:
            # Onion peel: match the hole layer by layer from its border inwards on what is
            # known or already peeled (a smooth start would attract smooth sources).
            filled = ~hole
            for layer, (ys, xs) in enumerate(_by_layer(_onion_layers(hole), hole), start=1):
                kernels.peel_layer(image, filled, ys, xs, src, radius, key + np.uint64(layer),
                                   _PEEL_DRAWS, field.nnf)
                filled[ys, xs] = True
            kernels.init_random(image, domain & (field.nnf[0] < 0), box, src, radius, key,
                                field.nnf)
        else:
            kernels.upsample_nnf(image, domain, box, src, radius, key, coarse_domain,
                                 coarse.nnf, field.nnf, numba.get_num_threads())
            # Wexler et al.: the finer estimate is the vote of the upsampled field. It keeps the
            # texture the coarse matches point at; an upsampled image would be a blur, and a
            # blurred target attracts smooth sources.
            self._vote(bank.image, image, hole, domain_box, field, radius)
        return field

    def _sweeps(self, size: int, refine: bool, top: bool) -> tuple[int, int, int, int]:
        """``(passes, reach, jumps, inner)`` of the search on a tile of ``size`` pixels (``top``:
        the coarsest level; ``inner``: the reach of a pixel inside a copied piece, 0 for
        ``reach``).

        The finest field starts from the upsampled coarse one, already close: one sweep with a
        local random search is enough there, and that level holds 3/4 of all the pixels. So for
        any level that only refines (``refine_size``). Below a coarser level, such a level needs
        no uniform jumps to other faces nor draws far from its matches either: those were placed
        on a level that searched the whole tile, and a refining level's tile is large (at 8K the
        draws beyond 64 px and the jumps took half the finest sweep's time, each a cache miss;
        without them its mean match cost rose 0.6%). Nor do the pixels inside a piece the level
        above copied need draws farther than ``_INNER_REACH``."""
        p = self.params
        if not refine:
            return p.search_passes, size, p.jumps, 0
        reach = max(16, size // _FINE_REACH)
        if top:  # matched by the onion peel alone
            return p.fine_search_passes, reach, p.jumps, 0
        return p.fine_search_passes, min(reach, _FINE_REACH_MAX), 0, _INNER_REACH

    def _search(self, src: tuple, target: np.ndarray, domain_box: tuple[np.ndarray, np.ndarray],
                field: _Field, i: int, level: int, it: int, radius: int,
                refine: bool, top: bool) -> None:
        """PatchMatch sweeps on the current estimate (after re-costing the field on it)."""
        p = self.params
        domain, box = domain_box
        threads = numba.get_num_threads()  # only how the rows are shared out
        kernels.refresh_costs(target, domain, box, src, radius, field.nnf, threads)
        passes, reach, jumps, inner = self._sweeps(target.shape[0], refine, top)
        for sweep in range(passes):
            key = np.uint64(kernels.hash_key(p.seed, level, it, sweep * 64 + i))
            kernels.search_pass(target, domain, box, src, radius, key, (sweep + it) % 2 == 1,
                                reach, jumps, p.coherence, inner, field.nnf, threads)

    def _vote(self, source: np.ndarray, out: np.ndarray, hole: np.ndarray,
              domain_box: tuple[np.ndarray, np.ndarray], field: _Field, radius: int) -> None:
        domain, box = domain_box
        costs = field.cost[domain & (field.nnf[0] >= 0)]
        scale = float(np.median(costs)) if costs.size else 0.0
        inv = self.params.vote_sharpness / scale if scale > 0 else 0.0
        weights = np.zeros_like(field.cost)
        kernels.patch_weights(domain, box, field.cost, inv, weights)
        kernels.vote(hole, domain, box, source, radius, field.nnf, weights, out,
                     numba.get_num_threads())

    def _reconstruct(self, source: np.ndarray, out: np.ndarray, hole: np.ndarray,
                     box: np.ndarray, field: _Field, geo: np.ndarray, high: float) -> None:
        """The final fill of one tile: each hole pixel copies its own match's centre (clipped
        to ``[0, high]``), sharpened where the source is more stretched than the target."""
        kernels.copy_centres(hole, box, source, field.nnf, geo, self.params.sharpen,
                             self.params.max_scale, 0.0, high, out)

    @staticmethod
    def _refresh(links: RingLinks, image: np.ndarray, known: np.ndarray, index: int) -> None:
        """Re-pad the fill during the EM (only the border pixels of the hole that look into
        another tile change) and, on the coarser levels, put the texture guide back: it stays
        fixed there while the fill changes, so every target patch keeps asking for as much
        texture as the hole's surroundings have. At the finest level there is no guide."""
        links.refresh(image)
        if index > 0:
            channels = image.shape[3] - 2
            image[..., channels:] = known[..., channels:]

    @staticmethod
    def _repad(problem: _Problem, tiles: np.ndarray, known: np.ndarray, hole: np.ndarray,
               level: Level) -> None:
        """The final re-padding, exactly as ``CubeTiles.repad`` does it; known pixels kept."""
        if not problem.repad or level.pad == 0 or tiles.shape[0] < 2:
            return
        repad_cube_faces(tiles, problem.face_ids, level.pad)
        np.copyto(tiles, known, where=~hole[..., None])
