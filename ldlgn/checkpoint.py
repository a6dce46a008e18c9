"""Checkpoints: one file that ``torch.load(path, weights_only=True)`` reads; no pickled objects.

Content: ``{"format": "ldlgn-checkpoint", "version": 1, "config": {...}, "state_dict": {...},
"meta": {...}}`` plus, for training state, ``"train_state"`` (optimizer, step, RNG, history).
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import torch

from .compiler.fileio import atomic_write
from .model import LogicNet

FORMAT = "ldlgn-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, corrupt or not an ldlgn checkpoint."""


def save(model: LogicNet, path, meta: dict | None = None, train_state: dict | None = None) -> Path:
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
    return atomic_write(path, lambda tmp: torch.save(payload, tmp))


def read(path) -> dict:
    """Load and validate a checkpoint's raw content (safe: ``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; refuse legacy pickle files
        raise CheckpointError(f"{path} is truncated or not a torch checkpoint (no complete zip archive)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as err:
        raise CheckpointError(f"{path} is truncated or not a torch checkpoint: {err}") from None
    except Exception as err:  # the safe unpickler refuses foreign objects with its own errors
        raise CheckpointError(f"{path} holds objects a safe load refuses (not an ldlgn checkpoint): {err}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an ldlgn checkpoint (no '{FORMAT}' format tag)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {payload.get('version')}, this ldlgn reads {VERSION}")
    for key in ("config", "state_dict"):
        if not isinstance(payload.get(key), dict):
            raise CheckpointError(f"{path} is missing its '{key}' section")
    return payload


def load(path, device=None) -> LogicNet:
    """Rebuild the model stored in ``path``; its outputs equal the saved model's exactly."""
    payload = read(path)
    try:
        model = LogicNet(**payload["config"])
        model.load_state_dict(payload["state_dict"], strict=True)
    except (TypeError, ValueError, RuntimeError, KeyError) as err:
        raise CheckpointError(f"{path}: config and parameters do not form a valid model: {err}") from None
    model.checkpoint_meta = payload.get("meta", {})
    model.eval()
    return model.to(device) if device is not None else model
