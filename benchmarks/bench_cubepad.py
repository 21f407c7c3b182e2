"""CubePad against zero padding on torch feature maps: forward, and forward + backward.

Learned generators use ``CubePad`` in place of every zero padding, so its cost is measured against
``F.pad`` (the peer) on the same tensors in the same process, at the shapes the ``net`` generator
sees (six faces, working resolutions 32-128 px, 24-192 channels), and inside one 3x3 convolution
(what a padding actually sits in front of). Prints a table and the ratios; CPU, and CUDA when
present.

    python benchmarks/bench_cubepad.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from pano_inpaint.geometry.torch_padding import CubePad

SHAPES = [(24, 128), (48, 64), (96, 32), (192, 16)]  # (channels, face size) of net_v1's levels


def _seconds(fn, repeat: int) -> float:
    fn()  # warm-up: builds CubePad's tables
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _case(device: torch.device, channels: int, size: int, pad: int, repeat: int) -> dict:
    x = torch.randn(6, channels, size, size, device=device, requires_grad=True)
    conv = torch.nn.Conv2d(channels, channels, 3).to(device)
    cube = CubePad(pad)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def run(pad_fn, backward: bool, with_conv: bool):
        def go() -> None:
            y = pad_fn(x)
            if with_conv:
                y = conv(y)
            if backward:
                y.sum().backward()
            sync()
        return go

    row = {}
    for label, backward, with_conv in [("fwd", False, False), ("fwd+bwd", True, False),
                                       ("conv fwd+bwd", True, True)]:
        zero = _seconds(run(lambda t: F.pad(t, (pad,) * 4), backward, with_conv), repeat)
        ours = _seconds(run(cube, backward, with_conv), repeat)
        row[label] = (ours, zero)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, CPU only")
    args = parser.parse_args()
    repeat = 3 if args.quick else 10
    devices = [torch.device("cpu")]
    if torch.cuda.is_available() and not args.quick:
        devices.append(torch.device("cuda"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; best of {repeat}")
    print("| device | C x S | pad | what | CubePad ms | zero pad ms | ratio |")
    print("|---|---|---|---|---|---|---|")
    for device in devices:
        for channels, size in SHAPES:
            for pad in (1, 3):
                for label, (ours, zero) in _case(device, channels, size, pad, repeat).items():
                    print(f"| {device.type} | {channels} x {size} | {pad} | {label} | "
                          f"{ours * 1e3:.2f} | {zero * 1e3:.2f} | {ours / zero:.2f}x |")


if __name__ == "__main__":
    main()
