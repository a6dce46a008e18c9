"""``python -m ldlgn.sim DESIGN_DIR VECTORS.npz``: verify an emitted design under Icarus.

``DESIGN_DIR`` holds the files and ``design.json`` written by ``emit_verilog``; ``VECTORS.npz``
holds ``x`` (n, features) and the expected ``scores`` (n, classes) and ``classes`` (n,).
Exit status 0 when every sample matches, 1 on mismatches, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
import zipfile

import numpy as np

from ldlgn.compiler.verilog import VerilogDesign

from .runner import simulate


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ldlgn.sim", description=__doc__.splitlines()[0])
    ap.add_argument("design_dir", help="folder written by emit_verilog (with design.json)")
    ap.add_argument("vectors", help=".npz with arrays x, scores, classes")
    ap.add_argument("--max-report", type=int, default=10, help="mismatches to list")
    args = ap.parse_args(argv)
    try:
        design = VerilogDesign.load(args.design_dir)
        with np.load(args.vectors, allow_pickle=False) as data:
            missing = {"x", "scores", "classes"} - set(data.files)
            if missing:
                raise ValueError(f"{args.vectors} lacks the arrays {sorted(missing)}")
            x, scores, classes = data["x"], data["scores"], data["classes"]
        result = simulate(design, x, scores, classes, max_report=args.max_report)
    except (OSError, ValueError, TypeError, zipfile.BadZipFile) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(result.report())
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
