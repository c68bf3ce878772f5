/* test_analysis: lnfree eval against a reference, HellaSwag scoring and
 * direct logit attribution, against PyTorch float64 figures
 * (golden/make_analysis.py, through make_golden.py), and hostile HellaSwag
 * files.
 *
 * Tolerances. The C model's float32 logits are within 6e-7 of float64 here
 * (gpt2_reference's fp32_vs_fp64_logits_maxdiff: 5.9e-7 at most over the three
 * states), so a log-probability moves by at most 1.2e-6:
 * - cross-entropies (also by class and per HellaSwag completion) and the KL,
 *   p-weighted means of one or two log-probability differences: 2.5e-6;
 * - entropies, −Σ p log p with |∂H/∂x_v| = p_v |log p_v + H|: at most
 *   (2·H + 1)·6e-7 ≈ 6e-6 at H ≈ 4.6, plus libmvec's expf (≤ 2.64 ulp, 3e-7
 *   relative in each p): 1e-5;
 * - top-1 agreement, HellaSwag choices and the ranking of the largest norms
 *   exactly: the golden's argmax margins are > 2e-5, its completion margins
 *   > 1e-3 and its norm gaps > 1e-4;
 * - residual norms, sums of float32 squares: 1e-6 relative;
 * - attribution parts: partial logits from the same float32 activations,
 *   2e-6; the residual logit − Σ parts is float32 rounding of one logit and
 *   the fixed-scale LN and unembedding above it: ≤ 1e-6 (measured 6e-9). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "data/hellaswag.h"
#include "model/attribute.h"
#include "model/checkpoint.h"
#include "model/eval.h"
#include "model/export.h"
#include "model/hellaswag.h"

#define GOLDEN "golden/analysis"
#define MODELS "golden/model"
#define TOL_CE 2.5e-6
#define TOL_ENTROPY 1e-5
#define TOL_NORM_REL 1e-6
#define TOL_PART 2e-6
#define TOL_RESIDUAL 1e-6

static json_t *expected(const char *section)
{
    json_error_t je;
    static json_t *root;
    if (root == NULL) {
        root = json_load_file(GOLDEN "/expected.json", 0, &je);
        ck_assert_msg(root != NULL, "%s: %s", GOLDEN "/expected.json", je.text);
    }
    json_t *s = json_object_get(root, section);
    ck_assert_msg(s != NULL, "expected.json has no %s", section);
    return s;
}

static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "expected.json: %s is not a number", key);
    return json_number_value(v);
}

static void near(const char *what, double got, double want, double tol)
{
    ck_assert_msg(fabs(got - want) <= tol, "%s: %.9g, PyTorch %.9g (|Δ| %.3g > %.3g)", what, got,
                  want, fabs(got - want), tol);
}

static void load(gpt2 *m, const char *dir)
{
    lnf_error err;
    ck_assert_msg(checkpoint_load(m, dir, &err) == 0, "%s", err.msg);
}

START_TEST(test_eval_against_reference)
{
    json_t *e = expected("eval");
    gpt2 m, ref;
    load(&m, MODELS "/frozen/model");
    load(&ref, MODELS "/real/model");
    token_stream f;
    lnf_error err;
    ck_assert_msg(stream_open(&f, GOLDEN "/tokens.bin", "val", 97, &err) == 0, "%s", err.msg);
    eval_result r;
    ck_assert_msg(eval_tokens(&m, &ref, &f, 16, 0, 0, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.tokens, (long long)num(e, "tokens"));
    ck_assert_int_eq(r.chunks, (int)num(e, "chunks"));
    near("ce", r.mean, num(e, "ce"), TOL_CE);
    near("ce_reference", r.ce_reference, num(e, "ce_reference"), TOL_CE);
    near("kl", r.kl, num(e, "kl"), TOL_CE);
    near("entropy", r.entropy, num(e, "entropy"), TOL_ENTROPY);
    near("entropy_reference", r.entropy_reference, num(e, "entropy_reference"), TOL_ENTROPY);
    ck_assert_msg(r.top1_agreement == num(e, "top1_agreement"), "top1 %.9g, PyTorch %.9g",
                  r.top1_agreement, num(e, "top1_agreement"));
    static const char *const names[EVAL_CLASSES] = {"bos", "eot", "other"};
    for (int k = 0; k < EVAL_CLASSES; k++) {
        near(names[k], r.class_ce[k], num(json_object_get(e, "ce_by_class"), names[k]), TOL_CE);
        ck_assert_int_eq(r.class_tokens[k],
                         (long long)num(json_object_get(e, "tokens_by_class"), names[k]));
    }
    double top = num(e, "max_residual_norm");
    near("max_residual_norm", r.max_residual_norm, top, TOL_NORM_REL * top);
    json_t *worst = json_object_get(e, "worst_tokens");
    ck_assert_int_eq(r.n_worst, (int)json_array_size(worst));
    for (int i = 0; i < r.n_worst; i++) {
        json_t *w = json_array_get(worst, (size_t)i);
        ck_assert_int_eq(r.worst[i].token, (int)num(w, "token"));
        ck_assert_int_eq(r.worst[i].position, (int)num(w, "position"));
        ck_assert_int_eq(r.worst[i].offset, (long long)num(w, "offset"));
        near("worst norm", r.worst[i].norm, num(w, "norm"), TOL_NORM_REL * top);
    }
    /* alone, the model's own figures are the same */
    eval_result alone;
    ck_assert_msg(eval_tokens(&m, NULL, &f, 16, 0, 0, &alone, &err) == 0, "%s", err.msg);
    ck_assert(!alone.has_reference);
    ck_assert(alone.mean == r.mean && alone.entropy == r.entropy &&
              alone.max_residual_norm == r.max_residual_norm);
    /* a model against itself: no divergence, full agreement */
    ck_assert_msg(eval_tokens(&m, &m, &f, 16, 0, 0, &alone, &err) == 0, "%s", err.msg);
    near("KL(M || M)", alone.kl, 0.0, 1e-12);
    ck_assert(alone.top1_agreement == 1.0);
    stream_close(&f);
    gpt2_free(&m);
    gpt2_free(&ref);
}
END_TEST

START_TEST(test_hellaswag_matches_pytorch)
{
    json_t *e = expected("hellaswag");
    gpt2 m;
    load(&m, MODELS "/real/model");
    hs_set s;
    lnf_error err;
    ck_assert_msg(hs_load(&s, GOLDEN "/hellaswag.bin", 97, 16, &err) == 0, "%s", err.msg);
    hs_result r;
    ck_assert_msg(hellaswag_score(&m, &s, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.n, (int)num(e, "n"));
    near("acc", (double)r.correct / r.n, num(e, "acc"), 1e-8);
    near("acc_norm", (double)r.correct_norm / r.n, num(e, "acc_norm"), 1e-8);
    json_t *pred = json_object_get(e, "predictions"), *losses = json_object_get(e, "losses");
    for (int i = 0; i < r.n; i++) {
        ck_assert_int_eq(r.predictions[i], (int)json_integer_value(json_array_get(pred, i)));
        for (int k = 0; k < HS_COMPLETIONS; k++) {
            near("completion loss", r.losses[i * HS_COMPLETIONS + k],
                 json_number_value(json_array_get(json_array_get(losses, i), k)), TOL_CE);
        }
    }
    hs_result_free(&r);
    hs_free(&s);
    gpt2_free(&m);
}
END_TEST

static void check_attribution(const attribution *a, const json_t *want, double tol)
{
    json_t *parts = json_object_get(want, "components");
    ck_assert_int_eq(a->n, (int)json_array_size(parts));
    for (int i = 0; i < a->n; i++) {
        json_t *p = json_array_get(parts, (size_t)i);
        ck_assert_str_eq(a->parts[i].name, json_string_value(json_object_get(p, "name")));
        near(a->parts[i].name, a->parts[i].value, num(p, "value"), tol);
    }
    near("logit", a->logit, num(want, "logit"), TOL_PART);
    near("residual", a->residual, 0.0, TOL_RESIDUAL);
}

static int *case_tokens(const json_t *c, int *n)
{
    json_t *t = json_object_get(c, "tokens");
    *n = (int)json_array_size(t);
    int *ids = malloc((size_t)*n * sizeof(int));
    for (int i = 0; i < *n; i++) {
        ids[i] = (int)json_integer_value(json_array_get(t, (size_t)i));
    }
    return ids;
}

START_TEST(test_attribution_matches_pytorch)
{
    json_t *cases = expected("attribute");
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        char dir[128];
        snprintf(dir, sizeof dir, MODELS "/%s/model", json_string_value(json_object_get(c, "model")));
        gpt2 m;
        load(&m, dir);
        int n, *ids = case_tokens(c, &n);
        attribution a;
        lnf_error err;
        ck_assert_msg(attribute_logit(&m, ids, n, (int)num(c, "position"), (int)num(c, "target"),
                                      &a, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(a.exact, json_is_true(json_object_get(c, "exact")));
        near("scale", a.scale, num(c, "scale"), 1e-6 * num(c, "scale"));
        check_attribution(&a, c, TOL_PART);
        attribution_free(&a);
        free(ids);
        gpt2_free(&m);
    }
}
END_TEST

/* Both exports of the frozen model decompose exactly and into the same parts
 * as the frozen model itself (folding only regroups the same linear map). */
START_TEST(test_attribution_of_exports_is_exact)
{
    json_t *c = json_array_get(expected("attribute"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "model")), "frozen");
    gpt2 src;
    load(&src, MODELS "/frozen/model");
    char tmp[] = "/tmp/lnfree_test_analysis_XXXXXX";
    ck_assert(mkdtemp(tmp) != NULL);
    char hf[96], folded[96];
    snprintf(hf, sizeof hf, "%s/hf", tmp);
    snprintf(folded, sizeof folded, "%s/folded", tmp);
    lnf_error err;
    ck_assert_msg(export_hf(&src, hf, &err) == 0, "%s", err.msg);
    ck_assert_msg(export_folded(&src, folded, &err) == 0, "%s", err.msg);
    gpt2_free(&src);
    const char *dirs[2] = {hf, folded};
    for (int k = 0; k < 2; k++) {
        gpt2 m;
        load(&m, dirs[k]);
        int n, *ids = case_tokens(c, &n);
        attribution a;
        ck_assert_msg(attribute_logit(&m, ids, n, (int)num(c, "position"), (int)num(c, "target"),
                                      &a, &err) == 0, "%s", err.msg);
        ck_assert_msg(a.exact, "%s: %s", dirs[k], a.final_scale);
        check_attribution(&a, c, TOL_PART);
        attribution_free(&a);
        free(ids);
        gpt2_free(&m);
    }
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_attribution_refuses_bad_requests)
{
    gpt2 m;
    load(&m, MODELS "/frozen/model");
    int ids[3] = {1, 2, 3}, bad[2] = {1, 97};
    attribution a;
    lnf_error err;
    ck_assert_int_eq(attribute_logit(&m, ids, 3, 3, 5, &a, &err), -1);
    ck_assert_msg(strstr(err.msg, "position 3") != NULL, "%s", err.msg);
    ck_assert_int_eq(attribute_logit(&m, ids, 3, 1, 97, &a, &err), -1);
    ck_assert_msg(strstr(err.msg, "target 97") != NULL, "%s", err.msg);
    ck_assert_int_eq(attribute_logit(&m, bad, 2, 1, 5, &a, &err), -1);
    ck_assert_msg(strstr(err.msg, "97") != NULL, "%s", err.msg);
    gpt2_free(&m);
}
END_TEST

/* ---------------------------------------------------------------- hostile */

static lnf_buf golden_file(void)
{
    lnf_buf b = {0};
    lnf_error err;
    ck_assert_msg(buf_read_file(&b, GOLDEN "/hellaswag.bin", &err) == 0, "%s", err.msg);
    return b;
}

static void put16(unsigned char *p, int v)
{
    p[0] = (unsigned char)(v & 255);
    p[1] = (unsigned char)(v >> 8);
}

static void expect_refused(const unsigned char *bytes, size_t len, const char *needle)
{
    hs_set s;
    lnf_error err;
    ck_assert_int_eq(hs_parse(&s, bytes, len, "hostile.bin", 97, 16, &err), -1);
    ck_assert_msg(strstr(err.msg, "hostile.bin") != NULL && strstr(err.msg, needle) != NULL,
                  "wanted \"%s\" in: %s", needle, err.msg);
}

START_TEST(test_hostile_hellaswag_files)
{
    lnf_buf b = golden_file();
    unsigned char *x = malloc(b.len + 64);
    const size_t ex0 = HS_HEADER_BYTES; /* example 0: marker, size, index, label, 4, ctx len */
    int ctx_len = b.data[ex0 + 10] | b.data[ex0 + 11] << 8;
#define FRESH() memcpy(x, b.data, b.len)
    FRESH(); x[0] ^= 1;
    expect_refused(x, b.len, "magic");
    FRESH(); x[4] = 2;
    expect_refused(x, b.len, "version");
    expect_refused(b.data, 100, "shorter than");
    expect_refused(b.data, b.len - 2, "past");
    expect_refused(b.data, b.len - 1, "odd number");
    FRESH(); put16(x + ex0, 65534);
    expect_refused(x, b.len, "marker");
    FRESH(); put16(x + ex0 + 2, 60000); x[12] = 0x60; x[13] = 0xea; /* longest 60000 too */
    expect_refused(x, b.len, "run past the end");
    FRESH(); put16(x + ex0 + 8, 3);
    expect_refused(x, b.len, "completions");
    FRESH(); put16(x + ex0 + 6, 4);
    expect_refused(x, b.len, "label 4");
    FRESH(); put16(x + ex0 + 12, 97);
    expect_refused(x, b.len, "not below the vocab size 97");
    FRESH(); put16(x + ex0 + 10, 0);
    expect_refused(x, b.len, "context is empty");
    FRESH(); put16(x + ex0 + 10, ctx_len + 200);
    expect_refused(x, b.len, "run past the example's end");
    FRESH(); x[8] += 1; /* one example more than the file holds */
    expect_refused(x, b.len, "ends after 12 of the header's 13 examples");
    FRESH(); memset(x + b.len, 0, 4);
    expect_refused(x, b.len + 4, "follow the header's 12 examples");
    /* n_positions: the same file is fine at 16 positions but not at 4 */
    hs_set s;
    lnf_error err;
    ck_assert_int_eq(hs_parse(&s, b.data, b.len, "hostile.bin", 97, 4, &err), -1);
    ck_assert_msg(strstr(err.msg, "n_positions 4") != NULL, "%s", err.msg);
    ck_assert_msg(hs_parse(&s, b.data, b.len, "ok.bin", 97, 16, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(s.n, 12);
    hs_free(&s);
#undef FRESH
    free(x);
    buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("analysis");
    TCase *tc = tcase_create("analysis");
    tcase_add_test(tc, test_eval_against_reference);
    tcase_add_test(tc, test_hellaswag_matches_pytorch);
    tcase_add_test(tc, test_attribution_matches_pytorch);
    tcase_add_test(tc, test_attribution_of_exports_is_exact);
    tcase_add_test(tc, test_attribution_refuses_bad_requests);
    tcase_add_test(tc, test_hostile_hellaswag_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
