"""Figures and the Markdown table of an ``ldlgn reproduce`` record (:mod:`ldlgn.reproduce`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .compiler.extras import require
from .compiler.fileio import write_text
from .plots import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure
else:
    Figure = require("matplotlib.figure", "plots").Figure

CLAIM_TITLES = {
    "a": "(a) parameters and optimizer state",
    "b": "(b) steps to OP's best accuracy",
    "c": "(c) accuracy against depth",
    "d": "(d) backward time",
    "e": "(e) CIFAR-100, depth scale 5",
}


def write_figures(record: dict[str, Any], out: Path) -> list[Path]:
    """``convergence.png`` (b), ``depth.png`` (c) and ``backward.png`` (d) in ``out``, for the
    claims the record holds."""
    claims = record["claims"]
    draw = {"b": (_convergence_figure, "convergence.png"), "c": (_depth_figure, "depth.png")}
    draw["d"] = (_backward_figure, "backward.png")
    return [fn(claims[key], out / name) for key, (fn, name) in draw.items() if key in claims]


def _convergence_figure(claim: dict[str, Any], path: Path) -> Path:
    """Discretized validation accuracy per step, one line per run, OP's best marked per seed."""
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    colours = {"IWP-RI": "tab:blue", "OP-RI": "tab:orange"}
    for i, seed in enumerate(claim["seeds"]):
        for variant, curve in seed["curves"].items():
            steps, acc = np.asarray(curve).T
            ax.plot(steps, acc, color=colours[variant], alpha=0.75, lw=1.2, label=variant if i == 0 else None)
        ax.axhline(seed["op_best_val"], color="tab:orange", ls=":", lw=0.8)
        if seed["iwp_steps"]:
            ax.plot([seed["iwp_steps"]], [seed["op_best_val"]], "o", color="tab:blue", ms=4)
    ax.set_xlabel("training step")
    ax.set_ylabel("validation accuracy (discretized)")
    ratio = claim["ratio"]
    ax.set_title(f"IWP-RI reaches OP-RI's best in {ratio['mean']:.1f}x fewer steps (mean of {ratio['n']} seeds)")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def _depth_figure(claim: dict[str, Any], path: Path) -> Path:
    """Mean discretized test accuracy against depth with the seeds' min-max range."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    for variant, by_depth in claim["accuracy"].items():
        depths = [int(d) for d in by_depth]
        mean = np.array([by_depth[str(d)]["mean"] for d in depths])
        lo = mean - np.array([by_depth[str(d)]["min"] for d in depths])
        hi = np.array([by_depth[str(d)]["max"] for d in depths]) - mean
        ax.errorbar(depths, mean, yerr=[lo, hi], marker="o", capsize=3, label=variant)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("depth (layers)")
    ax.set_ylabel("test accuracy (discretized)")
    setup = claim["setup"]
    ax.set_title(f"{setup['data']}, width {setup['width']}, {setup['steps']} steps")
    ax.legend()
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def _backward_figure(claim: dict[str, Any], path: Path) -> Path:
    """Median backward time per shape (CPU time when the record has it): IWP, then OP on each kernel
    the record holds (difflogic's per-sample work, 16 weight sums, ldlgn's coefficients); the ticks
    give IWP's speed-ups."""
    fig = Figure(figsize=(9, 4.4))
    ax = fig.subplots()
    rows = claim["shapes"]
    x = np.arange(len(rows))
    cpu = "_cpu" if "iwp_cpu_ms" in rows[0] else ""
    bars = [("iwp", "IWP"), ("opd", "OP, difflogic's kernel"), ("op16", "OP, 16 weight sums"), ("op", "OP, ldlgn's")]
    bars = [(k, label) for k, label in bars if f"{k}_ms" in rows[0]]
    width = 0.8 / len(bars)
    for i, (key, label) in enumerate(bars):
        ax.bar(x + (i - (len(bars) - 1) / 2) * width, [r[f"{key}{cpu}_ms"] for r in rows], width, label=label)
    keys = [k + cpu for k in ("speedup_difflogic", "speedup_sixteen", "speedup")]
    ratios = [" / ".join(f"{r[k]:.2f}x" for k in keys if k in r) for r in rows]
    ax.set_xticks(x, [f"{r['width']}x{r['depth']}\nbatch {r['batch']}\n{q}" for r, q in zip(rows, ratios)], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel(f"backward pass ({'CPU ' if cpu else ''}ms, median of the repeats)")
    ax.set_title("backward time, Numba, CPU (ticks: IWP's speed-up over each OP, in the legend's order)", fontsize=9)
    ax.legend()
    return save_figure(fig, path)


def claims_table(record: dict[str, Any]) -> str:
    """The README table: one row per claim (claim, the paper's figure, ours, the command)."""
    lines = ["| claim | paper | ours | command |", "|---|---|---|---|"]
    for key, claim in record["claims"].items():
        cells = [CLAIM_TITLES[key], claim["paper"], claim["ours"], f"`{claim['command']}`"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_claims_table(record: dict[str, Any], path: Path) -> Path:
    """:func:`claims_table` as a Markdown file, with the mode and the run time."""
    head = f"ldlgn reproduce ({record['mode']} mode, {record['seconds']} s, ldlgn {record['ldlgn']})\n\n"
    return write_text(path, head + claims_table(record))
