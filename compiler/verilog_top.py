"""Text of the top module of a planned design and of its encoder module: ports, the encoder
instance, the core and register banks, the per-class popcounts, the argmax and (pipelined) the
score and class registers and the valid pipe.

Two heads: the compressor-tree head (:mod:`ldlgn.compiler.verilog_head`, folded class sums,
pipelined inside when a stage budget is given) and the legacy head (one binary adder tree per
class over every output, the ``ldlgn_argmax`` template), kept for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import verilog_arith as va
from .head import ClassSum, argmax_kind, check_popcount, fold_classes, head_reads
from .netlist import FIRST_INPUT
from .verilog_core import Part, connections, declare
from .verilog_head import argmax_module, counter_module, popcount_module, popcount_stages, stage_registers
from .verilog_plan import VerilogPlan


@dataclass
class Head:
    """The generated head: its files, the statements it adds to the top, its latency."""

    files: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)  #: top-level signals it reads
    latency: int = 0  #: cycles from the registered core outputs to valid_out (pipelined)
    flip_flops: int = 0
    popcount_registers: int = 0
    argmax_registers: int = 0


def encoder_module(plan: VerilogPlan, name: str) -> str:
    """Module ``<name>_enc``: the comparators ``n<v>`` of the live inputs on the raw bus ``x``
    (constant comparators as literals)."""
    net, const = plan.analysis.netlist, plan.analysis.const_value
    bits = net.input_bits
    inputs = plan.input_nodes
    compared = inputs[const[inputs] < 0]
    features = sorted(set(net.input_feature[compared - FIRST_INPUT].tolist()))
    body = [f"    wire [{bits - 1}:0] f{f} = x[{f * bits + bits - 1}:{f * bits}];" for f in features]
    for v in inputs.tolist():
        f, thr = int(net.input_feature[v - FIRST_INPUT]), int(net.input_threshold[v - FIRST_INPUT])
        cmp = {1: "1'b1", 0: "1'b0"}.get(int(const[v]), f"f{f} > {bits}'d{thr}")
        body.append(f"    assign n{v} = {cmp};")
    x_port = f"input  wire [{net.num_features * bits - 1}:0] x"
    if len(features) * bits < net.num_features * bits:  # some feature bits feed no output
        x_port = f"/* verilator lint_off UNUSED */\n    {x_port}\n    /* verilator lint_on UNUSED */"
    ports = [x_port] + [f"output wire n{v}" for v in inputs.tolist()]
    decl = [f"    {p}," for p in ports[:-1]] + [f"    {ports[-1]}"]
    return "\n".join([f"// {name}: thermometer encoder", f"module {name}_enc (", *decl, ");", *body, "endmodule", ""])


def _score_stage(plan: VerilogPlan, name: str, head: Head, k: int, sw: int) -> None:
    """Registers of the scores and class after the popcounts, the argmax between them, the
    valid pipe; or, combinational, the wiring of scores and argmax."""
    packed = "{" + ", ".join(f"score{c}" for c in reversed(range(k))) + "}"
    clk = ".clk(clk), " if head.argmax_registers else ""
    if not plan.pipelined:
        head.lines += [
            f"    assign scores = {packed};",
            f"    {name}_argmax u_argmax ({clk}.scores(scores), .class_out(class_out));",
        ]
        return
    delay = head.argmax_registers + 2  # scores wait for the argmax and the class register
    cw = va.class_width(k)
    head.lines += [
        f"    reg [{k * sw - 1}:0] {', '.join(f'scores_s{i}' for i in range(1, delay + 1))};",
        f"    reg [{cw - 1}:0] class_s2;",
        f"    wire [{cw - 1}:0] class_s1;",
        f"    {name}_argmax u_argmax ({clk}.scores(scores_s1), .class_out(class_s1));",
        "    always @(posedge clk) begin",
        f"        scores_s1 <= {packed};",
        *[f"        scores_s{i + 1} <= scores_s{i};" for i in range(1, delay)],
        "        class_s2 <= class_s1;",
        "    end",
        f"    assign scores = scores_s{delay};",
        "    assign class_out = class_s2;",
    ]
    head.flip_flops += k * sw * delay + cw
    head.latency = head.popcount_registers + head.argmax_registers + 2


def compressor_head(
    plan: VerilogPlan, name: str, sums: list[ClassSum], popcount: str, argmax: str, budget: float | None
) -> Head:
    """The compressor-tree head over the folded class ``sums``; registers inside the popcounts
    and the argmax where a stage would exceed ``budget`` levels (None: none inside)."""
    net = plan.analysis.netlist
    k, sw = net.num_classes, va.score_width(net.group_size)
    head = Head()
    stages = [popcount_stages(s, sw, popcount) for s in sums]
    regs = [stage_registers(n, popcount, budget) if plan.pipelined else [] for n in stages]
    head.popcount_registers = max((len(r) for r in regs), default=0)
    pops, counters = [], set()
    for c, (s, n, r) in enumerate(zip(sums, stages, regs)):
        pad = [n] * (head.popcount_registers - len(r))  # every class's score is equally late
        pop = popcount_module(name, c, s, sw, popcount, r + pad)
        pops.append(pop.text)
        counters |= pop.counters
        head.flip_flops += pop.flip_flops
        pins = [("clk", "clk")] if pop.registers else []
        pins += [(f"b{i}", plan.signal(v, plan.out_stage)) for i, (v, _) in enumerate(s.terms)]
        head.reads += [p[1] for p in pins]
        pins.append(("count", f"score{c}"))
        head.lines.append(f"    {name}_pop{c} u_pop{c} (\n        {connections(pins)});")
    cnt = [counter_module(name, m, w) for m, w in sorted(counters)]
    head.files[f"{name}_popcount.v"] = "\n".join([f"// {name}: per-class popcounts", *cnt, *pops])
    arg = argmax_module(f"{name}_argmax", k, sw, argmax, budget if plan.pipelined else None)
    head.files[f"{name}_argmax.v"] = arg.text
    head.argmax_registers, head.flip_flops = arg.registers, head.flip_flops + arg.flip_flops
    head.lines.insert(0, f"    wire [{sw - 1}:0] " + ", ".join(f"score{c}" for c in range(k)) + ";")
    _score_stage(plan, name, head, k, sw)
    return head


def legacy_head(plan: VerilogPlan, name: str) -> Head:
    """One binary adder tree per class over all its outputs and the ``ldlgn_argmax`` template."""
    net = plan.analysis.netlist
    K, g = net.num_classes, net.group_size
    sw, cw = va.score_width(g), va.class_width(K)
    head = Head(files={f"{name}_popcount.v": va.popcount_module(f"{name}_popcount", g)})
    head.files["ldlgn_argmax.v"] = va.template_text("ldlgn_argmax.v")
    lines = [f"    wire [{sw - 1}:0] " + ", ".join(f"score{k}" for k in range(K)) + ";"]
    out_names = [plan.signal(int(v), plan.out_stage) for v in net.outputs]
    head.reads = out_names
    for k in range(K):
        conn = [(f"b{i}", out_names[k * g + i]) for i in range(g)] + [("count", f"score{k}")]
        lines.append(f"    {name}_popcount u_pop{k} (\n        {connections(conn)});")
    packed = "{" + ", ".join(f"score{k}" for k in reversed(range(K))) + "}"
    if not plan.pipelined:
        head.lines = lines + [
            f"    assign scores = {packed};",
            va.argmax_instance("u_argmax", K, sw, "scores", "class_out"),
        ]
        return head
    head.lines = lines + [
        f"    reg [{K * sw - 1}:0] scores_s1, scores_s2;",
        f"    reg [{cw - 1}:0] class_s2;",
        f"    wire [{cw - 1}:0] class_s1;",
        va.argmax_instance("u_argmax", K, sw, "scores_s1", "class_s1"),
        "    always @(posedge clk) begin",
        f"        scores_s1 <= {packed};",
        "        scores_s2 <= scores_s1;",
        "        class_s2 <= class_s1;",
        "    end",
        "    assign scores = scores_s2;",
        "    assign class_out = class_s2;",
    ]
    head.flip_flops, head.latency = 2 * K * sw + cw, 2
    return head


def _header(plan: VerilogPlan, name: str, head_note: str) -> list[str]:
    """Comment line, module header and port list of the top module."""
    net = plan.analysis.netlist
    K, B = net.num_classes, net.input_bits
    sw, cw = va.score_width(net.group_size), va.class_width(K)
    kind = f"pipelined ({plan.describe()}), latency {plan.latency} cycles" if plan.pipelined else "combinational"
    lines = [
        f"// {name}: {plan.gate_nodes.size} gates, {plan.analysis.depth} logic levels, {K} classes; {kind}",
        f"// head: {head_note}",
        f"module {name} (",
    ]
    ports = ["input  wire clk", "input  wire rst", "input  wire valid_in"] if plan.pipelined else []
    ports.append(f"input  wire [{net.num_features * B - 1}:0] x")
    ports += ["output wire valid_out"] if plan.pipelined else []
    ports += [f"output wire [{K * sw - 1}:0] scores", f"output wire [{cw - 1}:0] class_out"]
    return lines + [f"    {p}," for p in ports[:-1]] + [f"    {ports[-1]}", ");"]


def _read_signals(plan: VerilogPlan, head: Head) -> set[str]:
    """Top-level signals something reads: chunk inputs, register bank inputs, the head."""
    reads = {plan.signal(v, c.band) for c in plan.chunks for v in c.inputs}
    reads |= {plan.signal(int(v), b) for b, crossing in enumerate(plan.crossings) for v in crossing}
    return reads | set(head.reads)


def top_module(plan: VerilogPlan, name: str, parts: list[Part], head: Head, head_note: str) -> str:
    """Text of the top module ``name`` over the core and register ``parts`` and the ``head``."""
    wires = [f"n{v}" for v in plan.input_nodes.tolist()] + [w for p in parts for w in p.wires]
    reads = _read_signals(plan, head)
    lines = _header(plan, name, head_note)
    declare(lines, "wire", [w for w in wires if w in reads])
    unused = [w for w in wires if w not in reads]  # outputs the folded head no longer counts
    if unused:
        lines.append("    /* verilator lint_off UNUSED */")
        declare(lines, "wire", unused)
        lines.append("    /* verilator lint_on UNUSED */")
    enc = [("x", "x")] + [(f"n{v}", f"n{v}") for v in plan.input_nodes.tolist()]
    lines.append(f"    {name}_enc u_enc (\n        {connections(enc)});")
    lines += [i for p in parts for i in p.instances]
    lines += head.lines
    if plan.pipelined:
        lines.append(va.valid_pipe_instance("u_valid", plan.latency))
    return "\n".join(lines + ["endmodule", ""])


def head_sums(analysis, popcount: str, fold: bool | None) -> tuple[list[ClassSum] | None, np.ndarray]:
    """The folded class sums of the head (None for the legacy head) and the nodes it reads."""
    check_popcount(popcount)
    if popcount == "adder":
        if fold:
            raise ValueError("the adder popcount is the legacy head and counts every output: it cannot fold")
        return None, analysis.netlist.outputs.astype(np.int64)
    sums = fold_classes(analysis, True if fold is None else bool(fold))
    return sums, head_reads(sums)


def build_head(
    plan: VerilogPlan, name: str, sums: list[ClassSum] | None, popcount: str, argmax: str
) -> tuple[Head, dict]:
    """The head for the folded ``sums`` (None: the legacy head) and its record for
    ``design.json``; sets the plan's head latency."""
    net = plan.analysis.netlist
    if sums is None:
        head = legacy_head(plan, name)
        record: dict = {"popcount": "adder", "argmax": "tree", "fold": False, "counted_bits": int(net.outputs.size)}
    else:
        kind = argmax_kind(argmax, net.num_classes)
        budget = plan.budget if plan.pipeline_every == "auto" else None
        head = compressor_head(plan, name, sums, popcount, kind, budget)
        folded: dict[str, int] = {}
        for s in sums:
            for why, n in s.folded.items():
                folded[why] = folded.get(why, 0) + n
        record = {
            "popcount": popcount,
            "argmax": kind,
            "fold": any(s.folded for s in sums),
            "counted_bits": sum(len(s.terms) for s in sums),
            "offsets": [s.offset for s in sums],
            "folded": folded,
        }
    record.update(popcount_registers=head.popcount_registers, argmax_registers=head.argmax_registers)
    plan.head_latency = head.latency
    return head, record
