"""AIGER files (binary ``aig`` and ASCII ``aag``, combinational), as ABC and Yosys read and write them.

Binary AIGER stores the AND nodes as pairs of 7-bit variable-length deltas (``lhs − rhs0``,
``rhs0 − rhs1``, with ``lhs > rhs0 ≥ rhs1``), the outputs as decimal lines, then an optional
symbol table (``i<k> name``, ``o<k> name``) and a comment section after ``c``. Latches, bad
states and constraints are refused: every proof here is combinational (docs/formal.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from .aig import Aig
from .fileio import atomic_write


class AigerError(ValueError):
    """A file that is not a combinational AIGER file this reader understands."""


@njit(cache=True)
def _encode(ands, first_lhs):
    out = np.empty(ands.shape[0] * 10, np.uint8)
    pos = 0
    for k in range(ands.shape[0]):
        lhs = first_lhs + 2 * k
        for delta in (lhs - ands[k, 0], ands[k, 0] - ands[k, 1]):
            while delta >= 0x80:
                out[pos] = (delta & 0x7F) | 0x80
                pos += 1
                delta >>= 7
            out[pos] = delta
            pos += 1
    return out[:pos]


@njit(cache=True)
def _decode(data, pos, count, first_lhs):
    ands = np.empty((count, 2), np.int64)
    for k in range(count):
        lhs = first_lhs + 2 * k
        deltas = np.zeros(2, np.int64)
        for d in range(2):
            x, shift = 0, 0
            while True:
                if pos >= data.size:
                    return ands, -1
                byte = data[pos]
                pos += 1
                x |= int(byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    break
            deltas[d] = x
        ands[k, 0] = lhs - deltas[0]
        ands[k, 1] = ands[k, 0] - deltas[1]
        if deltas[0] == 0 or ands[k, 1] < 0:
            return ands, -1
    return ands, pos


def _ordered(aig: Aig) -> np.ndarray:
    """The ANDs with ``rhs0 ≥ rhs1``, as binary AIGER requires."""
    return np.sort(aig.ands, axis=1)[:, ::-1].copy()


def _symbols(aig: Aig, comment: str) -> str:
    for n in aig.input_names + aig.output_names:
        if not n or any(c in n for c in "\n\r") or n != n.strip():
            raise ValueError(f"AIGER symbol names must be one non-blank line each, got {n!r}")
    lines = [f"i{k} {n}" for k, n in enumerate(aig.input_names)]
    lines += [f"o{k} {n}" for k, n in enumerate(aig.output_names)]
    return "\n".join(lines + ["c", comment.replace("\n", " ")]) + "\n"


def aiger_bytes(aig: Aig, comment: str = "ldlgn") -> bytes:
    """Binary AIGER text of ``aig`` with its symbol table."""
    aig.validate()
    ins, A = aig.num_inputs, aig.num_ands
    head = f"aig {ins + A} {ins} 0 {aig.outputs.size} {A}\n" + "".join(f"{int(o)}\n" for o in aig.outputs)
    body = _encode(_ordered(aig), 2 * (ins + 1)).tobytes()
    return head.encode("ascii") + body + _symbols(aig, comment).encode("utf-8")


def write_aiger(aig: Aig, path: Path | str, comment: str = "ldlgn") -> Path:
    """Write ``aig`` as binary AIGER (atomically)."""
    data = aiger_bytes(aig, comment)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def _header(line: bytes, path: object) -> tuple[str, list[int]]:
    parts = line.split()
    if not parts or parts[0] not in (b"aig", b"aag") or len(parts) < 6:
        raise AigerError(f"{path} is not an AIGER file (header {line[:40]!r})")
    try:
        nums = [int(p) for p in parts[1:]]
    except ValueError:
        raise AigerError(f"{path}: bad AIGER header {line[:60]!r}") from None
    if nums[2] or any(nums[5:]):
        raise AigerError(f"{path} has latches or properties; only combinational AIGs are read")
    return parts[0].decode(), nums


def _read_symbols(lines: list[bytes], aig: Aig) -> None:
    for raw in lines:
        if raw.startswith(b"c") and raw.strip() == b"c":
            break
        text = raw.decode("utf-8", "replace")
        kind, _, rest = text.partition(" ")
        if kind[:1] in ("i", "o") and kind[1:].isdigit() and rest:
            names = aig.input_names if kind[0] == "i" else aig.output_names
            k = int(kind[1:])
            if k < len(names):
                names[k] = rest


def parse_aiger(data: bytes, path: object = "<bytes>") -> Aig:
    """An :class:`Aig` from AIGER text (binary or ASCII), symbols included."""
    nl = data.find(b"\n")
    kind, (M, n_in, _, n_out, A) = _header(data[: nl if nl >= 0 else len(data)], path)
    pos = nl + 1
    if kind == "aag":
        lines = data[pos:].split(b"\n")
        try:
            in_lits = [int(x) for x in lines[:n_in]]
            outs = [int(x) for x in lines[n_in : n_in + n_out]]
            ands = [[int(v) for v in x.split()] for x in lines[n_in + n_out : n_in + n_out + A]]
        except ValueError:
            raise AigerError(f"{path}: malformed ASCII AIGER body") from None
        if in_lits != [2 * (k + 1) for k in range(n_in)] or any(
            len(r) != 3 or r[0] != 2 * (n_in + 1 + k) for k, r in enumerate(ands)
        ):
            raise AigerError(f"{path}: ASCII AIGER with renumbered variables is not supported")
        aig = Aig(n_in, np.array([r[1:] for r in ands], np.int64).reshape(-1, 2), np.array(outs, np.int64))
        rest = lines[n_in + n_out + A :]
    else:
        outs = []
        for _ in range(n_out):
            end = data.find(b"\n", pos)
            if end < 0:
                raise AigerError(f"{path} is truncated in its outputs")
            try:
                outs.append(int(data[pos:end]))
            except ValueError:
                raise AigerError(f"{path} has a malformed line among its outputs") from None
            pos = end + 1
        ands, pos = _decode(np.frombuffer(data, np.uint8), pos, A, 2 * (n_in + 1))
        if pos < 0:
            raise AigerError(f"{path} is truncated or corrupt in its AND section")
        aig = Aig(n_in, ands, np.array(outs, np.int64))
        rest = data[pos:].split(b"\n")
    if n_in + A > M:
        raise AigerError(f"{path}: header says {M} variables for {n_in} inputs and {A} ANDs")
    _read_symbols(rest, aig)
    try:
        return aig.validate()
    except ValueError as e:
        raise AigerError(f"{path}: {e}") from None


def read_aiger(path: Path | str) -> Aig:
    """Read a combinational AIGER file (binary or ASCII)."""
    return parse_aiger(Path(path).read_bytes(), path)
