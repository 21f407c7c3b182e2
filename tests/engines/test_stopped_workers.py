"""Temporary files of workers stopped by Ctrl-C (pool and Ray engines)."""

from __future__ import annotations

import subprocess
import threading

from pano_inpaint.batch import ImageJob
from pano_inpaint.engines import remove_temporaries_of_stopped_workers


def test_the_temporary_file_of_a_worker_still_going_is_removed_once_it_is_gone(tmp_path):
    """Ray's shutdown signals its workers and returns before they are gone: a worker's
    temporary file is kept while its process lives, and removed once it is gone if that
    happens within the wait given."""
    target = tmp_path / "a.png"
    worker = subprocess.Popen(["sleep", "0.5"])
    (tmp_path / f".a.png.{worker.pid}-0a1b2c3d.tmp").write_bytes(b"half")
    job = ImageJob(0, "a.png", str(target))
    remove_temporaries_of_stopped_workers([job])  # no wait: its writer lives
    assert len(list(tmp_path.iterdir())) == 1
    reaper = threading.Thread(target=worker.wait)  # reaped, as Ray's raylet or init would
    reaper.start()
    try:
        remove_temporaries_of_stopped_workers([job], within=30.0)
    finally:
        reaper.join()
    assert list(tmp_path.iterdir()) == []
