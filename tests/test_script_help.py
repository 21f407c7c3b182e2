"""Every script in scripts/ and benchmarks/ says in --help what it does, in whole sentences."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.scripts_helpers import ROOT

_SCRIPTS = sorted(path for folder in ("scripts", "benchmarks")
                  for path in (ROOT / folder).glob("*.py") if not path.name.startswith("_"))


@pytest.mark.parametrize("path", _SCRIPTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_help_gives_the_docstring_first_paragraph_whole(path, capsys, monkeypatch):
    """train_net_budget.py --help (and six benchmarks') cut its description at the end of the
    docstring's first line, mid-sentence ('collect everything in one')."""
    spec = importlib.util.spec_from_file_location(f"_help_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", [path.name, "--help"])
    with pytest.raises(SystemExit) as stopped:
        module.main()
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    first = " ".join(module.__doc__.split("\n\n")[0].split())
    assert first in text and first.endswith((".", ")"))
