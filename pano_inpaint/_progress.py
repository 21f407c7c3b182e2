"""A progress bar for long runs (evaluation cases, training steps), drawn by rich on stderr.

rich is the project's one progress library: the command line already draws its tables, colours
and per-image bars with it, and typer formats its help with it, so a second library (tqdm) would
only add a dependency that does a subset of the same.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["ProgressBar"]


class ProgressBar:
    """Counts ``total`` units of work (``initial`` already done); draws nothing when disabled.

    Example:
        >>> with ProgressBar(3, unit="case", enabled=False) as bar:
        ...     bar.describe("pano.png nadir")
        ...     bar.advance()
    """

    def __init__(self, total: int, *, unit: str, initial: int = 0, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn(unit), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), disable=not enabled,
        )
        self._task = self._progress.add_task("", total=total, completed=initial)

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._progress.stop()

    def advance(self, units: int = 1) -> None:
        self._progress.advance(self._task, units)

    def describe(self, text: str) -> None:
        """Show ``text`` (what is being worked on) before the bar."""
        self._progress.update(self._task, description=text)
