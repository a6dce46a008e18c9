"""Trainer and the ``ldlgn train`` command on digits (small and fast)."""

import json

import pytest
import torch

from ldlgn import checkpoint
from ldlgn.cli import main
from ldlgn.train import TrainConfig, train

SMALL = dict(width=120, depth=2, steps=40, eval_every=10, tau=3.0, init="gauss", backend="torch")


def test_train_writes_best_model_and_metrics(tmp_path):
    m = train(TrainConfig(**SMALL), tmp_path, progress=False)
    for key in ("test_acc_discrete", "test_acc_relaxed", "steps", "gates", "seconds"):
        assert key in m
    assert m["steps"] == 40 and m["gates"] == 240
    assert m["test_acc_discrete"] > 0.3  # far above chance (0.1) after 40 steps
    assert [h["step"] for h in m["history"]] == [10, 20, 30, 40]
    best = max(h["val_acc_discrete"] for h in m["history"])
    assert m["val_acc_discrete"] == best
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    assert on_disk["test_acc_discrete"] == m["test_acc_discrete"]
    model = checkpoint.load(tmp_path / "model.pt")
    assert model.checkpoint_meta["step"] == m["best_step"]


def test_resume_equals_uninterrupted_run(tmp_path):
    full = train(TrainConfig(**SMALL), tmp_path / "full", progress=False)
    half = dict(SMALL, steps=20)
    train(TrainConfig(**half), tmp_path / "split", progress=False)
    resumed = train(TrainConfig(**SMALL), tmp_path / "split", resume=True, progress=False)
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [h["val_acc_discrete"] for h in full["history"]] == [h["val_acc_discrete"] for h in resumed["history"]]
    with pytest.raises(ValueError, match="other settings"):
        train(TrainConfig(**dict(SMALL, width=64)), tmp_path / "split", resume=True, progress=False)


def test_cli_train(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(
        [
            "train",
            "--data",
            "digits",
            "--width",
            "100",
            "--depth",
            "2",
            "--steps",
            "20",
            "--param",
            "op",
            "--seed",
            "3",
            "--out",
            str(out),
            "--no-progress",
            "--backend",
            "torch",
        ]
    )
    assert rc == 0
    out_text = capsys.readouterr().out
    printed = json.loads(out_text[: out_text.rindex("}") + 1])
    assert printed["steps"] == 20
    assert (out / "training_curves.png").is_file() and (out / "gate_distribution.png").is_file()
    assert (out / "model.pt").is_file() and (out / "metrics.json").is_file()
    assert checkpoint.load(out / "model.pt").config["parametrization"] == "op"


def test_cli_bad_options(tmp_path, capsys):
    assert main(["train", "--data", "nosuchdata", "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "nosuchdata" in capsys.readouterr().err
    assert main(["train", "--init", "zeros", "--steps", "1", "--out", str(tmp_path / "y"), "--no-progress"]) == 2
    assert "init 'zeros'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--param", "abc", "--out", str(tmp_path / "z")])
    with pytest.raises(ValueError, match="steps must be"):
        train(TrainConfig(steps=0), tmp_path / "w", progress=False)


def test_seeded_runs_are_reproducible(tmp_path):
    cfg = dict(SMALL, steps=10, eval_every=10)
    a = train(TrainConfig(**cfg), tmp_path / "a", progress=False)
    b = train(TrainConfig(**cfg), tmp_path / "b", progress=False)
    assert a["history"][-1]["loss"] == b["history"][-1]["loss"]
    sa = checkpoint.load(tmp_path / "a" / "model.pt").state_dict()
    sb = checkpoint.load(tmp_path / "b" / "model.pt").state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_cli_loads_without_the_simulation_stack():
    """`ldlgn train` works where cocotb is absent (e.g. a GPU training box): the parser imports no simulator."""
    import subprocess
    import sys

    code = (
        "import sys, ldlgn.cli; ldlgn.cli.build_parser(); "
        "assert 'cocotb' not in sys.modules and 'ldlgn.sim.runner' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_interrupted_run_resumes_exactly(tmp_path, monkeypatch):
    """Ctrl-C between evaluations keeps every finished step; resume ends where an uninterrupted run does."""
    import os
    import signal

    import ldlgn.train as T

    full = train(TrainConfig(**SMALL), tmp_path / "full", progress=False)
    calls = {"n": 0}
    real_step = torch.optim.Adam.step

    def ctrl_c_during_step_25(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 25:
            os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of the optimizer step
        return real_step(self, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", ctrl_c_during_step_25)
    with pytest.raises(KeyboardInterrupt):
        T.train(TrainConfig(**SMALL), tmp_path / "cut", progress=False)
    monkeypatch.setattr(torch.optim.Adam, "step", real_step)
    saved = json.loads(torch.load(tmp_path / "cut" / "last.pt", weights_only=True)["train_state"]["state"])
    assert saved["step"] == 25  # the step finished, and is kept although the last evaluation was at 20
    resumed = train(TrainConfig(**SMALL), tmp_path / "cut", resume=True, progress=False)
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "cut" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["test_acc_discrete"] == full["test_acc_discrete"]


def _image_npz(path, n=60, seed=0):
    """A small image data set (n, 3, 8, 8) whose class is the brighter half of the picture."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 120, (n, 3, 8, 8)).astype(np.uint8)
    y = rng.integers(0, 2, n)
    x[y == 1, :, :4] += 120
    np.savez(path, X=x, y=y)
    return path


def test_batches_are_shuffled_per_epoch_without_replacement(tmp_path, monkeypatch):
    """Every training row is seen once per epoch: record the rows each step trains on."""
    import numpy as np

    from ldlgn import batches
    from ldlgn.datasets import load_dataset

    seen = []
    real = batches.BatchStream.indices
    monkeypatch.setattr(batches.BatchStream, "indices", lambda self, s: seen.append(real(self, s)) or seen[-1])
    ds = load_dataset("digits", seed=0)
    n = len(ds.y_train)
    train(TrainConfig(**dict(SMALL, steps=-(-2 * n // 10), batch_size=10, eval_every=1000)), tmp_path, progress=False)
    rows = np.concatenate(seen)
    assert sorted(rows[:n].tolist()) == list(range(n)) and sorted(rows[n : 2 * n].tolist()) == list(range(n))


def test_augmented_run_resumes_exactly(tmp_path):
    data = str(_image_npz(tmp_path / "img.npz"))
    cfg = dict(SMALL, data=data, augment=True, steps=20, eval_every=5)
    full = train(TrainConfig(**cfg), tmp_path / "full", progress=False)
    train(TrainConfig(**dict(cfg, steps=10)), tmp_path / "split", progress=False)
    resumed = train(TrainConfig(**cfg), tmp_path / "split", resume=True, progress=False)
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert full["history"] == [dict(h, seconds=f["seconds"]) for h, f in zip(resumed["history"], full["history"])]
    plain = train(TrainConfig(**dict(cfg, augment=False)), tmp_path / "plain", progress=False)
    assert plain["history"][-1]["loss"] != full["history"][-1]["loss"]  # the augmentation changed the batches


def test_augment_needs_image_shaped_data(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"--augment needs image data.*digits has feature shape \(8, 8\)"):
        train(TrainConfig(**dict(SMALL, augment=True)), tmp_path / "a", progress=False)
    assert not (tmp_path / "a" / "last.pt").exists()
    assert main(["train", "--augment", "--steps", "1", "--out", str(tmp_path / "b"), "--no-progress"]) == 2
    assert "--augment needs image data" in capsys.readouterr().err


def test_last_pt_of_the_earlier_sampler_is_refused(tmp_path):
    train(TrainConfig(**dict(SMALL, steps=10)), tmp_path, progress=False)
    payload = torch.load(tmp_path / "last.pt", weights_only=True)
    del payload["train_state"]["sampler"]
    torch.save(payload, tmp_path / "last.pt")
    with pytest.raises(ValueError, match="drew batches another way"):
        train(TrainConfig(**SMALL), tmp_path, resume=True, progress=False)


def test_preset_sets_the_recipe_and_explicit_options_win(tmp_path):
    from ldlgn.cli import _given_train_options, build_parser
    from ldlgn.presets import PRESETS, apply_preset, preset_config

    argv = ["train", "--out", "x", "--tau", "10", "--preset", "cifar-paper", "--no-augment", "--wid", "50"]
    args = build_parser().parse_args(argv)
    values = {k: getattr(args, k) for k in TrainConfig.__dataclass_fields__}
    merged = apply_preset(args.preset, values, _given_train_options(argv, values))
    assert (merged["tau"], merged["augment"], merged["width"]) == (10.0, False, 50)  # given: kept, even at defaults
    assert {k: merged[k] for k in ("lr", "batch_size", "depth", "steps", "data")} == {
        "lr": 0.01,
        "batch_size": 100,
        "depth": 4,
        "steps": 250_000,
        "data": "cifar100",
    }
    cfg = preset_config("cifar-paper", depth=20)
    assert (cfg.width, cfg.depth, cfg.tau, cfg.augment, cfg.num_thresholds) == (128_000, 20, 100.0, True, 3)
    assert set(PRESETS["cifar-paper"]) <= set(TrainConfig.__dataclass_fields__)


@pytest.mark.parametrize(
    ("extra", "tau", "thresholds"),
    [([], 6.0, 7), (["--tau", "10"], 10.0, 7), (["--preset", "cdlgn-digits", "--thresholds", "3"], 6.0, 3)],
)
def test_a_named_arch_with_a_recipe_trains_with_it(tmp_path, capsys, extra, tau, thresholds):
    """`ldlgn train --data digits --arch cdlgn-digits` is the recipe's run; explicit options win."""
    import json

    from ldlgn.cli import main

    argv = ["train", "--data", "digits", "--arch", "cdlgn-digits", "--steps", "2", "--eval-every", "2"]
    assert main([*argv, "--out", str(tmp_path), "--no-progress", "--no-plots", *extra]) == 0
    cfg = json.loads((tmp_path / "metrics.json").read_text())["config"]
    assert (cfg["arch"], cfg["tau"], cfg["num_thresholds"]) == ("cdlgn-digits", tau, thresholds)
    err = capsys.readouterr().err
    assert ("trained with its recipe" in err) == ("--preset" not in extra)
