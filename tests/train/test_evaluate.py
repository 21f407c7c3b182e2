"""eval-net (:mod:`pano_inpaint.train.evaluate`): the weights it is given are read once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.cli import main  # noqa: E402
from pano_inpaint.generators.net.config import NetConfig  # noqa: E402
from pano_inpaint.generators.net.model import CubeInpaintNet  # noqa: E402
from pano_inpaint.generators.net.weights import save_weights  # noqa: E402
from pano_inpaint.io import write_image  # noqa: E402
from tests.synthetic import sphere_function_erp  # noqa: E402


@pytest.mark.parametrize("seams", [False, True], ids=["scored", "network-seams"])
def test_eval_net_reads_each_weights_file_once(tmp_path, capsys, monkeypatch, seams):
    """--ablation and --candidate were loaded to check them before any work, then loaded again
    by the run (net-zeros / net-candidate, or --network-seams): each file read and
    deserialised twice. The run takes the networks the check loaded."""
    from pano_inpaint import weights_file
    from pano_inpaint.generators.net import weights as net_weights

    monkeypatch.setattr(net_weights, "_MODELS", {})  # nothing loaded by an earlier test
    tiny = CubeInpaintNet(NetConfig(channels=4, downsamplings=2, max_channels=8, blocks=1))
    for name in ("zeros.pt", "candidate.pt"):
        save_weights(tmp_path / name, tiny)
    shots = tmp_path / "shots"
    shots.mkdir()
    write_image(shots / "pano.png", sphere_function_erp(32, dtype=np.uint8))
    reads: list[str] = []
    read = weights_file.read_weights_file

    def counted(path, *args, **kwargs):
        reads.append(Path(path).name)
        return read(path, *args, **kwargs)

    monkeypatch.setattr(weights_file, "read_weights_file", counted)
    code = main(["eval-net", str(shots), "--out", str(tmp_path / "out"),
                 "--ablation", str(tmp_path / "zeros.pt"),
                 "--candidate", str(tmp_path / "candidate.pt"), "--generators", "telea",
                 "--peers", "none", "--masks", "nadir", "--no-html",
                 *(["--network-seams"] if seams else [])])
    text = capsys.readouterr().out
    assert code == 0
    assert reads.count("zeros.pt") == 1 and reads.count("candidate.pt") == 1
    if seams:
        assert "net-zeros: seam ratio" in text and "net-candidate: seam ratio" in text
    else:
        rows = (tmp_path / "out" / "results.json").read_text()
        assert '"net-zeros"' in rows and '"net-candidate"' in rows
