"""Random networks of n-input gates for the verification tests and benchmarks of the LUT back ends."""

from __future__ import annotations

import numpy as np

from ldlgn.compiler.lutnet import MAX_ARITY, LutLayer, LutNet


def random_tables(rng: np.random.Generator, n: int, arity: int) -> np.ndarray:
    """``n`` uniformly random ``2**arity``-bit truth tables as uint64."""
    words = rng.integers(0, 1 << 63, size=n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, size=n).astype(
        np.uint64
    )
    if arity < MAX_ARITY:
        words &= np.uint64((1 << (1 << arity)) - 1)
    return words


def random_lutnet(
    widths=(24, 16, 8),
    arities=(6, 4, 3),
    *,
    num_features: int = 6,
    thresholds: int = 3,
    input_bits: int = 4,
    num_classes: int = 4,
    seed: int = 0,
    distinct: bool = True,
) -> LutNet:
    """A random layered LutNet: layer ``l`` has ``widths[l]`` gates of arity ``arities[l]``.

    With ``distinct`` each gate reads distinct inputs where the layer below is wide enough;
    otherwise inputs are drawn with replacement (duplicate inputs, a case the passes must handle).
    """
    rng = np.random.default_rng(seed)
    thr = np.sort(rng.integers(0, 1 << input_bits, size=(num_features, thresholds)), axis=1)
    prev = num_features * thresholds
    layers = []
    for w, k in zip(widths, arities, strict=True):
        if distinct and k <= prev:
            inputs = np.stack([rng.choice(prev, size=k, replace=False) for _ in range(w)])
        else:
            inputs = rng.integers(0, prev, size=(w, k))
        layers.append(LutLayer(inputs.reshape(w, k), random_tables(rng, w, k)))
        prev = w
    return LutNet(thr, input_bits, layers, num_classes)


def random_lut_inputs(net: LutNet, n: int, seed: int = 0) -> np.ndarray:
    """``(n, num_features)`` random integers over the whole input range, incl. both ends."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, net.input_max + 1, size=(n, net.num_features))
    if n >= 2:
        x[0], x[1] = 0, net.input_max
    return x.astype(np.uint8 if net.input_bits <= 8 else np.uint16)
