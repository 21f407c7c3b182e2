"""The inpainting pipeline: mask -> rotated cube -> seam-aware generator -> blended write-back.

Reads top to bottom:

1. validate the panorama and mask; an empty mask returns the input, a huge one is refused;
2. split the mask into regions on the sphere (wrap line and poles joined);
3. per region: rotate the sphere so the region sits at a face centre, convert only the faces whose
   padded tiles it touches, let the generator fill them, reconcile the faces' overlaps and
   re-pad, and write back only the masked pixels;
4. feather-match the colour inside the hole edge;
5. measure the wrap, pole, seam and boundary consistency of the result.

Known pixels are never written: the output equals the input bit for bit outside the mask.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from pano_inpaint._checks import check_erp, check_mask
from pano_inpaint.blend.colour import match_boundary_colour
from pano_inpaint.config import PipelineConfig
from pano_inpaint.consistency import ConsistencyReport, check_consistency
from pano_inpaint.generators import CubeTiles, Generator, get_generator
from pano_inpaint.geometry._remap import margin_of
from pano_inpaint.geometry.cubemap import erp_to_cube, tiles_to_erp
from pano_inpaint.geometry.rotation import rotation_to_angles
from pano_inpaint.masks import dilate_mask, mask_fraction
from pano_inpaint.pipeline.reconcile import reconcile_tiles
from pano_inpaint.pipeline.regions import Region, faces_near_hole, find_regions, plan_cube
from pano_inpaint.values import ToneMap, from_values, is_hdr, to_values

__all__ = ["InpaintResult", "RegionReport", "inpaint", "native_face_size"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
_DEFAULT_PAD_FRACTION = 1 / 8
_DEFAULT_INTERPOLATION = "bilinear"


@dataclass
class RegionReport:
    """How one hole region was filled."""

    index: int
    area_fraction: float
    centre_lonlat_degrees: tuple[float, float]
    rotation_degrees: tuple[float, float, float] | None
    faces: list[str]
    face_size: int
    pad: int
    hole_pixels: int
    seconds: float


@dataclass
class InpaintResult:
    """The filled panorama (same shape and dtype as the input) and how it was made."""

    image: np.ndarray
    report: ConsistencyReport
    regions: list[RegionReport] = field(default_factory=list)
    generator: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {
            "generator": self.generator,
            "seconds": self.seconds,
            "regions": [asdict(r) for r in self.regions],
            "consistency": self.report.to_dict(),
        }


def native_face_size(width: int) -> int:
    """Face size whose centre pixels span the same angle as the panorama's pixels: ``W / pi``
    (a face is 2 tangent units across, an equirectangular pixel ``2 pi / W`` radians), rounded
    up to a multiple of 8.

    Example:
        >>> native_face_size(4096)
        1304
    """
    return int(np.ceil(width / np.pi / 8) * 8)


def _resolve_sizes(config: PipelineConfig, width: int, generator: Generator) -> tuple[int, int]:
    if config.cube.face_size == "auto":
        face_size = native_face_size(width)
    else:
        face_size = int(config.cube.face_size)
    if face_size < 8:
        raise ValueError(f"face size {face_size} is too small (panorama width {width})")
    if config.cube.pad == "auto":
        fraction = float(getattr(generator, "pad_fraction", _DEFAULT_PAD_FRACTION))
        pad = max(4, int(round(face_size * fraction)))
    else:
        pad = int(config.cube.pad)
    return face_size, min(pad, face_size)


def _tile_hole(
    hole_u8: np.ndarray, face_size: int, pad: int, rotation: np.ndarray | None,
    face_ids: Sequence[int], interpolation: str,
) -> np.ndarray:
    """Tile pixels whose interpolation kernel touches a hole pixel: they are unknown too.

    Bilinear marks those within a pixel; wider kernels reach further, so the mark is grown by
    their extra reach (a lanczos mask itself would hide some under its negative lobes).
    """
    tiles = erp_to_cube(hole_u8, face_size, pad=pad, rotation=rotation, face_ids=face_ids) > 0
    reach = margin_of(interpolation) - margin_of("bilinear")
    if reach > 0:
        kernel = np.ones((2 * reach + 1,) * 2, np.uint8)
        tiles = np.stack([cv2.dilate(t.view(np.uint8), kernel).view(bool) for t in tiles])
    return tiles


def _fill_region(
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
) -> tuple[RegionReport, np.ndarray | None]:
    """Fill one region of ``hole`` into ``out`` (in place). Returns its report and rotation."""
    start = time.perf_counter()
    height, width = hole.shape
    rotation, face_ids = plan_cube(
        region, height, width, face_size, pad,
        rotate=config.cube.rotate, min_rotation_degrees=config.cube.min_rotation_degrees,
    )
    interp = config.cube.interpolation
    if interp == "auto":
        interp = getattr(generator, "interpolation", _DEFAULT_INTERPOLATION)
    hole_u8 = hole.view(np.uint8) * np.uint8(255)
    native = erp_to_cube(erp, face_size, pad=pad, rotation=rotation, face_ids=face_ids,
                         interpolation=interp)
    native = native[..., None] if native.ndim == 3 else native
    tile_hole = _tile_hole(hole_u8, face_size, pad, rotation, face_ids, interp)
    values = to_values(native)
    values[tile_hole] = 0
    proxy = tone.to_proxy(values) if tone.hdr else values

    def context() -> CubeTiles:
        # The batch's faces are already converted: only the others are resampled here.
        others = [f for f in range(6) if f not in face_ids]
        size = face_size + 2 * pad
        all_values = np.empty((6, size, size, values.shape[3]), np.float32)
        all_hole = np.empty((6, size, size), bool)
        for k, face in enumerate(face_ids):
            all_values[face], all_hole[face] = values[k], tile_hole[k]
        if others:
            more = erp_to_cube(erp, face_size, pad=pad, rotation=rotation, face_ids=others,
                               interpolation=interp)
            more = more[..., None] if more.ndim == 3 else more
            for k, face in enumerate(others):
                to_values(more[k], out=all_values[face])
            all_hole[others] = False
            # Hole maps only for faces the hole can reach (a nadir cap: none of the others).
            near = faces_near_hole(hole, face_size, pad, rotation, margin_of(interp) + 2)
            holed = [f for f in others if f in near]
            if holed:
                all_hole[holed] = _tile_hole(hole_u8, face_size, pad, rotation, holed, interp)
                for face in holed:
                    all_values[face][all_hole[face]] = 0
        all_proxy = tone.to_proxy(all_values) if tone.hdr else all_values
        return CubeTiles(all_proxy, all_hole, tuple(range(6)), face_size, pad,
                         values=all_values, to_values=tone.from_proxy, source_dtype=erp.dtype)

    tiles = CubeTiles(
        proxy, tile_hole, tuple(face_ids), face_size, pad, values=values,
        to_values=tone.from_proxy, progress=progress, context=context,
        source_dtype=erp.dtype,
    )
    filled = np.asarray(generator.inpaint(tiles), dtype=np.float32)
    if filled.shape != values.shape:
        raise RuntimeError(
            f"generator {generator.name!r} returned shape {filled.shape}, expected {values.shape}"
        )
    np.copyto(filled, values, where=~tile_hole[..., None])  # known pixels stay known
    if config.blend.reconcile and len(face_ids) > 1:
        reconcile_tiles(filled, tile_hole, face_ids, pad)
    tiles.repad(filled)

    region_hole = np.zeros_like(hole)
    r0, r1 = region.rows
    region_hole[r0:r1] = region.full_mask_band(hole)
    filled_native = from_values(filled, erp.dtype)
    target = out[..., None] if out.ndim == 2 else out
    tiles_to_erp(filled_native, face_ids, pad, height, width, rotation=rotation,
                 interpolation=interp, mask=region_hole, out=target)

    lon, lat = np.degrees(np.arctan2(region.centroid[0], region.centroid[2])), np.degrees(
        np.arcsin(np.clip(region.centroid[1], -1, 1)))
    report = RegionReport(
        index=region.index,
        area_fraction=region.area,
        centre_lonlat_degrees=(float(lon), float(lat)),
        rotation_degrees=None if rotation is None else tuple(
            float(np.degrees(a)) for a in rotation_to_angles(rotation)),
        faces=["FRBLUD"[f] for f in face_ids],
        face_size=face_size,
        pad=pad,
        hole_pixels=int(region_hole[r0:r1].sum()),
        seconds=time.perf_counter() - start,
    )
    return report, rotation


def _match_colour(out: np.ndarray, hole: np.ndarray, tone: ToneMap, feather: int) -> None:
    """Feathered colour matching on the rows around the hole, in place."""
    rows = np.flatnonzero(hole.any(axis=1))
    margin = 2 * feather
    r0, r1 = max(0, rows[0] - margin), min(hole.shape[0], rows[-1] + margin + 1)
    band = out[r0:r1]
    band = band[..., None] if band.ndim == 2 else band
    proxy = tone.to_proxy(to_values(band))
    match_boundary_colour(proxy, hole[r0:r1], feather)
    corrected = from_values(tone.from_proxy(proxy), out.dtype)
    np.copyto(band, corrected, where=hole[r0:r1, :, None])


def inpaint(
    erp: np.ndarray,
    mask: np.ndarray,
    *,
    generator: str | Generator | None = None,
    config: PipelineConfig | None = None,
    progress: Progress | None = None,
) -> InpaintResult:
    """Fill the holes of an equirectangular panorama so no seam, pole smear or wrap break shows.

    Args:
        erp: ``(H, W)`` or ``(H, W, C)`` panorama with ``W == 2 * H``; uint8, uint16 or float32
            (float with values above 1 is treated as linear HDR; never clipped).
        mask: ``(H, W)`` hole mask, True (non-zero) = pixels to replace.
        generator: a registered name (``list_generators()``) or a generator instance; default
            ``config.generator``.
        config: pipeline configuration (default ``PipelineConfig()``).
        progress: optional ``callback(fraction, stage)``.

    Returns:
        :class:`InpaintResult` with ``.image`` (same shape and dtype as ``erp``; identical to it
        outside the (dilated) mask) and ``.report`` (a :class:`ConsistencyReport`).

    Raises:
        ValueError: not 2:1, mask of another size, hole larger than ``mask.max_fraction``.
        TypeError: unsupported dtype.
        UnknownGeneratorError: unknown generator name.

    Example:
        >>> from pano_inpaint.masks import nadir_mask
        >>> img = np.full((64, 128, 3), 100, np.uint8)
        >>> result = inpaint(img, nadir_mask(64, 128, 20), generator="telea")
        >>> bool((result.image == 100).all())
        True
    """
    start = time.perf_counter()
    config = config or PipelineConfig()
    height, width, _ = check_erp(erp)
    mask = check_mask(mask, height, width)
    report_progress = progress or (lambda fraction, stage: None)

    if isinstance(generator, str) or generator is None:
        name = generator or config.generator.name
        params = config.generator.params if name == config.generator.name else {}
        gen = get_generator(name, **params)
    else:
        gen = generator

    hole = dilate_mask(mask, config.mask.dilate)
    fraction = mask_fraction(hole)
    if fraction == 0:
        report = check_consistency(erp, None)
        report.notes.append("empty mask: the panorama is returned unchanged")
        return InpaintResult(erp.copy(), report, [], gen.name, time.perf_counter() - start)
    if fraction > config.mask.max_fraction:
        raise ValueError(
            f"the mask covers {fraction:.0%} of the sphere, more than the allowed "
            f"{config.mask.max_fraction:.0%}; nothing sensible can be filled from so little "
            "context (raise mask.max_fraction in the config to try anyway)"
        )

    hdr = is_hdr(erp, config.hdr.mode)
    tone = ToneMap.for_image(erp, hdr=hdr, key=config.hdr.key)
    face_size, pad = _resolve_sizes(config, width, gen)
    regions = find_regions(hole, config.mask.region_gap_degrees)
    out = erp.copy()
    reports, rotations = [], []
    for i, region in enumerate(regions):
        def step(done: float, i: int = i) -> None:
            report_progress((i + done) / len(regions) * 0.9, f"filling region {i + 1}")

        step(0.0)
        region_report, rotation = _fill_region(
            region, erp, hole, out, gen, config, tone, face_size, pad, step
        )
        reports.append(region_report)
        rotations.append(rotation)
        log.info("region %d: faces %s in %.2fs", region.index, region_report.faces,
                 region_report.seconds)

    if config.blend.match_colour:
        feather = max(4, width // 256) if config.blend.feather == "auto" else config.blend.feather
        if feather > 0:
            _match_colour(out, hole, tone, feather)

    report_progress(0.95, "checking consistency")
    report = check_consistency(
        out, hole, rotations=rotations or [None], reference=erp, config=config.checks, hdr=hdr
    )
    if config.mask.dilate:
        report.notes.append(f"mask dilated by {config.mask.dilate} px before filling")
    report_progress(1.0, "done")
    return InpaintResult(out, report, reports, gen.name, time.perf_counter() - start)
