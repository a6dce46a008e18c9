"""Train a light DLGN and export it as Verilog RTL, with the Python API.

    python examples/train_to_verilog.py                           # breast_cancer, ~1 min
    python examples/train_to_verilog.py --data digits --pipeline 2 --out runs/digits_rtl

Writes OUT/model.pt, OUT/metrics.json and OUT/build/verilog/*.v (top module OUT/build/report.json
names it), then prints the top module's ports and the Yosys size estimate.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import ldlgn
from ldlgn.compiler.pipeline import compile_model
from ldlgn.compiler.report import BuildReport
from ldlgn.train import TrainConfig, train


def main(argv=None) -> BuildReport:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="breast_cancer")
    p.add_argument("--width", type=int, default=1000)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--tau", type=float, default=10.0)
    p.add_argument("--thresholds", type=int, default=8, help="thermometer thresholds per feature")
    p.add_argument("--pipeline", type=int, default=None, help="registers every N logic levels")
    p.add_argument("--no-yosys", action="store_true")
    p.add_argument("--out", default="runs/train_to_verilog")
    args = p.parse_args(argv)

    out = Path(args.out)
    cfg = TrainConfig(
        data=args.data,
        width=args.width,
        depth=args.depth,
        steps=args.steps,
        tau=args.tau,
        num_thresholds=args.thresholds,
        encoding="quantile",
    )
    metrics = train(cfg, out, progress=False)
    print(f"trained {args.data}: test accuracy {metrics['test_acc_discrete']:.4f} (discretized)")
    model = ldlgn.load(out / "model.pt")
    report = compile_model(
        model,
        out / "build",
        name=f"{args.data}_net".replace("-", "_"),
        emit=("verilog",),
        options={"verilog": {"pipeline_every": args.pipeline, "yosys": not args.no_yosys}},
    )
    rtl = report["backends"]["verilog"]
    print(f"Verilog top module {rtl['top']} in {out / 'build' / 'verilog'}:")
    print(
        f"  input  [{report['features'] * report['input_bits'] - 1}:0] x  "
        f"({report['features']} features × {report['input_bits']} bits, feature 0 in the low bits)"
    )
    print(f"  output class_out and scores ({report['classes']} classes); latency {rtl['latency_cycles']} cycles")
    print(f"  {report['gates_opt']} gates after optimization (from {report['gates_raw']}), depth {report['depth']}")
    if "yosys" in rtl:
        print(f"  Yosys: {rtl['yosys']['luts']} LUT-6, {rtl['yosys']['cells']} cells")
    return report


if __name__ == "__main__":
    main()
