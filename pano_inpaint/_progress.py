"""A progress bar for long runs (evaluation cases, training steps), drawn by rich on stderr.

rich is the project's one progress library: the command line already draws its tables, colours
and per-image bars with it, and typer formats its help with it, so a second library (tqdm) would
only add a dependency that does a subset of the same.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["ProgressBar", "bar_columns"]


def bar_columns(description: str = "{task.description}", counts: str | None = None
                ) -> list[ProgressColumn]:
    """The columns of the project's progress bars: ``description`` (a rich format of the task),
    the bar, then ``done/total``, the text ``counts``, the elapsed and the remaining time; or,
    with ``counts`` None (a single piece of work), the percentage and the elapsed time."""
    columns: list[ProgressColumn] = [TextColumn(description), BarColumn()]
    if counts is None:
        return [*columns, TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn()]
    return [*columns, MofNCompleteColumn(), TextColumn(counts), TimeElapsedColumn(),
            TimeRemainingColumn()]


class ProgressBar:
    """Counts ``total`` units of work (``initial`` already done); draws nothing when disabled.

    Example:
        >>> with ProgressBar(3, unit="case", enabled=False) as bar:
        ...     bar.describe("pano.png nadir")
        ...     bar.advance()
    """

    def __init__(self, total: int, *, unit: str, initial: int = 0, enabled: bool = True) -> None:
        self._progress = Progress(*bar_columns(counts=unit), console=Console(stderr=True),
                                  disable=not enabled)
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
        """Show ``text`` (what is being worked on) before the bar, as it is: a file name with
        brackets in it is not rich markup."""
        self._progress.update(self._task, description=escape(text))
