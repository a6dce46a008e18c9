"""Bit-sliced C back end: bit-exact against the reference evaluator, bad input, cache, standalone program,
builds from shipped sources, loading without a compiler, templates."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldlgn.compiler import analyze, c_build, c_runtime
from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.c_build import build_c, compile_library, load_library
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
    return Netlist(
        feature, threshold, num_features, input_bits, np.stack([a, b], 1), table, outputs, num_classes
    ).validate()


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
@given(
    seed=st.integers(0, 2**32 - 1),
    input_bits=st.integers(1, 16),
    num_classes=st.integers(1, 5),
    group=st.integers(1, 40),
    num_gates=st.integers(0, 120),
    n=st.integers(1, N_SAMPLES),
)
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
    net = Netlist(
        feature,
        threshold,
        num_features,
        8,
        fanin,
        rng.integers(0, 16, num_inputs),
        first + rng.permutation(num_inputs),
        3,
    ).validate()
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
    net = Netlist(
        feature,
        threshold,
        F,
        8,
        np.concatenate(fanin),
        rng.integers(0, 16, width * layers),
        base + np.arange(width),
        10,
    )
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
    subprocess.run(
        ["make", "-s", "-j2", "-C", str(EXAMPLE), f"NET_DIR={src.out_dir}", "NET=demo", f"OUT={exe}"],
        check=True,
        env=env,
        capture_output=True,
    )
    out = subprocess.run(
        [str(exe), "--scores", str(tmp_path / "samples.bin")], check=True, capture_output=True, text=True
    ).stdout
    got = np.array([line.split() for line in out.splitlines()], dtype=np.int64)
    ref_scores, ref_classes = reference_predict(net, x)
    np.testing.assert_array_equal(got[:, :-1], ref_scores)
    np.testing.assert_array_equal(got[:, -1], ref_classes)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 61)
    res = subprocess.run([str(exe), str(bad)], capture_output=True, text=True)
    assert res.returncode == 1 and "not a multiple" in res.stderr


@pytest.mark.parametrize("how", ["env", "argument"])
def test_missing_compiler_is_an_error_not_a_fallback(cache, monkeypatch, how):
    """$CC (or cc=) naming a compiler that does not exist must not quietly build with `cc`."""
    net = golden_netlist()
    if how == "env":
        monkeypatch.setenv("CC", "/nonexistent/cc")
        with pytest.raises(RuntimeError, match=r"\$CC='/nonexistent/cc'.*sudo apt-get install gcc"):
            build_c(net, "nocc", cache_dir=cache)
    else:
        with pytest.raises(RuntimeError, match=r"'/nonexistent/cc'.*sudo apt-get install gcc"):
            build_c(net, "nocc", cache_dir=cache, cc="/nonexistent/cc")


def corrupt_one_gate(c_dir, name):
    """Turn the first AND gate ``w[i] = w[j] & w[k];`` of the shipped gate files into an OR."""
    for path in sorted(Path(c_dir).glob(f"{name}_gates*.c")):
        text = path.read_text()
        match = re.search(r"^    w\[\d+\] = w\[\d+\] & w\[\d+\];$", text, re.M)
        if match:
            path.write_text(text[: match.start()] + match.group(0).replace("&", "|") + text[match.end() :])
            return
    raise AssertionError("no AND gate to corrupt")


def test_library_is_compiled_from_the_shipped_sources(tmp_path):
    """compile_library builds what is on disk, not the netlist: an edited gate file gives a library
    that disagrees with the reference (what verify must catch), also when it replaces a library
    of the same path that this process has already loaded."""
    net = golden_netlist()
    x = np.ascontiguousarray(np.tile(tt.row_bits(), (100, 1)), dtype=np.uint8)
    emit_c(net, tmp_path / "c", "ship")
    lib = compile_library(tmp_path / "c", "ship", tmp_path / "lib")
    assert lib == (tmp_path / "lib" / "libldlgn_ship.so").resolve()
    assert sorted(p.name for p in (tmp_path / "lib").iterdir()) == ["libldlgn_ship.so"]
    assert not list(tmp_path.glob(".build-*")) and not list((tmp_path / "c").glob("*.o"))
    assert_same(load_library(lib, "ship", 2, 16, 1), net, x)

    corrupt_one_gate(tmp_path / "c", "ship")
    bad = load_library(compile_library(tmp_path / "c", "ship", tmp_path / "lib"), "ship", 2, 16, 1)
    scores, _ = bad.predict(x)
    assert (scores != reference_predict(net, x)[0]).any()


def test_load_library_needs_no_compiler(tmp_path, monkeypatch):
    rng = np.random.default_rng(8)
    net = random_netlist(rng, 12, 30, 200, 3, 7, 8)
    emit_c(net, tmp_path / "c", "nocc")
    lib = compile_library(tmp_path / "c", "nocc", tmp_path / "lib", vector_bits=64)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CC", "/nonexistent/cc")
    with pytest.raises(RuntimeError, match="not found"):
        c_build.find_compiler()  # no compiler can be run here
    model = load_library(lib, "nocc", net.num_features, net.num_classes, net.input_bits)
    assert model.vector_bits == 64
    assert_same(model, net, random_inputs(rng, net, 500))
    with pytest.raises(FileNotFoundError, match="no compiled C library"):
        load_library(tmp_path / "lib" / "missing.so", "nocc", 12, 3, 8)
    with pytest.raises(ValueError, match="another design name"):
        load_library(lib, "other", 12, 3, 8)


def test_compile_library_needs_the_driver_and_a_named_compiler(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no C driver"):
        compile_library(tmp_path, "absent", tmp_path / "lib")
    emit_c(golden_netlist(), tmp_path / "c", "g")
    monkeypatch.setenv("CC", "/nonexistent/cc")
    with pytest.raises(RuntimeError, match=r"\$CC='/nonexistent/cc'.*sudo apt-get install gcc"):
        compile_library(tmp_path / "c", "g", tmp_path / "lib")
    assert not (tmp_path / "lib").exists()


def test_emit_follows_the_analysis(tmp_path):
    """The gates emitted are the analysis' live gates: an input that only an ignored operand
    refers to is neither compared nor looked up; a re-emission removes stale gate units."""
    # gate 0 = A (table 12) of inputs x0 > 3 and x1 > 5: x1 is not read; output gate 0 and gate 1
    net = Netlist([0, 1, 0], [3, 5, 9], 2, 4, [[2, 3], [4, 2]], [12, 8], [5, 6], 2).validate()
    analysis = analyze(net)
    src = emit_c(net, tmp_path / "c", "an", analysis=analysis)
    assert src.num_gates == analysis.num_live_gates == 2
    assert "#define NIN 2 " in (tmp_path / "c" / "an.c").read_text()  # x0 > 3 and x0 > 9, not x1 > 5
    for seed in range(5):
        rnd = random_netlist(np.random.default_rng(seed), 9, 30, 150, 3, 5, 8)
        assert emit_c(rnd, tmp_path / f"r{seed}", "r").num_gates == analyze(rnd).num_live_gates
    with pytest.raises(ValueError, match="another netlist"):
        emit_c(rnd, tmp_path / "x", "x", analysis=analysis)
    big = random_netlist(np.random.default_rng(9), 9, 30, 3000, 5, 40, 8)  # 833 live gates: 7 functions
    assert len(emit_c(big, tmp_path / "u", "u", units=3).sources) == 4
    emit_c(big, tmp_path / "u", "u", units=1)
    assert sorted(p.name for p in (tmp_path / "u").glob("u_gates*.c")) == ["u_gates0.c"]
    lib = compile_library(tmp_path / "u", "u", tmp_path / "u_lib")
    x = random_inputs(np.random.default_rng(0), big, 300)
    assert_same(load_library(lib, "u", 9, 5, 8), big, x)


def test_templates_reject_missing_placeholders():
    assert c_runtime.render("a @X@ b @Y@", {"X": 1, "Y": "z", "UNUSED": 3}) == "a 1 b z"
    with pytest.raises(ValueError, match="@Y@"):
        c_runtime.render("a @X@ b @Y@", {"X": 1})
    with pytest.raises(ValueError, match="@Z@"):
        c_runtime.render("a @X@", {"X": "@Z@"})  # an unfilled fragment passed as a value
    with pytest.raises(ValueError, match="driver.c.*@NUM_SLOTS@"):
        c_runtime.render_file("driver.c", {"NAME": "n", "UNAME": "N"})
    for filename in ("header.h", "impl.h", "driver.c", "encode.c", "range_check.c"):
        assert c_runtime.PLACEHOLDER.search(c_runtime.template(filename))
