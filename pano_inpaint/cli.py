"""``pano-inpaint``: the command line, a thin layer over the library (torch loads only when a
torch generator is used).

Exit codes: 0 done; 1 some images of a batch failed (the others were written); 2 bad command
line; 3 bad input (unreadable, not 2:1, mask mismatch, hole too large, partial panorama);
4 output problem (exists without --overwrite, is the input, cannot be written); 130 stopped by
Ctrl-C (a batch: run the same command again to resume).
"""

# No `from __future__ import annotations` here: typer reads every command's annotations to build
# the command line, and evaluating them from strings (eval per parameter) was the larger part of
# its work on `--help`.
import contextlib
import errno
import functools
import gc
import inspect
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

# Only what every command needs is imported here: `pano-inpaint --help` must stay fast, so
# numpy, OpenCV, numba and torch are imported inside the commands that use them.
from pano_inpaint.exit_codes import (
    EXIT_BATCH_FAILED,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
)

__all__ = ["app", "main"]


class _Commands(typer.core.TyperGroup):
    """The command group, which refuses an empty path before a command parses its arguments
    (see ``_empty_path``)."""

    def resolve_command(self, ctx, args):
        name, command, args = super().resolve_command(ctx, args)
        # --help anywhere wins, as it does over any other usage error
        if (command is not None and not ctx.resilient_parsing
                and not set(args) & set(ctx.help_option_names)):
            _refuse_empty_path(command, args, ctx)
        return name, command, args


app = typer.Typer(
    cls=_Commands,
    name="pano-inpaint",
    help="Repair 360-degree equirectangular panoramas: remove tripods, rigs, logos without "
    "seams, pole smears or wrap-around breaks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()
# Piped into a log, a message stays one line (rich would break it at 80 columns, mid-path).
# On a terminal rich folds it to the width, which the live progress bars need: a print
# renders the bar with the print's options, and an uncropped bar breaks their redraw.
console.soft_wrap = not console.is_terminal
out.soft_wrap = not out.is_terminal


def _fail(message: str, code: int) -> typer.Exit:
    # escaped: a message quoting a path or a command ("pano-inpaint[ray]") is not markup
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _interrupted(message: str) -> typer.Exit:
    console.print(f"[yellow]interrupted:[/] {escape(message)}", highlight=False)
    return typer.Exit(EXIT_INTERRUPTED)


def _stops_cleanly(what: str) -> Callable[[Callable], Callable]:
    """Ctrl-C anywhere in the decorated command is exit 130 with one line saying what to do.

    typer turns a KeyboardInterrupt that leaves a command into a silent exit 130 (it catches it
    itself, so ``_run`` never sees it); the command's own exit 130 (a batch's, a write's) is a
    ``typer.Exit`` and passes through with its own line. Only for commands that write nothing
    before their last step, or write files whole (atomically) and say so themselves.
    """
    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)  # typer reads the signature through __wrapped__
        def run(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except KeyboardInterrupt:
                raise _interrupted(f"nothing was written; run the same command again to "
                                   f"{what}") from None
        return run
    return decorate


def _stopped_writing(targets: list[Path], before: set[Path], overwrite: bool,
                     what: str) -> typer.Exit:
    """Ctrl-C while writing ``targets`` (``before``: those there at the start). Each file is
    written whole or not at all; those written stay, so without --overwrite the same command
    would now refuse them."""
    written = [t for t in targets if t.exists() and t not in before]
    if not written:
        return _interrupted(f"nothing was written; run the same command again to {what}")
    done = f"{len(written)} of the {len(targets)} files written, none half-written; "
    if overwrite:
        return _interrupted(f"{done}run the same command again to {what}")
    return _interrupted(f"{done}run the same command with --overwrite to {what} (it replaces "
                        "only what this run wrote)")


def _written_since(path: Path, started: float) -> bool:
    """Whether ``path`` was written by this run (``started``: ``time.time()`` at its start; 1 s
    of slack for file systems that keep whole seconds)."""
    return path.exists() and path.stat().st_mtime >= started - 1


def _output_exists(path: Path) -> bool:
    """``path.exists()`` for a file or folder a command writes: a folder above it that cannot
    be searched (no permission) is exit 4 with one line, where it was a traceback."""
    from pano_inpaint.io.atomic import UnsearchableFolderError, target_kind

    try:
        return target_kind(path) is not None
    except UnsearchableFolderError as exc:
        raise _fail(str(exc), EXIT_OUTPUT) from exc


def _check_out_folder(folder: Path) -> None:
    """Exit 4 with one line, before any work, when the --out folder of a long command (eval,
    train) cannot be written: it was a PermissionError traceback at the first write, after the
    work. The folder is made only later: what is tried now is a file in the nearest folder that
    exists (removed again). Call it once :func:`_output_exists` has looked into the folder (one
    above it that cannot be searched has its own line). A file in the way of the folder is
    exit 4 here too: train found it after torch had loaded."""
    from pano_inpaint.io.atomic import check_folder, temporary_name

    try:
        check_folder(folder)
    except NotADirectoryError as exc:
        raise _fail(f"cannot write into {folder}: {exc.strerror}", EXIT_OUTPUT) from exc
    place = next(p for p in (folder, *folder.parents) if p.is_dir())  # "." or "/" at worst
    probe = temporary_name(place / "probe")
    try:
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as exc:  # no write permission, a read-only file system
        where = "" if place == folder else f" (it would be made in {place})"
        raise _fail(f"cannot write into {folder}: {exc.strerror or exc}{where}; check the "
                    "folder's permissions, or give another --out", EXIT_OUTPUT) from exc


def _failed_inside(folder: Path, exc: OSError) -> typer.Exit:
    """Exit 4 with one line for a file or folder inside ``folder`` (the --out of eval, train)
    that could not be written or read back: without the permission asked (a read-only folder,
    an unreadable checkpoint an earlier run left) or on a full disk; a traceback before. An
    image's ImageWriteError says it all. Any other path's error is raised again (an input's is
    not an output problem)."""
    from pano_inpaint.io import ImageWriteError

    if isinstance(exc, ImageWriteError):
        named, message = exc.path, str(exc)
    else:
        named = exc.filename
        hint = ("check its permissions" if isinstance(exc, PermissionError)
                else "free some disk space" if exc.errno == errno.ENOSPC else "check it")
        message = f"{exc.filename}: {exc.strerror or exc}; {hint}, or give another --out"
    if named is None or not Path(os.path.abspath(named)).is_relative_to(
            os.path.abspath(folder)):
        raise exc
    return _fail(message, EXIT_OUTPUT)


def _config(config: Path | None, overrides: list[str] | None, generator: str | None = None):
    """The effective config; ``-g NAME`` makes NAME the config's generator, so ``--set
    generator.params.*`` reach it (the file's params stay only if it names the same one)."""
    import json

    from pano_inpaint.config import ConfigError, load_config

    try:
        settings = list(overrides or ())
        if generator is not None and generator != load_config(config).generator.name:
            settings = [f"generator.name={json.dumps(generator)}", "generator.params={}",
                        *settings]
        return load_config(config, settings)
    except ConfigError as exc:
        raise _fail(f"config: {exc}", EXIT_USAGE) from exc
    except OSError as exc:  # missing too: '[Errno 2] No such file or directory: ...' before
        raise _fail(f"config: cannot read {config}: {exc.strerror or exc}", EXIT_USAGE) from exc


def _check_detector(name: str, weights: str | None = None) -> None:
    """Build the rig detector once (its weights loaded): unknown or unloadable fails here."""
    from pano_inpaint.masks.auto.detect import DetectorError, get_detector

    try:
        get_detector(name, weights)
    except (KeyError, DetectorError) as exc:
        raise _fail(str(exc).strip('"'), EXIT_USAGE) from exc


def _check_generator(cfg) -> None:
    """Build the config's generator once: an unknown name or a bad param fails here."""
    from pano_inpaint.batch import build_generator
    from pano_inpaint.jobs import JobError

    try:
        build_generator(cfg)
    except JobError as exc:
        raise _fail(str(exc), exc.code) from exc


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config (see `pano-inpaint dump-config`)."),
]
# Short words only: in a narrow help column (mask's) a long one was cut ("cube.face_size=20…").
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config key, e.g. --set mask.dilate=4 (repeatable; "
                 "the keys: `pano-inpaint dump-config`)."),
]
GeneratorOption = Annotated[
    str | None,
    typer.Option("--generator", "-g", help="What fills the hole (default: the config's, "
                 "patchmatch); see `pano-inpaint generators`.", show_default=False),
]


def _not_standard_output(value):
    """``-o -`` is refused (exit 2): results are files; it made a folder named '-' and filled
    into it, while '> out.jpg' left an empty file. (``-o ""``, which a callback sees as '.',
    is refused with every other empty path by ``_refuse_empty_path``.)"""
    if value is not None and str(value) == "-":
        raise typer.BadParameter("'-' (standard output) is not supported: give a file or folder")
    return value


def _names_a_path(param) -> bool:
    """Whether a command's parameter names a file or folder: typed as a path, an output that
    may be a URL (inpaint's -o: the ``_not_standard_output`` check), or the inputs."""
    return ("Path" in str(param.type_descriptor.annotation)
            or param.name == "inputs"  # typer wraps a callback (__wrapped__ is ours)
            or (param.callback is not None
                and inspect.unwrap(param.callback) is _not_standard_output))


def _empty_path(command, args: list[str], ctx) -> str | None:
    """How the user named the first path parameter given as an empty string, or None.

    ``-o ""`` (an unset shell variable: ``-o "$OUT"``) reached the commands as Path('.'), the
    working folder, and inpaint, cubemap, mask, demo and train wrote there (exit 0); serve ""
    served it. The raw values are read by the command's own parser, so ``--out=``, an option
    given twice and ``--`` count as the command will read them.
    """
    probe = command.context_class(command, parent=ctx, resilient_parsing=True)
    values, _, _ = command.make_parser(probe).parse_args(args=list(args))
    for param in command.params:
        value = values.get(param.name)
        given = value if isinstance(value, (list, tuple)) else [value]
        if "" not in given or not _names_a_path(param):
            continue
        spelled = [arg.partition("=")[0] for arg in args if arg in param.opts
                   or (arg.startswith("--") and arg.partition("=")[0] in param.opts)]
        return spelled[-1] if spelled else param.name.upper()
    return None


def _refuse_empty_path(command, args: list[str], ctx) -> None:
    named = _empty_path(command, args, ctx)
    if named is not None:
        raise _fail(f"{named} is empty; give a file or folder", EXIT_USAGE)


def _at_least_one_pixel(value: int) -> int:
    """--max-pixels 0 or -1 was exit 3 for every image ('more than the limit of -0
    megapixels') in cubemap, check, mask and equirect, where inpaint said it is a usage error.
    A callback, not ``min=1``: a range would take the option off the plain-value fast path."""
    if value < 1:
        raise typer.BadParameter(f"must be at least 1, got {value}")
    return value


MaxPixelsOption = Annotated[
    int, typer.Option(help="Refuse images declaring more pixels than this, before decoding "
                      "(default: 16384x8192, the largest supported).", show_default=False,
                      callback=_at_least_one_pixel)
]
# io.headers.DEFAULT_MAX_PIXELS (a test keeps the two equal), without importing io on --help
_DEFAULT_MAX_PIXELS = 16384 * 8192


@app.command("inpaint")
def inpaint_command(
    inputs: Annotated[
        list[str], typer.Argument(help="Panorama files, folders of panoramas, or globs; paths "
                                  "or URLs (s3://, gs://, file://...).", show_default=False)
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Output file, or folder for a batch (a name "
                     "ending in / or without a suffix is a folder); a path or a URL.",
                     show_default=False, callback=_not_standard_output),
    ] = None,
    mask: Annotated[
        # readable=False: click's own check was exit 2 (usage); reading the mask says 3.
        Path | None,
        typer.Option("--mask", "-m", help="Mask image (white = hole), or a folder of masks "
                     "named like the images.", readable=False),
    ] = None,
    nadir: Annotated[
        float | None, typer.Option(help="Fill a cap of this many degrees around the nadir.")
    ] = None,
    zenith: Annotated[
        float | None, typer.Option(help="Fill a cap of this many degrees around the zenith.")
    ] = None,
    auto: Annotated[
        bool, typer.Option("--auto", help="Find the rig at the nadir by itself (see `pano-inpaint"
                           " mask`); a --mask or --nadir given for an image wins. A doubtful "
                           "find the image does not back is not filled (--set "
                           "auto_mask.min_evidence=0 fills it).")
    ] = False,
    generator: GeneratorOption = None,
    config: ConfigOption = None,
    overrides: SetOption = None,
    report: Annotated[
        # readable=False: click's own check was exit 2 (usage); check_report_path says 4.
        Path | None, typer.Option(help="Write the consistency report(s) as JSON here.",
                                  readable=False)
    ] = None,
    dilate: Annotated[
        int | None, typer.Option(help="Grow the hole by this many pixels before filling.")
    ] = None,
    resize_mask: Annotated[
        bool, typer.Option("--resize-mask", help="Resize a mask of another size to the image.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Replace existing output and report files.")
    ] = False,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Write the result over the input file.")
    ] = False,
    max_pixels: MaxPixelsOption = _DEFAULT_MAX_PIXELS,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Images filled at once: worker "
                                 "processes (default: one per core), or the CPUs of a local "
                                 "Ray.", show_default=False)
    ] = None,
    # "\\[": help text is rich markup, where a bare "[ray]" is a style tag and vanishes.
    engine: Annotated[
        str, typer.Option(metavar="local|ray", help="local: this machine's processes; ray: "
                          "one Ray task per image (pip install 'pano-inpaint\\[ray]').")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="The Ray cluster to use (default: start a local Ray).",
                                 show_default=False)
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Fill the hole of one panorama or a batch.

    A batch writes a manifest (pano-inpaint-manifest.jsonl) in the output folder: run the same
    command again to fill only what is missing or failed.

    Example:

        pano-inpaint inpaint photo.jpg --nadir 25 -o photo_clean.jpg

        pano-inpaint inpaint shots/ --mask tripod.png -o cleaned/ \\
            --report reports.json

        pano-inpaint inpaint photo.jpg --auto -o photo_clean.jpg

        pano-inpaint inpaint s3://shoot/raw/ --nadir 25 -o s3://shoot/clean/ \\
            --engine ray
    """
    from pano_inpaint.batch import plan_batch
    from pano_inpaint.engines import check_engine
    from pano_inpaint.jobs import JobError, MaskSpec

    overrides = list(overrides or [])
    if dilate is not None:
        overrides.append(f"mask.dilate={dilate}")
    try:  # the plan writes nothing (loading --auto's network, reading many headers: seconds)
        cfg = _config(config, overrides, generator)
        if auto:
            _check_detector(cfg.auto_mask.detector, cfg.auto_mask.weights)
        spec = check_engine(engine, jobs, ray_address)
        plan = plan_batch(inputs, output, MaskSpec(mask, nadir, zenith, resize_mask, auto), cfg,
                          report=report, overwrite=overwrite, in_place=in_place,
                          max_pixels=max_pixels)
    except JobError as exc:
        raise _fail(str(exc), exc.code) from exc
    except KeyboardInterrupt:  # typer would end it silently with 130
        raise _interrupted("before the fill started, nothing was written; run the same "
                           "command again") from None
    raise typer.Exit(_run_batch(plan, spec, quiet))


class _BatchBar:
    """One progress bar for a run (a single image: its stages; a batch: images done, with
    counts and the time left), failures printed above it as they come."""

    def __init__(self, plan, quiet: bool) -> None:
        from rich.progress import Progress

        from pano_inpaint._progress import bar_columns

        self.plan = plan
        columns = bar_columns("[bold]{task.description}",
                              "{task.fields[counts]}" if plan.batch else None)
        self.bars = Progress(*columns, console=console, disable=quiet, transient=True)
        self.task = None
        self.filled = self.failed = self.skipped = 0
        self.engine = ""

    def __enter__(self) -> "_BatchBar":
        self.bars.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.bars.stop()

    def _counts(self) -> str:
        parts = [f"{self.filled} filled"]
        if self.failed:
            parts.append(f"[red]{self.failed} failed[/]")
        if self.skipped:
            parts.append(f"{self.skipped} done before")
        return ", ".join(parts)

    def begin(self, total: int, done: int, engine: str) -> None:
        self.skipped, self.engine = done, engine
        if self.plan.batch:
            self.task = self.bars.add_task(f"filling ({engine})", total=total, completed=done,
                                           counts=self._counts())
        else:
            self.task = self.bars.add_task(escape(Path(self.plan.sources[0]).name),
                                           total=1.0)

    def stage(self, index: int, fraction: float, text: str) -> None:
        name = escape(Path(self.plan.sources[index]).name)
        if self.plan.batch:
            self.bars.update(self.task, description=f"{name}: {text}")
        else:
            self.bars.update(self.task, completed=fraction, description=f"{name}: {text}")

    def finished(self, index: int, outcome) -> None:
        if outcome.ok:
            self.filled += 1
        else:
            self.failed += 1
            label = "[red]failed[/]" if self.plan.batch else "[bold red]error:[/]"
            console.print(f"{label} {escape(outcome.error or '')}", highlight=False)
        if self.plan.batch:
            self.bars.update(self.task, advance=1, counts=self._counts())


def _run_batch(plan, spec, quiet: bool) -> int:
    """Fill every image of a checked plan with a progress bar; print and report what happened;
    returns the exit code."""
    from pano_inpaint.batch import exit_code, write_report
    from pano_inpaint.jobs import JobError
    from pano_inpaint.runner import run_batch

    try:
        with _BatchBar(plan, quiet) as bar:
            summary = run_batch(plan, spec, events=bar)
    except JobError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return exc.code
    for item in sorted(summary.outcomes, key=lambda o: o.index):
        if not item.ok:
            continue
        status = ("[yellow]flagged: " + ", ".join(item.flags) + "[/]" if item.flags
                  else "[green]ok[/]")
        out.print(f"{escape(plan.sources[item.index])} -> {escape(plan.targets[item.index])}  "
                  f"{status} {escape(item.note)}", highlight=False)
    try:
        write_report(plan, summary.outcomes, summary.skipped)
    except JobError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return exc.code
    if plan.batch:
        done = len(summary.outcomes)
        rate = f", {done / summary.seconds:.2f} images/s" if done and summary.seconds else ""
        line = f"{summary.filled} filled, {len(summary.failures)} failed"
        if summary.skipped:
            line += f", {len(summary.skipped)} done by an earlier run"
        out.print(f"{line} in {summary.seconds:.1f}s ({bar.engine}{rate})", highlight=False)
        if summary.manifest:
            out.print(f"manifest: {escape(summary.manifest)}", highlight=False)
    if summary.interrupted:
        left = "1 image left" if summary.left == 1 else f"{summary.left} images left"
        console.print(f"[yellow]interrupted:[/] {left}; run the same command again to fill "
                      f"{'it' if summary.left == 1 else 'them'}", highlight=False)
        return EXIT_INTERRUPTED
    return exit_code(plan, summary.failures)


def _own_outputs(images: list[Path], output: Path, preview: bool,
                 max_pixels: int) -> list[Path]:
    """The inputs that are masks and previews an earlier run wrote into ``output`` (named as
    this run's outputs, and a mask or a marked preview by their pixels or header). A panorama
    of the user's named so (``hall_preview.jpg`` beside ``hall.jpg``) was skipped too, and
    replaced with ``--overwrite``; it is masked like the others, unless this run writes that name.

    Raises:
        JobError: ``EXIT_OUTPUT`` for such a panorama that this run would write over.
    """
    from pano_inpaint.jobs import JobError, is_mask_command_output, mask_outputs

    writers = {path.resolve(): (image, kind) for image in images
               for path, kind in zip(mask_outputs(image, output), ("mask", "preview"),
                                     strict=True)}
    own = []
    # A file this run would replace that is not an input (the image given by name) is
    # looked at too: with --overwrite a panorama named so was replaced by the mask or preview.
    inputs = {image.resolve() for image in images}
    there = [path for path in writers if path not in inputs and _output_exists(path)]
    for image in [*images, *there]:
        writer, kind = writers.get(image.resolve(), (None, None))
        if writer is None:
            continue
        # unreadable=True (a listing's is False): a file named as this run's output that
        # cannot be read is most likely an earlier run's (another user's, or cut short); it
        # is skipped and left to the rule for existing outputs ('exists; pass --overwrite').
        # Taken for a panorama, the run stopped on '... is a panorama' of a file no one could
        # look at (a preview did; a mask, through is_mask_file, was skipped).
        if is_mask_command_output(image, kind, unreadable=True, max_pixels=max_pixels):
            own += [image] if image.resolve() in inputs else []
        elif kind == "mask" or preview:
            raise JobError(f"{image} is a panorama, and the {kind} of {writer.name} would be "
                           f"written over it; write the masks to another folder (-o)",
                           EXIT_OUTPUT)
    return own


@app.command("mask")
@_stops_cleanly("make the masks")
def mask_command(
    inputs: Annotated[
        list[str], typer.Argument(help="Panorama files, folders of panoramas, or globs.",
                                  show_default=False)
    ],
    output: Annotated[
        # readable=False (the report's too): click's own check was exit 2 (usage); 4 here.
        Path, typer.Option("--output", "-o", help="Folder for NAME_mask.png (white = hole) and "
                           "NAME_preview.jpg.", show_default=False, readable=False,
                           callback=_not_standard_output)
    ],
    shoot: Annotated[
        bool, typer.Option("--shoot", help="The panoramas are one shoot with the same rig: "
                           "one shared mask, aligned in yaw and refined per image (3 or more).")
    ] = False,
    dilate: Annotated[
        int, typer.Option(min=0, help="Grow the written masks by this many pixels.")
    ] = 0,
    detector: Annotated[
        str | None, typer.Option(help="auto (the default: learned+classical when the network's "
                                 "weights exist, else classical), learned (the shipped "
                                 "network), classical (no weights) or learned+classical (what "
                                 "either finds).")
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview/--no-preview", help="Write NAME_preview.jpg.")
    ] = True,
    report: Annotated[
        Path | None, typer.Option(help="Write coverage, confidence and warnings as JSON here.",
                                  readable=False)
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing output files.")] = False,
    config: ConfigOption = None,
    overrides: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    max_pixels: MaxPixelsOption = _DEFAULT_MAX_PIXELS,
) -> None:
    """Find the tripod, monopod, hand, rig plate or shadow at the nadir and write its mask.

    Exit codes as for inpaint: 1 some images failed, 3 bad input, 4 output exists or unwritable.

    Example:

        pano-inpaint mask photo.jpg -o masks/

        pano-inpaint mask shoot/ -o masks/ --shoot

        pano-inpaint inpaint shoot/ --mask masks/ -o clean/
    """
    from pano_inpaint._progress import ProgressBar
    from pano_inpaint.batch import check_report_path
    from pano_inpaint.jobs import JobError, once_each, resolve_inputs, write_json
    from pano_inpaint.mask_jobs import check_mask_outputs, mask_outputs, write_masks

    overrides = list(overrides or [])
    if detector is not None:
        overrides.append(f"auto_mask.detector={detector}")
    cfg = _config(config, overrides)
    try:
        images = [image.path for spec in inputs for image in resolve_inputs(spec, done="masked")]
    except JobError as exc:
        raise _fail(str(exc), exc.code) from exc
    # 'mask a.jpg a.jpg' ended 'a.jpg and a.jpg would both write a_mask.png' (exit 4), where
    # inpaint fills a file given twice once (and --shoot would count it twice).
    images = [images[i] for i in once_each(list(map(str, images)), images, "given",
                                           done="masked")]
    if _output_exists(output) and not output.is_dir():
        raise _fail(f"{output} is a file; -o takes a folder", EXIT_USAGE)
    # Masks written beside the images: run again, its own masks and previews were taken for
    # panoramas (a_mask_mask.png, a_preview_mask.png... with --overwrite).
    try:
        skipped = _own_outputs(images, output, preview, max_pixels)
    except JobError as exc:
        raise _fail(str(exc), exc.code) from exc
    if skipped:
        console.print(f"[yellow]warning[/] {escape(', '.join(p.name for p in skipped[:3]))}"
                      f"{', ...' if len(skipped) > 3 else ''}: masks and previews already in "
                      f"{escape(str(output))} (not panoramas), skipped", highlight=False)
        images = [image for image in images if image not in skipped]
    _check_detector(cfg.auto_mask.detector, cfg.auto_mask.weights)
    targets = [path for image in images
               for path in mask_outputs(image, output)[: 2 if preview else 1]]
    if report is not None:  # written over an input (or any file, --overwrite or not) before
        try:
            check_report_path(report, list(map(str, images)), list(map(str, targets)), overwrite)
        except JobError as exc:
            raise _fail(str(exc), exc.code) from exc
    try:  # refused before the bar: an empty '0/3 steps' was drawn above the refusal
        check_mask_outputs(images, output, preview=preview, overwrite=overwrite)
    except JobError as exc:
        raise _fail(str(exc), exc.code) from exc
    before = {path for path in targets if _output_exists(path)}
    made = _missing_folders(output)
    started = time.perf_counter()
    try:
        with ProgressBar(len(images) * (2 if shoot else 1), unit="steps",
                         enabled=not quiet) as bar:
            def step(image: Path, stage: str) -> None:
                bar.describe(f"{image.name}: {stage}")
                bar.advance()

            results, failures, warnings = write_masks(
                images, output, config=cfg.auto_mask, shoot=shoot, dilate=dilate,
                preview=preview, overwrite=overwrite, progress=step, max_pixels=max_pixels)
    except JobError as exc:
        raise _fail(str(exc), exc.code) from exc
    except KeyboardInterrupt:  # after the bar is gone, so the line is not drawn under it
        raise _stopped_writing(targets, before, overwrite, "make the masks") from None
    for item in results:
        r = item.report
        found = (f"{100 * r['sphere_fraction']:.2f}% of the sphere ({r['cap25_ratio']:.2f} x a "
                 f"25-degree cap), confidence {r['confidence']:.2f}")
        yaw = f", yaw {r['shoot_yaw_degrees']:+.1f} deg" if "shoot_yaw_degrees" in r else ""
        out.print(f"{item.input} -> {item.mask}  {found}{yaw}", highlight=False, markup=False)
        for warning in r["warnings"]:
            console.print(f"[yellow]warning[/] {escape(item.input.name)}: {escape(warning)}",
                          highlight=False)
        if r["warnings"] and item.preview is not None:
            console.print(f"  preview: {item.preview}", highlight=False, markup=False)
    for warning in warnings:
        console.print(f"[yellow]warning[/] shoot: {escape(warning)}", highlight=False)
    # One image is an error, as inpaint's; its path was said twice when the message names it.
    label = "[red]failed[/]" if len(images) > 1 else "[bold red]error:[/]"
    for image, exc in failures:
        text = str(exc) if str(image) in str(exc) else f"{image}: {exc}"
        console.print(f"{label} {escape(text)}", highlight=False)
    if report is not None:
        write_json(report, {str(r.input): {"mask": str(r.mask), "preview": str(r.preview),
                                           **r.report} for r in results}
                   | ({"shoot_warnings": warnings} if shoot else {}))
    if results or len(images) > 1:  # one image's error line says it all
        out.print(f"{len(results)} masks, {len(failures)} failed in "
                  f"{time.perf_counter() - started:.1f}s")
    if not results:  # every image failed: no empty folders left behind (eval leaves none)
        _remove_empty(made)  # -o first, then the parents this run made
    if failures:
        raise typer.Exit(EXIT_BATCH_FAILED if len(images) > 1 else failures[0][1].code)


@app.command("check")
@_stops_cleanly("check it")
def check_command(
    # readable=False (the mask's too): click's own check was exit 2 (usage); read_image says 3.
    image: Annotated[Path, typer.Argument(help="Any equirectangular panorama.", readable=False)],
    mask: Annotated[
        Path | None, typer.Option("--mask", "-m", help="Measure seams/boundary on this hole.",
                                  readable=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    resize_mask: Annotated[
        bool, typer.Option("--resize-mask", help="Resize a mask of another size to the image.")
    ] = False,
    max_pixels: MaxPixelsOption = _DEFAULT_MAX_PIXELS,
) -> None:
    """Print the wrap-around, pole and cube-seam consistency of a panorama.

    Example:

        pano-inpaint check result.jpg --mask tripod.png --json
    """
    from rich.table import Table

    from pano_inpaint.consistency import check_consistency
    from pano_inpaint.io import ImageReadError, read_image, read_mask

    try:
        loaded = read_image(image, max_pixels=max_pixels)
        hole = (read_mask(mask, loaded.height, loaded.width, resize=resize_mask,
                          max_pixels=max_pixels) if mask else None)
        report = check_consistency(loaded.pixels, hole)
    except ImageReadError as exc:
        raise _fail(str(exc), EXIT_INPUT) from exc
    except ValueError as exc:
        raise _fail(f"{image}: {exc}", EXIT_INPUT) from exc
    if as_json:
        import json

        out.print_json(json.dumps(report.to_dict(), default=str))
        return
    table = Table(title=f"consistency of {image.name}")
    for column in ("check", "value", "threshold", "status", "what"):
        table.add_column(column)
    for c in report.checks:
        value = "n/a" if c.value is None else f"{c.value:.2f}"
        status = "[red]FLAGGED[/]" if c.flagged else "[green]ok[/]"
        table.add_row(c.name, value, f"{c.threshold:.2f}", status, c.detail)
    out.print(table, soft_wrap=False)
    for note in report.notes:
        out.print(f"note: {note}", markup=False)


def _face_metadata(metadata):
    """Cube faces keep EXIF and the ICC profile, but are not panoramas: no GPano XMP. Their
    EXIF orientation is 1: they are drawn from the panorama's pixels as stored, and a viewer
    that honours the panorama's tag (a browser's <img>, so a web skybox) turned every face."""
    import dataclasses

    return dataclasses.replace(metadata.upright(), xmp=None)


_ENGINE_NAMES = {"frblud": ("front", "right", "back", "left", "up", "down"),
                 "engine": ("pz", "px", "nz", "nx", "py", "ny")}


@app.command("cubemap")
@_stops_cleanly("make the cubemap")
def cubemap_command(
    # readable=False: click's own check was exit 2 (usage); read_image says 3, the output 4.
    image: Annotated[Path, typer.Argument(help="Equirectangular panorama.", readable=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.",
                                         readable=False, callback=_not_standard_output)],
    layout: Annotated[
        str, typer.Option(help="faces (six files), dice (4x3 cross), horizon (6x1), vertical.")
    ] = "faces",
    face_size: Annotated[
        int | None, typer.Option(min=1, max=16384, help="Face size in pixels (default: width "
                                 "/ 4).")
    ] = None,
    names: Annotated[
        str, typer.Option(help="Face file names: frblud (front.png ...) or engine "
                          "(px nx py ny pz nz).")
    ] = "frblud",
    fmt: Annotated[
        str | None, typer.Option("--format", help="File suffix for the faces (default: png; "
                                 "for float (HDR) input its own format, else exr).",
                                 show_default=False)
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing face files.")] = False,
    max_pixels: MaxPixelsOption = _DEFAULT_MAX_PIXELS,
) -> None:
    """Convert a panorama to a cubemap (faces seen from the centre, FRBLUD like py360convert).

    Example:

        pano-inpaint cubemap pano.exr -o sky/ --names engine --format exr
    """
    from pano_inpaint.geometry import erp_to_cube
    from pano_inpaint.geometry.layouts import cube_to_layout
    from pano_inpaint.io import SUPPORTED_SUFFIXES, ImageReadError, derived_suffix, read_image

    suffix = None if fmt is None else "." + fmt.lstrip(".").lower()
    if layout not in ("faces", "dice", "horizon", "vertical"):
        raise _fail(f"unknown layout {layout!r}: use faces, dice, horizon or vertical",
                    EXIT_USAGE)
    if names not in _ENGINE_NAMES:
        raise _fail(f"unknown names {names!r}: use frblud or engine", EXIT_USAGE)
    if suffix is not None and suffix not in SUPPORTED_SUFFIXES:
        raise _fail(f"unknown --format {fmt!r}: use one of "
                    f"{', '.join(s.lstrip('.') for s in SUPPORTED_SUFFIXES)}", EXIT_USAGE)
    try:
        loaded = read_image(image, max_pixels=max_pixels)
        faces = erp_to_cube(loaded.pixels, face_size or loaded.width // 4)
    except ImageReadError as exc:
        raise _fail(str(exc), EXIT_INPUT) from exc
    except ValueError as exc:
        raise _fail(f"{image}: {exc}", EXIT_INPUT) from exc
    metadata = _face_metadata(loaded.metadata)
    # HDR faces as PNG were refused: without --format the faces keep the input's range
    suffix = suffix or derived_suffix(loaded.pixels, image)
    if layout == "faces":
        pictures = {f"{name}{suffix}": face
                    for name, face in zip(_ENGINE_NAMES[names], faces, strict=True)}
    else:
        pictures = {f"{image.stem}_{layout}{suffix}": cube_to_layout(faces, layout)}
    for path in _write_pictures(output, pictures, metadata, overwrite, inputs=[image],
                                half=loaded.half):
        out.print(str(path), markup=False)


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and the folders above it that do not exist yet (innermost first): what making
    it makes, and :func:`_remove_empty` takes away again if the command fails."""
    return [f for f in (folder, *folder.parents) if not f.exists()]


def _remove_empty(folders: list[Path]) -> None:
    """Remove the ``folders`` a failed command made (innermost first) that are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _write_pictures(folder: Path, pictures: dict, metadata, overwrite: bool, *,
                    inputs: list[Path], half: bool = False) -> list[Path]:
    """Write ``{name: pixels}`` into ``folder``; any failure is exit code 4 (an output
    problem), and nothing is written if one of the files is one of the ``inputs`` (even with
    --overwrite, which replaced the input: 'cubemap front.jpg -o .' wrote a face over it),
    exists without --overwrite, or is of a format that cannot hold its pixels. ``half``: float
    pixels as half floats where the format stores them (the input did)."""
    from pano_inpaint.io import check_storable, write_image
    from pano_inpaint.io.atomic import all_or_nothing, make_folder
    from pano_inpaint.jobs import same_file

    targets = [folder / name for name in pictures]
    for target in targets:
        source = next((path for path in inputs if _output_exists(target)
                       and same_file(target, path)), None)
        if source is not None:
            raise _fail(f"{target} would replace the input {source}; write to another "
                        f"{'folder' if len(targets) > 1 else 'file'}", EXIT_OUTPUT)
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        one = len(existing) == 1
        raise _fail(f"{', '.join(map(str, existing))} {'exists' if one else 'exist'}; pass "
                    f"--overwrite to replace {'it' if one else 'them'}", EXIT_OUTPUT)
    for target, pixels in zip(targets, pictures.values(), strict=True):
        try:  # before the folder is made: an HDR panorama's faces as PNG left it empty
            check_storable(target, pixels)
        except ValueError as exc:
            raise _fail(f"{target}: {exc}", EXIT_OUTPUT) from exc
    written = []
    try:
        # All or none: a full disk at the fifth face left four (and Ctrl-C some), a set that
        # looked whole to the next step; the block takes away its files and the folder it made.
        with all_or_nothing():
            try:
                make_folder(folder)
            except OSError as exc:
                raise _fail(f"cannot write into {folder}: {exc.strerror or exc}",
                            EXIT_OUTPUT) from exc
            for target, pixels in zip(targets, pictures.values(), strict=True):
                try:
                    written.append(write_image(target, pixels, metadata, overwrite=overwrite,
                                               half=half))
                except ValueError as exc:  # the format cannot store these pixels
                    raise _fail(f"{target}: {exc}", EXIT_OUTPUT) from exc
    except OSError as exc:  # its message names the file
        none = f" (none of the {len(targets)} files was written)" if len(targets) > 1 else ""
        raise _fail(f"{exc}{none}", EXIT_OUTPUT) from exc
    return written


def _read_faces(source: Path, max_pixels: int):
    """Six faces ``(6, S, S, C)``, the metadata of the first, the files read and whether they
    all hold half floats, from a folder of six files, one layout image, or a folder holding
    only that image.

    Raises:
        ValueError: no cubemap there, a folder that cannot be listed, or faces of different
            sizes or shapes (named).
    """
    import numpy as np

    from pano_inpaint.geometry.layouts import layout_to_cube
    from pano_inpaint.io import SUPPORTED_SUFFIXES, read_image

    if not source.is_dir():  # read_image refuses what is not a regular file
        loaded = read_image(source, max_pixels=max_pixels)
        return layout_to_cube(loaded.pixels), loaded.metadata, [source], loaded.half
    try:
        files = {p.stem.lower(): p for p in source.iterdir() if p.is_file()}
    except OSError as exc:  # no permission: a PermissionError traceback before
        raise ValueError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    for stems in _ENGINE_NAMES.values():
        if all(s in files for s in stems):
            loaded = [read_image(files[s], max_pixels=max_pixels) for s in stems]
            first = loaded[0]
            for face in loaded:
                height, width, channels = face.pixels.shape
                if height != width:
                    raise ValueError(f"face {face.path.name} is {width}x{height}; cube faces "
                                     "are square")
                same = (face.pixels.shape, face.pixels.dtype) == (first.pixels.shape,
                                                                  first.pixels.dtype)
                if not same:
                    raise ValueError(
                        f"face {face.path.name} is {width}x{height} with {channels} channel(s) "
                        f"of {face.pixels.dtype}, but {first.path.name} is "
                        f"{first.width}x{first.height} with {first.channels} of "
                        f"{first.pixels.dtype}; all six faces must match")
            return (np.stack([x.pixels for x in loaded]), first.metadata,
                    [files[s] for s in stems], all(x.half for x in loaded))
    # The naming with the most faces there: a face missing from it is named.
    stems = max(_ENGINE_NAMES.values(), key=lambda names: sum(s in files for s in names))
    found = [s for s in stems if s in files]
    images = [p for p in files.values() if p.suffix.lower() in SUPPORTED_SUFFIXES]
    if not found and len(images) == 1:  # what 'cubemap --layout dice -o FOLDER' made
        return _read_faces(images[0], max_pixels)
    if found:
        missing = [s for s in stems if s not in files]
        raise ValueError(f"{source} holds {len(found)} of the six faces ({', '.join(found)}); "
                         f"missing: {', '.join(missing)} (named like the others, any image "
                         "suffix)")
    raise ValueError(
        f"{source} holds no cubemap: expected six files named front/right/back/left/up/down "
        "or px/nx/py/ny/pz/nz, or a single dice/strip image"
    )


@app.command("equirect")
@_stops_cleanly("make the panorama")
def equirect_command(
    # readable=False: click's own check was exit 2 (usage); _read_faces says 3, the output 4.
    source: Annotated[Path, typer.Argument(help="Folder of six faces, or a dice/strip image.",
                                           readable=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output panorama file.",
                                         readable=False, callback=_not_standard_output)],
    width: Annotated[
        int | None, typer.Option(min=2, max=65536, help="Output width (default 4 x face).")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
    max_pixels: MaxPixelsOption = _DEFAULT_MAX_PIXELS,
) -> None:
    """Convert a cubemap (six faces or one layout image) back to an equirectangular panorama.

    Example:

        pano-inpaint equirect sky/ -o sky.exr --width 4096
    """
    from pano_inpaint.geometry import cube_to_erp
    from pano_inpaint.io import SUPPORTED_SUFFIXES, ImageReadError

    if output.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise _fail(f"cannot write {output.suffix or 'files without a suffix'}: give the output "
                    f"one of {', '.join(SUPPORTED_SUFFIXES)}", EXIT_USAGE)
    if not source.exists():
        raise _fail(f"{source}: no such file or folder", EXIT_INPUT)
    try:
        faces, metadata, read, half = _read_faces(source, max_pixels)
        w = width or 4 * faces.shape[1]
        w += w % 2
        pano = cube_to_erp(faces, w // 2, w)
    except ImageReadError as exc:
        raise _fail(str(exc), EXIT_INPUT) from exc
    except ValueError as exc:
        raise _fail(str(exc), EXIT_INPUT) from exc
    _write_pictures(output.parent, {output.name: pano}, metadata.for_output(w, w // 2),
                    overwrite, inputs=read, half=half)
    out.print(str(output), markup=False)


def _shipped_sample(height: int):
    """The sample panorama and tripod mask shipped in the package, reduced to ``height`` rows
    (area averaging; a reduced mask pixel is a hole where any pixel under it was)."""
    from importlib.resources import as_file, files

    import cv2

    from pano_inpaint.io import read_image, read_mask

    data = files("pano_inpaint") / "data"
    with as_file(data / "sample_pano.jpg") as image_path, \
            as_file(data / "sample_mask.png") as mask_path:
        loaded = read_image(image_path)
        mask = read_mask(mask_path, loaded.height, loaded.width)
    image = loaded.pixels
    if height < loaded.height:
        size = (2 * height, height)
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask.view("uint8") * 255, size, interpolation=cv2.INTER_AREA) > 0
    return image, mask


@app.command("demo")
@_stops_cleanly("make the demo")
def demo_command(
    # readable=False: click's own check was exit 2 (usage); an output problem is 4.
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo files.",
                                         readable=False, callback=_not_standard_output)
                      ] = Path("pano-inpaint-demo"),
    height: Annotated[
        int, typer.Option(min=16, max=1024, help="Panorama height in pixels: the shipped "
                          "2048x1024 sample is reduced to it.")
    ] = 512,
    generator: GeneratorOption = None,
) -> None:
    """Remove the tripod from the sample panorama shipped with the package, show the files.

    Example:

        pano-inpaint demo -o demo/
    """
    from pano_inpaint.batch import build_generator
    from pano_inpaint.io import ImageWriteError, write_image
    from pano_inpaint.io.atomic import all_or_nothing
    from pano_inpaint.jobs import JobError, write_json
    from pano_inpaint.pipeline import inpaint

    # Checked before the fill, as for inpaint: both reached the user as a Python traceback.
    try:
        built = build_generator(_config(None, None, generator))
    except JobError as exc:
        raise _fail(str(exc), exc.code) from exc
    if _output_exists(output) and not output.is_dir():
        raise _fail(f"{output} is a file; -o takes a folder", EXIT_USAGE)
    made = _missing_folders(output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(f"cannot make the folder {output}: {exc.strerror or exc}",
                    EXIT_OUTPUT) from exc
    paths = {
        "before": output / "before.png",
        "mask": output / "mask.png",
        "after": output / "after.png",
    }
    try:
        image, mask = _shipped_sample(height)
        result = inpaint(image, mask, generator=built)
        # All four or none: a full disk or Ctrl-C at the third left two, as cubemap did.
        with all_or_nothing():
            for path, pixels in zip(paths.values(),
                                    (image, mask.view("uint8") * 255, result.image), strict=True):
                write_image(path, pixels, overwrite=True)
            report = output / "report.json"
            try:
                write_json(report, result.to_dict())
            except OSError as exc:  # a bare OSError, which named the temporary file
                raise _fail(f"cannot write '{report}': {exc.strerror or exc}; check the output "
                            "path, permissions and free disk space", EXIT_OUTPUT) from exc
    except ImageWriteError as exc:  # 'cannot write PATH: why; what to do'
        _remove_empty(made)  # no space left for the first file: an empty folder was left
        raise _fail(str(exc), EXIT_OUTPUT) from exc
    except OSError as exc:  # a rename refused as the block ends (a traceback, exit 1, before)
        _remove_empty(made)
        raise _fail(f"cannot write '{exc.filename}': {exc.strerror or exc}; check the output "
                    "path, permissions and free disk space", EXIT_OUTPUT) from exc
    except (KeyboardInterrupt, typer.Exit):
        _remove_empty(made)  # 'nothing was written': not even the folder
        raise  # _stops_cleanly's 'nothing was written'
    flagged = result.report.flagged
    status = "flagged: " + ", ".join(flagged) if flagged else "seamless (wrap, poles, seams ok)"
    out.print(f"generator {result.generator}: filled {int(mask.sum())} pixels of a "
              f"{image.shape[1]}x{image.shape[0]} panorama in {result.seconds:.2f}s, {status}")
    for name, path in paths.items():
        out.print(f"{name:>7}: {path}", markup=False)
    out.print(f" report: {output / 'report.json'}", markup=False)


def _check_input_folders(folders: list[Path]) -> None:
    """Exit 3 (bad input, as inpaint, mask and check give a missing input) with one line for
    the first of ``folders`` that is missing, a file, or cannot be listed or searched."""
    for folder in folders:
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "no such folder"
            raise _fail(f"{folder}: {what}", EXIT_INPUT)
        try:
            with os.scandir(folder) as entries:
                first = next(entries, None)
                if first is not None:  # listed, not searchable (mode 444): is_file was a traceback
                    first.stat(follow_symlinks=False)
        except OSError as exc:  # no permission: a traceback from the first listing before
            raise _fail(f"{folder}: cannot be read ({exc.strerror or exc})", EXIT_INPUT) from exc


@app.command("serve")
def serve_command(
    folder: Annotated[
        # readable=False: click's own check was exit 2 (usage); _check_input_folders says 3.
        Path, typer.Argument(help="Folder whose panoramas the page can open (default: here).",
                             readable=False)
    ] = Path("."),
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8000,
    host: Annotated[
        str, typer.Option(help="Address to bind; other than 127.0.0.1 exposes FOLDER.")
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in a web browser.")
    ] = False,
    config: ConfigOption = None,
    overrides: SetOption = None,
    max_upload_mb: Annotated[int, typer.Option(help="Largest upload accepted.")] = 1024,
) -> None:
    """Start the local web app: open a panorama, paint the hole in a 360 viewer, fill, compare
    and download (needs the web extra: pip install "pano-inpaint\\[web]").

    Example:

        pano-inpaint serve photos/ --open
    """
    try:
        from pano_inpaint.web.server import bind, serve
    except ImportError as exc:
        raise _fail(f"the web app needs its extra: pip install \"pano-inpaint[web]\" ({exc})",
                    EXIT_USAGE) from exc
    _check_input_folders([folder])
    if not 0 <= port <= 65535 or max_upload_mb < 1:
        raise _fail("--port must be 0-65535 and --max-upload-mb at least 1", EXIT_USAGE)
    cfg = _config(config, overrides)
    _check_generator(cfg)
    try:
        sock = bind(host, port)
    except OSError as exc:
        import socket

        # An address that is no name or not this machine's was told to try another port.
        wrong_host = isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL
        hint = "--host is no address of this machine" if wrong_host else "try another --port"
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc} ({hint})",
                    EXIT_USAGE) from exc
    serve(folder, sock, config=cfg, max_upload_bytes=max_upload_mb << 20,
          open_browser=open_browser, announce=functools.partial(out.print, markup=False))


@app.command("generators")
def generators_command() -> None:
    """List the registered generators.

    Example:

        pano-inpaint generators
    """
    from pano_inpaint.generators import generator_info, list_generators

    for name in list_generators():
        info = generator_info(name)
        out.print(f"{name:12} {info.summary}" + (" (torch)" if info.needs_torch else ""))


@app.command("dump-config")
def dump_config_command(config: ConfigOption = None, overrides: SetOption = None) -> None:
    """Print the effective configuration as YAML.

    Example:

        pano-inpaint dump-config --set generator.name=ns
    """
    import yaml

    from pano_inpaint.config import config_to_dict

    cfg = _config(config, overrides)
    _check_generator(cfg)  # what a fill would refuse (an unknown generator) is refused here
    out.print(yaml.safe_dump(config_to_dict(cfg), sort_keys=False), markup=False)


def _split(text: str | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]``; None stays None."""
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _peers(text: str) -> list[str] | str:
    return text if text in ("default", "all", "none") else (_split(text) or "none")


def _command_line(ctx: typer.Context) -> str:
    """The command as typed, for the reports (``main`` keeps the arguments in ``ctx.obj``)."""
    import shlex

    argv = (ctx.obj or {}).get("argv", sys.argv[1:])
    return "pano-inpaint " + shlex.join(argv)


DirsArgument = Annotated[
    # readable=False: click's own check was exit 2 (usage); _check_input_folders says 3.
    list[Path], typer.Argument(help="Folders of ground-truth panoramas (files directly inside).",
                               show_default=False, readable=False)
]
OutDirOption = Annotated[
    # readable=False: click's own check was exit 2 (usage); _evaluate says 4.
    Path, typer.Option("--out", help="Report folder: results.md, results.json, index.html.",
                       show_default=False, readable=False)
]
SeedOption = Annotated[int, typer.Option(help="Mask seed (masks also depend on family, image).")]
MaxWidthOption = Annotated[
    int | None, typer.Option(help="Reduce wider panoramas to this (default 2048; 1024 with "
                             "--quick).")
]
ImagesOption = Annotated[int | None, typer.Option(help="Use at most this many panoramas.")]
NoHtmlOption = Annotated[
    bool, typer.Option("--no-html", help="Skip index.html and its thumbnails.")
]


def _evaluate(dirs: list[Path], run, out_dir: Path) -> None:
    """Run an evaluation of the panoramas in ``dirs`` (``run()`` returns its results, written
    into ``out_dir``) and list what it wrote; exit 3 for a missing or unreadable folder, 1 when
    nothing was scored, 2 for an unknown generator, peer or family. A run that fails leaves
    none of the files it made (thumbnails of a half-made report were left beside an earlier
    run's index.html); what an earlier run wrote stays."""
    from pano_inpaint.io.atomic import all_or_nothing

    _check_input_folders(dirs)
    _output_exists(out_dir / "results.json")  # a folder that cannot be searched: a traceback
    _check_out_folder(out_dir)
    try:
        with all_or_nothing():
            results = run()
    except KeyboardInterrupt:  # typer would end it silently with 130
        # Nothing is in place before the end, all of it then; an evaluation does not resume.
        raise _interrupted(f"no results written (they go into {out_dir} at the end); run the "
                           "same command again: it evaluates from the start") from None
    except KeyError as exc:
        raise _fail(exc.args[0], EXIT_USAGE) from exc
    except FileNotFoundError as exc:
        raise _fail(str(exc), 1) from exc
    except (FileExistsError, NotADirectoryError) as exc:  # a file as --out: a traceback before
        raise _fail(f"cannot write into {out_dir}: {exc.strerror or exc}", EXIT_OUTPUT) from exc
    except OSError as exc:  # no permission, no space left (a thumbnail: a traceback before)
        raise _failed_inside(out_dir, exc) from exc
    scored = [r for r in results.rows if r["kind"] != "reference"]
    for name, path in results.files.items():
        out.print(f"{name}: {path}", highlight=False, markup=False)
    out.print(f"{len(scored)} results in {results.meta['seconds']:.1f} s")
    if not scored:
        raise typer.Exit(1)


@app.command("eval")
@_stops_cleanly("evaluate")
def eval_command(
    ctx: typer.Context,
    dirs: DirsArgument,
    out_dir: OutDirOption,
    generators: Annotated[
        str | None, typer.Option(metavar="A,B", help="Registered generators (default: all but "
                                 "mean).")
    ] = None,
    masks: Annotated[
        str | None, typer.Option(metavar="FAM1,FAM2", help="Mask families (default: all: "
                                 "nadir, large-cap, tripod, monopod, shadow, cube-edge, "
                                 "cube-corner, wrap, zenith, strokes, passer-by).")
    ] = None,
    peers: Annotated[
        str, typer.Option(metavar="default|all|none|A,B", help="Peer methods: erp-telea, "
                          "erp-ns, faces-telea, erp-pypatchmatch (default: all available; "
                          "pypatchmatch only up to 1024 px wide).")
    ] = "default",
    quick: Annotated[
        bool, typer.Option("--quick", help="Two images (one HDR), four families, 1024 px.")
    ] = False,
    seed: SeedOption = 0,
    max_width: MaxWidthOption = None,
    images: ImagesOption = None,
    smeared_nadir: Annotated[
        list[str] | None,
        typer.Option("--smeared-nadir", metavar="GLOB", help="File names whose nadir is an old "
                     "fill, not ground truth: the nadir families skip them (repeatable).")
    ] = None,
    no_html: NoHtmlOption = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    config: ConfigOption = None,
    overrides: SetOption = None,
    scenes: Annotated[
        bool, typer.Option("--scenes", help="Also render structured test scenes (striped, "
                           "tiled, brick and plank floors; walls and ceilings with lines) "
                           "into OUT/scenes and score them.")
    ] = False,
) -> None:
    """Score every generator and the usual peers on real panoramas with synthetic holes.

    Exit code 0: done (a failing method is a result); 1: nothing evaluated; 2: bad argument;
    3: a folder missing or unreadable; 4: --out cannot be written.

    Example:

        pano-inpaint eval ../shared/panoramas --out eval_out --quick

        pano-inpaint eval panos/ --out eval_out/ --generators patchmatch \\
            --peers none
    """
    from pano_inpaint.eval.runner import run_evaluation

    cfg = _config(config, overrides)
    _evaluate(dirs, lambda: run_evaluation(
        dirs, out_dir, generators=_split(generators), masks=_split(masks), quick=quick,
        seed=seed, max_width=max_width, peers=_peers(peers), images=images,
        smeared_nadir=tuple(smeared_nadir or ()), html=not no_html,
        progress=not no_progress, command=_command_line(ctx), config=cfg, scenes=scenes,
    ), out_dir)


def _check_net_weights(weights: dict[str, Path | None]) -> None:
    """Load each extra network's weights (``{option: path}``): a missing or foreign file is
    exit 2 before any work, as inpaint's; eval-net scored it as a method failing every case
    and exited 0, and ``--network-seams`` ended in a WeightsError traceback. Loaded into the
    process's cache (:func:`cached_network`), where the run finds them: each file is read
    once."""
    from pano_inpaint.generators.net.weights import cached_network
    from pano_inpaint.weights_file import WeightsError

    for option, path in weights.items():
        if path is None:
            continue
        try:
            cached_network(path)
        except WeightsError as exc:
            raise _fail(f"{option}: {exc}", EXIT_USAGE) from exc


@app.command("eval-net")
@_stops_cleanly("evaluate")
def eval_net_command(
    ctx: typer.Context,
    dirs: DirsArgument,
    out_dir: OutDirOption,
    generators: Annotated[
        str, typer.Option(metavar="A,B", help="Registered generators.")
    ] = "telea,patchmatch,net",
    masks: Annotated[
        str, typer.Option(metavar="FAM1,FAM2", help="Mask families; nadir-30-40 is added "
                          "for this run.")
    ] = "nadir-30-40,tripod",
    peers: Annotated[
        str, typer.Option(metavar="none|A,B", help="Peer methods.")
    ] = "erp-telea,erp-pypatchmatch",
    ablation: Annotated[
        Path | None, typer.Option(help="Weights of the zero-padding network, scored as "
                                  "net-zeros.")
    ] = None,
    candidate: Annotated[
        Path | None, typer.Option(help="New weights, scored as net-candidate beside the "
                                  "shipped net.")
    ] = None,
    seed: SeedOption = 0,
    max_width: Annotated[  # eval's says "1024 with --quick": eval-net has no --quick
        int | None, typer.Option(help="Reduce wider panoramas to this (default 2048).")
    ] = None,
    images: ImagesOption = None,
    no_html: NoHtmlOption = False,
    overrides: SetOption = None,
    network_seams: Annotated[
        bool, typer.Option("--network-seams", help="Only the networks' raw seam ratios on "
                           "cubes (no pipeline).")
    ] = False,
) -> None:
    """The model card's evaluation of `net`: large nadir caps, tripods, the zero-padding ablation.

    Exit code 0: done (a failing method is a result); 1: no panorama evaluated; 2: bad
    argument (weights that cannot be loaded too); 3: a folder missing or unreadable; 4: --out
    cannot be written (--network-seams writes nothing).

    Example:

        pano-inpaint eval-net ../shared/panoramas --out eval_out/net \\
            --ablation zeros/net.pt
    """
    from pano_inpaint.train.evaluate import evaluate_net
    from pano_inpaint.train.evaluate import network_seams as seam_ratios

    _check_net_weights({"--ablation": ablation, "--candidate": candidate})
    if network_seams:
        _check_input_folders(dirs)
        from pano_inpaint.generators.net.weights import DEFAULT_WEIGHTS

        weights = {"net": str(DEFAULT_WEIGHTS)}
        if ablation:
            weights["net-zeros"] = str(ablation)
        if candidate:
            weights["net-candidate"] = str(candidate)
        try:
            ratios = seam_ratios([str(d) for d in dirs], weights, seed=seed)
        except FileNotFoundError as exc:  # nothing to measure: ratios of 1.000, exit 0 before
            raise _fail(str(exc), 1) from exc
        for name, ratio in ratios.items():
            out.print(f"{name}: seam ratio {ratio:.3f}")
        return
    cfg = _config(None, overrides) if overrides else None
    _evaluate(dirs, lambda: evaluate_net(
        dirs, out_dir, generators=_split(generators) or [], masks=_split(masks) or [],
        peers=_peers(peers), ablation=str(ablation) if ablation else None,
        candidate=str(candidate) if candidate else None, seed=seed,
        max_width=max_width, images=images, html=not no_html,
        command=_command_line(ctx), config=cfg,
    ), out_dir)


@app.command("eval-compare")
def eval_compare_command(
    base: Annotated[Path, typer.Argument(help="The first run's folder (or its results.json).")],
    new: Annotated[Path, typer.Argument(help="The second run's, with the same images, masks "
                                        "and seed.")],
    method: Annotated[
        str, typer.Option("--method", "-m", help="The method compared (a generator).")
    ] = "patchmatch",
    peers: Annotated[
        Path | None, typer.Option(help="A run holding the peers at the same mask seed: the "
                                  "second run against the best peer per family.")
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="List the cases that moved by more than this (dB).")
    ] = 0.05,
) -> None:
    """Two evaluation runs side by side: per set and family the method's WS-PSNR in each, the
    change and the gradient ratios, then the cases that moved. Exit code 3: a run missing,
    unreadable or not an evaluation's results.json; 2: no case of the method in common.

    Example:

        pano-inpaint eval-compare eval_out/before eval_out/after \\
            --peers eval_out/before
    """
    from pano_inpaint.eval.compare import RunReadError, format_comparison, load_rows

    if not threshold >= 0:  # NaN listed no case, silently; a negative one every case
        raise _fail(f"--threshold is a change in dB, 0 or more; got {threshold}", EXIT_USAGE)
    try:
        rows = [load_rows(base), load_rows(new), None if peers is None else load_rows(peers)]
        text = format_comparison(rows[0], rows[1], method, threshold=threshold, peers=rows[2],
                                 names=(base.name or str(base), new.name or str(new)))
    except RunReadError as exc:
        raise _fail(str(exc), EXIT_INPUT) from exc
    except ValueError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    out.print(text, highlight=False, markup=False, soft_wrap=True, end="")


@app.command("eval-mask")
@_stops_cleanly("evaluate")
def eval_mask_command(
    ctx: typer.Context,
    dirs: DirsArgument,
    out_dir: OutDirOption,
    detectors: Annotated[
        str, typer.Option(metavar="A,B", help="Rig detectors; the first is filled end to end "
                          "and used for the shoots.")
    ] = "learned+classical,learned,classical",  # the default detector (auto) first
    kinds: Annotated[
        str | None, typer.Option(metavar="K1,K2", help="Rig kinds (default all: tripod, "
                                 "monopod, selfie, panohead, shadow).")
    ] = None,
    generator: Annotated[
        str, typer.Option("--generator", "-g", help="Fills the end-to-end comparison "
                          "('none': no fills).")
    ] = "patchmatch",
    no_shoots: Annotated[
        bool, typer.Option("--no-shoots", help="Skip the shoot experiment.")
    ] = False,
    seed: SeedOption = 0,
    max_width: Annotated[int, typer.Option(help="Reduce wider panoramas to this.")] = 1024,
    images: ImagesOption = None,
    no_html: NoHtmlOption = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    overrides: SetOption = None,
) -> None:
    """Score the automatic rig masks on rigs composited over panoramas never trained on: IoU,
    recall and area per rig kind, fills with the mask against a 25-degree cap, shoots.

    Exit code 0: done; 1: no panorama evaluated; 2: bad argument; 3: a folder missing or
    unreadable; 4: --out cannot be written.

    Example:

        pano-inpaint eval-mask ../shared/panoramas --out eval_out/masks
    """
    from pano_inpaint.eval.rig_masks import evaluate_rig_masks

    cfg = _config(None, overrides)
    for name in _split(detectors) or []:
        _check_detector(name, cfg.auto_mask.weights)
    _evaluate(dirs, lambda: evaluate_rig_masks(
        dirs, out_dir, detectors=_split(detectors) or [], kinds=_split(kinds),
        generator=None if generator == "none" else generator, shoots=not no_shoots, seed=seed,
        max_width=max_width, images=images, html_report=not no_html, progress=not no_progress,
        command=_command_line(ctx), config=cfg), out_dir)


TrainConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Training YAML (configs/train/*.yaml).",
                       show_default=False)
]
TrainDataOption = Annotated[
    # readable=False: click's own check was exit 2 (usage); _train says 3.
    list[Path], typer.Option("--data", help="Folder of training panoramas and photos (repeat "
                             "for more).", show_default=False, readable=False)
]
RestartOption = Annotated[
    bool, typer.Option("--restart", help="Ignore a checkpoint in the run folder, start over.")
]
MaxStepsOption = Annotated[
    # min: -3 trained nothing and exited 0, 'stopped at step 0', leaving a run folder
    int | None, typer.Option(min=0, help="Stop (with a checkpoint) after this step; run "
                             "again to resume.")
]
NoProgressOption = Annotated[bool, typer.Option("--no-progress", help="No progress bar.")]


def _train_stopped(run_dir: Path, every: int, restart: bool, started: float) -> typer.Exit:
    """Ctrl-C (or SIGTERM) during training: whether the folder's checkpoint (written whole every
    ``every`` steps) continues this run; an older one is continued only without --restart."""
    checkpoint = run_dir / "checkpoint.pt"
    ours = _written_since(checkpoint, started)
    if ours or (checkpoint.exists() and not restart):
        again = "the same command without --restart" if restart else "the same command again"
        return _interrupted(f"{checkpoint} holds the run up to its last checkpoint (one every "
                            f"{every} steps; the steps after it are trained again); run {again} "
                            "to continue from it")
    return _interrupted(f"stopped before the first checkpoint (one every {every} steps), "
                        "nothing to continue from; run the same command again to start over")


def _check_train_device(device: str) -> None:
    """A training config's ``device`` that torch cannot use is a config error (2), refused as
    ``-g net``'s is (:func:`~pano_inpaint.generators.net.model.resolve_device`, once torch is
    loaded): ``device: gpu7`` stopped the run at its start as no usable data would (1)."""
    from pano_inpaint.generators.net.model import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        raise _fail(f"config: {exc}", EXIT_USAGE) from exc


def _train(ctx: typer.Context, config: Path, load, trainer, *, data: list[Path], run_dir: Path,
           **options) -> None:
    """Load a training config with ``load``, run ``trainer()(config, data, run_dir,
    **options)``, say where the weights went; exit 2 for a bad config, 3 for a missing or
    unreadable folder, 1 for no usable image or a foreign checkpoint. ``trainer`` imports
    torch: it is called once the config and the folders are checked."""
    import os

    from pano_inpaint.weights_error import WeightsError

    # On CPUs shared with other jobs, OpenMP threads that spin while waiting for a descheduled
    # peer make every parallel region cost a scheduler time slice (steps 10-20x slower).
    # Passive waiting avoids that; it only takes effect if torch is not imported yet.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        train_config = load(config)
    except ValueError as exc:
        raise _fail(f"config: {exc}", EXIT_USAGE) from exc
    except OSError as exc:  # a folder was a traceback, a missing file '[Errno 2] ...'
        raise _fail(f"config: cannot read {config}: {exc.strerror or exc}", EXIT_USAGE) from exc
    _check_input_folders(data)
    if any(run_dir.resolve() == folder.resolve() for folder in data):
        # The run's losses.png was read as a training photo when it resumed.
        raise _fail(f"--out {run_dir} is a --data folder: the run's own files (losses.png) "
                    "would be read as training images; give the run a folder of its own",
                    EXIT_USAGE)
    _output_exists(run_dir / "checkpoint.pt")  # a folder that cannot be searched: a traceback
    _check_out_folder(run_dir)
    train = trainer()  # a Ctrl-C while torch loads writes nothing (_stops_cleanly says so)
    _check_train_device(train_config.device)
    logging.getLogger("pano_inpaint").setLevel(logging.INFO)
    started = time.time()
    try:
        result = train(train_config, data, run_dir, command=_command_line(ctx), **options)
    except KeyboardInterrupt:  # typer would end it silently with 130
        raise _train_stopped(run_dir, train_config.checkpoint_every, options["restart"],
                             started) from None
    except WeightsError as exc:  # train-mask's init: a traceback before
        raise _fail(f"config: init: {exc}; give a rignet.pt that train-mask wrote with this "
                    "config's net", EXIT_USAGE) from exc
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc), 1) from exc
    except (FileExistsError, NotADirectoryError) as exc:  # a file as --out: a traceback before
        raise _fail(f"cannot write into {run_dir}: {exc.strerror or exc}", EXIT_OUTPUT) from exc
    except OSError as exc:  # no permission, no space left (a traceback before)
        raise _failed_inside(run_dir, exc) from exc
    done = "finished" if result.summary["finished"] else "stopped"
    out.print(f"{done} at step {result.steps} ({result.seconds / 60:.1f} min of training) in "
              f"{result.run_dir}", highlight=False, markup=False)
    if result.sha256:
        out.print(f"weights: {result.weights} (sha256 {result.sha256})", highlight=False,
                  markup=False)


def _training_command(name: str, weights: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the training command ``name``, whose run folder gets
    ``weights``: its docstring is the command's help; called when the command runs, it imports
    and returns the config loader (torch-free) and a function importing the train function
    (torch), called once the config, --data and --out are checked."""

    def register(loaders: Callable[[], tuple[Callable, Callable[[], Callable]]]) -> Callable:
        def command(
            ctx: typer.Context,
            config: TrainConfigOption,
            data: TrainDataOption,
            run_dir: Annotated[
                # readable=False: click's own check was exit 2 (usage); _train says 4.
                Path, typer.Option("--out", help="Run folder: log.csv, losses.png, "
                                   f"checkpoint.pt, {weights}.", show_default=False,
                                   readable=False)
            ],
            restart: RestartOption = False,
            max_steps: MaxStepsOption = None,
            no_progress: NoProgressOption = False,
        ) -> None:
            load, trainer = loaders()
            _train(ctx, config, load, trainer, data=data, run_dir=run_dir, restart=restart,
                   progress=not no_progress, max_steps=max_steps)

        # not functools.wraps: typer would follow __wrapped__ to the loaders' empty signature
        command.__name__, command.__doc__ = loaders.__name__, loaders.__doc__
        # a stop while torch loads, before _train's own answer, writes nothing
        return app.command(name)(_stops_cleanly("train")(command))

    return register


@_training_command("train", weights="net.pt")
def train_command() -> tuple[Callable, Callable[[], Callable]]:
    """Train the `net` generator (the seam-aware cube network), resumably.

    Exit code 0: trained or stopped at --max-steps; 1: no usable image, foreign checkpoint;
    2: bad config; 3: a --data folder missing or unreadable; 4: --out cannot be written.

    Example:

        pano-inpaint train -c configs/train/net_v1.yaml --data panos/ \\
            --data photos/ --out runs/v1
    """
    from pano_inpaint.train.config import load_train_config

    def trainer() -> Callable:
        from pano_inpaint.train.loop import train

        return train

    return load_train_config, trainer


@_training_command("train-mask", weights="rignet.pt")
def train_mask_command() -> tuple[Callable, Callable[[], Callable]]:
    """Train the rig detector (`--auto`, `pano-inpaint mask`) on rigs rendered over real ground,
    resumably. Never give it the evaluation panoramas.

    Exit code 0: trained or stopped at --max-steps; 1: no usable image, foreign checkpoint;
    2: bad config; 3: a --data folder missing or unreadable; 4: --out cannot be written.

    Example:

        pano-inpaint train-mask -c configs/train/mask_v1.yaml \\
            --data ../shared/panoramas_hires --data ../shared/training_photos \\
            --out runs/mask_v1
    """
    from pano_inpaint.train.mask_config import load_mask_train_config

    def trainer() -> Callable:
        from pano_inpaint.train.mask_loop import train_mask

        return train_mask

    return load_mask_train_config, trainer


def _find_benchmarks(start: Path, package_dir: Path) -> Path | None:
    """``benchmarks/run_all.py`` of a source checkout: beside the package (an editable install),
    or in ``start`` or a folder above it (a checkout the command is run from)."""
    for folder in (package_dir.parent, start, *start.parents):
        script = folder / "benchmarks" / "run_all.py"
        if script.is_file() and (folder / "pano_inpaint").is_dir():
            return script
    return None


@app.command("bench")
def bench_command(
    quick: Annotated[bool, typer.Option("--quick", help="Every benchmark at its small size.")] = (
        False),
    only: Annotated[
        str | None, typer.Option(metavar="A,B", help="Run the benchmarks whose names contain "
                                 "one of these parts.")
    ] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per benchmark.")] = None,
) -> None:
    """Run the speed and memory benchmarks of a source checkout and print their tables.

    The benchmarks are scripts of the repository (benchmarks/), not installed: run in a checkout.

    Example:

        pano-inpaint bench --quick --only geometry,pipeline
    """
    import subprocess

    script = _find_benchmarks(Path.cwd().resolve(), Path(__file__).resolve().parent)
    if script is None:
        raise _fail(
            "the benchmarks are scripts of the source checkout (benchmarks/run_all.py) and are "
            f"not installed with the package; none found in {Path.cwd()} or above it, nor "
            "beside the installed package. Run this inside a clone of the repository.",
            EXIT_USAGE)
    args = [*(["--quick"] if quick else []), *(["--only", only] if only else []),
            *(["--timeout", str(timeout)] if timeout else [])]
    try:
        code = subprocess.call([sys.executable, str(script), *args])
    except KeyboardInterrupt:  # the benchmarks' process is stopped too (call kills it)
        raise _interrupted("the benchmarks were stopped; the tables printed above are those "
                           "that finished; run the same command again (--only NAMES for the "
                           "others)") from None
    raise typer.Exit(code)


def _reflow_help() -> None:
    """Every command's help as typer's panels show it well at any width: a paragraph of prose
    is one line, which the panel wraps (its line ends in the docstring broke lines mid-sentence
    at 80 columns), and indented examples stay as written. The blank line doubled after the
    summary keeps the examples' indent: typer dedents the text below the summary by its lines
    after the first, which were all examples where "Example:" came first."""
    for info in app.registered_commands:
        text = inspect.cleandoc(info.help or inspect.getdoc(info.callback) or "")
        paragraphs = [part if part.startswith(" ") else " ".join(part.split())
                      for part in text.split("\n\n")]
        info.help = "\n\n\n".join([paragraphs[0], "\n\n".join(paragraphs[1:])]).strip()


_reflow_help()


# At most 18 digits: a longer number is left to typer, which reports one past Python's limit on
# converting digits (4300) as a usage error where ``int()`` would raise.
_WHOLE = re.compile(r"0|-?[1-9][0-9]{0,17}")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_NOT_PLAIN = object()


def _plain_value(annotation, value):
    """``value`` as ``annotation`` (bool, str, int, float or list[str]) where it plainly is
    one (a string of digits for a number), else ``_NOT_PLAIN`` (always for a path: typer checks
    the file)."""
    if annotation is bool and isinstance(value, bool):
        return value
    if annotation is str and isinstance(value, str):
        return value
    if annotation is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if annotation in (int, float) and isinstance(value, str):
        if (_WHOLE if annotation is int else _DECIMAL).fullmatch(value):
            return annotation(value)
    if annotation == list[str] and isinstance(value, list | tuple) and all(
            isinstance(item, str) for item in value):
        return list(value)
    return _NOT_PLAIN


# The typer series whose internals ``_convert_plain_values`` was checked against.
_PLAIN_VALUES_TYPER = "0.29."


def _convert_plain_values() -> None:
    """Have typer's parameters convert plain values without pydantic.

    typer 0.29 converts every given or default value through a pydantic TypeAdapter:
    importing pydantic and building ``inpaint``'s adapters took ~0.09 CPU s of the command's
    parsing (0.1 s against 0.01 s). A bool, str, int or float option or a list of strings,
    without a range, choices or a parser, whose value plainly is one, now gets it as typer
    would, and so does any such option or path left unset; every other value (a path given)
    and every other parameter still goes through typer's own conversion, with its checks and
    messages. It reaches into typer's internals, so it is applied only to the typer series it
    was checked against (``_PLAIN_VALUES_TYPER``): under another, or a typer without this layer
    (no ``typer._coercion`` or no ``core.build_runtime_param``), typer converts everything
    itself, a little slower, rather than every command failing on a changed internal."""
    if not typer.__version__.startswith(_PLAIN_VALUES_TYPER):
        return
    try:
        from typer import core
        from typer._coercion import RuntimeParam

        build = core.build_runtime_param
    except (ImportError, AttributeError):
        return
    if getattr(build, "plain_values", False):
        return

    class PlainValues(RuntimeParam):
        """Plain values converted here, the others by typer's conversion (built when needed)."""

        def _coerce_value(self, value, param, ctx):
            plain = _plain_value(self.annotation, value)
            if plain is not _NOT_PLAIN:
                return plain
            if "typer" not in vars(self):
                object.__setattr__(self, "typer", build(param.type_descriptor))
            return vars(self)["typer"]._coerce_value(value, param=param, ctx=ctx)

    def plain_first(descriptor):
        info = descriptor.parameter_info
        if (descriptor.annotation in (bool, str, int, float, list[str], Path)
                and not (descriptor.is_file or descriptor.is_ranged or descriptor.is_choice
                         or getattr(info, "parser", None) is not None)):
            return PlainValues(info, descriptor.annotation)
        return build(descriptor)

    plain_first.plain_values = True
    plain_first.typer_build = build
    core.build_runtime_param = plain_first


@contextlib.contextmanager
def _printable_names() -> Iterator[None]:
    """Standard output escapes what its encoding cannot hold while a command runs, then is put
    back: a file name that is not UTF-8 (caf\\xe9.jpg from a Latin-1 share: a lone surrogate
    in Python) ended the command in UnicodeEncodeError as its line was printed."""
    stream = sys.stdout
    errors = getattr(stream, "errors", None)
    try:
        stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # not a text stream that can be changed
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors=errors)  # type: ignore[union-attr]


def _run(argv: list[str]) -> int:
    from pano_inpaint._sigterm import sigterm_as_interrupt

    try:
        _convert_plain_values()
        # SIGTERM (kill, a service manager's stop) ends every command as Ctrl-C does: exit 130
        # and its line, the files it writes whole or not at all (the README's exit codes). A
        # batch and serve open it again for themselves; the inner one puts this one back.
        with sigterm_as_interrupt(), _printable_names():
            code = app(args=argv, standalone_mode=False, obj={"argv": argv})
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # pragma: no cover - click's own exits
        return int(exc.code or 0)
    except typer.Abort:  # end of input at a prompt; typer answers Ctrl-C itself (see
        return EXIT_INTERRUPTED  # _stops_cleanly), as a silent 130
    except OSError as exc:
        # A name the file system refuses outright is a bad argument, found as the paths are
        # first looked at (input, mask, output or report), before anything is read or written.
        if exc.errno != errno.ENAMETOOLONG:
            raise
        console.print(f"[bold red]error:[/] {escape(str(exc.filename))}: the name is too long "
                      "for the file system (255 bytes a name at most on most); give a shorter "
                      "one", highlight=False)
        return EXIT_USAGE
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument...
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return EXIT_USAGE
    return code if isinstance(code, int) else EXIT_OK


# The cyclic garbage collector's thresholds while the process runs its one command: a young
# collection every 10,000 new objects, not 700. What a command makes at its start lives until it
# ends (modules, classes, numba's kernels: 140,000 objects), and the default's 286 passes over
# them while they were made took 0.21-0.23 CPU s of the imports and the kernels' load; 19 take
# 0.08-0.11 s. The older generations keep their default ratios.
_COMMAND_GC_THRESHOLDS = (10_000, 10, 10)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code instead of exiting (handy in tests).

    ``argv`` None: the process's own command line (``pano-inpaint``, ``python -m pano_inpaint``),
    which exits when the command returns; the garbage collector is then tuned for one command
    (collecting less often; nothing left for it to walk at exit). A list (tests, callers in a
    longer-lived process) leaves it alone.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv is not None:
        return _run(list(argv))
    gc.set_threshold(*_COMMAND_GC_THRESHOLDS)
    try:
        return _run(sys.argv[1:])
    finally:
        # At exit the interpreter walks every object once more for cycles as it tears the
        # modules down (0.45 CPU s after a fill, most of it numba's and llvmlite's): frozen
        # objects are skipped, and the system frees their memory with the process.
        gc.freeze()
