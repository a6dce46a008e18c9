"""The ``ldlgn`` command: ``train``, ``compile``, ``verify``, ``report``, ``demo``, ``reproduce``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__
from .cli_train import add_demo, add_reproduce, add_train
from .cli_train import given_train_options as _given_train_options  # noqa: F401 (tests)


def _add_compile(sub) -> None:
    p = sub.add_parser(
        "compile",
        help="compile a checkpoint or netlist to C, Verilog and a report",
        description="Lower a trained model (model.pt) or read a netlist (netlist.npz), optimize "
        "it and run the chosen back ends into a build folder with report.json. "
        "A netlist never loads torch.",
    )
    p.add_argument("model", help="checkpoint (model.pt) or netlist file (.npz)")
    p.add_argument("--out", required=True, help="build folder (replaced as a whole when the build succeeds)")
    p.add_argument("--name", default="net", help="C/Verilog identifier prefix (default: %(default)s)")
    p.add_argument(
        "--emit", default="", metavar="LIST", help="comma-separated back ends: " + ", ".join(_backend_help())
    )
    p.add_argument("--c", action="store_true", help="shorthand for --emit c")
    p.add_argument("--verilog", action="store_true", help="shorthand for --emit verilog")
    p.add_argument(
        "--pipeline",
        type=_pipeline_arg,
        default=None,
        metavar="N|auto",
        help="Verilog: pipeline registers every N logic levels, or 'auto': wherever a stage would exceed "
        "--stage-levels estimated LUT levels, in the logic, the popcounts and the argmax (default: combinational)",
    )
    p.add_argument(
        "--fmax", type=float, default=None, metavar="MHZ", help="Verilog: --pipeline auto for this clock target"
    )
    p.add_argument(
        "--stage-levels", type=float, default=None, metavar="L", help="Verilog, --pipeline auto: LUT levels per stage"
    )
    p.add_argument(
        "--popcount",
        choices=("fa", "gpc6", "chain", "adder"),
        default=None,
        help="Verilog: popcount as full-adder compressor tree (4-input LUT FPGAs, default), 6:3 counter tree "
        "(6-input LUTs), carry-chain counters (ECP5 CCU2C cells) or the legacy binary adder tree",
    )
    p.add_argument("--argmax", choices=("auto", "tree", "allpairs"), default=None, help="Verilog: argmax structure")
    p.add_argument("--no-fold", action="store_true", help="Verilog: count every output (no folding of the head)")
    p.add_argument("--no-yosys", action="store_true", help="Verilog: skip the Yosys area/LUT report")
    p.add_argument(
        "--passes",
        default=None,
        metavar="LIST",
        help="comma-separated optimization passes, run to a fixed point, or 'none' "
        "(default: all): " + ", ".join(_pass_help()),
    )
    p.add_argument("--no-opt", action="store_true", help="same as --passes none")
    p.add_argument(
        "--abc",
        nargs="?",
        const="dc2; resyn2",
        default=None,
        metavar="SCRIPT",
        help="after the passes, run an ABC script (default when no SCRIPT: 'dc2; resyn2'); its result is kept "
        "when proved equal and smaller (docs/formal.md)",
    )
    p.set_defaults(func=_run_compile)


def _pipeline_arg(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of logic levels or 'auto', got {text!r}") from None


def _backend_help() -> list[str]:
    from .compiler.backends import backends

    return [f"{b.name} ({b.help})" for b in backends().values()]


def _pass_help() -> list[str]:
    from .compiler.passes import PASSES

    return [f"{p.name} ({p.help})" for p in PASSES.values()]


def _compile_request(args) -> tuple[tuple[str, ...], dict, list | None]:
    """Back ends, their options and the passes asked for on the command line (checked, nothing written)."""
    from .compiler.backends import parse_emit
    from .compiler.passes import DEFAULT_PASSES, resolve_passes

    emit = parse_emit(",".join([args.emit] + ["c"] * args.c + ["verilog"] * args.verilog))
    if isinstance(args.pipeline, int) and args.pipeline < 1:
        raise ValueError(f"--pipeline must be a positive number of logic levels or 'auto', got {args.pipeline}")
    rtl = {
        "pipeline_every": args.pipeline,
        "fmax_mhz": args.fmax,
        "stage_levels": args.stage_levels,
        "popcount": args.popcount,
        "argmax": args.argmax,
        "fold": False if args.no_fold else None,
    }
    given = {k: v for k, v in rtl.items() if v is not None}
    if given and "verilog" not in emit:
        raise ValueError(f"pipeline and head options ({', '.join(given)}) need Verilog output: add --verilog")
    options = {"verilog": {**given, "yosys": not args.no_yosys}} if "verilog" in emit else {}
    if args.no_opt or args.passes == "none":
        return emit, options, None
    names = [n.strip() for n in args.passes.split(",") if n.strip()] if args.passes else None
    return emit, options, resolve_passes(names) if names else list(DEFAULT_PASSES)


def _run_compile(args) -> int:
    from .compiler.lower import lower
    from .compiler.lut_netlist import LutNetlist, lower_lutnet
    from .compiler.lut_pipeline import compile_lut_netlist
    from .compiler.lut_serialize import load_any_netlist
    from .compiler.pipeline import compile_netlist

    if not str(args.out).strip():
        raise ValueError("--out must name a build folder, got an empty string")
    emit, options, passes = _compile_request(args)
    if str(args.model).endswith(".npz"):
        raw = load_any_netlist(args.model)  # a two-input or a LUT netlist file
    else:
        from .checkpoint import load
        from .compiler.lutnet import LutNet

        net = load(args.model).discrete()  # n-input gates give a LutNet (docs/n-input-gates.md)
        raw = lower_lutnet(net, args.name) if isinstance(net, LutNet) else lower(net, args.name)
    raw.name = args.name
    source = str(args.model)
    if isinstance(raw, LutNetlist):
        report = compile_lut_netlist(raw, args.out, args.name, emit, options, passes, source=source, abc=args.abc)
    else:
        report = compile_netlist(raw, args.out, args.name, emit, options, passes, source=source, abc=args.abc)
    print(
        f"wrote {Path(args.out) / 'report.json'}: {report['gates_raw']} gates -> {report['gates_opt']}, "
        f"depth {report['depth']}"
    )
    return 0


def _add_verify(sub) -> None:
    from .sim.verify import engine_names

    p = sub.add_parser(
        "verify",
        help="check torch, Numba, C and RTL agree bit-exactly on data",
        description="Run torch eval (the reference), the Numba evaluator, the C library and the "
        "RTL under Icarus (combinational and pipelined) on a data split; print a "
        "table, write BUILD/verify.json, exit 1 on any mismatch.",
    )
    p.add_argument("model", help="checkpoint (model.pt)")
    p.add_argument("--build", required=True, help="build folder made by `ldlgn compile`")
    p.add_argument("--data", default=None, help="data set (default: the one the model was trained on)")
    p.add_argument("--root", default=None, help="folder of MNIST/CIFAR files")
    p.add_argument("--split", choices=("test", "val", "train"), default="test")
    p.add_argument("--samples", type=int, default=None, help="first N samples of the split (default: all)")
    p.add_argument(
        "--engines",
        default=None,
        help="comma-separated subset of "
        + ",".join(engine_names())
        + " (default: every engine the build folder has artifacts for)",
    )
    p.add_argument(
        "--formal",
        action="store_true",
        help="also prove, for every input, that the Verilog equals the netlist, the optimized netlist the "
        "model's and the encoder, popcount and argmax their specification (docs/formal.md)",
    )
    p.add_argument("--prover", choices=("abc", "yosys"), default="abc", help="--formal: ABC cec or Yosys sat")
    p.set_defaults(func=_run_verify)


def _run_verify(args) -> int:
    from .checkpoint import load
    from .sim.verify import available_engines, verify, write_verify_json

    model = load(args.model)
    x, y, data = _split_of(model, args.data, args.root, args.split)
    if args.samples is not None:
        if args.samples < 1:
            raise ValueError(f"--samples must be ≥ 1, got {args.samples}")
        x, y = x[: args.samples], y[: args.samples]
    print(f"verifying {args.build} on {data} {args.split} split ({len(y)} samples)")
    engines = tuple(e.strip() for e in args.engines.split(",")) if args.engines else available_engines(args.build)
    rows = verify(model, args.build, x, y, engines, log_line=print)
    ok = all(r.passed for r in rows)
    formal = None
    if args.formal:
        from .sim.formal import verify_formal

        print(f"proving {args.build} equivalent to {args.model} for every input ({args.prover})")
        formal = verify_formal(model, args.build, args.prover, log_line=print)
    path = write_verify_json(args.build, rows, {"model": str(args.model), "data": data, "split": args.split}, formal)
    proved = "" if formal is None else ("; proved equivalent" if formal["passed"] else "; NOT PROVED equivalent")
    print(f"{'all engines agree' if ok else 'MISMATCH'}{proved}; wrote {path}")
    return 0 if ok and (formal is None or formal["passed"]) else 1


def _split_of(model, data, root, split):
    """``(x, y, name)`` of a split of the data the model was trained on (or ``data``)."""
    from .datasets import load_dataset

    cfg = getattr(model, "checkpoint_meta", {}).get("train_config", {})
    data = data or cfg.get("data")
    if not data:
        raise ValueError("the checkpoint does not say which data it was trained on: pass --data")
    ds = load_dataset(data, root or cfg.get("root"), seed=cfg.get("seed", 0))
    return getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}"), ds.name


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="show a build folder's report (gates, depth, LUTs)")
    p.add_argument("build", help="build folder made by `ldlgn compile`")
    p.add_argument("--json", action="store_true", help="print the raw report.json")
    p.set_defaults(func=_run_report)


def _run_report(args) -> int:
    from .compiler.pipeline import build_problems
    from .compiler.report import read_report

    report = read_report(args.build)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    rows = [
        ("features × input bits", f"{report['features']} × {report['input_bits']}"),
        ("encoder comparators", report["inputs"]),
        ("classes", report["classes"]),
        ("gates (trained)", report["gates_raw"]),
        ("gates (optimized)", report["gates_opt"]),
        ("logic depth", report["depth"]),
    ]
    arity = report.get("gate_arity")
    if arity is not None:  # n-input builds: optimized gates per number of inputs
        rows.append(("gates by inputs", ", ".join(f"{n} × {k}-input" for k, n in arity["opt"].items())))
    c, v = report["backends"].get("c"), report["backends"].get("verilog")
    if c is not None:
        rows.append(("C build seconds", c["build_seconds"]))
    if v is not None:
        rows += [("Verilog top", v["top"]), ("latency cycles", v["latency_cycles"])]
        y = v.get("yosys")
        if y is not None:
            rows += [("Yosys cells", y["cells"]), ("LUT-6", y["luts"]), ("LUT depth", y["lut_depth"])]
    from .compiler.fpga import summary_rows

    for section in report.get("synth", {}).values():
        rows += summary_rows(section)
    for label, value in rows:
        print(f"{label:<24}{value}")
    problems = build_problems(args.build, report)
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    return 1 if problems else 0


def _add_synth(sub) -> None:
    from .compiler.synth import TARGETS

    p = sub.add_parser(
        "synth",
        help="FPGA synthesis and place and route of a build's Verilog (LUTs, FFs, Fmax, latency)",
        description="Synthesize the build's Verilog with Yosys for an FPGA target and, for ecp5-25k and "
        "ice40-hx8k, place and route it with nextpnr under a clock constraint; write BUILD/synth.json and "
        "add the figures to report.json. Targets: " + "; ".join(f"{t.name}: {t.device}" for t in TARGETS.values()),
    )
    p.add_argument("build", help="build folder made by `ldlgn compile --verilog`")
    p.add_argument("--target", choices=sorted(TARGETS), default="lut6")
    p.add_argument("--freq", type=float, default=None, metavar="MHZ", help="clock constraint (default: by target)")
    p.add_argument("--seed", type=int, default=1, help="placer seed (default: %(default)s)")
    p.set_defaults(func=_run_synth)


def _run_synth(args) -> int:
    from .compiler.fpga import summary_rows, synth_build

    figures = synth_build(args.build, args.target, clock_mhz=args.freq, seed=args.seed)
    for label, value in summary_rows(figures):  # type: ignore[arg-type]
        print(f"{label:<32}{value}")
    print(f"wrote {Path(args.build) / 'synth.json'}")
    return 0


def _show_progress_logs() -> None:
    """Library modules log their progress; the command shows it as plain lines on stdout."""
    logger = logging.getLogger("ldlgn")
    if not any(isinstance(h, _StdoutHandler) for h in logger.handlers):
        logger.addHandler(_StdoutHandler())
        logger.setLevel(logging.INFO)


class _StdoutHandler(logging.Handler):
    """Prints each record's message on the current ``sys.stdout`` (looked up at every record)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(record.getMessage(), file=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ldlgn",
        description="Light differentiable logic gate networks: train, compile to C and Verilog, verify bit-exactly.",
    )
    parser.add_argument("--version", action="version", version=f"ldlgn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_train, _add_compile, _add_verify, _add_report, _add_synth, add_demo, add_reproduce):
        add(sub)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    _show_progress_logs()
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError, RuntimeError) as err:
        print(f"ldlgn {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = " (the finished steps are saved in last.pt: continue with --resume)" if args.command == "train" else ""
        print(f"ldlgn {args.command}: interrupted{hint}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
