"""Small textured panoramas for batch tests: the shipped sample at 128x256, each turned by a
different yaw so every image (and its fill) differs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from pano_inpaint.io import read_image, write_image
from pano_inpaint.manifest import MANIFEST_NAME

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="Ray is not installed (pip install 'pano-inpaint[ray]')")

SAMPLE = Path(__file__).resolve().parents[1] / "pano_inpaint" / "data" / "sample_pano.jpg"


def small_sample(height: int = 64) -> np.ndarray:
    import cv2

    pixels = read_image(SAMPLE).pixels
    return cv2.resize(pixels, (2 * height, height), interpolation=cv2.INTER_AREA)


def write_panoramas(folder: Path, count: int, *, height: int = 64, corrupt: bool = False
                    ) -> list[Path]:
    """``count`` PNG panoramas (and ``broken.png`` when ``corrupt``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    base = small_sample(height)
    paths = []
    for i in range(count):
        path = folder / f"p{i:02d}.png"
        write_image(path, np.roll(base, (2 * height * i) // count, axis=1))
        paths.append(path)
    if corrupt:
        (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    return paths


def manifest_records(folder: Path) -> dict[str, dict]:
    """The latest record of each input in ``folder``'s manifest (every line must parse)."""
    records = {}
    for line in (folder / MANIFEST_NAME).read_text().splitlines():
        record = json.loads(line)
        records[Path(record["input"]).name] = record
    return records


def image_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}
