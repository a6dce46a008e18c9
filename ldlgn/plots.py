"""Figures of a training run: validation curves, loss, and the learned gate types per layer.

Figures are drawn on matplotlib's Agg canvas through :class:`matplotlib.figure.Figure` (no
``pyplot``, no display, no global backend switch) and written atomically as PNG files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .compiler import truth_tables as tt
from .compiler.extras import require
from .compiler.fileio import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure
else:
    Figure = require("matplotlib.figure", "plots").Figure

HISTORY_KEYS = ("step", "loss", "val_acc_relaxed", "val_acc_discrete")
CURVES_PNG = "training_curves.png"
GATES_PNG = "gate_distribution.png"


def history_of(metrics_or_history) -> list[dict]:
    """The evaluation history of a metrics dict (``{"history": [...]}``) or a history list."""
    hist = metrics_or_history.get("history") if isinstance(metrics_or_history, Mapping) else metrics_or_history
    if not isinstance(hist, Sequence) or isinstance(hist, (str, bytes)):
        raise ValueError("expected a metrics dict with a 'history' list or the history list itself")
    if not hist:
        raise ValueError("the training history is empty: nothing to plot (was the run evaluated at least once?)")
    for i, h in enumerate(hist):
        missing = [k for k in HISTORY_KEYS if not isinstance(h, Mapping) or k not in h]
        if missing:
            raise ValueError(f"history entry {i} lacks {missing}; expected keys {list(HISTORY_KEYS)}")
    return list(hist)


def save_figure(fig: Figure, path, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG to ``path`` (``.png`` suffix required) atomically."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: figures are written as PNG, give a path ending in .png")
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight"))


def _series(hist, key) -> np.ndarray:
    return np.array([float(h[key]) for h in hist])


def plot_training_curves(metrics_or_history, path, title: str | None = None) -> Path:
    """Relaxed and discretized validation accuracy per step (top) and training loss (bottom)."""
    hist = history_of(metrics_or_history)
    steps = _series(hist, "step")
    fig = Figure(figsize=(7.0, 5.5))
    acc, loss = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    acc.plot(steps, _series(hist, "val_acc_relaxed"), "o-", ms=3, color="tab:orange", label="relaxed")
    acc.plot(steps, _series(hist, "val_acc_discrete"), "o-", ms=3, color="tab:blue", label="discretized")
    if isinstance(metrics_or_history, Mapping) and "best_step" in metrics_or_history:
        best = metrics_or_history["best_step"]
        acc.axvline(best, color="gray", ls=":", lw=1, label=f"best (step {best})")
    acc.set_ylabel("validation accuracy")
    acc.set_ylim(0, 1.02)
    acc.grid(alpha=0.3)
    acc.legend(loc="best")
    acc.set_title(title or _run_title(metrics_or_history))
    loss.plot(steps, _series(hist, "loss"), color="tab:red")
    loss.set_ylabel("training loss (batch)")
    loss.set_xlabel("step")
    loss.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_run_comparison(
    runs: Mapping[str, object],
    path,
    title: str | None = None,
    target: float | None = None,
    target_label: str = "target",
) -> Path:
    """Validation accuracy of several runs: discretized (solid) and relaxed (dashed) per step.

    ``runs`` maps a label to a metrics dict or a history list; ``target`` draws a horizontal
    reference line (e.g. the best discretized accuracy of the baseline).
    """
    if not runs:
        raise ValueError("no runs to compare")
    fig = Figure(figsize=(8.0, 4.8))
    ax = fig.subplots()
    colors = ["tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown"]
    for i, (label, run) in enumerate(runs.items()):
        hist, color = history_of(run), colors[i % len(colors)]
        steps = _series(hist, "step")
        ax.plot(steps, _series(hist, "val_acc_discrete"), "-", lw=2, color=color, label=f"{label} discretized")
        ax.plot(steps, _series(hist, "val_acc_relaxed"), "--", lw=1, color=color, alpha=0.7, label=f"{label} relaxed")
    if target is not None:
        ax.axhline(target, color="gray", ls=":", lw=1, label=f"{target_label} {target:.3f}")
    ax.set_xlabel("step")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    if title:
        ax.set_title(title)
    return save_figure(fig, path)


def gate_counts(model) -> np.ndarray:
    """``(depth, 16)`` int array: how many gates of each type (difflogic id order) every layer has."""
    rows = []
    for layer in model.layers:
        ids = tt.TABLE_TO_OP_ID[layer.truth_tables().cpu().numpy().astype(np.int64)]
        rows.append(np.bincount(ids, minlength=tt.N_TABLES))
    return np.array(rows, dtype=np.int64)


def plot_gate_distribution(model, path, title: str | None = None) -> Path:
    """Heat map of the share of each of the 16 gate types per layer (a model or a checkpoint path)."""
    if isinstance(model, (str, Path)):
        from . import checkpoint

        model = checkpoint.load(model)
    counts = gate_counts(model)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    depth = len(counts)
    fig = Figure(figsize=(9.0, 1.6 + 0.45 * depth))
    ax = fig.subplots()
    im = ax.imshow(share, aspect="auto", cmap="viridis", vmin=0.0, vmax=max(share.max(), 1e-9))
    ax.set_xticks(range(tt.N_TABLES), tt.GATE_NAMES, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(depth), [f"layer {i + 1} ({n})" for i, n in enumerate(counts.sum(1))], fontsize=8)
    if depth <= 16:
        for (i, j), s in np.ndenumerate(share):
            if s >= 0.005:
                ax.text(
                    j,
                    i,
                    f"{100 * s:.0f}" if s >= 0.01 else "<1",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if s > 0.6 * share.max() else "white",
                )
    fig.colorbar(im, ax=ax, label="share of the layer's gates")
    ax.set_title(title or "learned gate types per layer (numbers: % of the layer)")
    return save_figure(fig, path)


def _run_title(metrics_or_history) -> str:
    if not isinstance(metrics_or_history, Mapping):
        return "training curves"
    cfg = metrics_or_history.get("config", {})
    parts = [str(metrics_or_history.get("dataset", cfg.get("data", "")))]
    if cfg:
        init = str(cfg.get("init", "?"))
        parts.append(
            f"{cfg.get('parametrization', '?').upper()}-{'RI' if init == 'ri' else init} "
            f"width {cfg.get('width')} depth {cfg.get('depth')}"
        )
    if "test_acc_discrete" in metrics_or_history:
        parts.append(f"test acc {metrics_or_history['test_acc_discrete']:.3f}")
    return ", ".join(p for p in parts if p)


def write_run_plots(run_dir) -> list[Path]:
    """Write ``training_curves.png`` and ``gate_distribution.png`` into a training run's folder."""
    from . import checkpoint

    run = Path(run_dir)
    if not run.is_dir():
        raise FileNotFoundError(f"run folder not found: {run}")
    metrics_path, model_path = run / "metrics.json", run / "model.pt"
    for p in (metrics_path, model_path):
        if not p.is_file():
            raise FileNotFoundError(
                f"{p} is missing: {run} is not a finished training run "
                "(train into it first, e.g. `ldlgn train --out DIR`)"
            )
    try:
        metrics = json.loads(metrics_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{metrics_path} is not valid JSON: {err}") from None
    if not isinstance(metrics, dict):
        raise ValueError(f"{metrics_path} does not hold a metrics object")
    model = checkpoint.load(model_path)
    written = [plot_training_curves(metrics, run / CURVES_PNG)]
    if model.config.get("gate_inputs", 2) == 2:  # the 16 named gate types are those of two inputs
        written.append(plot_gate_distribution(model, run / GATES_PNG))
    return written
