"""LUT netlist files: the ``netlist.npz`` family with format ``ldlgn-lut-netlist`` (no pickle).

Arrays: ``input_feature`` int32 (I,), ``input_threshold`` int64 (I,), ``fanin`` int32 (G, 6),
``arity`` uint8 (G,), ``table`` uint64 (G,), ``outputs`` int32 (O,), and ``metadata``: the UTF-8
bytes of a JSON object with the fields of a two-input netlist file and ``"format":
"ldlgn-lut-netlist"``. :func:`load_any_netlist` reads either kind by its metadata.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .lut_netlist import LutNetlist
from .netlist import Netlist
from .serialize import (
    ArchiveFormat,
    _bad,
    archive_format,
    check_archive,
    netlist_from_archive,
    read_archive,
    write_archive,
)

LUT_FORMAT = ArchiveFormat(
    "ldlgn-lut-netlist",
    1,
    {
        "input_feature": (np.int32, 1),
        "input_threshold": (np.int64, 1),
        "fanin": (np.int32, 2),
        "arity": (np.uint8, 1),
        "table": (np.uint64, 1),
        "outputs": (np.int32, 1),
    },
)
FORMAT = LUT_FORMAT.name


def save_lut_netlist(netlist: LutNetlist, path, compress: bool = True) -> Path:
    """Write ``netlist`` to ``path`` (a ``.npz`` file) atomically; return the path."""
    return write_archive(netlist, path, LUT_FORMAT, compress)


def load_lut_netlist(path) -> LutNetlist:
    """Read a file written by :func:`save_lut_netlist`, checking every array and invariant."""
    path = Path(path)
    return _lut_from_archive(path, *read_archive(path, FORMAT))


def _lut_from_archive(path: Path, meta, arrays: dict[str, np.ndarray]) -> LutNetlist:
    meta = check_archive(path, LUT_FORMAT, meta, arrays)
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
        raise _bad(path, str(e), FORMAT) from None


def load_any_netlist(path) -> Netlist | LutNetlist:
    """A two-input netlist file or a LUT netlist file, told apart by the metadata's format; the
    archive is read once."""
    path = Path(path)
    meta, arrays = read_archive(path)
    if archive_format(meta) == FORMAT:
        return _lut_from_archive(path, meta, arrays)
    return netlist_from_archive(path, meta, arrays)
