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

:func:`emit_verilog` plans the design (:mod:`ldlgn.compiler.verilog_plan`), generates the core and
register modules (:mod:`ldlgn.compiler.verilog_core`) and the top (:mod:`ldlgn.compiler.verilog_top`)
and writes the files with their manifest ``design.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import verilog_arith as va
from .analysis import Analysis
from .fileio import write_text
from .names import check_design_name
from .netlist import Netlist
from .timing import resolve_pipeline
from .verilog_core import core_modules, register_banks
from .verilog_plan import VerilogPlan, plan_design
from .verilog_top import build_head, encoder_module, head_sums, top_module

#: default popcount structure of :func:`emit_verilog` (:data:`ldlgn.compiler.head.POPCOUNTS`)
DEFAULT_POPCOUNT = "fa"

MANIFEST = "design.json"


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
    pipeline_every: int | str | None = None  # logic levels per band, "auto" or None (combinational)
    latency: int = 0  # cycles from valid_in to valid_out; 0 for the combinational variant
    depth: int = 0  # logic levels of the emitted core
    num_gates: int = 0  # gates emitted (those some output depends on)
    num_registers: int = 0  # flip-flops of the core and arithmetic pipeline
    files_by_role: dict = field(default_factory=dict)
    stage_levels: float | None = None  # LUT levels per register stage (pipeline_every="auto")
    head: dict = field(default_factory=dict)  # popcount, argmax, folding and registers of the head

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
    def load(cls, out_dir) -> VerilogDesign:
        """Read the manifest ``design.json`` written by :func:`emit_verilog`."""
        out_dir = Path(out_dir)
        try:
            d = json.loads((out_dir / MANIFEST).read_text())
            d["out_dir"] = out_dir
            d["top"] = check_design_name(d.get("top"))
            if any(not isinstance(f, str) or Path(f).name != f or f in ("", ".", "..") for f in d["files"]):
                raise ValueError("the file list must hold plain file names")
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
    """Validate a design name (see :func:`ldlgn.compiler.names.check_design_name`)."""
    return check_design_name(name)


def _check_options(netlist, name: str, pipeline_every, chunk_size, analysis) -> Analysis:
    """The analysis of the validated netlist; ``ValueError``/``TypeError`` naming the first bad
    argument."""
    if not isinstance(netlist, Netlist):
        raise TypeError(f"emit_verilog needs a Netlist, got {type(netlist).__name__}")
    net = netlist.validate()
    check_design_name(name)
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if net.outputs.size == 0:
        raise ValueError("the netlist has no outputs: nothing to emit")
    if analysis is None:
        return Analysis(net)
    if analysis.netlist is not net and not _same_netlist(analysis.netlist, net):
        raise ValueError("the analysis passed to emit_verilog belongs to another netlist")
    return analysis


def emit_verilog(
    netlist: Netlist,
    out_dir,
    name: str = "net",
    pipeline_every: int | str | None = None,
    chunk_size: int = 2000,
    analysis: Analysis | None = None,
    *,
    fmax_mhz: float | None = None,
    stage_levels: float | None = None,
    popcount: str = DEFAULT_POPCOUNT,
    argmax: str = "auto",
    fold: bool | None = None,
) -> VerilogDesign:
    """Write the RTL of ``netlist`` into ``out_dir`` (created if needed); return the design.

    ``pipeline_every``: None for the combinational variant, an integer for registers after every
    that many logic levels (and after the popcounts and the argmax), or ``"auto"`` for registers
    wherever a stage would exceed ``stage_levels`` estimated LUT levels, in the core, the
    popcounts and the argmax alike (:mod:`ldlgn.compiler.timing`); ``fmax_mhz`` picks that
    budget from a clock target. ``popcount``: ``"fa"`` (full-adder compressor tree, for 4-input
    LUTs with carry chains), ``"gpc6"`` (6:3 counters, for 6-input LUTs), ``"chain"`` (counters in
    ECP5 carry cells when ``LDLGN_ECP5`` is defined, arithmetic otherwise) or ``"adder"`` (the
    legacy head: a binary adder tree per class); ``argmax``: ``"tree"``, ``"allpairs"`` or
    ``"auto"``; ``fold``: fold constant, repeated and complementary outputs (default: yes, except
    for the legacy head). ``chunk_size``: most gates (or register bits) per generated module.
    ``analysis``: the netlist's :class:`~ldlgn.compiler.analysis.Analysis` when the caller has
    one already.
    """
    pipeline_every, budget = resolve_pipeline(pipeline_every, fmax_mhz, stage_levels)
    analysis = _check_options(netlist, name, pipeline_every, chunk_size, analysis)
    sums, reads = head_sums(analysis, popcount, fold)
    plan = plan_design(analysis, pipeline_every, int(chunk_size), reads, budget)
    return assemble_design(plan, out_dir, name, core_modules(plan, name), sums, popcount, argmax, int(chunk_size))


def assemble_design(
    plan: VerilogPlan, out_dir, name: str, core, sums, popcount: str, argmax: str, chunk_size: int
) -> VerilogDesign:
    """The head, register banks, encoder and top around the planned ``core`` modules (two-input
    or LUT gates); writes every file and returns the design record."""
    head, record = build_head(plan, name, sums, popcount, argmax)
    banks = register_banks(plan, name, chunk_size)
    note = ", ".join(f"{k} {v}" for k, v in record.items() if k in ("popcount", "argmax", "fold"))
    top = top_module(plan, name, [core, banks], head, note)
    text = {**core.files, **banks.files, f"{name}_enc.v": encoder_module(plan, name), **head.files, f"{name}.v": top}
    text["ldlgn_valid_pipe.v"] = va.template_text("ldlgn_valid_pipe.v")
    roles = {
        "core": list(core.files),
        "registers": list(banks.files),
        "encoder": [f"{name}_enc.v"],
        "top": [f"{name}.v"],
        "arith": [*head.files, "ldlgn_valid_pipe.v"],
    }
    design = _record(plan, Path(out_dir), name, list(text), roles)
    design.num_registers = core.registers + banks.registers + head.flip_flops + design.latency
    design.stage_levels, design.head = plan.budget, record
    _write(design, text)
    return design


def _record(plan: VerilogPlan, out_dir: Path, name: str, files: list[str], roles: dict) -> VerilogDesign:
    """The :class:`VerilogDesign` of a planned design (registers not yet counted)."""
    net = plan.analysis.netlist
    return VerilogDesign(
        out_dir=out_dir,
        files=[out_dir / f for f in files],
        top=name,
        num_features=net.num_features,
        input_bits=net.input_bits,
        num_classes=net.num_classes,
        score_width=va.score_width(net.group_size),
        class_width=va.class_width(net.num_classes),
        pipeline_every=plan.pipeline_every,
        latency=plan.latency,
        depth=plan.analysis.depth,
        num_gates=plan.analysis.num_live_gates,
        files_by_role={role: names for role, names in roles.items() if names},
    )


def _same_netlist(a: Netlist, b: Netlist) -> bool:
    """Whether ``a`` and ``b`` hold the same graph (the name aside)."""
    arrays = ("input_feature", "input_threshold", "fanin", "table", "outputs")
    return (a.num_features, a.input_bits, a.num_classes) == (b.num_features, b.input_bits, b.num_classes) and all(
        np.array_equal(getattr(a, k), getattr(b, k)) for k in arrays
    )


def _write(design: VerilogDesign, text: dict[str, str]) -> None:
    """Write the files and the manifest; remove band files an earlier emission of the same
    design name left behind."""
    out_dir = design.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    stale = re.compile(rf"({re.escape(design.top)}_([br]\d+|argmax|enc)|ldlgn_argmax)\.v\Z")
    for old in out_dir.iterdir():
        if stale.match(old.name) and old.name not in text:
            old.unlink()
    for fname, body in text.items():
        write_text(out_dir / fname, body)
    write_text(out_dir / MANIFEST, design.to_json())
