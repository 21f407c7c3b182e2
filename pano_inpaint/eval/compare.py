"""Two evaluation runs of one method side by side: what a change to a generator or its config did.

``pano-inpaint eval-compare BASE NEW`` reads two runs' ``results.json`` (the same images, masks
and seed; typically the same command on two checkouts, or with two ``--set`` overrides) and
prints, per set and mask family, the method's mean WS-PSNR in each run, the change, and the
gradient ratios (whole hole / inner half; geometric means), then the cases that moved most.
A fill change moves some cases up and others down: the family mean hides which, and a change
is judged by both. With ``--peers RUN``, the peers scored in that run (the ERP baselines are
deterministic, so one run of them serves every later one) are set against NEW's method per
family, in the table ``eval`` reports (``report.against_peers``, ``report.peer_table``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pano_inpaint.eval.report import against_peers, column_mean, format_cell, peer_table

__all__ = ["FamilyChange", "RunReadError", "compare_runs", "format_comparison", "load_rows",
           "moved_cases"]

_WHAT = "give an evaluation run's folder (the --out of `pano-inpaint eval`) or its results.json"


class RunReadError(ValueError):
    """A run that cannot be read: missing, unreadable, or not an evaluation's results."""


def load_rows(run: str | Path) -> list[dict]:
    """The rows of a run: its folder (holding ``results.json``) or that file.

    Raises:
        RunReadError: no such file or folder, unreadable, or not an evaluation's results.
    """
    path = Path(run)
    if path.is_dir():
        path = path / "results.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:  # was "[Errno 2] No such file or directory: ..."
        missing = (f"holds no results.json (is {path.parent} an evaluation run?)"
                   if path != Path(run) else "no such file or folder")
        raise RunReadError(f"{run}: {missing}; {_WHAT}") from None
    except OSError as exc:
        raise RunReadError(f"{run}: cannot read it ({exc.strerror or exc}); {_WHAT}") from None
    except UnicodeDecodeError:
        raise RunReadError(f"{run}: not text, so not an evaluation's results.json; {_WHAT}"
                           ) from None
    try:
        rows = json.loads(text)["rows"]
    except (ValueError, KeyError, TypeError) as exc:
        raise RunReadError(f"{run}: not an evaluation run's results.json ({exc}); {_WHAT}"
                           ) from None
    if not isinstance(rows, list):
        raise RunReadError(f"{run}: its 'rows' is not a list; {_WHAT}")
    for number, row in enumerate(rows, 1):
        problem = _row_problem(row)
        if problem is not None:  # was a KeyError or TypeError traceback in the comparison
            raise RunReadError(f"{run}: row {number} of its results {problem}; {_WHAT}")
    return rows


_TEXT_FIELDS = ("image", "family", "method", "kind", "status")
_NUMBER_FIELDS = ("psnr", "grad_ratio", "grad_inner", "swd")


def _row_problem(row: object) -> str | None:
    """What makes ``row`` no evaluation result the comparison can read, or None: the fields
    it reads must be text (``set`` may be null) and numbers (or null)."""
    if not isinstance(row, dict):
        return "is not an object"
    for field in _TEXT_FIELDS:
        if not isinstance(row.get(field), str):
            return f"has no text {field!r}"
    if not isinstance(row.get("set") or "", str):
        return "has a 'set' that is not text"
    for field in _NUMBER_FIELDS:
        value = row.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"has a {field!r} that is not a number"
    return None


def _scored(rows: list[dict], method: str) -> dict[tuple[str, str, str], dict]:
    """``(set, family, image) -> row`` for the method's scored rows."""
    return {(r.get("set") or "", r["family"], r["image"]): r for r in rows
            if r.get("method") == method and r.get("status") == "ok"
            and r.get("psnr") is not None}


@dataclass(frozen=True)
class FamilyChange:
    """One set and family in both runs: ``cases`` scored in both; mean WS-PSNR (dB),
    geometric-mean gradient ratios (None where the truth is flat everywhere) and mean patch
    SWD (the texture distance, lower is closer; None where a run did not measure it). WS-PSNR
    favours a blur over texture out of phase; the SWD tells a fog or texture of the wrong
    size from the truth's."""

    set: str
    family: str
    cases: int
    base_psnr: float
    new_psnr: float
    base_ratio: float | None
    new_ratio: float | None
    base_inner: float | None
    new_inner: float | None
    base_swd: float | None = None
    new_swd: float | None = None

    @property
    def diff(self) -> float:
        return self.new_psnr - self.base_psnr


def compare_runs(base: list[dict], new: list[dict], method: str) -> list[FamilyChange]:
    """Per set and family (in the order the base run has them), ``method`` in both runs over
    the cases both scored.

    Raises:
        ValueError: the two runs share no scored case of ``method``.
    """
    a, b = _scored(base, method), _scored(new, method)
    shared = [key for key in a if key in b]
    if not shared:
        raise ValueError(f"the two runs share no case scored by {method!r}")
    groups: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for key in shared:
        groups.setdefault(key[:2], []).append(key)
    out = []
    for (set_name, family), keys in groups.items():
        def mean(run: dict, field: str, geometric: bool, keys: list = keys) -> float | None:
            return column_mean((run[k].get(field) for k in keys), geometric)

        out.append(FamilyChange(set_name, family, len(keys),
                                mean(a, "psnr", False), mean(b, "psnr", False),
                                mean(a, "grad_ratio", True), mean(b, "grad_ratio", True),
                                mean(a, "grad_inner", True), mean(b, "grad_inner", True),
                                mean(a, "swd", False), mean(b, "swd", False)))
    return out


def moved_cases(base: list[dict], new: list[dict], method: str, threshold: float
                ) -> list[tuple[float, tuple[str, str, str]]]:
    """``(change in dB, (set, family, image))`` of the cases that moved by more than
    ``threshold``, largest loss first."""
    a, b = _scored(base, method), _scored(new, method)
    moved = [(b[k]["psnr"] - a[k]["psnr"], k) for k in a if k in b]
    return sorted((m for m in moved if abs(m[0]) > threshold), key=lambda m: m[0])


def format_comparison(base: list[dict], new: list[dict], method: str, *,
                      threshold: float = 0.05, peers: list[dict] | None = None,
                      names: tuple[str, str] = ("base", "new")) -> str:
    """The comparison as Markdown: the family table, the totals, the moved cases and (given
    ``peers``, a run's rows holding peers) the new run against the best peer per family."""
    families = compare_runs(base, new, method)

    def ratio(value: float | None) -> str:
        return format_cell(value, "{:.2f}")

    def swd(value: float | None) -> str:
        return format_cell(value, "{:.4f}")

    lines = [f"| set | family | cases | {names[0]} dB | {names[1]} dB | diff | "
             "grad ratio | grad inner half | patch SWD ↓ |",
             "|---|---|---|---|---|---|---|---|---|"]
    for f in families:
        lines.append(f"| {f.set} | {f.family} | {f.cases} | {f.base_psnr:.2f} | "
                     f"{f.new_psnr:.2f} | {f.diff:+.2f} | {ratio(f.base_ratio)} -> "
                     f"{ratio(f.new_ratio)} | {ratio(f.base_inner)} -> "
                     f"{ratio(f.new_inner)} | {swd(f.base_swd)} -> {swd(f.new_swd)} |")
    moved = moved_cases(base, new, method, 0.0)
    total = sum(change for change, _ in moved)
    cases = sum(f.cases for f in families)
    lines += ["", f"{cases} cases in both runs: {total:+.2f} dB summed "
              f"({total / cases:+.3f} per case); {len(moved)} moved, "
              f"{sum(c > 0 for c, _ in moved)} up, {sum(c < 0 for c, _ in moved)} down."]
    big = [m for m in moved if abs(m[0]) > threshold]
    if big:
        lines += ["", f"Moved by more than {threshold:g} dB:", ""]
        lines += [f"- {change:+.2f} {s} / {family} / {image}" for change, (s, family, image)
                  in big]
    if peers is not None:
        peer_rows = [r for r in peers if r.get("kind") == "peer"]
        mine = [r for r in new if r.get("method") == method]
        entries = against_peers(mine + peer_rows, list(dict.fromkeys(
            f.family for f in families)))
        if entries:
            lines += ["", f"{names[1]} against the best peer:", "", *peer_table(entries)]
        else:
            lines += ["", "(the peers' run holds no peer scored on these cases)"]
    return "\n".join(lines) + "\n"
