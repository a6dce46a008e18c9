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

from ldlgn.datasets import load_dataset
from ldlgn.plots import plot_run_comparison, write_run_plots
from ldlgn.train import TrainConfig, train

SHORT = dict(width=120, depth=2, steps=60, eval_every=20)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--data", default="digits")
    p.add_argument("--width", type=int, default=2000)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument("--tau", type=float, default=None, help="GroupSum temperature (default: sqrt(gates per class))")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--op-ri", action="store_true", help="also train OP with residual init")
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", default="auto", choices=("auto", "numba", "torch"))
    p.add_argument("--out", default="runs/iwp_vs_op", help="folder for the runs and the figure")
    p.add_argument("--short", action="store_true", help=f"tiny configuration for smoke tests: {SHORT}")
    args = p.parse_args(argv)
    if args.short:
        for k, v in SHORT.items():
            setattr(args, k, v)
    return args


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
    for label, (param, init) in variants.items():
        cfg = TrainConfig(
            data=args.data,
            width=args.width,
            depth=args.depth,
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
        runs[label] = train(cfg, out / label, progress=False, dataset=ds)
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
