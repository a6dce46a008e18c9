"""Gate parametrizations: input-wise (IWP) and the original 16-gate one (OP).

Both turn a parameter matrix ``Ω`` into row values ``ω`` (the relaxed output on each input row,
docs/truth-tables.md) and into discrete truth tables (docs/discretization.md):

* IWP: ``Ω`` is ``(n, 4)``; ``ω = ρ(Ω)`` with an estimator ``ρ``; bit ``r`` of the table is 1 iff
  ``ρ(Ω_r) > 0.5``.
* OP: ``Ω`` is ``(n, 16)`` logits over difflogic's gate ids; ``ω = softmax(Ω) @ OP_ROWS``; the gate is
  ``argmax(Ω)`` (ties: lowest id).

Estimators ``ρ`` (IWP, docs/discretization.md): ``sin`` and ``sigmoid`` are plain smooth
functions; ``sin-st``, ``sigmoid-st`` and ``linear-st`` follow the paper's code: a soft forward
whose gradient is replaced (``sign(cos Ω)`` for sin, the identity for sigmoid and for
``clamp(Ω, 0, 1)``); ``sin-hard-st``, ``sigmoid-hard-st`` and ``linear-hard-st`` are true
straight-through estimators: the forward is the 0/1 row, the gradient that of the smooth ``ρ``.

Initializations (IWP): ``gauss`` (``Ω ~ N(0, σ²)``, σ = 0.25), ``ri`` (residual: every column shifted
by ±µ towards "pass the first input", rows ``0011``), any 4-character direction string such as
``"0110"`` (shift towards that gate), and the heavy-tail families ``and-or`` (each gate shifted
towards AND or OR at random), ``and-or-ri`` (towards AND, OR, pass-A or pass-B, a quarter each)
and ``uniform`` (towards one of all 16 gates at random). OP: ``gauss`` (``N(0, 1)``) and ``ri``
(``Ω_A = 5``).
"""

from __future__ import annotations

import numpy as np
import torch

from .compiler import truth_tables as tt
from .config import IWP_ESTIMATORS, IWP_INITS, OP_INITS, PARAMETRIZATIONS
from .functional import triton_installed

#: residual shift µ per estimator (the paper's defaults: 1.2 for sin, 3.0 for sigmoid; the paper
#: sets none for linear: 1.5 keeps ``clamp(Ω, 0, 1)`` four σ clear of its threshold 0.5)
DEFAULT_MU = {
    "sin": 1.2,
    "sin-st": 1.2,
    "sin-hard-st": 1.2,
    "sigmoid": 3.0,
    "sigmoid-st": 3.0,
    "sigmoid-hard-st": 3.0,
    "linear-st": 1.5,
    "linear-hard-st": 1.2,
}
IWP_SIGMA = 0.25
OP_RI_LOGIT = 5.0

_FAMILIES = {
    "ri": [tt.PASS_A],
    "and-or": [8, 14],
    "and-or-ri": [8, 14, tt.PASS_A, tt.PASS_B],
    "uniform": list(range(tt.N_TABLES)),
}

_POLY = torch.tensor(tt.ROWS_TO_POLY, dtype=torch.float64)
_OP_ROWS = torch.tensor(tt.OP_ROWS, dtype=torch.float64)
_COPIES: dict[tuple, torch.Tensor] = {}


def _like(table: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A constant ``table`` in ``t``'s dtype and device, copied there once: a captured CUDA graph
    cannot copy from the host on every step."""
    key = (id(table), t.dtype, t.device)
    if key not in _COPIES:
        _COPIES[key] = table.to(t)
    return _COPIES[key]


_OP_TABLES = torch.tensor(tt.OP_ID_TO_TABLE.astype(np.int64))


def _rho(estimator: str, w: torch.Tensor) -> torch.Tensor:
    """The smooth estimator ``ρ`` whose ``> 0.5`` test discretizes a row."""
    base = estimator.split("-")[0]
    if base == "sin":
        return 0.5 + 0.5 * torch.sin(w)
    if base == "sigmoid":
        return torch.sigmoid(w)
    if estimator == "linear-hard-st":
        return torch.clamp(0.5 + w, 0.0, 1.0)
    return torch.clamp(w, 0.0, 1.0)


class _SinSignGrad(torch.autograd.Function):
    """``0.5 + 0.5·sin Ω`` forward; gradient ``sign(cos Ω)`` (unit magnitude, the sign of ``ρ'``)."""

    @staticmethod
    def forward(ctx, w):
        ctx.save_for_backward(w)
        return 0.5 + 0.5 * torch.sin(w)

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        return g * torch.sign(torch.cos(w))


class _IdentityGrad(torch.autograd.Function):
    """A smooth forward (``sigmoid`` or ``clamp(Ω, 0, 1)``) with the identity as its gradient."""

    @staticmethod
    def forward(ctx, w, kind):
        return torch.sigmoid(w) if kind == "sigmoid" else torch.clamp(w, 0.0, 1.0)

    @staticmethod
    def backward(ctx, g):
        return g, None


def check_options(parametrization: str, estimator: str, init: str) -> None:
    """Raise ``ValueError`` naming an unknown parametrization, estimator or init."""
    if parametrization not in PARAMETRIZATIONS:
        raise ValueError(f"unknown parametrization {parametrization!r}; choose one of {PARAMETRIZATIONS}")
    if parametrization == "iwp":
        if estimator not in IWP_ESTIMATORS:
            raise ValueError(f"unknown estimator {estimator!r}; choose one of {IWP_ESTIMATORS}")
        is_direction = len(init) == 4 and set(init) <= {"0", "1"}
        if init not in IWP_INITS and not is_direction:
            raise ValueError(f"unknown IWP init {init!r}; choose one of {IWP_INITS} or a 4-bit direction like '0110'")
    elif init not in OP_INITS:
        raise ValueError(f"unknown OP init {init!r}; choose one of {OP_INITS}")


def init_weights(
    parametrization: str,
    estimator: str,
    init: str,
    n: int,
    mu: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Initial parameter matrix: ``(n, 4)`` for IWP, ``(n, 16)`` for OP (float32)."""
    check_options(parametrization, estimator, init)
    if parametrization == "op":
        if init == "gauss":
            return torch.randn(n, tt.N_TABLES, generator=generator)
        w = torch.zeros(n, tt.N_TABLES)
        w[:, int(tt.TABLE_TO_OP_ID[tt.PASS_A])] = OP_RI_LOGIT
        return w
    w = IWP_SIGMA * torch.randn(n, tt.N_ROWS, generator=generator)
    if init == "gauss":
        return w
    mu = DEFAULT_MU[estimator] if mu is None else float(mu)
    if init in _FAMILIES:
        family = torch.tensor(_FAMILIES[init])
        pick = torch.randint(len(family), (n,), generator=generator)
        tables = family[pick]
    else:
        tables = torch.full((n,), tt.table_from_direction(init), dtype=torch.long)
    rows = (tables[:, None] >> torch.arange(tt.N_ROWS)) & 1
    return w + mu * (2.0 * rows - 1.0)


def row_values(parametrization: str, estimator: str, w: torch.Tensor) -> torch.Tensor:
    """Relaxed row values ``ω`` ``(n, 4)`` for training."""
    if parametrization == "op":
        return torch.softmax(w, dim=-1) @ _like(_OP_ROWS, w)
    if estimator == "sin-st":
        return _SinSignGrad.apply(w)
    if estimator in ("sigmoid-st", "linear-st"):
        return _IdentityGrad.apply(w, estimator.split("-")[0])
    rho = _rho(estimator, w)
    if not estimator.endswith("-hard-st"):
        return rho
    hard = (rho > 0.5).to(w.dtype)
    soft = w if estimator == "linear-hard-st" else rho  # linear: identity gradient
    return hard + soft - soft.detach()


def truth_tables(parametrization: str, estimator: str, w: torch.Tensor) -> torch.Tensor:
    """Discrete truth tables ``(n,)`` int64 (docs/discretization.md)."""
    with torch.no_grad():
        if parametrization == "op":
            return _OP_TABLES.to(w.device)[torch.argmax(w, dim=-1)]
        bits = (_rho(estimator, w) > 0.5).long()
        return (bits << torch.arange(tt.N_ROWS, device=w.device)).sum(-1)


def table_row_values(tables: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """0/1 row values ``(n, 4)`` of integer truth tables."""
    return ((tables[:, None] >> torch.arange(tt.N_ROWS, device=tables.device)) & 1).to(dtype)


def poly_coefficients(omega: torch.Tensor) -> torch.Tensor:
    """``(n, 4)`` polynomial coefficients ``c0..c3`` of row values ``ω``. On CUDA, float32, with
    Triton installed: one small kernel (:func:`ldlgn.triton_coefficients.poly_coefficients`)."""
    if omega.is_cuda and omega.dtype == torch.float32 and triton_installed():
        from .triton_coefficients import poly_coefficients as on_gpu

        return on_gpu(omega)
    return omega @ _like(_POLY, omega)


def num_parameters(parametrization: str) -> int:
    """Parameters per two-input gate."""
    return tt.N_ROWS if parametrization == "iwp" else tt.N_TABLES
