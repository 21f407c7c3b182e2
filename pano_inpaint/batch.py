"""One ``pano-inpaint inpaint`` run: every option checked before any work, then each image
filled in turn, and one image's failure never stops the others.

:func:`plan_batch` does all the checking (inputs, outputs, report, generator and its params)
and raises :class:`~pano_inpaint.jobs.JobError` with the exit code before anything is read or
written; :func:`fill_one` turns whatever goes wrong with one image into a ``JobError`` too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pano_inpaint.config import PipelineConfig
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.generators.base import Generator
from pano_inpaint.generators.registry import UnknownGeneratorError, get_generator
from pano_inpaint.io.atomic import temporary_name
from pano_inpaint.jobs import (
    FileResult,
    InputImage,
    JobError,
    MaskSpec,
    check_input_header,
    inpaint_file,
    plan_outputs,
    resolve_inputs,
    write_json,
)

__all__ = ["BatchPlan", "build_generator", "exit_code", "fill_one", "plan_batch", "write_report"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchPlan:
    """A checked run: which image goes where, with what."""

    images: list[InputImage]
    outputs: list[Path]
    batch: bool  # a folder or glob in, a folder out (the report maps inputs to results)
    mask: MaskSpec
    config: PipelineConfig
    generator: Generator
    report: Path | None
    overwrite: bool
    in_place: bool
    max_pixels: int | None
    refused: dict[int, JobError]  # images refused from their header: failed without reading


def build_generator(config: PipelineConfig) -> Generator:
    """The config's generator, built once (so a bad name or param fails before any work).

    Raises:
        JobError: ``EXIT_USAGE``, naming the generator and the parameter.
    """
    try:
        return get_generator(config.generator.name, **config.generator.params)
    except (UnknownGeneratorError, TypeError, ValueError) as exc:
        raise JobError(str(exc), EXIT_USAGE) from exc


def _check_report_path(report: Path, images: list[InputImage], outputs: list[Path],
                       overwrite: bool) -> None:
    """The report must not replace an input or a result, nor an existing file without
    --overwrite, and its folder must be writable: found out now, not after the fills."""
    target = report.resolve()
    for path in [image.path for image in images] + outputs:
        if path.resolve() == target:
            raise JobError(f"--report {report} would replace {path}; give the report its own "
                           "file name", EXIT_USAGE)
    if report.is_dir():
        raise JobError(f"--report {report} is a folder; give a file name such as "
                       f"{report / 'report.json'}", EXIT_USAGE)
    if report.exists() and not overwrite:
        raise JobError(f"report {report} exists; pass --overwrite to replace it", EXIT_OUTPUT)
    try:
        report.parent.mkdir(parents=True, exist_ok=True)
        probe = temporary_name(report)
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as exc:
        raise JobError(f"cannot write the report {report}: {exc.strerror or exc}",
                       EXIT_OUTPUT) from exc


def plan_batch(
    inputs: str, output: str | None, mask: MaskSpec, config: PipelineConfig, *,
    report: Path | None = None, overwrite: bool = False, in_place: bool = False,
    max_pixels: int | None = None,
) -> BatchPlan:
    """Check a run before doing any of it.

    Raises:
        JobError: with the exit code (2 bad command line, 3 bad input, 4 output problem).
    """
    if max_pixels is not None and max_pixels < 1:
        raise JobError(f"--max-pixels must be at least 1, got {max_pixels}", EXIT_USAGE)
    images = resolve_inputs(inputs)
    batch = not Path(inputs).is_file()
    outputs = plan_outputs(images, output, batch=batch, in_place=in_place)
    if report is not None:
        _check_report_path(report, images, outputs, overwrite)
    # Headers first: a decompression bomb or a photo that is not 2:1 is refused in
    # milliseconds; in a batch it only fails itself.
    refused = {}
    for index, image in enumerate(images):
        try:
            check_input_header(image.path, max_pixels)
        except JobError as exc:
            if not batch:
                raise
            refused[index] = exc
    generator = build_generator(config)
    return BatchPlan(images, outputs, batch, mask, config, generator, report, overwrite,
                     in_place, max_pixels, refused)


def fill_one(plan: BatchPlan, index: int,
             progress: Callable[[float, str], None] | None = None) -> FileResult:
    """Fill image ``index`` of the plan.

    Raises:
        JobError: for every failure, with its exit code: a generator that runs out of memory is
            a problem of the input's size (3), one that fails otherwise is 1 (a bug to report).
    """
    if index in plan.refused:
        raise plan.refused[index]
    image, target = plan.images[index].path, plan.outputs[index]
    try:
        return inpaint_file(image, target, plan.mask, config=plan.config,
                            generator=plan.generator, overwrite=plan.overwrite,
                            in_place=plan.in_place, max_pixels=plan.max_pixels,
                            progress=progress)
    except JobError:
        raise
    except MemoryError as exc:
        raise JobError(f"{image}: not enough memory to fill it; free memory, fill a smaller "
                       "copy, or use a lighter generator (-g telea)", EXIT_INPUT) from exc
    except OSError as exc:
        raise JobError(f"{image}: {exc.strerror or exc}", EXIT_OUTPUT) from exc
    except Exception as exc:
        log.debug("filling %s failed", image, exc_info=True)
        raise JobError(f"{image}: the generator failed ({type(exc).__name__}: {exc}); this is "
                       "a bug, please report it with the file", EXIT_BATCH_FAILED) from exc


def write_report(plan: BatchPlan, results: list[FileResult]) -> None:
    """The consistency report(s) as JSON: one object, or for a batch one per input.

    Raises:
        JobError: ``EXIT_OUTPUT`` if it cannot be written (the images are written already).
    """
    if plan.report is None:
        return
    data = {str(r.input): {"output": str(r.output), **(r.result.to_dict() if r.result else {}),
                           **({"auto_mask": r.auto_mask} if r.auto_mask else {})}
            for r in results}
    try:
        write_json(plan.report, data if plan.batch else next(iter(data.values()), {}))
    except OSError as exc:
        raise JobError(f"the results were written, but not the report {plan.report}: "
                       f"{exc.strerror or exc}", EXIT_OUTPUT) from exc


def exit_code(plan: BatchPlan, failures: list[JobError]) -> int:
    """0 when all went well; 1 when some images of a batch failed; a single image's own code."""
    if not failures:
        return 0
    return EXIT_BATCH_FAILED if plan.batch else failures[0].code

