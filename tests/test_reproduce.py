"""``ldlgn reproduce`` and the paper's CIFAR recipe (claim (e) cannot run here: it starts on a
synthetic CIFAR-100 file)."""

import json
import shlex

import numpy as np
import pytest

from ldlgn.cli import _given_train_options, build_parser, main
from ldlgn.config import TrainConfig
from ldlgn.presets import apply_preset
from ldlgn.reproduce import cifar100_commands, steps_to_reach


@pytest.mark.slow
def test_reproduce_quick_writes_every_claim(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["reproduce", "--quick", "--out", str(out)]) == 0
    record = json.loads((out / "reproduce.json").read_text())
    claims = record["claims"]
    assert list(claims) == ["a", "b", "c", "d", "e"] and record["mode"] == "quick"
    assert claims["a"]["ratio"] == 4.0 and claims["a"]["state_ratio"] == 4.0
    assert [s["seed"] for s in claims["b"]["seeds"]] == [0, 1, 2]
    for s in claims["b"]["seeds"]:
        assert s["op_steps"] is not None and s["op_best_val"] == max(v for _, v in s["curves"]["OP-RI"])
    assert set(claims["c"]["accuracy"]) == {"IWP-RI", "OP-RI", "IWP-Gauss"}
    assert all(len(d["values"]) == 3 for v in claims["c"]["accuracy"].values() for d in v.values())
    assert all(r["iwp_ms"] > 0 and r["op_ms"] > 0 and r["opd_ms"] > 0 for r in claims["d"]["shapes"])
    assert claims["d"]["max_speedup_difflogic"] > 0 and "the paper's comparison" in claims["d"]["ours"]
    for name in record["figures"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (out / "claims.md").read_text()
    assert table.count("\n| (") == 5 and "ldlgn train --preset cifar-paper --depth 20" in table
    assert "| (b) steps to OP's best accuracy |" in capsys.readouterr().out
    # one claim again: the others stay as measured
    assert main(["reproduce", "--quick", "--only", "a,e", "--out", str(out)]) == 0
    again = json.loads((out / "reproduce.json").read_text())["claims"]
    assert list(again) == ["a", "b", "c", "d", "e"] and again["b"] == claims["b"] and again["d"] == claims["d"]
    assert again["a"]["command"] == f"ldlgn reproduce --quick --only a --out {out}"


def test_only_names_known_claims(tmp_path, capsys):
    assert main(["reproduce", "--only", "b,x", "--out", str(tmp_path)]) == 2
    assert "unknown claims ['x']" in capsys.readouterr().err
    assert not (tmp_path / "reproduce.json").exists()


def test_steps_to_reach():
    hist = [{"step": 10, "val_acc_discrete": 0.5}, {"step": 20, "val_acc_discrete": 0.8}]
    assert steps_to_reach(hist, 0.6) == 20 and steps_to_reach(hist, 0.5) == 10 and steps_to_reach(hist, 0.9) is None


def test_cifar100_commands_are_the_preset_at_depth_scale_5():
    for command in cifar100_commands(root="/data").values():
        argv = shlex.split(command)[1:]
        args = build_parser().parse_args(argv)
        values = {k: getattr(args, k) for k in TrainConfig.__dataclass_fields__}
        cfg = TrainConfig(**apply_preset(args.preset, values, _given_train_options(argv, values)))
        assert (cfg.data, cfg.width, cfg.depth, cfg.tau, cfg.lr, cfg.batch_size) == (
            "cifar100",
            128_000,
            20,
            100.0,
            0.01,
            100,
        )
        assert cfg.augment and cfg.init == "ri" and cfg.root == "/data" and cfg.device == "cuda"


def _write_cifar100(folder, n_train=120, n_test=20, seed=0):
    """Files in the CIFAR-100 binary format: a coarse and a fine label byte, then 3x32x32 pixels."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for name, n in (("train.bin", n_train), ("test.bin", n_test)):
        fine = rng.integers(0, 100, n, dtype=np.uint8)
        labels = np.stack([fine // 5, fine], axis=1).astype(np.uint8)
        pixels = rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)
        (folder / name).write_bytes(np.concatenate([labels, pixels], axis=1).tobytes())


@pytest.mark.slow
def test_cifar_paper_preset_trains_a_few_steps_on_a_cifar100_file(tmp_path, capsys):
    root = tmp_path / "data"
    _write_cifar100(root / "cifar-100-binary")
    out = tmp_path / "run"
    argv = ["train", "--preset", "cifar-paper", "--root", str(root), "--out", str(out)]
    argv += ["--width", "200", "--depth", "2", "--steps", "3", "--eval-every", "3", "--no-progress", "--no-plots"]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    cfg = metrics["config"]
    assert metrics["steps"] == 3 and metrics["dataset"] == "cifar100"
    recipe = (cfg["tau"], cfg["lr"], cfg["batch_size"], cfg["num_thresholds"], cfg["augment"])
    assert recipe == (100.0, 0.01, 100, 3, True)
    assert (cfg["width"], cfg["depth"]) == (200, 2)  # given explicitly: they win over the preset
