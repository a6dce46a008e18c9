"""Text of the top module of a planned design: ports, encoder comparators, the instances of the
core and register banks, the per-class popcounts and the argmax (plus its pipeline registers)."""

from __future__ import annotations

from . import verilog_arith as va
from .netlist import FIRST_INPUT
from .verilog_core import Part, connections, declare
from .verilog_plan import VerilogPlan


def encoder(plan: VerilogPlan) -> tuple[list[str], set[int]]:
    """Comparator wires ``n<v>`` of the live inputs (constant ones as literals) and the bits of
    ``x`` they read."""
    net, const = plan.analysis.netlist, plan.analysis.const_value
    bits = net.input_bits
    inputs = plan.input_nodes
    compared = inputs[const[inputs] < 0]
    features = sorted(set(net.input_feature[compared - FIRST_INPUT].tolist()))
    lines = [f"    wire [{bits - 1}:0] f{f} = x[{f * bits + bits - 1}:{f * bits}];" for f in features]
    for v in inputs.tolist():
        f, thr = int(net.input_feature[v - FIRST_INPUT]), int(net.input_threshold[v - FIRST_INPUT])
        cmp = {1: "1'b1", 0: "1'b0"}.get(int(const[v]), f"f{f} > {bits}'d{thr}")
        lines.append(f"    wire n{v} = {cmp};")
    return lines, {f * bits + j for f in features for j in range(bits)}


def arithmetic(plan: VerilogPlan, name: str) -> tuple[list[str], int]:
    """Popcount instances per class, argmax and (pipelined) their registers and the valid pipe;
    returns the statements and the flip-flops they add."""
    net = plan.analysis.netlist
    K, g = net.num_classes, net.group_size
    sw, cw = va.score_width(g), va.class_width(K)
    lines = [f"    wire [{sw - 1}:0] " + ", ".join(f"score{k}" for k in range(K)) + ";"]
    out_names = [plan.signal(int(v), plan.out_stage) for v in net.outputs]
    for k in range(K):
        conn = [(f"b{i}", out_names[k * g + i]) for i in range(g)] + [("count", f"score{k}")]
        lines.append(f"    {name}_popcount u_pop{k} (\n        {connections(conn)});")
    packed = "{" + ", ".join(f"score{k}" for k in reversed(range(K))) + "}"
    if not plan.pipelined:
        return lines + [
            f"    assign scores = {packed};",
            va.argmax_instance("u_argmax", K, sw, "scores", "class_out"),
        ], 0
    lines += [
        f"    reg [{K * sw - 1}:0] scores_s1, scores_s2;",
        f"    reg [{cw - 1}:0] class_s2;",
        f"    wire [{cw - 1}:0] class_s1;",
        f"    always @(posedge clk) scores_s1 <= {packed};",
        va.argmax_instance("u_argmax", K, sw, "scores_s1", "class_s1"),
        "    always @(posedge clk) begin",
        "        scores_s2 <= scores_s1;",
        "        class_s2 <= class_s1;",
        "    end",
        "    assign scores = scores_s2;",
        "    assign class_out = class_s2;",
        va.valid_pipe_instance("u_valid", plan.latency),
    ]
    return lines, 2 * K * sw + cw + plan.latency


def _header(plan: VerilogPlan, name: str, used_x: set[int]) -> list[str]:
    """Comment line, module header and port list of the top module."""
    net = plan.analysis.netlist
    K, B = net.num_classes, net.input_bits
    sw, cw = va.score_width(net.group_size), va.class_width(K)
    kind = (
        f"pipelined every {plan.pipeline_every} levels, latency {plan.latency} cycles"
        if plan.pipelined
        else "combinational"
    )
    lines = [
        f"// {name}: {plan.gate_nodes.size} gates, {plan.analysis.depth} logic levels, {K} classes; {kind}",
        f"module {name} (",
    ]
    ports = ["input  wire clk", "input  wire rst", "input  wire valid_in"] if plan.pipelined else []
    x_port = f"input  wire [{net.num_features * B - 1}:0] x"
    unused_x = len(used_x) < net.num_features * B  # some feature bits feed no output
    ports.append(f"/* verilator lint_off UNUSED */\n    {x_port}" if unused_x else x_port)
    ports += ["output wire valid_out"] if plan.pipelined else []
    ports += [f"output wire [{K * sw - 1}:0] scores", f"output wire [{cw - 1}:0] class_out"]
    lines += [f"    {p}," for p in ports[:-1]] + [f"    {ports[-1]}", ");"]
    if unused_x:
        lines.append("    /* verilator lint_on UNUSED */")
    return lines


def top_module(plan: VerilogPlan, name: str, parts: list[Part]) -> tuple[str, int]:
    """Text of the top module ``name`` over the core and register ``parts``; returns it and the
    flip-flops of its own arithmetic pipeline."""
    enc, used_x = encoder(plan)
    arith, registers = arithmetic(plan, name)
    lines = _header(plan, name, used_x) + enc
    declare(lines, "wire", [w for p in parts for w in p.wires])
    lines += [i for p in parts for i in p.instances]
    lines += arith + ["endmodule", ""]
    return "\n".join(lines), registers
