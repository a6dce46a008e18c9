"""The Verilog back end: synthesizable RTL, linted by the real tools, with an optional Yosys area report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .analysis import Analysis
from .backends import Emitted, register_backend
from .lint import lint
from .netlist import Netlist
from .verilog import DEFAULT_POPCOUNT, MANIFEST, emit_verilog
from .yosys import yosys_report

log = logging.getLogger(__name__)

PYVERILOG_MAX_GATES = 20000  #: pyverilog's parser is superlinear; beyond this the lint skips it


class VerilogBackend:
    name = "verilog"
    help = "Verilog-2001 RTL (combinational, or pipelined with --pipeline N|auto), linted, with a Yosys report"
    folder = "verilog"

    def options(self) -> dict[str, Any]:
        return {
            "pipeline_every": None,  # logic levels per register stage, "auto", or None
            "fmax_mhz": None,  # clock target for "auto"
            "stage_levels": None,  # LUT levels per stage for "auto"
            "popcount": DEFAULT_POPCOUNT,
            "argmax": "auto",
            "fold": None,
            "yosys": True,
        }

    def emit(self, netlist: Netlist, out_dir: Path, name: str, analysis: Analysis, **options: Any) -> Emitted:
        rtl = {k: options.get(k, v) for k, v in self.options().items() if k != "yosys"}
        design = emit_verilog(netlist, out_dir, name, analysis=analysis, **rtl)
        lint_report = lint(design, pyverilog=netlist.num_gates <= PYVERILOG_MAX_GATES).check()
        section: dict[str, Any] = {
            "top": design.top,
            "pipeline_every": design.pipeline_every,
            "latency_cycles": design.latency,
            "stage_levels": design.stage_levels,
            "head": design.head,
            "lint": lint_report.results,
        }
        log.info("Verilog: top %s in %s, latency %d cycles, lint clean", design.top, out_dir, design.latency)
        if options.get("yosys", True):
            y = yosys_report(design)
            section["yosys"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in y.items()}
            log.info("Yosys: %s cells, %s LUT-6, LUT depth %s", y["cells"], y["luts"], y["lut_depth"])
        return Emitted([*design.files, out_dir / MANIFEST], design.num_gates, section)

    def emit_lut(self, netlist: Any, out_dir: Path, name: str, analysis: Any, **options: Any) -> Emitted:
        """The same artifacts for a LUT netlist (gates of up to six inputs, docs/n-input-gates.md)."""
        from . import lut_backends

        return lut_backends.emit_verilog(netlist, out_dir, name, analysis, **options)


register_backend(VerilogBackend())
