"""Training refuses what it cannot do well: a run folder in use, non-finite options and losses,
sizes beyond the machine, label sets that are not 0..k-1; and its files are reproducible,
readable by others (umask) and explained without unsafe advice."""

from __future__ import annotations

import fractions
import math
import os
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldlgn import checkpoint, formats
from ldlgn.cli import main
from ldlgn.compiler.fileio import atomic_write
from ldlgn.config import TrainConfig
from ldlgn.datasets import load_dataset
from ldlgn.model import LogicNet
from ldlgn.train import train

TINY: dict[str, Any] = dict(width=40, depth=2, steps=4, eval_every=2, tau=3.0, init="gauss", backend="torch")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A run folder with a small model trained under umask 022 (model.pt, last.pt, metrics.json)."""
    out = tmp_path_factory.mktemp("base")
    old = os.umask(0o022)
    try:
        train(TrainConfig(**TINY), out, progress=False)
    finally:
        os.umask(old)
    return out


def write_npz(path: Path, y, n_per_label: int = 6) -> Path:
    y = np.repeat(np.asarray(y, dtype=np.int64), n_per_label)
    x = np.random.default_rng(0).integers(0, 16, (len(y), 3)).astype(np.uint8)
    np.savez(path, X=x, y=y)
    return path


# ---- 1. one training run per folder ------------------------------------------------------
HOLD_LOCK = """
import fcntl, sys, time
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def test_second_run_on_a_busy_folder_fails_fast(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.perf_counter()
        with pytest.raises(RuntimeError, match="another training run") as err:
            train(TrainConfig(**TINY), out, progress=False)
        assert str(out) in str(err.value)
        assert time.perf_counter() - t0 < 10
        assert not (out / "model.pt").exists() and not (out / "last.pt").exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder died: its lock file is left behind but blocks nothing
    assert (out / ".lock").exists()
    train(TrainConfig(**TINY), out, progress=False)
    assert (out / "model.pt").is_file()


# ---- 2. NaN and inf ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tau", "mu", "grad_factor", "lr"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_options_are_refused(name, value):
    with pytest.raises(ValueError, match=name.replace("_", "-")):
        TrainConfig(**{name: value}).check()


def test_non_finite_loss_stops_training(tmp_path):
    # tau so small that the class logits overflow float32: the loss is NaN from the first step
    with pytest.raises(RuntimeError, match=r"step 1\b.*learning rate") as err:
        train(TrainConfig(**dict(TINY, tau=1e-40)), tmp_path, progress=False)
    assert "nan" in str(err.value).lower()
    assert not (tmp_path / "model.pt").exists()


def test_non_finite_parameters_are_not_discretized(tmp_path, capsys):
    net = LogicNet(4, 2, width=8, depth=2, input_bits=4, backend="torch")
    with torch.no_grad():
        net.layers[1].weights[3, 0] = math.nan
    with pytest.raises(ValueError, match="layer 1.*non-finite"):
        net.discrete()
    checkpoint.save(net, tmp_path / "nan.pt")
    assert main(["compile", str(tmp_path / "nan.pt"), "--out", str(tmp_path / "build"), "--no-yosys"]) == 2
    assert "non-finite" in capsys.readouterr().err
    assert not (tmp_path / "build" / "netlist.npz").exists()


# ---- 3. sizes are checked before anything is allocated -------------------------------------
@pytest.mark.parametrize(
    "option, cfg",
    [
        ("--width", dict(width=10**11)),
        ("--depth", dict(width=1000, depth=10**8)),
        ("--thresholds", dict(width=10, num_thresholds=10**10)),
        ("--batch-size", dict(width=100, batch_size=10**11)),
    ],
)
def test_sizes_beyond_the_machine_are_refused(tmp_path, option, cfg):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=option):
        train(TrainConfig(**dict(TINY, **cfg)), tmp_path / "run", progress=False)
    assert time.perf_counter() - t0 < 10
    assert not (tmp_path / "run").exists()


def test_depth_has_a_cap_even_when_it_fits_in_memory():
    with pytest.raises(ValueError, match="depth"):
        TrainConfig(width=1, depth=10**6).check()


def test_memory_limit_is_the_physical_memory():
    from ldlgn.sizing import memory_limit_bytes

    assert memory_limit_bytes() == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def test_the_estimate_lets_real_runs_through():
    from ldlgn.sizing import check_training_fits

    mnist = dict(width=64_000, depth=6, num_thresholds=3, batch_size=100)  # a large MNIST net
    check_training_fits(784, 10, mnist, limit=16 * 2**30)
    with pytest.raises(ValueError, match="--width 6400000 is too large"):
        check_training_fits(784, 10, dict(mnist, width=6_400_000), limit=16 * 2**30)


def test_checkpoint_claiming_a_huge_model_is_refused_before_building(base, tmp_path):
    payload = torch.load(base / "model.pt", weights_only=True)
    payload["config"]["width"] = 10**9
    torch.save(payload, tmp_path / "liar.pt")
    assert (tmp_path / "liar.pt").stat().st_size < 100_000
    t0 = time.perf_counter()
    with pytest.raises(checkpoint.CheckpointError, match="width=1000000000") as err:
        checkpoint.load(tmp_path / "liar.pt")
    assert "memory" in str(err.value) and "liar.pt" in str(err.value)
    assert time.perf_counter() - t0 < 10


def test_checkpoint_config_must_match_its_parameters(base, tmp_path):
    payload = torch.load(base / "model.pt", weights_only=True)
    payload["config"]["width"] = 4000  # fits in memory, but the stored layers hold 40 gates
    torch.save(payload, tmp_path / "other.pt")
    with pytest.raises(checkpoint.CheckpointError, match="gates"):
        checkpoint.load(tmp_path / "other.pt")


def test_a_huge_label_is_refused_before_building(tmp_path):
    path = write_npz(tmp_path / "big.npz", [0, 1, 10**9])
    with pytest.raises(ValueError, match="missing"):
        train(TrainConfig(**dict(TINY, data=str(path))), tmp_path / "run", progress=False)


# ---- 4. labels must be exactly 0..k-1 ----------------------------------------------------
def test_labels_with_gaps_are_refused_with_the_missing_ones(tmp_path):
    with pytest.raises(ValueError, match=r"missing labels 0, 1, 2, 4, 5, 6.*remap") as err:
        load_dataset(write_npz(tmp_path / "gaps.npz", [3, 7]))
    assert "gaps.npz" in str(err.value)


def test_huge_gap_lists_only_a_few_missing_labels(tmp_path):
    with pytest.raises(ValueError, match="999999999 labels are missing") as err:
        load_dataset(write_npz(tmp_path / "big.npz", [0, 10**9]))
    assert len(str(err.value)) < 600


@pytest.mark.parametrize("labels", [[9], [0]])
def test_a_single_class_is_refused(tmp_path, labels):
    with pytest.raises(ValueError, match="at least 2 classes"):
        load_dataset(write_npz(tmp_path / "one.npz", labels))


def test_contiguous_labels_load(tmp_path):
    ds = load_dataset(write_npz(tmp_path / "ok.npz", [0, 1, 2], n_per_label=10))
    assert ds.num_classes == 3


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array([0, 1, -1, 1] * 3), "negative"),
        (np.array([0, 1, 0.5, 1] * 3), "integers"),
    ],
)
def test_negative_and_fractional_labels_are_refused(tmp_path, y, match):
    np.savez(tmp_path / "bad.npz", X=np.ones((12, 2), np.uint8), y=y)
    with pytest.raises(ValueError, match=match):
        load_dataset(tmp_path / "bad.npz")


# ---- 5. files respect the umask ------------------------------------------------------------
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_respect_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        path = atomic_write(tmp_path / "f.txt", lambda tmp: Path(tmp).write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_training_outputs_are_readable_by_others(base):
    for name in ("model.pt", "last.pt", "metrics.json"):
        assert stat.S_IMODE((base / name).stat().st_mode) == 0o644, name


# ---- 6. smaller items ----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [-1, 2**63, 10**20])
def test_seed_out_of_range_is_refused(seed):
    with pytest.raises(ValueError, match=r"seed must be in 0\.\.2\*\*63-1"):
        TrainConfig(seed=seed).check()


def test_largest_seed_is_accepted():
    TrainConfig(seed=2**63 - 1).check()


def test_cli_huge_seed_names_the_option(tmp_path, capsys):
    assert main(["train", "--seed", str(10**20), "--out", str(tmp_path / "r"), "--no-progress", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "seed" in err and "Overflow" not in err


def test_resume_without_last_pt_fails(tmp_path):
    with pytest.raises(ValueError, match="nothing to resume"):
        train(TrainConfig(**TINY), tmp_path / "fresh", resume=True, progress=False)
    assert not (tmp_path / "fresh" / "model.pt").exists()


def test_same_seed_gives_byte_identical_model(tmp_path):
    cfg = dict(TINY, steps=2, eval_every=2)
    train(TrainConfig(**cfg), tmp_path / "a", progress=False)
    train(TrainConfig(**cfg), tmp_path / "b", progress=False)
    assert (tmp_path / "a" / "model.pt").read_bytes() == (tmp_path / "b" / "model.pt").read_bytes()


def test_checkpoint_errors_never_advise_unsafe_loading(tmp_path):
    torch.save(
        {
            "format": checkpoint.FORMAT,
            "version": checkpoint.VERSION,
            "config": {},
            "state_dict": {},
            "meta": {"x": fractions.Fraction(1, 3)},
        },
        tmp_path / "foreign.pt",
    )
    with pytest.raises(checkpoint.CheckpointError) as err:
        checkpoint.read(tmp_path / "foreign.pt")
    text = str(err.value)
    assert "foreign.pt" in text and "Fraction" in text
    for advice in ("weights_only", "safe_globals", "trust"):
        assert advice not in text


def test_idx_with_huge_dimensions_names_the_file(tmp_path):
    path = tmp_path / "huge-idx4-ubyte"
    path.write_bytes(struct.pack(">BBBB", 0, 0, 0x08, 4) + struct.pack(">4I", *[65536] * 4))
    with pytest.raises(ValueError, match="huge-idx4-ubyte.*truncated"):
        formats.read_idx(path)


# ---- property: bad numbers never start a run -----------------------------------------------
BAD_FLOATS = ["nan", "inf", "-inf", "1e400"]
BAD = st.one_of(
    st.tuples(st.sampled_from(["--lr", "--tau"]), st.sampled_from(BAD_FLOATS + ["0", "-1", "-1e-9"])),
    st.tuples(st.sampled_from(["--grad-factor"]), st.sampled_from(BAD_FLOATS + ["0", "-2"])),
    st.tuples(st.sampled_from(["--mu"]), st.sampled_from(BAD_FLOATS)),
    st.tuples(
        st.sampled_from(["--width", "--depth", "--thresholds", "--batch-size", "--steps"]),
        st.integers(max_value=0).map(str),
    ),
    st.tuples(
        st.sampled_from(["--width", "--thresholds", "--batch-size"]),
        st.integers(min_value=10**12, max_value=10**30).map(str),
    ),
    st.tuples(st.just("--depth"), st.integers(min_value=10**5, max_value=10**30).map(str)),
    st.tuples(
        st.just("--seed"), st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63, max_value=10**40)).map(str)
    ),
    st.tuples(st.just("--eval-every"), st.integers(max_value=-1).map(str)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=BAD)
def test_bad_numeric_options_never_start_a_run(capsys, bad):
    option, value = bad
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        rc = main(
            [
                "train",
                "--width",
                "30",
                "--depth",
                "2",
                "--steps",
                "3",
                "--backend",
                "torch",
                f"{option}={value}",
                "--out",
                str(out),
                "--no-progress",
                "--no-plots",
            ]
        )
        captured = capsys.readouterr()
        lines = captured.err.splitlines()
        assert rc == 2, (option, value, captured.err)
        assert len(lines) == 1 and lines[0].startswith("ldlgn train: error:"), captured.err
        assert "Traceback" not in captured.err
        assert not (out / "model.pt").exists() and not (out / "last.pt").exists()
