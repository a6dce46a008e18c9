"""The discrete description of a network of n-input gates (docs/n-input-gates.md).

The same network as :class:`~.discrete.DiscreteNet` (integer encoder → gate layers → popcount
per class → argmax, ties to the lowest class), but each layer's gates have an arity ``k`` in
``1..6`` and a ``2**k``-bit truth table held in a uint64. Gate ``i`` reads
``x[inputs[i, 0]] … x[inputs[i, k-1]]`` as row ``r = Σ_j x[inputs[i, j]] << (k-1-j)`` (first input
most significant, docs/truth-tables.md) and outputs bit ``r`` of ``tables[i]``. A two-input layer's
tables are bit for bit those of :class:`~.discrete.DiscreteLayer` (row ``r = 2A + B``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import truth_tables as tt
from .discrete import DiscreteLayer, DiscreteNet, EncodedNet

MAX_ARITY = 6  #: a LUT-6: the widest gate one FPGA logic cell computes


def table_mask(arity: int) -> int:
    """The bits a ``2**arity``-row truth table may use."""
    return (1 << (1 << arity)) - 1


@dataclass
class LutLayer:
    """Gate ``i`` computes ``tables[i]`` on ``x[inputs[i, 0]] … x[inputs[i, k-1]]``, first input most significant."""

    inputs: np.ndarray  # int64 (n, k), 1 <= k <= 6
    tables: np.ndarray  # uint64 (n,); bit r = output on row r

    def __post_init__(self):
        inputs = np.asarray(self.inputs)
        if inputs.ndim == 1:  # one-input gates given as a vector
            inputs = inputs[:, None]
        self.inputs = np.ascontiguousarray(inputs, dtype=np.int64)
        self.tables = np.ascontiguousarray(tt.as_table_words(self.tables).reshape(-1))

    @property
    def arity(self) -> int:
        return int(self.inputs.shape[1]) if self.inputs.ndim == 2 else 0

    @property
    def size(self) -> int:
        return int(self.tables.shape[0])

    def evaluate(self, h: np.ndarray) -> np.ndarray:
        """Outputs ``(n, size)`` uint8 of this layer on its input bits ``h`` ``(n, width)``."""
        cols = [h[:, self.inputs[:, j]] for j in range(self.arity)]
        return tt.evaluate(self.tables[None, :], *cols).astype(np.uint8)


@dataclass
class LutNet(EncodedNet):
    """Integer encoder + n-input gate layers (``list[LutLayer]``) + class grouping; see the module
    docstring."""

    @property
    def max_arity(self) -> int:
        return max((layer.arity for layer in self.layers), default=0)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first inconsistency."""
        if not 1 <= self.input_bits <= 16:
            raise ValueError(f"input_bits must be in 1..16, got {self.input_bits}")
        width = self.num_encoded
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, LutLayer):
                raise TypeError(f"layer {i}: expected a LutLayer, got {type(layer).__name__}")
            k = layer.arity
            if layer.inputs.ndim != 2 or layer.inputs.shape[0] != layer.size:
                raise ValueError(f"layer {i}: inputs must be (n, k) with one row per truth table")
            if not 1 <= k <= MAX_ARITY:
                raise ValueError(f"layer {i}: arity must be in 1..{MAX_ARITY}, got {k}")
            if layer.inputs.size and (layer.inputs.min() < 0 or layer.inputs.max() >= width):
                raise ValueError(f"layer {i}: input index out of range 0..{width - 1}")
            if k < MAX_ARITY and layer.size and int(layer.tables.max()) > table_mask(k):
                raise ValueError(f"layer {i}: truth tables of {k} inputs must be below 2**{1 << k}")
            width = layer.size
        if self.num_classes < 1 or self.num_outputs % self.num_classes:
            raise ValueError(f"{self.num_outputs} outputs cannot be split into {self.num_classes} classes")

    def output_bits(self, x) -> np.ndarray:
        """Outputs of the last layer ``(n, num_outputs)`` as uint8."""
        h = self.encode(x)
        for layer in self.layers:
            h = layer.evaluate(h)
        return h

    # ---- the two-input form ---------------------------------------------------------------
    @classmethod
    def from_discrete(cls, net: DiscreteNet) -> LutNet:
        """The same network with two-input :class:`LutLayer` s (tables widened to uint64)."""
        layers = [LutLayer(np.stack([layer.a, layer.b], axis=1), layer.tables) for layer in net.layers]
        return cls(net.thresholds.copy(), net.input_bits, layers, net.num_classes, net.tau)

    def to_discrete(self) -> DiscreteNet:
        """The same network as a :class:`DiscreteNet`; ``ValueError`` if a layer has more than two inputs.

        A one-input layer becomes two-input gates that ignore their second input (``B = A``).
        """
        layers = []
        for i, layer in enumerate(self.layers):
            if layer.arity > 2:
                raise ValueError(f"layer {i} has {layer.arity}-input gates; a DiscreteNet holds two-input gates only")
            if layer.arity == 2:
                a, b, tables = layer.inputs[:, 0], layer.inputs[:, 1], layer.tables
            else:  # f(A) as a two-input table that ignores B: rows 0,1 copy f(0), rows 2,3 copy f(1)
                a = b = layer.inputs[:, 0]
                t = layer.tables & np.uint64(3)
                tables = (t & np.uint64(1)) * np.uint64(3) | (t >> np.uint64(1)) * np.uint64(12)
            layers.append(DiscreteLayer(a, b, tables.astype(np.uint8)))
        return DiscreteNet(self.thresholds.copy(), self.input_bits, layers, self.num_classes, self.tau)
