"""Learned n-input gates: the multilinear relaxation, its kernels and gradients, connections, inits,
discretization to a LutNet, checkpoints and options (docs/n-input-gates.md)."""

import itertools

import numpy as np
import pytest
import torch

from ldlgn import checkpoint
from ldlgn.compiler.discrete import DiscreteNet
from ldlgn.compiler.lutnet import LutNet
from ldlgn.config import TrainConfig
from ldlgn.connections import make_nary_connections
from ldlgn.layers import LogicLayer
from ldlgn.model import LogicNet
from ldlgn.nary import NaryLayer, coefficients, init_nary_weights, mobius_matrix, multilinear_torch, pack_tables
from ldlgn.numba_nary import build_reverse_index, multilinear_numba, multilinear_rows_numba

ARITIES = [2, 3, 4, 5, 6]


def expanded(x, idx, omega):
    """The relaxation by its definition: Σ_r ω_r Π_k (x_k if bit k of r (first input most significant) else 1 - x_k)."""
    n = idx.shape[1]
    y = torch.zeros(x.shape[0], idx.shape[0], dtype=x.dtype)
    for r in range(1 << n):
        term = omega[:, r].expand(x.shape[0], -1)
        for k in range(n):
            xk = x[:, idx[:, k]]
            term = term * (xk if (r >> (n - 1 - k)) & 1 else 1 - xk)
        y = y + term
    return y


def random_case(n, gates=40, n_in=25, batch=13, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed * 10 + n)
    idx = torch.randint(n_in - 2, (gates, n), generator=gen)  # repeats in a gate, two inputs unread
    omega = torch.rand(gates, 1 << n, generator=gen, dtype=dtype)
    x = torch.rand(batch, n_in, generator=gen, dtype=dtype)
    return x, idx, omega


@pytest.mark.parametrize("n", ARITIES)
def test_multilinear_equals_its_definition_and_the_tables_on_corners(n):
    x, idx, omega = random_case(n)
    y = multilinear_torch(x, idx, coefficients(omega))
    torch.testing.assert_close(y, expanded(x, idx, omega), atol=1e-12, rtol=1e-12)
    tables = torch.randint(2, (5, 1 << n), dtype=torch.float64)
    rows = torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)  # row r in order
    got = multilinear_torch(rows, torch.arange(n).expand(5, n), coefficients(tables))
    assert torch.equal(got, tables.t())  # corners are exact: eval mode is the discrete gate


@pytest.mark.parametrize("n", ARITIES)
def test_subset_transform_equals_the_matrix(n):
    """The CPU transform (Numba) against ``ω @ M``, the CUDA path, values and gradients."""
    omega = torch.rand(30, 1 << n, dtype=torch.float64, requires_grad=True)
    fast, slow = coefficients(omega), omega @ mobius_matrix(n, omega)
    torch.testing.assert_close(fast, slow, atol=1e-13, rtol=0)
    g = torch.randn_like(fast)
    torch.testing.assert_close(*(torch.autograd.grad(y, omega, g)[0] for y in (fast, slow)), atol=1e-13, rtol=0)
    tables = torch.randint(2, (30, 1 << n)).float()
    assert torch.equal(coefficients(tables), tables @ mobius_matrix(n, tables))  # integers: exact
    # inputs laid out as the transform works (transposed) are copied, never changed in place
    w = torch.rand(1 << n, 30).t().requires_grad_(True)
    g = torch.randn(1 << n, 30).t()
    w0, g0 = w.detach().clone(), g.clone()
    torch.autograd.grad(coefficients(w), w, g)
    assert torch.equal(w.detach(), w0) and torch.equal(g, g0)


@pytest.mark.parametrize("n", ARITIES)
def test_gradcheck_float64(n):
    x, idx, omega = random_case(n, gates=6, n_in=9, batch=3)
    x.requires_grad_(True)
    omega.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, w: multilinear_torch(x, idx, coefficients(w)), (x, omega))


@pytest.mark.parametrize("n", ARITIES)
@pytest.mark.parametrize("batch", [1, 37])
def test_numba_equals_torch(n, batch):
    x, idx, omega = random_case(n, gates=70, n_in=30, batch=batch, dtype=torch.float32)
    c = coefficients(omega)
    g = torch.randn(batch, idx.shape[0])
    out = []
    rev = build_reverse_index(idx, 30)
    for numba in (True, False):
        xr, cr = x.clone().requires_grad_(True), c.clone().requires_grad_(True)
        y = multilinear_numba(xr, idx, cr, rev) if numba else multilinear_torch(xr, idx, cr)
        out.append((y.detach(), *torch.autograd.grad(y, (xr, cr), g)))
    for a, b in zip(*out):
        torch.testing.assert_close(a, b, atol=1e-5 * max(1, batch), rtol=1e-4)
    assert (out[0][1][:, 28:] == 0).all()  # unread inputs get no gradient


@pytest.mark.parametrize("n", ARITIES)
@pytest.mark.parametrize("batch", [1, 37])
def test_numba_on_row_values_equals_torch(n, batch):
    """The kernels that take the row values (the subset transform and its transpose in registers)
    against torch on the coefficients: outputs and the gradients of x and of the row values."""
    x, idx, omega = random_case(n, gates=70, n_in=30, batch=batch, seed=1, dtype=torch.float32)
    g = torch.randn(batch, idx.shape[0])
    out = []
    for numba in (True, False):
        xr, wr = x.clone().requires_grad_(True), omega.clone().requires_grad_(True)
        y = multilinear_rows_numba(xr, idx, wr) if numba else multilinear_torch(xr, idx, coefficients(wr))
        out.append((y.detach(), *torch.autograd.grad(y, (xr, wr), g)))
    for a, b in zip(*out):
        torch.testing.assert_close(a, b, atol=1e-5 * max(1, batch), rtol=1e-4)
    tables = torch.randint(2, (idx.shape[0], 1 << n)).float()  # 0/1 rows on 0/1 inputs: exact
    corners = torch.randint(2, (batch, 30)).float()
    assert torch.equal(
        multilinear_rows_numba(corners, idx, tables), multilinear_torch(corners, idx, coefficients(tables))
    )


@pytest.mark.parametrize("n", [3, 6])
@pytest.mark.parametrize("estimator", ["sin", "sigmoid"])
def test_numba_layer_equals_torch_layer(n, estimator):
    """A training layer on Numba (``sin``: the estimator inside the layer's one autograd node)
    against the torch layer: outputs and the gradients of the input and of the weights."""
    torch.manual_seed(n)
    fast = NaryLayer(30, 40, n, estimator=estimator, backend="numba")
    slow = NaryLayer(30, 40, n, estimator=estimator, backend="torch")
    slow.load_state_dict(fast.state_dict())
    x = torch.rand(17, 30)
    g = torch.randn(17, 40)
    out = []
    for layer in (fast, slow):
        xr = x.clone().requires_grad_(True)
        y = layer(xr)
        out.append((y.detach(), *torch.autograd.grad(y, (xr, layer.weights), g)))
    for a, b in zip(*out):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)
    fast.eval(), slow.eval()
    corners = torch.randint(2, (17, 30)).float()
    assert torch.equal(fast(corners), slow(corners))  # eval: the discrete gates, exactly


def test_numba_backward_without_input_gradient():
    x, idx, omega = random_case(4, dtype=torch.float32)
    c = coefficients(omega).requires_grad_(True)
    (gc,) = torch.autograd.grad(multilinear_numba(x, idx, c).sum(), (c,))
    c2 = c.detach().clone().requires_grad_(True)
    (ref,) = torch.autograd.grad(multilinear_torch(x, idx, c2).sum(), (c2,))
    torch.testing.assert_close(gc, ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("estimator", ["sin", "sigmoid-st", "linear-hard-st"])
def test_two_input_layer_agrees_with_logic_layer(estimator):
    torch.manual_seed(3)
    old = LogicLayer(20, 50, estimator=estimator, init="gauss", backend="torch")
    new = NaryLayer(20, 50, 2, estimator=estimator, init="gauss", backend="torch")
    with torch.no_grad():
        new.inputs.copy_(torch.stack([old.a, old.b], 1))
        new.weights.copy_(old.weights)
    old, new = old.double(), new.double()
    x = torch.rand(9, 20, dtype=torch.float64)
    for mode in (True, False):
        old.train(mode), new.train(mode)
        torch.testing.assert_close(new(x), old(x), atol=1e-12, rtol=1e-12)
    assert np.array_equal(new.truth_tables(), old.truth_tables().numpy().astype(np.uint64))


@pytest.mark.parametrize("n", [3, 4, 6])
@pytest.mark.parametrize("in_dim,out_dim", [(500, 400), (40, 300), (7, 50)])
def test_connections_distinct_and_balanced(n, in_dim, out_dim):
    gen = torch.Generator().manual_seed(in_dim + n)
    idx = make_nary_connections(in_dim, out_dim, n, "random", gen)
    assert idx.shape == (out_dim, n)
    s = idx.sort(1).values
    assert (s[:, 1:] != s[:, :-1]).all()
    fan = torch.bincount(idx.flatten(), minlength=in_dim)
    assert int(fan.max() - fan.min()) <= 1


def test_connections_tight_and_unique():
    idx = make_nary_connections(6, 30, 6, "random", torch.Generator().manual_seed(0))
    assert (idx.sort(1).values == torch.arange(6)).all()  # each gate reads all six inputs
    u = make_nary_connections(12, 150, 3, "unique", torch.Generator().manual_seed(1))
    assert len({tuple(sorted(r)) for r in u.tolist()}) == 150  # of 220 sets
    few = make_nary_connections(2, 5, 4, "random")  # fewer inputs than gate inputs: repeats allowed
    assert few.shape == (5, 4) and set(few.flatten().tolist()) == {0, 1}


@pytest.mark.parametrize("n", [3, 6])
def test_inits(n):
    ri = init_nary_weights(n, "sin", "ri", 200, generator=torch.Generator().manual_seed(0))
    layer = NaryLayer(10, 200, n)
    with torch.no_grad():
        layer.weights.copy_(ri)
    first = (np.arange(1 << n) >> (n - 1)) & 1  # pass the first input through
    assert np.array_equal(layer.truth_tables(), np.full(200, pack_tables(first[None])[0]))
    assert abs(ri.abs().mean().item() - 1.2) < 0.05  # µ = 1.2 for sin, as for two inputs
    gauss = init_nary_weights(n, "sin", "gauss", 400)
    assert abs(gauss.std().item() - 0.25) < 0.02 and abs(gauss.mean().item()) < 0.02
    direction = "1" + "0" * ((1 << n) - 1)
    nor = init_nary_weights(n, "sigmoid", direction, 5)
    assert (nor[:, 0] > 2).all() and (nor[:, 1:] < -2).all()


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_eval_mode_equals_discretized_net(n):
    torch.manual_seed(n)
    net = LogicNet(6, 3, width=60, depth=3, num_thresholds=4, gate_inputs=n, init="gauss", backend="torch")
    x = np.random.default_rng(n).integers(0, 256, (300, 6))
    net.encoder.fit(x, "uniform")
    disc = net.discrete()
    assert isinstance(disc, LutNet if n > 2 else DiscreteNet)
    scores, classes = net.predict(x, engine="torch")
    ref_scores, ref_classes = disc.predict(x)
    assert np.array_equal(scores, ref_scores) and np.array_equal(classes, ref_classes)
    assert np.array_equal(net.predict(x, engine="numba")[0], ref_scores)
    if n > 2:
        assert [layer.arity for layer in disc.layers] == [n] * 3 and disc.layers[0].tables.dtype == np.uint64


def test_checkpoint_keeps_gate_inputs(tmp_path):
    net = LogicNet(6, 3, width=30, depth=2, num_thresholds=2, gate_inputs=5)
    x = np.random.default_rng(0).integers(0, 256, (50, 6))
    net.encoder.fit(x, "uniform")
    back = checkpoint.load(checkpoint.save(net, tmp_path / "m.pt"))
    assert back.config["gate_inputs"] == 5 and isinstance(back.layers[0], NaryLayer)
    assert np.array_equal(back.predict(x)[0], net.predict(x)[0])
    two = LogicNet(6, 3, width=30, depth=2, num_thresholds=2)
    assert "gate_inputs" not in two.config  # two-input checkpoints are as before: it loads as 2
    assert isinstance(checkpoint.load(checkpoint.save(two, tmp_path / "t.pt")).layers[0], LogicLayer)


@pytest.mark.parametrize(
    "options,message",
    [
        (dict(gate_inputs=3, parametrization="op"), "needs --param iwp"),
        (dict(gate_inputs=4, arch="conv:8:3,pool,fc:100"), "convolutions"),
        (dict(gate_inputs=7), "2..6"),
        (dict(gate_inputs=1), "2..6"),
    ],
)
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**options).check()


def test_bad_layer_options_are_named():
    with pytest.raises(ValueError, match="triton computes two-input gates only"):
        NaryLayer(10, 10, 3, backend="triton")
    with pytest.raises(ValueError, match="direction of 8"):
        NaryLayer(10, 10, 3, init="0011")
    with pytest.raises(ValueError, match="needs --param iwp"):
        LogicNet(6, 3, width=30, depth=2, parametrization="op", gate_inputs=3)


@pytest.mark.slow
def test_training_digits_four_inputs(tmp_path):
    from ldlgn.train import train

    cfg = TrainConfig(data="digits", width=300, depth=3, steps=300, gate_inputs=4, seed=1)
    metrics = train(cfg, tmp_path / "run", progress=False)
    assert metrics["test_acc_discrete"] > 0.85
    best = checkpoint.load(tmp_path / "run" / "model.pt")
    assert best.config["gate_inputs"] == 4 and best.discrete().max_arity == 4


def test_generated_kernels_are_current():
    from pathlib import Path

    from ldlgn import nary_codegen

    path = Path(nary_codegen.__file__).with_name("numba_nary_kernels.py")
    assert path.read_text() == nary_codegen.module_source(), "regenerate: python -m ldlgn.nary_codegen"


@pytest.mark.slow
def test_lut_inputs_example(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "lut_inputs.py"
    env = dict(os.environ, OMP_WAIT_POLICY="passive", NUMBA_THREADING_LAYER="workqueue", MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(script), "--short", "--out", str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert [r["gate_inputs"] for r in rows] == [2, 6]
    for r in rows:
        assert 0.0 <= r["test_acc_discrete"] <= 1.0 and 0 <= r["logic_lut6"] <= max(r["gates_optimized"], 1)
        assert r["gates_trained"] == 4 * 40  # four layers of width 40, rounded to the 10 classes
    assert (tmp_path / "lut_inputs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
