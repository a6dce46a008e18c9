"""Learned gates of 2, 3, 4 and 6 inputs: discretized accuracy against FPGA LUT-6.

Trains IWP-RI networks with ``--gate-inputs n`` on digits at several widths (depth 4 by default),
compiles each best checkpoint (LUT netlist passes for n > 2) and records the discretized test
accuracy beside the size of the learned logic in 6-input LUTs: ABC's LUT-6 mapping (``if -K 6``)
of the optimized netlist, whose n-input gates are first decomposed into two-input ones, and never
more than the optimized gate count (each gate of at most six inputs fits one LUT-6). With
``--yosys`` the total LUT-6 of the Verilog design (encoder comparators and popcount head included,
Yosys ``abc -lut 6``) is recorded too. Writes ``OUT/results.json`` and ``OUT/lut_inputs.png``
(accuracy against logic LUT-6).

    python examples/lut_inputs.py                          # n = 2 3 4 6, widths by n, 2000 steps
    python examples/lut_inputs.py --short --out /tmp/x     # seconds-long smoke run
    python examples/lut_inputs.py --arities 6 --depth 2 --widths 300 --thresholds 7 \
        --connections random-cover --steps 3000 --seed 2    # one search point (a seed is a split)
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from _common import Figure, add_run_options, example_parser, parse_with_short

from ldlgn.compiler.fileio import write_json
from ldlgn.datasets import load_dataset
from ldlgn.plots import save_figure
from ldlgn.train import TrainConfig, train

#: widths tried per gate arity when ``--widths`` is not given
WIDTHS = {2: [250, 500, 1000, 2000], 3: [250, 500, 1000], 4: [150, 300, 600], 6: [100, 200, 400, 800]}
SHORT = dict(arities=[2, 6], widths=[40], steps=40, eval_every=20)


def parse_args(argv=None) -> argparse.Namespace:
    p = example_parser(__doc__)
    p.add_argument("--data", default="digits")
    p.add_argument("--arities", type=int, nargs="+", default=[2, 3, 4, 6], help="gate inputs n to train")
    p.add_argument("--widths", type=int, nargs="+", default=None, help="widths for every n (default: by n)")
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--thresholds", type=int, default=3)
    p.add_argument("--encoding", default="uniform", help="threshold placement: uniform or quantile")
    p.add_argument("--connections", default="random", help="random, unique or random-cover")
    p.add_argument("--mu", type=float, default=None, help="residual-init shift (default: the estimator's)")
    p.add_argument("--yosys", action="store_true", help="also the total LUT-6 of the Verilog design (slower)")
    add_run_options(p, steps=2000, eval_every=100)
    return parse_with_short(p, argv, "runs/lut_inputs", SHORT)


def logic_lut6(build: Path) -> int:
    """LUT-6 of the learned logic: ABC's LUT-6 mapping of the optimized netlist (a LUT netlist
    first decomposed into two-input gates), and never more than its gate count (each gate of at
    most six inputs fits one LUT-6)."""
    from ldlgn.compiler.abc_opt import lut6
    from ldlgn.compiler.lut_decompose import decompose
    from ldlgn.compiler.lut_netlist import LutNetlist
    from ldlgn.compiler.pipeline import load_build

    net, report = load_build(build)
    mapped = lut6(decompose(net) if isinstance(net, LutNetlist) else net)
    return min(int(report["gates_opt"]), mapped)  # ABC counts a node per output even without gates


def run_one(args, ds, n: int, width: int, out: Path) -> dict:
    """Train, compile and size one network; its row of the results."""
    from ldlgn.checkpoint import load
    from ldlgn.compiler.pipeline import compile_model

    tau = args.tau or round(math.sqrt(width / ds.num_classes), 1)
    run = out / f"n{n}_w{width}_s{args.seed}"
    cfg = TrainConfig(
        data=args.data,
        width=width,
        depth=args.depth,
        steps=args.steps,
        tau=tau,
        seed=args.seed,
        lr=args.lr,
        num_thresholds=args.thresholds,
        encoding=args.encoding,
        connections=args.connections,
        mu=args.mu,
        gate_inputs=n,
        eval_every=args.eval_every,
        device=args.device,
        backend=args.backend,
    )
    metrics = train(cfg, run, progress=False, dataset=ds)
    options = {"verilog": {"yosys": bool(args.yosys)}}
    report = compile_model(load(run / "model.pt"), run / "build", "net", emit=("verilog",), options=options)
    yosys = report["backends"].get("verilog", {}).get("yosys", {})
    return {
        "gate_inputs": n,
        "width": width,
        "depth": args.depth,
        "seed": args.seed,
        "thresholds": args.thresholds,
        "tau": tau,
        "parameters": metrics["parameters"],
        "test_acc_discrete": metrics["test_acc_discrete"],
        "train_seconds": metrics["seconds"],
        "gates_trained": metrics["gates"],
        "gates_optimized": report["gates_opt"],
        "logic_lut6": logic_lut6(run / "build"),
        "total_lut6_yosys": yosys.get("luts"),
    }


def plot(rows: list[dict], path: Path, title: str) -> Path:
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    for n in sorted({r["gate_inputs"] for r in rows}):
        mine = sorted((r for r in rows if r["gate_inputs"] == n), key=lambda r: r["logic_lut6"])
        ax.plot([r["logic_lut6"] for r in mine], [r["test_acc_discrete"] for r in mine], "o-", lw=2, label=f"n = {n}")
    ax.set_xscale("log")
    ax.set_xlabel("LUT-6 of the learned logic")
    ax.set_ylabel("discretized test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(title)
    return save_figure(fig, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    ds = load_dataset(args.data, seed=args.seed)
    out = Path(args.out)
    print(f"{ds.name}: gate inputs {args.arities}, depth {args.depth}, {args.steps} steps, lr {args.lr}")
    rows = []
    for n in args.arities:
        for width in args.widths or WIDTHS.get(n, WIDTHS[6]):
            row = run_one(args, ds, n, width, out)
            rows.append(row)
            total = "" if row["total_lut6_yosys"] is None else f", {row['total_lut6_yosys']} LUT-6 in all (Yosys)"
            print(
                f"  n={n} width {width:5d} (tau {row['tau']}): test acc {row['test_acc_discrete']:.4f}, "
                f"{row['gates_trained']} -> {row['gates_optimized']} gates, "
                f"{row['logic_lut6']} logic LUT-6{total}, {row['train_seconds']:.0f} s",
                flush=True,
            )
            write_json(out / "results.json", {"args": vars(args), "rows": rows})
    figure = plot(rows, out / "lut_inputs.png", f"{ds.name}: accuracy against LUT-6, depth {args.depth}")
    print(f"wrote {out / 'results.json'} and {figure}")
    print(json.dumps(best_per_arity(rows), indent=1))
    return 0


def best_per_arity(rows: list[dict]) -> dict:
    """For each n, the smallest logic LUT-6 that reaches each accuracy level of 0.95, 0.96, 0.97."""
    found: dict = {}
    for level in (0.95, 0.96, 0.97):
        for n in sorted({r["gate_inputs"] for r in rows}):
            fit = [r["logic_lut6"] for r in rows if r["gate_inputs"] == n and r["test_acc_discrete"] >= level]
            found.setdefault(str(level), {})[f"n={n}"] = min(fit) if fit else None
    return found


if __name__ == "__main__":
    raise SystemExit(main())
