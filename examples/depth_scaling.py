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

from ldlgn.compiler.extras import require
from ldlgn.datasets import load_dataset
from ldlgn.plots import save_figure
from ldlgn.train import TrainConfig, train

# matplotlib is the [plots] extra: importing ldlgn.plots above already named it when missing
Figure = require("matplotlib.figure", "plots").Figure

VARIANTS = {"IWP-RI": ("iwp", "ri"), "OP-RI": ("op", "ri"), "IWP-Gauss": ("iwp", "gauss")}
SHORT = dict(width=60, depths=[2, 4], steps=40, eval_every=20)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--data", default="digits")
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depths", type=int, nargs="+", default=[2, 4, 8, 12, 16])
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--tau", type=float, default=None, help="GroupSum temperature (default: sqrt(gates per class))")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", default="auto", choices=("auto", "numba", "torch"))
    p.add_argument("--out", default="runs/depth_scaling", help="folder for the runs and the figure")
    p.add_argument("--short", action="store_true", help=f"tiny configuration for smoke tests: {SHORT}")
    args = p.parse_args(argv)
    if args.short:
        for k, v in SHORT.items():
            setattr(args, k, v)
    if any(d < 1 for d in args.depths):
        p.error(f"depths must be ≥ 1, got {args.depths}")
    return args


def plot_depth_scaling(depths, accuracy: dict[str, list[float]], path, title: str) -> Path:
    """Discretized test accuracy against depth, one line per variant."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    for label, acc in accuracy.items():
        ax.plot(depths, acc, "o-", lw=2, label=label)
    ax.set_xticks(depths)
    ax.set_xlabel("depth (logic layers)")
    ax.set_ylabel("discretized test accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    ax.set_title(title)
    return save_figure(fig, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    ds = load_dataset(args.data, seed=args.seed)
    tau = args.tau or round(math.sqrt(args.width / ds.num_classes), 1)
    out = Path(args.out)
    print(f"{ds.name}: width {args.width}, depths {args.depths}, {args.steps} steps, tau {tau}, lr {args.lr}")
    accuracy: dict[str, list[float]] = {label: [] for label in VARIANTS}
    for depth in args.depths:
        for label, (param, init) in VARIANTS.items():
            cfg = TrainConfig(
                data=args.data,
                width=args.width,
                depth=depth,
                steps=args.steps,
                tau=tau,
                lr=args.lr,
                seed=args.seed,
                parametrization=param,
                init=init,
                eval_every=args.eval_every,
                device=args.device,
                backend=args.backend,
            )
            m = train(cfg, out / f"{label}-depth{depth}", progress=False, dataset=ds)
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
