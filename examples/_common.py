"""What the training examples share: their run options and the accuracy-against-depth figure.

The examples run as scripts, so their own folder is on ``sys.path`` and ``import _common`` finds
this module.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ldlgn.compiler.extras import require
from ldlgn.plots import save_figure
from ldlgn.train import TrainConfig, train

# matplotlib is the [plots] extra: importing ldlgn.plots above already named it when missing
Figure = require("matplotlib.figure", "plots").Figure


def example_parser(doc: str) -> argparse.ArgumentParser:
    """A parser whose description is the first paragraph of the example's docstring."""
    return argparse.ArgumentParser(
        description=doc.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )


def add_run_options(p: argparse.ArgumentParser, *, steps: int, eval_every: int, lr: bool = True) -> None:
    """The training options every example takes (``lr``: whether ``--lr`` is one of them)."""
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--eval-every", type=int, default=eval_every)
    p.add_argument("--tau", type=float, default=None, help="GroupSum temperature (default: sqrt(gates per class))")
    if lr:
        p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)


def parse_with_short(
    p: argparse.ArgumentParser, argv: list[str] | None, out: str, short: dict[str, Any]
) -> argparse.Namespace:
    """Add ``--device``, ``--backend``, ``--out`` and ``--short``, parse ``argv``, and with ``--short``
    replace the options named in ``short`` (a seconds-long configuration for smoke tests)."""
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", default="auto", choices=("auto", "numba", "torch"))
    p.add_argument("--out", default=out, help="folder for the runs and the figure")
    p.add_argument("--short", action="store_true", help=f"tiny configuration for smoke tests: {short}")
    args = p.parse_args(argv)
    if args.short:
        for k, v in short.items():
            setattr(args, k, v)
    return args


def train_variant(args: argparse.Namespace, ds, tau: float, variant: tuple[str, str], run: Path, **network) -> dict:
    """Train one ``(parametrization, init)`` variant with the run options of ``args`` (``--lr`` where
    the example has it) and the ``network`` options; the run's summary."""
    param, init = variant
    options = dict(lr=args.lr) if hasattr(args, "lr") else {}
    cfg = TrainConfig(
        data=args.data,
        steps=args.steps,
        tau=tau,
        seed=args.seed,
        parametrization=param,
        init=init,
        eval_every=args.eval_every,
        device=args.device,
        backend=args.backend,
        **network,
        **options,
    )
    return train(cfg, run, progress=False, dataset=ds)


def plot_accuracy_by_depth(depths, accuracy: dict[str, list[float]], path, title: str, xlabel: str) -> Path:
    """Discretized test accuracy against depth, one line per variant."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    for label, acc in accuracy.items():
        ax.plot(depths, acc, "o-", lw=2, label=label)
    ax.set_xticks(depths)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("discretized test accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    ax.set_title(title)
    return save_figure(fig, path)
