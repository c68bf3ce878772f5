/* lnfree eval: cross-entropy of a model on a token file (model/eval.h). */
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
            "usage: lnfree eval --model DIR --data FILE [--seq-len T] [--max-tokens N] [--json]\n"
            "\n"
            "Mean cross-entropy (nats/token) of the model on FILE (raw uint16 tokens or an\n"
            "llm.c shard) over non-overlapping T-token chunks, and the median and 99.9th\n"
            "percentile of the per-token loss. Reads real, frozen, hf-exported and folded\n"
            "models alike.\n"
            "  --seq-len T       chunk length (default: the model's n_positions)\n"
            "  --max-tokens N    score at most N tokens (default: the whole file)\n"
            "  --json            print one JSON object instead of text\n");
}

int cmd_eval(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},      {"data", required_argument, 0, 'd'},
        {"seq-len", required_argument, 0, 'T'},    {"max-tokens", required_argument, 0, 'n'},
        {"json", no_argument, 0, 'j'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model = NULL, *data = NULL;
    int T = 0, json = 0, c, bad = 0;
    uint64_t max_tokens = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
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
    if (eval_model_dir(model, data, T, (long long)max_tokens, &r, &err) != 0) {
        fprintf(stderr, "lnfree eval: %s\n", err.msg);
        return 1;
    }
    if (json) {
        json_t *o = eval_result_json(&r);
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "data", json_string(data));
        char *text = json_dumps(o, JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
        json_decref(o);
        if (text == NULL) {
            fprintf(stderr, "lnfree eval: cannot serialise the result\n");
            return 1;
        }
        printf("%s\n", text);
        free(text);
    } else {
        printf("%s on %s: %lld tokens in %d chunks of %d\n  cross-entropy %.4f nats/token, "
               "median %.4f, 99.9th percentile %.4f\n", model, data, r.tokens, r.chunks,
               r.seq_len, r.mean, r.median, r.p999);
    }
    return 0;
}
