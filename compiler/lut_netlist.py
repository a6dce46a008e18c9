"""The flat LUT netlist: the IR of networks whose gates have up to six inputs (docs/n-input-gates.md).

Node ids are those of :mod:`ldlgn.compiler.netlist`: ``0``/``1`` the constants, ``2 … 2+I-1`` the
encoder comparators, gate ``g`` node ``2 + I + g``, topologically ordered. Gate ``g`` has an arity
``k = arity[g]`` in ``0 … 6``, reads nodes ``fanin[g, :k]`` (the remaining pins are 0) and outputs
bit ``r`` of ``table[g]`` on row ``r = Σ_j value(fanin[g, j]) << (k-1-j)`` (first input most
significant, docs/truth-tables.md). A two-input gate has exactly the fields and the meaning of a
:class:`~ldlgn.compiler.netlist.Netlist` gate, so a LUT netlist whose gates all have at most two
inputs converts to one (:func:`to_netlist`) and takes the two-input path unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import truth_tables as tt
from .encoding import check_integer_inputs
from .lutnet import MAX_ARITY, LutNet, table_mask
from .netlist import FIRST_INPUT, Netlist, NodeIds

#: row mask of a table of each arity 0..6 (bit r set for every row r < 2**k)
ROW_MASK = np.array([table_mask(k) for k in range(MAX_ARITY + 1)], dtype=np.uint64)


@dataclass
class LutNetlist(NodeIds):
    """Topologically ordered gates of arity 0…6 over encoder-comparator inputs."""

    input_feature: np.ndarray  # int32 (I,)
    input_threshold: np.ndarray  # int64 (I,)
    num_features: int
    input_bits: int
    fanin: np.ndarray  # int32 (G, 6) node ids, pins >= arity are 0
    arity: np.ndarray  # uint8 (G,)
    table: np.ndarray  # uint64 (G,)
    outputs: np.ndarray  # int32 (O,) node ids
    num_classes: int
    name: str = "net"

    def __post_init__(self):
        self._normalize_shared(MAX_ARITY)
        self.arity = np.ascontiguousarray(self.arity, dtype=np.uint8).reshape(-1)
        self.table = np.ascontiguousarray(tt.as_table_words(self.table).reshape(-1))

    @property
    def max_arity(self) -> int:
        return int(self.arity.max(initial=0))

    def arity_histogram(self) -> dict[str, int]:
        """Gates per arity, as ``{"k": count}`` (JSON keys)."""
        return {str(k): n for k, n in sorted(Counter(self.arity.tolist()).items())}

    def validate(self) -> LutNetlist:
        """Raise ``ValueError`` naming the first broken invariant; return self."""
        G = self.num_gates
        if not 1 <= self.input_bits <= 16:
            raise ValueError(f"input_bits must be in 1..16, got {self.input_bits}")
        if self.num_features < 1:
            raise ValueError(f"num_features must be at least 1, got {self.num_features}")
        if self.input_feature.ndim != 1 or self.outputs.ndim != 1:
            raise ValueError("input_feature and outputs must be 1-D")
        if self.input_threshold.shape != self.input_feature.shape:
            raise ValueError("input_feature and input_threshold must have one entry per input")
        if self.num_inputs and (self.input_feature.min() < 0 or self.input_feature.max() >= self.num_features):
            raise ValueError("input_feature refers to a feature outside 0..num_features-1")
        if self.fanin.shape != (G, MAX_ARITY) or self.arity.shape != (G,) or self.table.shape != (G,):
            raise ValueError(f"fanin must be (G, {MAX_ARITY}), arity and table (G,)")
        if G and self.arity.max() > MAX_ARITY:
            raise ValueError(f"gate arity must be in 0..{MAX_ARITY}")
        if G and (self.table & ~ROW_MASK[self.arity]).any():
            raise ValueError("a truth table has bits beyond the 2**arity rows of its gate")
        pin = np.arange(MAX_ARITY)[None, :]
        if G and (self.fanin[pin >= self.arity[:, None]] != 0).any():
            raise ValueError("unused fan-in pins (at or beyond the gate's arity) must be 0")
        own = self.first_gate + np.arange(G, dtype=np.int64)
        if G and (self.fanin.min() < 0 or (self.fanin >= own[:, None]).any()):
            raise ValueError("netlist is not topologically ordered (a gate reads itself or a later node)")
        if self.outputs.size and (self.outputs.min() < 0 or self.outputs.max() >= self.num_nodes):
            raise ValueError("an output refers to a node that does not exist")
        if self.num_classes < 1 or self.outputs.shape[0] % self.num_classes:
            raise ValueError(f"{self.outputs.shape[0]} outputs cannot be split into {self.num_classes} classes")
        return self


# ---- conversions ----------------------------------------------------------------------------
def lower_lutnet(net: LutNet, name: str = "net") -> LutNetlist:
    """A :class:`LutNet` as a flat LUT netlist, gate for gate, without optimization (as ``lower``)."""
    net.validate()
    F, T = net.thresholds.shape
    fanins, arities, tables = [], [], []
    base = FIRST_INPUT  # node id of the layer's input 0
    for layer in net.layers:
        pins = np.zeros((layer.size, MAX_ARITY), dtype=np.int64)
        pins[:, : layer.arity] = layer.inputs + base
        fanins.append(pins)
        arities.append(np.full(layer.size, layer.arity))
        tables.append(layer.tables)
        base = FIRST_INPUT + F * T + sum(len(t) for t in tables[:-1])
    num_gates = sum(len(t) for t in tables)
    first = FIRST_INPUT + F * T
    last = net.layers[-1].size if net.layers else F * T
    outputs = np.arange(last) + (first + num_gates - last if net.layers else FIRST_INPUT)
    return LutNetlist(
        np.repeat(np.arange(F), T),
        net.thresholds.reshape(-1),
        F,
        net.input_bits,
        np.concatenate(fanins) if fanins else np.zeros((0, MAX_ARITY)),
        np.concatenate(arities) if arities else np.zeros(0),
        np.concatenate(tables) if tables else np.zeros(0),
        outputs,
        net.num_classes,
        name,
    ).validate()


def from_netlist(net: Netlist) -> LutNetlist:
    """A two-input :class:`Netlist` as a LUT netlist (every gate of arity 2, same tables)."""
    fanin = np.zeros((net.num_gates, MAX_ARITY), dtype=np.int32)
    fanin[:, :2] = net.fanin
    return LutNetlist(
        net.input_feature,
        net.input_threshold,
        net.num_features,
        net.input_bits,
        fanin,
        np.full(net.num_gates, 2),
        net.table,
        net.outputs,
        net.num_classes,
        net.name,
    ).validate()


def widen_to_two(arity: np.ndarray, fanin: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-input fan-in and 4-bit tables of gates of arity ≤ 2: a one-input gate reads ``(a, a)``
    (the passes' canonical one-input form), a constant gate ``(0, 0)``."""
    t = table.astype(np.uint64)
    one = np.uint64(1)
    t1 = (t & one) * np.uint64(3) | ((t >> one) & one) * np.uint64(12)  # f(A) with B = A
    t0 = (t & one) * np.uint64(15)
    wide = np.where(arity == 2, t, np.where(arity == 1, t1, t0)).astype(np.uint8)
    pins = fanin[:, :2].copy()
    pins[arity == 1, 1] = pins[arity == 1, 0]
    return pins, wide


def to_netlist(net: LutNetlist) -> Netlist:
    """The two-input :class:`Netlist` of a LUT netlist whose gates have at most two inputs."""
    net.validate()
    if net.max_arity > 2:
        raise ValueError(f"gates of arity {net.max_arity} do not fit a two-input Netlist")
    pins, tables = widen_to_two(net.arity, net.fanin, net.table)
    return Netlist(
        net.input_feature,
        net.input_threshold,
        net.num_features,
        net.input_bits,
        pins,
        tables,
        net.outputs,
        net.num_classes,
        net.name,
    ).validate()


# ---- reference semantics (the oracle of the engine tests) -----------------------------------
def node_values(net: LutNetlist, x) -> np.ndarray:
    """``(n, num_nodes)`` uint8 value of every node on raw integer inputs ``x`` (slow, obvious)."""
    x = np.asarray(x)
    check_integer_inputs(x, net.num_features, net.input_bits)
    x = x.astype(np.int64)
    v = np.zeros((len(x), net.num_nodes), dtype=np.uint8)
    v[:, 1] = 1
    v[:, FIRST_INPUT : net.first_gate] = x[:, net.input_feature] > net.input_threshold[None, :]
    first = net.first_gate
    for g in range(net.num_gates):
        k = int(net.arity[g])
        cols = [v[:, net.fanin[g, j]] for j in range(k)]
        v[:, first + g] = tt.evaluate(net.table[g], *cols) if k else int(net.table[g]) & 1
    return v


def reference_predict(net: LutNetlist, x) -> tuple[np.ndarray, np.ndarray]:
    """``(scores int32 (n, k), classes int64 (n,))``: popcount per class, argmax ties low."""
    net.validate()
    out = node_values(net, x)[:, net.outputs]
    scores = out.reshape(len(out), net.num_classes, net.group_size).sum(-1).astype(np.int32)
    return scores, scores.argmax(1).astype(np.int64)
