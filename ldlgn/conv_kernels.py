"""Numba CPU kernels for gate layers with shared parameters: the levels of logic tree convolutions.

A level of a convolution is a layer of ``G = Q · P`` relaxed two-input gates laid out
*parameter-major*: gate ``i`` uses the coefficients of parameter row ``q = i // P`` (``P`` gates
share a row: one per output position), and reads inputs ``a[i]``, ``b[i]``. The index ``n_in``
(one past the last input) stands for the constant 0 of zero padding.

Forward and input gradient follow :mod:`ldlgn.numba_kernels` (gate-major ``(features, batch)``
activations, prefetching, a CSR inverse of the connections so that each input's gradient is
gathered by one thread: no atomics). The coefficient gradient of every gate is reduced over the
batch while its operand-A slot is visited, then summed over the ``P`` positions of each parameter
row by one thread per row (gates whose operand A is padding are reduced in a separate pass). So
the gradients of the shared parameters are sums over positions without any atomic update.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from .numba_kernels import (
    _AHEAD,
    _FM,
    _coeff_grad,
    _gate_forward,
    _gate_major,
    _grad_operand_a,
    _grad_operand_b,
    _prefetch,
    _reverse_index,
)

__all__ = ["SharedGatesFunction", "build_shared_reverse_index", "shared_gates_numba", "shared_gates_torch"]


def build_shared_reverse_index(a: np.ndarray, b: np.ndarray, n_in: int):
    """``(indptr, slots, pad_a)``: the CSR inverse of the connections over the real inputs, and the
    gates whose operand A is padding (their coefficient gradient needs a pass of its own)."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-D of one length, got shapes {a.shape} and {b.shape}")
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) > n_in):
        raise ValueError(f"connection indices must be in 0..{n_in} ({n_in}: zero padding)")
    indptr, slots = _reverse_index(a, b, int(n_in))
    return indptr, slots, np.flatnonzero(a == n_in).astype(np.int64)


@njit(parallel=True, cache=True, fastmath=_FM)
def _forward(xT, zero, a, b, c, per, yT):
    n = yT.shape[0]
    n_in = xT.shape[0]
    for i in prange(n):
        if i + _AHEAD < n:
            if a[i + _AHEAD] < n_in:
                _prefetch(xT[a[i + _AHEAD]])
            if b[i + _AHEAD] < n_in:
                _prefetch(xT[b[i + _AHEAD]])
        ra = xT[a[i]] if a[i] < n_in else zero
        rb = xT[b[i]] if b[i] < n_in else zero
        _gate_forward(yT[i], ra, rb, c[i // per])


@njit(parallel=True, cache=True, fastmath=_FM)
def _backward_inputs(xT, zero, a, b, c, per, gT, indptr, slots, gxT, gcg):
    """Input gradient per real input; the coefficient gradient of each gate at its operand-A slot."""
    n_in = gxT.shape[0]
    n_slots = slots.shape[0]
    for j in prange(n_in):
        acc = gxT[j]
        acc[:] = 0.0
        own = xT[j]
        for k in range(indptr[j], indptr[j + 1]):
            if k + _AHEAD < n_slots:
                ahead = slots[k + _AHEAD]
                _prefetch(gT[ahead >> 1])
            e = slots[k]
            i = e >> 1
            q = i // per
            if e & 1:  # operand B: dy/dB = c2 + c3·A
                other = xT[a[i]] if a[i] < n_in else zero
                _grad_operand_b(acc, gT[i], other, c[q, 2], c[q, 3])
            else:  # operand A: dy/dA = c1 + c3·B, and the coefficient gradient of gate i
                other = xT[b[i]] if b[i] < n_in else zero
                _grad_operand_a(acc, gT[i], own, other, c[q, 1], c[q, 3], gcg[i])


@njit(parallel=True, cache=True, fastmath=_FM)
def _gate_coeffs(xT, zero, a, b, gT, gates, gcg):
    """Coefficient gradient of the listed gates, reduced over the batch."""
    n_in = xT.shape[0]
    for t in prange(gates.shape[0]):
        i = gates[t]
        ra = xT[a[i]] if a[i] < n_in else zero
        rb = xT[b[i]] if b[i] < n_in else zero
        _coeff_grad(gT[i], ra, rb, gcg[i])


@njit(parallel=True, cache=True)
def _sum_positions(gcg, per, gc):
    """``gc[q] = Σ_p gcg[q·per + p]``: one thread per parameter row."""
    for q in prange(gc.shape[0]):
        s0 = np.float32(0.0)
        s1 = np.float32(0.0)
        s2 = np.float32(0.0)
        s3 = np.float32(0.0)
        for i in range(q * per, (q + 1) * per):
            s0 += gcg[i, 0]
            s1 += gcg[i, 1]
            s2 += gcg[i, 2]
            s3 += gcg[i, 3]
        gc[q, 0] = s0
        gc[q, 1] = s1
        gc[q, 2] = s2
        gc[q, 3] = s3


class SharedGatesFunction(torch.autograd.Function):
    """Autograd wrapper of the kernels above; use :func:`shared_gates_numba`."""

    @staticmethod
    def forward(ctx, x, c, a_np, b_np, per, reverse_index):
        xT = _gate_major(x)
        batch, n = x.shape[0], a_np.shape[0]
        zero = np.zeros(batch, dtype=np.float32)
        c_np = np.ascontiguousarray(c.detach().numpy())
        yT = torch.empty((n, batch), dtype=torch.float32)
        if n and batch:
            _forward(xT, zero, a_np, b_np, c_np, per, yT.numpy())
        ctx.save_for_backward(c)
        ctx.idx = (a_np, b_np, per, reverse_index)
        ctx.xT, ctx.zero = xT, zero
        return yT.t()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):
        (c,) = ctx.saved_tensors
        a_np, b_np, per, (indptr, slots, pad_a) = ctx.idx
        xT, zero = ctx.xT, ctx.zero
        c_np = np.ascontiguousarray(c.detach().numpy())
        gT = _gate_major(grad_y.to(torch.float32))
        n_in, batch = xT.shape
        gcg = np.zeros((a_np.shape[0], 4), dtype=np.float32)
        gx = None
        if ctx.needs_input_grad[0]:
            gxT = torch.empty((n_in, batch), dtype=torch.float32)
            if batch:
                _backward_inputs(xT, zero, a_np, b_np, c_np, per, gT, indptr, slots, gxT.numpy(), gcg)
                _gate_coeffs(xT, zero, a_np, b_np, gT, pad_a, gcg)
            gx = gxT.t()
        elif batch:
            _gate_coeffs(xT, zero, a_np, b_np, gT, np.arange(a_np.shape[0], dtype=np.int64), gcg)
        gc = None
        if ctx.needs_input_grad[1]:
            gc = torch.zeros(c.shape, dtype=torch.float32)
            _sum_positions(gcg, per, gc.numpy())
        return gx, gc, None, None, None, None


def _check(x, a, b, c, per):
    if not isinstance(x, torch.Tensor) or x.dtype != torch.float32 or x.device.type != "cpu" or x.ndim != 2:
        raise ValueError("the numba backend needs a float32 CPU tensor x of shape (batch, n_in)")
    if c.ndim != 2 or c.shape[1] != 4 or c.dtype != torch.float32 or c.device.type != "cpu":
        raise ValueError(f"c must be a float32 CPU tensor of shape (rows, 4), got {c.dtype} {tuple(c.shape)}")
    if per < 1 or a.shape != b.shape or a.shape[0] != c.shape[0] * per:
        raise ValueError(
            f"need a, b of shape ({c.shape[0]} rows × {per} positions,), got {tuple(a.shape)}, {tuple(b.shape)}"
        )


def shared_gates_numba(x: torch.Tensor, a, b, c: torch.Tensor, per: int, reverse_index=None) -> torch.Tensor:
    """Relaxed gates with shared coefficients on the Numba kernels.

    ``x (batch, n_in)`` float32 CPU; ``a, b (Q·per,)`` int64 numpy indices into ``x``'s columns
    (``n_in``: zero padding); ``c (Q, 4)`` coefficients, row ``i // per`` for gate ``i``.
    ``reverse_index`` is :func:`build_shared_reverse_index` of ``(a, b, n_in)`` (built when None).
    Returns ``(batch, Q·per)``, a transposed view of a gate-major buffer.
    """
    _check(x, a, b, c, per)
    a_np = np.ascontiguousarray(a, dtype=np.int64)
    b_np = np.ascontiguousarray(b, dtype=np.int64)
    if reverse_index is None:
        reverse_index = build_shared_reverse_index(a_np, b_np, x.shape[1])
    elif reverse_index[0].shape != (x.shape[1] + 1,):
        raise ValueError("reverse_index does not match the input width (rebuild it with build_shared_reverse_index)")
    return SharedGatesFunction.apply(x, c, a_np, b_np, int(per), reverse_index)


def shared_gates_torch(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, per: int) -> torch.Tensor:
    """The plain-torch path (any device and dtype): pad one zero column, expand the coefficients
    over the positions, gather. Autograd sums the expanded coefficients' gradients per row."""
    x = torch.cat([x, x.new_zeros(x.shape[0], 1)], 1)
    cf = c.repeat_interleave(per, 0)
    A = x[:, a]
    B = x[:, b]
    return cf[:, 0] + cf[:, 1] * A + (cf[:, 2] + cf[:, 3] * A) * B
