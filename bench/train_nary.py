"""Numba training step of n-input gates (IWP, 2**n parameters per gate) beside two-input gates.

Shape: 400 inputs → depth × width gates, GroupSum k=10, batch 100, Adam lr 0.01 (fused, as
``ldlgn.train_step`` runs it on the CPU); median wall-clock and CPU ms per step (forward + backward
+ Adam) of the Numba kernels for n = 2 (``LogicLayer``, today's kernels, the baseline) and n = 3,
4, 6 (``NaryLayer``, :mod:`ldlgn.numba_nary`), all timed in turns in one run, at equal gate count
(every n at ``--width``) and at equal parameter count (n-input layers ``width·4 / 2**n`` gates,
rounded up to a multiple of k); ``--chain`` adds the largest n on the coefficient chain.

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/train_nary.py``
(``--quick`` for a smaller shape).
"""

from __future__ import annotations

import argparse
import os

import torch
from _timing import time_steps, train_step
from torch import nn

from ldlgn.layers import GroupSum, LogicLayer
from ldlgn.nary import NaryLayer

ARITIES = (2, 3, 4, 6)


def make_model(n: int, n_in: int, width: int, depth: int, k: int, fused: bool = True) -> nn.Module:
    """``depth`` layers of ``width`` n-input gates (n = 2: today's ``LogicLayer``) and GroupSum;
    ``fused=False``: n-input layers take the coefficient chain (:attr:`NaryLayer.fused`)."""
    dims = [n_in] + [width] * depth
    layers: list[nn.Module] = [
        LogicLayer(i, o, backend="numba") if n == 2 else NaryLayer(i, o, n, backend="numba")
        for i, o in zip(dims[:-1], dims[1:])
    ]
    for layer in layers:
        if isinstance(layer, NaryLayer):
            layer.fused = fused
    return nn.Sequential(*layers, GroupSum(k, tau=10.0))


def equal_parameter_width(n: int, width: int, k: int) -> int:
    """Gates per layer that give n-input gates the parameters of ``width`` two-input gates."""
    return -(-(width * 4 >> n) // k) * k


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", type=int, default=2000)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--steps", type=int, default=20, help="timed steps per model (median)")
    p.add_argument("--arities", type=int, nargs="+", default=list(ARITIES[1:]), help="n > 2 to time beside n = 2")
    p.add_argument(
        "--chain", action="store_true", help="also the largest n at equal gates on the coefficient chain (fused off)"
    )
    p.add_argument("--quick", action="store_true", help="width 500, 5 steps")
    args = p.parse_args()
    width, depth, steps = (500, args.depth, 5) if args.quick else (args.width, args.depth, args.steps)
    n_in, k, batch = 400, 10, 100
    torch.manual_seed(0)
    x = torch.rand(batch, n_in)
    y = torch.randint(k, (batch,))
    print(
        f"training step, Numba: {n_in} inputs -> {depth} x gates, GroupSum k={k}, batch {batch}, Adam; "
        f"median of {steps} steps, models in turns; torch threads {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    shapes = {"n=2": (2, width, True)}
    for n in args.arities:
        shapes[f"n={n} equal gates"] = (n, width, True)
        shapes[f"n={n} equal params"] = (n, equal_parameter_width(n, width, k), True)
    if args.chain:
        shapes[f"n={max(args.arities)} coeff. chain"] = (max(args.arities), width, False)
    loss = nn.CrossEntropyLoss()
    closures, params = {}, {}
    for name, (n, w, fused) in shapes.items():
        model = make_model(n, n_in, w, depth, k, fused)
        params[name] = sum(q.numel() for q in model.parameters())
        opt = torch.optim.Adam(model.parameters(), lr=0.01, fused=True)  # as the trainer runs it on the CPU
        closures[name] = train_step(model, opt, loss, x, y)
    cpu: dict[str, float] = {}
    ms = time_steps(closures, steps, warmup=2, cpu=cpu)  # wall and CPU time of the same steps
    base, cpu_base = ms["n=2"], cpu["n=2"]
    print("  wall-clock ms per step, and the CPU ms of all threads (steadier on a loaded machine):")
    for name, (_n, w, _fused) in shapes.items():
        print(
            f"  {name:18s} {depth} x {w:5d} gates {params[name]:8,d} params  {ms[name]:8.2f} ms/step  "
            f"{ms[name] / base:5.2f}x n=2 ({base:.2f} ms);  CPU {cpu[name]:8.2f} ms  "
            f"{cpu[name] / cpu_base:5.2f}x n=2 ({cpu_base:.2f} ms)"
        )


if __name__ == "__main__":
    main()
