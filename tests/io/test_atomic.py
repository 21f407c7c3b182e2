"""Atomic writes: unique temporary names, stale ones removed, modes and links kept."""

import os
import pickle
import stat
from pathlib import Path

import pytest

from pano_inpaint.io.atomic import (
    UnsearchableFolderError,
    all_or_nothing,
    atomic_write,
    make_folder,
    remove_stale_temporaries,
    target_kind,
    temporary_name,
)


def test_temporary_names_are_unique_per_write_and_name_their_process(tmp_path):
    target = tmp_path / "net.pt"
    names = {temporary_name(target) for _ in range(50)}
    assert len(names) == 50
    assert all(n.name.startswith(f".net.pt.{os.getpid()}-") for n in names)


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def failing(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("encoder died")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing)
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_replacing_keeps_mode_and_symbolic_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write(link, lambda tmp: tmp.write_text("new"))
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_only_temporaries_of_dead_processes_or_old_ones_are_removed(tmp_path):
    target = tmp_path / "a.png"
    dead = tmp_path / ".a.png.999999999-0badc0de.tmp"
    alive = tmp_path / f".a.png.{os.getpid()}-0badc0de.tmp"
    fresh_unknown = tmp_path / ".a.png.0badc0de.tmp"
    other = tmp_path / ".b.png.999999999-0badc0de.tmp"
    for path in (dead, alive, fresh_unknown, other):
        path.write_text("x")
    assert remove_stale_temporaries(target) == [dead]
    os.utime(fresh_unknown, (0, 0))
    assert remove_stale_temporaries(target) == [fresh_unknown]
    assert alive.exists() and other.exists()


def test_weights_are_written_through_a_unique_temporary(tmp_path):
    """save_weights used the fixed name net.pt.tmp: a concurrent save (or a file of that name)
    was overwritten and renamed away."""
    torch = pytest.importorskip("torch")
    from pano_inpaint.generators.net.config import NetConfig
    from pano_inpaint.generators.net.model import CubeInpaintNet
    from pano_inpaint.generators.net.weights import load_weights, save_weights

    other = tmp_path / "net.pt.tmp"
    other.write_text("someone else's")
    save_weights(tmp_path / "net.pt", CubeInpaintNet(NetConfig()))
    assert other.read_text() == "someone else's"
    model, _ = load_weights(tmp_path / "net.pt")
    assert isinstance(model, torch.nn.Module)


@pytest.mark.parametrize("depth", [0, 1])
def test_a_file_where_a_folder_should_be_is_named(tmp_path, depth):
    """``mkdir`` says ``File exists``, which read as if the output existed; the message names
    the file in the way."""
    (tmp_path / "day1").write_text("a file")
    folder = tmp_path / "day1" / ("sub" if depth else "")
    with pytest.raises(NotADirectoryError) as info:
        make_folder(folder)
    assert info.value.strerror == f"{tmp_path / 'day1'} is a file, not a folder"
    make_folder(tmp_path / "new" / "deeper")
    make_folder(tmp_path / "new" / "deeper")  # exists already: fine
    assert (tmp_path / "new" / "deeper").is_dir()


def test_target_kind_says_what_stands_where_a_file_goes(tmp_path):
    """A folder, a file (or anything else), nothing; a file in the way of a parent is
    nothing there too, as ``Path.exists`` says."""
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "link").symlink_to(tmp_path)
    assert [target_kind(tmp_path / name) for name in ("link", "a.png", "b.png", "a.png/x")] == [
        "folder", "file", None, None]


def test_a_target_below_a_folder_that_cannot_be_searched_is_one_error(tmp_path,
                                                                       permissions_enforced):
    """The one look at a target that a folder above without search permission stops: one
    error, one line (the CLI, the batch report and the image writer print it), picklable."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(UnsearchableFolderError) as info:
            target_kind(locked / "sub" / "x.png")
    finally:
        locked.chmod(0o700)
    assert isinstance(info.value, PermissionError)
    assert str(info.value) == (f"cannot write {locked / 'sub' / 'x.png'}: Permission denied (a "
                               "folder above it cannot be searched); check its permissions")
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)


def test_all_or_nothing_places_every_file_or_none(tmp_path):
    """A failing block leaves no file and no folder it made, and the files it would have
    replaced as they were; an inner block's files are readable at its end and go with a
    failing outer block."""
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    folder = tmp_path / "made" / "deeper"

    def text(value: str):
        return lambda tmp: tmp.write_text(value)

    with pytest.raises(OSError, match="full"), all_or_nothing():
        make_folder(folder)
        with all_or_nothing():
            atomic_write(folder / "inner.txt", text("inner"))
        assert (folder / "inner.txt").read_text() == "inner"
        atomic_write(kept, text("new"))
        atomic_write(folder / "b.txt", text("b"))
        assert not (folder / "b.txt").exists()  # only at the end of the block
        raise OSError("disk full")
    assert kept.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]

    with all_or_nothing():
        atomic_write(kept, text("new"))
        atomic_write(tmp_path / "b.txt", text("b"))
    assert kept.read_text() == "new" and (tmp_path / "b.txt").read_text() == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt", "kept.txt"]
