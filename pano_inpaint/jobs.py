"""File-level jobs behind the command line: resolve inputs and outputs, fill one file.

The CLI is a thin layer over these; batch runners (a process pool, Ray) can call
:func:`inpaint_file` directly. Every failure is an :class:`JobError` with an exit code and a
one-line message that says what to do.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import json
import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pano_inpaint.config import ConfigError, PipelineConfig
from pano_inpaint.exit_codes import EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.io.atomic import (
    UnsearchableFolderError,
    atomic_write_text,
    check_folder,
    make_folder,
    target_kind,
)
from pano_inpaint.io.headers import (
    DEFAULT_MAX_PIXELS,
    MASK_SUFFIXES,
    SUPPORTED_SUFFIXES,
    ImageHeader,
    ImageReadError,
    read_image_header,
)

# Planning a job (inputs, outputs, headers) needs neither numpy nor OpenCV: what reads, fills
# and writes pixels is imported by the functions that do it, so a file refused from its header
# (a decompression bomb) is refused before they load.
if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np

    from pano_inpaint.generators.base import Generator
    from pano_inpaint.io.images import LoadedImage
    from pano_inpaint.io.metadata import ImageMetadata
    from pano_inpaint.pipeline import InpaintResult

__all__ = [
    "FileResult",
    "InputImage",
    "JobError",
    "MaskSpec",
    "PREVIEW_SOFTWARE",
    "check_input_header",
    "check_output_place",
    "check_panorama",
    "file_id",
    "inpaint_file",
    "is_mask_command_output",
    "is_mask_file",
    "mask_command_outputs",
    "mask_outputs",
    "once_each",
    "plan_outputs",
    "preview_metadata",
    "read_ahead",
    "refuse_batch_into_a_file",
    "resolve_inputs",
    "same_file",
    "settle_reads_ahead",
    "write_json",
    "write_result",
]

log = logging.getLogger(__name__)


class JobError(Exception):
    """A file job that cannot be done; ``code`` is the process exit code to use."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _check_cap(option: str, degrees: float | None) -> None:
    if degrees is not None and not (math.isfinite(degrees) and 0 <= degrees <= 180):
        raise JobError(f"{option} is the radius of a cap around the pole in degrees, from 0 to "
                       f"180; got {degrees}", EXIT_USAGE)


def mask_outputs(image: Path, out_dir: Path) -> tuple[Path, Path]:
    """``(NAME_mask.png, NAME_preview.jpg)`` in ``out_dir`` for ``image``: what ``pano-inpaint
    mask`` writes, and the mask name ``--mask FOLDER`` looks for."""
    return out_dir / f"{image.stem}_mask.png", out_dir / f"{image.stem}_preview.jpg"


# What a preview of ``pano-inpaint mask`` says it is (its EXIF Software tag), and its size: the
# files named NAME_preview.jpg that are not panoramas are told apart by these, not by the name.
PREVIEW_SOFTWARE = "pano-inpaint mask preview"
_PREVIEW_SIZE = (1024, 512)  # (width, height) of every preview (two 512 px nadir views)
_SOFTWARE_TAG = 305


def preview_metadata() -> ImageMetadata:
    """The EXIF block a preview is written with: Software = :data:`PREVIEW_SOFTWARE`."""
    from PIL import Image

    from pano_inpaint.io.metadata import ImageMetadata

    exif = Image.Exif()
    exif[_SOFTWARE_TAG] = PREVIEW_SOFTWARE
    return ImageMetadata(exif=exif.tobytes())


def _marked_as_preview(path: Path) -> bool:
    """Whether ``path`` is a preview ``pano-inpaint mask`` wrote (from its header: no pixel is
    decoded): a 1024 x 512 JPEG marked so. A panorama a user named ``NAME_preview.jpg`` is
    not, and is filled like any other. One without EXIF was taken for a preview from before
    the mark (two days of development, no release), but a 1024 x 512 panorama exported for
    the web, its metadata stripped, is one too, and 'mask --overwrite' replaced it.

    Raises:
        OSError, ValueError: ``path`` cannot be read as an image.
    """
    from PIL import Image

    # The size first, from our own header reader: Pillow's open refused a panorama of 179 MP
    # or more named so with a DecompressionBombError (a traceback), and warned from 89 MP;
    # every preview is this small.
    header = read_image_header(path, max_pixels=None)
    if header.format != "jpeg" or (header.width, header.height) != _PREVIEW_SIZE:
        return False
    with Image.open(path) as image:
        exif = image.getexif()
    return exif.get(_SOFTWARE_TAG) == PREVIEW_SOFTWARE


def is_mask_command_output(path: Path, kind: str, *, unreadable: bool,
                           max_pixels: int | None = DEFAULT_MAX_PIXELS) -> bool:
    """Whether ``path``, named as the ``kind`` (``"mask"`` or ``"preview"``, see
    :func:`mask_outputs`) ``pano-inpaint mask`` writes for an image, is one: a mask that looks
    like a mask (:func:`~pano_inpaint.io.images.file_looks_like_mask`; a 1-bit PNG, as
    ``mask`` writes, from its header), a preview marked so in its EXIF. A photo named so is
    not. A file that cannot be read tells neither: the answer is then ``unreadable``, the
    caller's (see its comment)."""
    from pano_inpaint.io.images import file_looks_like_mask

    try:
        if kind == "mask":
            return file_looks_like_mask(path, max_pixels=max_pixels)
        return _marked_as_preview(path)
    except (OSError, ValueError):  # ImageReadError, Pillow's UnidentifiedImageError too
        return unreadable


def is_mask_file(path: Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> bool:
    """Whether the image file ``path`` looks like a hole mask, not a photograph (see
    :func:`~pano_inpaint.io.images.looks_like_mask`). A file that cannot be read is taken for a
    mask, for its own error where it is used as one."""
    from pano_inpaint.io.images import file_looks_like_mask

    try:
        return file_looks_like_mask(path, max_pixels=max_pixels)
    except OSError:  # ImageReadError too
        return True


def mask_command_outputs(paths: list[Path], *,
                         max_pixels: int | None = DEFAULT_MAX_PIXELS) -> list[Path]:
    """The files among ``paths`` (images listed from folders) that ``pano-inpaint mask`` wrote
    for another of them: ``NAME_mask.png`` and ``NAME_preview.jpg`` beside ``NAME.ext`` that
    are a mask and a preview (:func:`is_mask_command_output`). A photo named so, or a file
    that cannot be read, is not one of them: it is filled, or fails, like any other."""
    from pano_inpaint._threads import thread_map

    listed = {(path.parent, path.name) for path in paths}
    found: list[tuple[Path, str]] = []
    for path in paths:
        for output, kind in zip(mask_outputs(path, path.parent), ("mask", "preview"),
                                strict=True):
            if (output.parent, output.name) in listed:
                found.append((output, kind))

    def written(item: tuple[Path, str]) -> bool:
        # unreadable=False (mask's own -o check's is True): a listed file that cannot be read
        # stays an input and fails with its own error ('cannot read ...: not a supported
        # image'), which says what is wrong with it; left out, only the warning would name it.
        return is_mask_command_output(*item, unreadable=False, max_pixels=max_pixels)

    return sorted({output for (output, _), own in zip(found, thread_map(written, found),
                                                      strict=True) if own})


def _files_by_stem(folder: Path) -> dict[str, list[Path]]:
    """The images of a ``--mask`` folder by stem: files with a mask's suffix (an input's, or
    a format only read, such as .bmp). Any file was a mask before: a Lightroom sidecar
    IMG_001.xmp beside IMG_001.jpg was taken for its mask (the image failed 'cannot read
    IMG_001.xmp') ahead of IMG_001_mask.png, which was then filled as a panorama.

    Raises:
        JobError: ``EXIT_INPUT`` for a folder that cannot be listed.
    """
    by_stem: dict[str, list[Path]] = {}
    try:
        for path in folder.iterdir():
            if path.suffix.lower() in MASK_SUFFIXES and path.is_file():
                by_stem.setdefault(path.stem, []).append(path)
    except OSError as exc:  # no permission: a PermissionError traceback before
        raise JobError(f"mask folder {folder}: cannot be read ({exc.strerror or exc})",
                       EXIT_INPUT) from exc
    return by_stem


@dataclass(frozen=True)
class MaskSpec:
    """Where the hole comes from: a mask file (or folder of per-image masks), a pole cap, or the
    automatic rig detector (``auto``; a painted mask or a cap given with it wins).

    Raises (when built):
        JobError: ``EXIT_USAGE`` for no hole, a mask combined with a cap, or a cap that is not
            0-180 degrees; ``EXIT_INPUT`` for a mask path that does not exist.
    """

    path: Path | None = None
    nadir_degrees: float | None = None
    zenith_degrees: float | None = None
    resize: bool = False
    auto: bool = False
    # Names of files in the --mask folder that share an image's stem but are panoramas, not
    # masks (see told_apart): a.png beside a.jpg, both photos, was taken for a.jpg's mask.
    not_masks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        given = [self.path is not None, self.nadir_degrees is not None,
                 self.zenith_degrees is not None]
        if sum(given) == 0 and not self.auto:
            raise JobError("no hole given: pass --mask FILE, --nadir DEGREES, --zenith "
                           "DEGREES or --auto", EXIT_USAGE)
        if self.path is not None and sum(given) > 1:
            raise JobError("--mask cannot be combined with --nadir/--zenith", EXIT_USAGE)
        _check_cap("--nadir", self.nadir_degrees)
        _check_cap("--zenith", self.zenith_degrees)
        if self.path is not None and not self.path.exists():
            raise JobError(f"mask {self.path}: no such file or folder", EXIT_INPUT)

    def _painted(self, image_path: Path,
                 by_stem: dict[str, list[Path]] | None = None) -> Path | None:
        """The painted mask for ``image_path`` (a folder's ``<stem>.png`` / ``<stem>_mask.png``);
        None when a folder has none for it. Never the image itself: with the masks beside the
        images (``--mask`` naming the images' folder), ``a.png`` was taken for its own mask
        before ``a_mask.png`` (its light pixels filled as the hole). ``by_stem``: the folder's
        files by stem, listed once for many images."""
        if self.path is None or not self.path.is_dir():
            return self.path
        if by_stem is None:
            by_stem = _files_by_stem(self.path)
        candidates = self._candidates(image_path, by_stem)
        return candidates[0] if candidates else None

    def _candidates(self, image_path: Path, by_stem: dict[str, list[Path]], *,
                    stem_only: bool = False) -> list[Path]:
        """The files of the ``--mask`` folder (``by_stem``) ``image_path`` may take for its
        mask, in the order it takes them, less ``not_masks``; only those named like it
        (``a.png``, no ``_mask``) with ``stem_only``."""
        stem = image_path.stem
        names = (stem,) if stem_only else (stem, f"{stem}_mask", f"{stem}.mask")
        return sorted(path for name in names for path in by_stem.get(name, ())
                      if not same_file(path, image_path)
                      and not (name == stem and path.name in self.not_masks))

    def told_apart(self, image_paths: list[Path], *,
                   max_pixels: int | None = DEFAULT_MAX_PIXELS) -> MaskSpec:
        """This spec, with the files named like an image beside it in the ``--mask`` folder
        that are panoramas, not masks, in ``not_masks``: ``a.png`` beside ``a.jpg`` is a's mask
        (the README's layout) when it looks like one (black and one light colour, see
        :func:`~pano_inpaint.io.images.looks_like_mask`), and otherwise a panorama of its own.
        Before, a.png, a photo, was a.jpg's mask: a.jpg filled where a.png is light, a.png not
        filled at all. A file named like an image in a folder of masks apart from the images
        is its mask, or a photo that stops the run (see :meth:`_check_named_masks`).

        Per stem, the first image's candidates are read in the order it takes them, then the
        image itself, until one looks like a mask: that one is the stem's mask and the other
        files are panoramas (a pair with its mask costs one read); none: all are. A file that
        cannot be read is taken for the mask, for its own error. Stems are read in threads.

        Raises:
            JobError: ``EXIT_INPUT`` for an image's mask beside it named as one (``a_mask.png``)
                or in a folder apart that looks like a photo (see :meth:`_check_named_masks`).
        """
        if self.path is None or not self.path.is_dir():
            return self
        from pano_inpaint._threads import thread_map

        folder = file_id(self.path)
        by_stem = _files_by_stem(self.path)
        firsts: dict[str, Path] = {}
        for image_path in image_paths:
            if file_id(image_path.parent) == folder and len(by_stem.get(image_path.stem, ())) > 1:
                firsts.setdefault(image_path.stem, image_path)

        def panoramas(image_path: Path) -> list[str]:
            group = [path.name for path in by_stem[image_path.stem]]
            order = [*self._candidates(image_path, by_stem, stem_only=True), image_path]
            mask = next((path.name for path in order
                         if is_mask_file(path, max_pixels=max_pixels)), None)
            if mask is not None and mask != image_path.name:
                log.info("%s is the mask of %s", self.path / mask, image_path)
            return [name for name in group if name != mask]

        not_masks = set(self.not_masks).union(*thread_map(panoramas, firsts.values()))
        told = dataclasses.replace(self, not_masks=tuple(sorted(not_masks)))
        told._check_named_masks(image_paths, by_stem, max_pixels=max_pixels)
        return told

    def _check_named_masks(self, image_paths: list[Path], by_stem: dict[str, list[Path]], *,
                           max_pixels: int | None) -> None:
        """Refuse the run when an image would take for its mask a file that looks like a photo:
        beside the image, one named as a mask (``a_mask.png``, ``a.mask.png``; a photo ``a.png``
        there is a panorama of its own, see :meth:`told_apart`); in a folder of masks apart from
        the images, any (``a.png`` too). Such a file was the mask unread: its light pixels (half
        of a photo) filled as the hole. Beside, it is not taken for a panorama either: the
        README tells users to name a mask so, and ``mask`` writes that name, so it is far more
        likely a mask gone wrong (the hole painted over a copy of the photo) than a panorama;
        filled as one, its image would be left with no mask, or the automatic one (``--auto``)
        in place of the painted hole. Apart, it is no input at all. The user decides which it
        is. The look is :func:`is_mask_file`'s: a 1-bit PNG is decided from its header, any
        other mask is decoded once more than the fill reads it.

        Raises:
            JobError: ``EXIT_INPUT``, naming the file and its image.
        """
        from pano_inpaint._threads import thread_map

        folder = file_id(self.path)
        named: dict[Path, Path] = {}  # the mask -> the first image taking it
        for image_path in image_paths:
            taken = self._candidates(image_path, by_stem)[:1]
            beside = file_id(image_path.parent) == folder
            if taken and (taken[0].stem != image_path.stem or not beside):
                named.setdefault(taken[0], image_path)
        looks = thread_map(lambda path: is_mask_file(path, max_pixels=max_pixels), named)
        photos = [(mask, image) for (mask, image), is_mask in zip(named.items(), looks,
                                                                   strict=True) if not is_mask]
        if photos:
            mask, image = photos[0]
            more = f" (and {len(photos) - 1} more)" if len(photos) > 1 else ""
            raise JobError(f"{mask}{more} looks like a photo, not a mask, but is named as the mask "
                           f"of {image}: if it is a panorama, rename it; if it is the mask, "
                           "make it the hole in white on black", EXIT_INPUT)

    def masks_of(self, image_paths: list[Path]) -> list[Path]:
        """The mask files these images take: the ``--mask`` file, or each image's mask in a
        ``--mask`` folder (the folder listed once)."""
        if self.path is None:
            return []
        if not self.path.is_dir():
            return [self.path]
        by_stem = _files_by_stem(self.path)
        masks = (self._painted(image_path, by_stem) for image_path in image_paths)
        return sorted({mask for mask in masks if mask is not None})

    def previews_of(self, image_paths: list[Path]) -> list[Path]:
        """The previews ``pano-inpaint mask`` wrote beside the masks these images take from a
        ``--mask`` folder (``NAME_preview.jpg`` beside ``NAME_mask.png``): pictures of a
        nadir, not panoramas. With the masks written beside the images, 'inpaint shoot/
        --mask shoot/' took each for a panorama and failed it ('no mask for
        NAME_preview.jpg'). Only previews the tool wrote (:func:`is_mask_command_output`;
        one that cannot be read is filled, and fails, as in a listing): a user's panorama
        named so was skipped too."""
        if self.path is None or not self.path.is_dir():
            return []
        by_stem = _files_by_stem(self.path)
        found = set()
        for image_path in image_paths:
            mask, preview = mask_outputs(image_path, self.path)
            if self._painted(image_path, by_stem) == mask and preview.is_file() \
                    and is_mask_command_output(preview, "preview", unreadable=False):
                found.add(preview)
        return sorted(found)

    def uses_auto(self, image_path: Path) -> bool:
        """Whether ``image_path`` gets the automatic mask: ``auto`` and no painted mask or cap
        for it."""
        return self.auto and self.nadir_degrees is None and self.zenith_degrees is None \
            and self._painted(image_path) is None

    def mask_for(self, image_path: Path, height: int, width: int, *,
                 max_pixels: int | None = DEFAULT_MAX_PIXELS, dilate: int = 0) -> np.ndarray:
        import numpy as np

        from pano_inpaint.io.images import read_mask
        from pano_inpaint.masks import nadir_mask, zenith_mask

        mask = np.zeros((height, width), bool)
        if self.nadir_degrees is not None:
            mask |= nadir_mask(height, width, self.nadir_degrees)
        if self.zenith_degrees is not None:
            mask |= zenith_mask(height, width, self.zenith_degrees)
        if self.path is None:
            return mask
        path = self._painted(image_path)
        if path is None:  # a folder of per-image masks without this one
            stem = image_path.stem
            photos = sorted(name for name in self.not_masks if Path(name).stem == stem
                            and not same_file(self.path / name, image_path))
            expected = (f"{stem}_mask.png: {' and '.join(photos)} there "
                        f"{'look' if len(photos) > 1 else 'looks'} like a photo, not a mask"
                        if photos else f"{stem}.png or {stem}_mask.png")
            raise JobError(f"no mask for {image_path.name} in {self.path} (expected {expected}; "
                           "or add --auto)", EXIT_INPUT)
        try:
            return read_mask(path, height, width, resize=self.resize, max_pixels=max_pixels,
                             dilate=dilate)
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
    auto_mask: dict | None = None  # the automatic mask's figures (RigDetection.to_dict())


@dataclass(frozen=True)
class InputImage:
    """An input file, and where under an output folder its result goes (``relative``): its name,
    or for a recursive glob its path below the glob's fixed part, so two ``IMG_0001.jpg`` of
    different days land in different folders instead of on each other."""

    path: Path
    relative: Path


def _glob_root(spec: str) -> Path:
    """The leading folders of a glob pattern that hold no wildcard."""
    parts = Path(spec).parts
    fixed = list(itertools.takewhile(lambda part: not glob.has_magic(part), parts[:-1]))
    return Path(*fixed) if fixed else Path()


def once_each(names: Sequence[str], paths: Sequence[Path | None], said: str, *,
              done: str = "filled") -> list[int]:
    """The indices of ``names`` to fill: the first naming each file, by device and inode
    (``paths``, the local file of each name; None for a URL, always kept), so a file given
    twice, through a link or through a link to a parent folder is filled once, by the name the
    caller puts first. The others are named in one warning ('{said} before, {done} once':
    ``mask`` says 'masked')."""
    first: dict[tuple[int, int], int] = {}
    kept, again = [], []
    for index, path in enumerate(paths):
        key = file_id(path) if path is not None else None
        if key is None:
            kept.append(index)
            continue
        seen = first.setdefault(key, index)
        if seen == index:
            kept.append(index)
        else:
            name, before = names[index], names[seen]
            again.append(name if name == before else f"{name} (= {before})")
    if again:
        shown = ", ".join(again[:3]) + (f", and {len(again) - 3} more" if len(again) > 3 else "")
        log.warning("%s: %s before, %s once", shown, said, done)
    return kept


def _deeper(folder: Path) -> str:
    """What to give instead when ``folder``'s images are in its sub-folders (a folder is read
    without them): a shoot of day1/, day2/ was only 'no images in folder'."""
    below = [p for p in folder.glob("*/**/*")
             if p.suffix.lower() in SUPPORTED_SUFFIXES and p.is_file()]
    if not below:
        return ""
    # One glob a suffix: '**/*' would take the notes and sidecars beside them for images.
    globs = " ".join(f"'{folder / '**' / ('*' + suffix)}'"
                     for suffix in sorted({p.suffix for p in below}))
    return (f"; its sub-folders hold {len(below)} (a folder is read without them): give "
            f"{globs} for all of them, or the sub-folders")


def _resolve_inputs(spec: str, done: str) -> list[InputImage]:
    """:func:`resolve_inputs`, a path it may not look at passing ``PermissionError`` on."""
    path = Path(spec)
    if path.is_file():
        return [InputImage(path, Path(path.name))]
    if path.is_dir():
        from pano_inpaint.io.folders import list_images

        # Listed whole: plan_batch leaves out what 'mask' wrote here, and says so.
        files = list_images(path, mask_outputs=True)
        if not files:
            raise JobError(f"no images in folder {path} (looked for "
                           f"{', '.join(sorted(SUPPORTED_SUFFIXES))}){_deeper(path)}",
                           EXIT_INPUT)
        return [InputImage(f, Path(f.name)) for f in files]
    if path.exists():  # neither a file nor a folder: a device (/dev/zero), a pipe, a socket
        raise JobError(f"{spec}: not a regular file (a device, pipe or socket); pass an image "
                       "file or a folder of them", EXIT_INPUT)
    matches = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    if not matches:
        raise JobError(f"{spec}: no such file, folder or matching files", EXIT_INPUT)
    # One file reached by several paths (a link to a parent folder: "shoot/**/*.jpg" walked
    # it 40 times, filling each image 41 times, ever deeper) is filled once, by its shortest.
    # Said, as for a file given twice: a folder of links (selects/ beside day1/) lost its
    # outputs without a word.
    matches = sorted(matches, key=lambda m: len(m.parts))
    matches = sorted(matches[i] for i in once_each(list(map(str, matches)), matches, "matched",
                                                   done=done))
    root = _glob_root(spec)
    return [InputImage(m, m.relative_to(root)) for m in matches]


def resolve_inputs(spec: str, *, done: str = "filled") -> list[InputImage]:
    """A file, a folder (its images, sorted) or a glob pattern -> the images to fill (``done``:
    what is done to them, for :func:`once_each`'s warning).

    Raises:
        JobError: ``EXIT_INPUT``: no such file, an empty folder, a glob matching nothing, a
            path that is neither a file nor a folder, a folder that cannot be listed.
    """
    try:
        return _resolve_inputs(spec, done)
    except PermissionError as exc:  # a folder without read or search permission: a traceback
        raise JobError(f"{spec}: cannot be read ({exc.strerror or exc})", EXIT_INPUT) from exc


def _names_a_folder(output: str, kind: str | None) -> bool:
    """``cleaned/``, an existing folder (``kind``: :func:`target_kind`), or a name without
    suffix: an image file always has one, since its suffix picks the format."""
    return output.endswith(("/", os.sep)) or kind == "folder" or not Path(output).suffix


def refuse_batch_into_a_file(output: str) -> None:
    """A batch's -o (a path or a URL, not an existing folder) whose suffix is an image's:
    'inpaint shots/ -o clean.jpg' made a folder (or a prefix) named clean.jpg and filled into it.

    Raises:
        JobError: ``EXIT_USAGE``, naming a folder to give instead.
    """
    name = PurePosixPath(output)
    if not output.endswith(("/", os.sep)) and name.suffix.lower() in SUPPORTED_SUFFIXES:
        raise JobError(f"-o {output} names an image file, but the inputs are a batch (a "
                       "folder, a glob or several files) whose results go into a folder; give "
                       f"a folder such as {output[: -len(name.suffix)]}/", EXIT_USAGE)


def plan_outputs(images: list[InputImage], output: str | None, *, batch: bool,
                 in_place: bool) -> list[Path]:
    """Where each image's result goes, checked before anything is read or written.

    ``in_place``: over the input itself (through a symbolic link, onto the file it points to).
    Otherwise ``output`` is a file for one input, or a folder (``output/<relative>``) for a batch
    or when it names a folder.

    Raises:
        JobError: ``EXIT_USAGE`` for a missing or contradictory output, a file suffix this tool
            cannot write, a batch into a file (or a name with an image suffix), or two inputs
            with one output;
            ``EXIT_OUTPUT`` for an output that is one of the inputs.
    """
    if in_place:
        if output is not None:
            raise JobError("--in-place writes each result over its input: give either "
                           "--in-place or -o/--output, not both", EXIT_USAGE)
        return [image.path for image in images]
    if output is None:
        raise JobError("give an output with -o/--output (or --in-place to replace the input)",
                       EXIT_USAGE)
    try:
        kind = target_kind(Path(output))
    except UnsearchableFolderError as exc:  # a traceback before
        raise JobError(str(exc), EXIT_OUTPUT) from exc
    folder = batch or _names_a_folder(output, kind)
    if folder and kind == "file":
        raise JobError(f"{output} is a file; a batch needs an output folder", EXIT_USAGE)
    if batch and kind != "folder":
        refuse_batch_into_a_file(output)
    if not folder and Path(output).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise JobError(f"cannot write {Path(output).suffix} files; give the output one of "
                       f"{', '.join(SUPPORTED_SUFFIXES)}", EXIT_USAGE)
    targets = [Path(output) / image.relative if folder else Path(output) for image in images]
    seen: dict[Path, Path] = {}
    for image, target in zip(images, targets, strict=True):
        key = Path(os.path.normcase(os.path.abspath(target)))
        if key in seen:
            raise JobError(f"{seen[key]} and {image.path} would both be written to {target}; "
                           "rename one, or fill them in separate runs", EXIT_USAGE)
        seen[key] = image.path
    inputs = {key: image.path for image in images if (key := file_id(image.path)) is not None}
    for target in targets:
        other = inputs.get(file_id(target))
        if other is not None:
            raise JobError(f"output {target} is the input file {other}; pass --in-place to "
                           "replace the inputs, or choose another output", EXIT_OUTPUT)
    return targets


def check_output_place(target: Path) -> None:
    """A folder where a result file goes, or a file where its folder goes: found before the
    image is read and filled (its fill was wasted on 'Is a directory' at write time). A batch
    fails that image alone, as it does other output problems.

    Raises:
        JobError: ``EXIT_OUTPUT``, saying what to do.
    """
    try:
        is_folder = target_kind(target) == "folder"
        check_folder(target.parent)
    except NotADirectoryError as exc:
        raise JobError(f"cannot write {target}: {exc.strerror}; move it away, or write the "
                       "results to another folder", EXIT_OUTPUT) from exc
    except UnsearchableFolderError as exc:  # was 'cannot write the manifest in None'
        raise JobError(str(exc), EXIT_OUTPUT) from exc
    if is_folder:
        raise JobError(f"output {target} is a folder; move it away, or write the results to "
                       "another folder", EXIT_OUTPUT)


def file_id(path: Path) -> tuple[int, int] | None:
    """Device and inode: equal for two names of one file (links, case, ``..``); None when
    there is nothing to stat there (no file, or one that cannot be reached)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (through links, case-insensitive file systems...)."""
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_input_header(path: Path, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> ImageHeader:
    """What can be refused from a file's header alone (milliseconds, nothing decoded): a
    missing or unreadable file, more pixels than ``max_pixels``, not 2:1. Returns the header.

    Raises:
        JobError: ``EXIT_INPUT``.
    """
    try:
        header = read_image_header(path, max_pixels=max_pixels)
    except ImageReadError as exc:
        raise JobError(str(exc), EXIT_INPUT) from exc
    if header.width != 2 * header.height:
        raise JobError(f"{path}: {header.width}x{header.height} is not a 2:1 equirectangular "
                       "panorama; crop or pad it to W = 2 x H", EXIT_INPUT)
    return header


def check_panorama(loaded: LoadedImage) -> None:
    """Refuse an image that is not a full 360x180 degree equirectangular panorama.

    Raises:
        JobError: with ``EXIT_INPUT``: a partial panorama (GPano cropped area), not 2:1, or
            smaller than 32x16 (the web app opened one, to fail only at its fill).
    """
    from pano_inpaint.io.metadata import parse_gpano

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
    # Imported here: _checks loads numpy, which a refusal before any pixel is read (a
    # decompression bomb's header) must not wait for.
    from pano_inpaint._checks import check_panorama_size

    try:
        check_panorama_size(loaded.height, loaded.width)
    except ValueError as exc:
        raise JobError(f"{loaded.path}: {exc}", EXIT_INPUT) from exc


_JPEG_SUFFIXES = (".jpg", ".jpeg", ".jpe")


def _check_storable(loaded: LoadedImage, output_path: Path, mask: np.ndarray,
                    dilate: int) -> None:
    """The fill keeps the input's shape and dtype (and a float image's range: an HDR stays
    HDR, display floats stay in [0, 1]), so a format that cannot hold the input cannot hold the
    result: refused before the fill (RGBA into .jpg, HDR into .png), not after it.

    NaN or infinite values in the hole (``mask`` grown by ``dilate``, as the fill grows it) are
    not asked about: the fill replaces them with finite ones (a stitcher's NaN nadir in a float
    TIFF can be written to .png once filled). Those outside it are kept, so they still count."""
    from pano_inpaint._checks import all_finite
    from pano_inpaint.io.images import check_storable

    pixels = loaded.pixels
    if not all_finite(pixels):
        from pano_inpaint.masks import dilate_mask

        pixels = pixels.copy()
        pixels[dilate_mask(mask, dilate)] = 0  # a finite value in any range the format takes
    try:
        check_storable(output_path, pixels)
    except ValueError as exc:
        raise JobError(f"{output_path}: {exc}", EXIT_OUTPUT) from exc


def _lossless_source(loaded: LoadedImage) -> bool:
    """Whether the input kept its pixels exactly (not JPEG, not lossy WebP)."""
    if loaded.format == "webp":
        from pano_inpaint.io.headers import webp_is_lossless

        return webp_is_lossless(loaded.path)
    return loaded.format != "jpeg"


def _patches_source(loaded: LoadedImage, output_path: Path) -> bool:
    return loaded.format == "jpeg" and output_path.suffix.lower() in _JPEG_SUFFIXES


def write_result(loaded: LoadedImage, pixels: np.ndarray, output_path: Path,
                 metadata: ImageMetadata, overwrite: bool = False,
                 coefficients: Future | None = None) -> str:
    """Write the filled image; JPEG to JPEG as a patch of the source (only the MCUs the fill
    touched encoded again; ``coefficients``: the source's, if their read was started already
    with :func:`~pano_inpaint.io.jpeg_patch.read_coefficients`), else (or if the source
    cannot be patched) re-encoded. Returns a note on how it was written."""
    from pano_inpaint.io.images import write_image
    from pano_inpaint.io.jpeg_patch import PatchUnavailable, write_jpeg_patch

    if _patches_source(loaded, output_path):
        try:
            patch = write_jpeg_patch(loaded.path, output_path, loaded.pixels, pixels, metadata,
                                     overwrite=overwrite, coefficients=coefficients)
            return patch.describe()
        except PatchUnavailable as exc:
            log.warning("%s: re-encoding the whole JPEG at quality 95, which changes every "
                        "pixel a little: the source cannot be patched block by block (%s)",
                        output_path, exc)
            write_image(output_path, pixels, metadata, overwrite=overwrite)
            return "JPEG re-encoded (not patchable)"
    if output_path.suffix.lower() == ".webp" and _lossless_source(loaded):
        # WebP is written lossy (quality 95) by default: from a lossless source every known
        # pixel would move (a lossless WebP of potsdamer: all of them, by up to 73 levels).
        write_image(output_path, pixels, metadata, overwrite=overwrite, quality=100)
        if pixels.dtype.itemsize > 1:  # WebP holds 8 bits: lossless, not the source's values
            return "lossless WebP (8-bit: the source's finer levels rounded)"
        return "lossless WebP, as the source"
    # A half-float source (most HDRIs) is written half again: float32 took twice the bytes.
    write_image(output_path, pixels, metadata, overwrite=overwrite, half=loaded.half)
    return ""


@dataclass(frozen=True)
class _ReadAhead:
    """Reads of one input started before its fill asks for them (see :func:`read_ahead`)."""

    stamp: tuple[int, int, int]  # inode, size and mtime when they started
    max_pixels: int | None
    image: Future  # LoadedImage
    coefficients: Future | None  # the JPEG's, when it is written as a JPEG


_READS_AHEAD: dict[str, _ReadAhead] = {}
_READS_AHEAD_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_ino, info.st_size, info.st_mtime_ns


def _ends_whole(path: Path) -> bool:
    """Whether a JPEG's last 4 KB hold its end-of-image marker (entropy-coded data never
    does: an 0xFF there is followed by 0 or a restart marker). libjpeg's coefficient read of a
    truncated file printed 'Premature end of JPEG file' twice above its read error; such a
    file is read by the fill, which refuses it before reading its coefficients."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 4096))
            return b"\xff\xd9" in handle.read()
    except OSError:
        return False


def read_ahead(image_path: Path, output_path: Path,
               max_pixels: int | None = DEFAULT_MAX_PIXELS) -> None:
    """Start reading ``image_path`` (and a JPEG's coefficients, when the output is a JPEG too)
    on threads; the next :func:`inpaint_file` of it takes the reads over, if the file has not
    changed since.

    The command line starts this for a single image before the generator's modules are
    imported: decoding and libjpeg's coefficient read run without the GIL, so they overlap
    that import (~0.5 CPU s that holds it) instead of following it. A read that fails is
    simply done again by the fill, which reports its error.
    """
    from concurrent.futures import Future

    from pano_inpaint.io.images import read_image

    try:
        stamp, kind = _stamp(image_path), read_image_header(image_path).format
    except (OSError, ImageReadError):
        return  # the fill reads it (and says why it cannot)
    image: Future = Future()

    def read() -> None:
        try:
            image.set_result(read_image(image_path, max_pixels=max_pixels))
        except BaseException as exc:  # the fill reads again
            image.set_exception(exc)

    threading.Thread(target=read, name="read-ahead", daemon=True).start()
    coefficients = None
    if kind == "jpeg" and output_path.suffix.lower() in _JPEG_SUFFIXES \
            and _ends_whole(image_path):
        from pano_inpaint.io.jpeg_patch import read_coefficients

        coefficients = read_coefficients(image_path)
    with _READS_AHEAD_LOCK:
        _READS_AHEAD[os.path.abspath(image_path)] = _ReadAhead(stamp, max_pixels, image,
                                                               coefficients)


def settle_reads_ahead() -> None:
    """Forget the reads :func:`read_ahead` started, once each has ended.

    For a run that stops before its fill (a generator's name or parameter refused): a process
    that exits while a read-ahead thread is still inside the JPEG decoder can abort after its
    error message ("terminate called without an active exception"), with another exit code.
    """
    from concurrent.futures import wait

    with _READS_AHEAD_LOCK:
        pending = list(_READS_AHEAD.values())
        _READS_AHEAD.clear()
    for ahead in pending:
        wait([ahead.image] + ([ahead.coefficients] if ahead.coefficients is not None else []))


def _read_for_fill(image_path: Path,
                   max_pixels: int | None) -> tuple[LoadedImage, Future | None]:
    """The input's pixels, and its coefficients' pending read if :func:`read_ahead` started
    one: taken over from it when it read this same file (its refusal too: decoding a corrupt
    file again printed the decoder's complaint, 'libpng error: Not enough image data', twice
    above the one-line error), else read now."""
    from pano_inpaint.io.images import read_image

    with _READS_AHEAD_LOCK:
        ahead = _READS_AHEAD.pop(os.path.abspath(image_path), None)
    if ahead is not None and ahead.max_pixels == max_pixels:
        try:
            if _stamp(image_path) == ahead.stamp:
                return ahead.image.result(), ahead.coefficients
        except ImageReadError as exc:  # the file as it still is: reading it again says the same
            raise JobError(str(exc), EXIT_INPUT) from exc
        except Exception:  # noqa: BLE001 - read again below, which raises what is wrong
            pass
    try:
        return read_image(image_path, max_pixels=max_pixels), None
    except ImageReadError as exc:
        raise JobError(str(exc), EXIT_INPUT) from exc


def inpaint_file(
    image_path: Path,
    output_path: Path,
    mask_spec: MaskSpec,
    *,
    config: PipelineConfig,
    generator: str | Generator | None = None,
    overwrite: bool = False,
    in_place: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    progress: Callable[[float, str], None] | None = None,
) -> FileResult:
    """Read a panorama, fill its hole, write it with its metadata (GPano updated) atomically.

    Raises:
        JobError: ``EXIT_INPUT``, ``EXIT_OUTPUT`` (or ``EXIT_USAGE`` for a config that does not
            fit this image, such as a cube padding wider than its faces), with a message
            saying what to do.
    """
    from pano_inpaint.io.images import ImageWriteError
    from pano_inpaint.pipeline import inpaint

    if same_file(image_path, output_path) and not in_place:
        raise JobError(f"output {output_path} is the input file; pass --in-place to replace "
                       "the input, or choose another output", EXIT_OUTPUT)
    if output_path.exists() and not (overwrite or in_place):
        raise JobError(f"output {output_path} exists; pass --overwrite to replace it",
                       EXIT_OUTPUT)
    loaded, coefficients = _read_for_fill(image_path, max_pixels)
    check_panorama(loaded)
    if not _patches_source(loaded, output_path):
        coefficients = None
    elif coefficients is None:
        from pano_inpaint.io.jpeg_patch import read_coefficients

        coefficients = read_coefficients(loaded.path)  # meanwhile the fill starts
    height, width = loaded.height, loaded.width
    detection = None
    if mask_spec.uses_auto(image_path):
        from pano_inpaint.masks.auto import detect_rig

        detection = detect_rig(loaded.pixels, config.auto_mask)
        mask = detection.mask
    else:
        mask = mask_spec.mask_for(image_path, height, width, max_pixels=max_pixels,
                                  dilate=config.mask.dilate)
    if not _patches_source(loaded, output_path):
        # After the mask (which says which NaN the fill replaces), before the fill.
        _check_storable(loaded, output_path, mask, config.mask.dilate)
    note = ""
    try:
        result = inpaint(loaded.pixels, mask, generator=generator, config=config,
                         progress=progress)
    except ConfigError as exc:
        raise JobError(f"config: {exc}", EXIT_USAGE) from exc
    except ValueError as exc:
        raise JobError(f"{image_path}: {exc}", EXIT_INPUT) from exc
    if not mask.any():
        note = "empty mask: copied unchanged"
        log.warning("%s: the mask is empty; the panorama is copied unchanged", image_path)
    try:
        make_folder(output_path.parent)
    except OSError as exc:
        raise JobError(f"cannot make the folder of {output_path}: {exc.strerror or exc}",
                       EXIT_OUTPUT) from exc
    try:
        written = write_result(loaded, result.image, output_path,
                                loaded.metadata.for_output(width, height), overwrite or in_place,
                                coefficients)
        note = "; ".join(filter(None, [note, written]))
    except FileExistsError as exc:
        raise JobError(f"output {output_path} exists; pass --overwrite to replace it",
                       EXIT_OUTPUT) from exc
    except (ImageWriteError, ValueError) as exc:
        raise JobError(str(exc), EXIT_OUTPUT) from exc
    except OSError as exc:
        raise JobError(f"cannot write {output_path}: {exc.strerror or exc}", EXIT_OUTPUT) from exc
    if detection is not None:
        if detection.rejected is not None:  # say first that nothing was filled, and why
            found = "auto mask: " + "; ".join(detection.warnings)
        else:
            found = (f"auto mask {100 * detection.sphere_fraction:.2f}% of the sphere, "
                     f"confidence {detection.confidence:.2f}"
                     + "".join(f"; {w}" for w in detection.warnings))
        if detection.unsure:  # the fill has no preview of its own to point at
            found += (" (`pano-inpaint mask IMAGE -o FOLDER` writes it with a preview; an "
                      "edited mask goes in with --mask)")
        note = "; ".join(filter(None, [found, note]))
    return FileResult(image_path, output_path, result, note,
                      detection.to_dict() if detection is not None else None)


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically (temp file + rename), creating the folder."""
    make_folder(path.parent)
    atomic_write_text(path, json.dumps(data, indent=2, default=str))
