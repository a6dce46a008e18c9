"""Shared test set-up: quiet thread pools, fixed seeds, the CI Hypothesis profile, CUDA skips.

Tiers: ``make test-fast`` runs ``-m "not slow"`` (about a minute on two cores); ``make test`` runs
everything. Mark a test ``@pytest.mark.slow`` when it alone takes about 3 s or more.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numpy as np
import pytest
import torch
from hypothesis import settings

# CI runs the same examples every time (a failure there is reproducible); local runs explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002 (tests that draw from numpy's global generator stay reproducible)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU; run on a GPU machine")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
