"""One training step (forward, cross-entropy, backward, Adam): eager, or replayed as a CUDA graph.

A deep network of small layers at a small batch is launch-bound on a GPU: each step launches
thousands of small kernels. ``--cuda-graphs`` captures the whole step once with ``torch.cuda.graphs``
and replays it, so a step costs a handful of launches (docs/gpu.md). What the graph cannot hold
stays eager: the thermometer encoder (it checks its integer inputs, which synchronizes) runs before
each replay and writes its bits into the graph's static input.

Capture needs a few eager warm-up steps (they build the kernels' caches and the optimizer state).
They run on a snapshot: afterwards the parameters and the Adam state are restored in place, so
the run continues as if they never happened. Adam runs fused (one kernel updates every parameter,
where the default form makes several passes over them; its step counts live on the device), whose
arithmetic rounds slightly differently from the eager form: a graphed run follows the eager one
to float32 tolerance, not bit for bit. The loss is read after the replay, so a diverged step has
already reached the parameters in memory when the run stops; the checkpoints on disk are those of
earlier evaluations, as in an eager run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import cast

import torch
from torch import nn

from . import distributed
from .distributed import Context

#: a step: ``(x, y, step number) -> loss`` as a float, checked finite
Step = Callable[[torch.Tensor, torch.Tensor, int], float]
#: the divergence check: ``(loss tensor, step number) -> loss`` as a float, raising when not finite
Check = Callable[[torch.Tensor, int], float]
WARMUP_STEPS = 3

__all__ = ["WARMUP_STEPS", "GraphedStep", "make_step"]


def make_step(
    net: nn.Module, model: nn.Module, opt: torch.optim.Optimizer, graphs: bool, ctx: Context, check: Check
) -> Step:
    """The step function of a run: ``net`` is what the forward calls (``model`` or its DDP wrapper);
    with ``graphs`` the step is captured on its first call and replayed after."""
    loss_fn = nn.CrossEntropyLoss()
    if graphs:
        captured: list[GraphedStep] = []

        def graphed(x: torch.Tensor, y: torch.Tensor, step: int) -> float:
            if not captured:
                captured.append(GraphedStep(model, opt, loss_fn, x, y))
            return check(captured[0].replay(x, y), step)

        return graphed

    for group in opt.param_groups:  # eager Adam, also when resuming a graphed run's last.pt; on the
        # CPU fused: one pass per parameter where the default form makes a dozen (bench/train_cpu.py)
        on_cpu = all(p.device.type == "cpu" and p.is_floating_point() for p in group["params"])
        group["capturable"], group["fused"] = False, (True if on_cpu else None)

    def eager(x: torch.Tensor, y: torch.Tensor, step: int) -> float:
        opt.zero_grad(set_to_none=True)
        batch_loss = loss_fn(net(x), y)
        loss = check(distributed.global_loss(batch_loss, ctx), step)  # before it reaches the parameters
        batch_loss.backward()
        opt.step()
        return loss

    return eager


class GraphedStep:
    """A training step of ``model`` captured as a CUDA graph for batches shaped like ``(x, y)``."""

    def __init__(self, model: nn.Module, opt: torch.optim.Optimizer, loss_fn: nn.Module, x, y, warmup=WARMUP_STEPS):
        if not (isinstance(x, torch.Tensor) and x.device.type == "cuda"):
            raise ValueError("a CUDA graph captures work on a CUDA device: train with --device cuda")
        self.model, self.opt, self.loss_fn = model, opt, loss_fn
        _graph_safe(opt)
        self.encoder = cast(nn.Module, model.encoder)  # runs eagerly before each replay
        self.bits = self.encoder(x).detach().clone()
        self.y = y.detach().clone()
        saved = _snapshot(model, opt)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side), _encoded_inputs(model):
            for _ in range(warmup):
                opt.zero_grad(set_to_none=True)
                self._step()
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(self.graph), _encoded_inputs(model):
            self.loss = self._step()
        _restore(saved, model, opt)

    def _step(self) -> torch.Tensor:
        loss = self.loss_fn(self.model(self.bits), self.y)
        loss.backward()
        self.opt.step()
        return loss.detach()

    def replay(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Run the step on ``(x, y)``; returns the loss (a static tensor the next replay overwrites)."""
        if y.shape != self.y.shape:
            raise ValueError(f"a CUDA graph replays batches of {len(self.y)} rows, got {len(y)}")
        self.bits.copy_(self.encoder(x))
        self.y.copy_(y)
        self.graph.replay()
        return self.loss


@contextmanager
def _encoded_inputs(model: nn.Module) -> Iterator[None]:
    """Within the block ``model`` takes encoder bits: its encoder is replaced by the identity."""
    encoder = model.encoder
    model.encoder = nn.Identity()
    try:
        yield
    finally:
        model.encoder = encoder


def _graph_safe(opt: torch.optim.Optimizer) -> None:
    """Switch Adam to its fused, capturable form (its step counts become device tensors)."""
    for group in opt.param_groups:
        group["capturable"], group["fused"] = True, True
        for p in group["params"]:
            state = opt.state.get(p)
            if state and "step" in state:
                state["step"] = torch.as_tensor(state["step"], dtype=torch.float32, device=p.device).clone()


def _snapshot(model: nn.Module, opt: torch.optim.Optimizer) -> tuple[list[torch.Tensor], dict]:
    params = [p.detach().clone() for p in model.parameters()]
    state = {p: {k: v.clone() for k, v in s.items()} for p, s in opt.state.items()}
    return params, state


@torch.no_grad()
def _restore(saved: tuple[list[torch.Tensor], dict], model: nn.Module, opt: torch.optim.Optimizer) -> None:
    """Undo the warm-up in place (the graph holds these very tensors); fresh Adam state is zeros."""
    params, state = saved
    for p, value in zip(model.parameters(), params):
        p.copy_(value)
    for param, current in opt.state.items():
        for key, tensor in current.items():
            if param in state:
                tensor.copy_(state[param][key])
            else:
                tensor.zero_()
