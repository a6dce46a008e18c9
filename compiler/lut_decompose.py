"""Decomposition of LUT gates into two-input gates, for the bit-sliced C back end.

A word-parallel engine computes a gate with bitwise operations, so an n-input table must become a
small circuit of two-input gates; the result is a :class:`~ldlgn.compiler.netlist.Netlist` that
the two-input passes and C emitter take as they are. Three decompositions:

* ``shannon``: a multiplexer tree on the first input, its cofactors built the same way and shared
  (across all gates) whenever two cofactors are the same function of the same nodes, i.e. a
  reduced ordered BDD; a multiplexer with a constant or equal leg is one gate, else three.
* ``isop``: an irredundant sum of products (Minato–Morreale) of the function or of its
  complement, whichever has fewer literals: an AND chain per cube, an OR chain over the cubes.
* ``best``: per gate, the smaller of the two (built in a scratch builder first).
"""

from __future__ import annotations

import numpy as np

from .lut_netlist import LutNetlist
from .lut_passes import compose, depends
from .netlist import Netlist

METHODS = ("shannon", "isop", "best")


def _tbl(fn) -> int:
    """Two-input table of ``fn(a, b)`` (row ``2a + b``)."""
    return sum(fn(a, b) << (2 * a + b) for a in (0, 1) for b in (0, 1))


_AND = {(pa, pb): _tbl(lambda a, b, pa=pa, pb=pb: int(a == pa and b == pb)) for pa in (0, 1) for pb in (0, 1)}
_OR, _NOR, _XOR, _NOT = _tbl(lambda a, b: a | b), _tbl(lambda a, b: 1 - (a | b)), 6, 3


class Builder:
    """Two-input gates over the nodes below ``first``, with constant folding and hashing."""

    def __init__(self, first: int):
        self.first = first
        self.gates: list[tuple[int, int, int]] = []
        self.seen: dict[tuple[int, int, int], int] = {}
        self.memo: dict[tuple, int] = {}

    def gate(self, a: int, b: int, table: int) -> int:
        key = (a, b, table)
        if key not in self.seen:
            self.seen[key] = self.first + len(self.gates)
            self.gates.append(key)
        return self.seen[key]

    def mux(self, s: int, n1: int, n0: int) -> int:
        """``s ? n1 : n0`` (constants are nodes 0 and 1)."""
        if n0 == n1:
            return n0
        if (n0, n1) == (0, 1):
            return s
        if (n0, n1) == (1, 0):
            return self.gate(s, s, _NOT)
        if n0 <= 1:  # s ? n1 : c
            return self.gate(s, n1, _AND[(1, 1)] if n0 == 0 else _tbl(lambda a, b: int(not a or b)))
        if n1 <= 1:  # s ? c : n0
            return self.gate(s, n0, _AND[(0, 1)] if n1 == 0 else _OR)
        return self.gate(n0, self.gate(s, self.gate(n0, n1, _XOR), _AND[(1, 1)]), _XOR)


def shannon(b: Builder, pins: list[int], table: int) -> int:
    """Node computing ``table`` of ``pins`` as a shared multiplexer tree (first pin on top)."""
    k = len(pins)
    keep = [j for j in range(k) if depends(table, k, j)]
    if len(keep) < k:  # drop the pins the (co)factor ignores: equal functions meet in the memo
        table = compose(table, k, [("v", keep.index(j)) if j in keep else ("c", 0) for j in range(k)], len(keep))
        pins, k = [pins[j] for j in keep], len(keep)
    if k == 0:
        return table & 1
    if k == 1:
        return pins[0] if table == 2 else b.gate(pins[0], pins[0], _NOT)
    key = (tuple(pins), table)
    if key not in b.memo:
        half = 1 << (k - 1)  # rows with the first pin 0 come first
        lo, hi = table & ((1 << half) - 1), table >> half
        b.memo[key] = b.mux(pins[0], shannon(b, pins[1:], hi), shannon(b, pins[1:], lo))
    return b.memo[key]


def isop_cubes(on: int, k: int) -> list[list[tuple[int, int]]]:
    """An irredundant cover of the ``k``-input table ``on``: cubes of ``(input j, polarity)``."""
    full = (1 << (1 << k)) - 1

    lows = [sum(1 << r for r in range(1 << k) if not (r >> p) & 1) for p in range(k)]  # rows with bit p 0

    def cof(f: int, p: int, v: int) -> int:  # the cofactor x_p = v, spread over both halves
        s, m = 1 << p, lows[p]
        h = (f & m) if v == 0 else (f >> s) & m
        return h | (h << s)

    def rec(L: int, U: int, p: int) -> tuple[int, list[list[tuple[int, int]]]]:
        if L == 0:
            return 0, []
        if full == U:
            return full, [[]]
        while cof(L, p, 0) == cof(L, p, 1) and cof(U, p, 0) == cof(U, p, 1):
            p -= 1
        L0, L1, U0, U1 = cof(L, p, 0), cof(L, p, 1), cof(U, p, 0), cof(U, p, 1)
        c0, C0 = rec(L0 & ~U1 & full, U0, p - 1)
        c1, C1 = rec(L1 & ~U0 & full, U1, p - 1)
        cs, Cs = rec((L0 & ~c0 | L1 & ~c1) & full, U0 & U1, p - 1)
        x = full & ~lows[p]
        j = k - 1 - p
        cubes = [c + [(j, 0)] for c in C0] + [c + [(j, 1)] for c in C1] + Cs
        return (c0 & ~x) | (c1 & x) | cs, cubes

    return rec(on, on, k - 1)[1]


def _literals(cubes: list) -> int:
    return sum(max(len(c), 1) for c in cubes)


def isop(b: Builder, pins: list[int], table: int) -> int:
    """Node computing ``table`` of ``pins`` as an AND-OR circuit of the cheaper of ``f``, ``¬f``."""
    k = len(pins)
    full = (1 << (1 << k)) - 1
    on, off = isop_cubes(table, k), isop_cubes(full & ~table, k)
    invert = _literals(off) < _literals(on)
    terms: list[tuple[int, int]] = []  # (node, polarity)
    for cube in off if invert else on:
        lit: tuple[int, int] = (1, 1)  # the empty cube is constant 1
        for i, (j, p) in enumerate(cube):
            lit = (pins[j], p) if i == 0 else (b.gate(lit[0], pins[j], _AND[(lit[1], p)]), 1)
        terms.append(lit)
    if not terms:
        return int(invert)
    node, pol = terms[0]
    for t, p in terms[1:]:  # OR of literals: NOT(AND of the negations)
        node, pol = b.gate(node, t, _AND[(1 - pol, 1 - p)]), 0
    want = 0 if invert else 1
    if pol == want:
        return node
    return 1 - node if node <= 1 else b.gate(node, node, _NOT)


def decompose(net: LutNetlist, method: str = "shannon") -> Netlist:
    """The two-input netlist computing the same outputs as ``net`` (same inputs, same node ids for them)."""
    if method not in METHODS:
        raise ValueError(f"decomposition must be one of {', '.join(METHODS)}, got {method!r}")
    net.validate()
    b = Builder(net.first_gate)
    node = list(range(net.first_gate))
    fanin, arity, table = net.fanin.tolist(), net.arity.tolist(), net.table.tolist()
    for g in range(net.num_gates):
        pins, t = [node[p] for p in fanin[g][: arity[g]]], int(table[g])
        if method == "best":
            trial = {m: Builder(net.first_gate) for m in ("shannon", "isop")}
            shannon(trial["shannon"], pins, t), isop(trial["isop"], pins, t)
            method_g = min(trial, key=lambda m: len(trial[m].gates))
        else:
            method_g = method
        node.append(shannon(b, pins, t) if method_g == "shannon" else isop(b, pins, t))
    gates = np.array(b.gates, dtype=np.int64).reshape(-1, 3)
    return Netlist(
        net.input_feature,
        net.input_threshold,
        net.num_features,
        net.input_bits,
        gates[:, :2],
        gates[:, 2],
        np.array([node[o] for o in net.outputs.tolist()]),
        net.num_classes,
        net.name,
    ).validate()
