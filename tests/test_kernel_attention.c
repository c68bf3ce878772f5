/* attention kernel: goldens (out, att, dq, dk, dv), finite differences,
 * softmax-row and extreme-score properties. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/attention.h"
#include "tests/golden_util.h"

/* The goldens (PyTorch) compute what attention_forward_head's contract
 * states over the reals (kernels/attention.h, proved by WP): att =
 * attn_weight (exp(score − max)·(1/Σ exp(score − max)) over keys ≤ t, 0 past
 * t, score = q·k/√hs) and out = attn_out (Σ att·v). Their dv is what
 * attention_backward_head's contract states: dv[s][c] = entry + Σ_{t≥s}
 * att[h][t][s]·dout[t][c] (lnf_dot over the head's weights column s),
 * and their dq is attn_row_dq: dq[t][c] = entry + Σ_{s≤t} dscore(t,s)·k[s][c],
 * dscore = att·(datt − Σ att·datt)/√hs, datt(t,s) = dout_t·v_s.
 * References are exact (float64, rounded once). Scores are float32 dots of
 * hs ≤ 32 terms (|score| ≲ 10, round-off ~1e-6), exp adds a few ulp, and out
 * sums ≤ T = 9 products: round-off ~1e-6 of unit-scale values. The backward
 * chains two more such sums (datt, then dq/dk). So max|Δ| ≤ 1e-5·max(1, max|ref|),
 * ~10× the worst expected round-off, while any indexing or masking error is
 * O(1). */
#define ATT_TOL 1e-5

typedef struct {
    int B, T, C, NH;
    size_t n, na;
    float *q, *k, *v, *dout;
} att_case;

static void load_case(att_case *c, const st_file *f, const char *cs)
{
    int d[4];
    gu_dims(f, cs, d, 4);
    c->B = d[0];
    c->T = d[1];
    c->C = d[2];
    c->NH = d[3];
    ck_assert_int_eq(c->C % c->NH, 0);
    c->n = (size_t)c->B * c->T * c->C;
    c->na = (size_t)c->B * c->NH * c->T * c->T;
    c->q = gu_f32(f, cs, "q", c->n);
    c->k = gu_f32(f, cs, "k", c->n);
    c->v = gu_f32(f, cs, "v", c->n);
    c->dout = gu_f32(f, cs, "dout", c->n);
}

static void free_case(att_case *c)
{
    free(c->q);
    free(c->k);
    free(c->v);
    free(c->dout);
}

START_TEST(test_golden_forward)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_open(&f, "attention");
    int nc = gu_cases(&f, cases, 5);
    for (int i = 0; i < nc; i++) {
        att_case c;
        load_case(&c, &f, cases[i]);
        float *ref_out = gu_f32(&f, cases[i], "out", c.n);
        float *ref_att = gu_f32(&f, cases[i], "att", c.na);
        /* NaN-filled: every output and every att entry (zeros above the
         * diagonal included) must be written */
        float *out = gu_filled(c.n, NAN), *att = gu_filled(c.na, NAN);
        attention_forward(out, att, c.q, c.k, c.v, c.B, c.T, c.C, c.NH);
        gu_assert_close(gu_fmt("%s out", cases[i]), out, ref_out, c.n, ATT_TOL, 1.0);
        gu_assert_close(gu_fmt("%s att", cases[i]), att, ref_att, c.na, ATT_TOL, 1.0);
        /* the masked entries are exactly 0, not merely small */
        for (int bh = 0; bh < c.B * c.NH; bh++) {
            for (int t = 0; t < c.T; t++) {
                for (int t2 = t + 1; t2 < c.T; t2++) {
                    ck_assert_msg(att[((size_t)bh * c.T + t) * c.T + t2] == 0.0f,
                                  "%s: att[%d,%d,%d] above the diagonal is %g", cases[i], bh, t,
                                  t2, (double)att[((size_t)bh * c.T + t) * c.T + t2]);
                }
            }
        }
        free(ref_out);
        free(ref_att);
        free(out);
        free(att);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

START_TEST(test_golden_backward_accumulates)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 21);
    gu_open(&f, "attention");
    int nc = gu_cases(&f, cases, 5);
    for (int i = 0; i < nc; i++) {
        att_case c;
        load_case(&c, &f, cases[i]);
        float *out = gu_filled(c.n, NAN), *att = gu_filled(c.na, NAN);
        attention_forward(out, att, c.q, c.k, c.v, c.B, c.T, c.C, c.NH);
        const char *names[3] = {"dq", "dk", "dv"};
        float *ref[3], *start[3], *g[3];
        for (int j = 0; j < 3; j++) {
            ref[j] = gu_f32(&f, cases[i], names[j], c.n);
            start[j] = gu_randn(&r, c.n, 1.0, 0.5); /* nonzero start: backward must add */
            g[j] = gu_copy(start[j], c.n);
        }
        float *scratch = gu_filled((size_t)c.T, NAN); /* scratch needs no initialisation */
        attention_backward(g[0], g[1], g[2], scratch, c.dout, att, c.q, c.k, c.v, c.B, c.T, c.C,
                           c.NH);
        for (int j = 0; j < 3; j++) {
            gu_assert_accum(gu_fmt("%s %s", cases[i], names[j]), g[j], start[j], ref[j], c.n,
                            ATT_TOL, 1.0);
            free(ref[j]);
            free(start[j]);
            free(g[j]);
        }
        free(scratch);
        free(out);
        free(att);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

/* ---- finite differences ---- */

typedef struct {
    att_case *c;
    float *out, *att;
    const float *w;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *x = p;
    attention_forward(x->out, x->att, x->c->q, x->c->k, x->c->v, x->c->B, x->c->T, x->c->C,
                      x->c->NH);
    return gu_dot(x->w, x->out, x->c->n);
}

/* h = 3e-3 on unit-scale inputs. Truncation: h²/6·|∂³L| with scores scaled by
 * 1/√hs and |q|,|k| ~ 1.5: ≲ 1e-5·|∂³L| ~ 1e-4. Round-off: a perturbed k or v
 * row changes up to T·hs ≤ 72 outputs, each ±~1e-7, over 2h: ~2e-4 at worst.
 * Tolerance 2e-3 + 1e-2·|g|: ~10× those, while a wrong term (say a missing
 * softmax Jacobian term or a wrong scale) is off by O(|g|). */
#define ATT_FD_H 3e-3
#define ATT_FD_ATOL 2e-3
#define ATT_FD_RTOL 1e-2

START_TEST(test_finite_differences)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 22);
    gu_open(&f, "attention");
    int nc = gu_cases(&f, cases, 5);
    for (int i = 0; i < nc; i++) {
        att_case c;
        load_case(&c, &f, cases[i]);
        float *w = gu_randn(&r, c.n, 1.0, 0.0);
        float *out = gu_filled(c.n, 0.0f), *att = gu_filled(c.na, 0.0f);
        attention_forward(out, att, c.q, c.k, c.v, c.B, c.T, c.C, c.NH);
        float *dq = gu_filled(c.n, 0.0f), *dk = gu_filled(c.n, 0.0f), *dv = gu_filled(c.n, 0.0f);
        float *scratch = gu_filled((size_t)c.T, 0.0f);
        attention_backward(dq, dk, dv, scratch, w, att, c.q, c.k, c.v, c.B, c.T, c.C, c.NH);
        fd_ctx ctx = {&c, out, att, w};
        gu_check_fd(gu_fmt("%s fd dq", cases[i]), c.q, c.n, dq, ATT_FD_H, ATT_FD_ATOL,
                    ATT_FD_RTOL, fd_loss, &ctx);
        gu_check_fd(gu_fmt("%s fd dk", cases[i]), c.k, c.n, dk, ATT_FD_H, ATT_FD_ATOL,
                    ATT_FD_RTOL, fd_loss, &ctx);
        gu_check_fd(gu_fmt("%s fd dv", cases[i]), c.v, c.n, dv, ATT_FD_H, ATT_FD_ATOL,
                    ATT_FD_RTOL, fd_loss, &ctx);
        free(w);
        free(out);
        free(att);
        free(dq);
        free(dk);
        free(dv);
        free(scratch);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

/* ---- properties ---- */

/* Huge scores (|q|,|k| ~ 30, scores up to ~1e4): exp(score) overflows float,
 * but with the row max subtracted every att row is finite, in [0,1], sums to
 * 1 (to T·ε) and out is a convex combination of v rows, so it lies within
 * [min v, max v] per channel. Row 0 attends only to itself: att = 1, out = v₀. */
START_TEST(test_extreme_scores)
{
    const int B = 2, T = 6, C = 8, NH = 2, hs = C / NH;
    size_t n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    gu_rng r;
    gu_seed(&r, 23);
    float *q = gu_randn(&r, n, 30.0, 0.0), *k = gu_randn(&r, n, 30.0, 0.0);
    float *v = gu_randn(&r, n, 1.0, 0.0);
    float *out = gu_filled(n, NAN), *att = gu_filled(na, NAN);
    attention_forward(out, att, q, k, v, B, T, C, NH);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            for (int t = 0; t < T; t++) {
                const float *a = att + (((size_t)b * NH + h) * T + t) * T;
                double sum = 0.0;
                for (int t2 = 0; t2 < T; t2++) {
                    ck_assert_msg(isfinite(a[t2]) && a[t2] >= 0.0f && a[t2] <= 1.0f,
                                  "att[%d,%d,%d,%d] = %g", b, h, t, t2, (double)a[t2]);
                    sum += a[t2];
                }
                /* float sum of T exps (≤ T·ε relative) then T rounded
                 * products: |Σ − 1| ≤ 2T·ε ≈ 7e-7 */
                ck_assert_msg(fabs(sum - 1.0) <= 2e-6, "att row (%d,%d,%d) sums to %.9g", b, h,
                              t, sum);
                for (int i = 0; i < hs; i++) {
                    double lo = INFINITY, hi = -INFINITY;
                    for (int t2 = 0; t2 <= t; t2++) {
                        double x = v[((size_t)b * T + t2) * C + h * hs + i];
                        lo = x < lo ? x : lo;
                        hi = x > hi ? x : hi;
                    }
                    double o = out[((size_t)b * T + t) * C + h * hs + i];
                    /* slack: T·ε·max|v| round-off ≈ 1e-6 */
                    ck_assert_msg(o >= lo - 1e-5 && o <= hi + 1e-5,
                                  "out[%d,%d,%d] = %g outside [%g, %g]", b, t, h * hs + i, o, lo,
                                  hi);
                    if (t == 0) {
                        ck_assert_float_eq(out[((size_t)b * T) * C + h * hs + i],
                                           v[((size_t)b * T) * C + h * hs + i]);
                    }
                }
            }
        }
    }
    /* backward stays finite too */
    float *dq = gu_filled(n, 0.0f), *dk = gu_filled(n, 0.0f), *dv = gu_filled(n, 0.0f);
    float *scratch = gu_filled((size_t)T, 0.0f);
    attention_backward(dq, dk, dv, scratch, v, att, q, k, v, B, T, C, NH);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(isfinite(dq[i]) && isfinite(dk[i]) && isfinite(dv[i]),
                      "non-finite gradient at %zu", i);
    }
    free(q);
    free(k);
    free(v);
    free(out);
    free(att);
    free(dq);
    free(dk);
    free(dv);
    free(scratch);
}
END_TEST

/* ---- the blocked sgemm head functions against the reference loops ---- */

/* T = 150 spans three ATT_BLOCK-row blocks, the last one partial. Both sides
 * are float32 sums of the same terms in another order: scores of hs = 16
 * products, outputs and gradients of up to T = 150 products of unit-scale
 * values, so each side is within ~T·2^-24·|terms| ≈ 1e-5 of the exact value;
 * tolerance 3e-5·max(1, max|ref|). A wrong block edge, mask or offset is O(1). */
#define BLOCKED_TOL 3e-5

START_TEST(test_blocked_matches_reference)
{
    const int T = 150, C = 32, NH = 2;
    size_t n = (size_t)T * C, na = (size_t)NH * T * T;
    gu_rng r;
    gu_seed(&r, 77);
    float *q = gu_randn(&r, n, 1.0, 0.0), *k = gu_randn(&r, n, 1.0, 0.0);
    float *v = gu_randn(&r, n, 1.0, 0.0), *dout = gu_randn(&r, n, 1.0, 0.0);
    float *out_ref = gu_filled(n, NAN), *att_ref = gu_filled(na, NAN);
    float *out = gu_filled(n, NAN), *att = gu_filled(na, NAN);
    float *start[3], *g_ref[3], *g[3];
    for (int j = 0; j < 3; j++) {
        start[j] = gu_randn(&r, n, 1.0, 0.5);
        g_ref[j] = gu_copy(start[j], n);
        g[j] = gu_copy(start[j], n);
    }
    float *scratch = gu_filled((size_t)ATT_BLOCK * T, NAN);
    for (int h = 0; h < NH; h++) {
        attention_forward_head(out_ref, att_ref, q, k, v, T, C, NH, h);
        attention_forward_head_blocked(out, att, q, k, v, T, C, NH, h);
        attention_backward_head(g_ref[0], g_ref[1], g_ref[2], scratch, dout, att_ref, q, k, v, T,
                                C, NH, h);
        attention_backward_head_blocked(g[0], g[1], g[2], scratch, dout, att_ref, q, k, v, T, C,
                                        NH, h);
    }
    gu_assert_close("blocked att", att, att_ref, na, BLOCKED_TOL, 1.0);
    gu_assert_close("blocked out", out, out_ref, n, BLOCKED_TOL, 1.0);
    const char *names[3] = {"dq", "dk", "dv"};
    for (int j = 0; j < 3; j++) {
        gu_assert_close(gu_fmt("blocked %s", names[j]), g[j], g_ref[j], n, BLOCKED_TOL, 1.0);
        free(start[j]);
        free(g_ref[j]);
        free(g[j]);
    }
    free(scratch);
    free(q);
    free(k);
    free(v);
    free(dout);
    free(out_ref);
    free(att_ref);
    free(out);
    free(att);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_attention");
    TCase *tc = tcase_create("attention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_golden_forward);
    tcase_add_test(tc, test_golden_backward_accumulates);
    tcase_add_test(tc, test_finite_differences);
    tcase_add_test(tc, test_extreme_scores);
    tcase_add_test(tc, test_blocked_matches_reference);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
