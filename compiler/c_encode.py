"""Encoder part of the C driver: raw integer inputs → bit-sliced comparator words.

Vector path (``LDLGN_VECTOR_BITS`` > 64): a block of samples is cut into tiles of ``TW × TW``
values (samples × features, ``TW`` lanes per vector); each tile is transposed in registers (one
block-swap stage per bit of the row index: shifts and masks for blocks under 8 bytes, qword
shuffles above), so that a feature's samples lie in whole vectors; a comparator is then one
vector compare per ``TW`` samples, packed to bits by AVX-512BW mask compares or a multiply
trick. Portable path: one comparison per sample and comparator on ``uint64_t`` words.
"""
from __future__ import annotations

ENCODE = r"""#if LDLGN_VECTOR_BITS > 64
/* ---- encode: vector path ---- */
#define LDLGN_TW (LDLGN_WORD_BYTES / LDLGN_IN_BYTES)
#define TW LDLGN_TW                               /* tile width: lanes of a vector */
#define NST (LDLGN_BLOCK / TW)                    /* sample tiles per block */
typedef in_t iv_t __attribute__((vector_size(LDLGN_WORD_BYTES)));
typedef in_t iv_unaligned_t __attribute__((vector_size(LDLGN_WORD_BYTES), aligned(1), may_alias));
typedef uint64_t u64v __attribute__((vector_size(LDLGN_WORD_BYTES)));
@SHUFFLES@

/* Swap the off-diagonal b x b blocks of rows x (row index bit b clear) and y (bit b set):
 * LDLGN_SWAP_<b>, generated per width (shifts and masks below 8 bytes, qword shuffles above). */
#define LDLGN_SWAP(x, y, b) LDLGN_SWAP_##b(x, y)
/* The 12 swaps of three stages (b, 2b, 4b) on rows v0..v7 (row index bits 0, 1, 2). */
#define LDLGN_STAGES8(b0, b1, b2) \
    LDLGN_SWAP(v0, v1, b0); LDLGN_SWAP(v2, v3, b0); LDLGN_SWAP(v4, v5, b0); LDLGN_SWAP(v6, v7, b0); \
    LDLGN_SWAP(v0, v2, b1); LDLGN_SWAP(v1, v3, b1); LDLGN_SWAP(v4, v6, b1); LDLGN_SWAP(v5, v7, b1); \
    LDLGN_SWAP(v0, v4, b2); LDLGN_SWAP(v1, v5, b2); LDLGN_SWAP(v2, v6, b2); LDLGN_SWAP(v3, v7, b2)

/* Transpose TW rows (samples) x TW lanes (features): row k is src[k * stride] (src != NULL)
 * or r[k]; feature row j goes to out[j * NST]. One swap stage per bit of the row index, in two
 * register-resident passes: stages 1, 2, 4 on groups of 8 consecutive rows, then the stages
 * >= 8 on rows j, j+8, j+16, ... (r is the scratch between the passes). */
static void transpose(const in_t *src, size_t stride, iv_t *r, iv_t *out)
{
    for (int g = 0; g < TW; g += 8) {
        iv_t v0, v1, v2, v3, v4, v5, v6, v7;
        if (src) {
#define LDLGN_ROW(k) (*(const iv_unaligned_t *)(src + (size_t)(g + k) * stride))
            v0 = LDLGN_ROW(0); v1 = LDLGN_ROW(1); v2 = LDLGN_ROW(2); v3 = LDLGN_ROW(3);
            v4 = LDLGN_ROW(4); v5 = LDLGN_ROW(5); v6 = LDLGN_ROW(6); v7 = LDLGN_ROW(7);
#undef LDLGN_ROW
        } else {
            v0 = r[g]; v1 = r[g + 1]; v2 = r[g + 2]; v3 = r[g + 3];
            v4 = r[g + 4]; v5 = r[g + 5]; v6 = r[g + 6]; v7 = r[g + 7];
        }
        LDLGN_STAGES8(1, 2, 4);
        r[g] = v0; r[g + 1] = v1; r[g + 2] = v2; r[g + 3] = v3;
        r[g + 4] = v4; r[g + 5] = v5; r[g + 6] = v6; r[g + 7] = v7;
    }
#if LDLGN_TW == 64
    for (int j = 0; j < 8; j++) {
        iv_t v0 = r[j], v1 = r[j + 8], v2 = r[j + 16], v3 = r[j + 24];
        iv_t v4 = r[j + 32], v5 = r[j + 40], v6 = r[j + 48], v7 = r[j + 56];
        LDLGN_STAGES8(8, 16, 32);
        out[j * NST] = v0; out[(j + 8) * NST] = v1; out[(j + 16) * NST] = v2; out[(j + 24) * NST] = v3;
        out[(j + 32) * NST] = v4; out[(j + 40) * NST] = v5; out[(j + 48) * NST] = v6; out[(j + 56) * NST] = v7;
    }
#elif LDLGN_TW == 32
    for (int j = 0; j < 8; j++) {
        iv_t v0 = r[j], v1 = r[j + 8], v2 = r[j + 16], v3 = r[j + 24];
        LDLGN_SWAP(v0, v1, 8); LDLGN_SWAP(v2, v3, 8); LDLGN_SWAP(v0, v2, 16); LDLGN_SWAP(v1, v3, 16);
        out[j * NST] = v0; out[(j + 8) * NST] = v1; out[(j + 16) * NST] = v2; out[(j + 24) * NST] = v3;
    }
#elif LDLGN_TW == 16
    for (int j = 0; j < 8; j++) {
        iv_t v0 = r[j], v1 = r[j + 8];
        LDLGN_SWAP(v0, v1, 8);
        out[j * NST] = v0; out[(j + 8) * NST] = v1;
    }
#else
    for (int j = 0; j < TW; j++) out[j * NST] = r[j];
#endif
}

/* Bits of the lanes of v that are greater than t (lane i -> bit i). */
static inline uint64_t greater_mask(iv_t v, in_t t)
{
#if defined(__AVX512BW__) && LDLGN_VECTOR_BITS == 512
    if (sizeof(in_t) == 1)
        return (uint64_t)_mm512_cmpgt_epu8_mask((__m512i)v, _mm512_set1_epi8((char)t));
    return (uint64_t)_mm512_cmpgt_epu16_mask((__m512i)v, _mm512_set1_epi16((short)t));
#else
    iv_t tv = v - v + t;
    u64v m = (u64v)(v > tv);
    uint64_t bits = 0;
    if (sizeof(in_t) == 1) { /* top bit of each byte -> 8 bits per 64-bit lane */
        m = ((m & 0x8080808080808080ull) * 0x0002040810204081ull) >> 56;
        for (int k = 0; k < LDLGN_WORD_BYTES / 8; k++) bits |= m[k] << (8 * k);
    } else {                 /* top bit of each 16-bit lane -> 4 bits per 64-bit lane */
        m = ((m & 0x8000800080008000ull) * 0x0000200040008001ull) >> 60;
        for (int k = 0; k < LDLGN_WORD_BYTES / 8; k++) bits |= m[k] << (4 * k);
    }
    return bits;
#endif
}

/* Encoder bits of samples x[0..m) (m <= LDLGN_BLOCK) into their word slots. */
static void encode(const in_t *x, size_t m, lw_t *w, iv_t *xt)
{
    iv_t rows[TW];
    size_t i = 0;
    for (uint32_t f0 = 0; f0 < NF && i < NIN; f0 += TW) {
        if (IN_FEAT[i] >= f0 + TW) continue; /* no input reads this tile */
        size_t fw = NF - f0 < (uint32_t)TW ? NF - f0 : (size_t)TW;
        for (int st = 0; st < NST; st++) {
            size_t last = (size_t)(st + 1) * TW - 1; /* last sample of the tile */
            /* full-width row loads; lanes past a row's end read the next row, which no input
             * compares. Rows near the end of the block are staged. */
            if (last < m && last * NF + f0 + TW <= m * NF) {
                transpose(x + (size_t)st * TW * NF + f0, NF, rows, xt + st);
                continue;
            }
            for (int r = 0; r < TW; r++) {
                size_t s = (size_t)st * TW + r;
                if (s < m && s * NF + f0 + TW <= m * NF) {
                    rows[r] = *(const iv_unaligned_t *)(x + s * NF + f0);
                } else {
                    memset(&rows[r], 0, sizeof(iv_t));
                    if (s < m) memcpy(&rows[r], x + s * NF + f0, fw * sizeof(in_t));
                }
            }
            transpose(NULL, 0, rows, xt + st);
        }
        for (; i < NIN && IN_FEAT[i] < f0 + TW; i++) {
            const iv_t *col = xt + (IN_FEAT[i] - f0) * NST;
            uint64_t *word = (uint64_t *)&w[IN_SLOT[i]];
            for (int k = 0; k < LDLGN_BLOCK / 64; k++) { /* sample s is bit s % 64 of lane s / 64 */
                uint64_t bits = 0;
                for (int st = k * 64 / TW; st < (k + 1) * 64 / TW; st++)
                    bits |= greater_mask(col[st], IN_THR[i]) << (st * TW % 64);
                word[k] = bits;
            }
        }
    }
}
#define XT_VECTORS (TW * NST)
#else
/* ---- encode: portable uint64 path ---- */
static void encode(const in_t *x, size_t m, lw_t *w, void *xt)
{
    (void)xt;
    for (size_t i = 0; i < NIN; i++) {
        uint64_t word = 0;
        for (size_t s = 0; s < m; s++)
            word |= (uint64_t)(x[s * NF + IN_FEAT[i]] > IN_THR[i]) << s;
        w[IN_SLOT[i]] = word;
    }
}
#define XT_VECTORS 0
#endif
"""

RANGE_CHECK = r"""    { /* inputs above INPUT_MAX are outside the encoder domain */
        in_t any = 0;
        size_t total = n * (size_t)NF, i = 0;
#if LDLGN_VECTOR_BITS > 64
        typedef in_t rv_t __attribute__((vector_size(LDLGN_WORD_BYTES)));
        rv_t acc = {0}, v;
        for (; i + LDLGN_WORD_BYTES / sizeof(in_t) <= total; i += LDLGN_WORD_BYTES / sizeof(in_t)) {
            memcpy(&v, x + i, sizeof v);
            acc |= v;
        }
        for (int k = 0; k < (int)(LDLGN_WORD_BYTES / sizeof(in_t)); k++) any |= acc[k];
#endif
        for (; i < total; i++) any |= x[i];
        if (any > LDLGN_@UNAME@_INPUT_MAX) return LDLGN_@UNAME@_ERR_RANGE;
    }"""


def shuffle_macros(elem_bytes: int) -> str:
    """Shuffle helper and ``LDLGN_SWAP_<b>`` block swaps of the input tile transpose."""
    return "\n".join([
        f"#define LDLGN_IN_BYTES {elem_bytes}",
        "#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)",
        "#define LDLGN_SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)",
        "#else",
        "#define LDLGN_SHUF(a, b, ...) __builtin_shuffle(a, b, (u64v){__VA_ARGS__})",
        "#endif",
        swap_macros(elem_bytes, "LDLGN_SWAP", "iv_t")])


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
                body = (f"x = ({vtype})((a_ & 0x{mask:016x}ull) | ((c_ << {sh}) & ~0x{mask:016x}ull)); "
                        f"y = ({vtype})(((a_ >> {sh}) & 0x{mask:016x}ull) | (c_ & ~0x{mask:016x}ull));")
            else:
                q = nbytes // 8
                ma = ", ".join(str(qlanes + j - q if j & q else j) for j in range(qlanes))
                mb = ", ".join(str(qlanes + j if j & q else j + q) for j in range(qlanes))
                body = f"x = ({vtype})LDLGN_SHUF(a_, c_, {ma}); y = ({vtype})LDLGN_SHUF(a_, c_, {mb});"
            out.append(head + body + " } while (0)")
            b *= 2
    out.append("#endif")
    return "\n".join(out)
