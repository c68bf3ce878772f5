#include "data/hellaswag.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"

static int32_t read_i32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

/* A cursor over one example's uint16 fields, bounded by the example's size. */
typedef struct {
    const unsigned char *p;
    size_t at, end; /* in uint16 */
    const char *name;
    int example;
} cursor;

static int next(cursor *c, const char *field, int *out, lnf_error *err)
{
    if (c->at >= c->end) {
        return lnf_fail(err, "%s: example %d: its %s lies past the example's end", c->name,
                        c->example, field);
    }
    *out = c->p[2 * c->at] | c->p[2 * c->at + 1] << 8;
    c->at++;
    return 0;
}

/* Reads a length and that many tokens into s->tokens; returns the offset. */
static int token_run(cursor *c, const char *field, hs_set *s, int *n_tok, int vocab_size,
                     int *len, int *offset, lnf_error *err)
{
    if (next(c, field, len, err) != 0) {
        return -1;
    }
    if (*len < 1) {
        return lnf_fail(err, "%s: example %d: the %s is empty", c->name, c->example, field);
    }
    if ((size_t)*len > c->end - c->at) {
        return lnf_fail(err, "%s: example %d: the %s's %d tokens run past the example's end",
                        c->name, c->example, field, *len);
    }
    *offset = *n_tok;
    for (int i = 0; i < *len; i++) {
        int t = 0;
        next(c, field, &t, err);
        if (t >= vocab_size) {
            return lnf_fail(err, "%s: example %d: %s token %d is %d, not below the vocab size %d",
                            c->name, c->example, field, i, t, vocab_size);
        }
        s->tokens[(*n_tok)++] = (uint16_t)t;
    }
    return 0;
}

static int parse_example(cursor *c, hs_set *s, hs_example *e, int *n_tok, int vocab_size,
                         int n_positions, lnf_error *err)
{
    int n_comp = 0;
    if (next(c, "index", &e->index, err) != 0 || next(c, "label", &e->label, err) != 0 ||
        next(c, "number of completions", &n_comp, err) != 0) {
        return -1;
    }
    if (n_comp != HS_COMPLETIONS) {
        return lnf_fail(err, "%s: example %d has %d completions, not %d", c->name, c->example,
                        n_comp, HS_COMPLETIONS);
    }
    if (e->label >= n_comp) {
        return lnf_fail(err, "%s: example %d: label %d is not one of its %d completions", c->name,
                        c->example, e->label, n_comp);
    }
    if (token_run(c, "context", s, n_tok, vocab_size, &e->ctx_len, &e->ctx, err) != 0) {
        return -1;
    }
    for (int k = 0; k < n_comp; k++) {
        char field[32];
        snprintf(field, sizeof field, "completion %d", k);
        if (token_run(c, field, s, n_tok, vocab_size, &e->comp_len[k], &e->comp[k], err) != 0) {
            return -1;
        }
        int len = e->ctx_len + e->comp_len[k];
        if (len - 1 > n_positions) {
            return lnf_fail(err, "%s: example %d: context and completion %d take %d tokens, more "
                            "than the model's n_positions %d plus the last target",
                            c->name, c->example, k, len, n_positions);
        }
        s->max_len = len > s->max_len ? len : s->max_len;
    }
    if (c->at != c->end) {
        return lnf_fail(err, "%s: example %d: its size field says %zu bytes but its fields take "
                        "%zu", c->name, c->example, 2 * c->end, 2 * c->at);
    }
    return 0;
}

static int parse_header(const unsigned char *bytes, size_t len, const char *name, int *n,
                        int *longest, lnf_error *err)
{
    if (len < HS_HEADER_BYTES) {
        return lnf_fail(err, "%s: %zu bytes, shorter than the %d-byte header", name, len,
                        HS_HEADER_BYTES);
    }
    int32_t magic = read_i32(bytes), version = read_i32(bytes + 4);
    *n = read_i32(bytes + 8);
    *longest = read_i32(bytes + 12);
    if (magic != HS_MAGIC) {
        return lnf_fail(err, "%s: magic %d is not an llm.c evaluation file's (%d)", name,
                        (int)magic, HS_MAGIC);
    }
    if (version != HS_VERSION) {
        return lnf_fail(err, "%s: version %d, only %d is known", name, (int)version, HS_VERSION);
    }
    if (*n < 1 || *n > 65535) {
        return lnf_fail(err, "%s: the header says %d examples (1 to 65535)", name, *n);
    }
    if (*longest < 12 || *longest > 2 * 65535) {
        return lnf_fail(err, "%s: the header's longest example, %d bytes, is impossible", name,
                        *longest);
    }
    return 0;
}

int hs_parse(hs_set *s, const unsigned char *bytes, size_t len, const char *name,
             int vocab_size, int n_positions, lnf_error *err)
{
    memset(s, 0, sizeof *s);
    int n = 0, longest = 0;
    if (parse_header(bytes, len, name, &n, &longest, err) != 0) {
        return -1;
    }
    size_t words = (len - HS_HEADER_BYTES) / 2;
    if ((len - HS_HEADER_BYTES) % 2 != 0) {
        return lnf_fail(err, "%s: the examples take an odd number of bytes", name);
    }
    const unsigned char *p = bytes + HS_HEADER_BYTES;
    s->examples = calloc((size_t)n, sizeof *s->examples);
    s->tokens = malloc((words > 0 ? words : 1) * sizeof *s->tokens);
    if (s->examples == NULL || s->tokens == NULL) {
        hs_free(s);
        return lnf_fail(err, "%s: out of memory for %d examples", name, n);
    }
    size_t at = 0;
    int n_tok = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        cursor c = {.p = p, .at = at, .end = words, .name = name, .example = i};
        int marker = 0, size = 0;
        if (at >= words) {
            rc = lnf_fail(err, "%s: ends after %d of the header's %d examples", name, i, n);
        } else if (next(&c, "marker", &marker, err) != 0 || next(&c, "size", &size, err) != 0) {
            rc = -1;
        } else if (marker != HS_MARKER) {
            rc = lnf_fail(err, "%s: example %d does not start with the marker 65535 (%d)", name,
                          i, marker);
        } else if (size % 2 != 0 || size < 14 || size > longest) {
            rc = lnf_fail(err, "%s: example %d: size %d bytes is odd, too small, or beyond the "
                          "header's longest (%d)", name, i, size, longest);
        } else if ((size_t)size / 2 > words - at) {
            rc = lnf_fail(err, "%s: example %d: its %d bytes run past the end of the file", name,
                          i, size);
        } else {
            c.end = at + (size_t)size / 2;
            rc = parse_example(&c, s, &s->examples[i], &n_tok, vocab_size, n_positions, err);
            at = c.end;
        }
    }
    if (rc == 0 && at != words) {
        rc = lnf_fail(err, "%s: %zu bytes follow the header's %d examples", name,
                      2 * (words - at), n);
    }
    if (rc != 0) {
        hs_free(s);
        return -1;
    }
    s->n = n;
    return 0;
}

int hs_load(hs_set *s, const char *path, int vocab_size, int n_positions, lnf_error *err)
{
    lnf_buf b = {0};
    if (buf_read_file(&b, path, err) != 0) {
        return -1;
    }
    int rc = hs_parse(s, (const unsigned char *)b.data, b.len, path, vocab_size, n_positions, err);
    buf_free(&b);
    return rc;
}

void hs_free(hs_set *s)
{
    free(s->examples);
    free(s->tokens);
    memset(s, 0, sizeof *s);
}
