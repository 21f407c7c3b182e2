"""Atomic file writes: the one way this package writes a file (images, reports, weights,
training checkpoints).

The content goes to a hidden temporary file next to the target, named after the target, this
process and a random token (``.clean.jpg.4711-3fa2c1d0.tmp``), is flushed to disk and then renamed
over the target, so a crash or an error never leaves a half-written file behind. A replaced file
keeps its permission bits (``--in-place`` on a read-only-for-others photo stays so). A run that
was killed between the two steps leaves its temporary file; the next write to the same target
removes it once its process is gone.

A command that writes several files (a cubemap's six faces, an evaluation's thumbnails and
reports) writes them inside :func:`all_or_nothing`: the renames wait for the end of the block, so
a full disk at the fifth file leaves none of them, and no folder it made.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "UnsearchableFolderError", "all_or_nothing", "atomic_write", "atomic_write_text",
    "check_folder", "make_folder", "remove_stale_temporaries", "target_kind", "temporaries_of",
    "temporary_name",
]

_STALE_AFTER_SECONDS = 24 * 3600  # a temporary file this old is stale whatever its process


def temporary_name(path: Path) -> Path:
    """A fresh hidden name next to ``path`` for this process: ``.<name>.<pid>-<token>.tmp``."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


class UnsearchableFolderError(PermissionError):
    """A path to be written below a folder that cannot be searched (no ``x`` permission):
    whether something is there cannot be known. ``str()`` is the one line a command prints;
    ``reason`` and ``hint`` are its parts, for errors of other shapes (``ImageWriteError``)."""

    def __init__(self, path: Path, strerror: str) -> None:
        super().__init__(errno.EACCES, strerror, str(path))
        self.path = Path(path)
        self.reason = f"{strerror} (a folder above it cannot be searched)"
        self.hint = "check its permissions"

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}; {self.hint}"

    def __reduce__(self):  # picklable (a worker's error): OSError's would lose the path
        return (type(self), (self.path, self.strerror))


_NOTHING_THERE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # as Path.exists


def target_kind(path: Path) -> str | None:
    """What stands at ``path``, a file or folder about to be written: ``"folder"``, ``"file"``
    (anything else: a file, a device...) or None (nothing, or a file in the way of a parent).
    The one look at a target that a folder above it without search permission can stop
    (``Path.exists`` raises a bare PermissionError there: a traceback in the commands).

    Raises:
        UnsearchableFolderError: a folder above ``path`` cannot be searched.
    """
    try:
        mode = path.stat().st_mode
    except PermissionError as exc:
        raise UnsearchableFolderError(path, exc.strerror or str(exc)) from exc
    except OSError as exc:
        if exc.errno in _NOTHING_THERE:
            return None
        raise
    except ValueError:  # a NUL byte in the name, as Path.exists
        return None
    return "folder" if stat.S_ISDIR(mode) else "file"


def _blocker(folder: Path) -> Path | None:
    """The file standing where ``folder`` or one of its parents should be, if any."""
    return next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)


def _blocked(folder: Path, blocker: Path) -> NotADirectoryError:
    return NotADirectoryError(errno.ENOTDIR, f"{blocker} is a file, not a folder", str(folder))


def check_folder(folder: Path) -> None:
    """Raise what :func:`make_folder` would for a file in the way of ``folder``, creating
    nothing: a command checks its output folder first and makes it only once it has something
    to write there (an error leaves no empty folder behind)."""
    blocker = _blocker(folder)
    if blocker is not None:
        raise _blocked(folder, blocker)


@dataclass
class _Pending:
    """What an :func:`all_or_nothing` block has written so far."""

    staged: list[tuple[Path, Path, bool]] = field(default_factory=list)  # (tmp, target, overwrite)
    placed: list[Path] = field(default_factory=list)  # new files an inner block put in place
    folders: list[Path] = field(default_factory=list)  # folders made, innermost first


_PENDING: ContextVar[_Pending | None] = ContextVar("pano_inpaint_pending_writes", default=None)


def make_folder(folder: Path) -> None:
    """``folder`` and its parents made if missing. A file where one of them should be raises
    ``NotADirectoryError`` whose ``strerror`` names that file (the bare ``File exists`` of
    ``mkdir`` reads as if the output itself existed). Inside :func:`all_or_nothing`, the
    folders made are removed again if the block fails (when empty)."""
    pending = _PENDING.get()
    if pending is not None:
        made = [f for f in (folder, *folder.parents) if not f.exists()]  # innermost first
        pending.folders[:0] = made  # removed before the folders of earlier calls
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        blocker = _blocker(folder)
        if blocker is None:
            raise
        raise _blocked(folder, blocker) from exc


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # someone else's process, or no way to tell
        return True
    return True


def _temporaries(path: Path) -> list[tuple[Path, int | None]]:
    """The temporary files of writes to ``path`` next to it, with the process each names (None
    for an older name without one)."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(?:(\d+)-)?[0-9a-f]+\.tmp$")
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return []
    found = []
    for sibling in siblings:
        match = pattern.match(sibling.name)
        if match is not None:
            found.append((sibling, int(match.group(1)) if match.group(1) else None))
    return found


def temporaries_of(path: Path) -> list[Path]:
    """The temporary files of writes to ``path`` (of this or any process) lying next to it."""
    return [tmp for tmp, _ in _temporaries(path)]


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove temporary files of earlier writes to ``path`` whose process is gone (or that are
    older than a day); returns what was removed."""
    removed = []
    now = time.time()
    for sibling, pid in _temporaries(path):
        try:
            old = now - sibling.lstat().st_mtime > _STALE_AFTER_SECONDS
        except OSError:
            continue
        if old or (pid is not None and pid != os.getpid() and not _process_alive(pid)):
            with contextlib.suppress(OSError):
                sibling.unlink()
                removed.append(sibling)
    return removed


def _reserve(path: Path) -> Path:
    """Create the empty temporary file (exclusively; the kernel applies the umask)."""
    for _ in range(100):
        tmp = temporary_name(path)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name next to '{path}'")


def _exists_message(path: Path) -> str:
    return f"'{path}' already exists; pass --overwrite (overwrite=True) to replace it"


def _commit(tmp: Path, path: Path, overwrite: bool) -> None:
    if overwrite:
        with contextlib.suppress(OSError):  # keep a replaced file's permission bits
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
        return
    try:
        # A hard link fails if the target appeared meanwhile, where a rename would clobber it.
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(_exists_message(path)) from None
    except OSError:  # no hard links on this file system (FAT, some network shares)
        if path.exists():
            raise FileExistsError(_exists_message(path)) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); directories cannot be opened on Windows."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty: something else was put there
            folder.rmdir()


def _place_all(staged: list[tuple[Path, Path, bool]]) -> list[Path]:
    """Move every staged file into place; returns the targets that did not exist before. If
    one cannot be moved, those new targets are removed again and the error raised (a file a
    move replaced cannot be brought back: only ``overwrite`` replaces, and it was asked for)."""
    placed: list[Path] = []
    try:
        for tmp, target, overwrite in staged:
            existed = target.exists()
            try:
                _commit(tmp, target, overwrite)
            except FileExistsError:
                raise
            except OSError as exc:  # named after the target, not the temporary file
                raise OSError(exc.errno, exc.strerror, str(target)) from exc
            if not existed:
                placed.append(target)
    except BaseException:
        _unlink_all(placed)
        _unlink_all([tmp for tmp, _, _ in staged])
        raise
    for folder in {target.parent for _, target, _ in staged}:
        _fsync_directory(folder)
    return placed


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Write a set of files whole or not at all: every :func:`atomic_write` in the block (in
    this thread) leaves its content in its temporary file, and all are moved into place when
    the block ends. A block that raises (a full disk, Ctrl-C, any error) leaves none of them and
    removes the folders :func:`make_folder` made in it; the files they would have replaced are
    untouched. An inner block puts its files in place at its own end (so they can be read
    back), and they are removed again if the outer block fails.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> try:
        ...     with all_or_nothing():
        ...         _ = atomic_write(folder / "a.txt", lambda tmp: tmp.write_text("a"))
        ...         raise OSError(errno.ENOSPC, "No space left on device")
        ... except OSError:
        ...     pass
        >>> sorted(folder.iterdir())
        []
    """
    outer = _PENDING.get()
    pending = _Pending()
    token = _PENDING.set(pending)
    try:
        yield
    except BaseException:
        _unlink_all([tmp for tmp, _, _ in pending.staged] + pending.placed)
        _remove_empty(pending.folders)
        raise
    finally:
        _PENDING.reset(token)
    try:
        placed = _place_all(pending.staged)
    except BaseException:
        _unlink_all(pending.placed)
        _remove_empty(pending.folders)
        raise
    if outer is not None:
        outer.placed += pending.placed + placed
        outer.folders[:0] = pending.folders


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None], *,
                 overwrite: bool = True) -> Path:
    """Run ``write(tmp)`` on a temporary file next to ``path``, flush it, then move it into
    place (inside :func:`all_or_nothing`: when the block ends). A symbolic link at ``path``
    stays a link: the file it points to is replaced.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False (nothing is written).
        Whatever ``write`` or the file system raise; the temporary file is removed then and
        ``path`` is untouched.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> atomic_write(folder / "a.txt", lambda tmp: tmp.write_text("hi")).read_text()
        'hi'
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    remove_stale_temporaries(target)
    tmp = _reserve(target)
    pending = _PENDING.get()
    try:
        write(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        if pending is not None:  # what the rename would refuse is refused now, as outside
            if target.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
            if not overwrite and target.exists():
                raise FileExistsError(_exists_message(target))
            pending.staged.append((tmp, target, overwrite))
            return Path(path)
        _commit(tmp, target, overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_directory(target.parent)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, *,
                      encoding: str = "utf-8") -> Path:
    """:func:`atomic_write` of ``text``: the file holds all of it or its old content (a report,
    a config, a log rewritten with its new row).

    Example:
        >>> import tempfile
        >>> atomic_write_text(Path(tempfile.mkdtemp()) / "a.txt", "hi").read_text()
        'hi'
    """
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding))
