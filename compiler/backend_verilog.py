"""The Verilog back end: synthesizable RTL, linted by the real tools, with an optional Yosys area report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .analysis import Analysis
from .backends import Emitted, register_backend
from .lint import lint
from .netlist import Netlist
from .verilog import MANIFEST, emit_verilog
from .yosys import yosys_report

log = logging.getLogger(__name__)

PYVERILOG_MAX_GATES = 20000  #: pyverilog's parser is superlinear; beyond this the lint skips it


class VerilogBackend:
    name = "verilog"
    help = "Verilog-2001 RTL (combinational, or pipelined with --pipeline N), linted, with a Yosys report"
    folder = "verilog"

    def options(self) -> dict[str, Any]:
        return {"pipeline_every": None, "yosys": True}

    def emit(self, netlist: Netlist, out_dir: Path, name: str, analysis: Analysis, **options: Any) -> Emitted:
        design = emit_verilog(netlist, out_dir, name, pipeline_every=options.get("pipeline_every"), analysis=analysis)
        lint_report = lint(design, pyverilog=netlist.num_gates <= PYVERILOG_MAX_GATES).check()
        section: dict[str, Any] = {
            "top": design.top,
            "pipeline_every": design.pipeline_every,
            "latency_cycles": design.latency,
            "lint": lint_report.results,
        }
        log.info("Verilog: top %s in %s, latency %d cycles, lint clean", design.top, out_dir, design.latency)
        if options.get("yosys", True):
            y = yosys_report(design)
            section["yosys"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in y.items()}
            log.info("Yosys: %s cells, %s LUT-6, LUT depth %s", y["cells"], y["luts"], y["lut_depth"])
        return Emitted([*design.files, out_dir / MANIFEST], design.num_gates, section)


register_backend(VerilogBackend())
