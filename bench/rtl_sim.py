"""RTL verification speed under Icarus Verilog (cocotb), side by side with the reference evaluator.

For random layered nets of about 10k and 100k gates (784 uint8 features, 2 thresholds each,
8 layers, 10 classes), prints per design variant (combinational; pipelined every
``--every`` levels, one sample per clock):

* emitted (live) gates, logic depth, emission time, iverilog compile time,
* simulated vectors/s (wall) and per CPU second of the simulator processes (robust on a busy
  machine), with one and with several simulator processes (``--jobs``), every vector compared
  bit-exactly with the expected scores and class,
* the reference evaluator ``ldlgn.compiler.reference.predict`` on the same vectors (vectors/s) and the ratio.

With ``--model model.pt``, also simulates that trained model's optimized netlist on real data
(test, validation and training splits), with the samples in their own order and sorted by
expected class and scores (``simulate``'s default), side by side.

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/rtl_sim.py``
(``--sizes 10000`` for a quick run).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from ldlgn.compiler.reference import predict
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
    ap.add_argument("--model", help="a trained checkpoint to simulate on its data as well")
    args = ap.parse_args()
    if args.model:
        trained(args.model, args.vectors or 800)

    print(
        f"{'gates':>7} {'live':>7} {'depth':>5} {'variant':<14} {'jobs':>4} {'emit s':>7} {'iverilog s':>10} "
        f"{'RTL vec/s':>10} {'per CPU s':>10} {'ref vec/s':>10} {'RTL/ref':>8}  check"
    )
    for size in args.sizes:
        net = random_netlist(size, num_features=784, thresholds=2, layers=8, num_classes=10, seed=args.seed)
        n = args.vectors or (2000 if size <= 20_000 else 300)
        x = random_inputs(net, n, seed=args.seed)
        t = time.perf_counter()
        scores, classes = predict(net, x)
        ref = n / (time.perf_counter() - t)
        for every in (None, args.every):
            with tempfile.TemporaryDirectory(prefix="ldlgn_bench_rtl_") as tmp:
                t = time.perf_counter()
                design = emit_verilog(net, tmp, pipeline_every=every)
                emit_s = time.perf_counter() - t
                for jobs in args.jobs:
                    r = simulate(design, x, scores, classes, jobs=jobs)
                    variant = "combinational" if every is None else f"pipelined/{every}"
                    print(
                        f"{net.num_gates:>7} {design.num_gates:>7} {design.depth:>5} {variant:<14} {jobs:>4} "
                        f"{emit_s:>7.2f} {r.build_s:>10.2f} {r.vectors_per_s:>10.0f} {r.vectors_per_cpu_s:>10.0f} "
                        f"{ref:>10.0f} {r.vectors_per_s / ref:>8.2f}  {'bit-exact' if r.passed else 'MISMATCH'}",
                        flush=True,
                    )
                    if not r.passed:
                        print(r.report())


def trained(path: str, n: int) -> None:
    """Vectors/s of a trained model's RTL on real data, in sample order and sorted."""
    import numpy as np

    import ldlgn
    from ldlgn.compiler import lower, optimize
    from ldlgn.datasets import load_dataset

    model = ldlgn.load(path)
    cfg = model.checkpoint_meta["train_config"]
    ds = load_dataset(cfg["data"], cfg.get("root"), seed=cfg["seed"])
    x = np.concatenate([ds.x_test, ds.x_val, ds.x_train])[:n]
    net, _ = optimize(lower(model.discrete()))
    scores, classes = predict(net, x)
    with tempfile.TemporaryDirectory(prefix="ldlgn_bench_rtl_") as tmp:
        design = emit_verilog(net, tmp)
        rates = {reorder: simulate(design, x, scores, classes, reorder=reorder) for reorder in (False, True)}
    print(f"trained {path}: {net.num_gates} gates, {len(net.outputs)} outputs, {len(x)} real samples, combinational")
    print(f"  sample order                {rates[False].vectors_per_s:>8.0f} vectors/s (baseline)")
    print(
        f"  sorted by class and scores  {rates[True].vectors_per_s:>8.0f} vectors/s "
        f"({rates[True].vectors_per_s / rates[False].vectors_per_s:.2f}x)"
        f"  {'bit-exact' if all(r.passed for r in rates.values()) else 'MISMATCH'}"
    )


if __name__ == "__main__":
    main()
