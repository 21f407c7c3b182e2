"""Render the README's figures.

    python docs/make_figure.py [--generator NAME]    # docs/before_after.jpg, the shipped sample
    python docs/make_figure.py --structure           # docs/structure.jpg, structured floors
    python docs/make_figure.py --kerb                # docs/kerb.jpg, a lattice per side
    python docs/make_figure.py --people ../shared/panoramas_hires   # docs/people.jpg (ignored)

Both show the nadir as a perspective (gnomonic) view of about 110 degrees, not the stretched
equirectangular image. ``before_after.jpg``: the input with the tripod, the hole outlined, and
the filled result. ``structure.jpg``: a 45- and a 50-degree nadir cap over the striped and the tiled
floor of ``pano_inpaint/eval/scenes.py``, filled by
``patchmatch`` as it was before its structure steps (``structure=False,
max_scale_grows=False``) and as it is, next to the ground truth.
``kerb.jpg``: the held-out street kerb under a 45- and a 35-degree nadir cap (scene seeds 1 and
2), filled by ``patchmatch`` without its lattice per side of the kerb (``side_lattices=False``:
the slabs copied along the kerb) and as it is, next to the ground truth.
``people.jpg``: people removed from two photographs of ``../shared/panoramas_hires`` (masks
drawn here as a user would, grown a few pixels), seen straight at them: the photograph with the
hole outlined, ``patchmatch`` as it was at the end of session 25 (no structure steps on holes
under 5% of a face deep, every detail band matched to the ring) and as it is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from pano_inpaint import inpaint
from pano_inpaint.generators import get_generator
from pano_inpaint.geometry import erp_to_cube
from pano_inpaint.io import read_image, read_mask, write_image

ROOT = Path(__file__).resolve().parents[1]


def nadir_view(erp: np.ndarray, size: int = 360) -> np.ndarray:
    """A ~110-degree view straight down (the down face, padded)."""
    face = erp.shape[1] // 4
    pad = face // 4
    view = erp_to_cube(erp, face, pad=pad, face_ids=["D"])[0]
    return cv2.resize(view, (size, size), interpolation=cv2.INTER_AREA)


def _outlined(view: np.ndarray, hole: np.ndarray) -> np.ndarray:
    out = view.copy()
    contours, _ = cv2.findContours(hole.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, (255, 40, 40), 2)
    return out


def _labelled(views: list[np.ndarray], labels: list[str]) -> np.ndarray:
    """One row: the views side by side with 8 px gaps, each with its label above it."""
    cells = []
    for view, label in zip(views, labels, strict=True):
        head = np.full((26, view.shape[1], 3), 255, np.uint8)
        cv2.putText(head, label, (4, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1,
                    cv2.LINE_AA)
        cells += [np.concatenate([head, view]), np.full((view.shape[0] + 26, 8, 3), 255,
                                                        np.uint8)]
    return np.concatenate(cells[:-1], axis=1)


STRUCTURE_CASES = (("workshop_stripes", 45.0), ("hall_tiles", 45.0), ("workshop_stripes", 50.0),
                   ("hall_tiles", 50.0))


KERB_CASES = (("street_kerb", 45.0, 1), ("street_kerb", 35.0, 2))


def structure_figure(width: int = 2048, cases: tuple = STRUCTURE_CASES,
                     previous: str = "before", **before: object) -> np.ndarray:
    """Rows of (hole, previous patchmatch, patchmatch, truth) nadir views of ``cases``
    ((scene, cap in degrees[, scene seed])); the previous patchmatch is the default with
    ``before``'s parameters (without them: before its structure steps), labelled
    ``patchmatch {previous}``."""
    from pano_inpaint.eval.scenes import render_scene
    from pano_inpaint.masks import nadir_mask

    old = get_generator("patchmatch", **(before or {"structure": False,
                                                    "max_scale_grows": False}))
    rows = []
    for scene, degrees, *seed in cases:
        mask = nadir_mask(width // 2, width, degrees)
        hole = nadir_view(mask.astype(np.uint8) * 255) > 127
        truth = render_scene(scene, width, seed=seed[0] if seed else 0, supersample=2)
        blanked = truth.copy()
        blanked[mask] = 0
        views = [_outlined(nadir_view(truth), hole)]
        for generator in (old, "patchmatch"):
            views.append(nadir_view(inpaint(blanked, mask, generator=generator).image))
        views.append(nadir_view(truth))
        labels = [f"{scene}, {degrees:g} deg cap", f"patchmatch {previous}", "patchmatch now",
                  "ground truth"]
        rows += [_labelled(views, labels), np.full((8, 1, 3), 255, np.uint8)]
    rows = rows[:-1]
    widest = max(r.shape[1] for r in rows)
    return np.concatenate([cv2.copyMakeBorder(r, 0, 0, 0, widest - r.shape[1],
                                              cv2.BORDER_CONSTANT, value=(255, 255, 255))
                           for r in rows])


# People to remove: (file, ellipses (centre x, centre y, half width, half height) and polygons
# in pixels of the photograph as stored, how far the mask is grown, px).
_PEOPLE = (
    ("vrview_chichen-itza.jpg",
     [(1260, 563, 12, 38), (1304, 562, 14, 38), (1357, 526, 8, 20)], [], 4),
    ("aframe_puydesancy.jpg",
     [(3259, 1005, 16, 22), (3240, 1240, 26, 14), (3325, 1225, 24, 9)],
     [[(3238, 1020), (3290, 1015), (3322, 1040), (3322, 1100), (3300, 1130), (3300, 1170),
       (3290, 1200), (3300, 1250), (3250, 1252), (3240, 1200), (3240, 1140), (3232, 1090)],
      [(3243, 1118), (3247, 1122), (3220, 1248), (3216, 1246)]], 6),
)


def _person_mask(shape: tuple[int, int], ellipses: list, polygons: list, grow: int
                 ) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    for x, y, a, b in ellipses:
        cv2.ellipse(mask, (x, y), (a, b), 0, 0, 360, 255, -1)
    for polygon in polygons:
        cv2.fillPoly(mask, [np.array(polygon, np.int32)], 255)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate(mask, kernel) > 0


def people_figure(photos: Path, size: int = 300) -> np.ndarray:
    """Rows of (hole, patchmatch at session 25's end, patchmatch now) views of people."""
    from pano_inpaint.eval.views import perspective_view
    from pano_inpaint.geometry.sphere import erp_pixel_to_xyz

    previous = get_generator("patchmatch", structure_min_depth=0.05, detail_band_depth=0.0)
    rows = []
    for name, ellipses, polygons, grow in _PEOPLE:
        photo = read_image(photos / name).pixels
        mask = _person_mask(photo.shape[:2], ellipses, polygons, grow)
        ys, xs = np.nonzero(mask)
        direction = erp_pixel_to_xyz(np.array([xs.mean() + 0.5]), np.array([ys.mean() + 0.5]),
                                     *photo.shape[:2])[0]
        fov = 1.6 * 360.0 * max(np.ptp(xs), np.ptp(ys)) / photo.shape[1]

        def view(image: np.ndarray, direction: np.ndarray = direction, fov: float = fov
                 ) -> np.ndarray:
            return perspective_view(image, direction, fov, size)

        hole = view(mask.astype(np.uint8) * 255) > 127
        views = [_outlined(view(photo), hole)]
        for generator in (previous, "patchmatch"):
            views.append(view(inpaint(photo, mask, generator=generator).image))
        rows += [_labelled(views, [name.split("_", 1)[1].rsplit(".", 1)[0],
                                   "patchmatch, session 25", "patchmatch now"]),
                 np.full((8, 1, 3), 255, np.uint8)]
    rows = rows[:-1]
    widest = max(r.shape[1] for r in rows)
    return np.concatenate([cv2.copyMakeBorder(r, 0, 0, 0, widest - r.shape[1],
                                              cv2.BORDER_CONSTANT, value=(255, 255, 255))
                           for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default=None)
    parser.add_argument("--structure", action="store_true",
                        help="render docs/structure.jpg instead")
    parser.add_argument("--kerb", action="store_true",
                        help="render docs/kerb.jpg instead")
    parser.add_argument("--people", type=Path, metavar="DIR",
                        help="render docs/people.jpg from the photographs in DIR instead "
                        "(../shared/panoramas_hires)")
    args = parser.parse_args()
    if args.people:
        write_image(ROOT / "docs" / "people.jpg", people_figure(args.people), overwrite=True,
                    quality=85)
        return
    if args.kerb:
        figure = structure_figure(cases=KERB_CASES, previous="one lattice",
                                  side_lattices=False)
        write_image(ROOT / "docs" / "kerb.jpg", figure, overwrite=True, quality=85)
        return
    if args.structure:
        write_image(ROOT / "docs" / "structure.jpg", structure_figure(), overwrite=True,
                    quality=85)
        return
    pano = read_image(ROOT / "pano_inpaint" / "data" / "sample_pano.jpg").pixels
    mask = read_mask(ROOT / "pano_inpaint" / "data" / "sample_mask.png", *pano.shape[:2])
    filled = inpaint(pano, mask, generator=args.generator).image
    before, after = nadir_view(pano), nadir_view(filled)
    hole = nadir_view(mask.astype(np.uint8) * 255) > 127
    outlined = _outlined(before, hole)
    gap = np.full((before.shape[0], 8, 3), 255, np.uint8)
    figure = np.concatenate([before, gap, outlined, gap, after], axis=1)
    write_image(ROOT / "docs" / "before_after.jpg", figure, overwrite=True, quality=85)


if __name__ == "__main__":
    main()
