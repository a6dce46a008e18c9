"""``--cuda-graphs``: the training step captured once and replayed (ldlgn.train_step)."""

import pytest
import torch

from ldlgn.config import TrainConfig
from ldlgn.model import LogicNet
from ldlgn.train import train
from ldlgn.train_step import GraphedStep


def test_cpu_runs_are_refused():
    with pytest.raises(ValueError, match="needs --device cuda, got 'cpu'"):
        TrainConfig(cuda_graphs=True).check()
    net = LogicNet(4, 2, width=8, depth=1, input_bits=4)
    opt = torch.optim.Adam(net.parameters())
    x, y = torch.zeros(3, 4, dtype=torch.uint8), torch.zeros(3, dtype=torch.long)
    with pytest.raises(ValueError, match="CUDA device"):
        GraphedStep(net, opt, torch.nn.CrossEntropyLoss(), x, y)


def _steps(graphed: bool, depth: int, steps: int = 6):
    torch.manual_seed(0)
    net = LogicNet(20, 4, width=300, depth=depth, num_thresholds=3, input_bits=4).cuda().train()
    opt = torch.optim.Adam(net.parameters(), lr=0.01, fused=True)  # the graph's Adam: the same arithmetic
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(1)
    batches = [(torch.randint(0, 16, (25, 20), generator=gen).cuda(), torch.randint(0, 4, (25,), generator=gen).cuda())]
    batches = batches * steps
    losses = []
    step = GraphedStep(net, opt, loss_fn, *batches[0]) if graphed else None
    for x, y in batches:
        if step:
            losses.append(float(step.replay(x, y)))
        else:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, [p.detach().clone() for p in net.parameters()]


@pytest.mark.cuda
@pytest.mark.parametrize("depth", [2, 40])
def test_replayed_steps_follow_the_eager_ones(depth):
    """The warm-up leaves no trace: replayed steps start from the same state as eager ones, and
    with the same (fused) Adam they compute the same steps."""
    eager_losses, eager_params = _steps(False, depth)
    graph_losses, graph_params = _steps(True, depth)
    assert graph_losses == pytest.approx(eager_losses, rel=1e-6)
    for got, want in zip(graph_params, eager_params):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)


@pytest.mark.cuda
def test_graphed_training_resumes_exactly(tmp_path):
    run = dict(width=500, depth=3, eval_every=5, device="cuda", cuda_graphs=True)
    whole = train(TrainConfig(**run, steps=10), tmp_path / "whole", progress=False)
    train(TrainConfig(**run, steps=5), tmp_path / "part", progress=False)
    resumed = train(TrainConfig(**run, steps=10), tmp_path / "part", resume=True, progress=False)

    def record(m):
        return [(h["step"], h["loss"], h["val_acc_discrete"]) for h in m["history"]]

    assert record(resumed) == record(whole)
    a = torch.load(tmp_path / "whole" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "part" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    eager = train(TrainConfig(**{**run, "cuda_graphs": False}, steps=10), tmp_path / "eager", progress=False)
    assert [h["loss"] for h in whole["history"]] == pytest.approx([h["loss"] for h in eager["history"]], rel=1e-4)
