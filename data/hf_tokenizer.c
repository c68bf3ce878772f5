#include "data/hf_tokenizer.h"
#include <stdio.h>
#include <string.h>
#include "base/buf.h"
#include "base/fs.h"
#include "base/jsonio.h"
#include "base/path.h"
#include "data/tokenizer.h"

#define EOT_TEXT "<|endoftext|>"

/* The merges file's lines as "a b" strings, without the "#version" line. */
static json_t *merges_json(const lnf_buf *merges)
{
    json_t *arr = json_array();
    const char *p = (const char *)merges->data, *end = p + merges->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        if (n > 0 && !(n >= 8 && strncmp(p, "#version", 8) == 0)) {
            json_array_append_new(arr, json_stringn(p, n));
        }
        p += (nl != NULL ? (size_t)(nl - p) + 1 : n);
    }
    return arr;
}

static json_t *byte_level(int add_prefix_space, int trim_offsets)
{
    return json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space",
                     add_prefix_space, "trim_offsets", trim_offsets, "use_regex", 1);
}

static json_t *tokenizer_json(json_t *vocab, json_t *merges, int eot)
{
    json_t *added = json_pack("[{s:i, s:s, s:b, s:b, s:b, s:b, s:b}]", "id", eot, "content",
                              EOT_TEXT, "single_word", 0, "lstrip", 0, "rstrip", 0,
                              "normalized", 1, "special", 1);
    json_t *model = json_pack("{s:s, s:n, s:n, s:s, s:s, s:b, s:b, s:O, s:o}", "type", "BPE",
                              "dropout", "unk_token", "continuing_subword_prefix", "",
                              "end_of_word_suffix", "", "fuse_unk", 0, "byte_fallback", 0,
                              "vocab", vocab, "merges", merges);
    return json_pack("{s:s, s:n, s:n, s:o, s:n, s:o, s:o, s:o, s:o}", "version", "1.0",
                     "truncation", "padding", "added_tokens", added, "normalizer",
                     "pre_tokenizer", byte_level(0, 1), "post_processor", byte_level(1, 0),
                     "decoder", byte_level(1, 1), "model", model);
}

static int write_json(const char *dir, const char *name, json_t *j, lnf_error *err)
{
    lnf_path p;
    int rc = j == NULL ? lnf_fail(err, "%s/%s: cannot build JSON", dir, name)
             : path_join(&p, dir, name, err) != 0
                 ? -1
                 : jsonio_write(p.s, j, JSON_INDENT(2) | JSON_SORT_KEYS, err);
    json_decref(j);
    return rc;
}

static int copy_file(const lnf_buf *b, const char *dir, const char *name, lnf_error *err)
{
    lnf_path p;
    return path_join(&p, dir, name, err) != 0 ? -1 : fs_write_atomic(p.s, b->data, b->len, err);
}

int hf_tokenizer_write(const char *src_dir, const char *out_dir, int model_max_length,
                       lnf_error *err)
{
    lnf_path vocab_path, merges_path;
    tokenizer *t;
    if (tokenizer_files(src_dir, &vocab_path, &merges_path, err) != 0 ||
        tokenizer_load(&t, src_dir, err) != 0) {
        return -1;
    }
    int eot = tokenizer_eot(t);
    tokenizer_free(t);
    lnf_buf vocab = {0}, merges = {0};
    json_t *vocab_obj = NULL;
    int rc = buf_read_file(&vocab, vocab_path.s, err) != 0 ||
                     buf_read_file(&merges, merges_path.s, err) != 0 ||
                     (vocab_obj = jsonio_read(vocab_path.s, err)) == NULL
                 ? -1
                 : 0;
    if (rc == 0) {
        rc = copy_file(&vocab, out_dir, "vocab.json", err) != 0 ||
                     copy_file(&merges, out_dir, "merges.txt", err) != 0 ||
                     write_json(out_dir, "tokenizer.json",
                                tokenizer_json(vocab_obj, merges_json(&merges), eot), err) != 0
                 ? -1
                 : 0;
    }
    json_t *added = json_pack("{s:{s:s, s:b, s:b, s:b, s:b, s:b}}", "50256", "content", EOT_TEXT,
                              "single_word", 0, "lstrip", 0, "rstrip", 0, "normalized", 1,
                              "special", 1);
    if (rc == 0 && eot != 50256) {
        /* the key is the id */
        char id[16];
        snprintf(id, sizeof id, "%d", eot);
        json_object_set(added, id, json_object_get(added, "50256"));
        json_object_del(added, "50256");
    }
    if (rc == 0) {
        rc = write_json(out_dir, "tokenizer_config.json",
                        json_pack("{s:b, s:O, s:s, s:s, s:s, s:i, s:s, s:b}", "add_prefix_space",
                                  0, "added_tokens_decoder", added, "bos_token", EOT_TEXT,
                                  "eos_token", EOT_TEXT, "unk_token", EOT_TEXT,
                                  "model_max_length", model_max_length, "tokenizer_class",
                                  "GPT2Tokenizer", "clean_up_tokenization_spaces", 0),
                        err) != 0 ||
                     write_json(out_dir, "special_tokens_map.json",
                                json_pack("{s:s, s:s, s:s}", "bos_token", EOT_TEXT, "eos_token",
                                          EOT_TEXT, "unk_token", EOT_TEXT),
                                err) != 0
                 ? -1
                 : 0;
    }
    json_decref(added);
    json_decref(vocab_obj);
    buf_free(&vocab);
    buf_free(&merges);
    return rc;
}
