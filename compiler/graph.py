"""Figures and views of a netlist for people: depth, fan-out statistics, critical path, gate mix,
a summary and the networkx view.

The array IR stays the hot structure: every figure comes from the one
:class:`~ldlgn.compiler.analysis.Analysis`; :func:`to_networkx` builds a ``DiGraph`` for
exploration and drawings of small nets.
"""

from __future__ import annotations

import numpy as np

from . import truth_tables as tt
from .analysis import analyze
from .netlist import CONST0, CONST1, FIRST_INPUT, Netlist


def gate_name(table: int) -> str:
    """Name of a truth table, e.g. ``gate_name(8) == "AND"``."""
    return tt.GATE_NAMES[tt.TABLE_TO_OP_ID[int(table)]]


def levels(netlist: Netlist) -> np.ndarray:
    """Logic level of every node (``(num_nodes,)`` int32); see :attr:`Analysis.level`."""
    return analyze(netlist).level


def depth(netlist: Netlist) -> int:
    """Logic depth: the largest level of an output (0 for no outputs)."""
    return analyze(netlist).depth


def critical_path(netlist: Netlist) -> list:
    """Node ids of a longest path, from a constant/input to the deepest output (first one on
    ties; at each gate the deeper input it reads, A on ties)."""
    if netlist.outputs.size == 0:
        return []
    an = analyze(netlist)
    lev = an.level
    node = int(netlist.outputs[np.argmax(lev[netlist.outputs])])
    path = [node]
    while node >= netlist.first_gate:  # O(depth) steps, not per gate
        g = node - netlist.first_gate
        a, b = netlist.fanin[g]
        use_a = an.reads_a[g] and (not an.reads_b[g] or lev[a] >= lev[b])
        if not (use_a or an.reads_b[g]):
            break  # a constant table reads nothing
        node = int(a if use_a else b)
        path.append(node)
    return path[::-1]


def fanout_counts(netlist: Netlist) -> np.ndarray:
    """Fan-out of every node; see :attr:`Analysis.fanout`."""
    return analyze(netlist).fanout


def fanout(netlist: Netlist) -> dict:
    """Fan-out statistics over primary inputs and gates: ``max``, ``mean`` and ``histogram``
    (``histogram[k]`` = number of inputs and gates with fan-out ``k``)."""
    counts = fanout_counts(netlist)[FIRST_INPUT:]
    if counts.size == 0:
        return {"max": 0, "mean": 0.0, "histogram": []}
    return {"max": int(counts.max()), "mean": float(counts.mean()), "histogram": np.bincount(counts).tolist()}


def gate_histogram(netlist: Netlist) -> np.ndarray:
    """Number of gates per truth table: ``(16,)`` int64 indexed by table."""
    return np.bincount(netlist.table, minlength=tt.N_TABLES)


def summary(netlist: Netlist) -> dict:
    """Headline figures of a netlist as a JSON-friendly dict."""
    an = analyze(netlist)
    fo = fanout(netlist)
    hist = gate_histogram(netlist)
    return {
        "name": netlist.name,
        "features": netlist.num_features,
        "input_bits": netlist.input_bits,
        "inputs": netlist.num_inputs,
        "unused_inputs": int((~an.live[FIRST_INPUT : netlist.first_gate]).sum()),
        "gates": netlist.num_gates,
        "outputs": int(netlist.outputs.shape[0]),
        "classes": netlist.num_classes,
        "constant_outputs": int((netlist.outputs < FIRST_INPUT).sum()),
        "input_outputs": int(((netlist.outputs >= FIRST_INPUT) & (netlist.outputs < netlist.first_gate)).sum()),
        "depth": an.depth,
        "live_gates": an.num_live_gates,
        "max_fanout": fo["max"],
        "mean_fanout": fo["mean"],
        "gates_by_name": {gate_name(t): int(n) for t, n in enumerate(hist) if n},
    }


def to_networkx(netlist: Netlist):
    """``networkx.DiGraph`` view: one node per IR node (id = node id) with attributes ``kind``
    (``const``/``input``/``gate``), ``value`` (constants), ``feature``/``threshold`` (inputs),
    ``table``/``gate`` (gates) and ``outputs`` (list of ``(class, index)`` where it is an output);
    edges carry ``pins`` (which fanins, 0 = A, 1 = B). Graph attributes: ``name``,
    ``num_classes``, ``outputs`` (the output node ids in order)."""
    import networkx as nx

    g = nx.DiGraph(name=netlist.name, num_classes=netlist.num_classes, outputs=netlist.outputs.tolist())
    g.add_node(CONST0, kind="const", value=0)
    g.add_node(CONST1, kind="const", value=1)
    g.add_nodes_from(
        (FIRST_INPUT + i, {"kind": "input", "feature": int(f), "threshold": int(t)})
        for i, (f, t) in enumerate(zip(netlist.input_feature.tolist(), netlist.input_threshold.tolist()))
    )
    g.add_nodes_from(
        (netlist.first_gate + i, {"kind": "gate", "table": t, "gate": tt.GATE_NAMES[tt.TABLE_TO_OP_ID[t]]})
        for i, t in enumerate(netlist.table.tolist())
    )
    for pin in (0, 1):
        for gate, src in enumerate(netlist.fanin[:, pin].tolist(), netlist.first_gate):
            if g.has_edge(src, gate):
                g.edges[src, gate]["pins"].append(pin)
            else:
                g.add_edge(src, gate, pins=[pin])
    gs = max(netlist.group_size, 1)
    for k, node in enumerate(netlist.outputs.tolist()):
        g.nodes[node].setdefault("outputs", []).append((k // gs, k % gs))
    return g
