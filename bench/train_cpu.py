"""CPU training step and discrete evaluation throughput, side by side with their baselines.

Training (MNIST-small shape: 400 inputs → 6 × 8000 gates, GroupSum k=10, batch 100, Adam lr 0.01),
median ms per step (forward + backward + Adam) for

* the Numba kernels (``backend="numba"``),
* the plain-torch polynomial path (``backend="torch"``, the baseline of the ratios),
* a 16-gate softmax mixture in the style of difflogic's CPU path (all 16 gate functions of A and B
  weighted by a softmax over 16 logits per gate), written here as a second reference.

Discrete evaluation: samples/s of the bit-parallel Numba evaluator (``ldlgn.compiler.bitsim``) against the
reference ``Netlist.predict`` on a random netlist of the same shape.

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/train_cpu.py``
(``--quick`` for a smaller shape).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from _timing import time_steps, train_step
from torch import nn

from ldlgn.layers import GroupSum, LogicLayer


class MixtureLayer(nn.Module):
    """difflogic-style relaxed layer: softmax over 16 logits weights all 16 real-valued gates."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(out_dim, 16))
        self.register_buffer("a", torch.randint(in_dim, (out_dim,)))
        self.register_buffer("b", torch.randint(in_dim, (out_dim,)))

    def forward(self, x):
        A, B = x[:, self.a], x[:, self.b]
        AB = A * B
        ops = torch.stack(
            [  # difflogic gate ids 0..15
                torch.zeros_like(A),
                AB,
                A - AB,
                A,
                B - AB,
                B,
                A + B - 2 * AB,
                A + B - AB,
                1 - (A + B - AB),
                1 - (A + B - 2 * AB),
                1 - B,
                1 - B + AB,
                1 - A,
                1 - A + AB,
                1 - AB,
                torch.ones_like(A),
            ],
            dim=-1,
        )
        w = torch.softmax(self.weights, dim=-1)
        return (ops * w).sum(-1)


def make_model(kind: str, n_in: int, width: int, depth: int, k: int) -> nn.Module:
    dims = [n_in] + [width] * depth
    layers: list[nn.Module]
    if kind == "mixture":
        layers = [MixtureLayer(i, o) for i, o in zip(dims[:-1], dims[1:])]
    else:
        layers = [LogicLayer(i, o, backend=kind) for i, o in zip(dims[:-1], dims[1:])]
    return nn.Sequential(*layers, GroupSum(k, tau=10.0))


def make_step(model, x, y):
    """One training step (forward, backward, Adam) as a closure."""
    return train_step(model, torch.optim.Adam(model.parameters(), lr=0.01), nn.CrossEntropyLoss(), x, y)


def random_netlist(n_features: int, width: int, depth: int, k: int, seed: int = 0):
    from ldlgn.compiler import lower
    from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet

    rng = np.random.default_rng(seed)
    thresholds = np.sort(rng.integers(0, 255, (n_features, 1)), axis=1)
    layers, w = [], n_features
    for _ in range(depth):
        layers.append(DiscreteLayer(rng.integers(0, w, width), rng.integers(0, w, width), rng.integers(0, 16, width)))
        w = width
    return lower(DiscreteNet(thresholds, 8, layers, k))


def bench_eval(n_features, width, depth, k, n_fast, n_ref):
    from ldlgn.compiler.bitsim import predict_netlist
    from ldlgn.compiler.reference import predict as reference_predict

    net = random_netlist(n_features, width, depth, k)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (n_fast, n_features), dtype=np.uint8)
    predict_netlist(net, x[:64])  # compile / load the cache
    fast = []
    for _ in range(5):
        t0 = time.perf_counter()
        scores, classes = predict_netlist(net, x)
        fast.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    ref_scores, ref_classes = reference_predict(net, x[:n_ref])
    ref = time.perf_counter() - t0
    if not (np.array_equal(scores[:n_ref], ref_scores) and np.array_equal(classes[:n_ref], ref_classes)):
        raise SystemExit("bitsim disagrees with Netlist.predict")
    return n_fast / statistics.median(fast), n_ref / ref


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller shape and fewer steps")
    p.add_argument("--steps", type=int, default=15)
    args = p.parse_args()
    n_in, width, depth, k, batch = 400, 8000, 6, 10, 100
    steps, warmup, n_fast, n_ref = args.steps, 3, 10_000, 500
    if args.quick:
        width, depth, steps, n_fast, n_ref = 2000, 3, 5, 2000, 200
    torch.manual_seed(0)
    x = torch.rand(batch, n_in)
    y = torch.randint(k, (batch,))
    print(
        f"training step: {n_in} inputs -> {depth} x {width} gates, GroupSum k={k}, batch {batch}, "
        f"Adam; torch threads {torch.get_num_threads()}; median of {steps} steps "
        f"({max(3, steps // 5)} for the mixture); load average {os.getloadavg()[0]:.1f}"
    )
    fast = {kind: make_step(make_model(kind, n_in, width, depth, k), x, y) for kind in ("torch", "numba")}
    results = time_steps(fast, steps, warmup)
    mixture = {"mixture": make_step(make_model("mixture", n_in, width, depth, k), x, y)}
    results.update(time_steps(mixture, max(3, steps // 5), 1))  # seconds per step: fewer repetitions
    base = results["torch"]
    names = {
        "numba": "numba kernels",
        "torch": "torch polynomial (baseline)",
        "mixture": "torch 16-gate softmax mixture",
    }
    for kind in ("numba", "torch", "mixture"):
        print(f"  {names[kind]:32s} {results[kind]:8.1f} ms/step   speed-up vs torch {base / results[kind]:5.2f}x")
    fast, ref = bench_eval(n_in, width, depth, k, n_fast, n_ref)
    print(f"discrete evaluation, random netlist of {depth * width} gates, {k} classes:")
    print(f"  bitsim.predict_netlist ({n_fast} samples)  {fast:12,.0f} samples/s")
    print(f"  reference.predict ({n_ref} samples) {ref:10,.0f} samples/s   ratio {fast / ref:,.0f}x")


if __name__ == "__main__":
    main()
