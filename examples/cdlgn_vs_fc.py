"""Convolutional against fully connected logic gate networks over several seeds: accuracy and
optimized gates.

On a test split as small as the digits' (359 samples: one sample is 0.0028 of accuracy) a single
run cannot tell two networks apart, and the seed also draws the split. So every network trains
once per seed; each row is one run (discretized test accuracy of the best checkpoint by
discretized validation accuracy, and the gates left after the compiler's default passes), and the
summary gives the mean, the range, and the per-seed difference to the fully connected network on
the same split.

    python examples/cdlgn_vs_fc.py                          # digits, seeds 0-4 (about 15 CPU minutes)
    python examples/cdlgn_vs_fc.py --short --out /tmp/x     # seconds-long smoke run
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from _common import example_parser, parse_with_short

from ldlgn import checkpoint
from ldlgn.compiler import lower, optimize
from ldlgn.compiler.discrete import DiscreteNet
from ldlgn.datasets import load_dataset
from ldlgn.presets import PRESETS
from ldlgn.train import TrainConfig, train

SHORT = dict(seeds=[0, 1], steps=60, eval_every=20, arch="conv:4:3,fc:60", width=60, depth=2, conv_tau=2.0, fc_tau=2.0)


def parse_args(argv=None) -> argparse.Namespace:
    p = example_parser(__doc__)
    p.add_argument("--data", default="digits", help="an image data set (digits, mnist-5k, ...)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--eval-every", type=int, default=0, help="0: every steps/20")
    p.add_argument("--arch", default="cdlgn-digits", help="the convolutional network (--arch spec or preset)")
    recipe = PRESETS["cdlgn-digits"]  # the conv network's encoder and temperature default to its recipe
    p.add_argument("--conv-thresholds", type=int, default=recipe["num_thresholds"])
    p.add_argument("--conv-tau", type=float, default=recipe["tau"])
    p.add_argument("--width", type=int, default=2000, help="fully connected network: gates per layer")
    p.add_argument("--depth", type=int, default=4, help="fully connected network: layers")
    p.add_argument("--fc-thresholds", type=int, default=3)
    p.add_argument("--fc-tau", type=float, default=6.0)
    args = parse_with_short(p, argv, "runs/cdlgn_vs_fc", SHORT)
    if not args.seeds or min(args.seeds) < 0:
        p.error(f"--seeds must be non-negative, got {args.seeds}")
    return args


def networks(args: argparse.Namespace) -> dict[str, dict]:
    """Label → the TrainConfig options of each network."""
    conv = dict(arch=args.arch, num_thresholds=args.conv_thresholds, tau=args.conv_tau)
    fc = dict(width=args.width, depth=args.depth, num_thresholds=args.fc_thresholds, tau=args.fc_tau)
    return {"fc": fc, "conv": conv}


def run(args: argparse.Namespace, ds, seed: int, options: dict, out: Path) -> tuple[float, int]:
    """Discretized test accuracy and optimized gate count of one training run."""
    cfg = TrainConfig(data=args.data, steps=args.steps, seed=seed, eval_every=args.eval_every, device=args.device,
                      backend=args.backend, **options)  # fmt: skip
    metrics = train(cfg, out, progress=False, dataset=ds)
    discrete = checkpoint.load(out / "model.pt").discrete()
    if not isinstance(discrete, DiscreteNet):  # convolutions and these fc layers are two-input
        raise TypeError(f"{out}: expected a two-input gate network, got {type(discrete).__name__}")
    net, _ = optimize(lower(discrete))
    return float(metrics["test_acc_discrete"]), int(net.num_gates)


def summary(results: dict[str, list[tuple[float, int]]]) -> list[str]:
    """Mean and range of accuracy and gates per network, and the mean per-seed accuracy difference
    of every network to the first (paired: each seed draws one split for all)."""
    base = [acc for acc, _ in next(iter(results.values()))]
    head = ("network", "mean acc", "min", "max", "mean gates", "gates range", "diff")
    lines = ["{:8s} {:>9s} {:>7s} {:>7s} {:>11s} {:>13s} {:>8s}".format(*head)]
    for label, rows in results.items():
        acc, gates = [a for a, _ in rows], [g for _, g in rows]
        diff = statistics.mean(a - b for a, b in zip(acc, base))
        span = f"{min(gates)}-{max(gates)}"
        lines.append(
            f"{label:8s} {statistics.mean(acc):9.4f} {min(acc):7.4f} {max(acc):7.4f} "
            f"{statistics.mean(gates):11.0f} {span:>13s} {diff:+8.4f}"
        )
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    nets = networks(args)
    print(f"{args.data}, {args.steps} steps, seeds {args.seeds}: " + "; ".join(f"{k} {v}" for k, v in nets.items()))
    results: dict[str, list[tuple[float, int]]] = {label: [] for label in nets}
    print(f"{'seed':>4s} {'network':8s} {'test acc':>8s} {'gates':>6s}")
    for seed in args.seeds:
        ds = load_dataset(args.data, seed=seed)
        for label, options in nets.items():
            acc, gates = run(args, ds, seed, options, Path(args.out) / f"{label}-seed{seed}")
            results[label].append((acc, gates))
            print(f"{seed:4d} {label:8s} {acc:8.4f} {gates:6d}", flush=True)
    print("\n" + "\n".join(summary(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
