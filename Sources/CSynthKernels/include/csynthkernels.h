#ifndef CSYNTHKERNELS_H
#define CSYNTHKERNELS_H
/// The room's loops (Room.swift). One block of the room's delay network (see Room.swift, DelayNetwork.step): for frames j of
/// [0, n), from the last to the first, each line's output low-passed, p_i = a·w_i[j] + b·w_i[j−1]
/// (w_i[−1] is before[i]); written back, w_0[j] = g0·(p+q+r+t) + x, w_1 = g1·(p−q+r−t) − x,
/// w_2 = g2·(p+q−r−t) + x, w_3 = g3·(p−q−r+t) − x with x = 0.25·(el[j] + er[j]); and the output
/// yl = xl[j] + (el[j] + tail·(p − r + 0.5·q)), yr = xr[j] + (er[j] + tail·(q − t + 0.5·r)),
/// to out[2j], out[2j+1] (channels 2) or 0.5·(yl + yr) to out[j] (channels 1).
/// Plain C, vectorised by the compiler: with AVX2 when the CPU has it (chosen once, at the first
/// call), SSE2 otherwise; no fused multiply-adds and no reordering, so both give the same bits.
void tg_room_step(int n, const float *xl, const float *xr, const float *el, const float *er,
                  float *w0, float *w1, float *w2, float *w3, const float before[4],
                  float a, float b, float g0, float g1, float g2, float g3, float tail,
                  float *out, int channels);
/// One side's early reflections of the dry mono mix: out[j] = Σ_{k<6} gains[k] · dry[j − delays[k]],
/// summed from zero in tap order, for j in [0, n) (dry is readable from dry[−max delay]).
void tg_room_reflect(int n, const float *dry, const long *delays, const float *gains, float *out);
/// The plucked string's (NoteRenderer.PluckedString) frames [0, run) of its delay line, a run that
/// does not wrap: out[k] = x[k] = line[k]; then line[k] = y[k], the first-order all-pass
/// y[k] = b[k] − c·y[k−1] of b[k] = c·avg[k] + avg[k−1], avg[k] = half·(x[k] + x[k−1]). `b` is
/// scratch for run floats; state = (previous x, previous avg, previous y), updated.
void tg_string_run(int run, float *line, float *out, float *b, float c, float half, float state[3]);
/// 2 if these loops use AVX2, 0 for the baseline build.
int tg_room_kernel_level(void);
/// For tests: 0 makes the loops take the baseline build whatever the CPU has; -1 undoes it.
void tg_room_force_level(int level);
#endif
