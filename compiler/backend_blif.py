"""The BLIF back end: the gate netlist as one ``.names`` cover per live gate (docs/formal.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .analysis import Analysis
from .backends import Emitted, register_backend
from .blif import blif_text
from .fileio import write_text
from .netlist import Netlist


class BlifBackend:
    name = "blif"
    help = "BLIF of the gate netlist (comparators in, output slots out) for ABC, Yosys and other logic tools"
    folder = "blif"

    def options(self) -> dict[str, Any]:
        return {}

    def emit(self, netlist: Netlist, out_dir: Path, name: str, analysis: Analysis, **options: Any) -> Emitted:
        path = write_text(out_dir / f"{name}.blif", blif_text(netlist, name, analysis))
        section = {"inputs": netlist.num_inputs, "outputs": int(netlist.outputs.size)}
        return Emitted([path], analysis.num_live_gates, section)

    def emit_lut(self, netlist: Any, out_dir: Path, name: str, analysis: Any, **options: Any) -> Emitted:
        """The same artifacts for a LUT netlist (gates of up to six inputs, docs/n-input-gates.md)."""
        from . import lut_backends

        return lut_backends.emit_blif(netlist, out_dir, name, analysis, **options)


register_backend(BlifBackend())
