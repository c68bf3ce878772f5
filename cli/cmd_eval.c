/* lnfree eval: what a model predicts on a token file, alone or against a
 * reference model (model/eval.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "model/eval.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree eval --model DIR --data FILE [--reference DIR] [--seq-len T]\n"
            "                   [--max-tokens N] [--json]\n"
            "\n"
            "Mean cross-entropy (nats/token) of the model on FILE (raw uint16 tokens or an\n"
            "llm.c shard) over non-overlapping T-token chunks, with the median and 99.9th\n"
            "percentile of the per-token loss, the mean entropy of the predictions, the\n"
            "cross-entropy at position 0 (bos), at EOT inputs (eot) and elsewhere (other),\n"
            "and the largest residual-stream norm with the five positions where it peaked.\n"
            "Reads real, frozen, hf-exported and folded models alike.\n"
            "  --reference DIR   also score DIR on the same tokens, and give the mean\n"
            "                    KL(reference || model) and the top-1 agreement\n"
            "  --seq-len T       chunk length (default: the smaller n_positions)\n"
            "  --max-tokens N    score at most N tokens (default: the whole file)\n"
            "  --json            print one JSON object instead of text\n");
}

static void print_text(const eval_result *r, const char *model, const char *data,
                       const char *reference)
{
    printf("%s on %s: %lld tokens in %d chunks of %d\n  cross-entropy %.4f nats/token, "
           "median %.4f, 99.9th percentile %.4f\n  entropy %.4f nats\n", model, data, r->tokens,
           r->chunks, r->seq_len, r->mean, r->median, r->p999, r->entropy);
    printf("  cross-entropy by input: position 0 %.4f (%lld), EOT %.4f (%lld), other %.4f (%lld)\n",
           r->class_ce[EVAL_BOS], r->class_tokens[EVAL_BOS], r->class_ce[EVAL_EOT],
           r->class_tokens[EVAL_EOT], r->class_ce[EVAL_OTHER], r->class_tokens[EVAL_OTHER]);
    printf("  largest residual norm %.4g; where it peaked:", r->max_residual_norm);
    for (int i = 0; i < r->n_worst; i++) {
        printf(" token %d at %d (%.4g)%s", r->worst[i].token, r->worst[i].position,
               r->worst[i].norm, i + 1 < r->n_worst ? "," : "\n");
    }
    if (r->has_reference) {
        printf("  against %s: its cross-entropy %.4f, entropy %.4f; KL(reference || model) "
               "%.5f nats, top-1 agreement %.4f\n", reference, r->ce_reference,
               r->entropy_reference, r->kl, r->top1_agreement);
    }
}

int cmd_eval(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},      {"data", required_argument, 0, 'd'},
        {"seq-len", required_argument, 0, 'T'},    {"max-tokens", required_argument, 0, 'n'},
        {"reference", required_argument, 0, 'r'},  {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model = NULL, *data = NULL, *reference = NULL;
    int T = 0, json = 0, c, bad = 0;
    uint64_t max_tokens = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'r': reference = optarg; break;
        case 'T': bad |= arg_int("eval", "seq-len", optarg, 1, &T); break;
        case 'n': bad |= arg_u64("eval", "max-tokens", optarg, &max_tokens); break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) {
        return 2;
    }
    if (model == NULL || data == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    lnf_error err;
    eval_result r;
    if (eval_model_dir(model, reference, data, T, (long long)max_tokens, &r, &err) != 0) {
        fprintf(stderr, "lnfree eval: %s\n", err.msg);
        return 1;
    }
    if (json) {
        json_t *o = eval_result_json(&r);
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "data", json_string(data));
        if (reference != NULL) {
            json_object_set_new(o, "reference", json_string(reference));
        }
        if (print_json("eval", o) != 0) {
            return 1;
        }
    } else {
        print_text(&r, model, data, reference);
    }
    return 0;
}
