"""OP trained the way difflogic trains it: the ``sixteen`` OP kernel.

ldlgn's default OP kernel (``coefficients``) folds each gate's softmax over the 16 gates into four
polynomial coefficients before the batch is touched, so OP costs per sample what IWP costs. The
paper's speed-up of IWP is measured against difflogic's OP kernel, which does per-sample work
proportional to the 16 gates. This kernel does that work, to measure the paper's comparison
(``ldlgn reproduce``, claim (d); ``bench/op_backward.py``):

* forward: ``y = Σ_g p_g · G_g(A, B)`` over the 16 gate values ``G_g`` of each sample, with
  ``p = softmax(Ω)``;
* backward: the 16 weight gradients ``Σ_s g_s · G_g(A_s, B_s)`` from the 16 gate values of each
  sample, and the input gradients ``g · Σ_g p_g ∂G_g/∂A`` (and ``∂/∂B``) from the 16 weights.

The softmax and its backward stay in torch, as in difflogic. Both kernels compute the same function
and the same gradients (to float32 rounding); only the work differs. Backends: Numba on float32 CPU
tensors (:mod:`ldlgn.op_sixteen_numba`), plain torch otherwise (float64, CUDA), whose gate values
take ``batch × gates × 16`` memory like difflogic's Python implementation.
"""

from __future__ import annotations

import torch

from .config import OP_KERNELS
from .functional import resolve_backend

__all__ = ["OP_KERNELS", "check_op_kernel", "gate_slopes", "gate_values", "sixteen_gates", "sixteen_gates_torch"]


def check_op_kernel(op_kernel: str, parametrization: str) -> None:
    """Raise ``ValueError`` for an unknown OP kernel, or ``sixteen`` on a parametrization other than OP."""
    if op_kernel not in OP_KERNELS:
        raise ValueError(f"unknown OP kernel {op_kernel!r}; choose one of {OP_KERNELS}")
    if op_kernel == "sixteen" and parametrization != "op":
        raise ValueError(
            f"the 'sixteen' OP kernel trains OP's 16 gate weights; it needs --param op, got {parametrization!r}"
        )


def gate_values(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """The 16 relaxed gates ``(..., 16)`` of inputs ``A, B``, in difflogic's gate ids (0: false,
    1: AND, …, 6: XOR, 7: OR, …, 14: NAND, 15: true)."""
    ab = A * B
    one, zero = torch.ones_like(A), torch.zeros_like(A)
    a_or_b, a_xor_b = A + B - ab, A + B - 2 * ab
    values = [zero, ab, A - ab, A, B - ab, B, a_xor_b, a_or_b, 1 - a_or_b, 1 - a_xor_b]
    values += [1 - B, 1 - B + ab, 1 - A, 1 - A + ab, 1 - ab, one]
    return torch.stack(values, -1)


def gate_slopes(other: torch.Tensor, first: bool) -> torch.Tensor:
    """``∂G_g/∂A`` (``first``; ``other`` is ``B``) or ``∂G_g/∂B`` (``other`` is ``A``), ``(..., 16)``."""
    o = other
    one, zero = torch.ones_like(o), torch.zeros_like(o)
    if first:
        slopes = [zero, o, 1 - o, one, -o, zero, 1 - 2 * o, 1 - o, o - 1, 2 * o - 1, zero, o, -one, o - 1, -o, zero]
    else:
        slopes = [zero, o, -o, zero, 1 - o, one, 1 - 2 * o, 1 - o, o - 1, 2 * o - 1, -one, o - 1, zero, o, -o, zero]
    return torch.stack(slopes, -1)


class _SixteenGatesTorch(torch.autograd.Function):
    """The sixteen-gate mixture with a hand-written backward; only ``x`` and ``p`` are saved, the
    gate values are computed again in the backward pass."""

    @staticmethod
    def forward(ctx, x, p, a, b):
        ctx.save_for_backward(x, p, a, b)
        return (gate_values(x[:, a], x[:, b]) * p).sum(-1)

    @staticmethod
    def backward(ctx, g):
        x, p, a, b = ctx.saved_tensors
        A, B = x[:, a], x[:, b]
        gx = gp = None
        if ctx.needs_input_grad[1]:
            gp = torch.einsum("sn,sng->ng", g, gate_values(A, B))
        if ctx.needs_input_grad[0]:
            gx = torch.zeros_like(x)
            gx.index_add_(1, a, g * (gate_slopes(B, first=True) * p).sum(-1))
            gx.index_add_(1, b, g * (gate_slopes(A, first=False) * p).sum(-1))
        return gx, gp, None, None


def sixteen_gates_torch(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """Plain torch: ``x (batch, n_in)``, ``a, b (n,)`` long, gate probabilities ``p (n, 16)`` → ``(batch, n)``."""
    if p.ndim != 2 or p.shape != (a.shape[0], 16) or a.shape != b.shape:
        raise ValueError(
            f"need a, b of shape (n,) and p of shape (n, 16), got {tuple(a.shape)}, {tuple(b.shape)}, {tuple(p.shape)}"
        )
    return _SixteenGatesTorch.apply(x, p, a.long(), b.long())


def sixteen_gates(x, a, b, p, backend: str = "auto", reverse_index=None) -> torch.Tensor:
    """The sixteen-gate layer on the chosen backend: Numba for float32 CPU tensors (``auto`` or
    ``numba``), plain torch otherwise (Triton has no sixteen-gate kernel: ``triton`` runs torch).
    ``reverse_index`` is the layer's cached CSR inverse of its connections (Numba)."""
    if resolve_backend(backend, x) == "numba":
        from .op_sixteen_numba import sixteen_gates_numba

        return sixteen_gates_numba(x, a, b, p, reverse_index)
    return sixteen_gates_torch(x, a, b, p)
