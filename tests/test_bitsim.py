"""The bit-parallel Numba evaluator equals the reference evaluator bit-exactly."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldlgn.compiler import Netlist, lower
from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.bitsim import predict_netlist
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.reference import predict as reference_predict


def assert_same(net, x):
    scores, classes = predict_netlist(net, x)
    assert scores.dtype == np.int32 and classes.dtype == np.int64
    assert scores.shape == (len(x), net.num_classes) and classes.shape == (len(x),)
    if len(x) == 0:  # the reference cannot reshape an empty batch
        return scores, classes
    ref_scores, ref_classes = reference_predict(net, x)
    np.testing.assert_array_equal(scores, ref_scores)
    np.testing.assert_array_equal(classes, ref_classes)
    return scores, classes


@pytest.mark.parametrize("table", range(16))
def test_golden_every_gate_on_every_row(table):
    """One gate on inputs A = x0 > 0, B = x1 > 0; outputs (const0, gate) so class 1 wins iff the gate is 1."""
    net = Netlist([0, 1], [0, 0], 2, 1, [[2, 3]], [table], [0, 4], 2).validate()
    rows = np.array([[a, b] for a in (0, 1) for b in (0, 1)])  # row r = 2A + B
    x = np.tile(rows, (33, 1))  # 132 samples: crosses a 64-sample word and a partial word
    scores, classes = assert_same(net, x)
    expected = tt.evaluate(table, x[:, 0], x[:, 1])
    np.testing.assert_array_equal(scores[:, 1], expected)
    np.testing.assert_array_equal(classes, expected)  # a tie (0, 0) goes to class 0
    assert [int(v) for v in expected[:4]] == [(table >> r) & 1 for r in range(4)]


def test_constant_and_input_outputs_and_ties():
    # outputs: const1, input 0, const0, gate (x0 > 5) XOR (x1 > 2); 2 classes of 2
    net = Netlist([0, 1], [5, 2], 2, 4, [[2, 3]], [6], [1, 2, 0, 4], 2).validate()
    x = np.array([[a, b] for a in range(16) for b in range(16)], dtype=np.uint8)
    scores, classes = assert_same(net, x)
    np.testing.assert_array_equal(scores[:, 0], 1 + (x[:, 0] > 5))
    np.testing.assert_array_equal(scores[:, 1], (x[:, 0] > 5) ^ (x[:, 1] > 2))
    assert set(classes.tolist()) == {0}  # class 1 never beats class 0; ties go low


@st.composite
def netlists(draw):
    input_bits = draw(st.integers(1, 16))
    F = draw(st.integers(1, 4))
    n_in = draw(st.integers(0, 6))
    G = draw(st.integers(0, 40))
    hi = (1 << input_bits) - 1
    feature = draw(st.lists(st.integers(0, F - 1), min_size=n_in, max_size=n_in))
    threshold = draw(st.lists(st.integers(-1, hi), min_size=n_in, max_size=n_in))
    fanin = [[draw(st.integers(0, 1 + n_in + g)), draw(st.integers(0, 1 + n_in + g))] for g in range(G)]
    tables = draw(st.lists(st.integers(0, 15), min_size=G, max_size=G))
    k = draw(st.integers(1, 4))
    group = draw(st.integers(1, 5))
    outputs = draw(st.lists(st.integers(0, 1 + n_in + G), min_size=k * group, max_size=k * group))
    net = Netlist(
        feature, threshold, F, input_bits, np.array(fanin, dtype=np.int64).reshape(-1, 2), tables, outputs, k
    ).validate()
    n = draw(st.sampled_from([0, 1, 63, 64, 65, 130, 257, 300]))
    seed = draw(st.integers(0, 2**32 - 1))
    dtype = np.uint8 if input_bits <= 8 else np.uint16
    x = np.random.default_rng(seed).integers(0, hi + 1, (n, F)).astype(dtype)
    return net, x


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(netlists())
def test_random_netlists_equal_reference(case):
    net, x = case
    assert_same(net, x)


def test_layered_net_equals_reference_and_discrete():
    rng = np.random.default_rng(0)
    F, T, width, k = 30, 3, 600, 6
    thresholds = np.sort(rng.integers(0, 255, (F, T)), axis=1)
    layers, w = [], F * T
    for _ in range(4):
        layers.append(DiscreteLayer(rng.integers(0, w, width), rng.integers(0, w, width), rng.integers(0, 16, width)))
        w = width
    dnet = DiscreteNet(thresholds, 8, layers, k)
    net = lower(dnet)
    x = rng.integers(0, 256, (1000, F), dtype=np.uint8)
    scores, classes = assert_same(net, x)
    ref_scores, ref_classes = dnet.predict(x)
    np.testing.assert_array_equal(scores, ref_scores)
    np.testing.assert_array_equal(classes, ref_classes)


def test_empty_batch_and_bad_input():
    net = Netlist([0], [3], 1, 4, np.zeros((0, 2)), [], [2], 1).validate()
    scores, classes = predict_netlist(net, np.zeros((0, 1), dtype=np.uint8))
    assert scores.shape == (0, 1) and classes.shape == (0,)
    with pytest.raises(ValueError, match="shape"):
        predict_netlist(net, np.zeros((4, 2), dtype=np.uint8))
    with pytest.raises(TypeError, match="integers"):
        predict_netlist(net, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="0..15"):
        predict_netlist(net, np.full((4, 1), 16))
    broken = Netlist([0], [3], 1, 4, [[2, 3]], [6], [3], 1)  # the gate reads itself
    with pytest.raises(ValueError, match="topologically"):
        predict_netlist(broken, np.zeros((4, 1), dtype=np.uint8))
