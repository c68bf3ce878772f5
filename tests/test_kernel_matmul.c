/* matmul kernel: goldens, finite differences, BLAS path vs reference loops.
 * Layout (kernels/matmul.h): weight [OC,C] (out × in), out = inp·weightᵀ + bias.
 * Every test runs both implementations (the _ref loops and the BLAS-backed
 * matmul_forward/backward, which are the loops again in a LNFREE_BLAS=none
 * build). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/golden_util.h"
#include "kernels/matmul.h"

typedef void (*fwd_fn)(float *, const float *, const float *, const float *, int, int, int);
typedef void (*bwd_fn)(float *, float *, float *, const float *, const float *, const float *,
                       int, int, int);

static const struct {
    const char *name;
    fwd_fn fwd;
    bwd_fn bwd;
} impls[] = {
    {"ref", matmul_forward_ref, matmul_backward_ref},
    {"blas", matmul_forward, matmul_backward},
};

/* Golden references are exact (float64, rounded once) values of the formula
 * the forward's contract states over the reals (matmul.h: matmul_forward_at,
 * bias[o] + Σ_c inp[n][c]·weight[o][c]). A float32 dot product
 * of C ≤ 64 terms of unit-scale values has round-off ~√C·ε·Σ|a||b| typically
 * and ≤ C·ε·Σ|a||b| (≈ 4e-6 here) at worst, so max|Δ| ≤ 1e-5·max(1, max|ref|). */
#define MATMUL_TOL 1e-5

typedef struct {
    st_file f;
    int N, C, OC, has_bias;
    float *inp, *weight, *bias, *dout;
} mm_case;

static void load_case(mm_case *c, const st_file *f, const char *cs)
{
    int d[4];
    gu_dims(f, cs, d, 4);
    c->N = d[0];
    c->C = d[1];
    c->OC = d[2];
    c->has_bias = d[3];
    c->inp = gu_f32(f, cs, "inp", (size_t)c->N * c->C);
    c->weight = gu_f32(f, cs, "weight", (size_t)c->C * c->OC);
    c->bias = c->has_bias ? gu_f32(f, cs, "bias", (size_t)c->OC) : NULL;
    ck_assert_int_eq(gu_has(f, cs, "bias"), c->has_bias);
    c->dout = gu_f32(f, cs, "dout", (size_t)c->N * c->OC);
}

static void free_case(mm_case *c)
{
    free(c->inp);
    free(c->weight);
    free(c->bias);
    free(c->dout);
}

START_TEST(test_golden_forward)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_open(&f, "matmul");
    int nc = gu_cases(&f, cases, 5);
    for (int k = 0; k < nc; k++) {
        mm_case c;
        load_case(&c, &f, cases[k]);
        size_t no = (size_t)c.N * c.OC;
        float *ref = gu_f32(&f, cases[k], "out", no);
        float *out = gu_filled(no, NAN); /* every element must be written */
        impls[_i].fwd(out, c.inp, c.weight, c.bias, c.N, c.C, c.OC);
        gu_assert_close(gu_fmt("%s %s out", impls[_i].name, cases[k]), out, ref, no,
                        MATMUL_TOL, 1.0);
        free(out);
        free(ref);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

/* The accumulations the contracts state (kernels/matmul.h): dinp += dout·W
 * (matmul_dinp_at), dweight += doutᵀ·inp (matmul_dweight_at), dbias += Σ_n
 * dout (matmul_dbias_at), each added to the value on entry. */
START_TEST(test_golden_backward_accumulates)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 11);
    gu_open(&f, "matmul");
    int nc = gu_cases(&f, cases, 5);
    for (int k = 0; k < nc; k++) {
        mm_case c;
        load_case(&c, &f, cases[k]);
        size_t ni = (size_t)c.N * c.C, nw = (size_t)c.C * c.OC, nb = (size_t)c.OC;
        float *ref_dinp = gu_f32(&f, cases[k], "dinp", ni);
        float *ref_dw = gu_f32(&f, cases[k], "dweight", nw);
        /* gradient buffers start at known nonzero values: backward must add */
        float *s_dinp = gu_randn(&r, ni, 1.0, 0.5);
        float *s_dw = gu_randn(&r, nw, 1.0, 0.5);
        float *s_db = gu_randn(&r, nb, 1.0, 0.5);
        float *dinp = gu_copy(s_dinp, ni), *dw = gu_copy(s_dw, nw), *db = gu_copy(s_db, nb);
        impls[_i].bwd(dinp, dw, c.has_bias ? db : NULL, c.dout, c.inp, c.weight, c.N, c.C,
                      c.OC);
        /* + the round-off of adding to a unit-scale start: ε·|start| < 1e-6 */
        gu_assert_accum(gu_fmt("%s %s dinp", impls[_i].name, cases[k]), dinp, s_dinp,
                        ref_dinp, ni, MATMUL_TOL, 1.0);
        gu_assert_accum(gu_fmt("%s %s dweight", impls[_i].name, cases[k]), dw, s_dw, ref_dw,
                        nw, MATMUL_TOL, 1.0);
        if (c.has_bias) {
            float *ref_db = gu_f32(&f, cases[k], "dbias", nb);
            gu_assert_accum(gu_fmt("%s %s dbias", impls[_i].name, cases[k]), db, s_db, ref_db,
                            nb, MATMUL_TOL, 1.0);
            free(ref_db);
        } else {
            /* dbias == NULL: nothing written anywhere else; our buffer untouched */
            for (size_t o = 0; o < nb; o++) {
                ck_assert_float_eq(db[o], s_db[o]);
            }
        }
        free(ref_dinp);
        free(ref_dw);
        free(s_dinp);
        free(s_dw);
        free(s_db);
        free(dinp);
        free(dw);
        free(db);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

/* ---- finite differences ---- */

typedef struct {
    fwd_fn fwd;
    mm_case *c;
    float *out;
    const float *w;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *x = p;
    x->fwd(x->out, x->c->inp, x->c->weight, x->c->bias, x->c->N, x->c->C, x->c->OC);
    return gu_dot(x->w, x->out, (size_t)x->c->N * x->c->OC);
}

/* L = Σ w ⊙ out is linear in each input, so central differences have no
 * truncation error: only the float32 round-off of the perturbed outputs
 * (≤ OC of them, each ~1e-7·|out|) divided by 2h = 2e-2 remains, ~1e-5.
 * Tolerance 1e-3 + 1e-3·|g|, 100× that noise; a wrong index or a missing
 * term gives errors of order |g| ~ 0.1 … 10. */
#define MATMUL_FD_H 1e-2
#define MATMUL_FD_ATOL 1e-3
#define MATMUL_FD_RTOL 1e-3

START_TEST(test_finite_differences)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 12 + (uint64_t)_i);
    gu_open(&f, "matmul");
    int nc = gu_cases(&f, cases, 5);
    for (int k = 0; k < nc; k++) {
        mm_case c;
        load_case(&c, &f, cases[k]);
        size_t ni = (size_t)c.N * c.C, nw = (size_t)c.C * c.OC, no = (size_t)c.N * c.OC;
        float *w = gu_randn(&r, no, 1.0, 0.0);
        float *out = gu_filled(no, 0.0f);
        float *dinp = gu_filled(ni, 0.0f), *dw = gu_filled(nw, 0.0f);
        float *db = gu_filled((size_t)c.OC, 0.0f);
        impls[_i].bwd(dinp, dw, c.has_bias ? db : NULL, w, c.inp, c.weight, c.N, c.C, c.OC);
        fd_ctx ctx = {impls[_i].fwd, &c, out, w};
        gu_check_fd(gu_fmt("%s %s fd dinp", impls[_i].name, cases[k]), c.inp, ni, dinp,
                    MATMUL_FD_H, MATMUL_FD_ATOL, MATMUL_FD_RTOL, fd_loss, &ctx);
        gu_check_fd(gu_fmt("%s %s fd dweight", impls[_i].name, cases[k]), c.weight, nw, dw,
                    MATMUL_FD_H, MATMUL_FD_ATOL, MATMUL_FD_RTOL, fd_loss, &ctx);
        if (c.has_bias) {
            gu_check_fd(gu_fmt("%s %s fd dbias", impls[_i].name, cases[k]), c.bias,
                        (size_t)c.OC, db, MATMUL_FD_H, MATMUL_FD_ATOL, MATMUL_FD_RTOL, fd_loss,
                        &ctx);
        }
        free(w);
        free(out);
        free(dinp);
        free(dw);
        free(db);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

/* ---- BLAS path vs reference loops on larger random shapes ---- */

/* Both compute each entry as a float32 sum of K products (+ one start/bias
 * term); each is within γ_{K+1}·S of the exact value, S = Σ|a||b| + |start|,
 * γ_k = kε/(1−kε). So |blas − ref| ≤ 2·γ_{K+1}·S per entry: a rigorous bound
 * whatever order either sums in, and far below the O(S) error of any wrong
 * index or transpose. */
static double gamma_k(int k)
{
    double eps = 5.960464477539063e-08; /* 2^-24, unit round-off of float */
    return k * eps / (1.0 - k * eps);
}

static void check_bound(const char *label, const float *a, const float *b, const double *S,
                        size_t n, int K)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double lim = 2.0 * gamma_k(K + 1) * S[i];
        double diff = fabs((double)a[i] - (double)b[i]);
        ck_assert_msg(isfinite(a[i]) && isfinite(b[i]) && diff <= lim,
                      "%s: element %zu: blas %.9g ref %.9g |diff| %.3g > bound %.3g", label, i,
                      (double)a[i], (double)b[i], diff, lim);
        if (lim > 0 && diff / lim > worst) {
            worst = diff / lim;
        }
    }
    if (gu_verbose()) {
        printf("  %-48s error/allowed = %.3g\n", label, worst);
    }
}

START_TEST(test_blas_matches_reference)
{
    static const int shapes[][3] = {{64, 96, 80}, {33, 77, 51}, {1, 200, 3}, {50, 1, 70}};
    gu_rng r;
    gu_seed(&r, 13);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int N = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        size_t ni = (size_t)N * C, nw = (size_t)C * OC, no = (size_t)N * OC;
        float *inp = gu_randn(&r, ni, 1.0, 0.3);
        float *w = gu_randn(&r, nw, 0.1, 0.0);
        float *bias = gu_randn(&r, (size_t)OC, 0.5, 0.0);
        float *dout = gu_randn(&r, no, 1.0, 0.0);
        float *o_ref = gu_filled(no, NAN), *o_blas = gu_filled(no, NAN);
        matmul_forward_ref(o_ref, inp, w, bias, N, C, OC);
        matmul_forward(o_blas, inp, w, bias, N, C, OC);
        double *S = malloc(sizeof(double) * (ni > nw ? (ni > no ? ni : no) : (nw > no ? nw : no)));
        ck_assert_ptr_nonnull(S);
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < OC; o++) {
                double acc = fabs(bias[o]);
                for (int c = 0; c < C; c++) {
                    acc += fabs((double)inp[n * C + c] * w[o * C + c]);
                }
                S[n * OC + o] = acc;
            }
        }
        check_bound(gu_fmt("%dx%dx%d forward", N, C, OC), o_blas, o_ref, S, no, C);

        /* backward from the same nonzero start */
        float *s_dinp = gu_randn(&r, ni, 1.0, 0.0), *s_dw = gu_randn(&r, nw, 1.0, 0.0);
        float *s_db = gu_randn(&r, (size_t)OC, 1.0, 0.0);
        float *di_r = gu_copy(s_dinp, ni), *dw_r = gu_copy(s_dw, nw), *db_r = gu_copy(s_db, OC);
        float *di_b = gu_copy(s_dinp, ni), *dw_b = gu_copy(s_dw, nw), *db_b = gu_copy(s_db, OC);
        matmul_backward_ref(di_r, dw_r, db_r, dout, inp, w, N, C, OC);
        matmul_backward(di_b, dw_b, db_b, dout, inp, w, N, C, OC);
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                double acc = fabs(s_dinp[n * C + c]);
                for (int o = 0; o < OC; o++) {
                    acc += fabs((double)dout[n * OC + o] * w[o * C + c]);
                }
                S[n * C + c] = acc;
            }
        }
        check_bound(gu_fmt("%dx%dx%d dinp", N, C, OC), di_b, di_r, S, ni, OC);
        for (int c = 0; c < C; c++) {
            for (int o = 0; o < OC; o++) {
                double acc = fabs(s_dw[o * C + c]);
                for (int n = 0; n < N; n++) {
                    acc += fabs((double)inp[n * C + c] * dout[n * OC + o]);
                }
                S[o * C + c] = acc;
            }
        }
        check_bound(gu_fmt("%dx%dx%d dweight", N, C, OC), dw_b, dw_r, S, nw, N);
        for (int o = 0; o < OC; o++) {
            double acc = fabs(s_db[o]);
            for (int n = 0; n < N; n++) {
                acc += fabs((double)dout[n * OC + o]);
            }
            S[o] = acc;
        }
        check_bound(gu_fmt("%dx%dx%d dbias", N, C, OC), db_b, db_r, S, (size_t)OC, N);

        free(S);
        free(inp);
        free(w);
        free(bias);
        free(dout);
        free(o_ref);
        free(o_blas);
        free(s_dinp);
        free(s_dw);
        free(s_db);
        free(di_r);
        free(dw_r);
        free(db_r);
        free(di_b);
        free(dw_b);
        free(db_b);
    }
}
END_TEST

/* The block entry points (what kernels' parallel driver calls): a 2 × 3
 * tiling of each product writes exactly its own outputs, and the tiles
 * together give the whole product: within the BLAS bound of the reference,
 * and bit for bit the reference loops' values in a build without a BLAS. */
START_TEST(test_blocks_tile_the_product)
{
    const int N = 33, C = 77, OC = 51;
    const int rows[3] = {0, 10, N}, ocols[4] = {0, 20, 21, OC}, ccols[4] = {0, 5, 40, C};
    size_t ni = (size_t)N * C, nw = (size_t)C * OC, no = (size_t)N * OC;
    gu_rng r;
    gu_seed(&r, 17);
    float *inp = gu_randn(&r, ni, 1.0, 0.3), *w = gu_randn(&r, nw, 0.1, 0.0);
    float *bias = gu_randn(&r, (size_t)OC, 0.5, 0.0), *dout = gu_randn(&r, no, 1.0, 0.0);
    float *o_ref = gu_filled(no, 0.0f), *o_blk = gu_filled(no, NAN);
    matmul_forward_ref(o_ref, inp, w, bias, N, C, OC);
    float *di_ref = gu_filled(ni, 0.5f), *dw_ref = gu_filled(nw, 0.5f), *db_ref = gu_filled(OC, 0.5f);
    float *di_blk = gu_filled(ni, 0.5f), *dw_blk = gu_filled(nw, 0.5f), *db_blk = gu_filled(OC, 0.5f);
    matmul_backward_ref(di_ref, dw_ref, db_ref, dout, inp, w, N, C, OC);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
            matmul_forward_block(o_blk, inp, w, bias, N, C, OC, rows[i], rows[i + 1], ocols[j],
                                 ocols[j + 1]);
            matmul_backward_dinp_block(di_blk, dout, w, N, C, OC, rows[i], rows[i + 1], ccols[j],
                                       ccols[j + 1]);
        }
    }
    const int orows[3] = {0, 30, OC};
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
            matmul_backward_dweight_block(dw_blk, dout, inp, N, C, OC, orows[i], orows[i + 1],
                                          ccols[j], ccols[j + 1]);
        }
    }
    for (int j = 0; j < 3; j++) {
        matmul_backward_dbias_block(db_blk, dout, N, OC, ocols[j], ocols[j + 1]);
    }
    int exact = strcmp(matmul_backend(), "none") == 0;
    /* every output written exactly once: none is left NaN, none doubly accumulated */
    const float *got[4] = {o_blk, di_blk, dw_blk, db_blk}, *ref[4] = {o_ref, di_ref, dw_ref, db_ref};
    const size_t n[4] = {no, ni, nw, (size_t)OC};
    const char *what[4] = {"forward", "dinp", "dweight", "dbias"};
    for (int k = 0; k < 4; k++) {
        if (exact) {
            ck_assert_msg(memcmp(got[k], ref[k], n[k] * sizeof(float)) == 0,
                          "%s: the blocks differ from the reference loops", what[k]);
        } else {
            /* the reduction lengths are at most 77: 1e-5 of the unit scale (MATMUL_TOL) */
            gu_assert_close(gu_fmt("blocks %s", what[k]), got[k], ref[k], n[k], MATMUL_TOL, 1.0);
        }
    }
    free(inp);
    free(w);
    free(bias);
    free(dout);
    free(o_ref);
    free(o_blk);
    free(di_ref);
    free(dw_ref);
    free(db_ref);
    free(di_blk);
    free(dw_blk);
    free(db_blk);
}
END_TEST

START_TEST(test_backend_name)
{
    const char *b = matmul_backend();
    ck_assert_ptr_nonnull(b);
    ck_assert_msg(strcmp(b, "openblas") == 0 || strcmp(b, "reference") == 0 ||
                      strcmp(b, "none") == 0,
                  "unknown backend '%s'", b);
    if (gu_verbose()) {
        printf("  matmul backend: %s\n", b);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_matmul");
    TCase *tc = tcase_create("matmul");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_golden_forward, 0, 2);
    tcase_add_loop_test(tc, test_golden_backward_accumulates, 0, 2);
    tcase_add_loop_test(tc, test_finite_differences, 0, 2);
    tcase_add_test(tc, test_blas_matches_reference);
    tcase_add_test(tc, test_blocks_tile_the_product);
    tcase_add_test(tc, test_backend_name);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
