"""The structure step's line search (``_lines.find_lines``) on one large tile: CPU seconds and
peak memory, this checkout against another, in one process.

The tile is the padded down face (``S = W / 4``, padding ``S / 8``, as the pipeline cuts it) of
a panorama (``../shared/panoramas_hires``' first, or a synthetic texture, resized to the width)
with a nadir cap (``--degrees``, 25 by default), or with ``--side`` the front face with a blob
below the horizon (a wrap object's kind of hole). Both checkouts' ``find_lines`` run on it,
alternating; the lines they find are compared (any difference is printed, exit code 1). Peak
memory is the resident size the call added (``pano_inpaint.eval.memory``: every library's
allocations, not only Python's). Usage::

    python benchmarks/bench_lines.py [--previous DIR] [--widths 8192 16384] [--repeat 2] [--side]
    python benchmarks/bench_lines.py --quick          # 4096 px only, this checkout only

``DIR``: another checkout of the project (``git worktree add --detach DIR <ref>``); its
``_lines.py`` is loaded from its file under another module name. Without it the line search
runs twice here (the columns then show its spread).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import sample_image  # noqa: E402
from benchmarks.bench_plane import _load  # noqa: E402
from pano_inpaint.eval.memory import call_with_peak_memory  # noqa: E402
from pano_inpaint.generators.patchmatch import _lines  # noqa: E402
from pano_inpaint.geometry.cubemap import erp_to_cube  # noqa: E402


def _tile(width: int, degrees: float, side: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """``(P, P, 3)`` float32 padded tile, its ``(P, P)`` hole, the face size."""
    size = width // 4
    pad = size // 8
    face = 0 if side else 5
    erp = sample_image(width)
    tile = erp_to_cube(erp, size, pad=pad, face_ids=[face])[0]
    del erp
    image = tile.astype(np.float32)
    image /= 255
    c = (2 * (np.arange(size + 2 * pad) - pad) + 1) / size - 1  # gnomonic coordinate
    if side:  # a blob 12 degrees across, 30 degrees below the horizon
        b0 = np.tan(np.radians(30))
        hole = np.hypot(c[None, :] / 1.0, (c[:, None] - b0)) <= np.tan(np.radians(6)) * 1.2
    else:  # the cap: the angle from the face's axis
        hole = np.hypot(c[None, :], c[:, None]) <= np.tan(np.radians(degrees))
    return image, hole, size


def _key(lines) -> list[tuple]:
    return [(line.point.tobytes(), line.direction.tobytes(), line.half_width, line.traced,
             line.end, line.sure, line.boundary) for line in lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--previous", type=Path, help="another checkout to compare with")
    parser.add_argument("--widths", type=int, nargs="+", default=[8192, 16384])
    parser.add_argument("--degrees", type=float, default=25.0)
    parser.add_argument("--side", action="store_true")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="4096 px only")
    args = parser.parse_args(argv)
    if args.quick:
        args.widths, args.repeat = [4096], 1
    old = _lines if args.previous is None else _load(args.previous, "_lines", "_previous_lines")
    status = 0
    print(f"{'width':>6s} {'tile':>6s} {'lines':>5s} {'previous s':>10s} {'this s':>7s} "
          f"{'previous MB':>11s} {'this MB':>8s}  same")
    for width in args.widths:
        image, hole, size = _tile(width, args.degrees, args.side)
        cpu = {"previous": np.inf, "this": np.inf}
        peak = {"previous": 0.0, "this": 0.0}
        found = {}
        for _ in range(args.repeat):
            for label, module in (("previous", old), ("this", _lines)):
                gc.collect()
                start = time.process_time()
                lines, mib = call_with_peak_memory(
                    lambda m=module, i=image, h=hole, s=size: m.find_lines(i, h, s))
                cpu[label] = min(cpu[label], time.process_time() - start)
                peak[label] = max(peak[label], mib or 0.0)
                found[label] = _key(lines)
        same = found["previous"] == found["this"]
        status |= not same
        print(f"{width:6d} {image.shape[0]:6d} {len(found['this']):5d} {cpu['previous']:10.2f} "
              f"{cpu['this']:7.2f} {peak['previous']:11.0f} {peak['this']:8.0f}  {same}")
        del image, hole
    return status


if __name__ == "__main__":
    sys.exit(main())
