"""The serial engine: every image in this process, one after the other (``--jobs 1``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pano_inpaint.batch import FillSettings, ImageJob, Outcome, fill_image
from pano_inpaint.generators.base import Generator

__all__ = ["SerialEngine"]


class SerialEngine:
    """Fills images in the calling process with one generator (the plan's, already built)."""

    name = "serial"
    workers = 1

    def __init__(self, generator: Generator | None = None) -> None:
        self.generator = generator

    def run(self, jobs: Iterable[ImageJob], settings: FillSettings, *,
            started: Callable[[list[ImageJob]], None],
            finished: Callable[[ImageJob, Outcome], None],
            stage: Callable[[ImageJob, float, str], None] | None = None) -> None:
        """Fill ``jobs`` in order; ``started`` before each, ``finished`` after.

        Ctrl-C (``KeyboardInterrupt``) propagates at once: the image being filled leaves no
        partial file (writes are atomic) and is not reported finished.
        """
        for job in jobs:
            started([job])

            def progress(fraction: float, text: str, job: ImageJob = job) -> None:
                if stage is not None:
                    stage(job, fraction, text)

            finished(job, fill_image(job, settings, generator=self.generator,
                                     progress=progress))
