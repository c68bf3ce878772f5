/* lnfree: command-line entry point; dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>
#include "base/blas_env.h"
#include "cli/commands.h"
#include "train/version.h"
#include "train/dist.h"
#include "kernels/matmul.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv, const dist_ctx *dist);
    const char *summary;
} commands[] = {
    {"demo", cmd_demo, "the whole pipeline end to end on embedded defaults"},
    {"init", cmd_init, "write a randomly initialised GPT-2 model directory"},
    {"probe", cmd_probe, "logits, loss and gradients (or N AdamW steps) on one batch"},
    {"encode", cmd_encode, "text on stdin to GPT-2 token ids on stdout"},
    {"decode", cmd_decode, "GPT-2 token ids on stdin to text on stdout"},
    {"prepare", cmd_prepare, "tokenize text files or the Brown corpus into train.bin/val.bin"},
    {"train", cmd_train, "train or fine-tune GPT-2 with every LayerNorm kept"},
    {"remove-ln", cmd_remove_ln, "fine-tune while removing every LayerNorm on a schedule"},
    {"eval", cmd_eval, "cross-entropy, entropy, residual norms; KL against a reference"},
    {"hellaswag", cmd_hellaswag, "multiple-choice accuracy on an llm.c evaluation file"},
    {"attribute", cmd_attribute, "direct logit attribution of one logit to each component"},
    {"export", cmd_export, "write the LN-free hf or folded form of a fully frozen model"},
    {"reproduce", cmd_reproduce, "re-run a checkpoint's or export's provenance, compare bits"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: lnfree [--version] [--help] COMMAND [ARGS]\n\n"
                 "Trains GPT-2 on the CPU and removes its LayerNorms by fine-tuning.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\n'lnfree COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    blas_env_reexec(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        const char *core = blas_core_in_use();
        printf("lnfree %s (commit %.12s%s; matmul: %s%s%s; data parallel: %s)\n", LNFREE_VERSION,
               LNFREE_GIT_COMMIT, LNFREE_GIT_DIRTY ? ", modified" : "", matmul_backend(), core != NULL ? ", OpenBLAS core " : "", core != NULL ? core : "",
               dist_backend());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            dist_ctx dist;
            lnf_error err;
            if (dist_init(&dist, &argc, &argv, &err) != 0) {
                fprintf(stderr, "lnfree: %s\n", err.msg);
                return 1;
            }
            int rc = commands[i].run(argc - 1, argv + 1, &dist);
            dist_finalize(&dist);
            return rc;
        }
    }
    fprintf(stderr, "lnfree: unknown command '%s' (see lnfree --help)\n", argv[1]);
    return 2;
}
