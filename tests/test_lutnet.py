"""LutNet, the discrete form of n-input gate networks: semantics, validation, the two-input round trip."""

import itertools

import numpy as np
import pytest

from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.lutnet import LutLayer, LutNet
from ldlgn.sim.random_luts import random_lut_inputs, random_lutnet


def _by_hand(net: LutNet, x: np.ndarray) -> np.ndarray:
    """Output bits computed gate by gate with Python ints (row = first input most significant)."""
    out = []
    for bits in net.encode(x):
        h = [int(v) for v in bits]
        for layer in net.layers:
            nxt = []
            for ins, table in zip(layer.inputs, layer.tables, strict=True):
                row = 0
                for j in ins:
                    row = (row << 1) | h[j]
                nxt.append((int(table) >> row) & 1)
            h = nxt
        out.append(h)
    return np.array(out, dtype=np.uint8)


@pytest.mark.parametrize("arities", [(6, 4, 3), (1, 5, 2), (2, 2, 6)])
def test_output_bits_match_a_gate_by_gate_evaluation(arities):
    net = random_lutnet(arities=arities, seed=sum(arities))
    x = random_lut_inputs(net, 40, seed=1)
    assert np.array_equal(net.output_bits(x), _by_hand(net, x))


def test_first_input_is_most_significant():
    # one 3-input gate whose table is 1 only on row 4 = (1, 0, 0)
    net = LutNet(np.array([[0], [0], [0]]), 1, [LutLayer(np.array([[0, 1, 2]]), np.array([1 << 4]))], 1)
    for bits in itertools.product((0, 1), repeat=3):
        want = int(bits == (1, 0, 0))
        assert net.output_bits(np.array([bits]))[0, 0] == want


def test_bit_63_of_a_six_input_table():
    net = LutNet(np.zeros((6, 1)), 1, [LutLayer(np.arange(6)[None, :], np.array([1 << 63], dtype=np.uint64))], 1)
    x = np.array([[1] * 6, [1, 1, 1, 1, 1, 0]])
    assert net.output_bits(x)[:, 0].tolist() == [1, 0]


def test_predict_ties_to_the_lowest_class():
    net = random_lutnet(num_classes=4, seed=3)
    x = random_lut_inputs(net, 200, seed=2)
    scores, classes = net.predict(x)
    out = _by_hand(net, x).reshape(len(x), 4, -1).sum(-1)
    assert np.array_equal(scores, out) and scores.dtype == np.int32
    assert np.array_equal(classes, np.argmax(out, 1))


def test_round_trip_with_discrete_net_is_bit_exact():
    rng = np.random.default_rng(0)
    thr = np.sort(rng.integers(0, 16, size=(5, 3)), axis=1)
    layers = [DiscreteLayer(rng.integers(0, 15, 12), rng.integers(0, 15, 12), np.arange(12) % 16)]
    layers.append(DiscreteLayer(rng.integers(0, 12, 8), rng.integers(0, 12, 8), rng.integers(0, 16, 8)))
    dnet = DiscreteNet(thr, 4, layers, 2, 2.5)
    lnet = LutNet.from_discrete(dnet)
    assert lnet.max_arity == 2 and lnet.layers[0].tables.dtype == np.uint64
    assert np.array_equal(lnet.layers[1].tables, layers[1].tables)
    x = rng.integers(0, 16, size=(100, 5))
    assert np.array_equal(lnet.output_bits(x), dnet.output_bits(x))
    back = lnet.to_discrete()
    assert back.tau == 2.5 and back.num_classes == 2
    for a, b in zip(back.layers, dnet.layers, strict=True):
        assert np.array_equal(a.a, b.a) and np.array_equal(a.b, b.b) and np.array_equal(a.tables, b.tables)


def test_one_input_layer_lowers_to_two_input_tables():
    net = LutNet(np.array([[3], [7]]), 4, [LutLayer(np.array([[0], [1], [0], [1]]), np.array([0, 1, 2, 3]))], 2)
    x = np.arange(16)[:, None].repeat(2, 1)
    assert np.array_equal(net.to_discrete().output_bits(x), net.output_bits(x))
    assert net.to_discrete().layers[0].tables.tolist() == [0, 3, 12, 15]


def test_to_discrete_refuses_wide_gates():
    with pytest.raises(ValueError, match="3-input gates"):
        random_lutnet(arities=(2, 3, 2)).to_discrete()


@pytest.mark.parametrize(
    ("inputs", "tables", "match"),
    [
        (np.zeros((2, 7), dtype=int), [0, 0], "arity must be in 1..6"),
        (np.array([[0, 99]]), [0], "out of range"),
        (np.array([[0, -1]]), [0], "out of range"),
        (np.array([[0, 1]]), [16], "below 2\\*\\*4"),
        (np.array([[0, 1], [1, 2]]), [1], "one row per truth table"),
    ],
)
def test_validate_names_the_problem(inputs, tables, match):
    with pytest.raises(ValueError, match=match):
        LutNet(np.zeros((4, 1)), 1, [LutLayer(inputs, np.array(tables))], 1)


def test_validate_class_split():
    with pytest.raises(ValueError, match="cannot be split"):
        random_lutnet(widths=(8, 7), arities=(3, 3), num_classes=2)


def test_tables_agree_with_the_truth_table_module():
    # a single n-input gate over all rows reproduces tt.table_rows for n = 1..6
    rng = np.random.default_rng(5)
    for k in range(1, 7):
        t = int(rng.integers(0, 1 << 62)) | (1 << 63) if k == 6 else int(rng.integers(0, 1 << (1 << k)))
        net = LutNet(np.zeros((k, 1)), 1, [LutLayer(np.arange(k)[None, :], np.array([t], dtype=np.uint64))], 1)
        assert net.output_bits(tt.row_bits(k))[:, 0].tolist() == tt.table_rows(t, k).tolist()
