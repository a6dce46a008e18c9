"""What the emitted Verilog is proved against, and how the proof is cut into parts (docs/formal.md).

From the AIG of :mod:`ldlgn.compiler.formal_synth` (the design with its node wires ``n<id>``
as extra outputs) and the netlist, for one design variant:

* ``core`` (property a): every node wire ``n<id>``, as a function of ``x``, equals netlist
  node ``id`` under the encoder's specification;
* ``encoder`` (property c): every comparator wire equals ``x[f] > t``;
* ``popcount`` (property c): each class's score, as a function of the node wires, equals the
  number of ones among the class's outputs (algebra, :mod:`ldlgn.compiler.acec`);
* ``argmax`` (property c): ``class_out``, as a function of the scores, is the lowest class of
  the highest score.

The head is proved against this specification, not against how it is built: it may fold,
compress, register or reorder its inputs in any way. For the last two the AIG is cut at the
nodes that drive the node wires: each becomes a free variable, so the head is proved for every
value of its inputs. Wires whose netlist nodes are equal up to inversion (repeated outputs, pass
and NOT gates, a gate and its complement: one AIG node of the netlist) share one variable, a
fact that the ``core`` proof checks wire by wire. Composed, the parts give: for every ``x``, the
design's scores and class are the count and argmax of the netlist's outputs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .acec import prove_count
from .aig import Aig, AigBuilder, import_aig, netlist_on_x
from .formal import Obligation, Proof
from .formal_synth import node_of_wire
from .graph import gate_name
from .netlist import CONST1, FIRST_INPUT, Netlist
from .reference import node_values


@dataclass
class RtlProblem:
    """The obligations of one design variant, and the head's count checks."""

    variant: str
    obligations: list[Obligation] = field(default_factory=list)
    counts: list[tuple[str, dict]] = field(default_factory=list)  #: (name, prove_count arguments)
    head_inputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _label(net: Netlist, v: int) -> str:
    if v < net.first_gate:
        i = v - FIRST_INPUT
        return f"n{v} (comparator x[{net.input_feature[i]}] > {net.input_threshold[i]})"
    g = v - net.first_gate
    a, b = net.fanin[g]
    return f"n{v} ({gate_name(int(net.table[g]))} of n{a}, n{b})"


def _port(aig: Aig, name: str, width: int) -> list[int]:
    index = {n: k for k, n in enumerate(aig.output_names)}
    missing = [f"{name}[{i}]" for i in range(width) if f"{name}[{i}]" not in index]
    if missing:
        raise ValueError(f"the design has no output {missing[0]}: its ports differ from docs/engines.md")
    return [index[f"{name}[{i}]"] for i in range(width)]


def _wires(net: Netlist, aig: Aig, lit: np.ndarray) -> list[tuple[int, int]]:
    """(output index, node id) of the design's node wires that are live nodes of ``net``."""
    wires = [(k, node_of_wire(n)) for k, n in enumerate(aig.output_names)]
    return [(k, v) for k, v in wires if v is not None and v < net.num_nodes and lit[v] >= 0]


def core_obligations(net: Netlist, aig: Aig, variant: str) -> tuple[list[Obligation], np.ndarray]:
    """``core`` and ``encoder`` over the design's own inputs; also the netlist's literal of every
    node (in the obligations' builder, whose inputs are the design's)."""
    b = AigBuilder(aig.input_names)
    index = {n: k for k, n in enumerate(aig.input_names)}
    xs = [f"x[{i}]" for i in range(net.num_features * net.input_bits)]
    if any(n not in index for n in xs):
        raise ValueError(f"the design's input x is not {len(xs)} bits wide")
    _, lit = netlist_on_x(net, b, [b.input(index[n]) for n in xs])
    wires = _wires(net, aig, lit)
    got = import_aig(b, aig, {k + 1: b.input(k) for k in range(aig.num_inputs)}, None, [k for k, _ in wires])
    obligations = []
    for what, gates in (("node wires = netlist", True), ("comparator wires = x > t", False)):
        part = [(k, v) for k, v in wires if (v >= net.first_gate) == gates]
        gold, gate = [int(lit[v]) for _, v in part], [got[k] for k, _ in part]
        obligations.append(Obligation(f"{variant}: {what}", b, gold, gate, [_label(net, v) for _, v in part]))
    return obligations, lit


def head_variables(net: Netlist, lit: np.ndarray) -> tuple[dict[int, int], np.ndarray]:
    """One variable per AIG node of the outputs (constants excluded): node → variable index,
    and the variable (or -1) of every netlist node whose literal is on such a node."""
    outs = np.unique(net.outputs)
    nodes = sorted({int(lit[v]) >> 1 for v in outs.tolist() if lit[v] > CONST1})
    var = {n: k for k, n in enumerate(nodes)}
    of_node = np.array([var.get(int(lv) >> 1, -1) if lv > CONST1 else -1 for lv in lit.tolist()], np.int64)
    return var, of_node


def _count_spec(net: Netlist, lit: np.ndarray, var: dict[int, int], k: int) -> tuple[dict[int, tuple[int, int]], int]:
    """Class ``k``'s score as ``offset + Σ_h (h ? w1 : w0)`` over the head variables: per variable
    ``(w0, w1)``, the outputs that are 1 when it is 0 (inverted) and when it is 1."""
    weights: dict[int, list[int]] = {}
    offset = 0
    for v in net.outputs[k * net.group_size : (k + 1) * net.group_size].tolist():
        lv = int(lit[v])
        if lv <= CONST1:
            offset += lv
            continue
        weights.setdefault(var[lv >> 1], [0, 0])[0 if lv & 1 else 1] += 1
    return {h: (w[0], w[1]) for h, w in weights.items()}, offset


def _unsigned_gt(b: AigBuilder, a: list[int], c: list[int]) -> int:
    gt = 0
    for ai, ci in zip(a, c):  # from the least significant bit up
        gt = b.or_(b.and_(ai, ci ^ 1), b.and_(b.xor(ai, ci) ^ 1, gt))
    return gt


def argmax_spec(b: AigBuilder, scores: list[list[int]], class_width: int) -> list[int]:
    """The lowest class of the highest score: a scan that moves on only to a strictly larger score."""
    best, index = scores[0], [0] * class_width
    for k in range(1, len(scores)):
        gt = _unsigned_gt(b, scores[k], best)
        best = [b.mux(gt, s, t) for s, t in zip(scores[k], best)]
        index = [b.mux(gt, (k >> i) & 1, t) for i, t in enumerate(index)]
    return index


def _cut_map(
    b: AigBuilder, net: Netlist, aig: Aig, lit: np.ndarray, of_node: np.ndarray, first: int
) -> tuple[dict[int, int], list[str]]:
    """Variable → literal in ``b`` for the design's inputs (``b``'s inputs from ``first``) and for
    the AIG nodes that drive node wires of outputs (their head variable, or their constant)."""
    var_map = {k + 1: b.input(first + k) for k in range(aig.num_inputs)}
    notes: list[str] = []
    taken: dict[int, int] = {}
    for k, v in _wires(net, aig, lit):
        lv, po = int(lit[v]), int(aig.outputs[k])
        if lv <= CONST1:
            value = lv ^ (po & 1)
        elif of_node[v] >= 0:
            value = b.input(int(of_node[v])) ^ (lv & 1) ^ (po & 1)
        else:
            continue
        node = po >> 1
        if node == 0:
            continue
        if taken.get(node, value) != value:
            notes.append(f"wires of different netlist nodes share one node in the design (n{v})")
            continue
        taken[node] = var_map[node] = value
    return var_map, notes


def head_problem(net: Netlist, aig: Aig, design, lit: np.ndarray, variant: str) -> RtlProblem:
    """The ``popcount`` count checks and the ``argmax`` obligation of one design variant."""
    var, of_node = head_variables(net, lit)
    heads = [f"h{k}" for k in range(len(var))]
    b = AigBuilder(heads + list(aig.input_names))
    var_map, notes = _cut_map(b, net, aig, lit, of_node, len(heads))
    K, W, CW = net.num_classes, design.score_width, design.class_width
    score_idx = _port(aig, "scores", K * W)
    class_idx = _port(aig, "class_out", CW)
    got = import_aig(b, aig, var_map, None, score_idx + class_idx)
    head = b.build([got[o] for o in score_idx + class_idx])
    problem = RtlProblem(variant, head_inputs=heads + list(aig.input_names), notes=notes)
    for k in range(K):
        weights, offset = _count_spec(net, lit, var, k)
        roots = head.outputs[k * W : (k + 1) * W]
        problem.counts.append((f"score of class {k}", dict(aig=head, roots=roots, weights=weights, offset=offset)))
    problem.obligations.append(_argmax_obligation(head, K, W, CW, variant))
    return problem


def _argmax_obligation(head: Aig, K: int, W: int, CW: int, variant: str) -> Obligation:
    """``class_out`` with the score nodes cut to free inputs ``s<k>`` against the specification."""
    roots = head.outputs[: K * W].tolist()
    cut_vars = sorted({r >> 1 for r in roots if (r >> 1) > head.num_inputs})
    b = AigBuilder(list(head.input_names) + [f"s{k}" for k in range(len(cut_vars))])
    var_map = {k + 1: b.input(k) for k in range(head.num_inputs)}
    var_map.update({v: b.input(head.num_inputs + j) for j, v in enumerate(cut_vars)})
    got = import_aig(b, head, var_map, None, range(K * W + CW))
    scores = [[got[k * W + i] for i in range(W)] for k in range(K)]
    return Obligation(
        f"{variant}: class_out = lowest class of the highest score",
        b,
        argmax_spec(b, scores, CW),
        [got[K * W + i] for i in range(CW)],
        [f"class_out[{i}]" for i in range(CW)],
    )


def check_counts(problem: RtlProblem, term_limit: int = 200_000) -> Proof:
    """Prove every class's score equal to the count of its outputs; one :class:`Proof` for all."""
    t0 = time.perf_counter()
    name = f"{problem.variant}: scores = count of each class's outputs"
    peak = 0
    for label, args in problem.counts:
        r = prove_count(**args, term_limit=term_limit)
        peak = max(peak, r.peak_terms)
        if r.status != "proved":
            proof = Proof(name, "failed" if r.status == "differs" else "unknown", 0.0, "algebra", len(problem.counts))
            proof.detail = r.detail
            if r.assignment is not None:
                proof.failing = label
                proof.counterexample = {problem.head_inputs[i]: 1 for i in r.assignment}
            proof.seconds = time.perf_counter() - t0
            return proof
    proof = Proof(name, "proved", time.perf_counter() - t0, "algebra", len(problem.counts))
    proof.extra["peak_terms"] = peak
    return proof


def locate_gate(net: Netlist, aig: Aig, x: np.ndarray) -> str:
    """The first node (in topological order) whose wires in the design (``aig`` from
    ``design_aig(..., wires="all")``) differ from the netlist at input row ``x``, while the inputs
    its table reads agree: the gate to look at. Empty when every wire agrees."""
    bits = np.zeros(aig.num_inputs, bool)
    x_bits = ((np.asarray(x, np.int64).reshape(-1)[:, None] >> np.arange(net.input_bits)) & 1).reshape(-1)
    for k, name in enumerate(aig.input_names):
        if name.startswith("x[") and int(name[2:-1]) < x_bits.size:
            bits[k] = bool(x_bits[int(name[2:-1])])
    got = aig.simulate(bits[None])[0]
    ref = node_values(net, np.asarray(x).reshape(1, -1))[:, 0]
    seen: dict[int, set[int]] = {}
    for k, name in enumerate(aig.output_names):
        v = node_of_wire(name, inside=True)
        if v is not None and v < net.num_nodes:
            seen.setdefault(v, set()).add(int(got[k]))
    wrong = sorted(v for v, vals in seen.items() if vals != {int(ref[v])})
    for v in wrong:
        if v >= net.first_gate:
            a, b = (int(u) for u in net.fanin[v - net.first_gate])
            if any(seen.get(u, {int(ref[u])}) != {int(ref[u])} for u in (a, b)):
                continue
            return (
                f"gate {_label(net, v)} with n{a}={ref[a]}, n{b}={ref[b]}: the design gives "
                f"{'/'.join(map(str, sorted(seen[v])))}, the netlist {ref[v]}"
            )
        return f"{_label(net, v)}: the design gives {'/'.join(map(str, sorted(seen[v])))}, the netlist {ref[v]}"
    return f"wire {_label(net, wrong[0])}" if wrong else ""
