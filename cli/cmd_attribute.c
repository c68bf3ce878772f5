/* lnfree attribute: direct logit attribution of one logit (model/attribute.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "data/tokenizer.h"
#include "model/attribute.h"
#include "model/checkpoint.h"

#define TOP_ROWS 20

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree attribute --model DIR (--tokens IDS | --tokenizer DIR --text TEXT)\n"
            "                        --target TOKEN [--position P] [--json]\n"
            "\n"
            "Splits the logit of token TARGET (an id) at position P (0-based; default the\n"
            "last) into the direct contributions of what writes to the residual stream:\n"
            "embed, pos_embed, each head L{l}.H{h}, L{l}.attn_bias (c_proj's bias and the\n"
            "value bias through c_proj), L{l}.mlp and lnf_bias. For an LN-free model (lnf\n"
            "frozen, or either export) the parts are the exact direct effects and sum to the\n"
            "logit up to float32 rounding (the residual). With a real lnf they are\n"
            "TransformerLens's approximation (each part divided by the cached final scale),\n"
            "labelled approximate. The text output lists the 20 largest |value|.\n"
            "  --tokens IDS    comma-separated token ids\n"
            "  --tokenizer DIR, --text TEXT   or encode TEXT with the tokenizer in DIR\n");
}

/* "12,7,0" into ids; -1 (printed) on anything else. */
static int parse_ids(const char *text, int **ids, int *n)
{
    *n = 0;
    *ids = malloc((strlen(text) / 2 + 1) * sizeof(int));
    if (*ids == NULL) {
        fprintf(stderr, "lnfree attribute: out of memory\n");
        return -1;
    }
    const char *p = text;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 0x7fffffff || (*end != ',' && *end != '\0')) {
            fprintf(stderr, "lnfree attribute: --tokens: \"%s\" is not a comma-separated list "
                            "of token ids\n", text);
            free(*ids);
            return -1;
        }
        (*ids)[(*n)++] = (int)v;
        if (*end == '\0') {
            return 0;
        }
        p = end + 1;
    }
}

static int encode_text(const char *dir, const char *text, int **ids, int *n)
{
    lnf_error err;
    tokenizer *tok;
    if (tokenizer_load(&tok, dir, &err) != 0) {
        fprintf(stderr, "lnfree attribute: %s\n", err.msg);
        return -1;
    }
    int32_t *raw = NULL;
    size_t len = 0;
    int rc = tokenizer_encode(tok, text, strlen(text), &raw, &len, &err);
    tokenizer_free(tok);
    if (rc != 0 || len == 0) {
        fprintf(stderr, "lnfree attribute: --text: %s\n", rc != 0 ? err.msg : "no tokens");
        free(raw);
        return -1;
    }
    *ids = malloc(len * sizeof(int));
    for (size_t i = 0; *ids != NULL && i < len; i++) {
        (*ids)[i] = raw[i];
    }
    free(raw);
    *n = (int)len;
    return *ids != NULL ? 0 : -1;
}

static int by_magnitude(const void *a, const void *b)
{
    double x = fabs(((const attr_component *)a)->value), y = fabs(((const attr_component *)b)->value);
    return (x < y) - (x > y);
}

static void print_table(const attribution *a)
{
    printf("logit of token %d at position %d (input token %d): %.6f\n", a->target, a->position,
           a->token, a->logit);
    printf("%s: %s\n", a->exact ? "exact" : "APPROXIMATE", a->final_scale);
    attr_component *sorted = malloc((size_t)a->n * sizeof *sorted);
    if (sorted != NULL) {
        memcpy(sorted, a->parts, (size_t)a->n * sizeof *sorted);
        qsort(sorted, (size_t)a->n, sizeof *sorted, by_magnitude);
        for (int i = 0; i < a->n && i < TOP_ROWS; i++) {
            printf("  %-16s %+12.6f\n", sorted[i].name, sorted[i].value);
        }
        free(sorted);
    }
    printf("sum of the %d components %.6f; residual (logit - sum) %.3g\n", a->n,
           a->logit - a->residual, a->residual);
}

int cmd_attribute(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},     {"tokens", required_argument, 0, 'i'},
        {"tokenizer", required_argument, 0, 'k'}, {"text", required_argument, 0, 'x'},
        {"target", required_argument, 0, 't'},    {"position", required_argument, 0, 'p'},
        {"json", no_argument, 0, 'j'},            {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model = NULL, *ids_text = NULL, *tok_dir = NULL, *text = NULL;
    int target = -1, position = -1, json = 0, c, bad = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': ids_text = optarg; break;
        case 'k': tok_dir = optarg; break;
        case 'x': text = optarg; break;
        case 't': bad |= arg_int("attribute", "target", optarg, 0, &target); break;
        case 'p': bad |= arg_int("attribute", "position", optarg, 0, &position); break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) {
        return 2;
    }
    if (model == NULL || target < 0 || optind != argc ||
        (ids_text != NULL) == (text != NULL) || (text != NULL) != (tok_dir != NULL)) {
        usage(stderr);
        return 2;
    }
    int *ids, n;
    if ((ids_text != NULL ? parse_ids(ids_text, &ids, &n) : encode_text(tok_dir, text, &ids, &n)) !=
        0) {
        return 1;
    }
    lnf_error err;
    gpt2 m;
    attribution a;
    int rc = checkpoint_load(&m, model, &err);
    if (rc == 0) {
        rc = attribute_logit(&m, ids, n, position >= 0 ? position : n - 1, target, &a, &err);
        gpt2_free(&m);
    }
    free(ids);
    if (rc != 0) {
        fprintf(stderr, "lnfree attribute: %s: %s\n", model, err.msg);
        return 1;
    }
    if (json) {
        json_t *o = attribution_json(&a);
        json_object_set_new(o, "model", json_string(model));
        rc = print_json("attribute", o);
    } else {
        print_table(&a);
    }
    attribution_free(&a);
    return rc != 0;
}
