"""Named optimization passes, their registry and the fixed-point driver (docs/passes.md).

Each pass is a :class:`Pass`: a name, a one-line help and a function ``Netlist -> Netlist`` whose
result computes the same output bits for every input. :func:`optimize` runs a sequence of passes
until the netlist stops changing, timing each one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import sweep
from .analysis import analyze, constant_inputs
from .netlist import CONST0, FIRST_INPUT, Netlist

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pass:
    """A named netlist rewrite that keeps every output bit."""

    name: str
    help: str
    run: Callable[[Netlist], Netlist]

    def __call__(self, net: Netlist) -> Netlist:
        return self.run(net)


#: every registered pass by name, in registration order
PASSES: dict[str, Pass] = {}
_BY_FUNCTION: dict[str, Pass] = {}  # the Python name of each pass's function, also accepted


def register_pass(name: str, help: str) -> Callable[[Callable[[Netlist], Netlist]], Pass]:
    """Decorator: register ``fn`` as the pass ``name``; the module attribute becomes the :class:`Pass`."""

    def wrap(fn: Callable[[Netlist], Netlist]) -> Pass:
        if name in PASSES:
            raise ValueError(f"a pass named {name!r} is already registered")
        PASSES[name] = _BY_FUNCTION[fn.__name__] = Pass(name, help, fn)
        return PASSES[name]

    return wrap


@register_pass("const-inputs", "comparators that are always or never true become constants")
def fold_constant_inputs(net: Netlist) -> Netlist:
    """Point every reader of a constant comparator (``x > t`` with ``t < 0`` or ``t ≥ max``) at node
    0 or 1 instead; the comparator stays as an unused primary input."""
    node = np.arange(net.num_nodes, dtype=np.int64)
    value = constant_inputs(net)
    fixed = np.flatnonzero(value >= 0)
    node[FIRST_INPUT + fixed] = CONST0 + value[fixed]
    return Netlist(
        net.input_feature.copy(),
        net.input_threshold.copy(),
        net.num_features,
        net.input_bits,
        node[net.fanin],
        net.table.copy(),
        node[net.outputs],
        net.num_classes,
        net.name,
    )


@register_pass("dup-inputs", "a gate reading one node twice becomes a one-input gate")
def fold_duplicate_inputs(net: Netlist) -> Netlist:
    """Rewrite a gate reading one node twice (``a == b``) into the one-input form of ``f(a, a)``."""
    return sweep.run_sweep(net, sweep.DUP)


@register_pass("const", "constant propagation; inputs a table ignores are dropped")
def propagate_constants(net: Netlist) -> Netlist:
    """Fold constant fanins and irrelevant inputs into one-input tables; constant gates become
    references to node 0 / 1."""
    return sweep.run_sweep(net, sweep.CONST)


@register_pass("absorb", "buffers and inverters are absorbed into their readers' truth tables")
def absorb_inverters(net: Netlist) -> Netlist:
    """Replace buffers and inverters (tables A, B, ¬A, ¬B) by references to their source node;
    the inversion moves into each consumer's truth table."""
    return sweep.run_sweep(net, sweep.ABSORB)


@register_pass("strash", "structural hashing: identical (or complementary) gates are merged")
def structural_hash(net: Netlist) -> Netlist:
    """Order each gate's fanins (``a ≤ b``) and merge gates with equal fanins and equal (or
    complementary) tables."""
    return sweep.run_sweep(net, sweep.HASH)


@register_pass("dce", "dead-gate elimination: gates no output depends on are removed")
def eliminate_dead_gates(net: Netlist) -> Netlist:
    """Remove the gates that are not live in the :class:`~ldlgn.compiler.analysis.Analysis`. A kept
    gate's pin that its table ignores is pointed at the pin it reads (or node 0), so no kept gate
    refers to a removed one."""
    an = analyze(net)
    fanin = net.fanin.astype(np.int64)
    a, b = fanin[:, 0].copy(), fanin[:, 1].copy()
    fanin[:, 0] = np.where(an.reads_a, a, np.where(an.reads_b, b, CONST0))
    fanin[:, 1] = np.where(an.reads_b, b, fanin[:, 0])
    rep = 2 * np.arange(net.num_nodes, dtype=np.int64)
    return sweep.rebuild(net, rep, an.live[net.first_gate :], fanin, net.table)


def unregister_pass(name: str) -> Pass:
    """Remove the pass ``name`` from the registry (tests and plug-in reloads); returns it."""
    if name not in PASSES:
        raise ValueError(f"no pass named {name!r} is registered")
    p = PASSES.pop(name)
    _BY_FUNCTION.pop(getattr(p.run, "__name__", ""), None)
    return p


DEFAULT_PASSES: tuple[Pass, ...] = tuple(PASSES.values())

PassLike = Pass | str | Callable[[Netlist], Netlist]


def resolve_passes(passes: Iterable[PassLike]) -> list[Pass]:
    """Passes from :class:`Pass` objects, registered names or plain functions ``Netlist -> Netlist``."""
    out = []
    for p in passes:
        if isinstance(p, str):
            if p not in PASSES and p not in _BY_FUNCTION:
                raise ValueError(f"unknown pass {p!r}; choose from {', '.join(PASSES)}")
            p = PASSES.get(p) or _BY_FUNCTION[p]
        elif not isinstance(p, Pass):
            if not callable(p):
                raise TypeError(f"a pass must be a Pass, a registered name or a function Netlist -> Netlist, got {p!r}")
            p = Pass(getattr(p, "__name__", repr(p)), (p.__doc__ or "").strip().split("\n")[0], p)
        out.append(p)
    return out


def _same(x: Netlist, y: Netlist) -> bool:
    return (
        np.array_equal(x.fanin, y.fanin) and np.array_equal(x.table, y.table) and np.array_equal(x.outputs, y.outputs)
    )


def optimize(
    netlist: Netlist, passes: Iterable[PassLike] = DEFAULT_PASSES, max_rounds: int = 8
) -> tuple[Netlist, list[dict[str, Any]]]:
    """Run ``passes`` in order, repeating the sequence until the netlist stops changing (at most
    ``max_rounds`` times).

    Returns ``(netlist, report)``; report has one dict per pass run:
    ``{"pass", "round", "gates_before", "gates_after", "seconds"}``.
    """
    todo = resolve_passes(passes)
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be at least 1, got {max_rounds}")
    net = netlist.validate()
    report: list[dict[str, Any]] = []
    for rnd in range(max_rounds):
        start = net
        for p in todo:
            t0 = time.perf_counter()
            after = p(net)
            report.append(
                {
                    "pass": p.name,
                    "round": rnd,
                    "gates_before": net.num_gates,
                    "gates_after": after.num_gates,
                    "seconds": time.perf_counter() - t0,
                }
            )
            log.debug("pass %s round %d: %d -> %d gates", p.name, rnd, net.num_gates, after.num_gates)
            net = after
        if _same(start, net):
            break
    return net, report
