"""OP trained the way difflogic trains it: the ``sixteen`` and ``difflogic`` OP kernels.

ldlgn's default OP kernel (``coefficients``) folds each gate's softmax over the 16 gates into four
polynomial coefficients before the batch is touched, so OP costs per sample what IWP costs. The
paper's speed-up of IWP is measured against difflogic's OP kernel, whose per-sample work involves
all 16 gates. These kernels do that work, to measure the paper's comparison (``ldlgn reproduce``,
claim (d); ``bench/op_backward.py``). With ``p = softmax(Ω)`` and the 16 gate values ``G_g(A, B)``:

* forward (both): ``y = Σ_g p_g · G_g(A, B)`` per sample;
* input gradient (both): ``g · Σ_g p_g ∂G_g/∂A`` (and ``∂/∂B``) per sample, from the 16 weights;
* weight gradient: ``sixteen`` keeps 16 sums ``Σ_s g_s · G_g(A_s, B_s)``, one per gate value (what
  autograd does through difflogic's Python implementation); ``difflogic`` keeps the four sums
  ``Σg, Σg·A, Σg·B, Σg·A·B`` and expands them into the 16 gradients once per gate, as difflogic's
  CUDA kernel (the one the paper timed) does.

The softmax and its backward stay in torch, as in difflogic. All OP kernels compute the same
function and the same gradients (to float32 rounding); only the work differs. Backends: Numba on
float32 CPU tensors (:mod:`ldlgn.op_sixteen_numba`), plain torch otherwise (float64, CUDA), whose
gate values take ``batch × gates × 16`` memory like difflogic's Python implementation.
"""

from __future__ import annotations

import torch

from .compiler import truth_tables as tt
from .config import OP_KERNELS
from .functional import resolve_backend

__all__ = [
    "OP_KERNELS",
    "WEIGHT_SUMS",
    "check_op_kernel",
    "expand_weight_sums",
    "gate_slopes",
    "gate_values",
    "sixteen_gates",
    "sixteen_gates_torch",
]

#: sums over the batch each kernel keeps per gate for the weight gradient
WEIGHT_SUMS = {"sixteen": 16, "difflogic": 4}
#: ``(4, 16)``: the four sums ``Σg, Σg·A, Σg·B, Σg·A·B`` to the 16 gate weights' gradients (gate
#: ``g``'s polynomial coefficients are row ``g`` of ``OP_ROWS @ ROWS_TO_POLY``)
_EXPAND = torch.tensor(tt.OP_ROWS @ tt.ROWS_TO_POLY).T.contiguous()


def check_op_kernel(op_kernel: str, parametrization: str) -> None:
    """Raise ``ValueError`` for an unknown OP kernel, or a sixteen-gate one on a parametrization
    other than OP."""
    if op_kernel not in OP_KERNELS:
        raise ValueError(f"unknown OP kernel {op_kernel!r}; choose one of {OP_KERNELS}")
    if op_kernel in WEIGHT_SUMS and parametrization != "op":
        raise ValueError(
            f"the {op_kernel!r} OP kernel trains OP's 16 gate weights; it needs --param op, got {parametrization!r}"
        )


def expand_weight_sums(sums: torch.Tensor) -> torch.Tensor:
    """The 16 weight gradients ``(n, 16)`` from the four sums ``(n, 4)`` over the batch."""
    return sums @ _EXPAND.to(sums)


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
    def forward(ctx, x, p, a, b, weight_sums):
        ctx.save_for_backward(x, p, a, b)
        ctx.weight_sums = weight_sums
        return (gate_values(x[:, a], x[:, b]) * p).sum(-1)

    @staticmethod
    def backward(ctx, g):
        x, p, a, b = ctx.saved_tensors
        A, B = x[:, a], x[:, b]
        gx = gp = None
        if ctx.needs_input_grad[1] and ctx.weight_sums == 16:
            gp = torch.einsum("sn,sng->ng", g, gate_values(A, B))
        elif ctx.needs_input_grad[1]:
            ga = g * A
            gp = expand_weight_sums(torch.stack([g.sum(0), ga.sum(0), (g * B).sum(0), (ga * B).sum(0)], -1))
        if ctx.needs_input_grad[0]:
            gx = torch.zeros_like(x)
            gx.index_add_(1, a, g * (gate_slopes(B, first=True) * p).sum(-1))
            gx.index_add_(1, b, g * (gate_slopes(A, first=False) * p).sum(-1))
        return gx, gp, None, None, None


def sixteen_gates_torch(
    x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, p: torch.Tensor, weight_sums: int = 16
) -> torch.Tensor:
    """Plain torch: ``x (batch, n_in)``, ``a, b (n,)`` long, gate probabilities ``p (n, 16)`` →
    ``(batch, n)``; ``weight_sums`` 16 (``sixteen``) or 4 (``difflogic``)."""
    if weight_sums not in (4, 16):
        raise ValueError(f"weight_sums must be 16 or 4, got {weight_sums!r}")
    if p.ndim != 2 or p.shape != (a.shape[0], 16) or a.shape != b.shape:
        raise ValueError(
            f"need a, b of shape (n,) and p of shape (n, 16), got {tuple(a.shape)}, {tuple(b.shape)}, {tuple(p.shape)}"
        )
    return _SixteenGatesTorch.apply(x, p, a.long(), b.long(), weight_sums)


def sixteen_gates(x, a, b, p, backend: str = "auto", reverse_index=None, op_kernel: str = "sixteen") -> torch.Tensor:
    """The sixteen-gate layer of OP kernel ``op_kernel`` (``sixteen`` or ``difflogic``) on the chosen
    backend: Numba for float32 CPU tensors (``auto`` or ``numba``), plain torch otherwise (Triton
    has no sixteen-gate kernel: ``triton`` runs torch). ``reverse_index`` is the layer's cached CSR
    inverse of its connections (Numba)."""
    if op_kernel not in WEIGHT_SUMS:
        raise ValueError(f"{op_kernel!r} is not a sixteen-gate OP kernel; choose one of {tuple(WEIGHT_SUMS)}")
    if resolve_backend(backend, x) == "numba":
        from .op_sixteen_numba import sixteen_gates_numba

        return sixteen_gates_numba(x, a, b, p, reverse_index, WEIGHT_SUMS[op_kernel])
    return sixteen_gates_torch(x, a, b, p, WEIGHT_SUMS[op_kernel])
