"""Netlist files: one ``.npz`` archive of plain arrays plus a JSON metadata string (no pickle).

Arrays: ``input_feature`` int32 (I,), ``input_threshold`` int64 (I,), ``fanin`` int32 (G, 2),
``table`` uint8 (G,), ``outputs`` int32 (O,), and ``metadata``: the UTF-8 bytes (uint8) of a JSON
object ``{"format", "version", "num_features", "input_bits", "num_classes", "name", "num_inputs",
"num_gates", "num_outputs"}``.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .fileio import atomic_write
from .netlist import Netlist

FORMAT = "ldlgn-netlist"
VERSION = 1
_ARRAYS = {  # name: (dtype, ndim)
    "input_feature": (np.int32, 1),
    "input_threshold": (np.int64, 1),
    "fanin": (np.int32, 2),
    "table": (np.uint8, 1),
    "outputs": (np.int32, 1),
}
_INT_META = ("version", "num_features", "input_bits", "num_classes", "num_inputs", "num_gates", "num_outputs")


def save_netlist(netlist: Netlist, path, compress: bool = True) -> Path:
    """Write ``netlist`` to ``path`` (a ``.npz`` file) atomically; return the path."""
    netlist.validate()
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"netlist files end in .npz, got {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "num_features": netlist.num_features,
        "input_bits": netlist.input_bits,
        "num_classes": netlist.num_classes,
        "name": netlist.name,
        "num_inputs": netlist.num_inputs,
        "num_gates": netlist.num_gates,
        "num_outputs": int(netlist.outputs.shape[0]),
    }
    arrays = {name: getattr(netlist, name) for name in _ARRAYS}
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    def write(tmp):
        with open(tmp, "wb") as f:  # a file object: numpy appends no ".npz" to the temporary name
            (np.savez_compressed if compress else np.savez)(f, **arrays)

    return atomic_write(path, write)


class NetlistFileError(ValueError):
    """A file that is not a valid netlist file (corrupt, truncated, foreign or inconsistent)."""


def _bad(path, problem: str) -> NetlistFileError:
    return NetlistFileError(f"{path}: not a valid {FORMAT} file: {problem}")


def _read_metadata(path, raw: np.ndarray) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _bad(path, f"metadata must be 1-D uint8 bytes, got {raw.dtype} {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"metadata is not JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise _bad(path, f"format is {found!r}, expected {FORMAT!r}")
    for key in _INT_META:
        if not isinstance(meta.get(key), int) or isinstance(meta.get(key), bool):
            raise _bad(path, f"metadata field {key!r} must be an integer, got {meta.get(key)!r}")
    if meta["version"] > VERSION:
        raise _bad(path, f"format version {meta['version']} is newer than this ldlgn reads ({VERSION})")
    if not isinstance(meta.get("name"), str):
        raise _bad(path, f"metadata field 'name' must be a string, got {meta.get('name')!r}")
    return meta


def load_netlist(path) -> Netlist:
    """Read a netlist written by :func:`save_netlist`, checking every array and invariant."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"netlist file not found: {path}")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise _bad(path, "it holds a single .npy array, not an .npz archive")
        with npz:
            names = set(npz.files)
            missing = sorted(({"metadata"} | set(_ARRAYS)) - names)
            if missing:
                raise _bad(path, f"missing array(s) {', '.join(missing)}")
            meta = _read_metadata(path, npz["metadata"])
            arrays = {name: npz[name] for name in _ARRAYS}
    except NetlistFileError:
        raise
    except ValueError as e:
        raise _bad(path, f"unreadable archive, or object (pickled) data, which is never loaded ({e})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as e:
        raise _bad(path, f"corrupt or truncated archive ({type(e).__name__}: {e})") from None
    for name, (dtype, ndim) in _ARRAYS.items():
        a = arrays[name]
        if a.dtype != dtype or a.ndim != ndim:
            raise _bad(
                path,
                f"array {name!r} must be {np.dtype(dtype)} with {ndim} dimension(s), "
                f"got {a.dtype} with shape {a.shape}",
            )
    counts = {
        "num_inputs": arrays["input_feature"].shape[0],
        "num_gates": arrays["table"].shape[0],
        "num_outputs": arrays["outputs"].shape[0],
    }
    for key, n in counts.items():
        if meta[key] != n:
            raise _bad(path, f"metadata says {key}={meta[key]} but the arrays hold {n}")
    net = Netlist(
        arrays["input_feature"],
        arrays["input_threshold"],
        meta["num_features"],
        meta["input_bits"],
        arrays["fanin"],
        arrays["table"],
        arrays["outputs"],
        meta["num_classes"],
        meta["name"],
    )
    try:
        return net.validate()
    except ValueError as e:
        raise _bad(path, str(e)) from None
