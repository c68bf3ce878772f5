/* train_state: what a resumed run needs beyond the model, saved in the
 * checkpoint directory beside it: train_state.json (steps done, AdamW step,
 * where the data starts, the next schedule event, every σ record, and the run
 * shape a resume must share) and optimizer.safetensors (the AdamW moments,
 * once a step has been taken). Floats round-trip exactly (17 digits). */
#ifndef LNFREE_TRAIN_TRAIN_STATE_H
#define LNFREE_TRAIN_TRAIN_STATE_H

#include <jansson.h>
#include "base/error.h"
#include "model/gpt2.h"
#include "schedule/sigma.h"

typedef struct {
    int step;             /* optimizer steps done */
    int next_event;       /* index of the first schedule event not yet applied */
    int order;            /* train_data_order */
    uint64_t seed;        /* of the random windows */
    long long data_start; /* the run's first token of train.bin (sequential order) */
    long long data_position; /* where the next step's first micro-batch starts (informative) */
    int n_exponents;      /* the gradient reduction's exponents (train/grad_reduce.h), */
    int *exponents;       /* one per tensor; 0 and NULL for a run of one micro-batch per step */
} train_state;

/* The settings a resumed run must share with the run it continues. */
json_t *train_state_run_shape(int B, int T, int grad_accum, const char *schedule,
                              double sigma_momentum, int sigma_pooled);

/* Writes DIR/train_state.json and, when adam_m is not NULL,
 * DIR/optimizer.safetensors with the AdamW moments of every parameter
 * (adam_m, adam_v: [n_params], the whole arrays, whichever processes kept
 * their shards). */
int train_state_save(const char *dir, const train_state *s, const gpt2 *m, const float *adam_m,
                     const float *adam_v, const sigma_tracker *sigma, const json_t *run_shape,
                     lnf_error *err);

/* Reads them back into s (exponents allocated here: free with
 * train_state_free), m (adam_step, and the moments of its optimizer shard)
 * and sigma (initialised here for m's layers); fails, naming the file, when
 * the run shape differs from run_shape. */
int train_state_load(const char *dir, train_state *s, gpt2 *m, sigma_tracker *sigma,
                     const json_t *run_shape, lnf_error *err);
void train_state_free(train_state *s);

#endif
