/* eval: what a model predicts on a token file, the one evaluation that
 * validation during training, `lnfree eval` and the demo all call: over
 * non-overlapping T-token chunks from the file's start (inputs tokens
 * [iT .. iT+T−1], targets shifted by one; data/stream.h's batch reader).
 *
 * Per model: the mean cross-entropy with its median and 99.9th percentile,
 * the mean entropy of the next-token distribution, the cross-entropy by input
 * class (position 0; an EOT input elsewhere; the rest) and the largest L2
 * norm of the residual stream (the embedding and each layer's two residual
 * sums) with the five positions where it peaked. Against a reference model R
 * on the same tokens: the mean KL(R ‖ M) of the next-token distributions and
 * the share of positions where both argmaxes agree. */
#ifndef LNFREE_MODEL_EVAL_H
#define LNFREE_MODEL_EVAL_H

#include <jansson.h>
#include "data/stream.h"
#include "model/gpt2.h"

/* Chunks per forward pass unless the caller says otherwise. */
#define EVAL_BATCH 8
/* Positions listed with the largest residual norms. */
#define EVAL_WORST 5

typedef enum { EVAL_BOS = 0, EVAL_EOT = 1, EVAL_OTHER = 2, EVAL_CLASSES = 3 } eval_class;

typedef struct {
    int token;         /* the input token there */
    int position;      /* within its chunk, 0..T−1 */
    long long offset;  /* the input token's index in the file */
    double norm;       /* the largest residual norm at that position, over layers */
} eval_norm_site;

typedef struct {
    double mean;       /* mean cross-entropy, nats per token */
    double median;
    double p999;       /* 99.9th percentile (nearest rank) */
    long long tokens;  /* targets scored */
    int chunks;
    int seq_len;
    double entropy;    /* mean entropy of the predicted distribution, nats */
    double class_ce[EVAL_CLASSES];        /* mean cross-entropy per class (NAN: none) */
    long long class_tokens[EVAL_CLASSES];
    double max_residual_norm;
    eval_norm_site worst[EVAL_WORST];     /* by norm, largest first */
    int n_worst;
    /* against a reference (has_reference); else unset */
    int has_reference;
    double ce_reference, entropy_reference;
    double kl;             /* mean KL(reference ‖ model), nats */
    double top1_agreement; /* share of positions whose argmaxes agree */
} eval_result;

/* batch chunks per forward (≤ 0: EVAL_BATCH); max_tokens ≤ 0: the whole file.
 * ref: NULL, or a model with the same vocabulary scored on the same chunks.
 * Fails if not even one chunk fits. */
int eval_tokens(gpt2 *m, gpt2 *ref, const token_stream *f, int T, int batch,
                long long max_tokens, eval_result *r, lnf_error *err);

/* Loads the model directory (and the reference's, unless NULL), opens the
 * tokens (a file, or a data directory's val split: data/stream.h) and
 * evaluates them (T ≤ 0: the smaller n_positions). */
int eval_model_dir(const char *model_dir, const char *reference_dir, const char *data_path,
                   int T, long long max_tokens, eval_result *r, lnf_error *err);

/* {"tokens", "chunks", "seq_len", "ce", "median", "p999", "entropy",
 * "ce_by_class", "tokens_by_class", "max_residual_norm", "worst_tokens"} and,
 * with a reference, "ce_reference", "entropy_reference", "kl",
 * "top1_agreement": a new reference. */
json_t *eval_result_json(const eval_result *r);

#endif
