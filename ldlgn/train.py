"""Trainer: Adam on cross-entropy, periodic relaxed and discretized validation, best checkpoint,
exact resume.

``out_dir/model.pt`` holds the best model by discretized validation accuracy (the same bytes for
the same seed and settings), ``out_dir/last.pt`` the full training state (model, optimizer, step,
history) written at every evaluation and when the run is interrupted (Ctrl-C
takes effect at the end of the current step), and ``out_dir/metrics.json`` the final figures.
``out_dir/.lock`` marks the folder as in use while a run lasts. Each epoch visits the training
rows in a fresh seeded order (:mod:`ldlgn.batches`); a batch depends only on the seed and the step,
so an interrupted run resumed with ``resume=True`` ends bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypedDict, cast

import numpy as np
import torch
from tqdm.auto import tqdm

from . import augment, checkpoint, distributed, sizing
from .batches import SAMPLER, BatchStream
from .compiler.fileio import check_output_dir, lock_folder, write_json
from .config import TrainConfig
from .model import GateNet, LogicNet
from .train_step import make_step

__all__ = ["TrainConfig", "accuracy", "build_model", "train"]


class _RunState(TypedDict):
    """Where a run stands; saved in ``last.pt`` as JSON so ``resume`` continues from it."""

    step: int
    seconds: float
    best_val: float
    best_step: int
    history: list[dict[str, Any]]


def build_model(cfg: TrainConfig, ds) -> GateNet:
    """A fresh model for ``cfg`` with its encoder fitted on the training split: a ``ConvLogicNet``
    of ``cfg.arch`` on the data's images when an architecture is given, else a ``LogicNet``."""
    torch.manual_seed(cfg.seed)
    if cfg.arch:
        from .conv_model import build_conv_model

        return build_conv_model(cfg, ds).to(cfg.device)
    model = LogicNet(
        ds.x_train.shape[1],
        ds.num_classes,
        cfg.width,
        cfg.depth,
        cfg.num_thresholds,
        ds.input_bits,
        cfg.tau,
        cfg.parametrization,
        cfg.estimator,
        cfg.init,
        cfg.connections,
        cfg.grad_factor,
        cfg.backend,
        cfg.mu,
        cfg.op_kernel,
        gate_inputs=cfg.gate_inputs,
    )
    model.encoder.fit(ds.x_train, cfg.encoding)
    return model.to(cfg.device)


def accuracy(model: GateNet, x, y, discrete: bool) -> float:
    """Discretized (``predict``) or relaxed (training-mode forward) accuracy."""
    if len(y) == 0:
        return float("nan")
    if discrete:
        pred = model.predict(x)[1]
    else:
        was = model.training
        model.train()
        with torch.no_grad():
            pred = torch.cat([model(x[i : i + 2048]).argmax(1).cpu() for i in range(0, len(x), 2048)]).numpy()
        model.train(was)
    return float((pred == np.asarray(y)).mean())


def train(cfg: TrainConfig, out_dir, resume: bool = False, progress: bool = True, dataset=None) -> dict:
    """Train, keep the best checkpoint, write metrics; returns the metrics dict.

    Options, the run's memory (:mod:`ldlgn.sizing`) and ``resume`` are checked before anything
    is written; the run holds ``out_dir/.lock``, so a second run on the same folder is refused.
    """
    from .datasets import load_dataset

    cfg.check()
    if cfg.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA GPU")
    distributed.context(cfg)  # several processes: the launch and the options fit (ldlgn.distributed)
    out = check_output_dir(out_dir)
    if resume and not (out / "last.pt").is_file():
        raise ValueError(f"nothing to resume in {out}: it holds no last.pt (start a new run without --resume)")
    ds = dataset if dataset is not None else load_dataset(cfg.data, cfg.root, seed=cfg.seed)
    if cfg.augment:
        augment.image_shape(ds.feature_shape, ds.name)
    if cfg.arch:
        from .conv_model import check_conv_training_fits

        check_conv_training_fits(cfg, ds)
    else:
        sizing.check_training_fits(
            ds.x_train.shape[1],
            ds.num_classes,
            {k: getattr(cfg, k) for k in sizing.SIZE_OPTIONS},
            cfg.parametrization,
            gate_inputs=cfg.gate_inputs,
        )
    with distributed.session(cfg) as ctx:
        if not ctx.is_main:  # rank 0 holds the folder and writes every file
            return _train_locked(cfg, ds, out, resume, progress, ctx)
        with lock_folder(out, "another training run"):
            return _train_locked(cfg, ds, out, resume, progress, ctx)


def _train_locked(cfg: TrainConfig, ds, out: Path, resume: bool, progress: bool, ctx: distributed.Context) -> dict:
    model = build_model(cfg, ds)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    state: _RunState = {"step": 0, "seconds": 0.0, "best_val": -1.0, "best_step": 0, "history": []}
    if resume:
        state = _restore(out / "last.pt", cfg, model, opt)
    shape = ds.feature_shape if cfg.augment else None
    batches = BatchStream(ds.x_train, ds.y_train, cfg.batch_size, cfg.seed, cfg.device, shape)
    eval_every = cfg.eval_every or max(1, cfg.steps // 20)
    net = distributed.wrap(model, ctx)
    run_step = make_step(net, model, opt, cfg.cuda_graphs, ctx, lambda t, step: _finite_loss(t, step, cfg))
    progress = progress and ctx.is_main
    bar = tqdm(total=cfg.steps, initial=state["step"], disable=not progress, desc="train", unit="step")
    start = time.perf_counter() - state["seconds"]
    model.train()
    stop = _InterruptAtStepEnd()
    try:
        while state["step"] < cfg.steps:
            x_batch, y_batch = distributed.shard(batches.batch(state["step"]), ctx)
            loss = run_step(x_batch, y_batch, state["step"] + 1)
            state["step"] += 1
            bar.update(1)
            if ctx.is_main and (state["step"] % eval_every == 0 or state["step"] == cfg.steps):
                state["seconds"] = time.perf_counter() - start
                _evaluate(model, ds, state, loss, cfg, out, opt)
                bar.set_postfix(loss=f"{loss:.3f}", val=f"{state['history'][-1]['val_acc_discrete']:.3f}")
            if distributed.any_rank(stop.requested, ctx):  # Ctrl-C: keep every finished step, `resume` continues
                state["seconds"] = time.perf_counter() - start
                if ctx.is_main:
                    _save_last(model, state, cfg, out, opt)
                raise KeyboardInterrupt
    finally:
        stop.release()
        bar.close()
    state["seconds"] = time.perf_counter() - start
    return _final_metrics(cfg, ds, out, state) if ctx.is_main else {}


def _finite_loss(batch_loss: torch.Tensor, step: int, cfg: TrainConfig) -> float:
    """The loss as a float; a NaN or infinite loss stops the run before it reaches the parameters."""
    loss = batch_loss.item()
    if not math.isfinite(loss):
        raise RuntimeError(
            f"training diverged: the loss is {loss} at step {step}; the learning rate "
            f"(--lr {cfg.lr}) may be too high or --tau ({cfg.tau}) too small"
        )
    return loss


def _final_metrics(cfg: TrainConfig, ds, out: Path, state: _RunState) -> dict:
    """Test the best model and write ``metrics.json``."""
    best = checkpoint.load(out / "model.pt", device=cfg.device)
    metrics = {
        "dataset": ds.name,
        "steps": state["step"],
        "seconds": round(state["seconds"], 3),
        "gates": best.num_gates,
        "parameters": sum(p.numel() for p in best.parameters()),
        "best_step": state["best_step"],
        "val_acc_discrete": state["best_val"],
        "test_acc_discrete": accuracy(best, ds.x_test, ds.y_test, discrete=True),
        "test_acc_relaxed": accuracy(best, ds.x_test, ds.y_test, discrete=False),
        "test_samples": len(ds.y_test),
        "config": asdict(cfg),
        "history": state["history"],
    }
    write_json(out / "metrics.json", metrics)
    return metrics


class _InterruptAtStepEnd:
    """Defer Ctrl-C (SIGINT) to the end of the current training step, so the saved state is whole."""

    def __init__(self):
        self.requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        self.requested = True

    def release(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def _evaluate(model, ds, state: _RunState, loss, cfg, out, opt) -> None:
    """Record validation accuracies; save the best model and the resumable training state."""
    x_val, y_val = (ds.x_val, ds.y_val) if len(ds.y_val) else (ds.x_train, ds.y_train)
    val_d = accuracy(model, x_val, y_val, discrete=True)
    val_r = accuracy(model, x_val, y_val, discrete=False)
    state["history"].append(
        {
            "step": state["step"],
            "loss": loss,
            "val_acc_relaxed": val_r,
            "val_acc_discrete": val_d,
            "seconds": round(state["seconds"], 3),
        }
    )
    if val_d > state["best_val"]:
        state["best_val"], state["best_step"] = val_d, state["step"]
        checkpoint.save(model, out / "model.pt", meta=_meta(cfg, state["step"], val_d))
    _save_last(model, state, cfg, out, opt)


def _meta(cfg: TrainConfig, step: int, val_acc_discrete=None) -> dict:
    return {"train_config": asdict(cfg), "step": step, "val_acc_discrete": val_acc_discrete}


def _save_last(model, state: _RunState, cfg, out, opt) -> None:
    """``last.pt``: everything ``resume`` needs to continue exactly where the run stands."""
    train_state = {
        "optimizer": opt.state_dict(),
        "sampler": SAMPLER,
        "state": json.dumps(state),
        "train_config": json.dumps(asdict(cfg)),
    }
    checkpoint.save(model, out / "last.pt", meta=_meta(cfg, state["step"]), train_state=train_state)


#: options a resumed run may change: they say how the run is computed, not what it trains
_NOT_DEFINING = ("steps", "eval_every", "device", "backend", "cuda_graphs", "ddp")


def _restore(path: Path, cfg: TrainConfig, model, opt) -> _RunState:
    """Load model and optimizer state from ``last.pt``; the run config and the sampler must match."""
    payload = checkpoint.read(path)
    ts = payload.get("train_state")
    if not isinstance(ts, dict):
        raise checkpoint.CheckpointError(f"{path} holds no training state to resume from")
    if ts.get("sampler") != SAMPLER:
        raise ValueError(
            f"cannot resume {path}: it was written by an earlier ldlgn that drew batches another way "
            "(with replacement), so the run cannot continue exactly; start a new run"
        )
    saved = {**asdict(TrainConfig()), **json.loads(ts["train_config"])}  # options added later: their defaults
    diff = {
        f.name: (saved.get(f.name), getattr(cfg, f.name))
        for f in fields(cfg)
        if f.name not in _NOT_DEFINING and saved.get(f.name) != getattr(cfg, f.name)
    }
    if diff:
        raise ValueError(f"cannot resume {path}: the run was started with other settings {diff} (saved, given)")
    model.load_state_dict(payload["state_dict"])
    opt.load_state_dict(ts["optimizer"])
    return cast(_RunState, json.loads(ts["state"]))
