/* train: the training loop behind `lnfree train` and `lnfree remove-ln`.
 *
 * Each optimizer step runs in stages: apply the schedule events due, draw
 * the step's grad_accum micro-batches of B×T tokens, forward and backward
 * each, reduce the gradients (train/grad_reduce.h), take the optimizer step
 * (global-norm clip, AdamW; model/optim.h), record. Micro-batch i of step s
 * reads batch k = s·grad_accum + i of the training stream (data/stream.h):
 * B random windows drawn from (seed, k), or, sequentially, the k-th batch from
 * data_start on (back to the start when the data runs out).
 *
 * Data parallel (train/dist.h): with N ranks, rank r computes micro-batches
 * r, r+N, r+2N, … of every step (grad_accum must be a multiple of N); the
 * gradients, σ statistics and losses are combined exactly, so every rank ends
 * each step with the same bits for any N. ZeRO-1: each rank keeps the AdamW
 * moments of its share of the parameters and updates only those; the
 * parameters are then all-gathered. Rank 0 alone validates, writes
 * metrics.jsonl, loss.svg and the (unsharded) checkpoints, reports progress,
 * and holds the lock on OUT (one run per output directory). With a schedule, σ is calibrated before the first step, tracked by
 * EMA while each site is real, and frozen into the site at its switch; the
 * special phases end at their events. Every step appends a JSON line to
 * OUT/metrics.jsonl; validation (model/eval.h) scores a fixed prefix of
 * DATA/val.bin every val_every steps; checkpoints (the model, and the resume
 * state of train_state.h; atomic as a whole) go to OUT/model every
 * ckpt_every steps and at the end, OUT/loss.svg at each checkpoint. Each
 * checkpoint carries provenance.json (train/provenance.h): the inputs'
 * SHA-256, the settings (train/settings.h), the build and machine, the steps
 * done and the SHA-256 of every file written. A
 * non-finite loss or gradient norm stops training with an error and leaves
 * the last good checkpoint in place. Progress goes to a callback: nothing
 * here prints. */
#ifndef LNFREE_TRAIN_TRAIN_H
#define LNFREE_TRAIN_TRAIN_H

#include <jansson.h>
#include <stdint.h>
#include "base/error.h"
#include "model/config.h"
#include "model/ln_state.h"
#include "model/optim.h"
#include "schedule/schedule.h"
#include "train/dist.h"

/* What the loop reports after every step. val_loss is NaN when this step did
 * not validate. */
typedef struct {
    int step, steps;
    float loss, val_loss;
    double tokens_per_s, eta_s;
} train_progress;

typedef void (*train_progress_fn)(const train_progress *p, void *ctx);

/* TRAIN_RANDOM: each micro-batch is B windows of T+1 tokens at positions drawn
 * from (seed, step, micro-batch index) alone, as nanoGPT samples (the default);
 * TRAIN_SEQUENTIAL: consecutive B·T+1 token batches from data_start onward. */
typedef enum { TRAIN_RANDOM = 0, TRAIN_SEQUENTIAL = 1 } train_data_order;

typedef struct {
    const char *model_dir;     /* start from this model directory, or */
    const gpt2_config *init;   /* a random initialisation of this config, with seed */
    uint64_t seed;             /* of the init, and of the random windows */
    const char *data_dir;      /* a directory (train.bin + val.bin, or llm.c shards) or a file */
    const char *val_path;      /* validation tokens; NULL: data_dir's val split */
    train_data_order order;    /* how micro-batches are drawn from the training stream */
    const char *out_dir;
    int B, T, grad_accum, steps;
    optim_settings optim;      /* optim.adam.lr is the peak LR */
    float min_lr;
    int warmup;
    int val_every, val_batches;
    int ckpt_every;
    int resume;                /* continue OUT/model's run */
    int resume_exact;          /* and refuse it when a setting differs from the run's */
    int stop_at;               /* > 0: stop (with a checkpoint) after this many steps */
    long long data_start;      /* first token of train.bin to read (a fresh run) */
    const char *schedule;      /* NULL: plain training; "none" is the LN-kept control; the
                                  name of schedule_plan when that is given */
    const schedule_plan *schedule_plan; /* a recipe's schedule (schedule/recipe.h), or NULL */
    int schedule_span;         /* steps the paper preset is scaled to; 0 = steps */
    double sigma_momentum;     /* of σ's EMA per micro-batch; 0: SIGMA_MOMENTUM */
    int sigma_pooled;          /* one σ over every token, no BOS/EOT special cases */
    int calib_batches;         /* σ calibration forwards before step 0 */
    float aux_weight;
    const int *eot_kind;       /* [SITE_KINDS]: kinds with the EOT special σ; NULL = ln1v */
    const char *title;         /* loss.svg title */
    train_progress_fn progress; /* NULL: no reports */
    void *progress_ctx;
    const dist_ctx *dist;      /* the ranks of a data-parallel run; NULL: one process */
    const char *command;       /* "train" or "remove-ln", for provenance.json */
    const json_t *origin;      /* how the run was asked for (recipe, overrides), recorded
                                  as it is in provenance.json; NULL: nothing */
} train_options;

/* Defaults: B 8, T 128, accumulation 1, 1000 steps, LR 6e-4 → 6e-5, 100
 * warmup steps, weight decay 0.1, clip 1.0, β 0.9/0.95, ε 1e-8, validation
 * every 100 steps over 8 batches, checkpoint every 500 steps, 8 calibration
 * batches, seed 1337. */
train_options train_defaults(void);

typedef struct {
    int steps_done;
    float final_train_loss;
    float final_val_loss;
    double seconds;
    long long tokens;
} train_result;

int train_run(const train_options *o, train_result *res, lnf_error *err);

/* The schedule o asks for, for n_layer layers (o->schedule non-NULL). */
int train_schedule_load(const train_options *o, int n_layer, schedule *s, lnf_error *err);

#endif
