"""Bit-sliced C inference: throughput beside its bounds, the previous encoder, 2 threads, time per
phase, and build times.

Throughput (MNIST-small shape: 400 uint8 features with one threshold each → 6 × 8000 gates,
GroupSum k=10; or ``--model``), end to end from raw inputs to scores and classes, for a random net
and the same net after ``ldlgn.compiler.optimize``:

* the C model with the widest vector word (``CModel.predict``), beside the **bound**: the same
  emitted gate code alone on pre-packed inputs (no encoding, no counting), and beside the
  **previous** implementation measured in the same run (the tile-transpose encoder and the
  counters spread to integers by lane shifts, built with ``-DLDLGN_TILE_ENCODE
  -DLDLGN_LANE_SPREAD``; everything else is shared);
* the portable ``uint64_t`` word (``vector_bits=64``), beside its own gates-alone bound and its
  previous encoder (``-DLDLGN_COLUMN_ENCODE``);
* 2 threads (``predict(x, threads=2)``), wall clock beside 1 thread's wall clock;
* the time per phase (encode, gates, count, output), each phase run alone on the same data by a
  ``-DLDLGN_PROFILE`` build, and the time to only read the input rows (the memory's bound on the
  encoder).

All variants take turns (``--repeat`` rounds, best of each), so load on the machine hits all alike.
Times are thread CPU seconds unless marked wall.

Build times (fresh cache): the 48k-gate net and a 512k-gate net (9216 inputs → 4 × 128k gates).

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/c_infer.py``
(``--quick`` skips the 512k-gate build; ``--model path/to/model.pt`` uses a trained model).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from ldlgn.compiler import Netlist, lower
from ldlgn.compiler.c_build import build_c
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.reference import predict as reference_predict


def random_net(features, widths, classes, seed=0) -> Netlist:
    rng = np.random.default_rng(seed)
    layers, prev = [], features
    for w in widths:
        layers.append(DiscreteLayer(rng.integers(0, prev, w), rng.integers(0, prev, w), rng.integers(0, 16, w)))
        prev = w
    thresholds = rng.integers(0, 255, (features, 1))
    return lower(DiscreteNet(thresholds, 8, layers, classes))


def timed(fn, repeat: int) -> tuple[float, float]:
    """Best (thread CPU seconds, wall seconds) of ``repeat`` calls."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.thread_time(), time.perf_counter()
        fn()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


def interleaved(fns: dict, repeat: int) -> dict:
    """Best thread CPU seconds, best wall seconds and median process CPU seconds (all threads) of
    each closure; the closures take turns, so that load changes on the machine hit all alike."""
    runs: dict = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            p0 = time.process_time()
            c, w = timed(fn, 1)
            runs[k].append((c, w, time.process_time() - p0))
    return {
        k: (min(r[0] for r in v), min(r[1] for r in v), statistics.median(r[2] for r in v)) for k, v in runs.items()
    }


def gate_fn(model):
    fn = getattr(model._lib, f"ldlgn_{model.name}_bench_gates")
    fn.restype, fn.argtypes = ctypes.c_int64, [ctypes.c_size_t]
    fn(1)
    return fn


PHASES = {"encode": 1, "gates": 2, "count": 4, "output": 8, "all": 15, "read input": 16}


def phase_fns(net, x, cache) -> dict:
    """Closures that run only one phase of ``predict`` over ``x`` (a ``-DLDLGN_PROFILE`` build)."""
    model = build_c(net, "prof", cache_dir=cache, extra_flags=("-DLDLGN_PROFILE",))
    run = model._lib.ldlgn_prof_run_phases
    run.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    scores = np.empty((len(x), net.num_classes), np.int32)
    classes = np.empty(len(x), np.int32)
    args = (x.ctypes.data, len(x), scores.ctypes.data, classes.ctypes.data)
    return {f"phase {k}": (lambda bits=bits: run(*args, bits)) for k, bits in PHASES.items()}


def row(label: str, n: int, cpu: float, wall: float, bound: float, prev: float | None = None) -> float:
    rate, rate_w = n / cpu, n / wall
    vs = f"  {rate / prev:5.2f}x previous" if prev else ""
    print(f"  {label:<40s} {rate / 1e6:7.2f} M/s (cpu) {rate_w / 1e6:7.2f} M/s (wall) {rate / bound:5.0%} of bound{vs}")
    return rate


def throughput(title, net, n, repeat, cache):
    """End-to-end figures of ``net`` beside the gates-alone bound and the previous encoder, measured
    in turns; the 2-thread figure beside the 1-thread one (wall clock); the time per phase."""
    print(f"{title}: {net.num_inputs} inputs, {net.num_gates} gates, {net.num_classes} classes, n = {n}")
    x = np.random.default_rng(1).integers(0, net.input_max + 1, (n, net.num_features)).astype(np.uint8)
    models = {
        "new": build_c(net, "bench", cache_dir=cache),
        "prev": build_c(net, "bench", cache_dir=cache, extra_flags=("-DLDLGN_TILE_ENCODE", "-DLDLGN_LANE_SPREAD")),
        "u64": build_c(net, "bench", cache_dir=cache, vector_bits=64),
        "u64prev": build_c(net, "bench", cache_dir=cache, vector_bits=64, extra_flags=("-DLDLGN_COLUMN_ENCODE",)),
    }
    ref = reference_predict(net, x[:2000])
    for model in models.values():
        got = model.predict(x[:2000], threads=2)
        assert (got[0] == ref[0]).all() and (got[1] == ref[1]).all(), "C model disagrees with the reference"
    vb = models["new"].vector_bits
    gates, gates64 = gate_fn(models["new"]), gate_fn(models["u64"])
    fns: dict[str, Callable[[], object]] = {k: partial(m.predict, x) for k, m in models.items()}
    fns["2 threads"] = lambda: models["new"].predict(x, threads=2)
    fns["bound"] = lambda: gates(max(1, n // vb))
    fns["bound64"] = lambda: gates64(max(1, n // 64))
    fns.update(phase_fns(net, x, cache))
    t = interleaved(fns, repeat)
    bound = max(1, n // vb) * vb / t["bound"][0]
    bound64 = max(1, n // 64) * 64 / t["bound64"][0]
    print(f"  {f'gate evaluation alone ({vb}-bit, pre-packed)':<40s} {bound / 1e6:7.2f} M/s (cpu)  = the bound")
    prev = n / t["prev"][0]
    label = "previous: tile encoder, lane-shift spread"
    print(f"  {label:<40s} {prev / 1e6:7.2f} M/s (cpu) {n / t['prev'][1] / 1e6:7.2f} M/s (wall)")
    c = row(f"C end to end ({vb}-bit words)", n, t["new"][0], t["new"][1], bound, prev)
    print(f"  {'gate evaluation alone (uint64 words)':<40s} {bound64 / 1e6:7.2f} M/s (cpu)  = the uint64 bound")
    row("C end to end (uint64 words)", n, t["u64"][0], t["u64"][1], bound64, n / t["u64prev"][0])
    one, two = n / t["new"][1], n / t["2 threads"][1]
    # on an idle machine with 2 free cores the wall-clock ratio is the speed-up; on a loaded one,
    # 2 x (1-thread CPU time) / (2-thread process CPU time), medians, is what 2 free cores would give
    ideal = 2 * t["new"][2] / t["2 threads"][2]
    print(
        f"  {'2 threads (wall clock)':<40s} {two / 1e6:7.2f} M/s (wall) {two / one:5.2f}x 1 thread (wall); "
        f"CPU time: {ideal:4.2f}x on 2 free cores"
    )
    ns = {k: t[f"phase {k}"][0] / n * 1e9 for k in PHASES}
    parts = sum(ns[k] for k in ("encode", "gates", "count", "output"))
    split = ", ".join(f"{k} {ns[k]:.1f} ns ({ns[k] / parts:.0%})" for k in ("encode", "gates", "count", "output"))
    print(f"  phases alone, per sample: {split}; all {ns['all']:.1f} ns")
    print(f"  only reading the input rows: {ns['read input']:.1f} ns per sample (the memory's bound on encoding)")
    return c, bound, two / one, ideal


def build_time(title, net):
    with tempfile.TemporaryDirectory() as d:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        model = build_c(net, "bench", cache_dir=d)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cc_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        units = len(list(model.library_path.parent.glob("bench_gates*.c")))
    print(
        f"  {title:<44s} {model.build_seconds:8.1f} s wall (emit + compile {units + 1} units with "
        f"{os.cpu_count()} jobs + link; compiler CPU {cc_cpu:.1f} s)"
    )
    return model.build_seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="trained model checkpoint (ldlgn.load(path).discrete())")
    ap.add_argument("--n", type=int, default=200_000, help="samples per timed call")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the 512k-gate build")
    args = ap.parse_args()
    if args.model:
        import ldlgn

        net = lower(ldlgn.load(args.model).discrete())
        title = f"model {os.path.basename(args.model)}"
    else:
        net = random_net(400, [8000] * 6, 10)
        title = "random net (MNIST-small shape)"
    if net.input_bits > 8:
        raise SystemExit("this benchmark feeds uint8 inputs; the model needs input_bits <= 8")
    summary = []
    with tempfile.TemporaryDirectory() as cache:
        summary.append((title, *throughput(title, net, args.n, args.repeat, cache)))
        try:
            from ldlgn.compiler import optimize
        except ImportError:
            print("(ldlgn.compiler.optimize not available: optimized net skipped)")
        else:
            opt, _ = optimize(net)
            summary.append(("same net optimized", *throughput("same net optimized", opt, args.n, args.repeat, cache)))
    print("build times (fresh cache)")
    builds = [(f"{net.num_gates}-gate net", build_time(f"{net.num_gates}-gate net", net))]
    if not args.quick:
        big = "512k-gate net (9216 inputs, 4 x 128k gates)"
        builds.append((big, build_time(big, random_net(9216, [128_000] * 4, 10, seed=1))))
    print("summary (thread CPU time; 2 threads: wall clock against 1 thread's, and by CPU time)")
    for label, c, bound, two, ideal in summary:
        print(
            f"  {label:<32s} end to end {c / 1e6:6.2f} M samples/s | gates alone {bound / 1e6:6.2f} M samples/s "
            f"| ratio {c / bound:4.0%} | 2 threads {two:4.2f}x wall, {ideal:4.2f}x by CPU time"
        )
    for label, seconds in builds:
        print(f"  build {label:<44s} {seconds:6.1f} s")
    print(
        "reference (measured on this machine earlier, not in this run): difflogic CompiledLogicNet "
        "1.03 M samples/s; its single-function build 26.6 s (48k gates), > 26 min (512k gates)"
    )


if __name__ == "__main__":
    main()
