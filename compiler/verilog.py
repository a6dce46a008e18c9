"""Verilog-2001 back end: a :class:`~ldlgn.compiler.netlist.Netlist` as synthesizable RTL.

Structure of an emitted design ``name``:

* ``name.v``: the top module. Encoder comparators on the raw integer inputs (flat bus ``x``,
  feature ``f`` at ``x[f*input_bits +: input_bits]``), the instances of the core, the per-class
  popcounts (``scores``, class ``k`` at ``scores[k*W +: W]``) and the argmax (``class_out``).
* ``name_b<band>.v``: the combinational core as flat scalar wires (``wire n17 = n3 ^ n9;``,
  ``nand g18 (n18, n3, n4);``, ``wire n19 = n4 ? 1'b0 : n3;``: one simulator functor per
  gate), one module per chunk of at most ``chunk_size`` gates of one band of logic levels.
  Wire ``n<id>`` is netlist node ``id``; ``s<stage>_n<id>`` is its registered copy in stage
  ``stage``.
* ``name_r<band>.v`` (pipelined only): the register bank after each band.
* ``name_popcount.v`` and the fixed templates ``ldlgn_argmax.v``, ``ldlgn_valid_pipe.v``.

Combinational variant (``pipeline_every=None``): ports ``x``, ``scores``, ``class_out``.
Pipelined variant: registers after every ``pipeline_every`` logic levels of the core, after the
popcounts and after the argmax; ports ``clk``, ``rst`` (synchronous, active high; clears the
valid pipe only), ``valid_in``, ``x``, ``valid_out``, ``scores``, ``class_out``; one sample per
clock, ``latency = bands + 2`` cycles. Gates that no output depends on are not emitted.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .fileio import write_text
from . import truth_tables as tt

from . import verilog_arith as va
from .netlist import CONST0, CONST1, FIRST_INPUT, Netlist

MANIFEST = "design.json"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = frozenset(
    "always and assign begin buf case casex casez default defparam disable else end endcase "
    "endfunction endgenerate endmodule endtask event for force forever fork function generate "
    "genvar if initial inout input integer join localparam module nand negedge nor not or "
    "output parameter posedge reg repeat signed task time tri wait while wire xor xnor".split())
#: Gate forms that Icarus evaluates as ONE functor each (``~(a & b)`` would be two: AND, NOT):
#: primitives for the negated gates, a multiplexer for the gates with one inverted input.
#: All other tables use :func:`ldlgn.truth_tables.gate_expression`.
_PRIMITIVE = {1: "nor", 7: "nand", 9: "xnor"}
_MUX = {2: "{a} ? 1'b0 : {b}", 4: "{b} ? 1'b0 : {a}", 11: "{a} ? {b} : 1'b1", 13: "{b} ? {a} : 1'b1"}
#: tables that read input A / input B (the others ignore it; their expression omits it).
_USES_A = [bool(tt.depends_on(t, 0)) for t in range(16)]
_USES_B = [bool(tt.depends_on(t, 1)) for t in range(16)]


@dataclass
class VerilogDesign:
    """An emitted design: its files, top module, interface widths and pipeline latency."""

    out_dir: Path
    files: list  # list[Path], dependency order does not matter
    top: str
    num_features: int
    input_bits: int
    num_classes: int
    score_width: int
    class_width: int
    pipeline_every: int | None = None
    latency: int = 0  # cycles from valid_in to valid_out; 0 for the combinational variant
    depth: int = 0  # logic levels of the emitted core
    num_gates: int = 0  # gates emitted (those some output depends on)
    num_registers: int = 0  # flip-flops of the core and arithmetic pipeline
    files_by_role: dict = field(default_factory=dict)

    @property
    def pipelined(self) -> bool:
        return self.pipeline_every is not None

    @property
    def x_width(self) -> int:
        return self.num_features * self.input_bits

    @property
    def scores_width(self) -> int:
        return self.num_classes * self.score_width

    def to_json(self) -> str:
        d = asdict(self)
        d["out_dir"] = "."
        d["files"] = [Path(f).name for f in self.files]
        return json.dumps(d, indent=1)

    @classmethod
    def load(cls, out_dir) -> "VerilogDesign":
        """Read the manifest ``design.json`` written by :func:`emit_verilog`."""
        out_dir = Path(out_dir)
        try:
            d = json.loads((out_dir / MANIFEST).read_text())
            d["out_dir"] = out_dir
            d["files"] = [out_dir / f for f in d["files"]]
            design = cls(**d)
        except FileNotFoundError:
            raise FileNotFoundError(f"{out_dir} holds no {MANIFEST}: not an emitted Verilog design") from None
        except (ValueError, TypeError) as e:
            raise ValueError(f"{out_dir / MANIFEST} is corrupt: {e}") from None
        missing = [str(f) for f in design.files if not Path(f).is_file()]
        if missing:
            raise FileNotFoundError(f"design files missing: {', '.join(missing)}")
        return design


def check_name(name: str) -> str:
    """Validate a Verilog module name."""
    if not isinstance(name, str) or not _IDENT.match(name) or name in _KEYWORDS:
        raise ValueError(f"design name must be a Verilog identifier (letters, digits, _), got {name!r}")
    return name


# ---- analysis: liveness, levels, bands ----------------------------------------------------
def _analyse(net: Netlist):
    """Live nodes and logic level of every node (inputs and constants: level 0)."""
    first, n = net.first_gate, net.num_nodes
    fanin = net.fanin.tolist()
    tables = net.table.tolist()
    live = bytearray(n)
    for o in net.outputs.tolist():
        live[o] = 1
    for g in range(net.num_gates - 1, -1, -1):
        if live[first + g]:
            a, b = fanin[g]
            t = tables[g]
            if _USES_A[t]:
                live[a] = 1
            if _USES_B[t]:
                live[b] = 1
    level = [0] * n
    for g in range(net.num_gates):
        if live[first + g]:
            a, b = fanin[g]
            t = tables[g]
            level[first + g] = 1 + max(level[a] if _USES_A[t] else 0, level[b] if _USES_B[t] else 0)
    live_arr = np.frombuffer(bytes(live), dtype=np.uint8).astype(bool)
    live_arr[[CONST0, CONST1]] = False
    return live_arr, np.asarray(level, dtype=np.int64)


def _edges(net: Netlist, live: np.ndarray):
    """(consumer node, producer node) of every live gate input that its table reads."""
    first = net.first_gate
    gates = np.flatnonzero(live[first:])
    t = net.table[gates]
    cons, prod = [], []
    for k, uses in ((0, np.asarray(_USES_A)), (1, np.asarray(_USES_B))):
        m = uses[t]
        cons.append(gates[m] + first)
        prod.append(net.fanin[gates[m], k].astype(np.int64))
    cons, prod = np.concatenate(cons), np.concatenate(prod)
    keep = prod > CONST1
    return cons[keep], prod[keep]


class _Names:
    """Top-level name of node ``v`` as seen by stage ``s``."""

    def __init__(self, band: np.ndarray, pipelined: bool):
        self.band, self.pipelined = band, pipelined

    def __call__(self, v: int, s: int) -> str:
        if v == CONST0:
            return "1'b0"
        if v == CONST1:
            return "1'b1"
        if not self.pipelined or self.band[v] == s:
            return f"n{v}"
        return f"s{s}_n{v}"


def _ports(lines: list, inputs: list, outputs: list, clock: bool = False) -> None:
    decl = (["    input  wire clk"] if clock else []) + [f"    input  wire {p}" for p in inputs]
    decl += [f"    output {p}" for p in outputs]
    lines.extend(d + "," for d in decl[:-1])
    lines.append(decl[-1])
    lines.append(");")


def _connections(pairs: list, per_line: int = 6) -> str:
    parts = [f".{p}({s})" for p, s in pairs]
    rows = [", ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line)]
    return ",\n        ".join(rows)


def _declare(lines: list, kind: str, names: list, per_line: int = 16) -> None:
    for i in range(0, len(names), per_line):
        lines.append(f"    {kind} {', '.join(names[i:i + per_line])};")


def _gate(v: int, table: int, a: str, b: str, is_port: bool) -> list:
    """Statements computing node ``v`` (an output port of its module when ``is_port``)."""
    if table in _PRIMITIVE:
        decl = [] if is_port else [f"    wire n{v};"]
        return decl + [f"    {_PRIMITIVE[table]} g{v} (n{v}, {a}, {b});"]
    if table in _MUX:
        expr = _MUX[table].format(a=a, b=b)
    else:
        expr = tt.gate_expression(table, a, b, zero="1'b0", one="1'b1")
    return [f"    assign n{v} = {expr};" if is_port else f"    wire n{v} = {expr};"]


# ---- emission ------------------------------------------------------------------------------
def emit_verilog(netlist: Netlist, out_dir, name: str = "net", pipeline_every: int | None = None,
                 chunk_size: int = 2000) -> VerilogDesign:
    """Write the RTL of ``netlist`` into ``out_dir`` (created if needed); return the design.

    ``pipeline_every``: None for the combinational variant, else registers after every that
    many logic levels. ``chunk_size``: most gates (or register bits) per generated module.
    """
    if not isinstance(netlist, Netlist):
        raise TypeError(f"emit_verilog needs a Netlist, got {type(netlist).__name__}")
    net = netlist.validate()
    name = check_name(name)
    if pipeline_every is not None and (isinstance(pipeline_every, bool) or int(pipeline_every) != pipeline_every
                                       or pipeline_every < 1):
        raise ValueError(f"pipeline_every must be a positive integer or None, got {pipeline_every!r}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if net.outputs.size == 0:
        raise ValueError("the netlist has no outputs: nothing to emit")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pipelined = pipeline_every is not None

    live, level = _analyse(net)
    first = net.first_gate
    depth = int(level.max(initial=0))
    gate_nodes = np.flatnonzero(live[first:]) + first
    if pipelined:
        n_bands = max(1, -(-depth // pipeline_every))
        band = np.maximum(level - 1, 0) // pipeline_every
        out_stage = n_bands
    else:
        n_bands, band, out_stage = 1, np.zeros_like(level), 0
    names = _Names(band, pipelined)

    cons, prod = _edges(net, live)
    last = np.full(net.num_nodes, -1, dtype=np.int64)  # last stage that reads each node
    np.maximum.at(last, prod, band[cons])
    outs = net.outputs[net.outputs > CONST1]
    last[outs] = np.maximum(last[outs], out_stage)

    files: dict = {}
    text = {}
    top_decls, top_body = [], []

    # core: per band, chunks of gates in topological order
    chunk = np.full(net.num_nodes, -1, dtype=np.int64)
    gate_band = band[gate_nodes]
    chunks = []  # (band, index, node ids)
    for b in range(n_bands):
        nodes = gate_nodes[gate_band == b]
        for c, start in enumerate(range(0, len(nodes), chunk_size)):
            chunk[nodes[start:start + chunk_size]] = len(chunks)
            chunks.append((b, c, nodes[start:start + chunk_size]))
    exported = np.zeros(net.num_nodes, dtype=bool)
    exported[prod[chunk[prod] != chunk[cons]]] = True
    exported[outs] = True
    inputs_of = [set() for _ in chunks]
    other = chunk[prod] != chunk[cons]
    for c_node, p_node in zip(cons[other].tolist(), prod[other].tolist()):
        inputs_of[chunk[c_node]].add(p_node)

    fanin, tables = net.fanin.tolist(), net.table.tolist()
    band_text: dict = {}
    for ci, (b, c, nodes) in enumerate(chunks):
        module = f"{name}_b{b}_c{c}"
        ins = sorted(inputs_of[ci])
        outs_c = [int(v) for v in nodes if exported[v]]
        lines = [f"module {module} ("]
        _ports(lines, [f"n{v}" for v in ins], [f"wire n{v}" for v in outs_c])
        exp = set(outs_c)
        for v in nodes.tolist():
            a, bb = fanin[v - first]
            lines.extend(_gate(v, tables[v - first], names(a, -1) if a <= CONST1 else f"n{a}",
                               names(bb, -1) if bb <= CONST1 else f"n{bb}", v in exp))
        lines += ["endmodule", ""]
        band_text.setdefault(b, []).append("\n".join(lines))
        top_decls.extend(f"n{v}" for v in outs_c)
        conn = [(f"n{v}", names(v, b)) for v in ins] + [(f"n{v}", f"n{v}") for v in outs_c]
        top_body.append(f"    {module} u_b{b}_c{c} (\n        {_connections(conn)});")
    for b, mods in band_text.items():
        text[f"{name}_b{b}.v"] = f"// {name}: logic levels of band {b}\n" + "\n".join(mods)
        files.setdefault("core", []).append(f"{name}_b{b}.v")

    # register banks after every band (pipelined)
    n_regs = 0
    if pipelined:
        producer_stage = np.where(np.arange(net.num_nodes) >= first, band, 0)
        for b in range(n_bands):
            crossing = np.flatnonzero((producer_stage <= b) & (last > b) & (np.arange(net.num_nodes) > CONST1))
            mods = []
            for c, start in enumerate(range(0, len(crossing), chunk_size)):
                part = crossing[start:start + chunk_size].tolist()
                module = f"{name}_r{b}_c{c}"
                mods.append(va.register_module(module, part))
                top_decls.extend(f"s{b + 1}_n{v}" for v in part)
                conn = [("clk", "clk")] + [(f"n{v}", names(v, b)) for v in part]
                conn += [(f"q{v}", f"s{b + 1}_n{v}") for v in part]
                top_body.append(f"    {module} u_r{b}_c{c} (\n        {_connections(conn)});")
            n_regs += len(crossing)
            if mods:
                text[f"{name}_r{b}.v"] = f"// {name}: pipeline registers after band {b}\n" + "\n".join(mods)
                files.setdefault("registers", []).append(f"{name}_r{b}.v")

    # encoder comparators
    B, K, g = net.input_bits, net.num_classes, net.group_size
    sw, cw = va.score_width(g), va.class_width(K)
    enc = []
    used_inputs = np.flatnonzero(live[FIRST_INPUT:first]) + FIRST_INPUT
    thr_used = net.input_threshold[used_inputs - FIRST_INPUT]
    compared = used_inputs[(thr_used >= 0) & (thr_used < net.input_max)]  # the others are constant
    feats = sorted(set(net.input_feature[compared - FIRST_INPUT].tolist()))
    for f in feats:
        enc.append(f"    wire [{B - 1}:0] f{f} = x[{f * B + B - 1}:{f * B}];")
    for v in used_inputs.tolist():
        f, thr = int(net.input_feature[v - FIRST_INPUT]), int(net.input_threshold[v - FIRST_INPUT])
        cmp = "1'b1" if thr < 0 else "1'b0" if thr >= net.input_max else f"f{f} > {B}'d{thr}"
        enc.append(f"    wire n{v} = {cmp};")

    # popcount per class, argmax, output registers
    text[f"{name}_popcount.v"] = va.popcount_module(f"{name}_popcount", g)
    arith = [f"    wire [{sw - 1}:0] " + ", ".join(f"score{k}" for k in range(K)) + ";"]
    out_names = [names(int(v), out_stage) for v in net.outputs]
    for k in range(K):
        conn = [(f"b{i}", out_names[k * g + i]) for i in range(g)] + [("count", f"score{k}")]
        arith.append(f"    {name}_popcount u_pop{k} (\n        {_connections(conn)});")
    packed = "{" + ", ".join(f"score{k}" for k in reversed(range(K))) + "}"
    if pipelined:
        latency = n_bands + 2
        arith += [
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
            va.valid_pipe_instance("u_valid", latency),
        ]
        n_regs += 2 * K * sw + cw + latency
    else:
        latency = 0
        arith += [f"    assign scores = {packed};", va.argmax_instance("u_argmax", K, sw, "scores", "class_out")]

    used_x = {f * B + j for f in feats for j in range(B)}
    top = [f"// {name}: {len(gate_nodes)} gates, {depth} logic levels, {K} classes; "
           + (f"pipelined every {pipeline_every} levels, latency {latency} cycles" if pipelined
              else "combinational"),
           f"module {name} ("]
    ports = (["input  wire clk", "input  wire rst", "input  wire valid_in"] if pipelined else [])
    x_port = f"input  wire [{net.num_features * B - 1}:0] x"
    if len(used_x) < net.num_features * B:  # some feature bits feed no output
        x_port = f"/* verilator lint_off UNUSED */\n    {x_port}"
    ports += [x_port]
    ports += (["output wire valid_out"] if pipelined else [])
    ports += [f"output wire [{K * sw - 1}:0] scores", f"output wire [{cw - 1}:0] class_out"]
    top += [f"    {p}," for p in ports[:-1]] + [f"    {ports[-1]}", ");"]
    if len(used_x) < net.num_features * B:
        top.append("    /* verilator lint_on UNUSED */")
    top += enc
    _declare(top, "wire", top_decls)
    top += top_body + arith
    top += ["endmodule", ""]
    text[f"{name}.v"] = "\n".join(top)
    for t in va.TEMPLATES:
        text[t] = va.template_text(t)
    files["top"] = [f"{name}.v"]
    files["arith"] = [f"{name}_popcount.v"] + list(va.TEMPLATES)

    # remove generated files of an earlier emission of the same design name
    pattern = re.compile(rf"{re.escape(name)}_[br]\d+\.v\Z")
    for old in out_dir.iterdir():
        if pattern.match(old.name) and old.name not in text:
            old.unlink()
    for fname, body in text.items():
        write_text(out_dir / fname, body)
    design = VerilogDesign(
        out_dir=out_dir, files=[out_dir / f for f in text], top=name, num_features=net.num_features,
        input_bits=B, num_classes=K, score_width=sw, class_width=cw, pipeline_every=pipeline_every,
        latency=latency, depth=depth, num_gates=len(gate_nodes), num_registers=n_regs,
        files_by_role=files)
    write_text(out_dir / MANIFEST, design.to_json())
    return design
