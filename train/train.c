#define _POSIX_C_SOURCE 200809L
#include "train/train.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/clock.h"
#include "base/fs.h"
#include "base/path.h"
#include "data/stream.h"
#include "model/checkpoint.h"
#include "model/eval.h"
#include "schedule/lr.h"
#include "schedule/schedule.h"
#include "schedule/sigma.h"
#include "train/grad_reduce.h"
#include "train/lossplot.h"
#include "train/metrics.h"
#include "train/plan.h"
#include "train/provenance.h"
#include "train/settings.h"
#include "train/train_state.h"
#include "model/domain_watch.h"

train_options train_defaults(void)
{
    return (train_options){.seed = 1337, .B = 8, .T = 128, .grad_accum = 1, .steps = 1000,
                           .optim = optim_defaults(), .min_lr = 6e-5f, .warmup = 100,
                           .val_every = 100, .val_batches = 8, .ckpt_every = 500,
                           .calib_batches = 8, .title = "lnfree"};
}

/* Everything the loop carries from step to step. */
typedef struct {
    const train_options *o;
    dist_ctx d;
    gpt2 m;
    token_stream train, val;
    schedule sched;
    sigma_tracker sigma;
    train_state state; /* step, next event, data start: what a resume restores */
    json_t *run_shape;
    metrics_log metrics;
    int lock_fd;
    int *x, *y;        /* [B,T] */
    size_t *starts;    /* [B]: the random windows of a micro-batch */
    size_t *shards;    /* [N+1]: rank r's optimizer shard is params [shards[r], shards[r+1]) */
    grad_reducer reducer; /* grad_accum > 1 only */
    double *slots;     /* [grad_accum][SLOT_SIZE]: each micro-batch's loss, aux loss, σ stats */
    size_t slot_size;
    json_t *prov;      /* rank 0: provenance.json of the checkpoints, but steps and outputs */
    domain_watch watch; /* this step's kernel inputs against the proven domain */
} run;

/* What one step computed, for the record. */
typedef struct {
    float lr, loss, aux;
    double norm;
    json_t *events; /* texts of the schedule events applied */
    /* seconds in the stages, and the bytes this rank sent to the collectives */
    double t_compute, t_reduce, t_update, t_gather;
    double bytes;
    int redone;     /* the gradient reduction had to redo the step */
} step_record;

static int is_root(const run *r) { return r->d.rank == 0; }

/* Each rank's optimizer shard: the n_params parameters cut into N near-equal pieces. */
static int plan_shards(run *r, size_t n_params, lnf_error *err)
{
    r->shards = malloc(((size_t)r->d.size + 1) * sizeof *r->shards);
    if (r->shards == NULL) {
        return lnf_fail(err, "out of memory");
    }
    for (int k = 0; k < r->d.size; k++) {
        dist_share(&r->d, n_params, k, &r->shards[k], &r->shards[k + 1]);
    }
    return 0;
}

/* ------------------------------------------------------------ checkpoints */

/* Every rank takes part (the AdamW moments are gathered to rank 0); rank 0
 * writes OUT/model.tmp and swaps it in. */
static int save_checkpoint(run *r, lnf_error *err)
{
    float *adam_m = NULL, *adam_v = NULL;
    int rc = 0;
    if (r->m.adam_m != NULL) {
        if (is_root(r)) {
            adam_m = malloc(r->m.n_params * sizeof(float));
            adam_v = malloc(r->m.n_params * sizeof(float));
            rc = adam_m && adam_v ? 0 : lnf_fail(err, "out of memory for the AdamW state");
        }
        if (rc == 0) {
            rc = dist_gather_floats(&r->d, r->m.adam_m, adam_m, r->shards, 0, err) != 0 ||
                         dist_gather_floats(&r->d, r->m.adam_v, adam_v, r->shards, 0, err) != 0
                     ? -1
                     : 0;
        }
    }
    lnf_path fresh, model_dir, svg;
    r->state.data_position =
        r->state.order == TRAIN_SEQUENTIAL
            ? (long long)stream_sequential_pos(r->train.n_tokens, r->state.data_start, r->o->B,
                                               r->o->T, (long long)r->state.step * r->o->grad_accum)
            : -1;
    r->state.n_exponents = r->reducer.exponent != NULL ? r->reducer.n_tensors : 0;
    r->state.exponents = r->reducer.exponent;
    if (rc == 0 && is_root(r)) {
        rc = path_join(&fresh, r->o->out_dir, "model.tmp", err) != 0 ||
                     path_join(&model_dir, r->o->out_dir, "model", err) != 0 ||
                     path_join(&svg, r->o->out_dir, "loss.svg", err) != 0 ||
                     fs_remove_flat_dir(fresh.s, err) != 0 ||
                     checkpoint_save(&r->m, fresh.s, err) != 0 ||
                     train_state_save(fresh.s, &r->state, &r->m, adam_m, adam_v, &r->sigma,
                                      r->run_shape, err) != 0 ||
                     json_object_set_new(r->prov, "steps_done", json_integer(r->state.step)) != 0 ||
                     prov_write(fresh.s, r->prov, err) != 0 ||
                     fs_replace_dir(model_dir.s, fresh.s, err) != 0 ||
                     lossplot_write(r->metrics.path.s, svg.s, r->o->title, err) != 0
                 ? -1
                 : 0;
    }
    r->state.exponents = NULL; /* the reducer owns them */
    r->state.n_exponents = 0;
    free(adam_m);
    free(adam_v);
    return rc;
}

/* Restores model, optimizer and loop state from OUT/model. Rank 0 first
 * repairs a checkpoint swap a crash interrupted; the others wait for it. */
static int load_checkpoint(run *r, lnf_error *err)
{
    lnf_path dir;
    if (path_join(&dir, r->o->out_dir, "model", err) != 0) {
        return -1;
    }
    int recovered = !is_root(r) || fs_dir_recover(dir.s, err) == 0;
    if (dist_bcast_int(&r->d, &recovered, err) != 0) {
        return -1;
    }
    if (!recovered) {
        return is_root(r) ? -1 : lnf_fail(err, "%s: rank 0 could not recover it", dir.s);
    }
    gpt2_config cfg;
    lnf_path config;
    if (path_join(&config, dir.s, "config.json", err) != 0 || config_load(&cfg, config.s, err) != 0 ||
        plan_shards(r, gpt2_param_count(&cfg), err) != 0 || checkpoint_load(&r->m, dir.s, err) != 0) {
        return -1;
    }
    optim_set_shard(&r->m, r->shards[r->d.rank], r->shards[r->d.rank + 1]);
    return train_state_load(dir.s, &r->state, &r->m, &r->sigma, r->run_shape, err);
}

/* ------------------------------------------------------------------ setup */

static int load_model(run *r, lnf_error *err)
{
    const train_options *o = r->o;
    if (o->resume) {
        return load_checkpoint(r, err);
    }
    if (o->model_dir != NULL) {
        if (checkpoint_load(&r->m, o->model_dir, err) != 0) {
            return -1;
        }
    } else {
        if (gpt2_create(&r->m, o->init, err) != 0) {
            return -1;
        }
        gpt2_init_random(&r->m, o->seed);
    }
    if (o->eot_kind != NULL) {
        ln_state_set_eot_kinds(&r->m.ln, o->eot_kind);
    }
    r->state.data_start = o->data_start;
    r->state.order = o->order;
    r->state.seed = o->seed;
    if (plan_shards(r, r->m.n_params, err) != 0) {
        return -1;
    }
    optim_set_shard(&r->m, r->shards[r->d.rank], r->shards[r->d.rank + 1]);
    return sigma_tracker_init(&r->sigma, r->m.cfg.n_layer, err);
}

static int open_data(run *r, lnf_error *err)
{
    const train_options *o = r->o;
    int V = r->m.cfg.vocab_size;
    long long need = (long long)o->B * o->T + 1;
    if (stream_open(&r->train, o->data_dir, "train", V, err) != 0) {
        return -1;
    }
    if (o->val_path == NULL && stream_open_split(&r->val, o->data_dir, "val", V, err) != 0) {
        lnf_error inner = *err;
        return lnf_fail(err, "%s (give --val for a training file)", inner.msg);
    }
    if (o->val_path != NULL && stream_open(&r->val, o->val_path, "val", V, err) != 0) {
        return -1;
    }
    if ((long long)r->train.n_tokens < need || (long long)r->val.n_tokens < need) {
        return lnf_fail(err, "%s: the training and validation tokens need at least B·T+1 = %lld "
                        "tokens each (%zu and %zu)", o->data_dir, need, r->train.n_tokens,
                        r->val.n_tokens);
    }
    return 0;
}

int train_schedule_load(const train_options *o, int n_layer, schedule *s, lnf_error *err)
{
    int span = o->schedule_span > 0 ? o->schedule_span : o->steps;
    return o->schedule_plan != NULL
               ? schedule_from_plan(s, o->schedule_plan, n_layer, span, o->schedule, err)
               : schedule_load(s, o->schedule, n_layer, span, err);
}

static int load_schedule(run *r, lnf_error *err)
{
    const train_options *o = r->o;
    if (o->schedule == NULL) {
        return 0;
    }
    if (train_schedule_load(o, r->m.cfg.n_layer, &r->sched, err) != 0) {
        return -1;
    }
    if (schedule_last_step(&r->sched) >= o->steps) {
        return lnf_fail(err, "schedule '%s' for %d layers ends at step %d, past the budget of %d "
                        "steps: give more steps", o->schedule, r->m.cfg.n_layer,
                        schedule_last_step(&r->sched), o->steps);
    }
    return 0;
}

/* ------------------------------------------------------------- provenance */

/* The inputs of this run that can be hashed now: the base model (a fresh run
 * from a directory), the token streams, the schedule file. */
static int add_inputs(const run *r, json_t *inputs, lnf_error *err)
{
    const train_options *o = r->o;
    struct stat st;
    json_t *model = o->model_dir != NULL && !o->resume ? prov_model_input(o->model_dir, err)
                                                       : json_null();
    json_t *train = prov_stream_input(&r->train, o->data_dir, err);
    json_t *val = train != NULL ? prov_stream_input(&r->val, o->val_path != NULL ? o->val_path
                                                                                : o->data_dir,
                                                    err)
                                : NULL;
    int schedule_file = o->schedule != NULL && o->schedule_plan == NULL &&
                        stat(o->schedule, &st) == 0 && S_ISREG(st.st_mode);
    json_t *sched = schedule_file && val != NULL ? prov_file_input(o->schedule, err) : json_null();
    if (model == NULL || train == NULL || val == NULL || sched == NULL) {
        json_decref(model);
        json_decref(train);
        json_decref(val);
        json_decref(sched);
        return -1;
    }
    if (!json_is_null(model)) {
        json_object_set(inputs, "model", model);
    }
    json_object_set(inputs, "train_data", train);
    json_object_set(inputs, "val_data", val);
    if (!json_is_null(sched)) {
        json_object_set(inputs, "schedule", sched);
    }
    json_decref(model);
    json_decref(train);
    json_decref(val);
    json_decref(sched);
    return 0;
}

/* Settings a resume may give differently without changing the run: where the
 * inputs are, and what only the first start uses. */
static int resume_may_differ(const char *key)
{
    static const char *const keys[] = {"model", "init", "data", "val", "title", "eot_sites", "seed"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A resumed run continues the record in OUT/model/provenance.json: its
 * inputs must hash as they did; the resume is noted, with any setting that
 * changed (which `lnfree reproduce` then refuses to re-run). */
static int continue_provenance(run *r, json_t *inputs, json_t *settings, lnf_error *err)
{
    lnf_path dir;
    if (path_join(&dir, r->o->out_dir, "model", err) != 0) {
        return -1;
    }
    json_t *old = prov_read(dir.s, err);
    if (old == NULL) {
        return -1;
    }
    json_t *old_inputs = json_object_get(old, "inputs"), *old_settings = json_object_get(old, "settings");
    const char *key;
    json_t *v;
    json_object_foreach(inputs, key, v) {
        json_t *was = json_object_get(json_object_get(old_inputs, key), "files");
        if (!json_equal(was, json_object_get(v, "files"))) {
            json_decref(old);
            return lnf_fail(err, "cannot resume: the %s input (%s) is not what the run began "
                            "with (its files' sha256 differ from %s/provenance.json)", key,
                            json_string_value(json_object_get(v, "path")), dir.s);
        }
    }
    json_t *changed = json_object();
    json_object_foreach(settings, key, v) {
        json_t *was = json_object_get(old_settings, key);
        if (!resume_may_differ(key) && !json_equal(was, v)) {
            json_object_set_new(changed, key, json_pack("[O?,O]", was, v));
        }
    }
    if (r->o->resume_exact && json_object_size(changed) > 0) {
        const char *first = NULL;
        json_object_foreach(changed, key, v) {
            first = first == NULL ? key : first;
        }
        char *was = json_dumps(json_array_get(json_object_get(changed, first), 0), JSON_ENCODE_ANY);
        char *now = json_dumps(json_array_get(json_object_get(changed, first), 1), JSON_ENCODE_ANY);
        lnf_fail(err, "cannot resume %s: its run has %s = %s, this one %s (%zu setting%s differ)",
                 dir.s, first, was != NULL ? was : "null", now != NULL ? now : "?",
                 json_object_size(changed), json_object_size(changed) > 1 ? "s" : "");
        free(was);
        free(now);
        json_decref(changed);
        json_decref(old);
        return -1;
    }
    json_t *resumes = json_object_get(old, "resumes");
    if (!json_is_array(resumes)) {
        resumes = json_array();
        json_object_set_new(old, "resumes", resumes);
    }
    json_array_append_new(resumes, json_pack("{s:i, s:o, s:o}", "at_step", r->state.step,
                                             "settings_changed", changed, "environment",
                                             prov_environment(r->d.size)));
    r->prov = old;
    return 0;
}

/* Rank 0: what every checkpoint's provenance.json records of this run (the
 * steps done and the outputs are added at each checkpoint). */
static int begin_provenance(run *r, lnf_error *err)
{
    if (!is_root(r)) {
        return 0;
    }
    const train_options *o = r->o;
    json_t *inputs = json_object(), *settings = train_settings_json(o);
    int rc = add_inputs(r, inputs, err);
    if (rc == 0 && o->resume) {
        rc = continue_provenance(r, inputs, settings, err);
    } else if (rc == 0) {
        r->prov = json_pack("{s:s, s:i, s:s, s:O?, s:O, s:O, s:o}", "format",
                            "lnfree-provenance", "version", 1, "command",
                            o->command != NULL ? o->command : "train", "origin", o->origin,
                            "settings", settings, "inputs", inputs, "environment",
                            prov_environment(r->d.size));
        rc = r->prov != NULL ? 0 : lnf_fail(err, "cannot build the provenance record");
    }
    json_decref(inputs);
    json_decref(settings);
    return rc;
}

/* The per-micro-batch record: loss, aux loss, then σ statistics. */
enum { SLOT_LOSS = 0, SLOT_AUX = 1, SLOT_SIGMA = 2 };

static int alloc_step_buffers(run *r, lnf_error *err)
{
    const train_options *o = r->o;
    r->x = malloc((size_t)o->B * o->T * sizeof(int));
    r->y = malloc((size_t)o->B * o->T * sizeof(int));
    r->starts = malloc((size_t)o->B * sizeof(size_t));
    r->slot_size = SLOT_SIGMA + sigma_stats_size(&r->sigma);
    r->slots = malloc((size_t)o->grad_accum * r->slot_size * sizeof(double));
    if (r->x == NULL || r->y == NULL || r->starts == NULL || r->slots == NULL) {
        return lnf_fail(err, "out of memory");
    }
    if (o->grad_accum == 1) {
        return 0; /* one micro-batch: its gradient is the step's, no reduction */
    }
    if (grad_reduce_init(&r->reducer, &r->m, o->grad_accum, o->grad_accum / r->d.size, err) != 0) {
        return -1;
    }
    if (r->state.n_exponents == r->m.n_tensors) {
        memcpy(r->reducer.exponent, r->state.exponents,
               (size_t)r->m.n_tensors * sizeof *r->state.exponents);
    }
    train_state_free(&r->state); /* from here on the reducer holds them */
    return 0;
}

/* ----------------------------------------------------------------- stages */

/* The k-th batch of the training stream into x, y: B random windows drawn
 * from (seed, k), or the k-th sequential batch. */
static int draw_batch(run *r, long long k, lnf_error *err)
{
    const train_options *o = r->o;
    if (r->state.order == TRAIN_SEQUENTIAL) {
        size_t pos = stream_sequential_pos(r->train.n_tokens, r->state.data_start, o->B, o->T, k);
        return stream_batch(&r->train, pos, o->B, o->T, r->x, r->y, err);
    }
    stream_random_rows(r->train.n_tokens, r->state.seed, k, o->B, o->T, r->starts);
    return stream_rows(&r->train, r->starts, o->B, o->T, r->x, r->y, err);
}

/* Fails, at step `step`, when a kernel call has left the proven domain. */
static int check_domain(const run *r, lnf_error *err)
{
    if (dw_check(&r->watch, err) == 0) {
        return 0;
    }
    lnf_error why = *err;
    return lnf_fail(err, "step %d: %s; stopping, the last good checkpoint in %s/model is kept",
                    r->state.step, why.msg, r->o->out_dir);
}

/* σ calibration: forwards over the stream's first batches, before any update
 * (every rank does all of them, and so holds the same σ). */
static int calibrate(run *r, lnf_error *err)
{
    for (int b = 0; b < r->o->calib_batches; b++) {
        if (draw_batch(r, b, err) != 0 ||
            gpt2_forward(&r->m, r->x, NULL, r->o->B, r->o->T, err) != 0 ||
            check_domain(r, err) != 0) {
            return -1;
        }
        sigma_tracker_update(&r->sigma, &r->m);
    }
    return 0;
}

/* The schedule events due at this step; their texts go into rec->events. */
static int apply_events(run *r, step_record *rec, lnf_error *err)
{
    while (r->state.next_event < r->sched.n &&
           r->sched.events[r->state.next_event].step <= r->state.step) {
        const schedule_event *e = &r->sched.events[r->state.next_event++];
        char text[48];
        schedule_event_text(e, text, sizeof text);
        json_array_append_new(rec->events, json_string(text));
        if (e->action == ACTION_END_EOT) {
            ln_state_end_special(&r->m.ln, LN_SPECIAL_EOT);
        } else if (e->action == ACTION_END_BOS) {
            ln_state_end_special(&r->m.ln, LN_SPECIAL_BOS);
        } else if (sigma_tracker_freeze(&r->sigma, &r->m,
                                        ln_site_index(&r->m.ln, e->layer, e->kind), err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Forward and backward of micro-batch `micro` of this step: its gradient is
 * added (+=) into the model's, scaled for the mean over the whole step; its
 * loss and σ statistics go to its slot. */
static int forward_backward(run *r, int micro, lnf_error *err)
{
    const train_options *o = r->o;
    double *slot = r->slots + (size_t)micro * r->slot_size;
    if (draw_batch(r, (long long)r->state.step * o->grad_accum + micro, err) != 0 ||
        gpt2_forward(&r->m, r->x, r->y, o->B, o->T, err) != 0) {
        return -1;
    }
    if (o->schedule != NULL) {
        sigma_measure(&r->sigma, &r->m, slot + SLOT_SIGMA);
    }
    gpt2_backward(&r->m, 1.0f / ((float)o->B * o->T * o->grad_accum));
    if (check_domain(r, err) != 0) {
        return -1;
    }
    slot[SLOT_LOSS] = r->m.mean_loss;
    slot[SLOT_AUX] = r->m.aux_loss;
    return 0;
}

/* This rank's micro-batches r, r+N, …, and the step's gradient from all of
 * them: a single micro-batch's gradient as it is, else the exact sum
 * (grad_reduce.h), redone with larger exponents when one overflowed. */
static int compute_gradients(run *r, step_record *rec, lnf_error *err)
{
    const train_options *o = r->o;
    int redo = 0;
    do {
        double t0 = lnf_now();
        memset(r->slots, 0, (size_t)o->grad_accum * r->slot_size * sizeof(double));
        if (o->grad_accum > 1) {
            grad_reduce_begin(&r->reducer);
        }
        for (int micro = r->d.rank; micro < o->grad_accum; micro += r->d.size) {
            gpt2_zero_grad(&r->m);
            if (forward_backward(r, micro, err) != 0) {
                return -1;
            }
            if (o->grad_accum > 1) {
                grad_reduce_add(&r->reducer, &r->m);
            }
        }
        double t1 = lnf_now();
        rec->t_compute += t1 - t0;
        if (o->grad_accum > 1) {
            if (grad_reduce_finish(&r->reducer, &r->d, &r->m, &redo, err) != 0) {
                return -1;
            }
            rec->bytes += (double)(r->m.n_tensors + 1) * sizeof(int) +
                          (redo ? 0.0 : (double)r->m.n_params * sizeof(int64_t));
            rec->redone += redo;
        }
        rec->t_reduce += lnf_now() - t1;
    } while (redo);
    return 0;
}

/* The step's losses and σ statistics, from every micro-batch's slot, folded
 * in micro-batch order (each slot is filled by one rank: the sum over ranks
 * is exact). */
static int reduce_statistics(run *r, step_record *rec, lnf_error *err)
{
    const train_options *o = r->o;
    double t0 = lnf_now();
    if (dist_sum_slots(&r->d, r->slots, (size_t)o->grad_accum * r->slot_size, err) != 0) {
        return -1;
    }
    rec->bytes += (double)o->grad_accum * r->slot_size * sizeof(double);
    rec->t_reduce += lnf_now() - t0;
    for (int micro = 0; micro < o->grad_accum; micro++) {
        const double *slot = r->slots + (size_t)micro * r->slot_size;
        rec->loss += (float)slot[SLOT_LOSS] / o->grad_accum;
        rec->aux += (float)slot[SLOT_AUX] / o->grad_accum;
        if (o->schedule != NULL) {
            sigma_fold(&r->sigma, slot + SLOT_SIGMA);
        }
    }
    rec->norm = optim_grad_norm(&r->m);
    return 0;
}

/* AdamW on this rank's shard, then every rank gets every shard. */
static int optimizer_step(run *r, step_record *rec, lnf_error *err)
{
    if (!isfinite(rec->loss) || !isfinite(rec->norm)) {
        return lnf_fail(err, "step %d: the loss (%g) or gradient norm (%g) is not finite; "
                        "stopping, the last good checkpoint in %s/model is kept", r->state.step,
                        (double)rec->loss, rec->norm, r->o->out_dir);
    }
    double t0 = lnf_now();
    if (optim_step(&r->m, &r->o->optim, rec->lr, rec->norm, err) != 0) {
        /* the step's inputs left the domain (domain_watch), or out of memory */
        return r->watch.bad >= 0 ? check_domain(r, err) : -1;
    }
    double t1 = lnf_now();
    rec->t_update = t1 - t0;
    if (dist_allgather_floats(&r->d, r->m.params, r->shards, err) != 0) {
        return -1;
    }
    rec->t_gather = lnf_now() - t1;
    if (r->d.size > 1) {
        rec->bytes += (double)r->m.adam_n * sizeof(float);
    }
    return 0;
}

/* Mean loss over the first val_batches·B·T tokens of val.bin. */
static int validate(run *r, float *loss, lnf_error *err)
{
    eval_result er;
    r->m.watch = NULL; /* rank 0 only: the margins are the training step's */
    int rc = eval_tokens(&r->m, NULL, &r->val, r->o->T, r->o->B,
                         (long long)r->o->val_batches * r->o->B * r->o->T, &er, err);
    r->m.watch = &r->watch;
    *loss = (float)er.mean;
    return rc;
}

static json_t *metrics_line(const run *r, const step_record *rec, float val, double tok_s)
{
    json_t *line = json_pack("{s:i, s:f}", "step", r->state.step - 1, "loss", (double)rec->loss);
    if (r->m.aux_weight > 0.0f) {
        json_object_set_new(line, "aux_loss", json_real(rec->aux));
    }
    json_object_set_new(line, "lr", json_real(rec->lr));
    json_object_set_new(line, "grad_norm", json_real(rec->norm));
    json_object_set_new(line, "tokens_per_s", json_real(tok_s));
    if (!isnan(val)) {
        json_object_set_new(line, "val_loss", json_real(val));
    }
    if (json_array_size(rec->events) > 0) {
        json_object_set(line, "events", rec->events);
    }
    /* rank 0's view of where the step's time went (train.h: stages) */
    json_object_set_new(line, "time", json_pack("{s:f, s:f, s:f, s:f}", "compute", rec->t_compute,
                                                "reduce", rec->t_reduce, "update", rec->t_update,
                                                "gather", rec->t_gather));
    if (r->d.size > 1 || r->o->grad_accum > 1) {
        json_object_set_new(line, "bytes_sent", json_real(rec->bytes));
    }
    if (rec->redone) {
        json_object_set_new(line, "reduction_redone", json_integer(rec->redone));
    }
    json_object_set_new(line, "ranks", json_integer(r->d.size));
    /* per kernel, the input nearest its proven bound over all ranks */
    json_object_set_new(line, "domain", dw_margins_json(&r->watch));
    return line;
}

/* After the update: on rank 0, validation when due, the metrics line and the
 * progress report; the checkpoint when due (every rank takes part). */
static int record(run *r, const step_record *rec, double t0, train_result *res, lnf_error *err)
{
    const train_options *o = r->o;
    int step = ++r->state.step;
    float val = NAN;
    int last = step == o->steps || step == o->stop_at;
    if (dist_max_floats(&r->d, r->watch.seen, DW_INPUTS, err) != 0) {
        return -1;
    }
    if (is_root(r) && (last || step % o->val_every == 0) && validate(r, &val, err) != 0) {
        return -1;
    }
    if (!isnan(val)) {
        res->final_val_loss = val;
    }
    double dt = lnf_now() - t0, tok_s = (double)o->B * o->T * o->grad_accum / dt;
    res->final_train_loss = rec->loss;
    res->tokens += (long long)o->B * o->T * o->grad_accum;
    int rc = 0;
    if (is_root(r)) {
        json_t *line = metrics_line(r, rec, val, tok_s);
        rc = metrics_append(&r->metrics, line, err);
        json_decref(line);
        if (o->progress != NULL) {
            train_progress p = {.step = step, .steps = o->steps, .loss = rec->loss,
                                .val_loss = val, .tokens_per_s = tok_s,
                                .eta_s = dt * (o->steps - step)};
            o->progress(&p, o->progress_ctx);
        }
    }
    if (rc == 0 && (last || step % o->ckpt_every == 0)) {
        rc = save_checkpoint(r, err);
    }
    return rc;
}

static int train_step(run *r, const lr_schedule *lrs, train_result *res, lnf_error *err)
{
    double t0 = lnf_now();
    step_record rec = {.lr = lr_at(lrs, r->state.step), .events = json_array()};
    dw_reset(&r->watch);
    int rc = apply_events(r, &rec, err);
    if (rc == 0) {
        rc = compute_gradients(r, &rec, err);
    }
    if (rc == 0) {
        rc = reduce_statistics(r, &rec, err);
    }
    if (rc == 0) {
        rc = optimizer_step(r, &rec, err);
    }
    if (rc == 0) {
        rc = record(r, &rec, t0, res, err);
    }
    json_decref(rec.events);
    return rc;
}

static int check_options(const train_options *o, const dist_ctx *d, lnf_error *err)
{
    if (o->B <= 0 || o->T <= 0 || o->grad_accum <= 0 || o->steps <= 0 || o->val_every <= 0 ||
        o->val_batches <= 0 || o->ckpt_every <= 0 || o->warmup < 0 || o->calib_batches <= 0 ||
        o->stop_at < 0 || o->schedule_span < 0 || o->data_start < 0) {
        return lnf_fail(err, "batch, steps, intervals and counts must be positive");
    }
    if (o->grad_accum % d->size != 0) {
        return lnf_fail(err, "--grad-accum %d is not a multiple of the %d ranks: every rank "
                        "computes the same number of micro-batches per step", o->grad_accum,
                        d->size);
    }
    if (optim_check(&o->optim, err) != 0) {
        return -1;
    }
    if (!(o->min_lr >= 0) || !(o->aux_weight >= 0)) {
        return lnf_fail(err, "the final learning rate and the aux weight must be ≥ 0");
    }
    if ((o->model_dir == NULL) == (o->init == NULL) && !o->resume) {
        return lnf_fail(err, "give exactly one of a model directory or an init config");
    }
    return 0;
}

static void free_run(run *r)
{
    metrics_close(&r->metrics);
    fs_unlock_dir(r->lock_fd);
    free(r->x);
    free(r->y);
    free(r->starts);
    free(r->shards);
    free(r->slots);
    grad_reduce_free(&r->reducer);
    train_state_free(&r->state);
    schedule_free(&r->sched);
    sigma_tracker_free(&r->sigma);
    stream_close(&r->train);
    stream_close(&r->val);
    gpt2_free(&r->m);
    json_decref(r->run_shape);
    json_decref(r->prov);
}

/* Refuses, before anything is allocated, a run whose memory cannot fit
 * (train/plan.h), from the config of the model it will start from. */
static int check_memory(run *r, lnf_error *err)
{
    const train_options *o = r->o;
    gpt2_config cfg;
    lnf_path config;
    if (o->init != NULL && !o->resume) {
        cfg = *o->init;
    } else if ((o->resume ? path_fmt(&config, err, "%s/model/config.json", o->out_dir)
                          : path_join(&config, o->model_dir, "config.json", err)) != 0 ||
               config_load(&cfg, config.s, err) != 0) {
        /* a resume whose checkpoint swap a crash interrupted: load_checkpoint
         * repairs it first, and reports what is wrong */
        return o->resume ? 0 : -1;
    }
    train_plan plan;
    train_plan_make(o, &cfg, r->d.size, &plan);
    return train_plan_check_memory(&plan, err);
}

/* Rank 0 owns OUT: it creates it, locks it and opens the metrics log. */
static int claim_out_dir(run *r, lnf_error *err)
{
    if (!is_root(r)) {
        return 0;
    }
    return fs_ensure_dir(r->o->out_dir, err) != 0 ||
                   fs_lock_dir(r->o->out_dir, &r->lock_fd, err) != 0
               ? -1
               : 0;
}

int train_run(const train_options *o, train_result *res, lnf_error *err)
{
    memset(res, 0, sizeof *res);
    run r = {.o = o, .d = o->dist != NULL ? *o->dist : dist_single(), .lock_fd = -1};
    if (check_options(o, &r.d, err) != 0) {
        return -1;
    }
    double momentum = o->sigma_momentum > 0 ? o->sigma_momentum : SIGMA_MOMENTUM;
    r.run_shape = train_state_run_shape(o->B, o->T, o->grad_accum, o->schedule, momentum,
                                        o->sigma_pooled);
    double t0 = lnf_now();
    int rc = check_memory(&r, err);
    if (rc == 0) {
        rc = claim_out_dir(&r, err);
    }
    if (rc == 0) {
        rc = load_model(&r, err);
    }
    if (rc == 0) {
        r.m.aux_weight = o->aux_weight;
        dw_reset(&r.watch);
        r.m.watch = &r.watch;
        r.sigma.momentum = momentum;
        r.sigma.pooled = o->sigma_pooled;
        if (o->sigma_pooled && !o->resume) {
            /* one σ for every token: no special cases from the start */
            ln_state_end_special(&r.m.ln, LN_SPECIAL_BOS);
            ln_state_end_special(&r.m.ln, LN_SPECIAL_EOT);
        }
        rc = open_data(&r, err);
    }
    if (rc == 0) {
        /* a resume's settings too: --lr may change */
        rc = dw_check_settings(&o->optim.adam, o->optim.clip, o->steps,
                               r.m.cfg.layer_norm_epsilon, err);
    }
    if (rc == 0) {
        rc = load_schedule(&r, err);
    }
    if (rc == 0) {
        rc = begin_provenance(&r, err);
    }
    if (rc == 0) {
        rc = alloc_step_buffers(&r, err);
    }
    if (rc == 0 && o->schedule != NULL && !o->resume) {
        rc = calibrate(&r, err);
    }
    if (rc == 0 && is_root(&r)) {
        rc = metrics_open(&r.metrics, o->out_dir, o->resume, r.state.step, err);
    }
    lr_schedule lrs = {.max_lr = o->optim.adam.lr, .min_lr = o->min_lr, .warmup = o->warmup,
                       .total = o->steps};
    int end = o->stop_at > 0 && o->stop_at < o->steps ? o->stop_at : o->steps;
    while (rc == 0 && r.state.step < end) {
        rc = train_step(&r, &lrs, res, err);
    }
    res->steps_done = r.state.step;
    res->seconds = lnf_now() - t0;
    free_run(&r);
    return rc;
}
