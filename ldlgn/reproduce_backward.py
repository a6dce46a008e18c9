"""Claim (d) of ``ldlgn reproduce``: IWP's backward pass against OP's, at equal shapes.

The paper times IWP's CUDA kernels against difflogic's OP CUDA kernel, whose forward pass and input
gradient work on all 16 gates per sample. ldlgn's default OP kernel (``coefficients``) folds the
softmax into four coefficients per gate first, so its per-sample work equals IWP's. IWP is timed here
against OP on three kernels (:mod:`ldlgn.op_sixteen`), on the Numba CPU kernels: ``difflogic`` (the
per-sample work of difflogic's CUDA kernel: the paper's comparison), ``sixteen`` (16 weight-gradient
sums per sample, as autograd through difflogic's Python implementation) and ``coefficients`` (what
``ldlgn train --param op`` runs by default). The networks share their connections and batch and
take turns on every repeat, so load on the machine hits them alike. Each pass is timed by the wall
clock and by the CPU time of the process: on a machine that other jobs share, a single-threaded
run's CPU time counts the work without the time the scheduler gives to others
(``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1``; with more threads it also counts their waiting).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numba
import numpy as np
import torch

from .model import LogicNet

#: the timed networks: (parametrization, OP kernel)
TIMED = {
    "iwp": ("iwp", "coefficients"),
    "opd": ("op", "difflogic"),
    "op16": ("op", "sixteen"),
    "op": ("op", "coefficients"),
}
#: IWP's speed-up over each OP network, and what it compares
COMPARISONS = {
    "speedup_difflogic": ("opd", "OP on difflogic's CUDA kernel's per-sample work, the paper's comparison"),
    "speedup_sixteen": ("op16", "OP with 16 weight-gradient sums per sample"),
    "speedup": ("op", "OP on ldlgn's default kernel (softmax folded into 4 coefficients)"),
}
PAPERS_COMPARISON = "speedup_difflogic"


def timed_pass(model: LogicNet, bits: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Wall-clock and CPU seconds of one training-mode forward pass from encoded ``bits`` (gate
    layers, GroupSum, loss) and of its ``loss.backward()`` (gradients cleared first), as the paper's
    timing loop measures them (its inputs are encoded once, before training)."""
    model.zero_grad(set_to_none=True)
    w0, c0 = time.perf_counter(), time.process_time()
    h = bits
    for layer in model.layers:
        h = layer(h)
    loss = torch.nn.functional.cross_entropy(model.group_sum(h), y)
    w1, c1 = time.perf_counter(), time.process_time()
    loss.backward()
    w2, c2 = time.perf_counter(), time.process_time()
    return {"forward": w1 - w0, "backward": w2 - w1, "forward_cpu": c1 - c0, "backward_cpu": c2 - c1}


def pass_times(ds, width: int, depth: int, batch: int, repeats: int) -> dict[str, dict[str, list[float]]]:
    """Forward and backward seconds of ``repeats`` passes of each network in :data:`TIMED` (after
    two warm-ups), the networks taking turns."""
    models = {}
    for name, (param, op_kernel) in TIMED.items():
        torch.manual_seed(0)  # the same connections in every network
        m = LogicNet(
            ds.num_features,
            ds.num_classes,
            width,
            depth,
            3,
            ds.input_bits,
            10.0,
            param,
            backend="numba",
            op_kernel=op_kernel,
        )
        m.encoder.fit(ds.x_train, "uniform")
        models[name] = m.train()
    rng = np.random.default_rng(0)
    bits = models["iwp"].encoder(torch.as_tensor(ds.x_train[rng.integers(0, len(ds.x_train), batch)]))
    y = torch.as_tensor(rng.integers(0, ds.num_classes, batch))
    times: dict[str, dict[str, list[float]]] = {n: {} for n in models}
    for r in range(repeats + 2):
        for name, m in models.items():
            for kind, seconds in timed_pass(m, bits, y).items():
                if r >= 2:
                    times[name].setdefault(kind, []).append(seconds)
    return times


def shape_row(width: int, depth: int, batch: int, times: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """One shape's record: per network the median and the fastest wall-clock backward ms, the median
    CPU backward ms (``_cpu_ms``) and the median forward ms of both clocks; and the speed-ups of IWP
    over each OP kernel as ratios of the medians (wall clock; ``*_cpu``: CPU time; ``*_min``: of the
    fastest; ``*_forward``: the forward pass). On a shared machine the median of interleaved repeats
    is steadier than the fastest."""
    row: dict[str, Any] = {"width": width, "depth": depth, "batch": batch}
    for name, t in times.items():
        row[f"{name}_min_ms"], row[f"{name}_ms"] = min(t["backward"]) * 1e3, statistics.median(t["backward"]) * 1e3
        row[f"{name}_cpu_ms"] = statistics.median(t["backward_cpu"]) * 1e3
        row[f"{name}_forward_ms"] = statistics.median(t["forward"]) * 1e3
        row[f"{name}_forward_cpu_ms"] = statistics.median(t["forward_cpu"]) * 1e3
    for key, (op, _) in COMPARISONS.items():
        for suffix, ms in (("", "ms"), ("_min", "min_ms"), ("_cpu", "cpu_ms"), ("_forward", "forward_ms")):
            row[key + suffix] = row[f"{op}_{ms}"] / row[f"iwp_{ms}"]
        row[f"{key}_forward_cpu"] = row[f"{op}_forward_cpu_ms"] / row["iwp_forward_cpu_ms"]
    return row


def claim_backward(shapes, repeats: int, ds) -> dict[str, Any]:
    """(d): backward (and forward) time of IWP against OP on each OP kernel, per shape."""
    rows = [shape_row(w, d, b, pass_times(ds, w, d, b, repeats)) for w, d, b in shapes]

    def summary(key: str) -> str:
        cpu, wall = (", ".join(f"{r[key + s]:.2f}x" for r in rows) for s in ("_cpu", ""))
        return f"up to {max(r[key + '_cpu'] for r in rows):.2f}x (per shape {cpu}; wall clock {wall})"

    shapes_text = ", ".join(f"{r['width']}x{r['depth']} batch {r['batch']}" for r in rows)
    ours = "; ".join(f"against {what}: {summary(key)}" for key, (_, what) in COMPARISONS.items())
    threads = numba.get_num_threads()
    ours += (
        f"; shapes {shapes_text}; CPU time, medians of {repeats} interleaved repeats, Numba, "
        f"{threads} thread{'s' if threads > 1 else ''}"
    )
    claim: dict[str, Any] = {
        "shapes": rows,
        "ours": ours,
        "threads": {"numba": threads, "torch": torch.get_num_threads()},
    }
    claim.update({f"max_{key}": max(r[key] for r in rows) for key in COMPARISONS})
    claim.update({f"max_{key}_cpu": max(r[key + "_cpu"] for r in rows) for key in COMPARISONS})
    claim["matches_paper"] = f"{PAPERS_COMPARISON}: {COMPARISONS[PAPERS_COMPARISON][1]}"
    return claim
