"""The hostile and unlucky command lines of issue 14, re-run from the command line: each one's
exit code against the README's table, what it printed first, and a check that nothing was lost.

Every case runs ``python -m pano_inpaint ...`` in a fresh process, in a temporary folder, on
small files made here (``p.png``: a 64x32 synthetic panorama; ``photo.jpg``: a camera-style JPEG
with EXIF). Two failures cannot be caused from outside (a generator bug, memory running out):
those run the same command line through ``python -c`` with the failure injected into the first
image's fill, and say so. Usage::

    python benchmarks/hostile_cases.py

Exit code: 0 when every case gave its expected code and passed its check, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import run_measured  # noqa: E402
from pano_inpaint.io import read_image, write_image  # noqa: E402
from pano_inpaint.masks import nadir_mask  # noqa: E402
from tests.bombs import write_bomb  # noqa: E402
from tests.synthetic import camera_style_jpeg, sphere_function_erp  # noqa: E402

FILL = ["--nadir", "20", "-g", "telea"]  # a quick fill, for cases about everything but the fill
# An injected failure patches this process only: a batch must fill here, not in worker processes.
IN_PROCESS = ["-j", "1"]

# A failure injected into the first image's fill; the command line follows as sys.argv.
_INJECT = """
import sys
from pano_inpaint import pipeline
from pano_inpaint.cli import main
fill = pipeline.inpaint
calls = []
def flaky(*args, **kwargs):
    calls.append(1)
    if len(calls) == 1:
        raise {error}
    return fill(*args, **kwargs)
pipeline.inpaint = flaky  # jobs imports it from the pipeline package when it fills
sys.exit(main(sys.argv[1:]))
"""


@dataclass
class Case:
    """One command line; ``check(folder)`` returns what is wrong after it ran, or ``""``."""

    name: str
    args: list[str]
    expected: int
    check: Callable[[Path], str] = lambda folder: ""
    inject: str = ""  # an exception expression raised by the first fill
    prepare: Callable[[Path], object] = lambda folder: None  # files this case alone needs


def _absent(*names: str) -> Callable[[Path], str]:
    return lambda folder: ", ".join(f"{n} was written" for n in names if (folder / n).exists())


def _present(*names: str) -> Callable[[Path], str]:
    return lambda folder: ", ".join(f"{n} missing" for n in names if not (folder / n).exists())


def _same_bytes(name: str, original: bytes) -> Callable[[Path], str]:
    return lambda folder: "" if (folder / name).read_bytes() == original else f"{name} changed"


def _all(*checks: Callable[[Path], str]) -> Callable[[Path], str]:
    return lambda folder: ", ".join(filter(None, (c(folder) for c in checks)))


def _make_files(folder: Path) -> dict[str, bytes]:
    """The inputs every case starts from (made afresh per case); returns the bytes of those a
    check compares against."""
    pano = sphere_function_erp(32, dtype=np.uint8)  # (32, 64, 3)
    folder.mkdir()
    write_image(folder / "p.png", pano)
    camera_style_jpeg(folder / "photo.jpg", sphere_function_erp(256, dtype=np.uint8))
    for height in (2, 4):
        write_image(folder / f"tiny{2 * height}x{height}.png",
                    np.full((height, 2 * height, 3), 128, np.uint8))
    write_image(folder / "mask01.png", nadir_mask(32, 64, 20).astype(np.uint8))  # 0/1 labels
    for day, value in (("day1", 60), ("day2", 200)):
        (folder / "shoot" / day).mkdir(parents=True)
        write_image(folder / "shoot" / day / "IMG_0001.png", np.full((32, 64, 3), value,
                                                                      np.uint8))
    (folder / "batch").mkdir()
    for i in range(3):
        write_image(folder / "batch" / f"p{i}.png", pano)
    for side in ("a", "b"):
        (folder / side).mkdir()
        write_image(folder / side / "x.png", pano)
    (folder / "blocker").write_text("a file where a folder should be")
    (folder / "old_report.json").write_text("keep me")
    write_image(folder / "sky.exr", sphere_function_erp(32) * 4)
    return {name: (folder / name).read_bytes() for name in ("p.png", "photo.jpg")}


def _cases(originals: dict[str, bytes]) -> list[Case]:
    p = originals["p.png"]
    kept = _same_bytes("p.png", p)
    return [
        # --------------------------------------------------------- tracebacks before the fix
        *(Case(f"--nadir {v}", ["inpaint", "p.png", f"--nadir={v}", "-o", "o.png"], 2,
               _absent("o.png")) for v in ("200", "-5", "nan")),
        Case("--set generator.params.bogus=1",
             ["inpaint", "p.png", "--nadir", "20", "--set", "generator.params.bogus=1",
              "-o", "o.png"], 2, _absent("o.png")),
        Case("--set generator.params.patch_size=abc",
             ["inpaint", "p.png", "--nadir", "20", "--set", "generator.params.patch_size=abc",
              "-o", "o.png"], 2, _absent("o.png")),
        Case("4x2 panorama", ["inpaint", "tiny4x2.png", *FILL, "-o", "o.png"], 3,
             _absent("o.png")),
        Case("8x4 panorama", ["inpaint", "tiny8x4.png", *FILL, "-o", "o.png"], 3,
             _absent("o.png")),
        Case("check of an 8x4 panorama", ["check", "tiny8x4.png"], 3),
        Case("--report into a folder that cannot be made",
             ["inpaint", "p.png", *FILL, "-o", "o.png", "--report", "blocker/r.json"], 4,
             _absent("o.png")),
        Case("generator RuntimeError in a batch (injected)",
             ["inpaint", "batch", *FILL, *IN_PROCESS, "-o", "out"], 1,
             _present("out/p1.png", "out/p2.png"), inject="RuntimeError('boom')"),
        Case("generator RuntimeError, one image (injected)",
             ["inpaint", "p.png", *FILL, "-o", "o.png"], 1, _absent("o.png"),
             inject="RuntimeError('boom')"),
        Case("MemoryError in a batch (injected)",
             ["inpaint", "batch", *FILL, *IN_PROCESS, "-o", "out"], 1,
             _present("out/p1.png", "out/p2.png"), inject="MemoryError()"),
        Case("MemoryError, one image (injected)", ["inpaint", "p.png", *FILL, "-o", "o.png"], 3,
             _absent("o.png"), inject="MemoryError()"),
        Case("output sub-folder cannot be made, in a batch (a file in the way)",
             ["inpaint", "shoot/**/*.png", *FILL, "-o", "blocked"], 1,
             _present("blocked/day2/IMG_0001.png"), prepare=_day1_blocked),
        Case("cubemap -o into a file", ["cubemap", "p.png", "-o", "blocker"], 4),
        Case("cubemap of an HDR image as --format jpg",
             ["cubemap", "sky.exr", "-o", "faces", "--format", "jpg"], 4),
        # ------------------------------------------------------- accepted silently before the fix
        Case("--dilate -5", ["inpaint", "p.png", *FILL, "--dilate", "-5", "-o", "o.png"], 2,
             _absent("o.png")),
        Case("--set mask.max_fraction=2",
             ["inpaint", "p.png", *FILL, "--set", "mask.max_fraction=2", "-o", "o.png"], 2,
             _absent("o.png")),
        Case("--set blend.feather=-1",
             ["inpaint", "p.png", *FILL, "--set", "blend.feather=-1", "-o", "o.png"], 2,
             _absent("o.png")),
        Case("--set cube.pad=100000",
             ["inpaint", "p.png", *FILL, "--set", "cube.pad=100000", "-o", "o.png"], 2,
             _absent("o.png")),
        Case("-g telea --set generator.params.radius=0",
             ["inpaint", "p.png", *FILL, "--set", "generator.params.radius=0", "-o", "o.png"],
             2, _absent("o.png")),
        Case("--in-place -o other.png",
             ["inpaint", "p.png", *FILL, "--in-place", "-o", "other.png"], 2,
             _all(kept, _absent("other.png"))),
        Case("a 0/1 mask (largest value 1)",
             ["inpaint", "p.png", "--mask", "mask01.png", "-g", "telea", "-o", "o.png"], 0,
             lambda f: "" if not np.array_equal(read_image(f / "o.png").pixels,
                                                read_image(f / "p.png").pixels)
             else "nothing was filled"),
        Case("--report onto an existing file",
             ["inpaint", "p.png", *FILL, "-o", "o.png", "--report", "old_report.json"], 4,
             lambda f: "" if (f / "old_report.json").read_text() == "keep me"
             else "report replaced"),
        Case("--report onto the input (with --overwrite)",
             ["inpaint", "p.png", *FILL, "-o", "o.png", "--report", "p.png", "--overwrite"], 2,
             _all(kept, _absent("o.png"))),
        Case("-o cleaned/ with one input", ["inpaint", "p.png", *FILL, "-o", "cleaned/"], 0,
             _present("cleaned/p.png")),
        Case("-o cleaned (no suffix) with one input",
             ["inpaint", "p.png", *FILL, "-o", "cleaned"], 0, _present("cleaned/p.png")),
        Case("recursive glob, two IMG_0001.png",
             ["inpaint", "shoot/**/*.png", *FILL, "-o", "out"], 0,
             _present("out/day1/IMG_0001.png", "out/day2/IMG_0001.png")),
        Case("two inputs with one name, a non-recursive glob",
             ["inpaint", "*/x.png", *FILL, "-o", "out"], 0, _present("out/a/x.png", "out/b/x.png")),
        Case("-o onto the input itself", ["inpaint", "p.png", *FILL, "-o", "p.png"], 4, kept),
        Case("--in-place keeps the mode (0640)", ["inpaint", "mode.png", *FILL, "--in-place"], 0,
             lambda f: "" if (f / "mode.png").stat().st_mode & 0o777 == 0o640
             else oct((f / "mode.png").stat().st_mode & 0o777), prepare=_mode_0640),
        Case("--in-place through a symbolic link", ["inpaint", "link.png", *FILL, "--in-place"],
             0, lambda f: "" if (f / "link.png").is_symlink() else "the link became a file",
             prepare=lambda f: (f / "link.png").symlink_to(f / "p.png")),
        Case("a killed run's temporary file", ["inpaint", "p.png", *FILL, "-o", "o.png"], 0,
             _absent(".o.png.999999999-0badc0de.tmp"),
             prepare=lambda f: (f / ".o.png.999999999-0badc0de.tmp").write_bytes(b"half")),
        Case("TIFF output of a JPEG with EXIF",
             ["inpaint", "photo.jpg", *FILL, "-o", "o.tif"], 0, _exif_iso_kept),
        Case("equirect with one face of another size", ["equirect", "faces44", "-o", "b.png"], 3,
             prepare=_faces_one_4x4),
        # ------------------------------------------------------------------ decompression bombs
        *(Case(f"{s[1:].upper()} declaring 100000x50000",
               ["inpaint", f"bomb_100000x50000{s}", *FILL, "-o", "o.png"], 3, _absent("o.png"),
               prepare=lambda f, s=s: write_bomb(f, s)) for s in (".png", ".tif", ".exr")),
        Case("--max-pixels 0", ["inpaint", "p.png", *FILL, "--max-pixels", "0", "-o", "o.png"],
             2, _absent("o.png")),
    ]


def _exif_iso_kept(folder: Path) -> str:
    exif = read_image(folder / "o.tif").metadata.exif
    import piexif

    iso = piexif.load(b"Exif\x00\x00" + exif).get("Exif", {}).get(piexif.ExifIFD.ISOSpeedRatings)
    return "" if iso == 200 else f"ISO in the TIFF: {iso}"


def _mode_0640(folder: Path) -> None:
    write_image(folder / "mode.png", sphere_function_erp(32, dtype=np.uint8))
    (folder / "mode.png").chmod(0o640)


def _faces_one_4x4(folder: Path) -> None:
    subprocess.run([sys.executable, "-m", "pano_inpaint", "cubemap", "p.png", "-o", "faces44",
                    "--names", "engine"], cwd=folder, env=_env(), check=True, capture_output=True)
    write_image(folder / "faces44" / "nx.png", np.zeros((4, 4, 3), np.uint8), overwrite=True)


def _day1_blocked(folder: Path) -> None:
    (folder / "blocked").mkdir()
    (folder / "blocked" / "day1").write_text("a file in the way")


def _env() -> dict[str, str]:
    # This checkout's package, one-line messages (no wrapping at 80 columns).
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "COLUMNS": "1000"}


def run_case(case: Case, folder: Path) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak MB and the first line printed."""
    if case.inject:
        command = [sys.executable, "-c", _INJECT.format(error=case.inject), *case.args]
    else:
        command = [sys.executable, "-m", "pano_inpaint", *case.args]
    code, seconds, peak, output = run_measured(command, cwd=folder, env=_env())
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return code, seconds, peak, (lines[0] if lines else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=110, help="message column width")
    args = parser.parse_args()
    failures = 0
    print("| case | expected | exit | s | peak MB | first line printed | check |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        originals = _make_files(Path(scratch) / "template")
        for i, case in enumerate(_cases(originals)):
            folder = Path(scratch) / f"case{i:02d}"
            _make_files(folder)
            case.prepare(folder)
            code, seconds, peak, first = run_case(case, folder)
            wrong = case.check(folder) if code == case.expected else ""
            if "Traceback" in first:
                wrong = "traceback"
            ok = code == case.expected and not wrong
            failures += not ok
            message = first.replace("|", "\\|")
            if len(message) > args.width:
                message = message[: args.width - 1] + "…"
            print(f"| {case.name} | {case.expected} | {code} | {seconds:.2f} | {peak:.0f} | "
                  f"{message} | {'ok' if ok else 'FAIL: ' + (wrong or 'exit code')} |",
                  flush=True)
    print(f"\n{failures} of {i + 1} cases wrong")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
