/* embedding kernel: goldens, finite differences, repeated-token accumulation. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/embedding.h"
#include "tests/golden_util.h"

typedef struct {
    int B, T, C, V, maxT;
    size_t n, nte, npe;
    int32_t *tokens;
    float *wte, *wpe, *dout;
} em_case;

static void load_case(em_case *c, const st_file *f, const char *cs)
{
    int d[5];
    gu_dims(f, cs, d, 5);
    c->B = d[0];
    c->T = d[1];
    c->C = d[2];
    c->V = d[3];
    c->maxT = d[4];
    ck_assert_int_le(c->T, c->maxT);
    c->n = (size_t)c->B * c->T * c->C;
    c->nte = (size_t)c->V * c->C;
    c->npe = (size_t)c->maxT * c->C;
    c->tokens = gu_i32(f, cs, "tokens", (size_t)c->B * c->T);
    for (int i = 0; i < c->B * c->T; i++) {
        ck_assert(c->tokens[i] >= 0 && c->tokens[i] < c->V);
    }
    c->wte = gu_f32(f, cs, "wte", c->nte);
    c->wpe = gu_f32(f, cs, "wpe", c->npe);
    c->dout = gu_f32(f, cs, "dout", c->n);
}

static void free_case(em_case *c)
{
    free(c->tokens);
    free(c->wte);
    free(c->wpe);
    free(c->dout);
}

/* The references are the formulas the contracts state over the reals
 * (embedding.h: embedding_value, embedding_token_sum, embedding_position_sum).
 * forward: one float addition per element, which is correctly rounded, as is
 * the reference (exact sum rounded once): they must be bit-identical, tol 0.
 * backward: dwte rows sum one dout row per occurrence of the token (≤ B·T = 24
 * terms of unit scale), dwpe rows one per batch entry (≤ 4): round-off
 * ≤ 24·ε·Σ|dout| ≈ 1e-5 at worst, plus ε·|start| for the accumulation;
 * max|Δ| ≤ 2e-5·max(1, max|ref|). A dropped or doubled occurrence is O(1). */
#define EMB_BWD_TOL 2e-5

START_TEST(test_golden)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 71);
    gu_open(&f, "embedding");
    int nc = gu_cases(&f, cases, 4);
    for (int i = 0; i < nc; i++) {
        em_case c;
        load_case(&c, &f, cases[i]);
        const int *tok = (const int *)c.tokens;
        float *out = gu_filled(c.n, NAN);
        embedding_forward(out, tok, c.wte, c.wpe, c.B, c.T, c.C, c.V, c.maxT);
        float *ref = gu_f32(&f, cases[i], "out", c.n);
        gu_assert_close(gu_fmt("%s out", cases[i]), out, ref, c.n, 0.0, 1.0);
        free(ref);

        float *s_te = gu_randn(&r, c.nte, 1.0, 0.5), *s_pe = gu_randn(&r, c.npe, 1.0, 0.5);
        float *dte = gu_copy(s_te, c.nte), *dpe = gu_copy(s_pe, c.npe);
        embedding_backward(dte, dpe, c.dout, tok, c.B, c.T, c.C, c.V, c.maxT);
        ref = gu_f32(&f, cases[i], "dwte", c.nte);
        gu_assert_accum(gu_fmt("%s dwte", cases[i]), dte, s_te, ref, c.nte, EMB_BWD_TOL, 1.0);
        free(ref);
        ref = gu_f32(&f, cases[i], "dwpe", c.npe);
        gu_assert_accum(gu_fmt("%s dwpe", cases[i]), dpe, s_pe, ref, c.npe, EMB_BWD_TOL, 1.0);
        free(ref);
        /* rows of tokens that never occur, and positions ≥ T, are untouched
         * bit for bit */
        for (int v = 0; v < c.V; v++) {
            int used = 0;
            for (int j = 0; j < c.B * c.T; j++) {
                used |= tok[j] == v;
            }
            if (!used) {
                for (int k = 0; k < c.C; k++) {
                    ck_assert_float_eq(dte[(size_t)v * c.C + k], s_te[(size_t)v * c.C + k]);
                }
            }
        }
        for (size_t k = (size_t)c.T * c.C; k < c.npe; k++) {
            ck_assert_float_eq(dpe[k], s_pe[k]);
        }
        free(s_te);
        free(s_pe);
        free(dte);
        free(dpe);
        free(out);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

typedef struct {
    em_case *c;
    float *out;
    const float *w;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *x = p;
    em_case *c = x->c;
    embedding_forward(x->out, (const int *)c->tokens, c->wte, c->wpe, c->B, c->T, c->C, c->V,
                      c->maxT);
    return gu_dot(x->w, x->out, c->n);
}

/* L is linear in wte and wpe: no truncation error. Round-off: the ≤ 24 outputs
 * that read the perturbed entry change by ~ulp(|out| ≲ 5) each over 2h = 2e-2:
 * ≤ 24·5e-7/2e-2 ≈ 6e-4 at worst. Tolerance 2e-3 + 1e-3·|g|; a missed
 * occurrence changes g by a whole |w| ~ 1. */
#define EMB_FD_H 1e-2

START_TEST(test_finite_differences)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 72);
    gu_open(&f, "embedding");
    int nc = gu_cases(&f, cases, 4);
    for (int i = 0; i < nc; i++) {
        em_case c;
        load_case(&c, &f, cases[i]);
        float *w = gu_randn(&r, c.n, 1.0, 0.0);
        float *out = gu_filled(c.n, 0.0f);
        float *dte = gu_filled(c.nte, 0.0f), *dpe = gu_filled(c.npe, 0.0f);
        embedding_backward(dte, dpe, w, (const int *)c.tokens, c.B, c.T, c.C, c.V, c.maxT);
        fd_ctx ctx = {&c, out, w};
        gu_check_fd(gu_fmt("%s fd dwte", cases[i]), c.wte, c.nte, dte, EMB_FD_H, 2e-3, 1e-3,
                    fd_loss, &ctx);
        gu_check_fd(gu_fmt("%s fd dwpe", cases[i]), c.wpe, c.npe, dpe, EMB_FD_H, 2e-3, 1e-3,
                    fd_loss, &ctx);
        free(w);
        free(out);
        free(dte);
        free(dpe);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

/* The same token everywhere: dwte[tok] = Σ over all B·T rows, in token order
 * (documented: deterministic); with dout = 1 the sum is exactly B·T. */
START_TEST(test_repeated_token_sums)
{
    enum { B = 3, T = 5, C = 4, V = 6, maxT = 8 };
    int tok[B * T];
    for (int i = 0; i < B * T; i++) {
        tok[i] = 4;
    }
    float dout[B * T * C], dte[V * C] = {0}, dpe[maxT * C] = {0};
    for (int i = 0; i < B * T * C; i++) {
        dout[i] = 1.0f;
    }
    embedding_backward(dte, dpe, dout, tok, B, T, C, V, maxT);
    for (int v = 0; v < V; v++) {
        for (int k = 0; k < C; k++) {
            ck_assert_float_eq(dte[v * C + k], v == 4 ? (float)(B * T) : 0.0f);
        }
    }
    for (int t = 0; t < maxT; t++) {
        for (int k = 0; k < C; k++) {
            ck_assert_float_eq(dpe[t * C + k], t < T ? (float)B : 0.0f);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_embedding");
    TCase *tc = tcase_create("embedding");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_golden);
    tcase_add_test(tc, test_finite_differences);
    tcase_add_test(tc, test_repeated_token_sums);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
