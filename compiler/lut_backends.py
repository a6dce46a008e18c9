"""What the built-in back ends emit for a LUT netlist (gates of up to six inputs).

The back-end registry (:mod:`ldlgn.compiler.backends`) holds one object per ``--emit`` name; a
back end that also takes LUT netlists has an ``emit_lut(netlist, out_dir, name, analysis,
**options)`` method with the options of its ``emit``. The C, Verilog and BLIF back ends delegate
that method to the functions here; the others take two-input netlists only.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from .backends import Emitted
from .c_build import compile_library
from .fileio import write_text
from .lint import lint
from .lut_analysis import LutAnalysis
from .lut_blif import lut_blif_text
from .lut_c import DEFAULT_DECOMPOSITION, emit_lut_c
from .lut_netlist import LutNetlist
from .lut_verilog import emit_lut_verilog
from .verilog import MANIFEST
from .yosys import yosys_report

log = logging.getLogger(__name__)

PYVERILOG_MAX_GATES = 20000  #: as the two-input Verilog back end: pyverilog's parser is superlinear


def emit_c(netlist: LutNetlist, out_dir: Path, name: str, analysis: LutAnalysis, **options: Any) -> Emitted:
    """C sources of the decomposed gates and the library built from them (``c/lib``)."""
    from .backend_c import LIB_DIR

    src, two = emit_lut_c(netlist, out_dir, name)
    t0 = time.perf_counter()
    lib = compile_library(out_dir, name, out_dir / LIB_DIR, vector_bits=options.get("vector_bits"))
    seconds = time.perf_counter() - t0
    section = {
        "build_seconds": round(seconds, 3),
        "decomposition": DEFAULT_DECOMPOSITION,
        "word_operations": two.num_gates,
    }
    return Emitted([*src.files, lib], analysis.num_live_gates, section)


def emit_verilog(netlist: LutNetlist, out_dir: Path, name: str, analysis: LutAnalysis, **options: Any) -> Emitted:
    """RTL with one table lookup per gate, linted, with the Yosys report (option ``yosys``)."""
    rtl = {k: v for k, v in options.items() if k != "yosys"}
    design = emit_lut_verilog(netlist, out_dir, name, analysis=analysis, **rtl)
    lint_report = lint(design, pyverilog=netlist.num_gates <= PYVERILOG_MAX_GATES).check()
    section: dict[str, Any] = {
        "top": design.top,
        "pipeline_every": design.pipeline_every,
        "latency_cycles": design.latency,
        "stage_levels": design.stage_levels,
        "head": design.head,
        "lint": lint_report.results,
    }
    if options.get("yosys", True):
        y = yosys_report(design)
        section["yosys"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in y.items()}
        log.info("Yosys: %s cells, %s LUT-6, LUT depth %s", y["cells"], y["luts"], y["lut_depth"])
    return Emitted([*design.files, out_dir / MANIFEST], design.num_gates, section)


def emit_blif(netlist: LutNetlist, out_dir: Path, name: str, analysis: LutAnalysis, **options: Any) -> Emitted:
    """One ``.names`` cover per live gate."""
    path = write_text(out_dir / f"{name}.blif", lut_blif_text(netlist, name, analysis))
    return Emitted(
        [path], analysis.num_live_gates, {"inputs": netlist.num_inputs, "outputs": int(netlist.outputs.size)}
    )
