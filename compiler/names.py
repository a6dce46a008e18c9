"""Design names: one rule for every back end, checked before anything is written.

The name becomes the Verilog top module, the prefix of the other generated modules and files,
and part of the C symbols and file names. A name that is a keyword, clashes with the fixed
Verilog templates or equals a signal of the top module would give RTL that only a later tool
rejects (or, for a template name, RTL that overwrites a template and still lints clean), so
such names are refused up front.
"""

from __future__ import annotations

import re

#: prefix of the fixed Verilog templates (``ldlgn_argmax``, ``ldlgn_valid_pipe``) and C symbols
RESERVED_PREFIX = "ldlgn_"
#: longest accepted name: file names such as ``<name>_popcount.v`` must stay well under 255 bytes
MAX_LENGTH = 128

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: IEEE 1364-2005 (Verilog) reserved words
VERILOG_KEYWORDS = _words("""
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign
default defparam design disable edge else end endcase endconfig endfunction endgenerate
endmodule endprimitive endspecify endtable endtask event for force forever fork function
generate genvar highz0 highz1 if ifnone incdir include initial inout input instance integer join
large liblist library localparam macromodule medium module nand negedge nmos nor noshowcancelled
not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1 pulldown pullup
pulsestyle_ondetect pulsestyle_onevent rcmos real realtime reg release repeat rnmos rpmos rtran
rtranif0 rtranif1 scalared showcancelled signed small specify specparam strong0 strong1 supply0
supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use
uwire vectored wait wand weak0 weak1 while wire wor xnor xor
""")

#: reserved words that IEEE 1800-2017 (SystemVerilog) adds; Verilator reads ``.v`` files as SystemVerilog
SYSTEMVERILOG_KEYWORDS = _words("""
accept_on alias always_comb always_ff always_latch assert assume before bind bins binsof bit
break byte chandle checker class clocking const constraint context continue cover covergroup
coverpoint cross dist do endchecker endclass endclocking endgroup endinterface endpackage
endprogram endproperty endsequence enum eventually expect export extends extern final
first_match foreach forkjoin global iff ignore_bins illegal_bins implements implies import
inside int interconnect interface intersect join_any join_none let local logic longint matches
modport nettype new nexttime null package packed priority program property protected pure rand
randc randcase randsequence ref reject_on restrict return s_always s_eventually s_nexttime
s_until s_until_with sequence shortint shortreal soft solve static string strong struct super
sync_accept_on sync_reject_on tagged this throughout timeprecision timeunit type typedef union
unique unique0 until until_with untyped var virtual void wait_order weak wildcard with within
""")

#: C keywords up to C23
C_KEYWORDS = _words("""
auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union
unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary
_Noreturn _Static_assert _Thread_local alignas alignof bool constexpr false nullptr
static_assert thread_local true typeof typeof_unqual _BitInt _Decimal32 _Decimal64 _Decimal128
""")

#: ports of the Verilog top module (both variants)
TOP_PORTS = frozenset(["x", "scores", "class_out", "clk", "rst", "valid_in", "valid_out"])
#: the other identifiers declared in the top module (a signal named like the module is an error
#: for Verilator): comparator wires, features, registered copies, scores, pipeline registers and
#: instance names
_TOP_SIGNAL = re.compile(r"(n\d+|f\d+|s\d+_n\d+|score\d+|scores_s\d+|class_s\d+|u_\w*)\Z")


def check_design_name(name: str) -> str:
    """Return ``name`` if it can name a design for every back end, else raise ``ValueError``.

    A name must be a C and Verilog identifier of at most :data:`MAX_LENGTH` characters, no
    Verilog, SystemVerilog or C keyword, must not start with :data:`RESERVED_PREFIX` and must
    not equal a port or internal signal of the Verilog top module.
    """
    if not isinstance(name, str):
        raise ValueError(f"design name must be a string, got {type(name).__name__}")
    if not _IDENT.match(name):
        raise ValueError(
            f"design name {name!r} is not a C identifier / Verilog identifier "
            "(letters, digits and _, not starting with a digit)"
        )
    if len(name) > MAX_LENGTH:
        raise ValueError(f"design name is {len(name)} characters long; at most {MAX_LENGTH} are allowed")
    for words, language in (
        (VERILOG_KEYWORDS, "Verilog"),
        (SYSTEMVERILOG_KEYWORDS, "SystemVerilog"),
        (C_KEYWORDS, "C"),
    ):
        if name in words:
            raise ValueError(
                f"design name {name!r} is a {language} keyword, not usable as a Verilog identifier or C identifier"
            )
    if name.startswith(RESERVED_PREFIX):
        raise ValueError(
            f"design name {name!r} starts with {RESERVED_PREFIX!r}, "
            "the prefix reserved for the fixed Verilog templates and C symbols"
        )
    if name in TOP_PORTS or _TOP_SIGNAL.match(name):
        raise ValueError(f"design name {name!r} equals a port or signal name of the Verilog top module")
    return name
