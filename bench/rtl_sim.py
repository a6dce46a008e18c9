"""RTL verification speed under Icarus Verilog (cocotb), side by side with the reference evaluator.

For random layered nets of about 10k and 100k gates (784 uint8 features, 2 thresholds each,
8 layers, 10 classes), prints per design variant (combinational; pipelined every
``--every`` levels, one sample per clock):

* emitted (live) gates, logic depth, emission time, iverilog compile time,
* simulated vectors/s (wall) and per CPU second of the simulator processes (robust on a busy
  machine), with one and with several simulator processes (``--jobs``), every vector compared
  bit-exactly with the expected scores and class,
* the reference evaluator ``Netlist.predict`` on the same vectors (vectors/s) and the ratio.

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/rtl_sim.py``
(``--sizes 10000`` for a quick run).
"""
from __future__ import annotations

import argparse
import tempfile
import time

from ldlgn.compiler.verilog import emit_verilog
from ldlgn.sim import simulate
from ldlgn.sim.random_nets import random_inputs, random_netlist


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="gates per net")
    ap.add_argument("--vectors", type=int, default=0, help="vectors per run (default: 2000 / 300 by size)")
    ap.add_argument("--every", type=int, default=2, help="pipeline registers every N logic levels")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="simulator processes to compare")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    print(f"{'gates':>7} {'live':>7} {'depth':>5} {'variant':<14} {'jobs':>4} {'emit s':>7} {'iverilog s':>10} "
          f"{'RTL vec/s':>10} {'per CPU s':>10} {'ref vec/s':>10} {'RTL/ref':>8}  check")
    for size in args.sizes:
        net = random_netlist(size, num_features=784, thresholds=2, layers=8, num_classes=10, seed=args.seed)
        n = args.vectors or (2000 if size <= 20_000 else 300)
        x = random_inputs(net, n, seed=args.seed)
        t = time.perf_counter()
        scores, classes = net.predict(x)
        ref = n / (time.perf_counter() - t)
        for every in (None, args.every):
            with tempfile.TemporaryDirectory(prefix="ldlgn_bench_rtl_") as tmp:
                t = time.perf_counter()
                design = emit_verilog(net, tmp, pipeline_every=every)
                emit_s = time.perf_counter() - t
                for jobs in args.jobs:
                    r = simulate(design, x, scores, classes, jobs=jobs)
                    variant = "combinational" if every is None else f"pipelined/{every}"
                    print(f"{net.num_gates:>7} {design.num_gates:>7} {design.depth:>5} {variant:<14} {jobs:>4} "
                          f"{emit_s:>7.2f} {r.build_s:>10.2f} {r.vectors_per_s:>10.0f} {r.vectors_per_cpu_s:>10.0f} "
                          f"{ref:>10.0f} {r.vectors_per_s / ref:>8.2f}  {'bit-exact' if r.passed else 'MISMATCH'}",
                          flush=True)
                    if not r.passed:
                        print(r.report())


if __name__ == "__main__":
    main()
