"""The Numba relaxed-gate kernels equal the plain-torch polynomial path, forward and backward."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from _gates import grads, random_layer
from hypothesis import given, settings
from hypothesis import strategies as st

from ldlgn.functional import relaxed_gates, relaxed_gates_torch
from ldlgn.numba_kernels import build_reverse_index, relaxed_gates_numba

ATOL, RTOL = 2e-5, 1e-4


@pytest.mark.parametrize(
    "batch,n_in,n,same,unread",
    [
        (1, 5, 7, 2, 1),
        (3, 2, 9, 1, 0),
        (37, 50, 80, 10, 7),
        (100, 400, 1000, 50, 20),
        (65, 16, 300, 0, 3),
    ],
)
def test_forward_backward_equal_torch(batch, n_in, n, same, unread):
    gen = torch.Generator().manual_seed(batch * 1000 + n)
    a, b, c = random_layer(n_in, n, gen, same, unread)
    x = torch.rand(batch, n_in, generator=gen)
    g = torch.randn(batch, n, generator=gen)
    y1, gx1, gc1 = grads(relaxed_gates_numba, x, a, b, c, g)
    y2, gx2, gc2 = grads(relaxed_gates_torch, x, a, b, c, g)
    assert y1.shape == (batch, n)
    torch.testing.assert_close(y1, y2, atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(gx1, gx2, atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(gc1, gc2, atol=ATOL * batch, rtol=RTOL)
    if unread:
        assert torch.all(gx1[:, n_in - unread :] == 0)


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 70), n_in=st.integers(1, 40), n=st.integers(1, 60), seed=st.integers(0, 2**31 - 1))
def test_random_layers_equal_torch(batch, n_in, n, seed):
    gen = torch.Generator().manual_seed(seed)
    a, b, c = random_layer(n_in, n, gen, same=n // 4)
    x = torch.rand(batch, n_in, generator=gen)
    g = torch.randn(batch, n, generator=gen)
    tolerances = (ATOL, ATOL, ATOL * batch)  # y, grad x, grad c (a sum over the batch)
    for got, want, atol in zip(
        grads(relaxed_gates_numba, x, a, b, c, g), grads(relaxed_gates_torch, x, a, b, c, g), tolerances
    ):
        torch.testing.assert_close(got, want, atol=atol, rtol=RTOL)


def test_transposed_and_strided_inputs_and_cached_index():
    gen = torch.Generator().manual_seed(3)
    a, b, c = random_layer(30, 40, gen, same=3)
    base = torch.rand(30, 11, generator=gen)
    g = torch.randn(11, 40, generator=gen)
    index = build_reverse_index(a, b, 30)
    for x in (base.t(), base.t().contiguous(), torch.rand(11, 60, generator=gen)[:, ::2]):
        y1, gx1, gc1 = grads(lambda *t: relaxed_gates_numba(*t, reverse_index=index), x, a, b, c, g)
        y2, gx2, gc2 = grads(relaxed_gates_torch, x, a, b, c, g)
        torch.testing.assert_close(y1, y2, atol=ATOL, rtol=RTOL)
        torch.testing.assert_close(gx1, gx2, atol=ATOL, rtol=RTOL)
        torch.testing.assert_close(gc1, gc2, atol=ATOL, rtol=RTOL)


def test_three_layer_stack_gradients_equal_torch():
    gen = torch.Generator().manual_seed(7)
    widths = [64, 120, 90, 60]
    layers = [random_layer(i, o, gen, same=4) for i, o in zip(widths[:-1], widths[1:])]
    x0 = torch.rand(33, widths[0], generator=gen)
    target = torch.randint(3, (33,), generator=gen)

    def run(backend):
        cs = [c.clone().requires_grad_(True) for _, _, c in layers]
        x = x0.clone().requires_grad_(True)
        h = x
        for (a, b, _), c in zip(layers, cs):
            h = relaxed_gates(h, a, b, c, backend)
        logits = h.reshape(33, 3, -1).sum(-1) / 4.0
        loss = torch.nn.functional.cross_entropy(logits, target)
        loss.backward()
        return loss.detach(), x.grad, [c.grad for c in cs]

    l1, gx1, gc1 = run("numba")
    l2, gx2, gc2 = run("torch")
    torch.testing.assert_close(l1, l2, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(gx1, gx2, atol=1e-6, rtol=1e-4)
    for p, q in zip(gc1, gc2):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-4)


def test_gradcheck_and_float64_reference():
    """Finite differences (exact for this bilinear map up to rounding) and a float64 torch reference."""
    gen = torch.Generator().manual_seed(11)
    a, b, c = random_layer(5, 6, gen, same=2, unread=1)
    x = torch.rand(3, 5, generator=gen).requires_grad_(True)
    c = c.requires_grad_(True)
    with pytest.warns(UserWarning, match="double precision"):  # gradcheck prefers float64; kernels are float32
        assert torch.autograd.gradcheck(
            lambda x, c: relaxed_gates_numba(x, a, b, c), (x, c), eps=1e-2, atol=2e-3, rtol=2e-3
        )
    g = torch.randn(3, 6, generator=gen, dtype=torch.float64)
    y, gx, gc = grads(relaxed_gates_numba, x, a, b, c, g.float())
    y64, gx64, gc64 = grads(relaxed_gates_torch, x.double(), a, b, c.double(), g)
    torch.testing.assert_close(y.double(), y64, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(gx.double(), gx64, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(gc.double(), gc64, atol=1e-5, rtol=1e-5)


def test_input_without_grad_and_empty_batch():
    gen = torch.Generator().manual_seed(5)
    a, b, c = random_layer(8, 10, gen, same=1)
    c = c.requires_grad_(True)
    x = torch.rand(4, 8, generator=gen)
    relaxed_gates_numba(x, a, b, c).sum().backward()
    c_ref = c.detach().clone().requires_grad_(True)
    relaxed_gates_torch(x, a, b, c_ref).sum().backward()
    torch.testing.assert_close(c.grad, c_ref.grad, atol=ATOL, rtol=RTOL)

    x0 = torch.zeros(0, 8, requires_grad=True)
    c0 = c.detach().clone().requires_grad_(True)
    y = relaxed_gates_numba(x0, a, b, c0)
    assert y.shape == (0, 10)
    y.sum().backward()
    assert x0.grad.shape == (0, 8) and torch.all(c0.grad == 0)


def test_reverse_index_lists_every_reader():
    a = np.array([0, 2, 2, 4])
    b = np.array([2, 2, 0, 1])
    indptr, slots = build_reverse_index(a, b, 6)
    assert indptr.tolist() == [0, 2, 3, 7, 7, 8, 8]  # input 3 and 5 are read by nobody
    readers = [sorted(slots[indptr[j] : indptr[j + 1]].tolist()) for j in range(6)]
    assert readers == [[0, 5], [7], [1, 2, 3, 4], [], [6], []]


def test_bad_input_is_named():
    a = torch.tensor([0, 1])
    c = torch.zeros(2, 4)
    with pytest.raises(ValueError, match="float32"):
        relaxed_gates_numba(torch.zeros(2, 3, dtype=torch.float64), a, a, c)
    with pytest.raises(ValueError, match="0..2"):
        relaxed_gates_numba(torch.zeros(2, 3), a, torch.tensor([0, 3]), c)
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        relaxed_gates_numba(torch.zeros(2, 3), a, a, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="reverse_index"):
        relaxed_gates_numba(torch.zeros(2, 3), a, a, c, reverse_index=build_reverse_index(a, a, 2))
    with pytest.raises(ValueError, match="0..1"):
        build_reverse_index([0, 2], [0, 0], 2)


@pytest.mark.slow
@pytest.mark.parametrize("env,expected", [(None, "workqueue"), ("safe", "safe")])
def test_threading_layer_default_respects_environment(env, expected):
    environ = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    if env:
        environ["NUMBA_THREADING_LAYER"] = env
    code = "import numba, ldlgn.numba_kernels; print(numba.config.THREADING_LAYER)"
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


@pytest.mark.slow
def test_second_process_loads_kernels_from_the_cache():
    """cache=True: a fresh process finds the compiled kernels on disk instead of recompiling them."""
    import subprocess
    import sys

    code = """
import torch
from ldlgn.numba_kernels import relaxed_gates_numba, _forward
x = torch.rand(8, 6); a = torch.tensor([0, 1, 2]); b = torch.tensor([3, 4, 5]); c = torch.rand(3, 4)
relaxed_gates_numba(x, a, b, c)
print(sum(_forward.stats.cache_hits.values()), sum(_forward.stats.cache_misses.values()))
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)  # fills the cache if empty
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=300, capture_output=True, text=True)
    hits, misses = map(int, out.stdout.split())
    assert hits >= 1 and misses == 0
