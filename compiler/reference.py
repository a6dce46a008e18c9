"""Reference evaluation of a netlist: slow, vectorized over samples and obviously correct.

It is the oracle the tests hold every engine to (docs/engines.md).
"""

from __future__ import annotations

import numpy as np

from . import truth_tables as tt
from .encoding import check_integer_inputs
from .netlist import CONST1, FIRST_INPUT, Netlist


def check_inputs(net: Netlist, x) -> np.ndarray:
    """Validate raw integer inputs ``(n, num_features)`` for ``net``; return them as int64."""
    x = np.asarray(x)
    check_integer_inputs(x, net.num_features, net.input_bits)
    return x.astype(np.int64)


def node_values(net: Netlist, x) -> np.ndarray:
    """Value of every node for every sample: ``(num_nodes, n)`` uint8."""
    x = check_inputs(net, x)
    v = np.zeros((net.num_nodes, x.shape[0]), dtype=np.uint8)
    v[CONST1] = 1
    v[FIRST_INPUT : net.first_gate] = (x[:, net.input_feature] > net.input_threshold).T
    for g in range(net.num_gates):
        a, b = net.fanin[g]
        v[net.first_gate + g] = tt.evaluate(net.table[g], v[a], v[b])
    return v


def predict(net: Netlist, x) -> tuple[np.ndarray, np.ndarray]:
    """``(scores int32 (n, k), classes int64 (n,))``: popcount per class, argmax ties low."""
    out = node_values(net, x)[net.outputs].T
    scores = out.reshape(out.shape[0], net.num_classes, net.group_size).sum(-1).astype(np.int32)
    return scores, scores.argmax(1)
