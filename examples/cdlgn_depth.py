"""Depth scaling of convolutional logic gate networks: IWP-RI versus OP-RI versus IWP-Gauss.

A CPU-sized version of the question the CDLGN paper asks with residual initialization: does a
deeper stack of logic tree convolutions still train? For every number of convolutions ``n`` the
network is ``n × conv:C:3`` (depth-2 trees, stride 1, zero padding, so the image keeps its size
and each convolution adds two logic levels), then two fully connected layers and GroupSum, on the
8×8 digits. Each variant trains with the same steps and seed; the table shows the discretized
test accuracy of the best checkpoint by discretized validation accuracy and the logic depth, and
a PNG plots accuracy against depth. Single-seed accuracies of such small networks move by a few
points from run to run: compare trends, not third decimals.

    python examples/cdlgn_depth.py                         # 1 2 4 8 convolutions of 16 channels
    python examples/cdlgn_depth.py --short --out /tmp/x    # seconds-long smoke run
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from _common import add_run_options, example_parser, parse_with_short, plot_accuracy_by_depth, train_variant

from ldlgn.datasets import load_dataset

VARIANTS = {"IWP-RI": ("iwp", "ri"), "OP-RI": ("op", "ri"), "IWP-Gauss": ("iwp", "gauss")}
SHORT = dict(channels=4, convs=[1, 2], fc=60, steps=40, eval_every=20)


def parse_args(argv=None) -> argparse.Namespace:
    p = example_parser(__doc__)
    p.add_argument("--data", default="digits", help="an image data set (digits, mnist-5k, ...)")
    p.add_argument("--channels", type=int, default=16, help="output channels of every convolution")
    p.add_argument("--convs", type=int, nargs="+", default=[1, 2, 4, 8], help="numbers of convolutions")
    p.add_argument("--fc", type=int, default=1000, help="width of the two fully connected layers")
    add_run_options(p, steps=1500, eval_every=100, lr=False)
    args = parse_with_short(p, argv, "runs/cdlgn_depth", SHORT)
    if any(n < 1 for n in args.convs):
        p.error(f"--convs must be ≥ 1, got {args.convs}")
    return args


def spec(convs: int, channels: int, fc: int) -> str:
    """``convs`` size-keeping convolutions, then two fully connected layers."""
    return ",".join([f"conv:{channels}:3"] * convs + [f"fc:{fc}", f"fc:{fc}"])


def plot(depths, accuracy: dict[str, list[float]], path, title: str) -> Path:
    """Discretized test accuracy against logic depth, one line per variant."""
    xlabel = "logic depth (tree levels + fully connected layers)"
    return plot_accuracy_by_depth(depths, accuracy, path, title, xlabel)


def main(argv=None) -> int:
    args = parse_args(argv)
    ds = load_dataset(args.data, seed=args.seed)
    tau = args.tau or round(math.sqrt(args.fc / ds.num_classes), 1)
    out = Path(args.out)
    print(f"{ds.name}: convs {args.convs} of {args.channels} channels, 2 x fc:{args.fc}, {args.steps} steps, tau {tau}")
    accuracy: dict[str, list[float]] = {label: [] for label in VARIANTS}
    depths = [2 * n + 2 for n in args.convs]
    for n in args.convs:
        for label, variant in VARIANTS.items():
            arch = spec(n, args.channels, args.fc)
            m = train_variant(args, ds, tau, variant, out / f"{label}-convs{n}", arch=arch)
            accuracy[label].append(m["test_acc_discrete"])

    print("\ndiscretized test accuracy")
    print(f"{'convs':>5s} {'depth':>5s} " + " ".join(f"{label:>10s}" for label in VARIANTS))
    for i, n in enumerate(args.convs):
        print(f"{n:5d} {depths[i]:5d} " + " ".join(f"{accuracy[label][i]:10.4f}" for label in VARIANTS))
    fig = plot(depths, accuracy, out / "cdlgn_depth.png", f"{ds.name}: {args.channels}-channel convolutions, tau {tau}")
    print(f"figure: {fig}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
