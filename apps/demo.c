#define _POSIX_C_SOURCE 200809L
#include "apps/demo.h"
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "base/clock.h"
#include "data/stream.h"
#include "base/fs.h"
#include "base/jsonio.h"
#include "base/path.h"
#include "data/prepare.h"
#include "model/checkpoint.h"
#include "model/attribute.h"
#include "model/eval.h"
#include "apps/publish.h"
#include "model/domain_watch.h"
#include "train/lossplot.h"
#include "train/metrics.h"

/* Measured on the 2-core machine: see README, "The demo". */
demo_options demo_defaults(void)
{
    demo_options o = {.out_dir = "demo-out", .config_name = "gpt2-demo", .B = 8, .T = 64,
                      .order = TRAIN_RANDOM, .pretrain_steps = 1200, .finetune_steps = 600,
                      .pretrain_lr = 2e-3f, .finetune_lr = 3e-4f, .schedule = "paper",
                      .removal_span = 0.6, .aux_weight = 0.0f, .eval_tokens = 0};
    config_preset(&o.config, o.config_name, NULL);
    return o;
}

int demo_preset(demo_options *o, const char *name, lnf_error *err)
{
    if (strcmp(name, "default") == 0) {
        const char *out = o->out_dir, *corpus = o->corpus_dir, *tok = o->tokenizer_dir;
        *o = demo_defaults();
        o->out_dir = out;
        o->corpus_dir = corpus;
        o->tokenizer_dir = tok;
        return 0;
    }
    if (strcmp(name, "reproduce") == 0) {
        /* L4 H4 C256, T 128: 8·128 tokens per step, 6000 steps ≈ 6.1M tokens of
         * pretraining (about 5 passes over Brown's 1.2M), 1600 ≈ 1.6M per fine-tune */
        o->config_name = "gpt2-mini";
        config_preset(&o->config, o->config_name, NULL);
        o->B = 8;
        o->T = 128;
        o->pretrain_steps = 6000;
        o->finetune_steps = 1600;
        o->pretrain_lr = 1e-3f;
        o->finetune_lr = 3e-4f;
        o->schedule = "fast";
        return 0;
    }
    return lnf_fail(err, "unknown demo preset '%s' (default, reproduce)", name);
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

/* Runs one stage; one resumed from its checkpoint is added to `resumed`. */
static int train_stage(const demo_options *o, train_options *t, const char *what,
                       json_t *resumed, train_result *res, lnf_error *err)
{
    /* a stage that checkpointed resumes from it: train_run checks that its
     * inputs and settings are the run's, and a finished one trains no step */
    lnf_path state;
    if (path_fmt(&state, err, "%s/model", t->out_dir) != 0 ||
        (o->resume && fs_dir_recover(state.s, err) != 0) ||
        path_fmt(&state, err, "%s/model/train_state.json", t->out_dir) != 0) {
        return -1;
    }
    t->resume = t->resume_exact = o->resume && access(state.s, R_OK) == 0;
    if (t->resume) {
        json_array_append_new(resumed, json_string(what));
    }
    char label[256];
    snprintf(label, sizeof label, "%s%s", what, t->resume ? " (resumed from its checkpoint)" : "");
    demo_run_ctx ctx = {.o = o, .stage = label};
    stage(o, label);
    t->progress = o->progress != NULL ? step_progress : NULL;
    t->progress_ctx = &ctx;
    int rc = train_run(t, res, err);
    t->progress = NULL;
    t->resume = t->resume_exact = 0;
    return rc;
}

/* Both LN-free forms, as lnfree export writes them (the hf one with the
 * tokenizer files); the report evaluates them, not the cards. */
static int export_both(const char *model_dir, const demo_options *o, lnf_error *err)
{
    lnf_path hf, folded;
    if (path_join(&hf, o->out_dir, "ln-free-hf", err) != 0 ||
        path_join(&folded, o->out_dir, "ln-free-folded", err) != 0) {
        return -1;
    }
    publish_request q = {.model_dir = model_dir, .format = "hf", .out_dir = hf.s,
                         .tokenizer_dir = o->tokenizer_dir};
    if (publish_export(&q, err) != 0) {
        return -1;
    }
    q.format = "folded";
    q.out_dir = folded.s;
    q.tokenizer_dir = NULL;
    return publish_export(&q, err);
}

/* A number of the report, NAN where it is missing or null. */
static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
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
    json_t *f = json_object_get(report, "faithfulness");
    json_t *by_class = json_object_get(f, "ce_by_class");
    json_t *a_free = json_object_get(json_object_get(report, "attribution"), "ln_free");
    json_t *a_ctl = json_object_get(json_object_get(report, "attribution"), "control");
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
        "Faithfulness of the LN-free model to the control on the same tokens:\n\n"
        "| figure | LN-free | control |\n|---|---|---|\n"
        "| KL(control ‖ LN-free), nats/token | %.5f | |\n"
        "| top-1 agreement | %.4f | |\n"
        "| entropy of the predictions, nats | %.4f | %.4f |\n"
        "| cross-entropy at position 0 | %.4f | |\n"
        "| cross-entropy at EOT inputs | %.4f | |\n"
        "| cross-entropy elsewhere | %.4f | |\n"
        "| largest residual-stream norm | %.4g | |\n\n"
        "Direct logit attribution of the next token's logit at the last position of "
        "the first validation chunk: LN-free %s, residual %.3g; control %s.\n\n"
        "Total time %.0f s.\n",
        o->config_name, json_integer_value(json_object_get(report, "tokens_finetune")),
        o->schedule, orig, ln, free_, free_ - ln,
        json_real_value(json_object_get(report, "ce_ln_free_hf")),
        json_real_value(json_object_get(report, "ce_ln_free_folded")), num(f, "kl"),
        num(f, "top1_agreement"), num(f, "entropy"), num(f, "entropy_reference"),
        num(by_class, "bos"), num(by_class, "eot"), num(by_class, "other"),
        num(f, "max_residual_norm"),
        json_is_true(json_object_get(a_free, "exact")) ? "exact" : "approximate",
        num(a_free, "residual"),
        json_is_true(json_object_get(a_ctl, "exact")) ? "exact" : "approximate",
        json_real_value(json_object_get(report, "seconds")));
    rc |= buf_printf(md, "\nEvery kernel call's inputs against the domain the kernels are "
                         "proven for (kernels/domain.h, verify/PROOFS.md), over all three "
                         "stages: per kernel, the input nearest its bound.\n\n"
                         "| kernel | input | largest \\|x\\| | proven bound | bound / largest |\n"
                         "|---|---|---|---|---|\n");
    const char *kernel;
    json_t *e;
    json_object_foreach(json_object_get(json_object_get(report, "domain_margins"), "all"), kernel,
                        e) {
        double max = num(e, "max"), bound = num(e, "bound");
        rc |= buf_printf(md, "| %s | %s | %.4g | %.4g | %.3g |\n", kernel,
                         json_string_value(json_object_get(e, "input")), max, bound,
                         bound / max);
    }
    rc |= buf_printf(md, "\n");
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(report, "stages_resumed"), i, name) {
        rc |= buf_printf(md, "%s %s", i == 0 ? "Resumed, their time not counted:" : ";",
                         json_string_value(name));
    }
    if (json_array_size(json_object_get(report, "stages_resumed")) > 0) {
        rc |= buf_printf(md, ".\n");
    }
    if (rc != 0) {
        return lnf_fail(err, "out of memory for the report");
    }
    if (path_join(&path, o->out_dir, "report.md", err) != 0 ||
        fs_write_atomic(path.s, md->data + start, md->len - start, err) != 0) {
        return -1;
    }
    return 0;
}

/* The LN-free model against the control on the validation split: eval's
 * figures with the control as the reference (ce_reference is the control's). */
static json_t *faithfulness_json(const eval_result *r)
{
    json_t *o = eval_result_json(r);
    json_object_del(o, "median");
    json_object_del(o, "p999");
    return o;
}

/* The attribution of the true next token's logit at the last position of the
 * validation split's first chunk, under key name in out: exact (and its
 * residual) for the LN-free model, approximate for the control. */
static int attribute_first_chunk(const char *model_dir, const char *val, int T,
                                 const char *name, json_t *out, lnf_error *err)
{
    gpt2 m;
    if (checkpoint_load(&m, model_dir, err) != 0) {
        return -1;
    }
    token_stream f;
    int *x = malloc((size_t)T * sizeof(int)), *y = malloc((size_t)T * sizeof(int));
    int rc = x && y ? stream_open(&f, val, "val", m.cfg.vocab_size, err)
                    : lnf_fail(err, "out of memory");
    if (rc == 0) {
        rc = stream_batch(&f, 0, 1, T, x, y, err);
        stream_close(&f);
    }
    attribution a;
    if (rc == 0 && (rc = attribute_logit(&m, x, T, T - 1, y[T - 1], &a, err)) == 0) {
        json_t *j = attribution_json(&a);
        json_object_del(j, "components"); /* the report keeps the summary */
        json_object_set_new(out, name, j);
        attribution_free(&a);
    }
    free(x);
    free(y);
    gpt2_free(&m);
    return rc;
}

/* The control and the LN-free fine-tune on one plot, every removal event
 * marked: each removal's spike and recovery against the control. */
static int write_plot(const char *control, const char *removal, const demo_options *o,
                      lnf_error *err)
{
    lnf_path a, b, svg;
    if (path_join(&a, control, "metrics.jsonl", err) != 0 ||
        path_join(&b, removal, "metrics.jsonl", err) != 0 ||
        path_join(&svg, o->out_dir, "loss.svg", err) != 0) {
        return -1;
    }
    lossplot_run runs[2] = {{.metrics_path = a.s, .label = "control (LN kept):"},
                            {.metrics_path = b.s, .label = "LN-free:"}};
    return lossplot_write_runs(runs, 2, svg.s, "lnfree demo: fine-tuning with and without LayerNorm",
                               err);
}

/* The run's directories under OUT. */
typedef struct {
    lnf_path data, pre, control, removal;
} demo_dirs;

static int pretrain(const demo_options *o, const demo_dirs *d, train_options *t,
                    json_t *resumed, lnf_error *err)
{
    t->init = &o->config;
    t->out_dir = d->pre.s;
    t->steps = o->pretrain_steps;
    t->val_every = t->ckpt_every = o->pretrain_steps;
    t->optim.adam.lr = o->pretrain_lr;
    t->min_lr = o->pretrain_lr / 10;
    t->warmup = o->pretrain_steps / 10;
    t->title = "lnfree demo: pretraining";
    train_result res;
    return train_stage(o, t, "pretrain from scratch", resumed, &res, err);
}

/* Both fine-tunes: the same start, data, steps and LR; only the schedule
 * differs. They read other batches than pretraining did: other random
 * windows, or (sequentially) the tokens after the ones it saw. */
static int finetune_both(const demo_options *o, const demo_dirs *d, train_options *t,
                         json_t *resumed, long long *tokens, lnf_error *err)
{
    lnf_path pre_model;
    if (path_join(&pre_model, d->pre.s, "model", err) != 0) {
        return -1;
    }
    t->seed += 1;
    t->data_start = (long long)o->pretrain_steps * o->B * o->T;
    t->init = NULL;
    t->model_dir = pre_model.s;
    t->steps = o->finetune_steps;
    t->val_every = o->finetune_steps / 8 > 0 ? o->finetune_steps / 8 : 1;
    t->ckpt_every = o->finetune_steps;
    t->optim.adam.lr = o->finetune_lr;
    t->min_lr = o->finetune_lr / 10;
    t->warmup = o->finetune_steps / 10;

    t->out_dir = d->control.s;
    t->schedule = "none";
    t->title = "lnfree demo: control fine-tune (LN kept)";
    train_result res;
    if (train_stage(o, t, "control fine-tune, every LayerNorm kept", resumed, &res, err) != 0) {
        return -1;
    }
    *tokens = (long long)t->steps * t->B * t->T * t->grad_accum; /* res: this process's only */
    t->out_dir = d->removal.s;
    t->schedule = o->schedule;
    t->schedule_span = (int)(o->removal_span * o->finetune_steps);
    t->aux_weight = o->aux_weight;
    t->title = "lnfree demo: LayerNorm removal";
    return train_stage(o, t, "fine-tune removing every LayerNorm", resumed, &res, err);
}

/* Per stage, and over all three, each kernel's input nearest its proven
 * bound, from the stages' metrics.jsonl (a resumed stage's too). */
static int domain_margins(const demo_dirs *d, json_t *report, lnf_error *err)
{
    const lnf_path *dirs[3] = {&d->pre, &d->control, &d->removal};
    const char *names[3] = {"pretrain", "finetune_with_ln", "finetune_ln_free"};
    json_t *margins = json_object(), *all = json_object();
    json_object_set_new(report, "domain_margins", margins);
    json_object_set_new(margins, "all", all);
    for (int i = 0; i < 3; i++) {
        lnf_path log;
        json_t *stage_margins;
        if (path_join(&log, dirs[i]->s, "metrics.jsonl", err) != 0 ||
            (stage_margins = metrics_domain_margins(log.s, err)) == NULL) {
            return -1;
        }
        dw_margins_fold(all, stage_margins);
        json_object_set_new(margins, names[i], stage_margins);
    }
    return 0;
}

/* Scores the three models on the validation split (the LN-free one against
 * the control), attributes one logit of each fine-tune, exports the LN-free
 * model and scores both exports; adds it all to the report. */
static int evaluate_and_export(const demo_options *o, const demo_dirs *d, json_t *report,
                               lnf_error *err)
{
    lnf_path val, pre, control, removal, dir;
    eval_result er, faith;
    if (path_join(&val, d->data.s, "val.bin", err) != 0 ||
        path_join(&pre, d->pre.s, "model", err) != 0 ||
        path_join(&control, d->control.s, "model", err) != 0 ||
        path_join(&removal, d->removal.s, "model", err) != 0 ||
        eval_model_dir(pre.s, NULL, val.s, o->T, o->eval_tokens, &er, err) != 0 ||
        eval_model_dir(removal.s, control.s, val.s, o->T, o->eval_tokens, &faith, err) != 0) {
        return -1;
    }
    json_object_set_new(report, "ce_original", json_real(er.mean));
    json_object_set_new(report, "ce_finetuned_with_ln", json_real(faith.ce_reference));
    json_object_set_new(report, "ce_ln_free", json_real(faith.mean));
    json_object_set_new(report, "ce_ln_free_minus_with_ln",
                        json_real(faith.mean - faith.ce_reference));
    json_object_set_new(report, "faithfulness", faithfulness_json(&faith));
    json_t *attributions = json_object();
    json_object_set_new(report, "attribution", attributions);
    if (attribute_first_chunk(removal.s, val.s, o->T, "ln_free", attributions, err) != 0 ||
        attribute_first_chunk(control.s, val.s, o->T, "control", attributions, err) != 0 ||
        export_both(removal.s, o, err) != 0) {
        return -1;
    }
    const char *exports[2] = {"ln-free-hf", "ln-free-folded"};
    const char *keys[2] = {"ce_ln_free_hf", "ce_ln_free_folded"};
    for (int i = 0; i < 2; i++) {
        if (path_join(&dir, o->out_dir, exports[i], err) != 0 ||
            eval_model_dir(dir.s, NULL, val.s, o->T, o->eval_tokens, &er, err) != 0) {
            return -1;
        }
        json_object_set_new(report, keys[i], json_real(er.mean));
    }
    return domain_margins(d, report, err) != 0 ? -1
                                                : write_plot(d->control.s, d->removal.s, o, err);
}

int demo_run(const demo_options *o, lnf_buf *md, lnf_error *err)
{
    double t0 = lnf_now();
    demo_dirs d;
    if (path_join(&d.data, o->out_dir, "data", err) != 0 ||
        path_join(&d.pre, o->out_dir, "pretrain", err) != 0 ||
        path_join(&d.control, o->out_dir, "finetune-with-ln", err) != 0 ||
        path_join(&d.removal, o->out_dir, "finetune-ln-free", err) != 0 ||
        fs_ensure_dir(o->out_dir, err) != 0) {
        return -1;
    }

    stage(o, "prepare the Brown corpus");
    const char *inputs[1] = {o->corpus_dir};
    prepare_options po = {.inputs = inputs, .n_inputs = 1, .tokenizer_dir = o->tokenizer_dir,
                          .out_dir = d.data.s, .val_fraction = 0.1};
    prepare_summary ps;
    if (prepare_run(&po, &ps, err) != 0) {
        return -1;
    }

    train_options t = train_defaults();
    t.data_dir = d.data.s;
    t.B = o->B;
    t.T = o->T;
    t.val_batches = 8;
    t.order = o->order;
    long long tokens_finetune;
    json_t *resumed = json_array();
    if (pretrain(o, &d, &t, resumed, err) != 0 ||
        finetune_both(o, &d, &t, resumed, &tokens_finetune, err) != 0) {
        json_decref(resumed);
        return -1;
    }

    stage(o, "evaluate and export");
    json_t *report = json_pack(
        "{s:I, s:I, s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:I}", "eval_tokens",
        (json_int_t)o->eval_tokens, "tokens_finetune", (json_int_t)tokens_finetune, "config",
        o->config_name, "schedule", o->schedule, "batch", o->B, "seq_len", o->T,
        "pretrain_steps", o->pretrain_steps, "finetune_steps", o->finetune_steps,
        "train_tokens", (json_int_t)ps.tokens[0], "val_tokens", (json_int_t)ps.tokens[1]);
    /* "seconds" is this invocation's: a resumed stage's time is in its metrics.jsonl */
    if (report != NULL) {
        json_object_set_new(report, "stages_resumed", resumed);
    } else {
        json_decref(resumed);
    }
    int rc = report != NULL ? evaluate_and_export(o, &d, report, err)
                            : lnf_fail(err, "cannot build the report");
    if (rc == 0) {
        json_object_set_new(report, "seconds", json_real(lnf_now() - t0));
        rc = write_report(o, report, md, err);
    }
    json_decref(report);
    return rc;
}
