#include "train/grad_reduce.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int grad_reduce_init(grad_reducer *r, const gpt2 *m, int micro_batches, int local,
                     lnf_error *err)
{
    memset(r, 0, sizeof *r);
    int bits = 0;
    while ((1 << bits) < micro_batches) {
        bits++;
    }
    r->precision = 62 - bits;
    r->n_tensors = m->n_tensors;
    r->n_params = m->n_params;
    r->exponent = malloc((size_t)m->n_tensors * sizeof *r->exponent);
    r->seen = malloc(((size_t)m->n_tensors + 1) * sizeof *r->seen);
    r->direct = local == 1;
    r->acc = malloc((r->direct && m->n_params > GRAD_REDUCE_PIECE ? GRAD_REDUCE_PIECE
                                                                  : m->n_params) *
                    sizeof *r->acc);
    if (r->exponent == NULL || r->seen == NULL || r->acc == NULL) {
        grad_reduce_free(r);
        return lnf_fail(err, "out of memory for the gradient accumulator (%zu parameters)",
                        m->n_params);
    }
    for (int t = 0; t < m->n_tensors; t++) {
        r->exponent[t] = GRAD_EXP_NONE;
    }
    return 0;
}

void grad_reduce_free(grad_reducer *r)
{
    free(r->exponent);
    free(r->seen);
    free(r->acc);
    memset(r, 0, sizeof *r);
}

void grad_reduce_begin(grad_reducer *r)
{
    if (!r->direct) {
        memset(r->acc, 0, r->n_params * sizeof *r->acc);
    }
    for (int t = 0; t <= r->n_tensors; t++) {
        r->seen[t] = t < r->n_tensors ? GRAD_EXP_NONE : 0;
    }
}

/* e with max|x| < 2^e, or GRAD_EXP_NONE for all zeros (exact: a maximum) */
static int max_exponent(const float *x, size_t n)
{
    float mx = 0.0f;
#pragma omp parallel for reduction(max : mx) schedule(static)
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        mx = a > mx ? a : mx;
    }
    int e;
    frexp((double)mx, &e);
    return mx > 0.0f ? e : GRAD_EXP_NONE;
}

/* acc += g·2^shift rounded to integers: exact in double, then to the nearest
 * multiple of 2^(E − P) */
static void to_fixed(int64_t *acc, const float *g, size_t n, int shift)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        acc[i] += (int64_t)llrint(ldexp((double)g[i], shift));
    }
}

/* g = acc·2^shift: int64 → float rounds once */
static void from_fixed(float *g, const int64_t *acc, size_t n, int shift)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        g[i] = ldexpf((float)acc[i], shift);
    }
}

void grad_reduce_add(grad_reducer *r, const gpt2 *m)
{
    for (int t = 0; t < m->n_tensors; t++) {
        const gpt2_tensor *ten = &m->tensors[t];
        size_t n = (size_t)ten->rows * (size_t)ten->cols;
        const float *g = m->grads + ten->offset;
        int e = max_exponent(g, n);
        if (e > r->seen[t]) {
            r->seen[t] = e;
        }
        if (e == GRAD_EXP_NONE) {
            continue; /* adds nothing */
        }
        if (e > r->exponent[t]) {
            r->seen[r->n_tensors] = 1; /* overflow: the step is redone */
            continue;
        }
        if (!r->direct) {
            to_fixed(r->acc + ten->offset, g, n, r->precision - r->exponent[t]);
        }
    }
}

/* The next step's (or the redo's) exponents: this step's largest, with headroom. */
static void next_exponents(grad_reducer *r, int redo)
{
    for (int t = 0; t < r->n_tensors; t++) {
        if (r->seen[t] != GRAD_EXP_NONE) {
            int e = r->seen[t] + GRAD_REDUCE_HEADROOM;
            r->exponent[t] = redo && e < r->exponent[t] ? r->exponent[t] : e;
        }
    }
}

/* One micro-batch per rank: convert, sum and convert back, piece by piece. */
static int finish_direct(grad_reducer *r, const dist_ctx *d, gpt2 *m, lnf_error *err)
{
    if (r->seen[r->n_tensors]) {
        next_exponents(r, 1); /* what a redo would convert with */
    }
    for (int t = 0; t < m->n_tensors; t++) {
        const gpt2_tensor *ten = &m->tensors[t];
        size_t n = (size_t)ten->rows * (size_t)ten->cols;
        float *g = m->grads + ten->offset;
        if (r->exponent[t] == GRAD_EXP_NONE) {
            continue; /* zeros on every rank */
        }
        for (size_t i = 0; i < n; i += GRAD_REDUCE_PIECE) {
            size_t len = n - i < GRAD_REDUCE_PIECE ? n - i : GRAD_REDUCE_PIECE;
            memset(r->acc, 0, len * sizeof *r->acc);
            to_fixed(r->acc, g + i, len, r->precision - r->exponent[t]);
            if (dist_sum_i64(d, r->acc, len, err) != 0) {
                return -1;
            }
            from_fixed(g + i, r->acc, len, r->exponent[t] - r->precision);
        }
    }
    next_exponents(r, 0);
    return 0;
}

int grad_reduce_finish(grad_reducer *r, const dist_ctx *d, gpt2 *m, int *redo, lnf_error *err)
{
    if (dist_max_int(d, r->seen, (size_t)r->n_tensors + 1, err) != 0) {
        return -1;
    }
    if (r->direct) {
        *redo = 0;
        return finish_direct(r, d, m, err);
    }
    *redo = r->seen[r->n_tensors];
    if (!*redo && dist_sum_i64(d, r->acc, r->n_params, err) != 0) {
        return -1;
    }
    for (int t = 0; t < m->n_tensors && !*redo; t++) {
        const gpt2_tensor *ten = &m->tensors[t];
        size_t n = (size_t)ten->rows * (size_t)ten->cols;
        float *g = m->grads + ten->offset;
        if (r->exponent[t] == GRAD_EXP_NONE) {
            memset(g, 0, n * sizeof *g); /* only zeros were added */
            continue;
        }
        from_fixed(g, r->acc + ten->offset, n, r->exponent[t] - r->precision);
    }
    next_exponents(r, *redo);
    return 0;
}
