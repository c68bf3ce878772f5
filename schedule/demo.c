#define _POSIX_C_SOURCE 200809L
#include "demo.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "checkpoint.h"
#include "eval.h"
#include "export.h"
#include "fsutil.h"
#include "buf.h"
#include "prepare.h"
#include "train.h"

/* Measured on the 2-core machine: see README, "The demo". */
demo_options demo_defaults(void)
{
    return (demo_options){.out_dir = "demo-out", .config = "gpt2-demo", .B = 8, .T = 64,
                          .pretrain_steps = 300, .finetune_steps = 300, .pretrain_lr = 1e-3f,
                          .finetune_lr = 3e-4f, .schedule = "paper", .removal_span = 0.6,
                          .aux_weight = 0.0f, .eval_tokens = 32768};
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Cross-entropy of the model in dir on (a prefix of) the validation split. */
static int evaluate(const char *dir, const char *val_path, int T, long long max_tokens, double *ce,
                    lnf_error *err)
{
    gpt2 m;
    token_file f = {0};
    eval_result r;
    int rc = checkpoint_load(&m, dir, err);
    if (rc == 0) {
        rc = tokens_open(&f, val_path, TOKENS_AUTO, m.cfg.vocab_size, err);
        if (rc == 0) {
            rc = eval_tokens(&m, &f, T, max_tokens, &r, err);
        }
        tokens_close(&f);
        gpt2_free(&m);
    }
    *ce = r.mean;
    return rc;
}

static void stage(const demo_options *o, const char *what)
{
    if (o->progress) {
        fprintf(stderr, "== %s\n", what);
    }
}

static int export_both(const char *model_dir, const char *out, lnf_error *err)
{
    gpt2 m;
    char path[4096];
    if (checkpoint_load(&m, model_dir, err) != 0) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/ln-free-hf", out);
    int rc = export_hf(&m, path, err);
    snprintf(path, sizeof path, "%s/ln-free-folded", out);
    if (rc == 0) {
        rc = export_folded(&m, path, err);
    }
    gpt2_free(&m);
    return rc;
}

static int write_report(const demo_options *o, json_t *report, lnf_error *err)
{
    char path[4096];
    char *text = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
    snprintf(path, sizeof path, "%s/report.json", o->out_dir);
    int rc = text ? write_file_atomic(path, text, strlen(text), err) : lnf_fail(err, "no memory");
    free(text);
    if (rc != 0) {
        return -1;
    }
    double orig = json_real_value(json_object_get(report, "ce_original"));
    double ln = json_real_value(json_object_get(report, "ce_finetuned_with_ln"));
    double free_ = json_real_value(json_object_get(report, "ce_ln_free"));
    char md[4096];
    int n = snprintf(md, sizeof md,
                     "# lnfree demo\n\n"
                     "Validation cross-entropy (nats/token) on the Brown corpus split, %s, "
                     "fine-tunes of %lld tokens each, schedule `%s`.\n\n"
                     "| model | cross-entropy |\n|---|---|\n"
                     "| pretrained (original) | %.4f |\n"
                     "| fine-tuned with LayerNorm (control) | %.4f |\n"
                     "| fine-tuned LN-free | %.4f |\n"
                     "| LN-free − control | %+.4f |\n"
                     "| LN-free, hf export | %.4f |\n"
                     "| LN-free, folded export | %.4f |\n\n"
                     "Total time %.0f s.\n",
                     o->config, json_integer_value(json_object_get(report, "tokens_finetune")),
                     o->schedule, orig, ln, free_, free_ - ln,
                     json_real_value(json_object_get(report, "ce_ln_free_hf")),
                     json_real_value(json_object_get(report, "ce_ln_free_folded")),
                     json_real_value(json_object_get(report, "seconds")));
    snprintf(path, sizeof path, "%s/report.md", o->out_dir);
    if (write_file_atomic(path, md, (size_t)n, err) != 0) {
        return -1;
    }
    fputs(md, stdout);
    return 0;
}

int demo_run(const demo_options *o, lnf_error *err)
{
    double t0 = now();
    char data[4096], pre[4096], control[4096], removal[4096], path[4200];
    snprintf(data, sizeof data, "%s/data", o->out_dir);
    snprintf(pre, sizeof pre, "%s/pretrain", o->out_dir);
    snprintf(control, sizeof control, "%s/finetune-with-ln", o->out_dir);
    snprintf(removal, sizeof removal, "%s/finetune-ln-free", o->out_dir);
    if (ensure_dir(o->out_dir, err) != 0) {
        return -1;
    }

    stage(o, "prepare the Brown corpus");
    const char *inputs[1] = {o->corpus_dir};
    prepare_options po = {.inputs = inputs, .n_inputs = 1, .tokenizer_dir = o->tokenizer_dir,
                          .out_dir = data, .val_fraction = 0.1};
    prepare_summary ps;
    if (prepare_run(&po, &ps, err) != 0) {
        return -1;
    }

    train_options t = train_defaults();
    t.data_dir = data;
    t.B = o->B;
    t.T = o->T;
    t.progress = o->progress;
    t.val_batches = 8;

    stage(o, "pretrain from scratch");
    t.init_config = o->config;
    t.out_dir = pre;
    t.steps = o->pretrain_steps;
    t.val_every = t.ckpt_every = o->pretrain_steps;
    t.max_lr = o->pretrain_lr;
    t.min_lr = o->pretrain_lr / 10;
    t.warmup = o->pretrain_steps / 10;
    t.title = "lnfree demo: pretraining";
    train_result res;
    if (train_run(&t, &res, err) != 0) {
        return -1;
    }

    /* both fine-tunes: the same start, data, steps and LR; only the schedule
     * differs. They read the tokens after the ones pretraining saw. */
    t.data_start = (long long)o->pretrain_steps * o->B * o->T;
    char pre_model[4200];
    snprintf(pre_model, sizeof pre_model, "%s/model", pre);
    t.init_config = NULL;
    t.model_dir = pre_model;
    t.steps = o->finetune_steps;
    t.val_every = o->finetune_steps / 8 > 0 ? o->finetune_steps / 8 : 1;
    t.ckpt_every = o->finetune_steps;
    t.max_lr = o->finetune_lr;
    t.min_lr = o->finetune_lr / 10;
    t.warmup = o->finetune_steps / 10;

    stage(o, "control fine-tune, every LayerNorm kept");
    t.out_dir = control;
    t.schedule = "none";
    t.title = "lnfree demo: control fine-tune (LN kept)";
    if (train_run(&t, &res, err) != 0) {
        return -1;
    }
    long long tokens_finetune = res.tokens;

    stage(o, "fine-tune removing every LayerNorm");
    t.out_dir = removal;
    t.schedule = o->schedule;
    t.schedule_span = (int)(o->removal_span * o->finetune_steps);
    t.aux_weight = o->aux_weight;
    t.title = "lnfree demo: LayerNorm removal";
    if (train_run(&t, &res, err) != 0) {
        return -1;
    }

    stage(o, "evaluate and export");
    char val[4200], dir[4200];
    snprintf(val, sizeof val, "%s/val.bin", data);
    double ce[5];
    const char *dirs[3] = {pre, control, removal};
    for (int i = 0; i < 3; i++) {
        snprintf(dir, sizeof dir, "%s/model", dirs[i]);
        if (evaluate(dir, val, o->T, o->eval_tokens, &ce[i], err) != 0) {
            return -1;
        }
    }
    snprintf(dir, sizeof dir, "%s/model", removal);
    if (export_both(dir, o->out_dir, err) != 0) {
        return -1;
    }
    const char *exports[2] = {"ln-free-hf", "ln-free-folded"};
    for (int i = 0; i < 2; i++) {
        snprintf(dir, sizeof dir, "%s/%s", o->out_dir, exports[i]);
        if (evaluate(dir, val, o->T, o->eval_tokens, &ce[3 + i], err) != 0) {
            return -1;
        }
    }
    /* the removal run's plot shows every removal's spike and recovery */
    snprintf(path, sizeof path, "%s/loss.svg", removal);
    snprintf(dir, sizeof dir, "%s/loss.svg", o->out_dir);
    lnf_buf svg = {0};
    if (buf_read_file(&svg, path, err) != 0 || write_file_atomic(dir, svg.data, svg.len, err) != 0) {
        buf_free(&svg);
        return -1;
    }
    buf_free(&svg);

    json_t *report = json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:f, s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:I}",
        "ce_original", ce[0], "ce_finetuned_with_ln", ce[1], "ce_ln_free", ce[2],
        "ce_ln_free_minus_with_ln", ce[2] - ce[1], "ce_ln_free_hf", ce[3], "ce_ln_free_folded",
        ce[4], "eval_tokens", (json_int_t)o->eval_tokens, "tokens_finetune",
        (json_int_t)tokens_finetune, "seconds", now() - t0, "config", o->config, "schedule",
        o->schedule, "batch", o->B, "seq_len", o->T, "pretrain_steps", o->pretrain_steps,
        "finetune_steps", o->finetune_steps, "train_tokens", (json_int_t)ps.tokens[0],
        "val_tokens", (json_int_t)ps.tokens[1]);
    int rc = report ? write_report(o, report, err) : lnf_fail(err, "cannot build the report");
    json_decref(report);
    return rc;
}
