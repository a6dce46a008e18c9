"""The one analysis of a LUT netlist that its passes and back ends read (as :mod:`.analysis`).

A LUT gate reads every pin below its arity: the support-reduction pass removes the inputs a
table ignores, so after the passes what a gate reads is exactly what its table depends on.
Liveness, levels and constant comparators are computed once; the attributes mirror
:class:`~ldlgn.compiler.analysis.Analysis`, so the Verilog planner, the encoder and the head
take a LUT netlist's analysis as they take a two-input one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit

from .analysis import constant_inputs
from .lut_netlist import LutNetlist
from .netlist import CONST0, CONST1, FIRST_INPUT
from .timing import lut_levels


@njit(cache=True)
def _liveness(fanin, arity, outputs, first):
    live = np.zeros(first + fanin.shape[0], np.bool_)
    for o in outputs:
        live[o] = True
    for g in range(fanin.shape[0] - 1, -1, -1):
        if live[first + g]:
            for j in range(arity[g]):
                live[fanin[g, j]] = True
    return live


@njit(cache=True)
def _levels(fanin, arity, first):
    lev = np.zeros(first + fanin.shape[0], np.int32)
    for g in range(fanin.shape[0]):
        deepest = 0
        for j in range(arity[g]):
            deepest = max(deepest, lev[fanin[g, j]])
        lev[first + g] = 1 + deepest
    return lev


@dataclass(frozen=True, eq=False)
class LutAnalysis:
    """Liveness, levels and constant nodes of one LUT netlist (computed on demand, once)."""

    netlist: LutNetlist

    @cached_property
    def const_value(self) -> np.ndarray:
        """``(num_nodes,)`` int8: 0/1 for the constant nodes and constant comparators, else -1."""
        v = np.full(self.netlist.num_nodes, -1, np.int8)
        v[CONST0], v[CONST1] = 0, 1
        v[FIRST_INPUT : self.netlist.first_gate] = constant_inputs(self.netlist)  # type: ignore[arg-type]
        return v

    @cached_property
    def live(self) -> np.ndarray:
        """``(num_nodes,)`` bool: some output depends on the node."""
        net = self.netlist
        return _liveness(net.fanin, net.arity, net.outputs, net.first_gate)

    @cached_property
    def level(self) -> np.ndarray:
        """``(num_nodes,)`` int32: 0 for constants and inputs, else 1 + the deepest input."""
        net = self.netlist
        return _levels(net.fanin, net.arity, net.first_gate)

    @cached_property
    def live_gates(self) -> np.ndarray:
        """Indices (not node ids) of the live gates, in topological order."""
        return np.flatnonzero(self.live[self.netlist.first_gate :])

    @cached_property
    def used_inputs(self) -> np.ndarray:
        """Indices of the primary inputs that are live and really compared (not constant)."""
        inputs = slice(FIRST_INPUT, self.netlist.first_gate)
        return np.flatnonzero(self.live[inputs] & (self.const_value[inputs] < 0))

    @property
    def depth(self) -> int:
        """Logic depth: the largest level of an output (0 for no outputs)."""
        return int(self.level[self.netlist.outputs].max(initial=0))

    @property
    def num_live_gates(self) -> int:
        return int(self.live_gates.size)

    @property
    def levels_per_logic_level(self) -> float:
        """Estimated LUT-4 levels of one level of gates (the pipeliner's unit, :mod:`.timing`):
        those of the widest gate, a tree of LUT-4 over its inputs."""
        return lut_levels(max(self.netlist.max_arity, 1))

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """``(consumer, producer)`` node ids of every pin of a live gate (constants left out)."""
        net = self.netlist
        gates = self.live_gates
        pins = np.arange(net.fanin.shape[1])[None, :] < net.arity[gates][:, None]
        cons = np.broadcast_to((gates + net.first_gate)[:, None], pins.shape)[pins]
        prod = net.fanin[gates][pins].astype(np.int64)
        keep = prod > CONST1
        return cons[keep].astype(np.int64), prod[keep]


def analyze_lut(net: LutNetlist) -> LutAnalysis:
    """The :class:`LutAnalysis` of a validated ``net``."""
    return LutAnalysis(net.validate())
