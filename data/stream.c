#define _POSIX_C_SOURCE 200809L
#include "data/stream.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/path.h"
#include "base/rng.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int stream_open_files(token_stream *s, const char *name, char *const *paths, int n,
                      tokens_format format, int vocab_size, lnf_error *err)
{
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    s->files = calloc((size_t)n, sizeof *s->files);
    s->first = calloc((size_t)n + 1, sizeof *s->first);
    if (s->name == NULL || s->files == NULL || s->first == NULL) {
        stream_close(s);
        return lnf_fail(err, "%s: out of memory", name);
    }
    for (int i = 0; i < n; i++) {
        if (tokens_open(&s->files[i], paths[i], format, vocab_size, err) != 0) {
            stream_close(s);
            return -1;
        }
        s->n_files = i + 1;
        s->first[i + 1] = s->first[i] + s->files[i].n_tokens;
    }
    s->n_tokens = s->first[n];
    return 0;
}

int stream_open_file(token_stream *s, const char *path, int vocab_size, lnf_error *err)
{
    char *paths[1] = {(char *)path};
    return stream_open_files(s, path, paths, 1, TOKENS_AUTO, vocab_size, err);
}

/* The llm.c shards of `split` in dir: *_split_*.bin, sorted by name. */
static int list_shards(const char *dir, const char *split, char ***out, int *n, lnf_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        return lnf_fail(err, "%s: cannot open the data directory", dir);
    }
    char pattern[32];
    snprintf(pattern, sizeof pattern, "_%s_", split);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strstr(e->d_name, pattern) == NULL || len < 4 || strcmp(e->d_name + len - 4, ".bin") != 0) {
            continue;
        }
        lnf_path p;
        char **grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (grown == NULL) {
            rc = lnf_fail(err, "%s: out of memory", dir);
            break;
        }
        *out = grown;
        if (path_join(&p, dir, e->d_name, err) != 0 || ((*out)[*n] = strdup(p.s)) == NULL) {
            rc = rc != 0 ? rc : lnf_fail(err, "%s: out of memory", dir);
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc == 0 && *n > 0) {
        qsort(*out, (size_t)*n, sizeof **out, by_name);
    }
    return rc;
}

int stream_open_split(token_stream *s, const char *dir, const char *split, int vocab_size,
                      lnf_error *err)
{
    lnf_path single;
    struct stat st;
    if (path_fmt(&single, err, "%s/%s.bin", dir, split) != 0) {
        return -1;
    }
    if (stat(single.s, &st) == 0) {
        return stream_open_file(s, single.s, vocab_size, err);
    }
    char **paths;
    int n;
    if (list_shards(dir, split, &paths, &n, err) != 0) {
        return -1;
    }
    int rc = n > 0 ? stream_open_files(s, dir, paths, n, TOKENS_LLMC, vocab_size, err)
                   : lnf_fail(err, "%s: no %s.bin and no llm.c shards *_%s_*.bin", dir, split,
                              split);
    for (int i = 0; i < n; i++) {
        free(paths[i]);
    }
    free(paths);
    return rc;
}

int stream_open(token_stream *s, const char *path, const char *split, int vocab_size,
                lnf_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return stream_open_split(s, path, split, vocab_size, err);
    }
    return stream_open_file(s, path, vocab_size, err);
}

void stream_close(token_stream *s)
{
    for (int i = 0; i < s->n_files; i++) {
        tokens_close(&s->files[i]);
    }
    free(s->files);
    free(s->first);
    free(s->name);
    memset(s, 0, sizeof *s);
}

/* The file holding stream token i (i < n_tokens): binary search. */
static int file_of(const token_stream *s, size_t i)
{
    int lo = 0, hi = s->n_files - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->first[mid] <= i) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

int stream_at(const token_stream *s, size_t i)
{
    int f = file_of(s, i);
    return tokens_at(&s->files[f], i - s->first[f]);
}

/* out[j] = token[pos + j] for j < n (pos + n ≤ n_tokens), file by file. */
static void copy_tokens(const token_stream *s, size_t pos, size_t n, int *out)
{
    int f = file_of(s, pos);
    for (size_t j = 0; j < n; j++) {
        while (pos + j >= s->first[f + 1]) {
            f++;
        }
        out[j] = tokens_at(&s->files[f], pos + j - s->first[f]);
    }
}

int stream_batch(const token_stream *s, size_t pos, int B, int T, int *x, int *y, lnf_error *err)
{
    if (B < 1 || T < 1) {
        return lnf_fail(err, "%s: a batch needs B ≥ 1 and T ≥ 1 (got B=%d, T=%d)", s->name, B, T);
    }
    size_t n = (size_t)B * (size_t)T;
    if (pos > s->n_tokens || s->n_tokens - pos < n + 1) {
        return lnf_fail(err, "%s: a B=%d × T=%d batch at token %zu needs %zu tokens, the data "
                        "has %zu", s->name, B, T, pos, pos + n + 1, s->n_tokens);
    }
    copy_tokens(s, pos, n, x);
    copy_tokens(s, pos + 1, n, y);
    return 0;
}

int stream_rows(const token_stream *s, const size_t *starts, int B, int T, int *x, int *y,
                lnf_error *err)
{
    for (int b = 0; b < B; b++) {
        if (starts[b] > s->n_tokens || s->n_tokens - starts[b] < (size_t)T + 1) {
            return lnf_fail(err, "%s: a row of T=%d at token %zu needs %zu tokens, the data has "
                            "%zu", s->name, T, starts[b], starts[b] + (size_t)T + 1, s->n_tokens);
        }
        copy_tokens(s, starts[b], (size_t)T, x + (size_t)b * T);
        copy_tokens(s, starts[b] + 1, (size_t)T, y + (size_t)b * T);
    }
    return 0;
}

size_t stream_sequential_pos(size_t n_tokens, long long start, int B, int T, long long k)
{
    size_t bt = (size_t)B * (size_t)T, need = bt + 1;
    size_t p0 = (size_t)start % n_tokens;
    /* batches that fit from p0 before the first return to 0, then per pass from 0 */
    size_t first = p0 + need <= n_tokens ? (n_tokens - need - p0) / bt + 1 : 0;
    size_t per_pass = (n_tokens - need) / bt + 1;
    if ((size_t)k < first) {
        return p0 + (size_t)k * bt;
    }
    return (((size_t)k - first) % per_pass) * bt;
}

void stream_random_rows(size_t n_tokens, uint64_t seed, long long k, int B, int T,
                        size_t *starts)
{
    size_t span = n_tokens - (size_t)T; /* starts 0 .. n_tokens − T − 1 */
    for (int b = 0; b < B; b++) {
        /* one splitmix64 draw, seeded by (seed, k, b): independent of every other row */
        rng_t r;
        rng_seed(&r, seed ^ (0xD1B54A32D192ED03ull * ((uint64_t)k * (uint64_t)B + (uint64_t)b + 1)));
        starts[b] = (size_t)(rng_next(&r) % span);
    }
}
