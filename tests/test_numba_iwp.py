"""The Numba IWP layer with the estimator folded into the kernels equals the torch chain
(ρ(Ω) → ω @ ROWS_TO_POLY → the gate kernels), forward and backward, for every estimator."""

import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from ldlgn import parametrization as P
from ldlgn.config import IWP_ESTIMATORS
from ldlgn.layers import GroupSum, LogicLayer
from ldlgn.numba_iwp import iwp_coefficients

ATOL, RTOL = 2e-5, 1e-4


def _layer_grads(layer: LogicLayer, x: torch.Tensor, g: torch.Tensor, fused: bool):
    layer.fused_estimator = fused
    layer.weights.grad = None
    x = x.detach().requires_grad_(True)
    y = layer(x)
    y.backward(g)
    grad = layer.weights.grad
    assert grad is not None
    return y.detach(), x.grad, grad.clone()


@pytest.mark.parametrize("estimator", IWP_ESTIMATORS)
def test_fused_layer_equals_torch_chain(estimator):
    gen = torch.Generator().manual_seed(len(estimator))
    layer = LogicLayer(40, 300, estimator=estimator, init="gauss", backend="numba", generator=gen)
    with torch.no_grad():  # spread Ω over several periods of sin and both tails of the sigmoid
        layer.weights.mul_(12.0)
    x = torch.rand(37, 40, generator=gen)
    g = torch.randn(37, 300, generator=gen)
    fused = _layer_grads(layer, x, g, True)
    chain = _layer_grads(layer, x, g, False)
    for got, want, atol in zip(fused, chain, (ATOL, ATOL, ATOL * 37)):
        torch.testing.assert_close(got, want, atol=atol, rtol=RTOL)
    assert fused[2].abs().sum() > 0  # the weights do get a gradient


@pytest.mark.parametrize("estimator", IWP_ESTIMATORS)
def test_coefficients_equal_the_parametrization(estimator):
    w = torch.linspace(-7, 7, 4000).reshape(-1, 4)
    c, slope = iwp_coefficients(w, estimator)
    want = P.poly_coefficients(P.row_values("iwp", estimator, w)).detach()
    torch.testing.assert_close(torch.from_numpy(c), want, atol=1e-6, rtol=1e-5)
    w_req = w.clone().requires_grad_(True)
    P.row_values("iwp", estimator, w_req).sum().backward()
    torch.testing.assert_close(torch.from_numpy(slope), w_req.grad, atol=1e-6, rtol=1e-5)


def test_training_steps_follow_the_torch_chain():
    """Five Adam steps of a three-layer net: the fused and the chained layers stay together."""
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(50, 30, generator=gen)
    y = torch.randint(5, (50,), generator=gen)

    def train(fused: bool):
        torch.manual_seed(0)
        layers = [LogicLayer(i, o, backend="numba") for i, o in ((30, 200), (200, 150), (150, 100))]
        for layer in layers:
            layer.fused_estimator = fused
        net = nn.Sequential(*layers, GroupSum(5, tau=2.0))
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        for _ in range(5):
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        return [p.detach() for p in net.parameters()]

    for got, want in zip(train(True), train(False)):
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_eval_mode_and_float64_keep_the_plain_path():
    layer = LogicLayer(10, 20, backend="auto")
    x = torch.rand(4, 10)
    layer.eval()
    exact = layer(x)
    layer.train()
    layer.fused_estimator = False
    torch.testing.assert_close(layer.double()(x.double()).float(), layer.float()(x), atol=1e-5, rtol=1e-5)
    layer.eval()
    assert torch.equal(layer(x), exact)


def test_groupsum_reads_gate_major_outputs_without_change():
    base = torch.randn(600, 7)
    gate_major = base.t().requires_grad_(True)
    batch_major = base.t().contiguous().requires_grad_(True)
    head = GroupSum(6, tau=3.0)
    w = torch.randn(7, 6)
    out1, out2 = head(gate_major), head(batch_major)
    (out1 * w).sum().backward()
    (out2 * w).sum().backward()
    torch.testing.assert_close(out1, out2)
    torch.testing.assert_close(gate_major.grad, batch_major.grad)
    assert gate_major.grad.t().is_contiguous()  # handed back gate-major: no transpose in the layer


def test_bad_weights_are_named():
    with pytest.raises(ValueError, match="float32"):
        iwp_coefficients(torch.zeros(3, 4, dtype=torch.float64), "sin")
    with pytest.raises(ValueError, match="estimator"):
        iwp_coefficients(torch.zeros(3, 4), "cosine")


@pytest.mark.parametrize("env,expected", [("1", "True"), ("0", "False")])
def test_heap_retention_is_on_unless_turned_off(env, expected):
    code = "import ldlgn.numba_kernels; from ldlgn.heap import retain_freed_memory; print(retain_freed_memory())"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ["LDLGN_RETAIN_HEAP"] = env
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
