"""The ``net`` and ``net+patchmatch`` generators: the cube network run on the pipeline's tiles.

``net``: the six faces of the tile's cube (``tiles.context()``, their cores) are reduced to the
working resolution (area averaging; a working pixel is known only if every pixel under it is), the
network fills all six at once, and the fill is resampled onto the batch tiles at full resolution,
padding included: the output cube is ``CubePad``-ed at the working resolution and sampled
(bicubic) at the exact gnomonic position of every tile pixel, so the tiles' borders get the
neighbouring faces' fill and every tile agrees with its neighbours.

``net+patchmatch``: the network for structure, PatchMatch for texture. The network's fill is
blurred to the band it resolves (Gaussian, sigma = full / working resolution) and PatchMatch's fill
contributes everything above that band (its fill minus its own blur), so the result has the
network's layout and colours and PatchMatch's full-resolution texture.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, ClassVar

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from pano_inpaint.generators.base import CubeTiles
from pano_inpaint.generators.net.model import CubeInpaintNet, resolve_device
from pano_inpaint.generators.net.weights import cached_network
from pano_inpaint.geometry.torch_padding import CubePad
from pano_inpaint.weights_file import check_weights_path

__all__ = ["NetGenerator", "NetPatchMatch"]

log = logging.getLogger(__name__)

DEFAULT_WORKING_SIZE = 128
# Upper bounds of the counts and sizes (a slip such as 10**12 refused with the config, not a fill
# that never ends or allocates): 4096 is 32 times the default and a 13K panorama's face;
# threads, many times the cores of any machine this runs on.
MAX_WORKING_SIZE = 4096
MAX_THREADS = 1024


def _memo(context: Callable[[], CubeTiles] | None) -> Callable[[], CubeTiles] | None:
    """``tiles.context`` computed once (it costs a full cube conversion)."""
    if context is None:
        return None
    cache: list[CubeTiles] = []

    def once() -> CubeTiles:
        if not cache:
            cache.append(context())
        return cache[0]

    return once


def _cube_of(tiles: CubeTiles) -> tuple[np.ndarray, np.ndarray]:
    """``(6, S, S, C)`` proxy faces and ``(6, S, S)`` holes of the tiles' whole cube; faces not
    in the batch are all hole when there is no context."""
    core = tiles.core
    if tiles.context is not None:
        cube = tiles.context()
        order = [cube.face_ids.index(f) for f in range(6)]
        return (np.asarray(cube.image, np.float32)[order][:, core[0], core[1]],
                np.asarray(cube.mask)[order][:, core[0], core[1]])
    size, channels = tiles.face_size, tiles.image.shape[3]
    faces = np.zeros((6, size, size, channels), np.float32)
    holes = np.ones((6, size, size), bool)
    for k, face in enumerate(tiles.face_ids):
        faces[face] = tiles.image[k][core]
        holes[face] = tiles.mask[k][core]
    return faces, holes


def _reduce(faces: np.ndarray, holes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Area-reduce ``(6, S, S, C)`` faces to ``size``; a reduced pixel is known only when all the
    pixels it averages are known. Returns ``(6, size, size, C)`` (0 in holes), ``(6, size,
    size)`` holes."""
    if faces.shape[1] == size:
        return np.where(holes[..., None], 0, faces).astype(np.float32), holes.copy()
    out = np.zeros((6, size, size, faces.shape[3]), np.float32)
    out_holes = np.zeros((6, size, size), bool)
    interp = cv2.INTER_AREA if faces.shape[1] > size else cv2.INTER_LINEAR
    for f in range(6):
        known = (~holes[f]).astype(np.float32)
        num = cv2.resize(faces[f] * known[..., None], (size, size), interpolation=interp)
        den = cv2.resize(known, (size, size), interpolation=interp)
        num = num.reshape(size, size, -1)
        out_holes[f] = den < 1 - 1e-4
        out[f] = np.where(out_holes[f][..., None], 0, num / np.maximum(den, 1e-6)[..., None])
    return out, out_holes


def _sample_tiles(cube: torch.Tensor, face_ids: tuple[int, ...], face_size: int, pad: int
                  ) -> np.ndarray:
    """Resample a ``(6, C, w, w)`` working-resolution cube onto full-resolution padded tiles
    ``(N, P, P, C)`` at their exact gnomonic positions (the cube is ``CubePad``-ed first)."""
    work = cube.shape[-1]
    margin = min(work, int(np.ceil(pad * work / face_size)) + 3)
    padded = CubePad(margin)(cube)  # (6, C, w+2m, w+2m)
    size = face_size + 2 * pad
    # tile pixel i looks at plane a = 2 (i - pad + 0.5) / S - 1; working padded pixel u at
    # a = 2 (u - margin + 0.5) / w - 1; grid_sample wants (u + 0.5) / (w + 2m) * 2 - 1.
    i = torch.arange(size, dtype=torch.float32, device=cube.device)
    u = (i - pad + 0.5) * (work / face_size) - 0.5 + margin
    g = (u + 0.5) / (work + 2 * margin) * 2 - 1
    grid = torch.stack(torch.meshgrid(g, g, indexing="xy"), dim=-1)[None]  # (1, P, P, 2) x, y
    out = []
    for face in face_ids:
        sample = F.grid_sample(padded[face : face + 1], grid, mode="bicubic",
                               padding_mode="border", align_corners=False)  # (1, C, P, P)
        out.append(sample[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy())  # (P, P, C)
    return np.stack(out)


class NetGenerator:
    """Seam-aware cube network (LaMa-style FFC, CubePad everywhere); all six faces at once."""

    name: ClassVar[str] = "net"
    needs_torch: ClassVar[bool] = True
    pad_fraction: ClassVar[float] = 1 / 8
    uses_context: ClassVar[bool] = True  # all six faces at once

    def __init__(
        self,
        *,
        weights: str | None = None,
        working_size: int | None = None,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        """Set up the generator (weights load on first use, once per process).

        Args:
            weights: weights file (default: the shipped ``weights/net_v1.pt``, sha256-checked).
            working_size: face size the network runs at; default ``min(S, 128)``, rounded down
                to a multiple of the network's stride.
            device: ``cpu``, ``cuda`` or ``auto``.
            threads: torch CPU threads (default: torch's own choice).
        """
        if working_size is not None and working_size < 8:
            raise ValueError(f"working_size must be >= 8, got {working_size}")
        if working_size is not None and working_size > MAX_WORKING_SIZE:
            raise ValueError(f"working_size must be at most {MAX_WORKING_SIZE}, got "
                             f"{working_size}")
        if threads is not None and not 0 <= threads <= MAX_THREADS:
            raise ValueError(f"threads must be from 0 (torch's own choice) to {MAX_THREADS}, "
                             f"got {threads}")
        if weights is not None:
            check_weights_path(weights)  # now, not as a failed fill
        self.weights = weights
        self.working_size = working_size
        self.device = resolve_device(device)
        self.threads = threads

    def __repr__(self) -> str:
        return (f"NetGenerator(weights={self.weights!r}, working_size={self.working_size}, "
                f"device={self.device})")

    @property
    def model(self) -> CubeInpaintNet:
        return cached_network(self.weights, device=self.device)

    def prepare(self) -> None:
        """Load the network's weights (once per process), which the first fill would otherwise
        do first; the pipeline runs this on a background thread while it resamples the faces."""
        self.model  # noqa: B018  (loads and keeps it)

    def working_size_for(self, face_size: int) -> int:
        stride = self.model.config.stride
        wanted = self.working_size or min(face_size, DEFAULT_WORKING_SIZE)
        return max(stride, wanted // stride * stride)

    def fill_proxy(self, tiles: CubeTiles, report: Callable[[float], None] | None = None
                   ) -> np.ndarray:
        """The network's fill of ``tiles`` in the proxy domain, ``(N, P, P, C)`` (holes filled,
        known pixels as given)."""
        report = report or tiles.report
        if self.threads:
            torch.set_num_threads(self.threads)
        faces, holes = _cube_of(tiles)
        report(0.2)
        channels = faces.shape[3]
        rgb = np.repeat(faces, 3, axis=3) if channels < 3 else faces[..., :3]
        work = self.working_size_for(tiles.face_size)
        small, small_holes = _reduce(rgb if channels <= 3 else faces, holes, work)
        x = torch.from_numpy(small).permute(0, 3, 1, 2).to(self.device)  # (6, C', w, w)
        m = torch.from_numpy(small_holes[:, None].astype(np.float32)).to(self.device)
        model = self.model
        rgb_x = x[:, :3]
        with torch.no_grad():
            filled = model(rgb_x, m)  # (6, 3, w, w)
            if channels > 3:  # alpha and other extra channels: the smooth prior
                filled = torch.cat([filled, model.prior(x[:, 3:] * (1 - m), 1 - m)], dim=1)
        report(0.7)
        up = _sample_tiles(filled.float(), tuple(tiles.face_ids), tiles.face_size, tiles.pad)
        if channels < 3:
            up = up.mean(axis=3, keepdims=True)
        out = np.array(tiles.image, np.float32, copy=True)
        np.copyto(out, up, where=tiles.mask[..., None])
        report(1.0)
        return out

    def inpaint(self, tiles: CubeTiles) -> np.ndarray:
        if not tiles.mask.any():
            return np.array(tiles.values, np.float32, copy=True)
        tiles = _with_memo_context(tiles)
        return tiles.to_values(self.fill_proxy(tiles))


def _with_memo_context(tiles: CubeTiles) -> CubeTiles:
    return dataclasses.replace(tiles, context=_memo(tiles.context))


def _proxy_only(tiles: CubeTiles, progress: Callable[[float], None] | None) -> CubeTiles:
    """The same tiles with the proxy as their values (so PatchMatch returns proxy pixels)."""
    context = None
    if tiles.context is not None:
        def context() -> CubeTiles:
            return dataclasses.replace(tiles.context(), values=None, to_values=_identity)
    return dataclasses.replace(tiles, values=None, to_values=_identity, progress=progress,
                               context=context)


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _blur(tiles: np.ndarray, sigma: float) -> np.ndarray:
    return np.stack([cv2.GaussianBlur(t, (0, 0), sigma).reshape(t.shape) for t in tiles])


class NetPatchMatch:
    """Network for structure at its working resolution, PatchMatch for full-resolution texture."""

    name: ClassVar[str] = "net+patchmatch"
    needs_torch: ClassVar[bool] = True
    pad_fraction: ClassVar[float] = 1 / 8
    interpolation: ClassVar[str] = "bicubic"  # as PatchMatch: keeps its texture through resampling
    uses_context: ClassVar[bool] = True

    def __init__(
        self,
        *,
        weights: str | None = None,
        working_size: int | None = None,
        device: str = "cpu",
        threads: int | None = None,
        detail: float = 1.0,
        patchmatch: dict[str, Any] | None = None,
    ) -> None:
        """Args:
            weights, working_size, device, threads: as for :class:`NetGenerator`.
            detail: gain on PatchMatch's texture band (1 = as PatchMatch made it).
            patchmatch: keyword arguments of the ``patchmatch`` generator.
        """
        if detail < 0:
            raise ValueError(f"detail must be >= 0, got {detail}")
        self.net = NetGenerator(weights=weights, working_size=working_size, device=device,
                                threads=threads)
        self.detail = float(detail)
        self.patchmatch_params = dict(patchmatch or {})
        self._patchmatch()  # its parameters checked now (iterations=10**12), not at the fill

    def _patchmatch(self) -> Any:
        try:
            from pano_inpaint.generators.patchmatch import PatchMatch
        except ImportError as exc:  # pragma: no cover - depends on the checkout
            raise RuntimeError("net+patchmatch needs the patchmatch generator") from exc
        return PatchMatch(**self.patchmatch_params)

    def prepare(self) -> None:
        """The network's weights and PatchMatch's kernels, loaded ahead of the first fill (on
        the pipeline's background thread)."""
        self.net.prepare()
        self._patchmatch().prepare()

    def inpaint(self, tiles: CubeTiles) -> np.ndarray:
        if not tiles.mask.any():
            return np.array(tiles.values, np.float32, copy=True)
        tiles = _with_memo_context(tiles)
        structure = self.net.fill_proxy(tiles, lambda f: tiles.report(0.3 * f))
        texture = self._patchmatch().inpaint(
            _proxy_only(tiles, lambda f: tiles.report(0.3 + 0.7 * f)))
        sigma = max(0.5, tiles.face_size / self.net.working_size_for(tiles.face_size))
        mixed = _blur(structure, sigma) + self.detail * (texture - _blur(texture, sigma))
        out = np.array(tiles.image, np.float32, copy=True)
        np.copyto(out, np.clip(mixed, 0, 1), where=tiles.mask[..., None])
        return tiles.to_values(out)
