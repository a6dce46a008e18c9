"""Golden case across every engine: the 16 two-input gates on all four input rows.

One layer of 16 gates, gate g computing truth table g of inputs (A, B) = (x0 > 0, x1 > 0); 16
classes of one gate each, so class score g is gate g's output. torch eval, Numba, C and the RTL
(combinational and pipelined) must all equal the truth-table definition.
"""

import numpy as np
import pytest
import torch

from ldlgn.compiler import build_c, lower, optimize
from ldlgn.compiler import truth_tables as tt
from ldlgn.model import LogicNet
from ldlgn.sim import simulate

X = np.array([[a, b] for a in (0, 1) for b in (0, 1)], dtype=np.uint8)  # rows r = 2A + B
EXPECTED = np.array([[(t >> (2 * a + b)) & 1 for t in range(16)] for a, b in X], dtype=np.int32)


@pytest.fixture(scope="module", params=["iwp", "op"])
def model(request):
    net = LogicNet(
        num_features=2, num_classes=16, width=16, depth=1, num_thresholds=1, input_bits=1, parametrization=request.param
    )
    layer = net.layers[0]
    with torch.no_grad():
        net.encoder.thresholds.zero_()
        layer.a.fill_(0)
        layer.b.fill_(1)
        if request.param == "iwp":
            rows = torch.as_tensor(tt.table_rows(np.arange(16)), dtype=torch.float32)
            layer.weights.copy_(2 * rows - 1)  # ρ(±1) > 0.5 exactly on the rows whose bit is 1
        else:
            layer.weights.zero_()
            layer.weights[torch.arange(16), torch.as_tensor(tt.TABLE_TO_OP_ID.astype(np.int64))] = 1.0
    assert layer.truth_tables().tolist() == list(range(16))
    return net.eval()


def expected_classes():
    return EXPECTED.argmax(1)


def test_truth_table_definition():
    assert EXPECTED[:, tt.PASS_A].tolist() == [0, 0, 1, 1] and EXPECTED[:, 8].tolist() == [0, 0, 0, 1]


def test_torch_and_numba(model):
    for engine in ("torch", "numba"):
        scores, classes = model.predict(X, engine=engine)
        assert np.array_equal(scores, EXPECTED), engine
        assert np.array_equal(classes, expected_classes()), engine


@pytest.mark.parametrize("optimized", [False, True])
def test_c_and_rtl(model, optimized):
    net = lower(model.discrete(), name="golden")
    if optimized:
        net, _ = optimize(net)
    scores, classes = build_c(net, "golden").predict(X)
    assert np.array_equal(scores, EXPECTED) and np.array_equal(classes, expected_classes())
    for pipelined in (False, True):
        result = simulate(net, X, EXPECTED, expected_classes(), pipelined=pipelined, pipeline_every=1)
        assert result.passed, result.report()
        assert result.samples == 4
