"""Named training recipes: the option values ``ldlgn train --preset NAME`` starts from (torch-free).

``cifar-paper`` is the recipe of the IWP paper's code for CIFAR (its baseline settings, which
reproduce difflogic's CIFAR-10 "M" model): 128,000 gates per layer, ``4·D`` layers for depth scale
``D`` (``--depth 20`` for ``D = 5``), ``τ = 100``, Adam with learning rate 0.01, batches of 100,
10 % of the training split held out for validation (the loader's default), three thermometer
thresholds per channel (``x > 63, 127, 191``: the paper's ``x/255 > 1/4, 1/2, 3/4``), random
resized crops and flips, 250,000 steps, an evaluation every 1,000 steps, IWP with the sine
estimator and residual initialization (``--param op`` gives the OP run of the same recipe: OP's
residual init puts logit 5 on "pass A", as the paper's code does).

``cdlgn-digits`` is the convolutional digits recipe of docs/convolutions.md: the ``cdlgn-digits``
architecture with seven thermometer thresholds and ``τ = 6``: over seeds 0–9 it is 0.006 more
accurate than the best fully connected digits network, with fewer gates; at three thresholds and
``τ = 10`` the architecture only ties that network, with more gates.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from .config import TrainConfig

PRESETS: dict[str, dict[str, Any]] = {
    "cifar-paper": {
        "data": "cifar100",
        "width": 128_000,
        "depth": 4,
        "tau": 100.0,
        "lr": 0.01,
        "batch_size": 100,
        "num_thresholds": 3,
        "encoding": "uniform",
        "parametrization": "iwp",
        "estimator": "sin",
        "init": "ri",
        "connections": "random",
        "augment": True,
        "steps": 250_000,
        "eval_every": 1_000,
    },
    "cdlgn-digits": {"data": "digits", "arch": "cdlgn-digits", "num_thresholds": 7, "tau": 6.0},
}

__all__ = ["PRESETS", "apply_preset", "preset_config"]


def apply_preset(name: str, values: dict[str, Any], given: set[str]) -> dict[str, Any]:
    """``values`` (TrainConfig fields) with the preset's values, except for the fields in ``given``
    (options set explicitly, which win)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return {**values, **{k: v for k, v in PRESETS[name].items() if k not in given}}


def preset_config(name: str, **overrides: Any) -> TrainConfig:
    """The :class:`TrainConfig` of preset ``name`` with ``overrides`` applied."""
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown TrainConfig fields {unknown}")
    values = apply_preset(name, {f.name: getattr(TrainConfig(), f.name) for f in fields(TrainConfig)}, set(overrides))
    return TrainConfig(**{**values, **overrides})
