"""``ldlgn compile --abc [SCRIPT]``: an ABC script over the netlist, kept only when proved and smaller.

The optimized netlist goes to ABC as an AIG (comparators in, output slots out), ABC runs the
script (default :data:`DEFAULT_SCRIPT`) and maps the result onto two-input LUTs (``if -K 2``),
whose BLIF comes back as a two-input gate netlist and through ldlgn's own passes. The result
replaces the netlist only when it is proved equal to it for every input and has fewer gates.
Gates, depth and 6-input LUTs (ABC's ``if -K 6`` on either netlist's AIG) are reported before
and after (docs/formal.md).

The script is ABC's command language, so it is checked before it runs: only optimization
commands from :data:`COMMANDS` with dash options and numbers; no file, shell or print
commands. ABC runs in a temporary folder on files with fixed names.
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
import time
from pathlib import Path

from .aig import netlist_to_aig
from .aiger import write_aiger
from .analysis import analyze
from .blif import parse_blif
from .formal import DEFAULT_TIMEOUT, netlist_obligation, prove
from .lint import require_tool
from .netlist import FIRST_INPUT, Netlist
from .passes import DEFAULT_PASSES, optimize
from .report import AbcSection

log = logging.getLogger(__name__)

DEFAULT_SCRIPT = "dc2; resyn2"
#: ABC's usual aliases (its abc.rc), so that scripts can use them
ALIASES = {
    "b": "balance",
    "rw": "rewrite",
    "rwz": "rewrite -z",
    "rf": "refactor",
    "rfz": "refactor -z",
    "rs": "resub",
    "rsz": "resub -z",
    "resyn": "b; rw; rwz; b; rwz; b",
    "resyn2": "b; rw; rf; b; rw; rwz; b; rfz; rwz; b",
    "resyn2a": "b; rw; b; rw; rwz; b; rwz; b",
    "resyn3": "b; rs; rs -K 6; b; rsz; rsz -K 6; b; rsz -K 5; b",
    "compress2": "b -l; rw -l; rf -l; b -l; rw -l; rwz -l; b -l; rfz -l; rwz -l; b -l",
}
#: AIG-to-AIG optimizations a script may use
COMMANDS = {
    *ALIASES,
    *{"balance", "rewrite", "refactor", "resub", "drw", "drf", "dc2", "dch", "irw", "irws", "iresyn"},
    *{"fraig", "dfraig", "ifraig", "strash", "cleanup", "sweep", "orchestrate"},
    *{"&get", "&put", "&dc2", "&syn2", "&syn3", "&syn4", "&dch", "&b", "&fraig", "&st"},
}
_OPTION = re.compile(r"-[A-Za-z]{1,3}\Z|[0-9]{1,6}\Z")


def check_script(script: str) -> str:
    """``script`` if every command is an ABC optimization with plain options; else ValueError."""
    commands = [c.strip() for c in script.split(";") if c.strip()]
    if not commands:
        raise ValueError("the ABC script is empty")
    for command in commands:
        name, *options = command.split()
        if name not in COMMANDS:
            raise ValueError(
                f"ABC command {name!r} is not an AIG optimization ldlgn runs; use {', '.join(sorted(COMMANDS))}"
            )
        bad = [o for o in options if not _OPTION.match(o)]
        if bad:
            raise ValueError(f"ABC option {bad[0]!r} of {name!r} is not a dash option or a number")
    return "; ".join(commands)


def _abc(script: str, folder: Path, timeout: float) -> str:
    (folder / "abc.rc").write_text("".join(f'alias {k} "{v}"\n' for k, v in ALIASES.items()), encoding="ascii")
    try:
        p = subprocess.run(
            [require_tool("yosys-abc"), "-c", script], capture_output=True, text=True, cwd=folder, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"ABC did not finish within {timeout:.0f} s") from None
    out = p.stdout + p.stderr
    if p.returncode or "** cmd error" in out or "Error" in out:
        raise RuntimeError(f"ABC failed: {out.strip()[-1500:]}")
    return out


def lut6(net: Netlist, timeout: float = DEFAULT_TIMEOUT) -> int:
    """6-input LUTs of ``net`` as ABC maps its AIG (``if -K 6``)."""
    with tempfile.TemporaryDirectory(prefix="ldlgn_abc_") as tmp:
        write_aiger(netlist_to_aig(net), Path(tmp) / "in.aig")
        out = _abc("read in.aig; strash; if -K 6; print_stats", Path(tmp), timeout)
    m = re.search(r"\bnd\s*=\s*(\d+)", out)
    if not m:
        raise RuntimeError(f"ABC printed no LUT count: {out.strip()[-300:]}")
    return int(m.group(1))


def run_script(net: Netlist, script: str = DEFAULT_SCRIPT, timeout: float = DEFAULT_TIMEOUT) -> Netlist:
    """``net`` after the ABC ``script`` and a two-input LUT mapping, re-imported and swept by
    ldlgn's passes (not yet proved equal: see :func:`abc_optimize`)."""
    script = check_script(script)
    with tempfile.TemporaryDirectory(prefix="ldlgn_abc_") as tmp:
        write_aiger(netlist_to_aig(net), Path(tmp) / "in.aig")
        _abc(f"read in.aig; strash; {script}; strash; if -K 2 -a; write_blif out.blif", Path(tmp), timeout)
        text = (Path(tmp) / "out.blif").read_text(encoding="utf-8", errors="replace")
    inputs = [f"n{FIRST_INPUT + i}" for i in range(net.num_inputs)]
    mapped = parse_blif(text, inputs, net)
    return optimize(mapped, DEFAULT_PASSES)[0]


def abc_optimize(
    net: Netlist, script: str = DEFAULT_SCRIPT, timeout: float = DEFAULT_TIMEOUT
) -> tuple[Netlist, AbcSection]:
    """The smaller of ``net`` and its ABC result, the latter only when proved equal; the report
    section ``abc`` (script, gates, depth and LUT-6 before and after, proof, which was kept)."""
    t0 = time.perf_counter()
    result = run_script(net, script, timeout)
    proof = prove(netlist_obligation(net, result, "ABC result = netlist"), "abc", timeout)
    keep = proof.proved and result.num_gates < net.num_gates
    section: AbcSection = {
        "script": check_script(script),
        "gates_before": net.num_gates,
        "gates_after": result.num_gates,
        "depth_before": analyze(net).depth,
        "depth_after": analyze(result).depth,
        "lut6_before": lut6(net, timeout),
        "lut6_after": lut6(result, timeout),
        "proved": proof.proved,
        "proof_seconds": round(proof.seconds, 3),
        "kept": "abc" if keep else "ldlgn",
        "seconds": 0.0,
    }
    section["seconds"] = round(time.perf_counter() - t0, 3)
    log.info(
        "ABC %s: %d gates -> %d (depth %d -> %d, LUT-6 %d -> %d), %s, kept %s",
        section["script"],
        net.num_gates,
        result.num_gates,
        section["depth_before"],
        section["depth_after"],
        section["lut6_before"],
        section["lut6_after"],
        "proved equal" if proof.proved else f"NOT proved ({proof.status})",
        section["kept"],
    )
    if not proof.proved:
        log.warning(
            "ABC's result was not proved equal to the netlist (%s); the netlist is kept", proof.detail or proof.status
        )
    return (result if keep else net), section
