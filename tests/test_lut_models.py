"""n-input LogicNet models through compile_model and verify: torch eval, Numba, C and both RTL variants agree."""

import numpy as np
import pytest
import torch

from ldlgn import LogicNet
from ldlgn.compiler.lut_netlist import LutNetlist
from ldlgn.compiler.pipeline import compile_model, load_build
from ldlgn.sim.verify import verify

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("n", [3, 6])
def test_model_compiles_and_every_engine_agrees(tmp_path, n):
    torch.manual_seed(n)
    net = LogicNet(6, 4, width=64, depth=3, num_thresholds=3, gate_inputs=n, init="gauss", backend="torch")
    x = np.random.default_rng(n).integers(0, 256, (500, 6))
    net.encoder.fit(x, "uniform")
    report = compile_model(net, tmp_path, "m", emit=("c", "verilog"), options={"verilog": {"yosys": False}})
    assert report["gate_arity"]["raw"] == {str(n): 192}
    assert isinstance(load_build(tmp_path)[0], LutNetlist)
    rows = verify(net, tmp_path, x, log_line=lambda s: None)
    assert [r.engine for r in rows] == ["torch", "numba", "c", "rtl", "rtl-pipelined"]
    assert all(r.passed for r in rows), [(r.engine, r.first_mismatch) for r in rows]
