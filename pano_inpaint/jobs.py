"""File-level jobs behind the command line: resolve inputs and outputs, fill one file.

The CLI is a thin layer over these; batch runners (a process pool, Ray) can call
:func:`inpaint_file` directly. Every failure is an :class:`JobError` with an exit code and a
one-line message that says what to do.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pano_inpaint.config import PipelineConfig
from pano_inpaint.exit_codes import EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.io import (
    SUPPORTED_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    LoadedImage,
    list_images,
    parse_gpano,
    read_image,
    read_mask,
    write_image,
)
from pano_inpaint.masks import nadir_mask, zenith_mask
from pano_inpaint.pipeline import InpaintResult, inpaint

__all__ = [
    "FileResult",
    "JobError",
    "MaskSpec",
    "check_panorama",
    "inpaint_file",
    "output_path_for",
    "resolve_inputs",
    "write_json",
]

log = logging.getLogger(__name__)



class JobError(Exception):
    """A file job that cannot be done; ``code`` is the process exit code to use."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class MaskSpec:
    """Where the hole comes from: a mask file (or folder of per-image masks), or a pole cap."""

    path: Path | None = None
    nadir_degrees: float | None = None
    zenith_degrees: float | None = None
    resize: bool = False

    def __post_init__(self) -> None:
        given = [self.path is not None, self.nadir_degrees is not None,
                 self.zenith_degrees is not None]
        if sum(given) == 0:
            raise JobError("no hole given: pass --mask FILE, --nadir DEGREES or --zenith "
                           "DEGREES", EXIT_USAGE)
        if self.path is not None and sum(given) > 1:
            raise JobError("--mask cannot be combined with --nadir/--zenith", EXIT_USAGE)

    def mask_for(self, image_path: Path, height: int, width: int) -> np.ndarray:
        mask = np.zeros((height, width), bool)
        if self.nadir_degrees is not None:
            mask |= nadir_mask(height, width, self.nadir_degrees)
        if self.zenith_degrees is not None:
            mask |= zenith_mask(height, width, self.zenith_degrees)
        if self.path is None:
            return mask
        path = self.path
        if path.is_dir():  # one mask per image: <stem>.png, <stem>_mask.png, ...
            candidates = [p for p in sorted(path.iterdir()) if p.stem in
                          (image_path.stem, f"{image_path.stem}_mask", f"{image_path.stem}.mask")]
            if not candidates:
                raise JobError(f"no mask for {image_path.name} in {path} (expected "
                               f"{image_path.stem}.png or {image_path.stem}_mask.png)",
                               EXIT_INPUT)
            path = candidates[0]
        try:
            return read_mask(path, height, width, resize=self.resize)
        except ImageReadError as exc:
            raise JobError(str(exc), EXIT_INPUT) from exc
        except ValueError as exc:
            raise JobError(f"{path}: {exc}", EXIT_INPUT) from exc


@dataclass
class FileResult:
    """What happened to one input file."""

    input: Path
    output: Path | None
    result: InpaintResult | None
    note: str = ""


def resolve_inputs(spec: str) -> list[Path]:
    """A file, a folder (its images, sorted) or a glob pattern -> image paths."""
    path = Path(spec)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = list_images(path)
        if not files:
            raise JobError(f"no images in folder {path} (looked for "
                           f"{', '.join(sorted(SUPPORTED_SUFFIXES))})", EXIT_INPUT)
        return files
    matches = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    if not matches:
        raise JobError(f"{spec}: no such file, folder or matching files", EXIT_INPUT)
    return matches


def output_path_for(image: Path, output: Path, *, batch: bool, in_place: bool) -> Path:
    """Where the filled ``image`` goes: ``output`` itself, or ``output/<name>`` for a folder."""
    if in_place:
        return image
    if batch or output.is_dir() or str(output).endswith(os.sep):
        return output / image.name
    return output


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_panorama(loaded: LoadedImage) -> None:
    """Refuse an image that is not a full 360x180 degree equirectangular panorama.

    Raises:
        JobError: with ``EXIT_INPUT``: a partial panorama (GPano cropped area), or not 2:1.
    """
    gpano = parse_gpano(loaded.metadata.xmp)
    if gpano is not None and gpano.is_partial:
        raise JobError(
            f"{loaded.path}: a partial panorama (GPano cropped area "
            f"{gpano.cropped_area_image_width_pixels}x{gpano.cropped_area_image_height_pixels} of "
            f"{gpano.full_pano_width_pixels}x{gpano.full_pano_height_pixels}); pad it to the full "
            "360x180 degree canvas first", EXIT_INPUT)
    if loaded.width != 2 * loaded.height:
        raise JobError(f"{loaded.path}: {loaded.width}x{loaded.height} is not a 2:1 "
                       "equirectangular panorama; crop or pad it to W = 2 x H", EXIT_INPUT)


def inpaint_file(
    image_path: Path,
    output_path: Path,
    mask_spec: MaskSpec,
    *,
    config: PipelineConfig,
    generator: str | None = None,
    overwrite: bool = False,
    in_place: bool = False,
    progress: Callable[[float, str], None] | None = None,
) -> FileResult:
    """Read a panorama, fill its hole, write it with its metadata (GPano updated) atomically.

    Raises:
        JobError: with ``EXIT_INPUT`` or ``EXIT_OUTPUT`` and a message saying what to do.
    """
    if _same_file(image_path, output_path) and not in_place:
        raise JobError(f"output {output_path} is the input file; pass --in-place to replace "
                       "the input, or choose another output", EXIT_OUTPUT)
    if output_path.exists() and not (overwrite or in_place):
        raise JobError(f"output {output_path} exists; pass --overwrite to replace it",
                       EXIT_OUTPUT)
    try:
        loaded = read_image(image_path)
    except ImageReadError as exc:
        raise JobError(str(exc), EXIT_INPUT) from exc
    check_panorama(loaded)
    height, width = loaded.height, loaded.width
    mask = mask_spec.mask_for(image_path, height, width)
    note = ""
    try:
        result = inpaint(loaded.pixels, mask, generator=generator, config=config,
                         progress=progress)
    except ValueError as exc:
        raise JobError(f"{image_path}: {exc}", EXIT_INPUT) from exc
    if not mask.any():
        note = "empty mask: copied unchanged"
        log.warning("%s: the mask is empty; the panorama is copied unchanged", image_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_image(output_path, result.image, loaded.metadata.for_output(width, height),
                    overwrite=overwrite or in_place)
    except FileExistsError as exc:
        raise JobError(f"output {output_path} exists; pass --overwrite to replace it",
                       EXIT_OUTPUT) from exc
    except (ImageWriteError, ValueError) as exc:
        raise JobError(str(exc), EXIT_OUTPUT) from exc
    return FileResult(image_path, output_path, result, note)


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
