"""Bit-parallel discrete evaluation of a netlist with Numba.

The batch is packed along the samples: one ``uint64`` word holds one node's value for 64
samples, so a gate evaluates 64 samples with a few bitwise instructions; ``LANES`` words are
processed per gate visit (SIMD). Chunks of the batch run in parallel (``prange``); each chunk
keeps its node words in a private buffer.

Per word: encoder comparators ``x[f] > t`` set the input bits, gates apply their truth table as
a branch-free multiplexer of the four row bits (row ``r = 2A + B``, docs/truth-tables.md), and every
class accumulates its output bits in a bit-sliced counter (bit plane ``k`` holds bit ``k`` of 64
sample counts), which is unpacked into integer scores at the end. The prediction is the argmax
with ties to the lowest class, as :func:`ldlgn.compiler.reference.predict`.
"""

from __future__ import annotations

import os

import numba
import numpy as np
from numba import njit, prange

from .netlist import Netlist
from .reference import check_inputs

if "NUMBA_THREADING_LAYER" not in os.environ:  # same default as ldlgn.numba_kernels (see there)
    # numba.config fills in its options from the environment at import time, unseen by type checkers
    numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]

__all__ = ["predict_netlist", "netlist_scores"]

WORD = 64  #: samples per uint64 word
LANES = 4  #: words evaluated together per gate visit (256 samples; SIMD across the lanes)
BLOCK = WORD * LANES
_MASK = np.array([0, 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)  # row bit → all-zeros / all-ones word


@njit(cache=True)
def _count(v, outputs, group, planes):
    """Add the output bits of each class into its bit-sliced counter ``planes[c]`` (LSB plane first).

    Four outputs at a time go through two full adders into planes 0 and 1 (carry-save), then one
    carry ripples up from plane 2; leftovers ripple from plane 0. Groups of ≥ 4 have ≥ 3 planes.
    """
    num_classes, nbits = planes.shape[0], planes.shape[1]
    planes[:, :, :] = np.uint64(0)
    for c in range(num_classes):
        o, end = c * group, (c + 1) * group
        while o + 4 <= end:
            n0, n1, n2, n3 = outputs[o], outputs[o + 1], outputs[o + 2], outputs[o + 3]
            for w in range(LANES):
                x0, x1, x2, x3 = v[n0, w], v[n1, w], v[n2, w], v[n3, w]
                p = planes[c, 0, w]
                u = p ^ x0
                s = u ^ x1
                c1 = (p & x0) | (u & x1)  # p + x0 + x1 = s + 2·c1
                u = s ^ x2
                planes[c, 0, w] = u ^ x3
                c2 = (s & x2) | (u & x3)  # s + x2 + x3 = plane0 + 2·c2
                p = planes[c, 1, w]
                u = p ^ c1
                planes[c, 1, w] = u ^ c2
                carry = (p & c1) | (u & c2)  # weight 4
                for k in range(2, nbits):
                    p = planes[c, k, w]
                    planes[c, k, w] = p ^ carry
                    carry = p & carry
            o += 4
        for r in range(o, end):
            node = outputs[r]
            for w in range(LANES):
                carry = v[node, w]
                for k in range(nbits):
                    p = planes[c, k, w]
                    planes[c, k, w] = p ^ carry
                    carry = p & carry


@njit(cache=True)
def _encode_block(x, start, count, feature, threshold, v):
    """The constant words and the comparator words of samples ``start … start+count-1`` in ``v``."""
    one = np.uint64(1)
    for w in range(LANES):
        v[0, w] = np.uint64(0)
        v[1, w] = ~np.uint64(0)
    v[2 : 2 + feature.shape[0], :] = np.uint64(0)
    for s in range(count):
        row = x[start + s]
        w = s // WORD
        bit = one << np.uint64(s % WORD)
        for i in range(feature.shape[0]):  # branch-free comparator: all-ones mask & bit
            v[2 + i, w] |= _MASK[np.int64(row[feature[i]] > threshold[i])] & bit


@njit(cache=True)
def _block_scores(planes, start, count, scores):
    """Each sample's class scores from the bit-sliced counters ``planes (classes, nbits, LANES)``."""
    one = np.uint64(1)
    num_classes, nbits = planes.shape[0], planes.shape[1]
    for s in range(count):
        w = s // WORD
        sh = np.uint64(s % WORD)
        for c in range(num_classes):
            total = np.int64(0)
            for k in range(nbits):
                total += np.int64((planes[c, k, w] >> sh) & one) << k
            scores[start + s, c] = total


@njit(cache=True)
def _eval_block(x, start, count, feature, threshold, fanin, table, outputs, group, v, planes, scores):
    """Evaluate samples ``start … start+count-1`` (count ≤ BLOCK) into ``scores``.

    ``v (nodes, LANES)`` holds the node words, ``planes (classes, nbits, LANES)`` the bit-sliced
    counters; sample ``s`` of the block is bit ``s % 64`` of lane ``s // 64``.
    """
    first_gate = 2 + feature.shape[0]
    _encode_block(x, start, count, feature, threshold, v)
    for g in range(table.shape[0]):
        fa = fanin[g, 0]
        fb = fanin[g, 1]
        t = table[g]
        m0 = _MASK[t & 1]
        m1 = _MASK[(t >> 1) & 1]
        m2 = _MASK[(t >> 2) & 1]
        m3 = _MASK[(t >> 3) & 1]
        for w in range(LANES):  # multiplex the row bits by B, then by A (row r = 2A + B)
            A = v[fa, w]
            B = v[fb, w]
            lo = m0 ^ (B & (m0 ^ m1))
            hi = m2 ^ (B & (m2 ^ m3))
            v[first_gate + g, w] = lo ^ (A & (lo ^ hi))
    _count(v, outputs, group, planes)
    _block_scores(planes, start, count, scores)


@njit(parallel=True, cache=True)
def _simulate(x, feature, threshold, fanin, table, outputs, num_classes, group, nbits, n_chunks, scores):
    n = x.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    n_nodes = 2 + feature.shape[0] + table.shape[0]
    for chunk in prange(n_chunks):
        v = np.empty((n_nodes, LANES), dtype=np.uint64)
        planes = np.empty((num_classes, nbits, LANES), dtype=np.uint64)
        for blk in range(chunk * n_blocks // n_chunks, (chunk + 1) * n_blocks // n_chunks):
            start = blk * BLOCK
            _eval_block(
                x, start, min(BLOCK, n - start), feature, threshold, fanin, table, outputs, group, v, planes, scores
            )


def netlist_scores(netlist: Netlist, x) -> np.ndarray:
    """Per-class integer scores ``(n, num_classes)`` int32 of ``netlist`` on raw inputs ``x``."""
    netlist.validate()  # node ids are used unchecked by the kernel
    x = np.ascontiguousarray(check_inputs(netlist, x), dtype=np.int64)
    k = int(netlist.num_classes)
    outputs = np.ascontiguousarray(netlist.outputs, dtype=np.int32)
    if outputs.shape[0] % k:
        raise ValueError(f"{outputs.shape[0]} outputs cannot be split into {k} classes")
    group = outputs.shape[0] // k
    scores = np.zeros((x.shape[0], k), dtype=np.int32)
    if x.shape[0] == 0:
        return scores
    n_chunks = min(-(-x.shape[0] // BLOCK), 4 * numba.get_num_threads())
    _simulate(
        x,
        np.ascontiguousarray(netlist.input_feature, dtype=np.int32),
        np.ascontiguousarray(netlist.input_threshold, dtype=np.int64),
        np.ascontiguousarray(netlist.fanin, dtype=np.int32).reshape(-1, 2),
        np.ascontiguousarray(netlist.table, dtype=np.uint8),
        outputs,
        k,
        group,
        max(1, int(group).bit_length()),
        n_chunks,
        scores,
    )
    return scores


def predict_netlist(netlist: Netlist, x) -> tuple[np.ndarray, np.ndarray]:
    """``(scores int32 (n, k), classes int64 (n,))``, bit-exactly equal to :func:`ldlgn.compiler.reference.predict`.

    ``x`` holds raw integer inputs ``(n, num_features)``.
    """
    scores = netlist_scores(netlist, x)
    return scores, scores.argmax(1).astype(np.int64)
