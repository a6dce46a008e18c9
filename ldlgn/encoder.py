"""Thermometer encoder on the integer input domain (DESIGN.md §4).

Feature ``f`` with integer thresholds ``t[f, 0..T-1]`` becomes ``T`` bits ``x[f] > t[f, j]``, laid out
feature-major (bit ``f*T + j``). Thresholds are integers stored in the model, so torch, Numba, C and
Verilog encode identically.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

ENCODINGS = ("uniform", "quantile")


def uniform_thresholds(x_max: np.ndarray, num_thresholds: int) -> np.ndarray:
    """Evenly spaced integer thresholds over ``0..x_max[f]`` for each feature: ``(F, T)``."""
    x_max = np.asarray(x_max, dtype=np.int64)
    j = np.arange(1, num_thresholds + 1)
    return (j[None, :] * (x_max[:, None] + 1)) // (num_thresholds + 1) - 1


def quantile_thresholds(x: np.ndarray, num_thresholds: int) -> np.ndarray:
    """Per-feature quantiles ``j/(T+1)`` of the training data, floored to integers: ``(F, T)``."""
    q = np.arange(1, num_thresholds + 1) / (num_thresholds + 1)
    return np.floor(np.quantile(np.asarray(x, dtype=np.float64), q, axis=0)).T.astype(np.int64)


def check_integer_inputs(x, num_features: int, input_bits: int) -> None:
    """Raise a clear error unless ``x`` is ``(n, num_features)`` integers in ``0..2**input_bits-1``."""
    shape = tuple(x.shape)
    if len(shape) != 2 or shape[1] != num_features:
        raise ValueError(f"inputs must have shape (n, {num_features}), got {shape}")
    is_int = (not x.dtype.is_floating_point and x.dtype != torch.bool) if isinstance(x, torch.Tensor) \
        else np.issubdtype(np.asarray(x).dtype, np.integer)
    if not is_int:
        raise TypeError(f"inputs must be integers (the encoder works on the integer domain), got dtype {x.dtype}")
    if shape[0]:
        lo, hi = int(x.min()), int(x.max())
        top = (1 << input_bits) - 1
        if lo < 0 or hi > top:
            raise ValueError(f"input values must be in 0..{top} ({input_bits}-bit unsigned), got {lo}..{hi}")


class ThermometerEncoder(nn.Module):
    """Integer thresholds ``(F, T)`` as a buffer; ``forward`` gives float 0/1 bits ``(n, F*T)``."""

    def __init__(self, num_features: int, num_thresholds: int, input_bits: int = 8):
        super().__init__()
        if num_features < 1 or num_thresholds < 1:
            raise ValueError(f"encoder needs ≥ 1 feature and threshold, got {num_features}, {num_thresholds}")
        if not 1 <= input_bits <= 16:
            raise ValueError(f"input_bits must be in 1..16, got {input_bits}")
        self.num_features, self.num_thresholds, self.input_bits = num_features, num_thresholds, input_bits
        top = (1 << input_bits) - 1
        self.register_buffer("thresholds", torch.as_tensor(
            uniform_thresholds(np.full(num_features, top), num_thresholds)))

    @property
    def num_outputs(self) -> int:
        return self.num_features * self.num_thresholds

    def fit(self, x, method: str = "uniform") -> "ThermometerEncoder":
        """Set thresholds from training data: ``uniform`` over ``0..max`` or per-feature ``quantile``."""
        if method not in ENCODINGS:
            raise ValueError(f"unknown encoding {method!r}; choose one of {ENCODINGS}")
        x = np.asarray(x)
        check_integer_inputs(x, self.num_features, self.input_bits)
        if method == "uniform":
            t = uniform_thresholds(np.full(self.num_features, x.max()), self.num_thresholds)
        else:
            t = quantile_thresholds(x, self.num_thresholds)
        self.thresholds.copy_(torch.as_tensor(t))
        return self

    def forward(self, x) -> torch.Tensor:
        x = torch.as_tensor(x, device=self.thresholds.device)
        check_integer_inputs(x, self.num_features, self.input_bits)
        bits = x.to(torch.int64)[:, :, None] > self.thresholds[None]
        return bits.reshape(x.shape[0], -1).to(torch.float32)
