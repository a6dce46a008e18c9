"""Helpers of the LUT tests: one-layer nets whose class scores are single gate outputs."""

from __future__ import annotations

import numpy as np

from ldlgn.compiler import truth_tables as tt
from ldlgn.compiler.lutnet import LutLayer, LutNet


def gate_bank(tables, k: int) -> tuple[LutNet, np.ndarray, np.ndarray]:
    """A net of one ``k``-input gate per table, all reading inputs ``0 … k-1`` (encoded bit ``f`` is
    ``x[f] > 0`` on 1-bit inputs), one class per gate; also every input row and the expected bits."""
    tables = np.asarray(tables, dtype=np.uint64)
    n = tables.size
    inputs = np.tile(np.arange(k), (n, 1))
    net = LutNet(np.zeros((k, 1), dtype=np.int64), 1, [LutLayer(inputs, tables)], num_classes=n)
    x = tt.row_bits(k).astype(np.uint8)
    expected = tt.table_rows(tables, k).T.astype(np.int32)  # (rows, gates): the table's bit r
    return net, x, expected


def random_tables(k: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 1 << 63, size=n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n).astype(np.uint64)
    words[0] = np.uint64(1) << np.uint64((1 << k) - 1)  # only the last row: bit 63 for k = 6
    return words & np.uint64((1 << (1 << k)) - 1) if k < 6 else words


def blif_eval(text: str, inputs: dict[str, int]) -> dict[str, int]:
    """Values of every net of a combinational BLIF (covers in topological order) on ``inputs``."""
    vals = dict(inputs)
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    i = 0
    while i < len(lines):
        if lines[i].startswith(".names"):
            *ins, out = lines[i].split()[1:]
            i += 1
            rows = []
            while i < len(lines) and not lines[i].startswith("."):
                rows.append(lines[i].split())
                i += 1
            on = 0
            for row in rows:
                cube, bit = (row[0], row[1]) if ins else ("", row[0])
                if all(c == "-" or int(c) == vals[n] for c, n in zip(cube, ins, strict=True)) and bit == "1":
                    on = 1
            vals[out] = on
        else:
            i += 1
    return vals
