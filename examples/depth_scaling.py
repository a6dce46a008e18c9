"""Depth scaling: IWP-RI versus OP-RI versus IWP-Gauss as the network gets deeper.

Trains each variant at every depth with the same width, steps and seed on digits, prints a
table of discretized test accuracies (of the best checkpoint by discretized validation accuracy)
and writes a PNG of accuracy against depth. The paper's trend: with residual init, IWP keeps
(or improves) its accuracy as depth grows, while deep networks without residual init stop
training (IWP-Gauss falls to chance from depth 12 in the default run). Single-seed accuracies of
such small networks move by a few points from run to run; compare trends, not third decimals.

    python examples/depth_scaling.py                         # depths 2 4 8 12 16, width 256
    python examples/depth_scaling.py --short --out /tmp/x    # seconds-long smoke run
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from _common import add_run_options, example_parser, parse_with_short, plot_accuracy_by_depth, train_variant

from ldlgn.datasets import load_dataset

VARIANTS = {"IWP-RI": ("iwp", "ri"), "OP-RI": ("op", "ri"), "IWP-Gauss": ("iwp", "gauss")}
SHORT = dict(width=60, depths=[2, 4], steps=40, eval_every=20)


def parse_args(argv=None) -> argparse.Namespace:
    p = example_parser(__doc__)
    p.add_argument("--data", default="digits")
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depths", type=int, nargs="+", default=[2, 4, 8, 12, 16])
    add_run_options(p, steps=1500, eval_every=100)
    args = parse_with_short(p, argv, "runs/depth_scaling", SHORT)
    if any(d < 1 for d in args.depths):
        p.error(f"depths must be ≥ 1, got {args.depths}")
    return args


def plot_depth_scaling(depths, accuracy: dict[str, list[float]], path, title: str) -> Path:
    """Discretized test accuracy against depth, one line per variant."""
    return plot_accuracy_by_depth(depths, accuracy, path, title, "depth (logic layers)")


def main(argv=None) -> int:
    args = parse_args(argv)
    ds = load_dataset(args.data, seed=args.seed)
    tau = args.tau or round(math.sqrt(args.width / ds.num_classes), 1)
    out = Path(args.out)
    print(f"{ds.name}: width {args.width}, depths {args.depths}, {args.steps} steps, tau {tau}, lr {args.lr}")
    accuracy: dict[str, list[float]] = {label: [] for label in VARIANTS}
    for depth in args.depths:
        for label, variant in VARIANTS.items():
            run = out / f"{label}-depth{depth}"
            m = train_variant(args, ds, tau, variant, run, width=args.width, depth=depth)
            accuracy[label].append(m["test_acc_discrete"])

    print("\ndiscretized test accuracy")
    print(f"{'depth':>5s} " + " ".join(f"{label:>10s}" for label in VARIANTS))
    for i, depth in enumerate(args.depths):
        print(f"{depth:5d} " + " ".join(f"{accuracy[label][i]:10.4f}" for label in VARIANTS))
    fig = plot_depth_scaling(
        args.depths,
        accuracy,
        out / "depth_scaling.png",
        f"{ds.name}: width {args.width}, {args.steps} steps, tau {tau}",
    )
    print(f"figure: {fig}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
