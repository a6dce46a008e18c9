"""Encoder part of the C driver: raw integer inputs → bit-sliced comparator words.

The fixed code is the template ``c_templates/encode.c``; the tables and macros that depend on the
network or on the input width are generated here.

512-bit words with AVX-512 VBMI, 8-bit inputs: per sample, each chunk of up to 64 comparators
gathers its bytes from the sample's row with one byte permute and compares them with its
thresholds (a 64-bit mask per sample); masks of 64 samples × 64 comparators are then transposed
to the comparators' words. One sequential pass over the rows (measured: as fast as the tile
transpose below on cached inputs, about a third faster on inputs streamed from memory).

AVX2, 8-bit inputs, other vector widths: the same in row space without a gather. The comparators
are cut into chunks of 32 consecutive features (a window of features with several thresholds
gives one chunk per rank: its first thresholds, its second, ...); per sample a chunk is one 32-byte
load, saturating subtract, compare and movemask (a 32-bit mask); a 32 × 32 bit transpose in each
32-bit lane of 32 words then gives the comparators' words. The portable ``uint64_t`` path does the
same with chunks of 8 features, eight byte compares in one 64-bit word (no carries between bytes)
and a 64 × 64 bit transpose. Both read each row once, in order: the encoder then runs at about
the speed the input rows stream in from memory.

Otherwise (16-bit inputs without AVX-512, or ``-DLDLGN_TILE_ENCODE``): a block of samples is cut
into tiles of ``TW × TW`` values (samples × features, ``TW`` lanes per vector); each tile is
transposed in registers (one block-swap stage per bit of the row index: shifts and masks for
blocks under 8 bytes, qword shuffles above), so that a feature's samples lie in whole vectors; a
comparator is then one vector compare per ``TW`` samples, packed to bits by AVX-512BW mask
compares or a multiply trick. Portable 16-bit inputs (or ``-DLDLGN_COLUMN_ENCODE``): one
comparison per sample and comparator.
"""

from __future__ import annotations

from . import c_runtime


def encoder_source(in_feat, in_thr, elem_bytes: int) -> str:
    """C text of the encoder (the ``encode.c`` fragment of the driver) for the comparators
    ``in_feat[i] > in_thr[i]`` sorted by feature, on inputs of ``elem_bytes`` bytes."""
    return c_runtime.render_fragment(
        "encode.c",
        {
            "FE_TABLES": "\n".join(
                [
                    chunk_tables(in_feat, in_thr),
                    row_chunk_tables(in_feat, in_thr),
                    word_chunk_tables(in_feat, in_thr) if elem_bytes == 1 else "#define LDLGN_P8_CHUNKS 0",
                ]
            ),
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


def windows(in_feat, in_thr, width: int) -> list[tuple[int, list[int], list[int]]]:
    """Comparators (sorted by feature) as chunks of ``width`` consecutive features: per chunk the
    first feature ``base``, and per lane ``i`` (feature ``base + i``) the threshold and the
    comparator index, or 255 and -1 where the lane compares nothing. A window of features with
    several thresholds gives one chunk per rank (its features' first thresholds, their second, ...),
    so every chunk reads ``width`` bytes of a row in place: no gather."""
    feat, thr = [int(v) for v in in_feat], [int(v) for v in in_thr]
    chunks: list[tuple[int, list[int], list[int]]] = []
    i = 0
    while i < len(feat):
        base, first = feat[i], len(chunks)
        rank: dict[int, int] = {}
        while i < len(feat) and feat[i] < base + width:
            r = rank[feat[i]] = rank.get(feat[i], -1) + 1  # ranks of a feature come in order
            if first + r == len(chunks):
                chunks.append((base, [255] * width, [-1] * width))
            chunks[first + r][1][feat[i] - base] = thr[i]
            chunks[first + r][2][feat[i] - base] = i
            i += 1
    return chunks


def _rows(values) -> str:
    """Rows of a two-dimensional C initializer."""
    return ",\n    ".join("{" + ",".join(map(str, r)) + "}" for r in values)


def _usable(in_thr) -> bool:
    thr = [int(v) for v in in_thr]
    return bool(thr) and min(thr) >= 0 and max(thr) <= 255


def word_chunk_tables(in_feat, in_thr) -> str:
    """C tables of the portable row encoder (``uint64_t`` words, 8-bit inputs): chunks of 8
    features (:func:`windows`); chunk ``j`` loads bytes ``P8_BASE[j] ..`` ``+ 8`` of a row and
    compares them, eight at a time in one word, with the packed thresholds ``P8_THR[j]``; lane ``i``
    is comparator ``P8_CMP[j][i]`` (-1: none)."""
    if not _usable(in_thr):
        return "#define LDLGN_P8_CHUNKS 0"
    chunks = windows(in_feat, in_thr, 8)
    n = len(chunks)
    packed = [sum(t << (8 * i) for i, t in enumerate(th)) for _, th, _ in chunks]
    return "\n".join(
        [
            f"#define LDLGN_P8_CHUNKS {n}",
            "#if LDLGN_VECTOR_BITS == 64",
            f"static const uint32_t P8_BASE[{n}] = {{{','.join(str(c[0]) for c in chunks)}}};",
            f"static const int32_t P8_CMP[{n}][8] = {{{_rows(c[2] for c in chunks)}}};",
            f"static const uint64_t P8_THR[{n}] = {{{','.join(f'0x{v:016x}ull' for v in packed)}}};",
            f"#define P8_BASE_MAX {max(c[0] for c in chunks)}u",
            "#endif",
        ]
    )


def row_chunk_tables(in_feat, in_thr) -> str:
    """C tables of the AVX2 row encoder (8-bit inputs): chunks of 32 features (:func:`windows`);
    chunk ``j`` compares bytes ``F32_BASE[j] ..`` ``+ 32`` of a row with ``F32_THR[j][·]``; lane
    ``i`` is comparator ``F32_CMP[j][i]`` (-1: none)."""
    if not _usable(in_thr):
        return "#define LDLGN_F32_CHUNKS 0"
    chunks = windows(in_feat, in_thr, 32)
    n = len(chunks)
    return "\n".join(
        [
            f"#define LDLGN_F32_CHUNKS {n}",
            "#if defined(__AVX2__) && LDLGN_VECTOR_BITS > 64",
            f"static const uint32_t F32_BASE[{n}] = {{{','.join(str(c[0]) for c in chunks)}}};",
            f"#define F32_BASE_MAX {max(c[0] for c in chunks)}u",
            f"static const int32_t F32_CMP[{n}][32] = {{\n    {_rows(c[2] for c in chunks)}}};",
            f"static const uint8_t F32_THR[{n}][32] __attribute__((aligned(32))) = {{",
            f"    {_rows(c[1] for c in chunks)}}};",
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
