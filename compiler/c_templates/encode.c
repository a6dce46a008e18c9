@FE_TABLES@
#if LDLGN_VECTOR_BITS > 64
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

#if LDLGN_FE_CHUNKS && LDLGN_VECTOR_BITS == 512 && LDLGN_IN_BYTES == 1 && defined(__AVX512BW__) \
    && defined(__AVX512VBMI__)
#define LDLGN_FAST_ENCODE 1
/* 128 bytes from p, zero past avail (masked loads do not touch the bytes they skip). */
static inline void load128(const in_t *p, size_t avail, __m512i *lo, __m512i *hi)
{
    if (avail >= 128) {
        *lo = _mm512_loadu_si512((const void *)p);
        *hi = _mm512_loadu_si512((const void *)(p + 64));
        return;
    }
    __mmask64 ml = avail >= 64 ? ~0ull : (1ull << avail) - 1;
    __mmask64 mh = avail <= 64 ? 0 : (1ull << (avail - 64)) - 1;
    *lo = _mm512_maskz_loadu_epi8(ml, (const void *)p);
    *hi = _mm512_maskz_loadu_epi8(mh, (const void *)(p + 64));
}

/* Swap the off-diagonal q x q qword blocks of rows x and y of an 8 x 8 qword matrix. */
#define LDLGN_QSWAP(x, y, q) do { __m512i a_ = x; \
    x = _mm512_permutex2var_epi64(a_, qlo[q >> 1], y); \
    y = _mm512_permutex2var_epi64(a_, qhi[q >> 1], y); } while (0)

/* Row space, then a bit transpose: per sample, chunk j of up to 64 comparators gathers its bytes
 * (vpermt2b from 128 bytes at FE_BASE[j]) and compares them with its thresholds: a 64-bit mask.
 * 64 samples x 64 comparators of masks are transposed (bytes inside qwords, qwords across 8
 * vectors, then one test per comparator bit) into the comparators' words. */
static void encode(const in_t *x, size_t m, lw_t *w, iv_t *xt)
{
    static const uint64_t QSWAP_LO[3][8] = {{0, 8, 2, 10, 4, 12, 6, 14}, {0, 1, 8, 9, 4, 5, 12, 13},
                                            {0, 1, 2, 3, 8, 9, 10, 11}};
    static const uint64_t QSWAP_HI[3][8] = {{1, 9, 3, 11, 5, 13, 7, 15}, {2, 3, 10, 11, 6, 7, 14, 15},
                                            {4, 5, 6, 7, 12, 13, 14, 15}};
    /* byte 8r + t of a vector of 8 masks -> byte 8t + r: each qword holds one byte of 8 samples */
    static const uint8_t BYTE_T[64] = {0, 8, 16, 24, 32, 40, 48, 56, 1, 9, 17, 25, 33, 41, 49, 57,
        2, 10, 18, 26, 34, 42, 50, 58, 3, 11, 19, 27, 35, 43, 51, 59, 4, 12, 20, 28, 36, 44, 52, 60,
        5, 13, 21, 29, 37, 45, 53, 61, 6, 14, 22, 30, 38, 46, 54, 62, 7, 15, 23, 31, 39, 47, 55, 63};
    uint64_t *mk = (uint64_t *)(void *)xt; /* masks of 64 samples: mk[j * 64 + s] */
    const __m512i bt = _mm512_loadu_si512((const void *)BYTE_T);
    __m512i qlo[3], qhi[3];
    for (int q = 0; q < 3; q++) {
        qlo[q] = _mm512_loadu_si512((const void *)QSWAP_LO[q]);
        qhi[q] = _mm512_loadu_si512((const void *)QSWAP_HI[q]);
    }
    const size_t total = m * NF;
    /* rows s < inner have s * NF + FE_BASE_MAX + 128 <= total */
    const size_t inner = total >= FE_BASE_MAX + 128 ? (total - FE_BASE_MAX - 128) / NF + 1 : 0;
    for (size_t s0 = 0; s0 < LDLGN_BLOCK; s0 += 64) {
        for (size_t s = s0; s < s0 + 64; s++) {
            if (s < inner) { /* every chunk's 128 bytes lie inside the block: plain loads */
                const in_t *row = x + s * NF;
                for (int j = 0; j < LDLGN_FE_CHUNKS; j++) {
                    __m512i v = _mm512_loadu_si512((const void *)(row + FE_BASE[j]));
                    if (!FE_SEQ[j]) /* else the chunk reads 64 consecutive features: no gather */
                        v = _mm512_permutex2var_epi8(v, _mm512_load_si512((const void *)FE_IDX[j]),
                                                     _mm512_loadu_si512((const void *)(row + FE_BASE[j] + 64)));
                    mk[j * 64 + s - s0] = _mm512_cmpgt_epu8_mask(v, _mm512_load_si512((const void *)FE_THR[j]));
                }
                continue;
            }
            for (int j = 0; j < LDLGN_FE_CHUNKS; j++) {
                __m512i lo, hi;
                size_t at = s * NF + FE_BASE[j];
                if (s >= m) { mk[j * 64 + s - s0] = 0; continue; }
                load128(x + at, total - at, &lo, &hi);
                __m512i v = _mm512_permutex2var_epi8(lo, _mm512_load_si512((const void *)FE_IDX[j]), hi);
                mk[j * 64 + s - s0] = _mm512_cmpgt_epu8_mask(v, _mm512_load_si512((const void *)FE_THR[j]));
            }
        }
        for (int j = 0; j < LDLGN_FE_CHUNKS; j++) {
            __m512i r[8];
            for (int k = 0; k < 8; k++)
                r[k] = _mm512_permutexvar_epi8(bt, _mm512_loadu_si512((const void *)(mk + j * 64 + 8 * k)));
            LDLGN_QSWAP(r[0], r[1], 1); LDLGN_QSWAP(r[2], r[3], 1); LDLGN_QSWAP(r[4], r[5], 1); LDLGN_QSWAP(r[6], r[7], 1);
            LDLGN_QSWAP(r[0], r[2], 2); LDLGN_QSWAP(r[1], r[3], 2); LDLGN_QSWAP(r[4], r[6], 2); LDLGN_QSWAP(r[5], r[7], 2);
            LDLGN_QSWAP(r[0], r[4], 4); LDLGN_QSWAP(r[1], r[5], 4); LDLGN_QSWAP(r[2], r[6], 4); LDLGN_QSWAP(r[3], r[7], 4);
            /* r[k] byte s: byte k of sample s's mask, i.e. comparators 64j + 8k .. 64j + 8k + 7 */
            for (int k = 0; k < 8; k++)
                for (int b = 0; b < 8; b++) {
                    if (8 * k + b < (int)FE_COUNT[j])
                        ((uint64_t *)&w[IN_SLOT[FE_START[j] + 8 * k + b]])[s0 / 64] = _mm512_test_epi8_mask(r[k], _mm512_set1_epi8((char)(1 << b)));
                }
        }
    }
}
#elif LDLGN_F32_CHUNKS && LDLGN_IN_BYTES == 1 && defined(__AVX2__) && !defined(LDLGN_TILE_ENCODE)
#define LDLGN_ROW_ENCODE 1
#define ML L32 /* uint32 lanes of a word: lane l holds samples 32l .. 32l + 31 */

/* Lanes of chunk j of one sample, from the 32 bytes at p = row + F32_BASE[j]: bit i set where
 * byte i > F32_THR[j][i] (x > t: the saturating x - t is not 0; padding lanes compare with 255). */
static inline uint32_t row_mask(const in_t *p, int j)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i sub = _mm256_subs_epu8(v, _mm256_load_si256((const __m256i *)(const void *)F32_THR[j]));
    return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(sub, _mm256_setzero_si256()));
}

/* Row space, then a bit transpose: per sample, each chunk of 32 features is one 32-byte load,
 * compare and movemask (a 32-bit mask, stored so that lane l of vector k of the chunk holds sample
 * 32l + k); one 32 x 32 bit transpose per lane then makes vector b the word of the chunk's lane b. */
static void encode(const in_t *x, size_t m, lw_t *w, iv_t *xt)
{
    uint32_t *mk = (uint32_t *)(void *)xt; /* vector k of chunk j, lane l: mk[(k NCH + j) ML + l] */
    const size_t total = m * NF;
    /* rows s < inner have s * NF + F32_BASE_MAX + 32 <= total: plain loads */
    const size_t inner = total >= F32_BASE_MAX + 32 ? (total - F32_BASE_MAX - 32) / NF + 1 : 0;
    for (size_t s = 0; s < LDLGN_BLOCK; s++) {
        uint32_t *o = mk + (s % 32) * LDLGN_F32_CHUNKS * ML + s / 32; /* a sample's masks lie close */
        const in_t *row = x + s * NF;
        if (s < inner) {
            for (int j = 0; j < LDLGN_F32_CHUNKS; j++) o[j * ML] = row_mask(row + F32_BASE[j], j);
            continue;
        }
        for (int j = 0; j < LDLGN_F32_CHUNKS; j++) {
            in_t tmp[32] = {0};
            size_t at = s * NF + F32_BASE[j];
            if (s < m) memcpy(tmp, x + at, total - at < 32 ? total - at : 32);
            o[j * ML] = s < m ? row_mask(tmp, j) : 0;
        }
    }
    for (int j = 0; j < LDLGN_F32_CHUNKS; j++) {
        u32v r[32];
        for (int k = 0; k < 32; k++) memcpy(&r[k], mk + ((size_t)k * LDLGN_F32_CHUNKS + j) * ML, sizeof(u32v));
        bit_transpose32(r);
        for (int b = 0; b < 32; b++)
            if (F32_CMP[j][b] >= 0) memcpy(&w[IN_SLOT[F32_CMP[j][b]]], &r[b], sizeof(lw_t));
    }
}
#else
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
#endif
#if defined(LDLGN_ROW_ENCODE) && 32 * LDLGN_F32_CHUNKS > TW * NST
#define XT_VECTORS (32 * LDLGN_F32_CHUNKS)
#else
#define XT_VECTORS (TW * NST)
#endif
#elif LDLGN_P8_CHUNKS && !defined(LDLGN_COLUMN_ENCODE)
/* ---- encode: portable uint64 path, row space then a bit transpose ---- */
#define P8_GROUPS ((LDLGN_P8_CHUNKS + 7) / 8) /* 8 chunks = 64 comparator bits of a sample */

/* Bit 8i + k of each 8-bit chunk compare: the high bit of byte i of the word >> (7 - k). x > t per
 * byte without carries between bytes: high bits from the high bits, else 128 + (x & 127) - (t & 127)
 * - 1 has its high bit set exactly when x's low 7 bits exceed t's. */
static inline uint64_t gt8(uint64_t x, uint64_t t)
{
    const uint64_t hi = 0x8080808080808080ull;
    uint64_t d = (x | hi) - ((t & ~hi) + 0x0101010101010101ull);
    return ((x & ~t) | (~(x ^ t) & d)) & hi;
}

/* Row space, then a bit transpose: per sample, each chunk of 8 features is one 8-byte load and
 * compare; the compares of 8 chunks x 64 samples are one 64 x 64 bit transpose. */
static void encode(const in_t *x, size_t m, lw_t *w, void *xt)
{
    uint64_t *a = (uint64_t *)xt; /* group g (chunks 8g .. 8g + 7), sample s: a[64 g + s] */
    const uint16_t endian = 1;
    const int little = *(const uint8_t *)&endian == 1;
    const size_t total = m * NF;
    /* rows s < inner have s * NF + P8_BASE_MAX + 8 <= total: plain 8-byte loads */
    const size_t inner = little && total >= P8_BASE_MAX + 8 ? (total - P8_BASE_MAX - 8) / NF + 1 : 0;
    for (size_t s = 0; s < 64; s++) { /* rows in order */
        for (int g = 0; g < P8_GROUPS; g++) {
            uint64_t bits = 0, v;
            int j0 = 8 * g, j1 = j0 + 8 < LDLGN_P8_CHUNKS ? j0 + 8 : LDLGN_P8_CHUNKS;
            for (int j = j0; j < j1; j++) {
                size_t at = s * NF + P8_BASE[j];
                if (s < inner) memcpy(&v, x + at, 8);
                else { /* byte i of v is byte at + i of the block, 0 past its end */
                    v = 0;
                    for (size_t i = 0; i < 8 && s < m && at + i < total; i++) v |= (uint64_t)x[at + i] << (8 * i);
                }
                bits |= gt8(v, P8_THR[j]) >> (7 - (j - j0));
            }
            a[64 * g + s] = bits;
        }
    }
    for (int g = 0; g < P8_GROUPS; g++) {
        int j0 = 8 * g, j1 = j0 + 8 < LDLGN_P8_CHUNKS ? j0 + 8 : LDLGN_P8_CHUNKS;
        bit_transpose64(a + 64 * g); /* a[64 g + 8i + k]: lane i of chunk j0 + k */
        for (int j = j0; j < j1; j++)
            for (int i = 0; i < 8; i++)
                if (P8_CMP[j][i] >= 0) w[IN_SLOT[P8_CMP[j][i]]] = a[64 * g + 8 * i + j - j0];
    }
}
#define XT_VECTORS (64 * P8_GROUPS)
#else
/* ---- encode: portable uint64 path, one comparison per sample and comparator ---- */
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
