/* train_recipe: a paper's recipe (schedule/recipe.h) as train_options.
 *
 * recipe_apply sets everything the recipe fixes; the user's flags are then
 * applied over it; recipe_resolve derives what depends on both: the
 * micro-batches per step (tokens_per_step / (B·T), unless given), σ's
 * momentum for this B (unless given), and, when the step count was changed,
 * the warmup scaled with it (unless given; the schedule scales by itself,
 * train_schedule_load). */
#ifndef LNFREE_TRAIN_TRAIN_RECIPE_H
#define LNFREE_TRAIN_TRAIN_RECIPE_H

#include <jansson.h>
#include "schedule/recipe.h"
#include "train/train.h"

/* Which of the derived settings the user gave as flags. */
typedef struct {
    int grad_accum, warmup, sigma_momentum;
} recipe_given;

/* eot_kind: storage for o->eot_kind, [SITE_KINDS], kept for the run. */
void recipe_apply(const recipe *r, train_options *o, int *eot_kind);

/* Fills in the derived settings and records them in `derived` (an object:
 * name → value). Fails when the tokens per step are not a whole number of
 * B·T micro-batches. */
int recipe_resolve(const recipe *r, train_options *o, const recipe_given *given,
                   json_t *derived, lnf_error *err);

#endif
