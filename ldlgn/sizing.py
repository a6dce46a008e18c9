"""Memory a model or a training run needs, estimated from its sizes before anything is allocated,
so a size this machine cannot hold is refused with a message instead of ending in an
out-of-memory kill or an hour of swapping (torch-free)."""

from __future__ import annotations

import os

#: float32 parameter columns per gate
PARAM_COLUMNS = {"iwp": 4, "op": 16}
#: rows the relaxed validation forwards at once (``ldlgn.train.accuracy``)
EVAL_CHUNK = 2048
#: the training options that set a run's size, as the command line spells them
SIZE_OPTIONS = {"width": "--width", "depth": "--depth", "num_thresholds": "--thresholds", "batch_size": "--batch-size"}

_F32, _I64 = 4, 8
_BUILD_BYTES = 6 * _I64  # per gate of the widest layer: drawing its connections (permutations)
_INDEX_BYTES = 3 * _I64  # per gate: the Numba backward pass's reverse index of the connections
_TRAIN_ACT = 4 * _F32  # per unit and batch row: output, the gathered inputs kept for backward, grad
_EVAL_ACT = 3 * _F32  # per unit and row of the widest two layers, without gradients

__all__ = [
    "SIZE_OPTIONS",
    "check_training_fits",
    "format_bytes",
    "gate_count",
    "memory_limit_bytes",
    "model_bytes",
    "training_bytes",
]


def memory_limit_bytes() -> int:
    """The physical memory of this machine: the most a run may plan to use."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # no sysconf: do not guess a limit
        return 1 << 62


def format_bytes(n: int) -> str:
    """``n`` bytes in MiB, GiB or TiB, for messages."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n / 2**20:.3g} MiB"


def gate_count(width: int, depth: int, num_classes: int) -> int:
    """Gates of a ``LogicNet``: ``depth - 1`` layers of ``width`` and a last layer rounded up to a
    multiple of ``num_classes``."""
    return width * (depth - 1) + -(-width // num_classes) * num_classes


def _columns(parametrization: str, gate_inputs: int) -> int:
    """Parameters per gate: ``2**n`` for IWP gates of ``n > 2`` inputs."""
    if gate_inputs > 2:
        return 1 << gate_inputs
    return PARAM_COLUMNS.get(parametrization, max(PARAM_COLUMNS.values()))


def model_bytes(
    num_features: int,
    num_classes: int,
    width: int,
    depth: int,
    num_thresholds: int,
    parametrization: str = "iwp",
    gate_inputs: int = 2,
) -> int:
    """Parameters and buffers of a ``LogicNet``, plus what building its widest layer takes."""
    cols = _columns(parametrization, gate_inputs)
    gates = gate_count(width, depth, num_classes)
    widest = max(width, -(-width // num_classes) * num_classes)
    index = max(2, gate_inputs) * _I64
    return gates * (cols * _F32 + index) + num_features * num_thresholds * _I64 + widest * _BUILD_BYTES


def training_bytes(
    num_features: int,
    num_classes: int,
    width: int,
    depth: int,
    num_thresholds: int,
    batch_size: int,
    parametrization: str = "iwp",
    gate_inputs: int = 2,
) -> int:
    """:func:`model_bytes` plus gradients, Adam's two moments, the reverse index, and the larger
    of the training batch's and the validation chunk's activations (n-input gates: also the
    gradient through each operand, which the Numba backward pass keeps per gate)."""
    cols = _columns(parametrization, gate_inputs)
    gates = gate_count(width, depth, num_classes)
    inputs = num_features * num_thresholds
    widest = max(width, -(-width // num_classes) * num_classes)
    train_act = batch_size * (inputs + gates) * _TRAIN_ACT
    if gate_inputs > 2:
        train_act += batch_size * widest * gate_inputs * _F32
    eval_act = EVAL_CHUNK * (max(inputs, widest) + widest) * _EVAL_ACT
    return (
        model_bytes(num_features, num_classes, width, depth, num_thresholds, parametrization, gate_inputs)
        + gates * (3 * cols * _F32 + _INDEX_BYTES * max(2, gate_inputs) // 2)
        + max(train_act, eval_act)
    )


def check_training_fits(
    num_features: int,
    num_classes: int,
    sizes: dict,
    parametrization: str = "iwp",
    limit: int | None = None,
    gate_inputs: int = 2,
) -> None:
    """Raise ``ValueError`` when a run with ``sizes`` (the keys of :data:`SIZE_OPTIONS`) would need
    more than ``limit`` bytes (default: :func:`memory_limit_bytes`), naming the option whose
    reduction to 1 would save the most."""
    limit = memory_limit_bytes() if limit is None else limit

    def need_for(given: dict) -> int:
        return training_bytes(
            num_features, num_classes, parametrization=parametrization, gate_inputs=gate_inputs, **given
        )

    need = need_for(sizes)
    if need <= limit:
        return
    saved = {k: need - need_for(dict(sizes, **{k: 1})) for k in SIZE_OPTIONS}
    culprit = max(saved, key=saved.__getitem__)
    given = ", ".join(f"{SIZE_OPTIONS[k]} {sizes[k]}" for k in SIZE_OPTIONS)
    raise ValueError(
        f"{SIZE_OPTIONS[culprit]} {sizes[culprit]} is too large: training would need about "
        f"{format_bytes(need)} of memory, but this machine has {format_bytes(limit)} "
        f"({given}; {num_features} features, {num_classes} classes)"
    )
