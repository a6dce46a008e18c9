"""Logic layers and GroupSum (names follow difflogic where it has them); connection schemes are in
:mod:`ldlgn.connections`."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import parametrization as P
from .compiler.discrete import DiscreteLayer
from .connections import make_connections
from .functional import BACKENDS, relaxed_gates, resolve_backend
from .op_sixteen import check_op_kernel, sixteen_gates


class _GradFactor(torch.autograd.Function):
    """Identity forward; scales the gradient (difflogic's ``grad_factor``)."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.factor, None


class GateModule(nn.Module):
    """What every module of trained gates shares: relaxed or exact coefficients and truth tables from
    its ``weights`` by its parametrization, and connection caches dropped whenever the module moves
    (``.to``, dtype changes) or loads a state, since the connection buffers may have changed."""

    parametrization: str
    estimator: str
    weights: nn.Parameter

    def _set_gate_options(self, parametrization: str, estimator: str, init: str, grad_factor: float, backend: str):
        """Check (``ValueError``) and keep the options every gate module takes."""
        P.check_options(parametrization, estimator, init)
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
        self.parametrization, self.estimator, self.init = parametrization, estimator, init
        self.grad_factor, self.backend = float(grad_factor), backend

    def _drop_caches(self) -> None:
        """Forget what was derived from the connection buffers."""

    def coefficients(self) -> torch.Tensor:
        """Polynomial coefficients ``(rows, 4)``: relaxed in training, exact 0/1 tables in eval."""
        if self.training:
            omega = P.row_values(self.parametrization, self.estimator, self.weights)
        else:
            omega = P.table_row_values(self.truth_tables(), self.weights.dtype)
        return P.poly_coefficients(omega)

    def truth_tables(self) -> torch.Tensor:
        """The discretized gates ``(rows,)`` int64: one per weight row."""
        return P.truth_tables(self.parametrization, self.estimator, self.weights)

    def _apply(self, fn, *args, **kwargs):
        self._drop_caches()
        return super()._apply(fn, *args, **kwargs)

    def _load_from_state_dict(self, *args, **kwargs):
        self._drop_caches()
        return super()._load_from_state_dict(*args, **kwargs)


class LogicLayer(GateModule):
    """A layer of ``out_dim`` learned two-input logic gates.

    Training mode computes the relaxed gates ``c0 + c1·A + c2·B + c3·A·B``; eval mode computes
    the discretized network exactly (docs/discretization.md). Connections are buffers ``a`` and ``b``.
    """

    a: torch.Tensor  # buffers, registered in __init__
    b: torch.Tensor
    #: train IWP layers on the Numba backend through one node that folds the estimator and the
    #: coefficient map into the kernels (:mod:`ldlgn.numba_iwp`); False takes the torch chain
    fused_estimator: bool = True

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        parametrization: str = "iwp",
        estimator: str = "sin",
        init: str = "ri",
        connections: str = "random",
        grad_factor: float = 1.0,
        device=None,
        backend: str = "auto",
        mu: float | None = None,
        generator: torch.Generator | None = None,
        op_kernel: str = "coefficients",
    ):
        super().__init__()
        self._set_gate_options(parametrization, estimator, init, grad_factor, backend)
        check_op_kernel(op_kernel, parametrization)
        self.op_kernel = op_kernel
        self.in_dim, self.out_dim = int(in_dim), int(out_dim)
        self.connections = connections
        a, b = make_connections(self.in_dim, self.out_dim, connections, generator)
        self.register_buffer("a", a.to(device))
        self.register_buffer("b", b.to(device))
        w = P.init_weights(parametrization, estimator, init, self.out_dim, mu, generator)
        self.weights = nn.Parameter(w.to(device))
        self._reverse_index = None
        self._indices: tuple[np.ndarray, np.ndarray] | None = None

    def reverse_index(self):
        """CSR inverse of the connections for the Numba backward pass (cached)."""
        if self._reverse_index is None:
            from .numba_kernels import build_reverse_index

            self._reverse_index = build_reverse_index(self.a.cpu().numpy(), self.b.cpu().numpy(), self.in_dim)
        return self._reverse_index

    def _numba_iwp(self, x: torch.Tensor, rev) -> torch.Tensor:
        """Training forward of an IWP layer through :func:`ldlgn.numba_iwp.iwp_gates_numba`."""
        from .numba_iwp import iwp_gates_numba

        if self._indices is None:
            self._indices = (self.a.cpu().numpy().astype("int64"), self.b.cpu().numpy().astype("int64"))
        a_np, b_np = self._indices
        return iwp_gates_numba(x, self.weights, a_np, b_np, rev, self.estimator)

    def _drop_caches(self) -> None:
        self._reverse_index = None
        self._indices = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"LogicLayer expects input of shape (batch, {self.in_dim}), got {tuple(x.shape)}")
        if self.grad_factor != 1.0 and self.training:
            x = _GradFactor.apply(x, self.grad_factor)
        numba = resolve_backend(self.backend, x) == "numba"
        rev = self.reverse_index() if numba else None
        if numba and self.training and self.fused_estimator and self._fusable():
            return self._numba_iwp(x, rev)
        if self.op_kernel != "coefficients" and self.training:  # all 16 gates per sample, as difflogic
            p = torch.softmax(self.weights, -1).to(x.dtype)
            return sixteen_gates(x, self.a, self.b, p, self.backend, rev, self.op_kernel)
        c = self.coefficients().to(x.dtype)
        return relaxed_gates(x, self.a, self.b, c, self.backend, rev)

    def _fusable(self) -> bool:
        w = self.weights
        return self.parametrization == "iwp" and w.dtype == torch.float32 and w.device.type == "cpu"

    def discrete(self) -> DiscreteLayer:
        """Connections and truth tables as numpy arrays."""
        return DiscreteLayer(self.a.cpu().numpy(), self.b.cpu().numpy(), self.truth_tables().cpu().numpy())

    def extra_repr(self) -> str:
        return (
            f"{self.in_dim}, {self.out_dim}, parametrization={self.parametrization!r}, "
            f"estimator={self.estimator!r}, init={self.init!r}, backend={self.backend!r}"
            + (f", op_kernel={self.op_kernel!r}" if self.op_kernel != "coefficients" else "")
        )


class GroupSum(nn.Module):
    """Sum the outputs in ``k`` contiguous groups and divide by ``tau``."""

    def __init__(self, k: int, tau: float = 1.0):
        super().__init__()
        if k < 1 or tau <= 0:
            raise ValueError(f"GroupSum needs k ≥ 1 and tau > 0, got k={k}, tau={tau}")
        self.k, self.tau = int(k), float(tau)

    def counts(self, x: torch.Tensor) -> torch.Tensor:
        """Per-class sums ``(batch, k)`` before dividing by ``tau`` (integer popcounts in eval)."""
        if x.shape[-1] % self.k:
            raise ValueError(f"GroupSum: {x.shape[-1]} outputs cannot be split into {self.k} groups")
        if x.dim() == 2 and x.shape[0] > 1 and x.t().is_contiguous():
            # gate-major (the Numba layers' output): sum the rows in place of copying to batch-major,
            # and the gradient comes back gate-major, as the layer's backward pass reads it
            return x.t().reshape(self.k, x.shape[1] // self.k, x.shape[0]).sum(1).t()
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.counts(x) / self.tau

    def extra_repr(self) -> str:
        return f"k={self.k}, tau={self.tau}"
