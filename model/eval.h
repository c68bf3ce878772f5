/* eval: cross-entropy of a model on a token file, the one evaluation that
 * validation during training, `lnfree eval` and the demo all call: over
 * non-overlapping T-token chunks from the file's start (inputs tokens
 * [iT .. iT+T−1], targets shifted by one; data/stream.h's batch reader), with
 * the median and 99.9th percentile of the per-token loss. */
#ifndef LNFREE_MODEL_EVAL_H
#define LNFREE_MODEL_EVAL_H

#include <jansson.h>
#include "data/stream.h"
#include "model/gpt2.h"

/* Chunks per forward pass unless the caller says otherwise. */
#define EVAL_BATCH 8

typedef struct {
    double mean;       /* mean cross-entropy, nats per token */
    double median;
    double p999;       /* 99.9th percentile (nearest rank) */
    long long tokens;  /* targets scored */
    int chunks;
    int seq_len;
} eval_result;

/* batch chunks per forward (≤ 0: EVAL_BATCH); max_tokens ≤ 0: the whole file.
 * Fails if not even one chunk fits. */
int eval_tokens(gpt2 *m, const token_stream *f, int T, int batch, long long max_tokens,
                eval_result *r, lnf_error *err);

/* Loads the model directory, opens the tokens (a file, or a data
 * directory's val split: data/stream.h) and evaluates them (T ≤ 0: the
 * model's n_positions). */
int eval_model_dir(const char *model_dir, const char *data_path, int T, long long max_tokens,
                   eval_result *r, lnf_error *err);

/* {"tokens", "chunks", "seq_len", "ce", "median", "p999"}: a new reference. */
json_t *eval_result_json(const eval_result *r);

#endif
