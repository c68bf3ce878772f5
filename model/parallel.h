/* parallel: the kernels run across OpenMP threads by splitting their rows (or
 * elements, or batch entries) into PAR_CHUNKS fixed chunks. The split depends
 * on the sizes only, never on the thread count, so every result is the same
 * bit for bit whatever OMP_NUM_THREADS is. Kernels stay sequential and proven;
 * parameter gradients that rows share are summed per chunk into `partial`
 * scratch and then added in chunk order. matmul is split the same way into
 * blocks of at most PAR_MM_ROWS × PAR_MM_COLS outputs, each computed by one
 * single-threaded call (an sgemm inside a parallel region runs on the calling
 * thread): OpenBLAS's own threaded sgemm would split the work by the thread
 * count and round differently for each. */
#ifndef LNFREE_MODEL_PARALLEL_H
#define LNFREE_MODEL_PARALLEL_H

#include <stdint.h>

#define PAR_CHUNKS 16
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
/* partial: PAR_CHUNKS·2·C floats of scratch. */
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

/* One batch entry per task; scratch: B·T floats. */
void par_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                           int B, int T, int C, int NH);
void par_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                            const float *att, const float *q, const float *k, const float *v,
                            int B, int T, int C, int NH);

void par_crossentropy_forward(float *losses, float *lse, const float *logits, const int *targets,
                              int N, int V);
void par_crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                               const int *targets, float dloss, int N, int V);

void par_adamw_update(float *param, const float *grad, float *m, float *v, int n, float lr,
                      float beta1, float beta2, float eps, float weight_decay, int step);
double par_sum_of_squares(const float *x, int n);
void par_scale_in_place(float *x, int n, float factor);

#endif
