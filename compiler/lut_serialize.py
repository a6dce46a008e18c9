"""LUT netlist files: the ``netlist.npz`` family with format ``ldlgn-lut-netlist`` (no pickle).

Arrays: ``input_feature`` int32 (I,), ``input_threshold`` int64 (I,), ``fanin`` int32 (G, 6),
``arity`` uint8 (G,), ``table`` uint64 (G,), ``outputs`` int32 (O,), and ``metadata``: the UTF-8
bytes of a JSON object with the fields of a two-input netlist file and ``"format":
"ldlgn-lut-netlist"``. :func:`load_any_netlist` reads either kind by its metadata.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import serialize
from .fileio import atomic_write
from .lut_netlist import LutNetlist
from .netlist import Netlist
from .serialize import NetlistFileError

FORMAT = "ldlgn-lut-netlist"
VERSION = 1
_ARRAYS = {
    "input_feature": (np.int32, 1),
    "input_threshold": (np.int64, 1),
    "fanin": (np.int32, 2),
    "arity": (np.uint8, 1),
    "table": (np.uint64, 1),
    "outputs": (np.int32, 1),
}
_INT_META = ("version", "num_features", "input_bits", "num_classes", "num_inputs", "num_gates", "num_outputs")


def save_lut_netlist(netlist: LutNetlist, path, compress: bool = True) -> Path:
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
        with open(tmp, "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)

    return atomic_write(path, write)


def _bad(path, problem: str) -> NetlistFileError:
    return NetlistFileError(f"{path}: not a valid {FORMAT} file: {problem}")


def _metadata(path, raw: np.ndarray) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _bad(path, f"metadata must be 1-D uint8 bytes, got {raw.dtype} {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"metadata is not JSON ({e})") from None
    if not isinstance(meta, dict):
        raise _bad(path, f"metadata is a {type(meta).__name__}, not an object")
    return meta


def _open(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Metadata and every array of an ``.npz`` archive (pickled data refused)."""
    if not path.is_file():
        raise FileNotFoundError(f"netlist file not found: {path}")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise _bad(path, "it holds a single .npy array, not an .npz archive")
        with npz:
            if "metadata" not in npz.files:
                raise _bad(path, "missing array metadata")
            meta = _metadata(path, npz["metadata"])
            arrays = {name: npz[name] for name in npz.files if name in _ARRAYS}
    except NetlistFileError:
        raise
    except ValueError as e:
        raise _bad(path, f"unreadable archive, or object (pickled) data, which is never loaded ({e})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as e:
        raise _bad(path, f"corrupt or truncated archive ({type(e).__name__}: {e})") from None
    return meta, arrays


def _check(path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    for key in _INT_META:
        if not isinstance(meta.get(key), int) or isinstance(meta.get(key), bool):
            raise _bad(path, f"metadata field {key!r} must be an integer, got {meta.get(key)!r}")
    if meta["version"] > VERSION:
        raise _bad(path, f"format version {meta['version']} is newer than this ldlgn reads ({VERSION})")
    if not isinstance(meta.get("name"), str):
        raise _bad(path, f"metadata field 'name' must be a string, got {meta.get('name')!r}")
    missing = sorted(set(_ARRAYS) - set(arrays))
    if missing:
        raise _bad(path, f"missing array(s) {', '.join(missing)}")
    for name, (dtype, ndim) in _ARRAYS.items():
        a = arrays[name]
        if a.dtype != dtype or a.ndim != ndim:
            raise _bad(
                path, f"array {name!r} must be {np.dtype(dtype)} with {ndim} dimension(s), got {a.dtype} {a.shape}"
            )
    counts = {"num_inputs": "input_feature", "num_gates": "table", "num_outputs": "outputs"}
    for key, array in counts.items():
        if meta[key] != arrays[array].shape[0]:
            raise _bad(path, f"metadata says {key}={meta[key]} but the arrays hold {arrays[array].shape[0]}")


def load_lut_netlist(path) -> LutNetlist:
    """Read a file written by :func:`save_lut_netlist`, checking every array and invariant."""
    path = Path(path)
    meta, arrays = _open(path)
    if meta.get("format") != FORMAT:
        raise _bad(path, f"format is {meta.get('format')!r}, expected {FORMAT!r}")
    _check(path, meta, arrays)
    net = LutNetlist(
        arrays["input_feature"],
        arrays["input_threshold"],
        meta["num_features"],
        meta["input_bits"],
        arrays["fanin"],
        arrays["arity"],
        arrays["table"],
        arrays["outputs"],
        meta["num_classes"],
        meta["name"],
    )
    try:
        return net.validate()
    except ValueError as e:
        raise _bad(path, str(e)) from None


def load_any_netlist(path) -> Netlist | LutNetlist:
    """A two-input netlist file or a LUT netlist file, told apart by the metadata's format."""
    meta, _ = _open(Path(path))
    if meta.get("format") == FORMAT:
        return load_lut_netlist(path)
    return serialize.load_netlist(path)
