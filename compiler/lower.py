"""Lowering: a :class:`~ldlgn.compiler.discrete.DiscreteNet` (layers) becomes a flat netlist.

One primary input per encoder comparator (feature-major, as the encoder lays out its bits), then
the gates layer by layer; the last layer's outputs, in order, are the netlist's outputs.
"""

from __future__ import annotations

import numpy as np

from .discrete import DiscreteNet
from .netlist import FIRST_INPUT, Netlist


def lower(net: DiscreteNet, name: str = "net") -> Netlist:
    """The netlist of ``net``, gate for gate (no optimization)."""
    F, T = net.thresholds.shape
    input_feature = np.repeat(np.arange(F), T)
    input_threshold = net.thresholds.reshape(-1)
    base = FIRST_INPUT  # node id of index 0 of the previous layer's outputs
    nxt = FIRST_INPUT + F * T  # node id of the next gate
    fanins, tables = [], []
    for layer in net.layers:
        fanins.append(np.stack([layer.a + base, layer.b + base], axis=1))
        tables.append(layer.tables)
        base, nxt = nxt, nxt + layer.size
    fanin = np.concatenate(fanins) if fanins else np.zeros((0, 2), np.int32)
    table = np.concatenate(tables) if tables else np.zeros(0, np.uint8)
    outputs = base + np.arange(net.num_outputs)
    return Netlist(
        input_feature, input_threshold, F, net.input_bits, fanin, table, outputs, net.num_classes, name
    ).validate()
