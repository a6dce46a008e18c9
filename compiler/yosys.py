"""Area and depth report of an emitted design by Yosys: generic gate cells, 6-LUTs, LUT levels.

Yosys runs in a temporary folder on staged copies of the design files and writes its figures to
fixed names there, so no path of the caller is ever parsed as part of a Yosys script.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

from .lint import require_tool, stage_files
from .names import check_design_name


def _stat(path: Path, top: str) -> dict:
    data = json.loads(path.read_text())
    mods: dict = data.get("modules", {})
    return mods.get(f"\\{top}") or mods.get(top) or next(iter(mods.values()), {})


def yosys_report(design, lut_size: int = 6, timeout: float = 1800) -> dict:
    """Synthesize ``design`` (flattened) with Yosys and report its size.

    Returns ``cells`` (generic gate cells after ``synth``, flip-flops included), ``cell_types``,
    ``flip_flops``, ``luts`` (``lut_size``-input LUTs after ``abc -fast -lut``; ABC's full script
    runs for minutes on the popcount trees of trained nets), ``lut_depth`` (LUT levels of the
    longest register-to-register path, from ``ltp -noff``) and ``seconds``.
    """
    yosys = require_tool("yosys")
    top = check_design_name(design.top)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ldlgn_yosys_") as tmp:
        files = " ".join(stage_files(design.files, Path(tmp)))
        # fixed file names inside the temporary folder: no path of the caller enters the script
        script = (
            f"read_verilog {files}; hierarchy -check -top {top}; "
            f"synth -flatten -top {top}; tee -q -o gates.json stat -json; "
            f"abc -fast -lut {int(lut_size)}; opt_clean; tee -q -o luts.json stat -json; "
            "tee -q -o ltp.txt ltp -noff"
        )
        p = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True, timeout=timeout, cwd=tmp)
        if p.returncode:
            raise RuntimeError(f"yosys failed on {top}: {(p.stdout + p.stderr)[-2000:]}")
        g, lut = _stat(Path(tmp) / "gates.json", top), _stat(Path(tmp) / "luts.json", top)
        m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", (Path(tmp) / "ltp.txt").read_text())
    gate_types = g.get("num_cells_by_type", {})
    lut_types = lut.get("num_cells_by_type", {})
    ffs = sum(n for t, n in gate_types.items() if "DFF" in t.upper())
    return {
        "cells": int(g.get("num_cells", 0)),
        "cell_types": dict(gate_types),
        "flip_flops": int(ffs),
        "luts": int(sum(n for t, n in lut_types.items() if t == "$lut")),
        "lut_depth": int(m.group(1)) if m else None,
        "seconds": time.perf_counter() - t0,
    }
