"""Logic tree convolutions and OR pooling (Petersen et al., 2024; docs/convolutions.md).

Both layers read images stored flat, channel-major (``(C, H, W)`` → index ``(c·H + h)·W + w``),
or through an ``in_index`` array ``(C, H, W)`` that says where pixel ``(c, h, w)`` lies in the flat
input (the thermometer encoder lays its bits out pixel-major: channel ``c·T + j`` of pixel
``(h, w)`` is bit ``((c·H + h)·W + w)·T + j``). Their outputs are flat and channel-major. A 4-D
input ``(batch, C, H, W)`` gives a 4-D output.

``LogicConv2d``: output channel ``o`` at every position is a complete binary tree of
``2**depth - 1`` learned gates over ``2**depth`` leaves drawn once at random from the receptive
field (``group`` input channels × ``kernel_size``²); the gates are shared over positions. Tree level
``l`` is a layer of gates laid out ``(o, g, p)`` (channel, gate, position), so it is exactly one
``DiscreteLayer`` of the unrolled network. Leaves outside the image read the constant 0 (zero
padding); in the discrete layer such a gate reads only its other input, with its table restricted
to the 0 row of the padded one.

``OrPool2d``: the OR of each window. Training relaxes it by the maximum (the t-conorm the paper
uses; its gradient goes to the largest input); on 0/1 inputs the maximum *is* the OR, so eval is
exact. The discrete form is a balanced tree of two-input OR gates per window, one layer per level.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from . import parametrization as P
from .compiler.discrete import DiscreteLayer
from .functional import resolve_backend
from .layers import GateModule, _GradFactor

__all__ = ["LogicConv2d", "OrPool2d", "draw_leaves", "output_size"]

OR_TABLE = 14  #: truth table of OR (docs/truth-tables.md)


def output_size(size: int, kernel_size: int, stride: int, padding: int) -> int:
    """Positions along one side, as ``torch.nn.Conv2d`` counts them."""
    out = (size + 2 * padding - kernel_size) // stride + 1
    if out < 1:
        raise ValueError(f"a {kernel_size}-wide window with padding {padding} does not fit a side of {size}")
    return out


def draw_leaves(
    in_channels: int, out_channels: int, kernel_size: int, depth: int, group: int, generator=None
) -> torch.Tensor:
    """``(out_channels, 2**depth, 3)`` int64 leaves ``(channel, dy, dx)``: per output channel
    ``group`` distinct input channels, and distinct leaves from their receptive field while it
    has enough (else drawn with repetition)."""
    leaves, g = 1 << depth, min(group, in_channels)
    area = kernel_size * kernel_size
    field = g * area
    chans = torch.argsort(torch.rand(out_channels, in_channels, generator=generator), dim=1)[:, :g]
    if field >= leaves:
        pick = torch.argsort(torch.rand(out_channels, field, generator=generator), dim=1)[:, :leaves]
    else:
        pick = torch.randint(field, (out_channels, leaves), generator=generator)
    c = torch.gather(chans, 1, pick // area)
    return torch.stack([c, (pick % area) // kernel_size, pick % kernel_size], dim=-1)


def _flat_index(in_index, shape: tuple[int, int, int]) -> np.ndarray:
    c, h, w = shape
    if in_index is None:
        return np.arange(c * h * w, dtype=np.int64).reshape(c, h, w)
    idx = np.asarray(in_index, dtype=np.int64)
    if idx.shape != (c, h, w) or not np.array_equal(np.sort(idx.ravel()), np.arange(idx.size)):
        raise ValueError(f"in_index must be a permutation of 0..{c * h * w - 1} of shape {(c, h, w)}")
    return idx


def _pad_rewrite(a: np.ndarray, b: np.ndarray, tables: np.ndarray, n_in: int):
    """Gates reading the zero padding (index ``n_in``) as gates of their other input alone."""
    a, b, t = a.copy(), b.copy(), tables.astype(np.int64)
    pa, pb = a == n_in, b == n_in
    bit = [(t >> r) & 1 for r in range(4)]
    only_b = pa & ~pb  # f(0, B): rows 00 → bit0, 01 → bit1, for either A
    only_a = pb & ~pa  # f(A, 0): rows 00 → bit0, 10 → bit2
    both = pa & pb  # the constant f(0, 0)
    t = np.where(only_b, bit[0] | bit[1] << 1 | bit[0] << 2 | bit[1] << 3, t)
    t = np.where(only_a, bit[0] | bit[0] << 1 | bit[2] << 2 | bit[2] << 3, t)
    t = np.where(both, bit[0] * 15, t)
    a = np.where(only_b, b, np.where(both, 0, a))
    b = np.where(only_a, a, np.where(both, 0, b))
    return a, b, t.astype(np.uint8)


class _ImageLayer(nn.Module):
    """Flat and 4-D inputs for a layer over images ``(C, H, W)`` read through ``in_index``."""

    kernel_size: int  # window geometry and output size, set by the layer
    stride: int
    padding: int
    out_size: tuple[int, int]

    def _setup_image(self, channels: int, in_size, in_index) -> None:
        self.in_channels = int(channels)
        self.in_size = (int(in_size[0]), int(in_size[1]))
        self.in_index = _flat_index(in_index, (self.in_channels, *self.in_size))
        self.n_in = int(self.in_index.size)

    def _flat(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        image = x.dim() == 4
        if image:
            if tuple(x.shape[1:]) != (self.in_channels, *self.in_size):
                raise ValueError(f"expected images (batch, {self.in_channels}, {self.in_size[0]}, {self.in_size[1]})")
            x = x.reshape(x.shape[0], -1)
        if x.dim() != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"{type(self).__name__} expects input (batch, {self.n_in}), got {tuple(x.shape)}")
        return x, image

    def _out_size(self) -> tuple[int, int]:
        k, s, p = self.kernel_size, self.stride, self.padding
        return output_size(self.in_size[0], k, s, p), output_size(self.in_size[1], k, s, p)

    def _shaped(self, y: torch.Tensor, image: bool, channels: int) -> torch.Tensor:
        return y.reshape(y.shape[0], channels, *self.out_size) if image else y


class LogicConv2d(GateModule, _ImageLayer):
    """A logic tree convolution (module docstring). Parameters: one row per tree gate and output
    channel, ``(out_channels·(2**depth − 1), 4 IWP | 16 OP)``, level by level; buffer ``leaves``."""

    leaves: torch.Tensor  # buffer (out_channels, 2**depth, 3)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | None = None,
        tree_depth: int = 2,
        *,
        in_size: tuple[int, int],
        in_index=None,
        group: int = 2,
        parametrization: str = "iwp",
        estimator: str = "sin",
        init: str = "ri",
        grad_factor: float = 1.0,
        backend: str = "auto",
        mu: float | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self._set_gate_options(parametrization, estimator, init, grad_factor, backend)
        if min(out_channels, kernel_size, stride, tree_depth, group) < 1:
            raise ValueError("out_channels, kernel_size, stride, tree_depth and group must be ≥ 1")
        self._setup_image(in_channels, in_size, in_index)
        self.out_channels, self.kernel_size, self.stride = int(out_channels), int(kernel_size), int(stride)
        self.padding = self.kernel_size // 2 if padding is None else int(padding)
        self.depth, self.group = int(tree_depth), int(group)
        self.out_size = self._out_size()
        self.positions = self.out_size[0] * self.out_size[1]
        leaves = draw_leaves(self.in_channels, self.out_channels, self.kernel_size, self.depth, self.group, generator)
        self.register_buffer("leaves", leaves)
        rows = self.out_channels * ((1 << self.depth) - 1)
        self.weights = nn.Parameter(P.init_weights(parametrization, estimator, init, rows, mu, generator))
        self._levels: list | None = None

    @property
    def num_gates(self) -> int:
        """Gates of the unrolled layer (every position)."""
        return self.weights.shape[0] * self.positions

    def _level_rows(self) -> list[tuple[int, int]]:
        """``(first row, rows)`` of the parameters of each tree level."""
        out, start = [], 0
        for level in range(self.depth):
            rows = self.out_channels << (self.depth - 1 - level)
            out.append((start, rows))
            start += rows
        return out

    def _leaf_index(self, leaves: np.ndarray) -> np.ndarray:
        """Flat input index ``(C_out, n, positions)`` of leaves ``(C_out, n, 3)`` (``n_in``: padding)."""
        p = np.arange(self.positions)
        ho, wo = p // self.out_size[1], p % self.out_size[1]
        c, dy, dx = (leaves[..., k, None] for k in range(3))
        h = ho * self.stride - self.padding + dy
        w = wo * self.stride - self.padding + dx
        inside = (h >= 0) & (h < self.in_size[0]) & (w >= 0) & (w < self.in_size[1])
        hc, wc = np.clip(h, 0, self.in_size[0] - 1), np.clip(w, 0, self.in_size[1] - 1)
        return np.where(inside, self.in_index[c, hc, wc], self.n_in)

    def level_indices(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Input indices ``(a, b)`` of every tree level's unrolled gates, ordered ``(o, g, p)``."""
        leaves = self.leaves.cpu().numpy()
        out = [(self._leaf_index(leaves[:, 0::2]).ravel(), self._leaf_index(leaves[:, 1::2]).ravel())]
        for level in range(1, self.depth):
            n_prev = 1 << (self.depth - level)
            o = np.arange(self.out_channels)[:, None, None]
            g = np.arange(n_prev // 2)[None, :, None]
            p = np.arange(self.positions)[None, None, :]
            first = (o * n_prev + 2 * g) * self.positions + p
            out.append((first.ravel(), (first + self.positions).ravel()))
        return out

    def _cached_levels(self) -> list:
        if self._levels is None:
            from .conv_kernels import build_shared_reverse_index

            levels, width = [], self.n_in
            for a, b in self.level_indices():
                device = self.leaves.device
                rev = build_shared_reverse_index(a, b, width)
                levels.append((a, b, torch.as_tensor(a, device=device), torch.as_tensor(b, device=device), rev))
                width = a.shape[0]
            self._levels = levels
        return self._levels

    def _drop_caches(self) -> None:
        self._levels = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, image = self._flat(x)
        if self.grad_factor != 1.0 and self.training:
            h = _GradFactor.apply(h, self.grad_factor)
        coeffs = self.coefficients().to(h.dtype)
        numba = resolve_backend(self.backend, h) == "numba"
        for (start, rows), (a, b, a_t, b_t, rev) in zip(self._level_rows(), self._cached_levels()):
            c = coeffs[start : start + rows]
            if numba:
                from .conv_kernels import shared_gates_numba

                h = shared_gates_numba(h, a, b, c, self.positions, rev)
            else:
                from .conv_kernels import shared_gates_torch

                h = shared_gates_torch(h, a_t, b_t, c, self.positions)
        return self._shaped(h, image, self.out_channels)

    def discrete_layers(self) -> list[DiscreteLayer]:
        """One ``DiscreteLayer`` per tree level, unrolled over positions; padding folded into tables."""
        tables = self.truth_tables().cpu().numpy().astype(np.uint8)
        layers = []
        for level, ((start, rows), (a, b)) in enumerate(zip(self._level_rows(), self.level_indices())):
            t = np.repeat(tables[start : start + rows], self.positions)
            if level == 0:
                a, b, t = _pad_rewrite(a, b, t, self.n_in)
            layers.append(DiscreteLayer(a, b, t))
        return layers

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, tree_depth={self.depth}, group={self.group}, in_size={self.in_size}, "
            f"parametrization={self.parametrization!r}, backend={self.backend!r}"
        )


class OrPool2d(_ImageLayer):
    """OR pooling over ``kernel_size``² windows (module docstring); no parameters."""

    def __init__(
        self,
        channels: int,
        kernel_size: int = 2,
        stride: int | None = None,
        padding: int = 0,
        *,
        in_size: tuple[int, int],
        in_index=None,
    ):
        super().__init__()
        self._setup_image(channels, in_size, in_index)
        self.kernel_size = int(kernel_size)
        self.stride = self.kernel_size if stride is None else int(stride)
        self.padding = int(padding)
        if self.kernel_size < 2 or self.stride < 1 or not 0 <= self.padding <= self.kernel_size // 2:
            raise ValueError(f"OR pooling needs a window ≥ 2, stride ≥ 1 and padding ≤ {self.kernel_size // 2}")
        self.out_size = self._out_size()
        self.windows = self._windows()
        self._windows_t: torch.Tensor | None = None

    def _windows(self) -> np.ndarray:
        """``(C·Ho·Wo, k²)`` flat input indices of each window, in-image pixels first, then ``n_in``."""
        k, s, pad = self.kernel_size, self.stride, self.padding
        rows = []
        for ho in range(self.out_size[0]):
            for wo in range(self.out_size[1]):
                hw = [
                    (h, w)
                    for h in range(ho * s - pad, ho * s - pad + k)
                    for w in range(wo * s - pad, wo * s - pad + k)
                    if 0 <= h < self.in_size[0] and 0 <= w < self.in_size[1]
                ]
                idx = self.in_index[:, [h for h, _ in hw], [w for _, w in hw]]  # (C, m)
                rows.append(np.pad(idx, ((0, 0), (0, k * k - len(hw))), constant_values=self.n_in))
        return np.stack(rows, axis=1).reshape(-1, k * k)  # (C, Ho·Wo, k²) → channel-major rows

    @property
    def num_gates(self) -> int:
        return sum(layer.size for layer in self.discrete_layers())

    def _apply(self, fn, *args, **kwargs):
        self._windows_t = None
        return super()._apply(fn, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, image = self._flat(x)
        if self._windows_t is None or self._windows_t.device != h.device:
            self._windows_t = torch.as_tensor(self.windows, device=h.device)
        padded = torch.cat([h, h.new_zeros(h.shape[0], 1)], 1)
        y = padded[:, self._windows_t].max(dim=-1).values
        return self._shaped(y, image, self.in_channels)

    def truth_tables(self) -> torch.Tensor:
        """Every unrolled gate is an OR."""
        return torch.full((self.num_gates,), OR_TABLE, dtype=torch.int64)

    def discrete_layers(self) -> list[DiscreteLayer]:
        """A balanced OR tree per window, one layer per level; a window with fewer pixels than the
        widest passes its value on by ``OR(v, v)``."""
        valid = self.windows < self.n_in
        counts = valid.sum(1)
        items = self.windows
        layers = []
        for _ in range(math.ceil(math.log2(int(counts.max())))):
            new = (counts + 1) // 2
            row = np.repeat(np.arange(len(counts)), new)
            j = np.arange(row.size) - np.repeat(np.cumsum(new) - new, new)
            a = items[row, 2 * j]
            b = items[row, np.minimum(2 * j + 1, counts[row] - 1)]
            layers.append(DiscreteLayer(a, b, np.full(row.size, OR_TABLE, np.uint8)))
            items = np.zeros((len(counts), int(new.max())), np.int64)
            items[row, j] = np.arange(row.size)
            counts = new
        return layers

    def extra_repr(self) -> str:
        return f"{self.in_channels}, kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
