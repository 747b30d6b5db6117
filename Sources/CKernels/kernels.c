// Small-M GEMM kernels for the LSTM's per-time-step products (8 x 1024 . 1024 x 4096 on ref),
// where OpenBLAS manages ~40-50 GFLOP/s and these reach ~170-210 per core. B is packed once per
// weight update into panels of 32 columns; each panel is swept with up to 8 rows of A held in
// 16 AVX-512 accumulators. Runtime dispatch: AVX-512F, else AVX2+FMA, else portable C.
// Panels are fp32, or bf16 (half the bytes to read per product; each weight is widened to fp32
// in registers, so the arithmetic and the accumulation stay fp32 and only the weights are rounded).
#define _GNU_SOURCE
#include "ckernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#define P TG_PANEL

#if defined(__x86_64__) || defined(__i386__)
#define TG_X86 1
static inline void tg_pause(void) { _mm_pause(); }
#else
#define TG_X86 0
static inline void tg_pause(void) { }
#endif

size_t tg_packed_count(int ncols, int kred) {
    size_t panels = ((size_t)ncols + P - 1) / P;
    return panels * (size_t)kred * P;
}

// fp32 -> bf16, round to nearest even (what PyTorch's and the CPU's conversions do); NaN stays NaN.
uint16_t tg_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float tg_float_from_bf16(uint16_t x) {
    uint32_t u = (uint32_t)x << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// Where column j (0..31) of a bf16 panel row is stored: the order in which unpacking the 32
// words against zeros (AVX-512 unpacklo/unpackhi, 4 words per 128-bit lane) yields columns 0-15
// in one register and 16-31 in the other. The AVX2 and portable paths read the same layout.
static inline int bf16_slot(int j) {
    return j < 16 ? (j / 4) * 8 + j % 4 : ((j - 16) / 4) * 8 + 4 + (j - 16) % 4;
}

// Writes one panel row (P floats) to row `row` of dst: a copy (fp32), or rounded to bf16 in slot
// order (AVX-512BW when the CPU has it: the rounding adds 0x7FFF plus the lowest kept bit, and
// packus interleaves the two halves per 128-bit lane, which is exactly the slot order).
static void emit_bf16_portable(uint16_t *d, const float *x) {
    for (int j = 0; j < P; j++) d[bf16_slot(j)] = tg_bf16_from_float(x[j]);
}

#if TG_X86
__attribute__((target("avx512f,avx512bw")))
static inline __m512i round_bf16_512(__m512 x) {
    __m512i u = _mm512_castps_si512(x);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    return _mm512_mask_mov_epi32(r, nan, quiet);
}

__attribute__((target("avx512f,avx512bw")))
static void emit_bf16_512(uint16_t *d, const float *x) {
    __m512i lo = round_bf16_512(_mm512_loadu_ps(x)), hi = round_bf16_512(_mm512_loadu_ps(x + 16));
    _mm512_storeu_si512(d, _mm512_packus_epi32(lo, hi));
}
#endif

static inline void emit_row(void *dst, int bf16, size_t row, const float *x, int wide) {
    if (!bf16) { memcpy((float *)dst + row * P, x, P * sizeof(float)); return; }
#if TG_X86
    if (wide) { emit_bf16_512((uint16_t *)dst + row * P, x); return; }
#endif
    (void)wide;
    emit_bf16_portable((uint16_t *)dst + row * P, x);
}

// Panels [q0, q1) of W^T. Blocks of 16 k keep the 32 source rows' lines in L1: the block is
// transposed into `t` (2 KiB), then each of its rows is emitted.
static void pack_transposed_range(const float *w, int n, int k, void *dst, int bf16, int wide, int q0, int q1) {
    float t[16][P];
    for (int q = q0; q < q1; q++) {
        size_t base = (size_t)q * k;
        const float *src = w + (size_t)q * P * k;
        int rows = n - q * P < P ? n - q * P : P;
        for (int k0 = 0; k0 < k; k0 += 16) {
            int k1 = k0 + 16 < k ? k0 + 16 : k;
            for (int j = 0; j < rows; j++)
                for (int kk = k0; kk < k1; kk++) t[kk - k0][j] = src[(size_t)j * k + kk];
            for (int j = rows; j < P; j++)
                for (int kk = k0; kk < k1; kk++) t[kk - k0][j] = 0.0f;
            for (int kk = k0; kk < k1; kk++) emit_row(dst, bf16, base + kk, t[kk - k0], wide);
        }
    }
}

// Panels [q0, q1) of W.
static void pack_plain_range(const float *w, int n, int k, void *dst, int bf16, int wide, int q0, int q1) {
    float t[P];
    for (int q = q0; q < q1; q++) {
        size_t base = (size_t)q * n;
        int c0 = q * P, w0 = k - c0 < P ? k - c0 : P;
        for (int kk = 0; kk < n; kk++) {
            const float *src = w + (size_t)kk * k + c0;
            if (w0 < P) {
                memcpy(t, src, (size_t)w0 * sizeof(float));
                for (int j = w0; j < P; j++) t[j] = 0.0f;
                src = t;
            }
            emit_row(dst, bf16, base + kk, src, wide);
        }
    }
}

typedef struct { const float *w; int n, k, panels, transposed, bf16, wide; void *dst; } pack_t;
static void pack_range(const pack_t *p, int q0, int q1) {
    if (p->transposed) pack_transposed_range(p->w, p->n, p->k, p->dst, p->bf16, p->wide, q0, q1);
    else pack_plain_range(p->w, p->n, p->k, p->dst, p->bf16, p->wide, q0, q1);
}
static void pack_part(void *ctx, int part) {
    const pack_t *p = ctx;
    int half = p->panels / 2;
    if (part == 0) pack_range(p, 0, half); else pack_range(p, half, p->panels);
}

static void pack(const float *w, int n, int k, void *dst, int transposed, int bf16) {
    pack_t p = { w, n, k, transposed ? (n + P - 1) / P : (k + P - 1) / P, transposed, bf16, tg_kernel_level() == 1, dst };
    if ((size_t)n * k < 65536) pack_range(&p, 0, p.panels);
    else tg_parallel2(pack_part, &p);
}

void tg_pack_transposed(const float *w, int n, int k, float *dst) { pack(w, n, k, dst, 1, 0); }
void tg_pack_plain(const float *w, int n, int k, float *dst) { pack(w, n, k, dst, 0, 0); }
void tg_pack_transposed_bf16(const float *w, int n, int k, uint16_t *dst) { pack(w, n, k, dst, 1, 1); }
void tg_pack_plain_bf16(const float *w, int n, int k, uint16_t *dst) { pack(w, n, k, dst, 0, 1); }

// ---------------------------------------------------------------- portable path
// One panel, mr rows. Plain C; the compiler vectorises the j loops. `bf16` is a constant in
// each caller, so each variant is compiled without the test.
static inline void panel_portable_any(int mr, int kred, const float *a, int lda, const void *b,
                                      float *c, int ldc, int accumulate, int width, int bf16) {
    float acc[8][P], bk[P];
    memset(acc, 0, sizeof acc);
    for (int kk = 0; kk < kred; kk++) {
        if (bf16) {
            const uint16_t *row = (const uint16_t *)b + (size_t)kk * P;
            for (int j = 0; j < P; j++) bk[j] = tg_float_from_bf16(row[bf16_slot(j)]);
        } else {
            memcpy(bk, (const float *)b + (size_t)kk * P, sizeof bk);
        }
        for (int r = 0; r < mr; r++) {
            float av = a[(size_t)r * lda + kk];
            for (int j = 0; j < P; j++) acc[r][j] += av * bk[j];
        }
    }
    for (int r = 0; r < mr; r++) {
        float *cr = c + (size_t)r * ldc;
        if (accumulate) for (int j = 0; j < width; j++) cr[j] += acc[r][j];
        else for (int j = 0; j < width; j++) cr[j] = acc[r][j];
    }
}

static void panel_portable(int mr, int kred, const float *a, int lda, const void *b,
                           float *c, int ldc, int accumulate, int width) {
    panel_portable_any(mr, kred, a, lda, b, c, ldc, accumulate, width, 0);
}

static void panel_portable_bf16(int mr, int kred, const float *a, int lda, const void *b,
                                float *c, int ldc, int accumulate, int width) {
    panel_portable_any(mr, kred, a, lda, b, c, ldc, accumulate, width, 1);
}

#if TG_X86
// ---------------------------------------------------------------- AVX2 + FMA path
// 4 rows x 32 columns = 16 ymm accumulators. bf16 rows: 2 x 16 words, each unpacked against
// zeros (see bf16_slot) into columns 0-7 and 16-23, then 8-15 and 24-31.
__attribute__((target("avx2,fma"))) __attribute__((always_inline))
static inline void load_b_avx2(const void *b, int kk, int bf16, __m256 *b0, __m256 *b1, __m256 *b2, __m256 *b3) {
    if (bf16) {
        const uint16_t *bk = (const uint16_t *)b + (size_t)kk * P;
        __m256i z = _mm256_setzero_si256();
        __m256i lo = _mm256_loadu_si256((const __m256i *)bk), hi = _mm256_loadu_si256((const __m256i *)(bk + 16));
        *b0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, lo));
        *b2 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, lo));
        *b1 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, hi));
        *b3 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, hi));
    } else {
        const float *bk = (const float *)b + (size_t)kk * P;
        *b0 = _mm256_loadu_ps(bk); *b1 = _mm256_loadu_ps(bk + 8);
        *b2 = _mm256_loadu_ps(bk + 16); *b3 = _mm256_loadu_ps(bk + 24);
    }
}

__attribute__((target("avx2,fma"))) __attribute__((always_inline))
static inline void panel_avx2_rows(int mr, int kred, const float *a, int lda, const void *b,
                                   float *c, int ldc, int accumulate, int width, int bf16) {
    __m256 acc[4][4];
    for (int r = 0; r < 4; r++) for (int v = 0; v < 4; v++) acc[r][v] = _mm256_setzero_ps();
    for (int kk = 0; kk < kred; kk++) {
        __m256 b0, b1, b2, b3;
        load_b_avx2(b, kk, bf16, &b0, &b1, &b2, &b3);
        for (int r = 0; r < mr; r++) {
            __m256 av = _mm256_broadcast_ss(a + (size_t)r * lda + kk);
            acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
            acc[r][2] = _mm256_fmadd_ps(av, b2, acc[r][2]);
            acc[r][3] = _mm256_fmadd_ps(av, b3, acc[r][3]);
        }
    }
    for (int r = 0; r < mr; r++) {
        float tmp[P];
        for (int v = 0; v < 4; v++) _mm256_storeu_ps(tmp + 8 * v, acc[r][v]);
        float *cr = c + (size_t)r * ldc;
        if (accumulate) for (int j = 0; j < width; j++) cr[j] += tmp[j];
        else for (int j = 0; j < width; j++) cr[j] = tmp[j];
    }
}

__attribute__((target("avx2,fma"))) __attribute__((always_inline))
static inline void panel_avx2_any(int mr, int kred, const float *a, int lda, const void *b,
                                  float *c, int ldc, int accumulate, int width, int bf16) {
    for (int r0 = 0; r0 < mr; r0 += 4) {
        int rr = mr - r0 < 4 ? mr - r0 : 4;
        const float *ar = a + (size_t)r0 * lda;
        float *cr = c + (size_t)r0 * ldc;
        switch (rr) {
        case 1: panel_avx2_rows(1, kred, ar, lda, b, cr, ldc, accumulate, width, bf16); break;
        case 2: panel_avx2_rows(2, kred, ar, lda, b, cr, ldc, accumulate, width, bf16); break;
        case 3: panel_avx2_rows(3, kred, ar, lda, b, cr, ldc, accumulate, width, bf16); break;
        default: panel_avx2_rows(4, kred, ar, lda, b, cr, ldc, accumulate, width, bf16); break;
        }
    }
}

__attribute__((target("avx2,fma")))
static void panel_avx2(int mr, int kred, const float *a, int lda, const void *b,
                       float *c, int ldc, int accumulate, int width) {
    panel_avx2_any(mr, kred, a, lda, b, c, ldc, accumulate, width, 0);
}

__attribute__((target("avx2,fma")))
static void panel_avx2_bf16(int mr, int kred, const float *a, int lda, const void *b,
                            float *c, int ldc, int accumulate, int width) {
    panel_avx2_any(mr, kred, a, lda, b, c, ldc, accumulate, width, 1);
}

// ---------------------------------------------------------------- AVX-512 path
// mr (<= 8) rows x 32 columns: up to 16 zmm accumulators. For mr <= 2 the k loop is split
// into two interleaved chains so the FMA latency is hidden (GEMV case). A bf16 panel row is one
// 64-byte line, unpacked against zeros into columns 0-15 and 16-31 (two shuffles, no shifts).
__attribute__((target("avx512f,avx512bw,fma"))) __attribute__((always_inline))
static inline void load_b_512(const void *b, int kk, int bf16, __m512 *b0, __m512 *b1) {
    if (bf16) {
        __m512i w = _mm512_loadu_si512((const uint16_t *)b + (size_t)kk * P), z = _mm512_setzero_si512();
        *b0 = _mm512_castsi512_ps(_mm512_unpacklo_epi16(z, w));
        *b1 = _mm512_castsi512_ps(_mm512_unpackhi_epi16(z, w));
    } else {
        const float *bk = (const float *)b + (size_t)kk * P;
        *b0 = _mm512_loadu_ps(bk);
        *b1 = _mm512_loadu_ps(bk + 16);
    }
}

__attribute__((target("avx512f,avx512bw,fma"))) __attribute__((always_inline))
static inline void panel_512_rows(int mr, int kred, const float *a, int lda, const void *b,
                                  float *c, int ldc, int accumulate, int width, int bf16) {
    __m512 c0[8], c1[8], d0[8], d1[8];
    for (int r = 0; r < 8; r++) { c0[r] = c1[r] = d0[r] = d1[r] = _mm512_setzero_ps(); }
    const char *bytes = b;
    size_t row_bytes = bf16 ? P * 2 : P * 4;
    int kk = 0;
    if (mr <= 2) {
        for (; kk + 1 < kred; kk += 2) {
            __m512 b0, b1, e0, e1;
            load_b_512(b, kk, bf16, &b0, &b1);
            load_b_512(b, kk + 1, bf16, &e0, &e1);
            for (int r = 0; r < mr; r++) {
                __m512 av = _mm512_set1_ps(a[(size_t)r * lda + kk]);
                __m512 aw = _mm512_set1_ps(a[(size_t)r * lda + kk + 1]);
                c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
                c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
                d0[r] = _mm512_fmadd_ps(aw, e0, d0[r]);
                d1[r] = _mm512_fmadd_ps(aw, e1, d1[r]);
            }
        }
    }
    for (; kk < kred; kk++) {
        const char *ahead = bytes + (size_t)(kk + 8) * row_bytes;
        _mm_prefetch(ahead, _MM_HINT_T0);
        if (!bf16) _mm_prefetch(ahead + 64, _MM_HINT_T0);
        __m512 b0, b1;
        load_b_512(b, kk, bf16, &b0, &b1);
        for (int r = 0; r < mr; r++) {
            __m512 av = _mm512_set1_ps(a[(size_t)r * lda + kk]);
            c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
        }
    }
    __mmask16 m0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
    __mmask16 m1 = width >= 32 ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
    for (int r = 0; r < mr; r++) {
        float *cr = c + (size_t)r * ldc;
        __m512 x0 = _mm512_add_ps(c0[r], d0[r]), x1 = _mm512_add_ps(c1[r], d1[r]);
        if (accumulate) {
            x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, cr));
            x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, cr + 16));
        }
        _mm512_mask_storeu_ps(cr, m0, x0);
        _mm512_mask_storeu_ps(cr + 16, m1, x1);
    }
}

__attribute__((target("avx512f,avx512bw,fma"))) __attribute__((always_inline))
static inline void panel_512_any(int mr, int kred, const float *a, int lda, const void *b,
                                 float *c, int ldc, int accumulate, int width, int bf16) {
    switch (mr) {
    case 1: panel_512_rows(1, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    case 2: panel_512_rows(2, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    case 3: panel_512_rows(3, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    case 4: panel_512_rows(4, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    case 5: panel_512_rows(5, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    case 6: panel_512_rows(6, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    case 7: panel_512_rows(7, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    default: panel_512_rows(8, kred, a, lda, b, c, ldc, accumulate, width, bf16); break;
    }
}

__attribute__((target("avx512f,avx512bw,fma")))
static void panel_512(int mr, int kred, const float *a, int lda, const void *b,
                      float *c, int ldc, int accumulate, int width) {
    panel_512_any(mr, kred, a, lda, b, c, ldc, accumulate, width, 0);
}

__attribute__((target("avx512f,avx512bw,fma")))
static void panel_512_bf16(int mr, int kred, const float *a, int lda, const void *b,
                           float *c, int ldc, int accumulate, int width) {
    panel_512_any(mr, kred, a, lda, b, c, ldc, accumulate, width, 1);
}

#endif // TG_X86

// ---------------------------------------------------------------- dispatch
typedef void (*panel_fn)(int, int, const float *, int, const void *, float *, int, int, int);
static _Atomic int forced_level = -1;

static int cpu_level(void) {
#if !TG_X86
    return 0;
#else
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return 1;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 2;
    return 0;
#endif
}

int tg_kernel_level(void) {
    int cpu = cpu_level(), f = atomic_load(&forced_level);
    if (f < 0) return cpu;
    if (f == 1 && cpu != 1) return cpu;
    if (f == 2 && cpu == 0) return 0;
    return f;
}

int tg_cpu_level(void) { return cpu_level(); }

void tg_force_level(int level) { atomic_store(&forced_level, level); }

int tg_processor_count(void) { long n = sysconf(_SC_NPROCESSORS_ONLN); return n > 0 ? (int)n : 1; }

static panel_fn pick(int bf16) {
#if TG_X86
    switch (tg_kernel_level()) {
    case 1: return bf16 ? panel_512_bf16 : panel_512;
    case 2: return bf16 ? panel_avx2_bf16 : panel_avx2;
    default: return bf16 ? panel_portable_bf16 : panel_portable;
    }
#else
    return bf16 ? panel_portable_bf16 : panel_portable;
#endif
}

typedef struct {
    int m, ncols, kred, lda, ldc, accumulate;
    const float *a;
    const void *bp;
    size_t element; // bytes per packed weight: 4 (fp32) or 2 (bf16)
    float *c;
    panel_fn fn;
} job_t;

// Panels [p0, p1): outer loop over panels, inner over 8-row blocks (panel stays in cache).
static void run_panels(const job_t *j, int p0, int p1) {
    for (int q = p0; q < p1; q++) {
        const void *b = (const char *)j->bp + (size_t)q * j->kred * P * j->element;
        int col = q * P, width = j->ncols - col < P ? j->ncols - col : P;
        for (int r0 = 0; r0 < j->m; r0 += 8) {
            int mr = j->m - r0 < 8 ? j->m - r0 : 8;
            j->fn(mr, j->kred, j->a + (size_t)r0 * j->lda, j->lda, b,
                  j->c + (size_t)r0 * j->ldc + col, j->ldc, j->accumulate, width);
        }
    }
}

// ---------------------------------------------------------------- 2-thread pool
// One persistent worker; the caller runs part 0, the worker part 1. The machines are shared, so
// the worker may not be running when a job is posted: the caller never waits for a worker that has
// not started. `pool_state` holds (generation << 2) | phase; the worker claims a posted job by CAS,
// and a caller that finishes part 0 first cancels the post by CAS and runs part 1 itself. The
// worker spins for a while between jobs (training posts one every ~0.2 ms), then sleeps on a futex.
enum { ST_IDLE = 0, ST_POSTED = 1, ST_CLAIMED = 2, ST_CANCELLED = 3 };
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int pool_ok = 0;
static _Atomic unsigned pool_state = 0, pool_done = 0;
static _Atomic int pool_sleeping = 0;
static void (*pool_fn)(void *, int);
static void *pool_ctx;

static void futex_wait(_Atomic unsigned *addr, unsigned val) {
    syscall(SYS_futex, (unsigned *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}
static void futex_wake(_Atomic unsigned *addr) {
    syscall(SYS_futex, (unsigned *)addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pool_main(void *arg) {
    (void)arg;
    int spins = 0;
    for (;;) {
        unsigned s = atomic_load(&pool_state);
        if ((s & 3) == ST_POSTED) {
            if (atomic_compare_exchange_strong(&pool_state, &s, (s & ~3u) | ST_CLAIMED)) {
                pool_fn(pool_ctx, 1);
                atomic_store_explicit(&pool_done, s >> 2, memory_order_release);
            }
            spins = 0;
            continue;
        }
        if (++spins < 50000) { tg_pause(); continue; }
        atomic_store(&pool_sleeping, 1);
        if (atomic_load(&pool_state) == s) futex_wait(&pool_state, s);
        atomic_store(&pool_sleeping, 0);
        spins = 0;
    }
    return NULL;
}

static void pool_start(void) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pool_ok = pthread_create(&t, &attr, pool_main, NULL) == 0;
    pthread_attr_destroy(&attr);
}

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// When the other core is taken by another process, the worker gets preempted in the middle of
// its chunk and the caller waits a time slice for it: measured 2x slower than one thread. So the
// caller times its wait; when it waited longer than its own share took, the products run on one
// thread for the next `SOLO_CALLS` calls, then try two again.
enum { SOLO_CALLS = 100 };
static _Atomic int solo_left = 0;

// tg_parallel2, also returning how long part 0 took and how long the caller then waited.
static int parallel2_timed(void (*fn)(void *ctx, int part), void *ctx, double *own, double *wait) {
    *own = *wait = 0;
    pthread_once(&pool_once, pool_start);
    if (!pool_ok || pthread_mutex_trylock(&pool_lock) != 0) {
        fn(ctx, 0); fn(ctx, 1);
        return 0;
    }
    pool_fn = fn; pool_ctx = ctx;
    unsigned gen = (atomic_load(&pool_state) >> 2) + 1;
    unsigned posted = (gen << 2) | ST_POSTED;
    atomic_store(&pool_state, posted); // seq_cst: pairs with the worker's sleeping flag
    if (atomic_load(&pool_sleeping)) futex_wake(&pool_state);
    double t0 = seconds_now();
    fn(ctx, 0);
    double t1 = seconds_now();
    unsigned expected = posted;
    int parallel = 1;
    if (atomic_compare_exchange_strong(&pool_state, &expected, (gen << 2) | ST_CANCELLED)) {
        fn(ctx, 1); // the worker never started: do its part here
        parallel = 0;
    } else {
        unsigned spins = 0;
        while (atomic_load_explicit(&pool_done, memory_order_acquire) != (gen & (~0u >> 2))) {
            if (++spins < 4000) tg_pause(); else sched_yield();
        }
    }
    *own = t1 - t0;
    *wait = seconds_now() - t1;
    pthread_mutex_unlock(&pool_lock);
    return parallel;
}

int tg_parallel2(void (*fn)(void *ctx, int part), void *ctx) {
    double own, wait;
    return parallel2_timed(fn, ctx, &own, &wait);
}

// Both parts take chunks of panels: first from their own half, then from the other's, so a
// late or preempted thread costs little.
typedef struct { const job_t *job; int half, panels, chunk; _Atomic int next[2]; } split_t;
static void run_split(void *ctx, int part) {
    split_t *s = ctx;
    for (int pass = 0; pass < 2; pass++) {
        int h = pass == 0 ? part : 1 - part;
        int end = h == 0 ? s->half : s->panels;
        for (;;) {
            int p0 = atomic_fetch_add(&s->next[h], s->chunk);
            if (p0 >= end) break;
            run_panels(s->job, p0, p0 + s->chunk < end ? p0 + s->chunk : end);
        }
    }
}

static void gemm_packed(int m, int ncols, int kred, const float *a, int lda, const void *bp, int bf16,
                        float *c, int ldc, int accumulate, int threads) {
    if (m <= 0 || ncols <= 0) return;
    if (kred <= 0) { // an empty sum: C = 0 or unchanged
        if (!accumulate) for (int r = 0; r < m; r++) memset(c + (size_t)r * ldc, 0, (size_t)ncols * sizeof(float));
        return;
    }
    job_t j = { m, ncols, kred, lda, ldc, accumulate, a, bp, bf16 ? 2 : 4, c, pick(bf16) };
    int panels = (ncols + P - 1) / P;
    double work = (double)m * ncols * kred;
    if (threads < 2 || panels < 2 || work < 65536.0) { run_panels(&j, 0, panels); return; }
    split_t s;
    s.job = &j; s.half = panels / 2; s.panels = panels;
    s.chunk = panels >= 32 ? 2 : 1;
    atomic_init(&s.next[0], 0);
    atomic_init(&s.next[1], panels / 2);
    if (atomic_load_explicit(&solo_left, memory_order_relaxed) > 0) {
        atomic_fetch_sub_explicit(&solo_left, 1, memory_order_relaxed);
        run_panels(&j, 0, panels);
        return;
    }
    double own, wait;
    if (parallel2_timed(run_split, &s, &own, &wait) && wait > own + 20e-6)
        atomic_store_explicit(&solo_left, SOLO_CALLS, memory_order_relaxed);
}

void tg_gemm_packed(int m, int ncols, int kred, const float *a, int lda, const void *bp, int bf16,
                    float *c, int ldc, int accumulate, int threads) {
    gemm_packed(m, ncols, kred, a, lda, bp, bf16 != 0, c, ldc, accumulate, threads);
}

// ---------------------------------------------------------------- LSTM cell, forward
// Elementwise part of one time step, with the formulas of Linalg's Elementwise.swift (one
// definition per language). exp is Cephes' expf: x clamped to [-87, 88], n = x*log2e rounded to
// the nearest integer, r = x - n*ln2 (ln2 in two parts), e^r by a degree-6 polynomial, 2^n built in
// the exponent bits. sigmoid(x) = 1 / (1 + exp(-x)); tanh is Cephes' odd polynomial for |x| < 0.625
// and 1 - 2 / (exp(2|x|) + 1) above. The portable path below is Swift's, operation for operation
// (no contraction into FMA), so the two give the same bits. The AVX-512 path fuses multiply-adds
// and takes n = floor(fma(x, log2e, 0.5)): it agrees within a few ulp (Tests/LinalgTests).
#pragma STDC FP_CONTRACT OFF

static inline float exp_scalar(float x) {
    if (x != x) return x; // NaN propagates, so a diverging run shows in the loss
    x = x > 88.0f ? 88.0f : x < -87.0f ? -87.0f : x;
    // Adding 1.5*2^23 rounds x*log2e to the nearest integer n, left in the low mantissa bits.
    float shifted = x * 1.44269504f + 12582912.0f;
    float fn = shifted - 12582912.0f;
    float r = x - fn * 0.693359375f + fn * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.00000012e-1f;
    float y = p * r * r + r + 1.0f;
    union { float f; unsigned u; } bits = { shifted };
    union { unsigned u; float f; } scale = { (bits.u - 0x4B400000u + 127u) << 23 };
    return y * scale.f;
}

static inline float sigmoid_scalar(float x) { return 1.0f / (1.0f + exp_scalar(-x)); }

static inline float tanh_scalar(float x) {
    float ax = x < 0 ? -x : x;
    if (ax < 0.625f) {
        float z = x * x;
        float y = -5.70498872745e-3f;
        y = y * z + 2.06390887954e-2f;
        y = y * z - 5.37397155531e-2f;
        y = y * z + 1.33314422036e-1f;
        y = y * z - 3.33332819422e-1f;
        return y * z * x + x;
    }
    float t = 1.0f - 2.0f / (exp_scalar(ax + ax) + 1.0f);
    return x < 0 ? -t : t;
}

static void cell_portable(int b, int h, float *gates, int ldg, const float *c_in, float *c_out,
                          float *h_out, int ldh, float *tanh_c) {
    for (int r = 0; r < b; r++) {
        float *g = gates + (size_t)r * ldg;
        for (int j = 0; j < 3 * h; j++) {
            if (j < 2 * h) g[j] = sigmoid_scalar(g[j]); else g[j] = tanh_scalar(g[j]);
        }
        for (int j = 3 * h; j < 4 * h; j++) g[j] = sigmoid_scalar(g[j]);
        for (int j = 0; j < h; j++) {
            float c = g[h + j] * c_in[(size_t)r * h + j] + g[j] * g[2 * h + j];
            float t = tanh_scalar(c);
            c_out[(size_t)r * h + j] = c;
            h_out[(size_t)r * ldh + j] = g[3 * h + j] * t;
            if (tanh_c) tanh_c[(size_t)r * h + j] = t;
        }
    }
}

#if TG_X86
__attribute__((target("avx512f,fma"))) __attribute__((always_inline))
static inline __m512 exp_512(__m512 x) {
    // operand order: max/min return the second operand when one is NaN, so NaN propagates
    x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-87.0f), x));
    __m512 fx = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f));
    __m512 fn = _mm512_roundscale_ps(fx, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(fn, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(fn), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

__attribute__((target("avx512f,fma"))) __attribute__((always_inline))
static inline __m512 sigmoid_512(__m512 x) {
    __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp_512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

__attribute__((target("avx512f,fma"))) __attribute__((always_inline))
static inline __m512 tanh_512(__m512 x) {
    __m512 ax = _mm512_abs_ps(x);
    __m512 z = _mm512_mul_ps(x, x);
    __m512 y = _mm512_set1_ps(-5.70498872745e-3f);
    y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(2.06390887954e-2f));
    y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(-5.37397155531e-2f));
    y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(1.33314422036e-1f));
    y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(-3.33332819422e-1f));
    __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(y, z), x, x);
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 big = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f),
                                                  _mm512_add_ps(exp_512(_mm512_add_ps(ax, ax)), one)));
    // copy the sign of x onto big
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
    big = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big), sign));
    __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(is_small, big, small);
}

__attribute__((target("avx512f,fma")))
static void cell_512(int b, int h, float *gates, int ldg, const float *c_in, float *c_out,
                     float *h_out, int ldh, float *tanh_c) {
    for (int r = 0; r < b; r++) {
        float *gi = gates + (size_t)r * ldg, *gf = gi + h, *gg = gi + 2 * h, *go = gi + 3 * h;
        const float *ci = c_in + (size_t)r * h;
        float *co = c_out + (size_t)r * h, *ho = h_out + (size_t)r * ldh;
        float *tc = tanh_c ? tanh_c + (size_t)r * h : NULL;
        for (int j = 0; j < h; j += 16) {
            __mmask16 m = h - j >= 16 ? 0xFFFF : (__mmask16)((1u << (h - j)) - 1);
            __m512 i = sigmoid_512(_mm512_maskz_loadu_ps(m, gi + j));
            __m512 f = sigmoid_512(_mm512_maskz_loadu_ps(m, gf + j));
            __m512 g = tanh_512(_mm512_maskz_loadu_ps(m, gg + j));
            __m512 o = sigmoid_512(_mm512_maskz_loadu_ps(m, go + j));
            __m512 c = _mm512_fmadd_ps(f, _mm512_maskz_loadu_ps(m, ci + j), _mm512_mul_ps(i, g));
            __m512 t = tanh_512(c);
            _mm512_mask_storeu_ps(gi + j, m, i);
            _mm512_mask_storeu_ps(gf + j, m, f);
            _mm512_mask_storeu_ps(gg + j, m, g);
            _mm512_mask_storeu_ps(go + j, m, o);
            _mm512_mask_storeu_ps(co + j, m, c);
            _mm512_mask_storeu_ps(ho + j, m, _mm512_mul_ps(o, t));
            if (tc) _mm512_mask_storeu_ps(tc + j, m, t);
        }
    }
}
#endif

void tg_lstm_cell_forward(int b, int h, float *gates, int ldg, const float *c_in, float *c_out,
                          float *h_out, int ldh, float *tanh_c) {
#if TG_X86
    if (tg_kernel_level() == 1) { cell_512(b, h, gates, ldg, c_in, c_out, h_out, ldh, tanh_c); return; }
#endif
    cell_portable(b, h, gates, ldg, c_in, c_out, h_out, ldh, tanh_c);
}

// ---------------------------------------------------------------- Adam
// The update of CharModel's Adam.updateReference, operation for operation and without fused
// multiply-adds (FP_CONTRACT is off above, and the intrinsics below are separate multiplies and
// adds), so every path gives the plain loop's bits: IEEE +, *, / and sqrt are exact per lane.
//   m = b1*m + (1-b1)*g;  v = b2*v + ((1-b2)*g)*g;  p = p - (lrT*m) / (sqrt(v) + eps)
static void adam_scalar(float *p, float *m, float *v, const float *g, size_t i0, size_t i1, const tg_adam_t *a) {
    float c1 = 1.0f - a->b1, c2 = 1.0f - a->b2;
    for (size_t i = i0; i < i1; i++) {
        float gi = g[i];
        float mi = a->b1 * m[i] + c1 * gi;
        float vi = a->b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - a->lr * mi / (sqrtf(vi) + a->eps);
    }
}

#if TG_X86
__attribute__((target("avx512f")))
static void adam_512(float *p, float *m, float *v, const float *g, size_t i0, size_t i1, const tg_adam_t *a) {
    __m512 b1 = _mm512_set1_ps(a->b1), b2 = _mm512_set1_ps(a->b2);
    __m512 c1 = _mm512_set1_ps(1.0f - a->b1), c2 = _mm512_set1_ps(1.0f - a->b2);
    __m512 lr = _mm512_set1_ps(a->lr), eps = _mm512_set1_ps(a->eps);
    size_t i = i0;
    for (; i + 16 <= i1; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(c1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(v + i)), _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        __m512 step = _mm512_div_ps(_mm512_mul_ps(lr, mi), _mm512_add_ps(_mm512_sqrt_ps(vi), eps));
        _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), step));
    }
    adam_scalar(p, m, v, g, i, i1, a);
}
#endif

typedef struct { float *p, *m, *v; const float *g; size_t n; const tg_adam_t *a; } adam_job_t;
static void adam_range(const adam_job_t *j, size_t i0, size_t i1) {
#if TG_X86
    if (tg_kernel_level() == 1) { adam_512(j->p, j->m, j->v, j->g, i0, i1, j->a); return; }
#endif
    adam_scalar(j->p, j->m, j->v, j->g, i0, i1, j->a);
}
static void adam_part(void *ctx, int part) {
    const adam_job_t *j = ctx;
    size_t half = (j->n / 2) & ~(size_t)63;
    if (part == 0) adam_range(j, 0, half); else adam_range(j, half, j->n);
}

void tg_adam_update(float *p, float *m, float *v, const float *g, size_t n, const tg_adam_t *a, int threads) {
    adam_job_t j = { p, m, v, g, n, a };
    if (threads < 2 || n < 65536) adam_range(&j, 0, n);
    else tg_parallel2(adam_part, &j);
}

// Adam over W [n x k] fused with packing it: W is updated 32 rows at a time (one forward panel),
// and those rows, still in cache, are packed at once into their forward panel and into every
// backward panel's rows; W is not read again afterwards. Same bits as the update followed by
// tg_pack_* (the same operations on the same values).
typedef struct { float *w, *m, *v; const float *g; int n, k, bf16, wide; const tg_adam_t *a; void *fwd, *bwd; } adam_pack_t;

static void adam_pack_blocks(const adam_pack_t *j, int q0, int q1) {
    adam_job_t aj = { j->w, j->m, j->v, j->g, (size_t)j->n * j->k, j->a };
    float t[P];
    int col_panels = (j->k + P - 1) / P;
    for (int q = q0; q < q1; q++) {
        int r0 = q * P, r1 = r0 + P < j->n ? r0 + P : j->n;
        adam_range(&aj, (size_t)r0 * j->k, (size_t)r1 * j->k);
        pack_transposed_range(j->w, j->n, j->k, j->fwd, j->bf16, j->wide, q, q + 1);
        if (!j->bwd) continue;
        for (int r = r0; r < r1; r++) {
            for (int c = 0; c < col_panels; c++) {
                int c0 = c * P, w0 = j->k - c0 < P ? j->k - c0 : P;
                const float *src = j->w + (size_t)r * j->k + c0;
                if (w0 < P) {
                    memcpy(t, src, (size_t)w0 * sizeof(float));
                    for (int x = w0; x < P; x++) t[x] = 0.0f;
                    src = t;
                }
                emit_row(j->bwd, j->bf16, (size_t)c * j->n + r, src, j->wide);
            }
        }
    }
}

static void adam_pack_part(void *ctx, int part) {
    const adam_pack_t *j = ctx;
    int panels = (j->n + P - 1) / P, half = panels / 2;
    if (part == 0) adam_pack_blocks(j, 0, half); else adam_pack_blocks(j, half, panels);
}

void tg_adam_update_packed(float *w, float *m, float *v, const float *g, int n, int k, const tg_adam_t *a,
                           void *forward_panels, void *backward_panels, int bf16, int threads) {
    adam_pack_t j = { w, m, v, g, n, k, bf16, tg_kernel_level() == 1, a, forward_panels, backward_panels };
    int panels = (n + P - 1) / P;
    if (threads < 2 || (size_t)n * k < 65536 || panels < 2) adam_pack_blocks(&j, 0, panels);
    else tg_parallel2(adam_pack_part, &j);
}
