"""IWP with residual init versus the original 16-gate parametrization (OP) on the same network.

Trains the same architecture (same connections seed, steps, batches, learning rate) with
IWP-RI and OP (gaussian init, as in difflogic; ``--op-ri`` adds OP with residual init), then
prints how many steps IWP-RI needs to reach OP's best discretized validation accuracy, the final
discretized test accuracies, and writes a PNG with the validation curves.

    python examples/iwp_vs_op.py                       # width 2000, depth 4, 2000 steps on digits
    python examples/iwp_vs_op.py --short --out /tmp/x  # seconds-long smoke run
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from _common import add_run_options, example_parser, parse_with_short, train_variant

from ldlgn.datasets import load_dataset
from ldlgn.plots import plot_run_comparison, write_run_plots

SHORT = dict(width=120, depth=2, steps=60, eval_every=20)


def parse_args(argv=None) -> argparse.Namespace:
    p = example_parser(__doc__)
    p.add_argument("--data", default="digits")
    p.add_argument("--width", type=int, default=2000)
    p.add_argument("--depth", type=int, default=4)
    add_run_options(p, steps=2000, eval_every=50)
    p.add_argument("--op-ri", action="store_true", help="also train OP with residual init")
    return parse_with_short(p, argv, "runs/iwp_vs_op", SHORT)


def steps_to_reach(history, target: float):
    """First evaluated step whose discretized validation accuracy is ≥ ``target`` (None: never)."""
    return next((h["step"] for h in history if h["val_acc_discrete"] >= target), None)


def main(argv=None) -> int:
    args = parse_args(argv)
    ds = load_dataset(args.data, seed=args.seed)
    tau = args.tau or round(math.sqrt(args.width / ds.num_classes), 1)
    variants = {"IWP-RI": ("iwp", "ri"), "OP": ("op", "gauss")}
    if args.op_ri:
        variants["OP-RI"] = ("op", "ri")
    out = Path(args.out)
    print(f"{ds.name}: width {args.width}, depth {args.depth}, {args.steps} steps, tau {tau}, lr {args.lr}")
    runs = {}
    for label, variant in variants.items():
        runs[label] = train_variant(args, ds, tau, variant, out / label, width=args.width, depth=args.depth)
        write_run_plots(out / label)

    print(
        f"\n{'run':8s} {'best val':>9s} {'at step':>8s} {'test (discrete)':>16s} {'test (relaxed)':>15s} "
        f"{'seconds':>8s}"
    )
    for label, m in runs.items():
        print(
            f"{label:8s} {m['val_acc_discrete']:9.4f} {m['best_step']:8d} {m['test_acc_discrete']:16.4f} "
            f"{m['test_acc_relaxed']:15.4f} {m['seconds']:8.1f}"
        )

    op, iwp = runs["OP"], runs["IWP-RI"]
    target = op["val_acc_discrete"]
    reach = steps_to_reach(iwp["history"], target)
    if reach is None:
        print(
            f"\nIWP-RI did not reach OP's best discretized validation accuracy {target:.4f} within {args.steps} steps"
        )
    else:
        print(
            f"\nIWP-RI reaches OP's best discretized validation accuracy {target:.4f} at step {reach} "
            f"(OP's best at step {op['best_step']}): {op['best_step'] / reach:.1f}x fewer steps"
        )
    print(
        "final discretized test accuracy (best-validation checkpoint): "
        f"IWP-RI {iwp['test_acc_discrete']:.4f}, OP {op['test_acc_discrete']:.4f}"
    )
    fig = plot_run_comparison(
        runs,
        out / "iwp_vs_op.png",
        target=target,
        target_label="OP best",
        title=f"{ds.name}: width {args.width}, depth {args.depth}, tau {tau}",
    )
    print(f"figure: {fig}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
