"""C back end on several threads and its encoder variants: every result equals the reference
evaluator's, whatever the thread count, word width, encoder or batch size (also sizes that are
not a multiple of 64 and fewer samples than threads)."""

import ctypes

import numpy as np
import pytest

from ldlgn.compiler.c_build import build_c
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.reference import predict as reference_predict


def layered_net(rng, num_features, thresholds, width, layers, classes):
    """A layered net over ``thresholds`` comparators per feature (sorted by feature)."""
    feature = np.repeat(np.arange(num_features), thresholds)
    threshold = rng.integers(0, 255, feature.size)
    fanin, base, prev = [], 2, feature.size
    for _ in range(layers):
        fanin.append(base + rng.integers(0, prev, (width, 2)))
        base, prev = base + prev, width
    table = rng.integers(0, 16, width * layers)
    return Netlist(feature, threshold, num_features, 8, np.concatenate(fanin), table, base + np.arange(width), classes)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("c_threads")


@pytest.fixture(scope="module")
def net():
    return layered_net(np.random.default_rng(4), 70, 2, 300, 3, 5).validate()


@pytest.mark.parametrize("vector_bits", [None, 64, 128])
def test_threads_give_the_same_results(cache, net, vector_bits):
    model = build_c(net, "mt", cache_dir=cache, vector_bits=vector_bits)
    rng = np.random.default_rng(9)
    for n in (1, 63, 65, 300, 1537, 5001):
        x = rng.integers(0, 256, (n, net.num_features)).astype(np.uint8)
        ref_scores, ref_classes = reference_predict(net, x)
        for threads in (1, 2, 3, 0):
            scores, classes = model.predict(x, threads=threads)
            np.testing.assert_array_equal(scores, ref_scores, err_msg=f"n={n} threads={threads}")
            np.testing.assert_array_equal(classes, ref_classes, err_msg=f"n={n} threads={threads}")


def test_threaded_entry_point_checks_the_range_and_takes_null_outputs(cache):
    rng = np.random.default_rng(2)
    net = Netlist([0, 1], [3, 20], 2, 5, np.array([[2, 3]]), [6], [4, 2, 3, 4], 2).validate()
    model = build_c(net, "mtrange", cache_dir=cache)
    fn = model._lib.ldlgn_mtrange_predict_mt
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    x = rng.integers(0, 32, (2000, 2)).astype(np.uint8)
    classes = np.full(2000, -1, np.int32)
    assert fn(x.ctypes.data, 2000, None, classes.ctypes.data, 2) == 0
    np.testing.assert_array_equal(classes, reference_predict(net, x)[1])
    x[1999, 1] = 32  # above INPUT_MAX of 5-bit inputs: nothing is written
    classes[:] = -1
    assert fn(x.ctypes.data, 2000, None, classes.ctypes.data, 2) == 1
    assert (classes == -1).all()
    with pytest.raises(ValueError, match="threads"):
        model.predict(x[:10] & 31, threads=-1)


@pytest.mark.parametrize(
    ("vector_bits", "flags"),
    [
        (None, ()),
        (None, ("-DLDLGN_TILE_ENCODE", "-DLDLGN_LANE_SPREAD")),
        (None, ("-DLDLGN_NO_THREADS",)),
        (128, ()),
        (64, ()),
        (64, ("-DLDLGN_COLUMN_ENCODE",)),
    ],
)
@pytest.mark.parametrize("layout", ["dense", "spread"])
def test_encoders_agree(cache, vector_bits, flags, layout):
    """The row encoders (windows of consecutive features; features with several thresholds and
    gaps give one chunk per rank and idle lanes), the tile and column encoders and the lane-shift
    spread of the counters they replaced, and a build without threads."""
    rng = np.random.default_rng(5)
    if layout == "dense":
        net = layered_net(rng, 100, 1, 200, 2, 4)
    else:
        feature = np.sort(rng.integers(0, 500, 260))
        fanin = np.stack([2 + np.arange(260), 2 + rng.permutation(260)], 1)
        table = rng.integers(0, 16, 260)
        net = Netlist(feature, rng.integers(0, 255, 260), 500, 8, fanin, table, 262 + rng.permutation(260), 4)
    model = build_c(net.validate(), f"enc_{layout}", cache_dir=cache, vector_bits=vector_bits, extra_flags=flags)
    for n in (1, 31, 257, 700):
        x = rng.integers(0, 256, (n, net.num_features)).astype(np.uint8)
        x[-1] = 255
        ref_scores, ref_classes = reference_predict(net, x)
        for threads in (1, 2):
            scores, classes = model.predict(x, threads=threads)
            np.testing.assert_array_equal(scores, ref_scores)
            np.testing.assert_array_equal(classes, ref_classes)
