/* train: the training loop behind `lnfree train` and `lnfree remove-ln`.
 *
 * Micro-batches of B×T tokens read in order from DATA/train.bin (wrapping),
 * grad_accum of them per optimizer step; warmup + cosine LR; global-norm clip;
 * AdamW. With a schedule, σ is calibrated before the first step, tracked by
 * EMA while each site is real, and frozen into the site at its switch; the
 * special phases end at their events. Every step appends a JSON line to
 * OUT/metrics.jsonl; validation on a fixed prefix of DATA/val.bin every
 * val_every steps; checkpoints (model, AdamW state, step, data position, σ
 * statistics; atomic as a whole) in OUT/model every ckpt_every steps and at the
 * end; OUT/loss.svg at each checkpoint. A non-finite loss or gradient norm stops
 * training with an error and leaves the last good checkpoint in place. */
#ifndef LNFREE_SCHEDULE_TRAIN_H
#define LNFREE_SCHEDULE_TRAIN_H

#include <stdint.h>
#include "error.h"

typedef struct {
    const char *model_dir;   /* start from this model directory, or */
    const char *init_config; /* a preset name or config.json, initialised with seed */
    uint64_t seed;
    const char *data_dir;    /* train.bin, val.bin */
    const char *out_dir;
    int B, T, grad_accum, steps;
    float max_lr, min_lr;
    int warmup;
    float weight_decay, clip, beta1, beta2, eps;
    int val_every, val_batches;
    int ckpt_every;
    int resume;              /* continue OUT/model's run */
    int stop_at;             /* > 0: stop (with a checkpoint) after this many steps */
    long long data_start;    /* first token of train.bin to read (a fresh run) */
    const char *schedule;    /* NULL: plain training; "none" is the LN-kept control */
    int schedule_span;       /* steps the paper preset is scaled to; 0 = steps */
    int calib_batches;       /* σ calibration forwards before step 0 */
    float aux_weight;
    const char *eot_sites;   /* comma list of site kinds, NULL = ln1v */
    int progress;            /* a live progress line on stderr */
    const char *title;       /* loss.svg title */
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

#endif
