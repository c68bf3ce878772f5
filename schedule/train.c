#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "adamw.h"
#include "checkpoint.h"
#include "fsutil.h"
#include "lossplot.h"
#include "lr.h"
#include "schedule.h"
#include "sigma.h"
#include "tokens.h"

train_options train_defaults(void)
{
    return (train_options){.seed = 1337, .B = 8, .T = 128, .grad_accum = 1, .steps = 1000,
                           .max_lr = 6e-4f, .min_lr = 6e-5f, .warmup = 100,
                           .weight_decay = 0.1f, .clip = 1.0f, .beta1 = 0.9f, .beta2 = 0.95f,
                           .eps = 1e-8f, .val_every = 100, .val_batches = 8, .ckpt_every = 500,
                           .calib_batches = 8, .title = "lnfree"};
}

/* Everything the loop carries from step to step. */
typedef struct {
    const train_options *o;
    gpt2 m;
    token_file train, val;
    schedule sched;
    sigma_tracker sigma;
    int next_event;   /* index of the first schedule event not yet applied */
    int step;         /* optimizer steps done */
    long long pos;    /* next token of train.bin to read */
    int *x, *y;       /* [B,T] */
    char path[4096];  /* scratch for file names */
} run;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *out_file(run *r, const char *name)
{
    snprintf(r->path, sizeof r->path, "%s/%s", r->o->out_dir, name);
    return r->path;
}

/* x, y for the B×T window at *pos of f (y shifted by one); *pos advances and
 * wraps to the start when the next window would not fit. */
static void fill_batch(const token_file *f, long long *pos, int *x, int *y, int B, int T)
{
    long long need = (long long)B * T + 1;
    if (*pos + need > (long long)f->n_tokens) {
        *pos = 0;
    }
    for (long long i = 0; i < (long long)B * T; i++) {
        x[i] = tokens_at(f, (size_t)(*pos + i));
        y[i] = tokens_at(f, (size_t)(*pos + i + 1));
    }
    *pos += (long long)B * T;
}

/* Mean loss over the first val_batches windows of val.bin. */
static int validate(run *r, float *loss, lnf_error *err)
{
    long long pos = 0;
    double sum = 0.0;
    for (int b = 0; b < r->o->val_batches; b++) {
        fill_batch(&r->val, &pos, r->x, r->y, r->o->B, r->o->T);
        if (gpt2_forward(&r->m, r->x, r->y, r->o->B, r->o->T, err) != 0) {
            return -1;
        }
        sum += r->m.mean_loss;
    }
    *loss = (float)(sum / r->o->val_batches);
    return 0;
}

/* ------------------------------------------------------------ checkpoints */

static json_t *sigma_to_json(const sigma_tracker *t)
{
    json_t *arr = json_array();
    for (int i = 0; i < t->n_records; i++) {
        const sigma_record *s = &t->rec[i];
        json_array_append_new(arr, json_pack("{s:[f,f,f], s:[b,b,b], s:b}", "value", s->value[0],
                                             s->value[1], s->value[2], "seen", s->seen[0],
                                             s->seen[1], s->seen[2], "frozen", s->frozen));
    }
    return arr;
}

static int sigma_from_json(sigma_tracker *t, json_t *arr, const char *path, lnf_error *err)
{
    if (!json_is_array(arr) || (int)json_array_size(arr) != t->n_records) {
        return lnf_fail(err, "%s: \"sigma\" must list %d records", path, t->n_records);
    }
    for (int i = 0; i < t->n_records; i++) {
        json_t *rec = json_array_get(arr, (size_t)i);
        json_t *v = json_object_get(rec, "value"), *s = json_object_get(rec, "seen");
        if (json_array_size(v) != 3 || json_array_size(s) != 3) {
            return lnf_fail(err, "%s: sigma record %d is malformed", path, i);
        }
        for (int c = 0; c < 3; c++) {
            t->rec[i].value[c] = json_number_value(json_array_get(v, (size_t)c));
            t->rec[i].seen[c] = json_is_true(json_array_get(s, (size_t)c));
        }
        t->rec[i].frozen = json_is_true(json_object_get(rec, "frozen"));
    }
    return 0;
}

/* The settings a resumed run must share with the run it continues. */
static json_t *run_shape(const train_options *o)
{
    return json_pack("{s:i, s:i, s:i, s:s?}", "B", o->B, "T", o->T, "grad_accum", o->grad_accum,
                     "schedule", o->schedule);
}

static int save_checkpoint(run *r, lnf_error *err)
{
    char fresh[4096], model_dir[4096];
    snprintf(model_dir, sizeof model_dir, "%s/model", r->o->out_dir);
    snprintf(fresh, sizeof fresh, "%s/model.tmp", r->o->out_dir);
    if (remove_flat_dir(fresh, err) != 0 || checkpoint_save(&r->m, fresh, err) != 0) {
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", fresh);
    int64_t n = (int64_t)r->m.n_params;
    st_entry adam[2] = {
        {.name = "adam.m", .dtype = ST_F32, .ndim = 1, .shape = {n}, .data = r->m.adam_m},
        {.name = "adam.v", .dtype = ST_F32, .ndim = 1, .shape = {n}, .data = r->m.adam_v},
    };
    if (r->m.adam_m != NULL && st_write(path, adam, 2, err) != 0) {
        return -1;
    }
    json_t *state = json_pack("{s:s, s:i, s:i, s:i, s:I, s:i, s:o, s:o}", "format",
                              "lnfree-train-state", "version", 1, "step", r->step, "adam_step",
                              r->m.adam_step, "data_position", (json_int_t)r->pos, "next_event",
                              r->next_event, "sigma", sigma_to_json(&r->sigma), "run",
                              run_shape(r->o));
    char *text = json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(state);
    snprintf(path, sizeof path, "%s/train_state.json", fresh);
    int rc = text != NULL ? write_file_atomic(path, text, strlen(text), err)
                          : lnf_fail(err, "%s: cannot serialise", path);
    free(text);
    if (rc == 0) {
        rc = replace_dir(model_dir, fresh, err);
    }
    if (rc == 0) {
        char metrics[4096];
        snprintf(metrics, sizeof metrics, "%s", out_file(r, "metrics.jsonl"));
        rc = lossplot_write(metrics, out_file(r, "loss.svg"), r->o->title, err);
    }
    return rc;
}

/* Restores model, optimizer and loop state from OUT/model. */
static int load_checkpoint(run *r, lnf_error *err)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/model", r->o->out_dir);
    if (dir_recover(dir, err) != 0 || checkpoint_load(&r->m, dir, err) != 0) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/train_state.json", dir);
    json_error_t jerr;
    json_t *st = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (st == NULL) {
        return lnf_fail(err, "%s: cannot resume: %s", path, jerr.text);
    }
    int rc = 0;
    json_t *shape = run_shape(r->o);
    if (!json_equal(json_object_get(st, "run"), shape)) {
        rc = lnf_fail(err, "%s: cannot resume with a different B, T, grad_accum or schedule",
                      path);
    } else if (sigma_tracker_init(&r->sigma, r->m.cfg.n_layer, err) != 0 ||
               sigma_from_json(&r->sigma, json_object_get(st, "sigma"), path, err) != 0) {
        rc = -1;
    } else {
        r->step = (int)json_integer_value(json_object_get(st, "step"));
        r->m.adam_step = (int)json_integer_value(json_object_get(st, "adam_step"));
        r->pos = (long long)json_integer_value(json_object_get(st, "data_position"));
        r->next_event = (int)json_integer_value(json_object_get(st, "next_event"));
    }
    json_decref(shape);
    json_decref(st);
    if (rc == 0 && r->m.adam_step > 0) {
        st_file f;
        size_t n = r->m.n_params;
        snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
        r->m.adam_m = malloc(n * sizeof(float));
        r->m.adam_v = malloc(n * sizeof(float));
        if (r->m.adam_m == NULL || r->m.adam_v == NULL) {
            return lnf_fail(err, "out of memory for the AdamW state");
        }
        if (st_open(&f, path, err) != 0) {
            return -1;
        }
        rc = st_read_f32(&f, "adam.m", r->m.adam_m, n, 1, err) ||
                     st_read_f32(&f, "adam.v", r->m.adam_v, n, 1, err)
                 ? -1
                 : 0;
        st_close(&f);
    }
    return rc;
}

/* Drops metrics lines of steps a resumed run will redo (the run may have gone
 * past its last checkpoint before it stopped). */
static int truncate_metrics(run *r, lnf_error *err)
{
    const char *path = out_file(r, "metrics.jsonl");
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return 0;
    }
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    char *all = malloc((size_t)size + 1), *kept = malloc((size_t)size + 1);
    size_t got = all != NULL ? fread(all, 1, (size_t)size, fp) : 0;
    fclose(fp);
    if (all == NULL || kept == NULL || got != (size_t)size) {
        free(all);
        free(kept);
        return lnf_fail(err, "%s: cannot read", path);
    }
    all[size] = '\0';
    size_t len = 0;
    for (char *save = NULL, *line = strtok_r(all, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *o = json_loads(line, 0, NULL);
        if (o != NULL && json_integer_value(json_object_get(o, "step")) < r->step) {
            len += (size_t)sprintf(kept + len, "%s\n", line);
        }
        json_decref(o);
    }
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int rc = write_file_atomic(copy, kept, len, err);
    free(all);
    free(kept);
    return rc;
}

/* ------------------------------------------------------------------ setup */

static int parse_eot_sites(ln_state *ln, const char *list, lnf_error *err)
{
    if (list == NULL) {
        return 0;
    }
    memset(ln->eot_kind, 0, sizeof ln->eot_kind);
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int k = 0; k < SITE_KINDS; k++) {
            if (strcmp(tok, site_kind_name((site_kind)k)) == 0) {
                ln->eot_kind[k] = found = 1;
            }
        }
        if (!found) {
            return lnf_fail(err, "--eot-sites: '%s' is not one of ln1qk, ln1v, ln2, lnf", tok);
        }
    }
    return 0;
}

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
        gpt2_config cfg;
        int from_file = strchr(o->init_config, '/') != NULL || strstr(o->init_config, ".json");
        if ((from_file ? config_load(&cfg, o->init_config, err)
                       : config_preset(&cfg, o->init_config, err)) != 0 ||
            gpt2_create(&r->m, &cfg, err) != 0) {
            return -1;
        }
        gpt2_init_random(&r->m, o->seed);
    }
    return sigma_tracker_init(&r->sigma, r->m.cfg.n_layer, err);
}

static int open_data(run *r, lnf_error *err)
{
    char path[4096];
    int V = r->m.cfg.vocab_size;
    long long need = (long long)r->o->B * r->o->T + 1;
    snprintf(path, sizeof path, "%s/train.bin", r->o->data_dir);
    if (tokens_open(&r->train, path, TOKENS_AUTO, V, err) != 0) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/val.bin", r->o->data_dir);
    if (tokens_open(&r->val, path, TOKENS_AUTO, V, err) != 0) {
        return -1;
    }
    if ((long long)r->train.n_tokens < need || (long long)r->val.n_tokens < need) {
        return lnf_fail(err, "%s: train.bin and val.bin need at least B·T+1 = %lld tokens each",
                        r->o->data_dir, need);
    }
    return 0;
}

/* ------------------------------------------------------------------- loop */

/* Applies the schedule events due at r->step; their texts go into `events`. */
static int apply_events(run *r, json_t *events, lnf_error *err)
{
    while (r->next_event < r->sched.n && r->sched.events[r->next_event].step <= r->step) {
        const schedule_event *e = &r->sched.events[r->next_event++];
        char text[48];
        schedule_event_text(e, text, sizeof text);
        json_array_append_new(events, json_string(text));
        if (e->action == ACTION_END_EOT) {
            r->m.ln.special_eot = 0;
        } else if (e->action == ACTION_END_BOS) {
            r->m.ln.special_bos = 0;
        } else if (sigma_tracker_freeze(&r->sigma, &r->m,
                                        ln_site_index(&r->m.ln, e->layer, e->kind), err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* σ calibration: forwards over the first batches, before any update. */
static int calibrate(run *r, lnf_error *err)
{
    long long pos = r->pos;
    for (int b = 0; b < r->o->calib_batches; b++) {
        fill_batch(&r->train, &pos, r->x, r->y, r->o->B, r->o->T);
        if (gpt2_forward(&r->m, r->x, NULL, r->o->B, r->o->T, err) != 0) {
            return -1;
        }
        sigma_tracker_update(&r->sigma, &r->m);
    }
    return 0;
}

static void progress_line(const run *r, float loss, float val, double tok_s, double eta)
{
    char val_text[16] = "-";
    if (!isnan(val)) {
        snprintf(val_text, sizeof val_text, "%.4f", (double)val);
    }
    fprintf(stderr, "\rstep %d/%d  loss %.4f  val %s  %.0f tok/s  ETA %dm%02ds   ", r->step,
            r->o->steps, (double)loss, val_text, tok_s, (int)eta / 60, (int)eta % 60);
}

static int train_step(run *r, const lr_schedule *lrs, FILE *metrics, train_result *res,
                      lnf_error *err)
{
    const train_options *o = r->o;
    double t0 = now();
    json_t *rec = json_pack("{s:i}", "step", r->step), *events = json_array();
    int rc = apply_events(r, events, err);
    float lr = lr_at(lrs, r->step), loss = 0.0f, aux = 0.0f;
    gpt2_zero_grad(&r->m);
    for (int micro = 0; micro < o->grad_accum && rc == 0; micro++) {
        fill_batch(&r->train, &r->pos, r->x, r->y, o->B, o->T);
        rc = gpt2_forward(&r->m, r->x, r->y, o->B, o->T, err);
        if (rc == 0) {
            if (r->o->schedule != NULL) {
                sigma_tracker_update(&r->sigma, &r->m);
            }
            gpt2_backward(&r->m, 1.0f / ((float)o->B * o->T * o->grad_accum));
            loss += r->m.mean_loss / o->grad_accum;
            aux += r->m.aux_loss / o->grad_accum;
        }
    }
    double norm = rc == 0 ? gpt2_grad_norm(&r->m) : 0.0;
    if (rc == 0 && (!isfinite(loss) || !isfinite(norm))) {
        rc = lnf_fail(err, "step %d: the loss (%g) or gradient norm (%g) is not finite; "
                      "stopping, the last good checkpoint in %s/model is kept", r->step,
                      (double)loss, norm, o->out_dir);
    }
    if (rc == 0) {
        gpt2_scale_grads(&r->m, clip_coefficient(norm, o->clip));
        adamw_settings s = {.lr = lr, .beta1 = o->beta1, .beta2 = o->beta2, .eps = o->eps,
                            .weight_decay = o->weight_decay};
        rc = gpt2_adamw_step(&r->m, &s, err);
    }
    if (rc == 0) {
        r->step++;
        float val = NAN;
        int last = r->step == o->steps || r->step == o->stop_at;
        if (last || r->step % o->val_every == 0) {
            rc = validate(r, &val, err);
            res->final_val_loss = val;
        }
        double dt = now() - t0, tok_s = (double)o->B * o->T * o->grad_accum / dt;
        json_object_set_new(rec, "loss", json_real(loss));
        if (r->m.aux_weight > 0.0f) {
            json_object_set_new(rec, "aux_loss", json_real(aux));
        }
        json_object_set_new(rec, "lr", json_real(lr));
        json_object_set_new(rec, "grad_norm", json_real(norm));
        json_object_set_new(rec, "tokens_per_s", json_real(tok_s));
        if (!isnan(val)) {
            json_object_set_new(rec, "val_loss", json_real(val));
        }
        if (json_array_size(events) > 0) {
            json_object_set(rec, "events", events);
        }
        char *line = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(7));
        fprintf(metrics, "%s\n", line);
        fflush(metrics);
        free(line);
        res->final_train_loss = loss;
        res->tokens += (long long)o->B * o->T * o->grad_accum;
        if (o->progress) {
            progress_line(r, loss, val, tok_s, dt * (o->steps - r->step));
        }
        if (rc == 0 && (last || r->step % o->ckpt_every == 0)) {
            rc = save_checkpoint(r, err);
        }
    }
    json_decref(events);
    json_decref(rec);
    return rc;
}

static int check_options(const train_options *o, lnf_error *err)
{
    if (o->B <= 0 || o->T <= 0 || o->grad_accum <= 0 || o->steps <= 0 || o->val_every <= 0 ||
        o->val_batches <= 0 || o->ckpt_every <= 0 || o->warmup < 0 || o->calib_batches <= 0 ||
        o->stop_at < 0 || o->schedule_span < 0 || o->data_start < 0) {
        return lnf_fail(err, "batch, steps, intervals and counts must be positive");
    }
    if (!(o->max_lr >= 0) || !(o->min_lr >= 0) || !(o->clip > 0) || !(o->eps > 0) ||
        !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ||
        !(o->weight_decay >= 0) || !(o->aux_weight >= 0)) {
        return lnf_fail(err, "invalid optimiser settings");
    }
    if ((o->model_dir == NULL) == (o->init_config == NULL) && !o->resume) {
        return lnf_fail(err, "give exactly one of a model directory or an init config");
    }
    return 0;
}

int train_run(const train_options *o, train_result *res, lnf_error *err)
{
    memset(res, 0, sizeof *res);
    if (check_options(o, err) != 0 || ensure_dir(o->out_dir, err) != 0) {
        return -1;
    }
    run r = {.o = o};
    double t0 = now();
    int rc = load_model(&r, err);
    if (rc == 0) {
        r.m.aux_weight = o->aux_weight;
        rc = open_data(&r, err);
    }
    if (rc == 0 && o->schedule != NULL) {
        rc = schedule_load(&r.sched, o->schedule, r.m.cfg.n_layer,
                           o->schedule_span > 0 ? o->schedule_span : o->steps, err);
        if (rc == 0 && schedule_last_step(&r.sched) >= o->steps) {
            rc = lnf_fail(err, "schedule '%s' for %d layers ends at step %d, past the budget of "
                          "%d steps: give more steps", o->schedule, r.m.cfg.n_layer,
                          schedule_last_step(&r.sched), o->steps);
        }
    }
    if (rc == 0 && !o->resume) {
        rc = parse_eot_sites(&r.m.ln, o->eot_sites, err);
    }
    r.x = malloc((size_t)o->B * o->T * sizeof(int));
    r.y = malloc((size_t)o->B * o->T * sizeof(int));
    if (rc == 0 && (r.x == NULL || r.y == NULL)) {
        rc = lnf_fail(err, "out of memory");
    }
    if (rc == 0 && !o->resume) {
        r.pos = o->data_start % (long long)r.train.n_tokens;
    }
    if (rc == 0 && o->schedule != NULL && !o->resume) {
        rc = calibrate(&r, err);
    }
    if (rc == 0 && o->resume) {
        rc = truncate_metrics(&r, err);
    }
    FILE *metrics = NULL;
    if (rc == 0) {
        metrics = fopen(out_file(&r, "metrics.jsonl"), o->resume ? "a" : "w");
        if (metrics == NULL) {
            rc = lnf_fail(err, "%s: cannot open: %s", r.path, strerror(errno));
        }
    }
    lr_schedule lrs = {.max_lr = o->max_lr, .min_lr = o->min_lr, .warmup = o->warmup,
                       .total = o->steps};
    int end = o->stop_at > 0 && o->stop_at < o->steps ? o->stop_at : o->steps;
    while (rc == 0 && r.step < end) {
        rc = train_step(&r, &lrs, metrics, res, err);
    }
    if (o->progress) {
        fputc('\n', stderr);
    }
    if (metrics != NULL) {
        fclose(metrics);
    }
    res->steps_done = r.step;
    res->seconds = now() - t0;
    free(r.x);
    free(r.y);
    schedule_free(&r.sched);
    sigma_tracker_free(&r.sigma);
    tokens_close(&r.train);
    tokens_close(&r.val);
    gpt2_free(&r.m);
    return rc;
}
