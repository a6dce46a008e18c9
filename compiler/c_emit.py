"""Bit-sliced C emitter (docs/engines.md): netlist → ``<name>.h`` + several ``.c`` translation units.

Each sample is one bit of a word (``uint64_t`` or a 128/256/512-bit vector); a gate is one
bitwise expression from :func:`ldlgn.compiler.truth_tables.gate_expression` on whole words. The
gates, inputs and constants come from the netlist's :class:`~ldlgn.compiler.analysis.Analysis`
(the same live gates as every other back end); what is the C back end's own is the evaluation
order and the memory layout. Gates are evaluated level by level (inside a level ordered by operand
slot, so that one operand of consecutive gates sweeps the buffer in order). Node values live in a
compact working buffer: a linear scan gives every value a slot from its definition to its last
use, reusing freed slots (last freed first, so the buffer stays small and warm in cache). The
gates are split into many short functions spread over several translation units that compile
quickly in parallel. The fixed C is in ``c_templates/`` (:mod:`ldlgn.compiler.c_runtime`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import c_encode, c_runtime
from . import truth_tables as tt
from .analysis import Analysis, analyze
from .fileio import write_text
from .netlist import FIRST_INPUT, Netlist

GATES_PER_FUNCTION = 128  #: short functions keep the C compiler's time linear
MIN_GATES_PER_UNIT = 2000  #: translation units are at least this big (if the net is)
MAX_UNITS = 64


@dataclass
class CSources:
    """The emitted files of one network."""

    name: str
    out_dir: Path
    header: Path  #: public header ``<name>.h``
    sources: list[Path] = field(default_factory=list)  #: ``.c`` files to compile together: driver first
    internal_headers: list[Path] = field(default_factory=list)
    num_slots: int = 0  #: words in the working buffer
    num_gates: int = 0  #: gates emitted: the analysis' live gates

    @property
    def files(self) -> list[Path]:
        return [self.header, *self.internal_headers, *self.sources]


@dataclass
class _Plan:
    """Where every value lives and in which order the gates run."""

    in_order: list[int]  # indices of the compared inputs, sorted by feature (their slots are 0, 1, ...)
    slot: dict[int, int]  # node id -> working-buffer slot (compared inputs and live gates)
    gates: list[int]  # live gate indices in evaluation order
    num_slots: int
    const: list[int]  # per node: 0/1 for constant nodes and constant comparators, else -1
    reads: dict[int, tuple[int, ...]]  # live gate index -> node ids its table depends on (no repeats)


def check_name(name: str) -> str:
    """``name`` if it is a C identifier (it prefixes every file and symbol), else ``ValueError``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or ""):
        raise ValueError(f"name must be a C identifier (letters, digits, _), got {name!r}")
    return name


def _read_operands(net: Netlist, analysis: Analysis) -> dict[int, tuple[int, ...]]:
    """Per live gate, the operands its table depends on: an ignored operand is never looked up
    (it may be dead and have no slot)."""
    fanin = net.fanin.tolist()
    reads_a, reads_b = analysis.reads_a.tolist(), analysis.reads_b.tolist()
    reads: dict[int, tuple[int, ...]] = {}
    for g in analysis.live_gates.tolist():
        a, b = fanin[g]
        r = (a,) if reads_a[g] else ()
        if reads_b[g] and not (reads_a[g] and a == b):
            r += (b,)
        reads[g] = r
    return reads


def _last_levels(net: Netlist, analysis: Analysis, reads: dict[int, tuple[int, ...]]) -> dict[int, int]:
    """Level of the last gate that reads each value (outputs live to the end): its slot is free after."""
    first, level = net.first_gate, analysis.level.tolist()
    last: dict[int, int] = {}
    for g, r in reads.items():
        lv = level[first + g]
        for v in r:
            if last.get(v, 0) < lv:
                last[v] = lv
    for o in net.outputs.tolist():
        last[o] = 1 << 30
    return last


def _allocate_level(
    gs: list[int], lv: int, plan: _Plan, last_level: dict[int, int], free: list[int], first: int
) -> None:
    """Give the gates ``gs`` of level ``lv`` (in evaluation order) their slots: a value read for the
    last time by a gate frees its slot for that gate's own result (last freed, first reused)."""
    last_pos = {}
    for k, g in enumerate(gs):
        for v in plan.reads[g]:
            if last_level[v] == lv:
                last_pos[v] = k
    for k, g in enumerate(gs):
        for v in plan.reads[g]:
            if last_pos.get(v) == k and v in plan.slot:
                free.append(plan.slot[v])
        if free:
            plan.slot[first + g] = free.pop()
        else:
            plan.slot[first + g] = plan.num_slots
            plan.num_slots += 1


def _plan(net: Netlist, analysis: Analysis) -> _Plan:
    """Slots and evaluation order of the analysis' live gates and compared inputs."""
    feature = net.input_feature.tolist()
    in_order = sorted(analysis.used_inputs.tolist(), key=lambda i: (feature[i], i))
    slot = {FIRST_INPUT + i: k for k, i in enumerate(in_order)}
    plan = _Plan(in_order, slot, [], len(slot), analysis.const_value.tolist(), _read_operands(net, analysis))
    # any order within a level is topological
    by_level: dict[int, list[int]] = {}
    level = analysis.level.tolist()
    for g in plan.reads:
        by_level.setdefault(level[net.first_gate + g], []).append(g)
    last_level = _last_levels(net, analysis, plan.reads)
    free: list[int] = []  # freed slots, reused last freed first (still in cache)

    def operand_slot(g: int) -> int:  # sweep one operand of consecutive gates in buffer order
        return min([slot.get(v, -1) for v in plan.reads[g]], default=-1)

    for lv in sorted(by_level):
        gs = sorted(by_level[lv], key=operand_slot)
        _allocate_level(gs, lv, plan, last_level, free, net.first_gate)
        plan.gates.extend(gs)
    plan.num_slots = max(plan.num_slots, 1)
    return plan


def _operand(node: int, plan: _Plan) -> str:
    """C expression of a value: a constant word or the node's slot."""
    c = plan.const[node]
    if c >= 0:
        return "O" if c else "Z"
    return f"w[{plan.slot[node]}]"


def _gate_line(g: int, a: int, b: int, table: int, plan: _Plan, first: int) -> str:
    """``w[slot] = expression;`` of gate ``g`` (only the operands its table reads are looked up)."""
    r = plan.reads[g]
    oa = _operand(a, plan) if a in r else "Z"
    ob = _operand(b, plan) if b in r else "Z"
    return f"    w[{plan.slot[first + g]}] = {tt.gate_expression(table, oa, ob, 'Z', 'O')};"


def _gate_functions(net: Netlist, plan: _Plan, name: str) -> list[str]:
    """C text of every gate function, in evaluation order."""
    first, fanin, table = net.first_gate, net.fanin.tolist(), net.table.tolist()
    funcs: list[str] = []
    for start in range(0, len(plan.gates), GATES_PER_FUNCTION):
        chunk = plan.gates[start : start + GATES_PER_FUNCTION]
        lines = [_gate_line(g, fanin[g][0], fanin[g][1], table[g], plan, first) for g in chunk]
        body = "\n".join(lines)
        consts = "    const lw_t Z = {0}, O = ~Z;\n" if re.search(r"\b[ZO]\b", body) else ""
        k = len(funcs)
        funcs.append(f"void ldlgn_{name}_g{k}(lw_t *restrict w)\n{{\n{consts}{body}\n}}\n")
    return funcs


def _c_list(values) -> str:
    values = [int(v) for v in values] + [0]  # trailing 0: arrays are never empty
    return ",".join(map(str, values))


def _class_outputs(net: Netlist, plan: _Plan) -> tuple[list[int], list[int], list[int]]:
    """Output slots of all classes (class by class, each sorted), where each class starts, and the
    number of constant-1 outputs of each class."""
    out_slot, out_start, out_ones = [], [0], []
    for c in range(net.num_classes):
        ones, slots = 0, []
        for o in net.outputs[c * net.group_size : (c + 1) * net.group_size].tolist():
            if plan.const[o] >= 0:
                ones += plan.const[o]
            else:
                slots.append(plan.slot[o])
        out_slot += sorted(slots)  # a class's count is order-free: read the buffer in order
        out_start.append(len(out_slot))
        out_ones.append(ones)
    return out_slot, out_start, out_ones


def _template_values(net: Netlist, plan: _Plan, name: str, num_funcs: int) -> dict[str, str]:
    """Values of the placeholders of the header, internal header and driver templates."""
    out_slot, out_start, out_ones = _class_outputs(net, plan)
    in_t = "uint8_t" if net.input_bits <= 8 else "uint16_t"
    in_feat, in_thr = net.input_feature[plan.in_order], net.input_threshold[plan.in_order]
    return {
        "NAME": name,
        "UNAME": name.upper(),
        "NUM_FEATURES": str(net.num_features),
        "NUM_CLASSES": str(net.num_classes),
        "INPUT_BITS": str(net.input_bits),
        "INPUT_MAX": str(net.input_max),
        "IN_T": in_t,
        "NUM_SLOTS": str(plan.num_slots),
        "NUM_IN": str(len(plan.in_order)),
        "NUM_CHUNKS": str(num_funcs),
        "COUNT_BITS": str(max(1, net.group_size.bit_length())),
        "IN_FEAT": _c_list(in_feat),
        "IN_THR": _c_list(in_thr),
        "IN_SLOT": _c_list(range(len(plan.in_order))),
        "OUT_START": ",".join(map(str, out_start)),
        "NUM_OUT_SLOTS": str(len(out_slot)),
        "OUT_SLOT": _c_list(out_slot),
        "OUT_ONES": ",".join(map(str, out_ones)),
        "GATE_FNS": "".join(f"ldlgn_{name}_g{i}," for i in range(num_funcs)) + "0",
        "GATE_DECLS": "".join(f"void ldlgn_{name}_g{i}(lw_t *restrict w);\n" for i in range(num_funcs)),
        "RANGE_CHECK": c_encode.range_check(name.upper(), net.input_bits),
        "ENCODE": c_encode.encoder_source(in_feat, in_thr, 1 if in_t == "uint8_t" else 2),
        "SWAP32": c_encode.swap_macros(4, "LDLGN_SWAP32", "u32v"),
    }


def _write_gate_units(out_dir: Path, name: str, funcs: list[str], units: int) -> list[Path]:
    """Write the gate functions into ``units`` files ``<name>_gates<k>.c`` and delete units of an
    earlier, larger emission (a build compiles every unit it finds)."""
    bounds = np.linspace(0, len(funcs), units + 1).round().astype(int).tolist() if units else []
    paths = []
    for u in range(units):
        path = out_dir / f"{name}_gates{u}.c"
        text = f'/* Gates of network "{name}", part {u} (generated by ldlgn). */\n#include "{name}_impl.h"\n\n'
        write_text(path, text + "\n".join(funcs[bounds[u] : bounds[u + 1]]))
        paths.append(path)
    for path in gate_units(out_dir, name):
        if path not in paths:
            path.unlink()
    return paths


def gate_units(c_dir: Path, name: str) -> list[Path]:
    """The gate translation units ``<name>_gates<k>.c`` in ``c_dir``, by ``k``."""
    pattern = re.compile(rf"{re.escape(name)}_gates(\d+)\.c")
    found = [(int(m.group(1)), p) for p in Path(c_dir).glob(f"{name}_gates*.c") if (m := pattern.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def emit_c(
    netlist: Netlist, out_dir: str | Path, name: str = "net", units: int | None = None, analysis: Analysis | None = None
) -> CSources:
    """Write ``<name>.h``, ``<name>_impl.h``, ``<name>.c`` and ``<name>_gates<k>.c`` into ``out_dir``.

    ``units`` fixes the number of gate translation units (default: by size, at most 64).
    ``analysis`` is ``analyze(netlist)`` when a caller already has it (computed here otherwise).
    """
    name = check_name(name)
    net = netlist.validate()
    if analysis is None:
        analysis = analyze(net)
    elif analysis.netlist is not net:
        raise ValueError("analysis belongs to another netlist: pass analyze(netlist) of the emitted netlist")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = _plan(net, analysis)
    funcs = _gate_functions(net, plan, name)
    if units is None:
        units = min(MAX_UNITS, max(1, len(plan.gates) // MIN_GATES_PER_UNIT))
    units = max(1, min(units, len(funcs))) if funcs else 0
    values = _template_values(net, plan, name, len(funcs))
    src = CSources(name, out_dir, out_dir / f"{name}.h", num_slots=plan.num_slots, num_gates=len(plan.gates))
    write_text(src.header, c_runtime.render_file("header.h", values))
    impl, driver = out_dir / f"{name}_impl.h", out_dir / f"{name}.c"
    write_text(impl, c_runtime.render_file("impl.h", values))
    write_text(driver, c_runtime.render_file("driver.c", values))
    src.internal_headers.append(impl)
    src.sources += [driver, *_write_gate_units(out_dir, name, funcs, units)]
    return src
