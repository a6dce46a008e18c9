"""Encoder part of the C driver: raw integer inputs → bit-sliced comparator words.

The fixed code is the template ``c_templates/encode.c``; the tables and macros that depend on the
network or on the input width are generated here.

512-bit words with AVX-512 VBMI, 8-bit inputs: per sample, each chunk of up to 64 comparators
gathers its bytes from the sample's row with one byte permute and compares them with its
thresholds (a 64-bit mask per sample); masks of 64 samples × 64 comparators are then transposed
to the comparators' words. One sequential pass over the rows (measured: as fast as the tile
transpose below on cached inputs, about a third faster on inputs streamed from memory).

Other vector widths (``LDLGN_VECTOR_BITS`` > 64): a block of samples is cut into tiles of ``TW × TW``
values (samples × features, ``TW`` lanes per vector); each tile is transposed in registers (one
block-swap stage per bit of the row index: shifts and masks for blocks under 8 bytes, qword
shuffles above), so that a feature's samples lie in whole vectors; a comparator is then one
vector compare per ``TW`` samples, packed to bits by AVX-512BW mask compares or a multiply
trick. Portable path: one comparison per sample and comparator on ``uint64_t`` words.
"""

from __future__ import annotations

from . import c_runtime


def encoder_source(in_feat, in_thr, elem_bytes: int) -> str:
    """C text of the encoder (the ``encode.c`` fragment of the driver) for the comparators
    ``in_feat[i] > in_thr[i]`` sorted by feature, on inputs of ``elem_bytes`` bytes."""
    return c_runtime.render_fragment(
        "encode.c",
        {
            "FE_TABLES": chunk_tables(in_feat, in_thr),
            "SHUFFLES": shuffle_macros(elem_bytes),
        },
    )


def range_check(uname: str, input_bits: int) -> str:
    """C block of ``predict`` that rejects inputs above ``INPUT_MAX``; empty where the input type
    holds no larger value (8 and 16 bits)."""
    if input_bits in (8, 16):
        return ""
    return c_runtime.render_fragment("range_check.c", {"UNAME": uname})


def chunk_tables(in_feat, in_thr) -> str:
    """C tables of the fast 512-bit encoder: the comparators (sorted by feature) in chunks of up
    to 64 consecutive ones whose features lie within 128 bytes, chunk ``j`` reading bytes
    ``FE_BASE[j] + FE_IDX[j][·]`` of a sample for comparators ``FE_START[j] ..
    FE_START[j] + FE_COUNT[j]``. Padding lanes compare with 255 (never true for bytes)."""
    feat, thr = [int(v) for v in in_feat], [int(v) for v in in_thr]
    if not feat or max(thr) > 255:
        return "#define LDLGN_FE_CHUNKS 0"
    starts = [0]
    for i in range(1, len(feat)):
        if i - starts[-1] == 64 or feat[i] - feat[starts[-1]] >= 128:
            starts.append(i)
    ends = starts[1:] + [len(feat)]
    idx = [[f - feat[a] for f in feat[a:e]] + [0] * (64 - e + a) for a, e in zip(starts, ends)]
    thr_rows = [thr[a:e] + [255] * (64 - e + a) for a, e in zip(starts, ends)]

    def c_array(decl, values):
        return f"static const {decl} = {{{','.join(map(str, values))}}};"

    def rows(values):
        return ",\n    ".join("{" + ",".join(map(str, r)) + "}" for r in values)

    n = len(starts)
    return "\n".join(
        [
            f"#define LDLGN_FE_CHUNKS {n}",
            "#if defined(__AVX512VBMI__)",
            c_array(f"uint32_t FE_BASE[{n}]", [feat[a] for a in starts]),
            c_array(f"uint32_t FE_START[{n}]", starts),
            c_array(f"uint32_t FE_COUNT[{n}]", [e - a for a, e in zip(starts, ends)]),
            c_array(
                f"uint8_t FE_SEQ[{n}]",
                [int(e - a == 64 and feat[a:e] == list(range(feat[a], feat[a] + 64))) for a, e in zip(starts, ends)],
            ),
            f"#define FE_BASE_MAX {max(feat[a] for a in starts)}u",
            f"static const uint8_t FE_IDX[{n}][64] __attribute__((aligned(64))) = {{\n    {rows(idx)}}};",
            f"static const uint8_t FE_THR[{n}][64] __attribute__((aligned(64))) = {{\n    {rows(thr_rows)}}};",
            "#endif",
        ]
    )


def shuffle_macros(elem_bytes: int) -> str:
    """Shuffle helper and ``LDLGN_SWAP_<b>`` block swaps of the input tile transpose."""
    return "\n".join(
        [
            f"#define LDLGN_IN_BYTES {elem_bytes}",
            "#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)",
            "#define LDLGN_SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)",
            "#else",
            "#define LDLGN_SHUF(a, b, ...) __builtin_shuffle(a, b, (u64v){__VA_ARGS__})",
            "#endif",
            swap_macros(elem_bytes, "LDLGN_SWAP", "iv_t"),
        ]
    )


def swap_macros(elem_bytes: int, prefix: str, vtype: str) -> str:
    """``<prefix>_<b>(x, y)``: swap the off-diagonal ``b × b`` blocks of rows ``x`` and ``y`` of
    a square matrix of ``elem_bytes``-byte elements (one block-swap stage of a transpose), for
    every vector width.

    Blocks narrower than 8 bytes are swapped with shifts and masks on 64-bit lanes; wider blocks
    with qword shuffles (no byte permutes: they are slow on many CPUs).
    """
    out = []
    for i, bits in enumerate((128, 256, 512)):
        lanes, qlanes = bits // 8 // elem_bytes, bits // 64
        out.append(f"#{'if' if i == 0 else 'elif'} LDLGN_VECTOR_BITS == {bits}")
        b = 1
        while b < lanes:
            nbytes = b * elem_bytes
            head = f"#define {prefix}_{b}(x, y) do {{ u64v a_ = (u64v)(x), c_ = (u64v)(y); "
            if nbytes < 8:
                unit = (1 << (8 * nbytes)) - 1
                mask = sum(unit << (16 * nbytes * k) for k in range(8 // (2 * nbytes)))
                sh = 8 * nbytes
                body = (
                    f"x = ({vtype})((a_ & 0x{mask:016x}ull) | ((c_ << {sh}) & ~0x{mask:016x}ull)); "
                    f"y = ({vtype})(((a_ >> {sh}) & 0x{mask:016x}ull) | (c_ & ~0x{mask:016x}ull));"
                )
            else:
                q = nbytes // 8
                ma = ", ".join(str(qlanes + j - q if j & q else j) for j in range(qlanes))
                mb = ", ".join(str(qlanes + j if j & q else j + q) for j in range(qlanes))
                body = f"x = ({vtype})LDLGN_SHUF(a_, c_, {ma}); y = ({vtype})LDLGN_SHUF(a_, c_, {mb});"
            out.append(head + body + " } while (0)")
            b *= 2
    out.append("#endif")
    return "\n".join(out)
