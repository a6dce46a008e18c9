"""The flat LUT netlist: lowering from LutNet, invariants, the two-input conversion and its files."""

import json

import numpy as np
import pytest

from ldlgn.compiler.lower import lower
from ldlgn.compiler.lut_netlist import from_netlist, lower_lutnet, reference_predict, to_netlist
from ldlgn.compiler.lut_serialize import load_any_netlist, load_lut_netlist, save_lut_netlist
from ldlgn.compiler.lutnet import LutNet
from ldlgn.compiler.reference import predict as netlist_predict
from ldlgn.compiler.serialize import NetlistFileError, save_netlist
from ldlgn.sim.random_luts import random_lut_inputs, random_lutnet
from ldlgn.sim.random_nets import random_netlist


@pytest.mark.parametrize("seed", range(3))
def test_lowering_keeps_the_lutnet_semantics(seed):
    net = random_lutnet(widths=(20, 12, 8), arities=(6, 1, 4), seed=seed)
    lut = lower_lutnet(net, "n")
    x = random_lut_inputs(net, 300, seed=seed)
    scores, classes = net.predict(x)
    got = reference_predict(lut, x)
    assert np.array_equal(got[0], scores) and np.array_equal(got[1], classes)
    assert lut.arity_histogram() == {"1": 12, "4": 8, "6": 20}


def test_two_input_lutnet_lowers_to_todays_netlist():
    rnet = random_netlist(200, seed=1)
    lut = from_netlist(rnet)
    back = to_netlist(lut)
    for k in ("input_feature", "input_threshold", "fanin", "table", "outputs"):
        assert np.array_equal(getattr(back, k), getattr(rnet, k)), k
    # a LutNet from a DiscreteNet lowers to exactly what lower() gives
    from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet

    rng = np.random.default_rng(0)
    d = DiscreteNet(
        np.sort(rng.integers(0, 16, (4, 2)), 1), 4, [DiscreteLayer([0, 1, 2, 7], [3, 3, 5, 6], [1, 6, 9, 14])], 2
    )
    a, b = lower(d, "x"), to_netlist(lower_lutnet(LutNet.from_discrete(d), "x"))
    for k in ("input_feature", "input_threshold", "fanin", "table", "outputs"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k


def test_one_input_gates_convert_to_the_canonical_form():
    net = random_lutnet(widths=(8, 4), arities=(1, 2), seed=4)
    lut = lower_lutnet(net)
    two = to_netlist(lut)
    assert (two.fanin[:8, 0] == two.fanin[:8, 1]).all() and set(two.table[:8].tolist()) <= {0, 3, 12, 15}
    x = random_lut_inputs(net, 200)
    assert np.array_equal(netlist_predict(two, x)[0], net.predict(x)[0])


def test_to_netlist_refuses_wide_gates():
    with pytest.raises(ValueError, match="arity 6"):
        to_netlist(lower_lutnet(random_lutnet()))


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda n: n.fanin.__setitem__((0, 5), 3), "unused fan-in pins"),
        (lambda n: n.table.__setitem__(-1, np.uint64(1) << np.uint64(40)), "beyond the 2\\*\\*arity rows"),
        (lambda n: n.arity.__setitem__(0, 7), "arity must be in 0..6"),
        (lambda n: n.fanin.__setitem__((0, 0), n.first_gate), "topologically"),
        (lambda n: n.outputs.__setitem__(0, n.num_nodes), "does not exist"),
    ],
)
def test_validate_names_the_broken_rule(edit, match):
    lut = lower_lutnet(random_lutnet(widths=(8, 4), arities=(3, 3)))
    edit(lut)
    with pytest.raises(ValueError, match=match):
        lut.validate()


def test_file_round_trip_with_bit_63(tmp_path):
    lut = lower_lutnet(random_lutnet(seed=7), "lut7")
    lut.table[0] |= np.uint64(1) << np.uint64(63)  # a six-input gate of layer 0
    path = save_lut_netlist(lut, tmp_path / "n.npz")
    back = load_lut_netlist(path)
    assert back.name == "lut7" and back.table.dtype == np.uint64
    for k in ("input_feature", "input_threshold", "fanin", "arity", "table", "outputs"):
        assert np.array_equal(getattr(back, k), getattr(lut, k)), k
    assert isinstance(load_any_netlist(path), type(lut))
    two = random_netlist(50)
    save_netlist(two, tmp_path / "two.npz")
    assert type(load_any_netlist(tmp_path / "two.npz")).__name__ == "Netlist"


def test_loader_refuses_broken_files(tmp_path):
    lut = lower_lutnet(random_lutnet(seed=1))
    path = save_lut_netlist(lut, tmp_path / "n.npz")
    z = dict(np.load(path))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **{**z, "table": z["table"].astype(np.int64)})
    with pytest.raises(NetlistFileError, match="'table' must be uint64"):
        load_lut_netlist(bad)
    meta = json.loads(z["metadata"].tobytes())
    meta["num_gates"] += 1
    np.savez(bad, **{**z, "metadata": np.frombuffer(json.dumps(meta).encode(), np.uint8)})
    with pytest.raises(NetlistFileError, match="num_gates"):
        load_lut_netlist(bad)
    np.savez(bad, **{**z, "fanin": z["fanin"][:, ::-1].copy()})
    with pytest.raises(NetlistFileError, match="unused fan-in pins|topologically"):
        load_lut_netlist(bad)
    bad.write_bytes(path.read_bytes()[:100])
    with pytest.raises(NetlistFileError, match="corrupt or truncated"):
        load_lut_netlist(bad)
    save_netlist(random_netlist(30), tmp_path / "two.npz")
    with pytest.raises(NetlistFileError, match="expected 'ldlgn-lut-netlist'"):
        load_lut_netlist(tmp_path / "two.npz")
