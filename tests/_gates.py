"""Random relaxed-gate layers and their gradients, for the tests that hold a gate kernel (Numba,
Triton) against the plain-torch path. pytest puts this folder on ``sys.path``, so the test modules
import it as ``_gates``."""

from __future__ import annotations

import torch

from ldlgn.compiler import truth_tables as tt


def random_layer(n_in: int, n: int, gen: torch.Generator, same: int = 0, unread: int = 0, device: str = "cpu"):
    """Connections with ``same`` gates reading one input twice and the last ``unread`` inputs unread."""
    hi = n_in - unread
    a = torch.randint(hi, (n,), generator=gen)
    b = torch.randint(hi, (n,), generator=gen)
    b[:same] = a[:same]
    omega = 0.5 + 0.5 * torch.sin(torch.randn(n, 4, generator=gen) * 2)
    c = (omega.double() @ torch.tensor(tt.ROWS_TO_POLY)).float()
    return a.to(device), b.to(device), c.to(device)


def grads(fn, x, a, b, c, g):
    """``fn(x, a, b, c)`` and its gradients with respect to ``x`` and ``c`` for the output gradient ``g``."""
    x = x.detach().requires_grad_(True)
    c = c.detach().clone().requires_grad_(True)
    y = fn(x, a, b, c)
    gx, gc = torch.autograd.grad(y, (x, c), g)
    return y.detach(), gx, gc
