"""The batch manifest: one JSON line per input, in the output folder, so a batch can be resumed.

``DST/pano-inpaint-manifest.jsonl`` holds a record per input (:class:`Record`): its status
(``running``, ``done``, ``failed``, ``interrupted``), the output, the seconds the fill took, the
flagged consistency checks, the error, and what a resumed run needs to trust a result without
redoing it (the stamps and SHA-256 of the output, the stamp of the input, the settings).

While a batch runs the file is a journal: records are appended, each group in one ``write`` on
a file opened for appending and flushed to disk (``fsync``) before the run goes on, so a killed
run loses at most a line it was writing (a torn last line is ignored when the manifest is
read). At the start and at the end of a run the manifest is rewritten (atomically) with the
latest record of each input. A manifest on object storage, which cannot append, is rewritten
whole every 10 s (less often when uploading it takes more than a tenth of that) and at the end.

Only one batch may write to a local output folder at a time (it holds a lock on the folder).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import posixpath
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pano_inpaint.io.atomic import atomic_write
from pano_inpaint.io.locations import filesystem, join, local_path

__all__ = ["MANIFEST_NAME", "STATUSES", "Manifest", "ManifestError", "Record"]

log = logging.getLogger(__name__)

MANIFEST_NAME = "pano-inpaint-manifest.jsonl"
STATUSES = ("running", "done", "failed", "interrupted")
_REMOTE_FLUSH_SECONDS = 10.0


class ManifestError(Exception):
    """A manifest that cannot be read, written or locked."""


@dataclass(slots=True)  # a million of them in a driver: no per-instance dict
class Record:
    """What is known about one input (one line of the manifest).

    Attributes:
        input: the input's path or URL, as resolved by the run.
        status: ``running`` (dispatched, no result yet: a run killed then), ``done``,
            ``failed``, or ``interrupted`` (stopped by Ctrl-C before it finished).
        output: where its result goes.
        settings: fingerprint of the run's settings (generator, params, mask, config).
        claimed: this batch may replace ``output``: it did not exist when the batch first
            dispatched the input, or ``--overwrite`` / ``--in-place`` was given.
        seconds: wall time of the fill (done or failed).
        cpu_seconds: CPU time the fill took (all threads of its worker): what sizes a cluster.
        peak_mb: peak resident memory of the worker process that filled it, so far.
        flags: consistency checks flagged on the result.
        note: e.g. an empty mask.
        error: the one-line error of a failed image; ``code`` its exit code.
        input_stamp: size and modification stamp of the input when it was filled.
        output_stamp: size and modification stamp of the result just after it was written.
        output_sha256: SHA-256 of the result's bytes.
        time: when the record was written (UTC, ISO 8601).
    """

    input: str
    status: str
    output: str
    settings: str
    claimed: bool = False
    seconds: float | None = None
    cpu_seconds: float | None = None
    peak_mb: float | None = None
    flags: list[str] = field(default_factory=list)
    note: str = ""
    error: str | None = None
    code: int | None = None
    input_stamp: str | None = None
    output_stamp: str | None = None
    output_sha256: str | None = None
    time: str = ""

    def to_json(self) -> str:
        data = {name: getattr(self, name) for name in _FIELDS}
        data["time"] = self.time or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        # A file name that is not UTF-8 (caf\xe9.jpg from a Latin-1 share) holds a lone
        # surrogate, which UTF-8 cannot encode (the batch ended in a traceback): written as
        # JSON's own escape, it reads back as the same name.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")

    @classmethod
    def from_json(cls, line: str) -> Record:
        data = json.loads(line)
        if not isinstance(data, dict) or data.get("status") not in STATUSES:
            raise ValueError("not a record")
        return cls(**{k: v for k, v in data.items() if k in _FIELDS})


_FIELDS = tuple(f.name for f in dataclasses.fields(Record))


def _parse(lines: Iterable[str], where: str) -> dict[str, Record]:
    """The latest record per input, from lines with their line ends; a last line without one
    that does not parse (a killed writer's) is skipped."""
    records: dict[str, Record] = {}
    torn = None
    for number, line in enumerate(lines, 1):
        if torn is not None:
            raise torn
        if not line.strip():
            continue
        try:
            record = Record.from_json(line)
        except (ValueError, TypeError) as exc:
            error = ManifestError(f"{where}, line {number}: not a pano-inpaint manifest record "
                                  f"({exc}); move the file away or choose another output "
                                  "folder")
            if line.endswith("\n"):
                raise error from exc
            torn = error  # fatal only if a line follows it
            continue
        records[record.input] = record
    if torn is not None:
        log.warning("%s: ignoring its unfinished last line (a run was killed while writing "
                    "it)", where)
    return records


def _writes(method: Callable) -> Callable:
    """An ``OSError`` of the decorated method (making, locking or writing the manifest) becomes a
    :class:`ManifestError` naming the manifest's folder: the runner tells it apart from the
    other errors of a run, which were all worded as the manifest's."""
    @functools.wraps(method)
    def write(self: Manifest, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OSError as exc:
            raise ManifestError(f"cannot write the manifest in {self.folder}: "
                                f"{exc.strerror or exc}") from exc
    return write


class Manifest:
    """The manifest of one output folder, open for a run (a context manager).

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with Manifest(folder) as manifest:
        ...     manifest.append([Record("a.jpg", "done", folder + "/a.jpg", "s1")])
        >>> Manifest(folder).load()["a.jpg"].status
        'done'
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.location = join(folder, MANIFEST_NAME)
        self._path = local_path(self.location)
        self._records: dict[str, Record] = {}
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._dirty_since: float | None = None
        self._interval = _REMOTE_FLUSH_SECONDS

    # ------------------------------------------------------------------------------ reading

    def load(self) -> dict[str, Record]:
        """The latest record per input (empty when there is no manifest yet).

        Raises:
            ManifestError: unreadable, or not a manifest.
        """
        try:
            if self._path is not None:
                if not self._path.exists():
                    self._records = {}
                else:
                    with self._path.open(encoding="utf-8") as lines:  # streamed: large files
                        self._records = _parse(lines, self.location)
            else:
                fs, fs_path = filesystem(self.location)
                text = fs.cat_file(fs_path).decode("utf-8") if fs.exists(fs_path) else ""
                self._records = _parse(text.splitlines(keepends=True), self.location)
        except UnicodeDecodeError as exc:  # a binary file under the manifest's name
            raise ManifestError(f"{self.location} is not a pano-inpaint manifest (not UTF-8 "
                                "text); move the file away or choose another output "
                                "folder") from exc
        except OSError as exc:
            raise ManifestError(f"cannot read {self.location}: {exc}") from exc
        return dict(self._records)

    # ------------------------------------------------------------------------------ writing

    def __enter__(self) -> Manifest:
        if self._path is not None:
            self._lock()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @_writes
    def _lock(self) -> None:
        """Hold an exclusive lock on the output folder itself for the run (no lock file)."""
        import fcntl

        assert self._path is not None
        folder = self._path.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ManifestError(f"another pano-inpaint batch is writing to {folder}; wait for "
                                "it to finish, or choose another output folder") from None
        self._lock_fd = fd

    @_writes
    def rewrite(self) -> None:
        """Write the latest record of every input, replacing the file atomically."""
        def write_lines(fh) -> None:  # streamed: a million records are half a gigabyte
            for record in self._records.values():
                fh.write((record.to_json() + "\n").encode("utf-8"))

        self._close_journal()
        if self._path is not None:
            def write(tmp) -> None:
                with tmp.open("wb") as fh:
                    write_lines(fh)

            atomic_write(self._path, write)
        else:  # an object appears when its upload completes: never half-written either
            fs, fs_path = filesystem(self.location)
            with contextlib.suppress(OSError):  # object stores have no folders to make
                fs.makedirs(posixpath.dirname(fs_path), exist_ok=True)
            with fs.open(fs_path, "wb") as fh:
                write_lines(fh)
        self._dirty_since = None

    @_writes
    def append(self, records: Iterable[Record]) -> None:
        """Add records; on a local disk they are on it when this returns."""
        records = list(records)
        if not records:
            return
        for record in records:
            self._records[record.input] = record
        if self._path is None:  # object storage: no append; rewritten every few seconds
            now = time.monotonic()
            self._dirty_since = self._dirty_since or now
            if now - self._dirty_since >= self._interval:
                self.rewrite()
                # a large manifest is uploaded less often: at most a tenth of the time
                self._interval = max(_REMOTE_FLUSH_SECONDS, 10 * (time.monotonic() - now))
            return
        if self._fd is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        data = "".join(record.to_json() + "\n" for record in records).encode("utf-8")
        # One write on an O_APPEND descriptor: the lines land whole and in order.
        written = os.write(self._fd, data)
        if written != len(data):
            raise ManifestError(f"short write to {self.location} (disk full?)")
        os.fsync(self._fd)

    def _close_journal(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @_writes
    def close(self) -> None:
        """Flush what object storage has not got yet, release the lock."""
        try:
            if self._dirty_since is not None:
                self.rewrite()
        finally:
            self._close_journal()
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._lock_fd)
                self._lock_fd = None

    @property
    def records(self) -> dict[str, Record]:
        return dict(self._records)

