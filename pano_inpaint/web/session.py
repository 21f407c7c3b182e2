"""One server's state: the folder it serves, the panoramas opened, their masks and fills.

Files are only ever read from FOLDER (paths are resolved, symbolic links included, and must
stay inside it) and from uploads; everything written goes to a private workspace folder. Input
files are never written.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import numpy as np

from pano_inpaint.batch import build_generator
from pano_inpaint.config import PipelineConfig
from pano_inpaint.generators import list_generators
from pano_inpaint.io import SUPPORTED_SUFFIXES, ImageReadError, read_image, read_mask, write_mask
from pano_inpaint.jobs import (
    JobError,
    check_panorama,
    mask_command_outputs,
    write_json,
    write_result,
)
from pano_inpaint.values import is_hdr
from pano_inpaint.web.errors import Refused
from pano_inpaint.web.fills import FillJob, FillQueue
from pano_inpaint.web.generator_settings import check_settings
from pano_inpaint.web.mask_editor import MaskEditor
from pano_inpaint.web.previews import display_jpeg
from pano_inpaint.web.uploads import FORMAT_SUFFIX, MAX_PIXELS, check_image_file

__all__ = ["OpenImage", "Session"]

log = logging.getLogger(__name__)

_MAX_LISTED = 5000
_MAX_DEPTH = 3  # sub-folder levels listed
_LOSSY = {"jpeg", "webp"}
# Fills of one panorama queued or running at once. Each queued fill holds a copy of the mask
# (134 MB at 16384x8192) and will write a result into the workspace; a script or a repeated
# click queued them without end.
MAX_PENDING_FILLS = 4


@dataclass
class OpenImage:
    """A panorama opened in the session."""

    id: str
    name: str  # what the page shows: the path inside FOLDER, or the uploaded file's name
    source: Path  # the file read; never written
    format: str
    width: int
    height: int
    dtype: str
    channels: int
    hdr: bool
    workdir: Path  # this image's folder in the workspace
    mask: MaskEditor = field(repr=False)
    fills: list[str] = field(default_factory=list)
    # Fills queued or running, and whether the page closed it: the last of its fills to end
    # removes the folder of a closed image (both changed under the session's lock).
    fills_pending: int = 0
    closed: bool = False

    @property
    def stem(self) -> str:
        return Path(self.name).stem

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "format": self.format, "width": self.width,
            "height": self.height, "dtype": self.dtype, "channels": self.channels,
            "hdr": self.hdr, "fills": self.fills, "mask": self.mask.state().to_dict(),
        }


def _is_utf8(name: str) -> bool:
    """Whether a file name read from the disk can be sent to the page: one that is not UTF-8
    (Latin-1 from an old share or a zip) holds surrogates that JSON cannot carry."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Session:
    """Everything the server holds; the web routes are thin calls into it."""

    def __init__(
        self,
        folder: Path | None,
        workspace: Path,
        *,
        config: PipelineConfig | None = None,
        max_upload_bytes: int = 1 << 30,
        max_pixels: int = MAX_PIXELS,
        workers: int = 1,
    ) -> None:
        self.folder = folder.resolve(strict=True) if folder is not None else None
        self.workspace = workspace
        self.config = config or PipelineConfig()
        self.max_upload_bytes = max_upload_bytes
        self.max_pixels = max_pixels
        self.images: dict[str, OpenImage] = {}
        self.queue = FillQueue(workers)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ FOLDER

    @property
    def folder_name(self) -> str | None:
        """FOLDER's name as the page shows it (a byte that is not UTF-8 as U+FFFD: such a name
        made every answer naming it a 500, the page's first among them)."""
        if self.folder is None:
            return None
        return os.fsencode(self.folder.name).decode("utf-8", "replace")

    def list_files(self) -> dict[str, list[dict[str, Any]]]:
        """Images in FOLDER and its sub-folders, three levels deep (not hidden ones; links out of
        FOLDER left out; names that are not UTF-8 left out with a warning: one made the whole
        list a 500, and the page could not ask for it anyway).

        ``{"files": [...], "masks": [...]}``, each ``{"path", "bytes"}``: the masks are those
        ``pano-inpaint mask`` wrote beside their images (``NAME_mask.png``), which the page
        offers to load as masks, not to open as panoramas; its previews beside them are in
        neither (:func:`~pano_inpaint.jobs.mask_command_outputs`, inpaint's rule for a folder).
        """
        if self.folder is None:
            return {"files": [], "masks": []}
        found: list[dict[str, Any]] = []
        for root, dirs, names in os.walk(self.folder):
            depth = len(Path(root).relative_to(self.folder).parts)
            # Not hidden folders, and not deeper than _MAX_DEPTH (a home folder is huge).
            dirs[:] = [] if depth >= _MAX_DEPTH else sorted(d for d in dirs
                                                             if not d.startswith("."))
            if len(found) >= _MAX_LISTED:
                break
            for name in sorted(names):
                path = Path(root) / name
                if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                if not _is_utf8(path.relative_to(self.folder).as_posix()):
                    log.warning("%s is not listed: its name is not UTF-8; rename it to open it",
                                ascii(str(path.relative_to(self.folder))))
                    continue
                try:
                    inside = self.resolve(path.relative_to(self.folder).as_posix())
                except Refused:
                    continue  # a link out of FOLDER
                found.append({"path": path.relative_to(self.folder).as_posix(),
                              "bytes": inside.stat().st_size})
                if len(found) >= _MAX_LISTED:
                    break
        found.sort(key=lambda f: f["path"])
        written = {path.relative_to(self.folder).as_posix() for path in mask_command_outputs(
            [self.folder / f["path"] for f in found], max_pixels=self.max_pixels)}
        return {"files": [f for f in found if f["path"] not in written],
                "masks": [f for f in found if f["path"] in written
                          and f["path"].endswith("_mask.png")]}

    def resolve(self, relative: str) -> Path:
        """The file ``relative`` names inside FOLDER.

        Raises:
            Refused: no FOLDER, an absolute path, a path (or link) leading out of FOLDER
                (403), or no such file (404).
        """
        if self.folder is None:
            raise Refused("the server was started without a folder", 404)
        if not isinstance(relative, str) or not relative or "\x00" in relative:
            raise Refused("give a file path inside the served folder")
        candidate = Path(relative)
        if candidate.is_absolute() or candidate.drive:
            raise Refused("paths are relative to the served folder", 403)
        try:
            resolved = (self.folder / candidate).resolve(strict=True)
        except (OSError, RuntimeError):
            raise Refused(f"no file {relative!r} in the served folder", 404) from None
        if not resolved.is_relative_to(self.folder):
            raise Refused(f"{relative!r} is outside the served folder", 403)
        if not resolved.is_file():
            raise Refused(f"{relative!r} is not a file", 404)
        return resolved

    # ------------------------------------------------------------------ opening

    def _new_workdir(self) -> tuple[str, Path]:
        image_id = secrets.token_hex(6)
        workdir = self.workspace / image_id
        workdir.mkdir(parents=True)
        return image_id, workdir

    def open_file(self, relative: str) -> OpenImage:
        path = self.resolve(relative)
        image_id, workdir = self._new_workdir()
        return self._open(image_id, path, relative, workdir)

    def upload_target(self) -> tuple[str, Path]:
        """An id and a folder to receive an upload in (see :meth:`open_upload`)."""
        image_id, workdir = self._new_workdir()
        return image_id, workdir / "upload"

    def upload_folder(self) -> Path:
        """A new folder name for a mask upload, in the workspace beside the images' folders:
        in the image's own, closing the image (another tab) as the upload arrived removed it
        under the upload (a 500) or had the upload create it again (left until the server
        stopped)."""
        return self.workspace / f"mask-{secrets.token_hex(6)}"

    def open_upload(self, image_id: str, path: Path, name: str) -> OpenImage:
        return self._open(image_id, path, name, path.parent.parent)

    def open_sample(self) -> OpenImage:
        """The sample panorama shipped in the package (a copy: the package is never written)."""
        image_id, workdir = self._new_workdir()
        target = workdir / "upload" / "sample_pano.jpg"
        target.parent.mkdir()
        with as_file(files("pano_inpaint") / "data" / "sample_pano.jpg") as path:
            shutil.copyfile(path, target)
        return self._open(image_id, target, target.name, workdir)

    def open_result(self, job: FillJob) -> OpenImage:
        """A fill's result as a new panorama of the session, to paint and fill again.

        Its lossless copy is read when there is one (no second JPEG generation); results of it
        are written in the first input's format."""
        if job.result is None:
            raise Refused(f"fill {job.id} is {job.state}", 409)
        first = self.image(job.image_id)
        files = job.result["files"]
        source = first.workdir / job.id / files.get("lossless", files["result"])
        image_id, workdir = self._new_workdir()
        target = workdir / "upload" / source.name
        target.parent.mkdir()
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError as exc:
            # Closed (another tab) since it was looked up: its fills' files went with it. This
            # was a 500 with a traceback, and the new folder stayed until the server stopped.
            shutil.rmtree(workdir, ignore_errors=True)
            raise Refused(f"image {job.image_id} was closed; its fills are gone", 404) from exc
        name = f"{first.stem}_inpainted{FORMAT_SUFFIX.get(first.format, '.png')}"
        image = self._open(image_id, target, name, workdir)
        image.format = first.format
        return image

    def discard(self, image_id: str) -> None:
        """Remove what a refused upload left in the workspace."""
        if image_id not in self.images:
            shutil.rmtree(self.workspace / image_id, ignore_errors=True)

    def _open(self, image_id: str, path: Path, name: str, workdir: Path) -> OpenImage:
        header = check_image_file(path, self.max_pixels)
        try:
            loaded = read_image(path)
            check_panorama(loaded)
        except ImageReadError as exc:
            raise Refused(str(exc).replace(str(path), name)) from exc
        except JobError as exc:
            raise Refused(str(exc).replace(str(path), name)) from exc
        (workdir / "preview.jpg").write_bytes(display_jpeg(loaded.pixels))
        image = OpenImage(
            image_id, name, path, header.format, loaded.width, loaded.height,
            str(loaded.pixels.dtype), loaded.channels, is_hdr(loaded.pixels), workdir,
            MaskEditor(loaded.height, loaded.width),
        )
        with self._lock:
            self.images[image.id] = image
        log.info("opened %s (%dx%d %s)", name, image.width, image.height, image.format)
        return image

    def image(self, image_id: str) -> OpenImage:
        image = self.images.get(image_id)
        if image is None:
            raise Refused(f"no open image {image_id!r} (it may belong to a server that "
                          "was restarted: open it again)", 404)
        return image

    def close(self, image_id: str) -> None:
        """Close an image. Its files (an upload's copy, the fills) go with it, or, while a fill
        of it is queued or running, when the last of them ends (a queued one then does not
        run). They stayed until the server stopped, an upload of 1 GB a gigabyte of the disk
        each time."""
        with self._lock:
            image = self.images.pop(image_id, None)
            if image is None:
                return
            image.closed = True
            busy = image.fills_pending > 0
        if not busy:
            shutil.rmtree(image.workdir, ignore_errors=True)

    def load_mask(self, image: OpenImage, path: Path, name: str) -> dict[str, Any]:
        """Replace the mask with a mask file (white = hole); another size is resized.

        Raises:
            Refused: not an image, unreadable (400, 413, 415), or the image was closed
                meanwhile (404: the mask of a closed image was answered 200).
        """
        check_image_file(path, self.max_pixels)
        try:
            hole = read_mask(path, image.height, image.width, resize=True)
        except ImageReadError as exc:
            raise Refused(str(exc).replace(str(path), name)) from exc
        except ValueError as exc:
            raise Refused(f"{name}: {exc}") from exc
        if image.closed:
            raise Refused(f"image {image.id} was closed; open it again to load a mask", 404)
        return image.mask.replace(hole).to_dict()

    # ------------------------------------------------------------------ filling

    def fill_config(self, settings: dict[str, Any]) -> PipelineConfig:
        """The session's configuration with the page's generator, parameters and dilation.

        Raises:
            Refused: unknown generator, bad parameter name or value (out of range included:
                the generator's own message, as the command line gives it).
        """
        name = settings.get("generator") or self.config.generator.name
        if name not in list_generators():
            raise Refused(f"unknown generator {name!r}; available: "
                          f"{', '.join(list_generators())}")
        params = settings.get("params") or {}
        if not isinstance(params, dict):
            raise Refused("generator parameters must be a mapping of names to values")
        check_settings(name, params)
        base = self.config.generator.params if name == self.config.generator.name else {}
        dilate = settings.get("dilate", self.config.mask.dilate)
        if isinstance(dilate, bool) or not isinstance(dilate, int) or not 0 <= dilate <= 256:
            raise Refused(f"dilate must be a whole number of pixels from 0 to 256, got "
                          f"{dilate!r}")
        config = dataclasses.replace(
            self.config,
            generator=dataclasses.replace(self.config.generator, name=name,
                                          params={**base, **params}),
            mask=dataclasses.replace(self.config.mask, dilate=dilate),
        )
        # Built once here, as the command line does, so that a value out of range (an even
        # patch_size, a negative radius) is refused with its message now, not as a failed fill
        # later. Cheap: no weights load (they load at the first fill), and check_settings has
        # already imported the generator's module (torch, for the net) to read its settings.
        try:
            build_generator(config)
        except JobError as exc:
            raise Refused(str(exc)) from exc
        return config

    def fill(self, image: OpenImage, settings: dict[str, Any]) -> FillJob:
        """Queue a fill of ``image``'s current mask."""
        config = self.fill_config(settings)
        mask = image.mask.snapshot()
        if not mask.any():
            raise Refused("the mask is empty: paint the hole (or set a nadir cap) first")
        from pano_inpaint.pipeline import hole_to_fill

        try:  # now, not as a failed fill holding the fill worker
            hole_to_fill(mask, config)
        except ValueError as exc:
            raise Refused(str(exc)) from exc
        effective = {"generator": config.generator.name, "params": config.generator.params,
                     "dilate": config.mask.dilate}
        with self._lock:
            if image.fills_pending >= MAX_PENDING_FILLS:
                raise Refused(f"{image.fills_pending} fills of {image.name} are already queued "
                              "or running; wait for one to end", 429)
            image.fills_pending += 1
        job = self.queue.submit(image.id, effective, mask,
                                lambda job: self._fill_open(image, config, job),
                                ended=lambda job: self._fill_ended(image))
        image.fills.append(job.id)
        return job

    def cancel(self, job: FillJob) -> FillJob:
        """Cancel a fill: a queued one never starts, a running one stops at its next progress
        report; either leaves no files and frees its place among the image's pending fills.
        Cancelling a cancelled fill again changes nothing.

        Raises:
            Refused: the fill already ended done or failed (409).
        """
        if not self.queue.cancel(job) and job.state != "cancelled":
            if job.state == "done":
                raise Refused(f"fill {job.id} is already done: there is nothing to cancel "
                              "(its result stays until its panorama is closed)", 409)
            raise Refused(f"fill {job.id} already {job.state}: there is nothing to cancel",
                          409)
        return job

    def _fill_open(self, image: OpenImage, config: PipelineConfig,
                   job: FillJob) -> dict[str, Any]:
        """:meth:`_fill` while the image is open. Runs on a worker thread."""
        if image.closed:  # queued, then closed: not worth a fill no one can see
            raise Refused("the panorama was closed before its fill started")
        return self._fill(image, config, job)

    def _fill_ended(self, image: OpenImage) -> None:
        """A fill of ``image`` ended (done, failed or cancelled, queued ones included): its
        place among the pending fills is free, and the last fill of a closed image to end
        removes its folder (nothing can reach its files any more)."""
        with self._lock:
            image.fills_pending -= 1
            gone = image.closed and image.fills_pending == 0
        if gone:
            shutil.rmtree(image.workdir, ignore_errors=True)

    def _fill(self, image: OpenImage, config: PipelineConfig, job: FillJob) -> dict[str, Any]:
        """Read, fill, write the result files. Runs on a worker thread."""
        from pano_inpaint.pipeline import inpaint

        job.progress(0.01, "reading")
        loaded = read_image(image.source)
        check_panorama(loaded)
        result = inpaint(loaded.pixels, job.mask, config=config,
                         progress=lambda f, stage: job.progress(0.02 + 0.88 * f, stage))
        job.progress(0.92, "writing")
        out = image.workdir / job.id
        out.mkdir()
        try:
            written = self._write_fill(out, image, loaded, result, job)
            job.check_cancelled()  # asked while writing: the files go with the fill
            return written
        except BaseException:  # a full disk, Ctrl-C, a cancel: no half-written result kept
            shutil.rmtree(out, ignore_errors=True)
            raise

    def _write_fill(self, out: Path, image: OpenImage, loaded, result,
                    job: FillJob) -> dict[str, Any]:
        """The result, its lossless copy, mask, preview and report, into ``out``."""
        metadata = loaded.metadata.for_output(loaded.width, loaded.height)
        files = {"result": _write_result(out, image, loaded, result.image, metadata,
                                         image.format)}
        if image.format in _LOSSY:  # a lossless copy, identical to the fill outside the hole
            files["lossless"] = _write_result(out, image, loaded, result.image, metadata, "png")
        files["mask"] = write_mask(out / f"{image.stem}_mask.png", job.mask)  # 1-bit
        (out / "preview.jpg").write_bytes(display_jpeg(result.image))
        report = result.to_dict()
        files["report"] = out / f"{image.stem}_report.json"
        write_json(files["report"], report)
        return {
            "files": {kind: path.name for kind, path in files.items()},
            "report": report,
            "flagged": result.report.flagged,
        }


def _write_result(out: Path, image: OpenImage, loaded, pixels: np.ndarray, metadata,
                  fmt: str) -> Path:
    """The result file, written as the command line writes it (metadata kept, GPano updated;
    a JPEG of a JPEG as a block patch of it)."""
    path = out / f"{image.stem}_inpainted{FORMAT_SUFFIX.get(fmt, '.png')}"
    write_result(loaded, pixels, path, metadata)
    return path
