"""The C back end: bit-sliced C sources plus the shared library built from exactly those sources."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from .analysis import Analysis
from .backends import Emitted, register_backend
from .c_build import compile_library
from .c_emit import emit_c
from .netlist import Netlist

log = logging.getLogger(__name__)

LIB_DIR = "lib"  #: sub-folder of the C folder that holds the compiled library


class CBackend:
    name = "c"
    help = "bit-sliced C sources and a shared library built from them"
    folder = "c"

    def options(self) -> dict[str, Any]:
        return {"vector_bits": None}

    def emit(self, netlist: Netlist, out_dir: Path, name: str, analysis: Analysis, **options: Any) -> Emitted:
        src = emit_c(netlist, out_dir, name, analysis=analysis)
        t0 = time.perf_counter()
        lib = compile_library(out_dir, name, out_dir / LIB_DIR, vector_bits=options.get("vector_bits"))
        seconds = time.perf_counter() - t0
        log.info("C: %d files in %s, library built in %.2f s", len(src.files), out_dir, seconds)
        return Emitted([*src.files, lib], src.num_gates, {"build_seconds": round(seconds, 3)})

    def emit_lut(self, netlist: Any, out_dir: Path, name: str, analysis: Any, **options: Any) -> Emitted:
        """The same artifacts for a LUT netlist (gates of up to six inputs, docs/n-input-gates.md)."""
        from . import lut_backends

        return lut_backends.emit_c(netlist, out_dir, name, analysis, **options)


register_backend(CBackend())
