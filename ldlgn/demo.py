"""``ldlgn demo``: the whole flow on digits in a few minutes.

Train IWP-RI → plots → netlist + optimization → C and Verilog → Yosys → verify torch, Numba, C and
the RTL (combinational and pipelined) on the whole test split → summary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .compiler.fileio import write_json

logger = logging.getLogger(__name__)


def c_throughput(build_dir, x, min_samples: int = 1_000_000) -> float:
    """Single-thread samples/s of the build's C library, raw inputs → classes."""
    from .compiler.backend_c import LIB_DIR
    from .compiler.c_build import library_name, load_library
    from .compiler.pipeline import load_build

    net, report = load_build(build_dir)
    lib = Path(build_dir) / "c" / LIB_DIR / library_name(report["name"])
    cmodel = load_library(lib, report["name"], net.num_features, net.num_classes, net.input_bits)
    big = np.ascontiguousarray(np.tile(x.astype(cmodel.dtype), (-(-min_samples // len(x)), 1)))
    cmodel.predict(big[:4096])  # warm-up
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        cmodel.predict(big)
        best = max(best, len(big) / (time.perf_counter() - t0))
    return best


def run_demo(
    out="runs/demo",
    steps: int = 2000,
    width: int = 2000,
    depth: int = 4,
    progress: bool = True,
    log: Callable[[str], None] = logger.info,
) -> dict:
    """Run the flow into ``out``; returns the summary (also written to ``out/summary.json``)."""
    from .checkpoint import load
    from .compiler.pipeline import compile_model
    from .datasets import load_dataset
    from .plots import write_run_plots
    from .train import TrainConfig, train

    t0 = time.perf_counter()
    out = Path(out)
    cfg = TrainConfig(data="digits", width=width, depth=depth, steps=steps, tau=10.0, seed=0)
    log(f"[1/5] training IWP-RI on digits: {depth} layers × {width} gates, {steps} steps")
    metrics = train(cfg, out, progress=progress)
    log(
        f"      test accuracy {metrics['test_acc_discrete']:.4f} (discretized), "
        f"{metrics['test_acc_relaxed']:.4f} (relaxed), {metrics['seconds']:.1f} s"
    )
    plots = write_run_plots(out)
    log("[2/5] compiling: netlist, optimization, C, Verilog, Yosys")
    model = load(out / "model.pt")
    build = out / "build"
    rtl = {"verilog": {"pipeline_every": "auto"}}  # registers by estimated LUT levels (docs/fpga.md)
    report = compile_model(model, build, "digits", emit=("c", "verilog"), options=rtl, source=str(out / "model.pt"))
    ds = load_dataset("digits", seed=cfg.seed)
    log(f"[3/5] verifying every engine on the whole test split ({len(ds.y_test)} samples)")
    rows, formal = _verify_build(model, build, ds, out / "model.pt", log)
    log("[4/5] measuring C throughput (single thread)")
    c_rate = c_throughput(build, ds.x_test)
    passed = all(r.passed for r in rows) and formal["passed"]
    summary = {
        "passed": passed,
        "formal": {"passed": formal["passed"], "proofs": len(formal["proofs"]), "seconds": formal["seconds"]},
        "test_acc_discrete": metrics["test_acc_discrete"],
        "test_acc_relaxed": metrics["test_acc_relaxed"],
        "train_seconds": metrics["seconds"],
        "gates_trained": report["gates_raw"],
        "gates_optimized": report["gates_opt"],
        "depth": report["depth"],
        "lut6": report["backends"].get("verilog", {}).get("yosys", {}).get("luts"),
        "flip_flops": report["backends"].get("verilog", {}).get("yosys", {}).get("flip_flops"),
        "latency_cycles": report["backends"].get("verilog", {}).get("latency_cycles"),
        "c_samples_per_s": round(c_rate),
        "engines": {r.engine: {"agreement": r.agreement, "samples": r.samples} for r in rows},
        "artifacts": {"model": str(out / "model.pt"), "build": str(build), "plots": [str(p) for p in plots]},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_json(out / "summary.json", summary)
    log("[5/5] summary")
    for line in _summary_lines(summary, rows):
        log("      " + line)
    return summary


def _verify_build(model, build: Path, ds, source: Path, log: Callable[[str], None]) -> tuple[list, dict]:
    """Every engine on the whole test split, then the proofs for every input; both go to
    ``verify.json`` in the build."""
    from .sim.formal import verify_formal
    from .sim.verify import verify, write_verify_json

    rows = verify(model, build, ds.x_test, ds.y_test, log_line=lambda m: log("    " + m))
    log("      proving the build equivalent to the model for every input (docs/formal.md)")
    formal = verify_formal(model, build, log_line=lambda m: log("    " + m))
    write_verify_json(build, rows, {"model": str(source), "data": "digits", "split": "test"}, formal)
    return rows, formal


def _summary_lines(s: dict, rows: list) -> list[str]:
    agree = ", ".join(f"{r.engine} {r.agreement:.0%}" for r in rows)
    return [
        f"accuracy (test, discretized)  {s['test_acc_discrete']:.4f}",
        f"gates trained → optimized     {s['gates_trained']} → {s['gates_optimized']} (logic depth {s['depth']})",
        f"FPGA (Yosys, generic LUT-6)   {s['lut6']} LUT-6, {s['flip_flops']} FFs, {s['latency_cycles']} cycles",
        f"Fmax (not run by the demo)    ldlgn synth {s['artifacts']['build']} --target ecp5-25k|ice40-hx8k",
        f"C inference (1 thread)        {s['c_samples_per_s'] / 1e6:.2f} M samples/s",
        f"agreement with torch eval     {agree}",
        f"formal proof, every input     {_proved(s['formal'])}",
        (
            f"result                        {'ALL ENGINES AGREE' if all(r.passed for r in rows) else 'MISMATCH'}, "
            f"{'proved equivalent' if s['formal']['passed'] else 'NOT PROVED equivalent'}"
        ),
        (
            f"artifacts                     {s['artifacts']['model']}, {s['artifacts']['build']}/ "
            f"(c/, verilog/, netlist.npz, report.json, verify.json), plots in {Path(s['artifacts']['model']).parent}/"
        ),
        f"total time                    {s['seconds']:.0f} s",
    ]


def _proved(f: dict) -> str:
    word = "proved equivalent" if f["passed"] else "NOT PROVED equivalent"
    return f"{word} ({f['proofs']} proofs, {f['seconds']:.0f} s)"
