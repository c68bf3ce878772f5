#define _POSIX_C_SOURCE 200809L
#include "apps/demo.h"
#include <jansson.h>
#include <string.h>
#include "base/clock.h"
#include "base/fs.h"
#include "base/jsonio.h"
#include "base/path.h"
#include "data/prepare.h"
#include "model/checkpoint.h"
#include "model/eval.h"
#include "model/export.h"

/* Measured on the 2-core machine: see README, "The demo". */
demo_options demo_defaults(void)
{
    demo_options o = {.out_dir = "demo-out", .config_name = "gpt2-demo", .B = 8, .T = 64,
                      .pretrain_steps = 300, .finetune_steps = 300, .pretrain_lr = 1e-3f,
                      .finetune_lr = 3e-4f, .schedule = "paper", .removal_span = 0.6,
                      .aux_weight = 0.0f, .eval_tokens = 32768};
    config_preset(&o.config, o.config_name, NULL);
    return o;
}

typedef struct {
    const demo_options *o;
    const char *stage;
} demo_run_ctx;

static void stage(const demo_options *o, const char *what)
{
    if (o->progress != NULL) {
        o->progress(what, NULL, o->progress_ctx);
    }
}

/* train's progress, passed on with the stage it belongs to */
static void step_progress(const train_progress *p, void *ctx)
{
    const demo_run_ctx *c = ctx;
    c->o->progress(c->stage, p, c->o->progress_ctx);
}

static int train_stage(const demo_options *o, train_options *t, const char *what,
                       train_result *res, lnf_error *err)
{
    demo_run_ctx ctx = {.o = o, .stage = what};
    stage(o, what);
    t->progress = o->progress != NULL ? step_progress : NULL;
    t->progress_ctx = &ctx;
    int rc = train_run(t, res, err);
    t->progress = NULL;
    return rc;
}

static int export_both(const char *model_dir, const char *out, lnf_error *err)
{
    gpt2 m;
    lnf_path hf, folded;
    if (path_join(&hf, out, "ln-free-hf", err) != 0 ||
        path_join(&folded, out, "ln-free-folded", err) != 0 ||
        checkpoint_load(&m, model_dir, err) != 0) {
        return -1;
    }
    int rc = export_hf(&m, hf.s, err);
    if (rc == 0) {
        rc = export_folded(&m, folded.s, err);
    }
    gpt2_free(&m);
    return rc;
}

static int write_report(const demo_options *o, json_t *report, lnf_buf *md, lnf_error *err)
{
    lnf_path path;
    if (path_join(&path, o->out_dir, "report.json", err) != 0 ||
        jsonio_write(path.s, report, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6),
                     err) != 0) {
        return -1;
    }
    double orig = json_real_value(json_object_get(report, "ce_original"));
    double ln = json_real_value(json_object_get(report, "ce_finetuned_with_ln"));
    double free_ = json_real_value(json_object_get(report, "ce_ln_free"));
    size_t start = md->len;
    int rc = buf_printf(
        md,
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
        o->config_name, json_integer_value(json_object_get(report, "tokens_finetune")),
        o->schedule, orig, ln, free_, free_ - ln,
        json_real_value(json_object_get(report, "ce_ln_free_hf")),
        json_real_value(json_object_get(report, "ce_ln_free_folded")),
        json_real_value(json_object_get(report, "seconds")));
    if (rc != 0) {
        return lnf_fail(err, "out of memory for the report");
    }
    if (path_join(&path, o->out_dir, "report.md", err) != 0 ||
        fs_write_atomic(path.s, md->data + start, md->len - start, err) != 0) {
        return -1;
    }
    return 0;
}

/* The removal run's plot, which shows every removal's spike and recovery. */
static int copy_plot(const char *run_dir, const char *out_dir, lnf_error *err)
{
    lnf_path from, to;
    lnf_buf svg = {0};
    int rc = path_join(&from, run_dir, "loss.svg", err) != 0 ||
                     path_join(&to, out_dir, "loss.svg", err) != 0 ||
                     buf_read_file(&svg, from.s, err) != 0 ||
                     fs_write_atomic(to.s, svg.data, svg.len, err) != 0
                 ? -1
                 : 0;
    buf_free(&svg);
    return rc;
}

int demo_run(const demo_options *o, lnf_buf *md, lnf_error *err)
{
    double t0 = lnf_now();
    lnf_path data, pre, pre_model, control, removal;
    if (path_join(&data, o->out_dir, "data", err) != 0 ||
        path_join(&pre, o->out_dir, "pretrain", err) != 0 ||
        path_join(&pre_model, pre.s, "model", err) != 0 ||
        path_join(&control, o->out_dir, "finetune-with-ln", err) != 0 ||
        path_join(&removal, o->out_dir, "finetune-ln-free", err) != 0 ||
        fs_ensure_dir(o->out_dir, err) != 0) {
        return -1;
    }

    stage(o, "prepare the Brown corpus");
    const char *inputs[1] = {o->corpus_dir};
    prepare_options po = {.inputs = inputs, .n_inputs = 1, .tokenizer_dir = o->tokenizer_dir,
                          .out_dir = data.s, .val_fraction = 0.1};
    prepare_summary ps;
    if (prepare_run(&po, &ps, err) != 0) {
        return -1;
    }

    train_options t = train_defaults();
    t.data_dir = data.s;
    t.B = o->B;
    t.T = o->T;
    t.val_batches = 8;

    t.init = &o->config;
    t.out_dir = pre.s;
    t.steps = o->pretrain_steps;
    t.val_every = t.ckpt_every = o->pretrain_steps;
    t.optim.adam.lr = o->pretrain_lr;
    t.min_lr = o->pretrain_lr / 10;
    t.warmup = o->pretrain_steps / 10;
    t.title = "lnfree demo: pretraining";
    train_result res;
    if (train_stage(o, &t, "pretrain from scratch", &res, err) != 0) {
        return -1;
    }

    /* both fine-tunes: the same start, data, steps and LR; only the schedule
     * differs. They read the tokens after the ones pretraining saw. */
    t.data_start = (long long)o->pretrain_steps * o->B * o->T;
    t.init = NULL;
    t.model_dir = pre_model.s;
    t.steps = o->finetune_steps;
    t.val_every = o->finetune_steps / 8 > 0 ? o->finetune_steps / 8 : 1;
    t.ckpt_every = o->finetune_steps;
    t.optim.adam.lr = o->finetune_lr;
    t.min_lr = o->finetune_lr / 10;
    t.warmup = o->finetune_steps / 10;

    t.out_dir = control.s;
    t.schedule = "none";
    t.title = "lnfree demo: control fine-tune (LN kept)";
    if (train_stage(o, &t, "control fine-tune, every LayerNorm kept", &res, err) != 0) {
        return -1;
    }
    long long tokens_finetune = res.tokens;

    t.out_dir = removal.s;
    t.schedule = o->schedule;
    t.schedule_span = (int)(o->removal_span * o->finetune_steps);
    t.aux_weight = o->aux_weight;
    t.title = "lnfree demo: LayerNorm removal";
    if (train_stage(o, &t, "fine-tune removing every LayerNorm", &res, err) != 0) {
        return -1;
    }

    stage(o, "evaluate and export");
    lnf_path val, dir;
    if (path_join(&val, data.s, "val.bin", err) != 0) {
        return -1;
    }
    double ce[5];
    const char *runs[3] = {pre.s, control.s, removal.s};
    for (int i = 0; i < 3; i++) {
        eval_result er;
        if (path_join(&dir, runs[i], "model", err) != 0 ||
            eval_model_dir(dir.s, val.s, o->T, o->eval_tokens, &er, err) != 0) {
            return -1;
        }
        ce[i] = er.mean;
    }
    if (path_join(&dir, removal.s, "model", err) != 0 || export_both(dir.s, o->out_dir, err) != 0) {
        return -1;
    }
    const char *exports[2] = {"ln-free-hf", "ln-free-folded"};
    for (int i = 0; i < 2; i++) {
        eval_result er;
        if (path_join(&dir, o->out_dir, exports[i], err) != 0 ||
            eval_model_dir(dir.s, val.s, o->T, o->eval_tokens, &er, err) != 0) {
            return -1;
        }
        ce[3 + i] = er.mean;
    }
    if (copy_plot(removal.s, o->out_dir, err) != 0) {
        return -1;
    }

    json_t *report = json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:f, s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:I}",
        "ce_original", ce[0], "ce_finetuned_with_ln", ce[1], "ce_ln_free", ce[2],
        "ce_ln_free_minus_with_ln", ce[2] - ce[1], "ce_ln_free_hf", ce[3], "ce_ln_free_folded",
        ce[4], "eval_tokens", (json_int_t)o->eval_tokens, "tokens_finetune",
        (json_int_t)tokens_finetune, "seconds", lnf_now() - t0, "config", o->config_name,
        "schedule", o->schedule, "batch", o->B, "seq_len", o->T, "pretrain_steps",
        o->pretrain_steps, "finetune_steps", o->finetune_steps, "train_tokens",
        (json_int_t)ps.tokens[0], "val_tokens", (json_int_t)ps.tokens[1]);
    int rc = report ? write_report(o, report, md, err) : lnf_fail(err, "cannot build the report");
    json_decref(report);
    return rc;
}
