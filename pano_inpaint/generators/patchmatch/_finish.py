"""The last touch on a PatchMatch fill: pieces stitched, smooth structure at thin borders, detail
at the energy of the surroundings nearest each part of the hole.

Copied texture has failings that can be corrected without undoing the copy:

* Offsets between pieces. Each copied piece keeps its source's brightness, so where two pieces
  (or a piece and the known border) meet there is a step: on a sky gradient, straight-edged
  facets. :func:`_seamless` solves a Poisson equation over the hole (Perez, Gangnet, Blake,
  "Poisson image editing", SIGGRAPH 2003) whose wanted steps are the copy's own inside a piece
  and, across a piece edge or the hole's border, the mean of the steps the two sources make
  there, so texture runs on through the edge while the offset goes.
* Structure near the border. Where the hole is thin (a tripod leg, the rim of a cap) the
  surroundings predict its low frequencies far better than any copied patch: a smooth
  (harmonic, :func:`_smooth`) fill gets the shading right and a copy gets it wrong. So below
  the band ``sigma`` the fill takes the smooth fill's structure near the border, fading to
  the copy's own structure with depth into the hole (weight ``exp(-depth / tau)``); the detail
  above that band is always the copy's. Where the hole is wide, the smooth fill only
  extrapolates the border, and an edge running along the border (a horizon just above the
  hole) comes into the hole with it as a glow: there it gives way where it disagrees strongly
  with the copy (:func:`_agreement`; on the evaluation's wrap-around holes below a horizon, +4
  to +6 dB).
* Layers across a thin hole. A harmonic fill carries a stripe narrower than the hole only part
  of the way in, and blurred at ``sigma`` it loses what is sharp across it: a person on a
  lake's horizon left a grey block where the tree line and the bright band above it ran. Where
  the ring's gradients agree on one direction (:func:`_orientation`: a horizon's bands, ripples
  drawn out along it, a wall's foot; not grass or gravel) the smooth structure is, by that
  share, the known pixels on either side interpolated along it, not blurred at ``sigma``
  (:func:`_along_layers`), where they are at most 3 widths of the hole they cross apart.
* Detail energy, both ways. A patch distance prefers flat sources (a flat patch is never far
  from anything), so copies may hold less fine detail than the hole's surroundings; and where
  the surroundings are smooth (a sky, a plain ceiling) the copied pieces bring the texture of
  wherever they came from. So the fill is split into octave bands (``sigma``, ``2 sigma``, ...)
  and each band is scaled, per region of the hole, until its energy equals the energy the
  known ring nearest that region has in the same band: Heeger and Bergen's band-energy
  matching (SIGGRAPH 1995) with the surroundings as the exemplar, made local. The region is
  as wide as half the depth of the deepest hole pixel (a thin hole follows the ground right
  beside it, the middle of a large cap an average of the ring around it) and the energies are
  compared over the same width on both sides. Only the finest band may be raised (by at most
  ``gain_max``); the coarser ones are only lowered, so a fill is never given more structure
  than it copied. No gain lowers the cross-section of a line the line step copied along
  through the hole (each band's mean along the line; what varies along it is matched as the
  rest is): the ring holds an edge only where the edge crosses it, and a line through a disc
  covers about twice the share of its area that it covers of its rim, so matched to the ring
  every continued edge faded (Lebombo's skirting board, mask seed 1: 34.3 -> 39.0 dB). What
  is coarser than the bands (the copy's layout) is kept. On a cube face the finest band's
  target follows how coarsely each pixel samples the sphere: a face's centre spans more angle
  per pixel than its rim and holds more fine energy, so the middle of a large cap matched
  pixel for pixel to its rim came out dull (:func:`_band_gains`).
* Detail of a foreign phase. The finest band is the source's texture, not the truth's: in a
  hole a few pixels wide it adds about its own energy to the error, where leaving it out costs
  only the truth's. So it fades in with depth (weight ``1 - exp(-depth / detail_tau)``): a thin
  leg keeps little of it, a deep hole loses it only along its rim.
* Grain the border predicts. Right beside the border the truth's grain is correlated with the
  known pixels next to it, which a diffusion of them carries in: on the hole's rim a smooth
  fill solved at full resolution (:func:`_rim_fill`) gives its finest band (weight
  ``exp(-depth / rim_tau)``), and, where the hole is thin, the smooth structure.

* Layout in smooth surroundings. The band gains cannot touch what is coarser than the bands:
  where the copy laid pieces of cloud, tree top or building edge into a plain sky or ceiling,
  the fill stays rougher than anything around it (2-3 times the truth's gradient energy on
  the evaluation's smooth zenith skies), and no copy knows the sky's own gradient towards the
  zenith. So where the known ring nearest a part of the hole is smooth (its two finest bands
  below ``trend_level`` RMS, measured per ring pixel and carried in like the energies) the
  structure there is the ring's smooth trend (:func:`_smooth_trend`, a thin-plate fit of a
  band of the ring, which continues its slopes), blended by that share against the copy;
  the finest band stays as the gains left it (the grain a real sky has). A textured ring keeps
  the copy, and so do the pixels a structure step filled (a line or lattice continued
  through the hole) and their surroundings.
* Layout in textured, structure-free surroundings. Deep in a hole in stochastic ground
  (rock, grass, a lakeshore) the copy's layout (what is coarser than ``layout_sigma``) is a
  draw from elsewhere, uncorrelated with the truth's, and the smooth fill's, the ring's
  average, is nearer it on average. So the copy's layout fades towards the smooth fill's over
  ``layout_tau`` (the texture above that scale stays the copy's) where the hole is wide (in a
  thin one the smooth structure has it already), where the ring nearest the part is clearly
  textured, away from what a structure step filled, where the ring's detail is strong beside
  its layout (else the patch match pins the copy's layout), and where the two layouts differ
  by no more than a smooth fill errs when it predicts a band of the known ring from beyond
  it (:func:`_ring_checks`, :func:`_layout`).
* Quantisation. An 8-bit ring's finest band holds the input's quantisation noise, which the
  output's own quantisation brings back: the finest band's target is the ring's less all of
  that noise, or a plain 8-bit sky gets a grain it never had (a copy's own 8-bit contours,
  which the output's quantisation then adds its steps to).

Bands and energies are measured with normalised convolution, the fill on hole pixels only and
the ring on known pixels only, so the step between a copy and its surroundings (a wrong grey in
a thin leg) counts as structure, which the smooth fill replaces, never as detail to keep.

Each tile is treated on its padded view (so the smooth fill sees across the face edges), cropped
to the hole's box and a margin; the caller reconciles and re-pads the tiles afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint._threads import thread_map
from pano_inpaint.blend.lights import cap_lights, ring_width
from pano_inpaint.generators.patchmatch._finish_kernels import disc_max, upsample_window
from pano_inpaint.generators.patchmatch._light import limit_hue_turn
from pano_inpaint.generators.patchmatch._poisson_kernel import poisson_pcg

__all__ = ["FinishScales", "finish_fill", "piece_edges", "piece_offsets", "smooth_fill"]

_MAX_UNKNOWNS = 100_000  # hole pixels per tile solved at full resolution (larger: coarser)
# The stitch's iterative solve stops at this residual (relative to the right-hand side's norm):
# fills within ~1e-5 of the exact solution on 4K/8K caps, far under an 8-bit step.
_POISSON_TOL = 1e-6
_POISSON_MAX_ITER = 2000  # a bound only; the systems here converge in under ~100 iterations
# Largest change of log band energy per octave used to extrapolate the ring's finest band (a
# factor of e^2 ~ 7 in energy per octave; 2D white noise is ln 4, natural images about 0).
_SLOPE_MAX = 2.0
# The octaves' cap lowers the finest band's extrapolated target to no less than this share of
# the slope's (see :func:`_band_gains`): read from a ring the face samples more finely than the
# panorama holds, the cap alone undershoots the middle of a deep cap; a higher floor overshoots
# where the ring's finest band is sensor noise (a night photograph) and costs large caps
# WS-PSNR (the grain it adds is out of phase). Measured: docs/results_history.md, "Fine detail
# compared at the sampling of each pixel".
_SLOPE_FLOOR = 0.5
# The smooth trend (:func:`_smooth_trend`): unknowns of its coarse solve, and the weight of the
# known band's values against the smoothness, per coarse pixel.
_TREND_UNKNOWNS = 4000
_TREND_FIDELITY = 0.1
# Shares of the ring nearest a hole pixel that is smooth at which it starts to follow the
# trend and follows it fully.
_SMOOTH_SHARE = (0.5, 0.9)
# The layout step (:func:`_layout`) applies where the ring's detail RMS is well above
# ``trend_level`` (a sky's grain): at this many times it, half of it does. On a 1K dawn sky whose
# ring is at about 1 times, a smooth fill's layout cost 8 dB against the stitched copy's (the
# copy continues the sky's curvature, a harmonic fill flattens it); the natural ground of the
# hi-res photographs is at 6-36 times.
_TEXTURED = 4.0
# The ring's detail RMS over its layout's at which half of the layout step applies (steeply:
# weight ``r^4 / (r^4 + this^4)``). Measured at 1K: the hi-res photographs' natural ground 0.9-3.2
# (where a smooth layout gained up to 0.6 dB), the Poly Haven skies, sand and the rendered
# bricks where the copy's layout was right 0.1-0.5 (2.5, 1.5 and 0.7 dB lost without this).
_DETAIL_OVER_LAYOUT = 0.75
# How far (in ``sigma``) from what a structure step filled the smooth structure keeps
# Navier-Stokes (a harmonic fill elsewhere; see :func:`_smooth`): at 0 Lebombo's wrap object at
# mask seed 1, a wall's foot across the hole, lost 1.85 dB; at 5 it lost 0.04.
_NAVIER_STOKES_NEAR_STRUCTURE = 5.0
# At a cut, one side's source step is taken alone where it is this many times nearer the fill's
# own step than the other side's (see :func:`_source_step`). Workshop wrap, against the mean:
# 24.84 -> 25.13 dB at 0.25, 25.29 at 0.5, 25.49 taking the nearer always; that last one lost
# 0.69 dB on a 1K large cap of textured ground (lebombo), 0.5 lost 0.08, 0.25 none.
_EXPLAINED = 0.25
# The most a stitch may turn the colour balance of a pattern's copies (the norm of the part of
# its change not alike in every channel; display-referred, or log brightness for HDR). A cut
# along a painted stripe's edge between copies a pixel apart asks for a step of yellow, which
# the solve spreads as a blue and a yellow haze on either side (the workshop's stripes under a
# 45-degree cap at 1K: turns up to 0.38, 0.06 at the 99th percentile); the residues of many
# cuts between bricks turned a red brick floor olive (the yard's: 0.09). Where the pieces differ
# by light the turn stays under it (the hall's grey tiles: 0.005; lebombo's wooden ceiling under
# its zenith cap: 0.007, at most 0.010). At 0.02 the workshop's and the yard's caps gained about
# half as much.
_PATTERN_HUE = 0.01
# ... deeper than about this share of the face into the hole (the turn fades in as
# exp(-depth / reach)). Next to the ring a turn can be the ring's own colour taken up (a copy of
# a white stripe where the ring's is yellow: the workshop's cube-corner object at mask seed 1,
# -0.28 dB with the limit everywhere, -0.11 with this); 0.05 kept less of that (-0.19) and
# gained as much elsewhere.
_PATTERN_HUE_REACH = 0.1
# Coherence of the ring's gradients (:func:`_orientation`) above which the smooth structure
# starts to run along the ring's layers, and at which it does fully (:func:`_along_layers`):
# noise reads 0.02-0.04, a person's hole on a lake's horizon at 4K 0.91.
_ORIENTED_COHERENCE = (0.3, 0.6)
# Blur (px) of the known pixels the fill along the layers reads: enough to take out single
# pixels' noise, not a thin layer (a 4 px tree line).
_ORIENTED_BLUR = 1.0
# Longest run (in widths of the hole it crosses, twice that hole's depth: each hole's own
# where a crop holds several, :func:`_part_depths`) the fill along the layers spans; a
# longer one runs along the hole, not across it (a layer crossing a thin hole at under 20
# degrees to it). At 6 a monopod's hole at Potsdamer Platz, read along itself, got its far
# end's colour drawn down it (-1.17 dB); 3 against 1.5: 130 cases +2.68 dB at mask seed 0, +3.09
# at seed 1 (strokes crossing stripes or stairs at a low angle: St Fagans +0.78 and +2.00).
_ORIENTED_GAP = 3.0
# On a plain floor (``plain`` below) the copied pieces meet in steps of light the floor does not
# have: a piece copied from its dark side beside one from its lit side, along a straight line (a
# piece edge of the search runs along rows and columns). So the fill's steps across columns,
# blurred along them over ``_LIGHT_ALONG`` of the face (a straight edge stays, the grain averages
# out), and likewise across rows, are no larger than the known ring's at ``_LIGHT_QUANTILE``.
_LIGHT_ALONG = 0.05
_LIGHT_QUANTILE = 95.0


@dataclass(frozen=True)
class FinishScales:
    """What :func:`finish_fill` does, in pixels of the tiles."""

    sigma: float  # Gaussian sigma splitting structure (below) from detail (above)
    tau: float  # depth into the hole over which the smooth structure fades (0: never used)
    ring: float  # width of the known ring the detail energy is matched to
    gain_max: float  # largest gain of the finest band
    bands: int = 4  # octave bands (from ``sigma`` up) matched to the ring's energy; 0: none
    detail_tau: float = 0.0  # depth over which the copied finest band fades in (0: kept whole)
    # The tiles' gnomonic geometry (face size, padding): the finest band's target follows how
    # coarsely each pixel samples the sphere; face_size 0: the tiles are taken as flat images.
    face_size: int = 0
    pad: int = 0
    # RMS of the ring's two finest bands below which the part of the hole nearest it follows
    # the ring's smooth trend instead of the copy (0: never; needs ``bands >= 2``).
    trend_level: float = 0.0
    # The step of the values' quantisation (1/255 for 8-bit images; 0: none); see _band_gains.
    quantum: float = 0.0
    # Where the hole is wider than about ``tau``, the smooth structure gives way to the copy's
    # where they differ by more than about this (0: the smooth structure whatever it says).
    agreement: float = 0.0
    # Depth over which the copy's layout (what is coarser than ``layout_sigma``) fades to the
    # smooth fill's where the ring is textured and no structure step filled (0: never; needs
    # ``trend_level`` and ``bands >= 2``, which measure the ring's texture).
    layout_tau: float = 0.0
    layout_sigma: float = 0.0
    # Depth over which the finest band of a full-resolution smooth fill (the border's own
    # pixels diffused in) fades out at the hole's rim (0: none); see :func:`_rim_fill`.
    rim_tau: float = 0.0
    # A band coarser than the finest is lowered only in a hole at least this many times its
    # sigma deep (0: in every hole); see :func:`_band_gains`.
    band_depth: float = 0.0

    @classmethod
    def of(cls, face_size: int, sigma: float, depth: float, gain_max: float,
           bands: int = 4, detail_depth: float = 0.0, pad: int | None = None,
           trend_level: float = 0.0, quantum: float = 0.0,
           agreement: float = 0.0, layout_depth: float = 0.0,
           layout_sigma: float = 0.0, rim_depth: float = 0.0,
           band_depth: float = 0.0) -> FinishScales:
        """Scales given as shares of the face size, so they follow the resolution; ``pad``:
        the tiles are padded cube faces (their geometry is used), None: flat images."""
        return cls(max(0.5, sigma * face_size), depth * face_size, ring_width(face_size),
                   gain_max, bands, detail_depth * face_size,
                   0 if pad is None else face_size, pad or 0, trend_level, quantum, agreement,
                   layout_depth * face_size, max(1.0, layout_sigma * face_size),
                   rim_depth * face_size, band_depth)


def _blur(tile: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(tile, (0, 0), sigma).reshape(tile.shape)


def smooth_fill(tiles: np.ndarray, hole: np.ndarray) -> None:
    """A smooth (Navier-Stokes) fill of the holes of ``(N, H, W, C)`` float32 ``tiles``, in
    place. Not Telea: OpenCV's Telea on float32 input leaves wild values in the hole."""
    for i in range(tiles.shape[0]):
        if hole[i].any():
            h = hole[i].astype(np.uint8)
            for c in range(tiles.shape[3]):
                tiles[i, ..., c] = cv2.inpaint(np.ascontiguousarray(tiles[i, ..., c]), h, 3,
                                               cv2.INPAINT_NS)


def _smooth_fills(tile: np.ndarray, hole: np.ndarray, step: int, *,
                  navier_stokes: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """A harmonic (membrane) fill of ``hole`` computed ``step`` times coarser (only its low
    band is used), returned at full size; with ``navier_stokes``, also the Navier-Stokes fill
    it starts from (at full size too; else None).

    Harmonic, not Navier-Stokes: the smooth structure should be the border's best guess, and
    for a texture whose spectrum falls as ``1 / f^2`` (natural images, roughly) the mean of what
    lies inside given the border is its harmonic interpolation. Navier-Stokes carries the
    border's isophotes in, which in a textured ring run every way: streaks (a star at a tripod's
    hub) that the band split only partly removes. The Poly Haven tripods' holes (1K, mask seed
    0), each filled on its hole-centred faces from the truth around it: harmonic 0.8 dB nearer
    the truth than Navier-Stokes, in the hub and in the legs."""
    height, width = tile.shape[:2]
    small = (max(8, width // step), max(8, height // step))
    known = cv2.resize(tile, small, interpolation=cv2.INTER_AREA).reshape(
        small[1], small[0], -1)
    # Any hole pixel under a coarse pixel makes it a hole pixel: zeros must not leak in.
    holes = cv2.resize(hole.astype(np.float32), small, interpolation=cv2.INTER_AREA) > 0
    smooth_fill(known[None], holes[None])  # the solve's first guess: near it, few iterations

    def full_size(coarse: np.ndarray) -> np.ndarray:
        return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR).reshape(
            tile.shape)

    streaks = full_size(known) if navier_stokes else None
    # Not where the coarse grid has no known pixel (a tile wholly inside a 60-degree cap, or
    # its known rim thinner than ``step``): with no border to hold it, Laplace's equation has
    # no solution to converge to, and the solve drifted to -408..81 on a tile of 0.2-0.6.
    if holes.any() and not holes.all():
        flat = np.zeros(known.shape, np.float64)  # no steps wanted: Laplace's equation
        known = _poisson(known, holes, flat, flat).astype(np.float32)
    return full_size(known), streaks


def _smooth(tile: np.ndarray, hole: np.ndarray, step: int) -> np.ndarray:
    """The harmonic fill of :func:`_smooth_fills` alone."""
    return _smooth_fills(tile, hole, step)[0]


def piece_edges(nnf: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Where a field's copied pieces meet: ``(across, down)`` bool maps, ``across[y, x]`` for
    the step from ``(y, x)`` to ``(y, x + 1)`` and ``down[y, x]`` for ``(y, x)`` to ``(y + 1, x)``
    (last column / row False), True where the two pixels do not copy neighbouring sources."""
    k, y, x = nnf[0], nnf[1], nnf[2]
    across = np.zeros(k.shape, bool)
    down = np.zeros(k.shape, bool)
    across[:, :-1] = (k[:, 1:] != k[:, :-1]) | (y[:, 1:] != y[:, :-1]) | (x[:, 1:] != x[:, :-1] + 1)
    down[:-1] = (k[1:] != k[:-1]) | (x[1:] != x[:-1]) | (y[1:] != y[:-1] + 1)
    return across, down


def _source_step(bank: np.ndarray, nnf: tuple[np.ndarray, ...], cut: np.ndarray, dy: int,
                 dx: int, bank_hole: np.ndarray | None = None,
                 actual: np.ndarray | None = None) -> np.ndarray:
    """For each cut step ``p -> p + (dy, dx)``: the step each side's source makes there (p's
    source continued forwards, q's backwards), ``(M, C)`` in ``cut``'s order; 0 where neither
    side copies (``k < 0``: the known pixels, where every step is a cut). A side whose step
    leaves its bank tile, or reads one of its ``bank_hole`` pixels, is skipped. Where both
    sides have one: their mean, or the one that explains the fill's own step there
    (``actual``, ``(M, C)`` in the same order; None: the mean everywhere) where it is
    ``1 / _EXPLAINED`` times nearer to it than the other.

    Where a copy of a stripe (or a tile, a kerb) meets a copy of plain ground at the stripe's
    edge, the stripe's source continued across says "edge", the ground's "flat", and the fill
    makes the edge: one side explains the step, there is no offset to remove. The mean asks
    for half the edge, and the solve spreads the other half over both pieces as a glow. Where
    the two sources' steps differ only by their texture, taking the nearer one would keep
    part of an offset as often as not: the mean stays."""
    ys, xs = np.nonzero(cut)
    size, channels = bank.shape[1], bank.shape[3]
    k, sy, sx = nnf[0], nnf[1], nnf[2]
    steps = np.zeros((ys.size, channels), np.float32)
    copied = (k[ys, xs] >= 0) | (k[ys + dy, xs + dx] >= 0)
    ys, xs = ys[copied], xs[copied]
    kp, yp, xp = k[ys, xs], sy[ys, xs], sx[ys, xs]
    kq, yq, xq = k[ys + dy, xs + dx], sy[ys + dy, xs + dx], sx[ys + dy, xs + dx]
    flat = bank.reshape(-1, channels)  # one index per pixel instead of three
    sides = np.zeros((2, ys.size, channels), np.float32)
    usable = np.zeros((2, ys.size), bool)
    for side, (kk, y0, x0, y1, x1) in enumerate(((kp, yp, xp, yp + dy, xp + dx),
                                                 (kq, yq - dy, xq - dx, yq, xq))):
        ok = (kk >= 0) & (np.minimum(y0, y1) >= 0) & (np.maximum(y0, y1) < size) & (
            np.minimum(x0, x1) >= 0) & (np.maximum(x0, x1) < size)
        base = kk[ok].astype(np.int64) * size
        first, second = (base + y0[ok]) * size + x0[ok], (base + y1[ok]) * size + x1[ok]
        if bank_hole is not None:  # a hole pixel holds the object removed, or a blank
            holes = bank_hole.reshape(-1)
            clear = ~(holes[first] | holes[second])
            ok[np.flatnonzero(ok)[~clear]] = False
            first, second = first[clear], second[clear]
        sides[side][ok] = flat[first] - flat[second]
        usable[side] = ok
    chosen = sides.sum(axis=0) / np.maximum(usable.sum(axis=0), 1)[:, None]
    if actual is not None:
        both = np.flatnonzero(usable.all(axis=0))
        own = actual[copied][both]
        miss = ((sides[:, both] - own[None]) ** 2).sum(axis=2)  # (2, B)
        nearer = np.argmin(miss, axis=0)
        near, far = miss.min(axis=0), miss.max(axis=0)
        explained = near <= _EXPLAINED**2 * far
        pick = both[explained]
        chosen[pick] = sides[nearer[explained], pick]
    steps[copied] = chosen
    return steps


def _guidance(tile: np.ndarray, cut_across: np.ndarray, cut_down: np.ndarray,
              bank: np.ndarray | None, nnf: tuple[np.ndarray, ...] | None,
              bank_hole: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The steps the corrected fill should make, ``(across, down)`` ``(P, P, C)``: the fill's own
    inside its pieces; across a piece edge, the texture's step without the pieces' offset (the
    sources' own steps there, :func:`_source_step`, or 0 without them)."""
    x = tile.astype(np.float32)
    across = np.zeros_like(x)
    down = np.zeros_like(x)
    across[:, :-1] = x[:, :-1] - x[:, 1:]
    down[:-1] = x[:-1] - x[1:]
    across[cut_across] = 0.0 if bank is None else _source_step(bank, nnf, cut_across, 0, 1,
                                                                bank_hole, across[cut_across])
    down[cut_down] = 0.0 if bank is None else _source_step(bank, nnf, cut_down, 1, 0,
                                                           bank_hole, down[cut_down])
    return across, down


def _poisson(values: np.ndarray, unknown: np.ndarray, across: np.ndarray,
             down: np.ndarray) -> np.ndarray:
    """Solve for the ``unknown`` pixels of ``values`` (``(H, W, C)``; the others are fixed) so
    their steps match ``across`` / ``down`` in the least-squares sense (Neumann at the
    array's border); returns a copy with the solution."""
    out = np.array(values, np.float64, order="C")  # the first guess, solved in place
    poisson_pcg(out, np.ascontiguousarray(unknown), np.ascontiguousarray(across, np.float64),
                np.ascontiguousarray(down, np.float64), _POISSON_TOL, _POISSON_MAX_ITER)
    return out


def _seamless(tile: np.ndarray, hole: np.ndarray, cut_across: np.ndarray | None,
              cut_down: np.ndarray | None, bank: np.ndarray | None,
              nnf: tuple[np.ndarray, ...] | None, bank_hole: np.ndarray | None = None,
              kept: np.ndarray | None = None, capped: np.ndarray | None = None) -> np.ndarray:
    """The fill without the offsets between its copied pieces (gradient-domain stitching:
    Perez et al., "Poisson image editing", 2003), meeting the known pixels at the border.

    Up to ``_MAX_UNKNOWNS`` hole pixels it is solved at full resolution. Larger holes are solved
    on blocks of ``f x f`` pixels (laid from the tile's corner): the step between two blocks is
    the sum of the wanted fine steps along the way from one block centre to the other (averaged
    over the block's rows or columns), so the coarse solve keeps the texture's coarse steps and
    removes the pieces' offsets; its correction, interpolated, is added to the fill (an offset's
    sharp remainder, under a block wide, stays). Either way only the hole's box and a margin of
    one pixel or block (what the solve reads, and all the correction reaches) is worked on.
    ``cut_across`` / ``cut_down``: where the pieces meet (:func:`piece_edges`); None: found
    from ``nnf`` on that box. ``kept``: ``(P, P)`` bool, pixels whose steps between each
    other are the fill's own, not cuts (tiles given their own tones: the step between two
    tiles' tones at a joint is no offset to remove). ``capped``: ``(P, P, C)`` bool, the
    channels of known pixels whose light was capped
    (:func:`~pano_inpaint.blend.lights.cap_lights`): in those channels the steps to them are
    the fill's own, so they ask nothing of it (a source's step off a lamp, held to the capped
    value, digs a dark blot beside it)."""
    if not hole.any():
        return tile
    f = int(np.ceil(np.sqrt(hole.sum() / _MAX_UNKNOWNS)))
    rows, cols = _span(hole.any(axis=1), f), _span(hole.any(axis=0), f)
    box = (rows, cols)
    tile_, hole = tile, hole[box]
    tile = tile[box]
    nnf = None if nnf is None else tuple(a[box] for a in nnf)
    if cut_across is None or cut_down is None:
        cut_across, cut_down = piece_edges(nnf)
    else:
        cut_across, cut_down = cut_across[box].copy(), cut_down[box].copy()
    if kept is not None:
        kept = kept[box]
        cut_across[:, :-1] &= ~(kept[:, :-1] & kept[:, 1:])
        cut_down[:-1] &= ~(kept[:-1] & kept[1:])
    # The hole's border is a piece edge too: a copy is offset from the known pixels just as
    # from another copy.
    cut_across[:, :-1] |= hole[:, :-1] != hole[:, 1:]
    cut_down[:-1] |= hole[:-1] != hole[1:]
    cut_across[:, -1] = False  # steps leaving the box are not solved for
    cut_down[-1] = False
    across, down = _guidance(tile, cut_across, cut_down, bank, nnf, bank_hole)
    if capped is not None:
        # ... but not in a channel where it meets a capped light: the capped value is a
        # stand-in for the light, so it asks nothing of the fill, and the step to it is the
        # fill's own, as it stands. A source's step off a lamp, held to the capped value, dug a
        # dark blot beside it; no step at all raised the fill to the capped value, a pale
        # patch. Per channel: a red lamp capped in red only holds its true green and blue,
        # which the fill meets as it meets any known pixel (the cut's step).
        capped = capped[box]
        x = tile.astype(np.float32)
        rim = (hole[:, :-1] != hole[:, 1:])[..., None] & (capped[:, :-1] | capped[:, 1:])
        across[:, :-1][rim] = (x[:, :-1] - x[:, 1:])[rim]
        rim = (hole[:-1] != hole[1:])[..., None] & (capped[:-1] | capped[1:])
        down[:-1][rim] = (x[:-1] - x[1:])[rim]
    out = tile_.copy()
    if f <= 1:
        out[box] = _poisson(tile, hole, across, down)
        return out
    channels = tile.shape[2]
    my, mx = tile.shape[0] // f, tile.shape[1] // f
    ny, nx = my * f, mx * f
    coarse = tile[:ny, :nx].astype(np.float64).reshape(my, f, mx, f, channels).mean(axis=(1, 3))
    unknown = hole[:ny, :nx].reshape(my, f, mx, f).any(axis=(1, 3))
    # Paths between block centres: fine steps summed along x (across) or y (down).
    start = f // 2
    coarse_across = np.zeros((my, mx, channels))
    coarse_across[:, :-1] = across[:ny, start:start + (mx - 1) * f].reshape(
        my, f, mx - 1, f, channels).sum(axis=3, dtype=np.float64).mean(axis=1)
    coarse_down = np.zeros((my, mx, channels))
    coarse_down[:-1] = down[start:start + (my - 1) * f, :nx].reshape(
        my - 1, f, mx, f, channels).sum(axis=1, dtype=np.float64).mean(axis=2)
    correction = (_poisson(coarse, unknown, coarse_across, coarse_down) - coarse).astype(
        np.float32)
    out[box][:ny, :nx] += cv2.resize(correction, (nx, ny), interpolation=cv2.INTER_LINEAR
                                     ).reshape(ny, nx, channels)
    return out


def piece_offsets(tile: np.ndarray, hole: np.ndarray, nnf: tuple[np.ndarray, ...],
                  bank: np.ndarray, bank_hole: np.ndarray | None = None) -> np.ndarray:
    """What removes the offsets between a field's copied pieces: ``(H, W, C)`` float32, the
    copy of each hole pixel's match centre (``nnf``'s ``(k, y, x)`` into ``bank``) stitched by
    :func:`_seamless` onto the known pixels of ``tile``, less that copy (0 off the hole).

    An EM vote blends the pieces over a patch, so the offset between two pieces becomes a ramp
    inside each, which a stitch of the voted estimate keeps as the pieces' own steps; the copy
    has it at the cut, where the stitch takes the sources' steps instead."""
    k, y, x = nnf[0], nnf[1], nnf[2]
    copied = hole & (k >= 0)
    copy = np.array(tile, np.float32)  # a copy: the caller's estimate is left as it is
    copy[copied] = bank[k[copied], y[copied], x[copied]]
    out = _seamless(copy, hole, None, None, bank, nnf, bank_hole)
    out -= copy
    out[~hole] = 0.0
    return out


def _span(lines: np.ndarray, f: int) -> slice:
    """The rows (or columns) from the first to the last True of ``lines`` and one block of
    ``f`` more each side, on the grid of blocks laid from 0, clipped to ``lines``' length (an
    end past the last whole block, the length itself)."""
    where = np.flatnonzero(lines)
    return slice(max((where[0] // f - 1) * f, 0), min((where[-1] // f + 2) * f, lines.size))


def _smooth_trend(tile: np.ndarray, hole: np.ndarray, outside: np.ndarray, depth: float,
                  sigma: float, level: float) -> np.ndarray:
    """The smooth trend of the known pixels around ``hole``, carried into it: ``(H, W, C)``
    float32 (meaningful in the hole); ``outside``: each pixel's distance to the hole (0 in
    it); ``depth``: the deepest hole pixel's distance to the known ones.

    A thin-plate smoothing spline: over the hole and a band of known pixels as wide as half
    the hole's depth, the values ``u`` minimising ``sum (laplacian u)^2`` plus
    ``_TREND_FIDELITY`` times the weighted squared distance to the known values in the band
    (the pixels beyond are fixed). In the hole ``u`` is biharmonic, so it continues the band's
    values and slopes: a linear or quadratic sky gradient (a bright horizon, a darker zenith,
    a lamp's falloff on a ceiling) runs on through it, where a harmonic fill (:func:`_smooth`)
    would flatten a peak towards the ring's mean. Fitting the band rather than matching the
    ring's last pixels keeps their noise (8-bit steps, grain) out of the slopes, and each
    known pixel's weight falls as :func:`_smoothness` does with its own detail energy
    (``x`` less its local mean over ``2 sigma``), so a lamp or an edge in the band is left
    out rather than spread into the hole. Solved on a grid coarse enough for about
    ``_TREND_UNKNOWNS`` unknowns (a trend is smooth) and interpolated back."""
    from scipy.sparse import csc_matrix, diags  # here only: a fill that fits no trend skips it
    from scipy.sparse.linalg import splu

    height, width, channels = tile.shape
    region = hole | (outside <= max(0.5 * depth, 1.0))
    detail = tile - _masked_mean(tile, ~hole, 2 * sigma)
    energy = _masked_mean(np.einsum("...c,...c->...", detail, detail), ~hole, sigma)
    trust = np.where(hole, 0.0, _smoothness(energy, level)).astype(np.float32)
    step = max(1, int(np.ceil(np.sqrt(region.sum() / _TREND_UNKNOWNS))))
    small = (max(4, -(-width // step)), max(4, -(-height // step)))

    def shrink(a: np.ndarray) -> np.ndarray:
        return cv2.resize(a, small, interpolation=cv2.INTER_AREA).reshape(
            small[1], small[0], *a.shape[2:])

    # Coarse values: the trusted known pixels' mean under each coarse pixel (where there are
    # any, else all of them).
    weight = shrink(trust)
    coarse = shrink(tile).astype(np.float64)
    trusted = weight > 1e-3
    coarse[trusted] = shrink(tile * trust[..., None])[trusted] / weight[trusted][:, None]
    # A coarse pixel with any hole pixel under it is unknown (the fill must not leak in).
    unknown = shrink(hole.astype(np.float32)) > 0
    free = shrink(region.astype(np.float32)) > 0
    # Known pixels beyond the band are fixed, except those too weak to trust within the hole's
    # depth of it: they are solved for too.
    wide = shrink((outside <= max(depth, 2.0)).astype(np.float32)) > 0
    free |= wide & (weight < 0.5)
    rows, cols = unknown.shape
    index = np.full(unknown.shape, -1, np.int64)
    count = int(free.sum())
    index[free] = np.arange(count)
    # One Laplacian row per pixel whose 5-point stencil reaches a free pixel (Neumann at the
    # grid's edge: only the neighbours inside it).
    near = cv2.dilate(free.astype(np.uint8), np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]],
                                                      np.uint8)) > 0
    ry, rx = np.nonzero(near)
    row = np.arange(ry.size)
    degree = np.zeros(ry.size)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    fixed = np.zeros((ry.size, channels))  # the fixed pixels' part of each row
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        qy, qx = ry + dy, rx + dx
        inside = (qy >= 0) & (qy < rows) & (qx >= 0) & (qx < cols)
        degree += inside
        r, qy, qx = row[inside], qy[inside], qx[inside]
        q = index[qy, qx]
        solved = q >= 0
        entries.append((r[solved], q[solved], np.full(int(solved.sum()), -1.0)))
        # Each row meets each direction once: a plain indexed subtraction.
        fixed[r[~solved]] -= coarse[qy[~solved], qx[~solved]]
    centre = index[ry, rx]
    solved = centre >= 0
    entries.append((row[solved], centre[solved], degree[solved]))
    fixed[~solved] += degree[~solved, None] * coarse[ry[~solved], rx[~solved]]
    laplacian = csc_matrix(
        (np.concatenate([e[2] for e in entries]),
         (np.concatenate([e[0] for e in entries]), np.concatenate([e[1] for e in entries]))),
        shape=(ry.size, count))
    fidelity = _TREND_FIDELITY * np.where(unknown, 0.0, weight)[free].astype(np.float64)
    normal = (laplacian.T @ laplacian + diags(fidelity)).tocsc()
    rhs = fidelity[:, None] * coarse[free] - laplacian.T @ fixed
    coarse[free] = splu(normal).solve(rhs)
    return cv2.resize(coarse.astype(np.float32), (width, height),
                      interpolation=cv2.INTER_LINEAR).reshape(height, width, channels)


def _smoothness(energy: np.ndarray, level: float) -> np.ndarray:
    """How smooth a pixel's surroundings are, float32 in ``[0, 1]``, from their local detail
    ``energy`` (squared, channels summed): ``1 / (1 + (energy / level^2)^2)``, near 1 below
    an RMS of ``level``, 0.2 at twice and 0.06 at four times it."""
    return (1.0 / (1.0 + (energy / level**2) ** 2)).astype(np.float32)


def _orientation(x: np.ndarray, hole: np.ndarray, outside: np.ndarray, reach: float,
                 sigma: float) -> tuple[np.ndarray, float]:
    """The direction (unit ``(dy, dx)``) the known pixels from 2 px to ``reach`` out of
    ``hole`` (``outside``: their distance to it) run along and the coherence of their
    structure tensor, in ``[0, 1]`` (1: every gradient parallel). It is summed over those
    pixels, so strong edges weigh most: a horizon's bands, ripples drawn out along it, a lone
    wall's foot read near 1; grass and gravel near 0 (0.02-0.04 for noise). Gradients are
    taken on the known pixels blurred at ``sigma``, never across the hole's border."""
    ring = (outside > 2) & (outside <= reach)
    if ring.sum() < 20:
        return np.array([0.0, 1.0]), 0.0
    grey = (x.mean(axis=2) if x.ndim == 3 else x).astype(np.float32)
    grey = _masked_mean(grey, ~hole, sigma)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)[ring]
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)[ring]
    jxx, jyy, jxy = (float(a @ b) for a, b in ((gx, gx), (gy, gy), (gx, gy)))
    if jxx + jyy <= 1e-12:
        return np.array([0.0, 1.0]), 0.0
    coherence = float(np.hypot(jxx - jyy, 2 * jxy) / (jxx + jyy))
    across = 0.5 * np.arctan2(2 * jxy, jxx - jyy)  # the gradients' angle (x right, y down)
    # The layers run at right angles to it.
    return np.array([np.cos(across), -np.sin(across)]), coherence


def _oriented_fill(x: np.ndarray, hole: np.ndarray, direction: np.ndarray, sigma: float,
                   longest: float | np.ndarray) -> np.ndarray:
    """``x`` (``(H, W, C)``) with each hole pixel interpolated along ``direction`` (unit
    ``(dy, dx)``) between the nearest known pixels on its two sides (blurred at ``sigma``
    over known pixels only) where they are at most ``longest`` px apart (a number, or
    ``(H, W)`` per hole pixel: a run takes the largest of its pixels'); other hole pixels
    are NaN (one side only, or a run along the hole's length: a monopod's hole read along
    itself drew its far end's colour down it as a streak)."""
    height, width = hole.shape
    source = _masked_mean(x, ~hole, sigma)
    # Rotate so that ``direction`` runs along the rows: about the box's centre onto a canvas
    # that holds all of it, of which only the window around the turned hole is made (its
    # runs' ends are within 3 px of it; a disc's window is half the canvas at 45 degrees, a
    # thin stroke's a sliver of it).
    angle = float(np.degrees(np.arctan2(direction[0], direction[1])))
    centre = (width / 2, height / 2)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos)))
    matrix[0, 2] += size[0] / 2 - centre[0]
    matrix[1, 2] += size[1] / 2 - centre[1]
    # The turned hole's extent, from each row's first and last hole pixel.
    rows = np.flatnonzero(hole.any(axis=1))
    ends = np.stack([hole[rows].argmax(axis=1), width - 1 - hole[rows, ::-1].argmax(axis=1)])
    extent = [matrix[k, 0] * ends + matrix[k, 1] * rows + matrix[k, 2] for k in (0, 1)]
    low = [max(int(np.floor(t.min())) - 4, 0) for t in extent]
    high = [min(int(np.ceil(t.max())) + 5, n) for t, n in zip(extent, size, strict=True)]
    matrix[:, 2] -= low
    window = (high[0] - low[0], high[1] - low[1])
    turned = cv2.warpAffine(source, matrix, window, flags=cv2.INTER_LINEAR).reshape(
        window[1], window[0], -1)
    del source
    known = cv2.warpAffine(np.ones(hole.shape, np.float32), matrix, window,
                           flags=cv2.INTER_LINEAR) > 0.999
    known &= cv2.warpAffine(hole.astype(np.float32), matrix, window,
                            flags=cv2.INTER_LINEAR) <= 0
    # The runs of unknown pixels along a row between two known ones (on the flattened
    # window, a run that crosses a row's end has none on one side): a known pixel followed
    # by an unknown one is a run's left end, an unknown followed by a known one its right.
    flat = known.ravel()
    left = np.flatnonzero(flat[:-1] & ~flat[1:])
    right = np.flatnonzero(~flat[:-1] & flat[1:]) + 1
    if len(right):
        right = right[np.minimum(np.searchsorted(right, left, side="right"), len(right) - 1)]
    else:
        right = left
    run = (right > left) & (right // window[0] == left // window[0])
    if not np.ndim(longest):
        run &= right - left <= longest
    elif run.any():
        # Each run's limit, the largest of its pixels'. The limits are spread 1 px first (a
        # 3x3 maximum): a turned pixel whose footprint touches a hole reads its limit whole,
        # not blended with the known pixels' 0.
        limit = cv2.dilate(np.asarray(longest, np.float32), np.ones((3, 3), np.uint8))
        limit = cv2.warpAffine(limit, matrix, window, flags=cv2.INTER_LINEAR).ravel()
        bounds = np.stack([left + 1, right], axis=1).ravel()
        run[run] &= np.maximum.reduceat(limit, bounds[np.repeat(run, 2)])[::2] >= (
            right - left)[run]
        del limit
    left, right = left[run], right[run]
    del flat, run
    values = turned.reshape(-1, turned.shape[-1])
    np.copyto(turned, np.nan, where=~known[..., None])
    del known
    # Fill the runs in pieces of about a million pixels (their indices are int64).
    inner = right - left - 1
    cuts = np.searchsorted(np.cumsum(inner), np.arange(1, inner.sum() // 2**20 + 1) * 2**20)
    for part in np.split(np.arange(len(left)), cuts):
        a, b, n = left[part], right[part], inner[part]
        if not n.sum():
            continue
        start = np.repeat(a, n)
        offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + 1
        share = (offset / np.repeat(b - a, n)).astype(np.float32)[:, None]
        near = values[start]
        far = values[start + np.repeat(b - a, n)]
        far -= near
        far *= share
        near += far
        values[start + offset] = near
    back = cv2.warpAffine(turned, matrix, (width, height),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderValue=np.nan).reshape(x.shape)
    np.copyto(back, x, where=~hole[..., None])
    return back


def _layers(x: np.ndarray, hole: np.ndarray, outside: np.ndarray, parts: np.ndarray,
            tau: float) -> tuple[np.ndarray, float, float | np.ndarray] | None:
    """The direction (unit ``(dy, dx)``) of the layers the ring runs in (within twice the
    hole's depth, and no further than the smooth structure reaches in, ``4 tau``, if ``tau``),
    the share of the smooth structure that follows them (by how far the ring's gradients
    agree, :func:`_orientation`) and the longest run across the hole to fill along them
    (:func:`_oriented_fill`): 3 widths of the hole, or where the crop holds holes of different
    depths, ``(H, W)`` 3 widths of each (a thin stroke beside a deep cap is filled along its
    length no further than alone); None where the ring is not layered. ``parts``: each hole
    pixel's hole depth (:func:`_part_depths`)."""
    deepest = float(parts.max())
    reach = 2 * deepest if tau <= 0 else min(2 * deepest, 4 * tau)
    box = _box(hole, int(np.ceil(reach)) + 4)
    direction, coherence = _orientation(x[box], hole[box], outside[box], reach + 2,
                                        _ORIENTED_BLUR)
    share = float(np.clip((coherence - _ORIENTED_COHERENCE[0])
                          / (_ORIENTED_COHERENCE[1] - _ORIENTED_COHERENCE[0]), 0.0, 1.0))
    if share == 0:
        return None
    widths = deepest if parts[hole].min() >= deepest else parts
    return direction, share, _ORIENTED_GAP * 2 * widths


def _along_layers(x: np.ndarray, hole: np.ndarray, smooth: np.ndarray,
                  layers: tuple[np.ndarray, float, float | np.ndarray],
                  reach: tuple[slice, slice],
                  within: tuple[slice, slice]) -> np.ndarray:
    """``smooth`` (the smooth structure on the hole's box) turned by ``layers``' share into the
    fill along their direction (:func:`_oriented_fill`, on the box ``reach``), not blurred at
    ``sigma`` (only at ``_ORIENTED_BLUR``): a harmonic fill blurred at ``sigma`` washed out
    the layers a thin hole cuts (a tree line on a lake's horizon behind a person came out
    grey, the bright band above it dimmed)."""
    direction, share, longest = layers
    if np.ndim(longest):
        longest = longest[reach]
    oriented = _oriented_fill(x[reach], hole[reach], direction, _ORIENTED_BLUR, longest)[within]
    oriented -= smooth  # in place (a view of a box ``reach`` large): 3 such arrays fewer
    np.nan_to_num(oriented, copy=False, nan=0.0)  # NaN: the smooth structure as it is
    oriented *= np.float32(share)
    oriented += smooth
    return oriented


def _away_from(pixels: np.ndarray, width: float) -> np.ndarray:
    """``(H, W)`` float32: 0 on the True ``pixels``, rising to 1 over about ``width`` away from
    them (``1 - exp(-d^2 / (2 width^2))``); all 1 without any."""
    if not pixels.any():
        return np.ones(pixels.shape, np.float32)
    distance = cv2.distanceTransform((~pixels).astype(np.uint8), cv2.DIST_L2, 3)
    return (1.0 - np.exp(-0.5 * (distance / width) ** 2)).astype(np.float32)


def _gauss(x: np.ndarray, sigma: float,
           box: tuple[slice, slice] = (slice(None), slice(None))) -> np.ndarray:
    """A Gaussian blur of ``(H, W[, C])`` ``x``, on the window ``box`` only; wide ones on a
    grid ``sigma / 2`` times coarser (what they keep is smooth at that step), so their cost
    does not grow with ``sigma``, and brought back to full resolution on the window only."""
    if sigma <= 4.0:
        return _blur(x, sigma)[box]
    step = sigma / 2.0
    height, width = x.shape[:2]
    small = (max(1, int(np.ceil(width / step))), max(1, int(np.ceil(height / step))))
    coarse = cv2.resize(x, small, interpolation=cv2.INTER_AREA)
    coarse = cv2.GaussianBlur(coarse, (0, 0), sigma * small[0] / width)
    if box == (slice(None), slice(None)):
        return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR).reshape(
            x.shape)
    rows, cols = (slice(*b.indices(n)[:2]) for b, n in zip(box, (height, width), strict=True))
    return upsample_window(coarse.reshape(small[1], small[0], *x.shape[2:]), (width, height),
                           (rows, cols))


def _masked_mean(x: np.ndarray, where: np.ndarray, sigma: float) -> np.ndarray:
    """Local mean of ``x`` (``(H, W[, C])``) over the pixels ``where`` (normalised
    convolution); 0 where no such pixel is within reach."""
    weight = where.astype(np.float32)
    return _normalised(x * (weight[..., None] if x.ndim == 3 else weight), weight, sigma)


def _normalised(weighted: np.ndarray, weight: np.ndarray, sigma: float,
                box: tuple[slice, slice] = (slice(None), slice(None))) -> np.ndarray:
    """:func:`_masked_mean` given ``x * weight`` and the ``(H, W)`` float32 ``weight``, on the
    window ``box`` only (the blurs see the whole array)."""
    num = _gauss(weighted, sigma, box)
    den = _gauss(weight, sigma, box)
    inverse = np.divide(1.0, den, out=np.zeros_like(den), where=den > 1e-4)
    num *= inverse[..., None] if weighted.ndim == 3 else inverse
    return num


def _bands(x: np.ndarray, where: np.ndarray, sigmas: list[float],
           box: tuple[slice, slice]) -> list[np.ndarray]:
    """Octave bands of ``x`` seen through the pixels ``where`` only: ``x - G_1``,
    ``G_1 - G_2``, ... ``G_{n-1} - G_n`` and the rest ``G_n``, ``G_i`` the normalised Gaussian
    blur at ``sigmas[i-1]``; on the window ``box`` of ``x`` (the blurs see all of it)."""
    weight = where.astype(np.float32)
    weighted = x * (weight[..., None] if x.ndim == 3 else weight)  # the same for every blur
    # The blurs on OpenCV's thread count (each computed as it would be alone); the bands in
    # place of the blurs they no longer need (8K: the main thread's CPU here 1.9 -> 0.3 s; the
    # blurs' work moves to the pool, so the wall time gained is what a free core takes).
    lows = [x[box], *thread_map(lambda s: _normalised(weighted, weight, s, box), sigmas)]
    bands = [lows[0] - lows[1]]
    for index in range(1, len(sigmas)):
        bands.append(np.subtract(lows[index], lows[index + 1], out=lows[index]))
    return [*bands, lows[-1]]


def _energy(band: np.ndarray, box: tuple[slice, slice], shape: tuple[int, int]) -> np.ndarray:
    """The squared norm of the ``band`` given on the window ``box``, as an array of ``shape``
    (0 outside the window)."""
    energy = np.zeros(shape, np.float32)
    energy[box] = np.einsum("...c,...c->...", band, band)
    return energy


def _local_energy(energy: np.ndarray, where: np.ndarray, width: float, step: int,
                  box: tuple[slice, slice], weights: dict) -> np.ndarray:
    """Local mean of the ``(H, W)`` ``energy`` (0 outside the window ``box``; overwritten) over
    the pixels ``where`` (normalised blur of ``width``), computed on a grid ``step`` times
    coarser (``width`` is at least twice the step, so the result is smooth at that step);
    returned on that grid. ``weights``: the blurred weights of each ``where`` (the same array)
    and ``width`` already worked out; several bands share them."""
    if step == 1:
        return _masked_mean(energy, where, width)
    height, full_width = energy.shape
    small = (max(1, -(-full_width // step)), max(1, -(-height // step)))
    key = (id(where), width)
    if key not in weights:
        weight = where.astype(np.float32)
        den = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
        # ``where`` is kept in the entry: alive, its id cannot be taken by another array.
        weights[key] = where, weight, _gauss(den, width / step)
    _, weight, den = weights[key]
    energy[box] *= weight[box]
    num = _gauss(cv2.resize(energy, small, interpolation=cv2.INTER_AREA), width / step)
    return np.where(den > 1e-4, num / np.maximum(den, 1e-4), 0.0)


def log_pixel_scale(rows: np.ndarray, cols: np.ndarray, face_size: int, pad: int
                    ) -> np.ndarray:
    """``(len(rows), len(cols))`` float32 ``log2`` of how many pixels of a padded cube face span
    a unit angle at each pixel, relative to the face centre: ``(1 + a^2 + b^2)^(3/4)``, the
    geometric mean of the radial (``1 + r^2``) and tangential (``sqrt(1 + r^2)``) factors of
    the gnomonic projection (``a, b`` in ``[-1, 1]`` across the face)."""
    a = 2 * (cols - pad + 0.5) / face_size - 1
    b = 2 * (rows - pad + 0.5) / face_size - 1
    return (0.75 * np.log2(1 + b[:, None] ** 2 + a[None, :] ** 2)).astype(np.float32)


def _ein(x: float) -> float:
    """``Ein(x) = int_0^x (1 - e^-t) dt / t``: its power series up to 10, beyond that
    ``ln x + gamma`` (short by ``E1(x)``, under 5e-6 there)."""
    if x > 10.0:
        return float(np.log(x) + np.euler_gamma)
    k = np.arange(1, 60)
    return float(np.sum((-1.0) ** (k + 1) * np.cumprod(x / k) / k))


def _band_octaves(sigma: float) -> tuple[float, float]:
    """How many octaves of a scale-free texture (one whose energy per octave is the same at
    every scale, as natural images nearly are) the finest band (the tile less its Gaussian
    blur at ``sigma``) and the second (that blur less the one at ``2 sigma``) hold: their
    energies on such a texture over its energy per octave, on a tile sampled to its pixel
    (a disc of frequencies up to half a cycle per pixel).

    With ``g(u) = exp(-u)`` the blur's response (``u = 2 pi^2 sigma^2 f^2``), a band ``H``
    holds ``int |H|^2 df / f = int |H|^2 du / 2u``, an octave ``ln 2``: the second band
    ``ln(25 / 16) / 2`` (for every ``sigma``: 0.32 octave), the finest
    ``Ein(U) - Ein(2U) / 2`` up to ``U = pi^2 sigma^2 / 2`` (:func:`_ein`): 2.0 octaves at
    1K faces (``sigma`` 2 px), 3.0 at 2K."""
    top = np.pi**2 * sigma**2 / 2
    return (_ein(top) - _ein(2 * top) / 2) / np.log(2), np.log(25 / 16) / 2 / np.log(2)


def _part_depths(hole: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32: each hole pixel's hole depth, the largest of ``depth`` (``(H, W)``)
    over the 8-connected part of ``hole`` (``(H, W)`` bool) it lies in; 0 on known pixels. A
    crop may hold several holes (a hiker beside a tripod's cap), each as deep as itself."""
    count, labels = cv2.connectedComponents(hole.astype(np.uint8), connectivity=8)
    if count <= 2:  # one hole, the usual crop: 0.04 s on a 3000 px one, 0.10 with the maximum
        return np.where(hole, np.float32(depth.max()), np.float32(0.0))
    deepest = np.zeros(count, np.float32)  # label 0: the known pixels
    np.maximum.at(deepest, labels[hole], depth[hole])
    return deepest[labels]


def _band_gains(x: np.ndarray, detail: list[np.ndarray], inner: tuple[slice, slice],
                hole: np.ndarray, depth: np.ndarray, outside: np.ndarray,
                sigmas: list[float], ring: float,
                gain_max: float, log_scale: np.ndarray | None = None, noise: float = 0.0,
                level: float = 0.0, textured_too: bool = False, band_depth: float = 0.0,
                parts: np.ndarray | None = None
                ) -> tuple[list[np.ndarray], np.ndarray | None, np.ndarray | None]:
    """Per band and hole pixel, the gain that brings the fill's local band energy to the one
    the known ring around that part of the hole has in the same band: ``(h, w, 1)`` maps on
    the hole's box ``inner``, where ``detail`` (the fill's bands) is given; and, given a
    ``level``, the ``(h, w)`` shares of the ring nearest each pixel there that are smooth and
    that are clearly textured (detail RMS well above ``level``: ``_TEXTURED``; asked for with
    ``textured_too``) (else None).

    The ring's energy is measured on known pixels within ``max(ring, 2 sigma)`` of the hole
    and carried into the hole by a normalised blur as wide as half the hole's depth (each hole
    pixel takes the energy of the ring nearest it; the middle of a large hole, an average of
    the ring around it). Gains above 1 only for the finest band (a patch distance prefers flat
    sources, so copies lose fine detail; coarser bands are never amplified), and a coarser band
    only in a hole at least ``band_depth`` times its sigma deep (each hole of the crop by its
    own deepest pixel, :func:`_part_depths`): in a thinner one its blur
    spans the hole from side to side, so the band holds the layout across it (a sky above the
    land, where a person stood on the horizon), not texture, and lowering it pulled each part
    towards the others (a grey, head-shaped haze in the sky). The energies,
    blurred over at least ``2 sigma``, are worked out on a grid ``sigma`` times coarser.
    ``depth``: each pixel's distance to the nearest known one (0 on known pixels);
    ``outside``: each pixel's distance to the nearest hole pixel (0 in the hole); ``parts``:
    each hole pixel's hole depth (:func:`_part_depths`; None: worked out here).

    ``log_scale`` (``(H, W)``, :func:`log_pixel_scale`): a cube face samples the sphere more
    coarsely at its centre than at its rim, and a panorama's finest band grows with the
    angle a pixel spans (on the down faces of the shared panoramas it holds 1.2-2.7 times
    more energy per pixel within 0.25 of the centre than at 0.8; the next band hardly
    changes). So where the ring samples the sphere more finely than a hole pixel (the rim of
    a nadir cap against its centre), the finest band's target there is the ring's
    extrapolated that many octaves coarser in sampling, along the slope of the ring's log
    energy from its second band to its finest (bounded by ``_SLOPE_MAX``), and capped by
    what those octaves can add: the ring's finest band holds as many octaves' worth of
    texture as its energy over the second band's per octave (:func:`_band_octaves`), a
    pixel spanning ``2^k`` times the angle sees ``k`` more, up to as many as the band holds.
    The slope alone reads near its bound on any natural texture (whose energy per octave
    hardly changes: the finest band spans two or three octaves, the second one), and the
    middle of the evaluation's large caps got 1.3-1.4 times the truth's gradient energy; the
    octaves alone overshoot where the second band holds edges rather than texture (painted
    stripes). But the cap lowers the slope's target to no less than ``_SLOPE_FLOOR`` of it: it
    counts the octaves of a band the ring resolves, and off the face's centre the face
    samples the panorama more finely than the panorama holds (the face size is native at the
    centre), so the ring's finest band is partly interpolation and the cap read from it
    undershoots the middle (grain as fine as the panorama's pixels; the cracks and shadow
    edges of the evaluation's deep caps). Compared pixel for pixel, the middle of a cap got
    the rim's duller look: fog. The coarser bands carry the lines and edges the structure
    steps continued and are compared pixel for pixel."""
    widths = [max(ring, 2 * sigma) for sigma in sigmas]
    # One array per distinct ring width: bands sharing it share its blurred weights too.
    masks = {w: ~hole & (outside <= w) for w in set(widths)}
    rings = [masks[w] for w in widths]
    # The known bands are needed on the widest ring only, and on the band the smoothness is
    # measured on (two sigmas of the coarsest band out; nearer the hole the one-sided blur
    # turns a sky's gradient into band energy).
    where = None
    if level > 0 and len(sigmas) > 1:
        clear = 2 * sigmas[-1]
        where = ~hole & (outside > clear) & (outside <= clear + widths[0])
        if not where.any():
            where = rings[0]
    near = _box(rings[-1] | hole | (where if where is not None else hole), 0)
    known = _bands(x, ~hole, sigmas, near)
    reach = 0.5 * float(depth.max())
    step = max(1, int(sigmas[0]))
    height, width_px = hole.shape
    fill_energies, ring_energies = [], []
    weights: dict = {}
    octaves = None
    for index, sigma in enumerate(sigmas):
        width = max(2 * sigma, reach)
        fill_energies.append(_local_energy(_energy(detail[index], inner, hole.shape), hole,
                                           width, step, inner, weights))
        ring_energies.append(_local_energy(_energy(known[index], near, hole.shape),
                                           rings[index], width, step, near, weights))
        if index == 0 and log_scale is not None:
            whole = (slice(None), slice(None))
            ring_scale = _local_energy(log_scale.copy(), rings[0], width, step, whole, weights)
            own_scale = log_scale if step == 1 else cv2.resize(
                log_scale, ring_scale.shape[::-1], interpolation=cv2.INTER_AREA)
            octaves = np.maximum(ring_scale - own_scale, 0.0)
    smooth = textured = None
    if where is not None:
        # Each ring pixel's smoothness from the energy of all its bands around it, then
        # carried into the hole as the energies are: a hole pixel takes the share of the ring
        # nearest it that is smooth (a tree top in the ring lowers it by its share, not
        # everywhere).
        energy = _masked_mean(sum(_energy(band, near, hole.shape) for band in known[:-1]),
                              where, 2 * sigmas[0])
        smooth = _local_energy(_smoothness(energy, level), where, max(2 * sigmas[0], reach),
                               step, (slice(None), slice(None)), weights)
        if textured_too:
            # The share of that ring that is clearly textured (its detail well above a sky's).
            textured = 1.0 - _local_energy(_smoothness(energy, _TEXTURED * level), where,
                                           max(2 * sigmas[0], reach), step,
                                           (slice(None), slice(None)), weights)
        # Trusted only where nearly all of that ring is smooth: sky above half of a hole on
        # the horizon does not make its middle a sky.
        smooth = np.clip((smooth - _SMOOTH_SHARE[0]) / (_SMOOTH_SHARE[1] - _SMOOTH_SHARE[0]),
                         0.0, 1.0)
    # The input's quantisation noise is part of the ring's finest band, and the output's
    # quantisation adds it back to the fill: copied on top, it would count twice. All of it is
    # taken out. On textured ground the rounding error is white and nearly all of it lies in
    # this band; on a smooth gradient less does, but that part is the ring's staircase of 8-bit
    # steps, which the output's quantisation draws again on the fill's own trend: no texture
    # either. Left in the target, it is matched by the copy's own 8-bit contours (its source
    # sky's staircase), and the output's quantisation adds its steps to them: a plain sky's
    # fill rougher than the sky (docs/results_history.md, "Rounding noise in a plain sky").
    # What this takes from a textured ring is texture weaker than the quantisation step, which
    # the output cannot carry as texture anyway.
    ring_energies[0] = np.maximum(ring_energies[0] - noise, 0.0)
    if octaves is not None and len(sigmas) > 1:
        # Along the slope from the ring's second band to its finest, but to no more than
        # the octaves a coarser pixel adds can hold (:func:`_band_octaves`).
        finest, second = (np.log(np.maximum(e, 1e-12)) for e in ring_energies[:2])
        slope = np.clip(finest - second, -_SLOPE_MAX, _SLOPE_MAX)
        finest_span, second_span = _band_octaves(sigmas[0])
        per_octave = ring_energies[1] / second_span
        added = np.maximum(ring_energies[0], np.minimum(
            ring_energies[0] + octaves * per_octave, finest_span * per_octave))
        along_slope = np.exp(finest + octaves * slope)
        ring_energies[0] = np.maximum(np.minimum(along_slope, added),
                                      _SLOPE_FLOOR * along_slope)
    # Each hole's own depth: measured on the crop's deepest, a thin hole beside a deep one
    # had its coarse bands lowered too.
    if band_depth > 0 and len(sigmas) > 1:
        parts = (_part_depths(hole, depth) if parts is None else parts)[inner]
    else:
        parts = None
    gains = []
    for index, (fill_energy, ring_energy) in enumerate(zip(fill_energies, ring_energies,
                                                           strict=True)):
        gain = np.sqrt(ring_energy / np.maximum(fill_energy, 1e-12))
        gain = np.clip(gain, 0.0, gain_max if index == 0 else 1.0).astype(np.float32)
        gain = _on_box(gain, step, (width_px, height), inner)
        if index > 0 and parts is not None:
            gain = np.where(parts < sigmas[index] * band_depth, np.float32(1.0), gain)
        gains.append(gain[..., None])
    if smooth is not None:
        smooth = _on_box(smooth, step, (width_px, height), inner)
    if textured is not None:
        textured = _on_box(np.clip(textured, 0.0, 1.0), step, (width_px, height), inner)
    return gains, smooth, textured


def _on_box(values: np.ndarray, step: int, size: tuple[int, int], box: tuple[slice, slice]
            ) -> np.ndarray:
    """The part ``box`` of ``values`` given on a grid ``step`` times coarser than ``size``
    (``(width, height)``; bilinear, on the box only), or of ``values`` itself at ``step`` 1."""
    return upsample_window(values, size, box) if step > 1 else values[box]


def _steps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(across, down)``, both ``(H, W, C)``: ``x[y, x] - x[y, x + 1]`` and
    ``x[y, x] - x[y + 1, x]`` (0 on the last column, the last row), as :func:`_poisson` reads."""
    across = np.zeros_like(x)
    down = np.zeros_like(x)
    across[:, :-1] = x[:, :-1] - x[:, 1:]
    down[:-1] = x[:-1] - x[1:]
    return across, down


def _excess(steps: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The part of each pixel's step ``(H, W, C)`` beyond the length the steps at ``where``
    ``(H, W)`` bool reach at ``_LIGHT_QUANTILE`` (in the step's own direction in colour)."""
    length = np.sqrt((steps**2).sum(axis=-1))
    limit = float(np.percentile(length[where], _LIGHT_QUANTILE))
    return steps * (1.0 - np.minimum(1.0, limit / np.maximum(length, 1e-12)))[..., None]


def _level_light(x: np.ndarray, hole: np.ndarray, outside: np.ndarray, along: float,
                 across: float, ring: float) -> np.ndarray:
    """``x`` (``(H, W, C)``, hole pixels filled) re-solved in ``hole`` (``(H, W)`` bool) from its
    own steps less what a straight edge brings beyond the known ring's (known pixels within
    ``ring`` px, ``outside`` their distance to the hole): the steps across columns of ``x``
    blurred ``along`` px down the columns and ``across`` px across them, the same across rows,
    each cut to its length at ``_LIGHT_QUANTILE`` on the ring. A step of light where two copied
    pieces meet becomes as gentle as the ring's steepest; the grain stays as copied."""
    known_ring = ~hole & (outside <= ring)
    if not known_ring.any():
        return x
    columns = cv2.GaussianBlur(x, (0, 0), sigmaX=across, sigmaY=along).reshape(x.shape)
    rows = cv2.GaussianBlur(x, (0, 0), sigmaX=along, sigmaY=across).reshape(x.shape)
    own_across, own_down = _steps(x)
    out_across = _excess(_steps(columns)[0], known_ring)
    out_down = _excess(_steps(rows)[1], known_ring)
    if not (out_across.any() or out_down.any()):
        return x
    solved = _poisson(x, hole, own_across - out_across, own_down - out_down)
    out = x.copy()
    out[hole] = solved[hole].astype(x.dtype)
    return out


def finish_fill(filled: np.ndarray, hole: np.ndarray, params: FinishScales, high: float,
                fields: dict[int, tuple] | None = None, bank: np.ndarray | None = None,
                along: dict[int, np.ndarray] | None = None,
                bank_hole: np.ndarray | None = None,
                toned: dict[int, np.ndarray] | None = None,
                lined: dict[int, list[tuple[np.ndarray, np.ndarray]]] | None = None,
                plain: bool = False, patterned: dict[int, np.ndarray] | None = None
                ) -> None:
    """Correct the hole pixels of ``filled`` in place (see the module docstring).

    Args:
        filled: ``(N, P, P, C)`` float32 tiles, hole pixels filled.
        hole: ``(N, P, P)`` bool.
        params: the scales, in pixels.
        high: upper bound of the values (1 for display-referred tiles, ``inf`` for HDR).
        fields: per tile, the nearest-neighbour field ``(k, y, x, ...)`` that made its fill;
            the offsets between its pieces (:func:`piece_edges`) are removed. None: the fill
            is taken as it is.
        bank: ``(K, P, P, C)`` the tiles the fields copy from (their own steps continue the
            texture across piece edges); None: steps of 0 there.
        along: per tile, ``(P, P)`` bool, the pixels a structure step filled (a line or
            lattice continued through the hole): they and their surroundings keep the copy,
            never the smooth trend or the smooth layout.
        bank_hole: ``(K, P, P)`` bool, the bank's hole pixels (a source step reading one is
            skipped).
        toned: per tile, ``(P, P)`` bool, pixels the tile-tones step gave their tiles' tones
            or along an edge the search continued (``_lines.Edge``):
            the stitch keeps their steps between each other.
        lined: per tile, the line step's lines: each one's unit ``(dy, dx)`` direction and
            the ``(P, P)`` bool pixels filled along it: no band gain lowers their
            cross-section (each band's mean along the line), only what varies along it.
        plain: the known ring is plain (a floor whose pieces differ by light): the fill's
            light slopes no more steeply than the ring's (:func:`_level_light`).
        patterned: per tile, ``(P, P)`` bool, pixels filled along a pattern (the lattice of
            tiles or bricks, stripes, planks): copies of the pattern's own colours, whose
            stitch may change their light but, deeper in than ``_PATTERN_HUE_REACH``, turns
            their colour balance by little more than ``_PATTERN_HUE``.
    """
    sigmas = [params.sigma * 2.0**k for k in range(max(params.bands, 1))]
    margin = int(np.ceil(3 * sigmas[-1] + max(params.ring, 2 * sigmas[-1]))) + 2
    for i in range(filled.shape[0]):
        if not hole[i].any():
            continue
        # Everything below happens within reach of the hole: its box and a margin.
        crop = _box(hole[i], margin)
        h, x = hole[i][crop], filled[i][crop]
        # Each known pixel's distance to the hole: the ring the cap, the gains and the trend
        # measure.
        outside = cv2.distanceTransform((~h).astype(np.uint8), cv2.DIST_L2, 3)
        # A light on the border (a sun, a lamp) is capped for every step below, which all read
        # the border as what to continue, unless the fill facing it continues it: the stitch
        # held a plain copy to a lamp ending at the hole's rim and spread it in as a round
        # glow (St Fagans' ceiling). HDR or not; only hole pixels are written back.
        uncapped = x
        x = cap_lights(x, h, params.ring, nearest=True, outside=outside)
        stitched = None
        if fields is not None and i in fields:
            nnf = tuple(a[crop] for a in fields[i])
            kept = None if toned is None or i not in toned else toned[i][crop]
            capped = None if x is uncapped else x != uncapped  # (P, P, C), per channel
            stitched = _seamless(x, h, None, None, bank, nnf, bank_hole, kept, capped)
        # Measured after the stitch, not before: there the finish of the 4K sample's nadir
        # took 0.88 s against 0.75 (outputs identical; likely OpenCV's worker threads still
        # spinning beside the solve's).
        depth = cv2.distanceTransform(h.astype(np.uint8), cv2.DIST_L2, 3)
        # A crop with no known pixel (a tile inside a cap wider than the padded face) comes
        # back at FLT_MAX, which overflows the weights made from it: deeper than the crop's
        # diagonal says the same (no known pixel within reach) in finite numbers.
        np.minimum(depth, np.float32(np.hypot(*h.shape)), out=depth)
        if stitched is not None:
            if patterned is not None and i in patterned:
                copies = patterned[i][crop] & h
                change = stitched[copies] - x[copies]
                limited = limit_hue_turn(change, _PATTERN_HUE)
                # Next to the ring a turn towards its colours is what the ring says (a white
                # stripe's copy where the ring's stripe is yellow); deep in, it is drift.
                reach = _PATTERN_HUE_REACH * (params.face_size or h.shape[0])
                near = np.exp(-depth[copies] / reach)[:, None]
                stitched[copies] = x[copies] + limited + near * (change - limited)
            x = stitched
        # The fill split into octave bands (finest first) and what is coarser than them; from
        # here on what is kept is worked out on the hole's box only.
        inner = _box(h, 0)
        bands = _bands(x, h, sigmas, inner)
        parts = _part_depths(h, depth)  # each hole's own depth: the band gains' and the layers'
        trend = None  # the smooth trend and its weight, where the ring is smooth
        textured = None  # the share of the ring nearest each hole pixel that is textured
        if params.bands > 0:
            log_scale = None if params.face_size <= 0 else log_pixel_scale(
                np.arange(crop[0].start, crop[0].stop), np.arange(crop[1].start, crop[1].stop),
                params.face_size, params.pad)
            noise = x.shape[-1] * params.quantum**2 / 12.0  # step^2 / 12 a channel
            gains, smooth_share, textured = _band_gains(
                x, bands, inner, h, depth, outside, sigmas, params.ring, params.gain_max,
                log_scale, noise, params.trend_level, params.layout_tau > 0, params.band_depth,
                parts)
            sections = None
            if lined is not None and i in lined:
                sections = _cross_sections(bands[:-1], lined[i], crop, inner)
            bands = [g * b for g, b in zip([*gains, 1.0], bands, strict=True)]
            if sections is not None:
                # The line step's cross-sections keep the energy they were copied with: an edge
                # is in the ring only where it crosses it, so a line through the hole holds
                # about twice the share of the hole's area that it holds of the ring's, and the
                # gains faded every edge continued (module docstring). What varies along the
                # line (a bush on a tree line, the tones of the tiles along a joint) is a copy
                # from elsewhere on it and is matched to the ring as the rest is.
                (ys, xs), values = sections
                for index, (gain, section) in enumerate(zip(gains, values, strict=True)):
                    lowered = gain[ys, xs]  # (M, 1)
                    bands[index][ys, xs] += (np.maximum(lowered, 1.0) - lowered) * section
            if smooth_share is not None:
                # Where the ring nearest a part of the hole is smooth, that part follows the
                # ring's smooth trend instead of the copy (all bands: a smooth ring's finest
                # band is noise and grain, a copy of it only roughens the fill).
                weight = smooth_share
                if along is not None and i in along:
                    weight = weight * _away_from(along[i][crop], 2 * params.sigma)[inner]
                weight = weight[..., None]
                if weight.max() > 0.01:
                    trend = weight, _smooth_trend(x, h, outside, float(depth.max()),
                                                  params.sigma, params.trend_level)[inner]
        hole_in, depth_in = h[inner], depth[inner]
        structure = sum(bands[1:], np.zeros_like(bands[0]))  # what is coarser than the finest
        # Where the copy's layout may give way to the smooth fill's: not where the ring is
        # smooth (the trend continues its slopes better) nor near what a structure step filled.
        # (The ring's texture is measured with the trend's smoothness: without it, none.)
        free = np.zeros(hole_in.shape, np.float32) if textured is None else textured
        if trend is not None:
            weight, smooth_trend = trend
            structure = weight * smooth_trend + (1.0 - weight) * structure
            free = free * (1.0 - weight[..., 0])
        if params.layout_tau > 0 and along is not None and i in along:  # (a distance map)
            free = free * _away_from(along[i][crop], params.layout_sigma)[inner]
        if params.detail_tau > 0:
            # The copied detail right at the border is a guess uncorrelated with the truth
            # (its phase is the source's): it fades in with depth, so a hole a few pixels
            # wide keeps little of it and a deep one loses it only along its rim.
            bands[0] = bands[0] * (1.0 - np.exp(-depth_in / params.detail_tau))[..., None]
        # A smooth (harmonic) fill, blurred on the hole's box and the kernel's reach
        # (OpenCV's is 4 sigma).
        reach = _box(h, int(np.ceil(4 * params.sigma)) + 2)
        within = tuple(slice(a.start - b.start, a.stop - b.start)
                       for a, b in zip(inner, reach, strict=True))
        smooth = thin = layers = None
        if params.tau > 0 or params.layout_tau > 0 or params.rim_tau > 0:
            layers = _layers(x, h, outside, parts, params.tau)
            continued = None if along is None or i not in along else along[i][crop]
            coarse, streaks = _smooth_fills(
                x, h, max(1, int(params.sigma)),
                navier_stokes=continued is not None and bool(continued.any()))
            if continued is not None and streaks is not None:
                # Beside what a structure step continued (a line: a wall's foot, a kerb; a
                # lattice) the smooth structure stays Navier-Stokes, which carries its isophotes
                # through the rim where a harmonic fill blurs them.
                away = _away_from(continued, _NAVIER_STOKES_NEAR_STRUCTURE * params.sigma)
                coarse = streaks + away[..., None] * (coarse - streaks)
            smooth = _blur(coarse[reach], params.sigma)[within]
        if params.tau > 0 and (params.agreement > 0 or params.layout_tau > 0 or
                               params.rim_tau > 0):
            thin = _thin(depth, inner, params.tau)
        if params.rim_tau > 0:
            # On the rim, a smooth fill solved at full resolution: one on a grid ``sigma``
            # coarser misses what the pixels next to the border say about those beside them.
            # Its finest band joins the copy's there, fading out with depth as the copy's
            # fades in (``detail_tau``), but not where a structure step filled (a line or
            # lattice continued is in the truth's phase already).
            rim = _rim_fill(x, h, depth, coarse, params)
            rim_low = _blur(rim[reach], params.sigma)[within]
            weight = np.exp(-depth_in / params.rim_tau)
            if along is not None and i in along:
                weight = weight * _away_from(along[i][crop], 2 * params.sigma)[inner]
            bands[0] = bands[0] + weight[..., None] * (rim[inner] - rim_low)
            if thin is not None:
                # Its structure too where the hole is thin (the smooth structure holds there
                # whatever it says); in a wide one a full-resolution diffusion carries the
                # border's edges in as streaks (rendered bricks and planks: -0.1 dB).
                smooth = smooth + thin[..., None] * (rim_low - smooth)
        if layers is not None:
            smooth = _along_layers(x, h, smooth, layers, reach, within)
        if params.tau > 0:
            # Near the border the smooth fill carries the structure.
            weight = np.exp(-depth_in / params.tau)[..., None]
            if params.agreement > 0:
                weight = weight * _agreement(smooth - structure, thin, params)
            structure = weight * smooth + (1.0 - weight) * structure
            if thin is not None:
                # Where the hole is thin the smooth structure above has the layout already.
                free = free * (1.0 - thin)
        if params.layout_tau > 0 and free.max() > 0.01:
            structure = structure + _layout(x, h, depth, outside, smooth - structure, inner,
                                            free, params)
        result = np.clip(bands[0] + structure, 0.0, high)
        filled[i][crop][inner][hole_in] = result[hole_in]
        if plain:
            x = filled[i][crop]
            size = params.face_size or filled.shape[1]  # flat images: the tile's size
            x[h] = np.clip(_level_light(x, h, outside, _LIGHT_ALONG * size, params.sigma,
                                        params.ring)[h], 0.0, high)


def _cross_sections(bands: list[np.ndarray], lines: list[tuple[np.ndarray, np.ndarray]],
                    crop: tuple[slice, slice], inner: tuple[slice, slice]
                    ) -> tuple[tuple[np.ndarray, np.ndarray], list[np.ndarray]] | None:
    """The cross-section of each line the line step filled along (``lines``: unit ``(dy, dx)``
    direction and ``(P, P)`` pixels) in each band (``(h, w, C)`` on the hole's box ``inner``
    of the tile's ``crop``): the band's mean over those pixels at the same offset across the
    line (half-pixel bins). Returns the lines' pixels ``(ys, xs)`` on the box and per band
    their ``(M, C)`` float32 cross-section there (only those pixels: a box per band, kept
    to the end of the tile's finish, took a 1200 px tile's traced peak with two lines
    from 209 to 237 MiB); None where the lines hold no pixel of the box. A pixel filled
    along two lines belongs to the first."""
    taken = np.zeros(bands[0].shape[:2], bool)
    rows, columns, sections = [], [], [[] for _ in bands]
    for direction, pixels in lines:
        mine = pixels[crop][inner] & ~taken
        if not mine.any():
            continue
        taken |= mine
        ys, xs = np.nonzero(mine)
        across = ys * -direction[1] + xs * direction[0]  # offset along the line's normal
        bins = np.rint(2.0 * (across - across.min())).astype(np.int64)
        count = np.bincount(bins)
        for band, section in zip(bands, sections, strict=True):
            values = band[ys, xs]  # (M, C)
            mean = np.empty_like(values)
            for c in range(values.shape[1]):
                mean[:, c] = (np.bincount(bins, weights=values[:, c]) / np.maximum(count, 1))[bins]
            section.append(mean)
        rows.append(ys)
        columns.append(xs)
    if not rows:
        return None
    return ((np.concatenate(rows), np.concatenate(columns)),
            [np.concatenate(section) for section in sections])


def _rim_fill(x: np.ndarray, hole: np.ndarray, depth: np.ndarray, coarse: np.ndarray,
              params: FinishScales) -> np.ndarray:
    """``x`` with its hole filled smoothly: a full-resolution Navier-Stokes fill of the hole's
    rim (``5 rim_tau`` deep), the deeper pixels held at the values of ``coarse``, a smooth fill
    ``sigma`` coarser (:func:`_smooth`).

    A pixel next to the border is correlated with the known pixels beside it (a texture's grain
    spans a few pixels), and a diffusion of those pixels predicts part of its fine detail; a
    copy's fine band, whose phase is its source's, predicts none of it (on the hi-res
    photographs' rock and grass its correlation with the truth's is 0.0-0.08 at every depth,
    the Navier-Stokes fill's 0.24-0.53 within 2 px of the border, 0.1-0.2 at 2-4 px)."""
    reach = int(np.ceil(5 * params.rim_tau)) + 1
    rim = hole & (depth <= reach)
    image = np.array(x, np.float32)
    deep = hole & ~rim
    image[deep] = coarse[deep]
    smooth_fill(image[None], rim[None])
    return image


def _ring_checks(x: np.ndarray, hole: np.ndarray, depth: np.ndarray, outside: np.ndarray,
                 params: FinishScales) -> tuple[float, float]:
    """Two measures of the known ring of ``hole`` (``x``: ``(H, W, C)``, ``depth``: the hole's
    distance map, ``outside``: each pixel's distance to the hole) taken on its band within
    ``max(2 layout_sigma, half the hole's depth)``:

    * how far off a smooth fill's layout is there: the band hidden, filled smoothly
      (:func:`_smooth`, harmonic) from beyond it (on a grid ``layout_sigma / 2`` coarser),
      and the RMS of the fill's error averaged over ``layout_sigma``;
    * the RMS of the band's finest detail (``x`` less its local mean over ``2 sigma``) over
      that of its layout (its mean over ``layout_sigma`` less its mean over the hole's depth).

    Both are 0 where there is no such band (nothing to check: the copy's layout stays)."""
    sigma = params.layout_sigma
    width = max(2.0 * sigma, 0.5 * float(depth.max()))
    hidden = outside <= width
    band = hidden & ~hole
    if not band.any():
        return 0.0, 0.0

    def rms(values: np.ndarray) -> float:
        return float(np.sqrt(np.mean(np.einsum("...c,...c->...", values, values))))

    guess = _smooth(x, hidden, max(1, int(sigma / 2)))
    weight = band.astype(np.float32)
    miss = rms(_normalised((guess - x) * weight[..., None], weight, sigma)[band])
    detail = rms((x - _masked_mean(x, ~hole, 2 * params.sigma))[band])
    layout = rms((_masked_mean(x, ~hole, sigma) - _masked_mean(
        x, band, max(sigma, float(depth.max()))))[band])
    return miss, detail / max(layout, 1e-6)


def _layout(x: np.ndarray, hole: np.ndarray, depth: np.ndarray, outside: np.ndarray,
            gap: np.ndarray, inner: tuple[slice, slice], free: np.ndarray,
            params: FinishScales) -> np.ndarray:
    """The correction ``(h, w, C)`` that moves the copy's layout towards the smooth fill's on
    the hole's box ``inner``, given the crop ``x`` (``(H, W, C)``), its ``hole``, the hole's
    ``depth`` map and the distance to it ``outside``, ``gap`` (smooth minus copied structure on
    the box) and ``free`` (``(h, w)``, where it may apply: the hole is wide, its ring
    textured, no structure step near).

    Deep in a hole in stochastic ground (rock, grass, a lakeshore) the copy's layout is a
    draw from elsewhere in the panorama, uncorrelated with the truth's: a dark bush where the
    truth has bright rock costs its whole contrast, where the smooth fill's average of the
    ring costs only the truth's own spread about it. So ``gap`` averaged over the hole pixels
    within about ``layout_sigma`` (a normalised blur: only the layout moves, the copy's
    texture above that scale and its gradient energy are kept) is added with weight
    ``exp(-depth / layout_tau)`` times ``free`` times two checks on the ring
    (:func:`_ring_checks`):

    * the ring's detail against its layout, ``r^4 / (r^4 + _DETAIL_OVER_LAYOUT^4)``: a
      patch distance sees a patch's detail and its layout together, so where the ground's
      detail is weak beside its layout (a soft sky, sand, a 1K render's bricks) the match
      pins the copy's layout to the right one; where the detail is strong the layout hides
      in it and the copy's is a draw;
    * how far the two layouts agree against how well a smooth fill predicts this ring's own
      layout, ``1 / (1 + (|gap| / miss)^2)``: where the copy's layout departs from the smooth
      one by far more than a smooth fill errs on the ring, the copy knows something the
      smooth fill cannot (a strip of ground just under a hazy horizon, copied from the same
      elevation)."""
    miss, ratio = _ring_checks(x, hole, depth, outside, params)
    share = free * (ratio**4 / (ratio**4 + _DETAIL_OVER_LAYOUT**4))
    if share.max() <= 0.01:
        return np.zeros_like(gap)
    hole_in = hole[inner]
    weight = hole_in.astype(np.float32)
    low = _normalised(gap * weight[..., None], weight, params.layout_sigma)
    distance = np.einsum("...c,...c->...", low, low)
    share = share * np.exp(-depth[inner] / params.layout_tau) / (
        1.0 + distance / max(miss, 1e-6) ** 2)
    return share[..., None] * low


def _agreement(gap: np.ndarray, thin: np.ndarray, params: FinishScales) -> np.ndarray:
    """``(h, w, 1)`` how far the smooth structure is trusted on the hole's box, given ``gap``
    (``(h, w, C)``, smooth minus copied structure there) and how ``thin`` the hole is there
    (``(h, w)``, :func:`_thin`).

    A smooth fill is an interpolation where the hole is thin (both sides are within reach: a
    tripod leg) and is kept there whatever it says. In a wider hole it extrapolates the
    border: right for shading, wrong for an edge that runs along the border (a horizon just
    above a hole, the foot of a wall), which it carries into the hole as a glow a copy of the
    ground does not have. There it gives way where it differs from the copy by more than
    about ``params.agreement``. Thin: no hole pixel within ``tau`` is deeper than
    ``tau / 2``; wide: some pixel within ``tau`` is deeper than ``tau``."""
    distance = np.sqrt(np.einsum("...c,...c->...", gap, gap))
    agree = 1.0 / (1.0 + (distance / params.agreement) ** 2)
    return (thin + (1.0 - thin) * agree)[..., None]


def _thin(depth: np.ndarray, inner: tuple[slice, slice], tau: float) -> np.ndarray:
    """``(h, w)`` how thin the hole is around each pixel of the box ``inner`` (``depth``: the
    hole's distance map on the whole crop), for a smooth structure reaching ``tau``: 1 where
    no hole pixel within ``tau`` is deeper than ``tau / 2`` (both sides of the hole are within
    reach), 0 where some is deeper than ``tau``. Only the hole pixels' values are worked out."""
    radius = max(1, int(round(tau)))
    # ``thin`` only falls as ``width`` grows, and the deepest pixel within tau is at least as
    # deep as the pixel itself: where its own depth makes ``thin`` 0, so does ``width``. The
    # disc's maximum is needed at the other hole pixels only (a rim of the hole).
    depth_in = depth[inner]
    need = np.zeros(depth.shape, bool)
    need[inner] = (depth_in > 0) & (2.0 - 2.0 * depth_in / tau > 0)
    width = disc_max(depth, radius, need)[inner]  # the deepest hole pixel within tau
    return np.clip(2.0 - 2.0 * width / tau, 0.0, 1.0)


def _box(hole: np.ndarray, margin: int) -> tuple[slice, slice]:
    """The bounding box of ``hole`` grown by ``margin``, clipped to the array."""
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    return (slice(max(rows[0] - margin, 0), min(rows[-1] + 1 + margin, hole.shape[0])),
            slice(max(cols[0] - margin, 0), min(cols[-1] + 1 + margin, hole.shape[1])))
