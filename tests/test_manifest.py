"""The manifest: one JSON line per input, appended whole, read back past a torn last line,
one batch per output folder."""

from __future__ import annotations

import fsspec
import pytest

from pano_inpaint.manifest import MANIFEST_NAME, Manifest, ManifestError, Record


def _record(name: str, status: str = "done") -> Record:
    return Record(name, status, f"out/{name}", "settings", seconds=1.5, flags=["wrap"])


def test_records_round_trip_and_the_latest_wins(tmp_path):
    with Manifest(str(tmp_path)) as manifest:
        manifest.append([_record("a.jpg", "running"), _record("b.jpg", "running")])
        manifest.append([_record("a.jpg")])
    lines = (tmp_path / MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == 3  # a journal while it runs
    records = Manifest(str(tmp_path)).load()
    assert records["a.jpg"].status == "done" and records["a.jpg"].flags == ["wrap"]
    assert records["b.jpg"].status == "running"
    with Manifest(str(tmp_path)) as manifest:
        manifest.load()
        manifest.rewrite()
    assert len((tmp_path / MANIFEST_NAME).read_text().splitlines()) == 2  # one per input


def test_a_torn_last_line_is_ignored_a_broken_middle_is_not(tmp_path):
    path = tmp_path / MANIFEST_NAME
    good = _record("a.jpg").to_json()
    path.write_text(good + "\n" + '{"input": "b.jpg", "sta')
    assert list(Manifest(str(tmp_path)).load()) == ["a.jpg"]
    path.write_text('{"input": "b.jpg", "sta\n' + good + "\n")
    with pytest.raises(ManifestError, match="line 1"):
        Manifest(str(tmp_path)).load()
    path.write_text('{"some": "other tool"}\n')
    with pytest.raises(ManifestError, match="not a pano-inpaint manifest"):
        Manifest(str(tmp_path)).load()
    path.write_bytes(b"\x00\xff binary")  # said only "'utf-8' codec can't decode byte 0xff"
    with pytest.raises(ManifestError, match="not a pano-inpaint manifest.*move the file away"):
        Manifest(str(tmp_path)).load()


def test_one_batch_per_output_folder(tmp_path):
    with Manifest(str(tmp_path)):
        with pytest.raises(ManifestError, match="another pano-inpaint batch"):
            Manifest(str(tmp_path)).__enter__()
    with Manifest(str(tmp_path)):  # released at the end of a run
        pass


def test_on_object_storage_it_is_rewritten_whole(tmp_path):
    folder = "memory://manifest-test/out"
    fs = fsspec.filesystem("memory")
    with Manifest(folder) as manifest:
        manifest.append([_record("a.jpg", "running")])
        manifest.append([_record("a.jpg"), _record("b.jpg", "failed")])
    text = fs.cat_file(f"/manifest-test/out/{MANIFEST_NAME}").decode()
    assert len(text.splitlines()) == 2
    records = Manifest(folder).load()
    assert records["a.jpg"].status == "done" and records["b.jpg"].status == "failed"
    fs.rm("/manifest-test", recursive=True)
