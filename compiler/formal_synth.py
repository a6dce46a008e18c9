"""The emitted Verilog as one AIG, by Yosys, with its node wires as extra outputs.

Yosys reads the design files as they are on disk (staged under safe names in a temporary
folder, like the lint), flattens the design and makes every register transparent (``Q = D``):
the pipelined design then computes, combinationally, what its data path computes over the
cycles, which is what "the pipelined design's logic" means in docs/formal.md. Every top-level
wire ``n<id>`` (netlist node ``id``, the naming contract of docs/engines.md) is exposed as an
extra output ``n<id>[0]`` next to the ports ``scores`` and ``class_out``; the proofs cut the
AIG at those outputs' nodes (:mod:`ldlgn.compiler.formal_rtl`). Cutting in the AIG rather than
with ``expose -cut`` keeps the cut exact: Yosys's own cut loses the driver of a wire that is
an alias of a flattened module's port.
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from .aig import Aig
from .aiger import AigerError, read_aiger
from .lint import require_tool, stage_files
from .names import check_design_name

log = logging.getLogger(__name__)

#: registers become wires: the proof is about the logic between them
TRANSPARENT_FF = """\
(* techmap_celltype = "$dff" *)
module ldlgn_transparent_dff (CLK, D, Q);
    parameter WIDTH = 1;
    parameter CLK_POLARITY = 1'b1;
    input CLK;
    input [WIDTH-1:0] D;
    output [WIDTH-1:0] Q;
    assign Q = D;
endmodule

(* techmap_celltype = "$adff" *)
module ldlgn_transparent_adff (CLK, ARST, D, Q);
    parameter WIDTH = 1;
    parameter CLK_POLARITY = 1'b1;
    parameter ARST_POLARITY = 1'b1;
    parameter ARST_VALUE = 0;
    input CLK, ARST;
    input [WIDTH-1:0] D;
    output [WIDTH-1:0] Q;
    assign Q = D;
endmodule
"""

NODE_WIRE = re.compile(r"n(\d+)\Z")


#: ``+`` as a ripple of full adders (sum = XOR of three, carry = majority of the same three): the
#: arithmetic proof of the popcount finds them (:mod:`ldlgn.compiler.acec`); Yosys's own map
#: builds a parallel-prefix carry network instead. Proved equal to Yosys's map in the tests.
RIPPLE_ADD = """\
(* techmap_celltype = "$add" *)
module ldlgn_ripple_add (A, B, Y);
    parameter A_SIGNED = 0;
    parameter B_SIGNED = 0;
    parameter A_WIDTH = 1;
    parameter B_WIDTH = 1;
    parameter Y_WIDTH = 1;
    input [A_WIDTH-1:0] A;
    input [B_WIDTH-1:0] B;
    output [Y_WIDTH-1:0] Y;
    wire [Y_WIDTH-1:0] a, b;
    wire [Y_WIDTH:0] c;
    \\$pos #(.A_SIGNED(A_SIGNED), .A_WIDTH(A_WIDTH), .Y_WIDTH(Y_WIDTH)) extend_a (.A(A), .Y(a));
    \\$pos #(.A_SIGNED(B_SIGNED), .A_WIDTH(B_WIDTH), .Y_WIDTH(Y_WIDTH)) extend_b (.A(B), .Y(b));
    assign c[0] = 1'b0;
    genvar i;
    generate
        for (i = 0; i < Y_WIDTH; i = i + 1) begin : bit
            assign Y[i] = a[i] ^ b[i] ^ c[i];
            assign c[i + 1] = (a[i] & b[i]) | (a[i] & c[i]) | (b[i] & c[i]);
        end
    endgenerate
endmodule
"""


def _bit_name(symbol: str) -> str:
    """``port[bit]`` for an AIGER symbol (Yosys leaves ``[0]`` off one-bit wires)."""
    return symbol if symbol.endswith("]") else f"{symbol}[0]"


def _named(aig: Aig, map_text: str) -> Aig:
    """The AIG with inputs and outputs named ``port[bit]``.

    The names come from Yosys's ``write_aiger -map`` file, which lists every port bit that
    shares one AIGER output under that output's index, but leaves out outputs driven by a
    constant; those keep their name from the symbol table. Each name becomes an output."""
    aig.input_names = [_bit_name(n) for n in aig.input_names]
    listed: dict[int, list[str]] = {}
    for line in map_text.splitlines():
        parts = line.split()
        if len(parts) != 4 or not (parts[1].isdigit() and parts[2].isdigit()):
            continue
        k, name = int(parts[1]), f"{parts[3]}[{parts[2]}]"
        if parts[0] == "input" and k < aig.num_inputs:
            aig.input_names[k] = name
        elif parts[0] == "output" and k < aig.outputs.size:
            listed.setdefault(k, []).append(name)
    outputs: list[int] = []
    names: list[str] = []
    for k, lit in enumerate(aig.outputs.tolist()):
        for name in listed.get(k, [_bit_name(aig.output_names[k])]):
            outputs.append(lit)
            names.append(name)
    return Aig(aig.num_inputs, aig.ands, np.array(outputs, np.int64), aig.input_names, names)


#: which ``n<id>`` wires become outputs: the top module's, every module's (to find a gate) or none
WIRES = {"top": "w:n[0123456789]*", "all": "w:n[0123456789]* w:*.n[0123456789]*", "none": ""}


def _script(files: list[str], top: str, wires: str = "top") -> str:
    """The Yosys script: only staged file names, a checked top name and fixed file names."""
    return "\n".join(
        [
            f"read_verilog {' '.join(files)}",
            f"hierarchy -check -top {top}",
            "proc",
            "flatten",
            "techmap -map transparent_ff.v",
            # before any clean-up: a wire nothing reads would lose its driver
            f"expose {WIRES[wires]}" if WIRES[wires] else "",  # Yosys patterns know sets, not ranges
            "techmap -map ripple_add.v",
            "techmap",
            "aigmap",  # no clean-up or optimization: the proofs hash the AIG themselves, and it is faster
            "write_aiger -symbols -map design.map design.aig",
            "",
        ]
    )


def design_aig(design, timeout: float = 1800, wires: str = "top") -> tuple[Aig, float]:
    """``design`` (a :class:`~ldlgn.compiler.verilog.VerilogDesign`) as an AIG named by port bits,
    and the seconds Yosys took; ``wires="all"`` also exposes the node wires inside modules."""
    top = check_design_name(design.top)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ldlgn_formal_rtl_") as tmp:
        folder = Path(tmp)
        files = stage_files(design.files, folder)
        (folder / "transparent_ff.v").write_text(TRANSPARENT_FF, encoding="utf-8")
        (folder / "ripple_add.v").write_text(RIPPLE_ADD, encoding="utf-8")
        (folder / "dut.ys").write_text(_script(files, top, wires), encoding="utf-8")
        try:
            p = subprocess.run(
                [require_tool("yosys"), "-q", "-s", "dut.ys"], capture_output=True, text=True, cwd=tmp, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"yosys did not turn {top} into an AIG within {timeout:.0f} s") from None
        if p.returncode:
            raise RuntimeError(f"yosys failed on {top}: {(p.stdout + p.stderr)[-2000:]}")
        try:
            aig = _named(read_aiger(folder / "design.aig"), (folder / "design.map").read_text())
        except AigerError as e:
            raise RuntimeError(f"{top} keeps registers the proof cannot make transparent ({e})") from None
    seconds = time.perf_counter() - t0
    log.info("yosys: %s as an AIG of %d ANDs in %.2f s", top, aig.num_ands, seconds)
    return aig, seconds


def node_of_wire(name: str, inside: bool = False) -> int | None:
    """Node id of an output named ``n<id>[0]`` (with ``inside``, also ``<instance>.n<id>[0]``)."""
    if not name.endswith("[0]") or (not inside and "." in name):
        return None
    m = NODE_WIRE.match(name[:-3].rpartition(".")[2])
    return int(m.group(1)) if m else None
