"""Where batch files live: a local path, or an fsspec URL (``s3://``, ``gs://``, ``memory://``...).

A *location* is a string. A plain path and a ``file://`` URL are local: they are turned into a
path and go through the local code (atomic writes, links, permissions). Any other URL is read
and written through `fsspec <https://filesystem-spec.readthedocs.io>`_: an input is copied to a
local temporary file before it is read, a result is written locally and then uploaded in one
piece (object stores show an object only once its upload is complete, so nothing half-written
is ever visible). The filesystem's own package (``s3fs``, ``gcsfs``) must be installed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob as globlib
import hashlib
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pano_inpaint.io.atomic import atomic_write

__all__ = [
    "Stamp",
    "canonical",
    "file_sha256",
    "filesystem",
    "is_remote",
    "join",
    "list_remote_inputs",
    "local_path",
    "normalize",
    "read_remote_header",
    "remote_stamps",
    "stage_input",
    "stamp_of",
    "upload",
]

_HEAD_BYTES = 256 * 1024  # enough for the header (and EXIF/XMP/ICC before it) of nearly any file


def _protocol(location: str) -> str:
    from fsspec.utils import get_protocol

    return get_protocol(location) if "://" in location else "file"


def is_remote(location: str) -> bool:
    """Whether ``location`` is read and written through fsspec: any URL but ``file://``
    (fsspec's ``local://`` included: the same files, through fsspec's code).

    Example:
        >>> is_remote("s3://bucket/pano.jpg"), is_remote("file:///tmp/a.jpg"), is_remote("a.jpg")
        (True, False, False)
    """
    return "://" in location and _protocol(location) != "file"


def normalize(location: str) -> str:
    """A ``file://`` URL becomes its path; anything else is returned as given.

    Example:
        >>> normalize("file:///tmp/shoot/a.jpg"), normalize("memory://shoot/a.jpg")
        ('/tmp/shoot/a.jpg', 'memory://shoot/a.jpg')
    """
    if "://" in location and not is_remote(location):
        return location.split("://", 1)[1]
    return location


def canonical(location: str) -> str:
    """A remote location as its filesystem names it (``memory://x/a`` -> ``memory:///x/a``,
    no trailing ``/``), so names from a listing and names built by joining match; a local one
    as given (``file://`` removed).

    Raises:
        ImportError: the filesystem's package is not installed; ValueError: unknown protocol.

    Example:
        >>> canonical("memory://shoot/out/"), canonical("file:///data/out")
        ('memory:///shoot/out', '/data/out')
    """
    location = normalize(location)
    if not is_remote(location):
        return location
    _, fs_path = filesystem(location)
    return f"{_protocol(location)}://{fs_path.rstrip('/')}"


def local_path(location: str) -> Path | None:
    """The path of a local location, None for a remote one."""
    return None if is_remote(location) else Path(normalize(location))


def filesystem(location: str):
    """``(fs, path)`` for a remote location.

    Raises:
        ImportError: the filesystem's package is not installed (its message names it).
        ValueError: an unknown protocol.
    """
    from fsspec.core import url_to_fs

    return url_to_fs(location)


def join(folder: str, relative: str | PurePosixPath) -> str:
    """``folder/relative`` for a URL (always ``/``) or a local path.

    Example:
        >>> join("s3://bucket/out/", "day1/a.jpg")
        's3://bucket/out/day1/a.jpg'
    """
    relative = PurePosixPath(relative).as_posix()
    if is_remote(folder):
        return folder.rstrip("/") + "/" + relative
    return str(Path(folder) / relative)


@dataclass(frozen=True)
class Stamp:
    """Size and modification mark of a file (a local mtime, an object's ETag or upload time):
    a file whose stamp is unchanged is taken to be unchanged without reading it."""

    size: int
    mark: str

    def __str__(self) -> str:
        return f"{self.size}:{self.mark}"


def _mark(info: dict) -> str:
    """The first modification field a filesystem reports: local ``mtime``, S3 ``ETag``, GCS
    ``md5Hash``/``updated``, memory ``created`` (a datetime from ``info``, a float from
    ``find``: both are written as the same float)."""
    for key in ("mtime", "ETag", "etag", "md5Hash", "LastModified", "last_modified", "updated",
                "created"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            value = value.timestamp()
        return f"{value}"
    return ""


def stamp_of(location: str) -> Stamp | None:
    """The stamp of a file, None if there is none.

    Local files are stamped with their size and ``st_mtime_ns``.
    """
    path = local_path(location)
    if path is not None:
        try:
            info = path.stat()
        except OSError:
            return None
        return Stamp(info.st_size, str(info.st_mtime_ns)) if path.is_file() else None
    fs, fs_path = filesystem(location)
    try:
        info = fs.info(fs_path)
    except (FileNotFoundError, OSError):
        return None
    if info.get("type") != "file":
        return None
    return Stamp(int(info["size"]), _mark(info))


def remote_stamps(folder: str) -> dict[str, Stamp]:
    """Stamps of every file below a remote folder, from one listing (``find``): a resumed batch
    of a million results checks them with a few thousand list requests, not a million."""
    fs, fs_path = filesystem(folder)
    try:
        listing = fs.find(fs_path, detail=True)
    except (FileNotFoundError, OSError):
        return {}
    protocol = _protocol(folder)
    return {f"{protocol}://{name}": Stamp(int(info["size"]), _mark(info))
            for name, info in listing.items() if info.get("type", "file") == "file"}


def file_sha256(location: str) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    path = local_path(location)
    if path is not None:
        opened = path.open("rb")
    else:
        fs, fs_path = filesystem(location)
        opened = fs.open(fs_path, "rb")
    with opened as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _glob_root(pattern: str) -> str:
    """The leading folders of a glob pattern that hold no wildcard (``bucket/shoot``)."""
    parts = pattern.split("/")[:-1]
    fixed = []
    for part in parts:
        if globlib.has_magic(part):
            break
        fixed.append(part)
    return "/".join(fixed)


def list_remote_inputs(spec: str, suffixes: frozenset[str] | set[str]
                       ) -> list[tuple[str, str, Stamp]]:
    """A remote file, folder (its images, not its sub-folders) or glob ->
    ``[(url, relative, stamp)]``, sorted; ``relative`` is the name, or for a glob the path below
    its fixed part, as for local inputs. The stamps come from the listing itself (a thousand
    objects per request on S3), not from a request per file.

    Raises:
        FileNotFoundError: nothing there.
    """
    fs, fs_path = filesystem(spec)
    fs_path = fs_path.rstrip("/")
    if globlib.has_magic(fs_path):
        root = _glob_root(fs_path)
        infos = fs.glob(fs_path, detail=True)
        entries = [(name, posixpath.relpath(name, root) if root else name, info)
                   for name, info in infos.items()]
    elif fs.isfile(fs_path):
        entries = [(fs_path, posixpath.basename(fs_path), fs.info(fs_path))]
    elif fs.isdir(fs_path):
        entries = [(info["name"], posixpath.basename(info["name"]), info)
                   for info in fs.ls(fs_path, detail=True)
                   if PurePosixPath(info["name"]).suffix.lower() in suffixes]
    else:
        raise FileNotFoundError(spec)
    protocol = _protocol(spec)
    return sorted((f"{protocol}://{name}", relative, Stamp(int(info.get("size") or 0),
                                                           _mark(info)))
                  for name, relative, info in entries if info.get("type", "file") == "file")


def read_remote_header(location: str, *, max_pixels: int | None):
    """The header of a remote image from its first 256 KiB (the whole file only when its
    header lies further on, as a TIFF's may): what :func:`read_image_header
    <pano_inpaint.io.headers.read_image_header>` says of a local file.

    Raises:
        ImageReadError: as ``read_image_header``.
    """
    from pano_inpaint.io.headers import ImageReadError, read_image_header

    fs, fs_path = filesystem(location)
    suffix = PurePosixPath(fs_path).suffix
    with tempfile.TemporaryDirectory(prefix="pano-inpaint-") as folder:
        head = Path(folder) / f"head{suffix}"
        try:
            size = fs.size(fs_path)
            head.write_bytes(fs.cat_file(fs_path, start=0, end=min(size, _HEAD_BYTES)))
        except FileNotFoundError:
            raise ImageReadError(location, "no such file", "check the URL") from None
        try:
            return read_image_header(head, max_pixels=max_pixels)
        except ImageReadError as exc:
            if size <= _HEAD_BYTES or "declares" in exc.reason:
                raise ImageReadError(location, exc.reason, exc.hint) from None
        head.write_bytes(fs.cat_file(fs_path))
        try:
            return read_image_header(head, max_pixels=max_pixels)
        except ImageReadError as exc:
            raise ImageReadError(location, exc.reason, exc.hint) from None


@contextlib.contextmanager
def stage_input(location: str, folder: Path) -> Iterator[Path]:
    """A local path to read ``location`` from: the path itself, or a copy in ``folder``."""
    path = local_path(location)
    if path is not None:
        yield path
        return
    fs, fs_path = filesystem(location)
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / PurePosixPath(fs_path).name  # its own name: a mask folder matches it by it
    fs.get_file(fs_path, str(copy))
    try:
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def upload(local: Path, location: str, *, overwrite: bool) -> None:
    """Copy a finished local file to a remote location, in one piece.

    Raises:
        FileExistsError: the target exists and ``overwrite`` is False (object stores have no
            create-if-absent: a writer racing this one between the check and the upload wins).
    """
    from fsspec.implementations.local import LocalFileSystem

    fs, fs_path = filesystem(location)
    if isinstance(fs, LocalFileSystem):  # a plain copy would show a half-written file
        Path(fs_path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(fs_path, lambda tmp: shutil.copyfile(local, tmp), overwrite=overwrite)
        return
    if not overwrite and fs.exists(fs_path):
        raise FileExistsError(f"'{location}' already exists; pass --overwrite to replace it")
    parent = posixpath.dirname(fs_path)
    if parent:
        with contextlib.suppress(OSError):  # object stores have no folders to make
            fs.makedirs(parent, exist_ok=True)
    fs.put_file(str(local), fs_path)
