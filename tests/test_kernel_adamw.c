/* adamw kernels: three steps of torch.optim.AdamW, clip_grad_norm_, and the
 * helpers' own properties. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/adamw.h"
#include "tests/golden_util.h"

/* The references are torch.optim.AdamW run in float64 (PyTorch 1.13,
 * single-tensor path) from the float32 inputs and hyper-parameters, rounded
 * once to float32 (golden/make_golden.py); the kernel computes in float32,
 * about ten roundings per element and step, each ≤ ½ ulp (6e-8 relative).
 * Element-wise, per step:
 *   param: |Δ| ≤ 6e-7·max(1e-2, |ref|) (measured ≤ 1.7e-7: unit-scale params)
 *   m    : |Δ| ≤ 6e-7·max|ref|  (β1·m + (1−β1)·g can cancel, so an entry is
 *          only accurate to a few ulp of the tensor's scale, not its own;
 *          measured ≤ 9.6e-8)
 *   v    : |Δ| ≤ 6e-7·|ref| element-wise (sum of non-negative terms: no
 *          cancellation; measured ≤ 1.9e-7)
 * A wrong bias correction, decay, β or ε placement moves param by ≳ 1e-4·lr-scale
 * steps (lr = 1e-2) — far above a few ulp. */
#define ADAMW_TOL 6e-7

static int is_clip(const char *cs)
{
    return strncmp(cs, "clip_", 5) == 0;
}

START_TEST(test_adamw_golden_three_steps)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_open(&f, "adamw");
    int nc = gu_cases(&f, cases, 4), seen = 0;
    for (int i = 0; i < nc; i++) {
        if (is_clip(cases[i])) {
            continue;
        }
        seen++;
        int d[2];
        gu_dims(&f, cases[i], d, 2);
        size_t n = (size_t)d[0];
        int steps = d[1];
        ck_assert_int_eq(steps, 3);
        float *hy = gu_f32(&f, cases[i], "hyper", 5);
        float lr = hy[0], b1 = hy[1], b2 = hy[2], eps = hy[3], wd = hy[4];
        float *p = gu_f32(&f, cases[i], "param0", n);
        float *m = gu_filled(n, 0.0f), *v = gu_filled(n, 0.0f); /* torch's initial state */
        for (int t = 1; t <= steps; t++) {
            char what[16];
            snprintf(what, sizeof what, "grad%d", t);
            float *g = gu_f32(&f, cases[i], what, n);
            adamw_update(p, g, m, v, (int)n, &(adamw_settings){lr, b1, b2, eps, wd}, t);
            snprintf(what, sizeof what, "param%d", t);
            float *rp = gu_f32(&f, cases[i], what, n);
            snprintf(what, sizeof what, "m%d", t);
            float *rm = gu_f32(&f, cases[i], what, n);
            snprintf(what, sizeof what, "v%d", t);
            float *rv = gu_f32(&f, cases[i], what, n);
            gu_assert_close_each(gu_fmt("%s step %d param", cases[i], t), p, rp, n, ADAMW_TOL,
                                 1e-2);
            gu_assert_close(gu_fmt("%s step %d m", cases[i], t), m, rm, n, ADAMW_TOL, 0.0);
            gu_assert_close_each(gu_fmt("%s step %d v", cases[i], t), v, rv, n, ADAMW_TOL,
                                 1e-30);
            free(g);
            free(rp);
            free(rm);
            free(rv);
        }
        free(hy);
        free(p);
        free(m);
        free(v);
    }
    ck_assert_int_ge(seen, 2);
    st_close(&f);
}
END_TEST

/* clip_grad_norm_(max_norm) over three tensors: total norm = √Σ adamw_sum_of_squares,
 * coefficient, then every tensor scaled. The reference is float64 rounded
 * once; ours forms the norm in double (exact to float32 output) and scales in
 * float32 (coefficient and product each rounded: ≤ 1 ulp each), so
 * |Δ| ≤ 3e-7·|ref| for norm and coefficient and element-wise for the clipped
 * gradients (measured: norm exact, clipped ≤ 1.2e-7). Below the max the
 * gradients must come back bit-identical. */
#define CLIP_TOL 3e-7

START_TEST(test_clip_golden)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_open(&f, "adamw");
    int nc = gu_cases(&f, cases, 4), seen = 0;
    for (int i = 0; i < nc; i++) {
        if (!is_clip(cases[i])) {
            continue;
        }
        seen++;
        int d[3];
        gu_dims(&f, cases[i], d, 3);
        float *g[3];
        double ss = 0.0;
        for (int j = 0; j < 3; j++) {
            g[j] = gu_f32(&f, cases[i], gu_fmt("g%d", j), (size_t)d[j]);
            ss += adamw_sum_of_squares(g[j], d[j]);
        }
        float *max_norm = gu_f32(&f, cases[i], "max_norm", 1);
        float *rnorm = gu_f32(&f, cases[i], "total_norm", 1);
        float *rcoef = gu_f32(&f, cases[i], "coef", 1);
        double norm = sqrt(ss);
        float fnorm = (float)norm;
        gu_assert_close_each(gu_fmt("%s total_norm", cases[i]), &fnorm, rnorm, 1, CLIP_TOL, 0.0);
        float coef = adamw_clip_coefficient(norm, max_norm[0]);
        gu_assert_close_each(gu_fmt("%s coef", cases[i]), &coef, rcoef, 1, CLIP_TOL, 0.0);
        int above = norm > max_norm[0];
        ck_assert_int_eq(above, strcmp(cases[i], "clip_above") == 0);
        for (int j = 0; j < 3; j++) {
            float *ref = gu_f32(&f, cases[i], gu_fmt("clipped%d", j), (size_t)d[j]);
            adamw_scale_in_place(g[j], d[j], coef);
            gu_assert_close_each(gu_fmt("%s clipped%d", cases[i], j), g[j], ref, (size_t)d[j],
                                 CLIP_TOL, 1e-30);
            if (!above) {
                ck_assert_float_eq(coef, 1.0f);
                ck_assert_int_eq(memcmp(g[j], ref, sizeof(float) * (size_t)d[j]), 0);
            }
            free(ref);
            free(g[j]);
        }
        free(max_norm);
        free(rnorm);
        free(rcoef);
    }
    ck_assert_int_ge(seen, 2);
    st_close(&f);
}
END_TEST

/* adamw_sum_of_squares accumulates in double: 1e4² + 1000·1² = 100001000 exactly
 * (a float accumulator would stay at 1e8, whose ulp is 8). */
START_TEST(test_sum_of_squares_is_double)
{
    enum { N = 1001 };
    float x[N];
    x[0] = 1e4f;
    for (int i = 1; i < N; i++) {
        x[i] = (i % 2) ? 1.0f : -1.0f;
    }
    ck_assert_msg(adamw_sum_of_squares(x, N) == 100001000.0, "adamw_sum_of_squares = %.17g",
                  adamw_sum_of_squares(x, N));
    float y[2] = {3.0f, -4.0f};
    ck_assert_msg(adamw_sum_of_squares(y, 2) == 25.0, "adamw_sum_of_squares(3,-4) = %.17g",
                  adamw_sum_of_squares(y, 2));
    /* float overflow of x² is no overflow in double */
    float z[2] = {3e38f, 3e38f};
    double s = adamw_sum_of_squares(z, 2);
    ck_assert_msg(isfinite(s) && fabs(s / (2.0 * 3e38 * 3e38) - 1.0) < 1e-7, "%.17g", s);
}
END_TEST

/* adamw_clip_coefficient = min(1, max_norm/(norm + 1e-6)), as clip_grad_norm_. */
START_TEST(test_clip_coefficient_values)
{
    ck_assert_float_eq(adamw_clip_coefficient(0.0, 1.0f), 1.0f);
    ck_assert_float_eq(adamw_clip_coefficient(0.5, 1.0f), 1.0f);
    /* at norm == max_norm the 1e-6 still bites: 1/(1 + 1e-6) < 1 */
    float at = adamw_clip_coefficient(1.0, 1.0f);
    ck_assert_float_eq(at, (float)(1.0 / (1.0 + 1e-6)));
    ck_assert_float_lt(at, 1.0f);
    ck_assert_float_eq(adamw_clip_coefficient(8.0, 2.0f), (float)(2.0 / (8.0 + 1e-6)));
    ck_assert_float_eq(adamw_clip_coefficient(1e30, 1.0f), (float)(1.0 / (1e30 + 1e-6)));
    float x[5] = {1.0f, -2.0f, 0.5f, 0.0f, 3.0f};
    adamw_scale_in_place(x, 5, 0.25f);
    ck_assert_float_eq(x[0], 0.25f);
    ck_assert_float_eq(x[1], -0.5f);
    ck_assert_float_eq(x[2], 0.125f);
    ck_assert_float_eq(x[3], 0.0f);
    ck_assert_float_eq(x[4], 0.75f);
}
END_TEST

/* lr = 0: parameters unchanged bit for bit (decay 1 − 0·wd = 1, step 0), the
 * moments still updated: m = (1−β1)g, v = (1−β2)g² at step 1. */
START_TEST(test_adamw_zero_lr)
{
    enum { N = 7 };
    gu_rng r;
    gu_seed(&r, 51);
    float *p = gu_randn(&r, N, 1.0, 0.0), *g = gu_randn(&r, N, 1.0, 0.0);
    float *p0 = gu_copy(p, N);
    float m[N] = {0}, v[N] = {0};
    adamw_update(p, g, m, v, N, &(adamw_settings){0.0f, 0.9f, 0.95f, 1e-8f, 0.1f}, 1);
    for (int i = 0; i < N; i++) {
        ck_assert_float_eq(p[i], p0[i]);
        ck_assert_float_eq_tol(m[i], 0.1f * g[i], 1e-6f * fabsf(g[i]) + 1e-30f);
        ck_assert_float_eq_tol(v[i], 0.05f * g[i] * g[i], 1e-6f * g[i] * g[i] + 1e-30f);
    }
    free(p);
    free(g);
    free(p0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_adamw");
    TCase *tc = tcase_create("adamw");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_adamw_golden_three_steps);
    tcase_add_test(tc, test_clip_golden);
    tcase_add_test(tc, test_sum_of_squares_is_double);
    tcase_add_test(tc, test_clip_coefficient_values);
    tcase_add_test(tc, test_adamw_zero_lr);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
