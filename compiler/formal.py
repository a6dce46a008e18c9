"""Equivalence proofs by the real tools: ABC's ``cec`` or Yosys's ``miter`` + ``sat`` (docs/formal.md).

A proof obligation holds two circuits built into one :class:`~ldlgn.compiler.aig.AigBuilder`
(the *gold* specification and the *gate* implementation, output by output over the same
inputs). Outputs whose two literals are the same node are proved by structural hashing alone;
the others go to the prover as two AIGER files. The tools run in a temporary folder on files
with fixed names (``gold.aig``, ``gate.aig``, inputs ``i<k>``, outputs ``o<k>``), so nothing a
user typed reaches a tool's command language. A failed proof comes back with a concrete input
on which the two circuits differ, checked by simulating both before it is reported.
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .aig import Aig, AigBuilder, cone, netlist_on_x
from .aiger import write_aiger
from .lint import require_tool
from .netlist import Netlist

log = logging.getLogger(__name__)

PROVERS = ("abc", "yosys")
DEFAULT_TIMEOUT = 600.0  #: seconds one tool run may take before the property counts as not proved


@dataclass
class Obligation:
    """``gold[j]`` must equal ``gate[j]`` for every input of ``builder``; ``labels[j]`` names
    output ``j`` in messages."""

    name: str
    builder: AigBuilder
    gold: list[int]
    gate: list[int]
    labels: list[str]

    def __post_init__(self) -> None:
        if not len(self.gold) == len(self.gate) == len(self.labels):
            raise ValueError(f"{self.name}: gold, gate and labels must have one entry per output")


@dataclass
class Proof:
    """The outcome of one obligation."""

    name: str
    status: str  #: "proved", "failed" (a counterexample exists) or "unknown" (timeout, limit, tool error)
    seconds: float
    engine: str
    outputs: int = 0  #: outputs compared
    failing: str = ""  #: label of an output that differs
    counterexample: dict[str, int] | None = None  #: input name -> 0/1 on which it differs
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def line(self) -> str:
        word = {"proved": "proved", "failed": "FAILED", "unknown": "NOT PROVED"}[self.status]
        text = f"{word:<10} {self.seconds:8.2f} s  {self.name}  ({self.engine}, {self.outputs} outputs)"
        if self.failing:
            text += f"  differs at {self.failing}"
        return text + (f"  {self.detail}" if self.detail else "")

    def to_json(self) -> dict:
        return {
            "property": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "engine": self.engine,
            "outputs": self.outputs,
            "failing": self.failing,
            "counterexample": self.counterexample,
            "detail": self.detail,
            **self.extra,
        }


def _parse_abc(text: str) -> tuple[str, int | None, dict[int, int]]:
    """Verdict, failing output index and input pattern from ABC's ``cec`` report."""
    if "Networks are equivalent" in text:
        return "proved", None, {}
    if "NOT EQUIVALENT" not in text:
        return "unknown", None, {}
    m = re.search(r"Output o(\d+):", text)
    pattern = {int(k): int(v) for k, v in re.findall(r"\bi(\d+)=([01])\b", text.split("Input pattern:")[-1])}
    return "failed", int(m.group(1)) if m else None, pattern


def _parse_yosys(text: str) -> tuple[str, int | None, dict[int, int]]:
    """Verdict and input values from Yosys's ``sat -prove … -show-inputs`` log."""
    if "SUCCESS!" in text:
        return "proved", None, {}
    if "FAIL!" not in text:
        return "unknown", None, {}
    pattern = {int(k): int(v) for k, v in re.findall(r"\\in_i(\d+)\s+\S+\s+\S+\s+([01])\s*$", text, re.M)}
    return "failed", None, pattern


def _run_tool(cmd: list[str], tmp: str, timeout: float) -> tuple[str, str]:
    """Combined output of ``cmd`` run in ``tmp``, and why it did not finish ('' if it did)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "", f"timeout after {timeout:.0f} s"
    out = p.stdout + p.stderr
    if (Path(tmp) / "sat.log").is_file():
        out += (Path(tmp) / "sat.log").read_text(errors="replace")
    return out, ""


def _prove_files(gold: Aig, gate: Aig, prover: str, timeout: float) -> tuple[str, int | None, dict[int, int], str]:
    with tempfile.TemporaryDirectory(prefix="ldlgn_formal_") as tmp:
        write_aiger(gold, Path(tmp) / "gold.aig")
        write_aiger(gate, Path(tmp) / "gate.aig")
        if prover == "abc":
            cmd = [require_tool("yosys-abc"), "-c", "cec gold.aig gate.aig"]
            parse = _parse_abc
        else:
            script = (
                "read_aiger -module_name gold gold.aig; read_aiger -module_name gate gate.aig; "
                "miter -equiv -flatten -make_outputs gold gate miter; hierarchy -top miter; "
                "tee -q -o sat.log sat -prove trigger 0 -show-inputs miter"
            )
            cmd = [require_tool("yosys"), "-q", "-p", script]
            parse = _parse_yosys
        out, why = _run_tool(cmd, tmp, timeout)
    if why:
        return "unknown", None, {}, why
    verdict, output, pattern = parse(out)
    detail = "" if verdict != "unknown" else f"{prover} gave no verdict: {out.strip()[-300:]}"
    return verdict, output, pattern, detail


def prove(ob: Obligation, prover: str = "abc", timeout: float = DEFAULT_TIMEOUT) -> Proof:
    """Prove ``ob`` with ``prover`` (``"abc"``: ``cec``; ``"yosys"``: ``miter -equiv`` + ``sat``)."""
    if prover not in PROVERS:
        raise ValueError(f"unknown prover {prover!r}; choose from {', '.join(PROVERS)}")
    t0 = time.perf_counter()
    gold, gate = np.asarray(ob.gold, np.int64), np.asarray(ob.gate, np.int64)
    open_ = np.flatnonzero(gold != gate)
    engine = "structural hashing" if not open_.size else f"{prover} ({'cec' if prover == 'abc' else 'sat'})"
    proof = Proof(ob.name, "proved", 0.0, engine, len(ob.labels))
    if open_.size:
        full = ob.builder.build([])
        names = [f"o{k}" for k in range(open_.size)]
        a, b = cone(full, gold[open_], names), cone(full, gate[open_], names)
        a.input_names = b.input_names = [f"i{k}" for k in range(full.num_inputs)]
        verdict, output, pattern, detail = _prove_files(a, b, prover, timeout)
        proof.status, proof.detail = verdict, detail
        if verdict == "failed" and not _counterexample(proof, ob, a, b, open_, output, pattern):
            # ABC's cec may print a partial input pattern; ask for a whole one
            _counterexample(proof, ob, a, b, open_, None, _full_counterexample(a, b, timeout))
    proof.seconds = time.perf_counter() - t0
    log.debug("%s", proof.line())
    return proof


def _full_counterexample(a: Aig, b: Aig, timeout: float) -> dict[int, int]:
    """Every input's value on which ``a`` and ``b`` differ, from ABC's miter (``write_cex``)."""
    with tempfile.TemporaryDirectory(prefix="ldlgn_formal_") as tmp:
        write_aiger(a, Path(tmp) / "gold.aig")
        write_aiger(b, Path(tmp) / "gate.aig")
        cmd = [require_tool("yosys-abc"), "-c", "miter gold.aig gate.aig; iprove; write_cex -n cex.txt"]
        _run_tool(cmd, tmp, timeout)
        path = Path(tmp) / "cex.txt"
        text = path.read_text(errors="replace") if path.is_file() else ""
    return {int(k): int(v) for k, v in re.findall(r"^i(\d+)@0=([01])\s*$", text, re.M)}


def _counterexample(
    proof: Proof, ob: Obligation, a: Aig, b: Aig, open_: np.ndarray, output: int | None, pattern: dict[int, int]
) -> bool:
    """Fill in the input on which the circuits differ (inputs the tool left out are 0), after
    checking by simulation that they do differ there; False (and the proof unknown) if not."""
    x = np.zeros(a.num_inputs, bool)
    for k, v in pattern.items():
        if k < x.size:
            x[k] = bool(v)
    differ = np.flatnonzero(a.simulate(x[None])[0] != b.simulate(x[None])[0])
    if not differ.size:
        proof.status, proof.detail = "unknown", "the prover's counterexample does not reproduce in simulation"
        return False
    j = output if output is not None and output in differ else int(differ[0])
    proof.status, proof.detail = "failed", ""
    proof.failing = ob.labels[int(open_[j])]
    proof.counterexample = {name: int(v) for name, v in zip(ob.builder.input_names, x.tolist())}
    return True


def failing_inputs(proof: Proof, names: Sequence[str]) -> np.ndarray:
    """The counterexample's values of the inputs ``names`` (0 for names it does not hold)."""
    cex = proof.counterexample or {}
    return np.array([cex.get(n, 0) for n in names], np.uint8)


def netlist_obligation(gold: Netlist, gate: Netlist, name: str = "optimized netlist = lowered netlist") -> Obligation:
    """Output slot by output slot, ``gate`` computes what ``gold`` computes, for every raw input
    ``x`` (both under the encoder's specification; the passes keep inputs and output order)."""
    if (gold.num_features, gold.input_bits, gold.num_classes) != (gate.num_features, gate.input_bits, gate.num_classes):
        raise ValueError("the two netlists differ in features, input bits or classes")
    if gold.outputs.size != gate.outputs.size:
        raise ValueError(f"the two netlists have {gold.outputs.size} and {gate.outputs.size} outputs")
    b, lit_gold = netlist_on_x(gold)
    _, lit_gate = netlist_on_x(gate, b)
    g = gold.group_size
    labels = [
        f"output {j} (class {j // g}, slot {j % g}: n{a} vs n{c})"
        for j, (a, c) in enumerate(zip(gold.outputs.tolist(), gate.outputs.tolist()))
    ]
    return Obligation(name, b, lit_gold[gold.outputs].tolist(), lit_gate[gate.outputs].tolist(), labels)


def counterexample_x(proof: Proof, num_features: int, input_bits: int) -> np.ndarray | None:
    """The counterexample as one row of raw integer inputs ``(1, num_features)``, when it is one
    (its inputs are the bits ``x[i]``); None otherwise."""
    cex = proof.counterexample
    if not cex or not any(k.startswith("x[") for k in cex):
        return None
    bits = failing_inputs(proof, [f"x[{i}]" for i in range(num_features * input_bits)]).astype(np.int64)
    x = (bits.reshape(num_features, input_bits) << np.arange(input_bits)).sum(1)
    return x.astype(np.uint8 if input_bits <= 8 else np.uint16)[None, :]
