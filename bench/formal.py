"""Formal equivalence at scale (docs/formal.md): seconds per proof, ABC ``cec`` next to Yosys ``sat``.

Two designs:

* a trained model (``--model path/to/model.pt``, e.g. the one ``ldlgn demo`` trains): compiled
  (C and combinational Verilog), then every property with each prover, as ``ldlgn verify
  --formal --prover abc|yosys`` runs them;
* the MNIST-shaped random net of ``bench/c_infer.py`` (400 features → 6 × 8000 gates, 10
  classes): compiled to Verilog and proved with ABC (``--yosys`` adds Yosys ``sat``, which takes
  many minutes there).

Synthesis of the Verilog to an AIG (Yosys, both variants in parallel) is printed on its own line.

Run: ``OMP_WAIT_POLICY=passive NUMBA_THREADING_LAYER=workqueue python bench/formal.py [--model M] [--yosys]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ldlgn.compiler import Netlist
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.lower import lower
from ldlgn.compiler.pipeline import compile_netlist
from ldlgn.sim.formal import formal_check


def mnist_shaped(features: int = 400, widths: tuple[int, ...] = (8000,) * 6, classes: int = 10) -> Netlist:
    """The random net of ``bench/c_infer.py``: one 8-bit threshold per feature, random wiring and tables."""
    rng = np.random.default_rng(0)
    layers, prev = [], features
    for w in widths:
        layers.append(DiscreteLayer(rng.integers(0, prev, w), rng.integers(0, prev, w), rng.integers(0, 16, w)))
        prev = w
    return lower(DiscreteNet(rng.integers(0, 255, (features, 1)), 8, layers, classes))


def prove_all(title: str, raw: Netlist, emit: tuple[str, ...], provers: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory(prefix="ldlgn_bench_formal_") as tmp:
        t0 = time.perf_counter()
        report = compile_netlist(raw, Path(tmp) / "b", "net", emit=emit, options={"verilog": {"yosys": False}})
        print(
            f"{title}: {report['gates_raw']:,} gates -> {report['gates_opt']:,}, depth {report['depth']}, "
            f"{report['classes']} classes of {raw.group_size}; compiled in {time.perf_counter() - t0:.1f} s"
        )
        for prover in provers:
            result = formal_check(Path(tmp) / "b", raw, prover, log_line=lambda line: print("    " + line))
            verdict = "all proved" if result.passed else "NOT all proved"
            print(f"  {prover}: {verdict}, {len(result.proofs)} proofs in {result.seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="a trained checkpoint to prove (e.g. runs/demo/model.pt)")
    parser.add_argument("--yosys", action="store_true", help="also prove the MNIST-shaped net with Yosys sat")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    if args.model:
        import ldlgn

        raw = lower(ldlgn.load(args.model).discrete(), "net")
        prove_all(f"model {args.model}", raw, ("c", "verilog"), ("abc", "yosys"))
    raw = mnist_shaped()
    prove_all(
        "MNIST-shaped random net (400 -> 6 x 8000)", raw, ("verilog",), ("abc", "yosys") if args.yosys else ("abc",)
    )


if __name__ == "__main__":
    main()
