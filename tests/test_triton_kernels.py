"""The Triton relaxed-gate kernels equal the plain-torch path, forward and backward.

On a machine without a CUDA GPU the kernels run in Triton's CPU interpreter (``TRITON_INTERPRET=1``,
set here before they are built): slow, so the shapes are tiny. With a GPU they run compiled.
"""

import functools
import os

import _gates
import pytest
import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
pytest.importorskip("triton")

from ldlgn.compiler import truth_tables as tt  # after the interpreter mode is chosen
from ldlgn.functional import relaxed_gates, relaxed_gates_torch, resolve_backend
from ldlgn.model import LogicNet
from ldlgn.numba_kernels import build_reverse_index
from ldlgn.triton_coefficients import poly_coefficients
from ldlgn.triton_kernels import relaxed_gates_triton, reverse_index, usable

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
ATOL, RTOL = 2e-5, 1e-4
MODES = [("neuron", "gather"), ("batch", "gather"), ("neuron", "atomic"), ("batch", "atomic")]
grads = _gates.grads
random_layer = functools.partial(_gates.random_layer, device=DEVICE)


def assert_equal_torch(x, a, b, c, g, layout, input_grad):
    got = grads(lambda *t: relaxed_gates_triton(*t, layout=layout, input_grad=input_grad), x, a, b, c, g)
    want = grads(relaxed_gates_torch, x, a, b, c, g)
    for got_t, want_t, atol in zip(got, want, (ATOL, ATOL, ATOL * max(1, len(x)))):
        torch.testing.assert_close(got_t, want_t, atol=atol, rtol=RTOL)
    return got


@pytest.mark.parametrize("layout,input_grad", MODES)
@pytest.mark.parametrize(
    "batch,n_in,n,same,unread",
    [(1, 5, 7, 2, 1), (3, 2, 9, 1, 0), (19, 13, 21, 4, 3)],  # odd sizes, fan-out, unread inputs
)
def test_forward_backward_equal_torch(batch, n_in, n, same, unread, layout, input_grad):
    gen = torch.Generator().manual_seed(batch * 1000 + n)
    a, b, c = random_layer(n_in, n, gen, same, unread)
    x = torch.rand(batch, n_in, generator=gen).to(DEVICE)
    g = torch.randn(batch, n, generator=gen).to(DEVICE)
    y, gx, _ = assert_equal_torch(x, a, b, c, g, layout, input_grad)
    assert y.shape == (batch, n)
    assert (y.t().is_contiguous() if layout == "neuron" else y.is_contiguous()) or batch == 1
    if unread:
        assert torch.all(gx[:, n_in - unread :] == 0)


@pytest.mark.slow
@pytest.mark.parametrize("layout,input_grad", MODES)
def test_tiles_and_batch_loops_equal_torch(layout, input_grad):
    """More gates than one tile and more rows than one batch block: the grid and the loops."""
    gen = torch.Generator().manual_seed(5)
    a, b, c = random_layer(40, 1100, gen, same=30, unread=5)
    x = torch.rand(70, 40, generator=gen).to(DEVICE)
    assert_equal_torch(x, a, b, c, torch.randn(70, 1100, generator=gen).to(DEVICE), layout, input_grad)


@pytest.mark.parametrize("layout", ["neuron", "batch"])
def test_two_layers_chain_in_either_layout(layout):
    """A layer reads the previous layer's output as it is (a transposed view when neuron-major)."""
    gen = torch.Generator().manual_seed(7)
    a1, b1, c1 = random_layer(6, 10, gen, same=2)
    a2, b2, c2 = random_layer(10, 5, gen, same=1, unread=2)
    x = torch.rand(9, 6, generator=gen).to(DEVICE)
    g = torch.randn(9, 5, generator=gen).to(DEVICE)
    outs = []
    for fn in (lambda *t: relaxed_gates_triton(*t, layout=layout), relaxed_gates_torch):
        leaves = [t.detach().clone().requires_grad_(True) for t in (x, c1, c2)]
        y = fn(fn(leaves[0], a1, b1, leaves[1]), a2, b2, leaves[2])
        outs.append([y.detach(), *torch.autograd.grad(y, leaves, g)])
    for got, want in zip(*outs):
        torch.testing.assert_close(got, want, atol=ATOL * 9, rtol=RTOL)


def test_strided_input_and_no_grad_for_x():
    gen = torch.Generator().manual_seed(3)
    a, b, c = random_layer(8, 12, gen, same=3)
    x = torch.rand(8, 10, generator=gen).to(DEVICE).t()  # (10, 8), a transposed view
    c_leaf = c.clone().requires_grad_(True)
    y = relaxed_gates_triton(x, a, b, c_leaf)
    torch.testing.assert_close(y, relaxed_gates_torch(x, a, b, c), atol=ATOL, rtol=RTOL)
    (gc,) = torch.autograd.grad(y.sum(), (c_leaf,))
    want = torch.stack([torch.ones_like(x[:, a]), x[:, a], x[:, b], x[:, a] * x[:, b]], -1).sum(0)
    torch.testing.assert_close(gc, want, atol=ATOL * 10, rtol=RTOL)


def test_empty_batch():
    gen = torch.Generator().manual_seed(1)
    a, b, c = random_layer(4, 6, gen)
    x = torch.zeros(0, 4, device=DEVICE, requires_grad=True)
    y = relaxed_gates_triton(x, a, b, c)
    assert y.shape == (0, 6)
    (gx,) = torch.autograd.grad(y.sum(), (x,))
    assert gx.shape == (0, 4)


def test_reverse_index_matches_numba():
    gen = torch.Generator().manual_seed(11)
    a, b, _ = random_layer(9, 25, gen, same=5, unread=2)
    indptr, slots = reverse_index(a, b, 9)
    want_ptr, want_slots = build_reverse_index(a.cpu(), b.cpu(), 9)
    assert indptr.tolist() == want_ptr.tolist() and slots.tolist() == want_slots.tolist()
    assert reverse_index(a, b, 9)[1] is slots  # cached with the connections
    a[0] = (a[0] + 1) % 9  # an in-place change rebuilds it
    assert reverse_index(a, b, 9)[0].tolist() == build_reverse_index(a.cpu(), b.cpu(), 9)[0].tolist()


def test_bad_input_is_refused(monkeypatch):
    gen = torch.Generator().manual_seed(2)
    a, b, c = random_layer(4, 6, gen)
    x = torch.rand(3, 4, device=DEVICE)
    with pytest.raises(ValueError, match="connection indices must be in 0..2"):
        relaxed_gates_triton(x[:, :3], a.clone().fill_(3), b, c)
    with pytest.raises(ValueError, match="float32"):
        relaxed_gates_triton(x.double(), a, b, c)
    with pytest.raises(ValueError, match="unknown layout"):
        relaxed_gates_triton(x, a, b, c, layout="diagonal")
    with pytest.raises(ValueError, match=r"c \(n, 4\)"):
        relaxed_gates_triton(x, a, b, c[:, :3])
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    cpu = torch.rand(3, 4)
    assert "CUDA" in usable(cpu)
    with pytest.raises(ValueError, match="needs CUDA tensors"):
        resolve_backend("triton", cpu)
    assert resolve_backend("auto", cpu) == "numba"  # the CPU paths stay as they were
    assert resolve_backend("auto", cpu.double()) == "torch"


@pytest.mark.parametrize("n", [1, 300])
def test_coefficient_map_equals_the_matrix_product(n):
    gen = torch.Generator().manual_seed(n)
    omega = torch.rand(n, 4, generator=gen).to(DEVICE)
    g = torch.randn(n, 4, generator=gen).to(DEVICE)
    poly = torch.tensor(tt.ROWS_TO_POLY, dtype=torch.float32, device=DEVICE)
    outs = []
    for fn in (poly_coefficients, lambda w: w @ poly):
        w = omega.clone().requires_grad_(True)
        c = fn(w)
        outs.append((c.detach(), *torch.autograd.grad(c, (w,), g)))
    for got, want in zip(*outs):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        poly_coefficients(omega[:, :3])


@pytest.mark.cuda
def test_auto_takes_triton_on_cuda():
    x = torch.rand(2, 3, device="cuda")
    assert resolve_backend("auto", x) == "triton"
    assert resolve_backend("auto", x.double()) == "torch"


def test_logicnet_trains_the_same_on_triton_and_torch():
    """A whole network (grad factor included): loss, weight gradients and the relaxed outputs."""
    x = torch.randint(0, 16, (11, 5), generator=torch.Generator().manual_seed(0))
    nets = []
    for backend in ("triton", "torch"):
        torch.manual_seed(0)
        net = LogicNet(5, 3, width=24, depth=2, num_thresholds=2, input_bits=4, grad_factor=1.5, backend=backend)
        net.to(DEVICE).train()
        loss = torch.nn.functional.cross_entropy(net(x), torch.arange(11, device=DEVICE) % 3)
        loss.backward()
        nets.append((loss.detach(), [layer.weights.grad for layer in net.layers]))
    torch.testing.assert_close(nets[0][0], nets[1][0], atol=ATOL, rtol=RTOL)
    for got, want in zip(nets[0][1], nets[1][1]):
        torch.testing.assert_close(got, want, atol=ATOL * 11, rtol=RTOL)
    a, b, c = random_layer(3, 4, torch.Generator())
    assert relaxed_gates(torch.rand(2, 3, device=DEVICE), a, b, c, "triton").shape == (2, 4)


@pytest.mark.cuda
@pytest.mark.parametrize("layout", ["neuron", "batch"])
def test_cifar_sized_layer_on_the_gpu(layout):
    """A first layer of the CIFAR-10 shape (9216 inputs, many readers per input): the gathered input
    gradient is deterministic, the atomic one agrees with it."""
    gen = torch.Generator().manual_seed(0)
    a, b, c = random_layer(9216, 20_000, gen, same=100, unread=16)
    x = torch.rand(1000, 9216, generator=gen).to(DEVICE)
    g = torch.randn(1000, 20_000, generator=gen).to(DEVICE)
    _, gx, gc = assert_equal_torch(x, a, b, c, g, layout, "gather")
    again = grads(lambda *t: relaxed_gates_triton(*t, layout=layout, input_grad="gather"), x, a, b, c, g)
    assert torch.equal(again[1], gx) and torch.equal(again[2], gc)
    assert_equal_torch(x, a, b, c, g, layout, "atomic")
