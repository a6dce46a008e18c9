"""Timing helpers the training benchmarks share: a device clock, interleaved step timing, the eager
training step and the median forward and backward times.

The benchmarks run as scripts, so their own folder is on ``sys.path`` and ``import _timing`` finds
this module.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch


class Clock:
    """Milliseconds of device work: CUDA events on a GPU, the wall clock on the CPU."""

    def __init__(self, device: str):
        self.cuda = device == "cuda"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def time(self, fn, calls: int = 1) -> float:
        """Mean milliseconds of ``calls`` consecutive calls of ``fn``."""
        self.sync()
        if not self.cuda:
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            return (time.perf_counter() - start) * 1e3 / calls
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        return begin.elapsed_time(end) / calls


def time_steps(steps: dict, repeats: int, warmup: int = 2, cpu: dict | None = None) -> dict:
    """Median ms per step of each closure; the closures take turns so load changes hit all alike.
    A dict passed as ``cpu`` receives the median CPU ms per step (the process's, all threads)."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    cpu_times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            times[name].append(time.perf_counter() - t0)
            cpu_times[name].append(time.process_time() - c0)
    if cpu is not None:
        cpu.update({name: 1e3 * statistics.median(t) for name, t in cpu_times.items()})
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def train_step(net, opt, loss_fn, x, y) -> Callable[[], None]:
    """One eager training step (forward, backward, optimizer) on a fixed batch, as a closure."""

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x), y).backward()
        opt.step()

    return step


def graphed_step(model, opt, loss_fn, x, y) -> Callable[[], None]:
    """The same step captured once as a CUDA graph (:class:`ldlgn.train_step.GraphedStep`) and
    replayed on the fixed batch, as a closure."""
    from ldlgn.train_step import GraphedStep

    graphed = GraphedStep(model, opt, loss_fn, x, y)

    def step():
        graphed.replay(x, y)

    return step


def forward_backward(net, loss_fn, x, y, timer: Callable, repeat: int, opt=None) -> tuple[float, float]:
    """Median ``timer`` results of the forward pass and of the backward pass over ``repeat`` runs;
    with ``opt``, the gradients are cleared after each backward so they do not accumulate."""
    forward = statistics.median(timer(lambda: net(x)) for _ in range(repeat))
    backward = []
    for _ in range(repeat):
        loss = loss_fn(net(x), y)
        backward.append(timer(loss.backward))
        if opt is not None:
            opt.zero_grad(set_to_none=True)
    return forward, statistics.median(backward)


def phase_times(layers, head, loss_fn, opt, x, y, repeats: int) -> dict[str, tuple[float, float]]:
    """Median ``(wall ms, CPU ms)`` per phase of an eager step: ``zero_grad``, each layer's forward
    (``forward i``), ``head`` (GroupSum and loss), ``head backward``, each layer's backward
    (``backward i``: its autograd nodes, up to the gradient of its input) and ``Adam``.

    A layer's backward ends when the gradient of its input arrives (a tensor hook), so the
    parametrization's own nodes (ω → c) count towards the layer that uses them. CPU time is the
    process's, all threads together."""
    samples: dict[str, list[tuple[float, float]]] = {}

    def clock() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    marks: list[tuple[str, tuple[float, float]]] = []

    def mark(name: str) -> None:
        marks.append((name, clock()))

    for _ in range(repeats):
        marks.clear()
        mark("")
        opt.zero_grad(set_to_none=True)
        mark("zero_grad")
        h, outs = x, []
        for i, layer in enumerate(layers):
            h = layer(h)
            outs.append(h)
            mark(f"forward {i}")
        loss = loss_fn(head(h), y)
        mark("head")
        names = ["head backward"] + [f"backward {i}" for i in range(len(layers) - 1, 0, -1)]
        for name, out in zip(names, reversed(outs)):
            if out.requires_grad:
                out.register_hook(lambda g, name=name: mark(name))
        loss.backward()
        mark("backward 0")
        opt.step()
        mark("Adam")
        for (_, (w0, c0)), (name, (w1, c1)) in zip(marks, marks[1:]):
            samples.setdefault(name, []).append((w1 - w0, c1 - c0))
    return {
        name: (1e3 * statistics.median(w for w, _ in s), 1e3 * statistics.median(c for _, c in s))
        for name, s in samples.items()
    }
