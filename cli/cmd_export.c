/* lnfree export: the LN-free forms of a fully frozen model (model/export.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "model/checkpoint.h"
#include "cli/commands.h"
#include "model/export.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree export --model DIR --format hf|folded --out DIR\n"
            "\n"
            "Needs every LN site frozen and both special phases ended (the end of an\n"
            "'lnfree remove-ln' run).\n"
            "  hf      a Hugging Face GPT-2 directory that transformers' GPT2LMHeadModel\n"
            "          loads unchanged: layer_norm_epsilon 1e12, LN weights x 1e6/sigma\n"
            "  folded  no normalisation at all: centring and gamma/sigma folded into the\n"
            "          following linear maps, an untied lm_head with a bias\n"
            "Both are read back by lnfree probe and lnfree eval.\n");
}

int cmd_export(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"format", required_argument, 0, 'f'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *format = NULL, *out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (model == NULL || format == NULL || out == NULL || optind != argc ||
        (strcmp(format, "hf") != 0 && strcmp(format, "folded") != 0)) {
        usage(stderr);
        return 2;
    }
    gpt2 m;
    lnf_error err;
    if (checkpoint_load(&m, model, &err) != 0) {
        fprintf(stderr, "lnfree export: %s\n", err.msg);
        return 1;
    }
    int rc = strcmp(format, "hf") == 0 ? export_hf(&m, out, &err) : export_folded(&m, out, &err);
    gpt2_free(&m);
    if (rc != 0) {
        fprintf(stderr, "lnfree export: %s: %s\n", model, err.msg);
        return 1;
    }
    printf("lnfree export: %s form of %s written to %s\n", format, model, out);
    return 0;
}
