"""ldlgn.sim: cocotb test benches and their runner (Icarus Verilog)."""
from .runner import SimResult, SimulationError, simulate

__all__ = ["SimResult", "SimulationError", "simulate"]
