"""Bit-sliced C of a LUT netlist: each gate decomposed into two-input word operations.

A word-parallel engine cannot index a table per sample, so every LUT becomes a small two-input
circuit (:mod:`ldlgn.compiler.lut_decompose`: per gate the smaller of a shared Shannon multiplexer
tree and an irredundant sum of products); the result is optimized by the two-input passes, which also share
equal subcircuits across gates, and emitted by the two-input C emitter. The sources, the library
and its C API are therefore exactly those of a two-input build (docs/engines.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

from .analysis import analyze
from .c_emit import CSources, emit_c
from .lut_decompose import decompose
from .lut_netlist import LutNetlist
from .netlist import Netlist
from .passes import optimize

log = logging.getLogger(__name__)

#: the decomposition the C back end uses. bench/lut_infer.py measures all of them: on a trained
#: six-input digits net "best" left the fewest word operations and ran fastest (docs/n-input-gates.md).
DEFAULT_DECOMPOSITION = "best"


def lut_to_words(netlist: LutNetlist, method: str = DEFAULT_DECOMPOSITION) -> Netlist:
    """The optimized two-input netlist that computes ``netlist``'s outputs word by word."""
    two, _ = optimize(decompose(netlist, method))
    log.info("C: %d LUT gates as %d two-input operations (%s)", netlist.num_gates, two.num_gates, method)
    return two


def emit_lut_c(
    netlist: LutNetlist, out_dir: str | Path, name: str = "net", method: str = DEFAULT_DECOMPOSITION
) -> tuple[CSources, Netlist]:
    """Write the C sources of ``netlist`` into ``out_dir``; also return the two-input netlist emitted."""
    two = lut_to_words(netlist, method)
    return emit_c(two, out_dir, name, analysis=analyze(two)), two
