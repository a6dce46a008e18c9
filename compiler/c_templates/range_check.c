    { /* inputs above INPUT_MAX are outside the encoder domain */
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
    }
