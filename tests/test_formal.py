"""Formal equivalence (docs/formal.md): every checker proves what is right and fails, with a
counterexample the simulation confirms, on what is wrong. Real ABC, Yosys and Icarus throughout."""

import json
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldlgn.cli import main
from ldlgn.compiler import optimize, save_netlist
from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.abc_opt import abc_optimize, check_script, run_script
from ldlgn.compiler.acec import prove_count
from ldlgn.compiler.aig import AigBuilder, comparator, gate_literal, netlist_on_x
from ldlgn.compiler.analysis import analyze
from ldlgn.compiler.formal import counterexample_x, netlist_obligation, prove
from ldlgn.compiler.formal_rtl import argmax_spec, check_counts, core_obligations, head_problem, locate_gate
from ldlgn.compiler.formal_synth import design_aig
from ldlgn.compiler.reference import node_values, predict
from ldlgn.compiler.verilog import VerilogDesign, emit_verilog
from ldlgn.sim.random_nets import random_netlist


def _net(seed=1, gates=300, classes=3):
    return random_netlist(
        gates, num_features=8, thresholds=3, input_bits=4, layers=4, num_classes=classes, seed=seed, special_outputs=3
    )


# ---- the AIG of the conventions ---------------------------------------------------------------


def test_every_gate_literal_follows_the_truth_table_convention():
    b = AigBuilder(["A", "B"])
    aig = b.build([gate_literal(b, t, b.input(0), b.input(1)) for t in range(16)])
    rows = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])  # row r = 2A + B
    got = aig.simulate(rows)
    for t in range(16):
        assert got[:, t].tolist() == [bool(tt.evaluate(t, a, c)) for a, c in rows], t
    # a gate and its complement are one node, so the head's complementary pairs share a variable
    assert gate_literal(b, 8, 2, 4) ^ 1 == gate_literal(b, 7, 2, 4)
    assert gate_literal(b, 6, 2, 4) ^ 1 == gate_literal(b, 9, 2, 4)


@pytest.mark.parametrize("bits", [1, 3, 8])
def test_comparator_is_x_greater_than_t_for_every_x(bits):
    b = AigBuilder([f"x{i}" for i in range(bits)])
    thresholds = list(range(-2, (1 << bits) + 2))
    aig = b.build([comparator(b, [b.input(i) for i in range(bits)], t) for t in thresholds])
    x = np.arange(1 << bits)
    got = aig.simulate((x[:, None] >> np.arange(bits)) & 1)
    assert (got == (x[:, None] > np.array(thresholds)[None, :])).all()


def test_argmax_spec_is_the_lowest_class_of_the_highest_score():
    K, W = 4, 3
    b = AigBuilder([f"s{i}" for i in range(K * W)])
    aig = b.build(argmax_spec(b, [[b.input(k * W + i) for i in range(W)] for k in range(K)], 2))
    scores = np.random.default_rng(0).integers(0, 1 << W, (500, K))
    scores[:50] = scores[:50, :1]  # ties everywhere
    bits = ((scores[:, :, None] >> np.arange(W)) & 1).reshape(len(scores), -1)
    got = (aig.simulate(bits).astype(int) << np.arange(2)).sum(1)
    assert (got == scores.argmax(1)).all()


# ---- (b) the passes, on random nets with all 16 gates ------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), classes=st.sampled_from([1, 2, 5]))
def test_passes_are_proved_sound_on_random_nets_with_all_16_gates(seed, classes):
    net = random_netlist(160, num_features=5, thresholds=2, input_bits=3, layers=4, num_classes=classes, seed=seed)
    net.table[:16] = np.arange(16)  # every truth table occurs
    net.input_threshold[:2] = [-1, 7]  # and constant comparators
    opt, _ = optimize(net)
    assert prove(netlist_obligation(net, opt), "abc").proved


def test_a_flipped_gate_in_the_netlist_fails_with_a_counterexample_the_reference_confirms():
    net = _net(seed=3)
    opt, _ = optimize(net)
    live = analyze(opt).live_gates
    bad = opt
    bad.table = bad.table.copy()
    bad.table[live[-1]] ^= 0xF  # invert a gate that feeds an output
    proof = prove(netlist_obligation(net, bad), "abc")
    assert proof.status == "failed" and proof.failing.startswith("output ")
    x = counterexample_x(proof, net.num_features, net.input_bits)
    assert (predict(net, x)[0] != predict(bad, x)[0]).any()


def test_yosys_sat_proves_and_refutes_too():
    net = _net(seed=4, gates=150)
    opt, _ = optimize(net)
    assert prove(netlist_obligation(net, opt), "yosys").proved
    bad = opt
    bad.table = bad.table.copy()
    bad.table[analyze(opt).live_gates[-1]] ^= 0xF
    proof = prove(netlist_obligation(net, bad), "yosys")
    assert proof.status == "failed"
    x = counterexample_x(proof, net.num_features, net.input_bits)
    assert (node_values(net, x)[net.outputs] != node_values(bad, x)[bad.outputs]).any()


# ---- (a) and (c): the emitted Verilog ----------------------------------------------------------


@pytest.fixture(scope="module")
def designs(tmp_path_factory):
    net = _net()
    root = tmp_path_factory.mktemp("formal_rtl")
    return net, {p: emit_verilog(net, root / str(p), "tnet", pipeline_every=p) for p in (None, 2)}


def _rtl_proofs(net, design):
    aig, _ = design_aig(design)
    (core, encoder), lit = core_obligations(net, aig, "v")
    head = head_problem(net, aig, design, lit, "v")
    return {
        "core": prove(core),
        "encoder": prove(encoder),
        "popcount": check_counts(head),
        "argmax": prove(head.obligations[0]),
    }


@pytest.mark.parametrize("every", [None, 2])
def test_both_verilog_variants_are_proved_equal_to_the_netlist_and_the_specification(designs, every):
    net, by_variant = designs
    proofs = _rtl_proofs(net, by_variant[every])
    assert all(p.proved for p in proofs.values()), {k: p.line() for k, p in proofs.items()}
    assert proofs["core"].outputs > 10 and proofs["encoder"].outputs > 10


def _corrupt(design, tmp_path, file_suffix, old, new):
    folder = tmp_path / "bad"
    shutil.copytree(design.out_dir, folder)
    path = next(f for f in folder.iterdir() if f.name.endswith(file_suffix) and old in f.read_text())
    path.write_text(path.read_text().replace(old, new, 1))
    return VerilogDesign.load(folder)


def _first_gate_line(design, kind):
    text = (design.out_dir / "tnet_b0.v").read_text()
    return next(line for line in text.splitlines() if line.strip().startswith(kind))


def test_a_flipped_gate_in_the_verilog_fails_and_the_simulation_confirms_and_names_it(designs, tmp_path):
    from ldlgn.sim import simulate

    net, by_variant = designs
    line = _first_gate_line(by_variant[None], "xnor ")
    bad = _corrupt(by_variant[None], tmp_path, "_b0.v", line, line.replace("xnor ", "xor ", 1))
    proofs = _rtl_proofs(net, bad)
    assert proofs["core"].status == "failed" and proofs["popcount"].proved and proofs["argmax"].proved
    x = counterexample_x(proofs["core"], net.num_features, net.input_bits)
    scores, classes = predict(net, x)
    assert not simulate(bad, x, scores, classes).passed  # Icarus shows the mismatch on that input
    gate = line.split("(")[1].split(",")[0].strip()  # the flipped gate's output wire
    assert locate_gate(net, design_aig(bad, wires="all")[0], x[0]).startswith(f"gate {gate} ")


def test_a_wrong_threshold_in_the_encoder_fails(designs, tmp_path):
    net, by_variant = designs
    enc = (by_variant[None].out_dir / "tnet_enc.v").read_text()
    line = next(s for s in enc.splitlines() if "> 4'd" in s and "d15" not in s)
    t = int(line.rsplit("'d", 1)[1].rstrip(";"))
    bad = _corrupt(by_variant[None], tmp_path, "_enc.v", line, line.replace(f"'d{t};", f"'d{t + 1};"))
    proofs = _rtl_proofs(net, bad)
    assert proofs["encoder"].status == "failed" and proofs["encoder"].failing.split()[0] in line


def test_a_popcount_that_drops_a_bit_fails_with_a_counterexample(designs, tmp_path):
    net, by_variant = designs
    pop = next(f for f in by_variant[None].files if "pop" in f.name)
    text = pop.read_text()
    old = next(w for w in (".x1(b1)", "(b1)", "b1") if w in text)
    bad = _corrupt(by_variant[None], tmp_path, pop.name, old, old.replace("b1", "b0"))
    proofs = _rtl_proofs(net, bad)
    assert proofs["popcount"].status == "failed" and proofs["popcount"].counterexample is not None
    assert proofs["core"].proved


def test_an_argmax_that_breaks_ties_upwards_fails(designs, tmp_path):
    net, by_variant = designs
    argmax = next(f for f in by_variant[None].files if "argmax" in f.name)
    text = argmax.read_text()
    old, new = (">=", ">") if ">=" in text else (">", ">=")
    bad = _corrupt(by_variant[None], tmp_path, argmax.name, old, new)
    assert _rtl_proofs(net, bad)["argmax"].status == "failed"


# ---- the popcount algebra ----------------------------------------------------------------------


def _adder_tree(b, bits):
    """A sum of bits by a tree of ripple adders (full adders: XOR3 and majority)."""
    words = [[x] for x in bits]
    while len(words) > 1:
        nxt = []
        for a, c in zip(words[0::2], words[1::2]):
            n = max(len(a), len(c)) + 1
            a, c = a + [0] * (n - len(a)), c + [0] * (n - len(c))
            carry, out = 0, []
            for i in range(n):
                out.append(b.xor(b.xor(a[i], c[i]), carry))
                carry = b.or_(b.and_(a[i], c[i]), b.and_(carry, b.xor(a[i], c[i])))
            nxt.append(out)
        words = nxt + ([words[-1]] if len(words) % 2 else [])
    return words[0]


def test_the_algebra_proves_a_popcount_tree_and_refutes_a_wrong_weight():
    n = 37
    b = AigBuilder([f"v{i}" for i in range(n)])
    word = _adder_tree(b, [b.input(i) for i in range(n)])[:6]
    aig = b.build(word)
    weights = dict.fromkeys(range(n), (0, 1))
    assert prove_count(aig, aig.outputs, weights, 0).status == "proved"
    wrong = prove_count(aig, aig.outputs, {**weights, 5: (1, 0)}, 0)  # input 5 counted inverted
    assert wrong.status == "differs"
    row = np.zeros(n, bool)
    row[list(wrong.assignment)] = True
    value = int((aig.simulate(row[None])[0].astype(int) << np.arange(6)).sum())
    assert value != (row.sum() - row[5] + (1 - row[5])) % 64


# ---- ABC optimization --------------------------------------------------------------------------


def test_abc_result_is_proved_equal_and_kept_only_when_smaller():
    net, _ = optimize(_net(seed=7, gates=400))
    result = run_script(net, "dc2; resyn2")
    assert prove(netlist_obligation(net, result)).proved
    kept, section = abc_optimize(net)
    assert section["proved"] and section["gates_before"] == net.num_gates and section["lut6_before"] > 0
    assert kept.num_gates == min(net.num_gates, section["gates_after"])


@pytest.mark.parametrize("script", ["write_blif out.blif", "dc2; system rm -rf x", "dc2 ../../x", "source abc.rc", ""])
def test_abc_scripts_run_only_optimizations(script):
    with pytest.raises(ValueError, match="ABC"):
        check_script(script)


def test_compile_abc_records_before_and_after(tmp_path, capsys):
    raw = _net(seed=8, gates=300)
    save_netlist(raw, tmp_path / "raw.npz")
    assert main(["compile", str(tmp_path / "raw.npz"), "--out", str(tmp_path / "b"), "--emit", "blif", "--abc"]) == 0
    abc = json.loads((tmp_path / "b" / "report.json").read_text())["abc"]
    assert abc["script"] == "dc2; resyn2" and abc["proved"] and abc["kept"] in ("abc", "ldlgn")
    assert main(["compile", str(tmp_path / "raw.npz"), "--out", str(tmp_path / "c"), "--abc", "dc2; read x"]) == 2
    assert "not an AIG optimization" in capsys.readouterr().err and not (tmp_path / "c").exists()


# ---- ldlgn verify --formal on a trained model --------------------------------------------------


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    from ldlgn.train import TrainConfig, train

    out = tmp_path_factory.mktemp("formal_model") / "run"
    train(TrainConfig(width=150, depth=2, steps=40, eval_every=20, init="gauss"), out, progress=False)
    return out / "model.pt"


def test_verify_formal_proves_a_trained_model_and_writes_verify_json(small_model, tmp_path, capsys):
    build = tmp_path / "b"
    assert main(["compile", str(small_model), "--out", str(build), "--verilog", "--no-yosys", "--name", "m"]) == 0
    argv = [
        "verify",
        str(small_model),
        "--build",
        str(build),
        "--engines",
        "torch,numba",
        "--samples",
        "20",
        "--formal",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "all engines agree; proved equivalent" in out
    formal = json.loads((build / "verify.json").read_text())["formal"]
    assert formal["passed"] and {p["property"] for p in formal["proofs"]} == {"a", "b", "c"}
    assert all(p["status"] == "proved" for p in formal["proofs"]) and len(formal["proofs"]) == 9


def test_verify_formal_catches_a_corrupted_netlist_and_replays_it(small_model, tmp_path, capsys):
    from ldlgn.compiler import load_netlist

    build = tmp_path / "b"
    assert main(["compile", str(small_model), "--out", str(build), "--c", "--no-yosys", "--name", "m"]) == 0
    net = load_netlist(build / "netlist.npz")
    net.table[analyze(net).live_gates[-1]] ^= 0xF
    save_netlist(net, build / "netlist.npz")
    argv = ["verify", str(small_model), "--build", str(build), "--engines", "torch", "--samples", "5", "--formal"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "(b) FAILED" in out and "NOT PROVED equivalent" in out
    formal = json.loads((build / "verify.json").read_text())["formal"]
    replay = formal["counterexamples"]["optimized netlist = lowered netlist"]
    assert "numba" in replay["engines_disagreeing"] and "c" not in replay["engines_disagreeing"]


@pytest.mark.slow
def test_demo_scale_model_is_proved_within_a_minute(tmp_path, capsys):
    """The demo's shape (digits, 4 layers of 2000 gates) trained briefly: every property proved."""
    from ldlgn.train import TrainConfig, train

    train(TrainConfig(width=2000, depth=4, steps=60, eval_every=30, tau=10.0), tmp_path / "run", progress=False)
    model = tmp_path / "run" / "model.pt"
    build = tmp_path / "b"
    assert main(["compile", str(model), "--out", str(build), "--verilog", "--no-yosys", "--name", "digits"]) == 0
    assert main(["verify", str(model), "--build", str(build), "--engines", "torch", "--samples", "5", "--formal"]) == 0
    formal = json.loads((build / "verify.json").read_text())["formal"]
    assert formal["passed"] and formal["seconds"] < 120  # about 45 s on two busy cores


def test_netlist_on_x_is_the_reference_semantics():
    net = _net(seed=9)
    b, lit = netlist_on_x(net)
    aig = b.build(lit[net.outputs].tolist())
    x = np.random.default_rng(0).integers(0, 16, (200, net.num_features))
    bits = ((x[:, :, None] >> np.arange(net.input_bits)) & 1).reshape(200, -1)
    assert (aig.simulate(bits) == node_values(net, x)[net.outputs].T.astype(bool)).all()


def test_the_ripple_adder_map_equals_yosys_own_adders(tmp_path):
    """The proofs map ``+`` onto full adders (formal_synth.RIPPLE_ADD); Yosys's own map is the reference."""
    import subprocess

    from ldlgn.compiler.formal_synth import RIPPLE_ADD

    (tmp_path / "ripple.v").write_text(RIPPLE_ADD)
    (tmp_path / "adds.v").write_text(
        "module adds(input [4:0] a, input [2:0] b, input signed [3:0] c, input d, output [5:0] y, output [2:0] z,"
        " output signed [6:0] w);\n"
        "  assign y = a + b + d;\n  assign z = a + b;\n  assign w = c + $signed({1'b0, b}) + c;\nendmodule\n"
    )
    flow = "read_verilog adds.v; hierarchy -top adds; proc; {map}; techmap; aigmap; write_aiger -symbols {out}"
    for out, how in (("own.aig", "opt_clean"), ("ripple.aig", "techmap -map ripple.v")):
        subprocess.run(["yosys", "-q", "-p", flow.format(map=how, out=out)], cwd=tmp_path, check=True)
    p = subprocess.run(["yosys-abc", "-c", "cec own.aig ripple.aig"], cwd=tmp_path, capture_output=True, text=True)
    assert "Networks are equivalent" in p.stdout
