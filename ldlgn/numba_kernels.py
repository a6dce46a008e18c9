"""Numba CPU kernels for relaxed two-input gate layers (training).

Forward ``y[:, i] = c[i,0] + c[i,1]·A + c[i,2]·B + c[i,3]·A·B`` with ``A = x[:, a[i]]``,
``B = x[:, b[i]]`` (docs/truth-tables.md), and its backward pass, as a ``torch.autograd.Function``.

Memory layout. The kernels work *gate-major*: activations are stored as ``(features, batch)``
so that a gate reads two contiguous rows and writes one, and every inner loop runs over the
batch with SIMD. The layer output is returned as the transposed view of a ``(n, batch)``
array, i.e. a ``(batch, n)`` tensor with strides ``(1, batch)``; the next layer recognizes
that layout and reads it without a copy. Only the first layer (a batch-major input) and
gradients arriving in another layout are transposed once. The backward pass prefetches the rows
it gathers through the reverse index a few slots ahead, which hides most cache-miss latency; in
the forward pass (one gather per operand, read in gate order) prefetching measured no gain.

Backward without atomics. The input gradient is gathered per input through a CSR inverse
index (:func:`build_reverse_index`) listing the ``(gate, operand)`` slots that read each
input. The coefficient gradient of gate ``i`` is reduced over the batch while visiting its
operand-A slot, so each gate is written by exactly one thread and the pass over the output
gradient is shared by both gradients.

Threading. On small shared machines OpenMP's busy-waiting threads cost milliseconds per
parallel region, so this module makes Numba's ``workqueue`` threading layer the default
unless ``NUMBA_THREADING_LAYER`` is set in the environment (``OMP_WAIT_POLICY=passive`` is
the alternative for the OpenMP layer). ``workqueue`` does not support launching parallel
kernels from several Python threads at once; set the environment variable to ``omp`` or
``tbb`` for that.

Memory. Importing this module also raises glibc malloc's thresholds (:mod:`ldlgn.heap`), so that
the megabyte buffers a step frees are reused by the next step instead of being page-faulted in
again; ``LDLGN_RETAIN_HEAP=0`` turns that off.

Floating point. Reductions over the batch may be reassociated (``fastmath`` limited to
``reassoc``/``contract``/``nsz``, so NaN and Inf still propagate); results equal the plain
torch path within float32 rounding.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, cast

import numba
import numpy as np
import torch
from llvmlite import ir  # type: ignore[import-untyped]  # llvmlite ships no type information
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .heap import retain_freed_memory

if "NUMBA_THREADING_LAYER" not in os.environ:
    # numba.config fills in its options from the environment at import time, unseen by type checkers
    numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]
retain_freed_memory()  # reuse the step's buffers instead of page-faulting them in anew (ldlgn.heap)

_FM = {"reassoc", "contract", "nsz"}
_AHEAD = 8  #: prefetch distance (gates or reverse-index slots) for the randomly gathered rows
_LINE = 64  #: cache line bytes

__all__ = ["build_reverse_index", "relaxed_gates_numba", "RelaxedGatesFunction"]


# ---- inverse connection index ----------------------------------------------------------------
@njit(cache=True)
def _reverse_index(a, b, n_in):
    """CSR inverse over the inputs ``0..n_in-1``; an index ``n_in`` (zero padding) gets no slot."""
    n = a.shape[0]
    indptr = np.zeros(n_in + 1, dtype=np.int64)
    for i in range(n):
        if a[i] < n_in:
            indptr[a[i] + 1] += 1
        if b[i] < n_in:
            indptr[b[i] + 1] += 1
    for j in range(n_in):
        indptr[j + 1] += indptr[j]
    fill = indptr[:-1].copy()
    slots = np.empty(indptr[n_in], dtype=np.int64)
    for i in range(n):  # ascending gate order within each input: deterministic sums
        if a[i] < n_in:
            slots[fill[a[i]]] = 2 * i
            fill[a[i]] += 1
        if b[i] < n_in:
            slots[fill[b[i]]] = 2 * i + 1
            fill[b[i]] += 1
    return indptr, slots


def build_reverse_index(a, b, n_in: int):
    """CSR inverse of the connections: ``(indptr (n_in+1,), slots (2n,))``, both int64 numpy.

    The readers of input ``j`` are ``slots[indptr[j]:indptr[j+1]]``; slot ``2*i`` is operand A
    of gate ``i`` and ``2*i + 1`` its operand B. Inputs nobody reads get an empty range.
    """
    a = _index_array(a, "a")
    b = _index_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have one entry per gate, got shapes {a.shape} and {b.shape}")
    n_in = int(n_in)
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n_in):
        raise ValueError(f"connection indices must be in 0..{n_in - 1}")
    return _reverse_index(a, b, n_in)


def _index_array(v, name):
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().numpy()
    v = np.asarray(v)
    if v.ndim != 1 or not np.issubdtype(v.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array, got {v.dtype} of shape {v.shape}")
    return np.ascontiguousarray(v, dtype=np.int64)


# ---- kernels (gate-major: rows are features, columns the batch) --------------------------------
def _prefetch_typing(typingctx, row):
    """Hint the CPU to fetch every cache line of a contiguous 1-D array (no effect on results).

    Rows are gathered at random through the connections; prefetching them a few gates ahead
    hides most of the cache-miss latency.
    """

    def codegen(context, builder, sig, args):
        arr = context.make_array(sig.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        base = builder.bitcast(arr.data, i8p)
        itemsize = context.get_constant(types.intp, sig.args[0].dtype.bitwidth // 8)
        nbytes = builder.mul(arr.nitems, itemsize)
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", [i8p], ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        )
        zero, step = context.get_constant(types.intp, 0), context.get_constant(types.intp, _LINE)
        with cgutils.for_range_slice(builder, zero, nbytes, step) as (offset, _):
            # read access, high temporal locality, data cache
            builder.call(fn, [builder.gep(base, [offset]), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(row), codegen


#: ``_prefetch(row)`` in jitted code; numba's stub would type the call with ``typingctx`` as well
_prefetch = cast(Callable[[Any], None], intrinsic(_prefetch_typing))


@njit(cache=True, fastmath=_FM)
def _gate_forward(out, ra, rb, c):
    """``out = c0 + c1·A + c2·B + c3·A·B`` over the batch, for one gate with coefficients ``c (4,)``."""
    c0, c1, c2, c3 = c[0], c[1], c[2], c[3]
    for s in range(out.shape[0]):
        A = ra[s]
        out[s] = c0 + c1 * A + (c2 + c3 * A) * rb[s]


@njit(parallel=True, cache=True, fastmath=_FM)
def _forward(xT, a, b, c, yT):
    # 2-D indexing in one loop nest: per-gate row views cost more than the arithmetic they feed
    batch = yT.shape[1]
    for i in prange(yT.shape[0]):
        ai, bi = a[i], b[i]
        c0, c1, c2, c3 = c[i, 0], c[i, 1], c[i, 2], c[i, 3]
        for s in range(batch):
            A = xT[ai, s]
            yT[i, s] = c0 + c1 * A + (c2 + c3 * A) * xT[bi, s]


@njit(cache=True, fastmath=_FM)
def _coeff_grad(g, ra, rb, out):
    """``out[:] = (Σg, Σg·A, Σg·B, Σg·A·B)`` over the batch: one gate's coefficient gradient."""
    s0 = np.float32(0.0)
    s1 = np.float32(0.0)
    s2 = np.float32(0.0)
    s3 = np.float32(0.0)
    for s in range(g.shape[0]):
        gs = g[s]
        ga = gs * ra[s]
        s0 += gs
        s1 += ga
        s2 += gs * rb[s]
        s3 += ga * rb[s]
    out[0] = s0
    out[1] = s1
    out[2] = s2
    out[3] = s3


@njit(cache=True, fastmath=_FM)
def _grad_operand_b(acc, g, ra, c2, c3):
    """``acc += g · (c2 + c3·A)``: the input gradient through operand B of one gate."""
    for s in range(acc.shape[0]):
        acc[s] += g[s] * (c2 + c3 * ra[s])


@njit(cache=True, fastmath=_FM)
def _grad_operand_a(acc, g, ra, rb, c1, c3, out):
    """``acc += g · (c1 + c3·B)`` through operand A, and the gate's coefficient gradient into ``out``
    in the same pass over the batch (see :func:`_coeff_grad`)."""
    s0 = np.float32(0.0)
    s1 = np.float32(0.0)
    s2 = np.float32(0.0)
    s3 = np.float32(0.0)
    for s in range(acc.shape[0]):
        gs = g[s]
        bs = rb[s]
        ga = gs * ra[s]
        acc[s] += gs * (c1 + c3 * bs)
        s0 += gs
        s1 += ga
        s2 += gs * bs
        s3 += ga * bs
    out[0] = s0
    out[1] = s1
    out[2] = s2
    out[3] = s3


@njit(parallel=True, cache=True, fastmath=_FM)
def _backward_coeffs(xT, a, b, gT, gc):
    batch = gT.shape[1]
    for i in prange(gT.shape[0]):
        ai, bi = a[i], b[i]
        s0 = np.float32(0.0)
        s1 = np.float32(0.0)
        s2 = np.float32(0.0)
        s3 = np.float32(0.0)
        for s in range(batch):
            g = gT[i, s]
            B = xT[bi, s]
            ga = g * xT[ai, s]
            s0 += g
            s1 += ga
            s2 += g * B
            s3 += ga * B
        gc[i, 0], gc[i, 1], gc[i, 2], gc[i, 3] = s0, s1, s2, s3


@njit(parallel=True, cache=True, fastmath=_FM)
def _backward_all(xT, a, b, c, gT, indptr, slots, gxT, gc):
    n_in, batch = gxT.shape
    n_slots = slots.shape[0]
    for j in prange(n_in):
        for s in range(batch):
            gxT[j, s] = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            if k + _AHEAD < n_slots:
                ahead = slots[k + _AHEAD]
                _prefetch(gT[ahead >> 1])
                _prefetch(xT[a[ahead >> 1] if ahead & 1 else b[ahead >> 1]])
            e = slots[k]
            i = e >> 1
            if e & 1:  # operand B of gate i: dy/dB = c2 + c3·A
                ai, c2, c3 = a[i], c[i, 2], c[i, 3]
                for s in range(batch):
                    gxT[j, s] += gT[i, s] * (c2 + c3 * xT[ai, s])
            else:  # operand A: dy/dA = c1 + c3·B; also reduce the coefficient gradient of gate i
                bi, c1, c3 = b[i], c[i, 1], c[i, 3]
                s0 = np.float32(0.0)
                s1 = np.float32(0.0)
                s2 = np.float32(0.0)
                s3 = np.float32(0.0)
                for s in range(batch):
                    g = gT[i, s]
                    B = xT[bi, s]
                    ga = g * xT[j, s]
                    gxT[j, s] += g * (c1 + c3 * B)
                    s0 += g
                    s1 += ga
                    s2 += g * B
                    s3 += ga * B
                gc[i, 0], gc[i, 1], gc[i, 2], gc[i, 3] = s0, s1, s2, s3


# ---- layout helpers ----------------------------------------------------------------------------
def _gate_major(t: torch.Tensor) -> np.ndarray:
    """``(batch, m)`` tensor → contiguous ``(m, batch)`` float32 numpy array (a view when possible)."""
    t = t.detach()
    tt = t.t()
    if not tt.is_contiguous():
        tt = tt.contiguous()
    return tt.numpy()


def _check(x, a, b, c):
    if not isinstance(x, torch.Tensor) or x.dtype != torch.float32 or x.device.type != "cpu":
        raise ValueError("the numba backend needs a float32 CPU tensor x")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (batch, n_in), got {tuple(x.shape)}")
    if c.ndim != 2 or c.shape[1] != 4 or c.shape[0] != a.shape[0] or a.shape != b.shape:
        raise ValueError(
            f"need a, b of shape (n,) and c of shape (n, 4), got {tuple(a.shape)}, {tuple(b.shape)}, {tuple(c.shape)}"
        )
    if c.dtype != torch.float32 or c.device.type != "cpu":
        raise ValueError(f"c must be a float32 CPU tensor, got {c.dtype} on {c.device}")


def gates_forward(x: torch.Tensor, c_np: np.ndarray, a_np: np.ndarray, b_np: np.ndarray):
    """Run the forward kernel: ``(xT, yT)``, the gate-major input (a view of ``x`` when it came from a
    previous layer) and the gate-major output tensor ``(n, batch)``."""
    xT = _gate_major(x)
    batch, n = x.shape[0], a_np.shape[0]
    yT = torch.empty((n, batch), dtype=torch.float32)
    if n and batch:
        _forward(xT, a_np, b_np, c_np, yT.numpy())
    return xT, yT


def gates_backward(xT, a_np, b_np, c_np, reverse_index, grad_y, need_x: bool, need_c: bool):
    """Run the backward kernels: ``(grad x or None, grad c (n, 4) numpy)``; one pass over ``grad_y``
    yields both (the coefficient gradient is all zeros when neither is needed)."""
    gT = _gate_major(grad_y.to(torch.float32))
    n_in, batch = xT.shape
    gc = np.zeros((a_np.shape[0], 4), dtype=np.float32)
    gx = None
    if need_x:
        if reverse_index is None:
            reverse_index = _reverse_index(a_np, b_np, n_in)
        indptr, slots = reverse_index
        gxT = torch.empty((n_in, batch), dtype=torch.float32)
        if batch:
            _backward_all(xT, a_np, b_np, c_np, gT, indptr, slots, gxT.numpy(), gc)
        else:
            gxT.zero_()
        gx = gxT.t()
    elif need_c and batch and a_np.shape[0]:
        _backward_coeffs(xT, a_np, b_np, gT, gc)
    return gx, gc


class RelaxedGatesFunction(torch.autograd.Function):
    """Autograd wrapper of the Numba kernels; use :func:`relaxed_gates_numba`."""

    @staticmethod
    def forward(ctx, x, c, a_np, b_np, reverse_index):
        c_np = np.ascontiguousarray(c.detach().numpy())
        xT, yT = gates_forward(x, c_np, a_np, b_np)
        ctx.save_for_backward(x, c)
        ctx.idx = (a_np, b_np, reverse_index)
        ctx.xT = xT  # a view of x when x came from a previous layer
        return yT.t()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):
        _x, c = ctx.saved_tensors
        a_np, b_np, reverse_index = ctx.idx
        c_np = np.ascontiguousarray(c.detach().numpy())
        need_x, need_c = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        gx, gc = gates_backward(ctx.xT, a_np, b_np, c_np, reverse_index, grad_y, need_x, need_c)
        return gx, (torch.from_numpy(gc) if need_c else None), None, None, None


def relaxed_gates_numba(x, a, b, c, reverse_index=None) -> torch.Tensor:
    """Relaxed gate layer on the Numba kernels; same contract as ``relaxed_gates_torch``.

    ``x (batch, n_in)`` float32 CPU, ``a, b (n,)`` integer indices into ``x``'s columns, ``c (n, 4)``
    float32 coefficients. ``reverse_index`` is the optional cached result of
    :func:`build_reverse_index` for ``(a, b, n_in)``. Returns ``(batch, n)`` (a transposed view of
    a gate-major buffer; call ``.contiguous()`` if you need row-major memory).
    """
    _check(x, a, b, c)
    a_np = _index_array(a, "a")
    b_np = _index_array(b, "b")
    n_in = x.shape[1]
    if a_np.size and (min(a_np.min(), b_np.min()) < 0 or max(a_np.max(), b_np.max()) >= n_in):
        raise ValueError(f"connection indices must be in 0..{n_in - 1} (x has {n_in} columns)")
    if reverse_index is not None:
        indptr, slots = reverse_index
        if indptr.shape != (n_in + 1,) or slots.shape != (2 * a_np.shape[0],):
            raise ValueError("reverse_index does not match the connections (rebuild it with build_reverse_index)")
    return RelaxedGatesFunction.apply(x, c, a_np, b_np, reverse_index)
