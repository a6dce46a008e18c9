"""Relaxed two-input gates in polynomial form, with a choice of compute backend.

``y[:, i] = c[i,0] + c[i,1]·A + c[i,2]·B + c[i,3]·A·B`` with ``A = x[:, a[i]]``, ``B = x[:, b[i]]``
(docs/truth-tables.md). ``backend="auto"`` takes the Numba kernels for float32 CPU tensors, the
Triton kernels for float32 CUDA tensors when Triton is installed (docs/gpu.md), and plain torch
otherwise (float64 for gradcheck, CUDA without Triton).
"""

from __future__ import annotations

import functools
import importlib.util

import torch

from .config import BACKENDS


def relaxed_gates_torch(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Plain-torch reference: ``x (B, N_in)``, ``a, b (N,)`` long, ``c (N, 4)`` → ``(B, N)``."""
    A = x[:, a]
    B = x[:, b]
    return c[:, 0] + c[:, 1] * A + (c[:, 2] + c[:, 3] * A) * B


def resolve_backend(backend: str, x: torch.Tensor) -> str:
    """The backend that actually runs for input ``x``."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "auto":
        if x.dtype != torch.float32:
            return "torch"
        if x.device.type == "cpu":
            return "numba"
        return "triton" if x.device.type == "cuda" and triton_installed() else "torch"
    if backend == "numba" and (x.device.type != "cpu" or x.dtype != torch.float32):
        raise ValueError(f"the numba backend needs float32 CPU tensors, got {x.dtype} on {x.device}")
    if backend == "triton":
        if not triton_installed():
            raise ValueError("the triton backend needs the triton package (pip install triton)")
        from .triton_kernels import usable

        why = usable(x)
        if why:
            raise ValueError(why)
    return backend


@functools.cache
def triton_installed() -> bool:
    """Whether the ``triton`` package can be imported (looked up once, without importing it)."""
    return importlib.util.find_spec("triton") is not None


def relaxed_gates(x, a, b, c, backend: str = "auto", reverse_index=None) -> torch.Tensor:
    """Relaxed gate layer on the chosen backend (see module docstring).

    ``reverse_index`` is an optional precomputed CSR inverse of the connections, used by the
    Numba backward pass; layers cache it (the Triton kernels cache theirs on the device).
    """
    chosen = resolve_backend(backend, x)
    if chosen == "numba":
        from .numba_kernels import relaxed_gates_numba

        return relaxed_gates_numba(x, a, b, c, reverse_index)
    if chosen == "triton":
        from .triton_kernels import relaxed_gates_triton

        return relaxed_gates_triton(x, a, b, c)
    return relaxed_gates_torch(x, a, b, c)
