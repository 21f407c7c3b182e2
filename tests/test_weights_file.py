"""Weights files: the loader both networks (the ``net`` generator, the rig detector) go through."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.weights_file import (  # noqa: E402
    WeightsError,
    load_network,
    write_weights_file,
)

FORMAT = "test-linear/1"


def _build(config: dict) -> torch.nn.Linear:
    return torch.nn.Linear(config["inputs"], config["outputs"])


def test_load_network_builds_loads_and_checks_the_shipped_digest(tmp_path: Path) -> None:
    model = _build({"inputs": 2, "outputs": 3})
    shipped = tmp_path / "shipped.pt"
    sha = write_weights_file(shipped, FORMAT, {"inputs": 2, "outputs": 3}, model, {"steps": 7})
    loaded, meta = load_network(None, FORMAT, _build, shipped=shipped, shipped_sha256=sha)
    assert meta == {"steps": 7} and not loaded.training
    torch.testing.assert_close(loaded.weight, model.weight.detach().half().float())
    with pytest.raises(WeightsError, match="does not match"):
        load_network(None, FORMAT, _build, shipped=shipped, shipped_sha256="0" * 64)
    # Another file is checked only against a digest given for it.
    other = tmp_path / "other.pt"
    shutil.copy(shipped, other)
    assert load_network(other, FORMAT, _build, shipped=shipped, shipped_sha256="0" * 64)[1]
    with pytest.raises(WeightsError, match="does not match"):
        load_network(other, FORMAT, _build, shipped=shipped, shipped_sha256=sha, sha256="0" * 64)


def test_invalid_weights_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "net.pt"
    write_weights_file(path, FORMAT, {"inputs": 2, "outputs": 3}, _build({"inputs": 2,
                                                                          "outputs": 3}))
    with pytest.raises(WeightsError, match="is not a other/1 weights file"):
        load_network(path, "other/1", _build, shipped=tmp_path / "x.pt", shipped_sha256="")
    with pytest.raises(WeightsError, match="not found"):
        load_network(tmp_path / "none.pt", FORMAT, _build, shipped=path, shipped_sha256="")


@pytest.mark.parametrize(("config", "words"), [
    ({"channels": 8, "wings": 2}, "unknown NetConfig keys ['wings']"),
    ({"channels": "8"}, "channels: '8' does not fit int"),
])
def test_a_stored_config_the_network_refuses_is_a_weights_error(tmp_path, config, words):
    """A weights file whose config this version refuses (a newer version's key, a value of the
    wrong type) was a ValueError: a traceback in eval-net --candidate, and inpaint blamed the
    image ('error: pano.png: unknown NetConfig keys')."""
    from pano_inpaint.generators.net.weights import WEIGHTS_FORMAT, load_weights

    path = tmp_path / "net.pt"
    write_weights_file(path, WEIGHTS_FORMAT, config, _build({"inputs": 2, "outputs": 3}))
    with pytest.raises(WeightsError) as info:
        load_weights(path)
    assert str(info.value).startswith(f"net.pt: its config: {words}")
