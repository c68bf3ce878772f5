/* test_tokens: token files in both formats (raw uint16, llm.c shards), the
 * [B, T+1] windows the trainer reads, and hostile files rejected with
 * messages naming the file and the problem. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/data_util.h"
#include "tests/golden_util.h"
#include "data/stream.h"
#include "data/tokens.h"

/* A token file: an llm.c header (when magic ≠ 0) then n uint16 tokens. */
static const char *write_tokens(const char *name, uint32_t magic, uint32_t version,
                                uint32_t count, const uint16_t *tok, size_t n)
{
    size_t head = magic ? LLMC_HEADER_BYTES : 0;
    unsigned char *bytes = calloc(1, head + 2 * n + 1);
    uint32_t h[3] = {magic, version, count};
    for (int i = 0; head && i < 3; i++) {
        for (int k = 0; k < 4; k++) {
            bytes[4 * i + k] = (unsigned char)(h[i] >> (8 * k));
        }
    }
    for (size_t i = 0; i < n; i++) {
        bytes[head + 2 * i] = (unsigned char)(tok[i] & 0xff);
        bytes[head + 2 * i + 1] = (unsigned char)(tok[i] >> 8);
    }
    const char *path = du_path(name);
    du_write(path, bytes, head + 2 * n);
    free(bytes);
    return path;
}

static void open_ok(token_file *tf, const char *path, tokens_format format, int vocab)
{
    lnf_error err;
    ck_assert_msg(tokens_open(tf, path, format, vocab, &err) == 0, "%s", err.msg);
}

static void expect_open_error(const char *path, tokens_format format, int vocab,
                              const char *problem)
{
    token_file tf;
    lnf_error err;
    ck_assert_msg(tokens_open(&tf, path, format, vocab, &err) == -1, "%s: opened", path);
    du_assert_msg_has(path, err.msg, path, problem, NULL);
}

static const uint16_t ten[10] = {50256, 1, 2, 3, 4, 5, 6, 7, 8, 65535};

START_TEST(test_raw_file)
{
    token_file tf;
    const char *path = write_tokens("raw.bin", 0, 0, 0, ten, 10);
    open_ok(&tf, path, TOKENS_AUTO, 0);
    ck_assert_int_eq(tf.format, TOKENS_RAW);
    ck_assert_uint_eq(tf.n_tokens, 10);
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(tokens_at(&tf, (size_t)i), ten[i]);
    }
    tokens_close(&tf);
    open_ok(&tf, path, TOKENS_RAW, 65536);
    ck_assert_uint_eq(tf.n_tokens, 10);
    tokens_close(&tf);
    /* an empty file holds no tokens (prepare writes one when val gets nothing) */
    du_write(du_path("empty.bin"), "", 0);
    open_ok(&tf, du_path("empty.bin"), TOKENS_AUTO, 50257);
    ck_assert_uint_eq(tf.n_tokens, 0);
    tokens_close(&tf);
}
END_TEST

START_TEST(test_llmc_shard)
{
    token_file tf;
    const char *path = write_tokens("shard.bin", LLMC_MAGIC, 1, 10, ten, 10);
    for (int f = 0; f < 2; f++) {
        open_ok(&tf, path, f ? TOKENS_LLMC : TOKENS_AUTO, 0);
        ck_assert_int_eq(tf.format, TOKENS_LLMC);
        ck_assert_uint_eq(tf.n_tokens, 10);
        ck_assert_int_eq(tokens_at(&tf, 0), 50256);
        ck_assert_int_eq(tokens_at(&tf, 9), 65535);
        tokens_close(&tf);
    }
    /* read as raw on request: the header is 512 tokens of the file */
    open_ok(&tf, path, TOKENS_RAW, 0);
    ck_assert_int_eq(tf.format, TOKENS_RAW);
    ck_assert_uint_eq(tf.n_tokens, 512 + 10);
    tokens_close(&tf);
    /* an empty shard is valid */
    open_ok(&tf, write_tokens("empty_shard.bin", LLMC_MAGIC, 1, 0, NULL, 0), TOKENS_AUTO, 50257);
    ck_assert_uint_eq(tf.n_tokens, 0);
    tokens_close(&tf);
}
END_TEST

START_TEST(test_batches)
{
    token_stream tf;
    lnf_error err;
    ck_assert_msg(stream_open_file(&tf, write_tokens("win.bin", 0, 0, 0, ten, 10), 0, &err) == 0,
                  "%s", err.msg);
    int x[2 * 3], y[2 * 3];
    /* B=2, T=3 at 1: tokens 1..7; x the first six, y the six after them */
    ck_assert_msg(stream_batch(&tf, 1, 2, 3, x, y, &err) == 0, "%s", err.msg);
    static const int want_x[] = {1, 2, 3, 4, 5, 6}, want_y[] = {2, 3, 4, 5, 6, 7};
    ck_assert_mem_eq(x, want_x, sizeof want_x);
    ck_assert_mem_eq(y, want_y, sizeof want_y);
    /* the last batch that fits: 6 + 3·1 + 1 = 10 tokens */
    ck_assert_msg(stream_batch(&tf, 6, 1, 3, x, y, &err) == 0, "%s", err.msg);
    static const int last_x[] = {6, 7, 8}, last_y[] = {7, 8, 65535};
    ck_assert_mem_eq(x, last_x, sizeof last_x);
    ck_assert_mem_eq(y, last_y, sizeof last_y);
    ck_assert_int_eq(stream_batch(&tf, 7, 1, 3, x, y, &err), -1);
    du_assert_msg_has("past the end", err.msg, "win.bin", "batch at token 7 needs 11 tokens",
                      "the data has 10", NULL);
    ck_assert_int_eq(stream_batch(&tf, (size_t)-1, 1, 1, x, y, &err), -1);
    ck_assert_int_eq(stream_batch(&tf, 0, 0, 3, x, y, &err), -1);
    du_assert_msg_has("B=0", err.msg, "B ≥ 1 and T ≥ 1", NULL);
    stream_close(&tf);
}
END_TEST

/* Two files as one stream (llm.c shards): a batch across the boundary, rows
 * from their own positions, and random rows that depend on (seed, k, b) only. */
START_TEST(test_stream_of_shards)
{
    uint16_t a[6] = {10, 11, 12, 13, 14, 15}, b[5] = {20, 21, 22, 23, 24};
    char *paths[2] = {strdup(write_tokens("s_train_000.bin", LLMC_MAGIC, 1, 6, a, 6)),
                      strdup(write_tokens("s_train_001.bin", LLMC_MAGIC, 1, 5, b, 5))};
    token_stream st;
    lnf_error err;
    ck_assert_msg(stream_open_files(&st, "shards", paths, 2, TOKENS_LLMC, 50257, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(st.n_tokens, 11);
    ck_assert_int_eq(stream_at(&st, 5), 15);
    ck_assert_int_eq(stream_at(&st, 6), 20);
    int x[4], y[4];
    ck_assert_msg(stream_batch(&st, 4, 2, 2, x, y, &err) == 0, "%s", err.msg);
    static const int wx[] = {14, 15, 20, 21}, wy[] = {15, 20, 21, 22};
    ck_assert_mem_eq(x, wx, sizeof wx);
    ck_assert_mem_eq(y, wy, sizeof wy);
    size_t starts[2] = {8, 1};
    ck_assert_msg(stream_rows(&st, starts, 2, 2, x, y, &err) == 0, "%s", err.msg);
    static const int rx[] = {22, 23, 11, 12}, ry[] = {23, 24, 12, 13};
    ck_assert_mem_eq(x, rx, sizeof rx);
    ck_assert_mem_eq(y, ry, sizeof ry);
    starts[0] = 9; /* 9 + 2 + 1 > 11 */
    ck_assert_int_eq(stream_rows(&st, starts, 2, 2, x, y, &err), -1);
    du_assert_msg_has("row past the end", err.msg, "shards", "at token 9", NULL);
    stream_close(&st);
    /* the directory form: *_train_*.bin in name order, val missing */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", du_path(""));
    ck_assert_msg(stream_open_split(&st, dir, "train", 50257, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(stream_at(&st, 6), 20);
    stream_close(&st);
    ck_assert_int_eq(stream_open_split(&st, dir, "val", 50257, &err), -1);
    du_assert_msg_has("no val split", err.msg, "no val.bin and no llm.c shards *_val_*.bin", NULL);
    /* a directory's shards must be llm.c shards: each bad one is named */
    struct {
        const char *dir, *want;
        uint32_t magic, version, count;
        uint16_t last;
    } bad[] = {
        {"shards_magic", "bad magic 20240521", 20240521, 1, 6, 15},
        {"shards_raw", "shorter than the 1024-byte llm.c header", 0, 1, 6, 15},
        {"shards_header", "header says 7 tokens", LLMC_MAGIC, 1, 7, 15},
        {"shards_vocab", "50257", LLMC_MAGIC, 1, 6, 50257},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char sub[512], name[600];
        snprintf(sub, sizeof sub, "%s", du_path(bad[i].dir));
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        snprintf(name, sizeof name, "%s/d_train_000.bin", bad[i].dir);
        write_tokens(name, LLMC_MAGIC, 1, 6, a, 6);
        uint16_t c[6] = {10, 11, 12, 13, 14, bad[i].last};
        snprintf(name, sizeof name, "%s/d_train_001.bin", bad[i].dir);
        const char *second = write_tokens(name, bad[i].magic, bad[i].version, bad[i].count, c, 6);
        ck_assert_int_eq(stream_open_split(&st, sub, "train", 50257, &err), -1);
        du_assert_msg_has(bad[i].dir, err.msg, second, bad[i].want, NULL);
    }
    /* random rows: the same (seed, k, b) the same position; different k, different rows */
    size_t r1[4], r2[4], r3[4];
    stream_random_rows(1000000, 42, 7, 4, 64, r1);
    stream_random_rows(1000000, 42, 7, 4, 64, r2);
    stream_random_rows(1000000, 42, 8, 4, 64, r3);
    ck_assert_mem_eq(r1, r2, sizeof r1);
    ck_assert_int_ne(memcmp(r1, r3, sizeof r1), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_lt(r1[i] + 64, 1000000);
    }
    free(paths[0]);
    free(paths[1]);
}
END_TEST

/* Sequential order: batches from start onward, back to 0 when the next one
 * would not fit, each a function of its index alone (here by hand: 20
 * tokens, B·T = 6, so 7 tokens per batch). */
START_TEST(test_sequential_positions)
{
    /* from 5: 5, 11 fit (11 + 7 ≤ 20), 17 does not; then 0, 6, 12 per pass */
    static const size_t want[] = {5, 11, 0, 6, 12, 0, 6, 12, 0};
    for (int k = 0; k < 9; k++) {
        ck_assert_uint_eq(stream_sequential_pos(20, 5, 2, 3, k), want[k]);
    }
    /* a start past the last batch that fits goes to 0 at once; start wraps mod n */
    ck_assert_uint_eq(stream_sequential_pos(20, 14, 2, 3, 0), 0);
    ck_assert_uint_eq(stream_sequential_pos(20, 25, 2, 3, 0), 5);
    /* exactly one batch fits: every k reads it */
    ck_assert_uint_eq(stream_sequential_pos(7, 0, 2, 3, 0), 0);
    ck_assert_uint_eq(stream_sequential_pos(7, 0, 2, 3, 1000000), 0);
}
END_TEST

/* A larger file: every batch equals the tokens written. */
START_TEST(test_large_file_batches)
{
    enum { N = 1 << 20, B = 4, T = 64 };
    uint16_t *tok = malloc(N * sizeof *tok);
    gu_rng r;
    gu_seed(&r, 7);
    for (size_t i = 0; i < N; i++) {
        tok[i] = (uint16_t)(gu_uniform(&r) * 50257);
    }
    token_stream tf;
    lnf_error err;
    ck_assert_msg(stream_open_file(&tf, write_tokens("large.bin", LLMC_MAGIC, 1, N, tok, N), 50257,
                                   &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(tf.n_tokens, N);
    int *x = malloc(B * T * sizeof *x), *y = malloc(B * T * sizeof *y);
    for (int k = 0; k < 200; k++) {
        size_t pos = (size_t)(gu_uniform(&r) * (N - B * T - 1));
        ck_assert_msg(stream_batch(&tf, pos, B, T, x, y, &err) == 0, "%s", err.msg);
        for (int i = 0; i < B * T; i++) {
            ck_assert_int_eq(x[i], tok[pos + (size_t)i]);
            ck_assert_int_eq(y[i], tok[pos + (size_t)i + 1]);
        }
    }
    free(x);
    free(y);
    free(tok);
    stream_close(&tf);
}
END_TEST

START_TEST(test_rejects_hostile_files)
{
    uint16_t big[4] = {1, 2, 3, 50257};
    du_write(du_path("odd.bin"), "\x01\x02\x03", 3);
    expect_open_error(du_path("odd.bin"), TOKENS_AUTO, 0, "3 bytes is an odd size for uint16");
    expect_open_error(write_tokens("count_high.bin", LLMC_MAGIC, 1, 11, ten, 10), TOKENS_AUTO, 0,
                      "the header says 11 tokens (22 bytes), but 20 bytes follow the header");
    expect_open_error(write_tokens("count_low.bin", LLMC_MAGIC, 1, 9, ten, 10), TOKENS_LLMC, 0,
                      "the header says 9 tokens (18 bytes), but 20 bytes follow");
    expect_open_error(write_tokens("count_neg.bin", LLMC_MAGIC, 1, 0xffffffffu, ten, 10),
                      TOKENS_AUTO, 0, "the header says -1 tokens");
    expect_open_error(write_tokens("version.bin", LLMC_MAGIC, 2, 10, ten, 10), TOKENS_AUTO, 0,
                      "llm.c version 2 is not supported");
    expect_open_error(write_tokens("magic.bin", 20240521, 1, 10, ten, 10), TOKENS_LLMC, 0,
                      "bad magic 20240521 (an llm.c shard starts with 20240520)");
    unsigned char head[100] = {0};
    memcpy(head, "\x88\xd8\x34\x01", 4); /* 20240520 little-endian */
    du_write(du_path("short.bin"), head, sizeof head);
    expect_open_error(du_path("short.bin"), TOKENS_AUTO, 0,
                      "100 bytes, shorter than the 1024-byte llm.c header");
    expect_open_error(write_tokens("raw_big.bin", 0, 0, 0, big, 4), TOKENS_AUTO, 50257,
                      "token 3 is id 50257, outside the vocabulary of 50257");
    expect_open_error(write_tokens("shard_big.bin", LLMC_MAGIC, 1, 4, big, 4), TOKENS_AUTO, 50257,
                      "token 3 is id 50257, outside the vocabulary of 50257");
    expect_open_error(du_path("absent.bin"), TOKENS_AUTO, 0, "cannot open");
    ck_assert_int_eq(mkdir(du_path("dir.bin"), 0755), 0);
    expect_open_error(du_path("dir.bin"), TOKENS_AUTO, 0, "not a regular file");
}
END_TEST

int main(void)
{
    du_tmpdir("tokens");
    Suite *s = suite_create("tokens");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, test_raw_file);
    tcase_add_test(tc, test_llmc_shard);
    tcase_add_test(tc, test_batches);
    tcase_add_test(tc, test_sequential_positions);
    tcase_add_test(tc, test_stream_of_shards);
    tcase_add_test(tc, test_large_file_batches);
    tcase_add_test(tc, test_rejects_hostile_files);
    suite_add_tcase(s, tc);
    int rc = gu_run(s);
    du_cleanup();
    return rc;
}
