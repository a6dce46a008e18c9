"""The one truth-table convention of ldlgn (docs/truth-tables.md).

A gate has inputs ``x0 … x(n-1)``; input row ``r`` reads them as a binary number with the
**first input most significant** (two inputs: ``r = 2·A + B``, rows ``00, 01, 10, 11``).
A truth table is an integer ``T`` whose bit ``r`` is the output on row ``r``. IWP parameter
column ``r`` belongs to row ``r``. Every engine (torch, Numba, C, Verilog) takes its gate
semantics from this module.
"""

from __future__ import annotations

import numpy as np

N_ROWS = 4  #: rows of a two-input truth table
N_TABLES = 16  #: distinct two-input truth tables

#: difflogic gate ids 0…15 and their names.
GATE_NAMES = (
    "FALSE",
    "AND",
    "A_AND_NOT_B",
    "A",
    "NOT_A_AND_B",
    "B",
    "XOR",
    "OR",
    "NOR",
    "XNOR",
    "NOT_B",
    "A_OR_NOT_B",
    "NOT_A",
    "NOT_A_OR_B",
    "NAND",
    "TRUE",
)

#: truth table of each difflogic gate id (bit r = output on row r = 2A+B).
OP_ID_TO_TABLE = np.array([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], dtype=np.uint8)
#: inverse of :data:`OP_ID_TO_TABLE`.
TABLE_TO_OP_ID = np.argsort(OP_ID_TO_TABLE).astype(np.uint8)

FALSE, TRUE = 0, 15
PASS_A, PASS_B = 12, 10  #: identity on the first / second input
NOT_A, NOT_B = 3, 5

#: direction string of residual initialization: pass the first input through (ω00 ω01 ω10 ω11).
RESIDUAL_DIRECTION = "0011"


def input_bit(row: int, k: int, n: int = 2) -> int:
    """Value of input ``k`` on row ``row`` of an ``n``-input table (first input most significant)."""
    return (row >> (n - 1 - k)) & 1


def row_bits(n: int = 2) -> np.ndarray:
    """``(2**n, n)`` array: the input values of every row."""
    r = np.arange(1 << n)[:, None]
    k = np.arange(n)[None, :]
    return ((r >> (n - 1 - k)) & 1).astype(np.uint8)


def as_table_words(tables) -> np.ndarray:
    """Tables as uint64 bit patterns: Python ints up to 2**64-1 and int64 arrays (bit 63 as sign) alike."""
    t = np.asarray(tables)
    if t.dtype.kind == "i":
        return t.astype(np.int64).view(np.uint64) if t.dtype.itemsize == 8 else t.astype(np.uint64)
    return t.astype(np.uint64)


def table_rows(tables, n: int = 2) -> np.ndarray:
    """Output bit of every row for each table: shape ``(..., 2**n)``, dtype uint8."""
    t = as_table_words(tables)[..., None]
    return ((t >> np.arange(1 << n, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)


def table_from_rows(rows) -> np.ndarray:
    """Inverse of :func:`table_rows`: pack row outputs ``(..., 2**n)`` into integer tables.

    int64 up to 32 rows (five inputs); uint64 for 64 rows, whose bit 63 int64 cannot hold.
    """
    rows = np.asarray(rows)
    if rows.shape[-1] > 32:
        words = rows.astype(np.uint64) << np.arange(rows.shape[-1], dtype=np.uint64)
        return np.bitwise_or.reduce(words, axis=-1)
    return (rows.astype(np.int64) << np.arange(rows.shape[-1])).sum(-1)


def table_from_direction(direction: str) -> int:
    """Truth table of a direction string such as ``"0011"`` (character r = output on row r)."""
    if len(direction) not in (2, 4, 8, 16) or set(direction) - {"0", "1"}:
        raise ValueError(f"direction must be a string of 0/1 with one character per row, got {direction!r}")
    return int(table_from_rows([int(c) for c in direction]))


def evaluate(tables, *inputs):
    """Evaluate truth tables on 0/1 integer inputs (numpy broadcasting); returns 0/1 ints."""
    n = len(inputs)
    row = np.zeros(np.broadcast(*inputs).shape, dtype=np.uint64)
    for x in inputs:
        row = (row << np.uint64(1)) | np.asarray(x, dtype=np.uint64)
    return ((as_table_words(tables) >> row) & np.uint64(1)).astype(np.int64) if n else None


# ---- relaxed semantics: y = c0 + c1·A + c2·B + c3·A·B -------------------------------------
#: ``c = ω @ ROWS_TO_POLY`` maps row values (ω00, ω01, ω10, ω11) to polynomial coefficients.
ROWS_TO_POLY = np.array(
    [
        [1, -1, -1, 1],  # ω00
        [0, 0, 1, -1],  # ω01
        [0, 1, 0, -1],  # ω10
        [0, 0, 0, 1],
    ],  # ω11
    dtype=np.float64,
)
#: ``(16, 4)`` row outputs of each difflogic gate id: OP's ω = softmax(Ω) @ OP_ROWS.
OP_ROWS = table_rows(OP_ID_TO_TABLE).astype(np.float64)


def poly_coefficients(omega: np.ndarray) -> np.ndarray:
    """Polynomial coefficients ``(..., 4)`` of row values ``omega`` ``(..., 4)``."""
    return np.asarray(omega, dtype=np.float64) @ ROWS_TO_POLY


# ---- negation and input permutation --------------------------------------------------------
def negate_output(tables):
    """Truth table of ``¬f``."""
    return np.asarray(tables) ^ 0xF


def negate_input(tables, k: int):
    """Truth table of ``f`` with input ``k`` (0 = A, 1 = B) inverted."""
    flip = 2 if k == 0 else 1
    rows = table_rows(tables)
    return table_from_rows(rows[..., np.arange(N_ROWS) ^ flip]).astype(np.asarray(tables).dtype)


def swap_inputs(tables):
    """Truth table of ``f(B, A)``."""
    rows = table_rows(tables)
    return table_from_rows(rows[..., [0, 2, 1, 3]]).astype(np.asarray(tables).dtype)


def depends_on(tables, k: int) -> np.ndarray:
    """Whether each table depends on input ``k``."""
    t = np.asarray(tables)
    return negate_input(t, k) != t


# ---- expressions for code generators (C words, Verilog scalar wires) -----------------------
_EXPR = {
    0: "{zero}",
    1: "~({a} | {b})",
    2: "~{a} & {b}",
    3: "~{a}",
    4: "{a} & ~{b}",
    5: "~{b}",
    6: "{a} ^ {b}",
    7: "~({a} & {b})",
    8: "{a} & {b}",
    9: "~({a} ^ {b})",
    10: "{b}",
    11: "~{a} | {b}",
    12: "{a}",
    13: "{a} | ~{b}",
    14: "{a} | {b}",
    15: "{one}",
}


def gate_expression(table: int, a: str, b: str, zero: str = "0", one: str = "~0") -> str:
    """Bitwise expression (``& | ^ ~``) computing truth table ``table`` of operands ``a``, ``b``.

    The same operators work on C integer words and Verilog wires; only the constants differ.
    """
    return _EXPR[int(table)].format(a=a, b=b, zero=zero, one=one)
