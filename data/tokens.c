#define _POSIX_C_SOURCE 200809L
#include "data/tokens.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int tokens_at(const token_file *tf, size_t i)
{
    return tf->data[2 * i] | tf->data[2 * i + 1] << 8;
}

/* Finds the token area of the mapped file, by format. */
static int parse_layout(token_file *tf, tokens_format format, lnf_error *err)
{
    const unsigned char *p = tf->map.data;
    size_t size = tf->map.size;
    int is_llmc = size >= 4 && le32(p) == LLMC_MAGIC;
    if (format == TOKENS_RAW || (format == TOKENS_AUTO && !is_llmc)) {
        if (size % 2 != 0) {
            return lnf_fail(err, "%s: %zu bytes is an odd size for uint16 tokens", tf->path, size);
        }
        tf->format = TOKENS_RAW;
        tf->data = p;
        tf->n_tokens = size / 2;
        return 0;
    }
    if (size < LLMC_HEADER_BYTES) {
        return lnf_fail(err, "%s: %zu bytes, shorter than the %d-byte llm.c header", tf->path,
                        size, LLMC_HEADER_BYTES);
    }
    if (!is_llmc) {
        return lnf_fail(err, "%s: bad magic %lu (an llm.c shard starts with %d)", tf->path,
                        (unsigned long)le32(p), LLMC_MAGIC);
    }
    uint32_t version = le32(p + 4), count = le32(p + 8);
    if (version != LLMC_VERSION) {
        return lnf_fail(err, "%s: llm.c version %lu is not supported (only %d: uint16 tokens)",
                        tf->path, (unsigned long)version, LLMC_VERSION);
    }
    /* count is int32 in llm.c: above 2^31 it was negative there */
    if (count > INT32_MAX || (size - LLMC_HEADER_BYTES) != 2 * (size_t)count) {
        return lnf_fail(err, "%s: the header says %ld tokens (%zu bytes), but %zu bytes follow "
                        "the header", tf->path, (long)(int32_t)count, 2 * (size_t)count,
                        size - LLMC_HEADER_BYTES);
    }
    tf->format = TOKENS_LLMC;
    tf->data = p + LLMC_HEADER_BYTES;
    tf->n_tokens = count;
    return 0;
}

int tokens_open(token_file *tf, const char *path, tokens_format format, int vocab_size,
                lnf_error *err)
{
    memset(tf, 0, sizeof *tf);
    tf->path = strdup(path);
    if (tf->path == NULL) {
        return lnf_fail(err, "%s: out of memory", path);
    }
    if (fs_map(&tf->map, path, err) != 0 || parse_layout(tf, format, err) != 0) {
        tokens_close(tf);
        return -1;
    }
    for (size_t i = 0; vocab_size > 0 && i < tf->n_tokens; i++) {
        if (tokens_at(tf, i) >= vocab_size) {
            lnf_fail(err, "%s: token %zu is id %d, outside the vocabulary of %d", path, i,
                     tokens_at(tf, i), vocab_size);
            tokens_close(tf);
            return -1;
        }
    }
    return 0;
}

void tokens_close(token_file *tf)
{
    fs_unmap(&tf->map);
    free(tf->path);
    memset(tf, 0, sizeof *tf);
}
