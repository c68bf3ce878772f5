#define _POSIX_C_SOURCE 200809L
#include "data/prepare.h"
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "data/brown.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/jsonio.h"
#include "base/path.h"
#include "base/sha256.h"
#include "data/tokenizer.h"

static const char *const out_names[2] = {"train.bin", "val.bin"};

typedef struct {
    tokenizer *tok;
    double val_fraction;
    lnf_buf out[2]; /* the bytes of train.bin and val.bin */
    prepare_summary sum;
    json_t *sources;
} prep;

/* Encodes one document and appends it, after <|endoftext|>, to train or val. */
static int add_document(prep *p, const char *path, const void *text, size_t len,
                        size_t *tokens, lnf_error *err)
{
    int32_t *ids;
    size_t n;
    lnf_error inner;
    if (tokenizer_encode(p->tok, text, len, &ids, &n, &inner) != 0) {
        return lnf_fail(err, "%s: %s", path, inner.msg);
    }
    size_t doc = n + 1, total = p->sum.tokens[0] + p->sum.tokens[1] + doc;
    int v = (double)(p->sum.tokens[1] + doc) <= p->val_fraction * (double)total;
    lnf_buf *b = &p->out[v];
    if (buf_reserve(b, 2 * doc) != 0) {
        free(ids);
        return lnf_fail(err, "%s: out of memory for %zu tokens", path, p->sum.tokens[v] + doc);
    }
    for (size_t i = 0; i < doc; i++) {
        int32_t id = i == 0 ? tokenizer_eot(p->tok) : ids[i - 1];
        b->data[b->len++] = (unsigned char)(id & 0xff);
        b->data[b->len++] = (unsigned char)(id >> 8);
    }
    free(ids);
    p->sum.documents[v]++;
    p->sum.tokens[v] += doc;
    *tokens += doc;
    return 0;
}

/* The Brown corpus in dir: each text, its tags stripped, is one document. */
static int add_brown(prep *p, const char *dir, size_t *docs, size_t *tokens, lnf_error *err)
{
    char **paths;
    int n;
    if (brown_list(dir, &paths, &n, err) != 0) {
        return -1;
    }
    lnf_buf tagged = {0}, text = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        tagged.len = text.len = 0;
        if (buf_read_file(&tagged, paths[i], err) != 0) {
            rc = -1;
        } else if (brown_detag((const char *)tagged.data, tagged.len, &text) != 0) {
            rc = lnf_fail(err, "%s: out of memory", paths[i]);
        } else {
            rc = add_document(p, paths[i], text.data, text.len, tokens, err);
            (*docs)++;
        }
    }
    buf_free(&tagged);
    buf_free(&text);
    brown_list_free(paths, n);
    return rc;
}

static int add_source(prep *p, const char *path, lnf_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return lnf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    size_t docs = 0, tokens = 0;
    const char *kind = S_ISDIR(st.st_mode) ? "brown" : "text";
    if (S_ISDIR(st.st_mode)) {
        if (!brown_is_corpus(path)) {
            return lnf_fail(err, "%s: a directory, but not the Brown corpus (it has no cats.txt)",
                            path);
        }
        if (add_brown(p, path, &docs, &tokens, err) != 0) {
            return -1;
        }
    } else {
        lnf_buf text = {0};
        int rc = buf_read_file(&text, path, err);
        if (rc == 0) {
            rc = add_document(p, path, text.data, text.len, &tokens, err);
            docs = 1;
        }
        buf_free(&text);
        if (rc != 0) {
            return -1;
        }
    }
    json_t *src = json_pack("{s:s, s:s, s:I, s:I}", "path", path, "kind", kind, "documents",
                            (json_int_t)docs, "tokens", (json_int_t)tokens);
    if (src == NULL || json_array_append_new(p->sources, src) != 0) {
        return lnf_fail(err, "%s: cannot record the source (invalid UTF-8 in its path?)", path);
    }
    return 0;
}

/* train.bin, val.bin, then prepare.json describing them. */
static int write_outputs(prep *p, const prepare_options *o, lnf_error *err)
{
    lnf_path path;
    json_t *root = json_pack(
        "{s:s, s:s, s:i, s:i, s:f, s:O}", "format",
        "uint16 little-endian token ids; each document is preceded by <|endoftext|>",
        "tokenizer", o->tokenizer_dir, "vocab_size", tokenizer_vocab_size(p->tok), "eot",
        tokenizer_eot(p->tok), "val_fraction", o->val_fraction, "sources", p->sources);
    if (root == NULL) {
        return lnf_fail(err, "%s: cannot build prepare.json (invalid UTF-8 in a path?)",
                        o->out_dir);
    }
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        char hex[65];
        sha256_hex(p->out[k].data, p->out[k].len, hex);
        rc = path_join(&path, o->out_dir, out_names[k], err) != 0 ||
                     fs_write_atomic(path.s, p->out[k].data, p->out[k].len, err) != 0
                 ? -1
                 : 0;
        json_object_set_new(root, k ? "val" : "train",
                            json_pack("{s:s, s:I, s:I, s:s}", "file", out_names[k], "documents",
                                      (json_int_t)p->sum.documents[k], "tokens",
                                      (json_int_t)p->sum.tokens[k], "sha256", hex));
    }
    if (rc == 0) {
        rc = path_join(&path, o->out_dir, "prepare.json", err) != 0 ||
                     jsonio_write(path.s, root, JSON_INDENT(2) | JSON_SORT_KEYS |
                                                    JSON_REAL_PRECISION(6), err) != 0
                 ? -1
                 : 0;
    }
    json_decref(root);
    return rc;
}

int prepare_run(const prepare_options *o, prepare_summary *summary, lnf_error *err)
{
    if (!(o->val_fraction >= 0.0 && o->val_fraction < 1.0)) {
        return lnf_fail(err, "the validation fraction must be in [0, 1), got %g", o->val_fraction);
    }
    if (o->n_inputs < 1) {
        return lnf_fail(err, "no input text given");
    }
    if (strlen(o->out_dir) > 4000) {
        return lnf_fail(err, "%s: path too long", o->out_dir);
    }
    prep p = {.val_fraction = o->val_fraction};
    if (tokenizer_load(&p.tok, o->tokenizer_dir, err) != 0) {
        return -1;
    }
    int rc = -1;
    p.sources = json_array();
    if (tokenizer_vocab_size(p.tok) > 65536) {
        lnf_fail(err, "%s: a vocabulary of %d does not fit uint16 token files", o->tokenizer_dir,
                 tokenizer_vocab_size(p.tok));
        goto done;
    }
    if (p.sources == NULL) {
        lnf_fail(err, "out of memory");
        goto done;
    }
    if (fs_ensure_dir(o->out_dir, err) != 0) {
        goto done;
    }
    for (int i = 0; i < o->n_inputs; i++) {
        if (add_source(&p, o->inputs[i], err) != 0) {
            goto done;
        }
    }
    rc = write_outputs(&p, o, err);
    *summary = p.sum;
done:
    json_decref(p.sources);
    buf_free(&p.out[0]);
    buf_free(&p.out[1]);
    tokenizer_free(p.tok);
    return rc;
}
