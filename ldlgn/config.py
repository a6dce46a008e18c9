"""What defines a training run, and the vocabularies of its options (torch-free, so the ``ldlgn``
command builds its help without loading torch)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .compiler.encoding import ENCODINGS

#: relaxed-gate kernels: ``auto`` takes numba on the CPU and triton on CUDA when it is installed
BACKENDS = ("auto", "numba", "torch", "triton")
#: how a layer draws the two inputs of each gate: ``random`` is difflogic's
#: balanced draw, ``random-cover`` ldlgn's earlier one
CONNECTIONS = ("random", "unique", "random-cover")
PARAMETRIZATIONS = ("iwp", "op")
#: how OP trains: ``coefficients`` folds the softmax over the 16 gates into four polynomial
#: coefficients per gate (IWP's kernel); ``sixteen`` and ``difflogic`` mix all 16 gate values per
#: sample, as difflogic does (16 or 4 weight-gradient sums per gate: ldlgn.op_sixteen)
OP_KERNELS = ("coefficients", "sixteen", "difflogic")
#: ``-st``: the reference's soft forward with a replaced gradient; ``-hard-st``: hard-forward
#: straight-through estimators (docs/discretization.md)
IWP_ESTIMATORS = (
    "sin",
    "sigmoid",
    "sin-st",
    "sigmoid-st",
    "linear-st",
    "sin-hard-st",
    "sigmoid-hard-st",
    "linear-hard-st",
)
IWP_INITS = ("ri", "gauss", "and-or", "and-or-ri", "uniform")
OP_INITS = ("ri", "gauss")

#: deeper nets than this are refused: far beyond any published depth, and each layer is a module
MAX_DEPTH = 1024
#: inputs of the widest learned gate: one FPGA LUT-6
MAX_GATE_INPUTS = 6
#: seeds are 64-bit signed integers for torch's generators
MAX_SEED = 2**63 - 1

__all__ = [
    "BACKENDS",
    "CONNECTIONS",
    "ENCODINGS",
    "IWP_ESTIMATORS",
    "IWP_INITS",
    "MAX_DEPTH",
    "MAX_GATE_INPUTS",
    "MAX_SEED",
    "OP_INITS",
    "OP_KERNELS",
    "PARAMETRIZATIONS",
    "TrainConfig",
    "option_name",
]

_OPTION_NAMES = {"num_thresholds": "--thresholds", "parametrization": "--param"}


def option_name(field: str) -> str:
    """The ``ldlgn train`` option that sets the :class:`TrainConfig` field ``field``."""
    return _OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


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
    gate_inputs: int = 2  # inputs per learned gate, 2..6 (IWP only; docs/n-input-gates.md)
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
    augment: bool = False  # random resized crops and flips of (C, H, W) images (ldlgn.augment)
    arch: str | None = None  # architecture spec or preset (ldlgn.arch); replaces width and depth
    cuda_graphs: bool = False  # capture the step as a CUDA graph (ldlgn.train_step)
    ddp: bool = False  # one process of a torchrun group (ldlgn.distributed)
    op_kernel: str = "coefficients"  # OP only: "sixteen", "difflogic": difflogic's per-sample work (ldlgn.op_sixteen)

    def check(self) -> None:
        """Raise ``ValueError`` naming the first option out of its range (sizes against the
        machine's memory are checked once the data set is known: :mod:`ldlgn.sizing`)."""
        for name in ("width", "depth", "steps", "num_thresholds", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{option_name(name)} must be ≥ 1, got {getattr(self, name)}")
        if self.depth > MAX_DEPTH:
            raise ValueError(f"--depth must be ≤ {MAX_DEPTH}, got {self.depth}")
        if self.op_kernel not in OP_KERNELS:
            raise ValueError(f"--op-kernel must be one of {', '.join(OP_KERNELS)}, got {self.op_kernel!r}")
        if self.op_kernel != "coefficients" and (self.parametrization != "op" or self.arch is not None):
            raise ValueError(
                f"--op-kernel {self.op_kernel} trains fully connected OP layers: it needs --param op and no --arch"
            )
        if self.arch is not None:
            from .arch import parse

            parse(self.arch)
        if self.cuda_graphs and not self.device.startswith("cuda"):
            raise ValueError(
                f"--cuda-graphs captures the training step on a CUDA GPU; it needs --device cuda, got {self.device!r}"
            )
        self._check_gate_inputs()
        if self.eval_every < 0:
            raise ValueError(f"--eval-every must be ≥ 0 (0: every steps/20), got {self.eval_every}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"--seed must be in 0..2**63-1, got {self.seed}")
        for name in ("lr", "tau", "grad_factor", "mu"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{option_name(name)} must be a finite number, got {value}")
            if name != "mu" and value <= 0:
                raise ValueError(f"{option_name(name)} must be positive, got {value}")

    def _check_gate_inputs(self) -> None:
        n = self.gate_inputs
        if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_GATE_INPUTS:
            raise ValueError(f"--gate-inputs must be an integer in 2..{MAX_GATE_INPUTS}, got {n!r}")
        if n > 2 and self.parametrization != "iwp":
            raise ValueError(
                f"--param {self.parametrization} has 2**(2**n) parameters per gate and stays two-input; "
                f"--gate-inputs {n} needs --param iwp"
            )
        if n > 2 and self.arch is not None:
            raise ValueError(f"--gate-inputs {n} works with --width/--depth only; convolutions (--arch) are two-input")
