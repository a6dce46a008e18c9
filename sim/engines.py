"""The engines that ``ldlgn verify`` runs on a build folder, and their registry (docs/engines.md).

An engine has a ``name``, says from a build's report whether the build holds what it needs
(``available``) and runs the build on integer inputs (``run``) giving ``(scores, classes)``.
Torch eval of the checkpoint is the reference and is not an engine here. A back end that can
run its artifacts registers an engine with :func:`register_engine`.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ldlgn.compiler.lut_netlist import LutNetlist
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.report import BuildReport

log = logging.getLogger(__name__)

Prediction = tuple[np.ndarray, np.ndarray]
SAMPLES_PER_JOB = 500  #: fewer samples than this per simulator process do not repay its start-up


@dataclass
class Build:
    """A build folder as the engines see it: where it is, its optimized netlist, its report and the
    files that differ from the manifest."""

    path: Path
    netlist: Netlist | LutNetlist
    report: BuildReport
    modified: list[str]


@dataclass
class EngineRun:
    """What an engine produced: its prediction and the seconds it took. A simulator compares as it
    runs and reports its mismatches instead of a prediction (``prediction`` is None then)."""

    prediction: Prediction | None
    seconds: float
    errors: list[str] = field(default_factory=list)
    mismatches: int = 0
    first_mismatch: str = ""


class Engine(Protocol):
    # read-only, so a class attribute, a dataclass field or a property all conform
    @property
    def name(self) -> str:
        """The engine's name in ``ldlgn verify --engines``; unique among the registered engines."""
        ...

    @property
    def help(self) -> str:
        """One line on what the engine runs."""
        ...

    def available(self, report: BuildReport) -> bool:
        """Whether a build with this report holds the artifacts the engine runs."""
        ...

    def run(self, build: Build, x: np.ndarray, expected: Prediction) -> EngineRun:
        """Run the build on ``x`` (``expected`` lets simulators order and check their samples)."""
        ...


_ENGINES: dict[str, Engine] = {}


def register_engine(engine: Engine) -> Engine:
    if engine.name in _ENGINES:
        raise ValueError(f"an engine named {engine.name!r} is already registered")
    _ENGINES[engine.name] = engine
    return engine


def engines() -> dict[str, Engine]:
    """Every registered engine by name, in registration order."""
    return dict(_ENGINES)


def _timed(fn: Callable[..., Prediction], *args: Any) -> EngineRun:
    t0 = time.perf_counter()
    out = fn(*args)
    return EngineRun(out, time.perf_counter() - t0)


class NumbaEngine:
    name: str = "numba"
    help: str = "bit-parallel evaluator of the build's optimized netlist"

    def available(self, report: BuildReport) -> bool:
        return True

    def run(self, build: Build, x: np.ndarray, expected: Prediction) -> EngineRun:
        from ldlgn.compiler.bitsim import predict_netlist
        from ldlgn.compiler.lut_bitsim import predict_lut_netlist

        net = build.netlist
        if isinstance(net, LutNetlist):
            predict_lut_netlist(net, x[:1])  # compile or load the kernel outside the timing
            return _timed(predict_lut_netlist, net, x)
        predict_netlist(net, x[:1])
        return _timed(predict_netlist, net, x)


class CEngine:
    name: str = "c"
    help: str = "the library built from the C sources shipped in the build (rebuilt if they changed)"

    def available(self, report: BuildReport) -> bool:
        return "c" in report["backends"]

    def run(self, build: Build, x: np.ndarray, expected: Prediction) -> EngineRun:
        from ldlgn.compiler.backend_c import LIB_DIR
        from ldlgn.compiler.c_build import compile_library, library_name, load_library

        name, c_dir = build.report["name"], build.path / "c"
        lib = c_dir / LIB_DIR / library_name(name)
        with tempfile.TemporaryDirectory(prefix="ldlgn_verify_c_") as tmp:
            if any(m.startswith("c/") for m in build.modified) or not lib.is_file():
                log.warning("C sources of %s differ from the build: compiling what is shipped", build.path)
                lib = compile_library(c_dir, name, Path(tmp) / LIB_DIR)
            net = build.netlist
            cmodel = load_library(lib, name, net.num_features, net.num_classes, net.input_bits)
            xc = np.ascontiguousarray(x.astype(cmodel.dtype, copy=False))
            cmodel.predict(xc[:1])  # first call outside the timing
            return _timed(cmodel.predict, xc)


def simulator_jobs(samples: int) -> int:
    """Parallel simulator processes: one per core once each gets ≥ SAMPLES_PER_JOB samples."""
    return max(1, min(os.cpu_count() or 1, samples // SAMPLES_PER_JOB))


@dataclass
class RTLEngine:
    """The build's Verilog under Icarus; the variant it was not compiled as is emitted on the fly."""

    pipelined: bool
    help: str = "the build's Verilog simulated under Icarus Verilog (cocotb)"

    @property
    def name(self) -> str:
        return "rtl-pipelined" if self.pipelined else "rtl"

    def available(self, report: BuildReport) -> bool:
        return "verilog" in report["backends"]

    def run(self, build: Build, x: np.ndarray, expected: Prediction) -> EngineRun:
        from ldlgn.compiler.verilog import VerilogDesign

        from .runner import simulate

        design = VerilogDesign.load(build.path / "verilog")
        target: VerilogDesign | Netlist | LutNetlist = design if design.pipelined == self.pipelined else build.netlist
        result = simulate(target, x, expected[0], expected[1], pipelined=self.pipelined, jobs=simulator_jobs(len(x)))
        first = result.report().splitlines()[1].strip() if result.num_mismatches else ""
        return EngineRun(
            None, len(x) / max(result.vectors_per_s, 1e-9), list(result.errors), result.num_mismatches, first
        )


for _engine in (NumbaEngine(), CEngine(), RTLEngine(False), RTLEngine(True)):
    register_engine(_engine)
