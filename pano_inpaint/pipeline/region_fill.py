"""Fill one hole region: resample its padded cube faces, let the generator fill them, make the
faces agree where they overlap, and write back only the region's hole pixels.

Values move through three domains (:mod:`pano_inpaint.values`): the panorama's native pixels,
float values, and the display-referred proxy the generator sees; the fill is mapped back exactly.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from pano_inpaint.blend.lights import cap_lights, ring_width
from pano_inpaint.config import PipelineConfig
from pano_inpaint.generators.base import CubeTiles, Generator
from pano_inpaint.geometry._remap import PointSampler, margin_of
from pano_inpaint.geometry.conventions import FACE_CENTER
from pano_inpaint.geometry.cubemap import erp_pixel_faces
from pano_inpaint.geometry.rotation import rotation_to_angles, rotation_to_center
from pano_inpaint.geometry.sphere import erp_pixel_to_xyz, xyz_to_face_pixel
from pano_inpaint.pipeline.cube import RegionCube
from pano_inpaint.pipeline.reconcile import reconcile_tiles
from pano_inpaint.pipeline.regions import Region, faces_near_hole, fits_one_tile
from pano_inpaint.pipeline.result import RegionReport
from pano_inpaint.values import ToneMap, from_values, to_values

__all__ = ["FacePart", "face_parts", "fill_region"]


def _six_face_context(
    erp: np.ndarray, hole: np.ndarray, cube: RegionCube, tone: ToneMap, values: np.ndarray,
    tile_hole: np.ndarray, grown: np.ndarray | None = None,
) -> CubeTiles:
    """All six faces of the region's cube, holes marked: the source a generator may search.

    The batch's faces are already converted (``values``, ``tile_hole``): only the others are
    resampled here.
    """
    face_ids, size = cube.face_ids, cube.tile_size
    others = [f for f in range(6) if f not in face_ids]
    all_values = np.empty((6, size, size, values.shape[3]), np.float32)
    all_hole = np.empty((6, size, size), bool)
    for k, face in enumerate(face_ids):
        all_values[face], all_hole[face] = values[k], tile_hole[k]
    if others:
        # Hole maps only for faces the hole can reach (a nadir cap: none of the others).
        near = faces_near_hole(hole, cube.face_size, cube.pad, cube.rotation,
                               margin_of(cube.interpolation) + 2)
        holed = [f for f in others if f in near]
        cube.prepare(hole.shape, holed)
        cube.prepare(hole.shape, others, holes=False)  # all at once (threaded), then sampled
        for face in others:  # one at a time: one native face held, not five (8K: 130 MB less)
            to_values(cube.sample(erp, [face])[0], out=all_values[face])
        all_hole[others] = False
        if holed:
            all_hole[holed] = cube.hole_tiles(hole, holed, grown=grown)
            for face in holed:
                all_values[face][all_hole[face]] = 0
    all_proxy = tone.to_proxy(all_values) if tone.hdr else all_values
    return CubeTiles(all_proxy, all_hole, tuple(range(6)), cube.face_size, cube.pad,
                     values=all_values, to_values=tone.from_proxy, source_dtype=erp.dtype,
                     up=cube.up)


def _region_tiles(
    erp: np.ndarray, hole: np.ndarray, cube: RegionCube, tone: ToneMap,
    progress: Callable[[float], None], grown: np.ndarray | None = None,
) -> CubeTiles:
    """The padded faces of ``cube`` with the hole blanked, as the generator receives them
    (``grown``: the panorama pixels no known tile pixel may read, see ``hole_tiles``)."""
    cube.prepare(hole.shape, cube.face_ids)
    values = to_values(cube.sample(erp, cube.face_ids))
    tile_hole = cube.hole_tiles(hole, cube.face_ids, grown=grown)
    values[tile_hole] = 0
    proxy = tone.to_proxy(values) if tone.hdr else values
    context = partial(_six_face_context, erp, hole, cube, tone, values, tile_hole, grown)
    return CubeTiles(
        proxy, tile_hole, tuple(cube.face_ids), cube.face_size, cube.pad, values=values,
        to_values=tone.from_proxy, progress=progress, context=context, source_dtype=erp.dtype,
        up=cube.up,
    )


def _generate(generator: Generator, tiles: CubeTiles, ready: Callable[[], None]) -> np.ndarray:
    """The generator's fill of ``tiles`` in the value domain, known pixels restored exactly.
    ``ready()`` first: it waits for the generator's preparation and raises its error.

    A generator that asks for the six faces first thing (``uses_context``) has them built before
    that wait, while its preparation may still be loading (PatchMatch's kernels: 0.6-0.9 CPU s,
    more than the faces of a small hole take to resample), not after it. They are the
    generator's to keep or drop once it returns (8K: 0.9 GB)."""
    values, lazy = tiles.values, tiles.context
    try:
        if lazy is not None and getattr(generator, "uses_context", False):
            built = lazy()
            tiles.context = lambda: built
        ready()
        filled = np.asarray(generator.inpaint(tiles), dtype=np.float32)
    finally:
        tiles.context = lazy
    if filled.shape != values.shape:
        raise RuntimeError(
            f"generator {generator.name!r} returned shape {filled.shape}, expected {values.shape}"
        )
    np.copyto(filled, values, where=~tiles.mask[..., None])  # known pixels stay known
    return filled


def _agree_on_overlaps(filled: np.ndarray, tiles: CubeTiles, reconcile: bool) -> None:
    """Blend neighbouring faces' overlaps so they agree at the edges (unless the generator did
    so itself: ``tiles.reconciled``), then re-pad, in place."""
    if reconcile and len(tiles.face_ids) > 1 and not tiles.reconciled:
        reconcile_tiles(filled, tiles.mask, tiles.face_ids, tiles.pad)
    tiles.repad(filled)


def _region_report(region: Region, cube: RegionCube, hole_pixels: int,
                   seconds: float, notes: list[str]) -> RegionReport:
    lon = np.degrees(np.arctan2(region.centroid[0], region.centroid[2]))
    lat = np.degrees(np.arcsin(np.clip(region.centroid[1], -1, 1)))
    rotation = None if cube.rotation is None else tuple(
        float(np.degrees(a)) for a in rotation_to_angles(cube.rotation))
    return RegionReport(
        index=region.index,
        area_fraction=region.area,
        centre_lonlat_degrees=(float(lon), float(lat)),
        rotation_degrees=rotation,
        faces=["FRBLUD"[f] for f in cube.face_ids],
        face_size=cube.face_size,
        pad=cube.pad,
        hole_pixels=hole_pixels,
        seconds=seconds,
        notes=list(notes),
    )


def _band_faces(region: Region, hole: np.ndarray, rotation: np.ndarray | None) -> np.ndarray:
    """``(r1 - r0, W)`` int8 over the region's rows: the face of the cube ``rotation`` makes
    that writes each of its hole pixels back, -1 elsewhere (in strips of rows: a full-height
    region of a 16K panorama would otherwise hold 1.6 GB of directions at once)."""
    r0, r1 = region.rows
    height, width = hole.shape
    labels = np.full((r1 - r0, width), -1, np.int8)
    region_hole = region.full_mask_band(hole)
    step = max(1, (1 << 20) // width)
    for top in range(0, r1 - r0, step):
        band = region_hole[top : top + step]
        if band.any():
            faces = erp_pixel_faces(height, width, (r0 + top, r0 + top + band.shape[0]),
                                    rotation=rotation)
            labels[top : top + step][band] = faces[band]
    return labels


# A region one face holds this much of is filled on its faces at once even when it spills out
# of that face's padded tile: its other faces hold tips only (a tripod's legs beyond the down
# face: 0.96-0.98 of the pixels on it; cut into parts, the tripods of ev.sh moved both ways,
# +0.04 / -0.04 dB on seeds 0 / 1, forest_slope -0.74 dB). A 110-degree band has 0.82 on its
# middle face, and its seams on four panoramas fell from 1.30 to 1.05 cut into parts.
_ONE_FACE_SHARE = 0.9


@dataclasses.dataclass(frozen=True)
class FacePart:
    """One part of a region filled face by face (:func:`face_parts`).

    Attributes:
        cube: the region's cube with this part's face only.
        write: ``(r1 - r0, W)`` bool over the region's rows: the pixels the part fills.
        seam_rows, seam_cols: ``(n,)`` panorama pixels of parts filled before this one that
            this face's padding holds within ``seam_width`` of its edge: filled again, and
            cross-faded from the earlier fill to this one.
        seam_x, seam_y: ``(n,)`` where those pixels lie on this part's padded tile.
        seam_weight: ``(n,)`` this part's share at those pixels: 1 at the face's edge, 0 at
            ``seam_width`` tile pixels beyond it.
    """

    cube: RegionCube
    write: np.ndarray
    seam_rows: np.ndarray
    seam_cols: np.ndarray
    seam_x: np.ndarray
    seam_y: np.ndarray
    seam_weight: np.ndarray


def _seam(labels: np.ndarray, r0: int, earlier: list[int], cube: RegionCube, width: float,
          shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """The pixels of the ``earlier`` faces' parts that ``cube``'s one face sees within
    ``width`` tile pixels beyond its edge: their rows and columns, where they lie on the tile,
    and this face's weight there (see :class:`FacePart`)."""
    ys, xs = np.nonzero(np.isin(labels, earlier))
    xyz = erp_pixel_to_xyz(xs.astype(np.float64), (ys + r0).astype(np.float64), *shape)
    if cube.rotation is not None:
        xyz = xyz @ cube.rotation  # panorama frame -> cube frame
    face, size, pad = cube.face_ids[0], cube.face_size, cube.pad
    with np.errstate(divide="ignore", invalid="ignore"):
        x, y = xyz_to_face_pixel(xyz, face, size, pad)
    outside = np.maximum.reduce([pad - 0.5 - x, x - (pad + size - 0.5),
                                 pad - 0.5 - y, y - (pad + size - 0.5)])
    near = np.isfinite(outside) & (outside < width)
    weight = 1 - np.clip(outside[near], 0, None) / width
    return ys[near] + r0, xs[near], x[near], y[near], weight.astype(np.float32)


def _upright_rotation(region: Region, config: PipelineConfig) -> np.ndarray | None:
    """A turn about the vertical axis only that brings the region's longitude to a side face's
    centre (None: a ring, or a turn under ``cube.min_rotation_degrees``).

    The parts of a region cut face by face meet on cube edges; turned only about the vertical,
    the side faces' edges stay meridians and a band stays level on every face. Centred on its
    tilted centroid instead, QA's half band (latitudes 0 to 10) was pitched by 8.6 degrees, and
    its seams measured 1.40 over four seeds against 0.85 turned about the vertical (main 1.21).
    """
    x, _, z = region.centroid
    level = float(np.hypot(x, z))
    if not config.cube.rotate or level < 1e-6:
        return None
    direction = np.array([x / level, 0.0, z / level])
    rotation, face = rotation_to_center(direction)
    angle = np.degrees(np.arccos(np.clip(FACE_CENTER[face] @ direction, -1, 1)))
    return rotation if angle >= config.cube.min_rotation_degrees else None


def face_parts(
    region: Region, hole: np.ndarray, face_size: int, pad: int, config: PipelineConfig,
    generator: Generator, cube: RegionCube | None = None,
) -> list[FacePart] | None:
    """How to fill a region no padded face holds whole, or None for one that fits a face (or
    nearly: one face holds ``_ONE_FACE_SHARE`` of its pixels).

    Such a region (a band around the horizon: its centre is undefined, so it is not even
    rotated) was filled on all its faces at once, each face's fill seeing its neighbours' only
    as hole pixels of its border that the generator re-pads while it searches: two fills meet
    at every shared edge, and a box on one face became a wall on the next. Here it is cut along
    its cube's edges instead, one part per face, the largest first; each part is filled on its
    own face with the remaining parts as hole, and the parts filled before it, seen through its
    padding, are known pixels it has to continue, as any hole edge.

    Where a part meets one filled before it, the earlier fill is taken back over a strip
    (half the padding) beyond the face's edge and filled again with this part, and the two
    fills are cross-faded over that strip: the new fill there continues the earlier one seen
    beyond the strip, and the fade hides the step a fill leaves at any hole edge.

    ``cube``: the region's cube as :meth:`RegionCube.plan` makes it, if the caller has it.

    Returns:
        The parts in filling order.
    """
    if cube is None:
        cube = RegionCube.plan(region, hole.shape, face_size, pad, config.cube, generator)
    if not config.cube.split_wide or len(cube.face_ids) < 2 or fits_one_tile(
            region, *hole.shape, face_size, pad, cube.rotation):
        return None
    cube = dataclasses.replace(cube, rotation=_upright_rotation(region, config))
    labels = _band_faces(region, hole, cube.rotation)
    counts = np.bincount(labels[labels >= 0], minlength=6)
    if counts.max() >= _ONE_FACE_SHARE * counts.sum():
        return None
    order = [int(f) for f in np.argsort(-counts, kind="stable") if counts[f] > 0]
    parts = []
    for k, face in enumerate(order):
        one = dataclasses.replace(cube, face_ids=[face])
        # Half the padding: the refill fades in over it, and continues the earlier fill the
        # other half shows it, known. (The figure does not tell widths apart: seams over 8
        # bands of 4 panoramas 1.10 at 20 px of 41, 1.10 at 30, 1.12 at 39; main 1.43.)
        seam = _seam(labels, region.rows[0], order[:k], one, max(1, pad // 2), hole.shape)
        parts.append(FacePart(one, labels == face, *seam))
    return parts


def _cross_fade(tiles: np.ndarray, part: FacePart, out: np.ndarray) -> None:
    """Blend the refill of ``part``'s seam pixels, read from its tile's padding (native
    ``(1, P, P, C)``), into the earlier fill in ``out``, in place."""
    height, width = out.shape[:2]
    new = PointSampler.build(part.seam_x, part.seam_y, "bilinear")(tiles[0]).reshape(
        part.seam_x.size, -1)  # (n, C)
    target = out.reshape(height, width, -1)
    old = target[part.seam_rows, part.seam_cols].astype(np.float32)
    weight = part.seam_weight[:, None]
    mixed = old + weight * (new.astype(np.float32) - old)
    if np.issubdtype(out.dtype, np.integer):
        info = np.iinfo(out.dtype)
        mixed = np.clip(np.rint(mixed), info.min, info.max)
    target[part.seam_rows, part.seam_cols] = mixed.astype(out.dtype)


def fill_region(
    region: Region,
    erp: np.ndarray,
    hole: np.ndarray,
    out: np.ndarray,
    generator: Generator,
    config: PipelineConfig,
    tone: ToneMap,
    face_size: int,
    pad: int,
    progress: Callable[[float], None],
    ready: Callable[[], None] = lambda: None,
    grown: np.ndarray | None = None,
    part: FacePart | None = None,
    cube: RegionCube | None = None,
) -> tuple[RegionReport, np.ndarray | None]:
    """Fill one region of ``hole`` (``(H, W)`` bool) into ``out`` (in place). ``ready`` is
    called just before the generator (:class:`~pano_inpaint.pipeline.prepare.Preparation`).
    ``grown``: the hole as the tiles' samples may not read it (None: grown by the kernel's
    reach everywhere; see :func:`~pano_inpaint.pipeline.footprint.sampling_hole`).

    ``part``: one part of a region filled face by face (:func:`face_parts`); ``hole`` is then
    the hole still unfilled, its seam pixels included. ``cube``: the region's planned cube, if
    the caller has it (:meth:`RegionCube.plan`).

    Returns:
        The region's report and the rotation of the cube it was filled on (None: unrotated).
    """
    start = time.perf_counter()
    if part is not None:
        cube = part.cube
    elif cube is None:
        cube = RegionCube.plan(region, hole.shape, face_size, pad, config.cube, generator)
    tiles = _region_tiles(erp, hole, cube, tone, progress, grown)
    filled = _generate(generator, tiles, ready)
    _agree_on_overlaps(filled, tiles, config.blend.reconcile)

    region_hole = np.zeros_like(hole)
    r0, r1 = region.rows
    region_hole[r0:r1] = region.full_mask_band(hole) if part is None else part.write
    if tone.hdr:
        # The write-back's kernel (Lanczos) weighs the tiles' known pixels beside the hole: a
        # sun on the border came back as a glow of hundreds and, from the negative lobes, black
        # specks. Only hole pixels are written, so the known ones may be capped for it.
        reach = ring_width(cube.face_size)
        filled = np.stack([cap_lights(tile, hole_, reach)
                           for tile, hole_ in zip(filled, tiles.mask, strict=True)])
    native = from_values(filled, erp.dtype)
    if part is not None and part.seam_rows.size:
        _cross_fade(native, part, out)
    cube.write_back(native, region_hole, out)
    hole_pixels = int(region_hole[r0:r1].sum())
    report = _region_report(region, cube, hole_pixels, time.perf_counter() - start, tiles.notes)
    return report, cube.rotation
