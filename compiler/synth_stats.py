"""Cell counts of a synthesized design from Yosys's ``stat -json``, expanded through the
hierarchy, and the split of its LUTs into encoder, logic, popcount and argmax."""

from __future__ import annotations

import re
from collections import Counter


def _modules(stats: dict) -> dict[str, dict[str, int]]:
    """Own cells of every module, by type, keyed by the module's plain name."""
    return {
        name.removeprefix("\\"): {t.removeprefix("\\"): int(n) for t, n in m.get("num_cells_by_type", {}).items()}
        for name, m in stats.get("modules", {}).items()
    }


def _expand(mods: dict[str, dict[str, int]], name: str) -> Counter:
    """Primitive cells of module ``name`` including those of every submodule instance."""
    total: Counter = Counter()
    for t, n in mods.get(name, {}).items():
        if t in mods:
            for tt, nn in _expand(mods, t).items():
                total[tt] += n * nn
        else:
            total[t] += n
    return total


def count_cells(stats: dict, top: str) -> dict[str, int]:
    """Primitive cells of the design ``top`` (the harness around it left out)."""
    return dict(_expand(_modules(stats), top))


def lut_equivalents(cells: dict[str, int]) -> int:
    """LUTs of a cell count; an ECP5 carry cell (CCU2C) holds two 4-input LUTs."""
    luts = sum(n for t, n in cells.items() if "LUT" in t.upper())
    return int(luts + 2 * cells.get("CCU2C", 0))


def parts_of(stats: dict, top: str, target: str) -> dict[str, int]:
    """LUT equivalents of the encoder, the learned logic (and glue), the popcounts and the argmax."""
    mods = _modules(stats)
    parts = {"encoder": 0, "logic": 0, "popcount": 0, "argmax": 0}
    rules = [
        ("encoder", re.compile(rf"{re.escape(top)}_enc\Z")),
        ("popcount", re.compile(rf"{re.escape(top)}_(pop\d+|popcount)\Z")),
        ("argmax", re.compile(rf"({re.escape(top)}_argmax|.*ldlgn_argmax.*)\Z")),
    ]
    rest: Counter = Counter()
    for t, n in mods.get(top, {}).items():
        part = next((p for p, rx in rules if rx.match(t)), None) if t in mods else None
        cells = _expand(mods, t) if t in mods else Counter({t: 1})
        scaled = {k: v * n for k, v in cells.items()}
        if part is None:
            rest.update(scaled)
        else:
            parts[part] += lut_equivalents(scaled)
    parts["logic"] = lut_equivalents(dict(rest))
    return parts
