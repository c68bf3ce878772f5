#include "model/optim.h"
#include <math.h>
#include <stdlib.h>
#include "kernels/parallel.h"
#include "model/domain_watch.h"

optim_settings optim_defaults(void)
{
    return (optim_settings){.adam = {.lr = 6e-4f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
                                     .weight_decay = 0.1f},
                            .clip = 1.0f};
}

int optim_check(const optim_settings *s, lnf_error *err)
{
    const adamw_settings *a = &s->adam;
    if (!(a->lr >= 0 && isfinite(a->lr))) {
        return lnf_fail(err, "the learning rate must be finite and ≥ 0 (got %g)", (double)a->lr);
    }
    if (!(a->beta1 >= 0 && a->beta1 < 1) || !(a->beta2 >= 0 && a->beta2 < 1)) {
        return lnf_fail(err, "AdamW's betas must be in [0, 1) (got %g, %g)", (double)a->beta1,
                        (double)a->beta2);
    }
    if (!(a->eps > 0 && isfinite(a->eps))) {
        return lnf_fail(err, "AdamW's eps must be finite and > 0 (got %g)", (double)a->eps);
    }
    if (!(a->weight_decay >= 0 && isfinite(a->weight_decay))) {
        return lnf_fail(err, "the weight decay must be finite and ≥ 0 (got %g)",
                        (double)a->weight_decay);
    }
    if (!(s->clip > 0 && isfinite(s->clip))) {
        return lnf_fail(err, "the gradient clip must be finite and > 0 (got %g)", (double)s->clip);
    }
    return 0;
}

double optim_grad_norm(const gpt2 *m)
{
    if (m->watch != NULL) {
        /* the clip then scales this rank's shard of these same values */
        float largest = dw_observe(m->watch, DW_ADAM_NORM_GRAD, -1, m->grads, m->n_params);
        dw_observe_value(m->watch, DW_ADAM_CLIP_GRAD, -1, largest);
    }
    return sqrt(par_sum_of_squares(m->grads, (int)m->n_params));
}

void optim_set_shard(gpt2 *m, size_t lo, size_t hi)
{
    m->adam_lo = lo;
    m->adam_n = hi - lo;
}

int optim_step(gpt2 *m, const optim_settings *s, float lr, double norm, lnf_error *err)
{
    size_t lo = m->adam_lo, hi = m->adam_lo + m->adam_n;
    if (m->adam_n == 0) {
        m->adam_step++; /* an empty shard (more ranks than parameters) */
        return 0;
    }
    float clip_scale = adamw_clip_coefficient(norm, s->clip);
    float clipped_max = -1.0f; /* max |grad| after the clip, when the watch knows it before */
    if (m->watch != NULL) {
        float before = m->watch->seen[DW_ADAM_CLIP_GRAD];
        if (before < 0) { /* no optim_grad_norm on this watch */
            before = dw_observe(m->watch, DW_ADAM_CLIP_GRAD, -1, m->grads + lo, m->adam_n);
        }
        /* x·s rounds monotonically (s ≥ 0): the largest product is the product
         * of the largest, so the clipped maximum needs no second pass */
        clipped_max = before * clip_scale;
    }
    par_scale_in_place(m->grads + lo, (int)m->adam_n, clip_scale);
    if (m->adam_m == NULL) {
        m->adam_m = calloc(m->adam_n, sizeof(float));
        m->adam_v = calloc(m->adam_n, sizeof(float));
        if (m->adam_m == NULL || m->adam_v == NULL) {
            return lnf_fail(err, "out of memory for AdamW state (%zu parameters)", m->adam_n);
        }
    }
    if (m->watch != NULL) {
        /* every input of this step's updates, checked before any is made */
        dw_observe(m->watch, DW_ADAM_PARAM, -1, m->params + lo, m->adam_n);
        dw_observe_value(m->watch, DW_ADAM_GRAD, -1, clipped_max);
        dw_observe(m->watch, DW_ADAM_M, -1, m->adam_m, m->adam_n);
        dw_observe(m->watch, DW_ADAM_V, -1, m->adam_v, m->adam_n);
        if (dw_check(m->watch, err) != 0) {
            return -1;
        }
    }
    m->adam_step++;
    for (int i = 0; i < m->n_tensors; i++) {
        const gpt2_tensor *t = &m->tensors[i];
        size_t b = t->offset, e = t->offset + (size_t)t->rows * (size_t)t->cols;
        b = b > lo ? b : lo;
        e = e < hi ? e : hi;
        if (b >= e) {
            continue; /* not in this shard */
        }
        adamw_settings a = s->adam;
        a.lr = lr;
        a.weight_decay = t->hf_ndim >= 2 ? s->adam.weight_decay : 0.0f;
        par_adamw_update(m->params + b, m->grads + b, m->adam_m + (b - lo), m->adam_v + (b - lo),
                         (int)(e - b), &a, m->adam_step);
    }
    return 0;
}
