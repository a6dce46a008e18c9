"""Text of the combinational core modules and the pipeline register banks of a planned design.

Each part returns its files plus the wires and instances it adds to the top module, so the top
(:mod:`ldlgn.compiler.verilog_top`) only stitches parts together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import truth_tables as tt
from . import verilog_arith as va
from .netlist import CONST1
from .verilog_plan import Chunk, VerilogPlan

#: Gate forms that Icarus evaluates as ONE functor each (``~(a & b)`` would be two: AND, NOT):
#: primitives for the negated gates, a multiplexer for the gates with one inverted input.
#: All other tables use :func:`ldlgn.compiler.truth_tables.gate_expression`.
_PRIMITIVE = {1: "nor", 7: "nand", 9: "xnor"}
_MUX = {2: "{a} ? 1'b0 : {b}", 4: "{b} ? 1'b0 : {a}", 11: "{a} ? {b} : 1'b1", 13: "{b} ? {a} : 1'b1"}


@dataclass
class Part:
    """Generated files of one role and what they add to the top module."""

    files: dict[str, str] = field(default_factory=dict)  #: file name -> text
    wires: list[str] = field(default_factory=list)  #: scalar wires the top declares
    instances: list[str] = field(default_factory=list)  #: instance statements in the top
    registers: int = 0  #: flip-flops in the part


def connections(pairs: list, per_line: int = 6) -> str:
    """Named port connections ``.port(signal)``, ``per_line`` to a line."""
    parts = [f".{p}({s})" for p, s in pairs]
    rows = [", ".join(parts[i : i + per_line]) for i in range(0, len(parts), per_line)]
    return ",\n        ".join(rows)


def declare(lines: list, kind: str, names: list, per_line: int = 16) -> None:
    """Append declarations ``kind a, b, …;`` of ``names``, ``per_line`` to a line."""
    for i in range(0, len(names), per_line):
        lines.append(f"    {kind} {', '.join(names[i : i + per_line])};")


def _ports(lines: list, inputs: list, outputs: list) -> None:
    decl = [f"    input  wire {p}" for p in inputs] + [f"    output {p}" for p in outputs]
    lines.extend(d + "," for d in decl[:-1])
    lines.append(decl[-1])
    lines.append(");")


def _gate(v: int, table: int, a: str, b: str, is_port: bool) -> list:
    """Statements computing node ``v`` (an output port of its module when ``is_port``)."""
    if table in _PRIMITIVE:
        decl = [] if is_port else [f"    wire n{v};"]
        return decl + [f"    {_PRIMITIVE[table]} g{v} (n{v}, {a}, {b});"]
    expr = _MUX[table].format(a=a, b=b) if table in _MUX else tt.gate_expression(table, a, b, "1'b0", "1'b1")
    return [f"    assign n{v} = {expr};" if is_port else f"    wire n{v} = {expr};"]


def _chunk_module(plan: VerilogPlan, module: str, chunk: Chunk, fanin: list, tables: list) -> str:
    """One core module: the chunk's gates as flat scalar wires (``fanin``, ``tables``: the
    netlist's arrays as lists, converted once for all chunks)."""
    first = plan.analysis.netlist.first_gate
    lines = [f"module {module} ("]
    _ports(lines, [f"n{v}" for v in chunk.inputs], [f"wire n{v}" for v in chunk.outputs])
    exported = set(chunk.outputs)
    for v in chunk.nodes.tolist():
        a, b = fanin[v - first]
        lines.extend(
            _gate(
                v,
                tables[v - first],
                plan.signal(a, -1) if a <= CONST1 else f"n{a}",
                plan.signal(b, -1) if b <= CONST1 else f"n{b}",
                v in exported,
            )
        )
    return "\n".join(lines + ["endmodule", ""])


def core_modules(plan: VerilogPlan, name: str) -> Part:
    """Files ``<name>_b<band>.v``: one module ``<name>_b<band>_c<chunk>`` per chunk."""
    net = plan.analysis.netlist
    fanin, tables = net.fanin.tolist(), net.table.tolist()
    part = Part()
    bands: dict[int, list[str]] = {}
    for chunk in plan.chunks:
        b, c = chunk.band, chunk.index
        module = f"{name}_b{b}_c{c}"
        bands.setdefault(b, []).append(_chunk_module(plan, module, chunk, fanin, tables))
        part.wires.extend(f"n{v}" for v in chunk.outputs)
        conn = [(f"n{v}", plan.signal(v, b)) for v in chunk.inputs]
        conn += [(f"n{v}", f"n{v}") for v in chunk.outputs]
        part.instances.append(f"    {module} u_b{b}_c{c} (\n        {connections(conn)});")
    for b, mods in bands.items():
        part.files[f"{name}_b{b}.v"] = f"// {name}: logic levels of band {b}\n" + "\n".join(mods)
    return part


def register_banks(plan: VerilogPlan, name: str, chunk_size: int) -> Part:
    """Files ``<name>_r<band>.v``: after each band, registers ``s<band+1>_n<v>`` of the nodes a
    later stage reads, in modules of at most ``chunk_size`` bits."""
    part = Part()
    for b, crossing in enumerate(plan.crossings):
        mods = []
        for c, start in enumerate(range(0, len(crossing), chunk_size)):
            bits = crossing[start : start + chunk_size].tolist()
            module = f"{name}_r{b}_c{c}"
            mods.append(va.register_module(module, bits))
            part.wires.extend(f"s{b + 1}_n{v}" for v in bits)
            conn = [("clk", "clk")] + [(f"n{v}", plan.signal(v, b)) for v in bits]
            conn += [(f"q{v}", f"s{b + 1}_n{v}") for v in bits]
            part.instances.append(f"    {module} u_r{b}_c{c} (\n        {connections(conn)});")
        part.registers += len(crossing)
        if mods:
            part.files[f"{name}_r{b}.v"] = f"// {name}: pipeline registers after band {b}\n" + "\n".join(mods)
    return part
