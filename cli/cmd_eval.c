/* lnfree eval: cross-entropy of a model on a token file (model/eval.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include "args.h"
#include "checkpoint.h"
#include "commands.h"
#include "eval.h"

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

int cmd_eval(int argc, char **argv)
{
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
    gpt2 m;
    token_file f = {0};
    lnf_error err;
    eval_result r;
    int rc = checkpoint_load(&m, model, &err);
    if (rc == 0) {
        if (T == 0) {
            T = m.cfg.n_positions;
        }
        rc = tokens_open(&f, data, TOKENS_AUTO, m.cfg.vocab_size, &err);
        if (rc == 0) {
            rc = eval_tokens(&m, &f, T, (long long)max_tokens, &r, &err);
        }
        gpt2_free(&m);
    }
    tokens_close(&f);
    if (rc != 0) {
        fprintf(stderr, "lnfree eval: %s\n", err.msg);
        return 1;
    }
    if (json) {
        printf("{\"model\": \"%s\", \"data\": \"%s\", \"seq_len\": %d, \"tokens\": %lld, "
               "\"chunks\": %d, \"ce\": %.6f, \"median\": %.6f, \"p999\": %.6f}\n", model, data, T,
               r.tokens, r.chunks, r.mean, r.median, r.p999);
    } else {
        printf("%s on %s: %lld tokens in %d chunks of %d\n  cross-entropy %.4f nats/token, "
               "median %.4f, 99.9th percentile %.4f\n", model, data, r.tokens, r.chunks, T, r.mean,
               r.median, r.p999);
    }
    return 0;
}
