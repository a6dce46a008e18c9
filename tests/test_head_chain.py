"""The carry-chain popcount (``--popcount chain``): its segments count exactly, its CCU2C cells
(the ``LDLGN_ECP5`` branch) count exactly under Icarus with Yosys's own ECP5 cell models, and
a 200-bit class maps to at most 1.5 ECP5 LUT equivalents per counted bit."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ldlgn.compiler.head import ClassSum
from ldlgn.compiler.head_chain import Q_HIGH, Q_LOW, ROW, SEPARATOR, ChainHeap, Segment, chains
from ldlgn.compiler.verilog_head import popcount_module


def _ecp5_cells() -> Path | None:
    """Yosys's ECP5 simulation models, or None when Yosys is not installed."""
    config, yosys = shutil.which("yosys-config"), shutil.which("yosys")
    if config:
        share = Path(subprocess.run([config, "--datdir"], capture_output=True, text=True).stdout.strip())
    elif yosys:
        share = Path(yosys).resolve().parent.parent / "share" / "yosys"  # the install prefix's data
    else:
        return None
    return share / "ecp5" if (share / "ecp5" / "cells_sim.v").is_file() else None


def _carry_cell(init: int, a: int, b: int, c: int, d: int, cin: int) -> tuple[int, int]:
    """(sum, carry out) of one half of a CCU2C as the ECP5 cell model defines it."""
    p = init >> (a | b << 1 | c << 2 | d << 3) & 1
    g = init >> (a | b << 1) & 1
    return p ^ cin, cin if p else g


def test_carry_luts_add():
    """Each LUT kind adds what it claims, for every input and carry-in."""
    for a, b, c, d, cin in np.ndindex(2, 2, 2, 2, 2):
        s, co = _carry_cell(ROW, a, b, 0, 1, cin)
        assert s + 2 * co == a + b + cin
        s, co = _carry_cell(SEPARATOR, a, 0, 0, 1, cin)
        assert (s, co) == (cin, a)
        s0, c0 = _carry_cell(Q_LOW, a, b, c, d, cin)
        s1, c1 = _carry_cell(Q_HIGH, a, b, c, d, c0)
        assert s0 + 2 * s1 + 4 * c1 == a + b + c + d + cin


def _heap_value(heap: ChainHeap, bits: dict[str, int]) -> int:
    values = {**bits, "1'b1": 1, "1'b0": 0}
    for stage in heap.compress():
        for seg in stage:
            assert isinstance(seg, Segment)
            total = sum(values[b] << sh for b, sh in seg.value_terms)
            for k in range(seg.width):
                values[f"t{seg.index}[{k}]"] = total >> k & 1
    r0, r1 = heap.rows()
    return sum((values[a] + values[b]) << j for j, (a, b) in enumerate(zip(r0, r1)))


@pytest.mark.parametrize("n", [1, 3, 5, 8, 64, 200, 801])
def test_chain_heap_counts_exactly(n):
    rng = np.random.default_rng(n)
    weights = rng.integers(1, 4, size=n)
    width = int(weights.sum() + 2).bit_length()
    for trial in range(3):
        bits = rng.integers(0, 2, size=n) if trial else np.ones(n, int)
        heap = ChainHeap(width)
        for i, w in enumerate(weights.tolist()):
            heap.add(f"b{i}", w)
        heap.add_constant(2)
        got = _heap_value(heap, {f"b{i}": int(b) for i, b in enumerate(bits)})
        assert got % (1 << width) == int(bits @ weights) + 2


def test_chain_cost_per_bit():
    """A 200-bit column: at most 1.5 LUTs (CCU2C halves) per bit before the final adder."""
    heap = ChainHeap(8)
    for i in range(200):
        heap.add(f"b{i}", 1)
    halves = sum(len(c) for stage in heap.compress() for c in chains([s for s in stage if isinstance(s, Segment)]))
    assert halves / 200 <= 1.45, halves


def _testbench(n: int, width: int, x: np.ndarray, expected: np.ndarray) -> str:
    lines = [
        "module tb;",
        f"reg [{n - 1}:0] b; wire [{width - 1}:0] c; integer errors = 0;",
        "net_pop0 u (" + ", ".join(f".b{i}(b[{i}])" for i in range(n)) + ", .count(c));",
        "initial begin",
    ]
    for row, want in zip(x, expected.tolist()):
        bits = "".join(str(v) for v in row[::-1])
        lines.append(f"  b = {n}'b{bits}; #1; if (c !== {width}'d{want}) errors = errors + 1;")
    return "\n".join(lines + ['  $display("errors %0d", errors); $finish;', "end", "endmodule", ""])


@pytest.mark.parametrize("ecp5", [False, True], ids=["arithmetic", "ccu2c"])
def test_chain_rtl_counts_exactly(tmp_path, ecp5):
    """Both branches of a weighted 150-bit class under Icarus: the arithmetic one, and the CCU2C
    cells with Yosys's ECP5 simulation models (a wrong INIT is caught: see the last check)."""
    cells = _ecp5_cells()
    if not shutil.which("iverilog") or (ecp5 and cells is None):
        pytest.skip("needs iverilog and Yosys's ECP5 cell models")
    rng = np.random.default_rng(7)
    n, offset = 150, 3
    weights = rng.integers(1, 4, size=n)
    width = int(weights.sum() + offset).bit_length()
    text = popcount_module(
        "net", 0, ClassSum(offset, [(i, int(w)) for i, w in enumerate(weights)]), width, "chain", []
    ).text
    x = rng.integers(0, 2, size=(64, n))
    x[0], x[1] = 1, 0
    (tmp_path / "tb.v").write_text(_testbench(n, width, x, x @ weights + offset))

    def errors(pop: str) -> int:
        (tmp_path / "pop.v").write_text(pop)
        files = ["tb.v", "pop.v"]
        flags = ["-DLDLGN_ECP5", f"-I{cells}", str(cells / "cells_sim.v")] if ecp5 and cells else []
        subprocess.run(["iverilog", "-o", "sim", *flags, *files], cwd=tmp_path, check=True, capture_output=True)
        out = subprocess.run(["vvp", "sim"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
        m = re.search(r"errors (\d+)", out)
        assert m, out
        return int(m.group(1))

    assert ("CCU2C" in text) and errors(text) == 0
    if ecp5:
        assert errors(text.replace(f"16'h{Q_HIGH:04X}", f"16'h{Q_HIGH ^ 0x100:04X}")) > 0


def test_chain_maps_to_carry_cells(tmp_path):
    """synth_ecp5 keeps the cells: a 200-bit class costs at most 1.5 LUT equivalents per bit."""
    if not shutil.which("yosys"):
        pytest.skip("needs yosys")
    text = popcount_module("net", 0, ClassSum(0, [(i, 1) for i in range(200)]), 8, "chain", []).text
    (tmp_path / "pop.v").write_text(text)
    script = (
        "read_verilog -lib -specify +/ecp5/cells_sim.v +/ecp5/cells_bb.v; read_verilog -DLDLGN_ECP5 pop.v; "
        "synth_ecp5 -top net_pop0; tee -q -o stat.txt stat"
    )
    subprocess.run(["yosys", "-q", "-p", script], cwd=tmp_path, check=True, capture_output=True)
    stat = (tmp_path / "stat.txt").read_text()
    cells = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(\w+)\s+(\d+)\s*$", stat, flags=re.M)}
    luts = sum(n for t, n in cells.items() if t.startswith("LUT")) + 2 * cells.get("CCU2C", 0)
    assert cells.get("CCU2C", 0) > 100 and luts / 200 <= 1.5, cells
