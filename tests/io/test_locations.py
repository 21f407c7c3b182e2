"""Inputs and outputs as fsspec URLs: the in-memory filesystem (this process only: the serial
engine) and fsspec's local filesystem (``local://``, seen by every process: the pool)."""

from __future__ import annotations

import importlib.util
import uuid

import fsspec
import numpy as np
import pytest

from pano_inpaint.cli import main
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_USAGE
from pano_inpaint.io import locations as loc
from pano_inpaint.io import write_image
from pano_inpaint.manifest import MANIFEST_NAME
from tests.batch_helpers import image_bytes, write_panoramas


@pytest.fixture
def memory_shoot(tmp_path):
    """Three panoramas, a corrupt one and a 3:1 one in ``memory://<unique>/in``."""
    root = f"/{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    write_panoramas(tmp_path / "src", 3, corrupt=True)
    for path in sorted((tmp_path / "src").iterdir()):
        fs.pipe_file(f"{root}/in/{path.name}", path.read_bytes())
    write_image(tmp_path / "wide.png", np.zeros((32, 96, 3), np.uint8))
    fs.pipe_file(f"{root}/in/wide.png", (tmp_path / "wide.png").read_bytes())
    yield f"memory://{root}", fs, root
    fs.rm(root, recursive=True)


def _fill(source, out, *extra) -> int:
    return main(["inpaint", source, "--nadir", "25", "-g", "telea", "-o", out, "-q", *extra])


def test_memory_urls_in_and_out_with_resume(memory_shoot, tmp_path, capsys):
    url, fs, root = memory_shoot
    assert _fill(f"{url}/in/", f"{url}/out/") == EXIT_BATCH_FAILED
    text = " ".join(capsys.readouterr().err.split())
    assert f"{url}/in/broken.png" in text and "not a 2:1" in text
    assert "/tmp" not in text  # errors name the URLs, not local scratch copies
    names = sorted(p.rsplit("/", 1)[1] for p in fs.ls(f"{root}/out", detail=False))
    assert names == sorted([MANIFEST_NAME, "p00.png", "p01.png", "p02.png"])
    # the same fills as from local paths
    local_out = tmp_path / "local"
    assert _fill(str(tmp_path / "src"), str(local_out), "-j", "1") == EXIT_BATCH_FAILED
    for name, data in image_bytes(local_out).items():
        assert fs.cat_file(f"{root}/out/{name}") == data
    # resumed: the done ones are skipped, the failed ones retried (and fail again)
    assert _fill(f"{url}/in/", f"{url}/out/") == EXIT_BATCH_FAILED
    assert "0 filled, 2 failed, 3 done by an earlier run" in " ".join(
        capsys.readouterr().out.split())


def test_a_batch_of_urls_into_an_image_name_is_a_usage_error(memory_shoot, capsys):
    """A batch into memory://.../clean.png wrote under the prefix clean.png/ (as local paths
    made a folder so named)."""
    url, fs, root = memory_shoot
    assert _fill(f"{url}/in/", f"{url}/clean.png") == EXIT_USAGE
    assert f"give a folder such as {url}/clean/" in " ".join(capsys.readouterr().err.split())
    assert not fs.exists(f"{root}/clean.png")


def test_memory_urls_cannot_reach_worker_processes(memory_shoot, capsys):
    url, _, _ = memory_shoot
    assert _fill(f"{url}/in/", f"{url}/out/", "-j", "2") == EXIT_USAGE
    assert "--jobs 1" in capsys.readouterr().err


def test_one_url_to_one_url(memory_shoot):
    url, fs, root = memory_shoot
    assert _fill(f"{url}/in/p01.png", f"{url}/single.png") == 0
    assert fs.cat_file(f"{root}/single.png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert _fill(f"{url}/in/p01.png", f"{url}/single.png") == 4  # exists: --overwrite
    assert _fill(f"{url}/in/wide.png", f"{url}/wide_out.png") == EXIT_INPUT


def test_fsspec_local_urls_through_the_process_pool(tmp_path):
    source = tmp_path / "in"
    write_panoramas(source, 3)
    by_path, by_url = tmp_path / "by_path", tmp_path / "by_url"
    assert _fill(str(source), str(by_path), "-j", "1") == 0
    assert _fill(f"local://{source}/*.png", f"local://{by_url}/", "-j", "2") == 0
    assert image_bytes(by_url) == image_bytes(by_path)
    assert not list(by_url.glob(".*.tmp"))


def test_file_urls_are_local_paths():
    assert loc.local_path("file:///data/in/a.jpg").as_posix() == "/data/in/a.jpg"
    assert loc.is_remote("local:///data/a.jpg") and loc.is_remote("s3://bucket/a.jpg")


@pytest.mark.skipif(importlib.util.find_spec("s3fs") is not None, reason="s3fs installed")
def test_an_object_store_without_its_package_is_a_usage_error(capsys):
    assert _fill("s3://some-bucket/shoot/", "s3://some-bucket/clean/") == EXIT_USAGE
    assert "s3fs" in capsys.readouterr().err


def test_in_place_on_memory_urls_is_not_filled_twice(memory_shoot):
    url, fs, root = memory_shoot
    fs.rm([f"{root}/in/broken.png", f"{root}/in/wide.png"])
    originals = {name: fs.cat_file(name) for name in fs.ls(f"{root}/in", detail=False)}
    assert main(["inpaint", f"{url}/in/", "--nadir", "25", "-g", "telea", "--in-place",
                 "-q"]) == 0
    filled = {name: fs.cat_file(name) for name in originals}
    assert all(filled[name] != originals[name] for name in originals)
    assert fs.exists(f"{root}/in/{MANIFEST_NAME}")
    assert main(["inpaint", f"{url}/in/", "--nadir", "25", "-g", "telea", "--in-place",
                 "-q"]) == 0
    assert {name: fs.cat_file(name) for name in originals} == filled


@pytest.mark.skipif(importlib.util.find_spec("gcsfs") is not None, reason="gcsfs installed")
def test_an_output_url_without_its_package_is_a_usage_error(tmp_path, capsys):
    write_panoramas(tmp_path / "in", 2)
    assert _fill(str(tmp_path / "in"), "gs://some-bucket/clean/") == EXIT_USAGE
    text = capsys.readouterr().err
    assert "gcsfs" in text and "Traceback" not in text
