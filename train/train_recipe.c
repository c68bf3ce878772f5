#include "train/train_recipe.h"
#include <math.h>
#include <string.h>

void recipe_apply(const recipe *r, train_options *o, int *eot_kind)
{
    o->T = r->T;
    o->steps = r->steps;
    o->warmup = r->warmup;
    o->optim.adam.lr = r->lr;
    o->min_lr = r->min_lr;
    o->optim.adam.weight_decay = r->weight_decay;
    o->optim.adam.beta1 = r->beta1;
    o->optim.adam.beta2 = r->beta2;
    o->optim.adam.eps = r->eps;
    o->optim.clip = r->clip;
    o->aux_weight = r->aux_weight;
    o->sigma_pooled = r->pooled;
    memcpy(eot_kind, r->eot_kind, SITE_KINDS * sizeof *eot_kind);
    o->eot_kind = eot_kind;
    o->schedule = r->name;
    o->schedule_plan = &r->plan;
}

int recipe_resolve(const recipe *r, train_options *o, const recipe_given *given,
                   json_t *derived, lnf_error *err)
{
    long long micro = (long long)o->B * o->T;
    if (!given->grad_accum) {
        if (r->tokens_per_step % micro != 0) {
            return lnf_fail(err, "recipe %s: %lld tokens per step are not a whole number of "
                            "micro-batches of B·T = %d·%d tokens: choose a --batch that divides "
                            "%lld, or give --grad-accum", r->name, r->tokens_per_step, o->B, o->T,
                            r->tokens_per_step / o->T);
        }
        o->grad_accum = (int)(r->tokens_per_step / micro);
        json_object_set_new(derived, "grad_accum", json_integer(o->grad_accum));
    }
    if (!given->sigma_momentum) {
        o->sigma_momentum = recipe_momentum(r, o->B);
        json_object_set_new(derived, "sigma_momentum", json_real(o->sigma_momentum));
    }
    if (!given->warmup && o->steps != r->steps) {
        o->warmup = (int)lround((double)r->warmup * o->steps / r->steps);
        json_object_set_new(derived, "warmup", json_integer(o->warmup));
    }
    int span = o->schedule_span > 0 ? o->schedule_span : o->steps;
    if (span != r->plan.steps) {
        json_object_set_new(derived, "schedule_scale", json_real((double)span / r->plan.steps));
    }
    return 0;
}
