"""Run figures (PNG files that decode to real images) and the examples in their short configuration."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from ldlgn import checkpoint
from ldlgn.compiler.truth_tables import GATE_NAMES
from ldlgn.model import LogicNet
from ldlgn.plots import gate_counts, plot_gate_distribution, plot_run_comparison, plot_training_curves, write_run_plots
from ldlgn.train import TrainConfig, train

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    """A real PNG: signature, a non-trivial size, decodes to an image that is not blank."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert len(data) > 5000, f"{path} is suspiciously small ({len(data)} bytes)"
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 300
    assert img[..., :3].std() > 0.05  # something is drawn on the white canvas
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")], "temp files left behind"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    train(
        TrainConfig(width=60, depth=3, steps=30, eval_every=10, tau=2.5, init="gauss", backend="torch"),
        out,
        progress=False,
    )
    return out


def test_write_run_plots(run_dir):
    paths = write_run_plots(run_dir)
    assert [p.name for p in paths] == ["training_curves.png", "gate_distribution.png"]
    for p in paths:
        assert p.parent == run_dir
        assert_png(p)


def test_curves_from_history_list_and_comparison(run_dir, tmp_path):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert_png(plot_training_curves(metrics["history"], tmp_path / "curves.png"))
    assert_png(plot_run_comparison({"a": metrics, "b": metrics["history"]}, tmp_path / "cmp.png", target=0.5))


def test_gate_counts_follow_the_truth_tables(run_dir, tmp_path):
    model = checkpoint.load(run_dir / "model.pt")
    counts = gate_counts(model)
    assert counts.shape == (3, 16)
    assert counts.sum(1).tolist() == [layer.out_dim for layer in model.layers]
    # OP with residual init: every gate starts as "pass the first input"
    op_ri = LogicNet(64, 10, width=50, depth=2, parametrization="op", init="ri", backend="torch")
    expected = np.zeros((2, 16), np.int64)
    expected[:, GATE_NAMES.index("A")] = 50
    np.testing.assert_array_equal(gate_counts(op_ri), expected)
    assert_png(plot_gate_distribution(op_ri, tmp_path / "gates.png"))
    assert_png(plot_gate_distribution(run_dir / "model.pt", tmp_path / "gates_from_file.png"))


def test_bad_input_gives_clear_errors(run_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="run folder not found"):
        write_run_plots(tmp_path / "nothing_here")
    half = tmp_path / "half"
    half.mkdir()
    (half / "model.pt").write_bytes((run_dir / "model.pt").read_bytes())
    with pytest.raises(FileNotFoundError, match="metrics.json is missing"):
        write_run_plots(half)
    (half / "metrics.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        write_run_plots(half)
    (half / "metrics.json").write_text(json.dumps({"history": []}))
    with pytest.raises(ValueError, match="history is empty"):
        write_run_plots(half)
    with pytest.raises(ValueError, match="lacks"):
        plot_training_curves([{"step": 1}], tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"\.png"):
        plot_training_curves(json.loads((run_dir / "metrics.json").read_text()), tmp_path / "x.jpg")
    assert not list(tmp_path.glob("x.*"))


def run_example(name: str, *args: str) -> str:
    env = dict(os.environ, OMP_WAIT_POLICY="passive", NUMBA_THREADING_LAYER="workqueue", MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_iwp_vs_op_example(tmp_path):
    out = run_example("iwp_vs_op.py", "--short", "--backend", "torch", "--out", str(tmp_path))
    for label in ("IWP-RI", "OP"):
        row = re.search(rf"^{label}\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)", out, re.M)
        assert row, out
        assert 0.0 <= float(row.group(3)) <= 1.0
        assert (tmp_path / label / "model.pt").is_file()
        assert_png(tmp_path / label / "training_curves.png")
    assert re.search(r"IWP-RI (reaches|did not reach) OP's best discretized validation accuracy", out), out
    final = re.search(
        r"final discretized test accuracy \(best-validation checkpoint\): "
        r"IWP-RI ([\d.]+), OP ([\d.]+)",
        out,
    )
    assert final and all(0.0 <= float(v) <= 1.0 for v in final.groups())
    assert_png(tmp_path / "iwp_vs_op.png")


@pytest.mark.slow
def test_depth_scaling_example(tmp_path):
    out = run_example("depth_scaling.py", "--short", "--backend", "torch", "--out", str(tmp_path))
    header = re.search(r"^depth\s+IWP-RI\s+OP-RI\s+IWP-Gauss$", out, re.M)
    assert header, out
    rows = re.findall(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out, re.M)
    assert [int(r[0]) for r in rows] == [2, 4]
    assert all(0.0 <= float(v) <= 1.0 for r in rows for v in r[1:])
    assert len(list(tmp_path.glob("*-depth*/model.pt"))) == 6
    assert_png(tmp_path / "depth_scaling.png")
