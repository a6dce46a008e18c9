"""The paper's claim (d): IWP's backward pass against OP's, at equal shapes, per training step.

Four networks of the same shape, connections and batch: IWP and OP on three kernels
(``--op-kernel``, :mod:`ldlgn.op_sixteen`): ``difflogic`` (the per-sample work of difflogic's OP
CUDA kernel, which the paper timed: all 16 gates in the forward pass and the input gradient, four
weight-gradient sums expanded to 16 per gate), ``sixteen`` (16 weight-gradient sums per sample) and
``coefficients`` (ldlgn's default: the softmax folded into four coefficients per gate, so the
per-sample work equals IWP's).

Each repeat times a forward pass (gate layers, GroupSum and the cross-entropy loss, on inputs
encoded once beforehand) and its backward pass of every network in turn, as the paper's timing
loop does, by the wall clock (CUDA events on a GPU) and as CPU time of the process; the script
prints the medians and IWP's speed-up over each OP kernel, measured in the same run. On a CPU that
other jobs share, the CPU time of a single-threaded run (``--threads 1``) counts the work without
the time the scheduler gives to the others. Inputs are random CIFAR-sized images (3072 integer
features, 3 thresholds: 9216 input bits) and 100 classes. The paper's timed layers are 128,000
gates wide at batch 25 (CIFAR-100, depth scale 20: 80 layers); 4 layers keep that width on a
small CPU.

On the CPU the gates run on the Numba kernels. With ``--device cuda`` IWP and OP-coefficients run
on the Triton kernels (when installed) and the sixteen-gate kernels on plain torch, so those
comparisons are not kernel against kernel::

    OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/op_backward.py --threads 1
    python bench/op_backward.py --shapes 128000x4x25 --repeats 5 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from _timing import Clock

from ldlgn.model import LogicNet

NETWORKS = {
    "IWP": ("iwp", "coefficients"),
    "OP-difflogic": ("op", "difflogic"),
    "OP-sixteen": ("op", "sixteen"),
    "OP-coefficients": ("op", "coefficients"),
}
FEATURES, CLASSES = 3072, 100


def build(width: int, depth: int, device: str, data: np.ndarray) -> dict[str, LogicNet]:
    """The four networks, with the same connections (same seed) and a fitted encoder."""
    nets = {}
    for name, (param, op_kernel) in NETWORKS.items():
        torch.manual_seed(0)
        net = LogicNet(FEATURES, CLASSES, width, depth, 3, 8, 100.0, param, op_kernel=op_kernel)
        net.encoder.fit(data, "uniform")
        nets[name] = net.to(device).train()
    return nets


def timed_passes(net: LogicNet, bits, y, clock: Clock) -> tuple[float, float, float, float]:
    """Milliseconds of the forward pass (gate layers, GroupSum, loss) on encoded ``bits`` and of its
    backward pass, by ``clock`` and as CPU time of the process."""
    net.zero_grad(set_to_none=True)
    held = {}

    def forward():
        h = bits
        for layer in net.layers:
            h = layer(h)
        held["loss"] = torch.nn.functional.cross_entropy(net.group_sum(h), y)

    c0 = time.process_time()
    fwd = clock.time(forward)
    c1 = time.process_time()
    bwd = clock.time(lambda: held["loss"].backward())
    return fwd, bwd, 1e3 * (c1 - c0), 1e3 * (time.process_time() - c1)


def measure(width: int, depth: int, batch: int, repeats: int, device: str) -> dict[str, list[float]]:
    """Median forward and backward ms (clock, then CPU time) of each network over ``repeats``
    interleaved rounds (two warm-ups)."""
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (1000, FEATURES)).astype(np.uint8)
    nets = build(width, depth, device, data)
    bits = nets["IWP"].encoder(torch.as_tensor(data[:batch], device=device))  # encoded once, as the paper's runs
    y = torch.as_tensor(rng.integers(0, CLASSES, batch), device=device)
    clock = Clock(device)
    times: dict[str, list[tuple[float, ...]]] = {name: [] for name in nets}
    for r in range(repeats + 2):
        for name, net in nets.items():
            t = timed_passes(net, bits, y, clock)
            if r >= 2:
                times[name].append(t)
    return {n: [statistics.median(column) for column in zip(*t)] for n, t in times.items()}


def report(width: int, depth: int, batch: int, medians: dict[str, list[float]]) -> None:
    """Each network's medians; IWP's speed-up over each OP network beside them (the clock, then CPU time)."""
    iwp_f, iwp_b, iwp_fc, iwp_bc = medians["IWP"]
    print(f"{width} x {depth} layers, batch {batch} (ms; CPU time in brackets):")
    for name, (f, b, fc, bc) in medians.items():
        vs = "" if name == "IWP" else f"  IWP {b / iwp_b:.2f}x ({bc / iwp_bc:.2f}x) faster backward"
        vs += "" if name == "IWP" else f", {f / iwp_f:.2f}x ({fc / iwp_fc:.2f}x) forward"
        print(f"  {name:16s} backward {b:8.2f} ({bc:8.2f})  forward {f:8.2f} ({fc:8.2f}){vs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default="8000x6x100,128000x4x25", help="WIDTHxDEPTHxBATCH, comma-separated")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads for Numba and torch (0: their defaults); 1 is "
        "the steadiest on a machine that other jobs share",
    )
    args = parser.parse_args()
    if args.threads:
        import numba

        numba.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    threads = f"{torch.get_num_threads()} torch threads"
    print(f"median of {args.repeats} interleaved repeats, {args.device}, {threads}, torch {torch.__version__}")
    for shape in args.shapes.split(","):
        width, depth, batch = (int(v) for v in shape.lower().split("x"))
        report(width, depth, batch, measure(width, depth, batch, args.repeats, args.device))


if __name__ == "__main__":
    main()
