"""LUT netlist passes: each one and the fixed point keep every output on every input (exhaustive)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldlgn.compiler.lut_analysis import LutAnalysis
from ldlgn.compiler.lut_netlist import lower_lutnet, node_values
from ldlgn.compiler.lut_passes import DEFAULT_LUT_PASSES, compose, depends, optimize_lut
from ldlgn.sim.random_luts import degenerate, random_lutnet


def _all_inputs(net) -> np.ndarray:
    """Every input vector of a small net (features × input_bits ≤ 12 bits)."""
    vals = range(net.input_max + 1)
    return np.array(list(itertools.product(vals, repeat=net.num_features)))


def _outputs(net, x):
    return node_values(net, x)[:, net.outputs]


def _small(seed, arities=(6, 4, 3, 2)):
    net = random_lutnet(
        widths=(16, 12, 8, 4), arities=arities, num_features=3, thresholds=3, input_bits=3, num_classes=2, seed=seed
    )
    return degenerate(net, seed=seed, rate=0.3)


def test_compose_permutes_and_cofactors():
    # f(a, b, c) = a & ~b | c; swap to (c, a, b) and fix b = 0
    f = sum(1 << r for r in range(8) if ((r >> 2) & 1 and not (r >> 1) & 1) or r & 1)
    g = compose(f, 3, [("v", 1), ("c", 0), ("v", 0)], 2)  # new inputs (c, a)
    for c, a in itertools.product((0, 1), repeat=2):
        assert (g >> (2 * c + a)) & 1 == (a | c)
    assert depends(f, 3, 0) and depends(f, 3, 1) and depends(f, 3, 2)
    assert not depends(0b1100, 2, 1) and depends(0b1100, 2, 0)
    assert not depends(0xFFFFFFFF00000000, 6, 5) and depends(0xFFFFFFFF00000000, 6, 0)


@pytest.mark.parametrize("name", DEFAULT_LUT_PASSES)
@pytest.mark.parametrize("seed", range(4))
def test_each_pass_keeps_every_output(name, seed):
    net = _small(seed)
    x = _all_inputs(net)
    out, _ = optimize_lut(net, [name], max_rounds=1)
    assert np.array_equal(_outputs(out, x), _outputs(net, x))
    assert out.num_inputs == net.num_inputs and np.array_equal(out.input_threshold, net.input_threshold)


@pytest.mark.parametrize("seed", range(6))
def test_fixed_point_is_sound_and_canonical(seed):
    net = _small(seed)
    x = _all_inputs(net)
    out, report = optimize_lut(net)
    assert np.array_equal(_outputs(out, x), _outputs(net, x))
    assert report[-1]["gates_after"] == out.num_gates and out.num_gates <= net.num_gates
    const = LutAnalysis(out).const_value
    keys = set()
    for g in range(out.num_gates):
        k = int(out.arity[g])
        pins = out.fanin[g, :k].tolist()
        assert pins == sorted(set(pins)), "pins sorted and distinct"
        assert all(const[p] < 0 for p in pins), "no constant pins"
        assert all(depends(int(out.table[g]), k, j) for j in range(k)), "no ignored input"
        assert k >= 1 and not (k == 1 and out.table[g] == 2), "no constant gate, no buffer"
        keys.add((tuple(pins), int(out.table[g])))
    assert len(keys) == out.num_gates, "no two equal gates"
    assert LutAnalysis(out).num_live_gates == out.num_gates, "no dead gate"
    again, _ = optimize_lut(out)
    assert again.num_gates == out.num_gates


def test_passes_shrink_a_degenerate_net():
    net = _small(1)
    out, _ = optimize_lut(net)
    assert out.num_gates < net.num_gates
    assert out.arity.mean() < net.arity.mean()


def test_unknown_pass_is_refused():
    with pytest.raises(ValueError, match="unknown LUT pass 'nope'"):
        optimize_lut(lower_lutnet(random_lutnet()), ["nope"])


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**31),
    st.lists(st.integers(1, 6), min_size=1, max_size=3),
    st.floats(0.0, 0.6),
)
def test_random_nets_keep_their_outputs(seed, arities, rate):
    widths = [4 * (len(arities) - i) for i in range(len(arities))]
    net = random_lutnet(widths, arities, num_features=2, thresholds=4, input_bits=4, num_classes=2, seed=seed)
    lut = degenerate(net, seed=seed, rate=rate)
    x = _all_inputs(lut)
    out, _ = optimize_lut(lut)
    assert np.array_equal(_outputs(out, x), _outputs(lut, x))
