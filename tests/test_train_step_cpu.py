"""The eager training step on the CPU runs Adam fused: the same steps as the default Adam, to float32
rounding, and one update per parameter instead of a dozen passes."""

import torch

from ldlgn.distributed import Context
from ldlgn.model import LogicNet
from ldlgn.train_step import make_step


def _train(fused_step: bool, steps: int = 6):
    torch.manual_seed(0)
    net = LogicNet(20, 4, width=300, depth=3, num_thresholds=3, input_bits=4).train()
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randint(0, 16, (25, 20), generator=gen), torch.randint(0, 4, (25,), generator=gen)
    if fused_step:
        step = make_step(net, net, opt, False, Context(), lambda loss, _: float(loss.detach()))
        losses = [step(x, y, i) for i in range(steps)]
    else:
        loss_fn, losses = torch.nn.CrossEntropyLoss(), []
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    return opt, losses, [p.detach() for p in net.parameters()]


def test_cpu_step_runs_fused_adam_equal_to_the_default_form():
    opt, losses, params = _train(True)
    ref_opt, ref_losses, ref_params = _train(False)
    assert all(group["fused"] for group in opt.param_groups)
    assert not any(group["fused"] for group in ref_opt.param_groups)
    torch.testing.assert_close(losses, ref_losses, atol=1e-5, rtol=1e-5)
    # Adam's step is about lr wherever the gradient is tiny, so rounding may flip a few such steps:
    # nearly every weight agrees closely, and none is further apart than those steps allow
    for got, want in zip(params, ref_params):
        diff = (got - want).abs()
        assert (diff <= 1e-5).float().mean() > 0.99
        assert diff.max() <= 2 * 6 * 0.05


def test_one_fused_adam_step_equals_the_default_one():
    gen = torch.Generator().manual_seed(3)
    weights = torch.randn(500, 4, generator=gen)
    grads = [torch.randn(500, 4, generator=gen) for _ in range(3)]
    results = []
    for fused in (True, None):
        p = torch.nn.Parameter(weights.clone())
        opt = torch.optim.Adam([p], lr=0.01, fused=fused)
        for g in grads:
            p.grad = g.clone()
            opt.step()
        results.append(p.detach())
    torch.testing.assert_close(results[0], results[1], atol=1e-6, rtol=1e-6)
    assert not torch.equal(results[0], weights)
