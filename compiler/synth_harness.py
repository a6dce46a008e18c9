"""The harness a design is placed and routed in: registers on every input and output.

Out of context, a path from an input port to the first register (or from the last register to an
output port) is not timed, so a design's first and last stages would escape Fmax. The harness
``ldlgn_harness`` puts flip-flops before ``x`` and after ``scores``/``class_out``: every path of
the design runs between two registers, and a combinational design gets an Fmax too (one sample
per clock through the whole network). For a device with few pins (iCE40) the harness shifts
``x`` in one bit per clock and shifts the registered outputs out one bit per clock.
"""

from __future__ import annotations

HARNESS = "ldlgn_harness"  #: top module of the harness (the ldlgn_ prefix is reserved: no design has it)


def _dut(design, x: str, valid: str) -> list[str]:
    """The design's instance; its outputs on ``s``, ``c`` and (pipelined) ``v``."""
    pins = [f".x({x})", ".scores(s)", ".class_out(c)"]
    if design.pipelined:
        pins = [".clk(clk)", ".rst(rst)", f".valid_in({valid})", *pins, ".valid_out(v)"]
    lines = [
        f"    wire [{design.scores_width - 1}:0] s;",
        f"    wire [{design.class_width - 1}:0] c;",
        "    wire v;" if design.pipelined else f"    wire v = {valid};",
        f"    {design.top} u_dut ({', '.join(pins)});",
    ]
    return lines


def harness_module(design, serial: bool) -> str:
    """Text of ``ldlgn_harness`` around ``design`` (a :class:`~ldlgn.compiler.verilog.VerilogDesign`)."""
    xw, ow = design.x_width, design.scores_width + design.class_width
    if not serial:
        ports = [f"input wire [{xw - 1}:0] x", f"output reg [{ow - 1}:0] y"]
        load = "        xq <= x;"
        out = "        y <= {s, c};"
    else:
        ports = ["input wire din", "output wire dout"]
        load = "        xq <= " + ("din;" if xw == 1 else f"{{xq[{xw - 2}:0], din}};")
        shift = f"{{yq[{ow - 2}:0], 1'b0}}" if ow > 1 else "1'b0"
        out = f"        yq <= v ? {{s, c}} : {shift};"
    lines = [
        f"// placement harness: registered inputs and outputs around {design.top}",
        f"module {HARNESS} (",
        f"    input wire clk, input wire rst, input wire valid_in, {', '.join(ports)}, output reg valid_out",
        ");",
        f"    reg [{xw - 1}:0] xq;",
        "    reg vq;",
        *([f"    reg [{ow - 1}:0] yq;", f"    assign dout = yq[{ow - 1}];"] if serial else []),
        *_dut(design, "xq", "vq"),
        "    always @(posedge clk) begin",
        load,
        "        vq <= valid_in;",
        out,
        "        valid_out <= v;",
        "    end",
        "endmodule",
        "",
    ]
    return "\n".join(lines)
