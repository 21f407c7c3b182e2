"""The command line, run in-process on tmp_path."""

import json

import numpy as np
import pytest

from pano_inpaint.cli import main
from pano_inpaint.exit_codes import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE
from pano_inpaint.io import read_image, write_image
from pano_inpaint.masks import nadir_mask
from tests.synthetic import sphere_function_erp


@pytest.fixture
def pano(tmp_path):
    path = tmp_path / "pano.png"
    write_image(path, sphere_function_erp(64, dtype=np.uint8))
    return path


def _mask_file(tmp_path, height=64, degrees=20, name="mask.png"):
    path = tmp_path / name
    write_image(path, nadir_mask(height, 2 * height, degrees).astype(np.uint8) * 255)
    return path


def test_inpaint_one_file_with_a_mask_and_report(tmp_path, pano):
    out = tmp_path / "out" / "clean.png"
    report = tmp_path / "report.json"
    code = main(["inpaint", str(pano), "--mask", str(_mask_file(tmp_path)), "-o", str(out),
                 "--report", str(report), "-q"])
    assert code == 0
    result = read_image(out).pixels
    original = read_image(pano).pixels
    mask = nadir_mask(64, 128, 20)
    assert np.array_equal(result[~mask], original[~mask])
    data = json.loads(report.read_text())
    assert data["consistency"]["checks"]["wrap"]["value"] is not None


def test_inpaint_nadir_cap_and_generator_choice(tmp_path, pano):
    out = tmp_path / "clean.tif"
    assert main(["inpaint", str(pano), "--nadir", "25", "-g", "ns", "-o", str(out), "-q"]) == 0
    assert read_image(out).pixels.dtype == np.uint8


def test_batch_keeps_going_and_fails_at_the_end(tmp_path, pano):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        write_image(folder / f"p{i}.png", sphere_function_erp(64, dtype=np.uint8))
    (folder / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    code = main(["inpaint", str(folder), "--nadir", "20", "-o", str(out), "-q"])
    assert code == EXIT_BATCH_FAILED
    assert sorted(p.name for p in out.glob("*.png")) == ["p0.png", "p1.png"]


def test_glob_input(tmp_path, pano):
    out = tmp_path / "globbed"
    assert main(["inpaint", str(tmp_path / "*.png"), "--nadir", "20", "-o", str(out), "-q"]) == 0
    assert (out / "pano.png").exists()


def test_a_file_url_output_is_its_path(tmp_path, pano, monkeypatch):
    # The README: "file:// URLs are plain paths". As -o they were taken as a relative path
    # named 'file:/...' under the working folder (the batch's manifest went to the real one).
    monkeypatch.chdir(tmp_path)
    one, folder = tmp_path / "one.png", tmp_path / "batch"
    assert main(["inpaint", str(pano), "--nadir", "20", "-g", "telea", "-o",
                 one.as_uri(), "-q"]) == 0
    other = tmp_path / "other.png"
    other.write_bytes(pano.read_bytes())
    assert main(["inpaint", str(pano), str(other), "--nadir", "20", "-g", "telea", "-j", "1",
                 "-o", folder.as_uri() + "/", "-q"]) == 0
    assert one.is_file() and (folder / "pano.png").is_file() and (folder / "other.png").is_file()
    assert not (tmp_path / "file:").exists()


def test_output_exists_and_input_protection(tmp_path, pano):
    out = tmp_path / "o.png"
    assert main(["inpaint", str(pano), "--nadir", "20", "-o", str(out), "-q"]) == 0
    before = out.read_bytes()
    assert main(["inpaint", str(pano), "--nadir", "30", "-o", str(out), "-q"]) == EXIT_OUTPUT
    assert out.read_bytes() == before
    assert main(["inpaint", str(pano), "--nadir", "30", "-o", str(out), "-q",
                 "--overwrite"]) == 0
    original = pano.read_bytes()
    assert main(["inpaint", str(pano), "--nadir", "20", "-o", str(pano), "-q"]) == EXIT_OUTPUT
    assert pano.read_bytes() == original
    assert main(["inpaint", str(pano), "--nadir", "20", "--in-place", "-q"]) == 0
    assert pano.read_bytes() != original


def test_bad_inputs_have_clear_exit_codes(tmp_path, pano, capsys):
    wide = tmp_path / "wide.png"
    write_image(wide, np.zeros((64, 100, 3), np.uint8))
    assert main(["inpaint", str(wide), "--nadir", "20", "-o", str(tmp_path / "x.png")]) == (
        EXIT_INPUT)
    assert "2:1" in capsys.readouterr().err
    small_mask = _mask_file(tmp_path, height=32, name="small.png")
    assert main(["inpaint", str(pano), "--mask", str(small_mask), "-o",
                 str(tmp_path / "y.png")]) == EXIT_INPUT
    assert "--resize-mask" in capsys.readouterr().err
    assert main(["inpaint", str(pano), "--mask", str(small_mask), "--resize-mask", "-q", "-o",
                 str(tmp_path / "y.png")]) == 0
    full = tmp_path / "full.png"
    write_image(full, np.full((64, 128), 255, np.uint8))
    assert main(["inpaint", str(pano), "--mask", str(full), "-o",
                 str(tmp_path / "z.png")]) == EXIT_INPUT
    assert "covers" in capsys.readouterr().err
    assert main(["inpaint", str(tmp_path / "missing.png"), "--nadir", "5", "-o",
                 str(tmp_path / "m.png")]) == EXIT_INPUT
    assert main(["inpaint", str(pano), "-o", str(tmp_path / "n.png")]) == EXIT_USAGE
    assert main(["inpaint", str(pano), "--nadir", "5", "-g", "nope", "-o",
                 str(tmp_path / "n.png")]) != 0


def test_empty_mask_copies_through(tmp_path, pano):
    empty = tmp_path / "empty.png"
    write_image(empty, np.zeros((64, 128), np.uint8))
    out = tmp_path / "same.png"
    assert main(["inpaint", str(pano), "--mask", str(empty), "-o", str(out), "-q"]) == 0
    assert np.array_equal(read_image(out).pixels, read_image(pano).pixels)


def test_check_prints_a_table_or_json(pano, capsys):
    assert main(["check", str(pano), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["checks"]) >= {"wrap", "pole_top", "pole_bottom", "seams"}
    assert main(["check", str(pano)]) == 0
    assert "wrap" in capsys.readouterr().out


def test_check_takes_a_mask_of_another_size_with_resize_mask(tmp_path, pano, capsys):
    """A mask of another size is refused with "pass --resize-mask", which check did not have
    (exit 2, "No such option")."""
    half = tmp_path / "half.png"
    write_image(half, (nadir_mask(32, 64, 30) * 255).astype(np.uint8))
    assert main(["check", str(pano), "--mask", str(half)]) == EXIT_INPUT
    assert "--resize-mask" in capsys.readouterr().err
    assert main(["check", str(pano), "--mask", str(half), "--resize-mask", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hole_fraction"] > 0


@pytest.mark.parametrize("layout", ["faces", "dice", "horizon", "vertical"])
def test_cubemap_and_back(tmp_path, pano, layout):
    folder = tmp_path / "cube"
    assert main(["cubemap", str(pano), "-o", str(folder), "--layout", layout]) == 0
    back = tmp_path / "back.png"
    # the folder cubemap wrote into, a layout image alone in it too: it was 'holds no cubemap'
    assert main(["equirect", str(folder), "-o", str(back)]) == 0
    a = read_image(back).pixels.astype(float)
    b = read_image(pano).pixels.astype(float)
    assert a.shape == b.shape and np.abs(a - b).mean() < 2
    if layout != "faces":
        assert main(["equirect", str(next(folder.iterdir())), "-o", str(back),
                     "--overwrite"]) == 0


@pytest.mark.parametrize(("name", "scale", "layout", "suffix"), [
    ("sky.exr", 4, "faces", ".exr"), ("sky.hdr", 4, "dice", ".hdr"),
    ("sky.tif", 4, "faces", ".tif"), ("sky.tif", 1, "faces", ".tif"),  # display-referred float
    ("sky.png", None, "faces", ".png"),
])
def test_cubemap_faces_keep_the_input_range(tmp_path, name, scale, layout, suffix):
    """Without --format, an HDR panorama's cubemap was refused (PNG cannot hold values above
    1, exit 4); the faces now take a float format, the input's own, and equirect brings the
    HDR values back. An 8/16-bit panorama still gives PNG faces."""
    pixels = (sphere_function_erp(64, dtype=np.uint16) if scale is None
              else sphere_function_erp(64) * np.float32(scale))
    source = write_image(tmp_path / name, pixels)
    folder = tmp_path / "cube"
    assert main(["cubemap", str(source), "-o", str(folder), "--layout", layout]) == 0
    made = sorted(folder.iterdir())
    assert {p.suffix for p in made} == {suffix} and len(made) == (6 if layout == "faces" else 1)
    face = read_image(made[0]).pixels
    assert face.dtype == pixels.dtype
    back = tmp_path / f"back{suffix}"
    assert main(["equirect", str(folder if layout == "faces" else made[0]), "-o",
                 str(back)]) == 0
    restored = read_image(back).pixels
    assert restored.dtype == pixels.dtype and restored.max() > 0.8 * pixels.max()
    # a format that cannot hold the faces is still refused when asked for
    assert main(["cubemap", str(source), "-o", str(tmp_path / "jpg"), "--format", "jpg"]) == (
        EXIT_OUTPUT if scale == 4 else 0)


def test_a_half_float_exr_stays_half(tmp_path):
    """inpaint, cubemap and equirect wrote a HALF OpenEXR (the usual HDRI) back as FLOAT:
    twice the bytes for the same values. Now half again, the pixels outside the hole the same
    bits."""
    import OpenEXR

    pixels = (sphere_function_erp(64) * np.float32(4)).astype(np.float16)  # (64, 128, 3)
    source = tmp_path / "sky.exr"
    OpenEXR.File({}, {c: np.ascontiguousarray(pixels[..., i])
                      for i, c in enumerate("RGB")}).write(str(source))
    out = tmp_path / "clean.exr"
    assert main(["inpaint", str(source), "--nadir", "20", "-g", "telea", "-o", str(out),
                 "-q"]) == 0
    channels = OpenEXR.File(str(out)).channels()
    assert {c.pixels.dtype for c in channels.values()} == {np.dtype(np.float16)}
    hole = nadir_mask(64, 128, 20)
    result = read_image(out).pixels
    assert np.array_equal(result[~hole], pixels.astype(np.float32)[~hole])
    assert main(["cubemap", str(source), "-o", str(tmp_path / "cube")]) == 0
    face = OpenEXR.File(str(tmp_path / "cube" / "front.exr")).channels()
    assert {c.pixels.dtype for c in face.values()} == {np.dtype(np.float16)}
    assert main(["equirect", str(tmp_path / "cube"), "-o", str(tmp_path / "back.exr")]) == 0
    back = OpenEXR.File(str(tmp_path / "back.exr")).channels()
    assert {c.pixels.dtype for c in back.values()} == {np.dtype(np.float16)}


def test_cube_faces_are_not_turned_by_the_panoramas_exif_orientation(tmp_path):
    """A panorama tagged orientation 6 (used as stored) gave faces tagged 6 too: a browser
    showed every face of the skybox turned by 90 degrees. The faces say 1, and keep the rest."""
    import piexif

    from pano_inpaint.io import ImageMetadata

    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"PanoCam",
                                piexif.ImageIFD.Orientation: 6}})
    source = write_image(tmp_path / "pano.jpg", sphere_function_erp(64, dtype=np.uint8),
                         ImageMetadata(exif=exif))
    assert main(["cubemap", str(source), "-o", str(tmp_path / "cube")]) == 0
    face = read_image(tmp_path / "cube" / "front.png").metadata
    assert face.orientation == 1
    assert piexif.load(face.exif)["0th"][piexif.ImageIFD.Make] == b"PanoCam"


def test_cubemap_engine_names(tmp_path, pano):
    folder = tmp_path / "sky"
    assert main(["cubemap", str(pano), "-o", str(folder), "--names", "engine"]) == 0
    assert sorted(p.stem for p in folder.iterdir()) == ["nx", "ny", "nz", "px", "py", "pz"]


def test_demo_generators_and_dump_config(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path / "demo"), "--height", "64"]) == 0
    assert (tmp_path / "demo" / "after.png").exists()
    capsys.readouterr()
    assert main(["generators"]) == 0
    assert "telea" in capsys.readouterr().out
    assert main(["dump-config", "--set", "generator.name=ns"]) == 0
    assert "name: ns" in capsys.readouterr().out


def test_every_command_has_an_example(capsys):
    from pano_inpaint.cli import app

    commands = [c.name for c in app.registered_commands]
    assert {"inpaint", "eval", "eval-net", "train", "bench", "demo"} <= set(commands)
    for command in commands:
        assert main([command, "--help"]) == 0
        assert "Example" in capsys.readouterr().out, command
    # the evaluation and training commands are typer commands listing their own options
    for command, options in [("eval", ["--generators", "--smeared-nadir", "--set"]),
                             ("eval-net", ["--ablation", "--network-seams"]),
                             ("train", ["--data", "--max-steps", "--restart"])]:
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert all(option in out for option in options), command


def test_help_at_80_columns_breaks_no_sentence_or_example(monkeypatch, capsys):
    """At 80 columns the helps broke lines where the docstrings did ("run the same" / "command
    again", "2: bad" / "argument;"), cut examples in two (the rest at column 1, as if a command
    of its own) and lost the examples' indent where "Example:" came first. Now every paragraph
    wraps at the panel's edge, and an example line ends at its own end or with a backslash."""
    from pano_inpaint.cli import app

    monkeypatch.setenv("COLUMNS", "80")
    for command in [c.name for c in app.registered_commands]:
        assert main([command, "--help"]) == 0
        lines = capsys.readouterr().out.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip() == "Example:")
        examples = lines[start + 1:next(i for i, line in enumerate(lines) if "╭" in line)]
        for line, after in zip(examples, examples[1:], strict=False):
            if line.startswith("     pano-inpaint"):
                assert not after.strip() or line.rstrip().endswith("\\"), (command, line)
            else:
                assert not line.strip() or line.startswith("         "), (command, line)
        top = lines[:start]
        for line, after in zip(top, top[1:], strict=False):  # a short line before more text
            if line.strip() and after.strip() and not after.startswith(" Usage"):
                assert len(line.rstrip()) > 60, (command, line)


@pytest.mark.parametrize("command", ["eval", "eval-net", "eval-mask", "train", "train-mask"])
def test_evaluation_and_training_help_gives_the_exit_codes(capsys, command):
    """eval-net's and eval-mask's help had none, unlike eval's and train's."""
    assert main([command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert all(f"{code}:" in out for code in ("Exit code 0", "1", "2", "3", "4")), command


def test_eval_help_lists_every_mask_family(monkeypatch, capsys):
    # The help text spells the families out (the CLI does not import the masks to start up
    # fast): a family added to the registry must be added there too.
    from pano_inpaint.masks.families import list_families

    monkeypatch.setenv("COLUMNS", "300")
    assert main(["eval", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    listed = out.split("Mask families (default: all:")[1].split(")")[0]
    assert [name.strip(" .") for name in listed.split(",")] == list_families()


def test_help_names_the_extras_to_install(monkeypatch, capsys):
    # Help text is rich markup: an unescaped "[web]" is taken for a style and dropped, and
    # the command shown installs the package without the extra.
    monkeypatch.setenv("COLUMNS", "300")
    for command, extra in [("serve", "pano-inpaint[web]"), ("inpaint", "pano-inpaint[ray]")]:
        assert main([command, "--help"]) == 0
        assert extra in capsys.readouterr().out, command


def test_bench_runs_from_a_checkout_and_says_so_elsewhere(tmp_path, monkeypatch, capsys):
    from pano_inpaint import cli

    checkout = tmp_path / "repo"
    (checkout / "benchmarks").mkdir(parents=True)
    (checkout / "pano_inpaint").mkdir()
    (checkout / "benchmarks" / "run_all.py").write_text("import sys; sys.exit(7)\n")
    site = tmp_path / "site-packages" / "pano_inpaint"
    site.mkdir(parents=True)
    script = checkout / "benchmarks" / "run_all.py"
    assert cli._find_benchmarks(checkout / "pano_inpaint", site) == script  # from inside it
    assert cli._find_benchmarks(tmp_path / "elsewhere", site) is None
    assert cli._find_benchmarks(tmp_path / "elsewhere", checkout / "pano_inpaint") == script

    monkeypatch.chdir(checkout)
    monkeypatch.setattr(cli, "__file__", str(site / "cli.py"))
    assert main(["bench", "--quick"]) == 7  # the script's own exit code comes back
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["bench"]) == EXIT_USAGE
    assert "clone of the repository" in capsys.readouterr().err.replace("\n", " ")


def test_partial_panoramas_are_refused(tmp_path):
    from pano_inpaint.io import ImageMetadata

    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:GPano="http://ns.google.com/photos/1.0/panorama/" '
        'GPano:ProjectionType="equirectangular" GPano:FullPanoWidthPixels="256" '
        'GPano:FullPanoHeightPixels="128" GPano:CroppedAreaImageWidthPixels="128" '
        'GPano:CroppedAreaImageHeightPixels="64" GPano:CroppedAreaLeftPixels="64" '
        'GPano:CroppedAreaTopPixels="32"/></rdf:RDF></x:xmpmeta>'
    )
    path = tmp_path / "partial.jpg"
    write_image(path, sphere_function_erp(64, dtype=np.uint8), ImageMetadata(xmp=xmp))
    code = main(["inpaint", str(path), "--nadir", "20", "-o", str(tmp_path / "o.jpg")])
    assert code == EXIT_INPUT


def test_metadata_survives_the_inpaint_command(tmp_path):
    import piexif

    from pano_inpaint.io import ImageMetadata

    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"PanoCam"},
                        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N"}})
    path = tmp_path / "in.jpg"
    write_image(path, sphere_function_erp(64, dtype=np.uint8), ImageMetadata(exif=exif[6:]))
    out = tmp_path / "out.jpg"
    assert main(["inpaint", str(path), "--nadir", "20", "-o", str(out), "-q"]) == 0
    meta = read_image(out).metadata
    assert piexif.load(meta.exif)["0th"][piexif.ImageIFD.Make] == b"PanoCam"
    assert meta.gpano.projection_type == "equirectangular"
    assert meta.gpano.full_pano_width_pixels == 128


@pytest.fixture
def restored_gc():
    """The test process's collector as it was: thresholds set back, nothing left frozen."""
    import gc

    thresholds = gc.get_threshold()
    yield gc
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_the_process_command_tunes_the_collector_and_a_call_does_not(
        tmp_path, pano, monkeypatch, restored_gc):
    gc = restored_gc
    before = gc.get_threshold()
    out = tmp_path / "a.png"
    assert main(["inpaint", str(pano), "--nadir", "20", "-o", str(out), "-q"]) == 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

    # As `pano-inpaint` / `python -m pano_inpaint` run it: the process ends with the command,
    # so what it made is frozen (the interpreter's last collection at exit skips it).
    monkeypatch.setattr("sys.argv", ["pano-inpaint", "inpaint", str(pano), "--nadir", "20",
                                     "-o", str(tmp_path / "b.png"), "-q"])
    assert main() == 0
    assert gc.get_threshold()[0] > before[0]
    assert gc.get_freeze_count() > 0
    assert (tmp_path / "b.png").read_bytes() == out.read_bytes()
