"""The inpainting pipeline: mask -> rotated cube -> seam-aware generator -> blended write-back.

Reads top to bottom:

1. validate the panorama and mask; an empty mask returns the input, a huge one is refused;
2. split the mask into regions on the sphere (wrap line and poles joined);
3. per region (:func:`~pano_inpaint.pipeline.region_fill.fill_region`): rotate the sphere so the
   region sits at a face centre, convert only the faces whose padded tiles it touches, let the
   generator fill them, reconcile the faces' overlaps and re-pad, and write back only the masked
   pixels; a region no padded face holds whole (a band around the horizon) is filled one face
   at a time instead, each part continuing the parts filled before it
   (:func:`~pano_inpaint.pipeline.region_fill.face_parts`);
4. move the fill of smooth row runs (a clear sky) onto the line between their ends, and
   feather-match the colour inside the hole edge;
5. measure the wrap, pole, seam and boundary consistency of the result.

Known pixels are never written: the output equals the input bit for bit outside the mask.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import numpy as np

from pano_inpaint._checks import (
    all_finite,
    check_erp,
    check_mask,
    check_panorama_size,
    finite_stand_in,
)
from pano_inpaint.blend.colour import match_boundary_colour_rows
from pano_inpaint.blend.lights import cap_lights
from pano_inpaint.blend.rows import follow_smooth_rows
from pano_inpaint.config import PipelineConfig
from pano_inpaint.consistency import check_consistency
from pano_inpaint.generators.base import Generator
from pano_inpaint.generators.registry import get_generator
from pano_inpaint.masks import dilate_mask, mask_fraction
from pano_inpaint.pipeline.cube import (
    RegionCube,
    cube_interpolation,
    face_size_and_pad,
    kernel_reach,
)
from pano_inpaint.pipeline.footprint import prefill_ring, sampling_hole, thin_depth_pixels
from pano_inpaint.pipeline.prepare import Preparation
from pano_inpaint.pipeline.region_fill import FacePart, face_parts, fill_region
from pano_inpaint.pipeline.regions import Region, find_regions
from pano_inpaint.pipeline.result import InpaintResult, RegionReport
from pano_inpaint.values import LogBrightness, ToneMap, from_values, is_hdr, to_values

__all__ = ["Progress", "hole_to_fill", "inpaint"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


def _resolve_generator(generator: str | Generator | None, config: PipelineConfig) -> Generator:
    """An instance: a given one as is; a name built with the config's params when it is the
    config's own generator, else with its defaults."""
    if generator is not None and not isinstance(generator, str):
        return generator
    name = generator or config.generator.name
    params = config.generator.params if name == config.generator.name else {}
    return get_generator(name, **params)


def hole_to_fill(mask: np.ndarray, config: PipelineConfig) -> tuple[np.ndarray, float]:
    """The hole a fill of ``mask`` (``(H, W)`` bool) fills: ``mask`` grown by ``mask.dilate``,
    ``(H, W)`` bool, and the share of the sphere it covers. The web app calls it when a fill is
    asked for, so that a hole too large is refused then, with the words of the command line.

    Raises:
        ValueError: the hole covers more than ``mask.max_fraction`` of the sphere.
    """
    hole = dilate_mask(mask, config.mask.dilate)
    fraction = mask_fraction(hole)
    if fraction > config.mask.max_fraction:
        raise ValueError(
            f"the mask covers {fraction:.0%} of the sphere, more than the allowed "
            f"{config.mask.max_fraction:.0%}; nothing sensible can be filled from so little "
            "context (raise mask.max_fraction in the config to try anyway)"
        )
    return hole, fraction


def _non_finite(erp: np.ndarray) -> np.ndarray | None:
    """Where a float image is NaN or infinite, ``(H, W[, C])`` bool; None when it is finite
    everywhere (a finite image costs its minimum and maximum and no mask)."""
    return None if all_finite(erp) else ~np.isfinite(erp)


def _fill_in_parts(
    region: Region, parts: list[FacePart], out: np.ndarray, hole: np.ndarray,
    grown: np.ndarray, reach: int, generator: Generator,
    config: PipelineConfig, tone: ToneMap, face_size: int, pad: int,
    step: Callable[[float], None], ready: Callable[[], None],
) -> tuple[RegionReport, np.ndarray | None]:
    """Fill ``region`` part by part (:func:`~pano_inpaint.pipeline.region_fill.face_parts`)
    into ``out``, each part reading ``out`` with the parts before it known; one report for
    the region and the rotation of its cube."""
    start = time.perf_counter()
    r0, r1 = region.rows
    remaining = hole.copy()
    reports = []
    for k, part in enumerate(parts):
        # The hole of this part's tile: the hole still unfilled and the seam it fills again;
        # what its samples may not read: that hole grown as ``grown`` grows it (thin parts
        # ungrown, the seam by the kernel's reach). The parts written so far are known now.
        seam = np.zeros_like(hole)
        seam[part.seam_rows, part.seam_cols] = True
        part_hole = remaining | seam
        unread = part_hole
        if reach:
            unread = grown & dilate_mask(remaining, reach, footprint="square")
            unread |= dilate_mask(seam, reach, footprint="square")
        report, rotation = fill_region(
            region, out, part_hole, out, generator, config, tone, face_size, pad,
            lambda done, k=k: step((k + done) / len(parts)), ready, unread, part,
        )
        remaining[r0:r1] &= ~part.write
        reports.append(report)
        if out.dtype.kind == "f" and k + 1 < len(parts):
            # The next part reads this one as the output will hold it: clipped as below.
            written = out[r0:r1]
            where = (part.write | seam[r0:r1]).reshape(
                written.shape[:2] + (1,) * (written.ndim - 2))
            np.clip(written, 0, None if tone.hdr else 1, out=written, where=where)
    faces = [face for r in reports for face in r.faces]
    notes = [f"filled face by face ({''.join(faces)}): no padded face holds it whole"]
    notes += [note for r in reports for note in r.notes]
    first = reports[0]
    region_report = dataclasses.replace(
        first, faces=faces, hole_pixels=sum(r.hole_pixels for r in reports),
        seconds=time.perf_counter() - start, notes=notes)
    return region_report, rotation


def _fill_regions(
    erp: np.ndarray, hole: np.ndarray, generator: Generator, config: PipelineConfig,
    tone: ToneMap, report_progress: Progress, ready: Callable[[], None],
) -> tuple[np.ndarray, list[RegionReport], list[np.ndarray | None]]:
    """Fill every region of ``hole`` in turn; returns the filled copy, reports and rotations.
    ``ready`` is called before each generator call (the generator's preparation)."""
    face_size, pad = face_size_and_pad(config.cube, erp.shape[1], generator)
    regions = find_regions(hole, config.mask.region_gap_degrees)
    out = erp.copy()
    # Thin parts of the hole are not grown by the kernel's reach (``footprint``): the samples
    # next to them read the hole's first rings, filled here in ``out``, which the regions then
    # sample (their own writes land on hole pixels only, rings included).
    reach = kernel_reach(cube_interpolation(config.cube, generator))
    grown, thin = sampling_hole(hole, reach,
                                thin_depth_pixels(config.cube.thin_depth, erp.shape[1]))
    source = erp
    if thin:
        prefill_ring(out, hole, reach)
        source = out
    reports, rotations = [], []
    for i, region in enumerate(regions):
        def step(done: float, i: int = i) -> None:
            report_progress((i + done) / len(regions) * 0.9, f"filling region {i + 1}")

        step(0.0)
        # Planned once: whether it is cut into parts, and the cube it is filled on if not.
        cube = RegionCube.plan(region, hole.shape, face_size, pad, config.cube, generator)
        # The cube's padding: wider than ``pad`` for a region that covers its face.
        parts = face_parts(region, hole, face_size, cube.pad, config, generator, cube)
        if parts is None:
            region_report, rotation = fill_region(
                region, source, hole, out, generator, config, tone, face_size, cube.pad, step,
                ready, grown, cube=cube,
            )
        else:
            region_report, rotation = _fill_in_parts(
                region, parts, out, hole, grown, reach, generator, config, tone, face_size,
                cube.pad, step, ready,
            )
        reports.append(region_report)
        rotations.append(rotation)
        log.info("region %d: faces %s in %.2fs", region.index, region_report.faces,
                 region_report.seconds)
    if out.dtype.kind == "f":
        # The way back's kernel rings (bicubic and lanczos have negative lobes): beside a bright
        # fill (an HDR sun's copy) it writes negative radiance, which ``from_values`` had taken
        # out of the tiles (blazes of 10^4: down to -1167 bicubic, -2132 lanczos). Once all
        # regions are written, so none samples another's pixels changed; the colour matching,
        # when on, clips them the same way. A float image not taken for HDR (no value above 1,
        # or ``hdr.mode: off``) is also kept at most 1, as the generator's proxy clipped it:
        # above it, the next read would take a display-referred image for HDR.
        rows = np.flatnonzero(hole.any(axis=1))
        band = out[rows[0] : rows[-1] + 1]
        where = hole[rows[0] : rows[-1] + 1].reshape(band.shape[:2] + (1,) * (band.ndim - 2))
        np.clip(band, 0, None if tone.hdr else 1, out=band, where=where)
    return out, reports, rotations


# How far (every channel) a fill may lie from the line between a smooth row run's ends and
# still be moved onto it fully, and from how far not at all (``blend.rows``): 3 and 6 levels
# of an 8-bit image, or 1.2% and 2.4% in log brightness (HDR). A rendered sky's fill lay
# within 1-3 levels of its truth.
_ROWS_NEAR, _ROWS_FAR = 3 / 255, 6 / 255
_ROWS_MARGIN = 4  # rows of known pixels above and below the hole the rows step reads


def _finish_band(out: np.ndarray, hole: np.ndarray, tone: ToneMap, feather: int,
                 follow_rows: bool) -> None:
    """The fill's finish on the rows around the hole, in place: smooth row runs onto their
    line (``follow_rows``, :func:`~pano_inpaint.blend.rows.follow_smooth_rows`), then the
    feathered colour matching (``feather`` > 0). On the values of a display-referred image, in
    log brightness for HDR (an offset there is a gain). Not in the proxy: its inverse is
    unbounded near 1, and on dikhololo_night's sky (proxy 0.97) matched pixels reached its top
    and came back at 41513, 570 times the panorama's brightest pixel."""
    rows = np.flatnonzero(hole.any(axis=1))
    margin = max(2 * feather, _ROWS_MARGIN)
    r0, r1 = max(0, rows[0] - margin), min(hole.shape[0], rows[-1] + margin + 1)
    band = out[r0:r1]
    band = band[..., None] if band.ndim == 2 else band
    values = to_values(band)
    if tone.hdr:
        domain = LogBrightness.of(values, ~hole[r0:r1])
        forward, inverse = domain.forward, domain.inverse
    else:
        forward, inverse = tone.to_proxy, tone.from_proxy
    work = forward(values)
    holes = hole[r0:r1]
    changed = np.zeros(r1 - r0, bool)
    if follow_rows:
        changed |= follow_smooth_rows(work, holes, _ROWS_NEAR, _ROWS_FAR)
    if feather > 0:
        colour = work
        if tone.hdr:
            # A light on the border (a sun) would raise the ring's mean the fill is matched
            # to: the fill glowed (a sun of 10^4 beside a sky of 1.6: the hole's mean 4.4 ->
            # 25). The matching changes hole pixels only, so the known ones may be capped for
            # it. The band is capped with its columns wrapped, as the matching reads it.
            wrap = min(work.shape[1], 2 * margin)
            wrapped = np.concatenate([work[:, -wrap:], work, work[:, :wrap]], axis=1)
            capped = cap_lights(wrapped, np.concatenate(
                [holes[:, -wrap:], holes, holes[:, :wrap]], axis=1), margin)
            if capped is not wrapped:
                colour = np.ascontiguousarray(capped[:, wrap : wrap + work.shape[1]])
        near = match_boundary_colour_rows(colour, holes, feather)
        if colour is not work:
            np.copyto(work[near], colour[near], where=holes[near][..., None])
        changed[near] = True
    if np.issubdtype(out.dtype, np.integer):
        # Integer pixels come back from the values exactly, so rows neither step changed
        # need not be converted back and copied (a cap's rows deeper than the feather).
        touched = np.flatnonzero(changed)
        if not touched.size:
            return
        near = slice(int(touched[0]), int(touched[-1]) + 1)  # a view of ``out``
        band, work, band_hole = band[near], work[near], holes[near]
    else:  # floats: clipped by the proxy and its inverse, as every hole pixel of the band is
        band_hole = holes
    corrected = from_values(inverse(work), out.dtype)
    np.copyto(band, corrected, where=band_hole[:, :, None])


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
    check_panorama_size(height, width)
    mask = check_mask(mask, height, width)
    report_progress = progress or (lambda fraction, stage: None)
    gen = _resolve_generator(generator, config)

    hole, fraction = hole_to_fill(mask, config)
    if fraction == 0:
        report = check_consistency(erp, None)
        report.notes.append("empty mask: the panorama is returned unchanged")
        return InpaintResult(erp.copy(), report, [], gen.name, time.perf_counter() - start)
    # NaN or infinite values (a stitcher's uncovered nadir, a division by zero): those in the
    # hole are filled like any hole pixel, those outside it kept, and the fill reads neither.
    given, bad = erp, _non_finite(erp)
    keep, kept = None, 0
    if bad is not None:
        keep = bad & ~(hole if bad.ndim == 2 else hole[..., None])
        kept = int(keep.sum())
        if kept:
            log.warning("%d NaN or infinite values outside the hole are kept as they are; the "
                        "fill reads them as 0 (NaN, -inf) or the largest finite value (+inf)",
                        kept)
        erp = finite_stand_in(erp, bad)

    # Loads what the generator needs (PatchMatch: its kernels) while the faces are resampled.
    preparation = Preparation(gen)
    try:
        hdr = is_hdr(erp, config.hdr.mode)
        tone = ToneMap.for_image(erp, hdr=hdr, key=config.hdr.key)
        out, reports, rotations = _fill_regions(erp, hole, gen, config, tone, report_progress,
                                                preparation.wait)
    except Exception:  # no thread outlives a failed fill (Ctrl-C does not wait: a daemon)
        preparation.finish()
        raise
    preparation.finish()  # joined already by the generator's first call

    feather = 0
    if config.blend.match_colour:
        feather = max(4, width // 256) if config.blend.feather == "auto" else config.blend.feather
    if feather > 0 or config.blend.follow_rows:
        _finish_band(out, hole, tone, feather, config.blend.follow_rows)

    report_progress(0.95, "checking consistency")
    report = check_consistency(
        out, hole, rotations=rotations or [None], reference=erp, config=config.checks, hdr=hdr
    )
    if kept:  # known pixels are the input's, bit for bit, NaN too
        np.copyto(out, given, where=keep)
        report.notes.append(f"{kept} NaN or infinite known values kept; the fill read them as "
                            "finite stand-ins")
    if config.mask.dilate:
        report.notes.append(f"mask dilated by {config.mask.dilate} px before filling")
    report.notes += [f"region {r.index}: {note}" for r in reports for note in r.notes]
    report_progress(1.0, "done")
    return InpaintResult(out, report, reports, gen.name, time.perf_counter() - start)
