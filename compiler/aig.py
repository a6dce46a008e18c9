"""And-inverter graphs: the form in which netlists go to ABC and Yosys and are proved (docs/formal.md).

Literals follow AIGER: variable 0 is constant false, variables ``1 … I`` are the inputs, then
the AND nodes in topological order; literal ``2·var`` is the variable, ``2·var + 1`` its
complement (so literal 0 is false and 1 is true). :class:`AigBuilder` hashes structurally: an AND
of the same two literals is made once, and the constant and duplicate-input rules fold on the
fly, so two circuits built into one builder share every identical part. A gate of the netlist
becomes AND nodes and inverted edges by :func:`gate_literal`, from the truth-table convention
(docs/truth-tables.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from .analysis import Analysis
from .netlist import CONST1, FIRST_INPUT, Netlist

FALSE, TRUE = 0, 1


@dataclass
class Aig:
    """A combinational AIG: ``ands[k] = (a, b)`` defines variable ``num_inputs + 1 + k`` and reads
    only smaller variables; ``outputs`` are literals."""

    num_inputs: int
    ands: np.ndarray  #: (A, 2) int64 literals
    outputs: np.ndarray  #: (O,) int64 literals
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ands = np.ascontiguousarray(np.asarray(self.ands, dtype=np.int64).reshape(-1, 2))
        self.outputs = np.ascontiguousarray(np.asarray(self.outputs, dtype=np.int64).reshape(-1))
        if not self.input_names:
            self.input_names = [f"i{k}" for k in range(self.num_inputs)]
        if not self.output_names:
            self.output_names = [f"o{k}" for k in range(self.outputs.size)]

    @property
    def num_ands(self) -> int:
        return int(self.ands.shape[0])

    @property
    def num_vars(self) -> int:
        return 1 + self.num_inputs + self.num_ands

    def validate(self) -> Aig:
        """Raise ``ValueError`` unless literals are in range and the ANDs are topologically ordered."""
        if len(self.input_names) != self.num_inputs or len(self.output_names) != self.outputs.size:
            raise ValueError("an AIG needs one name per input and per output")
        own = 2 * (self.num_inputs + 1 + np.arange(self.num_ands, dtype=np.int64))
        if self.num_ands and (self.ands.min() < 0 or (self.ands >= own[:, None]).any()):
            raise ValueError("AIG is not topologically ordered (an AND reads itself or a later variable)")
        if self.outputs.size and (self.outputs.min() < 0 or self.outputs.max() >= 2 * self.num_vars):
            raise ValueError("an AIG output refers to a variable that does not exist")
        return self

    def simulate(self, inputs: np.ndarray) -> np.ndarray:
        """Output values ``(n, O)`` bool for input rows ``(n, I)`` (any 0/1 dtype)."""
        x = np.asarray(inputs).astype(bool).reshape(-1, self.num_inputs)
        n = x.shape[0]
        words = -(-n // 64) if n else 0
        bits = np.zeros((self.num_inputs, words * 64), bool)
        bits[:, :n] = x.T
        as_bytes = np.packbits(bits.reshape(self.num_inputs, words, 64), axis=2, bitorder="little")
        packed = as_bytes.view(np.uint64).reshape(self.num_inputs, words)
        out = _simulate(self.ands, self.outputs, self.num_inputs, np.ascontiguousarray(packed))
        raw = out.view(np.uint8).reshape(self.outputs.size, words * 8)
        return np.unpackbits(raw, axis=1, bitorder="little")[:, :n].T.astype(bool)


@njit(cache=True)
def _simulate(ands, outputs, num_inputs, packed):
    words = packed.shape[1]
    val = np.zeros((1 + num_inputs + ands.shape[0], words), np.uint64)
    full = ~np.uint64(0)
    val[1 : 1 + num_inputs] = packed
    for k in range(ands.shape[0]):
        a, b = ands[k, 0], ands[k, 1]
        va = val[a >> 1] ^ (full if a & 1 else np.uint64(0))
        vb = val[b >> 1] ^ (full if b & 1 else np.uint64(0))
        val[1 + num_inputs + k] = va & vb
    out = np.empty((outputs.size, words), np.uint64)
    for o in range(outputs.size):
        lit = outputs[o]
        out[o] = val[lit >> 1] ^ (full if lit & 1 else np.uint64(0))
    return out


class AigBuilder:
    """Builds an AIG with structural hashing; all inputs are declared up front."""

    def __init__(self, input_names: Sequence[str]):
        self.input_names = list(input_names)
        self.num_inputs = len(self.input_names)
        self._ands: list[int] = []  # flat: a0, b0, a1, b1, ...
        self._hash: dict[int, int] = {}

    def input(self, k: int) -> int:
        """Literal of input ``k``."""
        return 2 * (k + 1)

    @property
    def num_ands(self) -> int:
        return len(self._ands) // 2

    def and_(self, a: int, b: int) -> int:
        if a < b:
            a, b = b, a
        if b == FALSE or a == (b ^ 1):
            return FALSE
        if b == TRUE or a == b:
            return a
        key = (a << 32) | b
        lit = self._hash.get(key)
        if lit is None:
            lit = 2 * (self.num_inputs + 1 + len(self._ands) // 2)
            self._ands += (a, b)
            self._hash[key] = lit
        return lit

    def or_(self, a: int, b: int) -> int:
        return self.and_(a ^ 1, b ^ 1) ^ 1

    def xor(self, a: int, b: int) -> int:
        """``a ⊕ b``; the complements of the operands are taken out first, so ``a ⊕ ¬b`` is the
        complement of the node of ``a ⊕ b``."""
        flip = (a ^ b) & 1
        a, b = a & ~1, b & ~1
        if a == b:
            return flip
        if a < b:
            a, b = b, a
        return self.and_(self.and_(a, b ^ 1) ^ 1, self.and_(a ^ 1, b) ^ 1) ^ 1 ^ flip

    def mux(self, s: int, t: int, e: int) -> int:
        """``s ? t : e``."""
        if t == e:
            return t
        if t == (e ^ 1):
            return self.xor(s ^ 1, t)
        return self.or_(self.and_(s, t), self.and_(s ^ 1, e))

    def build(self, outputs: Sequence[int], output_names: Sequence[str] | None = None) -> Aig:
        """The AIG of everything built so far with these outputs."""
        names = list(output_names) if output_names is not None else []
        return Aig(
            self.num_inputs, np.array(self._ands, np.int64), np.array(outputs, np.int64), self.input_names, names
        )


def gate_literal(b: AigBuilder, table: int, lit_a: int, lit_b: int) -> int:
    """Literal of a two-input gate with ``table`` (bit ``r`` = output on row ``r = 2A + B``).

    A table with a 1 on row 0 is built as the complement of its negation, so a gate and its
    complement share one node. Otherwise the Shannon cofactors on A (each 0, B, ¬B or 1)
    decide the form: one AND for AND-like tables, one AND with inverted edges for OR-like ones,
    three for XOR, none for constants and single-input tables."""
    table = int(table)
    if table & 1:
        return gate_literal(b, table ^ 0xF, lit_a, lit_b) ^ 1

    def cofactor(bits: int) -> int:  # rows (A=a, B=0), (A=a, B=1) as a function of B
        return (FALSE, lit_b, lit_b ^ 1, TRUE)[(bits & 1) * 2 + ((bits >> 1) & 1)]

    f0, f1 = cofactor(table & 3), cofactor(table >> 2)
    if f0 == f1:
        return f0
    if f0 == (f1 ^ 1) and f0 not in (FALSE, TRUE):
        return b.xor(lit_a, f0)
    return b.mux(lit_a, f1, f0)


def comparator(b: AigBuilder, x_bits: Sequence[int], threshold: int) -> int:
    """Literal of ``x > threshold`` for the unsigned integer whose bits (LSB first) are
    ``x_bits``: true for every ``x`` when ``threshold < 0``, false when ``threshold ≥ 2^bits − 1``."""
    t, bits = int(threshold), len(x_bits)
    if t < 0:
        return TRUE
    if t >= (1 << bits) - 1:
        return FALSE
    gt = FALSE  # x[i-1:0] > t[i-1:0], from the least significant bit up
    for i in range(bits):
        gt = b.and_(x_bits[i], gt) if (t >> i) & 1 else b.or_(x_bits[i], gt)
    return gt


def node_literals(
    b: AigBuilder, net: Netlist, input_lits: Sequence[int], gates: np.ndarray | None = None
) -> np.ndarray:
    """Literal of every node of ``net`` (``(num_nodes,)`` int64; ``-1`` for gates not built) given
    the literals of its primary inputs; ``gates``: the gate indices to build (default: all)."""
    lit = np.full(net.num_nodes, -1, np.int64)
    lit[0], lit[CONST1] = FALSE, TRUE
    lit[FIRST_INPUT : net.first_gate] = np.asarray(input_lits, np.int64)
    first = net.first_gate
    fanin, table = net.fanin.tolist(), net.table.tolist()
    order = range(net.num_gates) if gates is None else gates.tolist()
    for g in order:
        a, c = fanin[g]
        lit[first + g] = gate_literal(b, table[g], int(lit[a]), int(lit[c]))
    if (lit[net.outputs] < 0).any():
        raise ValueError("an output depends on a gate that was not built")
    return lit


def encoder_literals(b: AigBuilder, net: Netlist, x_lits: Sequence[int]) -> list[int]:
    """Literals of the encoder comparators ``x[f] > t`` of ``net`` over the raw input bits
    (``x_lits[f·input_bits + j]`` is bit ``j`` of feature ``f``)."""
    B = net.input_bits
    return [
        comparator(b, x_lits[f * B : (f + 1) * B], t)
        for f, t in zip(net.input_feature.tolist(), net.input_threshold.tolist())
    ]


def x_names(net: Netlist) -> list[str]:
    """Input names of the raw input bus, as Yosys names the bits of port ``x``."""
    return [f"x[{i}]" for i in range(net.num_features * net.input_bits)]


def netlist_to_aig(net: Netlist, analysis: Analysis | None = None) -> Aig:
    """The gate netlist as an AIG, as the BLIF and AIGER back ends write it: one input per
    comparator (``n<id>``, every primary input in order), constant comparators as constants,
    the live gates, and one output per output slot (``o<j>``)."""
    analysis = analysis or Analysis(net.validate())
    b = AigBuilder([f"n{FIRST_INPUT + i}" for i in range(net.num_inputs)])
    const = analysis.const_value[FIRST_INPUT : net.first_gate]
    ins = [int(c) if c >= 0 else b.input(i) for i, c in enumerate(const.tolist())]
    lit = node_literals(b, net, ins, analysis.live_gates)
    return b.build(lit[net.outputs].tolist(), [f"o{j}" for j in range(net.outputs.size)])


def netlist_on_x(
    net: Netlist, b: AigBuilder | None = None, x_lits: Sequence[int] | None = None
) -> tuple[AigBuilder, np.ndarray]:
    """``net`` with its encoder over the raw input bits: the builder (a new one whose inputs are
    ``x`` unless given, with ``x_lits`` the literals of the bits) and the literal of every node,
    i.e. the function every engine computes, for every input."""
    b = b or AigBuilder(x_names(net))
    if x_lits is None:
        x_lits = [b.input(i) for i in range(net.num_features * net.input_bits)]
    enc = encoder_literals(b, net, x_lits)
    return b, node_literals(b, net, enc, Analysis(net.validate()).live_gates)


def import_aig(
    b: AigBuilder, aig: Aig, var_map: dict[int, int], links: dict[int, int] | None = None, outputs: Sequence[int] = ()
) -> dict[int, int]:
    """Rebuild the cones of ``aig``'s ``outputs`` (indices) inside ``b``; returns their literals by index.

    ``var_map`` gives the literal in ``b`` of AIG variables (every input in a cone must have one,
    and an AND listed there is cut: its cone is not rebuilt). ``links`` ties an input variable to
    an output index of ``aig``: the input takes that output's value, which re-stitches a circuit
    cut open at that wire. A link whose output depends on its own input is an error."""
    links = links or {}
    lit = np.full(aig.num_vars, -1, np.int64)
    lit[0] = FALSE
    for v, value in var_map.items():
        lit[v] = value
    first = 1 + aig.num_inputs
    ands, outs = aig.ands.tolist(), aig.outputs.tolist()
    expanded = np.zeros(aig.num_vars, np.bool_)

    def deps(v: int) -> list[int]:
        if v >= first:
            a, c = ands[v - first]
            return [a >> 1, c >> 1]
        if v in links:
            return [outs[links[v]] >> 1]
        raise ValueError(f"AIG input {aig.input_names[v - 1]!r} has no value in this proof")

    for o in outputs:
        stack = [outs[o] >> 1]
        while stack:
            v = stack[-1]
            if lit[v] >= 0:
                stack.pop()
                continue
            if expanded[v]:
                if v >= first:
                    a, c = ands[v - first]
                    lit[v] = b.and_(int(lit[a >> 1]) ^ (a & 1), int(lit[c >> 1]) ^ (c & 1))
                else:
                    o_lit = outs[links[v]]
                    lit[v] = int(lit[o_lit >> 1]) ^ (o_lit & 1)
                stack.pop()
                continue
            expanded[v] = True
            for d in deps(v):
                if lit[d] < 0:
                    if expanded[d]:
                        raise ValueError(f"the cut at {aig.input_names[v - 1]!r} is not a cut: it feeds itself")
                    stack.append(d)
    return {o: int(lit[outs[o] >> 1]) ^ (outs[o] & 1) for o in outputs}


@njit(cache=True)
def _cone(ands, outputs, num_inputs):
    first = 1 + num_inputs
    need = np.zeros(first + ands.shape[0], np.bool_)
    for o in outputs:
        need[o >> 1] = True
    for k in range(ands.shape[0] - 1, -1, -1):
        if need[first + k]:
            need[ands[k, 0] >> 1] = True
            need[ands[k, 1] >> 1] = True
    new = np.arange(first + ands.shape[0])
    kept = np.empty((ands.shape[0], 2), np.int64)
    n = 0
    for k in range(ands.shape[0]):
        if need[first + k]:
            a, c = ands[k, 0], ands[k, 1]
            kept[n, 0] = 2 * new[a >> 1] + (a & 1)
            kept[n, 1] = 2 * new[c >> 1] + (c & 1)
            new[first + k] = first + n
            n += 1
    outs = np.empty_like(outputs)
    for j in range(outputs.size):
        outs[j] = 2 * new[outputs[j] >> 1] + (outputs[j] & 1)
    return kept[:n], outs


def cone(aig: Aig, outputs: Sequence[int] | np.ndarray, names: Sequence[str] | None = None) -> Aig:
    """The AIG of the chosen output literals only: same inputs, only the ANDs they depend on."""
    outs = np.asarray(outputs, np.int64).reshape(-1)
    ands, lits = _cone(aig.ands, outs, aig.num_inputs)
    return Aig(aig.num_inputs, ands, lits, list(aig.input_names), list(names) if names is not None else [])
