"""Drive real data through the RTL of a trained model under Icarus Verilog (cocotb) and compare
every class score and class with the model, combinational and pipelined.

    python examples/verify_rtl.py runs/digits/model.pt               # whole test split
    python examples/verify_rtl.py runs/digits/model.pt --samples 100
"""

from __future__ import annotations

import argparse
import sys

import ldlgn
from ldlgn.compiler import lower, optimize
from ldlgn.datasets import load_dataset
from ldlgn.sim import simulate


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="checkpoint written by `ldlgn train`")
    p.add_argument("--samples", type=int, default=None, help="first N test samples (default: all)")
    p.add_argument("--pipeline", type=int, default=2, help="pipeline interval of the pipelined variant")
    args = p.parse_args(argv)

    model = ldlgn.load(args.model)
    cfg = model.checkpoint_meta["train_config"]
    ds = load_dataset(cfg["data"], cfg.get("root"), seed=cfg["seed"])
    x = ds.x_test[: args.samples]
    scores, classes = model.predict(x, engine="torch")  # the reference: torch eval
    net, _ = optimize(lower(model.discrete(), name="net"))
    ok = True
    for pipelined in (False, True):
        result = simulate(net, x, scores, classes, pipelined=pipelined, pipeline_every=args.pipeline)
        print(result.report())
        ok &= result.passed
    print("RTL equals the model on every sample" if ok else "RTL DIFFERS from the model")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
