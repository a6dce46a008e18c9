"""Numba CPU kernels of the sixteen-gate OP relaxation (:mod:`ldlgn.op_sixteen`).

They follow the layout and the passes of the coefficient kernels (:mod:`ldlgn.numba_kernels`):
gate-major ``(features, batch)`` activations, rows gathered through the connections prefetched a
few gates ahead, one parallel pass over the inputs in the backward pass that gathers each input's
gradient through the CSR inverse index and reduces a gate's weight gradients while visiting its
operand-A slot. They differ only in the per-sample work, which is what the comparison measures:
the forward pass sums the 16 weighted gate values, the input gradient sums the 16 weighted gate
slopes, and the weight gradient keeps 16 sums of the output gradient times each gate value.

Floating point. The per-sample gate arithmetic is compiled without reassociation (only fused
multiply-adds, as nvcc compiles difflogic's kernel), so the compiler cannot fold the 16 weighted
gates back into four coefficients; the sums over the batch may be reassociated, as in the
coefficient kernels.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from .numba_kernels import _backward_coeffs, _gate_major, _prefetch, build_reverse_index
from .op_sixteen import expand_weight_sums

_FM = {"reassoc", "contract", "nsz"}  #: sums over the batch
_STRICT = {"contract"}  #: per-sample gate arithmetic, as written
_AHEAD = 8  #: prefetch distance, as in the coefficient kernels

__all__ = ["sixteen_gates_numba"]


_ONE = np.float32(1.0)


@njit(cache=True)
def _weights(p):
    """The 16 gate probabilities of one gate as a tuple (held in registers by the loops)."""
    return (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15])


@njit(cache=True, fastmath=_STRICT)
def _gates(A, B):
    """The 15 non-constant gate values ``G_1 … G_15`` of difflogic's ids (``G_0 = 0``, ``G_15 = 1``)."""
    ab = A * B
    a_or_b = A + B - ab
    a_xor_b = A + B - (ab + ab)
    return (
        ab,
        A - ab,
        A,
        B - ab,
        B,
        a_xor_b,
        a_or_b,
        _ONE - a_or_b,
        _ONE - a_xor_b,
        _ONE - B,
        _ONE - B + ab,
        _ONE - A,
        _ONE - A + ab,
        _ONE - ab,
    )


@njit(cache=True, fastmath=_STRICT)
def _mix(w, A, B):
    """``Σ_g w_g · G_g(A, B)`` over the 16 gates."""
    G = _gates(A, B)
    return (
        ((w[1] * G[0] + w[2] * G[1]) + (w[3] * G[2] + w[4] * G[3]))
        + ((w[5] * G[4] + w[6] * G[5]) + (w[7] * G[6] + w[8] * G[7]))
        + ((w[9] * G[8] + w[10] * G[9]) + (w[11] * G[10] + w[12] * G[11]))
        + ((w[13] * G[12] + w[14] * G[13]) + w[15])
    )


@njit(cache=True, fastmath=_STRICT)
def _slope_a(w, B):
    """``Σ_g w_g · ∂G_g/∂A``, a function of ``B`` only."""
    nb = _ONE - B
    return (
        ((w[1] * B + w[2] * nb) + (w[3] - w[4] * B))
        + ((w[6] * (nb - B) + w[7] * nb) + (w[9] * (B - nb) - w[8] * nb))
        + ((w[11] * B - w[12]) + (w[14] * -B - w[13] * nb))
    )


@njit(cache=True, fastmath=_STRICT)
def _slope_b(w, A):
    """``Σ_g w_g · ∂G_g/∂B``, a function of ``A`` only."""
    na = _ONE - A
    return (
        ((w[1] * A - w[2] * A) + (w[4] * na + w[5]))
        + ((w[6] * (na - A) + w[7] * na) + (w[9] * (A - na) - w[8] * na))
        + ((w[13] * A - w[10]) + (w[14] * -A - w[11] * na))
    )


@njit(cache=True, fastmath=_FM)
def _gate_forward(out, ra, rb, p):
    w = _weights(p)
    for s in range(out.shape[0]):
        out[s] = _mix(w, ra[s], rb[s])


@njit(parallel=True, cache=True, fastmath=_FM)
def _forward(xT, a, b, p, yT):
    n = yT.shape[0]
    for i in prange(n):
        if i + _AHEAD < n:
            _prefetch(xT[a[i + _AHEAD]])
            _prefetch(xT[b[i + _AHEAD]])
        _gate_forward(yT[i], xT[a[i]], xT[b[i]], p[i])


@njit(cache=True, fastmath=_FM)
def _visit_a(acc, g, ra, rb, w, out):
    """``acc += g · Σ w_g ∂G_g/∂A`` through operand A of one gate, and its 16 weight gradients
    ``out[k] = Σ_s g_s · G_k`` in the same pass over the batch (``out[0] = 0``: gate 0 is constant)."""
    s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = np.float32(0.0)
    s9 = s10 = s11 = s12 = s13 = s14 = s15 = np.float32(0.0)
    for s in range(acc.shape[0]):
        gs = g[s]
        A = ra[s]
        B = rb[s]
        acc[s] += gs * _slope_a(w, B)
        G = _gates(A, B)
        s1 += gs * G[0]
        s2 += gs * G[1]
        s3 += gs * G[2]
        s4 += gs * G[3]
        s5 += gs * G[4]
        s6 += gs * G[5]
        s7 += gs * G[6]
        s8 += gs * G[7]
        s9 += gs * G[8]
        s10 += gs * G[9]
        s11 += gs * G[10]
        s12 += gs * G[11]
        s13 += gs * G[12]
        s14 += gs * G[13]
        s15 += gs
    _store(out, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)


@njit(cache=True)
def _store(out, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15):
    out[0] = 0.0
    out[1], out[2], out[3], out[4], out[5] = s1, s2, s3, s4, s5
    out[6], out[7], out[8], out[9], out[10] = s6, s7, s8, s9, s10
    out[11], out[12], out[13], out[14], out[15] = s11, s12, s13, s14, s15


@njit(cache=True, fastmath=_FM)
def _weight_grads(g, ra, rb, out):
    """The 16 weight gradients of one gate (no input gradient)."""
    s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = np.float32(0.0)
    s9 = s10 = s11 = s12 = s13 = s14 = s15 = np.float32(0.0)
    for s in range(g.shape[0]):
        gs = g[s]
        G = _gates(ra[s], rb[s])
        s1 += gs * G[0]
        s2 += gs * G[1]
        s3 += gs * G[2]
        s4 += gs * G[3]
        s5 += gs * G[4]
        s6 += gs * G[5]
        s7 += gs * G[6]
        s8 += gs * G[7]
        s9 += gs * G[8]
        s10 += gs * G[9]
        s11 += gs * G[10]
        s12 += gs * G[11]
        s13 += gs * G[12]
        s14 += gs * G[13]
        s15 += gs
    _store(out, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)


@njit(cache=True, fastmath=_FM)
def _visit_a4(acc, g, ra, rb, w, out):
    """As :func:`_visit_a`, but the weight gradients as difflogic's CUDA kernel reduces them: the four
    sums ``Σg, Σg·A, Σg·B, Σg·A·B`` (expanded to the 16 gates per gate afterwards)."""
    s0 = s1 = s2 = s3 = np.float32(0.0)
    for s in range(acc.shape[0]):
        gs = g[s]
        B = rb[s]
        acc[s] += gs * _slope_a(w, B)
        ga = gs * ra[s]
        s0 += gs
        s1 += ga
        s2 += gs * B
        s3 += ga * B
    out[0], out[1], out[2], out[3] = s0, s1, s2, s3


@njit(cache=True, fastmath=_FM)
def _visit_b(acc, g, ra, w):
    """``acc += g · Σ w_g ∂G_g/∂B`` through operand B of one gate."""
    for s in range(acc.shape[0]):
        acc[s] += g[s] * _slope_b(w, ra[s])


@njit(parallel=True, cache=True, fastmath=_FM)
def _backward_weights(xT, a, b, gT, gp):
    for i in prange(gT.shape[0]):
        _weight_grads(gT[i], xT[a[i]], xT[b[i]], gp[i])


@njit(parallel=True, cache=True, fastmath=_FM)
def _backward_all(xT, a, b, p, gT, indptr, slots, gxT, gp, sums16):
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
                _prefetch(xT[a[ahead >> 1] if ahead & 1 else b[ahead >> 1]])
            e = slots[k]
            i = e >> 1
            w = _weights(p[i])
            if e & 1:
                _visit_b(acc, gT[i], xT[a[i]], w)
            elif sums16:
                _visit_a(acc, gT[i], own, xT[b[i]], w, gp[i])
            else:
                _visit_a4(acc, gT[i], own, xT[b[i]], w, gp[i])


class SixteenGatesFunction(torch.autograd.Function):
    """Autograd wrapper of the sixteen-gate kernels; use :func:`sixteen_gates_numba`."""

    @staticmethod
    def forward(ctx, x, p, a_np, b_np, reverse_index, weight_sums):
        xT = _gate_major(x)
        p_np = np.ascontiguousarray(p.detach().numpy())
        batch, n = x.shape[0], a_np.shape[0]
        yT = torch.empty((n, batch), dtype=torch.float32)
        if n and batch:
            _forward(xT, a_np, b_np, p_np, yT.numpy())
        ctx.save_for_backward(x, p)
        ctx.idx = (a_np, b_np, reverse_index)
        ctx.xT, ctx.weight_sums = xT, weight_sums
        return yT.t()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):
        _x, p = ctx.saved_tensors
        a_np, b_np, reverse_index = ctx.idx
        xT = ctx.xT
        p_np = np.ascontiguousarray(p.detach().numpy())
        gT = _gate_major(grad_y.to(torch.float32))
        n_in, batch = xT.shape
        gp = torch.zeros((a_np.shape[0], ctx.weight_sums), dtype=torch.float32)
        gx = None
        if ctx.needs_input_grad[0]:
            indptr, slots = reverse_index if reverse_index is not None else build_reverse_index(a_np, b_np, n_in)
            gxT = torch.empty((n_in, batch), dtype=torch.float32)
            if batch:
                _backward_all(xT, a_np, b_np, p_np, gT, indptr, slots, gxT.numpy(), gp.numpy(), ctx.weight_sums == 16)
            else:
                gxT.zero_()
            gx = gxT.t()
        elif ctx.needs_input_grad[1] and batch and a_np.shape[0]:
            (_backward_weights if ctx.weight_sums == 16 else _backward_coeffs)(xT, a_np, b_np, gT, gp.numpy())
        if ctx.weight_sums == 4:
            gp = expand_weight_sums(gp)
        return gx, (gp if ctx.needs_input_grad[1] else None), None, None, None, None


def _indices(v, name: str, n_in: int) -> np.ndarray:
    v = v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
    if v.ndim != 1 or not np.issubdtype(v.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array, got {v.dtype} of shape {v.shape}")
    if v.size and (v.min() < 0 or v.max() >= n_in):
        raise ValueError(f"connection indices must be in 0..{n_in - 1} (x has {n_in} columns)")
    return np.ascontiguousarray(v, dtype=np.int64)


def sixteen_gates_numba(x, a, b, p, reverse_index=None, weight_sums: int = 16) -> torch.Tensor:
    """Sixteen-gate layer on the Numba kernels: ``x (batch, n_in)`` float32 CPU, ``a, b (n,)``
    indices into ``x``'s columns, ``p (n, 16)`` float32 gate probabilities (rows of a softmax);
    ``reverse_index`` is an optional cached :func:`~ldlgn.numba_kernels.build_reverse_index`;
    ``weight_sums``: 16 (a sum per gate value) or 4 (difflogic's CUDA reduction, see
    :func:`ldlgn.op_sixteen.sixteen_gates`). Returns ``(batch, n)`` (a transposed view of a
    gate-major buffer, like the coefficient kernels)."""
    if not isinstance(x, torch.Tensor) or x.dtype != torch.float32 or x.device.type != "cpu" or x.ndim != 2:
        raise ValueError("the numba backend needs a float32 CPU tensor x of shape (batch, n_in)")
    if p.dtype != torch.float32 or p.device.type != "cpu" or p.ndim != 2 or p.shape[1] != 16:
        raise ValueError(
            f"p must be a float32 CPU tensor of shape (n, 16), got {p.dtype} {tuple(p.shape)} on {p.device}"
        )
    n_in = x.shape[1]
    a_np, b_np = _indices(a, "a", n_in), _indices(b, "b", n_in)
    if a_np.shape != b_np.shape or p.shape[0] != a_np.shape[0]:
        raise ValueError(
            f"need a, b of shape (n,) and p of shape (n, 16), got {a_np.shape}, {b_np.shape}, {tuple(p.shape)}"
        )
    if reverse_index is not None and reverse_index[0].shape != (n_in + 1,):
        raise ValueError("reverse_index does not match the connections (rebuild it with build_reverse_index)")
    if weight_sums not in (4, 16):
        raise ValueError(f"weight_sums must be 16 or 4, got {weight_sums!r}")
    return SixteenGatesFunction.apply(x, p, a_np, b_np, reverse_index, weight_sums)
