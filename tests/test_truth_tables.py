"""The truth-table convention: difflogic ids, rows, negation, expressions."""

import itertools

import numpy as np
import pytest

from ldlgn.compiler import truth_tables as tt

# difflogic's gate functions of (a, b), id by id
DIFFLOGIC = [
    lambda a, b: 0,
    lambda a, b: a & b,
    lambda a, b: a & (1 - b),
    lambda a, b: a,
    lambda a, b: (1 - a) & b,
    lambda a, b: b,
    lambda a, b: a ^ b,
    lambda a, b: a | b,
    lambda a, b: 1 - (a | b),
    lambda a, b: 1 - (a ^ b),
    lambda a, b: 1 - b,
    lambda a, b: a | (1 - b),
    lambda a, b: 1 - a,
    lambda a, b: (1 - a) | b,
    lambda a, b: 1 - (a & b),
    lambda a, b: 1,
]


@pytest.mark.parametrize("gate_id", range(16))
def test_op_id_maps_to_truth_table(gate_id):
    table = int(tt.OP_ID_TO_TABLE[gate_id])
    for a, b in itertools.product((0, 1), repeat=2):
        assert (table >> (2 * a + b)) & 1 == DIFFLOGIC[gate_id](a, b), tt.GATE_NAMES[gate_id]
    assert tt.TABLE_TO_OP_ID[table] == gate_id


def test_named_tables_and_rows():
    assert tt.PASS_A == tt.table_from_direction(tt.RESIDUAL_DIRECTION) == 12
    assert tt.OP_ID_TO_TABLE[1] == 8 and tt.OP_ID_TO_TABLE[7] == 14  # AND, OR
    assert tt.row_bits(2).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert tt.input_bit(2, 0) == 1 and tt.input_bit(2, 1) == 0
    assert tt.row_bits(3)[4].tolist() == [1, 0, 0]  # first input most significant
    rows = tt.table_rows(np.arange(16))
    assert (tt.table_from_rows(rows) == np.arange(16)).all()


def test_evaluate_matches_rows():
    a, b = np.meshgrid([0, 1], [0, 1], indexing="ij")
    for table in range(16):
        out = tt.evaluate(table, a.ravel(), b.ravel())
        assert out.tolist() == tt.table_rows(table).tolist()


def test_negation_and_swap():
    a = np.array([0, 0, 1, 1])
    b = np.array([0, 1, 0, 1])
    for t in range(16):
        assert (tt.evaluate(tt.negate_output(t), a, b) == 1 - tt.evaluate(t, a, b)).all()
        assert (tt.evaluate(tt.negate_input(t, 0), a, b) == tt.evaluate(t, 1 - a, b)).all()
        assert (tt.evaluate(tt.negate_input(t, 1), a, b) == tt.evaluate(t, a, 1 - b)).all()
        assert (tt.evaluate(tt.swap_inputs(t), a, b) == tt.evaluate(t, b, a)).all()
    assert not tt.depends_on(tt.PASS_A, 1) and tt.depends_on(tt.PASS_A, 0)


def test_gate_expression_evaluates_to_table():
    for t in range(16):
        for a, b in itertools.product((0, 1), repeat=2):
            value = eval(tt.gate_expression(t, "a", "b", zero="0", one="~0"))  # Python ints: ~x = -1-x
            assert value & 1 == (t >> (2 * a + b)) & 1


def test_poly_coefficients_reproduce_rows():
    omega = np.random.default_rng(0).random((10, 4))
    c = tt.poly_coefficients(omega)
    for r, (a, b) in enumerate(itertools.product((0, 1), repeat=2)):
        y = c[:, 0] + c[:, 1] * a + c[:, 2] * b + c[:, 3] * a * b
        assert np.allclose(y, omega[:, r])


def test_bad_direction():
    with pytest.raises(ValueError, match="direction"):
        tt.table_from_direction("01x1")


# ---- 64-bit tables (six-input gates): bit 63 must survive every helper ----------------------
def test_table_rows_accepts_bit_63():
    table = (1 << 63) | 1  # a Python int above the int64 range
    rows = tt.table_rows(table, 6)
    assert rows.shape == (64,) and rows[0] == 1 and rows[63] == 1 and rows[1:63].sum() == 0
    assert tt.table_rows(np.array([table], dtype=np.uint64), 6)[0, 63] == 1


def test_table_from_rows_keeps_bit_63():
    rows = np.zeros(64, dtype=np.uint8)
    rows[63] = 1
    table = tt.table_from_rows(rows)
    assert int(table) == 1 << 63 and table.dtype == np.uint64
    rng = np.random.default_rng(0)
    tables = rng.integers(0, 1 << 63, size=20, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    assert (tt.table_from_rows(tt.table_rows(tables, 6)) == tables).all()
    assert tt.table_from_rows(tt.table_rows(np.arange(16))).dtype == np.int64  # small tables unchanged


def test_evaluate_six_inputs_with_bit_63():
    table = (1 << 63) | (1 << 5)
    rows = tt.row_bits(6)
    out = tt.evaluate(table, *rows.T)
    assert out.tolist() == tt.table_rows(table, 6).tolist()
    assert out.dtype == np.int64
