"""Verilog of a LUT netlist: one table lookup per gate, so that synthesis maps each gate to one LUT-6.

Gate ``n<v>`` of arity ``k`` is written as its truth table, a ``2**k``-bit localparam, indexed by
the concatenation of its inputs, first input most significant (docs/truth-tables.md)::

    localparam [63:0] T40 = 64'h8000000000000001;
    wire n40 = T40[{n3, n7, n9, n12, n20, n31}];

which is exactly the row convention of the table and a function of at most six signals, one LUT-6.
Everything around the core is the two-input back end's (:mod:`ldlgn.compiler.verilog`): the plan
(bands, chunks, pipeline registers), the encoder, the folded popcount head, the argmax, the top
module, the manifest; the designs load and simulate as :class:`~ldlgn.compiler.verilog.VerilogDesign`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import cast

from .head import ClassSum, check_popcount, head_reads
from .lut_analysis import LutAnalysis
from .lut_netlist import LutNetlist
from .names import check_design_name
from .timing import resolve_pipeline
from .verilog import DEFAULT_POPCOUNT, VerilogDesign, assemble_design
from .verilog_core import Part, _ports, connections
from .verilog_plan import Chunk, VerilogPlan, plan_design


def _literal(net: LutNetlist, analysis: LutAnalysis, v: int) -> tuple[tuple, int]:
    """Node ``v`` as ``(key, inversion)``: one-input buffers and inverters resolve to their input."""
    pol = 0
    while v >= net.first_gate and net.arity[v - net.first_gate] == 1:
        g = v - net.first_gate
        t = int(net.table[g])
        if t in (0, 3):
            return ("c",), pol ^ (t & 1)
        pol ^= int(t == 1)
        v = int(net.fanin[g, 0])
    if v >= net.first_gate and net.arity[v - net.first_gate] == 0:
        return ("c",), pol ^ (int(net.table[v - net.first_gate]) & 1)
    const = int(analysis.const_value[v])
    return (("c",), pol ^ const) if const >= 0 else (("n", v), pol)


def fold_lut_classes(analysis: LutAnalysis, fold: bool = True) -> list[ClassSum]:
    """Per class ``offset + Σ weight·node``: constant outputs in the offset, repeated outputs as one
    weighted term, an output and its inverse as offset 1 (as :func:`ldlgn.compiler.head.fold_class`)."""
    net = analysis.netlist
    sums = []
    for outs in net.outputs.reshape(net.num_classes, net.group_size).tolist():
        offset, folded = 0, {"constant": 0, "repeated": 0, "complementary": 0}
        count: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        node_of: dict[tuple, int] = {}
        for v in outs:
            const = int(analysis.const_value[v])
            if fold:
                key, pol = _literal(net, analysis, v)
            else:
                key, pol = (("c",), const) if const >= 0 else (("n", v), 0)
            if key == ("c",):
                offset, folded["constant"] = offset + pol, folded["constant"] + 1
                continue
            count[key][pol] += 1
            node_of.setdefault((key, pol), v)
        terms = []
        for key, (n0, n1) in count.items():
            pairs = min(n0, n1)
            offset += pairs
            folded["complementary"] += 2 * pairs
            pol, m = (0, n0 - pairs) if n0 > n1 else (1, n1 - pairs)
            if m:
                terms.append((node_of[(key, pol)], m))
                folded["repeated"] += m - 1
        sums.append(ClassSum(offset, terms, {k: n for k, n in folded.items() if n} if fold else {}))
    return sums


def _gate_lines(plan: VerilogPlan, v: int, is_port: bool) -> list[str]:
    """``localparam`` and lookup of gate node ``v``."""
    net = cast(LutNetlist, plan.analysis.netlist)
    g = v - net.first_gate
    k, table = int(net.arity[g]), int(net.table[g])
    pins = [plan.signal(p, -1) if p <= 1 else f"n{p}" for p in net.fanin[g, :k].tolist()]
    if k == 0:
        expr = f"1'b{table & 1}"
        lines = []
    else:
        rows = 1 << k
        lines = [f"    localparam [{rows - 1}:0] T{v} = {rows}'h{table:0{max(1, rows // 4)}x};"]
        expr = f"T{v}[{{{', '.join(pins)}}}]" if k > 1 else f"T{v}[{pins[0]}]"
    return lines + [f"    assign n{v} = {expr};" if is_port else f"    wire n{v} = {expr};"]


def _chunk_module(plan: VerilogPlan, module: str, chunk: Chunk) -> str:
    lines = [f"module {module} ("]
    _ports(lines, [f"n{v}" for v in chunk.inputs], [f"wire n{v}" for v in chunk.outputs])
    exported = set(chunk.outputs)
    for v in chunk.nodes.tolist():
        lines.extend(_gate_lines(plan, v, v in exported))
    return "\n".join(lines + ["endmodule", ""])


def lut_core_modules(plan: VerilogPlan, name: str) -> Part:
    """Files ``<name>_b<band>.v``: one module per chunk, one table lookup per gate."""
    part = Part()
    bands: dict[int, list[str]] = {}
    for chunk in plan.chunks:
        b, c = chunk.band, chunk.index
        module = f"{name}_b{b}_c{c}"
        bands.setdefault(b, []).append(_chunk_module(plan, module, chunk))
        part.wires.extend(f"n{v}" for v in chunk.outputs)
        conn = [(f"n{v}", plan.signal(v, b)) for v in chunk.inputs] + [(f"n{v}", f"n{v}") for v in chunk.outputs]
        part.instances.append(f"    {module} u_b{b}_c{c} (\n        {connections(conn)});")
    for b, mods in bands.items():
        part.files[f"{name}_b{b}.v"] = f"// {name}: LUT gates of band {b}\n" + "\n".join(mods)
    return part


def emit_lut_verilog(
    netlist: LutNetlist,
    out_dir,
    name: str = "net",
    pipeline_every: int | str | None = None,
    chunk_size: int = 2000,
    analysis: LutAnalysis | None = None,
    *,
    fmax_mhz: float | None = None,
    stage_levels: float | None = None,
    popcount: str = DEFAULT_POPCOUNT,
    argmax: str = "auto",
    fold: bool | None = None,
) -> VerilogDesign:
    """Write the RTL of ``netlist`` into ``out_dir``; the options are those of
    :func:`ldlgn.compiler.verilog.emit_verilog`."""
    if not isinstance(netlist, LutNetlist):
        raise TypeError(f"emit_lut_verilog needs a LutNetlist, got {type(netlist).__name__}")
    pipeline_every, budget = resolve_pipeline(pipeline_every, fmax_mhz, stage_levels)
    net = netlist.validate()
    check_design_name(name)
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if net.outputs.size == 0:
        raise ValueError("the netlist has no outputs: nothing to emit")
    analysis = analysis if analysis is not None and analysis.netlist is net else LutAnalysis(net)
    check_popcount(popcount)
    if popcount == "adder" and fold:
        raise ValueError("the adder popcount is the legacy head and counts every output: it cannot fold")
    sums = None if popcount == "adder" else fold_lut_classes(analysis, True if fold is None else bool(fold))
    reads = net.outputs if sums is None else head_reads(sums)
    plan = plan_design(analysis, pipeline_every, int(chunk_size), reads, budget, edges=analysis.edges())  # type: ignore[arg-type]
    return assemble_design(plan, out_dir, name, lut_core_modules(plan, name), sums, popcount, argmax, int(chunk_size))
