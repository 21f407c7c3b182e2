"""Training views for the rig detector: procedurally rendered rigs over real ground, with the exact
mask of every pixel they changed.

Sources are read with :func:`pano_inpaint.train.data.find_sources` (panoramas: 2:1 images; photos:
everything else), so the two trainers agree on what they read and what they exclude. The
evaluation panoramas (``../shared/panoramas``) are never given to this command.

One view (the detector's nadir view, 256 x 256, :data:`~pano_inpaint.masks.auto.detect.WORK_VIEW`):

* *Ground*: with probability ``panorama_share`` the nadir view of a panorama turned by a random
  yaw (and, ``tilt_share`` of the time, tilted 15-70 degrees so walls and horizons come into
  view); otherwise a photo laid on the ground plane under the camera, seen in perspective
  (1.5-8 m of ground per photo width, mirrored beyond its edges, reduced first so it does not
  alias). Brightness, contrast and colour are jittered.
* *Rig*: a layer (coverage, colour, shadow) from a pool of rigs ray-cast on the view
  (:mod:`pano_inpaint.masks.rigs`, kinds weighted by ``kinds``); the pool is filled before
  training and one layer is re-rendered every ``refresh_every`` steps. Each use turns it by a
  random yaw (a rotation of the view about its centre; the sun and the shadow turn with it),
  may mirror it, changes its exposure (tied to the ground's brightness) and its colour a
  little, and adds stitching artefacts: motion blur, a ghost (a faint copy turned by 1-5
  degrees), a seam cut (the rig missing beyond a line). ``negatives`` of the views have no rig.
* *Distractors*: dark lines on the ground that do not meet at the nadir (cracks, cables, tile
  joints): not rig.
* *Camera*: noise, slight blur, JPEG compression.

The label is :func:`~pano_inpaint.masks.rigs.true_mask` of the final layer: rig coverage of a
quarter pixel or more, or a shadow taking a fifth of the light or more. Everything random comes
from the ``numpy.random.Generator`` passed in, so a seed fixes the stream (the pool included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from pano_inpaint.geometry.nadir import NadirView
from pano_inpaint.geometry.rotation import rotation_matrix
from pano_inpaint.masks.auto.detect import WORK_VIEW
from pano_inpaint.masks.auto.model import network_input
from pano_inpaint.masks.auto.shoot import rotate_view
from pano_inpaint.masks.rigs import RigLayer, random_scene, render_layer, true_mask
from pano_inpaint.train.data import Source
from pano_inpaint.train.mask_config import MaskDataConfig

__all__ = ["MaskBatch", "RigPool", "ViewSampler"]


@dataclass
class MaskBatch:
    """``image`` ``(B, 4, c, c)`` float32 (RGB, angle / 90), ``label`` ``(B, 1, c, c)`` float32."""

    image: np.ndarray
    label: np.ndarray
    kinds: list[str]


class RigPool:
    """Rig layers ray-cast on the view, drawn turned and mirrored."""

    def __init__(self, config: MaskDataConfig, view: NadirView = WORK_VIEW) -> None:
        self.view = view
        names = [k for k, w in config.kinds.items() if w > 0]
        weights = np.array([config.kinds[k] for k in names], np.float64)
        self.kinds, self.weights = names, weights / weights.sum()
        self.layers: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []

    def render(self, rng: np.random.Generator) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
        """One new layer: ``(kind, coverage f16, colour u8, shadow f16)``."""
        kind = str(rng.choice(self.kinds, p=self.weights))
        scene = random_scene(kind, rng, artefacts=False)  # artefacts are added per use
        size = self.view.size
        layer = render_layer(scene, self.view, (size, size), rng=rng)
        color = np.clip(np.rint(layer.color * 255), 0, 255).astype(np.uint8)
        return kind, layer.coverage.astype(np.float16), color, layer.shadow.astype(np.float16)

    def fill(self, count: int, rng: np.random.Generator,
             progress: Callable[[int], None] | None = None) -> None:
        for i in range(count):
            self.layers.append(self.render(rng))
            if progress:
                progress(i + 1)

    def refresh(self, rng: np.random.Generator) -> None:
        self.layers[int(rng.integers(len(self.layers)))] = self.render(rng)

    def draw(self, rng: np.random.Generator) -> tuple[str, RigLayer]:
        kind, coverage, color, shadow = self.layers[int(rng.integers(len(self.layers)))]
        yaw = rng.uniform(-180, 180)
        mirror = rng.random() < 0.5
        planes = [coverage.astype(np.float32), color.astype(np.float32) / 255,
                  shadow.astype(np.float32)]
        if mirror:  # a mirrored rig is a rig too
            planes = [p[:, ::-1] for p in planes]
        planes = [rotate_view(np.ascontiguousarray(p), self.view, yaw) for p in planes]
        return kind, RigLayer(planes[0], planes[1], planes[2])


def _jitter(image: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    gain = np.exp(rng.normal(0, amount)) * (1 + rng.normal(0, amount / 3, 3))
    gamma = np.exp(rng.normal(0, amount / 2))
    return np.clip(image * gain.astype(np.float32), 0, 1) ** np.float32(gamma)


def _motion_blur(layer: RigLayer, rng: np.random.Generator) -> RigLayer:
    length = int(rng.integers(3, 10))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2] = 1 / length
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), rng.uniform(0, 180), 1)
    kernel = cv2.warpAffine(kernel, turn, (length, length))
    kernel /= kernel.sum()
    premultiplied = cv2.filter2D(layer.color * layer.coverage[..., None], -1, kernel)
    coverage = cv2.filter2D(layer.coverage, -1, kernel)
    color = premultiplied / np.maximum(coverage, 1e-4)[..., None]
    return RigLayer(coverage, np.clip(color, 0, 1), cv2.filter2D(layer.shadow, -1, kernel))


def _ghost(layer: RigLayer, view: NadirView, rng: np.random.Generator) -> RigLayer:
    turn = rng.choice([-1, 1]) * rng.uniform(1, 5)
    opacity = rng.uniform(0.25, 0.6)
    g_cov = rotate_view(layer.coverage, view, turn) * opacity
    g_col = np.stack([rotate_view(np.ascontiguousarray(layer.color[..., c]), view, turn)
                      for c in range(3)], axis=-1)
    coverage = layer.coverage + g_cov * (1 - layer.coverage)
    color = (layer.color * layer.coverage[..., None] + g_col * (g_cov * (
        1 - layer.coverage))[..., None]) / np.maximum(coverage, 1e-4)[..., None]
    return RigLayer(coverage, np.clip(color, 0, 1), layer.shadow)


def _cut(layer: RigLayer, view: NadirView, rng: np.random.Generator) -> RigLayer:
    """The rig missing on one side of a line (a stitching seam near the nadir)."""
    size = view.size
    angle = rng.uniform(0, 2 * np.pi)
    offset = rng.uniform(-0.15, 0.15) * size
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) - (size / 2 - 0.5)
    keep = np.clip((x * np.cos(angle) + y * np.sin(angle) - offset) + 0.5, 0, 1)
    return RigLayer(layer.coverage * keep, layer.color, layer.shadow)


def _distractors(image: np.ndarray, rng: np.random.Generator) -> None:
    """Dark or light lines that miss the view's centre by a fifth of the view or more."""
    size = image.shape[0]
    for _ in range(int(rng.integers(1, 4))):
        angle = rng.uniform(0, np.pi)
        miss = rng.uniform(0.2, 0.45) * size * rng.choice([-1, 1])
        d = np.array([np.cos(angle), np.sin(angle)])
        centre = size / 2 + miss * np.array([-d[1], d[0]])
        a, b = centre - d * size, centre + d * size
        tone = tuple(float(v) for v in np.full(3, rng.uniform(0.0, 0.25) if rng.random() < 0.8
                                               else rng.uniform(0.7, 1.0)))
        cv2.line(image, tuple(int(v) for v in a), tuple(int(v) for v in b), tone,
                 int(rng.integers(1, 4)), cv2.LINE_AA)


class ViewSampler:
    """Draws training views (see the module docstring)."""

    def __init__(self, sources: list[Source], config: MaskDataConfig,
                 view: NadirView = WORK_VIEW) -> None:
        self.config = config
        self.view = view
        width = config.panorama_width
        self.panoramas = [cv2.resize(s.pixels, (width, width // 2), interpolation=cv2.INTER_AREA)
                          if s.pixels.shape[1] > width else s.pixels
                          for s in sources if s.panorama]
        self.photos = [s.pixels for s in sources if not s.panorama]
        if not self.panoramas and not self.photos:
            raise ValueError("no training images")
        self.pool = RigPool(config, view)
        size = view.size
        y, x = np.mgrid[0:size, 0:size].astype(np.float64)
        xyz = view.xyz(x, y)
        # Where each pixel's ray meets the ground, for a camera 1 m above it.
        self.ground_x = (xyz[..., 0] / -xyz[..., 1]).astype(np.float32)
        self.ground_z = (xyz[..., 2] / -xyz[..., 1]).astype(np.float32)
        self.degrees = view.degrees_from_nadir()

    def _panorama_ground(self, rng: np.random.Generator) -> np.ndarray:
        pixels = self.panoramas[int(rng.integers(len(self.panoramas)))]
        tilt = rng.uniform(15, 70) if rng.random() < self.config.tilt_share else rng.normal(0, 4)
        rotation = rotation_matrix(rng.uniform(-np.pi, np.pi), np.radians(tilt))
        return self.view.from_erp(pixels, rotation=rotation).astype(np.float32) / 255

    def _photo_ground(self, rng: np.random.Generator) -> np.ndarray:
        photo = self.photos[int(rng.integers(len(self.photos)))]
        height = rng.uniform(1.0, 2.0)  # camera above the ground, metres
        metres = rng.uniform(1.5, 8.0)  # ground covered by the photo's width
        # Texels per metre so one texel is about one view pixel straight down: no aliasing.
        pixel_metres = height * 2 / self.view.face_size
        scale = min(1.0, metres / photo.shape[1] / pixel_metres)
        if scale < 1:
            photo = cv2.resize(photo, (max(8, int(photo.shape[1] * scale)),
                                       max(8, int(photo.shape[0] * scale))),
                               interpolation=cv2.INTER_AREA)
        per_metre = photo.shape[1] / metres
        turn = rng.uniform(0, 2 * np.pi)
        c, s = np.cos(turn), np.sin(turn)
        gx, gz = self.ground_x * height, self.ground_z * height
        u = (c * gx - s * gz) * per_metre + rng.uniform(0, photo.shape[1])
        v = (s * gx + c * gz) * per_metre + rng.uniform(0, photo.shape[0])
        ground = cv2.remap(photo, u.astype(np.float32), v.astype(np.float32), cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT_101)
        return ground.astype(np.float32) / 255

    def ground(self, rng: np.random.Generator) -> np.ndarray:
        use_panorama = self.panoramas and (not self.photos
                                           or rng.random() < self.config.panorama_share)
        image = self._panorama_ground(rng) if use_panorama else self._photo_ground(rng)
        return _jitter(image, rng, 0.25)

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
        """One view: ``(s, s, 3)`` float32 image, ``(s, s)`` bool label, rig kind."""
        config = self.config
        image = self.ground(rng)
        if rng.random() < config.distractors:
            _distractors(image, rng)
        size = self.view.size
        if rng.random() < config.negatives:
            kind, label = "none", np.zeros((size, size), bool)
        else:
            kind, layer = self.pool.draw(rng)
            brightness = float(image.mean())
            exposure = rng.uniform(0.6, 1.3) * np.clip(brightness / 0.45, 0.3, 1.5) ** 0.6
            tint = 1 + rng.normal(0, 0.05, 3)
            layer.color = np.clip(layer.color * np.float32(exposure) * tint.astype(np.float32),
                                  0, 1)
            layer.shadow = np.clip(layer.shadow * np.float32(rng.uniform(0.7, 1.25)), 0, 0.95)
            if rng.random() < config.blur:
                layer = _motion_blur(layer, rng)
            if rng.random() < config.ghost:
                layer = _ghost(layer, self.view, rng)
            if rng.random() < config.cut:
                layer = _cut(layer, self.view, rng)
            lit = image * (1 - layer.shadow)[..., None]
            image = lit + (layer.color - lit) * layer.coverage[..., None]
            label = true_mask(layer)
        if rng.random() < 0.3:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 0.9))
        image = image + rng.normal(0, rng.uniform(0, 0.02), image.shape).astype(np.float32)
        image = np.clip(image, 0, 1)
        if rng.random() < config.jpeg:
            quality = int(rng.integers(45, 95))
            encoded = cv2.imencode(".jpg", np.rint(image * 255).astype(np.uint8),
                                   [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
            image = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255
        return image.astype(np.float32), label, kind

    def batch(self, rng: np.random.Generator, count: int, crop: int) -> MaskBatch:
        """``count`` views, each cropped to ``crop`` pixels at a random place."""
        size = self.view.size
        images, labels, kinds = [], [], []
        for _ in range(count):
            image, label, kind = self.sample(rng)
            y0, x0 = (int(rng.integers(0, size - crop + 1)) for _ in range(2))
            full = network_input(image, self.degrees)
            images.append(full[:, y0 : y0 + crop, x0 : x0 + crop])
            labels.append(label[None, y0 : y0 + crop, x0 : x0 + crop])
            kinds.append(kind)
        return MaskBatch(np.stack(images).astype(np.float32),
                         np.stack(labels).astype(np.float32), kinds)
