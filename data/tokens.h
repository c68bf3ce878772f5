/* tokens: token files, read-only, memory-mapped and validated (a stream of
 * one or more of them, and the batches read from it: data/stream.h).
 *
 * Two formats, both of uint16 little-endian token ids:
 * - raw: nothing else (nanoGPT's train.bin, and what `lnfree prepare` writes);
 * - llm.c shard: a header of 256 little-endian int32 (magic 20240520, version 1,
 *   token count), then exactly that many tokens.
 * Opening validates the file: byte size even and matching the header, magic and
 * version, and (when a vocabulary size is given) every id below it. Each error
 * names the file and the problem. */
#ifndef LNFREE_DATA_TOKENS_H
#define LNFREE_DATA_TOKENS_H

#include <stddef.h>
#include "base/error.h"
#include "base/fs.h"

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
    fs_mapping map;
} token_file;

/* vocab_size > 0: every id must be below it (checked once, here). */
int tokens_open(token_file *tf, const char *path, tokens_format format, int vocab_size,
                lnf_error *err);
void tokens_close(token_file *tf);

/* Token i (i < n_tokens). */
int tokens_at(const token_file *tf, size_t i);

#endif
