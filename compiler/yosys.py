"""Area and depth report of an emitted design by Yosys: generic gate cells, 6-LUTs, LUT levels."""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

from .lint import require_tool


def _stat(path: Path, top: str) -> dict:
    data = json.loads(path.read_text())
    mods = data.get("modules", {})
    mod = mods.get(f"\\{top}") or mods.get(top) or next(iter(mods.values()), {})
    return mod


def yosys_report(design, lut_size: int = 6, timeout: float = 1800) -> dict:
    """Synthesize ``design`` (flattened) with Yosys and report its size.

    Returns ``cells`` (generic gate cells after ``synth``, flip-flops included), ``cell_types``,
    ``flip_flops``, ``luts`` (``lut_size``-input LUTs after ``abc -fast -lut``; ABC's full script
    runs for minutes on the popcount trees of trained nets), ``lut_depth`` (LUT levels of the
    longest register-to-register path, from ``ltp -noff``) and ``seconds``.
    """
    yosys = require_tool("yosys")
    files = " ".join(str(Path(f).resolve()) for f in design.files)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ldlgn_yosys_") as tmp:
        gates, luts, ltp = Path(tmp) / "gates.json", Path(tmp) / "luts.json", Path(tmp) / "ltp.txt"
        script = (f"read_verilog {files}; hierarchy -check -top {design.top}; "
                  f"synth -flatten -top {design.top}; tee -q -o {gates} stat -json; "
                  f"abc -fast -lut {int(lut_size)}; opt_clean; tee -q -o {luts} stat -json; tee -q -o {ltp} ltp -noff")
        p = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True, timeout=timeout)
        if p.returncode:
            raise RuntimeError(f"yosys failed on {design.top}: {(p.stdout + p.stderr)[-2000:]}")
        g, lut = _stat(gates, design.top), _stat(luts, design.top)
        m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", ltp.read_text())
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
