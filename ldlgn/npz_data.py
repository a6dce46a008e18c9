"""Data sets from ``.npz`` files: integer ``X`` and ``y`` (optionally ``X_test``, ``y_test``), labels
exactly ``0..k-1`` (docs/data-and-labels.md). A 4-D ``X`` holds images, NCHW or NHWC, stored
channel-major."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import formats
from .splits import MAX_INPUT_VALUE, TEST_FRACTION, Dataset, stratified_split, val_note


def _npz_features(path: Path, key: str, x: np.ndarray) -> np.ndarray:
    if x.ndim < 2:
        raise ValueError(f"{path}: {key} must have shape (n, features...), got shape {x.shape}")
    if x.shape[0] == 0 or x[0].size == 0:
        raise ValueError(f"{path}: {key} is empty (shape {x.shape})")
    if x.dtype.kind == "f" and np.isnan(x).any():
        raise ValueError(f"{path}: {key} contains NaN")
    if x.dtype.kind not in "biu":
        raise ValueError(
            f"{path}: {key} has dtype {x.dtype}, but the encoder needs unsigned integer "
            "features: quantize them first (e.g. min-max scale to 0..255 and store as uint8)"
        )
    x = x.reshape(x.shape[0], -1)
    if x.dtype.kind == "b":
        x = x.astype(np.uint8)
    if x.min() < 0:
        raise ValueError(f"{path}: {key} has negative values (min {x.min()}); the encoder needs unsigned integers")
    if x.max() > MAX_INPUT_VALUE:
        raise ValueError(
            f"{path}: {key} has values above {MAX_INPUT_VALUE} (max {x.max()}); the encoder takes at most 16-bit inputs"
        )
    return x


def _npz_labels(path: Path, key: str, y: np.ndarray, n: int) -> np.ndarray:
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"{path}: {key} contains NaN")
    if y.dtype.kind not in "iu":
        raise ValueError(f"{path}: labels {key} must be integers, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ValueError(f"{path}: labels {key} must be 1-D, got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"{path}: shape mismatch: {key} holds {y.shape[0]} labels for {n} rows of X")
    if y.size and y.min() < 0:
        raise ValueError(f"{path}: labels {key} out of range: negative label {y.min()}")
    if y.size and int(y.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"{path}: labels {key} out of range: label {y.max()} exceeds int64")
    return y.astype(np.int64)


def _npz_classes(path: Path, y: np.ndarray) -> int:
    """The number of classes ``k`` of the training labels, which must be exactly ``0..k-1`` with
    ``k ≥ 2`` (docs/data-and-labels.md): a gap would silently train classes no sample has."""
    present = np.unique(y)
    if len(present) < 2:
        raise ValueError(f"{path}: labels y hold a single class ({present[0]}); a classifier needs at least 2 classes")
    k, top = len(present), int(present[-1])
    if top != k - 1:
        count = top + 1 - k
        shown = np.setdiff1d(np.arange(min(top + 1, k + 10)), present)[:10]
        listed = ", ".join(str(v) for v in shown) + (", ..." if count > len(shown) else "")
        raise ValueError(
            f"{path}: labels y must be exactly 0..k-1, but {count} labels are missing from 0..{top} "
            f"({k} present): missing labels {listed}; remap them to 0..{k - 1} first, "
            "e.g. y = numpy.unique(y, return_inverse=True)[1] (the i-th smallest label becomes i)"
        )
    return k


def _npz_test_split(path: Path, arrays: dict, shape: tuple, y: np.ndarray):
    """``(X_test, y_test)`` flattened and checked against the training arrays."""
    x_test = _npz_features(path, "X_test", arrays["X_test"])
    if arrays["X_test"].shape[1:] != shape:
        raise ValueError(f"{path}: shape mismatch: X_test rows have shape {arrays['X_test'].shape[1:]}, X rows {shape}")
    y_test = _npz_labels(path, "y_test", arrays["y_test"], x_test.shape[0])
    if y_test.size and y_test.max() > y.max():
        raise ValueError(
            f"{path}: labels y_test out of range: label {y_test.max()} never occurs in y (labels 0..{y.max()})"
        )
    return x_test, y_test


IMAGE_LAYOUTS = ("NCHW", "NHWC")


def image_layout(path: Path, arrays: dict) -> str | None:
    """How a 4-D ``X`` of an ``.npz`` holds images: the archive's string array ``layout``
    (``"NCHW"`` or ``"NHWC"``) when it has one; else NHWC when the last axis has 1, 3 or 4 entries
    and the second more than 4 (``(n, 28, 28, 1)``, ``(n, 32, 32, 3)``), NCHW otherwise. ``None``
    for features that are not 4-D."""
    x = arrays["X"]
    if "layout" in arrays:
        value = arrays["layout"]
        layout = str(value.reshape(-1)[0]) if value.dtype.kind == "U" and value.size == 1 else None
        if layout not in IMAGE_LAYOUTS:
            raise ValueError(f"{path}: layout must be one string, NCHW or NHWC, got {value!r}")
        if x.ndim != 4:
            raise ValueError(f"{path}: layout {layout} needs 4-D images X (n, ...), got X of shape {x.shape}")
        return layout
    if x.ndim != 4:
        return None
    return "NHWC" if x.shape[3] in (1, 3, 4) and x.shape[1] > 4 else "NCHW"


def load_npz(path: Path, seed: int, val_fraction: float) -> Dataset:
    arrays = formats.read_npz(path)
    for key in ("X", "y"):
        if key not in arrays:
            raise ValueError(
                f"{path}: missing array {key!r} (found {sorted(arrays)}); expected "
                "X (n, ...) and y (n,), optionally X_test and y_test"
            )
    if ("X_test" in arrays) != ("y_test" in arrays):
        raise ValueError(f"{path}: X_test and y_test must be given together")
    if image_layout(path, arrays) == "NHWC":  # images are stored channel-major, as CIFAR's
        arrays = {**arrays, **{k: np.moveaxis(arrays[k], -1, 1) for k in ("X", "X_test") if k in arrays}}
    x = _npz_features(path, "X", arrays["X"])
    y = _npz_labels(path, "y", arrays["y"], x.shape[0])
    shape = arrays["X"].shape[1:]
    test = _npz_test_split(path, arrays, shape, y) if "X_test" in arrays else None
    num_classes = _npz_classes(path, y)
    rng = np.random.default_rng(seed)
    if test is not None:
        x_test, y_test = test
        train, val = stratified_split(y, val_fraction, rng)
        split = f"seeded stratified split (seed {seed}): val {val_fraction:.0%} of X; test = X_test"
    else:
        rest, test = stratified_split(y, TEST_FRACTION, rng)
        sub_train, sub_val = stratified_split(y[rest], val_fraction, rng)
        train, val = rest[sub_train], rest[sub_val]
        x_test, y_test = x[test], y[test]
        split = f"seeded stratified split (seed {seed}): test {TEST_FRACTION:.0%}, {val_note(val_fraction)}"
    top = max(int(x.max()), int(x_test.max()) if x_test.size else 0)
    bits = max(1, top.bit_length())
    dtype = np.uint8 if bits <= 8 else np.uint16
    text = f"{path.name}: integer features as stored ({bits} bits, max {top}), {num_classes} classes; {split}"
    return Dataset(
        path.stem,
        x[train].astype(dtype),
        y[train],
        x[val].astype(dtype),
        y[val],
        x_test.astype(dtype),
        y_test,
        num_classes=num_classes,
        input_bits=bits,
        feature_shape=shape,
        description=text,
    )
