"""The classification head in hardware: which bits each class counts, and how.

A class score is the number of ones among the class's ``group_size`` outputs. Before any adder
is built the outputs are *folded* per class (:func:`fold_classes`): constant outputs become a
constant offset, an output that appears ``m`` times becomes one input of weight ``m``, and a
complementary pair (``f`` and ``¬f`` in the same class, which always sum to 1) becomes offset 1.
The score is unchanged: ``offset + Σ weight·bit``.

The counted bits then go into a *bit heap* (:class:`BitHeap`): columns of bits of equal weight
that counters compress stage by stage (full adders 3:2 for 4-input LUT FPGAs, generalized
parallel counters 6:3 for 6-input LUTs) until two rows are left for one carry-propagate adder.
The argmax compares the scores either in a balanced tree or all pairs at once
(:func:`argmax_kind`). Every part states its depth in estimated LUT levels, so the pipeliner can
place registers where a stage would exceed its budget (:mod:`ldlgn.compiler.timing`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from . import truth_tables as tt
from .analysis import Analysis
from .netlist import CONST1

#: popcount structures: full-adder (3:2) compressor tree, 6:3 counter tree, carry-chain segments
#: (:mod:`ldlgn.compiler.head_chain`), binary adder tree
POPCOUNTS = ("fa", "gpc6", "chain", "adder")
#: argmax structures: comparator tree, all-pairs comparison, or chosen by the class count
ARGMAXES = ("auto", "tree", "allpairs")
#: most classes for which ``argmax="auto"`` compares all pairs (k(k-1)/2 comparators): on the
#: digits demo (10 classes) all pairs took 824 ECP5 LUTs against about 250 for the tree
ALLPAIRS_MAX_CLASSES = 4
#: largest counter of each compressor kind: inputs of one column it compresses into one bit
MAX_COUNTER = {"fa": 3, "gpc6": 6}


@dataclass
class ClassSum:
    """One class's score as ``offset + Σ weight·node``."""

    offset: int
    terms: list[tuple[int, int]]  #: (node id, weight), in first-appearance order
    folded: dict[str, int] = field(default_factory=dict)  #: outputs folded away, by reason

    @property
    def max_score(self) -> int:
        return self.offset + sum(w for _, w in self.terms)


def _literal(net, analysis: Analysis, v: int) -> tuple[tuple, int]:
    """A key of node ``v``'s function up to inversion, and the inversion (0 or 1).

    Pass and NOT gates resolve to their input; a two-input gate is keyed by its sorted fan-in
    and its table normalized to ``f(0, 0) = 0``, so ``f`` and ``¬f`` share the key."""
    first, pol = net.first_gate, 0
    while v >= first:
        g = v - first
        t, (a, b) = int(net.table[g]), (int(net.fanin[g, 0]), int(net.fanin[g, 1]))
        ra, rb = bool(analysis.reads_a[g]), bool(analysis.reads_b[g])
        if ra and rb:
            if a > b:
                a, b, t = b, a, int(tt.swap_inputs(np.uint8(t)))
            return ("g", a, b, t ^ (0xF if t & 1 else 0)), pol ^ (t & 1)
        if not (ra or rb):
            return ("c",), pol ^ (t & 1)  # a constant gate: its value is t's row-0 bit
        pol ^= int(t in (tt.NOT_A, tt.NOT_B))
        v = a if ra else b
    const = int(analysis.const_value[v])
    if const >= 0:
        return ("c",), pol ^ const
    return ("n", v), pol


def fold_class(analysis: Analysis, outputs: np.ndarray) -> ClassSum:
    """Fold one class's ``outputs``: constants into the offset, repeats into weights,
    complementary pairs into offset 1 each."""
    net = analysis.netlist
    offset, folded = 0, {"constant": 0, "repeated": 0, "complementary": 0}
    count: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    node_of: dict[tuple[tuple, int], int] = {}
    order: list[tuple] = []
    for v in outputs.tolist():
        key, pol = _literal(net, analysis, v)
        if key == ("c",):
            offset += pol
            folded["constant"] += 1
            continue
        if key not in count:
            order.append(key)
        count[key][pol] += 1
        node_of.setdefault((key, pol), v)
    terms = []
    for key in order:
        n0, n1 = count[key]
        pairs = min(n0, n1)
        offset += pairs
        folded["complementary"] += 2 * pairs
        pol, m = (0, n0 - pairs) if n0 > n1 else (1, n1 - pairs)
        if m:
            terms.append((node_of[(key, pol)], m))
            folded["repeated"] += m - 1
    return ClassSum(offset, terms, folded)


def fold_classes(analysis: Analysis, fold: bool = True) -> list[ClassSum]:
    """Per class, the nodes counted with their weights (``fold=False``: every output once,
    constant outputs as constant bits in the offset)."""
    net = analysis.netlist
    groups = net.outputs.reshape(net.num_classes, net.group_size)
    if fold:
        return [fold_class(analysis, g) for g in groups]
    sums = []
    for g in groups:
        const = analysis.const_value[g]
        sums.append(ClassSum(int((const == 1).sum()), [(int(v), 1) for v in g[const < 0].tolist()]))
    return sums


def head_reads(sums: list[ClassSum]) -> np.ndarray:
    """Sorted node ids the head reads (never the constant nodes)."""
    return np.array(sorted({v for s in sums for v, _ in s.terms if v > CONST1}), dtype=np.int64)


def argmax_kind(argmax: str, num_classes: int) -> str:
    """The argmax structure built for ``num_classes`` classes (``"auto"`` resolved)."""
    if argmax not in ARGMAXES:
        raise ValueError(f"argmax must be one of {', '.join(ARGMAXES)}, got {argmax!r}")
    if argmax == "auto":
        return "allpairs" if num_classes <= ALLPAIRS_MAX_CLASSES else "tree"
    return argmax


def check_popcount(popcount: str) -> str:
    if popcount not in POPCOUNTS:
        raise ValueError(f"popcount must be one of {', '.join(POPCOUNTS)}, got {popcount!r}")
    return popcount


@dataclass
class Counter:
    """One counter of a compressor stage: ``inputs`` (bits of ``column``) summed into ``width``
    bits named ``t<index>``, whose bit ``k`` lands in column ``column + k``."""

    index: int
    column: int
    inputs: list[str]
    width: int


class BitHeap:
    """Columns of bits of equal weight (``columns[j]``: signals of weight ``2**j``), compressed
    stage by stage with counters of at most ``max_counter`` inputs until every column holds at
    most two bits. Bits that would land in column ``width`` or above are provably 0 (the total
    is below ``2**width``) and are dropped."""

    def __init__(self, width: int, max_counter: int):
        self.width, self.max_counter = width, max_counter
        self.columns: list[list[str]] = [[] for _ in range(width)]
        self.next_index = 0

    def add(self, signal: str, weight: int) -> None:
        for j in range(self.width):
            if weight >> j & 1:
                self.columns[j].append(signal)

    def add_constant(self, value: int) -> None:
        """Constant bits go last in their columns: the counters take bits from the front, so a
        constant is usually left over for the final adder, where it costs nothing."""
        self.add("1'b1", value)

    @property
    def height(self) -> int:
        return max((len(c) for c in self.columns), default=0)

    def _target(self) -> int:
        """Largest height of the reduction sequence below the current height: Dadda's sequence
        2, 3, 4, 6, 9, 13, … (×1.5) for 3:2 counters, 2, 3, 4, 6, 8, 12, 16, … for 6:3 counters."""
        seq = [2, 3, 4] if self.max_counter > 3 else [2]
        while seq[-1] < self.height:
            seq.append(seq[-1] * 3 // 2 if self.max_counter == 3 or seq[-1] % 3 else seq[-1] * 4 // 3)
        return max([s for s in seq if s < self.height], default=2)

    def stage(self) -> list[Counter]:
        """One compression stage: reduce every column to at most the next target height (full
        adders, as Dadda: few counters), or (6:3 counters, as Wallace) compress every column in
        groups of six, and a last group of three to five, since a full 6:3 counter removes one
        bit per LUT and a smaller one fewer."""
        target, counters = (self._target() if self.max_counter == 3 else 2), []
        incoming = [0] * (self.width + 2)
        nxt: list[list[str]] = [[] for _ in range(self.width)]
        for j, col in enumerate(self.columns):
            free, i = len(col), 0
            while free + incoming[j] > target and free >= 2:
                if self.max_counter == 3:
                    m = max(2, min(3, free, free + incoming[j] - target + 1))
                elif free >= 3:
                    m = min(self.max_counter, free)
                else:
                    break
                width = min(max(1, m.bit_length()), self.width - j)
                c = Counter(self.next_index, j, col[i : i + m], width)
                self.next_index += 1
                counters.append(c)
                i, free = i + m, free - m
                for k in range(width):
                    incoming[j + k] += 1
                    nxt[j + k].append(f"t{c.index}[{k}]")
            nxt[j] += col[i:]  # new bits first: a constant stays last, for the final adder
        self.columns = nxt
        return counters

    def compress(self) -> list[list[Counter]]:
        """Every stage until at most two bits remain per column."""
        stages: list[list[Counter]] = []
        while self.height > 2:
            if len(stages) > 4 * self.width + 8:
                raise RuntimeError("bit heap compression does not converge")  # a bug, never bad input
            stages.append(self.stage())
        return stages

    def rows(self) -> tuple[list[str], list[str]]:
        """The two rows left, LSB first (``1'b0`` where a column is short)."""
        r0 = [c[0] if len(c) > 0 else "1'b0" for c in self.columns]
        r1 = [c[1] if len(c) > 1 else "1'b0" for c in self.columns]
        return r0, r1
