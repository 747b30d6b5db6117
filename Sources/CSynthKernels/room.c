// The room's per-block loops (see the header), written once as plain C and compiled
// twice: for AVX2 (eight lanes, sixteen 256-bit registers) and for the baseline x86-64 (SSE2),
// chosen at run time. -ffp-contract=off (Package.swift) and no fast-math: every lane computes
// exactly what the scalar loop would, so the two builds give the same samples.

#include "csynthkernels.h"
#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
#define TG_X86 1
#else
#define TG_X86 0
#endif

// One frame, j, with the lines' previous outputs pw0…pw3.
#define ROOM_FRAME(pw0, pw1, pw2, pw3)                                                              \
    {                                                                                               \
        float p = a * w0[j] + b * (pw0), q = a * w1[j] + b * (pw1);                                 \
        float r = a * w2[j] + b * (pw2), t = a * w3[j] + b * (pw3);                                 \
        float x = 0.25f * (el[j] + er[j]);                                                          \
        w0[j] = g0 * (p + q + r + t) + x;                                                           \
        w1[j] = g1 * (p - q + r - t) - x;                                                           \
        w2[j] = g2 * (p + q - r - t) + x;                                                           \
        w3[j] = g3 * (p - q - r + t) - x;                                                           \
        float yl = xl[j] + (el[j] + tail * (p - r + 0.5f * q));                                     \
        float yr = xr[j] + (er[j] + tail * (q - t + 0.5f * r));                                     \
        if (stereo) { out[2 * j] = yl; out[2 * j + 1] = yr; } else { out[j] = 0.5f * (yl + yr); }   \
    }

// Frames from last to first: frame j reads w[j−1] before frame j−1 overwrites it, and the compiler
// sees no dependency that stops it from running eight (or four) frames at once. Frame 0 reads the
// outputs before the block.
#define ROOM_STEP_BODY                                                                              \
    for (int j = n - 1; j >= 1; j--) ROOM_FRAME(w0[j - 1], w1[j - 1], w2[j - 1], w3[j - 1])         \
    if (n > 0) { int j = 0; ROOM_FRAME(before[0], before[1], before[2], before[3]) }

#define ROOM_STEP_PARAMS                                                                            \
    int n, const float *restrict xl, const float *restrict xr, const float *restrict el,           \
    const float *restrict er, float *restrict w0, float *restrict w1, float *restrict w2,         \
    float *restrict w3, const float *restrict before, float a, float b, float g0, float g1,       \
    float g2, float g3, float tail, float *restrict out

static inline __attribute__((always_inline)) void step_body(ROOM_STEP_PARAMS, int stereo) { ROOM_STEP_BODY }

static void step_base(ROOM_STEP_PARAMS, int channels) {
    if (channels == 2) step_body(n, xl, xr, el, er, w0, w1, w2, w3, before, a, b, g0, g1, g2, g3, tail, out, 1);
    else step_body(n, xl, xr, el, er, w0, w1, w2, w3, before, a, b, g0, g1, g2, g3, tail, out, 0);
}

#if TG_X86
__attribute__((target("avx2")))
static void step_avx2(ROOM_STEP_PARAMS, int channels) {
    if (channels == 2) step_body(n, xl, xr, el, er, w0, w1, w2, w3, before, a, b, g0, g1, g2, g3, tail, out, 1);
    else step_body(n, xl, xr, el, er, w0, w1, w2, w3, before, a, b, g0, g1, g2, g3, tail, out, 0);
}
#endif

// One side's early reflections: out[j] = Σ_k gain_k · dry[j − delay_k], summed from zero in tap order.
#define REFLECT_BODY                                                                                \
    const float *p0 = dry - delays[0], *p1 = dry - delays[1], *p2 = dry - delays[2];                \
    const float *p3 = dry - delays[3], *p4 = dry - delays[4], *p5 = dry - delays[5];                \
    const float g0 = gains[0], g1 = gains[1], g2 = gains[2], g3 = gains[3], g4 = gains[4], g5 = gains[5]; \
    for (int j = 0; j < n; j++) {                                                                   \
        float e = 0;                                                                                \
        e += g0 * p0[j]; e += g1 * p1[j]; e += g2 * p2[j];                                          \
        e += g3 * p3[j]; e += g4 * p4[j]; e += g5 * p5[j];                                          \
        out[j] = e;                                                                                 \
    }

#define REFLECT_PARAMS int n, const float *dry, const long *restrict delays, const float *restrict gains, float *restrict out

static void reflect_base(REFLECT_PARAMS) { REFLECT_BODY }

#if TG_X86
__attribute__((target("avx2")))
static void reflect_avx2(REFLECT_PARAMS) { REFLECT_BODY }
#endif

static _Atomic int forced = -1;

void tg_room_force_level(int level) { atomic_store(&forced, level); }

static int cpu_level(void) {
#if TG_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 2 : 0;
#else
    return 0;
#endif
}

int tg_room_kernel_level(void) {
    static _Atomic int chosen = -1;   // every thread that races here computes the same value
    int f = atomic_load(&forced);
    if (f == 0) return 0;
    int level = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (level < 0) { level = cpu_level(); atomic_store_explicit(&chosen, level, memory_order_relaxed); }
    return level;
}

void tg_room_reflect(int n, const float *dry, const long *delays, const float *gains, float *out) {
#if TG_X86
    if (tg_room_kernel_level() == 2) { reflect_avx2(n, dry, delays, gains, out); return; }
#endif
    reflect_base(n, dry, delays, gains, out);
}

void tg_room_step(int n, const float *xl, const float *xr, const float *el, const float *er,
                  float *w0, float *w1, float *w2, float *w3, const float before[4],
                  float a, float b, float g0, float g1, float g2, float g3, float tail,
                  float *out, int channels) {
#if TG_X86
    if (tg_room_kernel_level() == 2) { step_avx2(n, xl, xr, el, er, w0, w1, w2, w3, before, a, b, g0, g1, g2, g3, tail, out, channels); return; }
#endif
    step_base(n, xl, xr, el, er, w0, w1, w2, w3, before, a, b, g0, g1, g2, g3, tail, out, channels);
}
