"""IWP and OP: relaxed semantics, gradients, discretization, initializations."""

import itertools

import numpy as np
import pytest
import torch

from ldlgn import parametrization as P
from ldlgn.compiler import truth_tables as tt
from ldlgn.functional import relaxed_gates_torch
from ldlgn.layers import LogicLayer

ROWS = list(itertools.product((0, 1), repeat=2))  # (A, B) for r = 0..3


def four_term(omega, A, B):
    """The definition: y = Σ_r ω_r Π_k x_k^bit (1-x_k)^(1-bit)."""
    y = 0
    for r, (ba, bb) in enumerate(ROWS):
        y = y + omega[:, r] * (A if ba else 1 - A) * (B if bb else 1 - B)
    return y


def test_iwp_polynomial_equals_four_term_definition():
    w = torch.randn(50, 4, dtype=torch.float64)
    omega = P.row_values("iwp", "sin", w)
    x = torch.rand(7, 20, dtype=torch.float64)
    a, b = torch.randint(20, (50,)), torch.randint(20, (50,))
    y = relaxed_gates_torch(x, a, b, P.poly_coefficients(omega))
    assert torch.allclose(y, four_term(omega, x[:, a], x[:, b]), atol=1e-12)


def test_op_polynomial_equals_softmax_mixture_of_16_gates():
    w = torch.randn(30, 16, dtype=torch.float64)
    x = torch.rand(5, 10, dtype=torch.float64)
    a, b = torch.randint(10, (30,)), torch.randint(10, (30,))
    A, B = x[:, a], x[:, b]
    gates = [
        torch.zeros_like(A),
        A * B,
        A - A * B,
        A,
        B - A * B,
        B,
        A + B - 2 * A * B,
        A + B - A * B,
        1 - (A + B - A * B),
        1 - (A + B - 2 * A * B),
        1 - B,
        1 - B + A * B,
        1 - A,
        1 - A + A * B,
        1 - A * B,
        torch.ones_like(A),
    ]
    mixture = sum(torch.softmax(w, -1)[:, g] * gates[g] for g in range(16))
    y = relaxed_gates_torch(x, a, b, P.poly_coefficients(P.row_values("op", "sin", w)))
    assert torch.allclose(y, mixture, atol=1e-12)


@pytest.mark.parametrize("param,estimator", [("iwp", "sin"), ("iwp", "sigmoid"), ("op", "sin")])
def test_gradcheck_float64(param, estimator):
    n = 6
    w = torch.randn(n, P.num_parameters(param), dtype=torch.float64, requires_grad=True)
    x = torch.rand(4, 5, dtype=torch.float64, requires_grad=True)
    a, b = torch.randint(5, (n,)), torch.randint(5, (n,))

    def f(w, x):
        return relaxed_gates_torch(x, a, b, P.poly_coefficients(P.row_values(param, estimator, w)))

    assert torch.autograd.gradcheck(f, (w, x))


def test_iwp_discretization_and_ties():
    # ρ(Ω) > 0.5 gives 1; Ω = 0 means ρ = 0.5 exactly: a tie gives 0
    w = torch.tensor([[-1.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    for est in P.IWP_ESTIMATORS:
        assert P.truth_tables("iwp", est, w).tolist() == [0b1010, 0], est
    # sin is periodic: Ω = π + 0.1 has sin < 0, so the row is 0 although Ω > 0
    assert P.truth_tables("iwp", "sin", torch.tensor([[np.pi + 0.1, 0.3, -0.3, 0.0]])).item() == 0b0010


def test_op_discretization_argmax_ties_lowest_id():
    w = torch.zeros(3, 16)
    w[1, 6] = 2.0  # XOR
    w[2, [7, 9]] = 3.0  # OR and XNOR tie -> OR (id 7)
    assert P.truth_tables("op", "sin", w).tolist() == [int(tt.OP_ID_TO_TABLE[0]), 6, 14]


@pytest.mark.parametrize("gate_id", range(16))
def test_op_gate_id_discretizes_to_its_table(gate_id):
    w = torch.zeros(1, 16)
    w[0, gate_id] = 1.0
    assert P.truth_tables("op", "sin", w).item() == tt.OP_ID_TO_TABLE[gate_id]


@pytest.mark.parametrize("param,estimator", [("iwp", e) for e in P.IWP_ESTIMATORS] + [("op", "sin")])
def test_residual_init_passes_first_input(param, estimator):
    layer = LogicLayer(16, 500, param, estimator, "ri")
    assert (layer.truth_tables() == tt.PASS_A).all()
    layer.eval()
    x = torch.randint(0, 2, (9, 16)).float()
    assert torch.equal(layer(x), x[:, layer.a])


def test_direction_and_family_inits():
    layer = LogicLayer(8, 400, init="0110")
    assert (layer.truth_tables() == 6).all()  # XOR
    fam = LogicLayer(8, 2000, init="and-or").truth_tables()
    assert set(fam.tolist()) == {8, 14}
    assert set(LogicLayer(8, 2000, init="and-or-ri").truth_tables().tolist()) == {8, 10, 12, 14}
    assert len(set(LogicLayer(8, 2000, init="uniform").truth_tables().tolist())) == 16
    w = LogicLayer(8, 20000, init="gauss").weights
    assert abs(w.std().item() - P.IWP_SIGMA) < 0.01 and abs(w.mean().item()) < 0.01


INIT_CASES = [("iwp", e, i) for e in P.IWP_ESTIMATORS for i in P.IWP_INITS + ("0111",)] + [
    ("op", "sin", i) for i in P.OP_INITS
]


@pytest.mark.parametrize("param,estimator,init", INIT_CASES)
def test_every_init_and_estimator_trains_one_step(param, estimator, init):
    torch.manual_seed(1)
    layers = torch.nn.Sequential(
        LogicLayer(12, 40, param, estimator, init, backend="torch"),
        LogicLayer(40, 40, param, estimator, init, backend="torch"),
    )
    x = torch.randint(0, 2, (32, 12)).float()
    y = torch.randint(0, 2, (32,))
    before = [p.detach().clone() for p in layers.parameters()]
    opt = torch.optim.Adam(layers.parameters(), lr=0.01)
    loss = torch.nn.functional.cross_entropy(layers(x).reshape(32, 2, 20).sum(-1), y)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in layers.parameters())
    opt.step()
    assert all(not torch.equal(p, q) for p, q in zip(layers.parameters(), before))


def test_unknown_options_are_named():
    with pytest.raises(ValueError, match="estimator 'cos'"):
        LogicLayer(4, 4, estimator="cos")
    with pytest.raises(ValueError, match="init 'zeros'"):
        LogicLayer(4, 4, init="zeros")
    with pytest.raises(ValueError, match="OP init 'and-or'"):
        LogicLayer(4, 4, "op", init="and-or")
    with pytest.raises(ValueError, match="parametrization 'xyz'"):
        LogicLayer(4, 4, "xyz")
    with pytest.raises(ValueError, match="connections 'full'"):
        LogicLayer(4, 4, connections="full")
    with pytest.raises(ValueError, match="backend 'gpu'"):
        LogicLayer(4, 4, backend="gpu")
