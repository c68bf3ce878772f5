#include "model/eval.h"
#include <stdlib.h>
#include "model/checkpoint.h"

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int eval_tokens(gpt2 *m, const token_stream *f, int T, int batch, long long max_tokens,
                eval_result *r, lnf_error *err)
{
    if (batch <= 0) {
        batch = EVAL_BATCH;
    }
    long long avail = (long long)f->n_tokens - 1; /* the last token is only a target */
    if (max_tokens > 0 && max_tokens < avail) {
        avail = max_tokens;
    }
    long long chunks = avail / T;
    if (chunks < 1) {
        return lnf_fail(err, "%s: %zu tokens hold no chunk of T=%d inputs plus a target", f->name,
                        f->n_tokens, T);
    }
    float *losses = malloc((size_t)(chunks * T) * sizeof(float));
    int *x = malloc((size_t)batch * T * sizeof(int)), *y = malloc((size_t)batch * T * sizeof(int));
    int rc = (losses && x && y) ? 0 : lnf_fail(err, "out of memory for %lld losses", chunks * T);
    double sum = 0.0;
    for (long long c = 0; c < chunks && rc == 0; c += batch) {
        int B = chunks - c < batch ? (int)(chunks - c) : batch;
        rc = stream_batch(f, (size_t)(c * T), B, T, x, y, err);
        if (rc == 0) {
            rc = gpt2_forward(m, x, y, B, T, err);
        }
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
        r->seq_len = T;
    }
    free(losses);
    free(x);
    free(y);
    return rc;
}

int eval_model_dir(const char *model_dir, const char *data_path, int T, long long max_tokens,
                   eval_result *r, lnf_error *err)
{
    gpt2 m;
    if (checkpoint_load(&m, model_dir, err) != 0) {
        return -1;
    }
    token_stream f;
    int rc = stream_open(&f, data_path, "val", m.cfg.vocab_size, err);
    if (rc == 0) {
        rc = eval_tokens(&m, &f, T > 0 ? T : m.cfg.n_positions, 0, max_tokens, r, err);
        stream_close(&f);
    }
    gpt2_free(&m);
    return rc;
}

json_t *eval_result_json(const eval_result *r)
{
    return json_pack("{s:I, s:i, s:i, s:f, s:f, s:f}", "tokens", (json_int_t)r->tokens, "chunks",
                     r->chunks, "seq_len", r->seq_len, "ce", r->mean, "median", r->median, "p999",
                     r->p999);
}
