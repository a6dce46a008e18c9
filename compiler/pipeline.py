"""From a trained model or a netlist file to a complete build folder (docs/report.md).

Build folder layout::

    netlist.npz   the optimized netlist
    report.json   the build report (schema: ldlgn.compiler.report.BuildReport), with a manifest
    c/            the C back end's sources, and c/lib/ the library built from them
    verilog/      the Verilog back end's RTL and design.json

The folder is written as a whole (see :mod:`ldlgn.compiler.builddir`): a compile that fails or is
interrupted leaves the previous build untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .abc_opt import abc_optimize, check_script
from .analysis import analyze
from .backends import get_backend
from .builddir import check_manifest, manifest, staged_folder
from .c_emit import check_name as check_c_name
from .discrete import DiscreteNet
from .fileio import check_output_dir
from .graph import summary
from .lower import lower
from .lut_netlist import LutNetlist
from .netlist import Netlist
from .passes import DEFAULT_PASSES, PassLike, optimize
from .report import BuildReport, build_report, read_report, write_report
from .serialize import save_netlist
from .verilog import check_name as check_verilog_name

log = logging.getLogger(__name__)

NETLIST = "netlist.npz"


def _check_options(emit: tuple[str, ...], options: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each back end's options, defaults filled in; unknown back ends or options are errors."""
    for b in options:
        if b not in emit:
            raise ValueError(f"options given for back end {b!r}, which is not emitted (emit: {', '.join(emit)})")
    checked = {}
    for b in emit:
        allowed = get_backend(b).options()
        unknown = set(options.get(b, {})) - set(allowed)
        if unknown:
            raise ValueError(
                f"unknown option(s) {', '.join(sorted(unknown))} for back end {b!r}; "
                f"it takes {', '.join(allowed) or 'none'}"
            )
        checked[b] = {**allowed, **options.get(b, {})}
    return checked


def _emit_all(
    net: Netlist, tmp: Path, name: str, emit: tuple[str, ...], options: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    analysis = analyze(net)
    sections: dict[str, Any] = {}
    for b in emit:
        backend = get_backend(b)
        out = tmp / backend.folder
        out.mkdir(parents=True, exist_ok=True)
        done = backend.emit(net, out, name, analysis, **options[b])
        files = [Path(f).relative_to(tmp).as_posix() for f in done.files]
        sections[b] = {"files": files, "gates": done.num_gates, **done.report}
    return sections


def compile_netlist(
    raw: Netlist,
    out_dir: Path | str,
    name: str = "net",
    emit: Iterable[str] = ("c", "verilog"),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    passes: Iterable[PassLike] | None = DEFAULT_PASSES,
    source: str = "",
    abc: str | None = None,
) -> BuildReport:
    """Optimize ``raw`` with ``passes`` (None: none) and run the ``emit`` back ends into ``out_dir``.

    ``options`` maps a back end's name to its keyword options (``get_backend(b).options()`` lists
    them). ``abc``: an ABC script run after the passes, its result kept when proved equal and
    smaller (:mod:`ldlgn.compiler.abc_opt`). Everything is checked before anything is written.
    Returns the report.
    """
    check_c_name(name)
    check_verilog_name(name)
    emit = tuple(dict.fromkeys(emit))
    opts = _check_options(emit, options or {})
    if abc is not None:
        abc = check_script(abc)
    out = check_output_dir(out_dir)
    raw.validate()
    net, pass_report = optimize(raw, passes) if passes is not None else (raw, [])
    abc_section = None
    if abc is not None:
        net, abc_section = abc_optimize(net, abc)
    stats = summary(net)
    log.info("netlist: %d gates -> %d after optimization, depth %d", raw.num_gates, net.num_gates, stats["depth"])
    with staged_folder(out) as tmp:
        save_netlist(net, tmp / NETLIST)
        sections = _emit_all(net, tmp, name, emit, opts)
        report = build_report(
            net, raw.num_gates, name, source, stats["depth"], stats["max_fanout"], pass_report, sections
        )
        report["manifest"] = manifest(tmp)
        if abc_section is not None:
            report["abc"] = abc_section
        write_report(tmp, report)
    return report


def compile_model(model: Any, out_dir: Path | str, name: str = "net", **options: Any) -> BuildReport:
    """Compile a trained model (anything with ``.discrete()`` giving a ``DiscreteNet``, e.g.
    ``ldlgn.LogicNet``, or a ``LutNet`` for n-input gates); ``options`` are those of
    :func:`compile_netlist` (``emit``, ``options``, ``passes``, ``source``)."""
    from .lut_netlist import lower_lutnet
    from .lut_pipeline import compile_lut_netlist
    from .lutnet import LutNet

    discrete: DiscreteNet | LutNet = model.discrete()
    if isinstance(discrete, LutNet):
        return compile_lut_netlist(lower_lutnet(discrete, name), out_dir, name, **options)
    return compile_netlist(lower(discrete, name), out_dir, name, **options)


def load_build(build_dir: Path | str) -> tuple[Netlist | LutNetlist, BuildReport]:
    """The optimized netlist and report of a build folder (a ``LutNetlist`` for a LUT build)."""
    from .lut_serialize import load_any_netlist

    report = read_report(build_dir)
    return load_any_netlist(Path(build_dir) / NETLIST), report


def build_problems(build_dir: Path | str, report: BuildReport) -> list[str]:
    """Files of the build folder that differ from its manifest (empty when it is intact)."""
    return check_manifest(Path(build_dir), report["manifest"])
