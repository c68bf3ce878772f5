#define _POSIX_C_SOURCE 200809L
#include "train/plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/clock.h"
#include "base/rng.h"
#include "model/gpt2.h"
#include "model/optim.h"
#include "schedule/lr.h"
#include "schedule/schedule.h"
#include "train/grad_reduce.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* MemAvailable from /proc/meminfo, bytes (0 when unknown). */
static double mem_available(void)
{
    FILE *fp = fopen("/proc/meminfo", "r");
    char line[256];
    double kib = 0;
    while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1) {
            break;
        }
    }
    if (fp != NULL) {
        fclose(fp);
    }
    return kib * 1024.0;
}

void train_plan_make(const train_options *o, const gpt2_config *cfg, int ranks, train_plan *p)
{
    memset(p, 0, sizeof *p);
    p->steps = o->steps;
    p->B = o->B;
    p->T = o->T;
    p->grad_accum = o->grad_accum;
    p->ranks = ranks;
    p->micro_per_rank = o->grad_accum / ranks;
    p->tokens_per_step = (long long)o->B * o->T * o->grad_accum;
    p->total_tokens = p->tokens_per_step * o->steps;
    p->n_params = gpt2_param_count(cfg);
    double P = (double)p->n_params;
    p->params = 4 * P;
    p->grads = 4 * P;
    p->optimizer = 8 * P / ranks; /* ZeRO-1: this rank's share of the moments */
    p->accumulator = o->grad_accum == 1 ? 0
                     : p->micro_per_rank > 1 ? 8 * P
                                             : 8.0 * (double)GRAD_REDUCE_PIECE;
    p->activations = (double)gpt2_activation_bytes(cfg, o->B, o->T);
    p->total = p->params + p->grads + p->optimizer + p->accumulator + p->activations;
    p->available = mem_available();
    p->fits = p->available <= 0 || p->total <= p->available;
    p->micro_seconds = p->update_seconds = p->step_seconds = -1;
}

int train_plan_check_memory(const train_plan *p, lnf_error *err)
{
    if (p->fits) {
        return 0;
    }
    return lnf_fail(err, "the run needs %.1f GiB per rank (parameters %.1f, gradients %.1f, "
                    "optimizer %.1f, accumulator %.1f, activations %.1f at B=%d T=%d) but this "
                    "machine has %.1f GiB available: use a smaller --batch, more ranks, or a "
                    "larger machine", p->total / GIB, p->params / GIB, p->grads / GIB,
                    p->optimizer / GIB, p->accumulator / GIB, p->activations / GIB, p->B, p->T,
                    p->available / GIB);
}

int train_plan_measure(const train_options *o, const gpt2_config *cfg, train_plan *p,
                       lnf_error *err)
{
    if (!p->fits) {
        return 0; /* nothing measured: the memory would not fit */
    }
    gpt2 m;
    if (gpt2_create(&m, cfg, err) != 0) {
        return -1;
    }
    gpt2_init_random(&m, o->seed);
    size_t n = (size_t)o->B * o->T;
    int *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    int rc = x && y ? 0 : lnf_fail(err, "out of memory");
    rng_t r;
    rng_seed(&r, 1);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        x[i] = (int)(rng_next(&r) % (uint64_t)cfg->vocab_size);
        y[i] = (int)(rng_next(&r) % (uint64_t)cfg->vocab_size);
    }
    /* this rank's optimizer shard: 1/N of the parameters */
    optim_set_shard(&m, 0, m.n_params / (size_t)p->ranks);
    double t0 = lnf_now(), t1 = t0;
    if (rc == 0) {
        rc = gpt2_forward(&m, x, y, o->B, o->T, err);
    }
    if (rc == 0) {
        gpt2_zero_grad(&m);
        gpt2_backward(&m, 1.0f / (float)n);
        t1 = lnf_now();
        rc = optim_step(&m, &o->optim, o->optim.adam.lr, optim_grad_norm(&m), err);
    }
    if (rc == 0) {
        p->micro_seconds = t1 - t0;
        p->update_seconds = lnf_now() - t1;
        p->step_seconds = p->micro_per_rank * p->micro_seconds + p->update_seconds;
    }
    free(x);
    free(y);
    gpt2_free(&m);
    return rc;
}

json_t *train_plan_json(const train_options *o, const gpt2_config *cfg, const train_plan *p,
                        lnf_error *err)
{
    json_t *events = json_array();
    if (o->schedule != NULL) {
        schedule s;
        if (train_schedule_load(o, cfg->n_layer, &s, err) != 0) {
            json_decref(events);
            return NULL;
        }
        for (int i = 0; i < s.n; i++) {
            char text[48];
            schedule_event_text(&s.events[i], text, sizeof text);
            json_array_append_new(events, json_pack("{s:i, s:s}", "step", s.events[i].step,
                                                    "event", text));
        }
        schedule_free(&s);
    }
    lr_schedule lrs = {.max_lr = o->optim.adam.lr, .min_lr = o->min_lr, .warmup = o->warmup,
                       .total = o->steps};
    json_t *lr = json_pack("{s:f, s:f, s:i, s:s, s:[f,f,f,f]}", "peak", (double)o->optim.adam.lr,
                           "min", (double)o->min_lr, "warmup", o->warmup, "decay", "cosine",
                           "at_steps_0_warmup_half_last", (double)lr_at(&lrs, 0),
                           (double)lr_at(&lrs, o->warmup), (double)lr_at(&lrs, o->steps / 2),
                           (double)lr_at(&lrs, o->steps - 1));
    json_t *mem = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:b}", "params_gib",
                            p->params / GIB, "grads_gib", p->grads / GIB, "optimizer_gib",
                            p->optimizer / GIB, "accumulator_gib", p->accumulator / GIB,
                            "activations_gib", p->activations / GIB, "total_gib", p->total / GIB,
                            "available_gib", p->available / GIB, "fits", p->fits);
    json_t *time = p->step_seconds < 0
                       ? json_pack("{s:s}", "measured",
                                   p->fits ? "no (--no-measure)" : "no: it does not fit")
                       : json_pack("{s:f, s:f, s:f, s:f, s:f}", "micro_batch_s", p->micro_seconds,
                                   "update_s", p->update_seconds, "step_s", p->step_seconds,
                                   "total_h", p->step_seconds * p->steps / 3600.0, "tokens_per_s",
                                   (double)p->tokens_per_step / p->step_seconds);
    json_t *optimizer = json_pack("{s:f, s:f, s:f, s:f, s:f}", "weight_decay",
                                  (double)o->optim.adam.weight_decay, "beta1",
                                  (double)o->optim.adam.beta1, "beta2", (double)o->optim.adam.beta2,
                                  "eps", (double)o->optim.adam.eps, "clip", (double)o->optim.clip);
    return json_pack("{s:i, s:I, s:I, s:{s:i, s:i, s:i, s:i, s:i}, s:I, s:o, s:o, s:o, s:f, s:f, "
                     "s:b, s:o, s:o}",
                     "steps", p->steps, "tokens_per_step", (json_int_t)p->tokens_per_step,
                     "total_tokens", (json_int_t)p->total_tokens, "batch", "micro_batch", p->B,
                     "seq_len", p->T, "grad_accum", p->grad_accum, "ranks", p->ranks,
                     "micro_batches_per_rank", p->micro_per_rank, "parameters",
                     (json_int_t)p->n_params, "schedule", events, "lr", lr, "optimizer", optimizer,
                     "aux_weight",
                     (double)o->aux_weight, "sigma_momentum",
                     o->sigma_momentum > 0 ? o->sigma_momentum : 0.9, "sigma_pooled",
                     o->sigma_pooled, "memory_per_rank", mem, "time_on_this_machine", time);
}
