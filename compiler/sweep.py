"""The rewriting engine under the optimization passes (docs/passes.md).

Most passes are one forward sweep over the gates in topological
order (a Numba loop): each node is mapped to a *literal* ``2·node + inverted`` of the rewritten
net, a gate's fanins are looked up in that map (an inverted fanin is folded into the gate's truth
table with :func:`~ldlgn.compiler.truth_tables.negate_input`), and the pass then either keeps the gate
(possibly with a new fanin/table) or replaces it by a literal of an earlier node. A shared,
vectorized rebuild then drops the replaced gates, renumbers the rest compactly (order kept) and
makes every output a plain node again: a gate referenced by outputs only inverted is flipped with
:func:`~ldlgn.compiler.truth_tables.negate_output` (its consumers absorb the flip); otherwise one inverter
gate ``(m, m, NOT_A)`` per node is appended. Primary inputs are never renumbered or removed.

A gate whose table depends on one input only is kept in the canonical *one-input form*: fanin
``(a, a)`` and a table in ``{FALSE, NOT_A, PASS_A, TRUE}``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import truth_tables as tt
from .netlist import Netlist

_NEG_A = tt.negate_input(np.arange(16, dtype=np.uint8), 0).astype(np.uint8)
_NEG_B = tt.negate_input(np.arange(16, dtype=np.uint8), 1).astype(np.uint8)
_SWAP = tt.swap_inputs(np.arange(16, dtype=np.uint8)).astype(np.uint8)

DUP, CONST, ABSORB, HASH = 1, 2, 4, 8  #: sweep modes (bit flags)


@njit(cache=True)
def _one_input(f0, f1):
    """Canonical one-input table with output ``f0`` for A = 0 and ``f1`` for A = 1."""
    return 3 * f0 + 12 * f1


@njit(cache=True)
def _hash(a, b, t, mask):
    h = (a * 0x9E3779B1) ^ (b * 0x85EBCA77) ^ (t * 0x27D4EB2F)
    return (h ^ (h >> 29)) & mask


@njit(cache=True)
def _simplify(a, b, t, mode, neg_a, neg_b):
    """Duplicate-input folding, constant propagation and buffer/inverter absorption of one gate.

    Returns ``(lit, a, b, t)``: ``lit ≥ 0`` replaces the gate by that literal, else the gate is kept
    as ``t(a, b)``."""
    lit = -1
    if mode & DUP and a == b:
        t = _one_input((t >> 0) & 1, (t >> 3) & 1)
    if mode & CONST:
        if a < 2 and b < 2:
            lit = 2 * ((t >> (2 * a + b)) & 1)
        elif a < 2:  # restrict to A = a: a function of B
            t = _one_input((t >> (2 * a)) & 1, (t >> (2 * a + 1)) & 1)
            a = b
        elif b < 2:  # restrict to B = b: a function of A
            t = _one_input((t >> b) & 1, (t >> (2 + b)) & 1)
            b = a
        elif neg_b[t] == t:  # B is irrelevant: already a one-input table of A
            b = a
        elif neg_a[t] == t:  # A is irrelevant: a function of B
            t = _one_input(t & 1, (t >> 1) & 1)
            a = b
        if lit < 0 and (t == 0 or t == 15):
            lit = 2 * (t & 1)
    if lit < 0 and mode & ABSORB:
        if t == 12:
            lit = 2 * a
        elif t == 3:
            lit = 2 * a + 1
        elif t == 10:
            lit = 2 * b
        elif t == 5:
            lit = 2 * b + 1
        if lit >= 0 and lit < 4 and lit & 1:  # ¬const0 = const1 and vice versa
            lit = 2 * (1 - (lit >> 1))
    return lit, a, b, t


@njit(cache=True)
def _hash_lookup(a, b, t, node, first, new_table, h_a, h_b, h_t, h_node):
    """Literal of an earlier gate equal to ``t(a, b)`` (up to an output inversion), or -1 after
    recording ``node`` under the gate's key (open addressing, linear probing)."""
    phase = t & 1  # gates equal up to an output inversion share a key
    key_t = t ^ (15 * phase)
    cap = h_node.shape[0]
    i = _hash(a, b, key_t, cap - 1)
    while h_node[i] >= 0:
        if h_a[i] == a and h_b[i] == b and h_t[i] == key_t:
            m = h_node[i]
            return 2 * m + (phase ^ (new_table[m - first] & 1))
        i = (i + 1) & (cap - 1)
    h_a[i], h_b[i], h_t[i], h_node[i] = a, b, key_t, node
    return -1


@njit(cache=True)
def _sweep(fanin, table, first, mode, neg_a, neg_b, swap):
    """Forward rewrite; returns ``(rep, keep, new_fanin, new_table)`` (see module docstring)."""
    G = table.shape[0]
    rep = np.empty(first + G, np.int64)
    for n in range(first):
        rep[n] = 2 * n
    keep = np.zeros(G, np.bool_)
    new_fanin = np.empty((G, 2), np.int64)
    new_table = np.zeros(G, np.uint8)
    cap = 16
    while cap < 2 * G:
        cap *= 2
    if not mode & HASH:
        cap = 0
    h_a = np.empty(cap, np.int32)
    h_b = np.empty(cap, np.int32)
    h_t = np.empty(cap, np.uint8)
    h_node = np.full(cap, -1, np.int64)
    for g in range(G):
        la = rep[fanin[g, 0]]
        lb = rep[fanin[g, 1]]
        t = np.int64(table[g])
        if la & 1:
            t = neg_a[t]
        if lb & 1:
            t = neg_b[t]
        lit, a, b, t = _simplify(la >> 1, lb >> 1, t, mode, neg_a, neg_b)
        if lit < 0 and mode & HASH:
            if a > b:
                a, b = b, a
                t = swap[t]
            lit = _hash_lookup(a, b, t, first + g, first, new_table, h_a, h_b, h_t, h_node)
        if lit >= 0:
            rep[first + g] = lit
        else:
            rep[first + g] = 2 * (first + g)
            keep[g] = True
            new_fanin[g, 0] = a
            new_fanin[g, 1] = b
            new_table[g] = t
    return rep, keep, new_fanin, new_table


def rebuild(net: Netlist, rep, keep, fanin, table) -> Netlist:
    """Drop replaced gates, renumber compactly, turn output literals into plain nodes."""
    first, N = net.first_gate, net.num_nodes
    kept = np.flatnonzero(keep)
    fanin, table = fanin[kept], table[kept].astype(np.uint8)
    out_node, out_inv = rep[net.outputs] >> 1, (rep[net.outputs] & 1).astype(bool)
    # a gate referenced by outputs only inverted: flip it; its consumers absorb the flip
    pos = np.zeros(N, bool)
    neg = np.zeros(N, bool)
    pos[out_node[~out_inv]] = True
    neg[out_node[out_inv]] = True
    flip = neg & ~pos
    flip[:first] = False
    table = np.where(flip[first + kept], table ^ 15, table)
    table = np.where(flip[fanin[:, 0]], _NEG_A[table], table)
    table = np.where(flip[fanin[:, 1]], _NEG_B[table], table)
    out_inv &= ~flip[out_node]
    # renumber: inputs keep their ids, kept gates are packed in order
    new_id = np.full(N, -1, np.int64)
    new_id[:first] = np.arange(first)
    new_id[first + kept] = first + np.arange(kept.size)
    inverted = np.unique(out_node[out_inv])  # inputs, or gates also referenced plainly
    inv_id = first + kept.size + np.arange(inverted.size)
    outputs = new_id[out_node]
    outputs[out_inv] = inv_id[np.searchsorted(inverted, out_node[out_inv])]
    src = new_id[inverted]
    fanin = np.concatenate([new_id[fanin], np.stack([src, src], 1)])
    table = np.concatenate([table, np.full(inverted.size, tt.NOT_A, np.uint8)])
    return Netlist(
        net.input_feature.copy(),
        net.input_threshold.copy(),
        net.num_features,
        net.input_bits,
        fanin,
        table,
        outputs,
        net.num_classes,
        net.name,
    )


def run_sweep(net: Netlist, mode: int) -> Netlist:
    rep, keep, fanin, table = _sweep(net.fanin, net.table, net.first_gate, mode, _NEG_A, _NEG_B, _SWAP)
    return rebuild(net, rep, keep, fanin, table)
