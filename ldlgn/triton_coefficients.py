"""The IWP coefficient map ``c = ω @ ROWS_TO_POLY`` (docs/truth-tables.md) as Triton kernels.

As a matrix product, ``(n, 4) @ (4, 4)`` is a shape cuBLAS serves badly: about 70 µs per 128,000-gate
layer on an H200, forward and backward together, which was most of a batch-1 training step. One
small kernel each way does it in a few µs. :func:`ldlgn.parametrization.poly_coefficients` takes it
for float32 CUDA tensors when Triton is installed (docs/gpu.md).
"""

import os
from types import SimpleNamespace

import torch
import triton  # type: ignore[import-untyped]  # triton ships no type information
import triton.language as tl  # type: ignore[import-untyped]

from .triton_kernels import usable

_BLOCK = 256  #: gates per program

__all__ = ["poly_coefficients"]


def _poly(omega_ptr, c_ptr, n, BLOCK: tl.constexpr):
    """``c = ω @ ROWS_TO_POLY`` row by row (docs/truth-tables.md), summed in row order."""
    i = (tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)).to(tl.int64) * 4
    m = i < n * 4
    w0 = tl.load(omega_ptr + i, mask=m, other=0.0)
    w1 = tl.load(omega_ptr + i + 1, mask=m, other=0.0)
    w2 = tl.load(omega_ptr + i + 2, mask=m, other=0.0)
    w3 = tl.load(omega_ptr + i + 3, mask=m, other=0.0)
    tl.store(c_ptr + i, w0, mask=m)
    tl.store(c_ptr + i + 1, w2 - w0, mask=m)
    tl.store(c_ptr + i + 2, w1 - w0, mask=m)
    tl.store(c_ptr + i + 3, ((w0 - w1) - w2) + w3, mask=m)


def _poly_grad(gc_ptr, gw_ptr, n, BLOCK: tl.constexpr):
    """``gω = gc @ ROWS_TO_POLYᵀ``."""
    i = (tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)).to(tl.int64) * 4
    m = i < n * 4
    g0 = tl.load(gc_ptr + i, mask=m, other=0.0)
    g1 = tl.load(gc_ptr + i + 1, mask=m, other=0.0)
    g2 = tl.load(gc_ptr + i + 2, mask=m, other=0.0)
    g3 = tl.load(gc_ptr + i + 3, mask=m, other=0.0)
    tl.store(gw_ptr + i, ((g0 - g1) - g2) + g3, mask=m)
    tl.store(gw_ptr + i + 1, g2 - g3, mask=m)
    tl.store(gw_ptr + i + 2, g1 - g3, mask=m)
    tl.store(gw_ptr + i + 3, g3, mask=m)


_BUILT: dict[str, SimpleNamespace] = {}


def _built() -> SimpleNamespace:
    """The jitted kernels, built on first use for the current ``TRITON_INTERPRET`` mode."""
    mode = os.environ.get("TRITON_INTERPRET", "")
    if mode not in _BUILT:
        _BUILT[mode] = SimpleNamespace(poly=triton.jit(_poly), poly_grad=triton.jit(_poly_grad))
    return _BUILT[mode]


class PolyCoefficients(torch.autograd.Function):
    """``ω (n, 4) → c (n, 4)`` in one small kernel each way; use :func:`poly_coefficients`."""

    @staticmethod
    def forward(ctx, omega):
        omega = omega.contiguous()
        c = torch.empty_like(omega)
        n = omega.shape[0]
        if n:
            _built().poly[(triton.cdiv(n, _BLOCK),)](omega, c, n, BLOCK=_BLOCK)
        return c

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_c):
        grad_c = grad_c.float().contiguous()
        grad = torch.empty_like(grad_c)
        n = grad_c.shape[0]
        if n:
            _built().poly_grad[(triton.cdiv(n, _BLOCK),)](grad_c, grad, n, BLOCK=_BLOCK)
        return grad


def poly_coefficients(omega: torch.Tensor) -> torch.Tensor:
    """:func:`ldlgn.parametrization.poly_coefficients` on the Triton kernels: ``omega (n, 4)``
    float32 (CUDA, or the CPU under the interpreter)."""
    why = usable(omega)
    if why:
        raise ValueError(why)
    if omega.ndim != 2 or omega.shape[1] != 4:
        raise ValueError(f"need row values of shape (n, 4), got {tuple(omega.shape)}")
    return PolyCoefficients.apply(omega)
