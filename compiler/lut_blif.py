"""BLIF text of a LUT netlist: one ``.names`` cover per live gate over its (up to six) inputs.

The conventions are those of :mod:`ldlgn.compiler.blif`: nets ``n<id>`` are netlist nodes, the
comparators are the inputs, ``o<j>`` the output slots, ``const0``/``const1`` the constants. A
gate's cover is an irredundant sum of products of its table (the first input is the first
column, docs/truth-tables.md), ``-`` where a cube does not test an input.
"""

from __future__ import annotations

from .lut_analysis import LutAnalysis
from .lut_decompose import isop_cubes
from .lut_netlist import LutNetlist
from .netlist import FIRST_INPUT


def _net(analysis: LutAnalysis, v: int) -> str:
    c = int(analysis.const_value[v])
    return f"const{c}" if c >= 0 else f"n{v}"


def cover(table: int, k: int) -> list[str]:
    """The ``.names`` rows of a ``k``-input table (an OFF row for constant 0)."""
    cubes = isop_cubes(table, k) if k else ([[]] if table & 1 else [])
    if not cubes:
        return [f"{'-' * k} 0".strip()]
    rows = []
    for cube in cubes:
        cols = ["-"] * k
        for j, p in cube:
            cols[j] = str(p)
        rows.append(f"{''.join(cols)} 1".strip())
    return rows


def lut_blif_text(net: LutNetlist, name: str, analysis: LutAnalysis | None = None) -> str:
    """The BLIF of ``net``'s live gates: model ``name``, inputs ``n<id>``, outputs ``o<j>``."""
    analysis = analysis or LutAnalysis(net.validate())
    first = net.first_gate
    lines = [
        (
            f"# {name}: {analysis.num_live_gates} LUT gates (arity <= {net.max_arity}), {net.num_inputs} "
            f"comparator inputs, {net.outputs.size} outputs in {net.num_classes} classes of {net.group_size}"
        ),
        "# input n<id> is x[feature] > threshold; output o<j> belongs to class j // group size",
    ]
    for i in range(net.num_inputs):
        lines.append(f"#   n{FIRST_INPUT + i} = x[{net.input_feature[i]}] > {net.input_threshold[i]}")
    lines += [f".model {name}", ".inputs " + " ".join(f"n{FIRST_INPUT + i}" for i in range(net.num_inputs))]
    lines += [".outputs " + " ".join(f"o{j}" for j in range(net.outputs.size))]
    lines += [".names const0", "0", ".names const1", "1"]
    for g in analysis.live_gates.tolist():
        k = int(net.arity[g])
        ins = [_net(analysis, int(p)) for p in net.fanin[g, :k]]
        lines.append(".names " + " ".join([*ins, f"n{first + g}"]))
        lines += cover(int(net.table[g]), k)
    for j, v in enumerate(net.outputs.tolist()):
        lines += [f".names {_net(analysis, v)} o{j}", "1 1"]
    return "\n".join(lines + [".end", ""])
