"""File jobs behind ``pano-inpaint mask``: find the rig mask of panoramas and write it.

For every panorama ``NAME.ext`` the output folder gets ``NAME_mask.png`` (a 1-bit PNG, white =
hole, the name ``inpaint --mask FOLDER`` looks for) and ``NAME_preview.jpg`` (the nadir seen
from the camera, with and without the mask). Nothing is written until every output name is
known to be free (or ``overwrite``); each file is written atomically.

A shoot (``shoot=True``) reads every panorama twice: once for the detector's coarse
probability and brightness on the nadir view (small arrays kept in memory, so a shoot of many
8K panoramas fits), once to refine the shared mask on that panorama's own edges and write it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pano_inpaint.config import AutoMaskConfig
from pano_inpaint.exit_codes import EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.io import (
    ImageReadError,
    ImageWriteError,
    read_image,
    write_image,
    write_mask,
)
from pano_inpaint.io.atomic import all_or_nothing, make_folder
from pano_inpaint.io.headers import DEFAULT_MAX_PIXELS
from pano_inpaint.io.metadata import ImageMetadata
from pano_inpaint.jobs import JobError, check_panorama, mask_outputs, preview_metadata
from pano_inpaint.masks import dilate_mask

__all__ = ["MaskFileResult", "check_mask_outputs", "mask_outputs", "write_masks"]

log = logging.getLogger(__name__)

Progress = Callable[[Path, str], None]


@dataclass
class MaskFileResult:
    """One panorama's mask: where it went and what the detector said."""

    input: Path
    mask: Path
    preview: Path | None
    report: dict  # RigDetection.to_dict(), plus the shoot's yaw


def _read(path: Path, max_pixels: int | None):
    try:
        loaded = read_image(path, max_pixels=max_pixels)
    except ImageReadError as exc:
        raise JobError(str(exc), EXIT_INPUT) from exc
    check_panorama(loaded)
    return loaded


def _write(path: Path, pixels: np.ndarray, overwrite: bool,
           metadata: ImageMetadata | None = None) -> None:
    """A preview (JPEG, quality 90) or, for a bool ``pixels``, a mask (1-bit PNG)."""
    try:
        if pixels.dtype == np.bool_:
            write_mask(path, pixels, overwrite=overwrite)
        else:
            write_image(path, pixels, metadata, overwrite=overwrite, quality=90)
    except FileExistsError as exc:
        raise JobError(f"{path} exists; pass --overwrite to replace it", EXIT_OUTPUT) from exc
    except (ImageWriteError, ValueError) as exc:
        raise JobError(str(exc), EXIT_OUTPUT) from exc


def _preview(loaded, detection, mask: np.ndarray) -> np.ndarray:
    """The preview picture of ``mask`` (and of what the detector rejected) at most 1024 high."""
    from pano_inpaint.masks.auto.detect import DisplayPanorama
    from pano_inpaint.masks.auto.preview import preview_image

    shown = DisplayPanorama.of(loaded.pixels).reduced(min(loaded.height, 1024))

    def fit(m: np.ndarray) -> np.ndarray:
        return m if m.shape[0] == shown.shape[0] else _reduce_mask(m, shown.shape[0])

    rejected = None if detection.rejected is None else fit(detection.rejected)
    return preview_image(shown, fit(mask), rejected)


def _finish(image: Path, loaded, detection, out_dir: Path, *, dilate: int, preview: bool,
            overwrite: bool, extra: dict | None = None) -> MaskFileResult:
    mask = dilate_mask(detection.mask, dilate) if dilate > 0 else detection.mask
    mask_path, preview_path = mask_outputs(image, out_dir)
    # The mask and its preview, or neither: a full disk at the preview left the mask of an
    # image reported failed, which the same command then refused as existing.
    try:
        with all_or_nothing():
            # Black and white only: a 1-bit PNG, which --mask FOLDER tells from a photo by its
            # header (an 8-bit one is decoded whole for that: 58 ms at 8192 x 4096), a fifth of
            # the size.
            _write(mask_path, mask.astype(bool, copy=False), overwrite)
            if preview:
                _write(preview_path, _preview(loaded, detection, mask), overwrite,
                       preview_metadata())  # marked: told apart from a panorama named so
    except OSError as exc:  # a rename refused at the end (the writes' own errors are JobErrors)
        raise JobError(f"cannot write {mask_path} and its preview: {exc}", EXIT_OUTPUT) from exc
    report = {**detection.to_dict(), **(extra or {})}
    return MaskFileResult(image, mask_path, preview_path if preview else None, report)


def _reduce_mask(mask: np.ndarray, height: int) -> np.ndarray:
    """A smaller mask: a pixel is a hole where any pixel under it was."""
    import cv2

    return cv2.resize(mask.view(np.uint8), (2 * height, height),
                      interpolation=cv2.INTER_AREA) > 0


def check_mask_outputs(images: list[Path], out_dir: Path, *, preview: bool = True,
                       overwrite: bool = False) -> None:
    """Refuse, before any work, the outputs :func:`write_masks` would write over: an existing
    file (unless ``overwrite``) or one that two inputs would both write. A command calls it
    before drawing its progress bar, so the refusal is its first line.

    Raises:
        JobError: ``EXIT_OUTPUT``, naming the file.
    """
    taken: dict[Path, Path] = {}
    for image in images:
        for path in mask_outputs(image, out_dir)[: 2 if preview else 1]:
            if path in taken:
                raise JobError(f"{image} and {taken[path]} would both write {path}; give them "
                               "different names", EXIT_OUTPUT)
            taken[path] = image
            if path.exists() and not overwrite:
                raise JobError(f"{path} exists; pass --overwrite to replace it", EXIT_OUTPUT)


def write_masks(
    images: list[Path],
    out_dir: Path,
    *,
    config: AutoMaskConfig,
    shoot: bool = False,
    dilate: int = 0,
    preview: bool = True,
    overwrite: bool = False,
    progress: Progress | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> tuple[list[MaskFileResult], list[tuple[Path, JobError]], list[str]]:
    """Find and write the masks of ``images`` (one shoot if ``shoot``); an image declaring
    more than ``max_pixels`` fails from its header (see :func:`read_image`).

    Returns:
        ``(results, failures, warnings)``: the written masks, the images that failed (each with
        its :class:`JobError`), and the shoot's warnings.

    Raises:
        JobError: before anything is written: ``EXIT_OUTPUT`` when an output exists and
            ``overwrite`` is False, two inputs would write the same file, or ``out_dir`` cannot
            be made; ``EXIT_USAGE`` when the detector is unknown or cannot load its weights.
    """
    from pano_inpaint.masks.auto.detect import (
        DetectorError,
        DisplayPanorama,
        get_detector,
        mask_from_probability,
    )
    from pano_inpaint.masks.auto.shoot import MIN_SHOTS, shared_probabilities

    check_mask_outputs(images, out_dir, preview=preview, overwrite=overwrite)
    try:
        detector = get_detector(config.detector, config.weights)
    except (KeyError, DetectorError) as exc:
        raise JobError(str(exc).strip('"'), EXIT_USAGE) from exc
    try:
        make_folder(out_dir)
    except OSError as exc:  # a file where a folder of the path should be, no permission
        raise JobError(f"cannot make the folder {out_dir}: {exc.strerror or exc}",
                       EXIT_OUTPUT) from exc
    step = progress or (lambda image, stage: None)
    results: list[MaskFileResult] = []
    failures: list[tuple[Path, JobError]] = []

    def finish(image: Path, loaded, probability, extra=None) -> None:
        panorama = DisplayPanorama.of(loaded.pixels)
        detection = mask_from_probability(panorama, probability, detector.view, config,
                                          detector.name)
        results.append(_finish(image, loaded, detection, out_dir, dilate=dilate,
                               preview=preview, overwrite=overwrite, extra=extra))

    if not shoot:
        for image in images:
            step(image, "detecting")
            try:
                loaded = _read(image, max_pixels)
                finish(image, loaded, detector.probability(DisplayPanorama.of(loaded.pixels)))
            except JobError as exc:
                failures.append((image, exc))
        return results, failures, []

    readable, probabilities, greys = [], [], []
    for image in images:
        step(image, "detecting")
        try:
            panorama = DisplayPanorama.of(_read(image, max_pixels).pixels)
        except JobError as exc:
            failures.append((image, exc))
            continue
        readable.append(image)
        probabilities.append(detector.probability(panorama))
        greys.append(panorama.grey_view(detector.view))
    if not readable:
        return results, failures, []
    plan = shared_probabilities(probabilities, greys, detector.view)
    aligned = len(readable) >= MIN_SHOTS  # fewer: each kept its own detection, no yaw measured
    for index, image in enumerate(readable):
        step(image, "refining the shoot's mask")
        try:
            finish(image, _read(image, max_pixels), plan.coarse[index],
                   {"shoot_yaw_degrees": round(plan.yaw_degrees[index], 2),
                    "shoot_alignment": round(plan.alignment[index], 2)} if aligned else None)
        except JobError as exc:
            failures.append((image, exc))
    return results, failures, plan.warnings
