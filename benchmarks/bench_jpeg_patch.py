"""JPEG in, JPEG out: the block patch (only the MCUs the fill touched encoded again) against the
whole-photo re-encode at quality 95 (what the writer did before, and what other tools do), in
the same process on the same fill.

Cases: the shipped sample with its tripod mask, a camera-style JPEG (4:2:0, quality 92, EXIF,
ICC, GPano XMP) made from a real panorama, and the JPEGs of ../shared/panoramas_hires with a
25-degree nadir cap (skipped when absent). The fill is ``telea`` (the writer does not care
which). "outside" counts decoded pixels (libjpeg-turbo, as viewers decode) that differ from
the decoded source outside the hole; for the patch, also outside the replaced MCUs and their
one-pixel chroma-interpolation ring. A second table runs the command line with ``--in-place`` on
a copy of each built-in case and compares the file with its copy before. Usage::

    python benchmarks/bench_jpeg_patch.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import SHARED, sample_image  # noqa: E402
from pano_inpaint.io import read_image, read_mask, write_image  # noqa: E402
from pano_inpaint.io.jpeg_patch import write_jpeg_patch  # noqa: E402
from pano_inpaint.masks import nadir_mask  # noqa: E402
from pano_inpaint.pipeline import inpaint  # noqa: E402
from tests.synthetic import camera_style_jpeg  # noqa: E402

DATA = ROOT / "pano_inpaint" / "data"


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).reshape(a.shape[0], a.shape[1], -1).any(axis=2)


def _cases(folder: Path, quick: bool) -> list[tuple[str, Path, np.ndarray | None]]:
    cases = [("shipped sample (4:2:0)", DATA / "sample_pano.jpg",
              read_mask(DATA / "sample_mask.png", 1024, 2048))]
    camera = camera_style_jpeg(folder / "camera.jpg", sample_image(2048))
    cases.append(("camera-style 2048x1024 with EXIF (4:2:0)", camera, None))
    if not quick:
        for path in sorted((SHARED / "panoramas_hires").glob("*.jpg")):
            cases.append((path.name, path, None))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the two built-in cases only")
    args = parser.parse_args()
    print("| source | size | sampling | MCUs encoded again | patch: outside hole / outside "
          "MCUs+ring / ring (max) | re-encode q95: outside hole (max) | bytes: source / patch / "
          "re-encode | s: patch / re-encode |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for label, source, hole in _cases(folder, args.quick):
            loaded = read_image(source)
            if hole is None:
                hole = nadir_mask(loaded.height, loaded.width, 25)
            filled = inpaint(loaded.pixels, hole, generator="telea").image
            metadata = loaded.metadata.for_output(loaded.width, loaded.height)
            start = time.perf_counter()
            patch = write_jpeg_patch(source, folder / "patch.jpg", loaded.pixels, filled,
                                     metadata, overwrite=True)
            patch_seconds = time.perf_counter() - start
            start = time.perf_counter()
            write_image(folder / "full.jpg", filled, metadata, overwrite=True)
            full_seconds = time.perf_counter() - start
            before = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
            patched = cv2.imread(str(folder / "patch.jpg"), cv2.IMREAD_UNCHANGED)
            encoded = cv2.imread(str(folder / "full.jpg"), cv2.IMREAD_UNCHANGED)
            changed = _differ(loaded.pixels, filled)
            ring = cv2.dilate(patch.replaced_mask.astype(np.uint8),
                              np.ones((3, 3), np.uint8)).astype(bool)
            moved = _differ(before, patched)
            in_ring = moved & ring & ~patch.replaced_mask
            step = np.abs(before.astype(int) - patched).reshape(*moved.shape, -1).max(axis=2)
            full_moved = _differ(before, encoded) & ~changed
            full_step = np.abs(before.astype(int) - encoded).reshape(*moved.shape, -1).max(axis=2)
            sampling = {(16, 16): "4:2:0", (8, 16): "4:2:2", (16, 8): "4:4:0",
                        (8, 8): "4:4:4"}.get(patch.mcu, str(patch.mcu))
            print(f"| {label} | {loaded.width}x{loaded.height} | {sampling} | "
                  f"{patch.replaced} / {patch.total} | {int((moved & ~changed).sum()):,} / "
                  f"{int((moved & ~ring).sum())} / {int(in_ring.sum()):,} "
                  f"({int(step[in_ring].max()) if in_ring.any() else 0}) | "
                  f"{int(full_moved.sum()):,} ({int(full_step[full_moved].max())}) | "
                  f"{source.stat().st_size:,} / {(folder / 'patch.jpg').stat().st_size:,} / "
                  f"{(folder / 'full.jpg').stat().st_size:,} | {patch_seconds:.2f} / "
                  f"{full_seconds:.2f} |", flush=True)
        in_place_table(folder)


def in_place_table(folder: Path) -> None:
    """``pano-inpaint inpaint FILE --in-place`` on a copy of each built-in case: decoded pixels
    that moved outside the MCUs the hole touches (and their chroma ring), and the file sizes."""
    print("\n| `--in-place` on | MCUs the hole touches | moved outside hole / outside MCUs+ring"
          " | bytes before / after | exit code |")
    print("|---|---|---|---|---|")
    for label, source, hole in _cases(folder, quick=True):
        copy = folder / f"in_place_{source.name}"
        shutil.copyfile(source, copy)
        before = cv2.imread(str(copy), cv2.IMREAD_UNCHANGED)
        if hole is None:
            hole = nadir_mask(before.shape[0], before.shape[1], 25)
        cv2.imwrite(str(folder / "hole.png"), hole.astype(np.uint8) * 255)
        size = copy.stat().st_size
        code = subprocess.run([sys.executable, "-m", "pano_inpaint", "inpaint", str(copy),
                               "--mask", str(folder / "hole.png"), "-g", "telea", "--in-place",
                               "-q"], cwd=ROOT, stdout=subprocess.DEVNULL).returncode
        after = cv2.imread(str(copy), cv2.IMREAD_UNCHANGED)
        mcu = 16  # both cases are 4:2:0
        h, w = hole.shape
        touched = hole.reshape(h // mcu, mcu, w // mcu, mcu).any(axis=(1, 3))
        mcus = np.repeat(np.repeat(touched, mcu, axis=0), mcu, axis=1)
        ring = cv2.dilate(mcus.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        moved = _differ(before, after)
        print(f"| {label} | {int(touched.sum())} / {touched.size} | "
              f"{int((moved & ~hole).sum()):,} / {int((moved & ~ring).sum())} | "
              f"{size:,} / {copy.stat().st_size:,} | {code} |", flush=True)


if __name__ == "__main__":
    main()
