/* lnfree train and lnfree remove-ln: the training loop, without and with the
 * LN-removal schedule (see train/train.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "train/train.h"

static void usage(FILE *out, const char *cmd, int removal)
{
    fprintf(out,
            "usage: lnfree %s (--model DIR | --init CONFIG) --data DIR --out DIR [options]\n"
            "\n"
            "%s"
            "DATA is a directory with train.bin and val.bin (nanoGPT, 'lnfree prepare') or\n"
            "llm.c shards (*_train_*.bin, *_val_*.bin), or a token file. Writes OUT/model\n"
            "(the latest checkpoint, a model directory), OUT/metrics.jsonl (one JSON line per\n"
            "step) and OUT/loss.svg.\n"
            "\n"
            "  --model DIR          start from this model directory\n"
            "  --init CONFIG        start from a random init of a preset or config.json\n"
            "  --seed S             init seed (1337)\n"
            "  --batch B            micro-batch size (8)\n"
            "  --seq-len T          sequence length (128)\n"
            "  --grad-accum N       micro-batches per optimizer step (1)\n"
            "  --steps N            optimizer steps (1000)\n"
            "  --lr LR              peak learning rate (6e-4)\n"
            "  --min-lr LR          final learning rate of the cosine decay (6e-5)\n"
            "  --warmup N           linear warmup steps (100)\n"
            "  --weight-decay WD    on tensors with >= 2 dims (0.1)\n"
            "  --clip NORM          global gradient-norm clip (1.0)\n"
            "  --val-every N        validate every N steps (100)\n"
            "  --val-batches N      validation batches, a fixed prefix of val.bin (8)\n"
            "  --ckpt-every N       checkpoint every N steps (500)\n"
            "  --resume             continue the run in OUT/model bit for bit\n"
            "  --stop-at N          stop after step N with a checkpoint (resume later)\n"
            "  --data-order ORDER   random (B windows per micro-batch drawn from the seed,\n"
            "                       the step and the micro-batch) or sequential (random)\n"
            "  --data-start N       sequential order: read the training tokens from token N (0)\n"
            "  --val PATH           validation tokens (a file or directory; default: DATA's\n"
            "                       val split)\n"
            "%s",
            cmd,
            removal ? "Fine-tunes while removing every LayerNorm on a schedule: σ is calibrated\n"
                      "before the first step, tracked while each site is real, and frozen at\n"
                      "its switch; the EOT and BOS special cases end at their events.\n"
                    : "Trains GPT-2 with every LayerNorm kept.\n",
            removal ? "  --schedule S         paper | fast | none (the LN-kept control) | FILE\n"
                      "                       of 'STEP freeze ln2|ln1qk|ln1v LAYER', 'STEP freeze\n"
                      "                       lnf', 'STEP end eot-special|bos-special' (paper)\n"
                      "  --schedule-span N    steps the paper preset is scaled to (--steps);\n"
                      "                       fewer leaves steps to recover after the last removal\n"
                      "  --aux-weight W       auxiliary σ-variance loss at lnf's input (0)\n"
                      "  --eot-sites LIST     site kinds with the EOT special σ (ln1v)\n"
                      "  --calib-batches N    σ calibration forwards before step 0 (8)\n"
                    : "");
}

void progress_line(const train_progress *p, void *ctx)
{
    (void)ctx;
    char val[16] = "-";
    if (!isnan(p->val_loss)) {
        snprintf(val, sizeof val, "%.4f", (double)p->val_loss);
    }
    fprintf(stderr, "\rstep %d/%d  loss %.4f  val %s  %.0f tok/s  ETA %dm%02ds   ", p->step,
            p->steps, (double)p->loss, val, p->tokens_per_s, (int)p->eta_s / 60,
            (int)p->eta_s % 60);
}

static int run_training(int argc, char **argv, int removal, const dist_ctx *dist)
{
    const char *cmd = removal ? "remove-ln" : "train";
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},       {"init", required_argument, 0, 'i'},
        {"seed", required_argument, 0, 'S'},        {"data", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'},         {"batch", required_argument, 0, 'B'},
        {"seq-len", required_argument, 0, 'T'},     {"grad-accum", required_argument, 0, 'a'},
        {"steps", required_argument, 0, 'n'},       {"lr", required_argument, 0, 'l'},
        {"min-lr", required_argument, 0, 'L'},      {"warmup", required_argument, 0, 'w'},
        {"weight-decay", required_argument, 0, 'W'}, {"clip", required_argument, 0, 'c'},
        {"val-every", required_argument, 0, 'v'},   {"val-batches", required_argument, 0, 'V'},
        {"ckpt-every", required_argument, 0, 'k'},  {"resume", no_argument, 0, 'r'},
        {"stop-at", required_argument, 0, 'z'},     {"data-start", required_argument, 0, 'D'},
        {"data-order", required_argument, 0, 'O'},  {"val", required_argument, 0, 'X'},
        {"schedule", required_argument, 0, 's'},    {"aux-weight", required_argument, 0, 'x'},
        {"eot-sites", required_argument, 0, 'e'},  {"schedule-span", required_argument, 0, 'P'},  {"calib-batches", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    train_options o = train_defaults();
    if (removal) {
        o.schedule = "paper";
    }
    gpt2_config init;
    int eot_kind[SITE_KINDS];
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int removal_only = strchr("sxeCP", c) != NULL;
        if (removal_only && !removal) {
            c = '?';
        }
        switch (c) {
        case 'm': o.model_dir = optarg; break;
        case 'i':
            bad |= arg_model_config(cmd, "init", optarg, &init);
            o.init = &init;
            break;
        case 'S': bad |= arg_u64(cmd, "seed", optarg, &o.seed); break;
        case 'd': o.data_dir = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'B': bad |= arg_int(cmd, "batch", optarg, 1, &o.B); break;
        case 'T': bad |= arg_int(cmd, "seq-len", optarg, 1, &o.T); break;
        case 'a': bad |= arg_int(cmd, "grad-accum", optarg, 1, &o.grad_accum); break;
        case 'n': bad |= arg_int(cmd, "steps", optarg, 1, &o.steps); break;
        case 'l': bad |= arg_float(cmd, "lr", optarg, &o.optim.adam.lr); break;
        case 'L': bad |= arg_float(cmd, "min-lr", optarg, &o.min_lr); break;
        case 'w': bad |= arg_int(cmd, "warmup", optarg, 0, &o.warmup); break;
        case 'W': bad |= arg_float(cmd, "weight-decay", optarg, &o.optim.adam.weight_decay); break;
        case 'c': bad |= arg_float(cmd, "clip", optarg, &o.optim.clip); break;
        case 'v': bad |= arg_int(cmd, "val-every", optarg, 1, &o.val_every); break;
        case 'V': bad |= arg_int(cmd, "val-batches", optarg, 1, &o.val_batches); break;
        case 'k': bad |= arg_int(cmd, "ckpt-every", optarg, 1, &o.ckpt_every); break;
        case 'r': o.resume = 1; break;
        case 'z': bad |= arg_int(cmd, "stop-at", optarg, 1, &o.stop_at); break;
        case 'D': {
            uint64_t n;
            bad |= arg_u64(cmd, "data-start", optarg, &n);
            o.data_start = (long long)n;
            break;
        }
        case 'O':
            if (strcmp(optarg, "random") == 0 || strcmp(optarg, "sequential") == 0) {
                o.order = strcmp(optarg, "random") == 0 ? TRAIN_RANDOM : TRAIN_SEQUENTIAL;
            } else {
                fprintf(stderr, "lnfree %s: --data-order: '%s' is not random or sequential\n",
                        cmd, optarg);
                bad = 1;
            }
            break;
        case 'X': o.val_path = optarg; break;
        case 's': o.schedule = optarg; break;
        case 'x': bad |= arg_float(cmd, "aux-weight", optarg, &o.aux_weight); break;
        case 'e':
            bad |= arg_site_kinds(cmd, "eot-sites", optarg, eot_kind);
            o.eot_kind = eot_kind;
            break;
        case 'P': bad |= arg_int(cmd, "schedule-span", optarg, 1, &o.schedule_span); break;
        case 'C': bad |= arg_int(cmd, "calib-batches", optarg, 1, &o.calib_batches); break;
        case 'h': usage(stdout, cmd, removal); return 0;
        default: usage(stderr, cmd, removal); return 2;
        }
    }
    if (bad) {
        return 2;
    }
    if (o.data_dir == NULL || o.out_dir == NULL || optind != argc ||
        (!o.resume && (o.model_dir == NULL) == (o.init == NULL))) {
        fprintf(stderr, "lnfree %s: needs --data, --out and one of --model or --init "
                        "(or --resume)\n", cmd);
        return 2;
    }
    if (isatty(STDERR_FILENO) && dist->rank == 0) {
        o.progress = progress_line;
    }
    o.title = removal ? "lnfree remove-ln" : "lnfree train";
    o.dist = dist;
    train_result res;
    lnf_error err;
    int rc = train_run(&o, &res, &err);
    if (o.progress != NULL) {
        fputc('\n', stderr);
    }
    if (rc != 0 && dist->size > 1) {
        /* one rank's failure ends the job: the others would wait for it forever */
        fprintf(stderr, "lnfree %s: rank %d of %d: %s\n", cmd, dist->rank, dist->size, err.msg);
        dist_abort(dist, 1);
    }
    if (rc != 0) {
        fprintf(stderr, "lnfree %s: %s\n", cmd, err.msg);
        return 1;
    }
    if (dist->rank != 0) {
        return 0;
    }
    printf("lnfree %s: %d steps, %lld tokens in %.1f s; train loss %.4f, val loss %.4f; model in "
           "%s/model\n", cmd, res.steps_done, res.tokens, res.seconds, (double)res.final_train_loss,
           (double)res.final_val_loss, o.out_dir);
    return 0;
}

int cmd_train(int argc, char **argv, const dist_ctx *dist) { return run_training(argc, argv, 0, dist); }

int cmd_remove_ln(int argc, char **argv, const dist_ctx *dist)
{
    return run_training(argc, argv, 1, dist);
}
