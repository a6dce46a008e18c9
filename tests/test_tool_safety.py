"""External tools never parse paths or names as commands, and bad design names fail up front.

Real Icarus, Yosys and Verilator throughout: the point is what those programs do with our paths.
"""

from __future__ import annotations

import json
import os

import pytest

from ldlgn.compiler.lint import lint
from ldlgn.compiler.names import C_KEYWORDS, SYSTEMVERILOG_KEYWORDS, VERILOG_KEYWORDS, check_design_name
from ldlgn.compiler.verilog import VerilogDesign, emit_verilog
from ldlgn.compiler.yosys import yosys_report
from ldlgn.sim.random_nets import random_netlist


@pytest.fixture(scope="module")
def net():
    return random_netlist(80, num_features=3, thresholds=2, layers=3, num_classes=2, seed=5)


def test_crafted_output_path_runs_no_yosys_command(net, tmp_path):
    """A folder name that spliced into a Yosys script would run ``script evil.ys`` (``!touch``)."""
    (tmp_path / "ok.v").write_text("module ok_unused;\nendmodule\n")
    marker = tmp_path / "PWNED"
    (tmp_path / "evil.ys").write_text(f"!touch {marker}\n")  # absolute: the tools' working folder must not matter
    out = f"{tmp_path}/ok.v; script {tmp_path}/evil.ys; echo "
    design = emit_verilog(net, out, pipeline_every=1)
    report = lint(design)
    assert report.results["yosys"] == "clean"
    report.check()
    assert yosys_report(design)["luts"] > 0
    assert not marker.exists()


ODD_FOLDERS = [
    "with space",
    "semi;colon; echo x",
    "single'quote",
    'double"quote',
    "dollar $(touch MARK) `touch MARK`",
    "new\nline",
    "ünïcødé ✓ 名前",
    "-o leading dash",
]


@pytest.mark.slow
@pytest.mark.parametrize("folder", ODD_FOLDERS)
def test_odd_folder_names_lint_and_synthesize(net, tmp_path, folder, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a shell would create MARK
    out = tmp_path / folder
    try:
        out.mkdir()
    except OSError as e:  # e.g. a filesystem without newlines in names
        pytest.skip(f"the filesystem refuses {folder!r}: {e}")
    emit_verilog(net, out)
    design = VerilogDesign.load(out)
    report = lint(design, verilator=True)
    assert set(report.results.values()) == {"clean"}, report.results
    assert yosys_report(design)["luts"] > 0
    assert not (tmp_path / "MARK").exists() and not (out / "MARK").exists()


def test_manifest_cannot_smuggle_names(net, tmp_path):
    emit_verilog(net, tmp_path)
    manifest = tmp_path / "design.json"
    good = json.loads(manifest.read_text())
    for key, value in [("top", "net; !touch PWNED"), ("files", ["../net.v"]), ("files", ["/etc/passwd"])]:
        manifest.write_text(json.dumps({**good, key: value}))
        with pytest.raises(ValueError, match="corrupt"):
            VerilogDesign.load(tmp_path)
    design = emit_verilog(net, tmp_path)
    design.top = "net; !touch PWNED"  # a hand-made record gets the same check before any tool runs
    with pytest.raises(ValueError, match="not a C identifier"):
        lint(design)
    with pytest.raises(ValueError, match="not a C identifier"):
        yosys_report(design)
    assert not (tmp_path / "PWNED").exists() and not os.path.exists("PWNED")


def test_odd_file_names_in_a_manifest_are_staged_safely(net, tmp_path, monkeypatch):
    """A manifest holds plain file names, but one may still splice ``script evil.ys`` into Yosys."""
    monkeypatch.chdir(tmp_path)
    design = emit_verilog(net, tmp_path)
    (tmp_path / "ok.v").write_text("module ok_unused;\nendmodule\n")
    marker = tmp_path / "PWNED"
    (tmp_path / "evil.ys").write_text(f"!touch {marker}\n")
    odd = "ok.v; script evil.ys; echo .v"
    (tmp_path / "net_popcount.v").rename(tmp_path / odd)
    manifest = json.loads((tmp_path / "design.json").read_text())
    manifest["files"] = [odd if f == "net_popcount.v" else f for f in manifest["files"]]
    (tmp_path / "design.json").write_text(json.dumps(manifest))
    loaded = VerilogDesign.load(tmp_path)
    assert tmp_path / odd in loaded.files and design.top == loaded.top
    assert lint(loaded).check().clean
    assert yosys_report(loaded)["luts"] > 0
    assert not marker.exists()


BAD_NAMES = {
    "ldlgn_argmax": "reserved",  # would overwrite the template file and still lint clean
    "ldlgn_valid_pipe": "reserved",
    "ldlgn_x": "reserved",
    "x": "port or signal",
    "scores": "port or signal",
    "class_out": "port or signal",
    "clk": "port or signal",
    "rst": "port or signal",
    "valid_in": "port or signal",
    "n5": "port or signal",
    "f3": "port or signal",
    "s1_n5": "port or signal",
    "score0": "port or signal",
    "scores_s1": "port or signal",
    "class_s1": "port or signal",
    "u_pop0": "port or signal",
    "int": "SystemVerilog keyword",
    "void": "SystemVerilog keyword",
    "logic": "SystemVerilog keyword",
    "bit": "SystemVerilog keyword",
    "module": "Verilog keyword",
    "wire": "Verilog keyword",
    "char": "C keyword",
    "_Bool": "C keyword",
    "3net": "identifier",
    "my-net": "identifier",
    "net$": "identifier",
    "": "identifier",
    "n" * 129: "at most 128",
}


@pytest.mark.parametrize("name", list(BAD_NAMES))
def test_bad_design_names_fail_before_anything_is_written(net, tmp_path, name):
    out = tmp_path / "rtl"
    with pytest.raises(ValueError, match=BAD_NAMES[name]):
        emit_verilog(net, out, name=name)
    assert not out.exists()


def test_every_keyword_is_refused():
    for word in VERILOG_KEYWORDS | SYSTEMVERILOG_KEYWORDS | C_KEYWORDS:
        with pytest.raises(ValueError, match="keyword"):
            check_design_name(word)
    with pytest.raises(ValueError, match="string"):
        check_design_name(None)


@pytest.mark.parametrize("name", ["top_1", "N", "my_net", "net_popcount", "score", "n", "xx", "_x", "a__b"])
def test_unusual_good_names_lint_clean(net, tmp_path, name):
    for every in (None, 1):
        design = emit_verilog(net, tmp_path / str(every), name=name, pipeline_every=every)
        assert design.top == name and (tmp_path / str(every) / f"{name}.v").is_file()
        results = lint(design, verilator=True, pyverilog=False).results
        assert results["iverilog"] == results["verilator"] == results["yosys"] == "clean", results
