"""Data-parallel training (ldlgn.distributed): two gloo processes on the CPU train the model one
process trains, rank 0 writes the files, a data-parallel run resumes exactly, and bad launches
are refused before anything starts."""

import json
import os
import subprocess
import sys

import pytest
import torch

from ldlgn.cli import main
from ldlgn.config import TrainConfig
from ldlgn.train import train

#: a small run: 6 steps of a global batch of 20 (10 rows per rank), evaluated at steps 3 and 6
RUN = dict(data="digits", width=64, depth=2, steps=6, batch_size=20, eval_every=3)


def argv(**options) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]


def torchrun(out, *flags, **options) -> str:
    """``torchrun --nproc_per_node 2 -m ldlgn train --ddp`` with ``RUN`` updated by ``options``;
    returns what the ranks printed."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    cmd += ["-m", "ldlgn", "train", "--ddp", "--no-progress", "--no-plots", f"--out={out}", *flags]
    cmd += argv(**{**RUN, **options})
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def weights(path) -> dict:
    return torch.load(path, weights_only=True)["state_dict"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same run in one process and in two (torchrun)."""
    root = tmp_path_factory.mktemp("ddp")
    train(TrainConfig(**RUN), root / "one", progress=False)
    printed = torchrun(root / "two")
    assert "rank 0 of 2 joined the gloo process group" in printed
    assert "rank 1 of 2 joined the gloo process group" in printed
    return root


@pytest.mark.slow
def test_two_processes_train_what_one_trains(runs):
    """Float32 tolerance, not bit for bit: each rank sums its share's gradients before the
    all-reduce adds the two sums, another order of additions than one process's sum."""
    one, two = weights(runs / "one" / "last.pt"), weights(runs / "two" / "last.pt")
    assert one.keys() == two.keys()
    for key in one:
        if key.endswith("weights"):
            torch.testing.assert_close(two[key], one[key], atol=1e-4, rtol=1e-5)
        else:  # connections and thresholds come from the seed alike
            assert torch.equal(two[key], one[key]), key
    m1, m2 = (json.loads((runs / d / "metrics.json").read_text()) for d in ("one", "two"))
    assert [h["step"] for h in m2["history"]] == [3, 6] and m2["config"]["ddp"] is True
    for h1, h2 in zip(m1["history"], m2["history"]):  # the recorded loss is the whole batch's mean
        assert h2["loss"] == pytest.approx(h1["loss"], rel=1e-5)
    assert sorted(p.name for p in (runs / "two").iterdir()) == sorted(p.name for p in (runs / "one").iterdir())


@pytest.mark.slow
def test_data_parallel_run_resumes_exactly(runs, tmp_path):
    """Two gloo ranks add their sums in a fixed order: a resumed run ends bit-identical."""
    torchrun(tmp_path, steps=3)
    torchrun(tmp_path, "--resume", steps=6)
    whole, resumed = weights(runs / "two" / "last.pt"), weights(tmp_path / "last.pt")
    assert all(torch.equal(resumed[k], whole[k]) for k in whole)


def test_a_group_of_one_is_the_plain_run(tmp_path, monkeypatch):
    """``--ddp`` under a one-process torchrun runs the plain code: the same parameters, bit for bit."""
    small = {**RUN, "steps": 2, "eval_every": 2}
    train(TrainConfig(**small), tmp_path / "plain", progress=False)
    for name, value in dict(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0").items():
        monkeypatch.setenv(name, value)
    train(TrainConfig(**small, ddp=True), tmp_path / "ddp", progress=False)
    plain, ddp = weights(tmp_path / "plain" / "last.pt"), weights(tmp_path / "ddp" / "last.pt")
    assert all(torch.equal(ddp[k], plain[k]) for k in plain)


@pytest.mark.parametrize(
    "env,options,message",
    [
        ({}, ["--ddp"], "launch it with torchrun"),
        ({"RANK": "1", "WORLD_SIZE": "2"}, [], "add --ddp"),
        ({"RANK": "0", "WORLD_SIZE": "2"}, ["--ddp", "--batch-size=21"], "does not split into 2 equal shares"),
        ({"RANK": "2", "WORLD_SIZE": "2"}, ["--ddp"], "bad process group"),
        ({"RANK": "zero", "WORLD_SIZE": "2"}, ["--ddp"], "must be set"),
        ({}, ["--cuda-graphs"], "--cuda-graphs captures the training step on a CUDA GPU"),
    ],
)
def test_bad_launches_are_refused_before_anything_is_written(tmp_path, monkeypatch, capsys, env, options, message):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["train", "--data=digits", f"--out={tmp_path / 'run'}", "--no-progress", *options]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
