"""Readers for the standard on-disk formats of the training data sets.

* IDX (MNIST, Fashion-MNIST), raw or gzip-compressed: :func:`read_idx`.
* CIFAR-10 / CIFAR-100 *binary version* records: :func:`read_cifar_records`.
* ``.npz`` archives of plain arrays: :func:`read_npz`.

Every reader checks the file against its format and raises ``ValueError`` naming the file and
the problem (truncated, foreign, corrupt). Nothing is ever unpickled.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

# IDX type codes (third byte of the magic number) -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

CIFAR_IMAGE_BYTES = 3 * 32 * 32
PICKLE_PROTOCOL_MARK = 0x80  # first byte of a pickle (protocol >= 2)


def read_bytes(path: str | os.PathLike) -> bytes:
    """The contents of ``path``; files ending in ``.gz`` are decompressed."""
    path = Path(path)
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as f:
                return f.read()
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{path}: corrupt or truncated gzip file ({e})") from None
    return path.read_bytes()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or ``.gz``) into a native-endian array of its stated shape.

    The header is ``0x00 0x00 <type code> <ndim>`` followed by ``ndim`` big-endian uint32
    sizes; the body must hold exactly ``prod(sizes)`` items of the coded type.
    """
    data = read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file: only {len(data)} bytes, the header needs 4")
    magic = int.from_bytes(data[:4], "big")
    code, ndim = data[2], data[3]
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{path}: not an IDX file: bad magic number 0x{magic:08x} "
            "(expected 0x0000TTNN: two zero bytes, type code, number of dimensions)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02x} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header states 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header: {len(data)} bytes, {ndim} dimensions need {header}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = header + math.prod(dims) * dtype.itemsize  # Python ints: 255 dims of 2**32 - 1 do not wrap
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(
            f"{path}: file length {len(data)} bytes does not match the IDX header "
            f"(dims {tuple(dims)} of {dtype.name} need {expected} bytes): {problem}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))  # native byte order, writable copy


def check_not_pickle(path: str | os.PathLike, first_byte: int, hint: str) -> None:
    """Refuse a file that starts like a Python pickle."""
    if first_byte == PICKLE_PROTOCOL_MARK:
        raise ValueError(
            f"{path}: looks like a Python pickle (the 'python version' of the data set); "
            f"pickles are never loaded. {hint}"
        )


def read_cifar_records(path: str | os.PathLike, label_bytes: int, hint: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Read a CIFAR binary-version file: records of ``label_bytes`` label bytes + 3072 pixels.

    Returns ``labels`` uint8 ``(n, label_bytes)`` and ``images`` uint8 ``(n, 3072)``
    (channel-major: 1024 red, 1024 green, 1024 blue bytes, each row-major 32×32).
    """
    raw = np.fromfile(path, dtype=np.uint8)
    record = label_bytes + CIFAR_IMAGE_BYTES
    if raw.size == 0:
        raise ValueError(f"{path}: empty file (expected records of {record} bytes)")
    check_not_pickle(path, int(raw[0]), hint)
    if raw.size % record:
        raise ValueError(
            f"{path}: size {raw.size} bytes is not a multiple of the record size {record} "
            f"({label_bytes} label byte(s) + {CIFAR_IMAGE_BYTES} pixel bytes): truncated or "
            "not a CIFAR binary-version file"
        )
    records = raw.reshape(-1, record)
    return records[:, :label_bytes].copy(), records[:, label_bytes:].copy()


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` archive, loaded with ``allow_pickle=False``."""
    path = Path(path)
    with open(path, "rb") as f:
        signature = f.read(4)
    if signature not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise ValueError(f"{path}: not an .npz archive (no zip signature at the start)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except ValueError as e:
        if "Object arrays" in str(e) or "allow_pickle" in str(e):
            raise ValueError(
                f"{path}: holds object arrays, which would need unpickling; store plain integer arrays instead"
            ) from None
        raise ValueError(f"{path}: corrupt .npz archive ({e})") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: corrupt or truncated .npz archive ({e})") from None
