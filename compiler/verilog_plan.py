"""Structure of an emitted Verilog design, decided before any text is written.

From the shared :class:`~ldlgn.compiler.analysis.Analysis` (live gates, logic levels, the inputs
each table reads) the plan cuts the core into bands (``pipeline_every`` logic levels each, or as
many as a stage budget of estimated LUT levels allows: :mod:`ldlgn.compiler.timing`) and each
band into chunks of at most ``chunk_size`` gates (one generated module each), finds the wires
that leave their chunk and, for the pipelined variant, the nodes whose value must be registered
after each band because a later stage (or the head) still reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .analysis import Analysis
from .netlist import CONST0, CONST1, FIRST_INPUT
from .timing import LEVELS_PER_GATE_LEVEL, band_of_levels, encoder_levels


@dataclass
class Chunk:
    """Gates of one generated core module, all of one band."""

    band: int
    index: int  #: position among the chunks of its band
    nodes: np.ndarray  #: gate node ids, topological order
    inputs: list[int] = field(default_factory=list)  #: nodes read from outside, sorted
    outputs: list[int] = field(default_factory=list)  #: nodes read outside (or outputs), node order


@dataclass
class VerilogPlan:
    """Bands, chunks and register crossings of one design."""

    analysis: Analysis
    pipeline_every: int | str | None  #: logic levels per band, "auto" (by ``budget``) or None
    num_bands: int
    band: np.ndarray  #: ``(num_nodes,)`` band of each node's producer (inputs and constants: 0)
    out_stage: int  #: stage that reads the outputs: ``num_bands`` when pipelined, else 0
    chunks: list[Chunk]
    crossings: list[np.ndarray]  #: per band: nodes registered after it (pipelined only)
    reads: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  #: nodes the head reads
    budget: float | None = None  #: LUT levels per register stage (``pipeline_every="auto"``)
    head_latency: int = 2  #: cycles the head adds after the core's last band

    @property
    def pipelined(self) -> bool:
        return self.pipeline_every is not None

    @property
    def latency(self) -> int:
        """Cycles from ``valid_in`` to ``valid_out``: the bands, then the head's stages."""
        return self.num_bands + self.head_latency if self.pipelined else 0

    def describe(self) -> str:
        if self.pipeline_every == "auto":
            return f"at most {self.budget:g} estimated LUT levels per stage"
        return f"every {self.pipeline_every} logic levels"

    @property
    def gate_nodes(self) -> np.ndarray:
        """Node ids of the emitted (live) gates, topological order."""
        return self.analysis.live_gates + self.analysis.netlist.first_gate

    @property
    def input_nodes(self) -> np.ndarray:
        """Node ids of the live primary inputs, constant comparators included."""
        net = self.analysis.netlist
        return np.flatnonzero(self.analysis.live[FIRST_INPUT : net.first_gate]) + FIRST_INPUT

    def signal(self, v: int, stage: int) -> str:
        """Top-level name of node ``v`` as read by ``stage``: ``n<v>`` or its register copy."""
        if v == CONST0:
            return "1'b0"
        if v == CONST1:
            return "1'b1"
        if not self.pipelined or self.band[v] == stage:
            return f"n{v}"
        return f"s{stage}_n{v}"


def _bands(analysis: Analysis, pipeline_every: int | str | None, budget: float | None) -> tuple[int, np.ndarray]:
    """Number of bands and the band of each node's producer."""
    net = analysis.netlist
    level = np.maximum(analysis.level.astype(np.int64) - 1, 0)
    if pipeline_every is None:
        return 1, np.zeros(net.num_nodes, np.int64)
    if pipeline_every == "auto":
        if budget is None:
            raise ValueError("pipeline_every='auto' needs a stage budget")
        per_level = getattr(analysis, "levels_per_logic_level", LEVELS_PER_GATE_LEVEL)  # LUT netlists: wider
        of_level = np.array(band_of_levels(analysis.depth, budget, encoder_levels(net.input_bits), per_level) or [0])
        band = of_level[np.minimum(level, of_level.size - 1)]
        band[analysis.level == 0] = 0  # inputs: band 0, alone when the encoder fills a stage
        return int(of_level.max()) + 1, band
    return max(1, -(-analysis.depth // int(pipeline_every))), level // int(pipeline_every)


def plan_design(
    analysis: Analysis,
    pipeline_every: int | str | None,
    chunk_size: int,
    reads: np.ndarray | None = None,
    budget: float | None = None,
    edges: tuple[np.ndarray, np.ndarray] | None = None,
) -> VerilogPlan:
    """The plan of ``analysis.netlist`` for the given pipelining and chunk size. ``reads``: the
    nodes the head reads (default: every output); ``budget``: LUT levels per stage for
    ``pipeline_every="auto"``; ``edges``: ``(consumer, producer)`` node ids of the pins the live
    gates read (default: those of the two-input analysis; a LUT netlist's analysis gives its own)."""
    net = analysis.netlist
    num_bands, band = _bands(analysis, pipeline_every, budget)
    out_stage = 0 if pipeline_every is None else num_bands
    plan = VerilogPlan(analysis, pipeline_every, num_bands, band, out_stage, [], [], budget=budget)
    plan.reads = net.outputs.astype(np.int64) if reads is None else np.asarray(reads, np.int64)
    cons, prod = _edges(analysis) if edges is None else edges
    plan.chunks = _chunks(plan, cons, prod, chunk_size)
    if plan.pipelined:
        plan.crossings = _crossings(plan, _last_reader(plan, cons, prod))
    return plan


def _edges(analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """``(consumer, producer)`` node ids of every gate input that a live gate's table reads
    (constant nodes left out: they are literals in the RTL)."""
    net = analysis.netlist
    gates = analysis.live_gates
    consumers, producers = [], []
    for k, reads in ((0, analysis.reads_a), (1, analysis.reads_b)):
        m = reads[gates]
        consumers.append(gates[m] + net.first_gate)
        producers.append(net.fanin[gates[m], k].astype(np.int64))
    cons, prod = np.concatenate(consumers), np.concatenate(producers)
    keep = prod > CONST1
    return cons[keep], prod[keep]


def _chunks(plan: VerilogPlan, cons: np.ndarray, prod: np.ndarray, chunk_size: int) -> list[Chunk]:
    """Gates of each band in chunks of ``chunk_size``, with the wires that cross chunks."""
    net = plan.analysis.netlist
    nodes = plan.gate_nodes
    chunk_of = np.full(net.num_nodes, -1, dtype=np.int64)
    chunks: list[Chunk] = []
    for b in range(plan.num_bands):
        in_band = nodes[plan.band[nodes] == b]
        for c, start in enumerate(range(0, len(in_band), chunk_size)):
            part = in_band[start : start + chunk_size]
            chunk_of[part] = len(chunks)
            chunks.append(Chunk(b, c, part))
    crossing = chunk_of[prod] != chunk_of[cons]
    exported = np.zeros(net.num_nodes, dtype=bool)
    exported[prod[crossing]] = True
    exported[net.outputs[net.outputs > CONST1]] = True
    inputs: list[set] = [set() for _ in chunks]
    for c_node, p_node in zip(cons[crossing].tolist(), prod[crossing].tolist()):
        inputs[chunk_of[c_node]].add(p_node)
    for chunk, ins in zip(chunks, inputs):
        chunk.inputs = sorted(ins)
        chunk.outputs = [int(v) for v in chunk.nodes if exported[v]]
    return chunks


def _last_reader(plan: VerilogPlan, cons: np.ndarray, prod: np.ndarray) -> np.ndarray:
    """``(num_nodes,)`` last stage that reads each node (-1: none); the nodes the head reads are
    read by the popcount stage."""
    net = plan.analysis.netlist
    last = np.full(net.num_nodes, -1, dtype=np.int64)
    np.maximum.at(last, prod, plan.band[cons])
    outs = plan.reads[plan.reads > CONST1]
    last[outs] = np.maximum(last[outs], plan.out_stage)
    return last


def _crossings(plan: VerilogPlan, last: np.ndarray) -> list[np.ndarray]:
    """Per band ``b``: nodes produced in band ``b`` or earlier that a later stage reads."""
    ids = np.arange(plan.analysis.netlist.num_nodes)
    return [np.flatnonzero((plan.band <= b) & (last > b) & (ids > CONST1)) for b in range(plan.num_bands)]
