"""Checkpoints: one file that ``torch.load(path, weights_only=True)`` reads; no pickled objects.

Content: ``{"format": "ldlgn-checkpoint", "version": 1, "config": {...}, "state_dict": {...},
"meta": {...}}`` plus, for training state, ``"train_state"`` (optimizer, step, RNG, history).
The same content gives the same bytes. A stored config is checked against this machine's memory
and against the stored parameters before any model is built from it.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import torch

from . import sizing
from .compiler.fileio import atomic_write
from .model import GateNet, LogicNet

FORMAT = "ldlgn-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, corrupt or not an ldlgn checkpoint."""


def save(model: GateNet, path, meta: dict | None = None, train_state: dict | None = None) -> Path:
    """Write ``model`` (config + parameters + connections + encoder) to ``path`` atomically."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": dict(model.config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    if train_state is not None:
        payload["train_state"] = train_state
    buffer = io.BytesIO()  # torch names the archive's top folder after a path, "archive" for a buffer
    torch.save(payload, buffer)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))


def _reason(err: Exception) -> str:
    """torch's message cut to its verdict: ldlgn never passes on torch's advice to load unsafely."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip()  # no terminal colours
    found = re.search(r"WeightsUnpickler error:(.*?)(?:Check the documentation|$)", text, re.DOTALL)
    if found:
        line = " ".join(found.group(1).split())
    elif text:
        line = text.splitlines()[0]
    else:
        line = ""
    line = re.split(r"\.\s+(?:Please|Use|Re-running|If you|Check|You can)\b", line)[0].rstrip(". ")
    if not line or re.search(r"weights_only|safe_globals|trust", line, re.IGNORECASE):
        return type(err).__name__
    return line


def read(path) -> dict:
    """Load and validate a checkpoint's raw content (safe: ``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; refuse legacy pickle files
        raise CheckpointError(f"{path} is truncated or not a torch checkpoint (no complete zip archive)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        if "WeightsUnpickler" in str(err) or "weights_only" in str(err):  # foreign objects refused
            raise CheckpointError(
                f"{path} holds objects a safe load refuses (not an ldlgn checkpoint): {_reason(err)}"
            ) from None
        raise CheckpointError(f"{path} is truncated or not a torch checkpoint: {_reason(err)}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an ldlgn checkpoint (no '{FORMAT}' format tag)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {payload.get('version')}, this ldlgn reads {VERSION}")
    for key in ("config", "state_dict"):
        if not isinstance(payload.get(key), dict):
            raise CheckpointError(f"{path} is missing its '{key}' section")
    return payload


def model_from_config(config: dict) -> GateNet:
    """A fresh model of the class a stored ``config`` describes: a ``ConvLogicNet`` when it names an
    architecture spec (``arch``), else a ``LogicNet``."""
    if "arch" in config:
        from .conv_model import ConvLogicNet

        return ConvLogicNet(**config)
    return LogicNet(**config)


def load(path, device=None) -> GateNet:
    """Rebuild the model stored in ``path``; its outputs equal the saved model's exactly."""
    payload = read(path)
    _check_sizes(path, payload)
    try:
        model = model_from_config(payload["config"])
        model.load_state_dict(payload["state_dict"], strict=True)
    except (TypeError, ValueError, RuntimeError, KeyError) as err:
        raise CheckpointError(f"{path}: config and parameters do not form a valid model: {err}") from None
    model.checkpoint_meta = payload.get("meta", {})
    model.eval()
    return model.to(device) if device is not None else model


def _check_sizes(path, payload: dict) -> None:
    """Refuse a config that this machine cannot hold or that the stored parameters contradict,
    before building it: a small file may claim a model of any size."""
    cfg = payload["config"]
    if "arch" in cfg:
        return _check_arch_sizes(path, payload)
    keys = ("num_features", "num_classes", "width", "depth", "num_thresholds")
    if not all(isinstance(cfg.get(k), int) and not isinstance(cfg[k], bool) and cfg[k] >= 1 for k in keys):
        raise CheckpointError(
            f"{path}: config sizes {', '.join(keys)} must be positive integers, got {[cfg.get(k) for k in keys]}"
        )
    sizes = ", ".join(f"{k}={cfg[k]}" for k in keys)
    gate_inputs = cfg.get("gate_inputs", 2)  # checkpoints of two-input models do not store it
    if isinstance(gate_inputs, bool) or not isinstance(gate_inputs, int) or not 2 <= gate_inputs <= 6:
        raise CheckpointError(f"{path}: config gate_inputs must be an integer in 2..6, got {gate_inputs!r}")
    need = sizing.model_bytes(
        **{k: cfg[k] for k in keys}, parametrization=cfg.get("parametrization"), gate_inputs=gate_inputs
    )
    limit = sizing.memory_limit_bytes()
    if need > limit:
        raise CheckpointError(
            f"{path}: its config ({sizes}) describes a model that needs about "
            f"{sizing.format_bytes(need)} of memory, more than this machine's "
            f"{sizing.format_bytes(limit)}"
        )
    gates = sizing.gate_count(cfg["width"], cfg["depth"], cfg["num_classes"])
    stored = _stored_rows(payload)
    if stored != gates:
        raise CheckpointError(
            f"{path}: config and parameters do not form a valid model: its config "
            f"({sizes}) makes {gates} gates, but the file stores parameters of {stored}"
        )


def _stored_rows(payload: dict) -> int:
    """Parameter rows the file stores: the first dimension of every gate layer's ``weights``."""
    return sum(
        int(v.shape[0])
        for k, v in payload["state_dict"].items()
        if k.endswith(".weights") and isinstance(v, torch.Tensor) and v.dim() > 0
    )


def _check_arch_sizes(path, payload: dict) -> None:
    """:func:`_check_sizes` for a convolutional config: its spec, image shape and sizes must be
    valid, fit in memory, and make as many parameter rows as the file stores."""
    from . import arch

    cfg = payload["config"]
    keys = ("num_features", "num_classes", "num_thresholds")
    sizes = [cfg.get(k) for k in keys]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in sizes):
        raise CheckpointError(f"{path}: config sizes {', '.join(keys)} must be positive integers, got {sizes}")
    try:
        image = arch.image_shape(cfg.get("image_shape") or ())
        plans = arch.plan(str(cfg["arch"]), image, cfg["num_thresholds"], cfg["num_classes"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: config and parameters do not form a valid model: {err}") from None
    need = arch.model_bytes(plans, cfg["num_features"], cfg["num_thresholds"], cfg.get("parametrization", "op"))
    limit = sizing.memory_limit_bytes()
    if need > limit:
        raise CheckpointError(
            f"{path}: its architecture needs about {sizing.format_bytes(need)} of memory, more than this "
            f"machine's {sizing.format_bytes(limit)}"
        )
    rows = sum(p.parameter_rows for p in plans)
    stored = _stored_rows(payload)
    if stored != rows:
        raise CheckpointError(
            f"{path}: config and parameters do not form a valid model: its architecture has {rows} "
            f"parameter rows, but the file stores {stored}"
        )
