/* stream: the token stream a run reads, and the one batch reader.
 *
 * A stream is one token file (data/tokens.h: raw uint16 or an llm.c shard)
 * or several read in name order as one sequence: a directory of llm.c shards
 * (`*_train_*.bin`, `*_val_*.bin`, as llm.c's dev/data scripts write them).
 * Training, validation and evaluation all read their batches through here:
 *   - contiguous: B·T + 1 consecutive tokens from a position (llm.c's layout:
 *     each row's last target is the next row's first input);
 *   - rows: each row's T + 1 tokens from its own position (nanoGPT's random
 *     windows).
 * Batches may span file boundaries. Every error names the file. */
#ifndef LNFREE_DATA_STREAM_H
#define LNFREE_DATA_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "data/tokens.h"

typedef struct {
    int n_files;
    token_file *files;
    size_t *first;    /* [n_files + 1]: the stream index of each file's first token */
    size_t n_tokens;
    char *name;       /* the file or directory, for messages */
} token_stream;

/* One file (raw or an llm.c shard, told apart by the magic); or n files of
 * `format` in this order, as one stream called `name`. */
int stream_open_file(token_stream *s, const char *path, int vocab_size, lnf_error *err);
int stream_open_files(token_stream *s, const char *name, char *const *paths, int n,
                      tokens_format format, int vocab_size, lnf_error *err);

/* The `split` ("train" or "val") of a data directory: DIR/split.bin
 * (nanoGPT, or `lnfree prepare`), else the llm.c shards DIR/ *_split_*.bin in
 * name order, each of which must carry the llm.c header; fails naming the
 * directory when it has neither. */
int stream_open_split(token_stream *s, const char *dir, const char *split, int vocab_size,
                      lnf_error *err);

/* A path: a data directory's split, or a single token file. */
int stream_open(token_stream *s, const char *path, const char *split, int vocab_size,
                lnf_error *err);

void stream_close(token_stream *s);

/* Token i of the stream (i < n_tokens). */
int stream_at(const token_stream *s, size_t i);

/* The contiguous B×T batch at pos: x[i] = token[pos + i], y[i] = token[pos + i + 1]
 * for i < B·T. Needs pos + B·T + 1 ≤ n_tokens. */
int stream_batch(const token_stream *s, size_t pos, int B, int T, int *x, int *y, lnf_error *err);

/* Row b from its own position: x[b·T + t] = token[starts[b] + t], y = the next
 * token. Needs starts[b] + T + 1 ≤ n_tokens. */
int stream_rows(const token_stream *s, const size_t *starts, int B, int T, int *x, int *y,
                lnf_error *err);

/* Sequential reading: where the k-th B×T batch starts (k from 0) when reading
 * from token start % n_tokens onward and going back to token 0 whenever the
 * next batch would not fit. A function of k alone. Needs n_tokens ≥ B·T + 1. */
size_t stream_sequential_pos(size_t n_tokens, long long start, int B, int T, long long k);

/* Random windows: the B row positions of the k-th batch, uniform over the
 * stream, a function of (seed, k, b) alone (splitmix64). Needs n_tokens ≥ T + 1. */
void stream_random_rows(size_t n_tokens, uint64_t seed, long long k, int B, int T,
                        size_t *starts);

#endif
