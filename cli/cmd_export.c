/* lnfree export: the LN-free forms of a fully frozen model, as a directory
 * to publish (apps/publish.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "apps/publish.h"
#include "cli/args.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree export --model DIR --format hf|folded --out DIR [--tokenizer DIR]\n"
            "                     [--eval TOKENS [--seq-len T] [--max-tokens N]]\n"
            "\n"
            "Needs every LN site frozen and both special phases ended (the end of an\n"
            "'lnfree remove-ln' run).\n"
            "  hf      a Hugging Face GPT-2 directory that transformers' GPT2LMHeadModel\n"
            "          loads unchanged: layer_norm_epsilon 1e12, LN weights x 1e6/sigma\n"
            "  folded  no normalisation at all: centring and gamma/sigma folded into the\n"
            "          following linear maps, an untied lm_head with a bias\n"
            "Both are read back by lnfree probe and lnfree eval. OUT also gets\n"
            "generation_config.json, a README.md model card (base model, recipe, sigma of\n"
            "every site, evaluation table) and provenance.json; with --tokenizer (a\n"
            "directory with vocab.json + merges.txt or encoder.json + vocab.bpe) the\n"
            "tokenizer files AutoTokenizer.from_pretrained(OUT) loads. --eval scores the\n"
            "export (and the base model, when its provenance names one still present) on\n"
            "TOKENS for the card.\n");
}

int cmd_export(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"format", required_argument, 0, 'f'},
                                         {"out", required_argument, 0, 'o'},
                                         {"tokenizer", required_argument, 0, 't'},
                                         {"eval", required_argument, 0, 'e'},
                                         {"seq-len", required_argument, 0, 'T'},
                                         {"max-tokens", required_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    publish_request q = {0};
    uint64_t max_tokens = 0;
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': q.model_dir = optarg; break;
        case 'f': q.format = optarg; break;
        case 'o': q.out_dir = optarg; break;
        case 't': q.tokenizer_dir = optarg; break;
        case 'e': q.eval_path = optarg; break;
        case 'T': bad |= arg_int("export", "seq-len", optarg, 1, &q.eval_seq_len); break;
        case 'n': bad |= arg_u64("export", "max-tokens", optarg, &max_tokens); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    q.eval_tokens = (long long)max_tokens;
    if (bad) {
        return 2;
    }
    if (q.model_dir == NULL || q.format == NULL || q.out_dir == NULL || optind != argc ||
        (strcmp(q.format, "hf") != 0 && strcmp(q.format, "folded") != 0)) {
        usage(stderr);
        return 2;
    }
    lnf_error err;
    if (publish_export(&q, &err) != 0) {
        fprintf(stderr, "lnfree export: %s: %s\n", q.model_dir, err.msg);
        return 1;
    }
    printf("lnfree export: %s form of %s written to %s\n", q.format, q.model_dir, q.out_dir);
    return 0;
}
