"""The one analysis of a netlist that every pass and back end reads (docs/architecture.md).

A gate *reads* an input only when its truth table depends on it, so a gate whose table ignores
an input does not keep that input's cone alive and does not add to its logic level. Liveness,
levels, fan-out and constant comparators are computed here once, so the C and Verilog back ends
emit the same gates for the same netlist, optimized or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit

from . import truth_tables as tt
from .netlist import CONST0, CONST1, FIRST_INPUT, Netlist

#: whether each 2-input truth table depends on input A / on input B
READS_A = np.array([bool(tt.depends_on(t, 0)) for t in range(tt.N_TABLES)])
READS_B = np.array([bool(tt.depends_on(t, 1)) for t in range(tt.N_TABLES)])


@njit(cache=True)
def _liveness(fanin, reads_a, reads_b, outputs, first):
    live = np.zeros(first + fanin.shape[0], np.bool_)
    for o in outputs:
        live[o] = True
    for g in range(fanin.shape[0] - 1, -1, -1):
        if live[first + g]:
            if reads_a[g]:
                live[fanin[g, 0]] = True
            if reads_b[g]:
                live[fanin[g, 1]] = True
    return live


@njit(cache=True)
def _levels(fanin, reads_a, reads_b, first):
    lev = np.zeros(first + fanin.shape[0], np.int32)
    for g in range(fanin.shape[0]):
        la = lev[fanin[g, 0]] if reads_a[g] else 0
        lb = lev[fanin[g, 1]] if reads_b[g] else 0
        lev[first + g] = 1 + (la if la > lb else lb)
    return lev


def constant_inputs(net: Netlist) -> np.ndarray:
    """Fixed value of each primary input (``(I,)`` int8): 1 for a comparator ``x > t`` with
    ``t < 0`` (always true), 0 for ``t ≥ input_max`` (never true), -1 for a real comparison."""
    thr = net.input_threshold
    return np.where(thr < 0, 1, np.where(thr >= net.input_max, 0, -1)).astype(np.int8)


@dataclass(frozen=True, eq=False)
class Analysis:
    """Liveness, levels, fan-out and constant nodes of one netlist (computed on demand, once)."""

    netlist: Netlist

    @cached_property
    def reads_a(self) -> np.ndarray:
        """``(G,)`` bool: the gate's table depends on its first input."""
        return READS_A[self.netlist.table]

    @cached_property
    def reads_b(self) -> np.ndarray:
        """``(G,)`` bool: the gate's table depends on its second input."""
        return READS_B[self.netlist.table]

    @cached_property
    def const_value(self) -> np.ndarray:
        """``(num_nodes,)`` int8: 0/1 for the constant nodes and constant comparators, else -1."""
        v = np.full(self.netlist.num_nodes, -1, np.int8)
        v[CONST0], v[CONST1] = 0, 1
        v[FIRST_INPUT : self.netlist.first_gate] = constant_inputs(self.netlist)
        return v

    @cached_property
    def live(self) -> np.ndarray:
        """``(num_nodes,)`` bool: some output depends on the node through inputs that tables read."""
        net = self.netlist
        return _liveness(net.fanin, self.reads_a, self.reads_b, net.outputs, net.first_gate)

    @cached_property
    def level(self) -> np.ndarray:
        """``(num_nodes,)`` int32: 0 for constants and inputs, else 1 + the deepest input read."""
        net = self.netlist
        return _levels(net.fanin, self.reads_a, self.reads_b, net.first_gate)

    @cached_property
    def fanout(self) -> np.ndarray:
        """``(num_nodes,)`` int64: live gates reading the node (once per gate) plus output references."""
        net = self.netlist
        gates = self.live_gates
        a, b = net.fanin[gates, 0], net.fanin[gates, 1]
        ra, rb = self.reads_a[gates], self.reads_b[gates]
        pins = np.concatenate([a[ra], b[rb & ~(ra & (a == b))], net.outputs])
        return np.bincount(pins, minlength=net.num_nodes)

    @cached_property
    def live_gates(self) -> np.ndarray:
        """Indices (not node ids) of the live gates, in topological order."""
        return np.flatnonzero(self.live[self.netlist.first_gate :])

    @cached_property
    def used_inputs(self) -> np.ndarray:
        """Indices of the primary inputs that are live and really compared (not constant)."""
        net = self.netlist
        inputs = slice(FIRST_INPUT, net.first_gate)
        return np.flatnonzero(self.live[inputs] & (self.const_value[inputs] < 0))

    @property
    def depth(self) -> int:
        """Logic depth: the largest level of an output (0 for no outputs)."""
        return int(self.level[self.netlist.outputs].max(initial=0))

    @property
    def num_live_gates(self) -> int:
        return int(self.live_gates.size)


def analyze(net: Netlist) -> Analysis:
    """The :class:`Analysis` of a validated ``net``."""
    return Analysis(net.validate())
