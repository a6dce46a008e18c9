"""ldlgn.sim: cocotb test benches and their runner (Icarus Verilog), and cross-engine verification.

The runner (and with it cocotb) is imported on first use, so the ``ldlgn`` command and the
verification table load without the simulation stack until a simulation actually runs.
"""

__all__ = ["SimResult", "SimulationError", "simulate"]


def __getattr__(name):
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'ldlgn.sim' has no attribute {name!r}")
