"""The AIGER back end: the gate netlist as a binary And-Inverter Graph (docs/formal.md).

``<name>.aig`` has one input per comparator (``n<id>``, constant comparators unused) and one
output per output slot (``o<j>``). With ``design=True`` the whole combinational design (raw
inputs ``x`` through encoder, logic, popcount and argmax to ``scores`` and ``class_out``) is
also written as ``<name>_design.aig``, synthesized from the emitted Verilog by Yosys.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .aig import cone, netlist_to_aig
from .aiger import write_aiger
from .analysis import Analysis
from .backends import Emitted, register_backend
from .netlist import Netlist


class AigerBackend:
    name = "aiger"
    help = "binary AIGER of the gate netlist; design=True adds the whole design (x to class) via Yosys"
    folder = "aiger"

    def options(self) -> dict[str, Any]:
        return {"design": False}

    def emit(self, netlist: Netlist, out_dir: Path, name: str, analysis: Analysis, **options: Any) -> Emitted:
        aig = netlist_to_aig(netlist, analysis)
        files = [write_aiger(aig, out_dir / f"{name}.aig", f"ldlgn netlist {name}")]
        section: dict[str, Any] = {"inputs": aig.num_inputs, "outputs": int(aig.outputs.size), "ands": aig.num_ands}
        if options.get("design"):
            whole = _design_aig(netlist, name, analysis)
            files.append(write_aiger(whole, out_dir / f"{name}_design.aig", f"ldlgn design {name}"))
            section["design_ands"] = whole.num_ands
        return Emitted(files, analysis.num_live_gates, section)


def _design_aig(netlist: Netlist, name: str, analysis: Analysis):
    """The combinational design's ports only (``x`` in, ``scores`` and ``class_out`` out)."""
    from .formal_synth import design_aig
    from .verilog import emit_verilog

    with tempfile.TemporaryDirectory(prefix="ldlgn_aiger_") as tmp:
        design = emit_verilog(netlist, Path(tmp), name, analysis=analysis)
        aig, _ = design_aig(design, wires="none")
    keep = [k for k, n in enumerate(aig.output_names) if n.startswith(("scores[", "class_out["))]
    return cone(aig, aig.outputs[keep], [aig.output_names[k] for k in keep])


register_backend(AigerBackend())
