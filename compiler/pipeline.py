"""From a checkpoint to a build folder: netlist, optimization, C, Verilog and a report.

Build folder layout::

    netlist.npz        optimized netlist (load with ldlgn.compiler.load_netlist)
    report.json        gates_raw, gates_opt, depth, inputs, features, classes, passes, C / Verilog / Yosys figures
    c/                 <name>.h and the .c files (with --c); c/lib/ the compiled shared library
    verilog/           the RTL and design.json (with --verilog)
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from .fileio import check_output_dir, write_json

from .analysis import summary
from .lower import lower
from .netlist import Netlist
from .passes import optimize
from .serialize import load_netlist, save_netlist

REPORT = "report.json"
PYVERILOG_MAX_GATES = 20000  # pyverilog's parser is superlinear; beyond this the lint skips it


def write_report(build_dir, report: dict) -> Path:
    """Write ``report.json`` atomically."""
    return write_json(Path(build_dir) / REPORT, report)


def read_report(build_dir) -> dict:
    """``report.json`` of a build folder, with a clear error when it is missing or corrupt."""
    path = Path(build_dir) / REPORT
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `ldlgn compile MODEL --out {build_dir}` first")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is corrupt: {err}") from None


def build_netlist(model, name: str = "net", passes: bool = True):
    """Lower a trained model to a netlist and optimize it; returns ``(raw, optimized, pass_report)``."""
    raw = lower(model.discrete(), name=name)
    if not passes:
        return raw, raw, []
    opt, pass_report = optimize(raw)
    return raw, opt, pass_report


def compile_model(model, out_dir, name: str = "net", c: bool = True, verilog: bool = True,
                  pipeline_every: int | None = None, yosys: bool = True, passes: bool = True,
                  log=print) -> dict:
    """Compile ``model`` (a :class:`ldlgn.LogicNet`) into ``out_dir``; returns the report dict."""
    from .c_emit import check_name as check_c_name
    from .verilog import check_name as check_verilog_name

    check_c_name(name)
    check_verilog_name(name)
    if pipeline_every is not None and not verilog:
        raise ValueError("pipeline registers need Verilog output: add --verilog")
    out = check_output_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    raw, net, pass_report = build_netlist(model, name, passes)
    save_netlist(net, out / "netlist.npz")
    stats = summary(net)
    report = {
        "name": name, "features": net.num_features, "inputs": net.num_inputs, "input_bits": net.input_bits,
        "classes": net.num_classes, "gates_raw": raw.num_gates, "gates_opt": net.num_gates,
        "depth": stats["depth"], "depth_raw": len(model.layers), "max_fanout": stats.get("max_fanout"),
        "passes": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in p.items()} for p in pass_report],
    }
    log(f"netlist: {raw.num_gates} gates -> {net.num_gates} after optimization, depth {stats['depth']}")
    if c:
        report.update(_compile_c(net, out, name, log))
    if verilog:
        report.update(_emit_verilog(net, out, name, pipeline_every, yosys, log))
    write_report(out, report)
    return report


def _compile_c(net: Netlist, out: Path, name: str, log) -> dict:
    from .c_build import build_c
    from .c_emit import emit_c

    src = emit_c(net, out / "c", name)
    lib_dir = c_library_dir(out)
    shutil.rmtree(lib_dir, ignore_errors=True)  # a fresh build, so the reported time is real
    t0 = time.perf_counter()
    model = build_c(net, name, cache_dir=lib_dir)
    seconds = time.perf_counter() - t0
    log(f"C: {len(src.files)} files in {out / 'c'}, built in {seconds:.2f} s ({model.vector_bits}-bit words)")
    return {"c_files": [str(Path(f).relative_to(out)) for f in src.files], "c_build_seconds": round(seconds, 3),
            "c_vector_bits": model.vector_bits}


def _emit_verilog(net: Netlist, out: Path, name: str, pipeline_every, yosys: bool, log) -> dict:
    from .lint import lint
    from .verilog import emit_verilog

    rtl = out / "verilog"
    shutil.rmtree(rtl, ignore_errors=True)
    design = emit_verilog(net, rtl, name, pipeline_every=pipeline_every)
    lint_report = lint(design, pyverilog=net.num_gates <= PYVERILOG_MAX_GATES).check()  # raises unless clean
    info = {"verilog_top": design.top, "verilog_files": [str(Path(f).relative_to(out)) for f in design.files],
            "pipeline_every": pipeline_every, "latency_cycles": design.latency, "lint": lint_report.results}
    log(f"Verilog: top {design.top} in {rtl}, latency {design.latency} cycles, lint clean")
    if yosys:
        from .yosys import yosys_report

        y = yosys_report(design)
        info["yosys"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in y.items()}
        log(f"Yosys: {y['cells']} cells, {y['luts']} LUT-6, LUT depth {y['lut_depth']}")
    return info


def c_library_dir(build_dir) -> Path:
    """Where a build folder keeps its compiled C library (the build cache of ``build_c``)."""
    return Path(build_dir) / "c" / "lib"


def load_c_model(build_dir, net: Netlist, report: dict):
    """The build's C library, loaded (rebuilt only if it is missing)."""
    from .c_build import build_c

    if "c_files" not in report:
        raise FileNotFoundError(f"{build_dir} holds no C build: compile with "
                                f"`ldlgn compile MODEL --out {build_dir} --c`")
    return build_c(net, report["name"], cache_dir=c_library_dir(build_dir))


def load_build(build_dir) -> tuple[Netlist, dict]:
    """The optimized netlist and report of a build folder."""
    report = read_report(build_dir)
    return load_netlist(Path(build_dir) / "netlist.npz"), report
