"""Fixed-structure parts of the Verilog back end: popcount, argmax, valid pipe, register banks.

The popcount is generated (not a template) so that its inputs are scalar ports: Icarus then
links each output wire of the core straight into the adder tree. Feeding a wide vector and
selecting single bits from it would re-evaluate every bit select on every change of the vector.
"""

from __future__ import annotations

from importlib import resources

REGISTER_WORD = 64  #: bits per register word of the pipeline banks
#: fixed modules shipped in ``ldlgn.rtl_templates`` and copied next to every design.
TEMPLATES = ("ldlgn_argmax.v", "ldlgn_valid_pipe.v")


def template_text(name: str) -> str:
    """Text of one Verilog template from the package data."""
    return resources.files("ldlgn.rtl_templates").joinpath(name).read_text(encoding="utf-8")


def score_width(group_size: int) -> int:
    """Bits of a popcount of ``group_size`` bits (at least 1)."""
    return max(1, int(group_size).bit_length())


def class_width(num_classes: int) -> int:
    """Bits of a class index in ``0 … num_classes-1`` (at least 1)."""
    return max(1, (int(num_classes) - 1).bit_length())


def argmax_leaves(num_classes: int) -> int:
    """Leaves of the comparator tree: the power of two ≥ ``num_classes``."""
    return 1 << (int(num_classes) - 1).bit_length()


def _zext(name: str, width: int, target: int) -> str:
    """``name`` (``width`` bits) zero-extended to ``target`` bits."""
    pad = target - width
    if pad == 0:
        return name
    zeros = "1'b0" if pad == 1 else f"{{{pad}{{1'b0}}}}"
    return f"{{{zeros}, {name}}}"


def popcount_module(module: str, n: int) -> str:
    """Module ``module`` counting the ones among scalar inputs ``b0 … b{n-1}``.

    A balanced tree of adders whose every node is exactly as wide as its largest count, so no
    sum can overflow and no bit is wider than needed.
    """
    if n < 1:
        raise ValueError("a popcount needs at least one input")
    width = score_width(n)
    ports = [f"    input  wire b{i}," for i in range(n)]
    ports.append(f"    output wire [{width - 1}:0] count")
    body = []
    nodes = [(f"b{i}", 1) for i in range(n)]  # (signal, largest count it can hold)
    t = 0
    while len(nodes) > 1:
        nxt = []
        for (a, ca), (b, cb) in zip(nodes[0::2], nodes[1::2]):
            w = score_width(ca + cb)
            body.append(f"    wire [{w - 1}:0] t{t} = {_zext(a, score_width(ca), w)} + {_zext(b, score_width(cb), w)};")
            nxt.append((f"t{t}", ca + cb))
            t += 1
        if len(nodes) % 2:
            nxt.append(nodes[-1])
        nodes = nxt
    last, count = nodes[0]
    body.append(f"    assign count = {_zext(last, score_width(count), width)};")
    return "\n".join([f"// population count of {n} bits", f"module {module} (", *ports, ");", *body, "endmodule", ""])


def argmax_instance(instance: str, num_classes: int, swidth: int, scores: str, class_out: str) -> str:
    """Instance of the ``ldlgn_argmax`` template (ties go to the lowest class index)."""
    return (
        f"    ldlgn_argmax #(.K({num_classes}), .W({swidth}), .CW({class_width(num_classes)}), "
        f".LEAVES({argmax_leaves(num_classes)}))\n"
        f"        {instance} (.scores({scores}), .class_out({class_out}));"
    )


def valid_pipe_instance(instance: str, latency: int) -> str:
    """Instance of the ``ldlgn_valid_pipe`` template (valid_in delayed by ``latency`` cycles)."""
    return (
        f"    ldlgn_valid_pipe #(.L({latency})) {instance} "
        f"(.clk(clk), .rst(rst), .valid_in(valid_in), .valid_out(valid_out));"
    )


def register_module(module: str, nodes: list, word: int = REGISTER_WORD) -> str:
    """D flip-flops ``q<v> <= n<v>`` for ``nodes``, grouped into words of ``word`` bits.

    One non-blocking assignment per word instead of per bit keeps simulation fast; the bits
    leave the module as scalar ports again.
    """
    lines = [f"module {module} ("]
    decl = ["    input  wire clk"] + [f"    input  wire n{v}" for v in nodes]
    decl += [f"    output wire q{v}" for v in nodes]
    lines += [d + "," for d in decl[:-1]] + [decl[-1], ");"]
    words = [nodes[i : i + word] for i in range(0, len(nodes), word)]
    for w, bits in enumerate(words):
        lines.append(f"    reg [{len(bits) - 1}:0] r{w};")
    lines.append("    always @(posedge clk) begin")
    for w, bits in enumerate(words):
        lines.append(f"        r{w} <= {{{', '.join(f'n{v}' for v in reversed(bits))}}};")
    lines.append("    end")
    for w, bits in enumerate(words):
        lines += [f"    assign q{v} = r{w}[{i}];" for i, v in enumerate(bits)]
    return "\n".join(lines + ["endmodule", ""])
