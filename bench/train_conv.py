"""Training step of a logic tree convolution against a fully connected gate layer with the same
number of gate evaluations, side by side (docs/convolutions.md).

For each shape, median ms per step (forward, backward of a random linear loss, Adam) of

* ``LogicConv2d`` on the Numba kernels (gates shared over positions, gradients summed per row),
* ``LogicLayer`` on the Numba kernels with as many gates as the unrolled convolution and as many
  inputs as the image has bits (the baseline of the ratio),
* ``LogicConv2d`` on the plain-torch gather path (what runs on CUDA).

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/train_conv.py``
(``--quick`` for fewer steps).
"""

from __future__ import annotations

import argparse
import os

import torch
from _timing import time_steps

from ldlgn.conv import LogicConv2d
from ldlgn.layers import LogicLayer

#: (name, in channels, out channels, side, kernel, padding, tree depth)
SHAPES = [
    ("MNIST-S conv 1: 3 -> 16 ch, 28x28, 5x5, depth 3", 3, 16, 28, 5, 0, 3),
    ("CIFAR-S conv 2: 32 -> 128 ch, 16x16, 3x3, depth 3", 32, 128, 16, 3, 1, 3),
    ("digits: 32 -> 64 ch, 4x4, 3x3, depth 2", 32, 64, 4, 3, 1, 2),
]


def make_step(layer: torch.nn.Module, x: torch.Tensor):
    """One training step (forward, backward, Adam) as a closure."""
    opt = torch.optim.Adam(layer.parameters(), lr=0.01)
    w = torch.randn(x.shape[0], 1)

    def step():
        opt.zero_grad(set_to_none=True)
        (layer(x) * w).sum().backward()
        opt.step()

    return step


def bench_shape(shape, batch: int, repeats: int) -> dict:
    _, c_in, c_out, side, k, pad, depth = shape
    torch.manual_seed(0)
    conv = LogicConv2d(c_in, c_out, k, 1, pad, depth, in_size=(side, side), backend="numba")
    conv_torch = LogicConv2d(c_in, c_out, k, 1, pad, depth, in_size=(side, side), backend="torch")
    gates = conv.num_gates
    fc = LogicLayer(conv.n_in, gates, backend="numba")
    x = (torch.rand(batch, conv.n_in) > 0.5).float()
    steps = {"conv numba": make_step(conv, x), "fc numba": make_step(fc, x), "conv torch": make_step(conv_torch, x)}
    result = time_steps(steps, repeats)
    result["gates"] = gates
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer steps")
    p.add_argument("--batch", type=int, default=100)
    args = p.parse_args()
    repeats = 5 if args.quick else 15
    print(
        f"training step, batch {args.batch}, Adam; torch threads {torch.get_num_threads()}; median of {repeats} "
        f"steps; load average {os.getloadavg()[0]:.1f}"
    )
    for shape in SHAPES:
        r = bench_shape(shape, args.batch, repeats)
        print(f"{shape[0]} ({r['gates']:,} gate evaluations per sample)")
        base = r["fc numba"]
        for name in ("conv numba", "fc numba", "conv torch"):
            print(f"  {name:12s} {r[name]:8.1f} ms/step   {r[name] / base:5.2f}x the fc step")


if __name__ == "__main__":
    main()
