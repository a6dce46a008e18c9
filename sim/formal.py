"""``ldlgn verify --formal``: proofs that a build computes its model for every input (docs/formal.md).

Three properties, each a set of proofs (:mod:`ldlgn.compiler.formal`, ``formal_rtl``):

* (a) the emitted Verilog, combinational and pipelined (registers transparent), computes the
  build's netlist: every node wire equals its netlist node, for every ``x``;
* (b) the build's optimized netlist computes what the netlist lowered from the model computes
  (the passes are sound);
* (c) the encoder, popcount and argmax of the RTL equal their specification.

They complement the engines run on data, never replace them. A failed proof comes with an
input on which the two sides differ; :func:`replay` runs it through the engines, which must
show the same mismatch, and names the gate of the design that computes it wrongly.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ldlgn.compiler.aig import Aig
from ldlgn.compiler.formal import DEFAULT_TIMEOUT, Proof, counterexample_x, netlist_obligation, prove
from ldlgn.compiler.formal_rtl import check_counts, core_obligations, head_problem, locate_gate
from ldlgn.compiler.formal_synth import design_aig
from ldlgn.compiler.netlist import Netlist
from ldlgn.compiler.pipeline import load_build
from ldlgn.compiler.report import BuildReport
from ldlgn.compiler.verilog import VerilogDesign, emit_verilog

log = logging.getLogger(__name__)

#: logic levels per register stage of a pipelined variant emitted here (as the rtl-pipelined engine)
PIPELINE_EVERY = 4
VARIANTS = ("combinational", "pipelined")


@dataclass
class FormalReport:
    """Every proof of one build, with the time they took."""

    prover: str
    proofs: list[Proof] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.proofs) and all(p.proved for p in self.proofs)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "prover": self.prover,
            "seconds": round(self.seconds, 3),
            "proofs": [p.to_json() for p in self.proofs],
            "notes": self.notes,
        }


def _two_input_build(build: Path) -> tuple[Netlist, BuildReport]:
    net, report = load_build(build)
    if not isinstance(net, Netlist):
        raise ValueError(f"{build} holds gates of more than two inputs: the formal proofs take two-input builds")
    return net, report


@contextmanager
def rtl_variants(build: Path, net: Netlist, report: BuildReport) -> Iterator[list[tuple[str, VerilogDesign]]]:
    """Both Verilog variants: the build's own, and the other emitted from its netlist."""
    with tempfile.TemporaryDirectory(prefix="ldlgn_formal_") as tmp:
        own = VerilogDesign.load(build / "verilog") if "verilog" in report["backends"] else None
        designs = []
        for variant in VARIANTS:
            pipelined = variant == "pipelined"
            if own is not None and own.pipelined == pipelined:
                designs.append((variant, own))
            else:
                every = PIPELINE_EVERY if pipelined else None
                designs.append((variant, emit_verilog(net, Path(tmp) / variant, report["name"], pipeline_every=every)))
        yield designs


def _tagged(proof: Proof, prop: str, **extra: Any) -> Proof:
    proof.extra.update(property=prop, **extra)
    return proof


def _rtl_proofs(
    net: Netlist, variant: str, design: VerilogDesign, synthesized: tuple[Aig, float], prover: str, timeout: float
) -> tuple[list[Proof], list[str]]:
    aig, seconds = synthesized
    (core, encoder), lit = core_obligations(net, aig, variant)
    proofs = [_tagged(prove(core, prover, timeout), "a", synthesis_seconds=round(seconds, 3), variant=variant)]
    proofs.append(_tagged(prove(encoder, prover, timeout), "c", variant=variant))
    head = head_problem(net, aig, design, lit, variant)
    proofs.append(_tagged(check_counts(head), "c", variant=variant))
    proofs += [_tagged(prove(ob, prover, timeout), "c", variant=variant) for ob in head.obligations]
    return proofs, head.notes


def formal_check(
    build_dir: Path | str,
    raw: Netlist | None = None,
    prover: str = "abc",
    timeout: float = DEFAULT_TIMEOUT,
    log_line: Callable[[str], None] = log.info,
) -> FormalReport:
    """Prove properties (a) and (c) of the build folder, and (b) when the netlist lowered from the
    model (``raw``) is given; ``log_line`` receives one line per proof."""
    t0 = time.perf_counter()
    build = Path(build_dir)
    net, report = _two_input_build(build)
    result = FormalReport(prover)
    if raw is not None:
        proof = _tagged(prove(netlist_obligation(raw, net), prover, timeout), "b")
        result.proofs.append(proof)
        log_line(_line(proof))
    with rtl_variants(build, net, report) as designs, ThreadPoolExecutor(len(designs)) as pool:
        # Yosys runs as a separate process: both variants are synthesized at once
        synthesized = [pool.submit(design_aig, design) for _, design in designs]
        for (variant, design), aig in zip(designs, synthesized):
            proofs, notes = _rtl_proofs(net, variant, design, aig.result(), prover, timeout)
            result.notes += notes
            for proof in proofs:
                result.proofs.append(proof)
                log_line(_line(proof))
    result.seconds = time.perf_counter() - t0
    return result


def _line(proof: Proof) -> str:
    return f"({proof.extra.get('property', '?')}) {proof.line()}"


def replay(model: Any, build_dir: Path | str, proof: Proof, log_line: Callable[[str], None] = log.info) -> list:
    """Run a failed proof's counterexample through every engine the build has (torch eval is the
    reference) and, for a proof about the Verilog, name the gate of the design that is wrong.
    Returns the engines' rows (:class:`~ldlgn.sim.verify.EngineResult`)."""
    from .verify import available_engines, verify

    net, report = _two_input_build(Path(build_dir))
    x = counterexample_x(proof, net.num_features, net.input_bits)
    if x is None:
        log_line(f"counterexample of '{proof.name}' is on internal signals: {_short(proof.counterexample)}")
        return []
    log_line(f"counterexample x = {x[0].tolist()}; replaying it through the engines")
    rows = verify(model, build_dir, x, None, available_engines(build_dir), log_line=lambda m: log_line("    " + m))
    variant = proof.extra.get("variant")
    if variant:
        with rtl_variants(Path(build_dir), net, report) as designs:
            design = dict(designs)[variant]
            where = locate_gate(net, design_aig(design, wires="all")[0], x[0])
        if where:
            log_line(f"    in the {variant} Verilog: {where}")
            proof.extra["located"] = where
    return rows


def _short(cex: dict[str, int] | None, limit: int = 12) -> str:
    ones = [k for k, v in (cex or {}).items() if v]
    return ", ".join(ones[:limit]) + (" …" if len(ones) > limit else "") + " = 1, the rest 0"


def counterexample_rows(
    model: Any, build_dir: Path | str, report: FormalReport, log_line: Callable[[str], None]
) -> dict:
    """Replay every failed proof; returns what each replay showed, for ``verify.json``."""
    net, _ = load_build(build_dir)
    shown: dict[str, Any] = {}
    for proof in report.proofs:
        if proof.status == "failed":
            rows = replay(model, build_dir, proof, log_line)
            x = counterexample_x(proof, net.num_features, net.input_bits)
            shown[proof.name] = {
                "x": [] if x is None else x[0].tolist(),
                "engines_disagreeing": [r.engine for r in rows if not r.passed],
                "located": proof.extra.get("located", ""),
            }
    return shown


def verify_formal(
    model: Any,
    build_dir: Path | str,
    prover: str = "abc",
    timeout: float = DEFAULT_TIMEOUT,
    log_line: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Every proof of ``build_dir`` against ``model`` (anything with ``.discrete()``), failed ones
    replayed through the engines; the ``formal`` section of ``verify.json``."""
    from ldlgn.compiler.lower import lower

    _, report = load_build(build_dir)
    result = formal_check(build_dir, lower(model.discrete(), report["name"]), prover, timeout, log_line)
    log_line(f"{'proved' if result.passed else 'NOT PROVED'}: {len(result.proofs)} proofs in {result.seconds:.1f} s")
    for note in result.notes:
        log_line(f"note: {note}")
    replays = counterexample_rows(model, build_dir, result, log_line) if not result.passed else {}
    return {**result.to_json(), "counterexamples": replays}
