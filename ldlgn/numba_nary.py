"""Numba CPU kernels for relaxed n-input gate layers (training), ``n`` = 2…6.

Forward: the multilinear gate in its monomial basis (:mod:`ldlgn.nary`), contracted one input at a
time, the last input first: level ``L`` halves the ``2**n`` coefficients with
``t_L[j] = t_{L-1}[2j] + t_{L-1}[2j+1]·x_{n-L}``. Every step is a loop over the batch, so it runs
with SIMD; activations are gate-major ``(features, batch)`` as in :mod:`ldlgn.numba_kernels`, whose
output layout (a transposed view) the next layer reads without a copy.

Backward without atomics, in two passes. Pass 1, parallel over gates: each gate recomputes its
levels, walks them back (the adjoint of ``t_{L-1}[2j]`` is that of ``t_L[j]``, the adjoint of
``t_{L-1}[2j+1]`` is that times ``x``) and writes its coefficient gradient and the gradient
through each of its operands into its own rows. Pass 2, parallel over inputs: each input sums
the operand rows that read it, in ascending slot order, through a CSR inverse index
(:func:`build_reverse_index`). Each output row is written by one thread only.

Threading and floating point as in :mod:`ldlgn.numba_kernels` (importing it sets the threading layer).
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from . import numba_kernels as _nk  # the threading layer default is set on import

__all__ = ["build_reverse_index", "multilinear_numba", "MultilinearFunction"]

_FM = _nk._FM
_CHUNK = 16  #: gates per parallel work item (one scratch buffer each)


@njit(cache=True)
def _reverse_index(idx, n_in):
    """CSR inverse: the readers of input ``j`` are ``slots[indptr[j]:indptr[j+1]]``, slot = gate·n + operand."""
    g, n = idx.shape
    indptr = np.zeros(n_in + 1, dtype=np.int64)
    for i in range(g):
        for k in range(n):
            indptr[idx[i, k] + 1] += 1
    for j in range(n_in):
        indptr[j + 1] += indptr[j]
    fill = indptr[:-1].copy()
    slots = np.empty(g * n, dtype=np.int64)
    for i in range(g):  # ascending slots within each input: deterministic sums
        for k in range(n):
            slots[fill[idx[i, k]]] = i * n + k
            fill[idx[i, k]] += 1
    return indptr, slots


def build_reverse_index(idx, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR inverse ``(indptr (n_in+1,), slots (gates·n,))`` of the connections ``idx (gates, n)``."""
    idx = _index_matrix(idx)
    if idx.size and (idx.min() < 0 or idx.max() >= n_in):
        raise ValueError(f"connection indices must be in 0..{n_in - 1}")
    return _reverse_index(idx, int(n_in))


def _index_matrix(idx) -> np.ndarray:
    if isinstance(idx, torch.Tensor):
        idx = idx.detach().cpu().numpy()
    idx = np.asarray(idx)
    if idx.ndim != 2 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"connections must be a 2-D integer array (gates, n), got {idx.dtype} of shape {idx.shape}")
    return np.ascontiguousarray(idx, dtype=np.int64)


# ---- one gate -------------------------------------------------------------------------------
@njit(cache=True, fastmath=_FM)
def _levels(xT, ix, c, lv):
    """Levels ``1..n`` of one gate into ``lv``: level ``L`` at rows ``2**n - 2**(n-L+1)`` onward."""
    n = ix.shape[0]
    batch = xT.shape[1]
    m = c.shape[0] >> 1
    x = xT[ix[n - 1]]
    for j in range(m):
        c0, c1 = c[2 * j], c[2 * j + 1]
        row = lv[j]
        for s in range(batch):
            row[s] = c0 + c1 * x[s]
    src = 0
    for k in range(n - 2, -1, -1):
        x = xT[ix[k]]
        dst = src + m
        m >>= 1
        for j in range(m):
            r0, r1, out = lv[src + 2 * j], lv[src + 2 * j + 1], lv[dst + j]
            for s in range(batch):
                out[s] = r0[s] + r1[s] * x[s]
        src = dst
    return src  # the row holding the gate's output


@njit(cache=True, fastmath=_FM)
def _gate_backward(xT, ix, c, g, lv, adj, dy, gc, need_x):
    """Coefficient gradient into ``gc (2**n,)``; with ``need_x`` the gradient through operand ``k``
    into ``dy[k]``. ``lv`` holds the gate's levels (:func:`_levels`), ``adj`` is scratch."""
    n = ix.shape[0]
    batch = g.shape[0]
    rows = c.shape[0]
    adj[rows - 2, :] = g  # the adjoint of level n (the output), at level n's row
    for L in range(n, 0, -1):
        m = rows >> L  # nodes on level L
        at = rows - 2 * m  # level L's first row, in lv and adj alike
        below = rows - 4 * m  # level L-1's first row (L > 1)
        x = xT[ix[n - L]]
        if need_x:
            d = dy[n - L]
            d[:] = 0.0
            for j in range(m):
                a = adj[at + j]
                if L > 1:
                    t1 = lv[below + 2 * j + 1]
                    for s in range(batch):
                        d[s] += a[s] * t1[s]
                else:
                    c1 = c[2 * j + 1]
                    for s in range(batch):
                        d[s] += a[s] * c1
        for j in range(m):
            a = adj[at + j]
            if L > 1:
                a0, a1 = adj[below + 2 * j], adj[below + 2 * j + 1]
                for s in range(batch):
                    a0[s] = a[s]
                    a1[s] = a[s] * x[s]
            else:
                s0 = np.float32(0.0)
                s1 = np.float32(0.0)
                for s in range(batch):
                    s0 += a[s]
                    s1 += a[s] * x[s]
                gc[2 * j] = s0
                gc[2 * j + 1] = s1


# ---- layers (parallel over chunks of gates, or over inputs) --------------------------------------
@njit(parallel=True, cache=True, fastmath=_FM)
def _forward(xT, idx, c, yT):
    gates = idx.shape[0]
    for chunk in prange((gates + _CHUNK - 1) // _CHUNK):
        lv = np.empty((c.shape[1], xT.shape[1]), dtype=np.float32)
        for i in range(chunk * _CHUNK, min(gates, (chunk + 1) * _CHUNK)):
            top = _levels(xT, idx[i], c[i], lv)
            yT[i, :] = lv[top]


@njit(parallel=True, cache=True, fastmath=_FM)
def _backward_gates(xT, idx, c, gT, dyT, gc, need_x):
    gates, n = idx.shape
    for chunk in prange((gates + _CHUNK - 1) // _CHUNK):
        lv = np.empty((c.shape[1], xT.shape[1]), dtype=np.float32)
        adj = np.empty((c.shape[1], xT.shape[1]), dtype=np.float32)
        for i in range(chunk * _CHUNK, min(gates, (chunk + 1) * _CHUNK)):
            _levels(xT, idx[i], c[i], lv)
            dy = dyT[i * n : (i + 1) * n] if need_x else dyT
            _gate_backward(xT, idx[i], c[i], gT[i], lv, adj, dy, gc[i], need_x)


@njit(parallel=True, cache=True, fastmath=_FM)
def _gather_inputs(dyT, indptr, slots, gxT):
    for j in prange(gxT.shape[0]):
        acc = gxT[j]
        acc[:] = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            row = dyT[slots[k]]
            for s in range(acc.shape[0]):
                acc[s] += row[s]


# ---- autograd ---------------------------------------------------------------------------------
class MultilinearFunction(torch.autograd.Function):
    """Autograd wrapper of the kernels; use :func:`multilinear_numba`."""

    @staticmethod
    def forward(ctx, x, c, idx_np, reverse_index):
        xT = _nk._gate_major(x)
        c_np = np.ascontiguousarray(c.detach().numpy())
        batch, gates = x.shape[0], idx_np.shape[0]
        yT = torch.empty((gates, batch), dtype=torch.float32)
        if gates and batch:
            _forward(xT, idx_np, c_np, yT.numpy())
        ctx.save_for_backward(x, c)
        ctx.idx = (idx_np, reverse_index)
        ctx.xT = xT
        return yT.t()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):
        _x, c = ctx.saved_tensors
        idx_np, reverse_index = ctx.idx
        xT = ctx.xT
        c_np = np.ascontiguousarray(c.detach().numpy())
        gT = _nk._gate_major(grad_y.to(torch.float32))
        n_in, batch = xT.shape
        gates, n = idx_np.shape
        need_x = bool(ctx.needs_input_grad[0])
        gc = torch.zeros((gates, c_np.shape[1]), dtype=torch.float32)
        dyT = np.empty((gates * n if need_x else 1, batch), dtype=np.float32)
        if gates and batch:
            _backward_gates(xT, idx_np, c_np, gT, dyT, gc.numpy(), need_x)
        gx = None
        if need_x:
            if reverse_index is None:
                reverse_index = _reverse_index(idx_np, n_in)
            gxT = torch.zeros((n_in, batch), dtype=torch.float32)
            if gates and batch:
                _gather_inputs(dyT, reverse_index[0], reverse_index[1], gxT.numpy())
            gx = gxT.t()
        return gx, (gc if ctx.needs_input_grad[1] else None), None, None


def multilinear_numba(x: torch.Tensor, idx, c: torch.Tensor, reverse_index=None) -> torch.Tensor:
    """Relaxed n-input gate layer on the Numba kernels; same contract as
    :func:`ldlgn.nary.multilinear_torch`. ``x (batch, n_in)`` float32 CPU, ``idx (gates, n)``,
    ``c (gates, 2**n)`` float32; ``reverse_index`` the optional cached :func:`build_reverse_index`.
    Returns ``(batch, gates)``, a transposed view of a gate-major buffer."""
    if not isinstance(x, torch.Tensor) or x.dtype != torch.float32 or x.device.type != "cpu" or x.ndim != 2:
        raise ValueError("the numba backend needs a float32 CPU tensor x of shape (batch, n_in)")
    idx_np = _index_matrix(idx)
    gates, n = idx_np.shape
    if c.dtype != torch.float32 or c.device.type != "cpu" or tuple(c.shape) != (gates, 1 << n):
        raise ValueError(f"c must be a float32 CPU tensor of shape ({gates}, {1 << n}), got {c.dtype} {tuple(c.shape)}")
    n_in = x.shape[1]
    if idx_np.size and (idx_np.min() < 0 or idx_np.max() >= n_in):
        raise ValueError(f"connection indices must be in 0..{n_in - 1} (x has {n_in} columns)")
    if reverse_index is not None and (reverse_index[0].shape != (n_in + 1,) or reverse_index[1].shape != (gates * n,)):
        raise ValueError("reverse_index does not match the connections (rebuild it with build_reverse_index)")
    return MultilinearFunction.apply(x, c, idx_np, reverse_index)
