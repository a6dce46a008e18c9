"""The flow examples (train → Verilog, RTL verification) in short configurations, and the demo."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ldlgn.demo import run_demo

pytestmark = pytest.mark.slow  # each test trains and runs a whole flow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(*args, timeout=600):
    p = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def test_train_to_verilog_then_verify_rtl(tmp_path):
    out = tmp_path / "bc"
    rc, text = _run(
        EXAMPLES / "train_to_verilog.py",
        "--data",
        "breast_cancer",
        "--width",
        "200",
        "--depth",
        "2",
        "--steps",
        "150",
        "--no-yosys",
        "--pipeline",
        "1",
        "--out",
        out,
    )
    assert rc == 0, text
    assert "Verilog top module breast_cancer_net" in text and "input  [239:0] x" in text
    report = json.loads((out / "build" / "report.json").read_text())
    assert report["backends"]["verilog"]["latency_cycles"] >= 1
    assert (out / "build" / "verilog" / "breast_cancer_net.v").is_file()
    rc, text = _run(EXAMPLES / "verify_rtl.py", out / "model.pt", "--samples", "40")
    assert rc == 0, text
    assert text.count("40 samples, 0 mismatches") == 2 and "RTL equals the model on every sample" in text


def test_demo_end_to_end(tmp_path):
    lines = []
    summary = run_demo(tmp_path / "demo", progress=False, log=lines.append)
    assert summary["passed"], "\n".join(lines)
    assert summary["test_acc_discrete"] >= 0.96
    assert set(summary["engines"]) == {"torch", "numba", "c", "rtl", "rtl-pipelined"}
    assert all(e["agreement"] == 1.0 for e in summary["engines"].values())
    assert summary["gates_optimized"] < summary["gates_trained"] and summary["lut6"] > 0
    assert summary["c_samples_per_s"] > 0
    text = "\n".join(lines)
    assert "ALL ENGINES AGREE" in text and "FPGA (Yosys, generic LUT-6)" in text
    for name in (
        "model.pt",
        "metrics.json",
        "summary.json",
        "training_curves.png",
        "gate_distribution.png",
        "build/report.json",
        "build/verify.json",
        "build/netlist.npz",
    ):
        assert (tmp_path / "demo" / name).is_file(), name
