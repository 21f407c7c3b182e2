"""Nadir (or zenith) caps over the rendered floors (and photographs): the default generator's
WS-PSNR, texture distance (patch SWD) and inner-half gradient ratio against the peers', per floor
and cap angle, in one process.

Each floor of ``pano_inpaint.eval.scenes`` (the five the generator was tuned on and the held-out
ones) is rendered at ``--width`` for each of ``--seeds`` and filled under each ``--degrees``
nadir cap by ``patchmatch`` (with any ``--param NAME=VALUE``, to measure a change) and by the
peers (``--peers``: the evaluation's equirectangular and cube-face baselines). The table gives,
per floor and angle, the means over the seeds and how many seeds ``patchmatch`` is at or above
the best peer; WS-PSNR prefers a fog to texture out of phase, the SWD (lower is closer) tells a
fog or texture of the wrong size from the truth's. ``--photos DIR`` adds the panoramas in DIR
(reduced to ``--width``; HDR scored in the evaluation's tone-mapped proxy, as ``eval`` does),
one fill per cap each. ``--pole zenith`` (or ``both``) puts the caps over the zenith instead
(or as well): a sky, a ceiling, the tops of what rises round the camera, where a fill cannot
assume the ground's plane. Usage::

    python benchmarks/bench_caps.py                       # every floor, seeds 0-3, 35-50 deg
    python benchmarks/bench_caps.py --scenes street_kerb,sports_court --degrees 20 50
    python benchmarks/bench_caps.py --seeds 0 1 --param arcs=false --peers none
    python benchmarks/bench_caps.py --json caps.json      # every fill's numbers as well
    python benchmarks/bench_caps.py --scenes "" --photos ../shared/panoramas --degrees 45 50
    python benchmarks/bench_caps.py --quick               # seed 0, a 45 deg cap, 512 px
    python benchmarks/bench_caps.py --scenes "" --photos ../shared/panoramas --pole zenith

The README's cap tables of the held-out floors ("Floors never tuned on") are this table at
1024 px over scene seeds 0-3 with every peer (``--peers
erp-telea,erp-ns,faces-telea,erp-pypatchmatch``; PyPatchMatch, the slowest, is left out by
default).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pano_inpaint.eval.images import find_panoramas, load_panorama  # noqa: E402
from pano_inpaint.eval.methods import PEERS  # noqa: E402
from pano_inpaint.eval.metrics import (  # noqa: E402
    gradient_energy_ratio,
    texture_distance,
    ws_psnr,
)
from pano_inpaint.eval.report import column_mean, format_cell  # noqa: E402
from pano_inpaint.eval.scenes import HELD_OUT_SCENES, SCENES, render_scene  # noqa: E402
from pano_inpaint.generators.registry import get_generator  # noqa: E402
from pano_inpaint.masks import nadir_mask, zenith_mask  # noqa: E402
from pano_inpaint.pipeline.run import inpaint  # noqa: E402
from pano_inpaint.values import ToneMap, to_values  # noqa: E402

_DEFAULT_PEERS = "erp-telea,erp-ns,faces-telea"


def _scores(result: np.ndarray, truth: np.ndarray, mask: np.ndarray, hdr: bool = False
            ) -> dict[str, float]:
    """WS-PSNR (dB), patch SWD and inner-half gradient ratio of one fill, in the domain the
    evaluation scores in (display values; an HDR panorama's tone-mapped proxy)."""
    truth_values = to_values(truth)
    tone = ToneMap.for_image(truth_values, hdr=hdr)

    def proxy(values: np.ndarray) -> np.ndarray:
        return tone.to_proxy(values) if tone.hdr else np.clip(values, 0, 1)

    mine, real = proxy(to_values(result)), proxy(truth_values)
    return {"psnr": ws_psnr(mine, real, mask), "swd": texture_distance(mine, real, mask),
            "inner": gradient_energy_ratio(mine, real, mask, inner=True)}


def _params(pairs: list[str]) -> dict[str, object]:
    """``NAME=VALUE`` pairs as generator parameters (values read as YAML: 0.3, true, none)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--param {pair!r}: expected NAME=VALUE")
        out[name] = yaml.safe_load(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", default=",".join([*SCENES, *HELD_OUT_SCENES]),
                        help="comma-separated floors (default: every one)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--degrees", type=float, nargs="+", default=[35.0, 40.0, 45.0, 50.0])
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--peers", default=_DEFAULT_PEERS,
                        help=f"comma-separated peers, or 'none' (default {_DEFAULT_PEERS}; "
                             f"known: {', '.join(PEERS)})")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a patchmatch parameter (repeatable)")
    parser.add_argument("--photos", type=Path, action="append", default=[], metavar="DIR",
                        help="also the panoramas in DIR, one fill per cap (repeatable)")
    parser.add_argument("--pole", choices=("nadir", "zenith", "both"), default="nadir",
                        help="where the caps sit (both: each cap at the nadir, then the zenith)")
    parser.add_argument("--json", type=Path, help="write every fill's numbers here")
    parser.add_argument("--quick", action="store_true",
                        help="seed 0, a 45-degree cap, 512 px (for pano-inpaint bench --quick)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.degrees, args.width = [0], [45.0], 512
    names = [name for name in args.scenes.split(",") if name]
    unknown = [name for name in names if name not in SCENES and name not in HELD_OUT_SCENES]
    if unknown:
        raise SystemExit(f"unknown floor(s) {unknown}; known: {[*SCENES, *HELD_OUT_SCENES]}")
    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    missing = [p for p in peers if p not in PEERS]
    if missing:
        raise SystemExit(f"unknown peer(s) {missing}; known: {list(PEERS)}")
    generator = get_generator("patchmatch", **_params(args.param))
    poles = ["nadir", "zenith"] if args.pole == "both" else [args.pole]
    caps = [(pole, degrees) for pole in poles for degrees in args.degrees]

    cases = [(name, seed, lambda name=name, seed=seed: (
        render_scene(name, args.width, seed=seed), False)) for name in names
        for seed in args.seeds]
    for path in find_panoramas(args.photos):
        def photo(path: Path = path) -> tuple[np.ndarray, bool]:
            loaded = load_panorama(path, max_width=args.width)
            return loaded.pixels, loaded.hdr

        cases.append((path.name, 0, photo))
    rows = []
    for name, seed, load in cases:
        try:
            truth, hdr = load()
        except (OSError, ValueError) as exc:  # not a readable 2:1 panorama: say so, go on
            print(f"{name}: skipped ({exc})", file=sys.stderr, flush=True)
            continue
        for pole, degrees in caps:
            cap = nadir_mask if pole == "nadir" else zenith_mask
            mask = cap(truth.shape[0], truth.shape[1], degrees)
            source = truth.copy()
            source[mask] = 0  # no method sees the hole's content
            start = time.perf_counter()
            row = {"scene": name, "seed": seed, "degrees": degrees, "pole": pole,
                   "patchmatch": _scores(inpaint(source, mask, generator=generator).image,
                                         truth, mask, hdr),
                   "seconds": time.perf_counter() - start}
            for peer in peers:
                row[peer] = _scores(PEERS[peer].fn(source, mask).image, truth, mask, hdr)
            rows.append(row)
            print(f"{name} seed {seed} {pole} {degrees:g} deg: {row['patchmatch']['psnr']:.2f} dB "
                  f"({row['seconds']:.1f} s)", file=sys.stderr, flush=True)

    head = "| panorama | cap | patchmatch dB | patch SWD | grad inner half |"
    rule = "|---|---|---|---|---|"
    if peers:
        head += " best peer dB | diff | won |"
        rule += "---|---|---|"
    print(head)
    print(rule)
    for name in dict.fromkeys(row["scene"] for row in rows):
        for pole, degrees in caps:
            mine = [r for r in rows
                    if r["scene"] == name and r["degrees"] == degrees and r["pole"] == pole]
            def mean(field: str, mine: list[dict] = mine) -> float | None:
                return column_mean(r["patchmatch"][field] for r in mine)

            psnr = mean("psnr")
            where = f"{degrees:g}°" if pole == "nadir" else f"{degrees:g}° zenith"
            line = (f"| {name} | {where} | {format_cell(psnr, '{:.2f}')}"
                    f" | {format_cell(mean('swd'), '{:.4f}')}"
                    f" | {format_cell(mean('inner'), '{:.2f}')} |")
            if peers:
                best = [max(r[p]["psnr"] for p in peers) for r in mine]
                won = sum(r["patchmatch"]["psnr"] >= b for r, b in zip(mine, best, strict=True))
                chosen = sorted({max(peers, key=lambda p, r=r: r[p]["psnr"]) for r in mine})
                diff = None if psnr is None else psnr - float(np.mean(best))
                line += (f" {np.mean(best):.2f} ({', '.join(chosen)}) |"
                         f" {format_cell(diff, '{:+.2f}')} | {won}/{len(mine)} |")
            print(line)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
