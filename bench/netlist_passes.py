"""Netlist lowering and optimization at scale, next to the networkx view of the same net.

Random layered nets (all 16 truth tables, random wiring): the 48k-gate MNIST-small shape
(400 inputs → 6 × 8000) and a 512k-gate net (9216 inputs → 4 × 128k). Prints gates before/after
each pass and seconds, and, as the baseline, the time to build the ``networkx`` graph of the
same netlist (the analysis view, not the hot data structure). Then ABC's ``dc2; resyn2`` on the
optimized net (``ldlgn compile --abc``): gates, depth and LUT-6 before and after.

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/netlist_passes.py``
"""

from __future__ import annotations

import os
import time

import numpy as np

from ldlgn.compiler import Netlist, lower, optimize, to_networkx
from ldlgn.compiler.abc_opt import DEFAULT_SCRIPT, abc_optimize
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet

SHAPES = {"48k (400 -> 6 x 8000)": (400, [8000] * 6), "512k (9216 -> 4 x 128k)": (9216, [128_000] * 4)}


def random_net(inputs: int, widths: list, seed: int = 0) -> Netlist:
    rng = np.random.default_rng(seed)
    layers, prev = [], inputs
    for w in widths:
        layers.append(DiscreteLayer(rng.integers(0, prev, w), rng.integers(0, prev, w), rng.integers(0, 16, w)))
        prev = w
    return lower(DiscreteNet(np.zeros((inputs, 1), np.int64), 1, layers, 10))


def main() -> None:
    optimize(random_net(16, [40, 20]))  # compile or load the Numba passes outside the timings
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name, (inputs, widths) in SHAPES.items():
        t0 = time.perf_counter()
        net = random_net(inputs, widths)
        t_lower = time.perf_counter() - t0
        t0 = time.perf_counter()
        opt, report = optimize(net)
        t_opt = time.perf_counter() - t0
        print(
            f"{name}: lowering {t_lower:.2f} s, optimize {t_opt:.2f} s, "
            f"gates {net.num_gates:,} -> {opt.num_gates:,} ({opt.num_gates / net.num_gates:.2f})"
        )
        for r in report:
            print(
                f"    round {r['round']} {r['pass']:<24} {r['gates_before']:>9,} -> {r['gates_after']:>9,}  "
                f"{r['seconds']:.3f} s"
            )
        if net.num_gates <= 100_000:
            t0 = time.perf_counter()
            g = to_networkx(net)
            t_nx = time.perf_counter() - t0
            print(
                f"  baseline: networkx view of the raw net ({g.number_of_nodes():,} nodes) {t_nx:.2f} s "
                f"= {t_nx / t_opt:.0f}x the whole optimization"
            )
        abc_after_passes(opt)


def abc_after_passes(opt: Netlist, script: str = DEFAULT_SCRIPT) -> None:
    """ABC's script on the optimized net (``ldlgn compile --abc``): gates, depth and LUT-6 before
    and after, whether the result is proved equal, which one compile keeps."""
    _, s = abc_optimize(opt, script)
    print(
        f"  ABC '{s['script']}' after the passes: gates {s['gates_before']:,} -> {s['gates_after']:,}, "
        f"depth {s['depth_before']} -> {s['depth_after']}, LUT-6 {s['lut6_before']:,} -> {s['lut6_after']:,}, "
        f"{'proved equal' if s['proved'] else 'NOT proved'} in {s['proof_seconds']:.1f} s, "
        f"kept: {s['kept']} ({s['seconds']:.1f} s in all)"
    )


if __name__ == "__main__":
    main()
