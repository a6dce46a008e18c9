"""The LUT Verilog under Icarus (both variants) against the tables, linted, and one LUT-6 per gate in Yosys."""

import json
import subprocess

import numpy as np
import pytest
from _luts import gate_bank, random_tables

from ldlgn.compiler.lint import lint
from ldlgn.compiler.lut_netlist import lower_lutnet
from ldlgn.compiler.lut_passes import optimize_lut
from ldlgn.compiler.lut_verilog import emit_lut_verilog
from ldlgn.sim.random_luts import random_lut_inputs, random_lutnet
from ldlgn.sim.runner import simulate

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("pipelined", [False, True])
@pytest.mark.parametrize(("k", "tables"), [(3, np.arange(256)), (6, random_tables(6, 48, seed=6))], ids=["k3", "k6"])
def test_rtl_matches_the_tables(tmp_path, k, tables, pipelined):
    net, x, expected = gate_bank(tables, k)
    lut = lower_lutnet(net, "bank")
    design = emit_lut_verilog(lut, tmp_path, "bank", pipeline_every=1 if pipelined else None, fold=False)
    result = simulate(design, x, expected, expected.argmax(1))
    assert result.passed, result.report()


@pytest.mark.parametrize("pipelined", [False, True])
def test_rtl_of_an_optimized_random_net(pipelined):
    net = random_lutnet((48, 32, 16), (6, 4, 3), num_features=6, thresholds=3, input_bits=4, seed=5)
    lut, _ = optimize_lut(lower_lutnet(net, "rnd"))
    x = random_lut_inputs(net, 400, seed=2)
    scores, classes = net.predict(x)
    result = simulate(lut, x, scores, classes, pipelined=pipelined, pipeline_every=2)
    assert result.passed, result.report()


def test_rtl_check_fails_on_a_corrupted_table(tmp_path):
    net, x, expected = gate_bank(random_tables(6, 8, seed=1), 6)
    design = emit_lut_verilog(lower_lutnet(net, "bank"), tmp_path, "bank", fold=False)
    core = tmp_path / "bank_b0.v"
    text = core.read_text()
    line = next(ln for ln in text.splitlines() if "localparam" in ln)
    digit = line.rstrip(";")[-1]
    core.write_text(text.replace(line, line[:-2] + ("1" if digit != "1" else "2") + ";", 1))
    result = simulate(design, x, expected, expected.argmax(1))
    assert not result.passed and result.num_mismatches >= 1


def test_lint_is_clean(tmp_path):
    net = random_lutnet((24, 16, 8), (6, 2, 5), seed=3)
    lut, _ = optimize_lut(lower_lutnet(net, "lintme"))
    for every in (None, 2):
        design = emit_lut_verilog(lut, tmp_path / str(every), "lintme", pipeline_every=every)
        assert lint(design).check().results


def _luts(tmp_path, files: list, top: str) -> int:
    script = f"read_verilog {' '.join(map(str, files))}; synth -flatten -top {top} -lut 6; tee -q -o s.json stat -json"
    subprocess.run(["yosys", "-q", "-p", script], cwd=tmp_path, check=True, capture_output=True, timeout=600)
    stats = json.loads((tmp_path / "s.json").read_text())["modules"]
    return sum(m["num_cells_by_type"].get("$lut", 0) for m in stats.values())


def test_yosys_maps_each_six_input_gate_to_one_lut6(tmp_path):
    # gates reading disjoint input sets: nothing to share, so each gate must be exactly one LUT-6
    tables = random_tables(6, 8, seed=2)
    rng = np.random.default_rng(0)
    from ldlgn.compiler.lutnet import LutLayer, LutNet

    net = LutNet(np.zeros((48, 1), dtype=np.int64), 1, [LutLayer(rng.permutation(48).reshape(8, 6), tables)], 8)
    emit_lut_verilog(lower_lutnet(net, "six"), tmp_path, "six")
    assert _luts(tmp_path, [tmp_path / "six_b0.v"], "six_b0_c0") == 8
    one = tmp_path / "one"
    one.mkdir()
    net1 = LutNet(np.zeros((6, 1), dtype=np.int64), 1, [LutLayer(np.arange(6)[None, :], tables[:1])], 1)
    emit_lut_verilog(lower_lutnet(net1, "one"), one, "one")
    assert _luts(one, [one / "one_b0.v"], "one_b0_c0") == 1


def test_auto_pipeline_counts_a_six_input_level_as_two_lut4_levels(tmp_path):
    net = random_lutnet((24, 16, 8), (6, 6, 6), num_features=6, thresholds=3, input_bits=4, seed=4)
    lut = lower_lutnet(net, "auto6")
    design = emit_lut_verilog(lut, tmp_path, "auto6", pipeline_every="auto", stage_levels=2.0)
    assert design.latency - design.head.get("popcount_registers", 0) - design.head.get("argmax_registers", 0) >= 3 + 2
    x = random_lut_inputs(net, 200, seed=3)
    scores, classes = net.predict(x)
    result = simulate(design, x, scores, classes)
    assert result.passed, result.report()
