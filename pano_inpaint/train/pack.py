"""A compact training pack: the training images reduced to what training reads, in one folder.

The trainer keeps panoramas at most 2048 px wide and draws faces of 32-128 px, so full-size
photos and 6K panoramas only cost decoding time and transfer. ``make_pack`` writes every usable
training image (the same ones :func:`~pano_inpaint.train.data.find_sources` would read, excluded
files left out) as a JPEG: panoramas at ``panorama_width``, photos with their long side at most
``photo_side`` (never below ``MIN_PHOTO_SIZE`` on the short side); the evaluation panoramas, if
given, are copied unchanged into ``eval/`` (they are ground truth: never re-encoded). The pack
is an ordinary data folder for ``--data`` and is meant for an ignored folder (``packs/``), e.g.
to travel with the checkout to a GPU machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2

from pano_inpaint.train.data import MIN_PHOTO_SIZE, find_sources

__all__ = ["make_pack"]


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def make_pack(
    data_dirs: list[str | Path],
    out: str | Path,
    *,
    exclude: tuple[str, ...] = (),
    eval_dir: str | Path | None = None,
    panorama_width: int = 2048,
    photo_side: int = 1024,
    quality: int = 90,
    max_bytes: int = 40 * 2**20,
) -> dict:
    """Write the pack; returns ``{"panoramas", "photos", "eval", "bytes"}``.

    Raises:
        FileNotFoundError: a missing folder, or no usable training image.
        ValueError: the pack would exceed ``max_bytes`` (nothing is left half-written).
    """
    out = Path(out)
    sources = find_sources(list(data_dirs), exclude)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    counts = {"panoramas": 0, "photos": 0, "eval": 0}
    for k, source in enumerate(sources):
        pixels = source.pixels
        height, width = pixels.shape[:2]
        limit = panorama_width if source.panorama else photo_side
        scale = min(1.0, limit / max(height, width))
        if not source.panorama:  # a photo stays readable as one (find_sources' minimum)
            scale = max(scale, min(1.0, MIN_PHOTO_SIZE / min(height, width)))
        if scale < 1:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            if source.panorama:
                size = (size[0], size[0] // 2)  # keep 2:1 exactly
            pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        name = f"{'pano' if source.panorama else 'photo'}_{k:04d}_{source.path.stem}.jpg"
        cv2.imwrite(str(tmp / name), pixels[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        counts["panoramas" if source.panorama else "photos"] += 1
    if eval_dir is not None:
        (tmp / "eval").mkdir()
        for path in sorted(Path(eval_dir).iterdir()):
            if path.is_file():
                shutil.copy2(path, tmp / "eval" / path.name)
                counts["eval"] += 1
    size = _folder_bytes(tmp)
    if size > max_bytes:
        shutil.rmtree(tmp)
        raise ValueError(f"the pack would be {size / 2**20:.1f} MiB, over "
                         f"{max_bytes / 2**20:.0f} MiB: lower photo_side or quality")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return {**counts, "bytes": size}
