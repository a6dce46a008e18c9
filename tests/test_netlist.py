"""Netlist IR: lowering from DiscreteNet, invariants, .npz files, and the analysis view."""

from __future__ import annotations

import json
import zipfile

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldlgn.compiler import graph, lower, optimize
from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.reference import node_values
from ldlgn.compiler.reference import predict as reference_predict
from ldlgn.compiler.serialize import NetlistFileError, load_netlist, save_netlist


def random_discrete(rng, features=5, levels=3, widths=(12, 10, 6), classes=3, input_bits=8):
    layers, w = [], features * levels
    for n in widths:
        layers.append(DiscreteLayer(rng.integers(0, w, n), rng.integers(0, w, n), rng.integers(0, 16, n)))
        w = n
    thr = rng.integers(0, 1 << input_bits, (features, levels))
    return DiscreteNet(thr, input_bits, layers, classes)


def small_net():
    return lower(random_discrete(np.random.default_rng(0)), name="small")


# ---- lowering and reference evaluation -------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    bits=st.sampled_from([1, 4, 8, 12, 16]),
    widths=st.lists(st.integers(1, 12), min_size=0, max_size=4),
)
def test_from_discrete_matches_discrete_net(seed, bits, widths):
    rng = np.random.default_rng(seed)
    classes = 1 if not widths else int(rng.choice([k for k in (1, 2, 3) if widths[-1] % k == 0]))
    dnet = random_discrete(rng, 3, 2, widths, classes if widths else 1, bits)
    net = lower(dnet)
    assert net.num_gates == dnet.num_gates and net.num_inputs == 6
    x = rng.integers(0, 1 << bits, (200, 3))
    x[:4] = [0, 0, 0], [(1 << bits) - 1] * 3, dnet.thresholds[:, 0], dnet.thresholds[:, 1]
    scores, classes_ = reference_predict(net, x)
    ref_scores, ref_classes = dnet.predict(x)
    np.testing.assert_array_equal(scores, ref_scores)
    np.testing.assert_array_equal(classes_, ref_classes)
    np.testing.assert_array_equal(node_values(net, x)[net.outputs].T, dnet.output_bits(x))


@pytest.mark.parametrize("table", range(16))
def test_each_gate_in_node_values(table):
    net = Netlist([0, 1], [0, 0], 2, 1, [[2, 3]], [table], [4], 1)
    x = np.array([[a, b] for a in (0, 1) for b in (0, 1)])
    np.testing.assert_array_equal(node_values(net, x)[4], [(table >> (2 * a + b)) & 1 for a, b in x])


def test_check_inputs_errors():
    net = small_net()
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        reference_predict(net, np.zeros((3, 4), np.uint8))
    with pytest.raises(TypeError, match="dtype float"):
        reference_predict(net, np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"0\.\.255"):
        reference_predict(net, np.full((3, 5), 256))


# ---- validate() ------------------------------------------------------------------------------
def _broken(**change):
    n = small_net()
    kw = dict(
        input_feature=n.input_feature,
        input_threshold=n.input_threshold,
        num_features=n.num_features,
        input_bits=n.input_bits,
        fanin=n.fanin,
        table=n.table,
        outputs=n.outputs,
        num_classes=n.num_classes,
    )
    kw.update(change)
    return Netlist(**kw)


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(input_bits=0), "input_bits must be in 1..16"),
        (dict(input_bits=17), "input_bits must be in 1..16"),
        (dict(input_feature=np.full(15, 5)), "feature outside"),
        (dict(input_threshold=np.zeros(14)), "one entry per input"),
        (dict(table=np.full(28, 16)), "0..15"),
        (dict(table=np.zeros(27)), r"\(G, 2\)"),
        (dict(fanin=np.zeros((28, 3))), r"\(G, 2\)"),
        (dict(fanin=np.full((28, 2), 17 + 27)), "topologically"),
        (dict(fanin=np.full((28, 2), -1)), "topologically"),
        (dict(outputs=np.array([0, 1, 45])), "does not exist"),
        (dict(outputs=np.array([3, 4, 5, 6])), "cannot be split into 3 classes"),
        (dict(num_classes=0), "cannot be split"),
        (dict(outputs=np.zeros((3, 2))), "1-D"),
    ],
)
def test_validate_catches_broken_invariants(change, message):
    with pytest.raises(ValueError, match=message):
        _broken(**change).validate()


def test_validate_accepts_constant_and_input_outputs():
    net = _broken(outputs=np.array([0, 1, 2]), fanin=[], table=[])
    assert net.validate() is net and net.num_gates == 0
    np.testing.assert_array_equal(reference_predict(net, np.zeros((1, 5), np.uint8))[0], [[0, 1, 0]])


# ---- serialization ---------------------------------------------------------------------------
@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_is_exact(tmp_path, compress):
    net = optimize(small_net())[0]
    path = save_netlist(net, tmp_path / "sub" / "n.npz", compress=compress)
    back = load_netlist(path)
    for name in ("input_feature", "input_threshold", "fanin", "table", "outputs"):
        a, b = getattr(net, name), getattr(back, name)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), name
    assert (back.num_features, back.input_bits, back.num_classes, back.name) == (
        net.num_features,
        net.input_bits,
        net.num_classes,
        "small",
    )
    assert sorted(p.name for p in path.parent.iterdir()) == ["n.npz"]  # no temp file left
    save_netlist(net, path)  # overwrite in place
    assert load_netlist(path).num_gates == net.num_gates


def test_save_refuses_bad_targets(tmp_path):
    net = small_net()
    with pytest.raises(ValueError, match=r"end in \.npz"):
        save_netlist(net, tmp_path / "n.bin")
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(IsADirectoryError):
        save_netlist(net, tmp_path / "d.npz")
    net.table[0] = 16
    with pytest.raises(ValueError, match="0..15"):
        save_netlist(net, tmp_path / "n.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz"]


def _arrays(net, **change):
    meta = {
        "format": "ldlgn-netlist",
        "version": 1,
        "num_features": net.num_features,
        "input_bits": net.input_bits,
        "num_classes": net.num_classes,
        "name": net.name,
        "num_inputs": net.num_inputs,
        "num_gates": net.num_gates,
        "num_outputs": net.outputs.size,
    }
    meta.update(change.pop("meta", {}))
    arrays = {k: getattr(net, k) for k in ("input_feature", "input_threshold", "fanin", "table", "outputs")}
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    arrays.update(change)
    return {k: v for k, v in arrays.items() if v is not None}


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(fanin=None), "missing array"),
        (dict(metadata=None), "missing array"),
        (dict(meta={"format": "other-tool"}), "format is 'other-tool'"),
        (dict(meta={"version": 99}), "version 99 is newer"),
        (dict(meta={"num_gates": 3}), "num_gates=3 but the arrays hold"),
        (dict(meta={"input_bits": "8"}), "'input_bits' must be an integer"),
        (dict(meta={"name": 5}), "'name' must be a string"),
        (dict(metadata=np.frombuffer(b"{not json", np.uint8)), "not JSON"),
        (dict(metadata=np.zeros(3)), "metadata must be 1-D uint8"),
        (dict(table=np.zeros(28, np.float32)), "array 'table' must be uint8"),
        (dict(fanin=np.zeros(56, np.int32)), "array 'fanin' must be int32 with 2"),
        (dict(fanin=np.full((28, 2), 99, np.int32)), "topologically"),
        (dict(table=np.array([np.zeros(1)] * 28, dtype=object)), "pickled"),
    ],
)
def test_load_rejects_foreign_or_inconsistent_files(tmp_path, change, message):
    path = tmp_path / "n.npz"
    np.savez(path, **_arrays(small_net(), **change))
    with pytest.raises(NetlistFileError, match=message) as e:
        load_netlist(path)
    assert str(path) in str(e.value)


def test_load_rejects_corrupt_files(tmp_path):
    path = save_netlist(small_net(), tmp_path / "n.npz")
    data = path.read_bytes()
    for name, content in [
        ("truncated.npz", data[: len(data) // 2]),
        ("garbage.npz", b"\x00junk" * 50),
        ("empty.npz", b""),
    ]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(NetlistFileError, match="not a valid ldlgn-netlist file"):
            load_netlist(tmp_path / name)
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(NetlistFileError, match="single .npy array"):
        load_netlist(tmp_path / "single.npy")
    bad = bytearray(data)
    with zipfile.ZipFile(path) as z:  # flip bytes inside the stored table array
        info = z.getinfo("table.npy")
    bad[info.header_offset + 60 : info.header_offset + 90] = b"\xff" * 30
    (tmp_path / "flipped.npz").write_bytes(bytes(bad))
    with pytest.raises(NetlistFileError):
        load_netlist(tmp_path / "flipped.npz")
    with pytest.raises(FileNotFoundError, match="netlist file not found"):
        load_netlist(tmp_path / "absent.npz")


# ---- analysis --------------------------------------------------------------------------------
def graph_levels(g):
    lev = {}
    for n in nx.topological_sort(g):
        preds = list(g.predecessors(n))
        lev[n] = 1 + max(lev[p] for p in preds) if preds else 0
    return lev


def test_analysis_agrees_with_networkx():
    rng = np.random.default_rng(3)
    net = optimize(lower(random_discrete(rng, 4, 3, (30, 30, 20, 12), 4)))[0]
    g = graph.to_networkx(net)
    assert g.number_of_nodes() == net.num_nodes
    lev = graph.levels(net)
    assert lev.tolist() == [graph_levels(g)[n] for n in range(net.num_nodes)]
    assert graph.depth(net) == max(lev[o] for o in net.outputs)
    path = graph.critical_path(net)
    assert len(path) == graph.depth(net) + 1 and path[-1] in net.outputs.tolist()
    assert all(g.has_edge(u, v) for u, v in zip(path, path[1:]))
    assert lev[path[0]] == 0 and graph.depth(net) > 0
    counts = graph.fanout_counts(net)
    refs = np.bincount(net.outputs, minlength=net.num_nodes)
    assert all(counts[n] == g.out_degree(n) + refs[n] for n in range(net.num_nodes))
    fo = graph.fanout(net)
    assert fo["max"] == counts[2:].max() and sum(fo["histogram"]) == net.num_inputs + net.num_gates
    assert np.isclose(fo["mean"], counts[2:].mean())


def test_networkx_attributes_and_histogram():
    net = Netlist([0, 1], [3, 7], 2, 8, [[2, 3], [4, 4], [2, 4]], [8, tt.NOT_A, 6], [5, 6, 1, 2], 2, "tiny")
    g = graph.to_networkx(net)
    assert g.graph["name"] == "tiny" and g.graph["outputs"] == [5, 6, 1, 2]
    assert g.nodes[1] == {"kind": "const", "value": 1, "outputs": [(1, 0)]}
    assert g.nodes[3] == {"kind": "input", "feature": 1, "threshold": 7}
    assert g.nodes[4]["gate"] == "AND" and g.nodes[5]["gate"] == "NOT_A" and g.nodes[6]["gate"] == "XOR"
    assert g.nodes[5]["outputs"] == [(0, 0)] and g.edges[4, 5]["pins"] == [0, 1]
    assert g.edges[2, 6]["pins"] == [0] and g.edges[4, 6]["pins"] == [1]
    assert graph.gate_histogram(net).tolist() == [1 if t in (8, 3, 6) else 0 for t in range(16)]
    assert graph.gate_name(tt.OP_ID_TO_TABLE[11]) == "A_OR_NOT_B"
    s = graph.summary(net)
    assert s["gates"] == 3 and s["inputs"] == 2 and s["outputs"] == 4 and s["classes"] == 2
    assert s["depth"] == 2 and s["constant_outputs"] == 1 and s["input_outputs"] == 1
    assert s["max_fanout"] == 3 and s["gates_by_name"] == {"AND": 1, "NOT_A": 1, "XOR": 1}
    assert s["unused_inputs"] == 0
