/* lnfree decode: GPT-2 token ids on stdin → the bytes they stand for on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "cli/commands.h"
#include "data/tokenizer.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree decode --tokenizer DIR < IDS\n"
            "\n"
            "Reads token ids (decimal, separated by whitespace) on stdin and writes the bytes\n"
            "they decode to on stdout, exactly. An id outside the vocabulary is an error\n"
            "that names it, and nothing is written.\n"
            "\n"
            "  --tokenizer  a directory with vocab.json + merges.txt or encoder.json +\n"
            "               vocab.bpe (see lnfree encode --help)\n");
}

/* Whitespace-separated decimal ids in text (len bytes and a NUL) → ids; -1
 * naming the bad word. */
static int parse_ids(char *text, size_t len_text, int vocab, lnf_buf *ids, lnf_error *err)
{
    const char *sep = " \t\n\r\v\f";
    if (strlen(text) != len_text) {
        return lnf_fail(err, "stdin holds a NUL byte: expected token ids");
    }
    for (char *word = text + strspn(text, sep); *word != '\0'; word += strspn(word, sep)) {
        size_t len = strcspn(word, sep);
        char *end;
        errno = 0;
        long v = strtol(word, &end, 10);
        if (end != word + len || errno != 0 || v < 0 || v >= vocab) {
            return lnf_fail(err, "'%.*s' is not a token id (0..%d)", len > 40 ? 40 : (int)len,
                            word, vocab - 1);
        }
        int32_t id = (int32_t)v;
        if (buf_append(ids, &id, sizeof id) != 0) {
            return lnf_fail(err, "out of memory for the ids");
        }
        word += len;
    }
    return 0;
}

int cmd_decode(int argc, char **argv, const dist_ctx *dist)
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
        fprintf(stderr, "lnfree decode: %s\n", err.msg);
        return 1;
    }
    lnf_buf text = {0}, ids = {0}, out = {0};
    char nul = '\0';
    int rc = buf_read_stream(&text, stdin, "stdin", &err) == 0 &&
                     buf_append(&text, &nul, 1) == 0 &&
                     parse_ids((char *)text.data, text.len - 1, tokenizer_vocab_size(tok), &ids,
                               &err) == 0 &&
                     tokenizer_decode(tok, (const int32_t *)ids.data, ids.len / sizeof(int32_t),
                                      &out, &err) == 0
                 ? 0
                 : 1;
    if (rc != 0) {
        fprintf(stderr, "lnfree decode: %s\n", err.msg);
    } else if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        perror("lnfree decode: stdout");
        rc = 1;
    }
    buf_free(&text);
    buf_free(&ids);
    buf_free(&out);
    tokenizer_free(tok);
    return rc;
}
