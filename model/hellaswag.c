#include "model/hellaswag.h"
#include <stdlib.h>
#include <string.h>

/* One example's four sequences, context then completion, padded with token 0
 * after the end (causal attention: padding never reaches an earlier position);
 * inputs are the sequence less its last token, targets the sequence shifted. */
static void fill_batch(const hs_set *s, const hs_example *e, int T, int *x, int *y)
{
    for (int b = 0; b < HS_COMPLETIONS; b++) {
        int len = e->ctx_len + e->comp_len[b];
        for (int t = 0; t <= T; t++) {
            int tok = t >= len ? 0
                      : t < e->ctx_len ? s->tokens[e->ctx + t]
                                       : s->tokens[e->comp[b] + t - e->ctx_len];
            if (t < T) {
                x[b * T + t] = tok;
            }
            if (t > 0) {
                y[b * T + t - 1] = tok;
            }
        }
    }
}

static int score_example(gpt2 *m, const hs_set *s, int i, int *x, int *y, hs_result *r,
                         lnf_error *err)
{
    const hs_example *e = &s->examples[i];
    int longest = 0;
    for (int b = 0; b < HS_COMPLETIONS; b++) {
        longest = e->comp_len[b] > longest ? e->comp_len[b] : longest;
    }
    int T = e->ctx_len + longest - 1;
    fill_batch(s, e, T, x, y);
    if (gpt2_forward(m, x, y, HS_COMPLETIONS, T, err) != 0) {
        return lnf_fail(err, "example %d: %s", i, err->msg);
    }
    int best_sum = 0, best_mean = 0;
    double sums[HS_COMPLETIONS], means[HS_COMPLETIONS];
    for (int b = 0; b < HS_COMPLETIONS; b++) {
        double sum = 0.0;
        /* position t predicts token t+1: the completion's tokens are targets
         * ctx_len−1 .. ctx_len+len−2 */
        for (int t = e->ctx_len - 1; t < e->ctx_len + e->comp_len[b] - 1; t++) {
            sum += m->losses[b * T + t];
        }
        sums[b] = sum;
        means[b] = sum / e->comp_len[b];
        r->losses[(size_t)i * HS_COMPLETIONS + b] = means[b];
        best_sum = sums[b] < sums[best_sum] ? b : best_sum;
        best_mean = means[b] < means[best_mean] ? b : best_mean;
    }
    r->predictions[i] = best_mean;
    r->correct += best_sum == e->label;
    r->correct_norm += best_mean == e->label;
    return 0;
}

int hellaswag_score(gpt2 *m, const hs_set *s, hs_result *r, lnf_error *err)
{
    memset(r, 0, sizeof *r);
    size_t cells = (size_t)HS_COMPLETIONS * (size_t)s->max_len;
    r->predictions = malloc((size_t)s->n * sizeof(int));
    r->losses = malloc((size_t)s->n * HS_COMPLETIONS * sizeof(double));
    int *x = malloc(cells * sizeof(int)), *y = malloc(cells * sizeof(int));
    int rc = r->predictions && r->losses && x && y ? 0 : lnf_fail(err, "out of memory");
    for (int i = 0; i < s->n && rc == 0; i++) {
        rc = score_example(m, s, i, x, y, r, err);
    }
    free(x);
    free(y);
    if (rc != 0) {
        hs_result_free(r);
        return -1;
    }
    r->n = s->n;
    return 0;
}

void hs_result_free(hs_result *r)
{
    free(r->predictions);
    free(r->losses);
    memset(r, 0, sizeof *r);
}
