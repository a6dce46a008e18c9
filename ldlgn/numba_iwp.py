"""A two-input IWP gate layer on the Numba kernels with the estimator and the row-to-coefficient map
folded in: one autograd node per layer instead of a dozen small torch operations.

The plain path computes ``ω = ρ(Ω)`` (:func:`ldlgn.parametrization.row_values`), then
``c = ω @ ROWS_TO_POLY`` (:func:`~ldlgn.parametrization.poly_coefficients`) with torch, and autograd
runs the same chain backwards. On a layer of a few thousand gates each of those operations costs
tens of microseconds of dispatch for microseconds of arithmetic, in both directions, and every
intermediate is a fresh allocation. Here one jitted pass turns ``Ω`` into the coefficients and the
estimator's slope ``dω/dΩ``; the backward pass gets the coefficient gradient from the gate kernels
(:func:`ldlgn.numba_kernels.gates_backward`) and maps it back to ``Ω`` in one more pass.

The estimators follow :mod:`ldlgn.parametrization` exactly: the same soft or hard forward values and
the same replaced gradients (``sign(cos Ω)`` for ``sin-st``, the identity for ``sigmoid-st``,
``linear-st`` and ``linear-hard-st``, the smooth ``ρ'`` for the other hard-forward ones).
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit

from .config import IWP_ESTIMATORS
from .numba_kernels import gates_backward, gates_forward

#: estimator name → the code the kernels branch on
ESTIMATOR_CODES = {name: code for code, name in enumerate(IWP_ESTIMATORS)}

__all__ = ["ESTIMATOR_CODES", "iwp_coefficients", "iwp_gates_numba"]


@njit(cache=True)
def _rho_and_slope(w, f, df, code):
    """``(ω, dω/dΩ)`` of one parameter under estimator ``code`` (the order of ``IWP_ESTIMATORS``);
    ``f`` and ``df`` are ``sin Ω`` and ``cos Ω`` for the sin estimators, ``sigmoid(Ω)`` and unused
    for the sigmoid ones, unused for the linear ones."""
    half = np.float32(0.5)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    if code == 0 or code == 2 or code == 5:  # sin, sin-st, sin-hard-st
        rho = half + half * f
        slope = half * df if code != 2 else (one if df > 0 else (-one if df < 0 else zero))
    elif code == 1 or code == 3 or code == 6:  # sigmoid, sigmoid-st, sigmoid-hard-st
        rho = f
        slope = rho * (one - rho) if code != 3 else one
    elif code == 4:  # linear-st: clamp(Ω, 0, 1) forward, identity gradient
        rho = min(max(w, zero), one)
        slope = one
    else:  # linear-hard-st: the 0/1 row of clamp(0.5 + Ω, 0, 1), identity gradient
        rho = min(max(half + w, zero), one)
        slope = one
    if code >= 5:  # the hard forms: the 0/1 row, the smooth slope
        rho = one if rho > half else zero
    return rho, slope


@njit(cache=True)
def _coefficients(w, f, df, code, c, slope):
    """``c[i] = ρ(Ω[i]) @ ROWS_TO_POLY`` and ``slope[i] = ρ'(Ω[i])`` for every gate."""
    for i in range(w.shape[0]):
        o0, s0 = _rho_and_slope(w[i, 0], f[i, 0], df[i, 0], code)  # rows 00, 01, 10, 11
        o1, s1 = _rho_and_slope(w[i, 1], f[i, 1], df[i, 1], code)
        o2, s2 = _rho_and_slope(w[i, 2], f[i, 2], df[i, 2], code)
        o3, s3 = _rho_and_slope(w[i, 3], f[i, 3], df[i, 3], code)
        c[i, 0] = o0
        c[i, 1] = o2 - o0
        c[i, 2] = o1 - o0
        c[i, 3] = (o0 - o1) + (o3 - o2)
        slope[i, 0] = s0
        slope[i, 1] = s1
        slope[i, 2] = s2
        slope[i, 3] = s3


@njit(cache=True)
def _weight_grad(gc, slope, gw):
    """``gw = (gc @ ROWS_TO_POLYᵀ) · slope``: the coefficient gradient taken back to ``Ω``."""
    for i in range(gc.shape[0]):
        g0, g1, g2, g3 = gc[i, 0], gc[i, 1], gc[i, 2], gc[i, 3]
        gw[i, 0] = (g0 - g1 - g2 + g3) * slope[i, 0]
        gw[i, 1] = (g2 - g3) * slope[i, 1]
        gw[i, 2] = (g1 - g3) * slope[i, 2]
        gw[i, 3] = g3 * slope[i, 3]


def iwp_coefficients(weights: torch.Tensor, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(n, 4)`` and estimator slopes ``(n, 4)`` (float32 numpy) of IWP weights.

    The transcendental functions come from torch, whose vectorized sin, cos and sigmoid cost less
    than scalar calls from the jitted loop; the jitted pass does the rest."""
    if estimator not in ESTIMATOR_CODES:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {IWP_ESTIMATORS}")
    if weights.dtype != torch.float32 or weights.device.type != "cpu" or weights.ndim != 2 or weights.shape[1] != 4:
        raise ValueError(f"IWP weights must be a float32 CPU tensor (n, 4), got {weights.dtype} {tuple(weights.shape)}")
    w_t = weights.detach().contiguous()
    w = w_t.numpy()
    if estimator.startswith("sin"):
        f, df = torch.sin(w_t).numpy(), torch.cos(w_t).numpy()
    elif estimator.startswith("sigmoid"):
        f = df = torch.sigmoid(w_t).numpy()
    else:
        f = df = w
    c = np.empty_like(w)
    slope = np.empty_like(w)
    _coefficients(w, f, df, ESTIMATOR_CODES[estimator], c, slope)
    return c, slope


class IwpGatesFunction(torch.autograd.Function):
    """Autograd node of a whole IWP layer, ``Ω`` to outputs; use :func:`iwp_gates_numba`."""

    @staticmethod
    def forward(ctx, x, weights, a_np, b_np, reverse_index, estimator):
        c_np, slope = iwp_coefficients(weights, estimator)
        xT, yT = gates_forward(x, c_np, a_np, b_np)
        ctx.save_for_backward(x)
        ctx.parts = (xT, a_np, b_np, c_np, slope, reverse_index)
        return yT.t()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):
        xT, a_np, b_np, c_np, slope, reverse_index = ctx.parts
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        gx, gc = gates_backward(xT, a_np, b_np, c_np, reverse_index, grad_y, need_x, need_w)
        gw = None
        if need_w:
            gw = torch.empty(gc.shape, dtype=torch.float32)
            _weight_grad(gc, slope, gw.numpy())
        return gx, gw, None, None, None, None


def iwp_gates_numba(x: torch.Tensor, weights: torch.Tensor, a_np, b_np, reverse_index, estimator: str) -> torch.Tensor:
    """Relaxed IWP gates ``(batch, n)`` of ``x (batch, n_in)`` under weights ``Ω (n, 4)``: equal to
    ``relaxed_gates_numba(x, a, b, poly_coefficients(row_values("iwp", estimator, Ω)))`` in value and
    gradients (float32 rounding aside). ``a_np, b_np`` are int64 numpy indices, checked by the caller
    (:class:`ldlgn.layers.LogicLayer` builds them from its buffers); ``reverse_index`` as in
    :func:`ldlgn.numba_kernels.build_reverse_index`."""
    return IwpGatesFunction.apply(x, weights, a_np, b_np, reverse_index, estimator)
