"""The compressor-tree head: folding, bit-heap arithmetic, argmax ties, and every head and pipeline
variant bit-exact under Icarus (combinational, every N levels, auto), its latency as observed."""

from __future__ import annotations

import numpy as np
import pytest

from ldlgn.compiler.analysis import Analysis
from ldlgn.compiler.head import BitHeap, fold_classes
from ldlgn.compiler.lint import lint
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.reference import predict as reference_predict
from ldlgn.compiler.verilog import emit_verilog
from ldlgn.sim import simulate
from ldlgn.sim.random_nets import random_inputs, random_netlist


def _evaluate_heap(heap: BitHeap, values: dict[str, int]) -> int:
    """Run the heap's counters on ``values`` (signal -> bit) and add up the final rows."""
    values = {**values, "1'b1": 1, "1'b0": 0}
    for stage in heap.compress():
        for c in stage:
            total = sum(values[b] for b in c.inputs)
            for k in range(c.width):
                values[f"t{c.index}[{k}]"] = total >> k & 1
    assert heap.height <= 2
    r0, r1 = heap.rows()
    return sum((values[a] + values[b]) << j for j, (a, b) in enumerate(zip(r0, r1)))


@pytest.mark.parametrize("max_counter", [3, 6])
@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 13, 64, 200, 801])
def test_bit_heap_counts_exactly(max_counter, n):
    rng = np.random.default_rng(n)
    weights = rng.integers(1, 4, size=n)
    offset = int(rng.integers(0, 3))
    width = int(weights.sum() + offset).bit_length()
    for trial in range(4):
        bits = rng.integers(0, 2, size=n) if trial else np.ones(n, int)  # all ones: the largest total
        heap = BitHeap(width, max_counter)
        for i, w in enumerate(weights.tolist()):
            heap.add(f"b{i}", w)
        heap.add_constant(offset)
        got = _evaluate_heap(heap, {f"b{i}": int(b) for i, b in enumerate(bits)})
        assert got % (1 << width) == int(bits @ weights) + offset


def test_compressor_cost_per_bit():
    """A 6:3 counter removes three bits per three LUT-6; full adders one bit per adder."""
    for max_counter, most in ((6, 1.1), (3, 1.05)):
        heap = BitHeap(8, max_counter)
        for i in range(200):
            heap.add(f"b{i}", 1)
        counters = [c for stage in heap.compress() for c in stage]
        outputs = sum(c.width for c in counters)
        per_bit = (outputs if max_counter == 6 else len(counters)) / 200
        assert per_bit <= most, per_bit


def _folding_net() -> Netlist:
    """Inputs a = x0 > 3, b = x1 > 5. Gates: g0 = a AND b (node 4), g1 = NOT g0 (5),
    g2 = a NAND b (6), g3 = a OR b (7). Class 0: g0, g1, CONST1, g3, g3, a (a pair of complements,
    a constant, a repeat); class 1: g0, g2, CONST0, a, a, a."""
    fanin = np.array([[2, 3], [4, 4], [2, 3], [2, 3]])
    tables = np.array([8, 3, 7, 14])
    outputs = np.array([4, 5, 1, 7, 7, 2, 4, 6, 0, 2, 2, 2])
    return Netlist(np.array([0, 1]), np.array([3, 5]), 2, 4, fanin, tables, outputs, 2).validate()


def test_folding_keeps_scores():
    net = _folding_net()
    sums = fold_classes(Analysis(net))
    assert sums[0].offset == 2 and sorted(sums[0].terms) == [(2, 1), (7, 2)]
    assert sums[0].folded == {"constant": 1, "repeated": 1, "complementary": 2}
    assert sums[1].offset == 1 and sums[1].terms == [(2, 3)]  # g0 and NAND(a, b) complement
    x = np.array([[a, b] for a in range(16) for b in range(16)], dtype=np.uint8)
    scores, classes = reference_predict(net, x)
    for pipelined, every in ((False, None), (True, "auto")):
        r = simulate(net, x, scores, classes, pipelined=pipelined, pipeline_every=every)
        assert r.passed, r.report()


def test_folded_rtl_lints_clean(tmp_path):
    net = _folding_net()  # g1 and g2 are counted by nobody once folded: their wires are waived
    for every in (None, "auto"):
        d = emit_verilog(net, tmp_path / str(every), pipeline_every=every, stage_levels=1 if every else None)
        assert lint(d).check().clean
        assert d.head["folded"] == {"constant": 2, "repeated": 3, "complementary": 4}


VARIANTS = [
    dict(popcount="fa", argmax="allpairs"),
    dict(popcount="fa", argmax="tree"),
    dict(popcount="gpc6", argmax="allpairs"),
    dict(popcount="gpc6", argmax="tree", fold=False),
    dict(popcount="chain", argmax="tree"),
    dict(popcount="adder"),
]


@pytest.mark.parametrize("head", VARIANTS, ids=lambda h: "-".join(str(v) for v in h.values()))
@pytest.mark.parametrize(
    "classes, gates, pipeline",
    [(1, 60, None), (3, 300, "auto1"), (5, 400, 2), (7, 500, "auto")],
)
def test_variants_bit_exact(head, classes, gates, pipeline):
    net = random_netlist(
        gates, num_features=5, thresholds=3, input_bits=6, layers=4, num_classes=classes, seed=gates, special_outputs=5
    )
    x = random_inputs(net, 48, seed=classes)
    every, levels = ("auto", 1.0) if pipeline == "auto1" else (pipeline, None)
    with_pipe = dict(pipeline_every=every, stage_levels=levels) if every else {}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        d = emit_verilog(net, tmp, **with_pipe, **head)
        r = simulate(d, x, *reference_predict(net, x), jobs=1)
    assert r.passed, r.report()
    if every == "auto" and levels == 1.0 and head["popcount"] != "adder":
        assert d.head["popcount_registers"] >= 1 and d.latency > d.head["popcount_registers"] + 2


def _tie_net(classes: int) -> Netlist:
    """Group size 1: class c's score is x_c > 0, so most samples tie between several classes."""
    features, zeros = np.arange(classes), np.zeros(classes, np.int64)
    return Netlist(features, zeros, classes, 2, np.zeros((0, 2)), np.zeros(0), 2 + features, classes).validate()


@pytest.mark.parametrize("argmax", ["tree", "allpairs"])
@pytest.mark.parametrize("pipeline", [None, "auto"])
def test_ties_go_to_the_lowest_class(argmax, pipeline):
    net = _tie_net(6)
    x = np.array([[(s >> c) & 1 for c in range(6)] for s in range(64)], dtype=np.uint8)
    scores, classes = reference_predict(net, x)
    assert classes[0] == 0 and classes[0b101000] == 3  # all zero: class 0; 3 and 5 tie: 3
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        d = emit_verilog(net, tmp, pipeline_every=pipeline, stage_levels=1 if pipeline else None, argmax=argmax)
        r = simulate(d, x, scores, classes)
    assert r.passed, r.report()


def test_auto_latency_is_what_simulation_sees(tmp_path):
    net = random_netlist(300, num_features=4, thresholds=2, layers=4, num_classes=4, seed=5)
    x = random_inputs(net, 24)
    expected = reference_predict(net, x)
    latencies = []
    for levels in (1, 2, 4, 8):
        d = emit_verilog(net, tmp_path / str(levels), pipeline_every="auto", stage_levels=levels)
        latencies.append(d.latency)
        assert simulate(d, x, *expected).passed
    assert latencies == sorted(latencies, reverse=True) and latencies[0] > latencies[-1]
    d.latency += 1  # a design claiming one cycle more is caught
    r = simulate(d, x, *expected)
    assert not r.passed and "valid_out" in " ".join(r.errors)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pipeline_every": "fast"}, "auto"),
        ({"pipeline_every": 2, "stage_levels": 3}, "stage_levels"),
        ({"pipeline_every": 2, "fmax_mhz": 100}, "fmax"),
        ({"fmax_mhz": -5}, "MHz"),
        ({"pipeline_every": "auto", "stage_levels": 0}, "budget"),
        ({"popcount": "wallace"}, "popcount"),
        ({"argmax": "max"}, "argmax"),
        ({"popcount": "adder", "fold": True}, "fold"),
    ],
)
def test_bad_head_options(tmp_path, kwargs, match):
    net = random_netlist(60, num_features=3, thresholds=2, layers=2, num_classes=2, seed=1)
    with pytest.raises(ValueError, match=match):
        emit_verilog(net, tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_fmax_sets_the_budget(tmp_path):
    net = random_netlist(200, num_features=4, thresholds=2, layers=4, num_classes=3, seed=2)
    slow = emit_verilog(net, tmp_path / "slow", fmax_mhz=50)
    fast = emit_verilog(net, tmp_path / "fast", fmax_mhz=400)
    assert slow.pipeline_every == fast.pipeline_every == "auto"
    assert slow.stage_levels > fast.stage_levels and slow.latency < fast.latency


@pytest.mark.parametrize("kind", ["fa", "gpc6"])
def test_a_registered_heap_holds_each_term_once(kind):
    """A term of weight 3 sits in two columns under one name: registering the heap must keep one
    flip-flop for it and read every register bit (a duplicate left an unread bit that lint refuses)."""
    import re

    from ldlgn.compiler.head import ClassSum
    from ldlgn.compiler.verilog_head import popcount_module

    s = ClassSum(0, [(i, 1) for i in range(20)] + [(20, 3), (21, 5)])
    text = popcount_module("net", 0, s, 6, kind, registers=[0]).text
    bank = re.search(r"p0 <= \{(.*)\};", text)
    assert bank is not None
    names = [b.strip() for b in bank.group(1).split(",")]
    assert len(names) == len(set(names)) == 22
    read = {int(i) for i in re.findall(r"p0\[(\d+)\]", text)}
    assert read == set(range(22))


def test_argmax_compare_and_mux_are_separate_steps():
    """At one level per stage, the tree registers each comparison bit with both candidates and
    multiplexes in the next stage: two registers per level but the last (its class register is
    in the top); at two levels, a comparison and its multiplexer share a stage."""
    from ldlgn.compiler.verilog_head import argmax_module

    one, two = argmax_module("a", 10, 8, "tree", 1.0), argmax_module("a", 10, 8, "tree", 2.0)
    assert one.registers == 7 and two.registers == 3
    assert "q0 <= {" in one.text and "r0_0};" in one.text  # the first bank holds the comparison bits
    assert "wire [7:0] b0_0 = q0[" in one.text
