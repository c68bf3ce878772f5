/* lnfree probe: the conformance interface (see apps/probe.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "apps/probe.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree probe --model DIR --batch BATCH.safetensors --out OUT.safetensors\n"
            "                    [--steps N] [--lr LR] [--weight-decay WD] [--beta1 B1]\n"
            "                    [--beta2 B2] [--eps E] [--clip NORM]\n"
            "\n"
            "BATCH holds int32 tensors x and y, shape [B, T] (targets are used as given).\n"
            "Without --steps, OUT holds logits [B,T,V], loss [1] and grad.NAME for every\n"
            "parameter (HF names without 'transformer.', HF Conv1D layout).\n"
            "With --steps N: N AdamW steps on that batch at constant LR, weight decay on\n"
            "tensors with >= 2 dims only, global grad norm clipped at NORM; OUT holds losses\n"
            "[N], grad_norms [N] (before clipping) and param.NAME after the last step.\n"
            "Honours DIR/lnfree.json. Defaults: lr 6e-4, weight decay 0.1, betas 0.9 0.95,\n"
            "eps 1e-8, clip 1.0.\n");
}

int cmd_probe(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"batch", required_argument, 0, 'b'},
        {"out", required_argument, 0, 'o'},   {"steps", required_argument, 0, 'n'},
        {"lr", required_argument, 0, 'l'},    {"weight-decay", required_argument, 0, 'w'},
        {"beta1", required_argument, 0, '1'}, {"beta2", required_argument, 0, '2'},
        {"eps", required_argument, 0, 'e'},   {"clip", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *model = NULL, *batch = NULL, *out = NULL;
    probe_options o = probe_defaults();
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'b': batch = optarg; break;
        case 'o': out = optarg; break;
        case 'n': bad |= arg_int("probe", "steps", optarg, 1, &o.steps); break;
        case 'l': bad |= arg_float("probe", "lr", optarg, &o.optim.adam.lr); break;
        case 'w': bad |= arg_float("probe", "weight-decay", optarg, &o.optim.adam.weight_decay); break;
        case '1': bad |= arg_float("probe", "beta1", optarg, &o.optim.adam.beta1); break;
        case '2': bad |= arg_float("probe", "beta2", optarg, &o.optim.adam.beta2); break;
        case 'e': bad |= arg_float("probe", "eps", optarg, &o.optim.adam.eps); break;
        case 'c': bad |= arg_float("probe", "clip", optarg, &o.optim.clip); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) {
        return 2;
    }
    if (model == NULL || batch == NULL || out == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    lnf_error err;
    if (probe_run(model, batch, out, &o, &err) != 0) {
        fprintf(stderr, "lnfree probe: %s\n", err.msg);
        return 1;
    }
    return 0;
}
