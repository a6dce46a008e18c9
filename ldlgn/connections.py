"""How a layer of gates draws its two inputs per gate: the ``a``, ``b`` index vectors.

``random`` (the default) is difflogic's draw: the ``2·out_dim`` input slots take the inputs in
turn (slot ``s`` reads input ``s mod in_dim`` of a shuffled order) and the slots are shuffled, so
every input feeds ``⌊2·out_dim / in_dim⌋`` or one more gate inputs: the fan-out is balanced.
``random-cover`` is ldlgn's earlier draw: every input once (when ``2·out_dim ≥ in_dim``), the
remaining slots uniformly at random, so the fan-out varies far more. ``unique`` starts from
``random`` and swaps second inputs between gates until ``a ≠ b`` for every gate and no two gates
share an input pair (when enough pairs exist), which keeps the fan-out balanced; difflogic's
``unique`` is a different, deterministic pair-by-pair construction.
"""

from __future__ import annotations

import math
from collections import Counter

import torch

from .config import CONNECTIONS

__all__ = ["fan_out", "make_connections", "make_nary_connections"]


def make_connections(
    in_dim: int, out_dim: int, kind: str = "random", generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input indices ``(a, b)``, int64 ``(out_dim,)`` each, of ``out_dim`` gates reading ``in_dim`` inputs."""
    if kind not in CONNECTIONS:
        raise ValueError(f"unknown connections {kind!r}; choose one of {CONNECTIONS}")
    if in_dim < 1 or out_dim < 1:
        raise ValueError(f"layer sizes must be positive, got in_dim={in_dim}, out_dim={out_dim}")
    if kind == "random-cover":
        slots = _cover_slots(in_dim, out_dim, generator)
    else:
        slots = _balanced_slots(in_dim, out_dim, generator)
    a, b = slots[:out_dim].clone(), slots[out_dim:].clone()
    if kind == "unique":
        if in_dim < 2:
            raise ValueError("unique connections need at least 2 inputs")
        a, b = _make_unique(a, b, in_dim, generator)
    return a, b


def _balanced_slots(in_dim: int, out_dim: int, generator) -> torch.Tensor:
    """difflogic's draw: shuffled slots taking the inputs in turn, through a shuffled input order."""
    turn = torch.randperm(2 * out_dim, generator=generator) % in_dim
    return torch.randperm(in_dim, generator=generator)[turn]


def _cover_slots(in_dim: int, out_dim: int, generator) -> torch.Tensor:
    """Every input once (as far as the slots go), the other slots uniform, all shuffled."""
    n = 2 * out_dim
    cover = torch.randperm(in_dim, generator=generator)[: min(in_dim, n)]
    extra = torch.randint(in_dim, (n - cover.numel(),), generator=generator)
    return torch.cat([cover, extra])[torch.randperm(n, generator=generator)]


def _make_unique(a, b, in_dim, generator):
    """Fix gates until ``a ≠ b`` and no input pair repeats (while enough pairs exist).

    First the second inputs of the bad gates and of as many random gates are shuffled among
    themselves, which keeps every input's fan-out; should that not settle within a few hundred
    rounds, bad gates redraw both inputs uniformly (the earlier scheme, which always settles but
    unbalances the fan-out).
    """
    for round_ in range(2000):
        bad = _bad_gates(a, b, in_dim)
        if not bad.any():
            return a, b
        idx = torch.nonzero(bad).flatten()
        if round_ < 500:
            group = torch.unique(torch.cat([idx, torch.randint(len(a), (len(idx),), generator=generator)]))
            b[group] = b[group][torch.randperm(len(group), generator=generator)]
        else:
            a[idx] = torch.randint(in_dim, (len(idx),), generator=generator)
            b[idx] = torch.randint(in_dim, (len(idx),), generator=generator)
    raise RuntimeError("could not draw unique connections")


def _bad_gates(a: torch.Tensor, b: torch.Tensor, in_dim: int) -> torch.Tensor:
    """Gates reading one input twice, or repeating an earlier gate's input pair (when pairs suffice)."""
    bad = a == b
    if a.numel() <= in_dim * (in_dim - 1) // 2:
        key = torch.minimum(a, b) * in_dim + torch.maximum(a, b)
        _, inverse = torch.unique(key, return_inverse=True)
        first = torch.full((int(inverse.max()) + 1,), len(key), dtype=torch.long)
        first.scatter_reduce_(0, inverse, torch.arange(len(key)), reduce="amin")
        repeated = torch.ones_like(bad)
        repeated[first] = False
        bad = bad | repeated
    return bad


def make_nary_connections(
    in_dim: int, out_dim: int, arity: int, kind: str = "random", generator: torch.Generator | None = None
) -> torch.Tensor:
    """Input indices ``(out_dim, arity)`` int64 of gates with ``arity`` inputs (docs/n-input-gates.md).

    The ``arity·out_dim`` slots are drawn as for two inputs (balanced or covering); then, when
    ``in_dim ≥ arity``, a slot that repeats an input of its gate swaps with a slot of another gate
    where neither swap partner repeats, so every gate reads distinct inputs and the fan-out stays
    as drawn. ``unique`` also swaps until no two gates read the same input set.
    """
    if kind not in CONNECTIONS:
        raise ValueError(f"unknown connections {kind!r}; choose one of {CONNECTIONS}")
    if in_dim < 1 or out_dim < 1 or arity < 1:
        raise ValueError(f"layer sizes must be positive, got in_dim={in_dim}, out_dim={out_dim}, arity={arity}")
    count = arity * out_dim
    if kind == "random-cover":
        cover = torch.randperm(in_dim, generator=generator)[: min(in_dim, count)]
        extra = torch.randint(in_dim, (count - cover.numel(),), generator=generator)
        slots = torch.cat([cover, extra])[torch.randperm(count, generator=generator)]
    else:
        slots = torch.randperm(in_dim, generator=generator)[torch.randperm(count, generator=generator) % in_dim]
    idx = slots.view(out_dim, arity).clone()
    if in_dim >= arity:
        _swap_until_distinct(idx, kind == "unique" and math.comb(in_dim, arity) >= out_dim, generator)
    return idx


def _swap_until_distinct(idx: torch.Tensor, unique_sets: bool, generator) -> None:
    """Swap (in place) a slot of each gate that repeats an input, or an input set, with a random slot
    of another gate, keeping only swaps that make the gate better and the other gate no worse."""
    out_dim, arity = idx.shape
    rows = idx.tolist()
    sets = Counter(frozenset(r) for r in rows) if unique_sets else Counter()

    def flaws(row: list[int], shared: int = 0) -> int:
        """Repeated inputs, plus one when the input set is taken by more than ``shared`` other gates."""
        distinct = len(set(row))
        return arity - distinct + int(unique_sets and distinct == arity and sets[frozenset(row)] > shared)

    for g in range(out_dim):
        tries = 0
        while flaws(rows[g], 1):
            if tries >= 100 * out_dim * arity:
                raise RuntimeError(f"could not draw {arity} distinct inputs for each of {out_dim} gates")
            tries += 1
            k = next((j for j in range(arity) if rows[g][j] in rows[g][:j]), tries % arity)
            h, j = divmod(int(torch.randint(out_dim * arity, (1,), generator=generator)), arity)
            if h == g:
                continue
            old_g, old_h = rows[g], rows[h]
            new_g, new_h = list(old_g), list(old_h)
            new_g[k], new_h[j] = old_h[j], old_g[k]
            if unique_sets:
                sets.subtract([frozenset(old_g), frozenset(old_h)])
            better = flaws(new_g) < flaws(old_g) and flaws(new_h) <= flaws(old_h)
            if unique_sets:
                better = better and set(new_g) != set(new_h)
            if better:
                rows[g], rows[h] = new_g, new_h
            if unique_sets:
                sets.update([frozenset(rows[g]), frozenset(rows[h])])
    idx.copy_(torch.tensor(rows, dtype=idx.dtype))


def fan_out(a: torch.Tensor, b: torch.Tensor, in_dim: int) -> torch.Tensor:
    """How many gate inputs read each of the ``in_dim`` inputs ``(in_dim,)``."""
    return torch.bincount(torch.cat([a, b]), minlength=in_dim)
