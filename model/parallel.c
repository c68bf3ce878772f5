#include "parallel.h"
#include <string.h>
#include "adamw.h"
#include "attention.h"
#include "gelu.h"
#include "layernorm.h"
#include "residual.h"
#include "softmax.h"

/* Where chunk k of [0, n) starts; chunk k is [chunk_start(n, k), chunk_start(n, k+1)). */
static int chunk_start(int n, int k)
{
    int base = n / PAR_CHUNKS, extra = n % PAR_CHUNKS;
    return k * base + (k < extra ? k : extra);
}

/* Runs the statement that follows once for each non-empty chunk [s, s+n) of
 * [0, N), the chunks spread over the OpenMP threads. */
#define FOR_EACH_CHUNK(N, s, n)                                                               \
    _Pragma("omp parallel for schedule(static)")                                             \
    for (int chunk_k = 0; chunk_k < PAR_CHUNKS; chunk_k++)                                  \
        for (int s = chunk_start(N, chunk_k), n = chunk_start(N, chunk_k + 1) - s; n > 0; n = 0)

void par_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, float eps, int N, int C)
{
    FOR_EACH_CHUNK(N, s, n) {
        layernorm_forward(out + (size_t)s * C, mean + s, rstd + s, inp + (size_t)s * C,
                          weight, bias, eps, n, C);
    }
}

void par_layernorm_fixed_forward(float *out, float *mean, const float *inp, const float *weight,
                                 const float *bias, const float *scales,
                                 const uint8_t *scale_class, int N, int C)
{
    FOR_EACH_CHUNK(N, s, n) {
        layernorm_fixed_forward(out + (size_t)s * C, mean + s, inp + (size_t)s * C, weight,
                                bias, scales, scale_class + s, n, C);
    }
}

/* dweight += Σ_k partial_w[k], dbias += Σ_k partial_b[k], in chunk order. */
static void add_partials(float *dweight, float *dbias, const float *partial, int C)
{
    for (int k = 0; k < PAR_CHUNKS; k++) {
        const float *pw = partial + (size_t)k * 2 * C, *pb = pw + C;
        for (int c = 0; c < C; c++) {
            dweight[c] += pw[c];
            dbias[c] += pb[c];
        }
    }
}

void par_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C, float *partial)
{
    memset(partial, 0, (size_t)PAR_CHUNKS * 2 * C * sizeof(float));
    FOR_EACH_CHUNK(N, s, n) {
        float *pw = partial + (size_t)chunk_k * 2 * C;
        layernorm_backward(dinp + (size_t)s * C, pw, pw + C, dout + (size_t)s * C,
                           inp + (size_t)s * C, weight, mean + s, rstd + s, n, C);
    }
    add_partials(dweight, dbias, partial, C);
}

void par_layernorm_fixed_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                  const float *inp, const float *weight, const float *mean,
                                  const float *scales, const uint8_t *scale_class, int N, int C,
                                  float *partial)
{
    memset(partial, 0, (size_t)PAR_CHUNKS * 2 * C * sizeof(float));
    FOR_EACH_CHUNK(N, s, n) {
        float *pw = partial + (size_t)chunk_k * 2 * C;
        layernorm_fixed_backward(dinp + (size_t)s * C, pw, pw + C, dout + (size_t)s * C,
                                 inp + (size_t)s * C, weight, mean + s, scales, scale_class + s,
                                 n, C);
    }
    add_partials(dweight, dbias, partial, C);
}

void par_gelu_forward(float *out, const float *inp, int N)
{
    FOR_EACH_CHUNK(N, s, n) {
        gelu_forward(out + s, inp + s, n);
    }
}

void par_gelu_backward(float *dinp, const float *inp, const float *dout, int N)
{
    FOR_EACH_CHUNK(N, s, n) {
        gelu_backward(dinp + s, inp + s, dout + s, n);
    }
}

void par_residual_forward(float *out, const float *a, const float *b, int N)
{
    FOR_EACH_CHUNK(N, s, n) {
        residual_forward(out + s, a + s, b + s, n);
    }
}

void par_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                           int B, int T, int C, int NH)
{
    size_t btc = (size_t)T * C, att_b = (size_t)NH * T * T;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        attention_forward(out + b * btc, att + b * att_b, q + b * btc, k + b * btc, v + b * btc,
                          1, T, C, NH);
    }
}

void par_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                            const float *att, const float *q, const float *k, const float *v,
                            int B, int T, int C, int NH)
{
    size_t btc = (size_t)T * C, att_b = (size_t)NH * T * T;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        attention_backward(dq + b * btc, dk + b * btc, dv + b * btc, scratch + (size_t)b * T,
                           dout + b * btc, att + b * att_b, q + b * btc, k + b * btc,
                           v + b * btc, 1, T, C, NH);
    }
}

void par_crossentropy_forward(float *losses, float *lse, const float *logits, const int *targets,
                              int N, int V)
{
    FOR_EACH_CHUNK(N, s, n) {
        crossentropy_forward(losses + s, lse + s, logits + (size_t)s * V, targets + s, n, V);
    }
}

void par_crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                               const int *targets, float dloss, int N, int V)
{
    FOR_EACH_CHUNK(N, s, n) {
        crossentropy_backward(dlogits + (size_t)s * V, logits + (size_t)s * V, lse + s,
                              targets + s, dloss, n, V);
    }
}

void par_adamw_update(float *param, const float *grad, float *m, float *v, int n, float lr,
                      float beta1, float beta2, float eps, float weight_decay, int step)
{
    FOR_EACH_CHUNK(n, s, c) {
        adamw_update(param + s, grad + s, m + s, v + s, c, lr, beta1, beta2, eps,
                     weight_decay, step);
    }
}

double par_sum_of_squares(const float *x, int n)
{
    double part[PAR_CHUNKS] = {0};
    FOR_EACH_CHUNK(n, s, c) {
        part[chunk_k] = sum_of_squares(x + s, c);
    }
    double sum = 0.0;
    for (int k = 0; k < PAR_CHUNKS; k++) {
        sum += part[k];
    }
    return sum;
}

void par_scale_in_place(float *x, int n, float factor)
{
    FOR_EACH_CHUNK(n, s, c) {
        scale_in_place(x + s, c, factor);
    }
}
