"""``CubePad``: cube padding for torch feature maps of six faces, a drop-in for zero padding.

Convention: see :mod:`pano_inpaint.geometry.conventions`.

The border of every face is gathered from its neighbours with the bilinear taps of
:func:`pano_inpaint.geometry.padding.cube_pad_plan`, precomputed once per (face size, pad, device).
Only the ring pixels are gathered; the centre is a plain constant pad, so the cost stays close to
``F.pad`` and gradients flow from every border pixel back into the neighbouring face.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pano_inpaint.geometry.padding import cube_pad_plan

__all__ = ["CubePad", "cube_pad"]


def _taps(face_size: int, pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear taps of every ring pixel: ``(4, 6, N)`` source face, source pixel and weight,
    plus ``(N,)`` destination pixel index in the flattened padded face."""
    plan = cube_pad_plan(face_size, pad)
    x0 = np.floor(plan.src_x).astype(np.int64)
    y0 = np.floor(plan.src_y).astype(np.int64)
    fx, fy = plan.src_x - x0, plan.src_y - y0
    x1 = np.minimum(x0 + 1, face_size - 1)
    y1 = np.minimum(y0 + 1, face_size - 1)
    pix = np.stack([y0 * face_size + x0, y0 * face_size + x1,
                    y1 * face_size + x0, y1 * face_size + x1])
    weight = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    face = np.broadcast_to(plan.src_face, pix.shape)
    size = face_size + 2 * pad
    dst = plan.ring_y * size + plan.ring_x
    return face, pix, weight, dst


def cube_pad(x: torch.Tensor, pad: int, _cache: dict | None = None) -> torch.Tensor:
    """Functional form of :class:`CubePad`: ``(B*6, C, S, S) -> (B*6, C, S+2p, S+2p)``."""
    if pad == 0:
        return x
    if x.ndim != 4 or x.shape[0] % 6 or x.shape[2] != x.shape[3]:
        raise ValueError(
            f"CubePad expects (B*6, C, S, S) with faces in FRBLUD order, got {tuple(x.shape)}"
        )
    batch6, channels, face_size, _ = x.shape
    if pad > face_size:
        raise ValueError(f"pad ({pad}) must not exceed the face size ({face_size})")
    key = (face_size, pad, x.device, x.dtype)
    cache = {} if _cache is None else _cache
    if key not in cache:
        face, pix, weight, dst = _taps(face_size, pad)
        cache[key] = (
            torch.as_tensor(face.reshape(-1), device=x.device),
            torch.as_tensor(pix.reshape(-1), device=x.device),
            torch.as_tensor(weight, dtype=x.dtype, device=x.device),
            torch.as_tensor(dst, device=x.device),
        )
    face_idx, pix_idx, weight, dst = cache[key]
    batch = batch6 // 6
    size = face_size + 2 * pad
    src = x.reshape(batch, 6, channels, face_size * face_size)
    # Two advanced indices around a slice: the gathered dimension comes first.
    taps = src[:, face_idx, :, pix_idx]  # (4 * 6 * N, B, C)
    taps = taps.reshape(4, 6, -1, batch, channels)  # (4, 6, N, B, C)
    ring = (taps * weight[..., None, None]).sum(0)  # (6, N, B, C)
    out = F.pad(x, (pad, pad, pad, pad))
    out_flat = out.view(batch, 6, channels, size * size)
    out_flat[:, :, :, dst] = ring.permute(2, 0, 3, 1)  # (B, 6, C, N)
    return out


class CubePad(nn.Module):
    """Pad each cube face with ``pad`` pixels of its neighbours' content.

    Input ``(B*6, C, S, S)``: ``B`` cubes whose six faces are consecutive in ``FACE_ORDER``
    (``FRBLUD``). Output ``(B*6, C, S + 2 pad, S + 2 pad)``. Differentiable; works on any
    device; the gather table is built once per (S, pad, device, dtype).

    Example:
        >>> pad = CubePad(1)
        >>> pad(torch.zeros(12, 3, 8, 8)).shape
        torch.Size([12, 3, 10, 10])
    """

    def __init__(self, pad: int) -> None:
        super().__init__()
        if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
            raise ValueError(f"pad must be an integer >= 0, got {pad!r}")
        self.pad = pad
        self._tables: dict = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cube_pad(x, self.pad, self._tables)

    def extra_repr(self) -> str:
        return f"pad={self.pad}"
