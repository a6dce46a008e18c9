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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .fileio import atomic_write
from .netlist import Netlist


@dataclass(frozen=True)
class ArchiveFormat:
    """One kind of netlist file: its format name and version, and its arrays (name: (dtype, ndim)).
    Two-input and LUT netlists share the archive layout, the metadata and every check."""

    name: str
    version: int
    arrays: dict[str, tuple[type, int]]


NETLIST_FORMAT = ArchiveFormat(
    "ldlgn-netlist",
    1,
    {
        "input_feature": (np.int32, 1),
        "input_threshold": (np.int64, 1),
        "fanin": (np.int32, 2),
        "table": (np.uint8, 1),
        "outputs": (np.int32, 1),
    },
)
FORMAT, VERSION = NETLIST_FORMAT.name, NETLIST_FORMAT.version
_INT_META = ("version", "num_features", "input_bits", "num_classes", "num_inputs", "num_gates", "num_outputs")


def save_netlist(netlist: Netlist, path, compress: bool = True) -> Path:
    """Write ``netlist`` to ``path`` (a ``.npz`` file) atomically; return the path."""
    return write_archive(netlist, path, NETLIST_FORMAT, compress)


def write_archive(netlist: Any, path, fmt: ArchiveFormat, compress: bool = True) -> Path:
    """Write a validated netlist's ``fmt.arrays`` and metadata to ``path`` (``.npz``) atomically."""
    netlist.validate()
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"netlist files end in .npz, got {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    meta = {
        "format": fmt.name,
        "version": fmt.version,
        "num_features": netlist.num_features,
        "input_bits": netlist.input_bits,
        "num_classes": netlist.num_classes,
        "name": netlist.name,
        "num_inputs": netlist.num_inputs,
        "num_gates": netlist.num_gates,
        "num_outputs": int(netlist.outputs.shape[0]),
    }
    arrays = {name: getattr(netlist, name) for name in fmt.arrays}
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    def write(tmp):
        with open(tmp, "wb") as f:  # a file object: numpy appends no ".npz" to the temporary name
            (np.savez_compressed if compress else np.savez)(f, **arrays)

    return atomic_write(path, write)


class NetlistFileError(ValueError):
    """A file that is not a valid netlist file (corrupt, truncated, foreign or inconsistent)."""


def _bad(path, problem: str, kind: str = FORMAT) -> NetlistFileError:
    return NetlistFileError(f"{path}: not a valid {kind} file: {problem}")


def _read_metadata(path, raw: np.ndarray, kind: str) -> Any:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _bad(path, f"metadata must be 1-D uint8 bytes, got {raw.dtype} {raw.shape}", kind)
    try:
        return json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"metadata is not JSON ({e})", kind) from None


def read_archive(path: Path, kind: str = FORMAT) -> tuple[Any, dict[str, np.ndarray]]:
    """The parsed metadata and every array of a netlist archive, read once (pickled data refused);
    ``kind`` names the expected format in errors. :func:`check_archive` checks them."""
    if not path.is_file():
        raise FileNotFoundError(f"netlist file not found: {path}")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise _bad(path, "it holds a single .npy array, not an .npz archive", kind)
        with npz:
            if "metadata" not in npz.files:
                raise _bad(path, "missing array(s) metadata", kind)
            meta = _read_metadata(path, npz["metadata"], kind)
            arrays = {name: npz[name] for name in npz.files if name != "metadata"}
    except NetlistFileError:
        raise
    except ValueError as e:
        raise _bad(path, f"unreadable archive, or object (pickled) data, which is never loaded ({e})", kind) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as e:
        raise _bad(path, f"corrupt or truncated archive ({type(e).__name__}: {e})", kind) from None
    return meta, arrays


def archive_format(meta: Any) -> Any:
    """The ``format`` a file's metadata names (``None`` when the metadata is not an object)."""
    return meta.get("format") if isinstance(meta, dict) else None


def check_archive(path, fmt: ArchiveFormat, meta: Any, arrays: dict[str, np.ndarray]) -> dict:
    """Check what :func:`read_archive` returned against ``fmt``; return the metadata."""
    if archive_format(meta) != fmt.name:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise _bad(path, f"format is {found!r}, expected {fmt.name!r}", fmt.name)
    missing = sorted(set(fmt.arrays) - set(arrays))
    if missing:
        raise _bad(path, f"missing array(s) {', '.join(missing)}", fmt.name)
    for key in _INT_META:
        if not isinstance(meta.get(key), int) or isinstance(meta.get(key), bool):
            raise _bad(path, f"metadata field {key!r} must be an integer, got {meta.get(key)!r}", fmt.name)
    if meta["version"] > fmt.version:
        raise _bad(path, f"format version {meta['version']} is newer than this ldlgn reads ({fmt.version})", fmt.name)
    if not isinstance(meta.get("name"), str):
        raise _bad(path, f"metadata field 'name' must be a string, got {meta.get('name')!r}", fmt.name)
    for name, (dtype, ndim) in fmt.arrays.items():
        a = arrays[name]
        if a.dtype != dtype or a.ndim != ndim:
            raise _bad(
                path,
                f"array {name!r} must be {np.dtype(dtype)} with {ndim} dimension(s), "
                f"got {a.dtype} with shape {a.shape}",
                fmt.name,
            )
    for key, array in (("num_inputs", "input_feature"), ("num_gates", "table"), ("num_outputs", "outputs")):
        if meta[key] != arrays[array].shape[0]:
            raise _bad(path, f"metadata says {key}={meta[key]} but the arrays hold {arrays[array].shape[0]}", fmt.name)
    return meta


def load_netlist(path) -> Netlist:
    """Read a netlist written by :func:`save_netlist`, checking every array and invariant."""
    path = Path(path)
    return netlist_from_archive(path, *read_archive(path))


def netlist_from_archive(path: Path, meta: Any, arrays: dict[str, np.ndarray]) -> Netlist:
    """The two-input netlist of an archive already read, checked."""
    meta = check_archive(path, NETLIST_FORMAT, meta, arrays)
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
