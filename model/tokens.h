/* tokens: token files, read-only and memory-mapped, and the windows of them
 * that training batches are made of.
 *
 * Two formats, both of uint16 little-endian token ids:
 * - raw: nothing else (nanoGPT's train.bin, and what `lnfree prepare` writes);
 * - llm.c shard: a header of 256 little-endian int32 (magic 20240520, version 1,
 *   token count), then exactly that many tokens.
 * Opening validates the file: byte size even and matching the header, magic and
 * version, and (when a vocabulary size is given) every id below it. Each error
 * names the file and the problem. */
#ifndef LNFREE_MODEL_TOKENS_H
#define LNFREE_MODEL_TOKENS_H

#include <stddef.h>
#include "error.h"

#define LLMC_MAGIC 20240520
#define LLMC_VERSION 1
#define LLMC_HEADER_BYTES (256 * 4)

typedef enum {
    TOKENS_AUTO, /* an llm.c shard if the file starts with the magic, else raw */
    TOKENS_RAW,
    TOKENS_LLMC,
} tokens_format;

typedef struct {
    char *path;
    tokens_format format; /* as found: TOKENS_RAW or TOKENS_LLMC */
    size_t n_tokens;
    const unsigned char *data; /* 2·n_tokens bytes, inside the mapping */
    void *map;
    size_t map_size;
} token_file;

/* vocab_size > 0: every id must be below it (checked once, here). */
int tokens_open(token_file *tf, const char *path, tokens_format format, int vocab_size,
                lnf_error *err);
void tokens_close(token_file *tf);

/* Token i (i < n_tokens). */
int tokens_at(const token_file *tf, size_t i);

/* The [B, T+1] window at token pos: out[b·(T+1) + t] = token[pos + b·T + t] for
 * t = 0..T, so row b gives inputs x = out[b][0..T) and targets y = out[b][1..T]
 * and consecutive rows share one token (llm.c's B·T+1 contiguous tokens).
 * Needs pos + B·T + 1 ≤ n_tokens. */
int tokens_window(const token_file *tf, size_t pos, int B, int T, int *out, lnf_error *err);

#endif
