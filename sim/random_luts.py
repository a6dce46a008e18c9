"""Random networks of n-input gates for the verification tests and benchmarks of the LUT back ends."""

from __future__ import annotations

import numpy as np

from ldlgn.compiler.lut_netlist import LutNetlist, lower_lutnet
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


def degenerate(net: LutNet, seed: int = 0, rate: float = 0.2) -> LutNetlist:
    """The lowered netlist of ``net`` with the cases the passes simplify mixed in: constant pins,
    repeated pins, tables that ignore inputs, duplicate gates, constant comparators."""
    rng = np.random.default_rng(seed)
    lut = lower_lutnet(net)
    G = lut.num_gates
    for g in range(G):
        k = int(lut.arity[g])
        for j in range(k):
            u = rng.random()
            if u < rate / 2:
                lut.fanin[g, j] = rng.integers(0, 2)  # a constant pin
            elif u < rate and j:
                lut.fanin[g, j] = lut.fanin[g, rng.integers(0, j)]  # a repeated pin
        if rng.random() < rate and k:  # the table ignores input j: copy the x_j = 0 half onto x_j = 1
            p = k - 1 - int(rng.integers(0, k))
            t = int(lut.table[g])
            lut.table[g] = np.uint64(sum(((t >> (r & ~(1 << p))) & 1) << r for r in range(1 << k)))
    for g in range(1, G):  # duplicate gates: a copy of an earlier gate of the same layer
        if rng.random() < rate and lut.arity[g] == lut.arity[g - 1] and lut.fanin[g - 1].max() < lut.first_gate + g - 1:
            lut.fanin[g], lut.table[g] = lut.fanin[g - 1], lut.table[g - 1]
    thr = lut.input_threshold
    pick = rng.random(thr.size) < rate
    thr[pick] = rng.choice([-1, lut.input_max], size=int(pick.sum()))
    return lut.validate()
