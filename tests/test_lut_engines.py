"""Every LUT engine bit-exact against the tables themselves: all 256 functions of three inputs,
random tables of four to six inputs (bit 63 included), random LUT nets."""

import numpy as np
import pytest
from _luts import blif_eval, gate_bank, random_tables
from hypothesis import given, settings
from hypothesis import strategies as st

from ldlgn.compiler.c_build import compile_library, load_library
from ldlgn.compiler.lut_bitsim import predict_lut_netlist
from ldlgn.compiler.lut_blif import lut_blif_text
from ldlgn.compiler.lut_c import emit_lut_c
from ldlgn.compiler.lut_decompose import METHODS, decompose, isop_cubes
from ldlgn.compiler.lut_netlist import lower_lutnet, reference_predict
from ldlgn.compiler.reference import predict as netlist_predict
from ldlgn.sim.random_luts import random_lut_inputs, random_lutnet

BANKS = [(3, np.arange(256))] + [(k, random_tables(k, 64, seed=k)) for k in (4, 5, 6)]


@pytest.mark.parametrize(("k", "tables"), BANKS, ids=lambda v: str(v) if isinstance(v, int) else "")
def test_reference_and_numba_match_the_tables(k, tables):
    net, x, expected = gate_bank(tables, k)
    lut = lower_lutnet(net)
    assert np.array_equal(net.predict(x)[0], expected)
    assert np.array_equal(reference_predict(lut, x)[0], expected)
    assert np.array_equal(predict_lut_netlist(lut, x)[0], expected)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("k", "tables"), BANKS, ids=lambda v: str(v) if isinstance(v, int) else "")
def test_decompositions_match_the_tables(k, tables, method):
    net, x, expected = gate_bank(tables, k)
    two = decompose(lower_lutnet(net), method)
    assert np.array_equal(netlist_predict(two, x)[0], expected)


def test_isop_covers_are_exact_and_irredundant():
    for k in range(1, 7):
        for t in [0, (1 << (1 << k)) - 1, *(int(v) for v in random_tables(k, 20, seed=k))]:
            cubes = isop_cubes(t, k)
            rows = np.array([[(r >> (k - 1 - j)) & 1 for j in range(k)] for r in range(1 << k)])
            hits = [np.all([rows[:, j] == p for j, p in c] or [np.ones(1 << k, bool)], axis=0) for c in cubes]
            cover = np.any(hits, axis=0) if hits else np.zeros(1 << k, bool)
            assert [int(b) for b in cover] == [(t >> r) & 1 for r in range(1 << k)]
            for i in range(len(hits)):  # no cube is covered by the others
                others = np.any([h for j, h in enumerate(hits) if j != i] or [np.zeros(1 << k, bool)], axis=0)
                assert not (hits[i] <= others).all()


@pytest.mark.parametrize(("k", "tables"), BANKS, ids=lambda v: str(v) if isinstance(v, int) else "")
def test_blif_covers_match_the_tables(k, tables):
    net, x, expected = gate_bank(tables, k)
    lut = lower_lutnet(net)
    text = lut_blif_text(lut, "bank")
    for r, row in enumerate(x):
        vals = blif_eval(text, {f"n{2 + j}": int(row[j]) for j in range(k)})
        got = [vals[f"o{g}"] for g in range(len(tables))]
        assert got == expected[r].tolist()


@pytest.mark.slow
@pytest.mark.parametrize(("k", "tables"), BANKS, ids=lambda v: str(v) if isinstance(v, int) else "")
def test_c_library_matches_the_tables(tmp_path, k, tables):
    net, x, expected = gate_bank(tables, k)
    lut = lower_lutnet(net, "bank")
    for method in ("shannon", "isop"):
        out = tmp_path / method
        emit_lut_c(lut, out, "bank", method)
        lib = compile_library(out, "bank", out / "lib")
        model = load_library(lib, "bank", lut.num_features, lut.num_classes, lut.input_bits)
        scores, _ = model.predict(np.ascontiguousarray(x.astype(model.dtype)))
        assert np.array_equal(scores, expected), method


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31), st.lists(st.integers(1, 6), min_size=1, max_size=4), st.booleans())
def test_random_nets_numba_and_decomposition(seed, arities, distinct):
    widths = [8 * (len(arities) - i) for i in range(len(arities))]
    net = random_lutnet(widths, arities, num_classes=4, seed=seed, distinct=distinct)
    lut = lower_lutnet(net)
    x = random_lut_inputs(net, 300, seed=seed)
    want = net.predict(x)
    got = predict_lut_netlist(lut, x)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert np.array_equal(netlist_predict(decompose(lut, "shannon"), x)[0], want[0])


@pytest.mark.slow
def test_c_library_on_a_random_net(tmp_path):
    net = random_lutnet((96, 64, 32), (6, 5, 4), num_features=8, thresholds=4, input_bits=8, seed=11)
    lut = lower_lutnet(net, "rnd")
    x = random_lut_inputs(net, 2000, seed=1)
    emit_lut_c(lut, tmp_path, "rnd")
    model = load_library(compile_library(tmp_path, "rnd", tmp_path / "lib"), "rnd", 8, 4, 8)
    scores, classes = model.predict(np.ascontiguousarray(x.astype(model.dtype)))
    want = net.predict(x)
    assert np.array_equal(scores, want[0]) and np.array_equal(classes, want[1])
