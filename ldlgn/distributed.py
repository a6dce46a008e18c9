"""Data-parallel training over several processes: torch ``DistributedDataParallel``.

``torchrun --nproc_per_node N -m ldlgn train --ddp ...`` starts N processes (ranks); torchrun
describes the group in the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT``). Ranks talk over NCCL on CUDA GPUs (rank ``r`` takes GPU ``LOCAL_RANK``) and gloo
on the CPU. ``--batch-size`` stays the global batch: step ``s``'s batch is the same pure function
of the seed and the step as in a single process (:mod:`ldlgn.batches`), and rank ``r`` trains on its
``r``-th equal share of it. DDP averages the ranks' gradients, so the update is the one of the whole
batch up to float rounding: the ranks sum their shares' gradients separately before the all-reduce
adds them, an order of additions that differs from one process summing the whole batch.

Every rank builds the same model from the seed and, with ``resume``, reads the same ``last.pt``;
only rank 0 evaluates and writes checkpoints and metrics. One process (no ``--ddp``, or a world of
one) runs exactly the code of a plain run: same bytes.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from .config import TrainConfig

log = logging.getLogger(__name__)

#: the variables torchrun sets for each process
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")

__all__ = ["TORCHRUN_ENV", "Context", "any_rank", "global_loss", "session", "shard", "wrap"]


@dataclass(frozen=True)
class Context:
    """Where this process stands in the group (a plain run: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that evaluates and writes files."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        """Several processes train together."""
        return self.world_size > 1


def _env_context() -> Context | None:
    """The group torchrun described in the environment, ``None`` when it described none."""
    if "WORLD_SIZE" not in os.environ:
        return None
    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local = int(os.environ.get("LOCAL_RANK", rank))
    except (KeyError, ValueError):
        raise ValueError(
            f"the launcher's environment is incomplete or not integers: {', '.join(TORCHRUN_ENV)} "
            f"must be set (torchrun sets them); got RANK={os.environ.get('RANK')!r}, "
            f"WORLD_SIZE={os.environ.get('WORLD_SIZE')!r}"
        ) from None
    if not (world >= 1 and 0 <= rank < world and local >= 0):
        raise ValueError(f"bad process group: RANK={rank}, WORLD_SIZE={world}, LOCAL_RANK={local}")
    return Context(rank, world, local)


def context(cfg: TrainConfig) -> Context:
    """This process's place for ``cfg``, checked before anything starts: ``--ddp`` needs torchrun's
    environment, several processes need ``--ddp``, a batch that splits evenly, and no CUDA graphs."""
    env = _env_context()
    if cfg.ddp and env is None:
        raise ValueError(
            "--ddp trains one share of each batch per process, but no process group is described in "
            "the environment: launch it with torchrun --nproc_per_node N -m ldlgn train --ddp ..."
        )
    if env is None or env.world_size == 1:
        return Context()
    if not cfg.ddp:
        raise ValueError(
            f"this is one of {env.world_size} processes (WORLD_SIZE={env.world_size}): add --ddp to "
            "train them data-parallel, or run a single process"
        )
    if cfg.batch_size % env.world_size:
        raise ValueError(
            f"--batch-size {cfg.batch_size} does not split into {env.world_size} equal shares: "
            f"use a multiple of {env.world_size}"
        )
    if cfg.cuda_graphs:
        raise ValueError("--cuda-graphs captures a single process's step; it cannot be combined with --ddp")
    return env


@contextmanager
def session(cfg: TrainConfig) -> Iterator[Context]:
    """Join the process group for the ``with`` block (nothing to join for a single process)."""
    ctx = context(cfg)
    if not ctx.active:
        yield ctx
        return
    if cfg.device.startswith("cuda"):
        if torch.cuda.device_count() <= ctx.local_rank:
            raise ValueError(f"rank {ctx.rank} wants GPU {ctx.local_rank}, torch sees {torch.cuda.device_count()}")
        torch.cuda.set_device(ctx.local_rank)  # "cuda" now means this rank's GPU
    backend = "nccl" if cfg.device.startswith("cuda") else "gloo"
    dist.init_process_group(backend, rank=ctx.rank, world_size=ctx.world_size)
    log.info("rank %d of %d joined the %s process group", ctx.rank, ctx.world_size, backend)
    try:
        yield ctx
        # leave together: a rank that tears its gloo pairs down while rank 0 still writes the
        # final files can abort at exit (seen rarely under load), so all wait for the slowest
        dist.barrier()
    finally:
        dist.destroy_process_group()


def wrap(model: torch.nn.Module, ctx: Context) -> torch.nn.Module:
    """The module the training step calls: ``DistributedDataParallel`` over ``model`` when several
    processes train (rank 0's parameters are broadcast; the buffers are equal by construction, so
    they are not sent again on every forward), else ``model`` itself."""
    if not ctx.active:
        return model
    from torch.nn.parallel import DistributedDataParallel

    on_gpu = next(model.parameters()).device.type == "cuda"
    ids = [ctx.local_rank] if on_gpu else None
    # newer torch names the option forward_sync_buffers (it still syncs once, at init: harmless here)
    newer = "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
    no_sync: dict[str, Any] = {"forward_sync_buffers": False} if newer else {"broadcast_buffers": False}
    return DistributedDataParallel(model, device_ids=ids, **no_sync)


def shard(batch: tuple[torch.Tensor, torch.Tensor], ctx: Context) -> tuple[torch.Tensor, torch.Tensor]:
    """This rank's equal, contiguous share of a global batch ``(x, y)``."""
    if not ctx.active:
        return batch
    x, y = batch
    size = len(y) // ctx.world_size
    part = slice(ctx.rank * size, (ctx.rank + 1) * size)
    return x[part], y[part]


def global_loss(batch_loss: torch.Tensor, ctx: Context) -> torch.Tensor:
    """The mean loss over the whole batch (the ranks' shares are equal), for the record and the
    divergence check every rank makes alike; the tensor itself for a single process."""
    if not ctx.active:
        return batch_loss
    total = batch_loss.detach().clone()
    dist.all_reduce(total)
    return total / ctx.world_size


def any_rank(flag: bool, ctx: Context) -> bool:
    """Whether ``flag`` is set on any rank (so that all stop after the same step)."""
    if not ctx.active:
        return flag
    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value)
    return bool(value.item())
