#include "kernels/parallel.h"
#include <string.h>
#include "kernels/attention.h"
#include "kernels/gelu.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "kernels/residual.h"
#include "kernels/softmax.h"

/* Where piece k of [0, n) cut into `pieces` near-equal pieces starts. */
static int piece_start(int n, int pieces, int k)
{
    int base = n / pieces, extra = n % pieces;
    return k * base + (k < extra ? k : extra);
}

static int pieces_of(int n, int size) { return (n + size - 1) / size; }

/* Pieces for n items of `width` floats each: ⌈n·width / PAR_GRAIN⌉, between 1
 * and min(n, PAR_MAX_PIECES). */
static int pieces_for(int n, int width)
{
    long long work = (long long)n * width;
    long long p = (work + PAR_GRAIN - 1) / PAR_GRAIN;
    if (p > PAR_MAX_PIECES) {
        p = PAR_MAX_PIECES;
    }
    if (p > n) {
        p = n;
    }
    return p < 1 ? 1 : (int)p;
}

/* Runs the statement that follows once for each piece [s, s+n) of [0, N)
 * cut for items of `width` floats (piece index piece_k), the pieces spread
 * over the OpenMP threads. */
#define FOR_EACH_PIECE(N, width, s, n)                                              \
    for (int pieces_ = pieces_for(N, width), once_ = 1; once_; once_ = 0)           \
    _Pragma("omp parallel for schedule(static)")                                   \
    for (int piece_k = 0; piece_k < pieces_; piece_k++)                             \
        for (int s = piece_start(N, pieces_, piece_k),                              \
                 n = piece_start(N, pieces_, piece_k + 1) - s;                      \
             n > 0; n = 0)

void par_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                        int N, int C, int OC)
{
    int pr = pieces_of(N, PAR_MM_ROWS), pc = pieces_of(OC, PAR_MM_COLS);
#pragma omp parallel for schedule(dynamic)
    for (int t = 0; t < pr * pc; t++) {
        int r = t / pc, c = t % pc;
        matmul_forward_block(out, inp, weight, bias, N, C, OC, piece_start(N, pr, r),
                             piece_start(N, pr, r + 1), piece_start(OC, pc, c),
                             piece_start(OC, pc, c + 1));
    }
}

/* One task list for the three independent products: dinp blocks [N × C],
 * dweight blocks [OC × C], then dbias pieces [OC]. */
void par_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int C, int OC)
{
    int nr = pieces_of(N, PAR_MM_ROWS), cc = pieces_of(C, PAR_MM_COLS);
    int orows = pieces_of(OC, PAR_MM_ROWS), ob = dbias != NULL ? pieces_of(OC, PAR_MM_COLS) : 0;
    int n_dinp = nr * cc, n_dweight = orows * cc;
#pragma omp parallel for schedule(dynamic)
    for (int t = 0; t < n_dinp + n_dweight + ob; t++) {
        if (t < n_dinp) {
            int r = t / cc, c = t % cc;
            matmul_backward_dinp_block(dinp, dout, weight, N, C, OC, piece_start(N, nr, r),
                                       piece_start(N, nr, r + 1), piece_start(C, cc, c),
                                       piece_start(C, cc, c + 1));
        } else if (t < n_dinp + n_dweight) {
            int r = (t - n_dinp) / cc, c = (t - n_dinp) % cc;
            matmul_backward_dweight_block(dweight, dout, inp, N, C, OC,
                                          piece_start(OC, orows, r), piece_start(OC, orows, r + 1),
                                          piece_start(C, cc, c), piece_start(C, cc, c + 1));
        } else {
            int k = t - n_dinp - n_dweight;
            matmul_backward_dbias_block(dbias, dout, N, OC, piece_start(OC, ob, k),
                                        piece_start(OC, ob, k + 1));
        }
    }
}

void par_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, float eps, int N, int C)
{
    FOR_EACH_PIECE(N, C, s, n) {
        layernorm_forward(out + (size_t)s * C, mean + s, rstd + s, inp + (size_t)s * C,
                          weight, bias, eps, n, C);
    }
}

void par_layernorm_fixed_forward(float *out, float *mean, const float *inp, const float *weight,
                                 const float *bias, const float *scales,
                                 const uint8_t *scale_class, int N, int C)
{
    FOR_EACH_PIECE(N, C, s, n) {
        layernorm_fixed_forward(out + (size_t)s * C, mean + s, inp + (size_t)s * C, weight,
                                bias, scales, scale_class + s, n, C);
    }
}

/* dweight += Σ_k partial_w[k], dbias += Σ_k partial_b[k], in piece order. */
static void add_partials(float *dweight, float *dbias, const float *partial, int pieces, int C)
{
    for (int k = 0; k < pieces; k++) {
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
    memset(partial, 0, (size_t)pieces_for(N, C) * 2 * C * sizeof(float));
    FOR_EACH_PIECE(N, C, s, n) {
        float *pw = partial + (size_t)piece_k * 2 * C;
        layernorm_backward(dinp + (size_t)s * C, pw, pw + C, dout + (size_t)s * C,
                           inp + (size_t)s * C, weight, mean + s, rstd + s, n, C);
    }
    add_partials(dweight, dbias, partial, pieces_for(N, C), C);
}

void par_layernorm_fixed_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                  const float *inp, const float *weight, const float *mean,
                                  const float *scales, const uint8_t *scale_class, int N, int C,
                                  float *partial)
{
    memset(partial, 0, (size_t)pieces_for(N, C) * 2 * C * sizeof(float));
    FOR_EACH_PIECE(N, C, s, n) {
        float *pw = partial + (size_t)piece_k * 2 * C;
        layernorm_fixed_backward(dinp + (size_t)s * C, pw, pw + C, dout + (size_t)s * C,
                                 inp + (size_t)s * C, weight, mean + s, scales, scale_class + s,
                                 n, C);
    }
    add_partials(dweight, dbias, partial, pieces_for(N, C), C);
}

void par_gelu_forward(float *out, const float *inp, int N)
{
    FOR_EACH_PIECE(N, 1, s, n) {
        gelu_forward(out + s, inp + s, n);
    }
}

void par_gelu_backward(float *dinp, const float *inp, const float *dout, int N)
{
    FOR_EACH_PIECE(N, 1, s, n) {
        gelu_backward(dinp + s, inp + s, dout + s, n);
    }
}

void par_residual_forward(float *out, const float *a, const float *b, int N)
{
    FOR_EACH_PIECE(N, 1, s, n) {
        residual_forward(out + s, a + s, b + s, n);
    }
}

void par_attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                           int B, int T, int C, int NH)
{
    size_t tc = (size_t)T * C, att_b = (size_t)NH * T * T;
#pragma omp parallel for schedule(dynamic)
    for (int p = 0; p < B * NH; p++) {
        int b = p / NH, h = p % NH;
        attention_forward_head_blocked(out + b * tc, att + b * att_b, q + b * tc, k + b * tc,
                                       v + b * tc, T, C, NH, h);
    }
}

void par_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                            const float *att, const float *q, const float *k, const float *v,
                            int B, int T, int C, int NH)
{
    size_t tc = (size_t)T * C, att_b = (size_t)NH * T * T;
#pragma omp parallel for schedule(dynamic)
    for (int p = 0; p < B * NH; p++) {
        int b = p / NH, h = p % NH;
        attention_backward_head_blocked(dq + b * tc, dk + b * tc, dv + b * tc,
                                        scratch + (size_t)p * ATT_BLOCK * T, dout + b * tc,
                                        att + b * att_b, q + b * tc, k + b * tc, v + b * tc, T,
                                        C, NH, h);
    }
}

void par_crossentropy_forward(float *losses, float *lse, const float *logits, const int *targets,
                              int N, int V)
{
    FOR_EACH_PIECE(N, V, s, n) {
        crossentropy_forward(losses + s, lse + s, logits + (size_t)s * V, targets + s, n, V);
    }
}

void par_crossentropy_backward(float *dlogits, const float *logits, const float *lse,
                               const int *targets, float dloss, int N, int V)
{
    FOR_EACH_PIECE(N, V, s, n) {
        crossentropy_backward(dlogits + (size_t)s * V, logits + (size_t)s * V, lse + s,
                              targets + s, dloss, n, V);
    }
}

void par_adamw_update(float *param, const float *grad, float *m, float *v, int n,
                      const adamw_settings *s, int step)
{
    FOR_EACH_PIECE(n, 1, start, c) {
        adamw_update(param + start, grad + start, m + start, v + start, c, s, step);
    }
}

double par_sum_of_squares(const float *x, int n)
{
    double part[PAR_MAX_PIECES] = {0};
    FOR_EACH_PIECE(n, 1, s, c) {
        part[piece_k] = adamw_sum_of_squares(x + s, c);
    }
    double sum = 0.0;
    for (int k = 0; k < pieces_for(n, 1); k++) {
        sum += part[k];
    }
    return sum;
}

void par_scale_in_place(float *x, int n, float factor)
{
    FOR_EACH_PIECE(n, 1, s, c) {
        adamw_scale_in_place(x + s, c, factor);
    }
}
