"""Array-based netlist IR (docs/netlist.md): plain arrays plus :meth:`Netlist.validate`.

Node ids: ``0`` is constant 0, ``1`` is constant 1, ``2 … 2+I-1`` are the primary inputs (each an
encoder comparator ``x[input_feature[i]] > input_threshold[i]``), and gate ``g`` is node
``2 + I + g``. Gates are topologically ordered: a gate reads only nodes with smaller ids. Every
gate has two inputs (``fanin[g] = (A, B)``) and a 4-bit truth table in the convention of
:mod:`ldlgn.compiler.truth_tables`. ``outputs`` lists the output node ids, grouped into ``num_classes``
contiguous groups of equal size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONST0, CONST1 = 0, 1
FIRST_INPUT = 2


class NodeIds:
    """Sizes and node ids of a flat netlist; the two-input and the LUT netlist number their nodes
    alike (constants, comparator inputs, gates)."""

    input_feature: np.ndarray
    input_threshold: np.ndarray
    num_features: int
    fanin: np.ndarray
    table: np.ndarray
    outputs: np.ndarray
    num_classes: int
    input_bits: int

    def _normalize_shared(self, pins: int) -> None:
        """Arrays to their contiguous dtypes and sizes to ints, for the fields both netlists have;
        ``fanin`` gets ``pins`` columns (``[]`` is accepted for a net without gates)."""
        self.input_feature = np.ascontiguousarray(self.input_feature, dtype=np.int32)
        self.input_threshold = np.ascontiguousarray(self.input_threshold, dtype=np.int64)
        fanin = np.asarray(self.fanin)
        if fanin.size == 0:
            fanin = fanin.reshape(0, pins)
        self.fanin = np.ascontiguousarray(fanin, dtype=np.int32)
        self.outputs = np.ascontiguousarray(self.outputs, dtype=np.int32)
        self.num_features, self.input_bits = int(self.num_features), int(self.input_bits)
        self.num_classes = int(self.num_classes)

    @property
    def num_inputs(self) -> int:
        return int(self.input_feature.shape[0])

    @property
    def num_gates(self) -> int:
        return int(self.table.shape[0])

    @property
    def first_gate(self) -> int:
        """Node id of gate 0."""
        return FIRST_INPUT + self.num_inputs

    @property
    def num_nodes(self) -> int:
        return self.first_gate + self.num_gates

    @property
    def group_size(self) -> int:
        return self.outputs.shape[0] // self.num_classes

    @property
    def input_max(self) -> int:
        return (1 << self.input_bits) - 1


@dataclass
class Netlist(NodeIds):
    """Topologically ordered two-input gates over encoder-comparator inputs."""

    input_feature: np.ndarray  # int32 (I,)
    input_threshold: np.ndarray  # int64 (I,)
    num_features: int
    input_bits: int
    fanin: np.ndarray  # int32 (G, 2) node ids
    table: np.ndarray  # uint8 (G,)
    outputs: np.ndarray  # int32 (O,) node ids
    num_classes: int
    name: str = "net"

    def __post_init__(self):
        self._normalize_shared(2)
        self.table = np.ascontiguousarray(self.table, dtype=np.uint8)

    def validate(self) -> Netlist:
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
        if self.table.shape != (G,) or self.fanin.shape != (G, 2):
            raise ValueError("fanin must be (G, 2) and table (G,)")
        if G and self.table.max() > 15:
            raise ValueError("truth tables must be in 0..15")
        own = self.first_gate + np.arange(G, dtype=np.int64)
        if G and (self.fanin.min() < 0 or (self.fanin >= own[:, None]).any()):
            raise ValueError("netlist is not topologically ordered (a gate reads itself or a later node)")
        if self.outputs.size and (self.outputs.min() < 0 or self.outputs.max() >= self.num_nodes):
            raise ValueError("an output refers to a node that does not exist")
        if self.num_classes < 1 or self.outputs.shape[0] % self.num_classes:
            raise ValueError(f"{self.outputs.shape[0]} outputs cannot be split into {self.num_classes} classes")
        return self
