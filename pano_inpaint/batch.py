"""One ``pano-inpaint inpaint`` run: every option checked before any work, then the one
function that fills one image, wherever it runs (this process, a pool worker, a Ray task).

:func:`plan_batch` does all the checking (inputs, outputs, report, generator and its params)
and raises :class:`~pano_inpaint.jobs.JobError` with the exit code before anything is read or
written. :func:`fill_image` fills one :class:`ImageJob` and turns whatever goes wrong with it
into a failed :class:`Outcome`: one image's failure never stops the others. The batch around it
(manifest, resume, engines) is :mod:`pano_inpaint.runner`.

Inputs and outputs are *locations*: paths, or fsspec URLs (:mod:`pano_inpaint.io.locations`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pano_inpaint.config import ConfigError, PipelineConfig
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.io import locations as loc
from pano_inpaint.io.atomic import (
    UnsearchableFolderError,
    make_folder,
    target_kind,
    temporary_name,
)
from pano_inpaint.io.headers import SUPPORTED_SUFFIXES, ImageReadError
from pano_inpaint.jobs import (
    InputImage,
    JobError,
    MaskSpec,
    check_input_header,
    file_id,
    inpaint_file,
    mask_command_outputs,
    once_each,
    plan_outputs,
    read_ahead,
    refuse_batch_into_a_file,
    resolve_inputs,
    settle_reads_ahead,
    write_json,
)
from pano_inpaint.weights_error import WeightsError

if TYPE_CHECKING:  # the generators (numpy, OpenCV) load when a plan builds one
    from pano_inpaint.generators.base import Generator

__all__ = [
    "BatchPlan",
    "FillSettings",
    "ImageJob",
    "Outcome",
    "build_generator",
    "check_headers",
    "check_report_path",
    "exit_code",
    "fill_image",
    "plan_batch",
    "write_report",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FillSettings:
    """What every worker needs to fill any image of the batch (small and picklable)."""

    mask: MaskSpec
    config: PipelineConfig
    in_place: bool = False
    max_pixels: int | None = None

    def fingerprint(self) -> str:
        """A short hash of everything that decides the result: a resumed run trusts only the
        results of the same settings."""
        mask = asdict(self.mask)
        del mask["not_masks"]  # what the files beside the images are, not a setting
        data = {"config": asdict(self.config), "mask": mask, "in_place": self.in_place}
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BatchPlan:
    """A checked run: which image goes where, with what."""

    sources: list[str]  # paths or URLs
    targets: list[str]
    batch: bool  # a folder, glob or several inputs in, a folder out (report and manifest)
    settings: FillSettings
    generator: Generator
    report: Path | None
    overwrite: bool
    output_folder: str | None  # where the manifest goes (None: one file, no manifest)
    listed: dict[str, loc.Stamp] = field(default_factory=dict)  # remote sources' stamps

    @property
    def mask(self) -> MaskSpec:
        return self.settings.mask

    @property
    def config(self) -> PipelineConfig:
        return self.settings.config


@dataclass(frozen=True)
class ImageJob:
    """One image to fill: from ``source`` to ``target`` (paths or URLs).

    ``overwrite``: the target may be replaced (``--overwrite``, ``--in-place``, or a result of
    this same batch that an interrupted run left). ``pixels``: from its header, for the
    memory a Ray task declares (None when unknown).
    """

    index: int
    source: str
    target: str
    overwrite: bool = False
    pixels: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What filling one image did, as sent back by a worker (no pixels)."""

    index: int
    ok: bool
    seconds: float
    flags: list[str] = field(default_factory=list)
    note: str = ""
    error: str | None = None
    code: int | None = None
    report: dict | None = None  # the consistency report, for --report
    output_stamp: str | None = None
    output_sha256: str | None = None
    input_stamp: str | None = None  # the input as it was read
    cpu_seconds: float | None = None  # CPU time of the worker process (all its threads)
    peak_mb: float | None = None  # the worker's peak resident memory so far

    def failure(self) -> JobError:
        return JobError(self.error or "failed", self.code or EXIT_BATCH_FAILED)


def build_generator(config: PipelineConfig) -> Generator:
    """The config's generator, built once, and the settings that depend on it checked: the one
    place a config is checked past its own fields, so a bad name, param or ``cube.pad`` fails
    before any work (and ``dump-config`` refuses what a fill would).

    Raises:
        JobError: ``EXIT_USAGE``, naming the generator and the parameter, or the setting.
    """
    from pano_inpaint.generators.registry import UnknownGeneratorError, get_generator
    from pano_inpaint.pipeline.cube import check_write_back_pad

    try:
        generator = get_generator(config.generator.name, **config.generator.params)
    except (UnknownGeneratorError, TypeError, ValueError) as exc:
        raise JobError(str(exc), EXIT_USAGE) from exc
    try:
        check_write_back_pad(config.cube, generator)
    except ConfigError as exc:  # the message a fill gave, one image after another
        raise JobError(f"config: {exc}", EXIT_USAGE) from exc
    return generator


# ------------------------------------------------------------------------------------ planning


def check_report_path(report: Path, sources: list[str], targets: list[str],
                       overwrite: bool) -> None:
    """The report must not replace an input or a result, nor an existing file without
    --overwrite, and its folder must be writable: found out now, not after the fills."""
    target = report.resolve()
    for location in sources + targets:
        path = loc.local_path(location)
        if path is not None and path.resolve() == target:
            raise JobError(f"--report {report} would replace {path}; give the report its own "
                           "file name", EXIT_USAGE)
    try:
        kind = target_kind(report)
    except UnsearchableFolderError as exc:  # a traceback before
        raise JobError(str(exc), EXIT_OUTPUT) from exc
    if kind == "folder":
        raise JobError(f"--report {report} is a folder; give a file name such as "
                       f"{report / 'report.json'}", EXIT_USAGE)
    if kind is not None and not overwrite:
        raise JobError(f"report {report} exists; pass --overwrite to replace it", EXIT_OUTPUT)
    try:
        make_folder(report.parent)
        probe = temporary_name(report)
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as exc:
        raise JobError(f"cannot write the report {report}: {exc.strerror or exc}",
                       EXIT_OUTPUT) from exc


def _without_masks(sources: list[str], relatives: list[str], masks: list[Path],
                   what: tuple[str, str] = ("a --mask", "--mask files")
                   ) -> tuple[list[str], list[str]]:
    """The inputs less the masks among them (the ``--mask`` file, or the masks the images take
    from a ``--mask`` folder that holds them too): a mask beside the images was filled as a
    panorama, with itself for its mask (replaced, with ``--in-place``). ``what`` they are, one
    and many, for the warning (the masks' previews are dropped as well).

    Raises:
        JobError: ``EXIT_INPUT`` when nothing but masks is left.
    """
    if not masks:
        return sources, relatives
    ids = {file_id(path) for path in masks} - {None}
    kept = [(source, relative) for source, relative in zip(sources, relatives, strict=True)
            if (path := loc.local_path(source)) is None or file_id(path) not in ids]
    if len(kept) < len(sources):
        names = {source for source, _ in kept}
        dropped = [source for source in sources if source not in names]
        shown = ", ".join(dropped[:3]) + (", ..." if len(dropped) > 3 else "")
        log.warning("%s: %s, not filled", shown, what[0] if len(dropped) == 1
                    else f"{len(dropped)} inputs are {what[1]}")
    if not kept:
        raise JobError(f"every input is {what[0]}; give the panoramas to fill", EXIT_INPUT)
    return [source for source, _ in kept], [relative for _, relative in kept]


def _mask_command_files(specs: Sequence[str], sources: list[str],
                        max_pixels: int | None) -> list[Path]:
    """The inputs listed from a local folder that ``pano-inpaint mask`` wrote there for the
    images beside them (``mask shoot/ -o shoot/``: see
    :func:`~pano_inpaint.jobs.mask_command_outputs`). 'inpaint shoot/ --nadir 25' (or --auto)
    filled them as panoramas; only ``--mask shoot/`` told them apart. A file given by name or
    matched by a glob is filled, whatever it is."""
    folders = {file_id(Path(spec)) for spec in map(loc.normalize, specs)
               if not loc.is_remote(spec) and Path(spec).is_dir()} - {None}
    if not folders:
        return []
    listed = [path for path in map(loc.local_path, sources)
              if path is not None and file_id(path.parent) in folders]
    return mask_command_outputs(listed, max_pixels=max_pixels)


def _check_masks_kept(mask: MaskSpec, sources: list[str], targets: list[str],
                      masks: list[Path]) -> None:
    """No result may replace a mask, nor land in a ``--mask`` folder under its image's name
    (the next run would take it for that image's mask): refused like an output that is the
    input, before any work.

    Raises:
        JobError: ``EXIT_OUTPUT``.
    """
    ids = {key: path for path in masks if (key := file_id(path)) is not None}
    folder = mask.path if mask.path is not None and mask.path.is_dir() else None
    for source, target in zip(sources, targets, strict=True):
        path = loc.local_path(target)
        if path is None or source == target:  # --in-place: never a mask (see MaskSpec)
            continue
        found = ids.get(file_id(path))
        if found is not None:
            raise JobError(f"output {path} would replace the mask {found}; choose another "
                           "output", EXIT_OUTPUT)
        if folder is not None and file_id(path.parent) == file_id(folder) and \
                path.stem == PurePosixPath(source).stem:
            raise JobError(f"output {path} is in the --mask folder {folder}, where it would be "
                           f"taken for the mask of {source}; write the results to another "
                           "folder", EXIT_OUTPUT)


def _remote_inputs(spec: str) -> list[tuple[str, str, loc.Stamp]]:
    try:
        return loc.list_remote_inputs(spec, SUPPORTED_SUFFIXES)
    except FileNotFoundError:
        raise JobError(f"{spec}: no such file, folder or matching files", EXIT_INPUT) from None
    except (ImportError, ValueError) as exc:
        raise _url_error(spec, exc) from exc


def _url_error(location: str, exc: Exception) -> JobError:
    """A URL whose filesystem is not installed (fsspec names its package: s3fs, gcsfs...) or
    does not exist."""
    return JobError(f"{location}: {exc}", EXIT_USAGE)


def _canonical(location: str) -> str:
    try:
        return loc.canonical(location)
    except (ImportError, ValueError) as exc:
        raise _url_error(location, exc) from exc


def _resolve_sources(specs: Sequence[str]
                     ) -> tuple[list[str], list[str], bool, dict[str, loc.Stamp]]:
    """Sources, their relative output names, whether this is a batch, and the stamps of the
    remote sources (from their listing)."""
    sources, relatives, batch, stamps = [], [], len(specs) > 1, {}
    for spec in specs:
        spec = loc.normalize(spec)
        if loc.is_remote(spec):
            listed = _remote_inputs(spec)
            pairs = [(source, relative) for source, relative, _ in listed]
            stamps.update((source, stamp) for source, _, stamp in listed)
            batch = batch or len(pairs) > 1 or PurePosixPath(spec).suffix.lower() not in (
                SUPPORTED_SUFFIXES)
        else:
            images = resolve_inputs(spec)
            pairs = [(str(image.path), image.relative.as_posix()) for image in images]
            batch = batch or not Path(spec).is_file()
        sources += [source for source, _ in pairs]
        relatives += [relative for _, relative in pairs]
    # --in-place 'a.jpg a.jpg' filled the fill again, and two workers could write it at once
    kept = once_each(sources, [loc.local_path(source) for source in sources], "given")
    return [sources[i] for i in kept], [relatives[i] for i in kept], batch, stamps


def _remote_targets(sources: list[str], relatives: list[str], output: str | None, *,
                    batch: bool, in_place: bool) -> list[str]:
    """:func:`~pano_inpaint.jobs.plan_outputs` for runs that read or write URLs."""
    if in_place:
        if output is not None:
            raise JobError("--in-place writes each result over its input: give either "
                           "--in-place or -o/--output, not both", EXIT_USAGE)
        return list(sources)
    if output is None:
        raise JobError("give an output with -o/--output (or --in-place to replace the input)",
                       EXIT_USAGE)
    suffix = PurePosixPath(output.rstrip("/")).suffix.lower()
    folder = batch or output.endswith("/") or not suffix
    local = loc.local_path(output)  # file:// and the like: an existing folder is taken
    if batch and not (local is not None and local.is_dir()):
        refuse_batch_into_a_file(output)
    output = _canonical(output)
    if not folder and suffix not in SUPPORTED_SUFFIXES:
        raise JobError(f"cannot write {suffix} files; give the output one of "
                       f"{', '.join(SUPPORTED_SUFFIXES)}", EXIT_USAGE)
    targets = [loc.join(output, relative) if folder else output for relative in relatives]
    seen: dict[str, str] = {}
    for source, target in zip(sources, targets, strict=True):
        if target in seen:
            raise JobError(f"{seen[target]} and {source} would both be written to {target}; "
                           "rename one, or fill them in separate runs", EXIT_USAGE)
        if target in sources:
            raise JobError(f"output {target} is an input; pass --in-place to replace the "
                           "inputs, or choose another output", EXIT_OUTPUT)
        seen[target] = source
    return targets


def _common_folder(locations: list[str]) -> str | None:
    """The deepest folder holding every location (an in-place batch's manifest goes there);
    None when they are on different file systems or buckets."""
    if not any(loc.is_remote(location) for location in locations):
        return os.path.commonpath([os.path.dirname(os.path.abspath(loc.normalize(location)))
                                   for location in locations])
    schemes = {location.split("://", 1)[0] for location in locations}
    if len(schemes) != 1 or not all(loc.is_remote(location) for location in locations):
        return None
    folders = [posixpath.dirname(location.split("://", 1)[1]) for location in locations]
    common = posixpath.commonpath(folders) if all(folders) else ""
    return f"{schemes.pop()}://{common}" if common else None


def plan_batch(
    inputs: str | Sequence[str], output: str | None, mask: MaskSpec, config: PipelineConfig,
    *, report: Path | None = None, overwrite: bool = False, in_place: bool = False,
    max_pixels: int | None = None,
) -> BatchPlan:
    """Check a run before doing any of it.

    ``inputs``: files, folders or globs, as paths or URLs (several make a batch).

    Raises:
        JobError: with the exit code (2 bad command line, 3 bad input, 4 output problem).
    """
    if max_pixels is not None and max_pixels < 1:
        raise JobError(f"--max-pixels must be at least 1, got {max_pixels}", EXIT_USAGE)
    specs = [inputs] if isinstance(inputs, str) else list(inputs)
    if not specs:
        raise JobError("give at least one input panorama, folder or glob", EXIT_USAGE)
    sources, relatives, batch, listed = _resolve_sources(specs)
    if output is not None:  # a file:// URL is its path (it became a folder named 'file:')
        output = loc.normalize(output)
    # What 'mask' wrote beside the images is no image looking for a mask: with a --mask folder
    # apart, shoot/a_preview.jpg took masks/a_preview.jpg (mask's preview there) for its own.
    beside = _mask_command_files(specs, sources, max_pixels)
    beside_ids = {file_id(path) for path in beside} - {None}
    local = [path for path in map(loc.local_path, sources)
             if path is not None and file_id(path) not in beside_ids]
    mask = mask.told_apart(local, max_pixels=max_pixels)
    masks = mask.masks_of(local)
    sources, relatives = _without_masks(sources, relatives, masks)
    sources, relatives = _without_masks(sources, relatives, mask.previews_of(local),
                                        ("a --mask's preview", "previews of --mask files"))
    sources, relatives = _without_masks(
        sources, relatives, beside,
        ("a mask or a 'pano-inpaint mask' preview beside its image",
         "masks and 'pano-inpaint mask' previews beside their images"))
    remote = any(loc.is_remote(s) for s in sources) or (
        output is not None and loc.is_remote(output))
    if remote:
        targets = _remote_targets(sources, relatives, output, batch=batch, in_place=in_place)
    else:
        images = [InputImage(Path(s), Path(r)) for s, r in zip(sources, relatives, strict=True)]
        targets = [str(t) for t in plan_outputs(images, output, batch=batch, in_place=in_place)]
    _check_masks_kept(mask, sources, targets, masks)
    if report is not None:
        check_report_path(report, sources + [str(m) for m in masks], targets, overwrite)
    settings = FillSettings(mask, config, in_place, max_pixels)
    if not batch:  # one image: refused from its header right away, with its own exit code
        for problem in check_headers(sources, max_pixels).values():
            if isinstance(problem, JobError):
                raise problem
    if not batch:
        folder = None
    elif in_place:
        folder = _common_folder(sources)
        if folder is None:
            raise JobError("--in-place over inputs with no common folder (different file "
                           "systems or buckets): fill them in separate runs", EXIT_USAGE)
    else:
        folder = _canonical(output or "")
    if not batch and not remote:  # decoded while the generator's modules import
        read_ahead(Path(sources[0]), Path(targets[0]), max_pixels)
    try:
        generator = build_generator(config)
    except JobError:
        settle_reads_ahead()  # the error is the run's last word: no reader left in the decoder
        raise
    return BatchPlan(sources, targets, batch, settings, generator, report, overwrite, folder,
                     listed)


def _header(location: str, max_pixels: int | None) -> int | JobError:
    try:
        if loc.is_remote(location):
            try:
                header = loc.read_remote_header(location, max_pixels=max_pixels)
            except ImageReadError as exc:
                raise JobError(str(exc), EXIT_INPUT) from exc
            if header.width != 2 * header.height:
                raise JobError(f"{location}: {header.width}x{header.height} is not a 2:1 "
                               "equirectangular panorama; crop or pad it to W = 2 x H",
                               EXIT_INPUT)
        else:
            header = check_input_header(Path(location), max_pixels)
        return header.pixels
    except JobError as exc:
        return exc
    except OSError as exc:  # an object store that cannot be reached
        return JobError(f"{location}: {exc}", EXIT_INPUT)


def check_headers(locations: Sequence[str], max_pixels: int | None) -> dict[int, int | JobError]:
    """Header of every location, read in parallel threads (object stores answer slowly, not
    busily): its pixel count, or the :class:`JobError` that refuses it without reading it (a
    decompression bomb, not 2:1, unreadable). Keys are indices into ``locations``."""
    if len(locations) <= 1:
        return {i: _header(location, max_pixels) for i, location in enumerate(locations)}
    with ThreadPoolExecutor(16) as threads:
        return dict(enumerate(threads.map(lambda s: _header(s, max_pixels), locations)))


# ------------------------------------------------------------------------- filling one image


_GENERATORS: dict[str, Generator] = {}


def _generator_for(config: PipelineConfig) -> Generator:
    """This process's generator for ``config``, built on first use (a worker fills many
    images with one)."""
    key = json.dumps(asdict(config.generator), sort_keys=True, default=str)
    if key not in _GENERATORS:
        _GENERATORS[key] = build_generator(config)
    return _GENERATORS[key]


def _fill(source: Path, target: Path, settings: FillSettings, generator: Generator, *,
          overwrite: bool, progress: Callable[[float, str], None] | None):
    """``inpaint_file`` with every failure turned into a ``JobError`` with its exit code: a
    generator that runs out of memory is a problem of the input's size (3), network weights
    it cannot use are the configuration's (2: they load at the first fill), one that fails
    otherwise is 1 (a bug to report)."""
    try:
        return inpaint_file(source, target, settings.mask, config=settings.config,
                            generator=generator, overwrite=overwrite,
                            in_place=settings.in_place, max_pixels=settings.max_pixels,
                            progress=progress)
    except JobError:
        raise
    except MemoryError as exc:
        raise JobError(f"{source}: not enough memory to fill it; free memory, fill a smaller "
                       "copy, or use a lighter generator (-g telea)", EXIT_INPUT) from exc
    except WeightsError as exc:
        raise JobError(f"{source}: the network's weights cannot be used: {exc}; give a file "
                       "that `pano-inpaint train` wrote (its net.pt) as "
                       "generator.params.weights, or leave it unset for the shipped one",
                       EXIT_USAGE) from exc
    except OSError as exc:
        raise JobError(f"{source}: {exc.strerror or exc}", EXIT_OUTPUT) from exc
    except Exception as exc:
        log.debug("filling %s failed", source, exc_info=True)
        raise JobError(f"{source}: the generator failed ({type(exc).__name__}: {exc}); this is "
                       "a bug, please report it with the file", EXIT_BATCH_FAILED) from exc


def _fill_staged(job: ImageJob, settings: FillSettings, generator: Generator,
                 progress: Callable[[float, str], None] | None, scratch: Path) -> Outcome:
    """Fill through local files: a remote input is copied in, a remote result is written
    locally, uploaded in one piece, and only then counted as done."""
    started, cpu = time.perf_counter(), time.process_time()
    input_stamp = loc.stamp_of(job.source)
    target_path = loc.local_path(job.target)
    if target_path is None and not job.overwrite and loc.stamp_of(job.target) is not None:
        raise JobError(f"output {job.target} exists; pass --overwrite to replace it",
                       EXIT_OUTPUT)
    with loc.stage_input(job.source, scratch / "source") as source:
        local_target = target_path or scratch / "result" / PurePosixPath(job.target).name
        try:
            done = _fill(source, local_target, settings, generator,
                         overwrite=job.overwrite or target_path is None, progress=progress)
        except JobError as exc:  # name the URLs, not the scratch copies
            message = str(exc).replace(str(source), job.source)
            raise JobError(message.replace(str(local_target), job.target), exc.code) from exc
    digest = loc.file_sha256(str(local_target))
    if target_path is None:
        try:
            loc.upload(local_target, job.target, overwrite=job.overwrite)
        except FileExistsError as exc:
            raise JobError(f"output {job.target} exists; pass --overwrite to replace it",
                           EXIT_OUTPUT) from exc
        except OSError as exc:
            raise JobError(f"cannot write {job.target}: {exc}", EXIT_OUTPUT) from exc
    stamp = loc.stamp_of(job.target)
    result = done.result
    return Outcome(job.index, True, time.perf_counter() - started,
                   flags=list(result.report.flagged) if result else [], note=done.note,
                   report={**(result.to_dict() if result else {}),
                           **({"auto_mask": done.auto_mask} if done.auto_mask else {})},
                   output_stamp=str(stamp) if stamp else None, output_sha256=digest,
                   input_stamp=str(input_stamp) if input_stamp else None,
                   cpu_seconds=time.process_time() - cpu, peak_mb=_peak_mb())


def _peak_mb() -> float | None:
    """Peak resident memory of this process in MB: VmHWM (Linux; a process made by exec starts
    afresh, where getrusage's maximum would carry its parent's over), else getrusage."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def fill_image(job: ImageJob, settings: FillSettings, *, generator: Generator | None = None,
               progress: Callable[[float, str], None] | None = None) -> Outcome:
    """Fill one image and write its result: the one per-image function of every engine.

    Never raises for a problem of the image (it is a failed :class:`Outcome` with the error and
    its exit code); Ctrl-C (``KeyboardInterrupt``) passes through, leaving no partial file.
    """
    started = time.perf_counter()
    try:
        generator = generator or _generator_for(settings.config)
        if loc.is_remote(job.source) or loc.is_remote(job.target):
            with tempfile.TemporaryDirectory(prefix="pano-inpaint-") as scratch:
                return _fill_staged(job, settings, generator, progress, Path(scratch))
        return _fill_staged(job, settings, generator, progress, Path(tempfile.gettempdir()))
    except JobError as exc:
        return Outcome(job.index, False, time.perf_counter() - started, error=str(exc),
                       code=exc.code)
    except (ImportError, OSError) as exc:  # an object store's package or connection
        return Outcome(job.index, False, time.perf_counter() - started,
                       error=f"{job.source}: {exc}", code=EXIT_INPUT)


# ---------------------------------------------------------------------------------- at the end


def write_report(plan: BatchPlan, outcomes: Sequence[Outcome],
                 skipped: Sequence[int] = ()) -> None:
    """The consistency report(s) as JSON: one object, or for a batch one per input (those a
    resumed run skipped say so: their results are in the manifest). A single image that was
    not filled (failed, interrupted) has no report: an empty ``{}`` was written, over the
    report of the output it left as it was (with ``--overwrite``).

    Raises:
        JobError: ``EXIT_OUTPUT`` if it cannot be written (the images are written already).
    """
    if plan.report is None:
        return
    data = {plan.sources[o.index]: {"output": plan.targets[o.index], **(o.report or {})}
            for o in outcomes if o.ok}
    for index in skipped:
        data[plan.sources[index]] = {"output": plan.targets[index],
                                     "skipped": "done by an earlier run (see the manifest)"}
    if not plan.batch and not data:
        return
    try:
        write_json(plan.report, data if plan.batch else next(iter(data.values())))
    except OSError as exc:
        raise JobError(f"the results were written, but not the report {plan.report}: "
                       f"{exc.strerror or exc}", EXIT_OUTPUT) from exc


def exit_code(plan: BatchPlan, failures: Sequence[JobError]) -> int:
    """0 when all went well; 1 when some images of a batch failed; a single image's own code."""
    if not failures:
        return 0
    return EXIT_BATCH_FAILED if plan.batch else failures[0].code
