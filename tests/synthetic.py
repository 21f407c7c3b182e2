"""Analytic test panoramas and masks: golden-free inputs defined on the sphere."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pano_inpaint.geometry import erp_pixel_to_xyz


def erp_directions(height: int, width: int) -> np.ndarray:
    """``(H, W, 3)`` float64 unit directions of the pixel centres of an ``H x W`` panorama (the
    library's cached grid is float32: test fields are computed in full precision)."""
    ys, xs = np.mgrid[0:height, 0:width]
    return erp_pixel_to_xyz(xs, ys, height, width)


def smooth_rgb(xyz: np.ndarray) -> np.ndarray:
    """A smooth, asymmetric colour field on the sphere, values in [0.05, 0.95]."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.stack(
        [
            0.5 + 0.2 * x + 0.15 * y * z + 0.05 * np.sin(3 * x),
            0.5 + 0.3 * z - 0.1 * x * y,
            0.5 + 0.25 * y + 0.1 * x * z,
        ],
        axis=-1,
    )


def wavy_rgb(xyz: np.ndarray) -> np.ndarray:
    """A smooth field with several oscillations per face, values in [0.2, 0.8]."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.stack(
        [
            0.5 + 0.3 * np.sin(4 * x + 2 * y),
            0.5 + 0.3 * np.cos(3 * z - 2 * x),
            0.5 + 0.3 * np.sin(5 * y + z),
        ],
        axis=-1,
    )


def sphere_function_erp(
    height: int,
    fn: Callable[[np.ndarray], np.ndarray] = smooth_rgb,
    dtype: np.dtype | type = np.float32,
    scale: float = 1.0,
) -> np.ndarray:
    """Panorama of a function of the direction, ``(H, 2H, C)`` in ``dtype``.

    Integer dtypes map ``[0, 1]`` onto their full range; float keeps ``value * scale`` (HDR).
    """
    values = fn(erp_directions(height, 2 * height))
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        top = np.iinfo(dtype).max
        return np.clip(np.round(values * top), 0, top).astype(dtype)
    return (values * scale).astype(dtype)


def checker_erp(height: int, cells: int = 8, dtype=np.float32) -> np.ndarray:
    """Checkerboard in lon/lat with ``cells`` cells along the height, one channel."""
    ys, xs = np.mgrid[0:height, 0 : 2 * height]
    board = ((xs * cells // height) + (ys * cells // height)) % 2
    return board.astype(dtype)


def cap_mask(height: int, direction: np.ndarray, degrees: float) -> np.ndarray:
    """Pixels within ``degrees`` of ``direction``."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    return erp_directions(height, 2 * height) @ d >= np.cos(np.radians(degrees))


def ground_rgb(xyz: np.ndarray) -> np.ndarray:
    """A ground of irregular blotches a few degrees wide (grey-brown, values in [0.3, 0.7]),
    textured enough that a detector cannot take every dark pixel for a rig."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    grain = (np.sin(23 * x + 7 * z) * np.sin(19 * z - 5 * y) + np.sin(31 * (x + y))) / 2
    base = 0.5 + 0.12 * grain
    return np.stack([base + 0.04, base, base - 0.04], axis=-1)


def rig_panorama(height: int, kind: str = "tripod", seed: int = 0, *, yaw_columns: int = 0,
                 rig=None, shadows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A rendered rig over :func:`ground_rgb`: ``(H, 2H, 3)`` uint8 and the true ``(H, 2H)`` mask,
    the whole panorama turned by ``yaw_columns`` columns (the rig with it)."""
    from pano_inpaint.masks.rigs import ErpGrid, composite, random_scene, render_layer, true_mask
    from pano_inpaint.masks.rigs.render import Lighting

    rng = np.random.default_rng(seed)
    scene = random_scene(kind, rng, rig=rig, artefacts=False)
    if not shadows:
        scene = type(scene)(scene.rig, Lighting(sun=scene.light.sun), scene.exposure)
    ground = sphere_function_erp(height, ground_rgb)
    first = int(height * 0.45)  # nothing drawn above 81 degrees from the nadir
    layer = render_layer(scene, ErpGrid(height), (height, 2 * height), first_row=first, rng=rng)
    image = np.clip(np.rint(composite(ground, layer) * 255), 0, 255).astype(np.uint8)
    mask = true_mask(layer)
    return np.roll(image, yaw_columns, axis=1), np.roll(mask, yaw_columns, axis=1)


CHROMA_SUBSAMPLING = {"4:2:0": 2, "4:2:2": 1, "4:4:4": 0}  # Pillow's ``subsampling`` codes


def camera_style_jpeg(path, pixels: np.ndarray, subsampling: str = "4:2:0", mode: str = "RGB",
                      **options):
    """Save ``pixels`` (``(H, W, 3)`` uint8) the way a 360 camera does: quality 92, EXIF (make,
    model, ISO, date), GPano XMP, an sRGB ICC profile (colour only). Returns ``path``."""
    from PIL import Image, ImageCms

    image = Image.fromarray(pixels).convert(mode)
    exif = Image.Exif()
    exif[271], exif[272] = "RICOH", "RICOH THETA Z1"
    details = exif.get_ifd(0x8769)
    details[0x8827] = 200  # ISO
    details[0x9003] = "2024:05:01 10:00:00"
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description xmlns:GPano="http://ns.google.com/photos/'
           '1.0/panorama/" GPano:ProjectionType="equirectangular"/></rdf:RDF></x:xmpmeta>')
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(path, "JPEG", quality=92, subsampling=CHROMA_SUBSAMPLING[subsampling],
               exif=exif.tobytes(), xmp=xmp.encode(), icc_profile=icc if mode == "RGB" else None,
               **options)
    return path


def gradient_energy(image: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared forward step of ``(H, W[, C])`` ``image`` between pixels of ``(H, W)``
    ``mask`` (both ends in it), over every channel: how sharp a fill is, compared as a ratio."""
    dx = np.diff(image, axis=1)[mask[:, 1:] & mask[:, :-1]]
    dy = np.diff(image, axis=0)[mask[1:] & mask[:-1]]
    return float((dx**2).sum() + (dy**2).sum()) / (dx.size + dy.size)
