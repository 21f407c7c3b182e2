"""The command line's own conversion of plain option values (typer's goes through pydantic)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _parsed(args: list[str]):
    """``inpaint``'s parameters as parsed from ``args``, or the error's message."""
    import typer

    from pano_inpaint import cli

    command = typer.main.get_command(cli.app).commands["inpaint"]
    try:
        return command.make_context("inpaint", list(args)).params
    except Exception as exc:  # a usage error: its message
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("args", [
    ["a.jpg", "shots/", "--nadir", "25", "--zenith", "12.5", "-o", "out/", "-j", "2",
     "--set", "a=1", "--set", "b.c=[2, 3]", "--max-pixels", "1000", "--dilate", "0",
     "--engine", "ray", "--ray-address", "auto", "-g", "ns", "--mask", "m.png",
     "--report", "r.json", "--config", "c.yaml", "-q", "--auto", "--overwrite"],
    ["a.jpg", "--nadir", "-0.5", "--dilate", "-3"],
    ["a.jpg", "--nadir", "1e1", "--dilate", "007", "-j", "+2", "--zenith", " 3"],  # typer's
    ["a.jpg", "--nadir", "abc"],
    ["a.jpg", "--dilate", "2.5"],
    ["a.jpg", "--dilate", "9" * 18, "-j", "9" * 4301],  # past int()'s digit limit: typer's
])
def test_plain_values_are_converted_as_typer_converts_them(monkeypatch, args):
    from typer import core

    from pano_inpaint import cli

    typer_build = getattr(core.build_runtime_param, "typer_build", core.build_runtime_param)
    monkeypatch.setattr(core, "build_runtime_param", typer_build)
    expected = _parsed(args)
    cli._convert_plain_values()
    assert core.build_runtime_param is not typer_build
    got = _parsed(args)
    assert got == expected
    if isinstance(got, dict):
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in expected.items()}


def test_an_inpaint_reaches_its_own_code_without_importing_pydantic(tmp_path):
    """Parsing ``inpaint``'s options (none of them a path given) leaves pydantic unimported."""
    code = ("import sys\nfrom pano_inpaint.cli import main\n"
            f"main(['inpaint', {str(tmp_path / 'none.jpg')!r}, '--nadir', '25', '-j', '1', "
            f"'-o', {str(tmp_path / 'out.jpg')!r}])\nprint('pydantic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr


def _every_commands_options() -> list[tuple[str, list[str]]]:
    """Each command with its required parameters given, then once per option with "3" (a
    plain int, float, string or list item) or, for a flag, set."""
    import typer

    from pano_inpaint import cli

    cases = []
    for name, command in typer.main.get_command(cli.app).commands.items():
        base = []
        for param in command.params:
            if param.required:
                base += (["a.jpg"] if param.param_type_name == "argument"
                         else [param.opts[0], "a.jpg"])
        cases.append((name, base))
        for param in command.params:
            if param.param_type_name == "option":
                cases.append((name, base + [param.opts[0]] + ([] if param.is_flag else ["3"])))
    return cases


def test_every_commands_options_and_defaults_are_converted_as_typer_converts_them(monkeypatch):
    import typer
    from typer import core

    from pano_inpaint import cli

    def parsed(name, args):
        command = typer.main.get_command(cli.app).commands[name]
        try:
            params = command.make_context(name, list(args)).params
        except Exception as exc:  # a usage error: its message
            return f"{type(exc).__name__}: {exc}"
        return params, {k: type(v) for k, v in params.items()}

    typer_build = getattr(core.build_runtime_param, "typer_build", core.build_runtime_param)
    monkeypatch.setattr(core, "build_runtime_param", typer_build)
    cases = _every_commands_options()
    assert len({name for name, _ in cases}) > 10
    expected = [parsed(name, args) for name, args in cases]
    cli._convert_plain_values()
    assert [parsed(name, args) for name, args in cases] == expected


def test_a_typer_without_the_runtime_layer_is_left_as_it_is(monkeypatch):
    """A typer whose ``core`` has no ``build_runtime_param`` (renamed in a later version): the
    patch is skipped rather than failing every command."""
    from typer import core

    monkeypatch.delattr(core, "build_runtime_param")
    from pano_inpaint import cli

    cli._convert_plain_values()
    assert not hasattr(core, "build_runtime_param")


def test_another_typer_series_is_left_as_it_is(monkeypatch):
    """The patch reaches into typer's internals: a typer of another series (whose internals
    may have changed) converts everything itself."""
    import typer
    from typer import core

    typer_build = getattr(core.build_runtime_param, "typer_build", core.build_runtime_param)
    monkeypatch.setattr(core, "build_runtime_param", typer_build)
    monkeypatch.setattr(typer, "__version__", "0.30.0")
    from pano_inpaint import cli

    cli._convert_plain_values()
    assert core.build_runtime_param is typer_build
