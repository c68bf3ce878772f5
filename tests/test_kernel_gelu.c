/* gelu kernel (tanh approximation): goldens, finite differences, limits. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/gelu.h"
#include "tests/golden_util.h"

/* Element-wise: |Δ_i| ≤ 2e-6·max(1, |ref_i|). References are exact (float64,
 * rounded once). The kernel's tanh = 1 − 2/(e^{2u}+1) costs a few ulp of
 * absolute error (≤ ~4e-7, from expf and the cancellation near u = 0 and for
 * tanh → −1), multiplied by 0.5|x| ≤ 5 where it matters (for |x| ≳ 5.4 the
 * clamp makes tanh exactly ±1 in float, as the true value rounds to). */
#define GELU_TOL 2e-6

/* Backward, element-wise |Δ_i| ≤ 1e-5·max(1, |ref_i|). gelu'(x) contains
 * sech² = 1 − tanh²: for x ≲ −3 tanh is within 1e-3…1e-7 of −1, so 1 − tanh²
 * keeps only the absolute accuracy of tanh (~2ε ≈ 1.2e-7) and loses all
 * relative accuracy (torch's float32 formula does the same). Multiplied by
 * 0.5·|x|·du/dx ≤ ~10 (before the clamp) and |dout| ≲ 3.5, that is up to
 * ~4e-6 absolute on gradients that are themselves ~1e-5 (e.g. x = −4.8:
 * got 1.08e-5 vs 8.23e-6 exact with |dout| = 1.5). A wrong derivative
 * formula is off by ≳ 1e-2 somewhere in the golden range. */
#define GELU_BWD_TOL 1e-5

START_TEST(test_golden_forward)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_open(&f, "gelu");
    int nc = gu_cases(&f, cases, 4);
    for (int i = 0; i < nc; i++) {
        int N;
        gu_dims(&f, cases[i], &N, 1);
        float *inp = gu_f32(&f, cases[i], "inp", (size_t)N);
        float *ref = gu_f32(&f, cases[i], "out", (size_t)N);
        float *out = gu_filled((size_t)N, NAN);
        gelu_forward(out, inp, N);
        gu_assert_close_each(gu_fmt("%s out", cases[i]), out, ref, (size_t)N, GELU_TOL, 1.0);
        free(inp);
        free(ref);
        free(out);
    }
    st_close(&f);
}
END_TEST

START_TEST(test_golden_backward_accumulates)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 31);
    gu_open(&f, "gelu");
    int nc = gu_cases(&f, cases, 4);
    for (int i = 0; i < nc; i++) {
        int N;
        gu_dims(&f, cases[i], &N, 1);
        size_t n = (size_t)N;
        float *inp = gu_f32(&f, cases[i], "inp", n);
        float *dout = gu_f32(&f, cases[i], "dout", n);
        float *ref = gu_f32(&f, cases[i], "dinp", n);
        /* from zero: element-wise */
        float *d0 = gu_filled(n, 0.0f);
        gelu_backward(d0, inp, dout, N);
        gu_assert_close_each(gu_fmt("%s dinp", cases[i]), d0, ref, n, GELU_BWD_TOL, 1.0);
        /* from a nonzero start: must add (the sum's rounding ≤ ε·|start| more) */
        float *start = gu_randn(&r, n, 1.0, 0.5);
        float *d1 = gu_copy(start, n);
        gelu_backward(d1, inp, dout, N);
        gu_assert_accum(gu_fmt("%s dinp accumulated", cases[i]), d1, start, ref, n,
                        GELU_BWD_TOL, 1.0);
        free(inp);
        free(dout);
        free(ref);
        free(d0);
        free(start);
        free(d1);
    }
    st_close(&f);
}
END_TEST

typedef struct {
    float *inp, *out;
    const float *w;
    int N;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *x = p;
    gelu_forward(x->out, x->inp, x->N);
    return gu_dot(x->w, x->out, (size_t)x->N);
}

/* h = 1e-2. Truncation h²/6·|gelu'''·w| ≤ 1e-4/6·1.5·|w| ≈ 5e-5 (|gelu'''| ≤ ~1.5).
 * Round-off: one output changes, by ≤ ~2 ulp of |out| ≤ 10 over 2h: ~1e-4.
 * Tolerance 1e-3 + 1e-3·|g|: ~10× both; a wrong derivative (e.g. the exact-erf
 * GELU's, or a missing chain-rule factor) is off by ≳ 1e-2. */
#define GELU_FD_H 1e-2
#define GELU_FD_ATOL 1e-3
#define GELU_FD_RTOL 1e-3

START_TEST(test_finite_differences)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 32);
    gu_open(&f, "gelu");
    int nc = gu_cases(&f, cases, 4);
    for (int i = 0; i < nc; i++) {
        int N;
        gu_dims(&f, cases[i], &N, 1);
        size_t n = (size_t)N;
        float *inp = gu_f32(&f, cases[i], "inp", n);
        float *w = gu_randn(&r, n, 1.0, 0.0);
        float *out = gu_filled(n, 0.0f);
        float *g = gu_filled(n, 0.0f);
        gelu_backward(g, inp, w, N);
        fd_ctx ctx = {inp, out, w, N};
        gu_check_fd(gu_fmt("%s fd dinp", cases[i]), inp, n, g, GELU_FD_H, GELU_FD_ATOL,
                    GELU_FD_RTOL, fd_loss, &ctx);
        free(inp);
        free(w);
        free(out);
        free(g);
    }
    st_close(&f);
}
END_TEST

/* Limits: gelu(x) = x and gelu'(x) = 1 for large x; gelu(x) = 0 and gelu'(x) = 0
 * for very negative x (true |gelu(x)| < 1e-40 for x ≤ −14, below float's normal
 * range); all finite up to |x| = 1e18, where x³ overflows inside the kernel and
 * the clamp must absorb it. gelu(0) = 0, gelu'(0) = 1/2 exactly. */
START_TEST(test_limits)
{
    static const float xs[] = {14.0f, 50.0f, 1e3f, 1e6f, 1e18f, 3.4e18f};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        float in[2] = {xs[i], -xs[i]}, out[2] = {NAN, NAN};
        float dout[2] = {1.0f, 1.0f}, din[2] = {0.0f, 0.0f};
        gelu_forward(out, in, 2);
        gelu_backward(din, in, dout, 2);
        ck_assert_msg(out[0] == xs[i], "gelu(%g) = %.9g", (double)xs[i], (double)out[0]);
        ck_assert_msg(fabsf(out[1]) <= 1e-30f, "gelu(%g) = %.9g", -(double)xs[i], (double)out[1]);
        ck_assert_msg(din[0] == 1.0f, "gelu'(%g) = %.9g", (double)xs[i], (double)din[0]);
        ck_assert_msg(fabsf(din[1]) <= 1e-30f, "gelu'(%g) = %.9g", -(double)xs[i],
                      (double)din[1]);
    }
    float z = 0.0f, o = NAN, dz = 0.0f, one = 1.0f;
    gelu_forward(&o, &z, 1);
    gelu_backward(&dz, &z, &one, 1);
    ck_assert_float_eq(o, 0.0f);
    ck_assert_float_eq_tol(dz, 0.5f, 1e-7f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_gelu");
    TCase *tc = tcase_create("gelu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_golden_forward);
    tcase_add_test(tc, test_golden_backward_accumulates);
    tcase_add_test(tc, test_finite_differences);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
