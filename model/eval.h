/* eval: cross-entropy of a model on a token file, over non-overlapping
 * T-token chunks (inputs tokens[iT .. iT+T−1], targets shifted by one), with
 * the median and 99.9th percentile of the per-token loss. */
#ifndef LNFREE_MODEL_EVAL_H
#define LNFREE_MODEL_EVAL_H

#include "gpt2.h"
#include "tokens.h"

typedef struct {
    double mean;       /* mean cross-entropy, nats per token */
    double median;
    double p999;       /* 99.9th percentile (nearest rank) */
    long long tokens;  /* targets scored */
    int chunks;
} eval_result;

/* max_tokens ≤ 0: the whole file. Fails if not even one chunk fits. */
int eval_tokens(gpt2 *m, const token_file *f, int T, long long max_tokens, eval_result *r,
                lnf_error *err);

#endif
