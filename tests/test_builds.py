"""Build folders are complete or absent, record a manifest, and `verify` runs what they ship."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ldlgn.cli import main
from ldlgn.compiler import save_netlist
from ldlgn.compiler.builddir import check_manifest, remove_stale_staging
from ldlgn.sim.random_nets import random_netlist


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from ldlgn.train import TrainConfig, train

    out = tmp_path_factory.mktemp("builds") / "run"
    train(TrainConfig(width=120, depth=2, steps=40, eval_every=20, init="gauss"), out, progress=False)
    return out / "model.pt"


def test_recompiling_replaces_the_whole_build(model, tmp_path, capsys):
    build = tmp_path / "b"
    assert main(["compile", str(model), "--out", str(build), "--verilog", "--no-yosys"]) == 0
    assert (build / "verilog").is_dir()
    assert main(["compile", str(model), "--out", str(build), "--c"]) == 0
    assert not (build / "verilog").exists(), "a C-only build kept the Verilog of the previous build"
    report = json.loads((build / "report.json").read_text())
    assert set(report["backends"]) == {"c"} and check_manifest(build, report["manifest"]) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging folders left behind"


@pytest.mark.slow
def test_killed_compile_leaves_the_previous_build(tmp_path):
    net = random_netlist(30000, num_classes=4, seed=5)
    save_netlist(net, tmp_path / "net.npz")
    build = tmp_path / "b"
    assert main(["compile", str(tmp_path / "net.npz"), "--out", str(build), "--c", "--name", "first"]) == 0
    before = (build / "report.json").read_text()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ldlgn.cli",
            "compile",
            str(tmp_path / "net.npz"),
            "--out",
            str(build),
            "--c",
            "--verilog",
            "--no-yosys",
            "--name",
            "second",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 300
    while time.time() < deadline and not any(tmp_path.glob(".b.tmp-*/netlist.npz")):
        time.sleep(0.05)
    assert proc.poll() is None, "the compile finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (build / "report.json").read_text() == before
    report = json.loads(before)
    assert check_manifest(build, report["manifest"]) == [] and not (build / "verilog").exists()
    assert list(tmp_path.glob(".b.tmp-*")), "the killed compile left no staging folder to clean up"
    assert main(["compile", str(tmp_path / "net.npz"), "--out", str(build), "--c", "--name", "third"]) == 0
    assert not list(tmp_path.glob(".b.*")), "the next compile kept the killed compile's staging folder"


def test_stale_staging_folders_of_dead_processes_are_removed(tmp_path):
    out = tmp_path / "b"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = [tmp_path / f".b.tmp-{dead_pid}-x1", tmp_path / f".b.old-{dead_pid}-x2"]
    live = [tmp_path / f".b.tmp-{os.getpid()}-x3", tmp_path / ".b.tmp-notapid", tmp_path / f".c.tmp-{dead_pid}-x4"]
    for path in stale + live:
        (path / "sub").mkdir(parents=True)
    assert sorted(remove_stale_staging(out)) == sorted(stale)
    assert all(not p.exists() for p in stale) and all(p.exists() for p in live)


def test_verify_runs_the_shipped_c_sources(model, tmp_path, capsys):
    build = tmp_path / "b"
    assert main(["compile", str(model), "--out", str(build), "--c", "--name", "m"]) == 0
    gates = sorted((build / "c").glob("m_gates*.c"))
    text = gates[0].read_text()
    op = next(o for o in (" ^ ", " & ", " | ") if o in text)
    gates[0].write_text(text.replace(op, " ^ ~" if op != " ^ " else " & ", 40))
    capsys.readouterr()
    assert main(["verify", str(model), "--build", str(build), "--engines", "torch,c"]) == 1
    data = json.loads((build / "verify.json").read_text())
    rows = {e["engine"]: e for e in data["engines"]}
    assert rows["c"]["mismatches"] > 0 and rows["c"]["first_mismatch"].startswith("sample ")
    assert "c/m_gates0.c: changed since compile" in rows["manifest"]["first_mismatch"]


def test_verify_loads_a_cached_c_library_without_a_compiler(model, tmp_path, monkeypatch):
    build = tmp_path / "b"
    assert main(["compile", str(model), "--out", str(build), "--c"]) == 0
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("CC", "/nonexistent/cc")
    assert main(["verify", str(model), "--build", str(build), "--engines", "torch,c", "--samples", "40"]) == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "", "--c"], "--out must name a build folder"),
        (["--out", "{tmp}/p", "--verilog", "--pipeline", "0"], "--pipeline must be a positive"),
        (["--out", "{tmp}/e", "--emit", "c,fpga"], "unknown back end 'fpga'"),
        (["--out", "{tmp}/q", "--c", "--passes", "const,nope"], "unknown pass 'nope'"),
    ],
)
def test_compile_refuses_bad_options_before_writing(model, tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["compile", str(model), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_report_of_a_foreign_json_is_a_clear_error(tmp_path, capsys):
    for content in ("{}", "[]", '{"format": "ldlgn-build", "version": 2}'):
        (tmp_path / "report.json").write_text(content)
        assert main(["report", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ldlgn report: error:") and "Traceback" not in err


def test_report_warns_about_a_modified_build(tmp_path, capsys):
    net = random_netlist(200, seed=1)
    save_netlist(net, tmp_path / "n.npz")
    assert main(["compile", str(tmp_path / "n.npz"), "--out", str(tmp_path / "b"), "--c"]) == 0
    assert main(["report", str(tmp_path / "b")]) == 0
    (tmp_path / "b" / "c" / "net.h").write_text("/* edited */\n")
    capsys.readouterr()
    assert main(["report", str(tmp_path / "b")]) == 1
    assert "c/net.h: changed since compile" in capsys.readouterr().err
