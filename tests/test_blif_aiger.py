"""BLIF and AIGER of the gate netlist (docs/formal.md): the truth-table convention in the files,
round trips through Yosys and ABC, the back ends in a build, and files the readers refuse."""

import json
import subprocess

import numpy as np
import pytest

from ldlgn.compiler import Netlist, optimize
from ldlgn.compiler.aig import netlist_to_aig
from ldlgn.compiler.aiger import AigerError, aiger_bytes, parse_aiger, read_aiger, write_aiger
from ldlgn.compiler.blif import blif_text, parse_blif
from ldlgn.compiler.formal import netlist_obligation, prove
from ldlgn.compiler.pipeline import compile_netlist
from ldlgn.compiler.reference import node_values, predict
from ldlgn.sim.random_nets import random_inputs, random_netlist


def _net(seed=0, classes=3):
    net = random_netlist(
        300, num_features=6, thresholds=3, input_bits=4, layers=4, num_classes=classes, seed=seed, special_outputs=4
    )
    net.input_threshold[:2] = [-1, 15]  # an always-true and a never-true comparator
    net.table[:16] = np.arange(16)
    return net


def _outputs(net, x):
    return node_values(net, x)[net.outputs]


def _aig_outputs(aig, net, x):
    """Outputs of the netlist's AIG (inputs: the comparators) on raw inputs ``x``."""
    comparators = (x[:, net.input_feature] > net.input_threshold).astype(bool)
    return aig.simulate(comparators).T


def _inputs(net):
    return [f"n{2 + i}" for i in range(net.num_inputs)]


def test_names_rows_follow_the_truth_table_convention():
    """Gate n4 = table(n2, n3): row ``ab`` is listed exactly when bit 2a + b of the table is set."""
    for table in range(16):
        net = Netlist([0, 1], [0, 0], 2, 1, [[2, 3]], [table], [4], 1)
        text = blif_text(net, "t")
        cover = text.split(".names n2 n3 n4\n")[1].split(".names")[0].split() if ".names n2 n3 n4" in text else []
        rows = {cover[i] for i in range(0, len(cover), 2)}
        want = {f"{r >> 1}{r & 1}" for r in range(4) if (table >> r) & 1}
        if table in (0, 3, 5, 10, 12, 15):  # constants and single-input gates read fewer inputs
            assert ".names n2 n3 n4" not in text
        else:
            assert rows == want, table


@pytest.mark.parametrize("seed", [0, 1])
def test_blif_reads_back_to_the_same_function(seed):
    net = _net(seed)
    for n in (net, optimize(net)[0]):
        back = parse_blif(blif_text(n, "t"), _inputs(n), n)
        x = random_inputs(n, 400, seed)
        assert (_outputs(n, x) == _outputs(back, x)).all()


def test_aiger_bytes_read_back_exactly():
    aig = netlist_to_aig(_net())
    back = parse_aiger(aiger_bytes(aig))
    assert back.num_inputs == aig.num_inputs and np.array_equal(back.outputs, aig.outputs)
    assert np.array_equal(np.sort(back.ands, 1), np.sort(aig.ands, 1)) and back.output_names == aig.output_names


def _run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_blif_and_aiger_round_trip_through_yosys(tmp_path):
    net = _net(2)
    (tmp_path / "n.blif").write_text(blif_text(net, "n"))
    write_aiger(netlist_to_aig(net), tmp_path / "n.aig")
    _run(
        ["yosys", "-q", "-p", "read_blif n.blif; hierarchy -top n; techmap; aigmap; write_aiger -symbols b.aig"],
        tmp_path,
    )
    _run(["yosys", "-q", "-p", "read_aiger -module_name n n.aig; write_aiger -symbols a.aig"], tmp_path)
    x = random_inputs(net, 300, 2)
    want = _outputs(net, x).astype(bool)
    for name in ("a.aig", "b.aig"):
        aig = read_aiger(tmp_path / name)
        order = [aig.input_names.index(n) for n in _inputs(net)]  # Yosys keeps the ports by name
        comparators = (x[:, net.input_feature] > net.input_threshold).astype(bool)
        rows = np.zeros((len(x), aig.num_inputs), bool)
        rows[:, order] = comparators
        got = aig.simulate(rows).T
        by_name = [aig.output_names.index(f"o{j}") for j in range(net.outputs.size)]
        assert (got[by_name] == want).all(), name


def test_blif_and_aiger_round_trip_through_abc(tmp_path):
    net = _net(3)
    (tmp_path / "n.blif").write_text(blif_text(net, "n"))
    write_aiger(netlist_to_aig(net), tmp_path / "n.aig")
    out = _run(["yosys-abc", "-c", "read_blif n.blif; strash; write_aiger -s b.aig; cec n.aig b.aig"], tmp_path)
    assert "Networks are equivalent" in out
    _run(["yosys-abc", "-c", "read n.aig; strash; dc2; write_aiger -s a.aig"], tmp_path)
    for name in ("a.aig", "b.aig"):
        x = random_inputs(net, 300, 3)
        assert (_aig_outputs(read_aiger(tmp_path / name), net, x) == _outputs(net, x).astype(bool)).all(), name
    # and ABC's result back as a netlist is proved equal
    back = parse_blif((tmp_path / "n.blif").read_text(), _inputs(net), net)
    assert prove(netlist_obligation(net, back)).proved


def test_the_back_ends_write_their_files_into_the_build(tmp_path):
    net = _net(4)
    report = compile_netlist(net, tmp_path / "b", "m", emit=("blif", "aiger"), options={"aiger": {"design": True}})
    blif, aiger = report["backends"]["blif"], report["backends"]["aiger"]
    assert blif["files"] == ["blif/m.blif"] and aiger["files"] == ["aiger/m.aig", "aiger/m_design.aig"]
    assert blif["gates"] == aiger["gates"] == report["gates_opt"]
    assert set(report["manifest"]) >= {"blif/m.blif", "aiger/m.aig", "aiger/m_design.aig"}
    opt = optimize(net)[0]
    x = random_inputs(net, 300, 4)
    aig = read_aiger(tmp_path / "b" / "aiger" / "m.aig")
    assert aig.input_names == _inputs(net) and (_aig_outputs(aig, net, x) == _outputs(opt, x).astype(bool)).all()
    design = read_aiger(tmp_path / "b" / "aiger" / "m_design.aig")  # x in, scores and class out
    bits = ((x[:, :, None] >> np.arange(net.input_bits)) & 1).reshape(len(x), -1)
    rows = np.zeros((len(x), design.num_inputs), bool)
    rows[:, [design.input_names.index(f"x[{i}]") for i in range(bits.shape[1])]] = bits
    got = design.simulate(rows).astype(np.int64)
    classes = sum(got[:, design.output_names.index(f"class_out[{i}]")] << i for i in range(2))
    assert (classes == predict(net, x)[1]).all()
    assert json.loads((tmp_path / "b" / "report.json").read_text())["backends"]["aiger"]["design_ands"] > 0


@pytest.mark.parametrize(
    "data, message",
    [
        (b"aig 3 1 1 1 0\n2 3\n2\n", "latches"),
        (b"aig 5 2 0 1 3\n6\n\x02", "truncated"),
        (b"hello\n", "not an AIGER"),
        (b"aig 1 1 0 1 0\nx\n", "outputs"),
    ],
)
def test_the_aiger_reader_refuses_what_it_cannot_read(data, message):
    with pytest.raises((AigerError, ValueError), match=message):
        parse_aiger(data)


def test_the_blif_reader_refuses_wide_covers_and_loops():
    net = Netlist([0, 0, 0], [0, 1, 2], 1, 2, [], [], [2], 1)
    wide = ".model t\n.inputs n2 n3 n4\n.outputs o0\n.names n2 n3 n4 o0\n111 1\n.end\n"
    with pytest.raises(ValueError, match="two at most"):
        parse_blif(wide, ["n2", "n3", "n4"], net)
    loop = ".model t\n.inputs n2 n3 n4\n.outputs o0\n.names a o0\n1 1\n.names o0 a\n1 1\n.end\n"
    with pytest.raises(ValueError, match="loop"):
        parse_blif(loop, ["n2", "n3", "n4"], net)
