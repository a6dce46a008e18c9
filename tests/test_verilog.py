"""Verilog back end: structure, lint (iverilog, yosys, pyverilog), Yosys report, bad input."""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pytest

from ldlgn.compiler.lint import LintError, ToolNotFoundError, lint, require_tool
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.reference import predict as reference_predict
from ldlgn.compiler.verilog import VerilogDesign, emit_verilog
from ldlgn.compiler.verilog_arith import TEMPLATES
from ldlgn.compiler.yosys import yosys_report
from ldlgn.sim import simulate
from ldlgn.sim.random_nets import random_inputs, random_netlist


@pytest.fixture(scope="module")
def net():
    return random_netlist(600, num_features=6, thresholds=3, layers=5, num_classes=3, seed=7, special_outputs=4)


@pytest.mark.parametrize("every", [None, 2])
def test_lint_clean(net, tmp_path, every):
    design = emit_verilog(net, tmp_path, pipeline_every=every, chunk_size=90)
    report = lint(design)
    assert report.results["iverilog"] == "clean"
    assert report.results["yosys"] == "clean"
    assert report.results["pyverilog"] == "clean"
    report.check()
    core = "".join((design.out_dir / f).read_text() for f in design.files_by_role["core"])
    assert core.count("module net_b") >= 2  # several chunk modules


@pytest.mark.slow
def test_lint_clean_with_constant_comparators_and_one_class(tmp_path):
    # x0 > -1 is always 1, x0 > 255 always 0, feature 1 feeds nothing, one class of 3 bits
    net = Netlist([0, 0, 2, 1], [-1, 255, 7, 3], 3, 8, [[2, 3], [4, 6]], [6, 8], [6, 7, 1], 1)
    for every in (None, 1):
        design = emit_verilog(net, tmp_path / str(every), pipeline_every=every)
        assert lint(design).check().clean
        text = (tmp_path / str(every) / "net_enc.v").read_text()  # the encoder module
        assert "1'b1" in text and "f0" not in text and "f2 > 8'd7" in text


def test_lint_reports_broken_rtl(net, tmp_path):
    design = emit_verilog(net, tmp_path)
    top = design.out_dir / f"{design.top}.v"
    top.write_text(top.read_text().replace("endmodule", "wire undeclared_use = nowhere;\nendmodule", 1))
    report = lint(design, pyverilog=False)
    assert not report.clean
    with pytest.raises(LintError, match="nowhere"):
        report.check()


def test_interface_and_latency(net, tmp_path):
    comb = emit_verilog(net, tmp_path / "c")
    assert comb.latency == 0 and not comb.pipelined
    text = (tmp_path / "c" / "net.v").read_text()
    assert "clk" not in text and f"[{net.num_features * net.input_bits - 1}:0] x" in text
    assert f"[{net.num_classes * comb.score_width - 1}:0] scores" in text
    for every in (1, 2, 4):
        d = emit_verilog(net, tmp_path / f"p{every}", pipeline_every=every)
        assert d.latency == -(-d.depth // every) + 2
        assert f"ldlgn_valid_pipe #(.L({d.latency}))" in (tmp_path / f"p{every}" / "net.v").read_text()
        assert d.num_registers > 0
    assert comb.score_width == int(net.group_size).bit_length()


def test_flat_scalar_core_without_dead_gates(tmp_path):
    fanin = np.array([[2, 3], [4, 3], [5, 2], [6, 4]])  # gate 5 (node 7) is read by nobody
    net = Netlist([0, 1], [10, 20], 2, 8, fanin, [6, 8, 1, 14], [6, 5], 2)
    design = emit_verilog(net, tmp_path)
    core = "".join(p.read_text() for p in tmp_path.glob("net_b*.v"))
    assert "n7" not in core  # dead gate
    assert design.num_gates == 3
    assert not re.search(r"assign\s+\w+\[\d+\]", core)  # never single-bit assigns into vectors
    assert "nand" not in core and "nor g6" in core  # table 1 = NOR as a primitive


def test_templates_ship_as_package_data():
    root = resources.files("ldlgn.rtl_templates")
    for name in TEMPLATES:
        assert "module ldlgn_" in root.joinpath(name).read_text()


def test_manifest_round_trip_and_stale_files(net, tmp_path):
    d = emit_verilog(net, tmp_path, pipeline_every=1)
    assert (tmp_path / "net_r1.v").exists()
    d2 = emit_verilog(net, tmp_path)  # fewer files now: the old bands must go
    assert not (tmp_path / "net_r1.v").exists() and not (tmp_path / "net_b1.v").exists()
    loaded = VerilogDesign.load(tmp_path)
    assert loaded.files == d2.files and loaded.latency == 0 and d.latency > 0
    (tmp_path / "design.json").write_text("{not json")
    with pytest.raises(ValueError, match="corrupt"):
        VerilogDesign.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="design.json"):
        VerilogDesign.load(tmp_path / "nowhere")


@pytest.mark.slow
def test_yosys_report_sane(net, tmp_path):
    comb = emit_verilog(net, tmp_path / "c")
    r = yosys_report(comb)
    assert 0 < r["luts"] <= r["cells"]
    assert r["luts"] <= comb.num_gates + net.outputs.size  # core plus popcounts
    assert r["flip_flops"] == 0 and r["lut_depth"] >= 2
    piped = emit_verilog(net, tmp_path / "p", pipeline_every=1)
    rp = yosys_report(piped)
    assert rp["flip_flops"] > 0 and rp["luts"] > 0
    assert rp["lut_depth"] <= r["lut_depth"]  # registers cut the longest path


def test_yosys_report_of_trivial_net(tmp_path):
    net = Netlist([0], [100], 1, 8, np.zeros((0, 2)), [], [2, 0], 2)  # x > 100 vs constant 0
    r = yosys_report(emit_verilog(net, tmp_path))
    assert 1 <= r["luts"] <= 3  # one 8-input comparator; the argmax folds away (class is 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "3bad"}, "identifier"),
        ({"name": "module"}, "identifier"),
        ({"pipeline_every": 0}, "positive"),
        ({"pipeline_every": 1.5}, "positive"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_options(net, tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        emit_verilog(net, tmp_path, **kwargs)


def test_bad_netlists(tmp_path):
    with pytest.raises(TypeError, match="Netlist"):
        emit_verilog("net.npz", tmp_path)
    broken = Netlist([0], [1], 1, 8, [[3, 2]], [8], [3], 1)  # gate reads itself
    with pytest.raises(ValueError, match="topologically"):
        emit_verilog(broken, tmp_path)
    empty = Netlist([0], [1], 1, 8, np.zeros((0, 2)), [], [], 1)
    with pytest.raises(ValueError, match="no outputs"):
        emit_verilog(empty, tmp_path)


def test_missing_tool_is_named_with_install_hint(net, tmp_path, monkeypatch):
    design = emit_verilog(net, tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolNotFoundError, match="sudo apt-get install iverilog"):
        lint(design)
    with pytest.raises(ToolNotFoundError, match="yosys"):
        yosys_report(design)
    with pytest.raises(ToolNotFoundError, match="sudo apt-get install verilator"):
        require_tool("verilator")


def _wide_netlist() -> Netlist:
    """A random 16-bit net whose comparators sit at the edges of the range and of bit 15."""
    net = random_netlist(300, num_features=4, thresholds=4, input_bits=16, layers=4, num_classes=3, seed=16)
    edges = [0, 255, 256, 32766, 32767, 32768, 65533, 65534, 65535, -1]  # 65535 and -1: constant comparators
    net.input_threshold[: len(edges)] = edges
    return net.validate()


def _wide_inputs(net: Netlist) -> np.ndarray:
    rng = np.random.default_rng(16)
    edges = np.array([0, 1, 255, 256, 257, 32767, 32768, 32769, 65534, 65535])
    x = np.concatenate([rng.choice(edges, size=(40, net.num_features)), random_inputs(net, 40, seed=16)])
    return x.astype(np.uint16)


@pytest.mark.parametrize("pipelined", [False, True])
def test_16_bit_inputs_simulate_bit_exactly(pipelined):
    net = _wide_netlist()
    x = _wide_inputs(net)
    assert x.max() == 65535 and (x > 32767).mean() > 0.3
    scores, classes = reference_predict(net, x)
    r = simulate(net, x, scores, classes, pipelined=pipelined, pipeline_every=2)
    assert r.passed, r.report()
    assert r.samples == len(x)
