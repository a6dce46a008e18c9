"""A trained digits model through `ldlgn compile`, `verify` and `report`: every engine on the whole
test split, both RTL variants, and corrupted artifacts caught."""

import json
import re
import shutil

import pytest

from ldlgn.cli import main
from ldlgn.compiler import load_netlist, save_netlist
from ldlgn.datasets import load_dataset
from ldlgn.train import TrainConfig, train

pytestmark = pytest.mark.slow  # the module's fixture trains a digits model (about a minute)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    metrics = train(TrainConfig(width=1000, depth=4, steps=600, eval_every=200, tau=6.0), root / "run", progress=False)
    assert metrics["test_acc_discrete"] > 0.85
    build = root / "build"
    assert (
        main(
            [
                "compile",
                str(root / "run" / "model.pt"),
                "--out",
                str(build),
                "--c",
                "--verilog",
                "--pipeline",
                "2",
                "--name",
                "digits",
            ]
        )
        == 0
    )
    return root / "run" / "model.pt", build


def test_compile_writes_every_artifact(run):
    _, build = run
    report = json.loads((build / "report.json").read_text())
    c, rtl = report["backends"]["c"], report["backends"]["verilog"]
    assert c["build_seconds"] > 0 and c["gates"] == rtl["gates"] == report["gates_opt"]
    assert report["gates_raw"] == 4000 and 0 < report["gates_opt"] < report["gates_raw"]
    assert report["classes"] == 10 and report["inputs"] == 64 * 3
    assert rtl["latency_cycles"] >= 2 and rtl["pipeline_every"] == 2
    assert rtl["yosys"]["luts"] > 0 and rtl["yosys"]["flip_flops"] > 0
    assert all(v == "clean" or v.startswith("skipped") for v in rtl["lint"].values())
    assert set(report["manifest"]) >= {"netlist.npz", "c/digits.h", "verilog/digits.v"}
    assert (build / "c" / "digits.h").is_file() and (build / "netlist.npz").is_file()
    assert any(p.suffix == ".v" for p in (build / "verilog").iterdir())
    net = load_netlist(build / "netlist.npz")
    assert net.num_gates == report["gates_opt"]


def test_verify_every_engine_on_whole_test_split(run, capsys):
    model, build = run
    assert main(["verify", str(model), "--build", str(build)]) == 0
    out = capsys.readouterr().out
    n_test = len(load_dataset("digits", seed=0).y_test)
    data = json.loads((build / "verify.json").read_text())
    assert data["passed"] is True
    engines = {e["engine"]: e for e in data["engines"]}
    assert set(engines) == {"torch", "numba", "c", "rtl", "rtl-pipelined"}
    for e in engines.values():
        assert e["samples"] == n_test and e["agreement"] == 1.0 and e["mismatches"] == 0
    assert "all engines agree" in out


def test_report_cli(run, capsys):
    _, build = run
    assert main(["report", str(build)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"LUT-6\s+\d+", out) and re.search(r"gates \(optimized\)\s+\d+", out)


def _flip_output_gate(build):
    """Negate the truth table of a gate that drives an output: the scores must change."""
    net = load_netlist(build / "netlist.npz")
    gate = int(net.outputs[net.outputs >= net.first_gate][0]) - net.first_gate
    net.table[gate] ^= 0xF
    save_netlist(net, build / "netlist.npz")


def test_verify_catches_a_corrupted_netlist(run, tmp_path, capsys):
    model, build = run
    bad = tmp_path / "bad"
    shutil.copytree(build, bad)
    _flip_output_gate(bad)
    assert main(["verify", str(model), "--build", str(bad), "--engines", "torch,numba,c", "--samples", "50"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "sample 0: expected scores" in out
    data = json.loads((bad / "verify.json").read_text())
    # the shipped C library was built before the netlist was edited: it still agrees; the manifest names the edit
    failed = {e["engine"]: e for e in data["engines"] if e["mismatches"]}
    assert not data["passed"] and set(failed) == {"numba", "manifest"}
    assert "netlist.npz: changed since compile" in failed["manifest"]["first_mismatch"]


def test_verify_catches_corrupted_rtl(run, tmp_path, capsys):
    model, build = run
    bad = tmp_path / "badrtl"
    shutil.copytree(build, bad)
    core = [p for p in (bad / "verilog").glob("*.v") if re.search(r"\bxor\b|\^", p.read_text())]
    assert core, "no XOR gate in the emitted core to corrupt"
    text = core[0].read_text()
    m = re.search(r"\bxor\b", text)
    text = text[: m.start()] + "and" + text[m.end() :] if m else text.replace("^", "&", 1)
    core[0].write_text(text)
    assert main(["verify", str(model), "--build", str(bad), "--engines", "torch,rtl-pipelined"]) == 1
    data = json.loads((bad / "verify.json").read_text())
    rtl = next(e for e in data["engines"] if e["engine"] == "rtl-pipelined")
    assert rtl["mismatches"] > 0 and rtl["first_mismatch"].startswith("sample ")


def test_bad_input_is_named(run, tmp_path, capsys):
    model, build = run
    assert main(["compile", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "b"), "--c"]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert main(["verify", str(model), "--build", str(tmp_path / "nobuild")]) == 2
    assert "report.json not found" in capsys.readouterr().err
    assert main(["verify", str(model), "--build", str(build), "--engines", "torch,gpu"]) == 2
    assert "unknown engines" in capsys.readouterr().err
    assert main(["compile", str(model), "--out", str(tmp_path / "c"), "--c", "--name", "9bad name"]) == 2
    assert "name" in capsys.readouterr().err
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "report.json").write_text("{not json")
    assert main(["report", str(tmp_path / "corrupt")]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_verify_defaults_to_the_engines_a_build_has(run, tmp_path, capsys):
    from ldlgn.sim.verify import available_engines, engine_names

    model, build = run
    assert available_engines(build) == engine_names() == ("torch", "numba", "c", "rtl", "rtl-pipelined")
    assert main(["compile", str(model), "--out", str(tmp_path / "bare"), "--no-yosys"]) == 0
    assert available_engines(tmp_path / "bare") == ("torch", "numba")
    assert main(["verify", str(model), "--build", str(tmp_path / "bare"), "--samples", "30"]) == 0
    data = json.loads((tmp_path / "bare" / "verify.json").read_text())
    assert [e["engine"] for e in data["engines"]] == ["torch", "numba"] and data["passed"]


def test_compile_option_errors(run, tmp_path, capsys):
    model, _ = run
    assert main(["compile", str(model), "--out", str(tmp_path / "p"), "--c", "--pipeline", "2"]) == 2
    assert "add --verilog" in capsys.readouterr().err
    assert main(["compile", str(model), "--out", str(tmp_path / "k"), "--name", "module"]) == 2
    assert "Verilog identifier" in capsys.readouterr().err
    assert not (tmp_path / "p").exists() and not (tmp_path / "k").exists()
