"""ldlgn.compiler: netlist IR, optimization passes, C and Verilog back ends."""
from .netlist import Netlist

__all__ = ["Netlist"]
