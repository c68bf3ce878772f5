/* Fuzz target: token files (tokens_open, tokens_at) and the streams and batches read from them
 * (data/stream.h).
 *
 * The fuzz bytes are the file, opened as AUTO, RAW and LLMC with no vocabulary
 * check, GPT-2's 50257 and a small vocabulary decided by the input's last
 * byte. Each open must fail with a message naming the file, or agree with an
 * independent reading of the format (tokens.h): raw = every byte pair, llm.c
 * = 256 int32 header (magic, version 1, count) then exactly count pairs; with
 * a vocabulary, every id below it. Windows inside the file must reproduce the
 * tokens; windows past its end must be refused. */
#include <stdint.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "data/stream.h"
#include "data/tokens.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* What the file holds as `format`: 0 with *first, *count set, or -1 if invalid. */
static int expected_layout(const uint8_t *data, size_t size, tokens_format format, int vocab,
                           size_t *first, size_t *count, tokens_format *found)
{
    int magic = size >= 4 && le32(data) == LLMC_MAGIC;
    if (format == TOKENS_RAW || (format == TOKENS_AUTO && !magic)) {
        if (size % 2 != 0) {
            return -1;
        }
        *first = 0;
        *count = size / 2;
        *found = TOKENS_RAW;
    } else {
        if (size < LLMC_HEADER_BYTES || !magic || le32(data + 4) != LLMC_VERSION ||
            le32(data + 8) > INT32_MAX || size - LLMC_HEADER_BYTES != 2 * (size_t)le32(data + 8)) {
            return -1;
        }
        *first = LLMC_HEADER_BYTES;
        *count = le32(data + 8);
        *found = TOKENS_LLMC;
    }
    for (size_t i = 0; vocab > 0 && i < *count; i++) {
        if ((data[*first + 2 * i] | data[*first + 2 * i + 1] << 8) >= vocab) {
            return -1;
        }
    }
    return 0;
}

/* The stream of one file, and of the file twice (a batch may span the two). */
static void check_batches(const char *path, const uint8_t *tokens, size_t count)
{
    static const int shapes[][2] = {{1, 1}, {1, 3}, {2, 2}, {3, 1}, {2, 5}};
    int x[2 * 5], y[2 * 5];
    for (int copies = 1; copies <= 2; copies++) {
        char *paths[2] = {(char *)path, (char *)path};
        token_stream st;
        lnf_error err;
        if (stream_open_files(&st, path, paths, copies, TOKENS_AUTO, 0, &err) != 0) {
            fz_finding("stream of a valid file refused: %s", err.msg);
        }
        size_t total = count * (size_t)copies;
        if (st.n_tokens != total) {
            fz_finding("stream of %d copies has %zu tokens, expected %zu", copies, st.n_tokens, total);
        }
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int B = shapes[s][0], T = shapes[s][1];
            size_t need = (size_t)B * T + 1;
            size_t positions[] = {0, 1, total > need ? total - need : 0, total, total + 1, SIZE_MAX};
            for (size_t k = 0; k < sizeof positions / sizeof positions[0]; k++) {
                size_t pos = positions[k];
                int fits = pos <= total && total - pos >= need;
                int rc = stream_batch(&st, pos, B, T, x, y, &err);
                if ((rc == 0) != fits) {
                    fz_finding("batch B=%d T=%d at %zu of %zu tokens: %s", B, T, pos, total,
                               rc == 0 ? "accepted past the end" : err.msg);
                }
                for (int i = 0; rc == 0 && i < B * T; i++) {
                    size_t j = (pos + (size_t)i) % count, j1 = (pos + (size_t)i + 1) % count;
                    if (x[i] != (tokens[2 * j] | tokens[2 * j + 1] << 8) ||
                        y[i] != (tokens[2 * j1] | tokens[2 * j1 + 1] << 8)) {
                        fz_finding("batch B=%d T=%d at %zu: element %d is wrong", B, T, pos, i);
                    }
                }
            }
            /* sequential and random positions always name a batch / rows that fit */
            for (long long kk = 0; total >= need && kk < 8; kk++) {
                size_t p = stream_sequential_pos(total, (long long)total / 3, B, T, kk);
                size_t starts[3];
                stream_random_rows(total, 7, kk, B, T, starts);
                if (p + need > total) {
                    fz_finding("sequential batch %lld at %zu does not fit %zu tokens", kk, p, total);
                }
                if (stream_rows(&st, starts, B, T, x, y, &err) != 0) {
                    fz_finding("random rows of batch %lld do not fit: %s", kk, err.msg);
                }
            }
        }
        stream_close(&st);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("tokens.bin", data, size);
    int vocabs[] = {0, 50257, size > 0 ? 1 + data[size - 1] * 4 : 1};
    tokens_format formats[] = {TOKENS_AUTO, TOKENS_RAW, TOKENS_LLMC};
    for (size_t f = 0; f < 3; f++) {
        for (size_t v = 0; v < 3; v++) {
            size_t first = 0, count = 0;
            tokens_format found = TOKENS_AUTO;
            int want = expected_layout(data, size, formats[f], vocabs[v], &first, &count, &found);
            token_file tf;
            lnf_error err;
            err.msg[0] = '\0';
            int rc = tokens_open(&tf, path, formats[f], vocabs[v], &err);
            if (rc != want) {
                fz_finding("tokens_open (format %d, vocab %d) %s", (int)formats[f], vocabs[v],
                           rc == 0 ? "accepted an invalid file" : err.msg);
            }
            if (rc != 0) {
                if (strstr(err.msg, path) == NULL) {
                    fz_finding("tokens_open failed without naming the file: '%s'", err.msg);
                }
                continue;
            }
            if (tf.n_tokens != count || tf.format != found) {
                fz_finding("tokens_open: %zu tokens as format %d, expected %zu as %d", tf.n_tokens,
                           (int)tf.format, count, (int)found);
            }
            for (size_t i = 0; i < count; i++) {
                if (tokens_at(&tf, i) != (data[first + 2 * i] | data[first + 2 * i + 1] << 8)) {
                    fz_finding("tokens_at(%zu) is wrong", i);
                }
            }
            tokens_close(&tf);
            if (formats[f] == TOKENS_AUTO && vocabs[v] == 0) {
                check_batches(path, data + first, count);
            }
        }
    }
    return 0;
}
