/* lnfree hellaswag: multiple-choice accuracy on an llm.c evaluation file
 * (data/hellaswag.h, model/hellaswag.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "model/checkpoint.h"
#include "model/hellaswag.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree hellaswag --model DIR --data FILE [--json]\n"
            "\n"
            "Scores the model on a multiple-choice file in llm.c's evaluation format (its\n"
            "dev/data/hellaswag.py writes hellaswag_val.bin, 10,042 examples). Each\n"
            "completion's loss is the cross-entropy of its tokens given the context; the\n"
            "four completions of an example run as one batch. acc_norm counts the examples\n"
            "whose lowest mean loss per token is the label's, acc the lowest total.\n"
            "  --json   one JSON object: n, acc, acc_norm, predictions (the acc_norm choice\n"
            "           of each example, in file order)\n");
}

int cmd_hellaswag(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"data", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *data = NULL;
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (model == NULL || data == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    lnf_error err;
    gpt2 m;
    if (checkpoint_load(&m, model, &err) != 0) {
        fprintf(stderr, "lnfree hellaswag: %s\n", err.msg);
        return 1;
    }
    hs_set set;
    hs_result r;
    int rc = hs_load(&set, data, m.cfg.vocab_size, m.cfg.n_positions, &err);
    if (rc == 0) {
        rc = hellaswag_score(&m, &set, &r, &err);
        if (rc != 0) {
            fprintf(stderr, "lnfree hellaswag: %s: %s\n", data, err.msg);
        }
        hs_free(&set);
    } else {
        fprintf(stderr, "lnfree hellaswag: %s\n", err.msg);
    }
    gpt2_free(&m);
    if (rc != 0) {
        return 1;
    }
    double acc = (double)r.correct / r.n, acc_norm = (double)r.correct_norm / r.n;
    if (json) {
        json_t *pred = json_array();
        for (int i = 0; i < r.n; i++) {
            json_array_append_new(pred, json_integer(r.predictions[i]));
        }
        rc = print_json("hellaswag", json_pack("{s:s, s:s, s:i, s:f, s:f, s:o}", "model", model,
                                               "data", data, "n", r.n, "acc", acc, "acc_norm",
                                               acc_norm, "predictions", pred));
    } else {
        printf("%s on %s: %d examples\n  acc %.4f (%d), acc_norm %.4f (%d)\n", model, data, r.n,
               acc, r.correct, acc_norm, r.correct_norm);
    }
    hs_result_free(&r);
    return rc != 0;
}
