"""Learned n-input gates (IWP with ``2**n`` parameters per gate, ``n`` = 2…6; docs/n-input-gates.md).

A gate reads inputs ``x_0 … x_{n-1}``; row ``r`` has the first input as its most significant bit
(docs/truth-tables.md), and IWP parameter column ``r`` belongs to row ``r``. The relaxed gate is the
multilinear extension of its row values ``ω``::

    y = Σ_r ω_r · Π_k (x_k if bit (n-1-k) of r else 1 - x_k)

computed in the monomial basis ``y = Σ_S c_S · Π_{k∈S} x_k`` with ``c = ω @ mobius_matrix(n)``
(index ``S`` uses the rows' bit order). Contracting one input at a time, the last first, costs
``2**n - 1`` multiply-adds per sample. With 0/1 tables and 0/1 inputs every term is an exact small
integer, so eval mode computes the discretized gate exactly, as for two inputs.

The estimators ``ρ`` are those of two-input IWP (:func:`ldlgn.parametrization.row_values` works on
any number of columns); a row's table bit is ``ρ(Ω_r) > 0.5``. Inits: ``gauss`` (``N(0, σ²)``),
``ri`` (residual: every column shifted by ±µ towards passing the first input), ``and-or``,
``and-or-ri`` (AND, OR, pass the first or the second input), ``uniform`` (a random table), or a
direction string of ``2**n`` characters.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from . import parametrization as P
from .compiler.lutnet import MAX_ARITY, LutLayer
from .config import IWP_ESTIMATORS, IWP_INITS
from .connections import make_nary_connections
from .functional import BACKENDS

__all__ = [
    "MAX_GATE_INPUTS",
    "NaryLayer",
    "init_nary_weights",
    "mobius_matrix",
    "multilinear_torch",
    "pack_tables",
    "table_bits",
]

MAX_GATE_INPUTS = MAX_ARITY  #: one LUT-6 per gate on an FPGA
_MIN_GATE_INPUTS = 2


def check_gate_inputs(n: int) -> int:
    """``n`` as an int in 2…6, else ``ValueError``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_GATE_INPUTS:
        raise ValueError(f"--gate-inputs must be an integer in 2..{MAX_GATE_INPUTS}, got {n!r}")
    return int(n)


@functools.cache
def _mobius_np(n: int) -> np.ndarray:
    r = np.arange(1 << n)
    subset = (r[:, None] & r[None, :]) == r[:, None]  # row r ⊆ monomial S
    sign = 1 - 2 * (np.bitwise_count(r[None, :] ^ r[:, None]).astype(np.int64) & 1)
    return np.where(subset, sign, 0).astype(np.float64)


def mobius_matrix(n: int, like: torch.Tensor | None = None) -> torch.Tensor:
    """``(2**n, 2**n)``: row values ``ω`` → monomial coefficients ``c = ω @ M`` (``M[r, S] =
    (-1)^|S∖r|`` when ``r ⊆ S``, else 0)."""
    m = torch.from_numpy(_mobius_np(n))
    return m.to(like) if like is not None else m


def coefficients(omega: torch.Tensor) -> torch.Tensor:
    """Monomial coefficients ``(gates, 2**n)`` of row values ``ω`` ``(gates, 2**n)``: on the CPU by
    the in-place subset transform (:class:`ldlgn.numba_nary.SubsetTransform`), elsewhere as
    ``ω @ mobius_matrix(n)``."""
    if omega.device.type == "cpu" and omega.dtype in (torch.float32, torch.float64) and omega.dim() == 2:
        from .numba_nary import SubsetTransform

        return SubsetTransform.apply(omega)
    n = omega.shape[-1].bit_length() - 1
    return omega @ mobius_matrix(n, omega)


def multilinear_torch(x: torch.Tensor, idx: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Plain-torch relaxed n-input gates: ``x (B, N_in)``, ``idx (G, n)`` long, ``c (G, 2**n)``
    monomial coefficients → ``(B, G)``. Serves float64 gradient checks and CUDA."""
    n = idx.shape[1]
    if c.shape != (idx.shape[0], 1 << n):
        raise ValueError(f"need c of shape ({idx.shape[0]}, {1 << n}), got {tuple(c.shape)}")
    t = c
    for k in range(n - 1, -1, -1):  # the last input is the least significant bit of S
        t = t.unflatten(-1, (-1, 2))
        t = t[..., 0] + t[..., 1] * x[:, idx[:, k]].unsqueeze(-1)
    return t.squeeze(-1)


def table_bits(estimator: str, w: torch.Tensor) -> torch.Tensor:
    """Discrete rows ``(gates, 2**n)`` bool: ``ρ(Ω) > 0.5`` (the two-input rule)."""
    with torch.no_grad():
        return P.row_values("iwp", estimator, w) > 0.5


def pack_tables(bits: torch.Tensor | np.ndarray) -> np.ndarray:
    """Rows ``(gates, 2**n)`` of 0/1 → uint64 truth tables (bit ``r`` = row ``r``)."""
    b = np.asarray(bits.cpu() if isinstance(bits, torch.Tensor) else bits).astype(np.uint64)
    return (b << np.arange(b.shape[-1], dtype=np.uint64)).sum(-1, dtype=np.uint64)


def _family_rows(init: str, n: int, gates: int, generator) -> torch.Tensor:
    """Target rows ``(gates, 2**n)`` 0/1 of an init family or direction string."""
    rows = 1 << n
    r = torch.arange(rows)
    first = (r >> (n - 1)) & 1
    second = (r >> (n - 2)) & 1
    and_ = (r == rows - 1).long()
    or_ = (r != 0).long()
    if init == "ri":
        return first.expand(gates, rows)
    if init in ("and-or", "and-or-ri"):
        family = torch.stack([and_, or_] + ([first, second] if init == "and-or-ri" else []))
        return family[torch.randint(len(family), (gates,), generator=generator)]
    if init == "uniform":
        return torch.randint(2, (gates, rows), generator=generator)
    return torch.tensor([int(ch) for ch in init]).expand(gates, rows)


def check_nary_options(gate_inputs: int, parametrization: str, estimator: str, init: str) -> None:
    """``ValueError`` naming an option that n-input gates do not take."""
    n = check_gate_inputs(gate_inputs)
    if parametrization != "iwp":
        raise ValueError(
            f"--param {parametrization} has 2**(2**n) parameters per gate and stays two-input; "
            f"--gate-inputs {n} needs --param iwp"
        )
    if estimator not in IWP_ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {IWP_ESTIMATORS}")
    is_direction = len(init) == 1 << n and set(init) <= {"0", "1"}
    if init not in IWP_INITS and not is_direction:
        raise ValueError(
            f"unknown init {init!r} for {n}-input gates; choose one of {IWP_INITS} or a direction of {1 << n} 0/1 rows"
        )


def init_nary_weights(
    n: int,
    estimator: str,
    init: str,
    gates: int,
    mu: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Initial IWP parameters ``(gates, 2**n)`` float32: ``σ·N(0, 1)`` plus ``±µ`` towards the
    init's target rows (none for ``gauss``); ``µ`` and ``σ`` mean what they mean for two inputs."""
    check_nary_options(n, "iwp", estimator, init)
    w = P.IWP_SIGMA * torch.randn(gates, 1 << n, generator=generator)
    if init == "gauss":
        return w
    mu = P.DEFAULT_MU[estimator] if mu is None else float(mu)
    return w + mu * (2.0 * _family_rows(init, n, gates, generator).float() - 1.0)


class NaryLayer(nn.Module):
    """A layer of ``out_dim`` learned ``gate_inputs``-input gates (IWP).

    Training mode computes the relaxed gates; eval mode the discretized ones exactly. The
    connections are the buffer ``inputs`` ``(out_dim, gate_inputs)``, first input first.
    """

    inputs: torch.Tensor  # buffer, registered in __init__
    #: on the Numba backend, hand the kernels the row values (and under ``sin`` the weights, the
    #: estimator inside the layer's autograd node); False takes the coefficient chain of the torch
    #: path (estimator, subset transform, kernels on coefficients), for comparison
    fused: bool = True

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        gate_inputs: int = 3,
        estimator: str = "sin",
        init: str = "ri",
        connections: str = "random",
        grad_factor: float = 1.0,
        device=None,
        backend: str = "auto",
        mu: float | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        check_nary_options(gate_inputs, "iwp", estimator, init)
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
        if backend == "triton":
            raise ValueError("--backend triton computes two-input gates only; use auto, torch or numba")
        self.parametrization, self.estimator, self.init = "iwp", estimator, init
        self.grad_factor, self.backend = float(grad_factor), backend
        self.in_dim, self.out_dim, self.gate_inputs = int(in_dim), int(out_dim), int(gate_inputs)
        self.connections = connections
        idx = make_nary_connections(self.in_dim, self.out_dim, self.gate_inputs, connections, generator)
        self.register_buffer("inputs", idx.to(device))
        w = init_nary_weights(self.gate_inputs, estimator, init, self.out_dim, mu, generator)
        self.weights = nn.Parameter(w.to(device))
        self._reverse_index: tuple | None = None

    def reverse_index(self) -> tuple:
        """CSR inverse of the connections for the Numba backward pass (cached)."""
        if self._reverse_index is None:
            from .numba_nary import build_reverse_index

            self._reverse_index = build_reverse_index(self.inputs.cpu().numpy(), self.in_dim)
        return self._reverse_index

    def _apply(self, fn, *args, **kwargs):
        self._reverse_index = None
        return super()._apply(fn, *args, **kwargs)

    def _load_from_state_dict(self, *args, **kwargs):
        self._reverse_index = None
        return super()._load_from_state_dict(*args, **kwargs)

    def table_bits(self) -> torch.Tensor:
        """The discretized rows ``(out_dim, 2**gate_inputs)`` bool."""
        return table_bits(self.estimator, self.weights)

    def truth_tables(self) -> np.ndarray:
        """The discretized gates as uint64 truth tables ``(out_dim,)``."""
        return pack_tables(self.table_bits())

    def row_values(self) -> torch.Tensor:
        """Row values ``ω``: relaxed in training, the exact 0/1 tables in eval."""
        if self.training:
            return P.row_values("iwp", self.estimator, self.weights)
        return self.table_bits().to(self.weights.dtype)

    def coefficients(self) -> torch.Tensor:
        """Monomial coefficients of :meth:`row_values`."""
        return coefficients(self.row_values())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"NaryLayer expects input of shape (batch, {self.in_dim}), got {tuple(x.shape)}")
        if self.grad_factor != 1.0 and self.training:
            from .layers import _GradFactor

            x = _GradFactor.apply(x, self.grad_factor)
        if self._use_numba(x) and not self.fused:
            from .numba_nary import multilinear_numba

            return multilinear_numba(x, self.inputs, self.coefficients().to(x.dtype), self.reverse_index())
        if self._use_numba(x):  # the kernels take the row values and do the subset transform
            from .numba_nary import multilinear_rows_numba, sin_rows_numba

            if self.training and self.estimator == "sin" and self.weights.dtype == torch.float32:
                return sin_rows_numba(x, self.inputs, self.weights, self.reverse_index())  # one node
            return multilinear_rows_numba(x, self.inputs, self.row_values().to(x.dtype), self.reverse_index())
        return multilinear_torch(x, self.inputs, self.coefficients().to(x.dtype))

    def _use_numba(self, x: torch.Tensor) -> bool:
        cpu32 = x.device.type == "cpu" and x.dtype == torch.float32
        if self.backend == "numba" and not cpu32:
            raise ValueError(f"the numba backend needs float32 CPU tensors, got {x.dtype} on {x.device}")
        return self.backend == "numba" or (self.backend == "auto" and cpu32)

    def discrete(self) -> LutLayer:
        """Connections and uint64 truth tables as numpy arrays."""
        return LutLayer(self.inputs.cpu().numpy(), self.truth_tables())

    def extra_repr(self) -> str:
        return (
            f"{self.in_dim}, {self.out_dim}, gate_inputs={self.gate_inputs}, "
            f"estimator={self.estimator!r}, init={self.init!r}, backend={self.backend!r}"
        )
