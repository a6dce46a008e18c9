"""`ldlgn synth`: the FPGA flow with the real tools on tiny builds (Yosys; nextpnr-ice40 and
nextpnr-ecp5 place and route), synth.json, the figures merged into report.json, missing tools."""

from __future__ import annotations

import json
import re

import pytest

from ldlgn.cli import main
from ldlgn.compiler.lint import ToolNotFoundError
from ldlgn.compiler.serialize import save_netlist
from ldlgn.compiler.synth import synthesize
from ldlgn.compiler.verilog import emit_verilog
from ldlgn.sim.random_nets import random_netlist


def _net():
    return random_netlist(150, num_features=4, thresholds=2, input_bits=4, layers=3, num_classes=3, seed=3)


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    root = tmp_path_factory.mktemp("fpga odd; name")  # the tools must not see the caller's paths
    save_netlist(_net(), root / "tiny.npz")
    out = root / "build"
    assert main(["compile", str(root / "tiny.npz"), "--out", str(out), "--verilog", "--pipeline", "auto"]) == 0
    return out


def test_synth_ice40_end_to_end(build, capsys):
    """Yosys synth_ice40 and the real nextpnr-ice40 on a tiny pipelined build."""
    assert main(["synth", str(build), "--target", "ice40-hx8k"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"ice40-hx8k Fmax\s+[\d.]+ MHz", out)
    data = json.loads((build / "synth.json").read_text())
    s = data["targets"]["ice40-hx8k"]
    assert s["luts"] > 0 and s["flip_flops"] > 0 and s["carry_cells"] >= 0
    assert s["fmax_mhz"] > 10 and s["latency_cycles"] >= 3
    assert s["latency_ns"] == pytest.approx(s["latency_cycles"] * 1000 / s["fmax_mhz"], rel=1e-2)
    assert s["throughput_samples_per_s"] == pytest.approx(s["fmax_mhz"] * 1e6, rel=1e-2)
    assert sum(s["luts_by_part"].values()) == s["comb_cells"]
    assert all(v > 0 for v in s["luts_by_part"].values())
    assert s["tools"]["nextpnr"].startswith("nextpnr-ice40") and s["seconds"]["place_and_route"] > 0
    report = json.loads((build / "report.json").read_text())
    assert report["synth"]["ice40-hx8k"]["fmax_mhz"] == s["fmax_mhz"]
    assert main(["report", str(build)]) == 0  # the manifest still holds: synth.json is not an artifact
    assert "ice40-hx8k LUTs by part" in capsys.readouterr().out


def test_synth_lut6_merges_targets(build):
    assert main(["synth", str(build), "--target", "lut6"]) == 0
    targets = json.loads((build / "synth.json").read_text())["targets"]
    s = targets["lut6"]
    assert s["fmax_mhz"] is None and s["lut_depth"] >= 1 and s["lut_inputs"] == 6
    assert s["luts"] == s["comb_cells"] == sum(s["luts_by_part"].values())
    assert s["counted_bits"] > 0 and s["popcount_luts_per_counted_bit"] > 0


def test_combinational_design_gets_an_fmax(tmp_path):
    """The harness registers inputs and outputs: a combinational design is timed end to end."""
    net = _net()
    comb = synthesize(emit_verilog(net, tmp_path / "c"), "ice40-hx8k")
    piped = synthesize(emit_verilog(net, tmp_path / "p", pipeline_every="auto", stage_levels=2), "ice40-hx8k")
    assert comb["latency_cycles"] == 0 and comb["flip_flops"] == 0 and comb["fmax_mhz"] > 0
    assert piped["fmax_mhz"] > comb["fmax_mhz"]


def test_legacy_head_parts(tmp_path):
    d = emit_verilog(_net(), tmp_path, popcount="adder")
    s = synthesize(d, "lut6")
    assert s["head"]["popcount"] == "adder" and all(v > 0 for v in s["luts_by_part"].values())


@pytest.mark.slow
def test_synth_ecp5_out_of_context(tmp_path):
    """synth_ecp5 and nextpnr-ecp5 (native, or the WebAssembly build of the [fpga] extra)."""
    try:
        s = synthesize(emit_verilog(_net(), tmp_path, pipeline_every="auto"), "ecp5-25k")
    except ToolNotFoundError as e:
        pytest.skip(str(e))
    assert s["fmax_mhz"] > 50 and s["utilization"]["TRELLIS_COMB"]["used"] > 0
    assert s["comb_cells"] == s["luts"] + 2 * s["carry_cells"]


def test_missing_tools_are_named(build, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr("sys.executable", str(tmp_path / "empty" / "python"))
    with pytest.raises(ToolNotFoundError, match="apt-get install nextpnr-ice40 fpga-icestorm|apt-get install yosys"):
        main_synth(build, "ice40-hx8k")
    with pytest.raises(ToolNotFoundError, match=r"ldlgn\[fpga\]|apt-get install yosys"):
        main_synth(build, "ecp5-25k")


def main_synth(build, target):
    from ldlgn.compiler.fpga import synth_build

    return synth_build(build, target)


def test_bad_requests(build, tmp_path, capsys):
    assert main(["synth", str(build), "--target", "ice40-hx8k", "--freq", "-3"]) == 2
    assert "clock" in capsys.readouterr().err
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert main(["synth", str(empty)]) == 2
    assert "report.json" in capsys.readouterr().err


NEXTPNR_ICE40_OVERFULL = """\
Info: Device utilisation:
Info: \t         ICESTORM_LC: 10042/ 7680   130%
Info: \t        ICESTORM_RAM:     0/   32     0%
Info: \t               SB_IO:     6/  256     2%
Info: \t               SB_GB:     1/    8    12%

Info: Placed 0 cells based on constraints.
ERROR: Unable to place cell 'u_dut.u_b1_c1.n1979_SB_LUT4_O_LC', no BELs remaining to implement cell type 'ICESTORM_LC'
"""  # nextpnr-ice40 0.4 on the pipelined demo model (3,060 gates), which needs 130 % of an HX8K


def test_a_design_too_large_for_the_device_is_named():
    from ldlgn.compiler.synth import overfull_cells

    assert overfull_cells(NEXTPNR_ICE40_OVERFULL) == "ICESTORM_LC 10042 of 7680 (130 %)"
    assert overfull_cells(NEXTPNR_ICE40_OVERFULL.replace("10042", "7000")) == ""
