"""What defines a training run, and the vocabularies of its options (torch-free, so the ``ldlgn``
command builds its help without loading torch)."""
from __future__ import annotations

from dataclasses import dataclass

from .compiler.encoding import ENCODINGS

#: relaxed-gate kernels on the CPU
BACKENDS = ("auto", "numba", "torch")
#: how a layer draws the two inputs of each gate
CONNECTIONS = ("random", "unique")
PARAMETRIZATIONS = ("iwp", "op")
IWP_ESTIMATORS = ("sin", "sigmoid", "sin-st", "sigmoid-st", "linear-st")
IWP_INITS = ("ri", "gauss", "and-or", "and-or-ri", "uniform")
OP_INITS = ("ri", "gauss")

__all__ = ["BACKENDS", "CONNECTIONS", "ENCODINGS", "IWP_ESTIMATORS", "IWP_INITS", "OP_INITS",
           "PARAMETRIZATIONS", "TrainConfig"]


@dataclass
class TrainConfig:
    """Everything that defines a training run (stored in checkpoints and metrics)."""

    data: str = "digits"
    root: str | None = None
    width: int = 2000
    depth: int = 4
    steps: int = 2000
    tau: float = 10.0
    seed: int = 0
    num_thresholds: int = 3
    encoding: str = "uniform"
    parametrization: str = "iwp"
    estimator: str = "sin"
    init: str = "ri"
    connections: str = "random"
    grad_factor: float = 1.0
    mu: float | None = None
    lr: float = 0.01
    batch_size: int = 100
    eval_every: int = 0  # 0: steps // 20
    device: str = "cpu"
    backend: str = "auto"

    def check(self) -> None:
        for name in ("width", "depth", "steps", "num_thresholds", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if self.lr <= 0 or self.tau <= 0:
            raise ValueError("lr and tau must be positive")
