"""A non-editable install works outside the checkout: templates and test benches ship in the wheel."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import numpy as np, ldlgn
from ldlgn.compiler import build_c
from ldlgn.compiler.reference import predict
from ldlgn.sim import simulate
from ldlgn.sim.random_nets import random_inputs, random_netlist
assert ldlgn.__file__.startswith(TARGET), ldlgn.__file__
net = random_netlist(200, num_classes=3, seed=4)
x = random_inputs(net, 16)
result = simulate(net, x, pipelined=True)
assert result.passed, result.report()
scores = build_c(net, "wheel", cache_dir=CACHE).predict(x.astype(np.uint8))[0]
assert (scores == predict(net, x)[0]).all()
print("wheel ok")
"""


def test_wheel_install_runs_outside_the_checkout(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)], check=True, timeout=600
    )
    wheel = next(wheels.glob("ldlgn-*.whl"))
    # package data: the PEP 561 marker (covers ldlgn.compiler and ldlgn.sim) and the templates
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    assert {"ldlgn/py.typed", "ldlgn/compiler/c_templates/header.h", "ldlgn/rtl_templates/ldlgn_argmax.v"} <= names
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=600,
    )
    code = f"TARGET = {str(target)!r}; CACHE = {str(tmp_path / 'cache')!r}\n" + CHECK
    env = dict(os.environ, PYTHONPATH=str(target))
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0 and "wheel ok" in p.stdout, p.stdout + p.stderr
