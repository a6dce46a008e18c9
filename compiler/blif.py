"""BLIF text of a gate netlist, and the reader that brings a two-input BLIF back (docs/formal.md).

Writing: one ``.names`` cover per live gate over the inputs its table reads, with one row per
input row on which the table is 1, the first input most significant (docs/truth-tables.md):
table ``T`` of gate ``n9`` reading ``n3`` (A) and ``n7`` (B) lists row ``ab`` for every
``r = 2a + b`` with bit ``r`` of ``T`` set. Net ``n<id>`` is netlist node ``id``, as in the
Verilog; the comparators are the inputs (``n2 …``), ``o<j>`` the output slots, ``const0`` and
``const1`` the constants (constant comparators read as those).

Reading (:func:`parse_blif`): a combinational ``.model`` whose covers have at most two inputs,
as ABC writes after ``if -K 2``, becomes a :class:`~ldlgn.compiler.netlist.Netlist` over the
given comparators, in topological order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from . import truth_tables as tt
from .analysis import Analysis
from .netlist import CONST0, CONST1, FIRST_INPUT, Netlist


def _net(analysis: Analysis, v: int) -> str:
    c = int(analysis.const_value[v])
    return f"const{c}" if c >= 0 else f"n{v}"


def _cover(table: int, reads: list[int]) -> list[str]:
    """Rows of the ON-set of a two-input table restricted to the inputs it reads (0, 1 or 2 of A, B)."""
    rows = set()
    for r in range(4):
        if (table >> r) & 1:
            bits = {0: (r >> 1) & 1, 1: r & 1}
            rows.add("".join(str(bits[k]) for k in reads))
    if not rows:  # constant 0: an OFF-set row over everything (some readers take no rows as unknown)
        return [f"{'-' * len(reads)} 0".strip()]
    return [f"{row} 1".strip() for row in sorted(rows)]


def blif_text(net: Netlist, name: str, analysis: Analysis | None = None) -> str:
    """The BLIF of ``net``'s live gates: model ``name``, inputs ``n<id>``, outputs ``o<j>``."""
    analysis = analysis or Analysis(net.validate())
    first = net.first_gate
    head = (
        f"# {name}: {analysis.num_live_gates} gates, {net.num_inputs} comparator inputs, "
        f"{net.outputs.size} outputs in {net.num_classes} classes of {net.group_size}"
    )
    lines = [head, "# input n<id> is x[feature] > threshold; output o<j> belongs to class j // group size"]
    for i in range(net.num_inputs):
        lines.append(f"#   n{FIRST_INPUT + i} = x[{net.input_feature[i]}] > {net.input_threshold[i]}")
    lines += [f".model {name}", ".inputs " + " ".join(f"n{FIRST_INPUT + i}" for i in range(net.num_inputs))]
    lines += [".outputs " + " ".join(f"o{j}" for j in range(net.outputs.size))]
    lines += [".names const0", "0", ".names const1", "1"]
    for g in analysis.live_gates.tolist():
        a, b = (int(u) for u in net.fanin[g])
        table = int(net.table[g])
        reads = [k for k, on in ((0, analysis.reads_a[g]), (1, analysis.reads_b[g])) if on]
        if reads == [0, 1] and a == b:  # f(a, a): rows 00 and 11 only
            table = (table & 1) | ((table >> 3) & 1) << 3
            table |= (table & 1) << 1 | ((table >> 3) & 1) << 2
            reads = [0]
        ins = [_net(analysis, (a, b)[k]) for k in reads]
        lines.append(".names " + " ".join([*ins, f"n{first + g}"]))
        lines += _cover(table, reads)
    for j, v in enumerate(net.outputs.tolist()):
        lines += [f".names {_net(analysis, v)} o{j}", "1 1"]
    return "\n".join(lines + [".end", ""])


def _statements(text: str) -> Iterator[list[str]]:
    """Tokens of each logical line (comments dropped, ``\\`` continuations joined)."""
    joined = re.sub(r"\\\n", " ", text)
    for raw in joined.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            yield line.split()


def _table(inputs: int, rows: list[tuple[str, str]], where: str) -> int:
    """Two-input truth table (row ``r = 2A + B``) of a cover over 0, 1 (A) or 2 (A, B) inputs."""
    if not rows:
        return 0
    on = [r for r, out in rows if out == "1"]
    off = [r for r, out in rows if out == "0"]
    if on and off:
        raise ValueError(f"BLIF cover of {where} mixes ON and OFF rows")
    value = 0
    for r in range(4):
        bits = ((r >> 1) & 1, r & 1)[:inputs]
        hit = any(all(c == "-" or c == str(v) for c, v in zip(row, bits)) for row in on or off)
        value |= int(hit == bool(on)) << r
    return value


def parse_blif(text: str, inputs: list[str], template: Netlist) -> Netlist:
    """The netlist of a BLIF model whose inputs are ``inputs`` (in the order of ``template``'s
    comparators) and whose outputs are ``o0 …``; encoder and classes come from ``template``."""
    covers: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
    outputs: list[str] = []
    current: list[tuple[str, str]] | None = None
    for tokens in _statements(text):
        if tokens[0] == ".names":
            *ins, out = tokens[1:]
            if len(ins) > 2:
                raise ValueError(f"BLIF cover of {out} has {len(ins)} inputs; two at most are supported")
            current = []
            covers[out] = (ins, current)
        elif tokens[0] == ".outputs":
            outputs += tokens[1:]
        elif tokens[0] in (".model", ".inputs", ".end"):
            current = None
        elif tokens[0].startswith("."):
            raise ValueError(f"BLIF construct {tokens[0]} is not supported (combinational covers only)")
        elif current is not None:
            current.append((tokens[0], tokens[1]) if len(tokens) == 2 else ("", tokens[0]))
    return _netlist(covers, outputs, inputs, template)


def _netlist(covers: dict, outputs: list[str], inputs: list[str], template: Netlist) -> Netlist:
    node = {n: FIRST_INPUT + i for i, n in enumerate(inputs)}
    fanin: list[tuple[int, int]] = []
    table: list[int] = []
    first = FIRST_INPUT + len(inputs)

    def resolve(name: str) -> int:
        stack = [name]
        while stack:
            n = stack[-1]
            if n in node:
                stack.pop()
                continue
            if n not in covers:
                raise ValueError(f"BLIF net {n} is neither an input nor driven by a cover")
            ins, rows = covers[n]
            todo = [i for i in ins if i not in node]
            if todo:
                if any(i in stack for i in todo):
                    raise ValueError(f"BLIF net {n} is part of a combinational loop")
                stack += todo
                continue
            t = _table(len(ins), rows, n)
            ids = [node[i] for i in ins] or [CONST0]
            if len(ids) == 1 and t in (tt.FALSE, tt.TRUE, tt.PASS_A):
                node[n] = {tt.FALSE: CONST0, tt.TRUE: CONST1}.get(t, ids[0])  # constants and buffers
            else:
                fanin.append((ids[0], ids[-1]))  # one input: read twice, the table ignores B
                table.append(t)
                node[n] = first + len(table) - 1
            stack.pop()
        return node[name]

    expected = [f"o{j}" for j in range(template.outputs.size)]
    if outputs != expected:
        raise ValueError(f"BLIF outputs must be o0 … o{template.outputs.size - 1} in order")
    outs = [resolve(o) for o in outputs]
    return Netlist(
        template.input_feature.copy(),
        template.input_threshold.copy(),
        template.num_features,
        template.input_bits,
        np.array(fanin, np.int32).reshape(-1, 2),
        np.array(table, np.uint8),
        np.array(outs, np.int32),
        template.num_classes,
        template.name,
    ).validate()
