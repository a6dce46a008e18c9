"""FPGA figures of the head and pipelining choices, side by side in one run.

Designs: the `make demo` digits model (trained here when no --model is given: 2000×4, 2000
steps) and an MNIST-shaped random net (400 comparators → 6 layers × 8000 gates, 10 classes).
Variants: the legacy head (``legacy-*``: binary adder trees, comparator-tree argmax) against the
compressor head, each combinational (``comb``), registered every 2 logic levels (``every2``), and
``auto`` (registers placed by estimated LUT levels per stage); ``gpc6-*`` use 6:3 counters, the
popcount for LUT-6 devices (the default full adders suit 4-input LUTs), ``chain-*`` the carry-chain
segments for ECP5; ``*auto1`` allows one estimated LUT level per stage instead of the default.

    python bench/fpga.py [--model runs/digits/model.pt] [--targets lut6,ecp5-25k] [--mnist]

ECP5 place and route takes minutes per variant; the MNIST-shaped net (about 50k gates) is too big
for an LFE5U-25F and runs on the lut6 target only.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ldlgn.compiler import lower, optimize
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.serialize import load_netlist
from ldlgn.compiler.synth import synthesize
from ldlgn.compiler.verilog import emit_verilog

VARIANTS: dict[str, dict[str, Any]] = {
    "legacy-comb": dict(popcount="adder"),
    "legacy-every2": dict(popcount="adder", pipeline_every=2),
    "comb": dict(),
    "every2": dict(pipeline_every=2),
    "auto": dict(pipeline_every="auto"),
    "auto1": dict(pipeline_every="auto", stage_levels=1),
    "chain-comb": dict(popcount="chain"),
    "chain-auto": dict(popcount="chain", pipeline_every="auto"),
    "chain-auto1": dict(popcount="chain", pipeline_every="auto", stage_levels=1),
    "gpc6-comb": dict(popcount="gpc6"),
    "gpc6-auto": dict(popcount="gpc6", pipeline_every="auto"),
}


def digits_netlist(model: str | None) -> Netlist:
    if model and model.endswith(".npz"):
        return load_netlist(model)
    from ldlgn.checkpoint import load
    from ldlgn.train import TrainConfig, train

    if model is None:
        out = Path("runs/bench_fpga")
        if not (out / "model.pt").is_file():
            cfg = TrainConfig(data="digits", width=2000, depth=4, steps=2000, tau=10.0, seed=0)
            train(cfg, out, progress=False)
        model = str(out / "model.pt")
    discrete = load(model).discrete()
    if not isinstance(discrete, DiscreteNet):
        raise SystemExit(f"{model}: bench/fpga.py compares heads on two-input models; this one has n-input gates")
    net, _ = optimize(lower(discrete, "digits"))
    return net


def mnist_shaped(seed: int = 0) -> Netlist:
    """400 comparators (100 features × 4 thresholds, 8 bits) → 6 × 8000 random gates → 10 classes."""
    rng = np.random.default_rng(seed)
    thr = np.sort(rng.integers(0, 256, size=(100, 4)), axis=1)
    layers, prev = [], 400
    for _ in range(6):
        a, b = rng.integers(0, prev, 8000), rng.integers(0, prev, 8000)
        a[: min(prev, 8000)] = rng.permutation(prev)[:8000]
        layers.append(DiscreteLayer(a, b, rng.integers(0, 16, 8000).astype(np.uint8)))
        prev = 8000
    net, _ = optimize(lower(DiscreteNet(thr, 8, layers, 10), "mnist"))
    return net


def row(design: str, variant: str, target: str, s: dict) -> str:
    fmax = f"{s['fmax_mhz']:.0f}" if s.get("fmax_mhz") else "-"
    lat_ns = f"{s['latency_ns']:.0f}" if s.get("latency_ns") else "-"
    parts = s["luts_by_part"]
    return (
        f"{design:<7} {variant:<24} {target:<10} {s['luts']:>6} {s['comb_cells']:>6} {s['flip_flops']:>6} "
        f"{parts['popcount']:>6} {s['popcount_luts_per_counted_bit'] or 0:>5.2f} {parts['argmax']:>5} "
        f"{fmax:>5} {s['latency_cycles']:>3} {lat_ns:>5} {s['seconds']['synthesis']:>6.0f} "
        f"{s['seconds']['place_and_route']:>6.0f}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help="digits model.pt or netlist.npz (default: train one)")
    p.add_argument("--targets", default="lut6,ecp5-25k")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated subset of {', '.join(VARIANTS)}")
    p.add_argument("--mnist", action="store_true", help="add the MNIST-shaped random net (lut6 target)")
    args = p.parse_args()
    unknown = [v for v in args.variants.split(",") if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    designs = [("digits", digits_netlist(args.model), args.targets.split(","))]
    if args.mnist:
        designs.append(("mnist", mnist_shaped(), ["lut6"]))
    print(
        f"{'design':<7} {'variant':<24} {'target':<10} {'LUTs':>6} {'LUTeq':>6} {'FFs':>6} {'pop':>6} "
        f"{'L/bit':>5} {'amax':>5} {'Fmax':>5} {'cyc':>3} {'ns':>5} {'synth':>6} {'pnr':>6}"
    )
    for dname, net, targets in designs:
        for variant in args.variants.split(","):
            for target in targets:
                with tempfile.TemporaryDirectory() as tmp:
                    t0 = time.perf_counter()
                    design = emit_verilog(net, tmp, name=dname, **VARIANTS[variant])
                    s = synthesize(design, target)
                    s["seconds"]["emit"] = time.perf_counter() - t0 - sum(s["seconds"].values())
                print(row(dname, variant, target, s), flush=True)


if __name__ == "__main__":
    main()
