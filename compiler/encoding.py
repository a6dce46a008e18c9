"""The integer thermometer encoder's specification, shared by every engine (docs/encoder.md).

Feature ``f`` with integer thresholds ``t[f, 0..T-1]`` becomes ``T`` bits ``x[f] > t[f, j]``, laid
out feature-major (bit ``f*T + j``). Thresholds are integers stored in the model, so torch, Numba,
C and Verilog encode identically. This module is numpy-only: the torch encoder of the training
package builds on it.
"""

from __future__ import annotations

import numpy as np

ENCODINGS = ("uniform", "quantile")
MAX_INPUT_BITS = 16  #: inputs are unsigned integers of at most this many bits


def uniform_thresholds(x_max: np.ndarray, num_thresholds: int) -> np.ndarray:
    """Evenly spaced integer thresholds over ``0..x_max[f]`` for each feature: ``(F, T)``."""
    x_max = np.asarray(x_max, dtype=np.int64)
    j = np.arange(1, num_thresholds + 1)
    return (j[None, :] * (x_max[:, None] + 1)) // (num_thresholds + 1) - 1


def quantile_thresholds(x: np.ndarray, num_thresholds: int) -> np.ndarray:
    """Per-feature quantiles ``j/(T+1)`` of the training data, floored to integers: ``(F, T)``."""
    q = np.arange(1, num_thresholds + 1) / (num_thresholds + 1)
    return np.floor(np.quantile(np.asarray(x, dtype=np.float64), q, axis=0)).T.astype(np.int64)


def check_input_bits(input_bits: int) -> int:
    """``input_bits`` if it is in ``1..16``, else a ``ValueError`` naming it."""
    if not 1 <= input_bits <= MAX_INPUT_BITS:
        raise ValueError(f"input_bits must be in 1..{MAX_INPUT_BITS}, got {input_bits}")
    return input_bits


def check_value_range(lo: int, hi: int, input_bits: int) -> None:
    """Raise unless ``lo..hi`` lies in the unsigned ``input_bits`` domain."""
    top = (1 << input_bits) - 1
    if lo < 0 or hi > top:
        raise ValueError(f"input values must be in 0..{top} ({input_bits}-bit unsigned), got {lo}..{hi}")


def check_integer_inputs(x: np.ndarray, num_features: int, input_bits: int) -> None:
    """Raise a clear error unless ``x`` is ``(n, num_features)`` integers in ``0..2**input_bits-1``."""
    shape = tuple(x.shape)
    if len(shape) != 2 or shape[1] != num_features:
        raise ValueError(f"inputs must have shape (n, {num_features}), got {shape}")
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"inputs must be integers (the encoder works on the integer domain), got dtype {x.dtype}")
    if shape[0]:
        check_value_range(int(x.min()), int(x.max()), input_bits)
