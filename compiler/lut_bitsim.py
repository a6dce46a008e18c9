"""Bit-parallel evaluation of a LUT netlist with Numba (as :mod:`ldlgn.compiler.bitsim`).

One uint64 word holds a node's value for 64 samples. A gate of arity ``k`` starts from its
``2**k`` row bits as all-zeros / all-ones words and multiplexes them pairwise by its last input,
then by the one before, down to one word (``2**k - 1`` multiplexers, each three bitwise
operations): row ``r`` reads the first input as its most significant bit, so rows ``2i`` and
``2i+1`` differ in the last input. Encoder, bit-sliced class counters and argmax are those of
the two-input evaluator.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from .bitsim import _MASK, BLOCK, LANES, _block_scores, _count, _encode_block
from .lut_netlist import LutNetlist
from .lutnet import MAX_ARITY

__all__ = ["predict_lut_netlist", "lut_netlist_scores"]


@njit(cache=True)
def _gates(v, fanin, arity, table, first_gate, rows):
    """Evaluate every gate on the node words ``v (nodes, LANES)``; ``rows (64, LANES)`` is scratch."""
    one = np.uint64(1)
    for g in range(table.shape[0]):
        k = arity[g]
        t = table[g]
        n = 1 << k
        for r in range(n):
            m = _MASK[(t >> np.uint64(r)) & one]
            for w in range(LANES):
                rows[r, w] = m
        for j in range(k - 1, -1, -1):  # last input first
            src = fanin[g, j]
            n >>= 1
            for i in range(n):
                for w in range(LANES):
                    lo = rows[2 * i, w]
                    rows[i, w] = lo ^ (v[src, w] & (lo ^ rows[2 * i + 1, w]))
        for w in range(LANES):
            v[first_gate + g, w] = rows[0, w]


@njit(cache=True)
def _eval_block(x, start, count, feature, threshold, fanin, arity, table, outputs, group, v, rows, planes, scores):
    _encode_block(x, start, count, feature, threshold, v)
    _gates(v, fanin, arity, table, 2 + feature.shape[0], rows)
    _count(v, outputs, group, planes)
    _block_scores(planes, start, count, scores)


@njit(parallel=True, cache=True)
def _simulate(x, feature, threshold, fanin, arity, table, outputs, num_classes, group, nbits, n_chunks, scores):
    n = x.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    n_nodes = 2 + feature.shape[0] + table.shape[0]
    for chunk in prange(n_chunks):
        v = np.empty((n_nodes, LANES), dtype=np.uint64)
        rows = np.empty((1 << MAX_ARITY, LANES), dtype=np.uint64)
        planes = np.empty((num_classes, nbits, LANES), dtype=np.uint64)
        for blk in range(chunk * n_blocks // n_chunks, (chunk + 1) * n_blocks // n_chunks):
            start = blk * BLOCK
            _eval_block(
                x, start, min(BLOCK, n - start), feature, threshold, fanin, arity, table, outputs, group, v, rows,
                planes, scores,
            )  # fmt: skip


def lut_netlist_scores(netlist: LutNetlist, x) -> np.ndarray:
    """Per-class integer scores ``(n, num_classes)`` int32 of ``netlist`` on raw inputs ``x``."""
    from .encoding import check_integer_inputs

    netlist.validate()  # node ids are used unchecked by the kernel
    x = np.asarray(x)
    check_integer_inputs(x, netlist.num_features, netlist.input_bits)
    x = np.ascontiguousarray(x, dtype=np.int64)
    k = netlist.num_classes
    group = netlist.group_size
    scores = np.zeros((x.shape[0], k), dtype=np.int32)
    if x.shape[0] == 0:
        return scores
    n_chunks = min(-(-x.shape[0] // BLOCK), 4 * numba.get_num_threads())
    _simulate(
        x,
        netlist.input_feature,
        netlist.input_threshold,
        netlist.fanin,
        netlist.arity,
        netlist.table,
        netlist.outputs,
        k,
        group,
        max(1, int(group).bit_length()),
        n_chunks,
        scores,
    )
    return scores


def predict_lut_netlist(netlist: LutNetlist, x) -> tuple[np.ndarray, np.ndarray]:
    """``(scores int32 (n, k), classes int64 (n,))``, bit-exactly the LUT netlist's reference."""
    scores = lut_netlist_scores(netlist, x)
    return scores, scores.argmax(1).astype(np.int64)
