"""The nadir view: the cube's down face with cube padding, and the way back to the panorama.

What sits under a 360 camera (tripod legs, a monopod, a hand, a shadow) converges on the nadir and
crosses the down face's edges, so it is looked at on the down face *padded* by ``pad`` pixels: the
same gnomonic camera with a wider field of view (plane coordinates ``|a|, |b| <= 1 + 2 pad / S``),
one image with no face edge in it. Great circles through the nadir (a leg, a stick) are straight
lines through the view's centre; a yaw of the panorama is a rotation of the view about its centre.

``NadirView(S, pad)`` is a :class:`pano_inpaint.masks.rigs.render.PixelGrid` (directions of its
pixels, largest pixel angle), samples a panorama (:meth:`NadirView.from_erp`, through
:func:`~pano_inpaint.geometry.cubemap.erp_to_cube`) and maps values on the view back onto the
panorama's pixels (:meth:`NadirView.to_erp`, maps cached), so a mask found on the view becomes a
mask of the panorama.

Convention: see :mod:`pano_inpaint.geometry.conventions` (face ``D``: columns along ``+x``, rows
along ``-z``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint._checks import check_positive_int
from pano_inpaint.geometry._cache import map_cache
from pano_inpaint.geometry._remap import FixedMaps, check_interpolation, remap, to_fixed_maps
from pano_inpaint.geometry.conventions import Face
from pano_inpaint.geometry.cubemap import erp_to_cube
from pano_inpaint.geometry.rotation import RotationLike
from pano_inpaint.geometry.sphere import erp_pixel_to_lonlat, face_pixel_to_xyz, xyz_to_face_pixel

__all__ = ["NadirView"]

_DOWN = int(Face.DOWN)


@dataclass(frozen=True)
class NadirView:
    """The down face of ``face_size`` pixels padded by ``pad`` on every side.

    Example:
        >>> view = NadirView(32, 16)
        >>> view.size, round(view.max_degrees, 1)  # the corners reach 70.5 degrees
        (64, 70.5)
    """

    face_size: int
    pad: int

    def __post_init__(self) -> None:
        check_positive_int(self.face_size, "face_size")
        if isinstance(self.pad, bool) or not isinstance(self.pad, (int, np.integer)) \
                or self.pad < 0:
            raise ValueError(f"pad must be an integer >= 0, got {self.pad!r}")

    @property
    def size(self) -> int:
        """Side of the padded view in pixels, ``S + 2 pad``."""
        return self.face_size + 2 * self.pad

    @property
    def extent(self) -> float:
        """Half-width of the view on the face plane (1 = the face's own edge)."""
        return 1 + 2 * self.pad / self.face_size

    @property
    def max_degrees(self) -> float:
        """Angle from the nadir of the view's corners: nothing further is seen."""
        return float(np.degrees(np.arctan(np.sqrt(2) * self.extent)))

    @property
    def edge_degrees(self) -> float:
        """Angle from the nadir of the middle of the view's edges: all is seen up to this."""
        return float(np.degrees(np.arctan(self.extent)))

    @property
    def pixel_angle(self) -> float:
        """The largest angle a pixel spans (at the centre, radians)."""
        return 2.0 / self.face_size

    def xyz(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Unit directions ``(..., 3)`` of view pixel coordinates (centres at integers).

        Example:
            >>> c = NadirView(32, 16).xyz(np.array(31.5), np.array(31.5))
            >>> c.round(6).tolist()  # the view's centre looks straight down
            [0.0, -1.0, 0.0]
        """
        xyz = face_pixel_to_xyz(_DOWN, x, y, self.face_size, self.pad)
        return xyz / np.linalg.norm(xyz, axis=-1, keepdims=True)

    def degrees_from_nadir(self) -> np.ndarray:
        """``(size, size)`` float32 angle of each view pixel from the nadir, in degrees."""
        y, x = np.mgrid[0 : self.size, 0 : self.size].astype(np.float64)
        return np.degrees(np.arccos(np.clip(-self.xyz(x, y)[..., 1], -1, 1))).astype(np.float32)

    def from_erp(self, erp: np.ndarray, *, rotation: RotationLike = None,
                 interpolation: str = "bilinear") -> np.ndarray:
        """The view of a panorama: ``(size, size[, C])``, same dtype (see ``erp_to_cube``)."""
        return erp_to_cube(erp, self.face_size, pad=self.pad, rotation=rotation,
                           interpolation=interpolation, face_ids=[_DOWN])[0]

    def first_row(self, height: int) -> int:
        """First panorama row (of ``height``) that can fall inside the view."""
        return max(0, int(np.floor(height * (1 - self.max_degrees / 180.0))) - 1)

    def _maps(self, height: int, width: int, interpolation: str) -> FixedMaps:
        def build() -> FixedMaps:
            top = self.first_row(height)
            ys, xs = np.mgrid[top:height, 0:width].astype(np.float64)
            lon, lat = erp_pixel_to_lonlat(xs, ys, height, width)
            cos_lat = np.cos(lat)
            xyz = np.stack([cos_lat * np.sin(lon), np.sin(lat), cos_lat * np.cos(lon)], axis=-1)
            x, y = xyz_to_face_pixel(xyz, _DOWN, self.face_size, self.pad)
            # Behind the face plane (non-finite) or outside the view: sampled as the border.
            outside = ~(np.isfinite(x) & np.isfinite(y))
            x = np.where(outside, -10.0, x)
            y = np.where(outside, -10.0, y)
            return to_fixed_maps(x, y, interpolation)

        key = ("nadir-view-to-erp", self.face_size, self.pad, height, width, interpolation)
        return map_cache.get_or_build(key, build)

    def to_erp(self, values: np.ndarray, height: int, width: int, *,
               interpolation: str = "bilinear") -> np.ndarray:
        """Map ``(size, size[, C])`` view values onto an ``(H, W[, C])`` panorama.

        Pixels outside the view are 0. Only the rows the view reaches are computed.

        Args:
            values: uint8 or float32 view.
            height, width: panorama size, ``W == 2 * H``.
            interpolation: ``"nearest"`` or ``"bilinear"`` (or ``"bicubic"``).

        Returns:
            ``(H, W[, C])`` of ``values``' dtype.

        Example:
            >>> view = NadirView(16, 8)
            >>> erp = view.to_erp(np.ones((32, 32), np.float32), 32, 64)
            >>> bool(erp[-1].all()), bool(erp[0].any())  # the nadir row is in, the top is not
            (True, False)
        """
        check_interpolation(interpolation)
        if values.shape[:2] != (self.size, self.size):
            raise ValueError(f"values must be ({self.size}, {self.size}[, C]), got "
                             f"{values.shape}")
        if width != 2 * height:
            raise ValueError(f"an equirectangular panorama needs W == 2 * H, got "
                             f"{width}x{height}")
        squeeze = values.ndim == 2
        src = values[..., None] if squeeze else values
        out = np.zeros((height, width, src.shape[2]), dtype=values.dtype)
        top = self.first_row(height)
        remap(np.ascontiguousarray(src), self._maps(height, width, interpolation), out[top:],
              border=cv2.BORDER_CONSTANT)
        return out[..., 0] if squeeze else out
