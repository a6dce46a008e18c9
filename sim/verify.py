"""Cross-engine verification: torch eval, Numba, C and the RTL under Icarus on real data.

Torch eval of the checkpoint is the reference; every other engine runs the artifacts of a build
folder (its optimized ``netlist.npz``, its C library, its Verilog) and must give identical integer
class scores and classes for every sample.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ldlgn.compiler.fileio import write_json

ENGINES = ("torch", "numba", "c", "rtl", "rtl-pipelined")
SAMPLES_PER_JOB = 500  #: fewer samples than this per simulator process do not repay its start-up


@dataclass
class EngineResult:
    """One row of the verification table."""

    engine: str
    samples: int
    agreement: float  # fraction of samples whose scores and class equal torch eval's
    accuracy: float | None
    samples_per_s: float
    mismatches: int
    first_mismatch: str = ""

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and self.samples > 0


def available_engines(build_dir) -> tuple:
    """The engines a build folder can run: torch and Numba always, C and RTL when emitted."""
    from ldlgn.compiler.pipeline import read_report

    report = read_report(build_dir)
    engines = ["torch", "numba"] + (["c"] if "c_files" in report else [])
    return tuple(engines + (["rtl", "rtl-pipelined"] if "verilog_top" in report else []))


def _compare(engine, ref, got, seconds, y) -> EngineResult:
    scores, classes = got
    same = (scores == ref[0]).all(1) & (classes == ref[1])
    bad = np.flatnonzero(~same)
    first = ""
    if bad.size:
        i = int(bad[0])
        first = (f"sample {i}: expected scores {ref[0][i].tolist()} class {int(ref[1][i])}, "
                 f"got scores {scores[i].tolist()} class {int(classes[i])}")
    acc = float((classes == y).mean()) if y is not None and len(y) else None
    return EngineResult(engine, len(classes), float(same.mean()) if len(same) else 0.0, acc,
                        len(classes) / max(seconds, 1e-9), int(bad.size), first)


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def verify(model, build_dir, x, y=None, engines=ENGINES, log=print) -> list[EngineResult]:
    """Run every engine in ``engines`` on ``x`` and compare with torch eval of ``model``."""
    from ldlgn.compiler.bitsim import predict_netlist
    from ldlgn.compiler.pipeline import load_build

    unknown = set(engines) - set(ENGINES)
    if unknown:
        raise ValueError(f"unknown engines {sorted(unknown)}; choose from {ENGINES}")
    build = Path(build_dir)
    net, report = load_build(build)
    x = np.ascontiguousarray(x)
    model.predict(x[:1], "torch")  # load the kernels outside the timing
    ref, seconds = _timed(model.predict, x, "torch")
    rows = [_compare("torch", ref, ref, seconds, y)]
    if "numba" in engines:
        predict_netlist(net, x[:1])  # compile or load the kernel outside the timing
        rows.append(_compare("numba", ref, *_timed(predict_netlist, net, x), y))
    if "c" in engines:
        rows.append(_verify_c(net, report, build, ref, x, y))
    for engine in ("rtl", "rtl-pipelined"):
        if engine in engines:
            rows.append(_verify_rtl(engine, net, build, ref, x, y))
    for row in rows:
        acc = "-" if row.accuracy is None else f"{row.accuracy:.4f}"
        log(f"{row.engine:<14} {row.samples:>7} samples  agreement {row.agreement:8.2%}  accuracy {acc:>6}  "
            f"{row.samples_per_s:>12,.0f} samples/s" + (f"  {row.first_mismatch}" if row.first_mismatch else ""))
    return rows


def _verify_c(net, report, build: Path, ref, x, y) -> EngineResult:
    from ldlgn.compiler.pipeline import load_c_model

    cmodel = load_c_model(build, net, report)
    xc = np.ascontiguousarray(x.astype(cmodel.dtype, copy=False))
    cmodel.predict(xc[:1])  # first call outside the timing
    return _compare("c", ref, *_timed(cmodel.predict, xc), y)


def simulator_jobs(samples: int) -> int:
    """Parallel simulator processes: one per core once each gets ≥ SAMPLES_PER_JOB samples."""
    return max(1, min(os.cpu_count() or 1, samples // SAMPLES_PER_JOB))


def _verify_rtl(engine: str, net, build: Path, ref, x, y) -> EngineResult:
    """Simulate the build's design; the other variant (combinational / pipelined) is emitted on the fly."""
    from ldlgn.compiler.verilog import VerilogDesign
    from ldlgn.sim.runner import simulate

    if not (build / "verilog").is_dir():
        raise FileNotFoundError(f"{build} holds no Verilog: compile with `ldlgn compile MODEL --out {build} --verilog`")
    design = VerilogDesign.load(build / "verilog")
    pipelined = engine == "rtl-pipelined"
    target = design if design.pipelined == pipelined else net  # a netlist is emitted by simulate itself
    result = simulate(target, x, ref[0], ref[1], pipelined=pipelined, jobs=simulator_jobs(len(x)))
    if result.errors:
        raise RuntimeError(f"{engine} simulation: " + "; ".join(result.errors))
    first = result.report().splitlines()[1].strip() if result.num_mismatches else ""
    acc = float((ref[1] == y).mean()) if y is not None and len(y) and result.passed else None
    return EngineResult(engine, result.samples, 1 - result.num_mismatches / max(result.samples, 1), acc,
                        result.vectors_per_s, result.num_mismatches, first)


def write_verify_json(build_dir, rows: list[EngineResult], meta: dict) -> Path:
    """``verify.json``: the table plus what was verified."""
    data = dict(meta, passed=all(r.passed for r in rows), engines=[asdict(r) for r in rows])
    return write_json(Path(build_dir) / "verify.json", data)
