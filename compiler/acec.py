"""Arithmetic equivalence: proving that a circuit's output word is a weighted count of its inputs.

SAT cannot prove that a popcount is a popcount: two adder trees that sum the same bits in another
order share no internal signal, and the solver has to rediscover the sum's parity and carries
clause by clause (ABC's ``cec`` and Yosys's ``sat`` do not finish on 40 bits). BDDs of a
compressor tree's carry-save signals grow too fast. What works is algebra (docs/formal.md):

Every function ``{0,1}^n → Z/2^W`` has exactly one multilinear polynomial. Start from the output
word ``Σ_j 2^j·y_j`` and replace, from the outputs towards the inputs, each AIG node by the
polynomial of the block that computes it, with coefficients modulo ``2^W``. A full adder is
found as a three-input cut whose XOR and majority are both computed (the sum and carry of one
adder); replacing sum and carry together turns ``2^(j+1)·carry + 2^j·sum`` into
``2^j·(a + b + c)``, so the polynomial of a correct adder or compressor tree stays linear all
the way down, whatever its structure. Half adders (XOR and AND of two signals) and single AND
nodes are replaced the same way. The circuit is correct exactly when the polynomial left over
the inputs is the specification's ``offset + Σ_i (x_i ? w1_i : w0_i)``; otherwise a monomial of
the difference of least degree gives an input on which the two differ.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .aig import Aig

Monomial = frozenset  # of AIG variables
_XOR3 = {0x96, 0x69}
_XOR2 = {0x6, 0x9}


def _majorities() -> set[int]:
    tables = set()
    for neg in range(8):
        t = 0
        for r in range(8):
            if sum(((r >> j) & 1) ^ ((neg >> j) & 1) for j in range(3)) >= 2:
                t |= 1 << r
        tables |= {t, t ^ 0xFF}
    return tables


_MAJ3 = _majorities()


def _expand(table: int, leaves: tuple, onto: tuple) -> int:
    """``table`` over ``leaves`` as a table over the superset ``onto`` (row bit j = leaf j)."""
    pos = [onto.index(leaf) for leaf in leaves]
    out = 0
    for r in range(1 << len(onto)):
        row = sum(1 << j for j, p in enumerate(pos) if (r >> p) & 1)
        if (table >> row) & 1:
            out |= 1 << r
    return out


def _cuts(aig: Aig, nodes: list[int], limit: int = 16) -> dict[int, list[tuple[tuple, int]]]:
    """Cuts of at most three leaves of each node, with the node's truth table over them."""
    first = 1 + aig.num_inputs
    cuts: dict[int, list[tuple[tuple, int]]] = {}

    def of(v: int) -> list[tuple[tuple, int]]:
        return cuts[v] if v >= first else [((v,), 0b10)]

    for v in nodes:
        a, b = (int(x) for x in aig.ands[v - first])
        found: dict[tuple, int] = {(v,): 0b10}
        for la, ta in of(a >> 1):
            for lb, tb in of(b >> 1):
                leaves = tuple(sorted(set(la) | set(lb)))
                if len(leaves) > 3 or leaves in found or 0 in leaves:
                    continue
                full = (1 << (1 << len(leaves))) - 1
                xa = _expand(ta, la, leaves) ^ (full if a & 1 else 0)
                xb = _expand(tb, lb, leaves) ^ (full if b & 1 else 0)
                found[leaves] = xa & xb
                if len(found) >= limit:
                    break
        cuts[v] = list(found.items())
    return cuts


def _polynomial(table: int, leaves: tuple) -> dict[Monomial, int]:
    """The multilinear polynomial of ``table`` over ``leaves`` (Möbius transform)."""
    n = len(leaves)
    f = [(table >> r) & 1 for r in range(1 << n)]
    for i in range(n):
        for r in range(1 << n):
            if (r >> i) & 1:
                f[r] -= f[r ^ (1 << i)]
    return {Monomial(leaves[j] for j in range(n) if (r >> j) & 1): c for r, c in enumerate(f) if c}


def _substitutions(aig: Aig, nodes: list[int]) -> dict[int, dict[Monomial, int]]:
    """Each node's polynomial over the leaves of its block: the full adder or half adder whose
    sum or carry it is, else its own two inputs."""
    first = 1 + aig.num_inputs
    cuts = _cuts(aig, nodes)
    xors, majs = set(), set()
    for v in nodes:
        for leaves, t in cuts[v]:
            if len(leaves) == 3:
                if t in _XOR3:
                    xors.add(leaves)
                elif t in _MAJ3:
                    majs.add(leaves)
    adders = xors & majs
    subst = {}
    for v in nodes:
        choice: tuple[tuple, int] | None
        choice = next(((lv, t) for lv, t in cuts[v] if lv in adders and (t in _XOR3 or t in _MAJ3)), None)
        choice = choice or next(((lv, t) for lv, t in cuts[v] if len(lv) == 2 and t in _XOR2), None)
        if choice is None:
            a, b = (int(x) >> 1 for x in aig.ands[v - first])
            fanins = tuple(sorted({a, b} - {0}))
            choice = next(((lv, t) for lv, t in cuts[v] if lv == fanins), None) or ((), 0)
        subst[v] = _polynomial(choice[1], choice[0])
    return subst


class _Poly:
    """A multilinear polynomial modulo ``modulus`` with an index from variable to monomials."""

    def __init__(self, modulus: int):
        self.modulus = modulus
        self.terms: dict[Monomial, int] = {}
        self.having: dict[int, set[Monomial]] = defaultdict(set)

    def add(self, m: Monomial, c: int) -> None:
        old = self.terms.get(m, 0)
        new = (old + c) % self.modulus
        if new == old:
            return
        if new == 0:
            del self.terms[m]
            for u in m:
                self.having[u].discard(m)
        else:
            self.terms[m] = new
            if old == 0:
                for u in m:
                    self.having[u].add(m)

    def substitute(self, v: int, poly: dict[Monomial, int]) -> None:
        for m in list(self.having.pop(v, ())):
            c = self.terms.pop(m)
            for u in m:
                if u != v:
                    self.having[u].discard(m)
            rest = m - {v}
            for t, d in poly.items():
                self.add(rest | t, c * d)


@dataclass
class CountProof:
    """Result of :func:`prove_count`."""

    status: str  #: "proved", "differs" or "unknown"
    assignment: dict[int, int] | None = None  #: input index -> 0/1 where it differs (others 0)
    detail: str = ""
    peak_terms: int = 0


def _cone(aig: Aig, roots: np.ndarray) -> list[int]:
    first = 1 + aig.num_inputs
    need = np.zeros(aig.num_vars, bool)
    need[roots >> 1] = True
    for k in range(aig.num_ands - 1, -1, -1):
        if need[first + k]:
            need[aig.ands[k] >> 1] = True
    return [int(v) for v in np.flatnonzero(need) if v >= first]


def _value(aig: Aig, roots: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The output word of ``roots`` for input rows ``(n, I)``."""
    probe = Aig(aig.num_inputs, aig.ands, roots)
    bits = probe.simulate(rows).astype(np.int64)
    return (bits << np.arange(roots.size)).sum(1)


def prove_count(
    aig: Aig, roots: np.ndarray, weights: dict[int, tuple[int, int]], offset: int, term_limit: int = 200_000
) -> CountProof:
    """Whether the word ``Σ_j 2^j·roots[j]`` equals ``offset + Σ_i (x_i ? w1_i : w0_i)`` for every
    input, with ``weights[i] = (w0_i, w1_i)`` by input index (inputs not listed weigh nothing),
    modulo ``2^len(roots)``: the exact count whenever the count fits the word."""
    modulus = 1 << roots.size
    spec = _Poly(modulus)
    spec.add(Monomial(), offset + sum(w0 for w0, _ in weights.values()))
    for i, (w0, w1) in weights.items():
        spec.add(Monomial({i + 1}), w1 - w0)
    found = _random_difference(aig, roots, spec, weights)
    if found is not None:
        return CountProof("differs", found)
    nodes = _cone(aig, roots)
    subst = _substitutions(aig, nodes)
    first = 1 + aig.num_inputs
    poly = _Poly(modulus)
    for j, r in enumerate(roots.tolist()):
        base = Monomial() if r >> 1 == 0 else Monomial({r >> 1})
        if r & 1:
            poly.add(Monomial(), 1 << j)
            poly.add(base, -(1 << j))
        else:
            poly.add(base, 1 << j)
    queue = [-v for v in poly.having if v >= first]
    heapq.heapify(queue)
    queued = {-q for q in queue}
    peak = len(poly.terms)
    while queue:
        v = -heapq.heappop(queue)
        queued.discard(v)
        poly.substitute(v, subst[v])
        for t in subst[v]:
            for u in t:
                if u >= first and u not in queued and poly.having.get(u):
                    heapq.heappush(queue, -u)
                    queued.add(u)
        peak = max(peak, len(poly.terms))
        if peak > term_limit:
            return CountProof("unknown", detail=f"the polynomial grew beyond {term_limit} terms", peak_terms=peak)
    return _compare(aig, roots, poly, spec, weights, peak)


def _compare(aig: Aig, roots: np.ndarray, poly: _Poly, spec: _Poly, weights: dict, peak: int) -> CountProof:
    diff = _Poly(poly.modulus)
    for m, c in poly.terms.items():
        diff.add(m, c)
    for m, c in spec.terms.items():
        diff.add(m, -c)
    if not diff.terms:
        return CountProof("proved", peak_terms=peak)
    m = min(diff.terms, key=len)  # all variables of m at 1, the rest 0: the difference is its coefficient
    assignment = {v - 1: 1 for v in m}
    row = np.zeros((1, aig.num_inputs), bool)
    row[0, [v - 1 for v in m]] = True
    want = sum(c for t, c in spec.terms.items() if t <= m) % spec.modulus
    if int(_value(aig, roots, row)[0]) % spec.modulus == want:
        return CountProof("unknown", detail="the algebra's counterexample does not reproduce (a bug)", peak_terms=peak)
    stray = sorted({v - 1 for t in poly.terms for v in t} - set(weights))
    detail = f"the word also depends on inputs {stray[:5]}" if stray else ""
    return CountProof("differs", assignment, detail, peak)


def _random_difference(aig: Aig, roots: np.ndarray, spec: _Poly, weights: dict, samples: int = 256) -> dict | None:
    """An input (as ``prove_count`` returns it) on which random simulation already shows a
    difference, at densities from sparse to dense; None when none of the samples differs."""
    rng = np.random.default_rng(0)
    density = np.linspace(0.0, 1.0, samples)[:, None]
    rows = rng.random((samples, aig.num_inputs)) < density
    got = _value(aig, roots, rows)
    want = np.full(samples, spec.terms.get(Monomial(), 0), np.int64)
    for m, c in spec.terms.items():
        if m:
            want = want + c * rows[:, [v - 1 for v in m]].all(1)
    bad = np.flatnonzero((got - want) % spec.modulus)
    if not bad.size:
        return None
    return {int(i): 1 for i in np.flatnonzero(rows[bad[0]])}
