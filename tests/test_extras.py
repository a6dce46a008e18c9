"""Optional dependencies: a missing package is an error that names the extra installing it.

A package counts as missing here when ``sys.modules`` maps its name to None: Python's import
system then refuses it exactly as when it is not installed (nothing is uninstalled).
"""

import importlib
import json
import sys

import pytest

import ldlgn.sim
from ldlgn.cli import main
from ldlgn.compiler.extras import EXTRAS, MissingExtraError, require
from ldlgn.compiler.lint import lint
from ldlgn.compiler.verilog import emit_verilog
from ldlgn.sim.random_nets import random_netlist


def _block(monkeypatch, *modules):
    """Make ``import`` of each of ``modules`` fail as if the package were not installed."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def test_require_returns_the_module():
    assert require("json", "data") is json


def test_missing_module_names_the_extra():
    with pytest.raises(MissingExtraError) as info:
        require("ldlgn_no_such_module.sub", "plots")
    err = info.value
    assert str(err) == "plotting needs ldlgn_no_such_module: pip install 'ldlgn[plots]'"
    assert err.name == "ldlgn_no_such_module.sub"
    assert isinstance(err.__cause__, ModuleNotFoundError)
    # an ImportError for library callers, a RuntimeError for the command line's one-line errors
    assert isinstance(err, ImportError) and isinstance(err, RuntimeError)


def test_distribution_name_and_feature_in_the_message():
    with pytest.raises(MissingExtraError) as info:
        require("ldlgn_absent", "sim", "the pyverilog check")
    assert str(info.value) == "the pyverilog check needs ldlgn_absent: pip install 'ldlgn[sim]'"
    with pytest.raises(MissingExtraError, match=r"needs scikit-learn: pip install 'ldlgn\[data\]'$"):
        require("sklearn.ldlgn_absent_module", "data")


def test_unknown_extra_is_refused():
    with pytest.raises(ValueError, match="unknown extra 'gpu'"):
        require("json", "gpu")
    assert set(EXTRAS) == {"sim", "plots", "data"}


def test_cli_without_scikit_learn_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    _block(monkeypatch, "sklearn", "sklearn.datasets")
    assert main(["train", "--data", "digits", "--out", str(tmp_path / "run"), "--steps", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err == "ldlgn train: error: loading the built-in data sets needs scikit-learn: pip install 'ldlgn[data]'\n"


def test_plots_without_matplotlib(monkeypatch):
    _block(monkeypatch, "matplotlib", "matplotlib.figure")
    monkeypatch.delitem(sys.modules, "ldlgn.plots", raising=False)
    with pytest.raises(MissingExtraError, match=r"plotting needs matplotlib: pip install 'ldlgn\[plots\]'"):
        importlib.import_module("ldlgn.plots")


def test_simulation_without_cocotb(monkeypatch):
    _block(monkeypatch, "cocotb", "cocotb.clock", "cocotb.triggers", "cocotb_tools", "cocotb_tools.runner")
    for name in ("runner", "tb_logic"):  # imported afresh (the originals come back after the test)
        monkeypatch.delitem(sys.modules, f"ldlgn.sim.{name}", raising=False)
        monkeypatch.delattr(ldlgn.sim, name, raising=False)
    with pytest.raises(MissingExtraError, match=r"RTL simulation needs cocotb: pip install 'ldlgn\[sim\]'"):
        importlib.import_module("ldlgn.sim.runner")


def test_lint_without_pyverilog_skips_that_check(monkeypatch, tmp_path):
    _block(monkeypatch, "pyverilog", "pyverilog.vparser", "pyverilog.vparser.parser")
    design = emit_verilog(random_netlist(20, num_classes=2, seed=1), tmp_path)
    report = lint(design, verilator=False)
    assert report.results["pyverilog"] == "skipped (the pyverilog check needs pyverilog: pip install 'ldlgn[sim]')"
    assert report.results["iverilog"] == "clean" and report.clean


def test_train_without_matplotlib_keeps_the_model_and_skips_the_plots(monkeypatch, tmp_path, capsys):
    _block(monkeypatch, "matplotlib", "matplotlib.figure")
    monkeypatch.delitem(sys.modules, "ldlgn.plots", raising=False)
    out = tmp_path / "run"
    argv = ["train", "--data", "iris", "--width", "24", "--depth", "2", "--steps", "3", "--init", "gauss"]
    argv += ["--out", str(out), "--no-progress"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "plots skipped: plotting needs matplotlib: pip install 'ldlgn[plots]'" in err
    assert (out / "model.pt").is_file() and not (out / "training_curves.png").exists()
