"""ldlgn.compiler: netlist IR, optimization passes, C and Verilog back ends."""
from .netlist import Netlist

__all__ = ["Netlist"]
from .passes import (DEFAULT_PASSES, PASSES, absorb_inverters, eliminate_dead_gates, fold_duplicate_inputs,
                     optimize, propagate_constants, structural_hash)
from .serialize import NetlistFileError, load_netlist, save_netlist
from .analysis import (critical_path, depth, fanout, fanout_counts, gate_histogram, gate_name, levels, summary,
                       to_networkx)

__all__ += ["DEFAULT_PASSES", "PASSES", "absorb_inverters", "eliminate_dead_gates", "fold_duplicate_inputs",
            "optimize", "propagate_constants", "structural_hash", "NetlistFileError", "load_netlist",
            "save_netlist", "critical_path", "depth", "fanout", "fanout_counts", "gate_histogram", "gate_name",
            "levels", "summary", "to_networkx"]
from .c_emit import CSources, emit_c
from .c_build import CModel, build_c

__all__ += ["CSources", "emit_c", "CModel", "build_c"]
from .verilog import VerilogDesign, emit_verilog
from .lint import LintError, LintReport, ToolNotFoundError, lint, require_tool
from .yosys import yosys_report

__all__ += ["VerilogDesign", "emit_verilog", "LintError", "LintReport", "ToolNotFoundError", "lint",
            "require_tool", "yosys_report"]
