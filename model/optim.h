/* optim: the optimizer step over a model's accumulated gradients, the one
 * owner of norm → clip → AdamW: the global gradient norm, scaling by
 * min(1, clip/(norm + 1e-6)) as torch's clip_grad_norm_, then AdamW with
 * decoupled weight decay on tensors whose HF form has ≥ 2 dims only. The
 * AdamW moments are allocated at the first step. */
#ifndef LNFREE_MODEL_OPTIM_H
#define LNFREE_MODEL_OPTIM_H

#include "kernels/adamw.h"
#include "model/gpt2.h"

typedef struct {
    adamw_settings adam; /* weight_decay: for tensors of ≥ 2 dims */
    float clip;          /* max global gradient norm */
} optim_settings;

/* lr 6e-4, β 0.9/0.95, ε 1e-8, weight decay 0.1, clip 1.0. */
optim_settings optim_defaults(void);

/* Fails, naming the setting, unless lr ≥ 0, 0 ≤ β < 1, ε > 0, weight decay
 * ≥ 0 and clip > 0 (all finite). */
int optim_check(const optim_settings *s, lnf_error *err);

/* Global L2 norm of all parameter gradients. */
double optim_grad_norm(const gpt2 *m);

/* Clips the gradients given their norm (from optim_grad_norm, finite), then
 * takes one AdamW step at learning rate lr, on the parameters of the model's
 * optimizer shard (all of them unless optim_set_shard chose fewer). */
int optim_step(gpt2 *m, const optim_settings *s, float lr, double norm, lnf_error *err);

/* ZeRO-1: this process keeps the AdamW moments of params [lo, hi) only and
 * updates only those (before the first step; the others come from the
 * process that owns them). Element-wise, so the values do not depend on the
 * split. */
void optim_set_shard(gpt2 *m, size_t lo, size_t hi);

#endif
