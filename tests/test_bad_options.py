"""`ldlgn compile` and `ldlgn verify` answer generated bad options and paths with one clear line
(exit 2, no traceback) and write nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldlgn.cli import main
from ldlgn.compiler import save_netlist
from ldlgn.sim.random_nets import random_netlist

BAD_NAMES = [
    "",
    "9net",
    "my net",
    "a-b",
    "ldlgn_argmax",
    "ldlgn_valid_pipe",
    "x",
    "scores",
    "clk",
    "rst",
    "n5",
    "f3",
    "int",
    "void",
    "module",
    "new",
    "logic",
    "while",
    "é",
    "a;b",
    "$(touch PWNED)",
]


@pytest.fixture(scope="module")
def netlist_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "net.npz"
    save_netlist(random_netlist(120, num_classes=2, seed=7), path)
    return path


@st.composite
def bad_compile(draw):
    """One bad thing at a time: a name, a back end, a pass, a pipeline interval or an output path."""
    kind = draw(st.sampled_from(["name", "emit", "passes", "pipeline", "out"]))
    if kind == "name":
        # --name=VALUE: a value starting with "-" is the option's value, not another option
        name = draw(st.sampled_from(BAD_NAMES) | st.from_regex(r"[0-9 ;'\"$-][a-z]{0,4}", fullmatch=True))
        return ["--c", f"--name={name}"]
    if kind == "emit":
        return ["--emit", draw(st.from_regex(r"c,[a-z]{1,6}[0-9]", fullmatch=True))]
    if kind == "passes":
        return ["--c", "--passes", draw(st.from_regex(r"const,[a-z]{1,6}[0-9]", fullmatch=True))]
    if kind == "pipeline":
        return ["--verilog", f"--pipeline={draw(st.integers(-(10**6), 0))}"]
    return ["--c", "--out-is-a-file"]


def _check_one_line_error(capsys, command: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith(f"ldlgn {command}: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=bad_compile())
def test_compile_refuses_bad_options(netlist_file, capsys, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "build"
        if args[-1] == "--out-is-a-file":
            out.write_text("not a folder")
            args = args[:-1]
        assert main(["compile", str(netlist_file), "--out", str(out), *args]) == 2
        _check_one_line_error(capsys, "compile")
        assert sorted(p.name for p in Path(tmp).iterdir()) == (["build"] if out.is_file() else [])
        assert not out.is_dir()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from ldlgn.train import TrainConfig, train

    root = tmp_path_factory.mktemp("verify")
    train(TrainConfig(width=60, depth=2, steps=10, eval_every=5, init="gauss"), root / "run", progress=False)
    assert main(["compile", str(root / "run" / "model.pt"), "--out", str(root / "b"), "--c"]) == 0
    return root / "run" / "model.pt", root / "b"


@pytest.mark.slow  # its fixture trains and compiles a model
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bad=st.one_of(
        st.tuples(st.just("--samples"), st.integers(-(10**9), 0).map(str)),
        st.tuples(st.just("--engines"), st.from_regex(r"torch,[a-z]{1,5}[0-9]", fullmatch=True)),
        st.tuples(st.just("--engines"), st.sampled_from(["torch,rtl", "rtl-pipelined"])),  # the build has no Verilog
        st.tuples(st.just("--data"), st.sampled_from(["nosuchset", "missing.npz"])),
    )
)
def test_verify_refuses_bad_options(built, capsys, bad):
    model, build = built
    before = sorted(p.relative_to(build) for p in build.rglob("*"))
    assert main(["verify", str(model), "--build", str(build), *bad]) == 2
    _check_one_line_error(capsys, "verify")
    assert sorted(p.relative_to(build) for p in build.rglob("*")) == before  # no verify.json, nothing else
