"""The shape every data set takes (:class:`Dataset`) and the seeded splits and scaling the loaders
share (docs/data-and-labels.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEST_FRACTION = 0.2  #: share of the rows held out as test where a data set has no official split
MAX_INPUT_VALUE = 65535  #: uint16: the encoder's widest integer input


@dataclass
class Dataset:
    """A train / val / test split of unsigned integer features with integer labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    input_bits: int  # feature values lie in [0, 2**input_bits)
    feature_shape: tuple
    description: str

    def __post_init__(self):
        self.feature_shape = tuple(int(d) for d in self.feature_shape)
        self.validate()

    @property
    def num_features(self) -> int:
        return int(np.prod(self.feature_shape, dtype=np.int64))

    def splits(self):
        """``(split name, x, y)`` for train, val and test."""
        return (
            ("train", self.x_train, self.y_train),
            ("val", self.x_val, self.y_val),
            ("test", self.x_test, self.y_test),
        )

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first inconsistency."""
        if self.num_classes < 2:
            raise ValueError(f"{self.name}: need at least 2 classes, got {self.num_classes}")
        if not 1 <= self.input_bits <= 16:
            raise ValueError(f"{self.name}: input_bits must be in 1..16, got {self.input_bits}")
        dtype = np.uint8 if self.input_bits <= 8 else np.uint16
        for split, x, y in self.splits():
            if x.dtype != dtype or x.ndim != 2 or x.shape[1] != self.num_features:
                raise ValueError(
                    f"{self.name}: x_{split} must be {np.dtype(dtype).name} (n, "
                    f"{self.num_features}), got {x.dtype} {x.shape}"
                )
            if y.dtype != np.int64 or y.shape != (x.shape[0],):
                raise ValueError(f"{self.name}: y_{split} must be int64 ({x.shape[0]},), got {y.dtype} {y.shape}")
            if y.size and (y.min() < 0 or y.max() >= self.num_classes):
                raise ValueError(f"{self.name}: y_{split} has labels outside 0..{self.num_classes - 1}")
            if x.size and int(x.max()) >> self.input_bits:
                raise ValueError(f"{self.name}: x_{split} has values >= 2**input_bits = {1 << self.input_bits}")
        if self.x_train.shape[0] == 0:
            raise ValueError(f"{self.name}: the training split is empty")


def stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator):
    """Split indices ``(keep, take)`` so ``take`` holds ``round(fraction * n)`` rows with each
    class represented in proportion (largest-remainder allocation, random tie-break)."""
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    exact = counts * fraction
    quota = np.floor(exact).astype(np.int64)
    short = round(float(fraction) * len(y)) - int(quota.sum())
    if short > 0:
        order = np.lexsort((rng.random(len(classes)), -(exact - quota)))
        quota[order[:short]] += 1
    per_class = [rng.permutation(np.flatnonzero(inverse == c))[: quota[c]] for c in range(len(classes))]
    take = np.sort(np.concatenate(per_class)) if per_class else np.zeros(0, np.int64)
    keep = np.setdiff1d(np.arange(len(y)), take)
    return keep, take


def permutation_split(n: int, fraction: float, rng: np.random.Generator):
    """``(keep, take)``: ``take`` is the last ``round(fraction * n)`` of a seeded permutation."""
    perm = rng.permutation(n)
    cut = n - round(float(fraction) * n)
    return np.sort(perm[:cut]), np.sort(perm[cut:])


def minmax_to_uint8(x_train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale each feature to 0..255 with the min/max of ``x_train``; round half to even, clip.

    Constant training features map to 0; values of other splits outside the training range clip.
    """
    lo = x_train.min(axis=0)
    span = x_train.max(axis=0) - lo
    scale = np.divide(255.0, span, out=np.zeros_like(span, dtype=np.float64), where=span > 0)
    return [np.clip(np.rint((x - lo) * scale), 0, 255).astype(np.uint8) for x in (x_train, *others)]


def val_note(val_fraction: float) -> str:
    return f"val {val_fraction:.0%} of the rest"


# ---- loaders ----------------------------------------------------------------------------
