"""The ``ldlgn`` training-side sub-commands: ``train``, ``demo`` and ``reproduce``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path


def add_train(sub) -> None:
    from .config import TrainConfig

    d = TrainConfig()
    p = sub.add_parser(
        "train",
        help="train a logic gate network",
        description="Train a light DLGN; writes OUT/model.pt (best by discretized "
        "validation accuracy), OUT/last.pt (resumable state) and OUT/metrics.json.",
    )
    _add_data_options(p, d)
    _add_network_options(p, d)
    _add_optimizer_options(p, d)
    _add_run_options(p, d)
    p.set_defaults(func=_run_train)


def _add_data_options(p, d) -> None:
    from .config import ENCODINGS

    p.add_argument(
        "--data",
        default=d.data,
        help="digits, breast_cancer, iris, mnist, mnist-5k, fashion-mnist, "
        "cifar10, cifar100, or a .npz with integer X and y (default: %(default)s)",
    )
    p.add_argument("--root", default=None, help="folder with the standard MNIST (IDX) or CIFAR (binary) files")
    p.add_argument(
        "--thresholds",
        dest="num_thresholds",
        type=int,
        default=d.num_thresholds,
        help="thermometer thresholds per feature (default: %(default)s)",
    )
    p.add_argument("--encoding", choices=ENCODINGS, default=d.encoding)
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=d.augment,
        help="random resized crops (area 0.5-1, aspect 0.8-1.2) and horizontal flips of the integer "
        "images, as the paper trains CIFAR; needs (C, H, W) image data (default: off)",
    )


def _add_network_options(p, d) -> None:
    from .arch import PRESETS as ARCH_PRESETS
    from .config import CONNECTIONS, IWP_ESTIMATORS, MAX_DEPTH, OP_KERNELS, PARAMETRIZATIONS

    p.add_argument("--width", type=int, default=d.width)
    p.add_argument("--depth", type=int, default=d.depth, help=f"layers, at most {MAX_DEPTH} (default: %(default)s)")
    p.add_argument(
        "--arch",
        default=d.arch,
        metavar="SPEC",
        help="network architecture instead of --width/--depth, for image data: comma-separated "
        "conv:OUT[:K][:stride=S][:pad=P][:depth=D][:group=G], pool[:K][:stride=S][:pad=P] and fc:WIDTH "
        "items ending in fc, e.g. conv:16:3,pool,fc:2000 (docs/convolutions.md), or a preset: "
        + ", ".join(ARCH_PRESETS)
        + " (a preset with a --preset recipe of its name, cdlgn-digits, trains with that recipe)",
    )
    p.add_argument("--tau", type=float, default=d.tau)
    p.add_argument("--param", dest="parametrization", choices=PARAMETRIZATIONS, default=d.parametrization)
    p.add_argument(
        "--op-kernel",
        choices=OP_KERNELS,
        default=d.op_kernel,
        help="how OP (--param op) trains: coefficients folds the softmax over the 16 gates into 4 "
        "polynomial coefficients per gate; sixteen and difflogic mix all 16 gate values per sample as "
        "difflogic does, with 16 or (as its CUDA kernel) 4 weight-gradient sums per gate; the same values "
        "and gradients, more work (default: %(default)s)",
    )
    p.add_argument(
        "--gate-inputs",
        type=int,
        default=d.gate_inputs,
        metavar="N",
        help="inputs per learned gate, 2..6: IWP with 2**N parameters per gate; a gate of up to 6 inputs "
        "is one FPGA LUT-6; N > 2 needs --param iwp and no --arch (default: %(default)s)",
    )
    p.add_argument("--estimator", choices=IWP_ESTIMATORS, default=d.estimator)
    p.add_argument(
        "--init",
        default=d.init,
        help="ri, gauss, and-or, and-or-ri, uniform or a 4-bit "
        "direction such as 0110 (OP: ri, gauss) (default: %(default)s)",
    )
    p.add_argument("--connections", choices=CONNECTIONS, default=d.connections)
    p.add_argument("--grad-factor", type=float, default=d.grad_factor)
    p.add_argument("--mu", type=float, default=None, help="residual-init shift (default: by estimator)")


def _add_optimizer_options(p, d) -> None:
    from .presets import PRESETS

    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--seed", type=int, default=d.seed, help="0..2**63-1 (default: %(default)s)")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--eval-every", type=int, default=d.eval_every, help="0: every steps/20")
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="start from a named recipe; options given explicitly override it. cifar-paper: the IWP "
        "paper's CIFAR recipe (cifar100, 128000 gates x 4 layers (--depth 4*D for depth scale D), "
        "tau 100, Adam lr 0.01, batch 100, 10%% validation, 3 thresholds, --augment, 250000 steps); "
        "cdlgn-digits: digits, --arch cdlgn-digits, 7 thresholds, tau 6 (docs/convolutions.md)",
    )


def _add_run_options(p, d) -> None:
    from .config import BACKENDS

    p.add_argument("--out", required=True, help="run folder (one training run at a time: OUT/.lock)")
    p.add_argument("--device", default=d.device, help="cpu or cuda")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default=d.backend,
        help="relaxed-gate kernels; auto: numba on the CPU, triton on CUDA when installed (default: %(default)s)",
    )
    p.add_argument(
        "--cuda-graphs",
        action="store_true",
        help="capture the training step as a CUDA graph and replay it (deep nets, small batches; needs --device cuda)",
    )
    p.add_argument(
        "--ddp",
        action="store_true",
        help="data-parallel over the processes torchrun starts: torchrun --nproc_per_node N -m ldlgn train --ddp "
        "... (NCCL on GPUs, gloo on the CPU; --batch-size is the global batch; rank 0 writes the files)",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last.pt (an error when there is none)"
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--no-plots", action="store_true", help="skip the training-curve and gate-type PNGs")


def _run_train(args) -> int:
    from .config import TrainConfig
    from .train import train

    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    preset = args.preset or _recipe_of_arch(values["arch"])
    if preset:
        from .presets import apply_preset

        given = given_train_options(getattr(args, "argv", None), values)
        if not args.preset:
            print(
                f"--arch {preset}: trained with its recipe (--preset {preset}); options given explicitly win",
                file=sys.stderr,
            )
        values = apply_preset(preset, values, given)
    cfg = TrainConfig(**values)
    m = train(cfg, args.out, resume=args.resume, progress=not args.no_progress)
    if not m:  # a data-parallel rank other than 0: rank 0 reports
        return 0
    print(
        json.dumps(
            {k: m[k] for k in ("dataset", "steps", "gates", "seconds", "test_acc_discrete", "test_acc_relaxed")},
            indent=2,
        )
    )
    if not args.no_plots:
        from .compiler.extras import MissingExtraError

        try:
            from .plots import write_run_plots

            print("plots: " + ", ".join(str(p) for p in write_run_plots(args.out)))
        except MissingExtraError as err:  # the model is saved: plots are a bonus, not a failure
            print(f"plots skipped: {err}", file=sys.stderr)
    return 0


def _recipe_of_arch(arch: str | None) -> str | None:
    """A named architecture that has a training recipe of its own name (e.g. ``cdlgn-digits``): its
    encoder and temperature belong to the accuracy it is known for, so ``--arch NAME`` alone uses them."""
    from .presets import PRESETS

    return arch if arch in PRESETS and PRESETS[arch].get("arch") == arch else None


def given_train_options(argv, values: dict) -> set[str]:
    """The ``TrainConfig`` fields set on the ``ldlgn train`` command line ``argv``: the train
    options parsed again with no defaults (without ``argv``: the fields that differ from the
    defaults)."""
    from .config import TrainConfig

    if argv is None:
        return {k for k, v in values.items() if v != getattr(TrainConfig(), k)}
    sub = argparse.ArgumentParser(add_help=False).add_subparsers(dest="command")
    add_train(sub)
    parser = sub.choices["train"]
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    parser.set_defaults(func=argparse.SUPPRESS)
    given = vars(parser.parse_known_args(argv[argv.index("train") + 1 :])[0])
    return set(given) & set(values)


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help="train on digits, compile, verify every engine, print a summary")
    p.add_argument("--out", default="runs/demo", help="run folder (default: %(default)s)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    from .demo import run_demo

    return 0 if run_demo(args.out, steps=args.steps, progress=not args.no_progress)["passed"] else 1


def add_reproduce(sub) -> None:
    p = sub.add_parser(
        "reproduce",
        help="measure the IWP paper's claims with this tool (offline data)",
        description="Train and time IWP against OP on the offline digits data: parameters and "
        "optimizer state, steps to OP's best accuracy, accuracy against depth, backward time; and "
        "record the CIFAR-100 command. Writes OUT/reproduce.json, OUT/claims.md and figures.",
    )
    p.add_argument("--out", required=True, help="folder for the record, the figures and the training runs")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the pipeline in about a minute")
    p.add_argument(
        "--only",
        default=None,
        metavar="LIST",
        help="comma-separated claims to measure (a,b,c,d,e; default: all); the others are kept from "
        "an earlier record of the same mode in OUT",
    )
    p.set_defaults(func=_run_reproduce)


def _run_reproduce(args) -> int:
    from .reproduce import run_reproduce

    record = run_reproduce(args.out, quick=args.quick, only=args.only)
    print(Path(args.out, "claims.md").read_text(), end="")
    print(f"wrote {Path(args.out) / 'reproduce.json'} and {', '.join(record['figures'])} ({record['seconds']} s)")
    return 0
