// The plucked string's run of frames (see the header and NoteRenderer.PluckedString), written once
// as plain C and compiled for AVX2 and for the baseline x86-64, chosen at run time like the room's
// loops. -ffp-contract=off and no fast-math: both builds give the same samples.

#include "csynthkernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define TG_X86 1
#else
#define TG_X86 0
#endif

#define STRING_PARAMS int run, float *line, float *restrict out, float *restrict b, float c, float half, float *restrict state

// Three passes: x out; b[k] = c·avg[k] + avg[k−1] with avg[k] = half·(x[k] + x[k−1]); then y over x
// in the line, the first eight frames one by one, the rest from y eight frames back (the
// recurrence y[k] = b[k] − c·y[k−1] unrolled eight times, its sum as two four-tap halves).
#define STRING_BODY                                                                                 \
    float prev = state[0], apIn = state[1], apOut = state[2];                                       \
    float c2 = c * c, c4 = c2 * c2, c8 = c4 * c4;                                                   \
    for (int k = 0; k < run; k++) out[k] = line[k];                                                 \
    float pa = apIn, px = prev;                                                                     \
    for (int k = 0; k < run && k < 2; k++) {                                                        \
        float avg = half * (out[k] + px);                                                           \
        b[k] = c * avg + pa;                                                                        \
        pa = avg; px = out[k];                                                                      \
    }                                                                                               \
    for (int k = 2; k < run; k++) b[k] = c * (half * (out[k] + out[k - 1])) + half * (out[k - 1] + out[k - 2]); \
    for (int k = 0; k < run && k < 8; k++) { apOut = b[k] - c * apOut; line[k] = apOut; }          \
    for (int k = 8; k < run; k++) {                                                                 \
        float near = (b[k] - c * b[k - 1]) + c2 * (b[k - 2] - c * b[k - 3]);                        \
        float far = (b[k - 4] - c * b[k - 5]) + c2 * (b[k - 6] - c * b[k - 7]);                     \
        line[k] = near + c4 * far + c8 * line[k - 8];                                              \
    }                                                                                               \
    state[1] = half * (out[run - 1] + (run > 1 ? out[run - 2] : prev));                             \
    state[0] = out[run - 1];                                                                        \
    state[2] = line[run - 1];

static void string_base(STRING_PARAMS) { STRING_BODY }

#if TG_X86
__attribute__((target("avx2")))
static void string_avx2(STRING_PARAMS) { STRING_BODY }
#endif

void tg_string_run(int run, float *line, float *out, float *b, float c, float half, float state[3]) {
    if (run <= 0) return;
#if TG_X86
    if (tg_room_kernel_level() == 2) { string_avx2(run, line, out, b, c, half, state); return; }
#endif
    string_base(run, line, out, b, c, half, state);
}
