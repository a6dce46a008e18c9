"""CPU training step and discrete evaluation throughput, side by side with their baselines.

Training (MNIST-small shape: 400 inputs → 6 × 8000 gates, GroupSum k=10, batch 100, Adam lr 0.01,
fused as the trainer runs it on the CPU), median ms per step (forward + backward + Adam) for

* the Numba kernels (``backend="numba"``) with the IWP estimator and the coefficient map folded into
  them (:mod:`ldlgn.numba_iwp`, the default),
* the same kernels behind the previous torch chain ω = ρ(Ω), c = ω @ ROWS_TO_POLY
  (``LogicLayer.fused_estimator = False``) and the default (unfused) Adam, timed in turn with the first,
* the plain-torch polynomial path (``backend="torch"``, the baseline of the ratios),
* a 16-gate softmax mixture in the style of difflogic's CPU path (all 16 gate functions of A and B
  weighted by a softmax over 16 logits per gate), written here as a second reference.

Discrete evaluation: samples/s of the bit-parallel Numba evaluator (``ldlgn.compiler.bitsim``) against the
reference ``Netlist.predict`` on a random netlist of the same shape.

Bound: the bytes a step must move (:func:`traffic_bytes`) over the speed at which one core copies
random rows of the activations' size (:func:`gather_bandwidth`).

Per phase (on by default, ``--no-phases`` skips it): median wall and CPU ms of zero_grad, each layer's forward,
GroupSum + loss, each layer's backward and Adam, for both Numba variants. CPU time is the
process's, all threads together: on a shared machine it is the steadier figure.

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
from _timing import phase_times, time_steps, train_step
from numba import njit
from torch import nn

from ldlgn.heap import retain_freed_memory
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


def make_model(kind: str, n_in: int, width: int, depth: int, k: int) -> nn.Sequential:
    """``kind``: ``mixture``, ``torch``, ``numba`` or ``numba-chain`` (the estimator chain in torch)."""
    dims = [n_in] + [width] * depth
    layers: list[nn.Module]
    if kind == "mixture":
        layers = [MixtureLayer(i, o) for i, o in zip(dims[:-1], dims[1:])]
    else:
        backend = "numba" if kind.startswith("numba") else kind
        gates = [LogicLayer(i, o, backend=backend) for i, o in zip(dims[:-1], dims[1:])]
        for gate_layer in gates:
            gate_layer.fused_estimator = kind != "numba-chain"
        layers = list(gates)
    return nn.Sequential(*layers, GroupSum(k, tau=10.0))


def make_optimizer(kind: str, model: nn.Module) -> torch.optim.Adam:
    """Adam as the trainer runs it on the CPU (fused: ``ldlgn.train_step.make_step``); the previous
    Numba variant and the mixture keep the default form they were measured with."""
    fused = kind in ("numba", "torch")
    return torch.optim.Adam(model.parameters(), lr=0.01, fused=fused or None)


def make_step(kind: str, model, x, y):
    """One training step (forward, backward, Adam) as a closure."""
    return train_step(model, make_optimizer(kind, model), nn.CrossEntropyLoss(), x, y)


def print_phases(kinds: dict[str, str], n_in, width, depth, k, x, y, repeats: int) -> None:
    """Median wall / CPU ms per phase of each Numba variant, the variants measured in turn."""
    runs = {}
    for kind in kinds:
        model = make_model(kind, n_in, width, depth, k)
        opt = make_optimizer(kind, model)
        runs[kind] = (list(model)[:-1], model[-1], opt)
    loss_fn = nn.CrossEntropyLoss()
    rounds: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for r in range(repeats + 2):  # two warm-up rounds
        for kind, (layers, head, opt) in runs.items():
            if r >= 2:
                rounds[kind].append(phase_times(layers, head, loss_fn, opt, x, y, 1))
            else:
                phase_times(layers, head, loss_fn, opt, x, y, 1)
    medians = {kind: _median_phases(rs) for kind, rs in rounds.items()}
    groups = ["zero_grad", "forward", "head", "head backward", "backward", "Adam"]
    print(f"per phase, ms wall / CPU (median of {repeats} steps; forward and backward summed over the layers):")
    print("  " + f"{'phase':16s}" + "".join(f"{name:>36s}" for name in kinds.values()))
    for group in groups + ["total"]:
        cells = []
        for kind in kinds:
            w, c = _group(medians[kind], group)
            cells.append(f"{w:10.2f} / {c:8.2f}")
        print(f"  {group:16s}" + "".join(f"{cell:>36s}" for cell in cells))
    for kind, name in kinds.items():
        per_layer = [medians[kind][f"backward {i}"][1] for i in range(depth)]
        fwd = [medians[kind][f"forward {i}"][1] for i in range(depth)]
        print(f"  {name}: CPU ms per layer, forward {_fmt(fwd)}, backward {_fmt(per_layer)}")


def _median_phases(rounds: list[dict]) -> dict[str, tuple[float, float]]:
    return {
        name: (statistics.median(r[name][0] for r in rounds), statistics.median(r[name][1] for r in rounds))
        for name in rounds[0]
    }


def _group(phases: dict[str, tuple[float, float]], group: str) -> tuple[float, float]:
    if group == "total":
        names = list(phases)
    elif group in ("forward", "backward"):
        names = [n for n in phases if n.startswith(group + " ")]
    else:
        names = [group]
    return sum(phases[n][0] for n in names), sum(phases[n][1] for n in names)


def _fmt(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def traffic_bytes(n_in: int, width: int, depth: int, batch: int) -> int:
    """Bytes a step moves at least (float32): each layer's forward reads two rows per gate and
    writes one; its backward reads the output gradient and the other operand per reader slot, the
    input rows once and writes the input gradient (the first layer: three rows per gate, no input
    gradient); Adam reads parameters, gradients and both moments and writes three of them."""
    row = 4 * batch
    forward = depth * 3 * width * row
    backward = 3 * width * row + (depth - 1) * (2 * 2 * width + 2 * width) * row
    adam = 7 * 4 * 4 * width * depth
    return forward + backward + adam


def gather_bandwidth(width: int, batch: int, repeats: int = 30) -> float:
    """Bytes per second of copying random rows of a (width, batch) float32 array on one core (read
    and write counted): the gate kernels' access pattern without their arithmetic."""
    rng = np.random.default_rng(2)
    src = rng.random((width, batch), dtype=np.float32)
    idx = rng.integers(0, width, 2 * width)
    out = np.empty((2 * width, batch), dtype=np.float32)
    _gather_rows(src, idx, out)  # compile
    best = min(_timed(lambda: _gather_rows(src, idx, out)) for _ in range(repeats))
    return 2 * out.nbytes / best


@njit(cache=True)
def _gather_rows(src, idx, out):
    for i in range(idx.shape[0]):
        row = idx[i]
        for s in range(out.shape[1]):
            out[i, s] = src[row, s]


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


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
    p.add_argument("--no-phases", dest="phases", action="store_false", help="skip the per-phase split")
    p.add_argument("--no-mixture", dest="mixture", action="store_false", help="skip the slow mixture reference")
    p.add_argument("--no-eval", dest="eval", action="store_false", help="skip the discrete evaluation")
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
    kinds = ("numba", "numba-chain", "torch")
    fast = {kind: make_step(kind, make_model(kind, n_in, width, depth, k), x, y) for kind in kinds}
    cpu: dict[str, float] = {}
    results = time_steps(fast, steps, warmup, cpu=cpu)
    if args.mixture:
        mixture = {"mixture": make_step("mixture", make_model("mixture", n_in, width, depth, k), x, y)}
        results.update(time_steps(mixture, max(3, steps // 5), 1, cpu=cpu))  # seconds per step: fewer repetitions
    base = results["torch"]
    names = {
        "numba": "numba, fused estimator",
        "numba-chain": "numba, torch estimator (previous)",
        "torch": "torch polynomial (baseline)",
        "mixture": "torch 16-gate softmax mixture",
    }
    for kind in results:
        print(
            f"  {names[kind]:34s} {results[kind]:8.1f} ms/step (CPU {cpu[kind]:7.1f} ms)   "
            f"speed-up vs torch {base / results[kind]:5.2f}x"
        )
    print(
        f"  fused / previous: {results['numba-chain'] / results['numba']:.2f}x wall, "
        f"{cpu['numba-chain'] / cpu['numba']:.2f}x CPU; heap retained between steps: {retain_freed_memory()} "
        "(LDLGN_RETAIN_HEAP=0 turns it off)"
    )
    traffic, bandwidth = traffic_bytes(n_in, width, depth, batch), gather_bandwidth(width, batch)
    print(
        f"  bound: a step moves >= {traffic / 1e6:.0f} MB; random {4 * batch}-byte rows move at "
        f"{bandwidth / 1e9:.0f} GB/s on one core here (best of 30) -> >= {1e3 * traffic / bandwidth:.1f} ms "
        f"of one core's time per step; the kernels' CPU time is in the phase split below"
    )
    if args.phases:
        print_phases({kind: names[kind] for kind in ("numba", "numba-chain")}, n_in, width, depth, k, x, y, steps)
    if args.eval:
        fast_eval, ref = bench_eval(n_in, width, depth, k, n_fast, n_ref)
        print(f"discrete evaluation, random netlist of {depth * width} gates, {k} classes:")
        print(f"  bitsim.predict_netlist ({n_fast} samples)  {fast_eval:12,.0f} samples/s")
        print(f"  reference.predict ({n_ref} samples) {ref:10,.0f} samples/s   ratio {fast_eval / ref:,.0f}x")


if __name__ == "__main__":
    main()
