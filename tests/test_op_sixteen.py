"""The sixteen-gate OP kernels (difflogic's per-sample work, with 16 or 4 weight-gradient sums)
compute what the coefficient OP kernel computes: the same outputs and the same gradients, on Numba
and on torch; and claim (d) of ``ldlgn reproduce`` reports IWP against every OP kernel."""

import json

import numpy as np
import pytest
import torch

from ldlgn import parametrization as P
from ldlgn.checkpoint import load
from ldlgn.cli import main
from ldlgn.compiler import truth_tables as tt
from ldlgn.config import TrainConfig
from ldlgn.datasets import load_dataset
from ldlgn.functional import relaxed_gates_torch
from ldlgn.layers import LogicLayer
from ldlgn.model import LogicNet
from ldlgn.op_sixteen import gate_slopes, gate_values, sixteen_gates, sixteen_gates_torch
from ldlgn.op_sixteen_numba import sixteen_gates_numba
from ldlgn.reproduce_backward import claim_backward

ATOL, RTOL = 2e-5, 1e-4


def test_gate_values_are_difflogics_gates_in_ldlgns_ids():
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # rows r = 2A + B
    values = gate_values(corners[:, 0], corners[:, 1])  # (4 rows, 16 gates)
    assert torch.equal(values.T, torch.tensor(tt.OP_ROWS, dtype=torch.float32))


def test_gate_slopes_are_the_derivatives_of_the_gate_values():
    A, B = torch.rand(50, dtype=torch.float64), torch.rand(50, dtype=torch.float64)
    dA, dB = torch.autograd.functional.jacobian(lambda a, b: gate_values(a, b).sum(0), (A, B))
    torch.testing.assert_close(dA.sum(1), gate_slopes(B, first=True).sum(0))
    torch.testing.assert_close(dB.sum(1), gate_slopes(A, first=False).sum(0))


def _layer(n_in, n, batch, seed, same=0, unread=0):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randint(n_in - unread, (n,), generator=gen)
    b = torch.randint(n_in - unread, (n,), generator=gen)
    b[:same] = a[:same]
    w = 2 * torch.randn(n, 16, generator=gen)
    return a, b, w, torch.rand(batch, n_in, generator=gen), torch.randn(batch, n, generator=gen)


def _outputs_and_grads(fn, x, w, g):
    """``fn(x, w)`` and its gradients with respect to ``x`` and the OP logits ``w``."""
    x, w = x.detach().clone().requires_grad_(True), w.detach().clone().requires_grad_(True)
    y = fn(x, w)
    return (y.detach(), *torch.autograd.grad(y, (x, w), g))


def _coefficient_path(a, b):
    return lambda x, w: relaxed_gates_torch(x, a, b, P.poly_coefficients(P.row_values("op", "sin", w)))


@pytest.mark.parametrize("sums", [16, 4])
@pytest.mark.parametrize("kernel", [sixteen_gates_numba, sixteen_gates_torch])
@pytest.mark.parametrize(
    "batch,n_in,n,same,unread", [(1, 5, 7, 2, 1), (37, 50, 80, 10, 7), (100, 400, 1000, 50, 20), (65, 16, 300, 0, 3)]
)
def test_forward_and_gradients_equal_the_coefficient_op_path(kernel, sums, batch, n_in, n, same, unread):
    a, b, w, x, g = _layer(n_in, n, batch, seed=batch + n, same=same, unread=unread)
    sixteen = _outputs_and_grads(lambda x, w: kernel(x, a, b, torch.softmax(w, -1), weight_sums=sums), x, w, g)
    reference = _outputs_and_grads(_coefficient_path(a, b), x, w, g)
    assert sixteen[0].shape == (batch, n)
    for got, want in zip(sixteen, reference):
        torch.testing.assert_close(got, want, atol=ATOL * max(1, batch // 10), rtol=RTOL)
    if unread:
        assert torch.count_nonzero(sixteen[1][:, n_in - unread :]) == 0


@pytest.mark.parametrize("op_kernel", ["sixteen", "difflogic"])
def test_gradcheck_float64(op_kernel):
    a, b, w, x, _ = _layer(6, 9, 4, seed=3, same=2)
    x, w = x.double().requires_grad_(True), w.double().requires_grad_(True)
    fn = lambda x, w: sixteen_gates(x, a, b, torch.softmax(w, -1), op_kernel=op_kernel)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, w))
    p = torch.softmax(w, -1).detach().requires_grad_(True)
    sums = 16 if op_kernel == "sixteen" else 4
    assert torch.autograd.gradcheck(lambda x, p: sixteen_gates_torch(x, a, b, p, sums), (x, p))


@pytest.mark.parametrize("sums", [16, 4])
def test_weights_only_backward_and_empty_batch(sums):
    a, b, w, x, g = _layer(30, 40, 12, seed=5)
    p = torch.softmax(w, -1).requires_grad_(True)
    (gp,) = torch.autograd.grad(sixteen_gates_numba(x, a, b, p, weight_sums=sums), (p,), g)  # x needs no gradient
    p2 = p.detach().clone().requires_grad_(True)
    (want,) = torch.autograd.grad(sixteen_gates_torch(x, a, b, p2), (p2,), g)
    torch.testing.assert_close(gp, want, atol=ATOL, rtol=RTOL)
    empty = torch.zeros(0, 30, requires_grad=True)
    y = sixteen_gates_numba(empty, a, b, p, weight_sums=sums)
    assert y.shape == (0, 40)
    gx, gp = torch.autograd.grad(y.sum(), (empty, p))
    assert gx.shape == (0, 30) and torch.count_nonzero(gp) == 0


def test_bad_input_is_named():
    a, b, w, x, _ = _layer(10, 8, 4, seed=1)
    p = torch.softmax(w, -1)
    with pytest.raises(ValueError, match="float32 CPU tensor x"):
        sixteen_gates_numba(x.double(), a, b, p)
    with pytest.raises(ValueError, match=r"shape \(n, 16\)"):
        sixteen_gates_numba(x, a, b, p[:, :4])
    with pytest.raises(ValueError, match="connection indices"):
        sixteen_gates_numba(x, a + 10, b, p)
    with pytest.raises(ValueError, match="weight_sums must be 16 or 4"):
        sixteen_gates_numba(x, a, b, p, weight_sums=8)
    with pytest.raises(ValueError, match="not a sixteen-gate OP kernel"):
        sixteen_gates(x, a, b, p, op_kernel="coefficients")
    with pytest.raises(ValueError, match="needs --param op"):
        LogicLayer(10, 8, "iwp", op_kernel="sixteen")
    with pytest.raises(ValueError, match="unknown OP kernel"):
        LogicLayer(10, 8, "op", op_kernel="sixty")
    with pytest.raises(ValueError, match="--op-kernel difflogic"):
        TrainConfig(parametrization="iwp", op_kernel="difflogic").check()
    with pytest.raises(ValueError, match="--op-kernel sixteen"):
        TrainConfig(parametrization="op", op_kernel="sixteen", arch="conv:8:3,fc:100").check()


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_network_loss_and_gradients_equal_the_coefficient_kernel(backend):
    ds = load_dataset("digits", seed=0)
    nets = {}
    for kernel in ("coefficients", "sixteen", "difflogic"):
        torch.manual_seed(0)
        net = LogicNet(ds.num_features, 10, 300, 3, 3, ds.input_bits, 10.0, "op", init="gauss", op_kernel=kernel)
        net.set_backend(backend)
        net.encoder.fit(ds.x_train, "uniform")
        nets[kernel] = net.train()
    x, y = torch.as_tensor(ds.x_train[:64]), torch.as_tensor(ds.y_train[:64])
    losses = {k: torch.nn.functional.cross_entropy(net(x), y) for k, net in nets.items()}
    for loss in losses.values():
        torch.testing.assert_close(loss, losses["coefficients"])
        loss.backward()
    for kernel in ("sixteen", "difflogic"):
        for layer, want in zip(nets[kernel].layers, nets["coefficients"].layers):
            torch.testing.assert_close(layer.weights.grad, want.weights.grad, atol=1e-6, rtol=1e-4)
        assert nets[kernel].config["op_kernel"] == kernel
    assert "op_kernel" not in nets["coefficients"].config
    scores = [net.predict(ds.x_test, engine="torch")[0] for net in nets.values()]  # eval: the same exact gates
    assert np.array_equal(scores[0], scores[1]) and np.array_equal(scores[0], scores[2])


@pytest.mark.slow
def test_train_cli_with_the_sixteen_kernel(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--param", "op", "--op-kernel", "difflogic", "--width", "100", "--depth", "2", "--steps", "20"]
    assert main(argv + ["--out", str(out), "--no-progress", "--no-plots"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["op_kernel"] == "difflogic" and metrics["steps"] == 20
    assert load(out / "model.pt").layers[0].op_kernel == "difflogic"  # the checkpoint keeps the kernel
    assert main(["train", "--op-kernel", "sixteen", "--out", str(tmp_path / "bad")]) == 2
    assert "--op-kernel sixteen" in capsys.readouterr().err


def test_claim_d_reports_iwp_against_every_op_kernel():
    ds = load_dataset("digits", seed=0, val_fraction=0.25)
    claim = claim_backward(((200, 2, 20), (300, 2, 10)), 2, ds)
    assert [(r["width"], r["batch"]) for r in claim["shapes"]] == [(200, 20), (300, 10)]
    for row in claim["shapes"]:
        for net in ("iwp", "opd", "op16", "op"):
            assert row[f"{net}_ms"] >= row[f"{net}_min_ms"] > 0 and row[f"{net}_forward_ms"] > 0
        for key, net in (("speedup", "op"), ("speedup_sixteen", "op16"), ("speedup_difflogic", "opd")):
            assert row[key] == pytest.approx(row[f"{net}_ms"] / row["iwp_ms"])
            assert row[f"{key}_min"] == pytest.approx(row[f"{net}_min_ms"] / row["iwp_min_ms"])
            assert row[f"{key}_cpu"] == pytest.approx(row[f"{net}_cpu_ms"] / row["iwp_cpu_ms"])
            assert claim[f"max_{key}_cpu"] >= row[f"{key}_cpu"] > 0
            assert claim[f"max_{key}"] >= row[key]
    assert "the paper's comparison" in claim["ours"] and "4 coefficients" in claim["ours"]
    assert claim["matches_paper"].startswith("speedup_difflogic")
