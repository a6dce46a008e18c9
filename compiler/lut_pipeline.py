"""The compile driver for LUT netlists: the LUT passes, then the back ends' ``emit_lut`` (docs/n-input-gates.md).

A network of n-input gates is lowered to a :class:`~ldlgn.compiler.lut_netlist.LutNetlist` and
optimized by the LUT passes (one with two-input gates only skips them). If afterwards every gate
has at most two inputs, it becomes a
two-input :class:`~ldlgn.compiler.netlist.Netlist` and takes the two-input driver unchanged (same
passes, same artifacts); otherwise each back end writes its LUT artifacts into the same build
folder layout (``netlist.npz`` in the LUT format, ``report.json`` with the gates per arity).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .backends import get_backend
from .builddir import manifest, staged_folder
from .c_emit import check_name as check_c_name
from .fileio import check_output_dir
from .lut_analysis import LutAnalysis
from .lut_netlist import LutNetlist, to_netlist
from .lut_passes import DEFAULT_LUT_PASSES, LUT_PASSES, optimize_lut
from .lut_serialize import save_lut_netlist
from .passes import DEFAULT_PASSES, Pass, PassLike
from .report import BuildReport, build_report, write_report
from .verilog import check_name as check_verilog_name

log = logging.getLogger(__name__)

NETLIST = "netlist.npz"


def lut_pass_names(passes: Iterable[PassLike] | None) -> list[str]:
    """The LUT passes of a pass list: the two-input default maps to every LUT pass; names the LUT
    netlist has no pass for (``absorb``) are skipped, other non-names are refused."""
    if passes is None:
        return []
    names = [p.name if isinstance(p, Pass) else p for p in passes]
    if names == [p.name for p in DEFAULT_PASSES]:
        return list(DEFAULT_LUT_PASSES)
    out = []
    for p in names:
        if not isinstance(p, str):
            raise TypeError(f"LUT netlists take passes by name, got {type(p).__name__}")
        if p in LUT_PASSES:
            out.append(p)
        elif p != "absorb":
            raise ValueError(f"unknown pass {p!r} for LUT netlists; choose from {', '.join(LUT_PASSES)}")
    return out


def _emit_all(net: LutNetlist, tmp: Path, name: str, emit: tuple[str, ...], options) -> dict[str, Any]:
    analysis = LutAnalysis(net)
    sections: dict[str, Any] = {}
    for b in emit:
        backend = get_backend(b)
        out = tmp / backend.folder
        out.mkdir(parents=True, exist_ok=True)
        done = backend.emit_lut(net, out, name, analysis, **options[b])  # type: ignore[attr-defined]
        files = [Path(f).relative_to(tmp).as_posix() for f in done.files]
        sections[b] = {"files": files, "gates": done.num_gates, **done.report}
    return sections


def _check_backends(emit: tuple[str, ...]) -> None:
    for b in emit:
        if not hasattr(get_backend(b), "emit_lut"):
            raise ValueError(f"back end {b!r} takes two-input netlists only; for n-input gates emit c, verilog, blif")


def compile_lut_netlist(
    raw: LutNetlist,
    out_dir: Path | str,
    name: str = "net",
    emit: Iterable[str] = ("c", "verilog"),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    passes: Iterable[PassLike] | None = DEFAULT_PASSES,
    source: str = "",
    abc: str | None = None,
) -> BuildReport:
    """Optimize ``raw`` with the LUT passes and build ``out_dir``; the arguments are those of
    :func:`ldlgn.compiler.pipeline.compile_netlist`, which takes over when no gate wider than two is left."""
    from .pipeline import _check_options, compile_netlist

    check_c_name(name)
    check_verilog_name(name)
    emit = tuple(dict.fromkeys(emit))
    opts = _check_options(emit, options or {})
    if raw.validate().max_arity <= 2:  # a two-input net as it is: exactly today's build
        return compile_netlist(to_netlist(raw), out_dir, name, emit, options, passes, source, abc)
    net, pass_report = optimize_lut(raw, lut_pass_names(passes)) if passes is not None else (raw, [])
    if net.max_arity <= 2:
        log.info("LUT netlist: every gate has at most two inputs after the passes: the two-input path")
        return compile_netlist(to_netlist(net), out_dir, name, emit, options, passes, source, abc)
    if abc is not None:
        raise ValueError("--abc works on two-input netlists; this netlist has gates of up to six inputs")
    _check_backends(emit)
    out = check_output_dir(out_dir)
    analysis = LutAnalysis(net)
    log.info("LUT netlist: %d gates -> %d after optimization, depth %d", raw.num_gates, net.num_gates, analysis.depth)
    with staged_folder(out) as tmp:
        save_lut_netlist(net, tmp / NETLIST)
        sections = _emit_all(net, tmp, name, emit, opts)
        pins = np.concatenate([analysis.edges()[1], net.outputs.astype(np.int64)])
        max_fanout = int(np.bincount(pins, minlength=net.num_nodes).max(initial=0))
        report = build_report(net, raw.num_gates, name, source, analysis.depth, max_fanout, pass_report, sections)
        report["manifest"] = manifest(tmp)
        report["gate_arity"] = {"raw": raw.arity_histogram(), "opt": net.arity_histogram()}
        write_report(tmp, report)
    return report
