"""Bit-sliced C back end: bit-exact against the reference evaluator, bad input, cache, standalone program."""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler import c_build
from ldlgn.compiler.c_build import build_c
from ldlgn.compiler.c_emit import emit_c
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.reference import predict as reference_predict

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "c_inference"
NATIVE = None  # widest word the CPU supports
# samples: a few blocks plus a partial one for every word width
N_SAMPLES = 1100


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("c_cache")


def random_netlist(rng, num_features, num_inputs, num_gates, num_classes, group, input_bits):
    """Arbitrary DAG: constants, duplicate operands, dead gates, constant and input outputs."""
    hi = (1 << input_bits) - 1
    feature = rng.integers(0, num_features, num_inputs)
    threshold = rng.integers(-2, hi + 2, num_inputs)  # includes always-1 and never-1 comparators
    first = 2 + num_inputs
    own = first + np.arange(num_gates)
    a = (rng.random(num_gates) * own).astype(np.int64)
    b = np.where(rng.random(num_gates) < 0.1, a, (rng.random(num_gates) * own).astype(np.int64))
    table = rng.integers(0, 16, num_gates)
    pool = first + num_gates
    outputs = rng.integers(max(0, pool - 3 * num_classes * group), pool, num_classes * group)
    outputs[rng.random(outputs.size) < 0.1] = rng.integers(0, first)  # constants and inputs
    return Netlist(feature, threshold, num_features, input_bits, np.stack([a, b], 1), table, outputs,
                   num_classes).validate()


def random_inputs(rng, net, n):
    dtype = np.uint8 if net.input_bits <= 8 else np.uint16
    return rng.integers(0, net.input_max + 1, (n, net.num_features)).astype(dtype)


def assert_same(model, net, x):
    scores, classes = model.predict(x)
    ref_scores, ref_classes = reference_predict(net, x)
    np.testing.assert_array_equal(scores, ref_scores)
    np.testing.assert_array_equal(classes, ref_classes)
    assert scores.dtype == np.int32 and classes.dtype == np.int64


def golden_netlist():
    """16 gates, one per truth table, on inputs A = x0 > 0 and B = x1 > 0; class t = gate t."""
    fanin = np.tile([2, 3], (16, 1))
    return Netlist([0, 1], [0, 0], 2, 1, fanin, np.arange(16), 4 + np.arange(16), 16)


@pytest.mark.parametrize("vector_bits", [NATIVE, 64, 128, 256])
def test_all_16_gates_on_all_rows(cache, vector_bits):
    net = golden_netlist()
    model = build_c(net, "golden", cache_dir=cache, vector_bits=vector_bits)
    rows = tt.row_bits()  # (4, 2): A, B of row r = 2A + B
    x = np.ascontiguousarray(np.tile(rows, (300, 1)), dtype=np.uint8)  # 1200 samples: partial block
    scores, _ = model.predict(x)
    for r in range(4):
        expect = (np.arange(16) >> r) & 1  # bit r of table t
        assert (scores[r::4] == expect).all(), f"row {r}"
    assert_same(model, net, x)


@pytest.mark.slow
@pytest.mark.parametrize("vector_bits", [NATIVE, 64, 256])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), input_bits=st.integers(1, 16), num_classes=st.integers(1, 5),
       group=st.integers(1, 40), num_gates=st.integers(0, 120), n=st.integers(1, N_SAMPLES))
def test_random_netlists_bit_exact(cache, vector_bits, seed, input_bits, num_classes, group, num_gates, n):
    rng = np.random.default_rng(seed)
    num_features = int(rng.integers(1, 70))
    net = random_netlist(rng, num_features, int(rng.integers(1, 90)), num_gates, num_classes, group, input_bits)
    model = build_c(net, "rand", cache_dir=cache, vector_bits=vector_bits)
    assert_same(model, net, random_inputs(rng, net, n))


@pytest.mark.parametrize("n", [1, 63, 513, 1100])
@pytest.mark.parametrize("layout", ["sparse", "dense"])
def test_encoder_feature_layouts(cache, layout, n):
    """sparse: comparators spread over 700 features (the 512-bit encoder splits chunks whose
    features span more than 128 bytes), several thresholds per feature; dense: one comparator per
    feature (chunks of 64 consecutive features, no gather). Rows up to the end of the array."""
    rng = np.random.default_rng(11)
    if layout == "sparse":
        num_features, num_inputs = 700, 300
        feature = np.sort(np.concatenate([rng.integers(0, 700, num_inputs - 40), np.full(40, 699)]))
    else:
        num_features = num_inputs = 231
        feature = np.arange(num_inputs)
    threshold = rng.integers(0, 255, num_inputs)
    first = 2 + num_inputs
    fanin = np.stack([2 + np.arange(num_inputs), 2 + rng.permutation(num_inputs)], 1)
    net = Netlist(feature, threshold, num_features, 8, fanin, rng.integers(0, 16, num_inputs),
                  first + rng.permutation(num_inputs), 3).validate()
    model = build_c(net, layout, cache_dir=cache)
    assert_same(model, net, random_inputs(rng, net, n))


def test_extreme_inputs_and_ties(cache):
    """Inputs at 0 and at the domain maximum; all-constant outputs make every class tie."""
    rng = np.random.default_rng(3)
    net = random_netlist(rng, 9, 20, 60, 3, 4, 12)
    model = build_c(net, "ext", cache_dir=cache)
    x = np.zeros((700, 9), np.uint16)
    x[::2] = net.input_max
    assert_same(model, net, x)
    tie = Netlist([0], [0], 1, 8, np.zeros((0, 2)), [], [1, 0, 0, 1, 1, 0], 3)
    scores, classes = build_c(tie, "tie", cache_dir=cache).predict(np.zeros((5, 1), np.uint8))
    assert (scores == [1, 1, 1]).all() and (classes == 0).all()
    scores, classes = model.predict(np.zeros((0, 9), np.uint16))
    assert scores.shape == (0, 3) and classes.shape == (0,)


def test_moderate_layered_net(cache):
    """A layered net of 6000 gates over 64 features x 3 thresholds, several gate units."""
    rng = np.random.default_rng(7)
    F, T, width, layers = 64, 3, 1000, 6
    feature = np.repeat(np.arange(F), T)
    threshold = rng.integers(0, 255, F * T)
    fanin, base, prev = [], 2, F * T
    for _ in range(layers):
        fanin.append(base + rng.integers(0, prev, (width, 2)))
        base, prev = base + prev, width
    net = Netlist(feature, threshold, F, 8, np.concatenate(fanin), rng.integers(0, 16, width * layers),
                  base + np.arange(width), 10)
    model = build_c(net, "layered", cache_dir=cache)
    assert len(list(model.library_path.parent.glob("layered_gates*.c"))) > 1
    assert_same(model, net, random_inputs(rng, net, 3000))


def test_bad_inputs_give_clear_errors(cache):
    net = random_netlist(np.random.default_rng(1), 5, 8, 20, 2, 2, 6)
    model = build_c(net, "bad", cache_dir=cache)
    x = np.zeros((10, 5), np.uint8)
    with pytest.raises(ValueError, match="C-contiguous"):
        model.predict(np.zeros((5, 10), np.uint8).T)
    with pytest.raises(TypeError, match="dtype uint8"):
        model.predict(x.astype(np.int64))
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        model.predict(np.zeros((10, 4), np.uint8))
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        model.predict(np.zeros(5, np.uint8))
    x[3, 2] = 64  # input_bits = 6: maximum 63
    with pytest.raises(ValueError, match=r"0\.\.63"):
        model.predict(x)
    with pytest.raises(RuntimeError, match="sudo apt-get install gcc"):
        build_c(net, "bad", cache_dir=cache, cc="no-such-c-compiler-ldlgn")
    with pytest.raises(ValueError, match="C identifier"):
        build_c(net, "bad-name", cache_dir=cache)


def test_library_rejects_out_of_domain_values(cache):
    """The C entry point itself checks the encoder domain (error code, nothing written)."""
    net = random_netlist(np.random.default_rng(2), 70, 30, 40, 2, 3, 7)
    model = build_c(net, "dom", cache_dir=cache)
    x = np.zeros((600, 70), np.uint8)
    x[599, 69] = 128
    scores = np.full((600, 2), -7, np.int32)
    rc = model._predict(x.ctypes.data, 600, scores.ctypes.data, None)
    assert rc == 1 and (scores == -7).all()


def test_cache_hit_does_not_rebuild(cache, monkeypatch):
    net = random_netlist(np.random.default_rng(4), 6, 10, 30, 2, 2, 8)
    first = build_c(net, "cached", cache_dir=cache)
    stamp = first.library_path.stat().st_mtime_ns

    def no_compile(*args, **kwargs):
        raise AssertionError("rebuilt although the library is cached")

    monkeypatch.setattr(c_build, "compile_sources", no_compile)
    second = build_c(net, "cached", cache_dir=cache)
    assert second.library_path == first.library_path
    assert second.library_path.stat().st_mtime_ns == stamp
    assert not list(Path(cache).glob(".build-*"))  # no temporary folders left behind
    x = random_inputs(np.random.default_rng(0), net, 50)
    np.testing.assert_array_equal(second.predict(x)[0], first.predict(x)[0])


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LDLGN_CACHE", str(tmp_path / "env_cache"))
    model = build_c(golden_netlist(), "envcache")
    assert model.library_path.is_relative_to(tmp_path / "env_cache")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed (sudo apt-get install make)")
def test_standalone_program_with_make(tmp_path):
    rng = np.random.default_rng(5)
    net = random_netlist(rng, 30, 60, 300, 4, 21, 10)
    src = emit_c(net, tmp_path / "emitted", name="demo")
    assert src.header.read_text().count("ldlgn_demo_predict") >= 2
    x = random_inputs(rng, net, 777)
    (tmp_path / "samples.bin").write_bytes(x.astype("<u2").tobytes())
    exe = tmp_path / "classify"
    env = {**os.environ, "MAKEFLAGS": ""}
    subprocess.run(["make", "-s", "-j2", "-C", str(EXAMPLE), f"NET_DIR={src.out_dir}", "NET=demo", f"OUT={exe}"],
                   check=True, env=env, capture_output=True)
    out = subprocess.run([str(exe), "--scores", str(tmp_path / "samples.bin")], check=True,
                         capture_output=True, text=True).stdout
    got = np.array([line.split() for line in out.splitlines()], dtype=np.int64)
    ref_scores, ref_classes = reference_predict(net, x)
    np.testing.assert_array_equal(got[:, :-1], ref_scores)
    np.testing.assert_array_equal(got[:, -1], ref_classes)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 61)
    res = subprocess.run([str(exe), str(bad)], capture_output=True, text=True)
    assert res.returncode == 1 and "not a multiple" in res.stderr
