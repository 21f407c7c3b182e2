"""The model card's evaluation: the project's harness with two additions for the network.

``pano-inpaint eval-net DIR --out OUT [--ablation RUN/net.pt] [harness options]``
(:func:`evaluate_net`) runs :func:`pano_inpaint.eval.run_evaluation` with

* an extra mask family ``nadir-30-40``: a nadir cap of 30-40 degrees (the harness's ``nadir``
  draws 10-40; the issue asks about the large ones), seeded like every family;
* with ``--ablation``, an extra generator ``net-zeros``: the ``net`` generator with the given
  weights (the zero-padding network trained with the same config), so the harness scores both
  networks side by side, seams included; with ``--candidate``, likewise ``net-candidate``: new
  weights scored beside the shipped ones before they replace them.

``--network-seams`` measures, instead, the networks alone (no pipeline, no reconciliation of
overlapping faces): cubes of the panoramas in random orientations with holes from the crossing
families (tripod, strokes, cube-edge, cube-corner), filled at 128 px per face; on every face
edge pixel inside a hole, the jump to the neighbouring face's pixel over the step to the next
pixel inside the face (1 = an edge looks like any other pixel step), for each weights file and for
the ground truth.

Both additions exist only for the duration of the run (the registry and the family table are
restored afterwards).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pano_inpaint.config import PipelineConfig
from pano_inpaint.eval.runner import EvalResults, run_evaluation
from pano_inpaint.generators import registry
from pano_inpaint.masks import MASK_FAMILIES, nadir_mask

__all__ = ["LARGE_NADIR", "evaluate_net", "network_seams"]

LARGE_NADIR = "nadir-30-40"
EXTRA_NETS = {"ablation": "net-zeros", "candidate": "net-candidate"}

log = logging.getLogger(__name__)


def _large_nadir(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A 30-40 degree cap around straight down."""
    return nadir_mask(height, width, float(rng.uniform(30, 40)))


def _net_with(name: str, weights: str) -> type:
    from pano_inpaint.generators.net.generator import NetGenerator

    class OtherWeightsNet(NetGenerator):
        """The net generator with other weights."""

        def __init__(self, **params) -> None:
            super().__init__(weights=weights, **params)

    OtherWeightsNet.name = name
    return OtherWeightsNet


@contextlib.contextmanager
def _additions(extra: dict[str, str]) -> Iterator[None]:
    """The large-nadir family and ``{generator name: weights}`` registered for the run."""
    MASK_FAMILIES[LARGE_NADIR] = _large_nadir
    added = []
    for name, weights in extra.items():
        registry.register_generator(_net_with(name, weights))
        added.append(name)
    try:
        yield
    finally:
        MASK_FAMILIES.pop(LARGE_NADIR, None)
        for name in added:
            registry.unregister_generator(name)


def network_seams(dirs: list[str], weights: dict[str, str], *, cubes_per_image: int = 4,
                  face_size: int = 128, seed: int = 0) -> dict[str, float]:
    """Seam ratio of each network's composite (and of the truth) on the same cubes; an
    unreadable panorama is left out with a warning, as the harness does.

    Raises:
        FileNotFoundError: a folder that does not exist, or no readable panorama in them (the
            ratios were 1.000 for every network, of nothing).
    """
    import torch

    from pano_inpaint.eval.images import find_panoramas, load_panorama, none_readable
    from pano_inpaint.generators.net.layers import FacePad
    from pano_inpaint.generators.net.model import composite
    from pano_inpaint.generators.net.weights import cached_network
    from pano_inpaint.geometry.cubemap import erp_to_cube
    from pano_inpaint.train.data import random_rotation
    from pano_inpaint.values import ToneMap

    paths, skipped = find_panoramas(dirs), []
    if not paths:
        raise FileNotFoundError(f"no panoramas in {', '.join(map(str, dirs))}")
    models = {name: cached_network(path) for name, path in weights.items()}
    pad = FacePad(1, "cube")
    rng = np.random.default_rng(seed)
    sums = {name: [0.0, 0.0] for name in [*models, "ground truth"]}
    families = ["tripod", "strokes", "cube-edge", "cube-corner"]
    for path in paths:
        try:
            truth = load_panorama(path, max_width=4 * face_size * 2)
        except (OSError, ValueError) as exc:  # a traceback before
            log.warning("left out %s: %s", path, exc)
            skipped.append({"image": path.name, "reason": str(exc)})
            continue
        values = truth.pixels.astype(np.float32)
        values = values / 255 if truth.pixels.dtype == np.uint8 else values
        proxy = ToneMap.for_image(values, hdr=truth.hdr).to_proxy(values)
        for _ in range(cubes_per_image):
            family = families[int(rng.integers(len(families)))]
            hole = MASK_FAMILIES[family](2 * face_size, 4 * face_size, rng)
            rotation = random_rotation(rng)
            faces = erp_to_cube(proxy, face_size, rotation=rotation)
            holes = erp_to_cube(hole.view(np.uint8) * np.uint8(255), face_size,
                                rotation=rotation) > 0
            image = torch.from_numpy(faces).permute(0, 3, 1, 2).float()  # (6, 3, S, S)
            mask = torch.from_numpy(holes[:, None].astype(np.float32))  # (6, 1, S, S)
            inside = pad(mask)
            use = torch.cat([  # edge pixel, its neighbour across the edge, the next one in
                (inside[..., 1, 1:-1] * inside[..., 0, 1:-1] * inside[..., 2, 1:-1]),
                (inside[..., -2, 1:-1] * inside[..., -1, 1:-1] * inside[..., -3, 1:-1]),
                (inside[..., 1:-1, 1] * inside[..., 1:-1, 0] * inside[..., 1:-1, 2]),
                (inside[..., 1:-1, -2] * inside[..., 1:-1, -1] * inside[..., 1:-1, -3]),
            ], dim=-1)  # (6, 1, 4 S)
            if float(use.sum()) < 8:
                continue
            outputs = {"ground truth": image}
            with torch.no_grad():
                for name, model in models.items():
                    outputs[name] = composite(model(image * (1 - mask), mask), image, mask)
            for name, out in outputs.items():
                p = pad(out).mean(dim=1, keepdim=True)  # grey, (6, 1, S+2, S+2)
                jump = torch.cat([(p[..., 1, 1:-1] - p[..., 0, 1:-1]).abs(),
                                  (p[..., -2, 1:-1] - p[..., -1, 1:-1]).abs(),
                                  (p[..., 1:-1, 1] - p[..., 1:-1, 0]).abs(),
                                  (p[..., 1:-1, -2] - p[..., 1:-1, -1]).abs()], dim=-1)
                step = torch.cat([(p[..., 1, 1:-1] - p[..., 2, 1:-1]).abs(),
                                  (p[..., -2, 1:-1] - p[..., -3, 1:-1]).abs(),
                                  (p[..., 1:-1, 1] - p[..., 1:-1, 2]).abs(),
                                  (p[..., 1:-1, -2] - p[..., 1:-1, -3]).abs()], dim=-1)
                sums[name][0] += float((jump * use).sum())
                sums[name][1] += float((step * use).sum())
    if len(skipped) == len(paths):
        raise none_readable(dirs, skipped)
    return {name: (a + 1e-9) / (b + 1e-9) for name, (a, b) in sums.items()}


def evaluate_net(
    dirs: list[str | Path],
    out_dir: str | Path,
    *,
    generators: list[str],
    masks: list[str],
    peers: list[str] | str,
    ablation: str | None = None,
    candidate: str | None = None,
    seed: int = 0,
    max_width: int | None = None,
    images: int | None = None,
    html: bool = True,
    command: str | None = None,
    config: PipelineConfig | None = None,
) -> EvalResults:
    """The harness with the large-nadir family and, given ``ablation`` or ``candidate``
    weights, ``net-zeros`` or ``net-candidate`` added to ``generators`` (see the module
    docstring); arguments as for :func:`pano_inpaint.eval.run_evaluation`."""
    given = {"ablation": ablation, "candidate": candidate}
    extra = {EXTRA_NETS[key]: str(path) for key, path in given.items() if path}
    generators = list(generators) + [n for n in extra if n not in generators]
    with _additions(extra):
        return run_evaluation(
            dirs, out_dir, generators=generators, masks=masks, peers=peers, seed=seed,
            max_width=max_width, images=images, html=html, progress=False, command=command,
            config=config,
        )
