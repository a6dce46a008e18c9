"""LogicNet: eval mode is the discrete network; encoder; checkpoints; bad input."""

import zipfile

import numpy as np
import pytest
import torch

from ldlgn import checkpoint
from ldlgn.encoder import ThermometerEncoder, quantile_thresholds, uniform_thresholds
from ldlgn.layers import GroupSum, make_connections
from ldlgn.model import LogicNet


def small_net(**kw):
    args = dict(
        num_features=6, num_classes=3, width=60, depth=3, num_thresholds=4, input_bits=8, init="gauss", backend="torch"
    )
    args.update(kw)
    return LogicNet(**args)


@pytest.mark.parametrize("param", ["iwp", "op"])
def test_eval_mode_equals_discrete_description(param):
    net = small_net(parametrization=param)
    x = np.random.default_rng(1).integers(0, 256, (300, 6), dtype=np.uint8)
    net.encoder.fit(x, "quantile")
    scores, classes = net.predict(x, engine="torch")
    ref_scores, ref_classes = net.discrete().predict(x)
    assert np.array_equal(scores, ref_scores) and np.array_equal(classes, ref_classes)
    net.eval()
    logits = net(torch.as_tensor(x))
    assert torch.equal(logits, torch.as_tensor(ref_scores, dtype=torch.float32) / net.group_sum.tau)


def test_last_layer_rounded_to_class_multiple():
    net = small_net(width=61)
    assert net.layers[-1].out_dim == 63 and net.layers[0].out_dim == 61


def test_encoder_thresholds():
    assert uniform_thresholds([16], 3).tolist() == [[3, 7, 11]]
    x = np.arange(100).reshape(-1, 1)
    assert quantile_thresholds(x, 1).tolist() == [[49]]
    enc = ThermometerEncoder(1, 3, input_bits=5).fit(np.array([[0], [16]]), "uniform")
    bits = enc(torch.tensor([[0], [4], [8], [12], [16]]))
    assert bits.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 1, 1]]


def test_groupsum_counts_and_bad_split():
    gs = GroupSum(2, tau=4.0)
    x = torch.tensor([[1.0, 1.0, 0.0, 1.0]])
    assert gs.counts(x).tolist() == [[2.0, 1.0]] and gs(x).tolist() == [[0.5, 0.25]]
    with pytest.raises(ValueError, match="cannot be split into 3"):
        GroupSum(3)(x)


def test_connections_cover_inputs():
    a, b = make_connections(100, 60, "random")
    assert len(set(a.tolist()) | set(b.tolist())) == 100
    a, b = make_connections(6, 15, "unique")  # exactly all 15 pairs of 6 inputs
    assert (a != b).all() and len({(min(p), max(p)) for p in zip(a.tolist(), b.tolist())}) == 15


@pytest.mark.parametrize("param", ["iwp", "op"])
def test_checkpoint_round_trip_is_exact(tmp_path, param):
    net = small_net(parametrization=param)
    x = np.random.default_rng(2).integers(0, 256, (200, 6), dtype=np.uint8)
    net.encoder.fit(x, "quantile")
    path = checkpoint.save(net, tmp_path / "m.pt", meta={"note": "x"})
    raw = torch.load(path, weights_only=True)  # the safe loader reads it
    assert raw["format"] == "ldlgn-checkpoint"
    back = checkpoint.load(path)
    assert back.checkpoint_meta == {"note": "x"}
    for (k, v), (k2, v2) in zip(net.state_dict().items(), back.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    s1, c1 = net.predict(x, engine="torch")
    s2, c2 = back.predict(x, engine="torch")
    assert np.array_equal(s1, s2) and np.array_equal(c1, c2)
    assert not list(tmp_path.glob(".*tmp"))  # atomic write left nothing behind


def test_bad_checkpoints_are_named(tmp_path):
    good = checkpoint.save(small_net(), tmp_path / "good.pt")
    data = good.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(checkpoint.CheckpointError, match="truncated or not a torch checkpoint"):
        checkpoint.load(tmp_path / "trunc.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(checkpoint.CheckpointError, match="not an ldlgn checkpoint"):
        checkpoint.load(tmp_path / "foreign.pt")
    torch.save({"obj": zipfile.ZipInfo("x")}, tmp_path / "pickled.pt")
    with pytest.raises(checkpoint.CheckpointError, match="safe load refuses"):
        checkpoint.load(tmp_path / "pickled.pt")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(checkpoint.CheckpointError, match="not a torch checkpoint"):
        checkpoint.load(tmp_path / "text.pt")
    with pytest.raises(checkpoint.CheckpointError, match="not found"):
        checkpoint.load(tmp_path / "missing.pt")
    payload = torch.load(good, weights_only=True)
    payload["config"]["width"] = 7
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(checkpoint.CheckpointError, match="do not form a valid model"):
        checkpoint.load(tmp_path / "mismatch.pt")


def test_bad_inputs_are_named():
    net = small_net()
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        net.predict(np.zeros((3, 5), np.uint8), engine="torch")
    with pytest.raises(TypeError, match="must be integers"):
        net.predict(np.full((3, 6), np.nan), engine="torch")
    with pytest.raises(TypeError, match="must be integers"):
        net(torch.rand(3, 6))
    with pytest.raises(ValueError, match=r"0\.\.255"):
        net.predict(np.full((3, 6), 300, np.int64), engine="torch")
    with pytest.raises(ValueError, match=r"0\.\.255"):
        net.predict(np.full((3, 6), -1, np.int64), engine="torch")
    with pytest.raises(ValueError, match="unknown engine"):
        net.predict(np.zeros((3, 6), np.uint8), engine="fpga")
    with pytest.raises(ValueError, match="unknown encoding"):
        net.encoder.fit(np.zeros((3, 6), np.uint8), "log")


def test_unsafe_output_folders_are_refused(tmp_path):
    from pathlib import Path

    from ldlgn.compiler.fileio import check_output_dir, write_json

    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(ValueError, match="refusing"):
        check_output_dir("/")
    with pytest.raises(ValueError, match="refusing"):
        check_output_dir(Path.home())
    assert check_output_dir(tmp_path / "new") == tmp_path / "new"
    write_json(tmp_path / "a" / "b.json", {"k": 1})
    assert (tmp_path / "a" / "b.json").read_text() == '{\n  "k": 1\n}\n'
    assert not list((tmp_path / "a").glob(".*tmp"))
