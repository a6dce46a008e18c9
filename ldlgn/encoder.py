"""The thermometer encoder as a torch module; its specification is :mod:`ldlgn.compiler.encoding`
(docs/encoder.md)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .compiler import encoding
from .compiler.encoding import ENCODINGS, quantile_thresholds, uniform_thresholds

__all__ = ["ENCODINGS", "ThermometerEncoder", "check_integer_inputs", "quantile_thresholds", "uniform_thresholds"]


def check_integer_inputs(x, num_features: int, input_bits: int) -> None:
    """:func:`ldlgn.compiler.encoding.check_integer_inputs` for numpy arrays and torch tensors."""
    if not isinstance(x, torch.Tensor):
        return encoding.check_integer_inputs(np.asarray(x), num_features, input_bits)
    shape = tuple(x.shape)
    if len(shape) != 2 or shape[1] != num_features:
        raise ValueError(f"inputs must have shape (n, {num_features}), got {shape}")
    if x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool:
        raise TypeError(f"inputs must be integers (the encoder works on the integer domain), got dtype {x.dtype}")
    if shape[0]:
        wide = x.to(torch.int64)  # torch has no min/max for every unsigned type (e.g. uint16)
        encoding.check_value_range(int(wide.min()), int(wide.max()), input_bits)


class ThermometerEncoder(nn.Module):
    """Integer thresholds ``(F, T)`` as a buffer; ``forward`` gives float 0/1 bits ``(n, F*T)``."""

    thresholds: torch.Tensor  # buffer, registered in __init__

    def __init__(self, num_features: int, num_thresholds: int, input_bits: int = 8):
        super().__init__()
        if num_features < 1 or num_thresholds < 1:
            raise ValueError(f"encoder needs ≥ 1 feature and threshold, got {num_features}, {num_thresholds}")
        encoding.check_input_bits(input_bits)
        self.num_features, self.num_thresholds, self.input_bits = num_features, num_thresholds, input_bits
        top = (1 << input_bits) - 1
        self.register_buffer(
            "thresholds", torch.as_tensor(uniform_thresholds(np.full(num_features, top), num_thresholds))
        )

    @property
    def num_outputs(self) -> int:
        return self.num_features * self.num_thresholds

    def fit(self, x, method: str = "uniform", channels: int | None = None) -> ThermometerEncoder:
        """Set thresholds from training data: ``uniform`` over ``0..max`` or per-feature ``quantile``.

        ``channels``: the features are images of that many channels, stored channel-major; then
        ``quantile`` thresholds are the quantiles of each channel over all its pixels, shared by
        every pixel of the channel (so a convolution sees the same bits at every position)."""
        if method not in ENCODINGS:
            raise ValueError(f"unknown encoding {method!r}; choose one of {ENCODINGS}")
        x = np.asarray(x)
        check_integer_inputs(x, self.num_features, self.input_bits)
        if method == "uniform":
            t = uniform_thresholds(np.full(self.num_features, x.max()), self.num_thresholds)
        elif channels is None:
            t = quantile_thresholds(x, self.num_thresholds)
        else:
            if channels < 1 or self.num_features % channels:
                raise ValueError(f"{self.num_features} features cannot be {channels} channels of equal size")
            pixels = x.reshape(len(x), channels, -1).transpose(0, 2, 1).reshape(-1, channels)
            t = np.repeat(quantile_thresholds(pixels, self.num_thresholds), self.num_features // channels, axis=0)
        self.thresholds.copy_(torch.as_tensor(t))
        return self

    def forward(self, x) -> torch.Tensor:
        x = torch.as_tensor(x, device=self.thresholds.device)
        check_integer_inputs(x, self.num_features, self.input_bits)
        bits = x.to(torch.int64)[:, :, None] > self.thresholds[None]
        return bits.reshape(x.shape[0], -1).to(torch.float32)
