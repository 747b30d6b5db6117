#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>
/// Width of one packed panel (output columns).
#define TG_PANEL 32
/// Floats needed to pack a [kred x ncols] operand B into panels (ncols rounded up to TG_PANEL).
size_t tg_packed_count(int ncols, int kred);
/// Packs B = W^T where W is row-major [n x k] (forward: gates += h . W^T). Panels of n.
/// Large matrices are packed by both threads of the pool (see tg_parallel2).
void tg_pack_transposed(const float *w, int n, int k, float *dst);
/// Packs B = W where W is row-major [n x k] (backward: dh = dG . W). Panels of k.
void tg_pack_plain(const float *w, int n, int k, float *dst);
/// C[m x ncols] (+)= A[m x kred] . B with B packed by one of the functions here: float panels
/// (bf16 0) or uint16_t panels from the _bf16 packers (bf16 1).
/// threads: 1 or 2 (uses a persistent worker thread; falls back to 1 when busy).
void tg_gemm_packed(int m, int ncols, int kred, const float *a, int lda, const void *bp, int bf16,
                    float *c, int ldc, int accumulate, int threads);
/// bf16 variants: the same panels with each weight rounded to bf16 (nearest even), half the
/// bytes; the products widen the weights to fp32 in registers and accumulate in fp32.
/// tg_packed_count gives the element count (uint16_t each).
void tg_pack_transposed_bf16(const float *w, int n, int k, uint16_t *dst);
void tg_pack_plain_bf16(const float *w, int n, int k, uint16_t *dst);
/// fp32 -> bf16 rounded to nearest even (NaN stays NaN), and back (exact).
uint16_t tg_bf16_from_float(float x);
float tg_float_from_bf16(uint16_t x);
/// 1 if the AVX-512 path is in use, 2 if AVX2+FMA, 0 for portable C.
int tg_kernel_level(void);
/// What the CPU has, whatever is forced: 1 AVX-512F+BW, 2 AVX2+FMA, 0 neither.
int tg_cpu_level(void);
/// Forces a path (for tests): -1 auto, 0 portable, 1 avx512, 2 avx2 (clamped to what the CPU supports).
void tg_force_level(int level);
/// Online processors.
int tg_processor_count(void);
/// Runs fn(ctx, 0) on the caller and fn(ctx, 1) on the persistent worker thread, and returns
/// when both are done. If the worker is busy (another caller), runs both parts on the caller.
/// Returns 1 if the parts ran in parallel.
int tg_parallel2(void (*fn)(void *ctx, int part), void *ctx);
/// One LSTM time step's elementwise part, rows r < b, gate order i, f, g, o:
/// gates[r*ldg + 0..<4h] holds pre-activations and is overwritten with sigmoid(i), sigmoid(f),
/// tanh(g), sigmoid(o); c_out = f*c_in + i*g (c_in, c_out dense [b x h], may be the same);
/// h_out[r*ldh + j] = o*tanh(c_out); tanh_c (dense [b x h], may be NULL) = tanh(c_out).
void tg_lstm_cell_forward(int b, int h, float *gates, int ldg, const float *c_in, float *c_out,
                          float *h_out, int ldh, float *tanh_c);
/// Adam's hyperparameters for one update: b1, b2, eps, and lr = the bias-corrected rate.
typedef struct { float b1, b2, eps, lr; } tg_adam_t;
/// One Adam update of n parameters in place (Keras epsilon placement, as CharModel's Adam):
/// m = b1*m + (1-b1)*g; v = b2*v + ((1-b2)*g)*g; p -= (lr*m) / (sqrt(v) + eps). Bit-identical
/// to that plain loop on every path and thread count. threads 2: two halves on the pool.
void tg_adam_update(float *p, float *m, float *v, const float *g, size_t n, const tg_adam_t *a, int threads);
/// The same update of W [n x k] (row-major, with its m, v, g), packing the updated W in the same
/// pass into forward panels (as tg_pack_transposed[_bf16]) and, unless NULL, backward panels (as
/// tg_pack_plain[_bf16]); bf16 selects the uint16_t panels. Same bits as update then pack.
void tg_adam_update_packed(float *w, float *m, float *v, const float *g, int n, int k, const tg_adam_t *a,
                           void *forward_panels, void *backward_panels, int bf16, int threads);
#endif
