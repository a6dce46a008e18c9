"""Verilog text of the compressor-tree head: one popcount module per class and the argmax.

``<name>_pop<k>`` counts class ``k``'s folded bits (:mod:`ldlgn.compiler.head`) with counter
modules ``<name>_cnt<m>w<w>`` (``m`` bits of one weight summed into ``w`` bits), a final adder,
and optional registers between compressor stages. ``<name>_argmax`` picks the lowest class of the
highest score, as a comparator tree or by comparing all pairs, with optional registers between
its steps. Counters are modules so a synthesis flow can keep each one as the LUTs it is meant
to be (a full adder is two 4-input LUTs) instead of letting ABC re-map the whole tree.
"""

from __future__ import annotations

from collections import Counter as Multiset
from dataclasses import dataclass, field

from . import timing
from .head import MAX_COUNTER, BitHeap, ClassSum, Counter
from .head_chain import ChainHeap, Segment, chains
from .verilog_arith import class_width


@dataclass
class PopcountText:
    """A class's popcount module and how many register stages it holds."""

    text: str
    registers: int  #: register stages inside (each delays the score by one clock)
    flip_flops: int
    counters: set[tuple[int, int]] = field(default_factory=set)  #: (inputs, width) of the counters used


def _heap(s: ClassSum, width: int, kind: str) -> BitHeap:
    heap = ChainHeap(width) if kind == "chain" else BitHeap(width, MAX_COUNTER[kind])
    for i, (_, w) in enumerate(s.terms):
        heap.add(f"b{i}", w)
    heap.add_constant(s.offset)
    return heap


def popcount_stages(s: ClassSum, width: int, kind: str) -> int:
    """Compressor stages of class sum ``s`` (a dry run of the heap)."""
    return len(_heap(s, width, kind).compress())


def stage_registers(stages: int, kind: str, budget: float | None) -> list[int]:
    """Stage indices (0 … ``stages``) after which the heap is registered so that no stage of
    compressors plus final adder exceeds ``budget`` levels (None: no registers)."""
    if budget is None:
        return []
    costs = [timing.LEVELS_PER_COUNTER_STAGE[kind]] * stages + [timing.LEVELS_ADDER]
    return timing.cut_points(costs, budget)


def _register(lines: list[str], heap: BitHeap, name: str) -> int:
    """Register every heap signal (literals stay literals) into ``reg name``; rename the heap. A
    term of weight 3, 5, … sits in several columns under one name and gets one flip-flop."""
    bits = list(dict.fromkeys(b for col in heap.columns for b in col if not b.startswith("1'b")))
    if not bits:
        return 0
    lines.append(f"    reg [{len(bits) - 1}:0] {name};")
    lines.append(f"    always @(posedge clk) {name} <= {{{', '.join(reversed(bits))}}};")
    index = {b: i for i, b in enumerate(bits)}
    heap.columns = [[b if b.startswith("1'b") else f"{name}[{index[b]}]" for b in col] for col in heap.columns]
    return len(bits)


def _counter(lines: list[str], prefix: str, c: Counter) -> tuple[int, int]:
    m = len(c.inputs)
    pins = ", ".join(f".x{i}({b})" for i, b in enumerate(c.inputs))
    lines.append(f"    wire [{c.width - 1}:0] t{c.index};")
    lines.append(f"    {prefix}_cnt{m}w{c.width} u{c.index} ({pins}, .s(t{c.index}));")
    return m, c.width


def _padded(signal: str, shift: int, width: int) -> str:
    """``signal`` at bit ``shift`` of a ``width``-bit zero vector."""
    parts = ([f"{width - 1 - shift}'b0"] if width - 1 - shift else []) + [signal] + ([f"{shift}'b0"] if shift else [])
    return parts[0] if len(parts) == 1 else "{" + ", ".join(parts) + "}"


def _chain_stage(lines: list[str], segments: list[Segment], stage: int) -> None:
    """A stage of carry-chain segments: their sums as arithmetic, or (``LDLGN_ECP5`` defined,
    as the ECP5 synthesis flow does) as CCU2C cells (:mod:`ldlgn.compiler.head_chain`)."""
    for seg in segments:
        lines.append(f"    wire [{seg.width - 1}:0] t{seg.index};")
    lines.append("`ifdef LDLGN_ECP5")
    for n, chain in enumerate(chains(segments)):
        carry = f"k{stage}_{n}"
        lines.append(f"    wire [{len(chain) // 2 - 1}:0] {carry};")
        for c in range(len(chain) // 2):
            lo, hi = chain[2 * c], chain[2 * c + 1]
            pins = [f".CIN({carry}[{c - 1}])" if c else ".CIN(1'b0)"]
            for h, half in enumerate((lo, hi)):
                pins += [f".{p}{h}({v})" for p, v in zip("ABCD", half.pins)] + [f".S{h}({half.sum_to or ''})"]
            lines.append(
                f"    CCU2C #(.INIT0(16'h{lo.init:04X}), .INIT1(16'h{hi.init:04X}), .INJECT1_0(\"NO\"), "
                f'.INJECT1_1("NO")) c{stage}_{n}_{c} ({", ".join(pins)}, .COUT({carry}[{c}]));'
            )
    lines.append("`else")
    for seg in segments:
        terms = [_padded(b, sh, seg.width) for b, sh in seg.value_terms if sh < seg.width]
        lines.append(f"    assign t{seg.index} = {' + '.join(terms)};")
    lines.append("`endif")


def popcount_module(prefix: str, k: int, s: ClassSum, width: int, kind: str, registers: list[int]) -> PopcountText:
    """Module ``<prefix>_pop<k>``: ports ``clk`` (when registered), ``b<i>`` (term ``i``,
    weight ``s.terms[i][1]``) and ``count`` (``width`` bits) = ``s.offset + Σ weight·b``."""
    heap = _heap(s, width, kind)
    body: list[str] = []
    used: set[tuple[int, int]] = set()
    at = Multiset(registers)
    stage, regs, ffs = 0, 0, 0
    while True:
        for _ in range(at[stage]):
            ffs += _register(body, heap, f"p{regs}")
            regs += 1
        if heap.height <= 2:
            break
        body.append(f"    // compressor stage {stage + 1}")
        if kind == "chain":
            _chain_stage(body, [c for c in heap.stage() if isinstance(c, Segment)], stage)
        else:
            used.update(_counter(body, prefix, c) for c in heap.stage())
        stage += 1
    r0, r1 = heap.rows()
    body.append(f"    wire [{width - 1}:0] r0 = {{{', '.join(reversed(r0))}}};")
    if all(b == "1'b0" for b in r1):
        body.append("    assign count = r0;")
    else:
        body.append(f"    wire [{width - 1}:0] r1 = {{{', '.join(reversed(r1))}}};")
        body.append("    assign count = r0 + r1;")
    ports = (["    input  wire clk,"] if regs else []) + [f"    input  wire b{i}," for i in range(len(s.terms))]
    head = [
        f"// class {k}: {s.offset} + weighted count of {len(s.terms)} bits, {stage} stages, {regs} registers",
        f"module {prefix}_pop{k} (",
        *ports,
        f"    output wire [{width - 1}:0] count",
        ");",
    ]
    return PopcountText("\n".join(head + body + ["endmodule", ""]), regs, ffs, used)


def counter_module(prefix: str, m: int, width: int) -> str:
    """Module ``<prefix>_cnt<m>w<width>``: the number of ones among ``x0 … x<m-1>``, ``width``
    bits (the caller guarantees higher bits would be 0)."""
    ins = [f"input wire x{i}" for i in range(m)]
    if width == 1:
        expr = " ^ ".join(f"x{i}" for i in range(m))
    else:
        expr = " + ".join(f"{{{width - 1}'b0, x{i}}}" for i in range(m))
    return (
        f"module {prefix}_cnt{m}w{width} ({', '.join(ins)}, output wire [{width - 1}:0] s);\n"
        f"    assign s = {expr};\nendmodule\n"
    )


@dataclass
class ArgmaxText:
    text: str
    registers: int
    flip_flops: int


def _bank(lines: list[str], index: int, signals: list[tuple[str, int]]) -> tuple[list[str], int]:
    """Register ``signals`` (name, width) into ``reg q<index>``; literals stay literals. Returns
    the names to read after the register and its flip-flops."""
    live = [(s, n) for s, n in signals if "'" not in s]
    total = sum(n for _, n in live)
    lines.append(f"    reg [{total - 1}:0] q{index};")
    lines.append(f"    always @(posedge clk) q{index} <= {{{', '.join(s for s, _ in reversed(live))}}};")
    renamed, base = [], 0
    for s, n in signals:
        if "'" in s:
            renamed.append(s)
            continue
        renamed.append(f"q{index}[{base + n - 1}:{base}]" if n > 1 else f"q{index}[{base}]")
        base += n
    return renamed, total


def _tree(k: int, w: int, cw: int, budget: float | None) -> tuple[list[str], int, int]:
    """Comparator tree: neighbours pair up (the left one holds the lower classes and wins ties).
    Each level is two steps for the stage budget, the comparison (a carry chain) and the
    multiplexers it drives, so a register can go between them: it holds the comparison bit and
    both candidates, and the next stage only multiplexes."""
    nodes = [(f"scores[{c * w + w - 1}:{c * w}]", f"{cw}'d{c}") for c in range(k)]
    levels = max(0, (k - 1).bit_length())
    steps = [timing.LEVELS_COMPARE, timing.LEVELS_MUX] * levels
    cuts = set(timing.cut_points(steps, budget)) if budget else set()
    lines: list[str] = []
    regs = ffs = 0
    for lev in range(levels):
        if 2 * lev in cuts:
            flat, n = _bank(lines, regs, [x for b, i in nodes for x in ((b, w), (i, cw))])
            nodes, ffs, regs = list(zip(flat[0::2], flat[1::2])), ffs + n, regs + 1
        pairs = [(nodes[j], nodes[j + 1], f"{lev}_{j // 2}") for j in range(0, len(nodes) - 1, 2)]
        rest = [nodes[-1]] if len(nodes) % 2 else []
        root = len(nodes) == 2  # the root's score is not needed, only its class
        cmp = []
        for (bl, _), (br, _), tag in pairs:
            lines.append(f"    wire r{tag} = {br} > {bl};")
            cmp.append(f"r{tag}")
        if 2 * lev + 1 in cuts:
            sig = [(r, 1) for r in cmp]
            for (bl, il), (br, ir), _ in pairs:
                sig += ([] if root else [(bl, w), (br, w)]) + [(il, cw), (ir, cw)]
            sig += [(x, n) for b, i in rest for x, n in ((b, w), (i, cw))]
            flat, n = _bank(lines, regs, sig)
            cmp, flat = flat[: len(cmp)], flat[len(cmp) :]
            per, regd = (2 if root else 4), []
            for p, (_, _, tag) in enumerate(pairs):
                f = flat[per * p : per * p + per]
                regd.append((("", f[0]), ("", f[1]), tag) if root else ((f[0], f[2]), (f[1], f[3]), tag))
            pairs = regd
            rest = [(flat[-2], flat[-1])] if rest else []
            ffs, regs = ffs + n, regs + 1
        nxt = []
        for r, ((bl, il), (br, ir), tag) in zip(cmp, pairs):
            if not root:
                lines.append(f"    wire [{w - 1}:0] b{tag} = {r} ? {br} : {bl};")
            lines.append(f"    wire [{cw - 1}:0] i{tag} = {r} ? {ir} : {il};")
            nxt.append((f"b{tag}", f"i{tag}"))
        nodes = nxt + rest
    lines.append(f"    assign class_out = {nodes[0][1]};")
    return lines, regs, ffs


def _allpairs(k: int, w: int, cw: int, budget: float | None) -> tuple[list[str], int, int]:
    """All pairs compared at once: class ``c`` wins when it beats every lower class strictly and
    every higher class or ties it; exactly one class wins, and its index is OR-encoded."""
    costs = [timing.LEVELS_COMPARE, timing.lut_levels(k - 1), timing.lut_levels((k + 1) // 2)]
    cuts = set(timing.cut_points(costs, budget)) if budget else set()
    s = [f"scores[{c * w + w - 1}:{c * w}]" for c in range(k)]
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    lines = [f"    wire g{i}_{j} = {s[i]} >= {s[j]};" for i, j in pairs]
    g = {p: f"g{p[0]}_{p[1]}" for p in pairs}
    regs = ffs = 0
    if 1 in cuts:
        lines.append(f"    reg [{len(pairs) - 1}:0] q0;")
        lines.append(f"    always @(posedge clk) q0 <= {{{', '.join(g[p] for p in reversed(pairs))}}};")
        g = {p: f"q0[{n}]" for n, p in enumerate(pairs)}
        regs, ffs = 1, len(pairs)
    win = {}
    for c in range(1, k):  # class 0 sets no bit of the index: its win is never needed
        terms = [f"~{g[(i, c)]}" for i in range(c)] + [g[(c, j)] for j in range(c + 1, k)]
        lines.append(f"    wire w{c} = {' & '.join(terms)};")
        win[c] = f"w{c}"
    if 2 in cuts:
        lines.append(f"    reg [{k - 2}:0] q{regs};")
        lines.append(f"    always @(posedge clk) q{regs} <= {{{', '.join(win[c] for c in reversed(range(1, k)))}}};")
        win = {c: f"q{regs}[{c - 1}]" for c in range(1, k)}
        regs, ffs = regs + 1, ffs + k - 1
    bits = [" | ".join(win[c] for c in range(1, k) if c >> b & 1) for b in range(cw)]
    lines.append(f"    assign class_out = {{{', '.join(reversed(bits))}}};")
    return lines, regs, ffs


def argmax_module(module: str, k: int, w: int, kind: str, budget: float | None) -> ArgmaxText:
    """Module ``module``: ports ``clk`` (when registered), ``scores`` (class ``c`` at
    ``scores[c*w +: w]``) and ``class_out``: the highest score's class, ties to the lowest."""
    cw = class_width(k)
    if k == 1:
        lines, regs, ffs = [f"    assign class_out = {cw}'d0;"], 0, 0
    elif kind == "allpairs":
        lines, regs, ffs = _allpairs(k, w, cw, budget)
    else:
        lines, regs, ffs = _tree(k, w, cw, budget)
    ports = ["    input  wire clk,"] if regs else []
    waive = k == 1  # one class: nothing to compare, the scores are not read
    ports += [
        "    /* verilator lint_off UNUSED */" if waive else "",
        f"    input  wire [{k * w - 1}:0] scores,",
        "    /* verilator lint_on UNUSED */" if waive else "",
        f"    output wire [{cw - 1}:0] class_out",
    ]
    head = [f"// argmax of {k} scores ({kind}, {regs} registers): ties go to the lowest class", f"module {module} ("]
    text = "\n".join(head + [p for p in ports if p] + [");"] + lines + ["endmodule", ""])
    return ArgmaxText(text, regs, ffs)
