/* residual kernel: goldens and finite differences. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "tests/golden_util.h"
#include "kernels/residual.h"

/* forward: one correctly rounded float addition per element, as the reference
 * (exact sum rounded once): bit-identical, tol 0.
 * backward: da = start + dout, one rounding of a sum of two unit-scale values:
 * (da − start) is within ulp(|start| + |dout|) ≲ 1e-6 of dout, so
 * max|Δ| ≤ 1e-6·max(1, max|ref|). Writing (=) instead of adding is off by |start|. */
#define RES_BWD_TOL 1e-6

START_TEST(test_golden)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 81);
    gu_open(&f, "residual");
    int nc = gu_cases(&f, cases, 3);
    for (int i = 0; i < nc; i++) {
        int N;
        gu_dims(&f, cases[i], &N, 1);
        size_t n = (size_t)N;
        float *a = gu_f32(&f, cases[i], "a", n), *b = gu_f32(&f, cases[i], "b", n);
        float *dout = gu_f32(&f, cases[i], "dout", n);
        float *out = gu_filled(n, NAN);
        residual_forward(out, a, b, N);
        float *ref = gu_f32(&f, cases[i], "out", n);
        gu_assert_close(gu_fmt("%s out", cases[i]), out, ref, n, 0.0, 1.0);
        free(ref);
        float *sa = gu_randn(&r, n, 1.0, 0.5), *sb = gu_randn(&r, n, 1.0, -0.5);
        float *da = gu_copy(sa, n), *db = gu_copy(sb, n);
        residual_backward(da, db, dout, N);
        ref = gu_f32(&f, cases[i], "da", n);
        gu_assert_accum(gu_fmt("%s da", cases[i]), da, sa, ref, n, RES_BWD_TOL, 1.0);
        free(ref);
        ref = gu_f32(&f, cases[i], "db", n);
        gu_assert_accum(gu_fmt("%s db", cases[i]), db, sb, ref, n, RES_BWD_TOL, 1.0);
        free(ref);
        free(a);
        free(b);
        free(dout);
        free(out);
        free(sa);
        free(sb);
        free(da);
        free(db);
    }
    st_close(&f);
}
END_TEST

typedef struct {
    float *a, *b, *out;
    const float *w;
    int N;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *x = p;
    residual_forward(x->out, x->a, x->b, x->N);
    return gu_dot(x->w, x->out, (size_t)x->N);
}

/* Linear: no truncation error; one output changes, by ~ulp(|out| ≲ 10) ≈ 1e-6
 * over 2h = 2e-2: 5e-5. Tolerance 1e-3 + 1e-3·|g|; a wrong gradient is off by |w|. */
START_TEST(test_finite_differences)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 82);
    gu_open(&f, "residual");
    int nc = gu_cases(&f, cases, 3);
    for (int i = 0; i < nc; i++) {
        int N;
        gu_dims(&f, cases[i], &N, 1);
        size_t n = (size_t)N;
        float *a = gu_f32(&f, cases[i], "a", n), *b = gu_f32(&f, cases[i], "b", n);
        float *w = gu_randn(&r, n, 1.0, 0.0), *out = gu_filled(n, 0.0f);
        float *da = gu_filled(n, 0.0f), *db = gu_filled(n, 0.0f);
        residual_backward(da, db, w, N);
        fd_ctx ctx = {a, b, out, w, N};
        gu_check_fd(gu_fmt("%s fd da", cases[i]), a, n, da, 1e-2, 1e-3, 1e-3, fd_loss, &ctx);
        gu_check_fd(gu_fmt("%s fd db", cases[i]), b, n, db, 1e-2, 1e-3, 1e-3, fd_loss, &ctx);
        free(a);
        free(b);
        free(w);
        free(out);
        free(da);
        free(db);
    }
    st_close(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_residual");
    TCase *tc = tcase_create("residual");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_golden);
    tcase_add_test(tc, test_finite_differences);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
