"""Bit-sliced C inference: single-thread throughput and build times, side by side with baselines.

Throughput (MNIST-small shape: 400 uint8 features with one threshold each → 6 × 8000 gates,
GroupSum k=10; or ``--model``), single thread, end to end from raw inputs to classes:

* the C model built with the widest vector word (``CModel.predict``),
* the same net built with the portable ``uint64_t`` word (``vector_bits=64``),
* the Numba bit-parallel evaluator (``ldlgn.compiler.bitsim``, one thread) when it is importable,
* the bound: the same emitted gate code alone on pre-packed inputs (no encoding, no counting),

for a random net and for the same net after ``ldlgn.compiler.optimize`` (when the passes exist).
Times are thread CPU seconds (the figures that do not depend on other load on the machine) and
wall seconds, best of ``--repeat``.

Build times (fresh cache): the 48k-gate net and a 512k-gate net (9216 inputs → 4 × 128k gates).

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/c_infer.py``
(``--quick`` skips the 512k-gate build; ``--model path/to/model.pt`` uses a trained model).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import tempfile
import time

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


def gate_bound(model, n, repeat):
    """Samples/s of the emitted gate code alone (pre-packed pseudo-random input words)."""
    fn = getattr(model._lib, f"ldlgn_{model.name}_bench_gates")
    fn.restype, fn.argtypes = ctypes.c_int64, [ctypes.c_size_t]
    blocks = max(1, n // model.vector_bits)
    fn(1)
    cpu, wall = timed(lambda: fn(blocks), repeat)
    return blocks * model.vector_bits / cpu, blocks * model.vector_bits / wall


def row(label, n, cpu, wall, ref=None):
    rate, rate_w = n / cpu, n / wall
    ratio = f"{rate / ref:7.2f}x" if ref else "        "
    print(f"  {label:<44s} {rate / 1e6:8.2f} M/s (cpu) {rate_w / 1e6:8.2f} M/s (wall) {ratio}")
    return rate


def throughput(title, net, n, repeat, cache):
    print(f"{title}: {net.num_inputs} inputs, {net.num_gates} gates, {net.num_classes} classes, n = {n}")
    x = np.random.default_rng(1).integers(0, net.input_max + 1, (n, net.num_features)).astype(np.uint8)
    model = build_c(net, "bench", cache_dir=cache)
    ref = reference_predict(net, x[:2000])
    got = model.predict(x[:2000])
    assert (got[0] == ref[0]).all() and (got[1] == ref[1]).all(), "C model disagrees with the reference evaluator"
    model.predict(x[:1000])
    cpu, wall = timed(lambda: model.predict(x), repeat)
    bound_cpu, bound_wall = gate_bound(model, n, repeat)
    print(
        f"  gate evaluation alone ({model.vector_bits}-bit words, pre-packed) "
        f"{bound_cpu / 1e6:8.2f} M/s (cpu) {bound_wall / 1e6:8.2f} M/s (wall)    1.00x"
    )
    c = row(f"C end to end ({model.vector_bits}-bit words)", n, cpu, wall, bound_cpu)
    scalar = build_c(net, "bench", cache_dir=cache, vector_bits=64)
    scalar.predict(x[:1000])
    row("C end to end (uint64 words)", n, *timed(lambda: scalar.predict(x), repeat), bound_cpu)
    try:
        import numba

        from ldlgn.compiler.bitsim import predict_netlist
    except ImportError:
        print("  (ldlgn.compiler.bitsim not available: Numba baseline skipped)")
    else:
        numba.set_num_threads(1)
        predict_netlist(net, x[:1000])
        m = min(n, 20000)
        row(
            "Numba bit-parallel evaluator (1 thread)", m, *timed(lambda: predict_netlist(net, x[:m]), repeat), bound_cpu
        )
    print(f"  => end to end {c / 1e6:.2f} M samples/s, {c / bound_cpu:.0%} of the gate-evaluation bound")
    return c, bound_cpu


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
    print("summary (single thread, thread CPU time)")
    for label, c, bound in summary:
        print(
            f"  {label:<32s} end to end {c / 1e6:6.2f} M samples/s | gates alone {bound / 1e6:6.2f} M samples/s "
            f"| ratio {c / bound:4.0%}"
        )
    for label, seconds in builds:
        print(f"  build {label:<44s} {seconds:6.1f} s")
    print(
        "reference (measured on this machine earlier, not in this run): difflogic CompiledLogicNet "
        "1.03 M samples/s; its single-function build 26.6 s (48k gates), > 26 min (512k gates)"
    )


if __name__ == "__main__":
    main()
