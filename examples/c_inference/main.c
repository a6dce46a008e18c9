/* Classify samples with a network emitted by ldlgn's C back end.
 *
 *   classify [--scores] samples.bin
 *
 * samples.bin holds n samples back to back, each NUM_FEATURES unsigned integers (one byte each
 * when INPUT_BITS <= 8, else two bytes little-endian). Prints one line per sample: the class, or
 * with --scores the per-class scores followed by the class.
 * Build with the Makefile (NET names the network, NET_DIR the folder of its emitted files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT3_(a, b, c) a##b##c
#define CAT3(a, b, c) CAT3_(a, b, c)
#define STR_(a) #a
#define STR(a) STR_(a)
#include STR(NET.h)

#define PREDICT CAT3(ldlgn_, NET, _predict)
#define NUM_FEATURES CAT3(LDLGN_, UNET, _NUM_FEATURES)
#define NUM_CLASSES CAT3(LDLGN_, UNET, _NUM_CLASSES)
typedef CAT3(ldlgn_, NET, _in_t) in_t;

int main(int argc, char **argv)
{
    int with_scores = argc == 3 && strcmp(argv[1], "--scores") == 0;
    if (argc != 2 + with_scores) {
        fprintf(stderr, "usage: %s [--scores] samples.bin\n", argv[0]);
        return 2;
    }
    const char *path = argv[argc - 1];
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    size_t row = NUM_FEATURES * sizeof(in_t);
    if (size < 0 || (size_t)size % row) {
        fprintf(stderr, "%s: size %ld is not a multiple of a sample (%zu bytes)\n", path, size, row);
        return 1;
    }
    size_t n = (size_t)size / row;
    in_t *x = malloc(n * row + 1);
    int32_t *scores = malloc(n * NUM_CLASSES * sizeof(int32_t) + 1), *classes = malloc(n * sizeof(int32_t) + 1);
    if (!x || !scores || !classes) { fprintf(stderr, "out of memory\n"); return 1; }
    if (fread(x, 1, n * row, f) != n * row) { fprintf(stderr, "%s: read error\n", path); return 1; }
    fclose(f);
    int rc = PREDICT(x, n, scores, classes);
    if (rc) {
        fprintf(stderr, "%s: %s\n", path, rc == 1 ? "input value above the encoder's INPUT_MAX" : "out of memory");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (with_scores)
            for (int c = 0; c < NUM_CLASSES; c++) printf("%d ", scores[i * NUM_CLASSES + c]);
        printf("%d\n", classes[i]);
    }
    free(x); free(scores); free(classes);
    return 0;
}
