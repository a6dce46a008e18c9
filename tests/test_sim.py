"""RTL simulation under Icarus Verilog (cocotb): bit-exact against the reference evaluator."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.lint import ToolNotFoundError
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.reference import predict as reference_predict
from ldlgn.compiler.verilog import emit_verilog
from ldlgn.sim import simulate
from ldlgn.sim.random_nets import random_inputs, random_netlist


def _all_gates_net() -> Netlist:
    """Inputs A = x0 > 0, B = x1 > 0 (1-bit features); output k (its own class) is table k."""
    fanin = np.tile([2, 3], (16, 1))
    return Netlist(np.array([0, 1]), np.array([0, 0]), 2, 1, fanin, np.arange(16), 4 + np.arange(16), 16)


@pytest.mark.parametrize("pipelined", [False, True])
def test_all_16_gates_golden(pipelined):
    net = _all_gates_net()
    x = np.array([[a, b] for a in (0, 1) for b in (0, 1)] * 2, dtype=np.uint8)  # rows 00 01 10 11
    golden = np.stack([tt.evaluate(np.arange(16), a, b) for a, b in x]).astype(np.int64)
    assert golden[1].tolist() == [(t >> 1) & 1 for t in range(16)]  # row 01 is bit 1 of each table
    scores, classes = reference_predict(net, x)
    np.testing.assert_array_equal(scores, golden)
    r = simulate(net, x, scores, classes, pipelined=pipelined, pipeline_every=1)
    assert r.passed, r.report()
    assert r.samples == len(x) and r.pipelined == pipelined


@pytest.mark.parametrize(
    "seed, bits, classes, pipelined, every",
    [
        (1, 8, 4, False, None),
        (2, 8, 3, True, 2),
        (3, 12, 5, True, 1),
        (4, 1, 1, False, None),
    ],
)
def test_random_nets_fixed_seeds(seed, bits, classes, pipelined, every):
    net = random_netlist(
        500, num_features=5, thresholds=3, input_bits=bits, layers=5, num_classes=classes, seed=seed, special_outputs=6
    )
    assert set(net.outputs.tolist()) & {0, 1} or (net.outputs < net.first_gate).any()
    x = random_inputs(net, 64, seed=seed)
    r = simulate(net, x, pipelined=pipelined, pipeline_every=every, jobs=1 + seed % 2)
    assert r.passed, r.report()
    assert r.samples == 64 and r.vectors_per_s > 0


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    gates=st.integers(1, 300),
    classes=st.integers(1, 6),
    pipelined=st.booleans(),
    every=st.integers(1, 3),
    special=st.integers(0, 4),
)
def test_random_nets_hypothesis(seed, gates, classes, pipelined, every, special):
    net = random_netlist(
        gates,
        num_features=4,
        thresholds=2,
        input_bits=6,
        layers=3,
        num_classes=classes,
        seed=seed,
        special_outputs=special,
    )
    x = random_inputs(net, 24, seed=seed)
    r = simulate(net, x, pipelined=pipelined, pipeline_every=every)
    assert r.passed, r.report()


def _small_net():
    return random_netlist(200, num_features=4, thresholds=2, layers=3, num_classes=2, seed=11)


def test_corrupted_netlist_is_caught():
    net = _small_net()
    x = random_inputs(net, 16)
    scores, classes = reference_predict(net, x)
    bad = Netlist(
        net.input_feature,
        net.input_threshold,
        net.num_features,
        net.input_bits,
        net.fanin,
        net.table.copy(),
        net.outputs,
        net.num_classes,
    )
    g = int(net.outputs[0]) - net.first_gate
    bad.table[g] ^= 0xF  # this output bit now flips on every sample
    r = simulate(bad, x, scores, classes, jobs=2, max_report=5)  # two simulator processes
    assert not r.passed and r.num_mismatches == len(x) and r.samples == len(x)
    assert [m["index"] for m in r.mismatches] == [0, 1, 2, 3, 4]
    assert r.mismatches[0]["got_scores"] != r.mismatches[0]["expected_scores"]
    assert "sample 0: expected scores" in r.report()


@pytest.mark.parametrize("pipelined", [False, True])
def test_corrupted_rtl_is_caught(tmp_path, pipelined):
    net = _small_net()
    x = random_inputs(net, 16)
    scores, classes = reference_predict(net, x)
    design = emit_verilog(net, tmp_path, pipeline_every=2 if pipelined else None)
    v = int(net.outputs[-1])
    for path in tmp_path.glob("net_b*.v"):  # invert the gate driving the last output
        text = path.read_text()
        new = re.sub(rf"assign n{v} = (.*);", rf"assign n{v} = ~(\1);", text)
        new = re.sub(
            rf"\b(and|or|xor|nand|nor|xnor) g{v} \(",
            lambda m: (
                {"and": "nand", "or": "nor", "xor": "xnor", "nand": "and", "nor": "or", "xnor": "xor"}[m[1]]
                + f" g{v} ("
            ),
            new,
        )
        if new != text:
            path.write_text(new)
            break
    else:
        pytest.fail("output gate not found in the emitted core")
    r = simulate(design, x, scores, classes)
    assert not r.passed and r.num_mismatches == len(x), r.report()
    assert "sample 0:" in r.report()


def test_wrong_latency_is_caught(tmp_path):
    net = _small_net()
    x = random_inputs(net, 8)
    design = emit_verilog(net, tmp_path, pipeline_every=2)
    design.latency += 1
    r = simulate(design, x, *reference_predict(net, x))
    assert not r.passed and "valid_out" in " ".join(r.errors)


def test_bad_input_is_named(tmp_path):
    net = _small_net()
    design = emit_verilog(net, tmp_path)
    x = random_inputs(net, 4)
    s, c = reference_predict(net, x)
    with pytest.raises(ValueError, match="shape"):
        simulate(design, x[:, :2], s, c)
    with pytest.raises(ValueError, match="0..255"):
        simulate(design, x.astype(np.int64) + 256, s, c)
    with pytest.raises(ValueError, match="expected_scores"):
        simulate(design, x, s[:2], c)
    with pytest.raises(ValueError, match="needed"):
        simulate(design, x)
    with pytest.raises(ValueError, match="combinational"):
        simulate(design, x, s, c, pipelined=True)
    with pytest.raises(ValueError, match="jobs"):
        simulate(design, x, s, c, jobs=0)


def test_missing_simulator_is_named(tmp_path, monkeypatch):
    net = _small_net()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError, match="sudo apt-get install iverilog"):
        simulate(net, random_inputs(net, 2))


def test_module_cli(tmp_path, capsys):
    from ldlgn.sim.__main__ import main

    net = _small_net()
    x = random_inputs(net, 8)
    scores, classes = reference_predict(net, x)
    emit_verilog(net, tmp_path / "rtl", pipeline_every=3)
    np.savez(tmp_path / "v.npz", x=x, scores=scores, classes=classes)
    assert main([str(tmp_path / "rtl"), str(tmp_path / "v.npz")]) == 0
    assert "8 samples, 0 mismatches" in capsys.readouterr().out
    scores[3, 0] += 1
    np.savez(tmp_path / "w.npz", x=x, scores=scores, classes=classes)
    assert main([str(tmp_path / "rtl"), str(tmp_path / "w.npz")]) == 1
    assert "sample 3:" in capsys.readouterr().out
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert main([str(tmp_path / "rtl"), str(tmp_path / "bad.npz")]) == 2
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "v.npz")]) == 2
    assert "design.json" in capsys.readouterr().err


@pytest.mark.parametrize("pipelined", [False, True])
def test_constant_comparators_and_one_class(pipelined):
    net = Netlist([0, 0, 2, 1], [-1, 255, 7, 3], 3, 8, [[2, 3], [4, 6]], [6, 8], [6, 7, 1], 1)
    x = np.array([[0, 0, 0], [255, 255, 255], [9, 1, 8], [3, 4, 7], [200, 0, 6]], dtype=np.uint8)
    scores, classes = reference_predict(net, x)
    assert len(set(scores[:, 0].tolist())) > 1  # the score varies with the input
    r = simulate(net, x, scores, classes, pipelined=pipelined, pipeline_every=1)
    assert r.passed, r.report()


@pytest.mark.slow
@pytest.mark.parametrize("pipelined", [False, True])
def test_reordered_simulation_names_samples_by_their_index(pipelined):
    """Samples run sorted by class for speed; a mismatch still names the sample's index in x."""
    net = _small_net()
    x = random_inputs(net, 40, seed=3)
    scores, classes = reference_predict(net, x)
    wrong = scores.copy()
    wrong[[7, 23], 0] += 1  # claim other scores for samples 7 and 23 only
    r = simulate(net, x, wrong, classes, pipelined=pipelined, jobs=2)
    assert r.num_mismatches == 2 and [m["index"] for m in r.mismatches] == [7, 23]
    assert r.mismatches[0]["got_scores"] == scores[7].tolist()
    assert simulate(net, x, scores, classes, pipelined=pipelined, reorder=False).passed
