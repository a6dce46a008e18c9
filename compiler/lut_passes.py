"""Optimization passes on LUT netlists (docs/n-input-gates.md), run to a fixed point.

Every rewrite but dead-gate elimination is one forward sweep over the gates: each gate's pins are
looked up in the map from old to new nodes, its table is rewritten by :func:`compose` (constant
pins cofactored away, duplicate pins merged, pins sorted, ignored pins dropped) and the gate is
then replaced by a constant, by its only input (a buffer) or by an equal gate built earlier
(structural hashing), or kept. Primary inputs are never renumbered or removed.

| pass | rewrite |
|---|---|
| ``const-inputs`` | comparators that are always or never true become the constant nodes |
| ``const`` | constant pins are cofactored away; constant gates and buffers vanish |
| ``dup-inputs`` | a node read on several pins of a gate is read once |
| ``support`` | inputs the table ignores are dropped (the arity falls) |
| ``strash`` | pins sorted (table permuted to match); gates with equal pins and tables merged |
| ``dce`` | gates no output depends on are removed |
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial

import numpy as np

from .analysis import constant_inputs
from .lut_analysis import LutAnalysis
from .lut_netlist import LutNetlist
from .lutnet import MAX_ARITY
from .netlist import FIRST_INPUT

#: rows whose bit ``p`` is 0, over 64 rows: the masks of the cofactor ``x = 0`` of row bit ``p``
_LOW_ROWS = [sum(1 << r for r in range(64) if not (r >> p) & 1) for p in range(MAX_ARITY)]

LUT_PASSES: dict[str, tuple[str, Callable[[LutNetlist], LutNetlist]]] = {}
DEFAULT_LUT_PASSES = ("const-inputs", "const", "dup-inputs", "support", "strash", "dce")


def compose(table: int, arity: int, assign: list[tuple[str, int]], new_arity: int) -> int:
    """Table of ``new_arity`` inputs computing ``table`` with old input ``j`` set to
    ``assign[j]``: ``("c", 0|1)`` a constant or ``("v", i)`` new input ``i`` (first most significant)."""
    out = 0
    for r in range(1 << new_arity):
        old = 0
        for kind, v in assign:
            bit = v if kind == "c" else (r >> (new_arity - 1 - v)) & 1
            old = (old << 1) | bit
        out |= ((table >> old) & 1) << r
    return out


def depends(table: int, arity: int, j: int) -> bool:
    """Whether a ``arity``-input table depends on input ``j``."""
    p = arity - 1 - j
    rows = (1 << (1 << arity)) - 1
    return bool(((table >> (1 << p)) ^ table) & _LOW_ROWS[p] & rows)


def _rewrite(pins: list[int], table: int, opts: frozenset) -> tuple[list[int], int]:
    """The gate's new pins and table under the enabled rewrites ``opts``."""
    assign: list[tuple[str, int]] = []
    new: list[int] = []
    for p in pins:
        if "const" in opts and p <= 1:
            assign.append(("c", p))
        elif "dup-inputs" in opts and p in new:
            assign.append(("v", new.index(p)))
        else:
            assign.append(("v", len(new)))
            new.append(p)
    if "strash" in opts:
        order = sorted(range(len(new)), key=lambda i: new[i])
        rank = {old: pos for pos, old in enumerate(order)}
        assign = [(k, rank[v]) if k == "v" else (k, v) for k, v in assign]
        new = [new[i] for i in order]
    table = compose(table, len(pins), assign, len(new))
    if "support" in opts:
        keep = [i for i in range(len(new)) if depends(table, len(new), i)]
        if len(keep) < len(new):
            drop = [("v", keep.index(i)) if i in keep else ("c", 0) for i in range(len(new))]
            table, new = compose(table, len(new), drop, len(keep)), [new[i] for i in keep]
    return new, table


def sweep(net: LutNetlist, opts: frozenset) -> LutNetlist:
    """One forward sweep of the rewrites named in ``opts`` (see the module docstring)."""
    first = net.first_gate
    node = list(range(first))  # old node -> new node
    if "const-inputs" in opts:
        fixed = constant_inputs(net)  # type: ignore[arg-type]
        node[FIRST_INPUT:first] = [int(c) if c >= 0 else FIRST_INPUT + i for i, c in enumerate(fixed.tolist())]
    fanin, arity, table = net.fanin.tolist(), net.arity.tolist(), net.table.tolist()
    out_fanin: list[list[int]] = []
    out_arity: list[int] = []
    out_table: list[int] = []
    seen: dict[tuple, int] = {}
    for g in range(net.num_gates):
        pins, t = _rewrite([node[p] for p in fanin[g][: arity[g]]], int(table[g]), opts)
        k = len(pins)
        if "const" in opts and k == 0:
            node.append(t & 1)
            continue
        if "const" in opts and k == 1 and t == 2:  # a buffer
            node.append(pins[0])
            continue
        key = (tuple(pins), t)
        if "strash" in opts and key in seen:
            node.append(seen[key])
            continue
        seen[key] = first + len(out_table)
        node.append(seen[key])
        out_fanin.append(pins + [0] * (MAX_ARITY - k))
        out_arity.append(k)
        out_table.append(t)
    return _with_gates(net, out_fanin, out_arity, out_table, [node[o] for o in net.outputs.tolist()])


def _with_gates(net: LutNetlist, fanin, arity, table, outputs) -> LutNetlist:
    return LutNetlist(
        net.input_feature,
        net.input_threshold,
        net.num_features,
        net.input_bits,
        np.array(fanin, dtype=np.int32).reshape(-1, MAX_ARITY),
        np.array(arity, dtype=np.uint8),
        np.array(table, dtype=np.uint64),
        np.array(outputs, dtype=np.int32),
        net.num_classes,
        net.name,
    ).validate()


def dce(net: LutNetlist) -> LutNetlist:
    """Remove the gates no output depends on; renumber the kept ones in order."""
    live = LutAnalysis(net).live_gates
    new_id = np.arange(net.num_nodes, dtype=np.int64)
    new_id[net.first_gate + live] = net.first_gate + np.arange(live.size)
    fanin = new_id[net.fanin[live]]
    pins = np.arange(MAX_ARITY)[None, :] < net.arity[live][:, None]
    fanin[~pins] = 0
    return _with_gates(net, fanin, net.arity[live], net.table[live], new_id[net.outputs])


def _sweep_pass(net: LutNetlist, opts: frozenset) -> LutNetlist:
    return sweep(net, opts)


def register_lut_pass(name: str, help: str, run: Callable[[LutNetlist], LutNetlist]) -> None:
    if name in LUT_PASSES:
        raise ValueError(f"a LUT pass named {name!r} is already registered")
    LUT_PASSES[name] = (help, run)


for _name, _help in (
    ("const-inputs", "comparators that are always or never true become constants"),
    ("const", "constant propagation: constant pins cofactored away, constant gates and buffers removed"),
    ("dup-inputs", "a node read on several pins of a gate is read once"),
    ("support", "inputs a table ignores are dropped, lowering the arity"),
    ("strash", "structural hashing on sorted pins with permuted tables"),
):
    register_lut_pass(_name, _help, partial(_sweep_pass, opts=frozenset([_name])))
register_lut_pass("dce", "dead-gate elimination", dce)


def optimize_lut(net: LutNetlist, passes: Iterable[str] | None = None, max_rounds: int = 20):
    """Run ``passes`` (default: all) in order until a round changes nothing; ``(net, report)`` with
    one record per pass run: ``pass``, ``round``, ``gates_before``, ``gates_after``, ``seconds``."""
    names = list(DEFAULT_LUT_PASSES if passes is None else passes)
    for n in names:
        if n not in LUT_PASSES:
            raise ValueError(f"unknown LUT pass {n!r}; choose from {', '.join(LUT_PASSES)}")
    net = net.validate()
    report = []
    for rnd in range(max_rounds):
        before_round = _signature(net)
        for n in names:
            t0 = time.perf_counter()
            before = net.num_gates
            net = LUT_PASSES[n][1](net)
            report.append(
                {"pass": n, "round": rnd, "gates_before": before, "gates_after": net.num_gates,
                 "seconds": time.perf_counter() - t0}
            )  # fmt: skip
        if _signature(net) == before_round:
            break
    return net, report


def _signature(net: LutNetlist) -> tuple:
    return (net.fanin.tobytes(), net.arity.tobytes(), net.table.tobytes(), net.outputs.tobytes())
