"""Cross-engine verification: every engine of a build against torch eval on real data.

Torch eval of the checkpoint is the reference; every registered engine (:mod:`ldlgn.sim.engines`)
runs the artifacts of a build folder and must give identical integer class scores and classes for
every sample. A build whose files differ from its manifest fails verification too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ldlgn.compiler.fileio import write_json
from ldlgn.compiler.pipeline import build_problems, load_build

from .engines import Build, EngineRun, Prediction, engines

log = logging.getLogger(__name__)

REFERENCE = "torch"


def engine_names() -> tuple[str, ...]:
    """The reference plus every registered engine."""
    return (REFERENCE, *engines())


@dataclass
class EngineResult:
    """One row of the verification table."""

    engine: str
    samples: int
    agreement: float  # fraction of samples whose scores and class equal torch eval's
    accuracy: float | None
    samples_per_s: float
    mismatches: int
    first_mismatch: str = ""

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and self.samples > 0


def available_engines(build_dir: Path | str) -> tuple[str, ...]:
    """The engines a build folder can run, by what its report says it holds."""
    _, report = load_build(build_dir)
    return (REFERENCE, *(n for n, e in engines().items() if e.available(report)))


def _describe(i: int, ref: Prediction, got: Prediction) -> str:
    return (
        f"sample {i}: expected scores {ref[0][i].tolist()} class {int(ref[1][i])}, "
        f"got scores {got[0][i].tolist()} class {int(got[1][i])}"
    )


def _row(engine: str, ref: Prediction, run: EngineRun, y: np.ndarray | None) -> EngineResult:
    n = len(ref[1])
    if run.prediction is not None:
        same = (run.prediction[0] == ref[0]).all(1) & (run.prediction[1] == ref[1])
        bad = np.flatnonzero(~same)
        mismatches = int(bad.size)
        first = _describe(int(bad[0]), ref, run.prediction) if bad.size else ""
        classes = run.prediction[1]
    else:
        mismatches, first, classes = run.mismatches, run.first_mismatch, ref[1]
    mismatches += len(run.errors)
    first = "; ".join([*run.errors, first]) if run.errors else first
    acc = float((classes == y).mean()) if y is not None and len(y) and not mismatches else None
    return EngineResult(
        engine, n, 1 - min(mismatches, n) / max(n, 1), acc, n / max(run.seconds, 1e-9), mismatches, first
    )


def _reference(model: Any, x: np.ndarray) -> EngineRun:
    model.predict(x[:1], "torch")  # load the kernels outside the timing
    t0 = time.perf_counter()
    ref = model.predict(x, "torch")
    return EngineRun(ref, time.perf_counter() - t0)


def verify(
    model: Any,
    build_dir: Path | str,
    x: np.ndarray,
    y: np.ndarray | None = None,
    engines_to_run: Iterable[str] | None = None,
    log_line: Callable[[str], None] = log.info,
) -> list[EngineResult]:
    """Run ``engines_to_run`` (default: every engine the build can run) on ``x`` and compare each
    with torch eval of ``model``; a build modified since compile adds a failing ``manifest`` row."""
    names = tuple(engines_to_run) if engines_to_run is not None else available_engines(build_dir)
    unknown = set(names) - set(engine_names())
    if unknown:
        raise ValueError(f"unknown engines {sorted(unknown)}; choose from {', '.join(engine_names())}")
    net, report = load_build(build_dir)
    build = Build(Path(build_dir), net, report, build_problems(build_dir, report))
    for e in names:
        if e != REFERENCE and not engines()[e].available(report):
            raise FileNotFoundError(f"{build_dir} holds no artifacts for engine {e!r}: compile with its back end")
    x = np.ascontiguousarray(x)
    ref_run = _reference(model, x)
    ref = ref_run.prediction
    assert ref is not None
    rows = [_row(REFERENCE, ref, ref_run, y)]
    rows += [_row(e, ref, engines()[e].run(build, x, ref), y) for e in names if e != REFERENCE]
    if build.modified:
        rows.append(
            EngineResult(
                "manifest",
                len(build.modified),
                0.0,
                None,
                0.0,
                len(build.modified),
                "build changed since compile: " + "; ".join(build.modified[:5]),
            )
        )
    for row in rows:
        acc = "-" if row.accuracy is None else f"{row.accuracy:.4f}"
        log_line(
            f"{row.engine:<14} {row.samples:>7} samples  agreement {row.agreement:8.2%}  accuracy {acc:>6}  "
            f"{row.samples_per_s:>12,.0f} samples/s" + (f"  {row.first_mismatch}" if row.first_mismatch else "")
        )
    return rows


def write_verify_json(
    build_dir: Path | str, rows: list[EngineResult], meta: dict[str, Any], formal: dict[str, Any] | None = None
) -> Path:
    """``verify.json``: the table plus what was verified, and the proofs of ``verify --formal``."""
    passed = all(r.passed for r in rows) and (formal is None or bool(formal.get("passed")))
    data = dict(meta, passed=passed, engines=[asdict(r) for r in rows])
    if formal is not None:
        data["formal"] = formal
    return write_json(Path(build_dir) / "verify.json", data)
