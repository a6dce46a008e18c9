"""The discrete description of a trained network: what the compiler consumes (docs/netlist.md, docs/encoder.md).

``encoder (integer thresholds) → layers of 2-input gates (input indices + truth tables) →
integer popcount per class → argmax (ties to the lowest class)``.

Encoded bit ``f * T + j`` is ``x[f] > thresholds[f, j]`` (feature-major). Layer 0 reads encoded
bits, layer ``l`` reads the outputs of layer ``l - 1``. The outputs of the last layer are grouped
into ``num_classes`` contiguous, equally sized groups (as ``GroupSum`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import truth_tables as tt
from .encoding import check_integer_inputs


@dataclass
class DiscreteLayer:
    """One layer: gate ``i`` computes ``tables[i](x[a[i]], x[b[i]])``."""

    a: np.ndarray  # int64 (n,)
    b: np.ndarray  # int64 (n,)
    tables: np.ndarray  # uint8 (n,), values 0…15

    def __post_init__(self):
        self.a = np.ascontiguousarray(self.a, dtype=np.int64)
        self.b = np.ascontiguousarray(self.b, dtype=np.int64)
        self.tables = np.ascontiguousarray(self.tables, dtype=np.uint8)

    @property
    def size(self) -> int:
        return int(self.tables.shape[0])


@dataclass
class EncodedNet:
    """What every discrete network shares: the integer encoder, ``layers`` of gates, the class
    grouping and the reference prediction. Subclasses check their layers (:meth:`validate`) and
    evaluate them (:meth:`output_bits`)."""

    thresholds: np.ndarray  # int64 (F, T)
    input_bits: int  # inputs are unsigned integers in [0, 2**input_bits)
    layers: list = field(default_factory=list)
    num_classes: int = 2
    tau: float = 1.0

    def __post_init__(self):
        self.thresholds = np.ascontiguousarray(np.atleast_2d(self.thresholds), dtype=np.int64)
        self.validate()

    def validate(self) -> None:
        raise NotImplementedError

    def output_bits(self, x) -> np.ndarray:
        raise NotImplementedError

    # ---- shape facts --------------------------------------------------------------------
    @property
    def num_features(self) -> int:
        return int(self.thresholds.shape[0])

    @property
    def num_encoded(self) -> int:
        return int(self.thresholds.size)

    @property
    def num_outputs(self) -> int:
        return self.layers[-1].size if self.layers else self.num_encoded

    @property
    def num_gates(self) -> int:
        return sum(layer.size for layer in self.layers)

    @property
    def input_max(self) -> int:
        return (1 << self.input_bits) - 1

    # ---- reference semantics (slow, obviously correct: the oracle of the tests) ------------
    def check_inputs(self, x) -> np.ndarray:
        """Validate raw integer inputs ``(n, num_features)``; return them as int64."""
        x = np.asarray(x)
        check_integer_inputs(x, self.num_features, self.input_bits)
        return x.astype(np.int64)

    def encode(self, x) -> np.ndarray:
        """Thermometer bits ``(n, F*T)`` as uint8."""
        x = self.check_inputs(x)
        return (x[:, :, None] > self.thresholds[None]).reshape(len(x), self.num_encoded).astype(np.uint8)

    def predict(self, x):
        """``(scores int32 (n, k), classes int64 (n,))``: popcount per class, argmax ties low."""
        out = self.output_bits(x)
        scores = out.reshape(len(out), self.num_classes, self.num_outputs // self.num_classes).sum(-1).astype(np.int32)
        return scores, scores.argmax(1)


@dataclass
class DiscreteNet(EncodedNet):
    """Integer encoder + two-input gate layers (``list[DiscreteLayer]``) + class grouping; see the
    module docstring."""

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first inconsistency."""
        if not 1 <= self.input_bits <= 16:
            raise ValueError(f"input_bits must be in 1..16, got {self.input_bits}")
        width = self.num_encoded
        for i, layer in enumerate(self.layers):
            if not (layer.a.shape == layer.b.shape == layer.tables.shape and layer.a.ndim == 1):
                raise ValueError(f"layer {i}: a, b and tables must be 1-D of one length")
            for name, idx in (("a", layer.a), ("b", layer.b)):
                if idx.size and (idx.min() < 0 or idx.max() >= width):
                    raise ValueError(f"layer {i}: input index {name} out of range 0..{width - 1}")
            if layer.tables.size and layer.tables.max() > 15:
                raise ValueError(f"layer {i}: truth tables must be in 0..15")
            width = layer.size
        if self.num_classes < 1 or self.num_outputs % self.num_classes:
            raise ValueError(f"{self.num_outputs} outputs cannot be split into {self.num_classes} classes")

    def output_bits(self, x) -> np.ndarray:
        """Outputs of the last layer ``(n, num_outputs)`` as uint8."""
        h = self.encode(x)
        for layer in self.layers:
            h = tt.evaluate(layer.tables, h[:, layer.a], h[:, layer.b]).astype(np.uint8)
        return h
