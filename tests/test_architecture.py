"""The layering and the registries: a torch-free core, one analysis for every back end, back ends
and passes added by registration."""

import json
import subprocess
import sys
from typing import Any, cast

import numpy as np
import pytest

from ldlgn.compiler import analyze, lower, optimize, save_netlist
from ldlgn.compiler.backends import Emitted, backends, get_backend, parse_emit, register_backend, unregister_backend
from ldlgn.compiler.c_emit import emit_c
from ldlgn.compiler.discrete import DiscreteLayer, DiscreteNet
from ldlgn.compiler.passes import PASSES, register_pass, unregister_pass
from ldlgn.compiler.passes import optimize as run_passes
from ldlgn.compiler.pipeline import compile_netlist
from ldlgn.compiler.verilog import emit_verilog
from ldlgn.sim.random_nets import random_netlist


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_compiler_core_and_cli_help_do_not_import_torch():
    p = _python(
        "import sys, ldlgn.compiler, ldlgn.compiler.pipeline, ldlgn.sim.verify\n"
        "assert 'torch' not in sys.modules, 'torch imported by the core'\n"
        "from ldlgn.cli import main\n"
        "for argv in (['--help'], ['--version'], ['compile', '--help'], ['train', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'torch' not in sys.modules, 'torch imported by the CLI help'\n"
        "print('torch-free')"
    )
    assert p.returncode == 0 and "torch-free" in p.stdout, p.stdout + p.stderr


def test_every_public_name_of_the_package_resolves():
    import ldlgn

    for name in ldlgn.__all__:
        obj = getattr(ldlgn, name)
        assert name == "__version__" or obj.__name__ == name, name
    with pytest.raises(AttributeError, match="no attribute 'Missing'"):
        ldlgn.Missing  # noqa: B018


def test_compile_from_a_netlist_file_never_imports_torch(tmp_path):
    net = random_netlist(300, num_classes=3, seed=1)
    save_netlist(net, tmp_path / "raw.npz")
    p = _python(
        "import sys\nfrom ldlgn.cli import main\n"
        f"rc = main(['compile', {str(tmp_path / 'raw.npz')!r}, '--out', {str(tmp_path / 'b')!r}, '--c'])\n"
        "assert rc == 0, rc\nassert 'torch' not in sys.modules\nprint('ok')"
    )
    assert p.returncode == 0 and "ok" in p.stdout, p.stdout + p.stderr
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["gates_raw"] == net.num_gates and report["source"].endswith("raw.npz")


def _unoptimized_net(seed: int):
    """A raw lowered net with constant comparators and gates whose tables ignore an input."""
    rng = np.random.default_rng(seed)
    thr = rng.integers(-2, 260, (6, 3))  # some below 0 (always 1) and ≥ 255 (never 1)
    layers, width = [], thr.size
    for w in (40, 30, 24, 12):
        layers.append(DiscreteLayer(rng.integers(0, width, w), rng.integers(0, width, w), rng.integers(0, 16, w)))
        width = w
    return lower(DiscreteNet(thr, 8, layers, 3))


@pytest.mark.parametrize("seed", range(6))
def test_c_and_verilog_emit_the_same_gates(seed, tmp_path):
    raw = _unoptimized_net(seed)
    for net in (raw, optimize(raw)[0]):
        an = analyze(net)
        c = emit_c(net, tmp_path / f"c{seed}", "n", analysis=an)
        v = emit_verilog(net, tmp_path / f"v{seed}", "n", analysis=an)
        assert c.num_gates == v.num_gates == an.num_live_gates
    assert analyze(raw).num_live_gates < raw.num_gates  # the raw nets do have dead gates


class _GateListBackend:
    """A back end in a few lines: one CSV line per live gate."""

    name, help, folder = "gatelist-test", "gates as CSV (test)", "gatelist"

    def options(self):
        return {"header": True}

    def emit(self, netlist, out_dir, name, analysis, **options):
        rows = ["node,a,b,table"] if options["header"] else []
        for g in analysis.live_gates.tolist():
            a, b = netlist.fanin[g]
            rows.append(f"{netlist.first_gate + g},{a},{b},{netlist.table[g]}")
        path = out_dir / f"{name}.csv"
        path.write_text("\n".join(rows) + "\n")
        return Emitted([path], analysis.num_live_gates, {"rows": len(rows)})


def test_a_registered_backend_runs_through_the_pipeline(tmp_path):
    backend = register_backend(_GateListBackend())
    try:
        assert get_backend("gatelist-test") is backend and "gatelist-test" in backends()
        net = random_netlist(200, num_classes=2, seed=3)
        report = compile_netlist(
            net, tmp_path / "b", "g", emit=("gatelist-test",), options={"gatelist-test": {"header": False}}
        )
        section = cast(dict[str, Any], report["backends"])["gatelist-test"]  # a section Backends does not name
        assert section["files"] == ["gatelist/g.csv"] and section["rows"] == section["gates"] == report["gates_opt"]
        assert "gatelist/g.csv" in report["manifest"]
        with pytest.raises(ValueError, match="unknown option.*colour"):
            compile_netlist(net, tmp_path / "x", "g", emit=("gatelist-test",), options={"gatelist-test": {"colour": 1}})
        with pytest.raises(ValueError, match="already registered"):
            register_backend(_GateListBackend())
    finally:
        unregister_backend("gatelist-test")
    with pytest.raises(ValueError, match="unknown back end 'gatelist-test'"):
        parse_emit("c,gatelist-test")
    assert not (tmp_path / "x").exists()


def test_a_registered_pass_runs_in_the_driver():
    def drop_nothing(net):
        return net

    p = register_pass("noop-test", "changes nothing (test)")(drop_nothing)
    try:
        net = random_netlist(100, seed=2)
        after, report = run_passes(net, ["noop-test", "dce"])
        assert [r["pass"] for r in report[:2]] == ["noop-test", "dce"] and p(net) is net
        assert after.num_gates <= net.num_gates
    finally:
        unregister_pass("noop-test")
    assert "noop-test" not in PASSES
