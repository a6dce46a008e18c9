"""ldlgn.compiler: the torch-free core (docs/architecture.md).

Truth tables, the discrete network, the encoder's specification, the netlist IR, its analysis and
passes, the back ends (C, Verilog) and the bit-parallel engine. Nothing here imports torch.
"""
from .analysis import Analysis, analyze
from .discrete import DiscreteLayer, DiscreteNet
from .graph import critical_path, depth, fanout, fanout_counts, gate_histogram, gate_name, levels, summary, to_networkx
from .lower import lower
from .netlist import Netlist
from .passes import DEFAULT_PASSES, PASSES, Pass, optimize, register_pass
from .serialize import NetlistFileError, load_netlist, save_netlist

__all__ = [
    "Analysis", "analyze", "DiscreteLayer", "DiscreteNet", "critical_path", "depth", "fanout", "fanout_counts",
    "gate_histogram", "gate_name", "levels", "summary", "to_networkx", "lower", "Netlist", "DEFAULT_PASSES",
    "PASSES", "Pass", "optimize", "register_pass", "NetlistFileError", "load_netlist", "save_netlist",
]
