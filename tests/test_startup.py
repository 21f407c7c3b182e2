"""Start-up cost: what importing the package and the command line loads.

These run a fresh interpreter (``subprocess``): which modules an import pulls in can only be
seen from a clean ``sys.modules``.
"""

import subprocess
import sys

import pytest

_HEAVY = ("numpy", "cv2", "numba", "scipy", "torch")


def _loaded_after(statement: str) -> set[str]:
    code = (f"import sys\n{statement}\n"
            f"print('loaded:', *(m for m in {_HEAVY!r} if m in sys.modules), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(run.stderr.splitlines()[-1].split()[1:])


@pytest.mark.parametrize("statement", [
    "import pano_inpaint",
    "import pano_inpaint.cli",
    "import pano_inpaint.batch",  # catches WeightsError, which must not bring torch
    "from pano_inpaint.cli import main; main(['--help'])",
    "from pano_inpaint.cli import main; main(['inpaint', '--help'])",
])
def test_import_and_help_load_no_heavy_library(statement):
    assert _loaded_after(statement) == set()


def test_a_decompression_bomb_is_refused_before_numpy_and_opencv_load(tmp_path):
    from tests.bombs import write_bomb

    bomb = write_bomb(tmp_path, ".png")
    args = ["inpaint", str(bomb), "--nadir", "25", "-o", str(tmp_path / "out.png")]
    statement = ("from pano_inpaint.cli import main\n"
                 f"assert main({args!r}) == 3  # EXIT_INPUT")
    assert _loaded_after(statement) == set()
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(("command", "config"), [("train", "smoke.yaml"),
                                               ("train-mask", "mask_smoke.yaml")])
@pytest.mark.parametrize("mistake", ["config", "data", "out"])
def test_training_checks_its_config_and_folders_before_torch_loads(tmp_path, command, config,
                                                                   mistake):
    """train and train-mask imported torch (about 1 s) before reading the config and looking
    at --data and --out, so a typo took that long to be told; a file in the way of --out was
    found later still, after torch had loaded."""
    from pathlib import Path

    configs = Path(__file__).resolve().parents[1] / "configs" / "train"
    (tmp_path / "data").mkdir()
    (tmp_path / "file").write_text("in the way of --out")
    given = {"config": configs / "nope.yaml", "data": tmp_path / "nope",
             "out": tmp_path / "file" / "run"}
    args = [command, "-c", str(given["config"] if mistake == "config" else configs / config),
            "--data", str(given["data"] if mistake == "data" else tmp_path / "data"),
            "--out", str(given["out"] if mistake == "out" else tmp_path / "run")]
    code = {"config": 2, "data": 3, "out": 4}[mistake]  # EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT
    statement = f"from pano_inpaint.cli import main\nassert main({args!r}) == {code}"
    assert "torch" not in _loaded_after(statement)


def test_generator_registry_does_not_load_numba_until_patchmatch_is_built():
    statement = "from pano_inpaint.generators import list_generators; list_generators()"
    assert "numba" not in _loaded_after(statement)
    assert "numba" in _loaded_after(
        "from pano_inpaint.generators import get_generator; get_generator('patchmatch')")


def test_public_names_resolve_lazily():
    import pano_inpaint

    for name in pano_inpaint.__all__:
        assert getattr(pano_inpaint, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pano_inpaint.nope  # noqa: B018


def test_every_lazy_name_is_exported():
    import pano_inpaint

    assert set(pano_inpaint.__all__) == {"__version__", *pano_inpaint._HOMES}


def test_command_annotations_are_objects_not_strings():
    """typer reads every command's annotations to build the command line (``--help`` too);
    strings (``from __future__ import annotations``) would each be evaluated on every start."""
    from pano_inpaint.cli import app

    for command in app.registered_commands:
        annotations = command.callback.__annotations__
        assert annotations and not any(isinstance(a, str) for a in annotations.values()), (
            command.name)


def test_the_command_lines_pixel_limit_is_the_packages():
    from pano_inpaint import cli
    from pano_inpaint.io.headers import DEFAULT_MAX_PIXELS

    assert cli._DEFAULT_MAX_PIXELS == DEFAULT_MAX_PIXELS


def test_building_patchmatch_loads_no_sparse_solver():
    """The finish's stitch is solved by a compiled kernel: scipy.sparse is not on the fill's
    import path (numba still loads scipy.linalg for its BLAS when it first compiles)."""
    code = ("import sys\nfrom pano_inpaint.generators import get_generator\n"
            "get_generator('patchmatch')\n"
            "import pano_inpaint.generators.patchmatch._finish\n"
            "print('sparse' if 'scipy.sparse' in sys.modules else 'none', file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr.splitlines()[-1] == "none"
