/* plan: what a training run will do and need, before it starts: steps and
 * tokens, the micro-batch split over ranks, every schedule event, the LR
 * schedule, the memory of each rank, and (measured) the time of a step on
 * this machine. `lnfree remove-ln --dry-run` prints it; train_run refuses to
 * start a run whose memory cannot fit. */
#ifndef LNFREE_TRAIN_PLAN_H
#define LNFREE_TRAIN_PLAN_H

#include <jansson.h>
#include "model/config.h"
#include "train/train.h"

typedef struct {
    int steps, B, T, grad_accum, ranks, micro_per_rank;
    long long tokens_per_step, total_tokens;
    size_t n_params;
    /* bytes per rank */
    double params, grads, optimizer, accumulator, activations, total;
    double available;      /* this machine's MemAvailable (0: unknown) */
    int fits;              /* total ≤ available (1 when unknown) */
    double micro_seconds;  /* one micro-batch's forward + backward, measured; < 0: not */
    double update_seconds; /* one optimizer step over this rank's shard, measured */
    double step_seconds;   /* micro_per_rank · micro + update; < 0: not measured */
} train_plan;

/* The plan of o for a model of config cfg on `ranks` ranks (nothing run). */
void train_plan_make(const train_options *o, const gpt2_config *cfg, int ranks, train_plan *p);

/* Measures one micro-batch and one update on a random initialisation of cfg
 * (when the memory fits); fills the seconds. */
int train_plan_measure(const train_options *o, const gpt2_config *cfg, train_plan *p,
                       lnf_error *err);

/* The plan as JSON, with the schedule's events for cfg's layers and the LR
 * schedule's shape (a new reference; NULL after lnf_fail). */
json_t *train_plan_json(const train_options *o, const gpt2_config *cfg, const train_plan *p,
                        lnf_error *err);

/* Fails, with both numbers in GiB, when the plan's memory exceeds what the
 * machine has available. */
int train_plan_check_memory(const train_plan *p, lnf_error *err);

#endif
