"""cocotb test bench: drive input vectors through an emitted design and compare bit-exactly.

Started by :func:`ldlgn.sim.simulate` (cocotb's Python runner under Icarus Verilog). The
vectors come from the ``.npz`` named by ``LDLGN_SIM_VECTORS`` (written by the runner: packed
``x`` and packed expected ``scores`` as little-endian bytes per sample, expected classes, and
the interface facts); the findings go, as JSON, to the path in ``LDLGN_SIM_REPORT``.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

try:
    import cocotb
except ImportError:  # the runner imports this file outside the simulator: name the extra to install
    from ldlgn.compiler.extras import require

    cocotb = require("cocotb", "sim")
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

ENV_VECTORS = "LDLGN_SIM_VECTORS"
ENV_REPORT = "LDLGN_SIM_REPORT"


def _ints(rows: np.ndarray) -> list:
    return [int.from_bytes(r.tobytes(), "little") for r in rows]


def _value(handle):
    """Integer value of a handle, or its text when it holds X/Z bits."""
    text = str(handle.value)
    return int(text, 2) if text.strip("01") == "" else text


class _Checker:
    """Compares outputs with the expected ones and records the first mismatches."""

    def __init__(self, data):
        self.scores = _ints(data["scores"])
        self.classes = data["classes"].tolist()
        self.num_classes = int(data["num_classes"])
        self.score_width = int(data["score_width"])
        self.max_report = int(data["max_report"])
        self.first = int(data["first_index"])  # index of the first sample in the whole run
        self.mismatches, self.count, self.errors = [], 0, []

    def decode(self, packed):
        if isinstance(packed, str):
            return packed
        mask = (1 << self.score_width) - 1
        return [(packed >> (k * self.score_width)) & mask for k in range(self.num_classes)]

    def check(self, i: int, scores, cls) -> None:
        if scores == self.scores[i] and cls == self.classes[i]:
            return
        self.count += 1
        if len(self.mismatches) < self.max_report:
            self.mismatches.append(
                {
                    "index": self.first + i,
                    "expected_scores": self.decode(self.scores[i]),
                    "got_scores": self.decode(scores),
                    "expected_class": self.classes[i],
                    "got_class": cls,
                }
            )

    def message(self) -> str:
        lines = [f"{self.count} of {len(self.classes)} samples mismatch (sample indices from {self.first})"]
        lines += self.errors
        for m in self.mismatches:
            lines.append(
                f"sample {m['index']}: expected scores {m['expected_scores']} class "
                f"{m['expected_class']}, got scores {m['got_scores']} class {m['got_class']}"
            )
        return "\n".join(lines)


async def _combinational(dut, xs, chk: _Checker) -> None:
    for i, x in enumerate(xs):
        dut.x.value = x
        await Timer(1, unit="ns")
        chk.check(i, _value(dut.scores), _value(dut.class_out))


async def _pipelined(dut, xs, chk: _Checker, latency: int) -> None:
    """One sample per clock, valid_in high every cycle; each result due ``latency`` cycles later."""
    Clock(dut.clk, 2, unit="ns").start(start_high=False)
    dut.rst.value = 1
    dut.valid_in.value = 0
    for _ in range(2):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    n, received = len(xs), 0
    for cycle in range(n + latency + 2):
        if str(dut.valid_out.value) == "1":
            if received >= n or cycle - latency != received:
                chk.errors.append(
                    f"valid_out at cycle {cycle} but sample {chk.first + received} was due at cycle "
                    f"{received + latency} (latency {latency})"
                )
                return
            chk.check(received, _value(dut.scores), _value(dut.class_out))
            received += 1
        elif cycle >= latency and received < n:
            chk.errors.append(f"valid_out low at cycle {cycle}: sample {chk.first + cycle - latency} missing")
            return
        dut.valid_in.value = int(cycle < n)
        if cycle < n:
            dut.x.value = xs[cycle]
        await FallingEdge(dut.clk)


@cocotb.test()
async def check_vectors(dut):
    """Every sample's per-class scores and class equal the expected ones."""
    data = np.load(os.environ[ENV_VECTORS], allow_pickle=False)
    xs = _ints(data["x"])
    chk = _Checker(data)
    start, cpu = time.perf_counter(), time.process_time()
    if bool(data["pipelined"]):
        await _pipelined(dut, xs, chk, int(data["latency"]))
    else:
        await _combinational(dut, xs, chk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    report = {
        "samples": len(xs),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "num_mismatches": chk.count,
        "mismatches": chk.mismatches,
        "errors": chk.errors,
    }
    path = os.environ[ENV_REPORT]
    with open(path + ".tmp", "w") as f:
        json.dump(report, f)
    os.replace(path + ".tmp", path)
    assert chk.count == 0 and not chk.errors, chk.message()
