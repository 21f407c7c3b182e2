"""YAML files -> frozen dataclasses: the loader the training configurations share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from pano_inpaint.dataclass_yaml import load_dataclass_yaml


@dataclass(frozen=True)
class _Inner:
    size: int = 3


@dataclass(frozen=True)
class _Outer:
    name: str = "a"
    inner: _Inner = field(default_factory=_Inner)
    size: int | Literal["auto"] = "auto"
    scale: float | None = None


class _Error(ValueError):
    pass


def test_load_dataclass_yaml_reads_the_file_over_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    assert load_dataclass_yaml(_Outer, None) == _Outer()
    path.write_text("")
    assert load_dataclass_yaml(_Outer, path) == _Outer()
    path.write_text("inner: {size: 5}\n")
    assert load_dataclass_yaml(_Outer, str(path)) == _Outer(inner=_Inner(5))


@pytest.mark.parametrize("text, match", [
    ("inner: [1\n", "config.yaml: not valid YAML"),
    ("inner: {sise: 5}\n", "unknown key inner.sise"),
    ("name: 3\n", "name: 3 does not fit str"),
    ("- 1\n", "config must be a mapping"),
    # A union in words ("does not fit Union" before, for cube.face_size=abc).
    ("size: abc\n", "size: 'abc' does not fit int or 'auto'$"),
    ("scale: abc\n", "scale: 'abc' does not fit float or null$"),
])
def test_invalid_yaml_raises_the_callers_error(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(_Error, match=match):
        load_dataclass_yaml(_Outer, path, _Error)


def test_invalid_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_dataclass_yaml(_Outer, tmp_path / "none.yaml")
