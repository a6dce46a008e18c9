"""Bit-sliced C emitter (DESIGN.md §6): netlist → ``<name>.h`` + several ``.c`` translation units.

Each sample is one bit of a word (``uint64_t`` or a 128/256/512-bit vector); a gate is one
bitwise expression from :func:`ldlgn.truth_tables.gate_expression` on whole words. Only gates that
reach an output are emitted, level by level (inside a level ordered by operand slot, so that one
operand of consecutive gates sweeps the buffer in order). Node values live in a compact working
buffer: a linear scan gives every value a slot from its definition to its last use, reusing freed
slots (last freed first, so the buffer stays small and warm in cache). The gates are split into
many short functions spread over several translation units that compile quickly in parallel.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .fileio import write_text
from . import truth_tables as tt

from . import c_encode, c_runtime
from .netlist import CONST0, CONST1, FIRST_INPUT, Netlist

GATES_PER_FUNCTION = 128  #: short functions keep the C compiler's time linear
MIN_GATES_PER_UNIT = 2000  #: translation units are at least this big (if the net is)
MAX_UNITS = 64


@dataclass
class CSources:
    """The emitted files of one network."""

    name: str
    out_dir: Path
    header: Path  #: public header ``<name>.h``
    sources: list = field(default_factory=list)  #: ``.c`` files to compile together
    internal_headers: list = field(default_factory=list)
    num_slots: int = 0  #: words in the working buffer
    num_gates: int = 0  #: gates emitted (live ones)

    @property
    def files(self) -> list:
        return [self.header, *self.internal_headers, *self.sources]


@dataclass
class _Plan:
    in_order: np.ndarray  # input indices that are read, sorted by feature
    in_slot: dict  # node id -> slot (inputs and live gates)
    gates: list  # live gate indices in order
    num_slots: int
    const_value: dict  # node id -> 0/1 for constant nodes (incl. inputs that are constant)


def check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or ""):
        raise ValueError(f"name must be a C identifier (letters, digits, _), got {name!r}")
    return name


def _plan(net: Netlist) -> _Plan:
    """Constant inputs, live gates and a working-buffer slot for every stored value."""
    I, first = net.num_inputs, net.first_gate
    const_value = {CONST0: 0, CONST1: 1}
    thr = net.input_threshold
    for i in np.flatnonzero(thr < 0):  # x > negative: always 1
        const_value[FIRST_INPUT + int(i)] = 1
    for i in np.flatnonzero(thr >= net.input_max):  # x > max: never
        const_value[FIRST_INPUT + int(i)] = 0

    fanin = net.fanin.tolist()
    live = bytearray(net.num_nodes)
    for o in net.outputs.tolist():
        live[o] = 1
    for g in range(net.num_gates - 1, -1, -1):
        if live[first + g]:
            a, b = fanin[g]
            live[a] = live[b] = 1
    gates = [g for g in range(net.num_gates) if live[first + g]]

    # Evaluation order: level by level (any order within a level is topological); inside a level
    # by the smaller operand slot, so one operand of consecutive gates sweeps the buffer in order.
    level = {}
    by_level: dict = {}
    for g in gates:
        a, b = fanin[g]
        lv = max(level.get(a, 0), level.get(b, 0)) + 1
        level[first + g] = lv
        by_level.setdefault(lv, []).append(g)
    last_level = {}  # level of the last reader of each value
    for g in gates:
        for v in fanin[g]:
            last_level[v] = max(last_level.get(v, 0), level[first + g])
    for o in net.outputs.tolist():
        last_level[o] = 1 << 30

    used_inputs = [i for i in range(I) if live[FIRST_INPUT + i] and FIRST_INPUT + i not in const_value]
    in_order = np.array(sorted(used_inputs, key=lambda i: (int(net.input_feature[i]), i)), dtype=np.int64)
    slot = {FIRST_INPUT + int(i): k for k, i in enumerate(in_order)}
    free: list = []  # freed slots, reused last freed first (still in cache)
    top = len(slot)
    order = []
    for lv in sorted(by_level):
        gs = sorted(by_level[lv], key=lambda g: min(slot.get(fanin[g][0], -1), slot.get(fanin[g][1], -1)))
        last_pos = {}
        for k, g in enumerate(gs):
            for v in fanin[g]:
                if last_level[v] == lv:
                    last_pos[v] = k
        for k, g in enumerate(gs):
            a, b = fanin[g]
            for v in (a, b) if a != b else (a,):
                if last_pos.get(v) == k and v in slot:
                    free.append(slot[v])
            if free:
                slot[first + g] = free.pop()
            else:
                slot[first + g] = top
                top += 1
        order.extend(gs)
    gates = order
    return _Plan(in_order, slot, gates, max(top, 1), const_value)


def _operand(node: int, plan: _Plan) -> str:
    if node in plan.const_value:
        return "O" if plan.const_value[node] else "Z"
    return f"w[{plan.in_slot[node]}]"


def _gate_functions(net: Netlist, plan: _Plan, name: str) -> list:
    """C text of every gate function, in evaluation order."""
    first, fanin, table = net.first_gate, net.fanin.tolist(), net.table.tolist()
    funcs = []
    for start in range(0, len(plan.gates), GATES_PER_FUNCTION):
        lines = []
        for g in plan.gates[start:start + GATES_PER_FUNCTION]:
            a, b = fanin[g]
            expr = tt.gate_expression(table[g], _operand(a, plan), _operand(b, plan), "Z", "O")
            lines.append(f"    w[{plan.in_slot[first + g]}] = {expr};")
        body = "\n".join(lines)
        consts = "    const lw_t Z = {0}, O = ~Z;\n" if re.search(r"\b[ZO]\b", body) else ""
        k = len(funcs)
        funcs.append(f"void ldlgn_{name}_g{k}(lw_t *restrict w)\n{{\n{consts}{body}\n}}\n")
    return funcs


def _c_list(values) -> str:
    values = [int(v) for v in values] + [0]  # trailing 0: arrays are never empty
    return ",".join(map(str, values))


def emit_c(netlist: Netlist, out_dir, name: str = "net", units: int | None = None) -> CSources:
    """Write ``<name>.h``, ``<name>_impl.h``, ``<name>.c`` and ``<name>_gates<k>.c`` into ``out_dir``.

    ``units`` fixes the number of gate translation units (default: by size, at most 64).
    """
    name = check_name(name)
    net = netlist.validate()
    if net.input_bits > 16 or net.input_bits < 1:
        raise ValueError(f"input_bits must be in 1..16, got {net.input_bits}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = _plan(net)
    funcs = _gate_functions(net, plan, name)
    if units is None:
        units = min(MAX_UNITS, max(1, len(plan.gates) // MIN_GATES_PER_UNIT))
    units = max(1, min(units, len(funcs))) if funcs else 0

    k = net.num_classes
    out_slot, out_start, out_ones = [], [0], []
    for c in range(k):
        ones, slots = 0, []
        for o in net.outputs[c * net.group_size:(c + 1) * net.group_size].tolist():
            if o in plan.const_value:
                ones += plan.const_value[o]
            else:
                slots.append(plan.in_slot[o])
        out_slot += sorted(slots)  # a class's count is order-free: read the buffer in order
        out_start.append(len(out_slot))
        out_ones.append(ones)
    in_t = "uint8_t" if net.input_bits <= 8 else "uint16_t"
    subs = {
        "NAME": name, "UNAME": name.upper(), "NUM_FEATURES": str(net.num_features),
        "NUM_CLASSES": str(k), "INPUT_BITS": str(net.input_bits), "INPUT_MAX": str(net.input_max),
        "IN_T": in_t, "NUM_SLOTS": str(plan.num_slots), "NUM_IN": str(len(plan.in_order)),
        "NUM_CHUNKS": str(len(funcs)), "COUNT_BITS": str(max(1, net.group_size.bit_length())),
        "IN_FEAT": _c_list(net.input_feature[plan.in_order]),
        "IN_THR": _c_list(net.input_threshold[plan.in_order]),
        "IN_SLOT": _c_list(range(len(plan.in_order))),
        "OUT_START": ",".join(map(str, out_start)), "NUM_OUT_SLOTS": str(len(out_slot)),
        "OUT_SLOT": _c_list(out_slot), "OUT_ONES": ",".join(map(str, out_ones)),
        "GATE_FNS": "".join(f"ldlgn_{name}_g{i}," for i in range(len(funcs))) + "0",
        "GATE_DECLS": "".join(f"void ldlgn_{name}_g{i}(lw_t *restrict w);\n" for i in range(len(funcs))),
        "RANGE_CHECK": c_encode.range_check(name.upper(), net.input_bits),
        "ENCODE": c_encode.encoder_source(net.input_feature[plan.in_order], net.input_threshold[plan.in_order],
                                            1 if in_t == "uint8_t" else 2),
        "SWAP32": c_encode.swap_macros(4, "LDLGN_SWAP32", "u32v"),
    }
    src = CSources(name, out_dir, out_dir / f"{name}.h", num_slots=plan.num_slots, num_gates=len(plan.gates))
    write_text(src.header, c_runtime.render_file("header.h", subs))
    impl = out_dir / f"{name}_impl.h"
    write_text(impl, c_runtime.render_file("impl.h", subs))
    src.internal_headers.append(impl)
    driver = out_dir / f"{name}.c"
    write_text(driver, c_runtime.render_file("driver.c", subs))
    src.sources.append(driver)
    bounds = np.linspace(0, len(funcs), units + 1).round().astype(int) if units else []
    for u in range(units):
        path = out_dir / f"{name}_gates{u}.c"
        text = f'/* Gates of network "{name}", part {u} (generated by ldlgn). */\n#include "{name}_impl.h"\n\n'
        write_text(path, text + "\n".join(funcs[bounds[u]:bounds[u + 1]]))
        src.sources.append(path)
    return src
