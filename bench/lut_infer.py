"""Bit-sliced C inference of n-input (LUT) networks next to a two-input network, and LUT-6 per gate.

For each network: its LUT gates, the two-input word operations each decomposition of the C back
end leaves after the two-input passes (``shannon``, ``isop``, ``best``), the single-thread
throughput (samples per CPU second of the process, the median of ``--repeat`` turns in which
every engine runs once, so that the load of a shared machine hits all alike) of the C library built
from each (end to end, raw inputs to classes) and of the Numba evaluator; with ``--yosys``, the
LUT-6 Yosys maps the learned logic to (the core modules alone, ``synth -flatten -lut 6``) per gate,
and for the two-input network its core's LUT-6. The two-input network runs through today's C and Verilog back ends.

Networks: trained checkpoints (``--lut-model`` with n-input gates, ``--two-model`` with two-input
gates; loading them needs torch), or by default random networks of the digits shape (64 features,
3 thresholds, 4-bit inputs, 10 classes): 3 × 400 six-input gates and 4 × 2000 two-input gates.

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/lut_infer.py [--yosys]``
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from ldlgn.compiler.bitsim import predict_netlist
from ldlgn.compiler.c_build import compile_library, load_library
from ldlgn.compiler.c_emit import emit_c
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.lower import lower
from ldlgn.compiler.lut_bitsim import predict_lut_netlist
from ldlgn.compiler.lut_c import lut_to_words
from ldlgn.compiler.lut_decompose import METHODS
from ldlgn.compiler.lut_netlist import LutNetlist, lower_lutnet, reference_predict
from ldlgn.compiler.lut_passes import optimize_lut
from ldlgn.compiler.lut_verilog import emit_lut_verilog
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.passes import optimize
from ldlgn.compiler.reference import predict as netlist_predict
from ldlgn.compiler.verilog import emit_verilog
from ldlgn.sim.random_luts import random_lutnet


def random_two_input(seed: int = 0) -> Netlist:
    rng = np.random.default_rng(seed)
    layers, prev = [], 64 * 3
    for w in (2000,) * 4:
        layers.append(DiscreteLayer(rng.integers(0, prev, w), rng.integers(0, prev, w), rng.integers(0, 16, w)))
        prev = w
    thr = np.sort(rng.integers(0, 16, (64, 3)), axis=1)
    return lower(DiscreteNet(thr, 4, layers, 10), "two")


def from_checkpoint(path: str):
    from ldlgn.checkpoint import load

    return load(path).discrete()


def inputs(net, n: int) -> np.ndarray:
    """``n`` random raw inputs of ``net``'s shape."""
    x = np.random.default_rng(1).integers(0, net.input_max + 1, (n, net.num_features))
    return x.astype(np.uint8 if net.input_bits <= 8 else np.uint16)


def interleaved(runs: dict, n: int, repeat: int) -> dict[str, float]:
    """Median samples per CPU second of each run, timed in turns (so load hits all alike)."""
    seconds: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeat):
        for k, fn in runs.items():
            t0 = time.process_time()
            fn()
            seconds[k].append(time.process_time() - t0)
    return {k: n / float(np.median(s)) for k, s in seconds.items()}


def c_model(two: Netlist, x: np.ndarray, want, work: Path, tag: str):
    """A call of the C library built from ``two`` on ``x`` (checked against ``want`` first)."""
    out = work / tag
    emit_c(two, out, "bench")
    model = load_library(
        compile_library(out, "bench", out / "lib"), "bench", two.num_features, two.num_classes, two.input_bits
    )
    xc = np.ascontiguousarray(x.astype(model.dtype))
    scores, _ = model.predict(xc)
    assert np.array_equal(scores, want[0]), f"{tag}: the C library disagrees with the reference"
    return lambda: model.predict(xc)


def core_luts(design, work: Path) -> int:
    """LUT-6 of the learned logic alone: the core modules of an emitted design through Yosys."""
    total = 0
    for f in (Path(f) for f in design.files if Path(f).name.startswith("core_b")):
        for top in re.findall(r"^module (\w+)", f.read_text(), flags=re.M):
            script = f"read_verilog {f}; synth -flatten -top {top} -lut 6; tee -q -o stat.json stat -json"
            subprocess.run(["yosys", "-q", "-p", script], cwd=work, check=True, capture_output=True)
            mods = json.loads((work / "stat.json").read_text())["modules"]
            total += sum(m["num_cells_by_type"].get("$lut", 0) for m in mods.values())
    return total


def bench_lut(lut: LutNetlist, x, work: Path, yosys: bool, runs: dict) -> dict:
    want = reference_predict(lut, x[:2000])
    full = predict_lut_netlist(lut, x)
    assert np.array_equal(full[0][:2000], want[0])
    row: dict = {"gates": lut.num_gates, "arity": lut.arity_histogram()}
    for method in METHODS:
        two = lut_to_words(lut, method)
        row[f"{method}_ops"] = two.num_gates
        runs[f"lut_c_{method}"] = c_model(two, x, full, work, method)
    runs["lut_numba"] = lambda: predict_lut_netlist(lut, x)
    if yosys:
        row["core_lut6"] = core_luts(emit_lut_verilog(lut, work / "rtl", "core"), work)
        row["lut6_per_gate"] = round(row["core_lut6"] / max(lut.num_gates, 1), 3)
    return row


def bench_two(net: Netlist, x, work: Path, yosys: bool, runs: dict) -> dict:
    opt, _ = optimize(net)
    runs["two_c"] = c_model(opt, x, netlist_predict(opt, x), work, "two")
    runs["two_numba"] = lambda: predict_netlist(opt, x)
    row: dict = {"gates": opt.num_gates}
    if yosys:
        row["core_lut6"] = core_luts(emit_verilog(opt, work / "rtl2", "core"), work)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lut-model", help="checkpoint with n-input gates (default: a random six-input net)")
    ap.add_argument("--two-model", help="checkpoint with two-input gates (default: a random net)")
    ap.add_argument("--n", type=int, default=200_000, help="samples per timing")
    ap.add_argument("--repeat", type=int, default=9, help="timed turns; the median is reported")
    ap.add_argument("--yosys", action="store_true", help="also count the LUT-6 of the learned logic")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    numba.set_num_threads(1)
    lutnet = from_checkpoint(args.lut_model) if args.lut_model else random_lutnet(
        (400, 400, 400), (6, 6, 6), num_features=64, thresholds=3, input_bits=4, num_classes=10, seed=0
    )  # fmt: skip
    lut, _ = optimize_lut(lower_lutnet(lutnet, "lut"))
    two = lower(from_checkpoint(args.two_model), "two") if args.two_model else random_two_input()
    runs: dict = {}
    with tempfile.TemporaryDirectory(prefix="ldlgn_lut_bench_") as tmp:
        figures = {
            "lut": bench_lut(lut, inputs(lut, args.n), Path(tmp), args.yosys, runs),
            "two_input": bench_two(two, inputs(two, args.n), Path(tmp), args.yosys, runs),
        }
        for fn in runs.values():
            fn()  # warm caches and compiled kernels outside the timing
        figures["samples_per_cpu_s"] = interleaved(runs, args.n, args.repeat)
    for name, row in figures.items():
        print(name, json.dumps(row))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
