"""The schema of a build folder's ``report.json`` (docs/report.md), and its reader and writer.

The report is plain JSON; these TypedDicts let mypy check every key the code reads or writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

from .fileio import write_json

REPORT = "report.json"
FORMAT = "ldlgn-build"
VERSION = 2

#: one run of one pass (``"pass"`` is the pass's registered name)
PassRecord = TypedDict(
    "PassRecord", {"pass": str, "round": int, "gates_before": int, "gates_after": int, "seconds": float}
)


class YosysSection(TypedDict):
    """Generic synthesis figures of the Verilog design."""

    cells: int
    cell_types: dict[str, int]
    flip_flops: int
    luts: int
    lut_depth: int | None
    seconds: float


class CSection(TypedDict):
    """The C back end's part: sources, emitted gates, library build time and word width."""

    files: list[str]
    gates: int
    build_seconds: float
    vector_bits: int


class VerilogSection(TypedDict, total=False):
    """The Verilog back end's part (``yosys`` only when the area report ran)."""

    files: list[str]
    gates: int
    top: str
    pipeline_every: int | str | None  #: logic levels per stage, "auto" or None
    latency_cycles: int
    stage_levels: float | None  #: LUT levels per stage with "auto"
    head: dict[str, Any]  #: popcount, argmax, folding, counted bits, registers of the head
    lint: dict[str, str]
    yosys: YosysSection


class BlifSection(TypedDict):
    """The BLIF back end's part (docs/formal.md)."""

    files: list[str]
    gates: int
    inputs: int  #: comparators (every primary input, constant ones unused)
    outputs: int  #: output slots


class AigerSection(TypedDict, total=False):
    """The AIGER back end's part (``design_ands`` only with ``design=True``)."""

    files: list[str]
    gates: int
    inputs: int
    outputs: int
    ands: int  #: AND nodes of the netlist's AIG
    design_ands: int  #: AND nodes of the whole design's AIG (x to class)


class Backends(TypedDict, total=False):
    c: CSection
    verilog: VerilogSection
    blif: BlifSection
    aiger: AigerSection


class AbcSection(TypedDict):
    """``ldlgn compile --abc``: the ABC script's result next to ldlgn's passes (docs/formal.md)."""

    script: str
    gates_before: int
    gates_after: int
    depth_before: int
    depth_after: int
    lut6_before: int
    lut6_after: int
    proved: bool  #: ABC's result proved equal to the netlist for every input
    proof_seconds: float
    kept: str  #: "abc" (proved and smaller) or "ldlgn"
    seconds: float


class FormalProof(TypedDict):
    """One proof of ``ldlgn verify --formal`` (``verify.json``, section ``formal.proofs``)."""

    property: str  #: "a", "b" or "c"
    status: str  #: "proved", "failed" or "unknown"
    seconds: float
    engine: str
    outputs: int
    failing: str
    counterexample: dict[str, int] | None
    detail: str


class SynthSection(TypedDict, total=False):
    """FPGA figures of the Verilog design for one target, written by ``ldlgn synth``
    (``compiler/synth.py``): cells of the design itself, Fmax of the placed and routed harness."""

    target: str
    device: str
    luts: int  #: LUT cells (4- or 6-input, ``lut_inputs``)
    lut_inputs: int
    comb_cells: int  #: LUT equivalents: LUTs plus two per ECP5 carry cell (CCU2C)
    flip_flops: int
    carry_cells: int
    mux_cells: int
    luts_by_part: dict[str, int]  #: encoder, logic, popcount, argmax (LUT equivalents)
    counted_bits: int | None
    popcount_luts_per_counted_bit: float | None
    lut_depth: int | None  #: LUT levels of the longest path (``lut6`` only)
    clock_mhz: float | None
    fmax_mhz: float | None
    timing_met: bool | None
    latency_cycles: int
    latency_ns: float | None
    throughput_samples_per_s: float | None
    tools: dict[str, str]
    seconds: dict[str, float]


class _BuildReportRequired(TypedDict):
    """The fields every build report has."""

    format: str
    version: int
    name: str
    source: str  #: the checkpoint or netlist file the build was made from
    features: int
    inputs: int
    input_bits: int
    classes: int
    gates_raw: int
    gates_opt: int
    depth: int
    max_fanout: int
    passes: list[PassRecord]
    backends: Backends
    manifest: dict[str, str]  #: SHA-256 of every artifact, by path relative to the build folder


class BuildReport(_BuildReportRequired, total=False):
    """Everything ``ldlgn compile`` records about a build, and what ``ldlgn synth`` adds."""

    synth: dict[str, SynthSection]  #: by FPGA target
    abc: AbcSection  #: with ``ldlgn compile --abc``
    gate_arity: dict[str, dict[str, int]]  #: LUT builds: gates per arity, ``raw`` and ``opt``


_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "version": int,
    "name": str,
    "source": str,
    "features": int,
    "inputs": int,
    "input_bits": int,
    "classes": int,
    "gates_raw": int,
    "gates_opt": int,
    "depth": int,
    "max_fanout": int,
    "passes": list,
    "backends": dict,
    "manifest": dict,
}


def build_report(
    net: Any, raw_gates: int, name: str, source: str | None, depth: int, max_fanout: int, passes: list, backends: dict
) -> BuildReport:
    """The sections every build shares, for the optimized ``net`` (two-input or LUT netlist); the
    caller adds the manifest and its own sections."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "source": source,
        "features": net.num_features,
        "inputs": net.num_inputs,
        "input_bits": net.input_bits,
        "classes": net.num_classes,
        "gates_raw": raw_gates,
        "gates_opt": net.num_gates,
        "depth": depth,
        "max_fanout": max_fanout,
        "passes": [{**p, "seconds": round(p["seconds"], 4)} for p in passes],
        "backends": backends,
    }  # type: ignore[typeddict-item]


def write_report(build_dir: Path | str, report: BuildReport) -> Path:
    """Write ``report.json`` atomically."""
    return write_json(Path(build_dir) / REPORT, report)


def check_report(data: Any, path: Path | str) -> BuildReport:
    """``data`` as a :class:`BuildReport`, or a ``ValueError`` naming the first missing or wrong key."""
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a build report (a JSON object is expected)")
    if data.get("format") != FORMAT:
        raise ValueError(
            f"{path} is not an ldlgn build report (format {data.get('format')!r}); compile again with `ldlgn compile`"
        )
    if data.get("version") != VERSION:
        raise ValueError(
            f"{path} has report version {data.get('version')!r}, this ldlgn reads {VERSION}; compile again"
        )
    for key, kind in _REQUIRED.items():
        value = data.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{path}: field {key!r} is missing or not of type {getattr(kind, '__name__', kind)}")
    return data  # type: ignore[return-value]


def read_report(build_dir: Path | str) -> BuildReport:
    """The ``report.json`` of a build folder, with a clear error when it is missing or corrupt."""
    path = Path(build_dir) / REPORT
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `ldlgn compile MODEL --out {build_dir}` first")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is corrupt: {err}") from None
    return check_report(data, path)
