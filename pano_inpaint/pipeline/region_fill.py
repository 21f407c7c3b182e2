"""Fill one hole region: resample its padded cube faces, let the generator fill them, make the
faces agree where they overlap, and write back only the region's hole pixels.

Values move through three domains (:mod:`pano_inpaint.values`): the panorama's native pixels,
float values, and the display-referred proxy the generator sees; the fill is mapped back exactly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import numpy as np

from pano_inpaint.blend.lights import cap_lights
from pano_inpaint.config import PipelineConfig
from pano_inpaint.generators.base import CubeTiles, Generator
from pano_inpaint.geometry._remap import margin_of
from pano_inpaint.geometry.rotation import rotation_to_angles
from pano_inpaint.pipeline.cube import RegionCube
from pano_inpaint.pipeline.reconcile import reconcile_tiles
from pano_inpaint.pipeline.regions import Region, faces_near_hole
from pano_inpaint.pipeline.result import RegionReport
from pano_inpaint.values import ToneMap, from_values, to_values

__all__ = ["fill_region"]


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
) -> tuple[RegionReport, np.ndarray | None]:
    """Fill one region of ``hole`` (``(H, W)`` bool) into ``out`` (in place). ``ready`` is
    called just before the generator (:class:`~pano_inpaint.pipeline.prepare.Preparation`).
    ``grown``: the hole as the tiles' samples may not read it (None: grown by the kernel's
    reach everywhere; see :func:`~pano_inpaint.pipeline.footprint.sampling_hole`).

    Returns:
        The region's report and the rotation of the cube it was filled on (None: unrotated).
    """
    start = time.perf_counter()
    cube = RegionCube.plan(region, hole.shape, face_size, pad, config.cube, generator)
    tiles = _region_tiles(erp, hole, cube, tone, progress, grown)
    filled = _generate(generator, tiles, ready)
    _agree_on_overlaps(filled, tiles, config.blend.reconcile)

    region_hole = np.zeros_like(hole)
    r0, r1 = region.rows
    region_hole[r0:r1] = region.full_mask_band(hole)
    if tone.hdr:
        # The write-back's kernel (Lanczos) weighs the tiles' known pixels beside the hole: a
        # sun on the border came back as a glow of hundreds and, from the negative lobes, black
        # specks. Only hole pixels are written, so the known ones may be capped for it.
        reach = max(4.0, 0.05 * cube.face_size)  # the finish's ring
        filled = np.stack([cap_lights(tile, hole_, reach)
                           for tile, hole_ in zip(filled, tiles.mask, strict=True)])
    cube.write_back(from_values(filled, erp.dtype), region_hole, out)
    hole_pixels = int(region_hole[r0:r1].sum())
    report = _region_report(region, cube, hole_pixels, time.perf_counter() - start, tiles.notes)
    return report, cube.rotation
