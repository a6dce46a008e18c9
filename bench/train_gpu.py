"""GPU training: forward, backward and whole-step milliseconds and peak memory, side by side.

Shape: the IWP paper's CIFAR-10 M network, 3072 features × 3 thresholds = 9216 encoder bits → depth
layers of 128,000 gates → GroupSum k=10, Adam lr 0.01, cross-entropy, at depth 4 and 80 and batch
1, 25, 100 and 1000. Implementations (``--impls``):

* ``triton``: the Triton kernels (:mod:`ldlgn.triton_kernels`), neuron-major, gathered input gradient;
* ``triton-batch``: the same kernels with batch-major activations;
* ``triton-atomic``: neuron-major with the fused backward that scatters the input gradient atomically;
* ``triton-graph``: ``triton`` with the whole step captured as a CUDA graph (``--cuda-graphs``, with
  Adam fused); a graph replays the step as one unit, so it has no separate forward and backward
  figures, and its peak counts the capture (the graph keeps that memory);
* ``torch``: the plain-torch polynomial path (``backend="torch"``);
* ``compile``: the torch path under ``torch.compile`` (compiling takes minutes at depth 80: it runs
  only at depths up to ``--compile-depth``).

Forward and backward are medians of single calls; the step is the mean over ``--repeat``
consecutive steps (encoder, forward, loss, backward, Adam), as training runs them; the peak is the
most device memory allocated during those steps (parameters, Adam state and activations). A case
that runs out of memory is reported as such. Run on a CUDA machine::

    python bench/train_gpu.py --json build/train_gpu.json

Without a GPU the script says so and exits 0; ``--smoke`` then runs a tiny shape through Triton's
CPU interpreter to check the script itself (its times mean nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch
from _timing import Clock, forward_backward, graphed_step, train_step

IMPLS = ("triton", "triton-batch", "triton-atomic", "triton-graph", "torch", "compile")
KERNEL_OPTIONS = {
    "triton": ("neuron", "gather"),
    "triton-batch": ("batch", "gather"),
    "triton-atomic": ("neuron", "atomic"),
    "triton-graph": ("neuron", "gather"),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--depths", type=int, nargs="+", default=[4, 80])
    p.add_argument("--batches", type=int, nargs="+", default=[1, 25, 100, 1000])
    p.add_argument("--width", type=int, default=128_000)
    p.add_argument("--features", type=int, default=3072, help="integer input features (3 thresholds each)")
    p.add_argument("--impls", nargs="+", choices=IMPLS, default=list(IMPLS))
    p.add_argument("--repeat", type=int, default=10, help="timed calls per figure")
    p.add_argument("--compile-depth", type=int, default=4, help="torch.compile only up to this depth")
    p.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    p.add_argument("--smoke", action="store_true", help="no GPU: a tiny shape in Triton's CPU interpreter")
    return p.parse_args(argv)


def build(args, depth: int, device: str):
    from ldlgn.model import LogicNet

    torch.manual_seed(0)
    model = LogicNet(args.features, 10, args.width, depth, num_thresholds=3, input_bits=8, backend="torch")
    return model.to(device).train()


def measure(impl: str, model, x, y, args, clock: Clock) -> dict:
    """Forward, backward and step times and the peak memory of one implementation."""
    from ldlgn import triton_kernels

    model.set_backend("torch" if impl in ("torch", "compile") else "triton")
    if impl in KERNEL_OPTIONS:
        triton_kernels.configure(*KERNEL_OPTIONS[impl])
    net = torch.compile(model) if impl == "compile" else model
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    row: dict = {}
    start = time.perf_counter()
    if impl == "triton-graph":
        if clock.cuda:  # the graph's memory pool is filled while it is captured: count from here
            torch.cuda.reset_peak_memory_stats()
        step = graphed_step(model, opt, loss_fn, x, y)
    else:
        step = train_step(net, opt, loss_fn, x, y)
        step()  # compiles (torch.compile, the Triton kernels) and builds the caches
        row["first_step_s"] = round(time.perf_counter() - start, 2)
        row["forward_ms"], row["backward_ms"] = forward_backward(net, loss_fn, x, y, clock.time, args.repeat, opt)
    step()
    if clock.cuda and impl != "triton-graph":
        torch.cuda.reset_peak_memory_stats()
    row["step_ms"] = clock.time(step, args.repeat)
    if clock.cuda:
        row["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return row


def run_case(impl, model, batch, args, device, clock) -> dict:
    row = {"impl": impl, "depth": len(model.layers), "batch": batch}
    if impl == "compile" and row["depth"] > args.compile_depth:
        return {**row, "note": f"skipped (--compile-depth {args.compile_depth})"}
    if impl == "triton-graph" and not clock.cuda:
        return {**row, "note": "needs CUDA"}
    gen = torch.Generator().manual_seed(batch)
    x = torch.randint(0, 256, (batch, args.features), dtype=torch.uint8, generator=gen).to(device)
    y = torch.randint(0, 10, (batch,), generator=gen).to(device)
    try:
        row.update(measure(impl, model, x, y, args, clock))
    except torch.OutOfMemoryError:
        row["note"] = "out of memory"
    finally:
        model.zero_grad(set_to_none=True)
        if clock.cuda:
            torch.cuda.empty_cache()
    return row


def show(rows: list[dict], header: bool = True) -> None:
    def fmt(v, digits=3):
        return "-" if v is None else f"{v:.{digits}f}"

    if header:
        print(f"{'impl':14} {'depth':>5} {'batch':>5} {'fwd ms':>9} {'bwd ms':>9} {'step ms':>9} {'peak GiB':>8}  note")
    for r in rows:
        print(
            f"{r['impl']:14} {r['depth']:>5} {r['batch']:>5} {fmt(r.get('forward_ms')):>9} "
            f"{fmt(r.get('backward_ms')):>9} {fmt(r.get('step_ms')):>9} {fmt(r.get('peak_gib'), 2):>8}  "
            f"{r.get('note', '')}",
            flush=True,
        )


def main(argv=None) -> int:
    args = parse_args(argv)
    if not torch.cuda.is_available():
        if not args.smoke:
            print("bench/train_gpu.py measures training on a CUDA GPU, and torch sees none: nothing to measure.")
            print("(--smoke runs a tiny shape in Triton's CPU interpreter to check the script.)")
            return 0
        os.environ["TRITON_INTERPRET"] = "1"
        args.width, args.features, args.depths, args.batches, args.repeat = 40, 4, [2], [3], 2
        args.impls = [i for i in args.impls if i not in ("triton-graph", "compile")]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    clock = Clock(device)
    rows: list[dict] = []
    show(rows)
    for depth in args.depths:
        model = build(args, depth, device)  # one network per depth: the figures do not depend on its values
        for batch in args.batches:
            for impl in args.impls:
                rows.append(run_case(impl, model, batch, args, device, clock))
                show(rows[-1:], header=False)
        del model
    print("\nsummary")
    show(rows)
    if args.json:
        import triton  # type: ignore[import-untyped]  # triton ships no type information

        meta = {
            "device": torch.cuda.get_device_name() if clock.cuda else platform.processor() or "cpu",
            "torch": torch.__version__,
            "triton": triton.__version__,
            "python": sys.version.split()[0],
            "width": args.width,
            "features": args.features,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
