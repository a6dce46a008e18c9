"""Data set loaders: real formats written here byte by byte, the bundled scikit-learn sets,
seeded splits, and a clear error for every kind of bad input."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from ldlgn import formats
from ldlgn.datasets import (
    DATASETS,
    Dataset,
    load_dataset,
    minmax_to_uint8,
    permutation_split,
    stratified_split,
)

RNG = np.random.default_rng(1234)


# ---- writers of the real formats ---------------------------------------------------------
def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    big = arr.astype(formats.IDX_DTYPES[code])
    header = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + big.tobytes()


def write_idx(path, arr, code=0x08):
    data = idx_bytes(arr, code)
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def write_mnist(folder, n_train=20, n_test=6, gz=False):
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    data = {
        "train-images-idx3-ubyte": RNG.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": RNG.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": RNG.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": RNG.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, arr in data.items():
        write_idx(folder / (name + ext), arr)
    return data


def cifar_records(n, label_values):
    """``n`` records: the label bytes (rows of ``label_values``) then 3×32×32 pixels."""
    labels = np.asarray(label_values, dtype=np.uint8).reshape(n, -1)
    images = RNG.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    return np.concatenate([labels, images.reshape(n, -1)], axis=1).tobytes(), labels, images


def write_cifar10(folder, per_batch=3, n_test=4):
    folder.mkdir(parents=True, exist_ok=True)
    train_imgs, train_labels = [], []
    for i in range(1, 6):
        raw, labels, images = cifar_records(per_batch, RNG.integers(0, 10, per_batch))
        (folder / f"data_batch_{i}.bin").write_bytes(raw)
        train_imgs.append(images)
        train_labels.append(labels[:, 0])
    raw, labels, images = cifar_records(n_test, RNG.integers(0, 10, n_test))
    (folder / "test_batch.bin").write_bytes(raw)
    return np.concatenate(train_imgs), np.concatenate(train_labels), images, labels[:, 0]


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def rows(x):
    return sorted(map(bytes, x))


# ---- MNIST / IDX ---------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_raw_and_gz(tmp_path, gz):
    data = write_mnist(tmp_path, gz=gz)
    ds = load_dataset("mnist", root=tmp_path, seed=3)
    train_x = data["train-images-idx3-ubyte"].reshape(20, -1)
    train_y = data["train-labels-idx1-ubyte"]
    assert ds.x_train.dtype == np.uint8 and ds.x_train.shape == (18, 784)
    assert ds.x_val.shape == (2, 784) and ds.y_train.dtype == np.int64
    assert (ds.num_classes, ds.input_bits, ds.feature_shape) == (10, 8, (28, 28))
    np.testing.assert_array_equal(ds.x_test, data["t10k-images-idx3-ubyte"].reshape(6, -1))
    np.testing.assert_array_equal(ds.y_test, data["t10k-labels-idx1-ubyte"])
    train, val = permutation_split(20, 0.1, np.random.default_rng(3))
    np.testing.assert_array_equal(ds.x_train, train_x[train])
    np.testing.assert_array_equal(ds.y_val, train_y[val])
    assert "IDX" in ds.description and "permutation" in ds.description


def test_fashion_mnist_torchvision_layout(tmp_path):
    data = write_mnist(tmp_path / "FashionMNIST" / "raw", gz=True)
    ds = load_dataset("fashion_mnist", root=tmp_path, val_fraction=0.0)
    assert ds.name == "fashion-mnist" and ds.x_val.shape == (0, 784)
    np.testing.assert_array_equal(ds.x_train, data["train-images-idx3-ubyte"].reshape(20, -1))


def test_mnist_dotted_file_names(tmp_path):
    data = write_mnist(tmp_path / "mnist")
    for f in (tmp_path / "mnist").iterdir():
        f.rename(f.with_name(f.name.replace("-idx", ".idx")))
    ds = load_dataset("MNIST", root=tmp_path)
    np.testing.assert_array_equal(ds.y_test, data["t10k-labels-idx1-ubyte"])


def test_mnist_truncated_file_is_named(tmp_path):
    write_mnist(tmp_path, gz=True)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-1]))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz: file length .*truncated"):
        load_dataset("mnist", root=tmp_path)


@pytest.mark.parametrize("code", sorted(formats.IDX_DTYPES))
def test_read_idx_all_dtype_codes(tmp_path, code):
    native = formats.IDX_DTYPES[code].newbyteorder("=")
    arr = (np.arange(24).reshape(2, 3, 4) * 37 - 100).astype(native)
    if code == 0x08:
        arr = np.abs(arr).astype(np.uint8)
    out = formats.read_idx(write_idx(tmp_path / "a.idx", arr, code))
    assert out.dtype.isnative and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda b: b[:3], "only 3 bytes"),
        (lambda b: b"\x12\x34" + b[2:], "bad magic number 0x1234"),
        (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX dtype code 0x07"),
        (lambda b: b[:3] + b"\x00" + b[4:], "0 dimensions"),
        (lambda b: b[:10], "truncated IDX header"),
        (lambda b: b[:-5], "truncated"),
        (lambda b: b + b"\x00", "trailing bytes"),
    ],
)
def test_read_idx_rejects_foreign_or_truncated(tmp_path, mutate, match):
    raw = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(mutate(raw))
    with pytest.raises(ValueError, match=match) as err:
        formats.read_idx(path)
    assert "train-images-idx3-ubyte" in str(err.value)


def test_read_idx_bad_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((4, 28, 28), np.uint8)))
    (tmp_path / "cut.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "foreign.gz").write_bytes(b"this is no gzip stream")
    for name in ("cut.gz", "foreign.gz"):
        with pytest.raises(ValueError, match=f"{name}: corrupt or truncated gzip"):
            formats.read_idx(tmp_path / name)


def test_mnist_content_checks(tmp_path):
    write_mnist(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((6, 27, 28), np.uint8))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: expected uint8 28x28"):
        load_dataset("mnist", root=tmp_path)
    write_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(19, np.uint8))
    with pytest.raises(ValueError, match="holds 19 labels but .* holds 20 images"):
        load_dataset("mnist", root=tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.full(20, 10, np.uint8))
    with pytest.raises(ValueError, match="labels outside 0..9"):
        load_dataset("mnist", root=tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(20, np.int32), code=0x0C)
    with pytest.raises(ValueError, match="expected a 1-D uint8 label file"):
        load_dataset("mnist", root=tmp_path)


def test_mnist_missing_root_or_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="pass root=.*train-images-idx3-ubyte"):
        load_dataset("mnist")
    with pytest.raises(FileNotFoundError, match="root folder .*nowhere does not exist"):
        load_dataset("fashion-mnist", root=tmp_path / "nowhere")
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="missing t10k-labels-idx1-ubyte in .*yann.lecun"):
        load_dataset("mnist", root=tmp_path)


# ---- CIFAR ---------------------------------------------------------------------------------
def test_cifar10_binary_in_subfolder(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    train_imgs, train_labels, test_imgs, test_labels = write_cifar10(folder)
    ds = load_dataset("cifar-10", root=tmp_path, seed=5, val_fraction=0.2)
    assert (ds.name, ds.num_classes, ds.input_bits) == ("cifar10", 10, 8)
    assert ds.feature_shape == (3, 32, 32)
    assert ds.x_train.shape == (12, 3072) and ds.x_val.shape == (3, 3072)
    np.testing.assert_array_equal(ds.x_test.reshape(-1, 3, 32, 32), test_imgs)  # channel-major
    np.testing.assert_array_equal(ds.y_test, test_labels)
    train, val = permutation_split(15, 0.2, np.random.default_rng(5))
    np.testing.assert_array_equal(ds.x_val.reshape(-1, 3, 32, 32), train_imgs[val])
    np.testing.assert_array_equal(ds.y_train, train_labels[train])


def test_cifar100_uses_fine_labels(tmp_path):
    coarse_fine = np.stack([RNG.integers(0, 20, 10), RNG.integers(0, 100, 10)], axis=1)
    raw, _, images = cifar_records(10, coarse_fine)
    (tmp_path / "train.bin").write_bytes(raw)
    raw, _, test_images = cifar_records(2, [[19, 99], [0, 42]])
    (tmp_path / "test.bin").write_bytes(raw)
    ds = load_dataset("cifar100", root=tmp_path, val_fraction=0.0)
    assert ds.num_classes == 100
    np.testing.assert_array_equal(ds.y_train, coarse_fine[:, 1])
    np.testing.assert_array_equal(ds.y_test, [99, 42])
    np.testing.assert_array_equal(ds.x_train, images.reshape(10, -1))
    np.testing.assert_array_equal(ds.x_test, test_images.reshape(2, -1))


def test_cifar_bad_files(tmp_path):
    write_cifar10(tmp_path)
    path = tmp_path / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="data_batch_3.bin: size 9218 bytes .* record size 3073"):
        load_dataset("cifar10", root=tmp_path)
    path.write_bytes(b"\x80\x04" + bytes(3071))
    with pytest.raises(ValueError, match="data_batch_3.bin: looks like a Python pickle.*binary"):
        load_dataset("cifar10", root=tmp_path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="data_batch_3.bin: empty file"):
        load_dataset("cifar10", root=tmp_path)
    path.write_bytes(cifar_records(1, [10])[0])
    with pytest.raises(ValueError, match="label bytes outside the cifar10 range"):
        load_dataset("cifar10", root=tmp_path)
    (tmp_path / "test.bin").write_bytes(cifar_records(1, [[25, 3]])[0])
    (tmp_path / "train.bin").write_bytes(cifar_records(1, [[1, 3]])[0])
    with pytest.raises(ValueError, match="test.bin: label bytes outside the cifar100 range"):
        load_dataset("cifar100", root=tmp_path)


@pytest.mark.parametrize(
    "name, folder, file, archive",
    [
        ("cifar10", "cifar-10-batches-py", "data_batch_1", "cifar-10-binary.tar.gz"),
        ("cifar100", "cifar-100-python", "train", "cifar-100-binary.tar.gz"),
        ("cifar10", ".", "data_batch_1", "cifar-10-binary.tar.gz"),
    ],
)
def test_cifar_python_version_refused(tmp_path, name, folder, file, archive):
    (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / folder / file).write_bytes(b"\x80\x02")
    with pytest.raises(ValueError, match=f"python version .*never unpickled.*{archive}"):
        load_dataset(name, root=tmp_path)


def test_cifar_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="pass root=.*test.bin"):
        load_dataset("cifar100")
    write_cifar10(tmp_path)
    (tmp_path / "data_batch_5.bin").unlink()
    with pytest.raises(FileNotFoundError, match="missing data_batch_5.bin .*binary version"):
        load_dataset("cifar10", root=tmp_path)


# ---- .npz ----------------------------------------------------------------------------------
def test_npz_integer_images_with_test(tmp_path):
    x = RNG.integers(0, 1001, (40, 4, 4)).astype(np.int32)
    y = np.arange(40) % 4
    x_test = RNG.integers(0, 300, (7, 4, 4)).astype(np.uint16)
    path = write_npz(tmp_path / "mine.npz", X=x, y=y, X_test=x_test, y_test=y[:7])
    ds = load_dataset(str(path), val_fraction=0.25)
    assert ds.name == "mine" and ds.feature_shape == (4, 4) and ds.num_classes == 4
    assert ds.input_bits == int(max(x.max(), x_test.max())).bit_length()
    assert ds.x_train.dtype == np.uint16
    assert ds.x_train.shape == (30, 16) and ds.x_val.shape == (10, 16)
    np.testing.assert_array_equal(ds.x_test, x_test.reshape(7, 16))
    assert rows(np.concatenate([ds.x_train, ds.x_val]).astype(np.int32)) == rows(x.reshape(40, 16))
    assert sorted(np.bincount(ds.y_val)) == [2, 2, 3, 3]  # 2.5 per class: stratified


def test_npz_without_test_is_split_and_small_values_are_uint8(tmp_path):
    x = np.array([[0, 1], [1, 0], [1, 1], [0, 0], [1, 1]] * 8, dtype=bool)
    y = np.repeat([0, 1], 20)
    ds = load_dataset(write_npz(tmp_path / "b.npz", X=x, y=y))
    assert ds.input_bits == 1 and ds.x_train.dtype == np.uint8
    assert [len(ds.y_train), len(ds.y_val), len(ds.y_test)] == [29, 3, 8]
    assert np.bincount(ds.y_test).tolist() == [4, 4]
    path = write_npz(tmp_path / "c.npz", X=np.full((5, 3), 256, np.uint16), y=np.arange(5) % 2)
    ds = load_dataset(path)
    assert ds.input_bits == 9 and ds.x_train.dtype == np.uint16


@pytest.mark.parametrize(
    "arrays, match",
    [
        (dict(X=np.ones((4, 2), np.float32), y=np.zeros(4, int)), "dtype float32.*quantize"),
        (dict(X=np.full((4, 2), np.nan), y=np.zeros(4, int)), "X contains NaN"),
        (dict(X=-np.ones((4, 2), np.int8), y=np.zeros(4, int)), "X has negative values"),
        (dict(X=np.full((4, 2), 65536), y=np.zeros(4, int)), "values above 65535"),
        (dict(X=np.ones((4, 2), int), y=np.zeros(4)), "labels y must be integers"),
        (dict(X=np.ones((4, 2), int), y=np.array([0, 1, np.nan, 1])), "y contains NaN"),
        (dict(X=np.ones((4, 2), int), y=np.array([0, -1, 0, 1])), "out of range: negative label"),
        (dict(X=np.ones((4, 2), int), y=np.zeros(3, int)), "shape mismatch: y holds 3 labels"),
        (dict(X=np.ones((4, 2), int), y=np.zeros((4, 1), int)), "must be 1-D"),
        (dict(X=np.ones((0, 2), int), y=np.zeros(0, int)), "X is empty"),
        (dict(X=np.ones((4, 0), int), y=np.zeros(4, int)), "X is empty"),
        (dict(X=np.ones(4, int), y=np.zeros(4, int)), r"shape \(n, features...\)"),
        (dict(X=np.ones((4, 2), int)), "missing array 'y'"),
        (
            dict(X=np.ones((4, 2), int), y=np.zeros(4, int), X_test=np.ones((2, 2), int)),
            "X_test and y_test must be given together",
        ),
        (
            dict(X=np.ones((4, 2), int), y=np.zeros(4, int), X_test=np.ones((2, 3), int), y_test=np.zeros(2, int)),
            "shape mismatch: X_test rows",
        ),
        (
            dict(X=np.ones((4, 2), int), y=np.zeros(4, int), X_test=np.ones((2, 2), int), y_test=np.array([0, 2])),
            "y_test out of range",
        ),
        (dict(X=np.array([[1, "a"]], dtype=object), y=np.zeros(1, int)), "object arrays"),
    ],
)
def test_npz_bad_content(tmp_path, arrays, match):
    path = write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=match) as err:
        load_dataset(path)
    assert "bad.npz" in str(err.value)


def test_npz_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such .npz file"):
        load_dataset(tmp_path / "absent.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.npz: not an .npz archive"):
        load_dataset(tmp_path / "junk.npz")
    good = write_npz(tmp_path / "g.npz", X=np.ones((40, 2), int), y=np.zeros(40, int)).read_bytes()
    (tmp_path / "cut.npz").write_bytes(good[:-40])
    with pytest.raises(ValueError, match="cut.npz: corrupt"):
        load_dataset(tmp_path / "cut.npz")
    (tmp_path / "data.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match="unsupported file format"):
        load_dataset(tmp_path / "data.csv")


# ---- bundled scikit-learn sets, splits, scaling ------------------------------------------
def test_digits_real():
    ds = load_dataset("digits")
    sizes = [len(ds.y_train), len(ds.y_val), len(ds.y_test)]
    assert sum(sizes) == 1797 and sizes[2] == 359 and sizes[1] == 144
    assert (ds.input_bits, ds.feature_shape, ds.num_classes) == (5, (8, 8), 10)
    assert ds.x_train.dtype == np.uint8 and ds.x_train.max() == 16
    from sklearn.datasets import load_digits

    data = load_digits().data.astype(np.uint8)
    assert rows(np.concatenate([ds.x_train, ds.x_val, ds.x_test])) == rows(data)


@pytest.mark.parametrize("name, n, f, k", [("breast_cancer", 569, 30, 2), ("iris", 150, 4, 3)])
def test_float_sets_scaled_on_train(name, n, f, k):
    ds = load_dataset(name, seed=7)
    assert ds.x_train.shape[1] == f and ds.num_classes == k and ds.input_bits == 8
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == n
    assert (ds.x_train.min(axis=0) == 0).all() and (ds.x_train.max(axis=0) == 255).all()
    assert "min-max scaled on the training split to 0..255" in ds.description
    full = np.bincount(np.concatenate([ds.y_train, ds.y_val, ds.y_test]))
    assert np.all(np.abs(np.bincount(ds.y_test, minlength=k) - 0.2 * full) <= 1)  # stratified


def test_splits_deterministic_per_seed():
    a, b = load_dataset("iris", seed=11), load_dataset("iris", seed=11)
    c = load_dataset("iris", seed=12)
    for split in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, split), getattr(b, split))
    assert not np.array_equal(a.x_test, c.x_test)


def test_stratified_split_properties():
    y = np.repeat(np.arange(5), [50, 30, 11, 7, 2])
    for seed in range(5):
        keep, take = stratified_split(y, 0.2, np.random.default_rng(seed))
        assert len(take) == 20 and not np.intersect1d(keep, take).size
        np.testing.assert_array_equal(np.union1d(keep, take), np.arange(len(y)))
        counts = np.bincount(y[take], minlength=5)
        assert np.all(np.abs(counts - 0.2 * np.bincount(y)) < 1)
    assert len(stratified_split(y, 0.0, np.random.default_rng(0))[1]) == 0


def test_minmax_to_uint8():
    train = np.array([[0.0, 5.0, -1.0], [2.0, 5.0, 1.0], [1.0, 5.0, 0.0]])
    other = np.array([[3.0, 9.0, -2.0], [0.5, 5.0, 0.5]])
    tr, ot = minmax_to_uint8(train, other)
    np.testing.assert_array_equal(tr, [[0, 0, 0], [255, 0, 255], [128, 0, 128]])
    np.testing.assert_array_equal(ot, [[255, 0, 0], [64, 0, 191]])  # clipped; constant -> 0


# ---- names, arguments, Dataset checks -----------------------------------------------------
def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match="unknown dataset 'mnsit'.*digits.*cifar100"):
        load_dataset("mnsit")
    assert "cifar10" in DATASETS and "breast_cancer" in DATASETS


def test_bad_arguments():
    with pytest.raises(ValueError, match="val_fraction must be a number in"):
        load_dataset("iris", val_fraction=1.0)
    for seed in (0.5, -1, True):
        with pytest.raises(ValueError, match="seed must be a non-negative integer"):
            load_dataset("iris", seed=seed)


def test_dataset_validate():
    x = np.zeros((3, 4), np.uint8)
    y = np.zeros(3, np.int64)
    args = dict(name="t", num_classes=2, input_bits=2, feature_shape=(4,), description="")
    Dataset(x_train=x, y_train=y, x_val=x, y_val=y, x_test=x, y_test=y, **args)
    with pytest.raises(ValueError, match=r"x_val must be uint8 \(n, 4\)"):
        Dataset(x_train=x, y_train=y, x_val=x[:, :3], y_val=y, x_test=x, y_test=y, **args)
    with pytest.raises(ValueError, match="y_test has labels outside 0..1"):
        Dataset(x_train=x, y_train=y, x_val=x, y_val=y, x_test=x, y_test=y + 2, **args)
    with pytest.raises(ValueError, match="x_train has values >= 2\\*\\*input_bits = 4"):
        Dataset(x_train=x + 4, y_train=y, x_val=x, y_val=y, x_test=x, y_test=y, **args)
