/* Fuzz target: token files (tokens_open, tokens_at, tokens_window).
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
#include "fuzz_util.h"
#include "tokens.h"

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

static void check_windows(const token_file *tf, const uint8_t *tokens, size_t count)
{
    static const int shapes[][2] = {{1, 1}, {1, 3}, {2, 2}, {3, 1}, {2, 5}};
    int out[2 * 6];
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int B = shapes[s][0], T = shapes[s][1];
        size_t need = (size_t)B * T + 1;
        size_t positions[] = {0, 1, count > need ? count - need : 0, count, count + 1, SIZE_MAX};
        for (size_t k = 0; k < sizeof positions / sizeof positions[0]; k++) {
            size_t pos = positions[k];
            int fits = pos <= count && count - pos >= need;
            lnf_error err;
            int rc = tokens_window(tf, pos, B, T, out, &err);
            if ((rc == 0) != fits) {
                fz_finding("window B=%d T=%d at %zu of %zu tokens: %s", B, T, pos, count,
                           rc == 0 ? "accepted past the end" : err.msg);
            }
            for (int b = 0; rc == 0 && b < B; b++) {
                for (int t = 0; t <= T; t++) {
                    size_t i = pos + (size_t)b * T + (size_t)t;
                    if (out[b * (T + 1) + t] != (tokens[2 * i] | tokens[2 * i + 1] << 8)) {
                        fz_finding("window B=%d T=%d at %zu: row %d column %d is wrong", B, T,
                                   pos, b, t);
                    }
                }
            }
        }
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
            check_windows(&tf, data + first, count);
            tokens_close(&tf);
        }
    }
    return 0;
}
