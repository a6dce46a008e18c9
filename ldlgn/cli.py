"""The ``ldlgn`` command: ``train``, ``compile``, ``verify``, ``report``, ``demo``."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields

from . import __version__


def _add_train(sub) -> None:
    from .encoder import ENCODINGS
    from .functional import BACKENDS
    from .layers import CONNECTIONS
    from .parametrization import IWP_ESTIMATORS, PARAMETRIZATIONS
    from .train import TrainConfig

    d = TrainConfig()
    p = sub.add_parser("train", help="train a logic gate network",
                       description="Train a light DLGN; writes OUT/model.pt (best by discretized "
                                   "validation accuracy), OUT/last.pt (resumable state) and OUT/metrics.json.")
    p.add_argument("--data", default=d.data, help="digits, breast_cancer, iris, mnist, fashion-mnist, "
                   "cifar10, cifar100, or a .npz with integer X and y (default: %(default)s)")
    p.add_argument("--root", default=None, help="folder with the standard MNIST (IDX) or CIFAR (binary) files")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--width", type=int, default=d.width)
    p.add_argument("--depth", type=int, default=d.depth)
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--tau", type=float, default=d.tau)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--thresholds", dest="num_thresholds", type=int, default=d.num_thresholds,
                   help="thermometer thresholds per feature (default: %(default)s)")
    p.add_argument("--encoding", choices=ENCODINGS, default=d.encoding)
    p.add_argument("--param", dest="parametrization", choices=PARAMETRIZATIONS, default=d.parametrization)
    p.add_argument("--estimator", choices=IWP_ESTIMATORS, default=d.estimator)
    p.add_argument("--init", default=d.init, help="ri, gauss, and-or, and-or-ri, uniform or a 4-bit "
                   "direction such as 0110 (OP: ri, gauss) (default: %(default)s)")
    p.add_argument("--connections", choices=CONNECTIONS, default=d.connections)
    p.add_argument("--grad-factor", type=float, default=d.grad_factor)
    p.add_argument("--mu", type=float, default=None, help="residual-init shift (default: by estimator)")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--eval-every", type=int, default=d.eval_every, help="0: every steps/20")
    p.add_argument("--device", default=d.device, help="cpu or cuda")
    p.add_argument("--backend", choices=BACKENDS, default=d.backend, help="relaxed-gate kernels on CPU")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from last.pt")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_run_train)


def _run_train(args) -> int:
    from .train import TrainConfig, train

    cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
    m = train(cfg, args.out, resume=args.resume, progress=not args.no_progress)
    print(json.dumps({k: m[k] for k in ("dataset", "steps", "gates", "seconds", "test_acc_discrete",
                                         "test_acc_relaxed")}, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ldlgn", description="Light differentiable logic gate networks: "
                                     "train, compile to C and Verilog, verify bit-exactly.")
    parser.add_argument("--version", action="version", version=f"ldlgn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    for name in ("compile", "verify", "report", "demo"):
        try:
            module = __import__(f"ldlgn.commands.{name}", fromlist=["add_parser"])
        except ModuleNotFoundError:
            continue
        module.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as err:
        print(f"ldlgn {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ldlgn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
