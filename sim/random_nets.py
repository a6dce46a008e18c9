"""Random netlists and inputs for verification and benchmarks of the RTL back end."""

from __future__ import annotations

import numpy as np

from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.lower import lower
from ldlgn.compiler.netlist import FIRST_INPUT, Netlist


def random_netlist(
    num_gates: int,
    *,
    num_features: int = 16,
    thresholds: int = 3,
    input_bits: int = 8,
    layers: int = 6,
    num_classes: int = 4,
    seed: int = 0,
    special_outputs: int = 0,
) -> Netlist:
    """A random layered netlist of about ``num_gates`` gates (all 16 truth tables).

    Layer widths shrink geometrically towards the last layer, whose width is a multiple of
    ``num_classes``. Every output of a layer is read by the next one where the widths allow
    (a random permutation first, then random picks), so most gates stay live. ``special_outputs``
    output slots are replaced by constants and primary inputs, as an optimized netlist may have them.
    """
    rng = np.random.default_rng(seed)
    width_last = max(num_classes, (num_gates // (2 * layers)) // num_classes * num_classes)
    ratios = np.geomspace(2.0, 1.0, layers)
    widths = np.maximum(1, np.round(ratios / ratios.sum() * num_gates)).astype(int)
    widths[-1] = width_last
    thr = np.sort(rng.integers(0, 1 << input_bits, size=(num_features, thresholds)), axis=1)
    prev = num_features * thresholds
    net_layers = []
    for w in widths:
        picks = rng.permutation(prev)[: 2 * w]
        picks = np.concatenate([picks, rng.integers(0, prev, 2 * w - picks.size)])
        rng.shuffle(picks)
        net_layers.append(DiscreteLayer(picks[:w], picks[w:], rng.integers(0, 16, w).astype(np.uint8)))
        prev = w
    net = lower(DiscreteNet(thr, input_bits, net_layers, num_classes))
    if special_outputs:
        slots = rng.choice(net.outputs.size, size=min(special_outputs, net.outputs.size), replace=False)
        choices = np.concatenate([[0, 1], FIRST_INPUT + np.arange(net.num_inputs)])
        net.outputs[slots] = rng.choice(choices, size=slots.size)
    return net.validate()


def random_inputs(net: Netlist, n: int, seed: int = 0) -> np.ndarray:
    """``(n, num_features)`` random integers covering the whole input range, incl. both ends."""
    rng = np.random.default_rng(seed)
    dtype = np.uint8 if net.input_bits <= 8 else np.uint16
    x = rng.integers(0, net.input_max + 1, size=(n, net.num_features))
    if n >= 2:
        x[0], x[1] = 0, net.input_max
    return x.astype(dtype)
