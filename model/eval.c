#include "eval.h"
#include <stdlib.h>

/* Chunks go through the model this many at a time. */
#define EVAL_BATCH 8

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int eval_tokens(gpt2 *m, const token_file *f, int T, long long max_tokens, eval_result *r,
                lnf_error *err)
{
    long long avail = (long long)f->n_tokens - 1; /* the last token is only a target */
    if (max_tokens > 0 && max_tokens < avail) {
        avail = max_tokens;
    }
    long long chunks = avail / T;
    if (chunks < 1) {
        return lnf_fail(err, "%s: %zu tokens hold no chunk of T=%d inputs plus a target", f->path,
                        f->n_tokens, T);
    }
    float *losses = malloc((size_t)(chunks * T) * sizeof(float));
    int *x = malloc((size_t)EVAL_BATCH * T * sizeof(int)), *y = malloc((size_t)EVAL_BATCH * T * sizeof(int));
    int rc = (losses && x && y) ? 0 : lnf_fail(err, "out of memory for %lld losses", chunks * T);
    double sum = 0.0;
    for (long long c = 0; c < chunks && rc == 0; c += EVAL_BATCH) {
        int B = chunks - c < EVAL_BATCH ? (int)(chunks - c) : EVAL_BATCH;
        for (long long i = 0; i < (long long)B * T; i++) {
            x[i] = tokens_at(f, (size_t)(c * T + i));
            y[i] = tokens_at(f, (size_t)(c * T + i + 1));
        }
        rc = gpt2_forward(m, x, y, B, T, err);
        for (long long i = 0; i < (long long)B * T && rc == 0; i++) {
            losses[c * T + i] = m->losses[i];
            sum += m->losses[i];
        }
    }
    if (rc == 0) {
        long long n = chunks * T;
        qsort(losses, (size_t)n, sizeof(float), cmp_float);
        r->mean = sum / (double)n;
        r->median = n % 2 ? losses[n / 2] : 0.5 * ((double)losses[n / 2 - 1] + losses[n / 2]);
        long long rank = (long long)(0.999 * (double)n + 0.999999); /* ⌈0.999·n⌉ */
        r->p999 = losses[(rank < 1 ? 1 : rank) - 1];
        r->tokens = n;
        r->chunks = (int)chunks;
    }
    free(losses);
    free(x);
    free(y);
    return rc;
}
