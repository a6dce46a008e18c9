"""A coarse timing model for placing pipeline registers: depths in estimated LUT levels.

The RTL is made before any tool has mapped it, so the pipeliner works with estimates: one level
is one 4-input LUT plus its routing (the unit of ECP5 and iCE40; a 6-input LUT FPGA is faster
per level). A register stage may hold at most ``budget`` levels; ``--fmax`` turns a clock target
into a budget with the per-level delay below, measured on ECP5 (speed grade 6) with nextpnr.
"""

from __future__ import annotations

import math

#: default levels per register stage of ``pipeline="auto"``: on ECP5 the digits demo reached
#: 157 MHz with 2 levels and 178 MHz with 1 (and half the flip-flops more, 6 cycles more)
DEFAULT_BUDGET = 2.0
#: ns per LUT level (LUT plus routing) and per stage (clock-to-out, setup, clock skew) on ECP5:
#: the digits demo design placed two logic levels between registers at 7.1 ns and one at 5.6 ns,
#: most of it routing of high fan-out nets
NS_PER_LEVEL = 3.0
NS_PER_STAGE = 1.0
#: levels of one logic level of two-input gates once packed into LUTs (about two per LUT4)
LEVELS_PER_GATE_LEVEL = 0.5
#: levels of one compressor stage: a 3:2 counter is one LUT4, a 6:3 counter a LUT6 (two LUT4 levels),
#: a carry-chain segment one LUT4 and its carry path
LEVELS_PER_COUNTER_STAGE = {"fa": 1.0, "gpc6": 2.0, "chain": 1.0}
#: levels of the final carry-propagate adder of a popcount and of one score comparator: on ECP5
#: both are a carry chain (one LUT level and the fast carry path)
LEVELS_ADDER = 1.0
LEVELS_COMPARE = 1.0
#: levels of a multiplexer choosing between two candidates in the argmax tree
LEVELS_MUX = 1.0


def lut_levels(inputs: int, lut: int = 4) -> float:
    """Levels of a tree of ``lut``-input LUTs that combines ``inputs`` signals (at least 1)."""
    return float(max(1, math.ceil(math.log(max(inputs, 2), lut))))


def encoder_levels(input_bits: int) -> float:
    """Levels of one thermometer comparator ``x > t`` on ``input_bits`` bits."""
    return lut_levels(2 * input_bits) if input_bits > 4 else 1.0


def budget_for_fmax(fmax_mhz: float) -> float:
    """Levels per stage that the model expects to meet a clock of ``fmax_mhz`` MHz (at least 1)."""
    if isinstance(fmax_mhz, bool) or not isinstance(fmax_mhz, (int, float)) or not 0 < fmax_mhz < 2000:
        raise ValueError(f"fmax must be a clock frequency in MHz between 0 and 2000, got {fmax_mhz!r}")
    return max(1.0, math.floor((1000.0 / fmax_mhz - NS_PER_STAGE) / NS_PER_LEVEL))


def check_budget(budget: float) -> float:
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 1 <= budget <= 1000:
        raise ValueError(f"the stage budget must be a number of LUT levels from 1 to 1000, got {budget!r}")
    return float(budget)


def cut_points(costs: list[float], budget: float, start: float = 0.0) -> list[int]:
    """Greedy register placement along a chain of blocks of ``costs`` levels.

    Returns the indices ``i`` such that a register goes *before* block ``i``: the levels since
    the last register never exceed ``budget`` unless one block alone does. ``start``: levels
    already spent before the first block in the same stage.
    """
    cuts, acc = [], start
    for i, c in enumerate(costs):
        if acc + c > budget and acc > 0:
            cuts.append(i)
            acc = 0.0
        acc += c
    return cuts


def band_of_levels(depth: int, budget: float, first: float, per_level: float = LEVELS_PER_GATE_LEVEL) -> list[int]:
    """Band of each logic level ``1 … depth`` of the core (index ``level - 1``): as many levels
    per band as the budget allows, the first band after ``first`` levels of encoder. ``per_level``:
    estimated LUT levels of one logic level (two-input gates by default; a LUT netlist's own)."""
    costs = [per_level] * depth
    cuts = cut_points(costs, budget, start=first)  # a cut at 0: the encoder has a stage of its own
    bands, b = [], 0
    for lev in range(depth):
        if lev in cuts:
            b += 1
        bands.append(b)
    return bands


def resolve_pipeline(
    pipeline_every: int | str | None, fmax_mhz: float | None, stage_levels: float | None
) -> tuple[int | str | None, float | None]:
    """``(pipeline_every, budget)`` from the pipelining options: an integer (registers every so
    many logic levels), ``"auto"`` (a budget of ``stage_levels`` LUT levels per stage, default
    :data:`DEFAULT_BUDGET`), or a clock target ``fmax_mhz`` (implies ``"auto"``)."""
    if isinstance(pipeline_every, str) and pipeline_every != "auto":
        raise ValueError(f"pipeline_every must be a positive integer, 'auto' or None, got {pipeline_every!r}")
    if fmax_mhz is not None:
        if pipeline_every not in (None, "auto"):
            raise ValueError("fmax sets the pipelining by itself: give it without a fixed pipeline_every")
        if stage_levels is not None:
            raise ValueError("give either fmax or stage_levels, not both")
        return "auto", budget_for_fmax(fmax_mhz)
    if pipeline_every == "auto":
        return "auto", check_budget(DEFAULT_BUDGET if stage_levels is None else stage_levels)
    if stage_levels is not None:
        raise ValueError("stage_levels applies to pipeline_every='auto' only")
    if pipeline_every is not None and (
        isinstance(pipeline_every, bool)
        or not isinstance(pipeline_every, (int, float))
        or int(pipeline_every) != pipeline_every
        or pipeline_every < 1
    ):
        raise ValueError(f"pipeline_every must be a positive integer, 'auto' or None, got {pipeline_every!r}")
    return (None if pipeline_every is None else int(pipeline_every)), None
