"""ldlgn.compiler: the torch-free core (docs/architecture.md).

Truth tables, the discrete network, the encoder's specification, the netlist IR, its analysis and
passes, the back ends (C, Verilog) and the bit-parallel engine. Nothing here imports torch.
"""

from .analysis import Analysis, analyze
from .backends import Backend, Emitted, backends, get_backend, register_backend
from .c_build import CModel, build_c
from .c_emit import emit_c
from .discrete import DiscreteLayer, DiscreteNet
from .graph import critical_path, depth, fanout, fanout_counts, gate_histogram, gate_name, levels, summary, to_networkx
from .lower import lower
from .netlist import Netlist
from .passes import DEFAULT_PASSES, PASSES, Pass, optimize, register_pass
from .serialize import NetlistFileError, load_netlist, save_netlist
from .verilog import VerilogDesign, emit_verilog

__all__ = [
    "Analysis",
    "analyze",
    "Backend",
    "Emitted",
    "backends",
    "get_backend",
    "register_backend",
    "CModel",
    "build_c",
    "emit_c",
    "VerilogDesign",
    "emit_verilog",
    "DiscreteLayer",
    "DiscreteNet",
    "critical_path",
    "depth",
    "fanout",
    "fanout_counts",
    "gate_histogram",
    "gate_name",
    "levels",
    "summary",
    "to_networkx",
    "lower",
    "Netlist",
    "DEFAULT_PASSES",
    "PASSES",
    "Pass",
    "optimize",
    "register_pass",
    "NetlistFileError",
    "load_netlist",
    "save_netlist",
]
