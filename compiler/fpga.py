"""``ldlgn synth``: the FPGA flow on a build folder's Verilog, recorded in ``synth.json`` and
merged into ``report.json`` (section ``synth``, by target).

``synth.json`` is written after compile, like ``verify.json``, so it is not part of the build's
manifest; ``report.json`` is not part of it either, so merging leaves the manifest valid.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .fileio import write_json
from .report import SynthSection, read_report, write_report
from .synth import SYNTH_JSON, synthesize
from .verilog import VerilogDesign

log = logging.getLogger(__name__)

FORMAT = "ldlgn-synth"
VERSION = 1


def read_synth(build_dir: Path | str) -> dict[str, Any]:
    """The targets recorded in a build's ``synth.json`` (empty when there is none)."""
    path = Path(build_dir) / SYNTH_JSON
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is corrupt: {err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("targets"), dict):
        raise ValueError(f"{path} is not an ldlgn synthesis record; delete it and run `ldlgn synth` again")
    return data["targets"]


def synth_build(build_dir: Path | str, target: str, *, clock_mhz: float | None = None, seed: int = 1) -> dict[str, Any]:
    """Run the FPGA flow for ``target`` on the Verilog of ``build_dir``; record and return the figures."""
    build = Path(build_dir)
    report = read_report(build)
    if "verilog" not in report["backends"]:
        raise ValueError(f"{build} holds no Verilog: compile it with --verilog first")
    design = VerilogDesign.load(build / "verilog")
    log.info("synthesizing %s for %s", design.top, target)
    figures = synthesize(design, target, clock_mhz=clock_mhz, seed=seed)
    targets = read_synth(build)
    targets[target] = figures
    write_json(build / SYNTH_JSON, {"format": FORMAT, "version": VERSION, "targets": targets})
    section: SynthSection = {k: v for k, v in figures.items() if k in SynthSection.__annotations__}  # type: ignore[assignment]
    report.setdefault("synth", {})[target] = section
    write_report(build, report)
    fmax = f", Fmax {figures['fmax_mhz']} MHz" if figures.get("fmax_mhz") else ""
    log.info(
        "%s: %d LUTs, %d flip-flops%s, latency %d cycles",
        target,
        figures["luts"],
        figures["flip_flops"],
        fmax,
        figures["latency_cycles"],
    )
    return figures


def summary_rows(section: SynthSection) -> list[tuple[str, Any]]:
    """Rows ``ldlgn report`` prints for one target."""
    t = section.get("target", "")
    parts = section.get("luts_by_part") or {}
    rows: list[tuple[str, Any]] = [
        (
            f"{t} LUTs",
            f"{section.get('luts')} ({section.get('lut_inputs')}-input), {section.get('comb_cells')} LUT eq.",
        ),
        (f"{t} flip-flops", section.get("flip_flops")),
        (f"{t} carry / mux cells", f"{section.get('carry_cells')} / {section.get('mux_cells')}"),
        (f"{t} LUTs by part", ", ".join(f"{k} {v}" for k, v in parts.items())),
    ]
    if section.get("popcount_luts_per_counted_bit") is not None:
        rows.append((f"{t} popcount LUTs/bit", section["popcount_luts_per_counted_bit"]))
    if section.get("fmax_mhz") is not None:
        rows.append((f"{t} Fmax", f"{section['fmax_mhz']} MHz (constraint {section.get('clock_mhz')} MHz)"))
        rows.append((f"{t} latency", f"{section.get('latency_cycles')} cycles, {section.get('latency_ns')} ns"))
        rows.append((f"{t} throughput", f"{(section.get('throughput_samples_per_s') or 0) / 1e6:.1f} M samples/s"))
    elif section.get("lut_depth") is not None:
        rows.append((f"{t} LUT depth", section["lut_depth"]))
    return rows
