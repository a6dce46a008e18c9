"""``ldlgn reproduce``: the IWP paper's claims measured with this tool, on offline data.

Claims (the paper: "Light differentiable logic gate networks", Rüttgers et al.):

* (a) IWP has 4× fewer parameters per gate than OP, and so a 4× smaller Adam state;
* (b) IWP reaches OP's best discretized validation accuracy in 8.5× fewer steps;
* (c) IWP with residual init keeps its accuracy as depth grows, while OP and IWP-Gauss collapse;
* (d) IWP's backward pass is up to 1.86× faster than OP's at equal shapes;
* (e) CIFAR-100 at depth scale 5: IWP 30.2 % against OP 28.2 % (not run here: the preset and the
  command are recorded).

(b) and (c) train with :func:`ldlgn.train.train`, the same trainer as ``ldlgn train``, on the
scikit-learn digits; (d) times the Numba kernels on the CPU (:mod:`ldlgn.reproduce_backward`).
Every run is seeded; timings depend on the machine and its load. The record is
``OUT/reproduce.json``; ``OUT/claims.md`` holds the table rows and ``OUT/*.png`` the figures
(:mod:`ldlgn.reproduce_report`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from . import __version__
from .compiler.fileio import check_output_dir, write_json
from .datasets import load_dataset
from .model import LogicNet
from .presets import PRESETS
from .reproduce_backward import claim_backward
from .train import TrainConfig, train

log = logging.getLogger(__name__)

#: (parametrization, init) of each variant
VARIANTS = {
    "IWP-RI": ("iwp", "ri"),
    "OP-RI": ("op", "ri"),
    "IWP-Gauss": ("iwp", "gauss"),
    "OP-Gauss": ("op", "gauss"),
}


@dataclass(frozen=True)
class Plan:
    """Sizes of one reproduction; ``quick`` is a smoke run for CI, ``full`` the measured one."""

    name: str
    seeds: tuple[int, ...] = (0, 1, 2)
    data: str = "digits"
    val_fraction: float = 0.25  # a larger validation split than training's 10 %: steadier step counts
    conv: dict[str, int] = field(default_factory=lambda: {"width": 1000, "depth": 6, "steps": 1500, "eval_every": 10})
    depth_width: int = 128
    depths: tuple[int, ...] = (2, 4, 8, 16, 32)
    depth_steps: int = 1000
    depth_variants: tuple[str, ...] = ("IWP-RI", "OP-RI", "IWP-Gauss", "OP-Gauss")
    # (width, depth, batch); 128,000 gates at batch 25 are the paper's timed layers (CIFAR, depth scale 20)
    timing_shapes: tuple[tuple[int, int, int], ...] = ((2000, 4, 100), (8000, 6, 100), (8000, 6, 1000), (128000, 4, 25))
    timing_repeats: int = 20


FULL = Plan("full")
QUICK = Plan(
    "quick",
    conv={"width": 128, "depth": 3, "steps": 120, "eval_every": 10},
    depth_width=48,
    depths=(2, 8),
    depth_steps=60,
    depth_variants=("IWP-RI", "OP-RI", "IWP-Gauss"),
    timing_shapes=((1000, 4, 100),),
    timing_repeats=5,
)
PAPER = {
    "a": "4x fewer parameters per gate (16 -> 4)",
    "b": "8.5x fewer steps to OP's best discretized validation accuracy (CIFAR-100)",
    "c": "IWP-RI stable with depth; OP and IWP-Gauss collapse",
    "d": "backward pass up to 1.86x faster than difflogic's OP kernel (CUDA; forward up to 8 % faster)",
    "e": "CIFAR-100, depth scale 5: IWP 30.2 % vs OP 28.2 %",
}


CLAIMS = ("a", "b", "c", "d", "e")


def run_reproduce(out, quick: bool = False, only=None) -> dict[str, Any]:
    """Measure the claims ``only`` (default: all), write ``OUT/reproduce.json``, ``OUT/claims.md``
    and the figures. Claims not measured now are kept from an earlier record of the same mode in
    ``OUT``, so one claim can be measured again without the others."""
    from .reproduce_report import write_claims_table, write_figures

    keys = _claim_keys(only)
    plan = QUICK if quick else FULL
    out = check_output_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    record: dict[str, Any] = {
        "mode": plan.name,
        "ldlgn": __version__,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__},
        "plan": asdict(plan),
        "claims": _earlier_claims(out / "reproduce.json", plan.name, keys),
    }
    for key in keys:
        t0 = time.perf_counter()
        claim = _measure(key, plan, out)
        claim.update(paper=PAPER[key], seconds=round(time.perf_counter() - t0, 1))
        claim.setdefault("command", f"ldlgn reproduce{' --quick' if quick else ''} --only {key} --out {out}")
        record["claims"][key] = claim
    record["claims"] = {k: record["claims"][k] for k in CLAIMS if k in record["claims"]}
    record["seconds"] = round(time.perf_counter() - start, 1)
    record["figures"] = [str(p.name) for p in write_figures(record, out)]
    write_json(out / "reproduce.json", record)
    write_claims_table(record, out / "claims.md")
    return record


def _claim_keys(only) -> list[str]:
    """The claims to measure: ``only`` as letters (``"b,d"`` or a sequence), default all."""
    if only is None:
        return list(CLAIMS)
    keys = [k.strip() for k in (only.split(",") if isinstance(only, str) else only) if k.strip()]
    unknown = [k for k in keys if k not in CLAIMS]
    if unknown or not keys:
        raise ValueError(f"unknown claims {unknown or only!r}; choose among {', '.join(CLAIMS)}")
    return [k for k in CLAIMS if k in keys]


def _earlier_claims(path: Path, mode: str, keys: list[str]) -> dict[str, Any]:
    """The claims of an earlier record of the same mode that are not measured again."""
    if not path.is_file():
        return {}
    earlier = json.loads(path.read_text())
    if earlier.get("mode") != mode:
        return {}
    return {k: v for k, v in earlier.get("claims", {}).items() if k in CLAIMS and k not in keys}


def _measure(key: str, plan: Plan, out: Path) -> dict[str, Any]:
    if key == "e":
        return claim_cifar100()
    ds = load_dataset(plan.data, seed=0, val_fraction=plan.val_fraction)
    if key == "a":
        return claim_parameters(ds)
    if key == "b":
        return claim_convergence(plan, out / "runs" / "convergence")
    if key == "c":
        return claim_depth(plan, out / "runs" / "depth")
    return claim_backward(plan.timing_shapes, plan.timing_repeats, ds)


# ---- (a) parameters and optimizer state ------------------------------------------------------
def _adam_state_bytes(model: torch.nn.Module) -> tuple[int, int]:
    """Parameter bytes and Adam state bytes after one step (state allocated as torch does)."""
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    state = sum(t.numel() * t.element_size() for s in opt.state.values() for t in s.values() if t.dim() > 0)
    return sum(p.numel() * p.element_size() for p in model.parameters()), state


def claim_parameters(ds) -> dict[str, Any]:
    """(a): parameters and Adam state of the same network in both parametrizations, measured on a
    digits-sized net and computed for the paper's CIFAR-100 net."""
    measured = {}
    for param in ("iwp", "op"):
        model = LogicNet(ds.num_features, ds.num_classes, 2000, 4, 3, ds.input_bits, parametrization=param)
        p_bytes, s_bytes = _adam_state_bytes(model)
        measured[param] = {"parameters": sum(p.numel() for p in model.parameters()), "bytes": p_bytes}
        measured[param]["adam_state_bytes"] = s_bytes
    paper_net = {}
    recipe = PRESETS["cifar-paper"]
    gates = recipe["width"] * 4 * 5  # depth scale 5: 20 layers of 128,000 gates (100 divides 128,000)
    for param, per_gate in (("iwp", 4), ("op", 16)):
        paper_net[param] = {"parameters": gates * per_gate, "bytes": gates * per_gate * 4}
        paper_net[param]["adam_state_bytes"] = 2 * paper_net[param]["bytes"]
    ratio = measured["op"]["parameters"] / measured["iwp"]["parameters"]
    return {
        "digits_2000x4": measured,
        "cifar100_depth_scale_5": paper_net,
        "ratio": ratio,
        "state_ratio": measured["op"]["adam_state_bytes"] / measured["iwp"]["adam_state_bytes"],
        "ours": f"{ratio:.2f}x fewer parameters and Adam state: {measured['iwp']['parameters']:,} vs "
        f"{measured['op']['parameters']:,} (digits, 2000x4); CIFAR-100 D=5 net: "
        f"{paper_net['iwp']['bytes'] / 2**20:.0f} vs {paper_net['op']['bytes'] / 2**20:.0f} MiB of parameters",
    }


# ---- (b) steps to OP's best ----------------------------------------------------------------
def _run(plan: Plan, variant: str, seed: int, folder: Path, **sizes) -> dict[str, Any]:
    """One seeded training run of ``variant``; returns its metrics (history included)."""
    param, init = VARIANTS[variant]
    ds = load_dataset(plan.data, seed=seed, val_fraction=plan.val_fraction)
    width = sizes["width"]
    tau = round(math.sqrt(width / ds.num_classes), 1)  # τ ≈ sqrt(gates per class)
    cfg = TrainConfig(data=plan.data, parametrization=param, init=init, seed=seed, tau=tau, **sizes)
    t0 = time.perf_counter()
    metrics = train(cfg, folder / f"{variant.lower()}_d{cfg.depth}_s{seed}", progress=False, dataset=ds)
    log.info(
        "%s depth %d seed %d: test %.3f (%.1f s)",
        variant,
        cfg.depth,
        seed,
        metrics["test_acc_discrete"],
        time.perf_counter() - t0,
    )
    return metrics


def steps_to_reach(history: list[dict], target: float) -> int | None:
    """The first evaluated step whose discretized validation accuracy is ≥ ``target`` (None: never)."""
    return next((h["step"] for h in history if h["val_acc_discrete"] >= target), None)


def claim_convergence(plan: Plan, folder: Path) -> dict[str, Any]:
    """(b): per seed, the steps OP-RI takes to its best discretized validation accuracy and the
    steps IWP-RI takes to reach that accuracy."""
    seeds = []
    for seed in plan.seeds:
        runs = {v: _run(plan, v, seed, folder, **plan.conv) for v in ("IWP-RI", "OP-RI")}
        op_hist, iwp_hist = runs["OP-RI"]["history"], runs["IWP-RI"]["history"]
        target = max(h["val_acc_discrete"] for h in op_hist)
        op_steps, iwp_steps = steps_to_reach(op_hist, target), steps_to_reach(iwp_hist, target)
        seeds.append(
            {
                "seed": seed,
                "op_best_val": target,
                "op_steps": op_steps,
                "iwp_steps": iwp_steps,
                "ratio": op_steps / iwp_steps if op_steps and iwp_steps else None,
                "iwp_best_val": max(h["val_acc_discrete"] for h in iwp_hist),
                "curves": {v: [[h["step"], h["val_acc_discrete"]] for h in r["history"]] for v, r in runs.items()},
            }
        )
    ratios = [s["ratio"] for s in seeds if s["ratio"] is not None]
    summary = _spread(ratios)
    reached = f"{len(ratios)}/{len(seeds)} seeds"
    ours = (
        f"{summary['mean']:.1f}x (sd {summary['sd']:.1f}, range {summary['min']:.1f}-{summary['max']:.1f}; "
        f"IWP reached OP's best in {reached})"
        if ratios
        else f"IWP never reached OP's best ({reached})"
    )
    return {"setup": dict(plan.conv, data=plan.data), "seeds": seeds, "ratio": summary, "ours": ours}


def _spread(values: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation, min and max (NaN when empty)."""
    if not values:
        return {"mean": float("nan"), "sd": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "sd": sd, "min": min(values), "max": max(values), "n": len(values)}


# ---- (c) depth -------------------------------------------------------------------------------
def claim_depth(plan: Plan, folder: Path) -> dict[str, Any]:
    """(c): discretized test accuracy against depth for each variant, over the seeds."""
    table: dict[str, dict[str, Any]] = {}
    chance = 0.1
    for variant in plan.depth_variants:
        table[variant] = {}
        for depth in plan.depths:
            sizes = {"width": plan.depth_width, "depth": depth, "steps": plan.depth_steps}
            sizes["eval_every"] = max(1, plan.depth_steps // 10)
            accs = [_run(plan, variant, s, folder, **sizes)["test_acc_discrete"] for s in plan.seeds]
            table[variant][str(depth)] = dict(_spread(accs), values=accs)
    lo, hi = str(plan.depths[0]), str(plan.depths[-1])
    drops = {v: table[v][lo]["mean"] - table[v][hi]["mean"] for v in table}
    ours = (
        "; ".join(f"{v} {table[v][lo]['mean']:.2f} -> {table[v][hi]['mean']:.2f}" for v in plan.depth_variants)
        + f" (test accuracy, depth {lo} -> {hi}, mean of {len(plan.seeds)} seeds; chance {chance})"
    )
    return {
        "setup": {"data": plan.data, "width": plan.depth_width, "steps": plan.depth_steps, "depths": plan.depths},
        "accuracy": table,
        "drop": drops,
        "ours": ours,
    }


# ---- (e) CIFAR-100 ---------------------------------------------------------------------------
def cifar100_commands(root: str = "DATA", device: str = "cuda") -> dict[str, str]:
    """The exact ``ldlgn train`` commands of claim (e): depth scale 5 (20 layers), both parametrizations."""
    base = f"ldlgn train --preset cifar-paper --depth 20 --root {root} --device {device}"
    return {"IWP": f"{base} --out runs/c100_d5_iwp", "OP": f"{base} --param op --out runs/c100_d5_op"}


def claim_cifar100() -> dict[str, Any]:
    """(e): not run here (CIFAR-100 and a GPU are needed); the recipe and the commands."""
    commands = cifar100_commands()
    return {
        "preset": dict(PRESETS["cifar-paper"], depth=20),
        "commands": commands,
        "ours": "not run here: needs CIFAR-100 (binary version) and a GPU; preset cifar-paper, depth 20",
        "command": f"{commands['IWP']}; {commands['OP']}",
    }
