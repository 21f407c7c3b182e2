"""The progress bars' columns (one list for the command line and the long runs)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from pano_inpaint._progress import bar_columns


def _line(columns: list, **task) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    with Progress(*columns, console=console, auto_refresh=False) as progress:
        progress.add_task("pano.png", **task)
        progress.refresh()
    return console.file.getvalue().splitlines()[-1]


def test_counted_bar_shows_done_of_total_and_its_counts() -> None:
    line = _line(bar_columns(counts="{task.fields[counts]}"), total=10, completed=3,
                 counts="3 filled")
    assert line.startswith("pano.png") and "3/10 3 filled" in line and "%" not in line


def test_single_piece_of_work_shows_a_percentage() -> None:
    line = _line(bar_columns("[bold]{task.description}"), total=1.0, completed=0.25)
    assert line.startswith("pano.png") and " 25%" in line and "/" not in line

