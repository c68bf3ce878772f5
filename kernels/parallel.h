/* parallel: the kernels run across OpenMP threads in pieces whose number
 * and bounds depend on the problem's sizes only, never on the thread count,
 * so every result is the same bit for bit whatever OMP_NUM_THREADS is.
 *
 * - Row and element kernels: ⌈n / grain⌉ near-equal pieces, at most
 *   PAR_MAX_PIECES (enough to keep 64 threads busy), each piece at least
 *   PAR_GRAIN floats of work. Parameter gradients that rows share (LayerNorm's
 *   γ, β) are summed per piece into `partial` scratch, then added in piece
 *   order; so are the partial sums of squares.
 * - Attention: one task per (batch entry, head) pair.
 * - matmul: blocks of at most PAR_MM_ROWS × PAR_MM_COLS outputs, each one
 *   single-threaded call over the whole inner dimension (an sgemm inside a
 *   parallel region runs on the calling thread): OpenBLAS's own threaded
 *   sgemm would split the work by the thread count and round differently.
 * Kernels stay sequential and proven; this file only cuts and schedules. */
#ifndef LNFREE_KERNELS_PARALLEL_H
#define LNFREE_KERNELS_PARALLEL_H

#include <stdint.h>
#include "kernels/adamw.h"

#define PAR_MAX_PIECES 256
#define PAR_GRAIN 16384
#define PAR_MM_ROWS 512
#define PAR_MM_COLS 512

void par_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                        int N, int C, int OC);
void par_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int C, int OC);

void par_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, float eps, int N, int C);
void par_layernorm_fixed_forward(float *out, float *mean, const float *inp, const float *weight,
                                 const float *bias, const float *scales,
                                 const uint8_t *scale_class, int N, int C);
/* partial: PAR_MAX_PIECES·2·C floats of scratch. */
void par_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C, float *partial);
void par_layernorm_fixed_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                  const float *inp, const float *weight, const float *mean,
                                  const float *scales, const uint8_t *scale_class, int N, int C,
                                  float *partial);

void par_gelu_forward(float *out, const float *inp, int N);
void par_gelu_backward(float *dinp, const float *inp, const float *dout, int N);
void par_residual_forward(float *out, const float *a, const float *b, int N);

/* One (batch entry, head) pair per task, each in ATT_BLOCK-row blocks
 * (attention.h); scratch: B·NH·ATT_BLOCK·T floats. */
void par_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                           int B, int T, int C, int NH);
void par_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                            const float *att, const float *q, const float *k, const float *v,
                            int B, int T, int C, int NH);

void par_crossentropy_forward(float *losses, float *lse, const float *logits, const int *targets,
                              int N, int V);
void par_crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                               const int *targets, float dloss, int N, int V);

void par_adamw_update(float *param, const float *grad, float *m, float *v, int n,
                      const adamw_settings *s, int step);
double par_sum_of_squares(const float *x, int n);
void par_scale_in_place(float *x, int n, float factor);

#endif
