/* recipe: the papers' LN-removal runs as settings, each value with its
 * source (recipe.c). `lnf remove-ln --recipe NAME` starts from one; a flag
 * given as well overrides it, and the run records the override.
 *
 *   heimersheim-gpt2    Heimersheim 2024 (arXiv 2409.13710), GPT-2 small
 *   baroni-gpt2         Baroni et al. 2025 (arXiv 2507.02559), GPT-2 small
 *   baroni-gpt2-medium  … medium
 *   baroni-gpt2-large   … large
 *   baroni-gpt2-xl      … XL */
#ifndef LNFREE_SCHEDULE_RECIPE_H
#define LNFREE_SCHEDULE_RECIPE_H

#include "base/error.h"
#include "model/ln_state.h"
#include "schedule/schedule.h"

typedef struct {
    const char *name;
    const char *paper;           /* the run it reproduces */
    const char *base_model;      /* the Hugging Face model it starts from */
    int n_layer;                 /* of that model: the schedule is written for it */
    long long tokens_per_step;
    int T;
    int steps;
    int warmup;
    float lr, min_lr;            /* peak, then cosine decay to min_lr */
    float weight_decay, beta1, beta2, eps, clip;
    float aux_weight;
    /* σ's EMA momentum per micro-batch: momentum^(B/momentum_batch) for a
     * micro-batch of B sequences (momentum_batch 0: momentum as it is) */
    double momentum;
    int momentum_batch;
    /* σ classes: 0 = separate σ for position 0 and EOT tokens until their
     * events (eot_kinds take part); 1 = one σ over every token, no special
     * cases (the authors' code's default) */
    int pooled;
    int eot_kind[SITE_KINDS];
    schedule_plan plan;
    const char *source;          /* where each number comes from, in words */
} recipe;

/* NULL if there is no such recipe. */
const recipe *recipe_find(const char *name);

/* "heimersheim-gpt2, baroni-gpt2, ...". */
const char *recipe_names(void);

/* The σ momentum for micro-batches of B sequences. */
double recipe_momentum(const recipe *r, int B);

#endif
