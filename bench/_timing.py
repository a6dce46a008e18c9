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


def time_steps(steps: dict, repeats: int, warmup: int = 2) -> dict:
    """Median ms per step of each closure; the closures take turns so load changes hit all alike."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
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
