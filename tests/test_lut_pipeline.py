"""compile_model on LutNet models: the LUT build folder, verify with every engine, a corrupted build
caught, LUT netlist files, and two-input nets that compile to exactly today's artifacts."""

import json

import numpy as np
import pytest

from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.lut_netlist import LutNetlist, lower_lutnet
from ldlgn.compiler.lut_pipeline import compile_lut_netlist
from ldlgn.compiler.lutnet import LutNet
from ldlgn.compiler.pipeline import compile_model, load_build
from ldlgn.sim.random_luts import random_lut_inputs, random_lutnet
from ldlgn.sim.verify import verify

pytestmark = pytest.mark.slow


class _Model:
    """What compile and verify need of a trained model: ``discrete()`` and a reference ``predict``."""

    def __init__(self, net):
        self.net = net

    def discrete(self):
        return self.net

    def predict(self, x, backend="torch"):
        return self.net.predict(x)


@pytest.fixture(scope="module")
def lut_build(tmp_path_factory):
    net = random_lutnet((60, 40, 20), (6, 4, 3), num_features=6, thresholds=3, input_bits=4, seed=3)
    out = tmp_path_factory.mktemp("lutbuild")
    report = compile_model(
        _Model(net), out, "lutb", emit=("c", "verilog", "blif"), options={"verilog": {"yosys": False}}
    )
    return net, out, report


def test_build_report_and_netlist(lut_build):
    _, out, report = lut_build
    assert report["gates_raw"] == 120 and report["gate_arity"]["raw"] == {"3": 20, "4": 40, "6": 60}
    assert sum(report["gate_arity"]["opt"].values()) == report["gates_opt"] <= 120
    assert set(report["backends"]) == {"c", "verilog", "blif"}
    lut, loaded = load_build(out)
    assert isinstance(lut, LutNetlist) and loaded["name"] == "lutb"
    assert json.loads((out / "report.json").read_text())["gate_arity"] == report["gate_arity"]


def test_report_shows_gates_by_inputs(lut_build, capsys):
    from ldlgn.cli import main

    _, out, report = lut_build
    assert main(["report", str(out)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("gates by inputs"))
    assert all(f"{n} × {k}-input" in line for k, n in report["gate_arity"]["opt"].items())


def test_every_engine_agrees(lut_build):
    net, out, _ = lut_build
    x = random_lut_inputs(net, 600, seed=4)
    rows = verify(_Model(net), out, x, log_line=lambda s: None)
    assert [r.engine for r in rows] == ["torch", "numba", "c", "rtl", "rtl-pipelined"]
    assert all(r.passed for r in rows), [(r.engine, r.first_mismatch) for r in rows]


def test_a_corrupted_c_source_fails_verification(lut_build, tmp_path):
    net, out, _ = lut_build
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    unit = next((bad / "c").glob("lutb_gates*.c"))
    text = unit.read_text()
    unit.write_text(text.replace(" ^ ", " | ", 3))
    rows = verify(_Model(net), bad, random_lut_inputs(net, 600, seed=5), ["c"], log_line=lambda s: None)
    by = {r.engine: r for r in rows}
    assert not by["c"].passed and not by["manifest"].passed


def test_lut_netlist_file_compiles(tmp_path):
    from ldlgn.compiler.lut_serialize import save_lut_netlist

    net = random_lutnet((24, 8), (5, 6), seed=8)
    path = save_lut_netlist(lower_lutnet(net, "f"), tmp_path / "f.npz")
    from ldlgn.compiler.lut_serialize import load_any_netlist

    report = compile_lut_netlist(load_any_netlist(path), tmp_path / "b", "f", emit=("blif",))
    assert report["backends"]["blif"]["gates"] == report["gates_opt"]
    with pytest.raises(ValueError, match="two-input netlists only"):
        compile_lut_netlist(lower_lutnet(net, "f"), tmp_path / "c", "f", emit=("aiger",))


def _two_input_net() -> DiscreteNet:
    rng = np.random.default_rng(2)
    thr = np.sort(rng.integers(0, 256, size=(8, 3)), axis=1)
    layers, width = [], 24
    for w in (40, 24, 12):
        layers.append(DiscreteLayer(rng.integers(0, width, w), rng.integers(0, width, w), rng.integers(0, 16, w)))
        width = w
    return DiscreteNet(thr, 8, layers, 3)


def test_two_input_lutnet_builds_todays_artifacts(tmp_path):
    d = _two_input_net()
    opts = {"emit": ("c", "verilog", "blif"), "options": {"verilog": {"yosys": False}}}
    a = compile_model(_Model(d), tmp_path / "a", "two", **opts)
    b = compile_model(_Model(LutNet.from_discrete(d)), tmp_path / "b", "two", **opts)
    assert "gate_arity" not in b
    files = [f for f in a["manifest"] if f != "netlist.npz"]
    assert files and files == [f for f in b["manifest"] if f != "netlist.npz"]
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    na, nb = load_build(tmp_path / "a")[0], load_build(tmp_path / "b")[0]
    for k in ("input_feature", "input_threshold", "fanin", "table", "outputs"):
        assert np.array_equal(getattr(na, k), getattr(nb, k)), k


def test_cli_compiles_a_lut_netlist_file(tmp_path, capsys):
    from ldlgn.cli import main
    from ldlgn.compiler.lut_serialize import save_lut_netlist

    net = random_lutnet((30, 12), (6, 5), seed=9)
    save_lut_netlist(lower_lutnet(net, "raw"), tmp_path / "raw.npz")
    rc = main(["compile", str(tmp_path / "raw.npz"), "--out", str(tmp_path / "b"), "--emit", "c,blif", "--name", "cli"])
    assert rc == 0 and "42 gates" in capsys.readouterr().out
    lut, report = load_build(tmp_path / "b")
    assert isinstance(lut, LutNetlist) and report["gate_arity"]["raw"] == {"5": 12, "6": 30}
    assert main(["compile", str(tmp_path / "raw.npz"), "--out", str(tmp_path / "c"), "--emit", "aiger"]) == 2
    assert not (tmp_path / "c").exists()
