/* Fuzz target: llm.c multiple-choice evaluation files (data/hellaswag.h), as
 * `lnfree hellaswag` reads them.
 *
 * The fuzz bytes are the file, parsed with GPT-2's vocabulary and 1024
 * positions, and with a small vocabulary and n_positions decided by the last
 * byte. A parse must fail with a message naming the file, or give a set that
 * writes back to exactly the input's examples (and header fields), with every
 * token below the vocabulary, every label one of four completions and every
 * sequence within n_positions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "data/hellaswag.h"
#include "fuzz/fuzz_util.h"

static void put16(uint8_t *p, size_t *at, int v)
{
    p[(*at)++] = (uint8_t)(v & 255);
    p[(*at)++] = (uint8_t)(v >> 8);
}

static void check_set(const hs_set *s, const uint8_t *data, size_t size, int vocab, int n_pos)
{
    size_t need = HS_HEADER_BYTES;
    for (int i = 0; i < s->n; i++) {
        need += 12 + 2 * (size_t)s->examples[i].ctx_len;
        for (int k = 0; k < HS_COMPLETIONS; k++) {
            need += 2 + 2 * (size_t)s->examples[i].comp_len[k];
        }
    }
    if (need != size) {
        fz_finding("the parsed set takes %zu bytes, the file %zu", need, size);
    }
    uint8_t *out = malloc(size);
    if (out == NULL) {
        return;
    }
    size_t at = HS_HEADER_BYTES;
    for (int i = 0; i < s->n; i++) {
        const hs_example *e = &s->examples[i];
        size_t start = at;
        if (e->label < 0 || e->label >= HS_COMPLETIONS || e->ctx_len < 1) {
            fz_finding("example %d: label %d, context %d tokens accepted", i, e->label, e->ctx_len);
        }
        put16(out, &at, HS_MARKER);
        at += 2; /* size, filled below */
        put16(out, &at, e->index);
        put16(out, &at, e->label);
        put16(out, &at, HS_COMPLETIONS);
        put16(out, &at, e->ctx_len);
        for (int t = 0; t < e->ctx_len; t++) {
            put16(out, &at, s->tokens[e->ctx + t]);
        }
        for (int k = 0; k < HS_COMPLETIONS; k++) {
            if (e->comp_len[k] < 1 || e->ctx_len + e->comp_len[k] - 1 > n_pos) {
                fz_finding("example %d: completion %d of %d tokens accepted", i, k, e->comp_len[k]);
            }
            put16(out, &at, e->comp_len[k]);
            for (int t = 0; t < e->comp_len[k]; t++) {
                put16(out, &at, s->tokens[e->comp[k] + t]);
            }
        }
        size_t size_at = start + 2;
        put16(out, &size_at, (int)(at - start));
    }
    for (int i = 0; i < s->n; i++) {
        const hs_example *e = &s->examples[i];
        for (int t = 0; t < e->ctx_len; t++) {
            if (s->tokens[e->ctx + t] >= vocab) {
                fz_finding("token %d >= vocab %d accepted", s->tokens[e->ctx + t], vocab);
            }
        }
    }
    if (memcmp(out + HS_HEADER_BYTES, data + HS_HEADER_BYTES, size - HS_HEADER_BYTES) != 0) {
        fz_finding("the parsed set does not write back to the file's examples");
    }
    uint32_t n = (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 |
                 (uint32_t)data[11] << 24;
    if (n != (uint32_t)s->n) {
        fz_finding("header says %u examples, parsed %d", n, s->n);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int small_vocab = size > 0 ? 1 + data[size - 1] : 97;
    int small_pos = size > 0 ? 1 + data[size - 1] % 32 : 8;
    const int vocab[2] = {50257, small_vocab}, n_pos[2] = {1024, small_pos};
    for (int k = 0; k < 2; k++) {
        hs_set s;
        lnf_error err;
        err.msg[0] = '\0';
        if (hs_parse(&s, data, size, "eval.bin", vocab[k], n_pos[k], &err) != 0) {
            if (strstr(err.msg, "eval.bin") == NULL) {
                fz_finding("hs_parse failed without naming the file: '%s'", err.msg);
            }
            continue;
        }
        check_set(&s, data, size, vocab[k], n_pos[k]);
        hs_free(&s);
    }
    return 0;
}
