"""The torch path on a CUDA GPU: same relaxed values and the same discrete network as on CPU."""

import logging

import numpy as np
import pytest
import torch

from ldlgn import checkpoint
from ldlgn.datasets import load_dataset
from ldlgn.model import LogicNet
from ldlgn.train import TrainConfig, train

pytestmark = pytest.mark.cuda
log = logging.getLogger(__name__)


@pytest.mark.parametrize("param", ["iwp", "op"])
def test_cuda_matches_cpu(param):
    torch.manual_seed(0)
    net = LogicNet(64, 10, width=500, depth=3, input_bits=5, parametrization=param, init="gauss", backend="torch")
    x = np.random.default_rng(0).integers(0, 17, (777, 64), dtype=np.uint8)
    net.encoder.fit(x, "quantile")
    gpu = LogicNet(**net.config).cuda()
    gpu.load_state_dict(net.state_dict())
    net.train(), gpu.train()
    assert torch.allclose(net(x), gpu(x).cpu(), atol=1e-5)
    s_cpu, c_cpu = net.predict(x, engine="torch")
    s_gpu, c_gpu = gpu.predict(x, engine="torch")
    ref_s, ref_c = net.discrete().predict(x)
    assert np.array_equal(s_gpu, ref_s) and np.array_equal(c_gpu, ref_c)
    assert np.array_equal(s_cpu, ref_s) and np.array_equal(c_cpu, ref_c)


def test_cuda_training_run_checkpoint_loads_on_cpu(tmp_path):
    cfg = TrainConfig(width=2000, depth=4, steps=300, device="cuda", eval_every=100)
    m = train(cfg, tmp_path, progress=False)
    assert m["test_acc_discrete"] > 0.85
    model = checkpoint.load(tmp_path / "model.pt")  # onto CPU
    ds = load_dataset("digits", seed=0)
    acc = (model.predict(ds.x_test, engine="torch")[1] == ds.y_test).mean()
    assert acc == pytest.approx(m["test_acc_discrete"])
    log.info("cuda digits 2000x4, 300 steps: %.1f s, test_acc_discrete %.4f", m["seconds"], m["test_acc_discrete"])
