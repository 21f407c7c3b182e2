"""A generator's optional ``prepare()`` on a background thread, waited for before its first fill.

PatchMatch's ``prepare`` loads its numba kernels (0.6-0.9 s of CPU, single-threaded, at every
start); meanwhile the pipeline finds the regions and resamples the faces (numpy and OpenCV, much
of it without the GIL), so on two cores the two overlap.
"""

from __future__ import annotations

import threading

from pano_inpaint.generators.base import Generator

__all__ = ["Preparation"]


class Preparation:
    """``generator.prepare()`` started on a thread (nothing, for a generator without one).

    :meth:`wait` joins it and raises what it raised, once; :meth:`finish` joins it and drops
    its error (the fill ended without calling the generator, or failed for another reason).
    """

    def __init__(self, generator: Generator) -> None:
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        prepare = getattr(generator, "prepare", None)
        if callable(prepare):
            # A daemon: Ctrl-C during the resampling exits without waiting for the load.
            self._thread = threading.Thread(target=self._run, args=(prepare,), daemon=True,
                                            name=f"prepare-{getattr(generator, 'name', '?')}")
            self._thread.start()

    def _run(self, prepare) -> None:
        try:
            prepare()
        except BaseException as exc:  # raised again by wait(), on the pipeline's thread
            self._error = exc

    def _join(self) -> BaseException | None:
        """Join the thread (if any); the error ``prepare`` raised, handed over once."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        error, self._error = self._error, None
        return error

    def finish(self) -> None:
        """Join the thread (if any); its error, if any, is dropped."""
        self._join()

    def wait(self) -> None:
        """Join the thread; raise the exception ``prepare`` raised, if it did (once)."""
        error = self._join()
        if error is not None:
            raise error
