"""Netlist optimization passes: equivalence (exhaustive on small nets, random vectors on big ones),
golden single gates, and that each pass removes what it targets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldlgn.compiler import lower
from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.passes import (
    DEFAULT_PASSES,
    PASSES,
    absorb_inverters,
    eliminate_dead_gates,
    fold_duplicate_inputs,
    optimize,
    propagate_constants,
    structural_hash,
)
from ldlgn.compiler.reference import node_values
from ldlgn.compiler.reference import predict as reference_predict

ALL = list(PASSES.values()) + [lambda net: optimize(net)[0]]
ALL_IDS = list(PASSES) + ["optimize"]


# ---- building and comparing nets ------------------------------------------------------------
def raw_net(num_inputs, gates, outputs, num_classes=1):
    """Net whose primary input i is raw bit feature i (input_bits=1, threshold 0).
    ``gates``: list of (a, b, table) with node ids."""
    fanin = [(a, b) for a, b, _ in gates]
    table = [t for _, _, t in gates]
    return Netlist(
        np.arange(num_inputs),
        np.zeros(num_inputs, np.int64),
        num_inputs,
        1,
        np.array(fanin, np.int64).reshape(-1, 2),
        table,
        outputs,
        num_classes,
    ).validate()


def all_vectors(num_features):
    """Every input vector of ``num_features`` bits: ``(2**F, F)``."""
    return np.array(list(itertools.product((0, 1), repeat=num_features)), dtype=np.uint8).reshape(-1, num_features)


def output_bits(net, x):
    return node_values(net, x)[net.outputs]


def assert_equivalent(before, after, x):
    """Same output bit for every output and sample, same scores; inputs/classes untouched."""
    after.validate()
    assert after is not before
    np.testing.assert_array_equal(after.input_feature, before.input_feature)
    np.testing.assert_array_equal(after.input_threshold, before.input_threshold)
    assert (after.num_features, after.input_bits, after.num_classes, after.name) == (
        before.num_features,
        before.input_bits,
        before.num_classes,
        before.name,
    )
    assert after.outputs.shape == before.outputs.shape
    np.testing.assert_array_equal(output_bits(after, x), output_bits(before, x))
    np.testing.assert_array_equal(reference_predict(after, x)[0], reference_predict(before, x)[0])


def snapshot(net):
    return [a.copy() for a in (net.input_feature, net.input_threshold, net.fanin, net.table, net.outputs)]


@st.composite
def netlists(draw, max_inputs=7, max_gates=40):
    """Random raw-bit nets rich in constants, buffers, inverters, duplicate inputs, dead gates and
    constant/input outputs."""
    F = draw(st.integers(1, max_inputs))
    G = draw(st.integers(0, max_gates))
    first = 2 + F
    special = st.sampled_from([tt.FALSE, tt.TRUE, tt.PASS_A, tt.PASS_B, tt.NOT_A, tt.NOT_B])
    gates = []
    for g in range(G):
        n = first + g
        a = draw(st.one_of(st.integers(max(0, n - 4), n - 1), st.integers(0, n - 1)))
        b = draw(st.one_of(st.just(a), st.integers(0, 1), st.integers(0, n - 1)))
        t = draw(st.one_of(special, st.integers(0, 15)))
        gates.append((a, b, t))
    k = draw(st.integers(1, 3))
    per = draw(st.integers(1, 4))
    N = first + G
    outputs = draw(
        st.lists(
            st.one_of(st.integers(max(0, N - 6), N - 1), st.integers(0, N - 1)), min_size=k * per, max_size=k * per
        )
    )
    return raw_net(F, gates, outputs, k)


def random_discrete(rng, features, levels, widths, classes, input_bits=8):
    layers, w = [], features * levels
    for n in widths:
        layers.append(DiscreteLayer(rng.integers(0, w, n), rng.integers(0, w, n), rng.integers(0, 16, n)))
        w = n
    thr = np.sort(rng.integers(0, 1 << input_bits, (features, levels)), 1)
    return DiscreteNet(thr, input_bits, layers, classes)


def assert_normal_form(net):
    """What a fully optimized net looks like (the fixed point of DEFAULT_PASSES)."""
    first, fi, t = net.first_gate, net.fanin, net.table
    inverter = (fi[:, 0] == fi[:, 1]) & (t == tt.NOT_A)
    assert not np.isin(t, [tt.FALSE, tt.TRUE, tt.PASS_A, tt.PASS_B, tt.NOT_B]).any()
    assert (fi >= 2).all(), "a gate reads a constant"
    assert ((fi[:, 0] < fi[:, 1]) | inverter).all(), "unordered or duplicate fanins"
    assert (tt.depends_on(t, 0) & tt.depends_on(t, 1) | inverter).all()
    # inverters only drive outputs, and only for nodes also needed uninverted
    inv_nodes = first + np.flatnonzero(inverter)
    assert not np.isin(inv_nodes, fi).any()
    assert np.isin(inv_nodes, net.outputs).all()
    # no two gates equal up to an output inversion
    key = np.stack([fi[:, 0], fi[:, 1], np.where(t & 1, t ^ 15, t)], 1)
    assert np.unique(key, axis=0).shape[0] == net.num_gates
    # every gate is live
    assert eliminate_dead_gates(net).num_gates == net.num_gates


# ---- equivalence on random nets --------------------------------------------------------------
@pytest.mark.parametrize("run", ALL, ids=ALL_IDS)
@settings(max_examples=60, deadline=None)
@given(net=netlists())
def test_pass_is_equivalent_exhaustively(run, net):
    before = snapshot(net)
    after = run(net)
    for old, now in zip(before, snapshot(net)):
        np.testing.assert_array_equal(old, now)  # the input netlist is untouched
    assert_equivalent(net, after, all_vectors(net.num_features))
    assert after.num_gates <= net.num_gates + np.unique(net.outputs).size  # inverters for outputs at most


@settings(max_examples=60, deadline=None)
@given(net=netlists(), order=st.permutations(list(PASSES)))
def test_optimize_any_order_reaches_normal_form(net, order):
    after, report = optimize(net, passes=order + order)
    assert_equivalent(net, after, all_vectors(net.num_features))
    assert [r["pass"] for r in report[: len(order)]] == order
    for prev, nxt in zip(report, report[1:]):
        assert nxt["gates_before"] == prev["gates_after"]
    if report[-1]["round"] < 7:  # converged before the round cap
        assert_normal_form(after)


@pytest.mark.parametrize("seed", [0, 1])
def test_optimize_random_layered_net_random_vectors(seed):
    rng = np.random.default_rng(seed)
    dnet = random_discrete(rng, 48, 6, [3000, 3000, 2000, 1000], 10)  # 288 inputs: random vectors
    net = lower(dnet)
    after, report = optimize(net)
    x = rng.integers(0, 256, (300, 48))
    assert_equivalent(net, after, x)
    np.testing.assert_array_equal(reference_predict(after, x)[0], dnet.predict(x)[0])
    np.testing.assert_array_equal(reference_predict(after, x)[1], dnet.predict(x)[1])
    assert report[0]["gates_before"] == 9000 and after.num_gates < 9000 // 2
    assert_normal_form(after)


@pytest.mark.slow
def test_optimize_48k_gate_net():
    rng = np.random.default_rng(7)
    net = lower(random_discrete(rng, 768, 4, [12000] * 4, 10))
    after, _ = optimize(net)
    assert_equivalent(net, after, rng.integers(0, 256, (64, 768)))
    assert_normal_form(after)


# ---- golden: each of the 16 tables alone -----------------------------------------------------
@pytest.mark.parametrize("table", range(16))
def test_single_gate_golden(table):
    net = raw_net(2, [(2, 3, table)], [4])
    x = all_vectors(2)
    for run in ALL:
        assert_equivalent(net, run(net), x)
    after = optimize(net)[0]
    expected = {
        tt.FALSE: ([], 0),
        tt.TRUE: ([], 1),
        tt.PASS_A: ([], 2),
        tt.PASS_B: ([], 3),
        tt.NOT_A: ([(2, 2, tt.NOT_A)], 4),
        tt.NOT_B: ([(3, 3, tt.NOT_A)], 4),
    }
    gates, out = expected.get(table, ([(2, 3, table)], 4))
    assert [(a, b, t) for (a, b), t in zip(after.fanin.tolist(), after.table.tolist())] == gates
    assert after.outputs.tolist() == [out]


def test_all_16_gates_through_the_encoder():
    """One layer holding every gate on real thresholds, checked against DiscreteNet over all inputs."""
    layer = DiscreteLayer(np.zeros(16, int), np.ones(16, int), np.arange(16))
    dnet = DiscreteNet(np.array([[99], [200]]), 8, [layer], 16)
    x = np.array(list(itertools.product(range(256), repeat=2)))
    after = optimize(lower(dnet))[0]
    np.testing.assert_array_equal(reference_predict(after, x)[0], dnet.predict(x)[0])
    np.testing.assert_array_equal(reference_predict(after, x)[1], dnet.predict(x)[1])


# ---- each pass removes what it targets -------------------------------------------------------
@pytest.mark.parametrize("length", [1, 2, 5, 6])
def test_inverter_chain_disappears(length):
    gates, node = [], 2
    for i in range(length):
        gates.append((node, 3, tt.NOT_A))  # B is irrelevant to NOT_A
        node = 4 + i
    gates.append((node, 3, 8))  # AND
    net = raw_net(2, gates, [node + 1, node])
    after = eliminate_dead_gates(absorb_inverters(net))
    assert_equivalent(net, after, all_vectors(2))
    # the AND with the inversion folded in, plus one inverter for the chain's own output if odd
    assert after.num_gates == 1 + (length % 2)
    assert after.table[0] == (tt.negate_input(8, 0) if length % 2 else 8)
    assert after.outputs[1] == (after.first_gate + 1 if length % 2 else 2)


def test_inverter_driving_only_an_output_flips_its_source():
    net = raw_net(2, [(2, 3, 8), (4, 4, tt.NOT_A)], [5])  # NOT(AND)
    after = eliminate_dead_gates(absorb_inverters(net))
    assert_equivalent(net, after, all_vectors(2))
    assert after.table.tolist() == [tt.negate_output(8)] and after.outputs.tolist() == [4]


def test_inverted_input_output_keeps_an_inverter():
    net = raw_net(2, [(3, 2, tt.NOT_B)], [4, 3])
    after = optimize(net)[0]
    assert_equivalent(net, after, all_vectors(2))
    assert after.fanin.tolist() == [[2, 2]] and after.table.tolist() == [tt.NOT_A]


def test_identical_gates_merge():
    # AND(a,b), AND(b,a) and an identical cascade on top: one sweep merges all of it
    gates = [(2, 3, 8), (3, 2, 8), (4, 2, 6), (5, 2, 6), (6, 3, 14), (7, 3, 14)]
    net = raw_net(2, gates, [8, 9])
    after = structural_hash(net)
    assert_equivalent(net, after, all_vectors(2))
    assert after.num_gates == 3 and after.outputs[0] == after.outputs[1]


def test_complementary_gates_merge_and_fold_to_a_constant():
    net = raw_net(2, [(2, 3, 8), (3, 2, 7), (4, 5, 6)], [6])  # AND(a,b) XOR NAND(b,a) == 1
    hashed = structural_hash(net)
    assert_equivalent(net, hashed, all_vectors(2))
    assert hashed.num_gates == 2 and hashed.fanin[1].tolist() == [4, 4]
    after = optimize(net)[0]
    assert after.num_gates == 0 and after.outputs.tolist() == [1]


def test_structural_hash_orders_fanins():
    net = raw_net(3, [(4, 2, 2), (3, 2, 13)], [5, 6])
    after = structural_hash(net)
    assert_equivalent(net, after, all_vectors(3))
    assert (after.fanin[:, 0] <= after.fanin[:, 1]).all()
    assert after.table.tolist() == tt.swap_inputs(np.array([2, 13], np.uint8)).tolist()


@pytest.mark.parametrize("table", range(16))
def test_duplicate_input_folding(table):
    net = raw_net(1, [(2, 2, table)], [3])
    after = fold_duplicate_inputs(net)
    assert_equivalent(net, after, all_vectors(1))
    assert after.fanin.tolist() == [[2, 2]]
    assert not tt.depends_on(after.table[0], 1)
    assert after.table[0] in (tt.FALSE, tt.NOT_A, tt.PASS_A, tt.TRUE)


def test_xor_of_a_node_with_itself_becomes_constant():
    net = raw_net(2, [(2, 3, 8), (4, 4, 6), (4, 4, 9)], [5, 6])
    after = optimize(net)[0]
    assert_equivalent(net, after, all_vectors(2))
    assert after.num_gates == 0 and after.outputs.tolist() == [0, 1]


@pytest.mark.parametrize(
    "a,b,table,out_gates,out_node",
    [
        (2, 0, 8, 0, 0),  # AND(x, 0) = 0
        (1, 2, 14, 0, 1),  # OR(1, x) = 1
        (2, 1, 8, 1, None),  # AND(x, 1) = x: one-input buffer
        (0, 1, 6, 0, 1),  # XOR(0, 1) = 1
    ],
)
def test_constant_propagation(a, b, table, out_gates, out_node):
    net = raw_net(1, [(a, b, table)], [3])
    after = propagate_constants(net)
    assert_equivalent(net, after, all_vectors(1))
    assert after.num_gates == out_gates
    if out_node is not None:
        assert after.outputs.tolist() == [out_node]
    else:
        assert after.fanin.tolist() == [[2, 2]] and after.table.tolist() == [tt.PASS_A]


def test_constant_propagation_drops_irrelevant_inputs():
    net = raw_net(2, [(2, 3, tt.PASS_B), (3, 2, tt.NOT_B), (2, 3, 12)], [4, 5, 6])
    after = propagate_constants(net)
    assert_equivalent(net, after, all_vectors(2))
    assert after.fanin.tolist() == [[3, 3], [2, 2], [2, 2]]


def test_dead_gates_are_removed_and_ids_compacted():
    gates = [(2, 3, 8), (2, 3, 6), (3, 5, 14), (2, 4, 7), (6, 4, 1)]
    net = raw_net(3, gates, [7, 2])  # live: nodes 5 and 7; dead: 6, 8, 9 (the only readers of input 4)
    after = eliminate_dead_gates(net)
    assert_equivalent(net, after, all_vectors(3))
    assert after.num_gates == 2 and after.num_inputs == 3  # the now unused input stays
    assert after.fanin.tolist() == [[2, 3], [3, 5]]
    assert after.outputs.tolist() == [6, 2]


def test_optimize_report_and_bad_arguments():
    net = raw_net(2, [(2, 3, 8), (2, 3, 8)], [4, 5])
    after, report = optimize(net)
    assert {"pass", "gates_before", "gates_after"} <= set(report[0])
    assert [r["pass"] for r in report[: len(DEFAULT_PASSES)]] == [p.name for p in DEFAULT_PASSES]
    assert report[-1]["gates_after"] == after.num_gates == 1
    assert optimize(net, passes=["structural_hash"])[0].num_gates == 1
    with pytest.raises(ValueError, match="unknown pass 'strsh'"):
        optimize(net, passes=["strsh"])
    with pytest.raises(TypeError, match="a pass must be"):
        optimize(net, passes=[3])
    with pytest.raises(ValueError, match="max_rounds"):
        optimize(net, max_rounds=0)
    assert optimize(net)[0].num_gates == 1
