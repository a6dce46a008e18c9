"""Compressors on carry chains, for FPGAs whose logic cells pair a 4-input LUT with a fast carry
(ECP5's CCU2C): the ``chain`` popcount.

A full adder made of 4-input LUTs costs two LUTs to remove one bit of a bit heap. In a carry
chain each LUT drives the carry logic too, so one LUT can take two bits and leave one. The heap
is reduced with *segments*, placed end to end in chains:

* ``q`` (5:3): five bits of one column (the chain's carry-in and ``a, b, c, d``) become three
  bits of columns ``j, j+1, j+2``. Position 0 adds ``a^b`` and ``c^d`` (its LUT is the parity
  of four bits, and the carry it generates is ``a^b``), position 1 adds ``a&b`` and ``c&d``.
  Three LUTs with the separator below remove two bits.
* ``r`` (a row adder over ``L`` columns): two bits of each column ``j … j+L-1`` and the carry-in
  become ``L + 1`` bits; ``L + 1`` LUTs remove ``L`` bits, cheap once the heap spans columns.

Every segment starts with a *separator*: a LUT whose propagate is 0, so its sum is the carry out
of the segment before it and the carry it generates is the next segment's carry-in (a bit of the
heap, or 0). A chain ends with one more separator that only reads out the last carry. A 200-bit
column costs about 1.5 LUT equivalents per bit against 2 for full adders.
"""

from __future__ import annotations

from dataclasses import dataclass

from .head import BitHeap, Counter

#: most LUTs (halves of a CCU2C) in one chain: a longer carry path is slower, a shorter chain
#: wastes more separators and padding
CHAIN_HALVES = 24


@dataclass
class Segment(Counter):
    """A counter on a carry chain: ``inputs[0]`` is the carry-in (``1'b0`` when none), then the
    bits of the positions (``q``: four bits of ``column``; ``r``: two bits per column, column
    ``column + i`` at inputs ``1 + 2i`` and ``2 + 2i``)."""

    kind: str = "r"

    @property
    def positions(self) -> int:
        return 2 if self.kind == "q" else (len(self.inputs) - 1) // 2

    @property
    def value_terms(self) -> list[tuple[str, int]]:
        """``(signal, shift)`` of every input: the segment's value is ``Σ signal << shift``."""
        if self.kind == "q":
            return [(b, 0) for b in self.inputs]
        return [(self.inputs[0], 0)] + [(b, (i - 1) // 2) for i, b in enumerate(self.inputs) if i]


class ChainHeap(BitHeap):
    """A bit heap reduced with carry-chain segments; every column goes down to at most two bits
    each stage (each bit a segment takes costs about half a LUT, so few stages cost no more)."""

    def __init__(self, width: int):
        super().__init__(width, 5)

    def _segment(self, column: int, inputs: list[str], kind: str, outputs: int) -> Segment:
        width = min(outputs, self.width - column)
        seg = Segment(self.next_index, column, inputs, width, kind=kind)
        self.next_index += 1
        return seg

    def stage(self) -> list[Counter]:
        """Segments of one stage: from the lowest column that holds three bits or more, a row
        adder over the run of columns holding two or more (when the run spans two columns or
        more), else a 5:3 counter (five bits or more), else a full adder (row adder of one)."""
        rem = [list(c) for c in self.columns]
        nxt: list[list[str]] = [[] for _ in range(self.width)]
        segments: list[Counter] = []
        while True:
            j = next((i for i, c in enumerate(rem) if len(c) >= 3), None)
            if j is None:
                break
            end = j
            while end < self.width and len(rem[end]) >= 2:
                end += 1
            if end - j == 1 and len(rem[j]) >= 5:
                seg = self._segment(j, rem[j][:5], "q", 3)
                rem[j] = rem[j][5:]
            else:
                ins = [rem[j].pop(0)]
                for c in range(j, end):
                    ins += rem[c][:2]
                    rem[c] = rem[c][2:]
                seg = self._segment(j, ins, "r", end - j + 1)
            segments.append(seg)
            for k in range(seg.width):
                nxt[j + k].append(f"t{seg.index}[{k}]")
        self.columns = [n + r for n, r in zip(nxt, rem)]  # new bits first: a constant stays last
        return segments


@dataclass
class Half:
    """One LUT of a CCU2C in a chain: its INIT, its four pins and what its sum output drives."""

    init: int
    pins: tuple[str, str, str, str]  #: A, B, C, D
    sum_to: str | None = None  #: signal the sum drives (None: unused)


def _init(propagate, generate) -> int:
    """INIT of a carry LUT: rows with C = D = 0 give the generate (a function of A and B), the
    other rows the propagate; the carry out is ``propagate ? carry_in : generate``."""
    value = 0
    for row in range(16):
        a, b, c, d = row & 1, row >> 1 & 1, row >> 2 & 1, row >> 3 & 1
        bit = generate(a, b) if c == 0 and d == 0 else propagate(a, b, c, d)
        value |= (bit & 1) << row
    return value


SEPARATOR = _init(lambda a, b, c, d: 0, lambda a, b: a)  #: pins (carry-in bit, 0, 0, 1)
ROW = _init(lambda a, b, c, d: a ^ b, lambda a, b: a)  #: pins (x, y, 0, 1)
Q_LOW = _init(lambda a, b, c, d: a ^ b ^ c ^ d, lambda a, b: a ^ b)  #: pins (a, b, c, d)
Q_HIGH = _init(lambda a, b, c, d: (a & b) ^ (c & d), lambda a, b: a & b)  #: pins (a, b, c, d)


def _halves(seg: Segment) -> list[Half]:
    """The segment's LUTs, separator first; output bit ``k`` of the segment is the sum of
    position ``k`` (bit ``positions``, the carry out, is read by the next separator)."""
    out = [f"t{seg.index}[{k}]" if k < seg.width else None for k in range(seg.positions)]
    halves = [Half(SEPARATOR, (seg.inputs[0], "1'b0", "1'b0", "1'b1"))]
    if seg.kind == "q":
        pins = (seg.inputs[1], seg.inputs[2], seg.inputs[3], seg.inputs[4])
        return halves + [Half(Q_LOW, pins, out[0]), Half(Q_HIGH, pins, out[1])]
    for i in range(seg.positions):
        halves.append(Half(ROW, (seg.inputs[1 + 2 * i], seg.inputs[2 + 2 * i], "1'b0", "1'b1"), out[i]))
    return halves


def chains(segments: list[Segment], limit: int = CHAIN_HALVES) -> list[list[Half]]:
    """The segments end to end in chains of at most ``limit`` LUTs (a segment longer than that
    gets a chain of its own), each closed by a separator and padded to whole CCU2C cells. A
    segment's carry out (its bit ``positions``, when kept) is the sum of the separator after it."""
    result: list[list[Half]] = []
    current: list[Half] = []
    carry: str | None = None

    def close() -> None:
        current.append(Half(SEPARATOR, ("1'b0", "1'b0", "1'b0", "1'b1"), carry))
        if len(current) % 2:
            current.append(Half(SEPARATOR, ("1'b0", "1'b0", "1'b0", "1'b1")))
        result.append(list(current))
        current.clear()

    for seg in segments:
        halves = _halves(seg)
        if current and len(current) + len(halves) + 1 > limit:
            close()
            carry = None
        halves[0].sum_to = carry
        current += halves
        carry = f"t{seg.index}[{seg.positions}]" if seg.positions < seg.width else None
    if current:
        close()
    return result
